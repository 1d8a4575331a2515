//! Booking and held payments (issue 14, SPEC J3 steps 3-6) against a real
//! PostgreSQL, through the server functions and the job runner, with the
//! local card processor: a hold, its confirmation (the card authorized,
//! the ledger posted, the clinician mailed without PHI), the clinician's
//! answer, the signed EVV-complete log that schedules the payout after the
//! family's review window, the family's confirmation or dispute, and the
//! administrator's resolution; holds that expire, double submits, a
//! hundred families racing for one slot, declines and late cancellations.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::identity::Role;
use common::{BookingWorld, TestApp};
use serde_json::Value;
use uuid::Uuid;

const CARD: &str = "4242 4242 4242 4242";

/// The world of these tests: the harness's, at $95 a visit.
async fn world(app: &TestApp, tag: &str) -> BookingWorld {
    app.booking_world(tag, 95).await
}

/// The clinician's openings as the family sees them.
async fn openings(app: &TestApp, w: &BookingWorld) -> Vec<String> {
    let res = app
        .rpc(
            &w.family,
            "family/clinicians/get",
            &[("id", &w.clinician.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);
    let card: Value = res.json().await.unwrap();
    card["openings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_owned())
        .collect()
}

async fn hold(
    app: &TestApp,
    who: &reqwest::Client,
    w: &BookingWorld,
    starts: &str,
    key: &str,
) -> reqwest::Response {
    app.rpc(
        who,
        "family/book/hold",
        &[
            ("clinician", &w.clinician.to_string()),
            ("starts", starts),
            ("service", "skilled_nursing"),
            ("recipient", &w.recipient),
            ("key", key),
        ],
    )
    .await
}

/// Holds the first opening and confirms it with `card`; the visit's id.
async fn book(app: &TestApp, w: &BookingWorld) -> String {
    let starts = openings(app, w).await.remove(0);
    let res = hold(app, &w.family, w, &starts, &Uuid::new_v4().to_string()).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let visit: String = res.json().await.unwrap();
    let res = app
        .rpc(
            &w.family,
            "family/visits/confirm",
            &[("id", &visit), ("card", CARD)],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    visit
}

async fn booking(app: &TestApp, w: &BookingWorld, visit: &str) -> Value {
    let res = app
        .rpc(&w.family, "family/visits/get", &[("id", visit)])
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn payment_state(app: &TestApp, visit: &str) -> String {
    let mut admin = app.admin().await;
    sqlx::query_scalar("SELECT state::text FROM visit_payments WHERE visit_id = $1::uuid")
        .bind(visit)
        .fetch_one(&mut admin)
        .await
        .unwrap()
}

/// The nurse accepts, checks in and out and signs the visit's log.
async fn visit_and_sign(app: &TestApp, w: &BookingWorld, visit: &str, check_out: bool) {
    let res = app
        .rpc(
            &w.nurse,
            "visits/respond",
            &[("id", visit), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .rpc(
            &w.nurse,
            "visits/check",
            &[
                ("id", visit),
                ("step", "in"),
                ("lat", "39.96"),
                ("lon", "-83.00"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    if check_out {
        let res = app
            .rpc(
                &w.nurse,
                "visits/check",
                &[("id", visit), ("step", "out"), ("exception", "no_signal")],
            )
            .await;
        assert_eq!(res.status(), 200);
        let key = Uuid::new_v4().to_string();
        let mut form: Vec<(String, String)> = vec![
            ("id".into(), visit.into()),
            ("sync_key".into(), key),
            ("notes".into(), "Stable; walked to the kitchen.".into()),
            ("clinician_signature".into(), "Nia Nurse".into()),
        ];
        for i in 0..5 {
            form.push((format!("outcomes[{i}]"), "done".into()));
        }
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let res = app.rpc(&w.nurse, "visits/sign", &form).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
}

/// Every ledger transaction sums to zero, and so does the whole book.
async fn assert_ledger_balanced(app: &TestApp) {
    let mut admin = app.admin().await;
    let unbalanced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries
                               GROUP BY transaction_id HAVING sum(amount_cents) <> 0) t",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(unbalanced, 0);
    let total: Option<i64> =
        sqlx::query_scalar("SELECT sum(amount_cents)::bigint FROM ledger_entries")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(total.unwrap_or(0), 0);
}

async fn balance(app: &TestApp, kind: &str, user: Option<Uuid>) -> i64 {
    let mut admin = app.admin().await;
    sqlx::query_scalar(
        "SELECT coalesce(sum(e.amount_cents), 0)::bigint FROM ledger_entries e
         JOIN ledger_accounts a ON a.id = e.account_id
         WHERE a.kind = $1::ledger_account_kind AND ($2::uuid IS NULL OR a.owner_user = $2)",
    )
    .bind(kind)
    .bind(user)
    .fetch_one(&mut admin)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_booked_visit_is_paid_only_after_the_signed_log_and_the_familys_confirmation() {
    let app = TestApp::spawn().await;
    let w = world(&app, "paid").await;
    // The booking form opens the family's people by name: an audited read.
    let starts = openings(&app, &w).await.remove(0);
    let res = app
        .rpc(
            &w.family,
            "family/book/form",
            &[("clinician", &w.clinician.to_string()), ("starts", &starts)],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let form: Value = res.json().await.unwrap();
    assert_eq!(form["recipients"][0][1], "Walter Booker");
    let mut audit = app.admin().await;
    let read: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'care_recipient.viewed'
           AND details->'recipients' ? $1",
    )
    .bind(&w.recipient)
    .fetch_one(&mut audit)
    .await
    .unwrap();
    assert!(read >= 1);
    let visit = book(&app, &w).await;
    assert_eq!(payment_state(&app, &visit).await, "authorized");
    // The hold is on the card and in the ledger: owed to the clinician,
    // pending the signed log.
    assert_eq!(
        balance(&app, "clinician_pending", Some(w.nurse_user)).await,
        -9500
    );
    let b = booking(&app, &w, &visit).await;
    assert_eq!(b["visit"]["status"], "proposed");
    assert_eq!(b["visit"]["amount"], 9500);

    // The clinician is asked by mail: initials and a link, no name.
    app.run_booking_jobs().await;
    app.deliver_mail().await;
    let mail = app.wait_for_mail("nurse@paid.test", "asked to book").await;
    assert!(mail.text.contains("WB"), "{}", mail.text);
    assert!(!mail.text.contains("Walter"), "{}", mail.text);
    assert!(mail.text.contains(&format!("/clinician/visits/{visit}")));

    // Checked in but never out, a log cannot be signed; nothing is paid.
    visit_and_sign(&app, &w, &visit, false).await;
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, &visit).await, "authorized");
    // Not even by hand: the database refuses a payout without the log.
    let mut admin = app.admin().await;
    let refused = sqlx::query(
        "UPDATE visit_payments SET state = 'scheduled', reason = 'visit', capture_cents = amount_cents,
                release_at = now() WHERE visit_id = $1::uuid",
    )
    .bind(&visit)
    .execute(&mut admin)
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("signed"), "{refused}");

    // Checked out and signed: scheduled after the 48-hour review window.
    let res = app
        .rpc(
            &w.nurse,
            "visits/check",
            &[("id", &visit), ("step", "out"), ("exception", "no_signal")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let mut form: Vec<(String, String)> = vec![
        ("id".into(), visit.clone()),
        ("sync_key".into(), Uuid::new_v4().to_string()),
        ("clinician_signature".into(), "Nia Nurse".into()),
    ];
    for i in 0..5 {
        form.push((format!("outcomes[{i}]"), "done".into()));
    }
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(app.rpc(&w.nurse, "visits/sign", &form).await.status(), 200);
    assert_eq!(payment_state(&app, &visit).await, "scheduled");
    let window: f64 = sqlx::query_scalar(
        "SELECT extract(epoch FROM release_at - now())::float8 FROM visit_payments WHERE visit_id = $1::uuid",
    )
    .bind(&visit)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!((47.9 * 3600.0..48.1 * 3600.0).contains(&window), "{window}");
    app.run_booking_jobs().await;
    assert_eq!(
        payment_state(&app, &visit).await,
        "scheduled",
        "not before the window"
    );

    // The family reads the signed log and its hash on the invoice, and
    // confirms: paid at once.
    let b = booking(&app, &w, &visit).await;
    assert_eq!(b["can_review"], true);
    assert_eq!(b["log"]["log"]["notes"], "");
    assert_eq!(b["log"]["sha256"].as_str().unwrap().len(), 64);
    let res = app
        .rpc(&w.family, "family/visits/countersign", &[("id", &visit)])
        .await;
    assert_eq!(res.status(), 200);
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, &visit).await, "paid");
    let b = booking(&app, &w, &visit).await;
    assert!(b["paid_at"].is_string());

    // The clinician's earnings show it paid.
    let res = app.rpc(&w.nurse, "clinician/earnings", &[]).await;
    assert_eq!(res.status(), 200);
    let e: Value = res.json().await.unwrap();
    assert_eq!(e["rows"][0]["state"], "paid");
    let paid = e["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t[0] == "paid")
        .unwrap()[1]
        .clone();
    assert_eq!(paid, 9500);

    // The money moved once: the card captured, the clinician paid, and the
    // book balanced with nothing left pending or payable.
    let (captured, transfers): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT l.captured_cents FROM local_processor_payments l
                 JOIN visit_payments p ON p.authorization_id = l.id WHERE p.visit_id = $1::uuid),
                (SELECT count(*) FROM local_processor_transfers WHERE idempotency_key = 'payout-' || $1)",
    )
    .bind(&visit)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!((captured, transfers), (9500, 1));
    assert_eq!(
        balance(&app, "clinician_pending", Some(w.nurse_user)).await,
        0
    );
    assert_eq!(
        balance(&app, "clinician_payable", Some(w.nurse_user)).await,
        0
    );
    assert_eq!(balance(&app, "payer_holds", None).await, 0);
    assert_ledger_balanced(&app).await;
    // Each step was audited.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY occurred_at",
    )
    .bind(&visit)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    for wanted in [
        "booking.held",
        "booking.confirmed",
        "booking.viewed",
        "payment.confirmed",
    ] {
        assert!(
            actions.iter().any(|a| a == wanted),
            "{wanted} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn a_hundred_families_racing_for_one_slot_book_it_once_and_a_retry_books_once() {
    let app = TestApp::spawn().await;
    let w = world(&app, "race").await;
    let starts = openings(&app, &w).await.remove(0);
    let url = app.url("/rpc/family/book/hold");
    let mut attempts = tokio::task::JoinSet::new();
    for _ in 0..100 {
        let (client, url) = (w.family.clone(), url.clone());
        let form = [
            ("clinician", w.clinician.to_string()),
            ("starts", starts.clone()),
            ("service", "skilled_nursing".to_owned()),
            ("recipient", w.recipient.clone()),
            ("key", Uuid::new_v4().to_string()),
        ];
        attempts.spawn(async move {
            client
                .post(url)
                .form(&form)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let codes: Vec<u16> = attempts.join_all().await;
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    assert!(codes.iter().all(|c| *c == 200 || *c == 409), "{codes:?}");
    assert!(
        !openings(&app, &w).await.contains(&starts),
        "the held slot is not offered"
    );

    // The same form sent twice holds once, and confirming twice pays once.
    let starts = openings(&app, &w).await.remove(0);
    let key = Uuid::new_v4().to_string();
    let first: String = hold(&app, &w.family, &w, &starts, &key)
        .await
        .json()
        .await
        .unwrap();
    let second: String = hold(&app, &w.family, &w, &starts, &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first, second);
    for _ in 0..2 {
        let res = app
            .rpc(
                &w.family,
                "family/visits/confirm",
                &[("id", &first), ("card", CARD)],
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let mut admin = app.admin().await;
    let (payments, postings): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM visit_payments WHERE visit_id = $1::uuid),
                (SELECT count(*) FROM ledger_transactions WHERE subject_id = $1::uuid)",
    )
    .bind(&first)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!((payments, postings), (1, 1));
}

/// More confirmations at once than the request pool has connections (5
/// in the tests) all go through. Each holds its request's connection while
/// it calls the card processor; the local processor books on connections
/// of its own, or these would wait on each other until they failed.
#[tokio::test]
async fn more_confirmations_at_once_than_the_pool_has_connections_all_go_through() {
    let app = TestApp::spawn().await;
    let mut held = Vec::new();
    for tag in ["crowd-a", "crowd-b", "crowd-c"] {
        let w = world(&app, tag).await;
        // A family may hold three times at once.
        for starts in openings(&app, &w).await.into_iter().take(3) {
            let res = hold(&app, &w.family, &w, &starts, &Uuid::new_v4().to_string()).await;
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
            let visit: String = res.json().await.unwrap();
            held.push((w.family.clone(), visit));
        }
    }
    let url = app.url("/rpc/family/visits/confirm");
    let mut confirmations = tokio::task::JoinSet::new();
    for (family, visit) in held.clone() {
        let url = url.clone();
        confirmations.spawn(async move {
            let res = family
                .post(url)
                .form(&[("id", visit.as_str()), ("card", CARD)])
                .send()
                .await
                .unwrap();
            (res.status().as_u16(), res.text().await.unwrap())
        });
    }
    let answers = confirmations.join_all().await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let mut admin = app.admin().await;
    let visits: Vec<String> = held.into_iter().map(|(_, v)| v).collect();
    let authorized: i64 =
        sqlx::query_scalar("SELECT count(*) FROM visit_payments WHERE visit_id::text = ANY($1)")
            .bind(&visits)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(authorized, 9);
}

#[tokio::test]
async fn an_expired_hold_frees_the_slot_and_a_declined_card_books_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app, "expire").await;
    let mut admin = app.admin().await;
    sqlx::query("UPDATE payment_policy SET hold_seconds = 1")
        .execute(&mut admin)
        .await
        .unwrap();
    let starts = openings(&app, &w).await.remove(0);
    let visit: String = hold(&app, &w.family, &w, &starts, &Uuid::new_v4().to_string())
        .await
        .json()
        .await
        .unwrap();
    // A declined card: the reason beside the field, the hold kept.
    let res = app
        .rpc(
            &w.family,
            "family/visits/confirm",
            &[("id", &visit), ("card", "4000 0000 0000 0002")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("declined"));
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    app.run_booking_jobs().await;
    let b = booking(&app, &w, &visit).await;
    assert_eq!(b["visit"]["status"], "cancelled");
    assert!(
        openings(&app, &w).await.contains(&starts),
        "the slot is free again"
    );
    let res = app
        .rpc(
            &w.family,
            "family/visits/confirm",
            &[("id", &visit), ("card", CARD)],
        )
        .await;
    assert_eq!(res.status(), 409);
    let payments: i64 = sqlx::query_scalar("SELECT count(*) FROM visit_payments")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(payments, 0);
}

#[tokio::test]
async fn a_decline_or_an_early_cancellation_voids_and_a_late_one_costs_the_fee() {
    let app = TestApp::spawn().await;
    let w = world(&app, "void").await;
    // Declined by the clinician: the hold is let go.
    let declined = book(&app, &w).await;
    let res = app
        .rpc(
            &w.nurse,
            "visits/respond",
            &[("id", &declined), ("action", "decline")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, &declined).await, "voided");
    app.wait_for_mail("family@void.test", "not accepted").await;

    // A request not yet answered is cancelled for nothing; once accepted,
    // inside the day before it, cancelling costs the $25 fee, paid to the
    // clinician (the openings are all within a day).
    let late = book(&app, &w).await;
    let b = booking(&app, &w, &late).await;
    assert_eq!(b["cancel_fee"], 0);
    let res = app
        .rpc(
            &w.nurse,
            "visits/respond",
            &[("id", &late), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let b = booking(&app, &w, &late).await;
    assert_eq!(b["cancel_fee"], 2500);
    let res = app
        .rpc(&w.family, "family/visits/cancel", &[("id", &late)])
        .await;
    assert_eq!(res.status(), 200);
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, &late).await, "paid");
    let mut admin = app.admin().await;
    let captured: i64 = sqlx::query_scalar(
        "SELECT l.captured_cents FROM local_processor_payments l
         JOIN visit_payments p ON p.authorization_id = l.id WHERE p.visit_id = $1::uuid",
    )
    .bind(&late)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(captured, 2500);
    // The family's page invoices the fee and shows its receipt.
    let page = w
        .family
        .get(app.url(&format!("/family/visits/{late}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Late cancellation fee"),
        "the fee is invoiced"
    );
    assert!(page.contains("Receipt: $25.00 paid on"), "with its receipt");

    // Accepted but never checked in: two hours after its end the visit is
    // missed and the hold let go (the job's time brought forward here).
    let absent = book(&app, &w).await;
    let res = app
        .rpc(
            &w.nurse,
            "visits/respond",
            &[("id", &absent), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200);
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, &absent).await, "authorized");
    sqlx::query("UPDATE jobs SET run_at = now() WHERE kind = 'booking.no_show' AND payload->>'visit_id' = $1")
        .bind(&absent)
        .execute(&mut admin)
        .await
        .unwrap();
    app.run_booking_jobs().await;
    assert_eq!(
        booking(&app, &w, &absent).await["visit"]["status"],
        "missed"
    );
    assert_eq!(payment_state(&app, &absent).await, "voided");

    // The clinician cancels an accepted booking inside the notice period:
    // the hold is let go, and no fee (a fee is the family's late
    // cancellation only). Once checked in, it cannot be cancelled.
    let withdrawn = book(&app, &w).await;
    let res = app
        .rpc(
            &w.nurse,
            "visits/respond",
            &[("id", &withdrawn), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .rpc(
            &w.nurse,
            "visits/respond",
            &[("id", &withdrawn), ("action", "cancel"), ("note", "Unwell")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    app.run_booking_jobs().await;
    assert_eq!(
        booking(&app, &w, &withdrawn).await["visit"]["status"],
        "cancelled"
    );
    assert_eq!(payment_state(&app, &withdrawn).await, "voided");
    let res = app
        .rpc(
            &w.family,
            "visits/respond",
            &[("id", &withdrawn), ("action", "cancel")],
        )
        .await;
    assert_eq!(res.status(), 403, "only the clinician answers");

    // With a notice period of zero, cancelling is free: voided.
    sqlx::query("UPDATE payment_policy SET late_cancel_seconds = 0")
        .execute(&mut admin)
        .await
        .unwrap();
    let early = book(&app, &w).await;
    let res = app
        .rpc(&w.family, "family/visits/cancel", &[("id", &early)])
        .await;
    assert_eq!(res.status(), 200);
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, &early).await, "voided");
    assert_eq!(balance(&app, "payer_holds", None).await, 0);
    assert_ledger_balanced(&app).await;
}

#[tokio::test]
async fn a_dispute_freezes_the_payout_until_an_administrator_resolves_it() {
    let app = TestApp::spawn().await;
    let w = world(&app, "dispute").await;
    app.user("admin@dispute.test", None, Role::PlatformAdmin)
        .await;
    let admin_client = app.signed_in("admin@dispute.test").await;
    let visit = book(&app, &w).await;
    visit_and_sign(&app, &w, &visit, true).await;
    assert_eq!(payment_state(&app, &visit).await, "scheduled");
    // An empty reason is refused beside the field.
    let res = app
        .rpc(
            &w.family,
            "family/visits/dispute",
            &[("id", &visit), ("reason", " ")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .rpc(
            &w.family,
            "family/visits/dispute",
            &[
                ("id", &visit),
                ("reason", "The nurse left after twenty minutes."),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(payment_state(&app, &visit).await, "frozen");
    // Frozen: neither the window passing nor the family confirming pays.
    let mut admin = app.admin().await;
    sqlx::query("UPDATE visit_payments SET release_at = now() - interval '1 hour' WHERE visit_id = $1::uuid")
        .bind(&visit)
        .execute(&mut admin)
        .await
        .unwrap();
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, &visit).await, "frozen");
    let res = app
        .rpc(&w.family, "family/visits/countersign", &[("id", &visit)])
        .await;
    assert_eq!(res.status(), 409);
    // The family cannot resolve it; the administrator pays $40 of $95.
    let res = app
        .rpc(
            &w.family,
            "admin/disputes/resolve",
            &[("id", &visit), ("decision", "release"), ("note", "x")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app.rpc(&admin_client, "admin/payments", &[]).await;
    let overview: Value = res.json().await.unwrap();
    assert_eq!(
        overview["disputes"][0]["reason"],
        "The nurse left after twenty minutes."
    );
    let res = app
        .rpc(
            &admin_client,
            "admin/disputes/resolve",
            &[
                ("id", &visit),
                ("decision", "partial"),
                ("partial", "40"),
                ("note", "Partial visit confirmed by the log's times."),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, &visit).await, "paid");
    let captured: i64 = sqlx::query_scalar(
        "SELECT l.captured_cents FROM local_processor_payments l
         JOIN visit_payments p ON p.authorization_id = l.id WHERE p.visit_id = $1::uuid",
    )
    .bind(&visit)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(captured, 4000);
    assert_eq!(balance(&app, "payer_holds", None).await, 0);
    assert_ledger_balanced(&app).await;
    // The administrator's ledger check says so too.
    let overview: Value = app
        .rpc(&admin_client, "admin/payments", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(overview["ledger"]["unbalanced"], 0);
    assert_eq!(overview["ledger"]["book_total"], 0);
    // The hold, the capture and the payout.
    assert_eq!(overview["ledger"]["transactions"], 3);
    let resolved: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'payment.resolved' AND subject_id = $1",
    )
    .bind(&visit)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(resolved, 1);
}

/// Runs `sql` (binding `visit`) as the family's web session would, and
/// expects the database to refuse it.
async fn refused_for_family(app: &TestApp, family_email: &str, sql: &str, visit: &str) {
    let mut admin = app.admin().await;
    let (user, org): (Uuid, Uuid) = sqlx::query_as(
        "SELECT u.id, m.organization_id FROM users u JOIN memberships m ON m.user_id = u.id
         WHERE u.email = $1",
    )
    .bind(family_email)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.user_id', $1, true), set_config('app.org_id', $2, true),
                set_config('app.role', 'family', true)",
    )
    .bind(user.to_string())
    .bind(org.to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    let result = sqlx::query(sql).bind(visit).execute(&mut *tx).await;
    match result {
        Err(e) => {
            let code = e.as_database_error().unwrap().code().unwrap().to_string();
            assert!(code == "42501" || code == "23514", "{code}: {sql}");
        }
        Ok(done) => assert_eq!(done.rows_affected(), 0, "{sql}"),
    }
}

#[tokio::test]
async fn a_family_cannot_move_the_money_itself() {
    let app = TestApp::spawn().await;
    let w = world(&app, "guard").await;
    let email = "family@guard.test";
    // A confirmed request: the family cannot schedule its own payout, by
    // calling it a late cancellation or otherwise.
    let visit = book(&app, &w).await;
    for sql in [
        "UPDATE visit_payments SET state = 'scheduled', reason = 'late_cancel',
                capture_cents = amount_cents, release_at = now() WHERE visit_id = $1::uuid",
        "UPDATE visit_payments SET state = 'voiding' WHERE visit_id = $1::uuid",
        "UPDATE visit_payments SET release_at = 'infinity' WHERE visit_id = $1::uuid",
        "UPDATE visits SET status = 'accepted' WHERE id = $1::uuid",
    ] {
        refused_for_family(&app, email, sql, &visit).await;
    }
    // After the signed visit: no smaller payout, no endless window, no
    // freeze without a dispute.
    visit_and_sign(&app, &w, &visit, true).await;
    assert_eq!(payment_state(&app, &visit).await, "scheduled");
    for sql in [
        "UPDATE visit_payments SET capture_cents = 1 WHERE visit_id = $1::uuid",
        "UPDATE visit_payments SET release_at = 'infinity' WHERE visit_id = $1::uuid",
        "UPDATE visit_payments SET state = 'frozen' WHERE visit_id = $1::uuid",
        "UPDATE visit_payments SET state = 'voiding' WHERE visit_id = $1::uuid",
    ] {
        refused_for_family(&app, email, sql, &visit).await;
    }
    // A hold cannot become a request without its payment.
    let starts = openings(&app, &w).await.remove(0);
    let held: String = hold(&app, &w.family, &w, &starts, &Uuid::new_v4().to_string())
        .await
        .json()
        .await
        .unwrap();
    refused_for_family(
        &app,
        email,
        "UPDATE visits SET status = 'proposed' WHERE id = $1::uuid",
        &held,
    )
    .await;
    assert_eq!(payment_state(&app, &visit).await, "scheduled");
}

/// Accepts the invitation mailed to `email` as a new account; signed in.
async fn accept_invitation(app: &TestApp, email: &str, family_name: &str) -> reqwest::Client {
    let mail = app
        .wait_for_mail(email, &format!("You are invited to join {family_name}"))
        .await;
    let token = common::token_of(&common::link_in(&mail.text, "/invite?token="));
    let browser = TestApp::browser();
    let res = app
        .rpc(
            &browser,
            "invite/accept-new",
            &[
                ("token", &token),
                ("name", "Invited Member"),
                ("password", common::PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    browser
}

#[tokio::test]
async fn a_family_owner_invites_an_owner_and_a_viewer_who_only_reads() {
    let app = TestApp::spawn().await;
    let w = world(&app, "kin").await;
    let visit = book(&app, &w).await;
    // Only owners and viewers of a family: never another role.
    let res = app
        .rpc(
            &w.family,
            "team/invite",
            &[("email", "x@kin.test"), ("role", "clinic_staff")],
        )
        .await;
    assert_eq!(res.status(), 422);
    for (email, role) in [
        ("viewer@kin.test", "family_viewer"),
        ("owner2@kin.test", "family"),
    ] {
        let res = app
            .rpc(
                &w.family,
                "team/invite",
                &[("email", email), ("role", role)],
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    let team: Value = app.rpc(&w.family, "team", &[]).await.json().await.unwrap();
    assert_eq!(team["family"], true);
    assert_eq!(team["invitations"].as_array().unwrap().len(), 2);

    let viewer = accept_invitation(&app, "viewer@kin.test", "a family").await;
    assert_eq!(app.me(&viewer).await["role"], "family_viewer");
    // The viewer sees the family's person and its visits, audited like any read…
    let home: Value = app
        .rpc(&viewer, "family/home", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(home["recipients"][0]["full_name"], "Walter Booker");
    assert_eq!(home["owner"], false);
    let b: Value = app
        .rpc(&viewer, "family/visits/get", &[("id", &visit)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b["visit"]["status"], "proposed");
    assert_eq!(b["can_act"], false);
    // …and changes nothing: no person added, no booking, no cancelling,
    // no inviting.
    for (endpoint, form) in [
        ("family/visits/cancel", vec![("id", visit.as_str())]),
        ("family/visits/countersign", vec![("id", visit.as_str())]),
        (
            "family/visits/dispute",
            vec![("id", visit.as_str()), ("reason", "no")],
        ),
        (
            "team/invite",
            vec![("email", "y@kin.test"), ("role", "family")],
        ),
        ("family/recipients/add", vec![("full_name", "Someone Else")]),
    ] {
        let res = app.rpc(&viewer, endpoint, &form).await;
        assert_eq!(res.status(), 403, "{endpoint}");
    }
    assert_eq!(payment_state(&app, &visit).await, "authorized");

    // The second owner may act: cancelling the unanswered request is free.
    let owner = accept_invitation(&app, "owner2@kin.test", "a family").await;
    assert_eq!(app.me(&owner).await["role"], "family");
    let res = app
        .rpc(&owner, "family/visits/cancel", &[("id", &visit)])
        .await;
    assert_eq!(res.status(), 200);
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, &visit).await, "voided");

    // An owner removes the viewer, who then sees nothing.
    let mut admin = app.admin().await;
    let viewer_id: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'viewer@kin.test'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    let res = app
        .rpc(
            &owner,
            "team/remove",
            &[("user_id", &viewer_id.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_ne!(app.rpc(&viewer, "family/home", &[]).await.status(), 200);

    // Two owners removing each other at once: one of them stays.
    let first_owner: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'family@kin.test'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    let second_owner: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'owner2@kin.test'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    let url = app.url("/rpc/team/remove");
    let mut both = tokio::task::JoinSet::new();
    for (client, target) in [
        (w.family.clone(), second_owner),
        (owner.clone(), first_owner),
    ] {
        let url = url.clone();
        both.spawn(async move {
            client
                .post(url)
                .form(&[("user_id", target.to_string())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let codes = both.join_all().await;
    assert_eq!(codes.iter().filter(|c| **c == 200).count(), 1, "{codes:?}");
    let owners: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM memberships m JOIN organizations o ON o.id = m.organization_id
         WHERE o.kind = 'family' AND m.role = 'family' AND m.user_id = ANY($1)",
    )
    .bind(vec![first_owner, second_owner])
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(owners, 1);
}

#[tokio::test]
async fn a_clinic_pays_a_per_visit_rate_the_same_way() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Rates").await;
    let referrer = app.org("referrer", "Mercy Rates").await;
    app.user("planner@rates.test", Some(referrer), Role::Referrer)
        .await;
    app.user("director@rates.test", Some(clinic), Role::ClinicAdmin)
        .await;
    app.user("intake@rates.test", Some(clinic), Role::ClinicStaff)
        .await;
    let nurse = app
        .user("nurse@rates.test", Some(clinic), Role::Clinician)
        .await;
    let clinician = app
        .verified_clinician("Rae Rates", "43215", Some(clinic))
        .await;
    app.link_clinician(nurse.id, clinician).await;
    let mut admin = app.admin().await;
    let planner = app.signed_in("planner@rates.test").await;
    let director = app.signed_in("director@rates.test").await;
    let intake = app.signed_in("intake@rates.test").await;
    let nurse_client = app.signed_in("nurse@rates.test").await;
    let start = (time::OffsetDateTime::now_utc().date() + time::Duration::days(2)).to_string();
    let res = app
        .rpc(
            &planner,
            "referrals/create",
            &[
                ("patient_initials", "JR"),
                ("patient_birth_year", "1950"),
                ("zip", "43215"),
                ("diagnosis", "I50.9 Heart failure, unspecified"),
                ("care_type", "skilled_nursing"),
                ("priority", "routine"),
                ("requested_start", &start),
                ("clinic_id", &clinic.to_string()),
                ("packet_full_name", "June Rates"),
                ("packet_birth_date", "1950-01-02"),
                ("packet_address", "3 Oak Lane"),
                ("packet_phone", "(614) 555-0100"),
                ("packet_payer", "medicare"),
                ("packet_member_id", "1EG4TE5MK72"),
                ("packet_emergency_name", "Jo Rates"),
                ("packet_emergency_phone", "614-555-0101"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let referral: String = res.json().await.unwrap();
    let res = app
        .rpc(
            &director,
            "referrals/step",
            &[("id", &referral), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let clinician = clinician.to_string();
    let schedule =
        |who: &reqwest::Client, at: &'static str, rate: &'static str, card: &'static str| {
            let (who, referral, clinician, start) = (
                who.clone(),
                referral.clone(),
                clinician.clone(),
                start.clone(),
            );
            let app = &app;
            async move {
                app.rpc(
                    &who,
                    "visits/schedule",
                    &[
                        ("referral_id", &referral),
                        ("clinician_id", &clinician),
                        ("date", &start),
                        ("start", at),
                        ("end", &format!("{}:50", &at[..2])),
                        ("service", "skilled_nursing"),
                        ("tasks[0]", "Vital signs"),
                        ("weeks", "1"),
                        ("rate", rate),
                        ("card", card),
                    ],
                )
                .await
            }
        };
    // Staff schedule, but only an administrator pays a rate; a declined
    // card schedules nothing; a rate needs a card.
    let res = schedule(&intake, "09:00", "80", CARD).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("administrator"));
    let res = schedule(&director, "09:00", "80", "").await;
    assert_eq!(res.status(), 422);
    let res = schedule(&director, "09:00", "80", "4000 0000 0000 0002").await;
    assert_eq!(res.status(), 422);
    let visits: i64 = sqlx::query_scalar("SELECT count(*) FROM visits WHERE organization_id = $1")
        .bind(clinic)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(visits, 0);
    // Two paid visits: one is cancelled (its hold let go), one is worked,
    // signed and paid after the review window (zero here).
    sqlx::query("UPDATE payment_policy SET review_seconds = 0")
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(schedule(&director, "09:00", "80", CARD).await.status(), 200);
    assert_eq!(schedule(&director, "11:00", "80", CARD).await.status(), 200);
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id::text FROM visits WHERE organization_id = $1 ORDER BY starts_at",
    )
    .bind(clinic)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    let (worked, cancelled) = (&ids[0], &ids[1]);
    for id in &ids {
        assert_eq!(payment_state(&app, id).await, "authorized");
    }
    let res = app
        .rpc(
            &director,
            "visits/cancel",
            &[("id", cancelled), ("action", "cancel")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    for (step, extra) in [("respond", ("action", "accept"))] {
        let res = app
            .rpc(
                &nurse_client,
                &format!("visits/{step}"),
                &[("id", worked), extra],
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    for step in ["in", "out"] {
        let res = app
            .rpc(
                &nurse_client,
                "visits/check",
                &[("id", worked), ("step", step), ("exception", "no_signal")],
            )
            .await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }
    let res = app
        .rpc(
            &nurse_client,
            "visits/sign",
            &[
                ("id", worked),
                ("sync_key", &Uuid::new_v4().to_string()),
                ("outcomes[0]", "done"),
                ("clinician_signature", "Rae Rates"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, worked).await, "paid");
    assert_eq!(payment_state(&app, cancelled).await, "voided");
    // A paid visit the clinician never answers lapses in time, and lets
    // the clinic's hold go (the job's time brought forward here).
    assert_eq!(schedule(&director, "14:00", "80", CARD).await.status(), 200);
    let unanswered: String = sqlx::query_scalar(
        "SELECT id::text FROM visits WHERE organization_id = $1 AND status = 'proposed'",
    )
    .bind(clinic)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE jobs SET run_at = now() WHERE kind = 'booking.lapse' AND payload->>'visit_id' = $1",
    )
    .bind(&unanswered)
    .execute(&mut admin)
    .await
    .unwrap();
    app.run_booking_jobs().await;
    assert_eq!(payment_state(&app, &unanswered).await, "voided");
    // The clinic sees what the visit pays; the clinician's earnings (acting
    // for the clinic) show it paid; the clinic's holds are back to zero.
    let detail: Value = app
        .rpc(&director, "visits/get", &[("id", worked)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["payment"], serde_json::json!([8000, "paid"]));
    let e: Value = app
        .rpc(&nurse_client, "clinician/earnings", &[])
        .await
        .json()
        .await
        .unwrap();
    let rows = e["rows"].as_array().unwrap();
    let paid: Vec<&Value> = rows.iter().filter(|r| r["state"] == "paid").collect();
    assert_eq!(paid.len(), 1, "{rows:?}");
    assert_eq!(paid[0]["amount"], 8000);
    assert!(rows.iter().any(|r| r["state"] == "voided"));
    let holds: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(e.amount_cents), 0)::bigint FROM ledger_entries e
         JOIN ledger_accounts a ON a.id = e.account_id
         WHERE a.kind = 'payer_holds' AND a.owner_org = $1",
    )
    .bind(clinic)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(holds, 0);
    assert_ledger_balanced(&app).await;
}
