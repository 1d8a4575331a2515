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
                let mut tx = app::db::begin(&pool).await.unwrap();
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

/// A patient of `clinic` whose record opens (no packet yet).
async fn patient(app: &TestApp, clinic: Uuid) -> Uuid {
    let id = Uuid::new_v4();
    let sealed = app::vault::Keyring::development().seal(
        b"null",
        app::vault::Place {
            table: "patients",
            column: "sealed",
            row: id,
        },
    );
    let mut db = app.admin().await;
    sqlx::query(
        "INSERT INTO patients (id, organization_id, initials, zip, key_id, sealed, match_index)
         VALUES ($1, $2, 'WL', (SELECT zip FROM zip_codes ORDER BY zip LIMIT 1), $3, $4,
                 sha256(gen_random_uuid()::text::bytea))",
    )
    .bind(id)
    .bind(clinic)
    .bind(&sealed.key_id)
    .bind(&sealed.bytes)
    .execute(&mut db)
    .await
    .unwrap();
    id
}

/// Issue 16, item 5: the customer's audit tools. The administrator sees
/// who viewed a patient on its page, filters the log and exports exactly
/// the filtered rows (CSV and JSON, with the file's SHA-256 in a header
/// and in the export's own audit event), and reads the sign-in log of
/// their own staff (failures included, with address and browser), and
/// nobody else's. Staff may do none of it.
#[tokio::test]
async fn administrators_see_who_viewed_filter_export_and_read_the_sign_in_log() {
    use sha2::{Digest, Sha256};
    let app = TestApp::spawn().await;
    let (clinic, admin) = clinic_admin(&app).await;
    let other = app.org("clinic", "Lakeside Home Care").await;
    app.user("sam@riverbend.example", Some(clinic), Role::ClinicStaff)
        .await;
    app.user("lee@lakeside.example", Some(other), Role::ClinicAdmin)
        .await;
    for email in ["sam@riverbend.example", "lee@lakeside.example"] {
        let res = app
            .login(&TestApp::browser(), email, "not-the-password")
            .await;
        assert!(res.status().is_client_error());
    }
    let staff = app.signed_in("sam@riverbend.example").await;
    let patient = patient(&app, clinic).await.to_string();

    // Staff open the record and are not shown its history.
    let res = app.rpc(&staff, "patients/get", &[("id", &patient)]).await;
    assert_eq!(res.status(), 200);
    let record: Value = res.json().await.unwrap();
    assert!(record["history"].is_null(), "{record}");
    // The administrator sees both views, theirs first.
    let res = app.rpc(&admin, "patients/get", &[("id", &patient)]).await;
    let record: Value = res.json().await.unwrap();
    let history = record["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{record}");
    assert!(history
        .iter()
        .all(|e| e["action"] == "patient.viewed" && e["subject"] == format!("patient {patient}")));

    // The export holds exactly the filtered rows.
    let about = format!("patient {patient}");
    let get = |client: &reqwest::Client, query: Vec<(&'static str, String)>| {
        let request = client.get(app.url("/audit/export")).query(&query);
        async move { request.send().await.unwrap() }
    };
    let res = get(
        &admin,
        vec![("format", "csv".into()), ("subject", about.clone())],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let digest = res.headers()["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let csv = res.text().await.unwrap();
    assert_eq!(digest, hex::encode(Sha256::digest(csv.as_bytes())));
    let lines: Vec<&str> = csv.trim_end().split("\r\n").collect();
    assert_eq!(lines[0], "seq,occurred_at,actor,action,subject,ip,details");
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[1..].iter().all(|l| l.contains(&about)));
    // Narrowed to one actor (by address): one row, in JSON too.
    let res = get(
        &admin,
        vec![
            ("format", "json".into()),
            ("subject", about.clone()),
            ("actor", "SAM@riverbend".into()),
            ("action", "patient.viewed".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let json: Value = res.json().await.unwrap();
    assert_eq!(json["events"].as_array().unwrap().len(), 1, "{json}");
    assert_eq!(json["filter"]["actor"], "SAM@riverbend");
    // The first export is itself in the log, with its digest and count.
    let mut db = app.admin().await;
    let (rows, sha): (String, String) = sqlx::query_as(
        "SELECT details->>'rows', details->>'sha256' FROM audit_events
         WHERE organization_id = $1 AND action = 'audit.exported' ORDER BY seq LIMIT 1",
    )
    .bind(clinic)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!((rows.as_str(), sha.as_str()), ("2", digest.as_str()));
    // A bad filter is named; staff and strangers are refused.
    let res = get(
        &admin,
        vec![("format", "csv".into()), ("from", "yesterday".into())],
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = get(&admin, vec![("format", "xls".into())]).await;
    assert_eq!(res.status(), 422);
    let res = get(&staff, vec![("format", "csv".into())]).await;
    assert_eq!(res.status(), 403);
    let res = get(&TestApp::browser(), vec![("format", "csv".into())]).await;
    assert_eq!(res.status(), 401);
    // The filtered page shows the same rows.
    let page = admin
        .get(app.url("/clinic/audit"))
        .query(&[("subject", about.as_str()), ("action", "patient.viewed")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        page.matches("title=\"patient.viewed\"").count(),
        2,
        "{page}"
    );

    // The sign-in log: this clinic's staff, failures included; not the
    // other clinic's administrator.
    let res = app.rpc(&admin, "audit/sign-ins", &[]).await;
    assert_eq!(res.status(), 200);
    let log: Value = res.json().await.unwrap();
    let attempts = log["attempts"].as_array().unwrap();
    let of = |email: &str, outcome: &str| {
        attempts
            .iter()
            .filter(|a| a["email"] == email && a["outcome"] == outcome)
            .count()
    };
    assert_eq!(of("sam@riverbend.example", "bad_password"), 1, "{log}");
    assert_eq!(of("sam@riverbend.example", "success"), 1);
    assert!(attempts
        .iter()
        .all(|a| a["email"] != "lee@lakeside.example"));
    let res = app.rpc(&staff, "audit/sign-ins", &[]).await;
    assert_eq!(res.status(), 403);
    let viewed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events
         WHERE organization_id = $1 AND action = 'security.login_log_viewed'",
    )
    .bind(clinic)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(viewed, 1);
}
