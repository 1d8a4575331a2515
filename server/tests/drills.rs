//! Reliability drills that take seconds, not minutes, so they run with
//! every test (issue 17; the slower ones are under `scripts/drill/`):
//! - a statement stuck behind a lock answers 503 with `Retry-After` within
//!   the statement timeout, leaves nothing half-written, and the same
//!   request succeeds once the lock is gone;
//! - the webhook worker process SIGKILLed in the middle of deliveries to a
//!   receiver that answers 500 to one request in five: after a second
//!   process takes over, every message has arrived and is recorded as
//!   delivered once, and a message seen twice carries the same id both
//!   times (so a receiver that deduplicates on `webhook-id` sees it once).

#![allow(clippy::unwrap_used)]

mod common;

use axum::http::{HeaderMap, StatusCode};
use common::{Options, TestApp, Tuning};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(1);
/// Deliveries one webhook worker process runs at once: at most this many
/// can be in flight when it is killed.
const IN_FLIGHT: usize = 4;

#[tokio::test]
async fn a_statement_stuck_on_a_lock_answers_503_within_the_statement_timeout() {
    let app = TestApp::spawn_with(Options {
        tuning: Tuning {
            statement_timeout: Some(TIMEOUT),
            ..Tuning::default()
        },
        ..Options::default()
    })
    .await;
    let referrer = app.org("referrer", "Mercy General Hospital").await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    app.verified_clinician("Ana Ruiz, RN", "43215", Some(clinic))
        .await;
    let key = server::operator::create_api_key(&app.urls.admin, referrer, "EHR")
        .await
        .unwrap();
    let start = (time::OffsetDateTime::now_utc().date() + time::Duration::days(2)).to_string();
    let body = json!({
        "patient": { "initials": "JD", "birth_year": 1948 },
        "zip": "43215",
        "primary_diagnosis": "CHF",
        "care_type": "Skilled Nursing",
        "priority": "priority",
        "requested_start": start,
    });
    let url = |path: &str| app.url(&format!("/api/v1{path}"));
    let created: Value = app
        .client
        .post(url("/discharge-referrals"))
        .bearer_auth(&key)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    let read = || {
        app.client
            .get(url(&format!("/discharge-referrals/{id}")))
            .bearer_auth(&key)
            .send()
    };
    assert_eq!(read().await.unwrap().status(), 200);

    // An operator's migration, say, holding the referrals' history: the
    // key checks out (it reads no history), the read and the write start,
    // and each blocks on the history, the write after inserting its
    // referral.
    let mut holder = app.admin().await;
    sqlx::raw_sql("BEGIN; LOCK TABLE referral_history IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();

    for request in [
        read(),
        app.client
            .post(url("/discharge-referrals"))
            .bearer_auth(&key)
            .json(&body)
            .send(),
    ] {
        let asked = Instant::now();
        let res = request.await.unwrap();
        let waited = asked.elapsed();
        assert_eq!(res.status(), 503, "{:?}", res.text().await);
        assert_eq!(res.headers()["retry-after"], "5");
        let error: Value = res.json().await.unwrap();
        assert_eq!(error["error"]["code"], "unavailable");
        // It waited on the lock, and gave up when the timeout said so, not
        // at the client's deadline. (A bound on correctness, far from any
        // performance figure.)
        assert!(waited >= TIMEOUT, "answered before the lock could time out");
        assert!(waited < TIMEOUT * 8, "took {waited:?}");
    }

    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    assert_eq!(read().await.unwrap().status(), 200);
    // The write that gave up left nothing behind: one referral, as before,
    // though it had inserted its own before it blocked.
    let referrals: i64 = sqlx::query_scalar("SELECT count(*) FROM referrals")
        .fetch_one(&mut holder)
        .await
        .unwrap();
    assert_eq!(referrals, 1);
}

/// Not a test: the body of a webhook worker process, started by the drill
/// below as `<this binary> webhook_worker_process --exact --ignored`. It
/// runs the real fan-out and delivery jobs on the database named in the
/// environment until it is killed.
#[tokio::test]
#[ignore = "run by the webhook drill as a child process"]
async fn webhook_worker_process() {
    let Ok(url) = std::env::var("DRILL_WORKER_URL") else {
        return;
    };
    let pool = server::db::worker_pool(&server::config::Secret::new(url))
        .await
        .unwrap();
    let sender = server::webhooks::Sender::new(app::developer::destination::Policy {
        https_only: false,
        allow_loopback: true,
        ports: None,
    })
    .unwrap()
    .with_retry_base(Duration::from_millis(100));
    let (_stop, shutdown) = server::jobs::Shutdown::channel();
    server::jobs::Runner::new(pool)
        .register(server::events::FanOut {
            public_url: "http://127.0.0.1".into(),
        })
        .register(server::webhooks::Deliver::new(sender))
        .concurrency(IN_FLIGHT)
        .lease(Duration::from_secs(2))
        .poll(Duration::from_millis(50))
        .spawn(shutdown)
        .await
        .unwrap();
}

/// A webhook worker in a process of its own, so that it can be SIGKILLed.
struct WorkerProcess(Child);

impl WorkerProcess {
    fn start(app: &TestApp) -> Self {
        let child = Command::new(std::env::current_exe().unwrap())
            .args(["webhook_worker_process", "--exact", "--ignored"])
            .env("DRILL_WORKER_URL", app.urls.worker.expose())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Self(child)
    }

    /// SIGKILL: no shutdown, nothing put back.
    fn kill(mut self) {
        self.0.kill().unwrap();
        self.0.wait().unwrap();
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn webhooks_survive_a_sigkilled_worker_and_a_failing_receiver_delivered_once_each() {
    const MESSAGES: usize = 60;
    let app = TestApp::spawn_with(Options {
        without_worker: true,
        ..Options::default()
    })
    .await;
    let referrer = app.org("referrer", "Mercy General Hospital").await;
    let key = server::operator::create_api_key(&app.urls.admin, referrer, "EHR")
        .await
        .unwrap();

    // The receiver: every fifth request answers 500; it records the
    // webhook-id of each request it accepted.
    let seen = Arc::new(AtomicUsize::new(0));
    let accepted: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let router = {
        let (seen, accepted) = (seen.clone(), accepted.clone());
        axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap| {
                let (seen, accepted) = (seen.clone(), accepted.clone());
                async move {
                    if seen.fetch_add(1, Ordering::SeqCst) % 5 == 4 {
                        return StatusCode::INTERNAL_SERVER_ERROR;
                    }
                    let id = headers["webhook-id"].to_str().unwrap().to_owned();
                    *accepted.lock().unwrap().entry(id).or_default() += 1;
                    StatusCode::OK
                }
            }),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hooks = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    let api = |method: reqwest::Method, path: &str| {
        app.client
            .request(method, app.url(&format!("/api/v1{path}")))
            .bearer_auth(&key)
    };
    let created: Value = api(reqwest::Method::POST, "/webhooks")
        .json(&json!({ "url": hooks, "events": ["ping"], "description": "drill" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let endpoint = created["data"]["id"].as_str().unwrap().to_owned();
    let mut filed = Vec::new();
    for _ in 0..MESSAGES {
        let res = api(reqwest::Method::POST, &format!("/webhooks/{endpoint}/ping"))
            .send()
            .await
            .unwrap();
        assert!(res.status().is_success(), "{}", res.status());
        let body: Value = res.json().await.unwrap();
        filed.push(body["data"]["delivery_id"].as_str().unwrap().to_owned());
    }

    // The first worker gets some way through, and is killed.
    let first = WorkerProcess::start(&app);
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.load(Ordering::SeqCst) < MESSAGES / 3 {
        assert!(
            Instant::now() < deadline,
            "the first worker delivered nothing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill();
    let at_kill = seen.load(Ordering::SeqCst);
    assert!(at_kill < MESSAGES, "killed too late to mean anything");

    // A second process takes over and finishes.
    let second = WorkerProcess::start(&app);
    let mut admin = app.admin().await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let delivered: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'",
        )
        .fetch_one(&mut admin)
        .await
        .unwrap();
        if delivered == MESSAGES as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{delivered} of {MESSAGES} delivered"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(second);

    let accepted = accepted.lock().unwrap().clone();
    for id in &filed {
        assert!(accepted.contains_key(id), "message {id} never arrived");
    }
    assert_eq!(
        accepted.len(),
        MESSAGES,
        "nothing arrived that was not filed"
    );
    // Each message is recorded delivered by exactly one successful attempt.
    let successes: Vec<i64> = sqlx::query_scalar(
        "SELECT count(a.*) FILTER (WHERE a.status_code BETWEEN 200 AND 299)
         FROM webhook_deliveries d
         LEFT JOIN webhook_attempts a ON a.organization_id = d.organization_id AND a.delivery_id = d.id
         GROUP BY d.id",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(successes.len(), MESSAGES);
    // A message the killed worker had sent but not yet recorded may
    // arrive again, under its same id; no other arrives twice.
    let twice = accepted.values().filter(|n| **n > 1).count();
    eprintln!(
        "killed after {at_kill} requests; {} requests in all; {twice} arrived twice",
        seen.load(Ordering::SeqCst)
    );
    assert!(
        twice <= IN_FLIGHT,
        "{twice} messages arrived more than once"
    );
    assert!(
        successes.iter().filter(|n| **n != 1).count() <= twice,
        "{successes:?}"
    );
    // The 500s were logged as failed attempts, and those messages retried
    // to delivery (all are delivered, above).
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM webhook_attempts WHERE status_code = 500")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert!(failed >= 1, "no failed attempt was logged");
}
