//! The export centre against PostgreSQL: a clinic administrator asks for
//! an export, the `export.build` job writes it as them (row-level
//! security), in chunks, with progress and a manifest whose hashes match
//! the files served; every step is audited; nobody else can read it; the
//! files expire; an administrator who lost the role gets nothing written.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use app::patients::{PatientDetails, PayerKind};
use common::TestApp;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// `n` patients of `org` with real sealed details (the names numbered;
/// the first one's name is a spreadsheet formula).
async fn patients(app: &TestApp, org: Uuid, n: usize) {
    let vault = app::vault::Keyring::development();
    let mut admin = app.admin().await;
    let zip: String = sqlx::query_scalar("SELECT zip FROM zip_codes ORDER BY zip LIMIT 1")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    let (mut ids, mut keys, mut sealed, mut index) = (vec![], vec![], vec![], vec![]);
    for i in 0..n {
        let id = Uuid::new_v4();
        let details = PatientDetails {
            full_name: if i == 0 {
                "=HYPERLINK(\"http://x\")".to_owned()
            } else {
                format!("Export Patient {i:05}, \"Junior\"")
            },
            birth_date: time::macros::date!(1940 - 03 - 04),
            address: "12 Elm St".into(),
            phone: "5555550123".into(),
            payer: PayerKind::Medicare,
            member_id: "1EG4TE5MK72".into(),
            emergency_name: String::new(),
            emergency_phone: String::new(),
        };
        let (s, ix) = app::patients::service::seal_patient(&vault, id.into(), &details, &zip);
        ids.push(id);
        keys.push(s.key_id);
        sealed.push(s.bytes);
        index.push(ix.to_vec());
    }
    sqlx::query(
        "INSERT INTO patients (organization_id, id, initials, zip, key_id, sealed, match_index)
         SELECT $1, id, 'EP', $2, key_id, sealed, ix
         FROM unnest($3::uuid[], $4::text[], $5::bytea[], $6::bytea[]) AS t(id, key_id, sealed, ix)",
    )
    .bind(org)
    .bind(&zip)
    .bind(&ids)
    .bind(&keys)
    .bind(&sealed)
    .bind(&index)
    .execute(&mut admin)
    .await
    .unwrap();
}

/// Runs the export jobs waiting.
async fn run_exports(app: &TestApp) {
    server::jobs::Runner::new(app.worker_pool.clone())
        .register(server::exports::Build {
            app_pool: app.pool.clone(),
            vault: app::vault::Keyring::development(),
        })
        .drain()
        .await
        .unwrap();
}

async fn exports(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    let res = app.rpc(client, "exports/list", &[]).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    body["exports"].as_array().unwrap().clone()
}

async fn request(
    app: &TestApp,
    client: &reqwest::Client,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.rpc(client, "exports/request", form).await
}

/// Downloads `file` of export `id`: the status, the digest header and the
/// body.
async fn download(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    file: &str,
) -> (u16, Option<String>, Vec<u8>) {
    let res = client
        .get(app.url(&format!("/clinic/exports/{id}/files/{file}")))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let digest = res
        .headers()
        .get("x-content-sha256")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, digest, res.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn an_export_is_written_in_chunks_with_a_manifest_audited_private_and_expiring() {
    let app = TestApp::spawn().await;
    let org = app.org("clinic", "Exportville Home Care").await;
    app.user("boss@exports.test", Some(org), Role::ClinicAdmin)
        .await;
    app.user("staff@exports.test", Some(org), Role::ClinicStaff)
        .await;
    let other = app.org("clinic", "Elsewhere Care").await;
    app.user("other@exports.test", Some(other), Role::ClinicAdmin)
        .await;
    // Enough rows for more than one chunk (a quarter of a megabyte).
    patients(&app, org, 2_500).await;
    patients(&app, other, 3).await;
    let boss = app.signed_in("boss@exports.test").await;
    let staff = app.signed_in("staff@exports.test").await;
    let stranger = app.signed_in("other@exports.test").await;

    // Only an administrator asks; bad input is named.
    let res = request(
        &app,
        &staff,
        &[("datasets[0]", "patients"), ("format", "csv")],
    )
    .await;
    assert_eq!(res.status(), 403);
    let res = request(&app, &boss, &[("format", "csv")]).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("at least one"));
    let res = request(&app, &boss, &[("datasets[0]", "users"), ("format", "csv")]).await;
    assert_eq!(res.status(), 422);
    let res = request(
        &app,
        &boss,
        &[
            ("datasets[0]", "patients"),
            ("datasets[3]", "audit"),
            ("format", "csv"),
        ],
    )
    .await;
    assert!(res.status().is_success(), "{}", res.status());
    let listed = exports(&app, &boss).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["state"], "queued");
    let id = listed[0]["id"].as_str().unwrap().to_owned();
    // Nothing to download yet.
    assert_eq!(download(&app, &boss, &id, "patients.csv").await.0, 404);

    run_exports(&app).await;
    let listed = exports(&app, &boss).await;
    let e = &listed[0];
    assert_eq!(e["state"], "ready", "{e}");
    assert_eq!(e["rows_done"], e["rows_total"]);
    let files = e["manifest"]["files"].as_array().unwrap();
    let names: Vec<&str> = files.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["patients.csv", "audit.csv"]);
    assert_eq!(files[0]["rows"], 2_500, "this clinic's patients only");
    let mut db = app.admin().await;
    let chunks: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM data_export_chunks WHERE export_id = $1::uuid AND file = 'patients.csv'",
    )
    .bind(&id)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert!(chunks >= 2, "written in chunks, not whole: {chunks}");

    // Each file's bytes hash to the manifest's figure and the header's.
    let (status, digest, body) = download(&app, &boss, &id, "patients.csv").await;
    assert_eq!(status, 200);
    let sha = hex::encode(Sha256::digest(&body));
    assert_eq!(digest.as_deref(), Some(sha.as_str()));
    assert_eq!(files[0]["sha256"], sha);
    assert_eq!(files[0]["bytes"], body.len());
    let text = String::from_utf8(body).unwrap();
    let lines: Vec<&str> = text.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2_501, "a header and a line per patient");
    assert!(lines[0].starts_with("id,initials,zip,created_at,full_name,birth_date"));
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://x\"\")\""),
        "a formula is defused"
    );
    assert!(text.contains("\"Export Patient 00001, \"\"Junior\"\"\""));
    assert!(text.contains("1940-03-04"));
    let (status, _, audit) = download(&app, &boss, &id, "audit.csv").await;
    assert_eq!(status, 200);
    assert_eq!(files[1]["sha256"], hex::encode(Sha256::digest(&audit)));
    assert!(String::from_utf8(audit)
        .unwrap()
        .contains("export.requested"));
    // The manifest: its digest is the one listed and audited.
    let (status, digest, manifest) = download(&app, &boss, &id, "manifest.json").await;
    assert_eq!(status, 200);
    let manifest_sha = hex::encode(Sha256::digest(&manifest));
    assert_eq!(digest.as_deref(), Some(manifest_sha.as_str()));
    assert_eq!(e["manifest_sha256"], manifest_sha);
    let parsed: Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(parsed["files"], e["manifest"]["files"]);

    // Audited: asked, written (with the manifest's digest), downloaded.
    let events: Vec<(String, Value)> = sqlx::query_as(
        "SELECT action, details FROM audit_events
         WHERE organization_id = $1 AND subject_type = 'data_export' AND subject_id = $2
         ORDER BY seq",
    )
    .bind(org)
    .bind(&id)
    .fetch_all(&mut db)
    .await
    .unwrap();
    let actions: Vec<&str> = events.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "export.requested",
            "export.completed",
            "export.downloaded",
            "export.downloaded",
            "export.downloaded"
        ]
    );
    assert_eq!(events[1].1["manifest_sha256"], manifest_sha);
    assert_eq!(events[1].1["rows"], e["rows_total"]);

    // Nobody else reads it: another clinic's administrator, the staff.
    assert_eq!(download(&app, &stranger, &id, "patients.csv").await.0, 404);
    assert_eq!(download(&app, &staff, &id, "patients.csv").await.0, 403);
    assert!(exports(&app, &stranger).await.is_empty());
    assert_eq!(download(&app, &boss, &id, "../etc.csv").await.0, 404);

    // JSON keeps types and names.
    let res = request(
        &app,
        &boss,
        &[("datasets[0]", "patients"), ("format", "json")],
    )
    .await;
    assert!(res.status().is_success());
    run_exports(&app).await;
    let json_id = exports(&app, &boss).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _, body) = download(&app, &boss, &json_id, "patients.json").await;
    assert_eq!(status, 200);
    let rows: Vec<Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(rows.len(), 2_500);
    let formula = rows
        .iter()
        .find(|r| r["full_name"] == "=HYPERLINK(\"http://x\")")
        .expect("JSON keeps the value as it was typed");
    assert_eq!(formula["payer"], "medicare");
    assert_eq!(formula["birth_date"], "1940-03-04");

    // After a day the files go; the record stays, marked expired.
    sqlx::query(
        "UPDATE data_exports SET expires_at = now() - interval '1 minute' WHERE id = $1::uuid",
    )
    .bind(&id)
    .execute(&mut db)
    .await
    .unwrap();
    assert_eq!(server::exports::expire(&app.worker_pool).await.unwrap(), 1);
    let left: i64 =
        sqlx::query_scalar("SELECT count(*) FROM data_export_chunks WHERE export_id = $1::uuid")
            .bind(&id)
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(left, 0);
    assert_eq!(download(&app, &boss, &id, "patients.csv").await.0, 409);
    let listed = exports(&app, &boss).await;
    let expired = listed.iter().find(|e| e["id"] == id.as_str()).unwrap();
    assert_eq!(expired["state"], "expired");

    // An erasure carried out takes every export's files at once: the JSON
    // export named the patient.
    let patient: Uuid =
        sqlx::query_scalar("SELECT id FROM patients WHERE organization_id = $1 LIMIT 1")
            .bind(org)
            .fetch_one(&mut db)
            .await
            .unwrap();
    let res = app
        .rpc(
            &boss,
            "data/deletions/request",
            &[
                ("patient_id", &patient.to_string()),
                ("reason", "Asked by the patient"),
                ("now", "on"),
            ],
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let (state, left): (String, i64) = sqlx::query_as(
        "SELECT state, (SELECT count(*) FROM data_export_chunks c WHERE c.export_id = e.id)
         FROM data_exports e WHERE id = $1::uuid",
    )
    .bind(&json_id)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!((state.as_str(), left), ("expired", 0));
    assert_eq!(
        download(&app, &boss, &json_id, "patients.json").await.0,
        409
    );
}

#[tokio::test]
async fn an_administrator_who_lost_the_role_gets_nothing_written_and_nobody_else_writes() {
    let app = TestApp::spawn().await;
    let org = app.org("clinic", "Demotion Care").await;
    let boss = app
        .user("former@exports.test", Some(org), Role::ClinicAdmin)
        .await;
    patients(&app, org, 2).await;
    let client = app.signed_in("former@exports.test").await;
    let res = request(
        &app,
        &client,
        &[("datasets[0]", "patients"), ("format", "csv")],
    )
    .await;
    assert!(res.status().is_success());
    let mut db = app.admin().await;
    sqlx::query("UPDATE memberships SET role = 'clinic_staff' WHERE user_id = $1")
        .bind(boss.id)
        .execute(&mut db)
        .await
        .unwrap();
    run_exports(&app).await;
    let (state, error, chunks): (String, Option<String>, i64) = sqlx::query_as(
        "SELECT state, error, (SELECT count(*) FROM data_export_chunks c WHERE c.export_id = e.id)
         FROM data_exports e WHERE organization_id = $1",
    )
    .bind(org)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(state, "failed");
    assert!(error.unwrap().contains("no longer"));
    assert_eq!(chunks, 0);

    // The application role cannot write chunks for someone else's export
    // nor mark one ready: the policies hold even without the code.
    let other = app
        .user("other-admin@exports.test", Some(org), Role::ClinicAdmin)
        .await;
    let mut conn = app::db::begin(&app.pool).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.user_id', $1, true), set_config('app.org_id', $2, true),
                set_config('app.role', 'clinic_admin', true)",
    )
    .bind(other.id.to_string())
    .bind(org.to_string())
    .execute(&mut *conn)
    .await
    .unwrap();
    let export: Uuid = sqlx::query_scalar("SELECT id FROM data_exports LIMIT 1")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let err = sqlx::query(
        "INSERT INTO data_export_chunks (organization_id, export_id, file, seq, bytes)
         VALUES ($1, $2, 'patients.csv', 0, '\\x41')",
    )
    .bind(org)
    .bind(export)
    .execute(&mut *conn)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("row-level security"), "{err}");
}
