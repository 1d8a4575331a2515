//! `GET /api/v1/health` with the database up and down.

// Integration tests: a panic is the failure message.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use serde_json::Value;

#[tokio::test]
async fn healthy_when_the_database_answers() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/health").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "ok");
    assert_eq!(body["checks"]["database"]["status"], "ok");
    assert!(body["checks"]["database"]["latency_ms"].is_u64());
}

#[tokio::test]
async fn unavailable_503_when_the_database_is_down() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/api/v1/health").await.status(), 200);
    app.drop_database().await;
    let res = app.get("/api/v1/health").await;
    assert_eq!(res.status(), 503);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["checks"]["database"]["status"], "unavailable");
}

#[tokio::test]
async fn the_probe_records_into_the_uptime_figure() {
    let app = TestApp::spawn().await;
    let check = server::health::check_database(&app.pool).await;
    assert!(check.ok);
    server::probe::record(&app.pool, check).await.unwrap();
    let v: Value = app.get("/trust.json").await.json().await.unwrap();
    assert_eq!(v["uptime"]["percent"].as_f64(), Some(100.0));
    assert_eq!(v["uptime"]["up_minutes"], 1);
}

#[tokio::test]
async fn unknown_api_paths_are_json_404s() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/no-such-thing").await;
    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}
