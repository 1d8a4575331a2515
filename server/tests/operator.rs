//! The operator's commands: the first platform administrator, and the
//! demo data the development run and the browser journeys sign in with.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::hashing::PasswordHasher;
use common::TestApp;

#[tokio::test]
async fn the_operator_creates_a_platform_administrator_who_can_sign_in() {
    let app = TestApp::spawn().await;
    let hasher = PasswordHasher::new(1);
    let password = "the operator's long password";
    server::operator::create_platform_admin(
        &app.urls.admin,
        &hasher,
        "Ops@Example.org",
        "Morgan",
        password,
    )
    .await
    .unwrap();
    // Bad input is refused with a reason, and nothing is created twice.
    let e = server::operator::create_platform_admin(
        &app.urls.admin,
        &hasher,
        "ops@example.org",
        "Again",
        password,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("already exists"), "{e}");
    let e = server::operator::create_platform_admin(
        &app.urls.admin,
        &hasher,
        "new@example.org",
        "Short",
        "short",
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("12 characters"), "{e}");

    let browser = TestApp::browser();
    let res = app.login(&browser, "ops@example.org", password).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<String>().await.unwrap(), "/admin");
    let mut admin = app.admin().await;
    let created: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE action = 'account.created'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(created, 1);
}

#[tokio::test]
async fn demo_data_has_an_account_for_every_role_and_seeding_twice_changes_nothing() {
    let app = TestApp::spawn().await;
    let hasher = PasswordHasher::new(2);
    server::demo::seed(&app.urls.admin, &hasher).await.unwrap();
    server::demo::seed(&app.urls.admin, &hasher).await.unwrap();
    let mut admin = app.admin().await;
    let roles: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT role::text FROM memberships ORDER BY 1")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert_eq!(
        roles,
        [
            "clinic_admin",
            "clinic_staff",
            "clinician",
            "family",
            "platform_admin",
            "referrer"
        ]
    );
    for user in &server::demo::USERS {
        let browser = TestApp::browser();
        let res = app
            .login(&browser, user.email, server::demo::DEMO_PASSWORD)
            .await;
        assert_eq!(res.status(), 200, "{}", user.email);
    }
}
