//! Upgrading a live database: work queued by the loops the job runner
//! replaced (mail, webhook messages, unsent domain events) becomes jobs,
//! nothing dropped. Runs the migrations up to the runner's, seeds the old
//! queues, then runs the rest.

#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

const RUNNER: &str = "20261130000100";

fn migrations() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(p).unwrap())
        })
        .collect()
}

async fn apply(conn: &mut PgConnection, files: &[(String, String)]) {
    // As the start-up does before migrating (server/src/db.rs).
    sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::raw_sql("SET ROLE carethread_owner")
        .execute(&mut *conn)
        .await
        .unwrap();
    for (name, sql) in files {
        sqlx::raw_sql(sql)
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    sqlx::raw_sql("RESET ROLE")
        .execute(&mut *conn)
        .await
        .unwrap();
}

#[tokio::test]
async fn work_queued_before_the_runner_existed_becomes_jobs() {
    // The test app brings up the cluster and its roles; the upgrade runs
    // in a database of its own.
    let app = TestApp::spawn().await;
    let name = format!("upgrade_{}", Uuid::new_v4().simple());
    let mut admin = app.admin().await;
    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let url = app.urls.admin.expose();
    let url = format!("{}/{name}", &url[..url.rfind('/').unwrap()]);
    let mut db = PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(
        "GRANT USAGE, CREATE ON SCHEMA public TO carethread_owner;
         GRANT USAGE ON SCHEMA public TO carethread_app;
         GRANT USAGE ON SCHEMA public TO carethread_worker;",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let (before, after): (Vec<_>, Vec<_>) = migrations()
        .into_iter()
        .partition(|(name, _)| name.as_str() < RUNNER);
    apply(&mut db, &before).await;

    // The old queues, as a running system would have left them.
    let mail: Uuid = sqlx::query_scalar(
        "INSERT INTO mail_outbox (template, recipient, subject, body_text, body_html)
         VALUES ('password_reset', 'sam@example.org', 'Reset', 'text', '<p>html</p>')
         RETURNING id",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    let org: Uuid = sqlx::query_scalar(
        "INSERT INTO organizations (name, kind) VALUES ('Riverbend', 'clinic') RETURNING id",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    let event: Uuid = sqlx::query_scalar(
        "INSERT INTO domain_events (organization_id, event_type, subject_id)
         VALUES ($1, 'referral.created', gen_random_uuid()) RETURNING id",
    )
    .bind(org)
    .fetch_one(&mut db)
    .await
    .unwrap();
    let endpoint: Uuid = sqlx::query_scalar(
        "INSERT INTO webhook_endpoints (organization_id, url, events, secret)
         VALUES ($1, 'https://example.org/h', ARRAY['ping'],
                 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')
         RETURNING id",
    )
    .bind(org)
    .fetch_one(&mut db)
    .await
    .unwrap();
    let delivery: Uuid = sqlx::query_scalar(
        "INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_type, body)
         VALUES ($1, $2, 'ping', '{}') RETURNING id",
    )
    .bind(org)
    .bind(endpoint)
    .fetch_one(&mut db)
    .await
    .unwrap();

    apply(&mut db, &after).await;

    let jobs: Vec<(String, serde_json::Value)> =
        sqlx::query_as("SELECT kind, payload FROM jobs WHERE state = 'queued' ORDER BY kind")
            .fetch_all(&mut db)
            .await
            .unwrap();
    let find = |kind: &str| {
        jobs.iter()
            .find(|(k, _)| k == kind)
            .unwrap_or_else(|| panic!("no {kind} job in {jobs:?}"))
            .1
            .clone()
    };
    assert_eq!(find("mail.deliver")["mail_id"], mail.to_string());
    assert_eq!(find("webhook.deliver")["delivery_id"], delivery.to_string());
    let fan_out = find("events.fan_out");
    assert_eq!(fan_out["event_id"], event.to_string());
    assert_eq!(
        (fan_out["mail"].clone(), fan_out["webhooks"].clone()),
        (true.into(), true.into())
    );
    // And the tables are forced under row-level security again.
    let forced: Vec<bool> = sqlx::query_scalar(
        "SELECT relforcerowsecurity FROM pg_class
         WHERE relname IN ('mail_outbox', 'webhook_deliveries', 'domain_events')",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    assert_eq!(forced, [true, true, true]);

    db.close().await.unwrap();
    sqlx::raw_sql(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}
