//! Outgoing mail: filed in the transaction of the change, readable only by
//! the worker role, delivered over real SMTP, kept and retried while the
//! SMTP server is down, bodies erased once sent, and no PHI in any body.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::{Options, TestApp};
use server::config::Secret;
use server::mail::worker::{deliver_due, Mailer};
use std::time::Duration;

async fn request_reset(app: &TestApp, email: &str) {
    let res = app
        .rpc(
            &TestApp::browser(),
            "auth/forgot-password",
            &[("email", email)],
        )
        .await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn the_web_role_files_mail_it_can_never_read_back() {
    let app = TestApp::spawn().await;
    let err = sqlx::query("SELECT * FROM mail_outbox")
        .fetch_all(&app.pool)
        .await
        .unwrap_err();
    let code = err.as_database_error().and_then(|e| e.code()).unwrap();
    assert_eq!(code, "42501", "insufficient_privilege");
}

#[tokio::test]
async fn mail_waits_while_smtp_is_down_and_goes_out_on_a_retry() {
    let app = TestApp::spawn_with(Options {
        without_worker: true,
        ..Options::default()
    })
    .await;
    let user = app.user("sam@riverbend.example", None, Role::Family).await;

    // An SMTP server that is not there: a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead_port = closed.local_addr().unwrap().port();
    drop(closed);
    let down = Mailer::new(
        &Secret::new(format!("smtp://127.0.0.1:{dead_port}")),
        "Carethread <no-reply@carethread.test>",
        Duration::from_secs(60),
    )
    .unwrap();

    let mut admin = app.admin().await;
    request_reset(&app, &user.email).await;
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(queued, 1);
    let round = deliver_due(&app.worker_pool, &down).await.unwrap();
    assert_eq!(round.failed, 1, "{round:?}");
    let (status, attempts, error, wait): (String, i32, Option<String>, f64) = sqlx::query_as(
        "SELECT status::text, attempts, last_error,
                extract(epoch FROM next_attempt_at - now())::float8
         FROM mail_outbox",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(status, "queued");
    assert_eq!(attempts, 1);
    assert!(error.is_some());
    assert!(wait > 30.0, "backs off before retrying: {wait}");

    // Later, with the server back, the retry delivers it.
    sqlx::query("UPDATE jobs SET run_at = now() WHERE kind = 'mail.deliver'")
        .execute(&mut admin)
        .await
        .unwrap();
    app.wait_for_mail(&user.email, "Reset").await;
    let (status, attempts, body): (String, i32, Option<String>) =
        sqlx::query_as("SELECT status::text, attempts, body_text FROM mail_outbox")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(status, "sent");
    assert_eq!(attempts, 2);
    assert_eq!(body, None, "the body (with its link) is erased once sent");
}

#[tokio::test]
async fn an_address_the_server_can_never_accept_fails_without_retrying() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    sqlx::query(
        "INSERT INTO mail_outbox (template, recipient, subject, body_text, body_html)
         VALUES ('password_reset', 'not an address@@x', 'Hello', 'text', '<p>html</p>')",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    for _ in 0..50 {
        app.deliver_mail().await;
        let status: String = sqlx::query_scalar("SELECT status::text FROM mail_outbox")
            .fetch_one(&mut admin)
            .await
            .unwrap();
        if status == "failed" {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the message was never given up");
}

#[tokio::test]
async fn the_dev_mailbox_shows_what_the_sink_received() {
    let app = TestApp::spawn().await;
    let user = app.user("sam@riverbend.example", None, Role::Family).await;
    request_reset(&app, &user.email).await;
    app.wait_for_mail(&user.email, "Reset").await;
    let page = app.get("/dev/mail").await.text().await.unwrap();
    assert!(page.contains("Reset your Carethread password"));
    assert!(page.contains("<a href=\"http"));
    let json: serde_json::Value = app.get("/dev/mail.json").await.json().await.unwrap();
    assert_eq!(json[0]["to"][0], "sam@riverbend.example");
}

#[tokio::test]
async fn a_rolled_back_change_sends_nothing() {
    let app = TestApp::spawn().await;
    // A reset request for an address with no account files nothing at all.
    request_reset(&app, "nobody@riverbend.example").await;
    let mut admin = app.admin().await;
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(queued, 0);
}
