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
    let vault = app::vault::Keyring::development();
    server::demo::seed(&app.urls.admin, &hasher, &vault)
        .await
        .unwrap();
    server::demo::seed(&app.urls.admin, &hasher, &vault)
        .await
        .unwrap();
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
    // One dead job for /admin/jobs to show and retry, filed once.
    let dead: Vec<String> = sqlx::query_scalar("SELECT kind FROM jobs WHERE state = 'dead'")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    assert_eq!(dead, ["mail.deliver"]);
    // Referrals in every status, seeded once; the nurse has visits.
    let statuses: Vec<String> =
        sqlx::query_scalar("SELECT status::text FROM referrals ORDER BY status")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    let mut every: Vec<String> = app::referrals::ReferralStatus::ALL
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    every.sort();
    let mut seen = statuses.clone();
    seen.sort();
    assert_eq!(seen, every, "one referral per status, seeded once");
    let visit_states: Vec<String> =
        sqlx::query_scalar("SELECT DISTINCT status::text FROM visits ORDER BY 1")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert_eq!(visit_states, ["accepted", "completed", "proposed"]);
    // The demo family's visit three days ago was signed and confirmed: the
    // job runner pays it, and the book balances.
    app.run_booking_jobs().await;
    let (state, captured): (String, i64) = sqlx::query_as(
        "SELECT p.state::text, l.captured_cents FROM visit_payments p
         JOIN local_processor_payments l ON l.id = p.authorization_id WHERE p.visit_id = $1",
    )
    .bind(server::demo::bookings::PAID_VISIT)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!((state.as_str(), captured), ("paid", 9500));
    let book: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(amount_cents), 0)::bigint FROM ledger_entries")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(book, 0);
    for user in &server::demo::USERS {
        let browser = TestApp::browser();
        let res = app
            .login(&browser, user.email, server::demo::DEMO_PASSWORD)
            .await;
        assert_eq!(res.status(), 200, "{}", user.email);
    }
}

#[tokio::test]
async fn the_operator_makes_a_key_through_the_pages_operation_and_it_is_audited() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let key = server::operator::create_api_key(&app.urls.admin, clinic, "EHR")
        .await
        .unwrap();
    assert!(key.starts_with("ct_live_"));
    let mut admin = app.admin().await;
    let (acts_as, created_by): (String, Option<uuid::Uuid>) =
        sqlx::query_as("SELECT acts_as::text, created_by FROM api_keys WHERE organization_id = $1")
            .bind(clinic)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!((acts_as.as_str(), created_by), ("clinic_staff", None));
    let (actor, details): (String, serde_json::Value) = sqlx::query_as(
        "SELECT actor_type, details FROM audit_events
         WHERE organization_id = $1 AND action = 'api_key.created'",
    )
    .bind(clinic)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(actor, "operator");
    // Only the administrative connection writes that actor: the web role,
    // acting for the clinic with nobody signed in, may write `anonymous`
    // but never `operator`.
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.org_id', $1, true), set_config('app.role', 'clinic_admin', true)",
    )
    .bind(clinic.to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    let insert = |actor: &'static str| {
        sqlx::query(
            "INSERT INTO audit_events (organization_id, actor_type, action)
             VALUES ($1, $2, 'api_key.created')",
        )
        .bind(clinic)
        .bind(actor)
    };
    sqlx::raw_sql("SAVEPOINT before")
        .execute(&mut *tx)
        .await
        .unwrap();
    insert("anonymous").execute(&mut *tx).await.unwrap();
    sqlx::raw_sql("ROLLBACK TO SAVEPOINT before")
        .execute(&mut *tx)
        .await
        .unwrap();
    let forged = insert("operator").execute(&mut *tx).await.unwrap_err();
    assert!(
        forged.to_string().contains("row-level security"),
        "{forged}"
    );
    drop(tx);
    assert_eq!(details["organization_id"], clinic.to_string());
    let chain = app::audit::repo::verify_chain(&mut admin, clinic)
        .await
        .unwrap();
    assert!(chain.intact(), "{chain:?}");

    // The same checks as the page: a bad name, or an organization that
    // cannot hold keys, is refused with the field named.
    let refused = server::operator::create_api_key(&app.urls.admin, clinic, " ")
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("--name"), "{refused}");
    let platform = app::db::platform_org_id();
    let refused = server::operator::create_api_key(&app.urls.admin, platform.uuid(), "x")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("clinics and referring"),
        "{refused}"
    );
}
