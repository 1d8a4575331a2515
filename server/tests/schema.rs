//! The database as the application role sees it: a role that owns nothing
//! and bypasses nothing, every reachable table under forced row-level
//! security with a policy, and start-up that is safe to repeat.

// Integration tests: a panic is the failure message.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;

#[tokio::test]
async fn the_app_role_is_unprivileged_and_owns_nothing() {
    let app = TestApp::spawn().await;
    let (user, superuser, bypass): (String, bool, bool) = sqlx::query_as(
        "SELECT current_user::text, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(user, "carethread_app");
    assert!(!superuser);
    assert!(!bypass);
    let owned: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = current_user",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(owned, 0);
}

#[tokio::test]
async fn tables_are_owned_by_the_owner_role_not_a_superuser() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let owners: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT pg_get_userbyid(c.relowner)::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p')",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(owners, ["carethread_owner"]);
}

#[tokio::test]
async fn every_table_the_app_can_reach_has_forced_rls_and_a_policy() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let offenders: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
           AND has_table_privilege('carethread_app', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
           AND (NOT c.relrowsecurity OR NOT c.relforcerowsecurity
                OR NOT EXISTS (SELECT FROM pg_policy p WHERE p.polrelid = c.oid))",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(
        offenders.is_empty(),
        "without forced RLS or a policy: {offenders:?}"
    );

    let unsafe_views: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_class c
         JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = 'public' AND c.relkind = 'v'
           AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(
        unsafe_views.is_empty(),
        "views without security_invoker: {unsafe_views:?}"
    );
}

#[tokio::test]
async fn start_up_preparation_is_idempotent() {
    let app = TestApp::spawn().await;
    server::db::prepare(&app.urls)
        .await
        .expect("a second run changes nothing and succeeds");
    assert_eq!(app.get("/api/v1/health").await.status(), 200);
}
