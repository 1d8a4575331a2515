//! Reliability drills that take seconds, not minutes, so they run with
//! every test (issue 17; the slower ones are under `scripts/drill/`):
//! - a statement stuck behind a lock answers 503 with `Retry-After` within
//!   the statement timeout, leaves nothing half-written, and the same
//!   request succeeds once the lock is gone;
//! - the webhook worker process SIGKILLed in the middle of deliveries to a
//!   receiver that answers 500 to one request in five: after a second
//!   process takes over, every message has arrived and is recorded as
//!   delivered once, and a message seen twice carries the same id both
//!   times (so a receiver that deduplicates on `webhook-id` sees it once);
//! - the payout worker process SIGKILLed in the middle of settling thirty
//!   signed, countersigned visits, two of them held at the worst moment
//!   (the money sent to the clinician, the transaction recording it not
//!   committed): after a second process takes over, every visit is paid
//!   exactly once, its card captured once, one transfer sent, one payout
//!   posted, and the processor's book agrees with the ledger to the cent;
//! - a request dropped while its transaction's `BEGIN` is on the wire (the
//!   browser moved on) hands its connection back to the pool outside any
//!   transaction, however late or early it is cut off.

#![allow(clippy::unwrap_used)]

mod common;

use app::payments::processor::{local::LocalProcessor, Processor};
use axum::http::{HeaderMap, StatusCode};
use common::{BookingWorld, Options, TestApp, Tuning};
use futures_util::future::join_all;
use futures_util::FutureExt;
use serde_json::{json, Value};
use sqlx::Connection;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use uuid::Uuid;

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
    let Some(pool) = drill_worker_pool().await else {
        return;
    };
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

/// A worker process's pool, sized as the server sizes it, on the database
/// its drill named in `DRILL_WORKER_URL`; `None` when run as a plain test
/// (the drills start these processes; alone they do nothing).
async fn drill_worker_pool() -> Option<sqlx::PgPool> {
    let url = std::env::var("DRILL_WORKER_URL").ok()?;
    let pool = server::db::worker_pool(
        &server::config::Secret::new(url),
        server::jobs::WORKER_POOL_CONNECTIONS,
    )
    .await
    .unwrap();
    Some(pool)
}

/// A worker in a process of its own, so that it can be SIGKILLed: `body`
/// names the ignored test that is the process (`webhook_worker_process`,
/// `payout_worker_process`).
struct WorkerProcess(Child);

impl WorkerProcess {
    fn start(app: &TestApp, body: &str) -> Self {
        let child = Command::new(std::env::current_exe().unwrap())
            .args([body, "--exact", "--ignored"])
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
    let first = WorkerProcess::start(&app, "webhook_worker_process");
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
    let second = WorkerProcess::start(&app, "webhook_worker_process");
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

/// What the nurses charge for a visit, in cents.
const RATE: i64 = 9500;
const CARD: &str = "4242 4242 4242 4242";

/// Not a test: the body of a payout worker process, started by the drill
/// below as `<this binary> payout_worker_process --exact --ignored`. It
/// runs the real `payments.settle` jobs, with the local processor on the
/// worker's pool as the server builds it, as many at once as the server
/// runs them (the runner's default), until it is killed.
#[tokio::test]
#[ignore = "run by the payout drill as a child process"]
async fn payout_worker_process() {
    let Some(pool) = drill_worker_pool().await else {
        return;
    };
    let processor = Processor::Local(LocalProcessor::new(pool.clone()));
    let (_stop, shutdown) = server::jobs::Shutdown::channel();
    server::jobs::Runner::new(pool)
        .register(server::payments::Settle { processor })
        .lease(Duration::from_secs(2))
        .poll(Duration::from_millis(50))
        .spawn(shutdown)
        .await
        .unwrap();
}

/// Books `b`'s next `n` openings and takes each as far as a visit goes
/// before its payout: confirmed with a card (the hold placed and posted),
/// accepted, checked in and out, its log signed by the nurse and
/// countersigned by the family, which makes the payout due now. The
/// visits' ids.
async fn visits_due_for_payout(app: &TestApp, b: &BookingWorld, n: usize) -> Vec<String> {
    let clinician = b.clinician.to_string();
    let page = app
        .call(&b.family, "family/clinicians/get", &[("id", &clinician)])
        .await;
    let page: Value = serde_json::from_str(&page).unwrap();
    let openings: Vec<String> = page["openings"].as_array().unwrap()[..n]
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect();
    let mut visits = Vec::new();
    for starts in &openings {
        let key = Uuid::new_v4().to_string();
        let hold = [
            ("clinician", clinician.as_str()),
            ("starts", starts.as_str()),
            ("service", "skilled_nursing"),
            ("recipient", b.recipient.as_str()),
            ("key", key.as_str()),
        ];
        let visit = app.call(&b.family, "family/book/hold", &hold).await;
        let visit: String = serde_json::from_str(&visit).unwrap();
        let id = visit.as_str();
        app.call(
            &b.family,
            "family/visits/confirm",
            &[("id", id), ("card", CARD)],
        )
        .await;
        let accept = [("id", id), ("action", "accept")];
        app.call(&b.nurse, "visits/respond", &accept).await;
        let check_in = [
            ("id", id),
            ("step", "in"),
            ("lat", "39.96"),
            ("lon", "-83.00"),
        ];
        app.call(&b.nurse, "visits/check", &check_in).await;
        let check_out = [("id", id), ("step", "out"), ("exception", "no_signal")];
        app.call(&b.nurse, "visits/check", &check_out).await;
        let sync_key = Uuid::new_v4().to_string();
        let outcomes: Vec<String> = (0..5).map(|i| format!("outcomes[{i}]")).collect();
        let mut sign = vec![
            ("id", id),
            ("sync_key", sync_key.as_str()),
            ("clinician_signature", "Nia Nurse"),
        ];
        sign.extend(outcomes.iter().map(|o| (o.as_str(), "done")));
        app.call(&b.nurse, "visits/sign", &sign).await;
        app.call(&b.family, "family/visits/countersign", &[("id", id)])
            .await;
        visits.push(visit);
    }
    visits
}

/// How many payments are paid, and how many are not though their
/// transfer has been sent: money out, not yet on the book.
async fn payout_progress(admin: &mut sqlx::PgConnection) -> (i64, i64) {
    sqlx::query_as(
        "SELECT count(*) FILTER (WHERE p.state = 'paid'),
                count(*) FILTER (WHERE p.state <> 'paid' AND t.id IS NOT NULL)
         FROM visit_payments p
         LEFT JOIN local_processor_transfers t ON t.idempotency_key = 'payout-' || p.visit_id",
    )
    .fetch_one(admin)
    .await
    .unwrap()
}

/// One visit's money, as the payment, the processor and the ledger record it.
#[derive(Debug, sqlx::FromRow)]
struct Settled {
    visit: String,
    state: String,
    amount: i64,
    /// The processor's payment: its state, and what it took and gave back.
    card: String,
    captured: i64,
    refunded: i64,
    /// Transfers under the visit's payout key.
    keyed_transfers: i64,
    /// Whether the payment names that transfer, to the nurse, for the amount.
    transfer_matches: bool,
    authorizations: i64,
    captures: i64,
    payouts: i64,
}

/// The balance of the ledger's accounts of `kind`: the nurse `user`'s, or
/// with None everyone's.
async fn balance(admin: &mut sqlx::PgConnection, kind: &str, user: Option<Uuid>) -> i64 {
    sqlx::query_scalar(
        "SELECT coalesce(sum(e.amount_cents), 0)::bigint FROM ledger_entries e
         JOIN ledger_accounts a ON a.id = e.account_id
         WHERE a.kind = $1::ledger_account_kind AND ($2::uuid IS NULL OR a.owner_user = $2)",
    )
    .bind(kind)
    .bind(user)
    .fetch_one(admin)
    .await
    .unwrap()
}

/// A payout worker SIGKILLed with settlements in flight, two of them held
/// between the transfer to the clinician and the commit that records it,
/// and a second worker finishing the queue: every visit ends paid exactly
/// once. The card captured once at the rate, one transfer under the
/// visit's key (and no other transfer at all: the processor's book and the
/// ledger agree to the cent), one capture and one payout posting, nothing
/// left pending or payable, and no settlement given up on.
#[tokio::test]
async fn a_payout_worker_sigkilled_mid_transfer_pays_each_visit_exactly_once() {
    const NURSES: usize = 3;
    const EACH: usize = 10;
    const VISITS: usize = NURSES * EACH;
    /// Settlements held where dying costs the most.
    const HELD: usize = 2;
    let app = TestApp::spawn_with(Options {
        without_worker: true,
        ..Options::default()
    })
    .await;
    // Three families booking three nurses at once, through the server
    // functions: thirty signed, countersigned visits, each with a
    // `payments.settle` job due now and nothing run yet.
    let tags: Vec<String> = (0..NURSES).map(|i| format!("payout{i}")).collect();
    let bookers = join_all(tags.iter().map(|tag| app.booking_world(tag, RATE / 100))).await;
    let visits: Vec<String> =
        join_all(bookers.iter().map(|b| visits_due_for_payout(&app, b, EACH)))
            .await
            .concat();
    let mut admin = app.admin().await;
    // In the order a worker claims them (`run_at`).
    let due: Vec<String> = sqlx::query_scalar(
        "SELECT payload->>'visit_id' FROM jobs
         WHERE kind = 'payments.settle' AND state = 'queued' AND run_at <= now()
         ORDER BY run_at",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    let (mut filed, mut booked) = (due.clone(), visits.clone());
    filed.sort();
    booked.sort();
    assert_eq!(booked.len(), VISITS);
    assert_eq!(filed, booked, "one due settlement per visit");

    // The first two a worker claims are held at the worst moment to die:
    // the card captured and the money sent to the nurse (the processor
    // commits on its own), the transaction that records it on the book and
    // marks the payment paid still open. An uncommitted ledger transaction
    // under the payout posting's key does it: `ledger_post`'s insert of
    // that key waits for this one to end. The accounts the postings use
    // are made first (as any earlier payout would have), so the held
    // settlements hold nothing the others need.
    let held = &due[..HELD];
    sqlx::query(
        "INSERT INTO ledger_accounts (kind, owner_user)
         SELECT 'clinician_payable'::ledger_account_kind, u FROM unnest($1::uuid[]) u
         UNION ALL SELECT 'processor_cash'::ledger_account_kind, NULL::uuid",
    )
    .bind(bookers.iter().map(|b| b.nurse_user).collect::<Vec<_>>())
    .execute(&mut admin)
    .await
    .unwrap();
    let mut holder = app.admin().await;
    let mut door = holder.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO ledger_transactions (kind, memo, scope, idempotency_key)
         SELECT 'payout'::ledger_entry_kind, 'Held by the payout drill',
                '00000000-0000-0000-0000-000000000000'::uuid, 'payout-' || v
         FROM unnest($1::text[]) v",
    )
    .bind(held)
    .execute(&mut *door)
    .await
    .unwrap();

    // The first worker pays some, sends the held ones' money, and is
    // killed.
    let started = Instant::now();
    let first = WorkerProcess::start(&app, "payout_worker_process");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (paid, in_flight) = payout_progress(&mut admin).await;
        if paid >= (VISITS / 3) as i64 && in_flight >= HELD as i64 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the first worker paid {paid} and sent {in_flight} unrecorded"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill();
    let (paid_at_kill, in_flight_at_kill) = payout_progress(&mut admin).await;
    assert!(paid_at_kill > 0, "killed before anything was paid");
    assert!(
        paid_at_kill < VISITS as i64,
        "killed too late to mean anything"
    );
    assert!(
        in_flight_at_kill >= HELD as i64,
        "no money was out and unrecorded when the worker died"
    );

    // The door opens (the dead worker's transactions roll back once its
    // sessions see it gone), and a second process takes over and
    // finishes: the held visits' settlements run again from the start.
    door.rollback().await.unwrap();
    let second = WorkerProcess::start(&app, "payout_worker_process");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (paid, _) = payout_progress(&mut admin).await;
        if paid == VISITS as i64 {
            break;
        }
        assert!(Instant::now() < deadline, "{paid} of {VISITS} paid");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(second);
    eprintln!(
        "killed with {paid_at_kill} of {VISITS} paid and {in_flight_at_kill} sent but unrecorded; \
         all paid {:?} after the first worker started",
        started.elapsed()
    );

    // Each visit, on all three books.
    let settled: Vec<Settled> = sqlx::query_as(
        "SELECT p.visit_id::text AS visit, p.state::text AS state, p.amount_cents AS amount,
                l.state::text AS card, l.captured_cents AS captured, l.refunded_cents AS refunded,
                (SELECT count(*) FROM local_processor_transfers t
                 WHERE t.idempotency_key = 'payout-' || p.visit_id) AS keyed_transfers,
                EXISTS (SELECT FROM local_processor_transfers t
                        WHERE t.id = p.transfer_id AND t.idempotency_key = 'payout-' || p.visit_id
                          AND t.amount_cents = p.amount_cents
                          AND t.destination = 'clinician-' || p.clinician_user_id) AS transfer_matches,
                (SELECT count(*) FROM ledger_transactions x WHERE x.subject_type = 'visit'
                   AND x.subject_id = p.visit_id AND x.kind = 'authorize') AS authorizations,
                (SELECT count(*) FROM ledger_transactions x WHERE x.subject_type = 'visit'
                   AND x.subject_id = p.visit_id AND x.kind = 'capture') AS captures,
                (SELECT count(*) FROM ledger_transactions x WHERE x.subject_type = 'visit'
                   AND x.subject_id = p.visit_id AND x.kind = 'payout') AS payouts
         FROM visit_payments p JOIN local_processor_payments l ON l.id = p.authorization_id
         ORDER BY p.visit_id",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    let mut paid: Vec<String> = settled.iter().map(|s| s.visit.clone()).collect();
    paid.sort();
    assert_eq!(paid, booked, "the payments are the booked visits'");
    for s in &settled {
        assert_eq!(
            (
                s.state.as_str(),
                s.amount,
                s.card.as_str(),
                s.captured,
                s.refunded
            ),
            ("paid", RATE, "captured", RATE, 0),
            "{s:?}"
        );
        assert_eq!(s.keyed_transfers, 1, "{s:?}");
        assert!(s.transfer_matches, "{s:?}");
        assert_eq!(
            (s.authorizations, s.captures, s.payouts),
            (1, 1, 1),
            "{s:?}"
        );
    }

    // The processor sent exactly what the ledger says was paid out, and no
    // more: a settlement that sent a held visit's money again under any
    // other key shows here, though every visit looks paid once above.
    let (transfers, sent): (i64, i64) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(amount_cents), 0)::bigint FROM local_processor_transfers",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    let (captured_cards, taken): (i64, i64) = sqlx::query_as(
        "SELECT count(*), coalesce(sum(captured_cents), 0)::bigint FROM local_processor_payments
         WHERE state = 'captured'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    let all = VISITS as i64 * RATE;
    assert_eq!((transfers, sent), (VISITS as i64, all));
    assert_eq!((captured_cards, taken), (VISITS as i64, all));
    let paid_out: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(e.amount_cents), 0)::bigint FROM ledger_transactions x
         JOIN ledger_entries e ON e.transaction_id = x.id
         JOIN ledger_accounts a ON a.id = e.account_id
         WHERE x.kind = 'payout' AND a.kind = 'clinician_payable'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        paid_out, sent,
        "the ledger's payouts and the processor's transfers"
    );

    // Nothing left owed, held or sitting at the processor, and every
    // transaction balances.
    for b in &bookers {
        let nurse = Some(b.nurse_user);
        assert_eq!(balance(&mut admin, "clinician_pending", nurse).await, 0);
        assert_eq!(balance(&mut admin, "clinician_payable", nurse).await, 0);
    }
    assert_eq!(balance(&mut admin, "payer_holds", None).await, 0);
    assert_eq!(balance(&mut admin, "processor_cash", None).await, 0);
    let unbalanced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries
                               GROUP BY transaction_id HAVING sum(amount_cents) <> 0) t",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(unbalanced, 0);

    // The held visits were paid by a second attempt, after the kill; no
    // settlement was given up on.
    let retried: Vec<i32> = sqlx::query_scalar(
        "SELECT attempts FROM jobs WHERE kind = 'payments.settle' AND state = 'done'
           AND payload->>'visit_id' = ANY($1)",
    )
    .bind(held)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(retried.len(), HELD);
    assert!(retried.iter().all(|a| *a >= 2), "{retried:?}");
    let dead: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'payments.settle' AND state = 'dead'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(dead, 0);
}

/// sqlx's own `Pool::begin` counts a transaction as open only once `BEGIN`
/// has been answered: cut off before that, it handed the connection back
/// inside an open transaction, and the next borrower's autocommit writes (a
/// session saved) ran in it, invisible to every other connection until a
/// later commit on that one. `app::db::begin` finishes the round trip in a
/// task of its own.
#[tokio::test]
async fn a_request_dropped_while_its_transaction_begins_leaves_no_transaction_behind() {
    let app = TestApp::spawn().await;
    let poisoned =
        cut_off_begins(&app, 400, |pool| async move { app::db::begin(&pool).await }).await;
    assert_eq!(
        poisoned, None,
        "the connection came back inside a transaction"
    );
}

/// The same cuts through sqlx's own `Pool::begin`, more of them: some round
/// finds the connection inside a transaction (about one in a hundred here;
/// rounds 11 and 85 in the two runs before `app::db::begin` existed, none
/// in 400 once with the machine busy). Run by hand (`--ignored`) to see the
/// fault `app::db::begin` works around; once this fails, a sqlx with the
/// fix is in Cargo.lock and the workaround can go.
#[tokio::test]
#[ignore = "shows sqlx's own fault; run with --ignored"]
async fn sqlx_own_begin_cut_off_leaves_a_transaction_behind() {
    let app = TestApp::spawn().await;
    #[expect(clippy::disallowed_methods)]
    let poisoned = cut_off_begins(&app, 2000, |pool| async move { pool.begin().await }).await;
    assert!(poisoned.is_some(), "sqlx's begin no longer leaves one");
}

/// Cuts `begin` off at `rounds` different moments on a pool of one
/// connection, and returns the first round after which that connection
/// came back inside a transaction.
async fn cut_off_begins<B, F>(app: &TestApp, rounds: u32, begin: B) -> Option<u32>
where
    B: Fn(sqlx::PgPool) -> F,
    F: std::future::Future<
        Output = Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error>,
    >,
{
    // One connection, so every round gets back the one the last round cut
    // off (once that round's task, if any, has let go of it).
    let settings = server::db::PoolSettings {
        max_connections: 1,
        ..Default::default()
    };
    let pool = server::db::lazy_app_pool(&app.urls.app, "carethread-drill", settings).unwrap();
    for round in 0..rounds {
        // Cut off at a different moment each round: before a connection is
        // taken, while it is checked, while `BEGIN` is on the wire, after.
        // (A timer cannot cut finer than a millisecond, and the whole
        // begin takes less: the future is polled by hand instead, the
        // runtime's I/O driver running between polls.)
        let mut begun = Box::pin(begin(pool.clone()));
        for _ in 0..round % 40 {
            if (&mut begun).now_or_never().is_some() {
                break;
            }
            // Blocking on purpose: the database's answer arrives while
            // the runtime cannot read it, so later rounds find more of the
            // begin done at each poll.
            std::thread::sleep(Duration::from_micros(u64::from(round / 40 % 10) * 20));
            tokio::task::yield_now().await;
        }
        drop(begun);
        let mut conn = pool.acquire().await.unwrap();
        // Refused outside a transaction block, accepted inside one.
        let inside = sqlx::raw_sql("SAVEPOINT probe")
            .execute(&mut *conn)
            .await
            .is_ok();
        if inside {
            return Some(round);
        }
    }
    None
}
