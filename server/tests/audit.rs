//! The audit log: append-only for the application role, one unforked chain
//! per organization under concurrent writers, and tampering (even by a
//! superuser) reported at the first broken link by the admin page's check
//! and by the operator's command.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::{TestApp, PASSWORD};
use serde_json::Value;
use uuid::Uuid;

async fn clinic_admin(app: &TestApp) -> (Uuid, reqwest::Client) {
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let admin = app
        .user("renee@riverbend.example", Some(clinic), Role::ClinicAdmin)
        .await;
    let browser = TestApp::browser();
    assert_eq!(
        app.login(&browser, &admin.email, PASSWORD).await.status(),
        200
    );
    (clinic, browser)
}

#[tokio::test]
async fn the_application_role_can_append_but_never_change_or_remove_events() {
    let app = TestApp::spawn().await;
    let (clinic, _) = clinic_admin(&app).await;
    let mut conn = app.pool.acquire().await.unwrap();
    for sql in [
        "UPDATE audit_events SET action = 'auth.sign_out'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events",
        "UPDATE audit_chain_heads SET seq = 0",
        "DELETE FROM audit_chain_heads",
    ] {
        let err = sqlx::query(sql).execute(&mut *conn).await.unwrap_err();
        let code = err.as_database_error().and_then(|e| e.code()).unwrap();
        assert_eq!(code, "42501", "{sql}: {err}");
    }
    // Even the owner cannot rewrite history: the triggers refuse it.
    let mut admin = app.admin().await;
    let err =
        sqlx::query("UPDATE audit_events SET action = 'auth.sign_out' WHERE organization_id = $1")
            .bind(clinic)
            .execute(&mut admin)
            .await
            .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let err = sqlx::query("DELETE FROM audit_events")
        .execute(&mut admin)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
}

#[tokio::test]
async fn an_event_cannot_claim_another_actor_or_land_in_another_chain() {
    let app = TestApp::spawn().await;
    let mut conn = app.pool.acquire().await.unwrap();
    let other_org = app.org("clinic", "Lakeside Home Care").await;
    // Anonymous: only the platform chain, only as nobody.
    let err = sqlx::query(
        "INSERT INTO audit_events (organization_id, action) VALUES ($1, 'auth.sign_in')",
    )
    .bind(other_org)
    .execute(&mut *conn)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
    let err = sqlx::query(
        "INSERT INTO audit_events (organization_id, actor_user_id, action) VALUES (platform_org_id(), $1, 'auth.sign_in')",
    )
    .bind(Uuid::new_v4())
    .execute(&mut *conn)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
}

#[tokio::test]
async fn concurrent_writers_take_turns_and_never_fork_the_chain() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let mut writers = Vec::new();
    for _ in 0..8 {
        let pool = app.pool.clone();
        writers.push(tokio::spawn(async move {
            for _ in 0..10 {
                let mut tx = pool.begin().await.unwrap();
                sqlx::query("SELECT set_config('app.org_id', $1, true)")
                    .bind(clinic.to_string())
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                sqlx::query("INSERT INTO audit_events (organization_id, action) VALUES ($1, 'auth.sign_in_failed')")
                    .bind(clinic)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let mut admin = app.admin().await;
    let seqs: Vec<i64> =
        sqlx::query_scalar("SELECT seq FROM audit_events WHERE organization_id = $1 ORDER BY seq")
            .bind(clinic)
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert_eq!(seqs, (1..=80).collect::<Vec<i64>>());
    let status = app::audit::repo::verify_chain(&mut admin, clinic)
        .await
        .unwrap();
    assert!(status.intact(), "{status:?}");
    assert_eq!(status.events, 80);
}

#[tokio::test]
async fn tampering_is_reported_at_the_first_broken_link() {
    let app = TestApp::spawn().await;
    let (clinic, browser) = clinic_admin(&app).await;
    // Some history: invitations, then the admin's own sign-in is event 1.
    for i in 0..3 {
        let email = format!("staff{i}@riverbend.example");
        let res = app
            .rpc(
                &browser,
                "team/invite",
                &[("email", &email), ("role", "clinic_staff")],
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let status: Value = app
        .rpc(&browser, "audit/verify", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["first_broken_seq"], Value::Null);
    assert_eq!(status["events"], 4);
    let log: Value = app
        .rpc(&browser, "audit/log", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log["events"].as_array().unwrap().len(), 4);
    assert_eq!(log["events"][0]["action"], "invitation.sent");
    assert_eq!(log["events"][0]["actor"], "Test renee");

    // A superuser edits event 2 behind the triggers' back.
    let mut admin = app.admin().await;
    sqlx::raw_sql("SET session_replication_role = replica")
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_events SET details = '{\"role\": \"clinic_admin\"}' WHERE organization_id = $1 AND seq = 2")
        .bind(clinic)
        .execute(&mut admin)
        .await
        .unwrap();
    let status: Value = app
        .rpc(&browser, "audit/verify", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["first_broken_seq"], 2, "{status}");
    assert_eq!(status["events"], 1);
    assert!(status["problem"].as_str().unwrap().contains("altered"));

    // The operator's command sees the same, across every organization.
    let reports = server::operator::verify_all(&app.urls.admin).await.unwrap();
    let riverbend = reports
        .iter()
        .find(|r| r.organization == "Riverbend Home Health")
        .unwrap();
    assert_eq!(riverbend.status.first_broken_seq, Some(2));
    let platform = reports
        .iter()
        .find(|r| r.organization == "Carethread platform")
        .unwrap();
    assert!(platform.status.intact());
}

#[tokio::test]
async fn removing_events_is_reported_too() {
    let app = TestApp::spawn().await;
    let (clinic, browser) = clinic_admin(&app).await;
    for i in 0..2 {
        app.rpc(
            &browser,
            "team/invite",
            &[
                ("email", &format!("s{i}@riverbend.example")),
                ("role", "clinic_staff"),
            ],
        )
        .await;
    }
    let mut admin = app.admin().await;
    sqlx::raw_sql("SET session_replication_role = replica")
        .execute(&mut admin)
        .await
        .unwrap();
    // The newest event vanishes: only the chain head can tell.
    sqlx::query("DELETE FROM audit_events WHERE organization_id = $1 AND seq = 3")
        .bind(clinic)
        .execute(&mut admin)
        .await
        .unwrap();
    let status: Value = app
        .rpc(&browser, "audit/verify", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["first_broken_seq"], 3, "{status}");
    assert!(status["problem"].as_str().unwrap().contains("missing"));
    // One from the middle.
    sqlx::query("DELETE FROM audit_events WHERE organization_id = $1 AND seq = 1")
        .bind(clinic)
        .execute(&mut admin)
        .await
        .unwrap();
    let status: Value = app
        .rpc(&browser, "audit/verify", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(status["first_broken_seq"], 1, "{status}");
}

#[tokio::test]
async fn each_administrator_reads_only_their_own_chain() {
    let app = TestApp::spawn().await;
    let (_, riverbend) = clinic_admin(&app).await;
    let lakeside = app.org("clinic", "Lakeside Home Care").await;
    let priya = app
        .user("priya@lakeside.example", Some(lakeside), Role::ClinicAdmin)
        .await;
    let priya_browser = TestApp::browser();
    app.login(&priya_browser, &priya.email, PASSWORD).await;
    app.rpc(
        &priya_browser,
        "team/invite",
        &[("email", "x@lakeside.example"), ("role", "clinic_staff")],
    )
    .await;

    let mine: Value = app
        .rpc(&riverbend, "audit/log", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["organization"], "Riverbend Home Health");
    for event in mine["events"].as_array().unwrap() {
        assert_ne!(event["actor"], "Test priya");
    }
}
