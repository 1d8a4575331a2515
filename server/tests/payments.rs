//! The payments ledger and the card processors (issue 14), against a real
//! PostgreSQL as the application role and, for Stripe, against
//! `localstripe` (the stateful emulator `scripts/setup.sh` installs under
//! `tools/localstripe`, started here on a free port).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::identity::{OrganizationId, Role, UserId};
use app::payments::processor::local::LocalProcessor;
use app::payments::processor::stripe::StripeProcessor;
use app::payments::processor::{AuthorizeRequest, CardProcessor, ProcessorError};
use app::payments::{ledger, Account, Cents, Posting};
use common::TestApp;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

/// A transaction as the application role with a signed-in identity, as the
/// app's own scoped transactions set it.
async fn as_role(
    pool: &PgPool,
    user: Uuid,
    org: Uuid,
    role: &str,
) -> Transaction<'static, Postgres> {
    let mut tx = app::db::begin(pool).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.user_id', $1, true), set_config('app.org_id', $2, true),
                set_config('app.role', $3, true)",
    )
    .bind(user.to_string())
    .bind(org.to_string())
    .bind(role)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx
}

/// A family's organization, a family member and a clinician, as fixtures.
struct People {
    family_org: Uuid,
    family: Uuid,
    nurse: Uuid,
    admin: Uuid,
}

async fn people(app: &TestApp) -> People {
    let family_org = app.org("family", "Payer Family").await;
    let family = app
        .user(
            &format!("payer-{}@example.org", Uuid::new_v4().simple()),
            Some(family_org),
            Role::Family,
        )
        .await
        .id;
    let nurse = app
        .user(
            &format!("nurse-{}@example.org", Uuid::new_v4().simple()),
            None,
            Role::Clinician,
        )
        .await
        .id;
    let admin = app
        .user(
            &format!("admin-{}@example.org", Uuid::new_v4().simple()),
            None,
            Role::PlatformAdmin,
        )
        .await
        .id;
    People {
        family_org,
        family,
        nurse,
        admin,
    }
}

/// A connection as the worker role (the job runner's).
async fn as_worker(app: &TestApp) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(app.urls.worker.expose())
        .await
        .unwrap()
}

fn platform() -> Uuid {
    app::db::platform_org_id().uuid()
}

#[tokio::test]
async fn a_payment_moves_through_the_book_and_every_transaction_balances() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let payer = OrganizationId::from(p.family_org);
    let nurse = UserId::from(p.nurse);
    let a = Cents(14_000);

    // The payer books: the hold.
    let mut tx = as_role(&app.pool, p.family, p.family_org, "family").await;
    let first = ledger::post(
        &mut tx,
        &Posting::authorize("pay-1:authorize", payer, nurse, a).unwrap(),
    )
    .await
    .unwrap();
    // The same key again files nothing new.
    let again = ledger::post(
        &mut tx,
        &Posting::authorize("pay-1:authorize", payer, nurse, a).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(first, again);
    assert_eq!(
        ledger::balance(&mut tx, Account::PayerHolds(payer))
            .await
            .unwrap(),
        a
    );
    // The payer does not see the clinician's side.
    assert_eq!(
        ledger::balance(&mut tx, Account::ClinicianPending(nurse))
            .await
            .unwrap(),
        Cents::ZERO
    );
    tx.commit().await.unwrap();

    // The same key with other lines is refused.
    let mut tx = as_role(&app.pool, p.family, p.family_org, "family").await;
    let err = ledger::post(
        &mut tx,
        &Posting::authorize("pay-1:authorize", payer, nurse, Cents(1)).unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 500, "{err:?}");
    tx.rollback().await.unwrap();

    // Neither the payer nor the clinician may release or pay out: only
    // the worker (the job runner) posts those.
    for (user, org, role) in [
        (p.family, p.family_org, "family"),
        (p.nurse, platform(), "clinician"),
    ] {
        let mut tx = as_role(&app.pool, user, org, role).await;
        let err = ledger::post(
            &mut tx,
            &Posting::capture("steal", payer, nurse, a, a).unwrap(),
        )
        .await
        .unwrap_err();
        assert_eq!(err.status(), 500, "{role}");
        tx.rollback().await.unwrap();
    }
    // Released and paid, by the worker.
    let mut worker = as_worker(&app).await;
    ledger::post(
        &mut worker,
        &Posting::capture("pay-1:capture", payer, nurse, a, a).unwrap(),
    )
    .await
    .unwrap();
    ledger::post(
        &mut worker,
        &Posting::payout("pay-1:payout", nurse, a).unwrap(),
    )
    .await
    .unwrap();
    let mut tx = as_role(&app.pool, p.nurse, platform(), "clinician").await;
    assert_eq!(
        ledger::balance(&mut tx, Account::ClinicianPending(nurse))
            .await
            .unwrap(),
        Cents::ZERO
    );
    assert_eq!(
        ledger::balance(&mut tx, Account::ClinicianPayable(nurse))
            .await
            .unwrap(),
        Cents::ZERO
    );
    let paid: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ledger_transactions WHERE kind = 'payout'")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(paid, 1, "the clinician sees their payout");
    // The platform's accounts are not the clinician's to read.
    assert_eq!(
        ledger::balance(&mut tx, Account::ProcessorCash)
            .await
            .unwrap(),
        Cents::ZERO
    );
    tx.commit().await.unwrap();

    // A platform administrator sees the whole book: it balances.
    let mut tx = as_role(&app.pool, p.admin, platform(), "platform_admin").await;
    assert_eq!(
        ledger::balance(&mut tx, Account::PayerHolds(payer))
            .await
            .unwrap(),
        Cents::ZERO
    );
    assert_eq!(
        ledger::balance(&mut tx, Account::ProcessorCash)
            .await
            .unwrap(),
        Cents::ZERO
    );
    let total: i64 =
        sqlx::query_scalar("SELECT coalesce(sum(balance_cents), 0)::bigint FROM ledger_balances")
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    assert_eq!(total, 0);
    let kinds: Vec<String> =
        sqlx::query_scalar("SELECT kind::text FROM ledger_transactions ORDER BY posted_at, kind")
            .fetch_all(&mut *tx)
            .await
            .unwrap();
    assert_eq!(kinds, ["authorize", "capture", "payout"]);
    tx.commit().await.unwrap();

    // A hold may only move the caller's own organization's holds.
    let stranger_family = app.org("family", "Other Family").await;
    let mut tx = as_role(&app.pool, p.family, p.family_org, "family").await;
    let err = ledger::post(
        &mut tx,
        &Posting::authorize("other-holds", stranger_family.into(), nurse, a).unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 500);
    tx.rollback().await.unwrap();

    // Anyone else sees none of it.
    let stranger_org = app.org("clinic", "Another Clinic").await;
    let stranger = app
        .user(
            "stranger@example.org",
            Some(stranger_org),
            Role::ClinicAdmin,
        )
        .await
        .id;
    let mut tx = as_role(&app.pool, stranger, stranger_org, "clinic_admin").await;
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_entries")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(seen, 0);
}

#[tokio::test]
async fn the_book_cannot_be_changed_or_unbalanced_or_written_without_a_caller() {
    let app = TestApp::spawn().await;
    let p = people(&app).await;
    let mut tx = as_role(&app.pool, p.family, p.family_org, "family").await;
    ledger::post(
        &mut tx,
        &Posting::authorize("k1", p.family_org.into(), p.nurse.into(), Cents(500)).unwrap(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // The application role writes no row directly, and changes none.
    for sql in [
        "UPDATE ledger_entries SET amount_cents = 1",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET memo = 'x'",
        "DELETE FROM ledger_transactions",
        "INSERT INTO ledger_accounts (kind) VALUES ('processor_cash')",
    ] {
        let mut tx = as_role(&app.pool, p.family, p.family_org, "family").await;
        let err = sqlx::query(sql).execute(&mut *tx).await.unwrap_err();
        let code = err.as_database_error().unwrap().code().unwrap().to_string();
        assert_eq!(code, "42501", "{sql}: {err}");
    }
    // Not even the superuser: the book is append-only by trigger.
    let mut admin = app.admin().await;
    for sql in [
        "UPDATE ledger_entries SET amount_cents = 1",
        "DELETE FROM ledger_transactions",
    ] {
        let err = sqlx::query(sql).execute(&mut admin).await.unwrap_err();
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    // An unbalanced posting is refused by the database itself.
    let mut tx = as_role(&app.pool, p.family, p.family_org, "family").await;
    let err = sqlx::query(
        "SELECT ledger_post('fee', 'k2', 'm', NULL, NULL,
            '[{\"kind\":\"processor_cash\",\"org\":null,\"user\":null,\"cents\":5},
              {\"kind\":\"platform_fees\",\"org\":null,\"user\":null,\"cents\":-4}]'::jsonb)",
    )
    .execute(&mut *tx)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("does not balance"), "{err}");
    tx.rollback().await.unwrap();
    // Past the function, as the owner: nothing is added to a filed
    // transaction, and a new one that does not balance (or has no
    // entries) fails at commit.
    let mut admin_tx = sqlx::Connection::begin(&mut admin).await.unwrap();
    sqlx::query("SET LOCAL ROLE carethread_owner")
        .execute(&mut *admin_tx)
        .await
        .unwrap();
    let err = sqlx::query(
        "INSERT INTO ledger_entries (transaction_id, account_id, amount_cents)
         SELECT t.id, e.account_id, 7 FROM ledger_transactions t
         JOIN ledger_entries e ON e.transaction_id = t.id LIMIT 1",
    )
    .execute(&mut *admin_tx)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("takes no more entries"), "{err}");
    admin_tx.rollback().await.unwrap();
    for with_entry in [true, false] {
        let mut admin_tx = sqlx::Connection::begin(&mut admin).await.unwrap();
        sqlx::query("SET LOCAL ROLE carethread_owner")
            .execute(&mut *admin_tx)
            .await
            .unwrap();
        let txn: Uuid = sqlx::query_scalar(
            "INSERT INTO ledger_transactions (kind, memo, scope, idempotency_key)
             VALUES ('fee', 'm', gen_random_uuid(), gen_random_uuid()::text) RETURNING id",
        )
        .fetch_one(&mut *admin_tx)
        .await
        .unwrap();
        if with_entry {
            sqlx::query(
                "INSERT INTO ledger_entries (transaction_id, account_id, amount_cents)
                 SELECT $1, id, 7 FROM ledger_accounts LIMIT 1",
            )
            .bind(txn)
            .execute(&mut *admin_tx)
            .await
            .unwrap();
        }
        let err = admin_tx.commit().await.unwrap_err();
        assert!(
            err.to_string().contains("ledger transaction"),
            "{with_entry}: {err}"
        );
    }
    // Replaying changes (the replication role) does not switch the guards off.
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut admin)
        .await
        .unwrap();
    let err = sqlx::query("DELETE FROM ledger_entries")
        .execute(&mut admin)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    sqlx::query("SET session_replication_role = origin")
        .execute(&mut admin)
        .await
        .unwrap();
    // A missing set of lines files nothing.
    let mut tx = as_role(&app.pool, p.family, p.family_org, "family").await;
    let err = sqlx::query("SELECT ledger_post('authorize', 'k-null', 'm', NULL, NULL, NULL)")
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("two entries at least"), "{err}");
    tx.rollback().await.unwrap();
    // And a caller with no identity cannot post at all.
    let mut anon = app::db::begin(&app.pool).await.unwrap();
    let err = ledger::post(
        &mut anon,
        &Posting::authorize("k3", p.family_org.into(), p.nurse.into(), Cents(500)).unwrap(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.status(), 500);
}

/// Whatever mix of payment steps is filed, every transaction sums to zero,
/// every balance is the sum of its account's entries, and the book as a
/// whole sums to zero (a property test: random sequences of steps, amounts
/// and clinicians, on one database).
#[test]
fn ledger_invariants_hold_for_any_sequence_of_steps() {
    use proptest::test_runner::{Config, TestRunner};
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let app = runtime.block_on(TestApp::spawn());
    let p = runtime.block_on(people(&app));
    let payer = OrganizationId::from(p.family_org);
    let round = std::sync::atomic::AtomicU32::new(0);
    let strategy = proptest::collection::vec((0u8..4, 1i64..100_000, 0u8..3), 1..25);
    let mut runner = TestRunner::new(Config {
        cases: 24,
        ..Config::default()
    });
    runner
        .run(&strategy, |steps| {
            let round = round.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            runtime.block_on(async {
                let mut admin = app.admin().await;
                let before: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_transactions")
                    .fetch_one(&mut admin)
                    .await
                    .unwrap();
                let mut nurses: Vec<UserId> = vec![p.nurse.into()];
                for _ in 0..2 {
                    let id = Uuid::new_v4();
                    sqlx::query("INSERT INTO users (id, email, display_name) VALUES ($1, $2, 'N')")
                        .bind(id)
                        .bind(format!("{id}@example.org"))
                        .execute(&mut admin)
                        .await
                        .unwrap();
                    nurses.push(id.into());
                }
                let mut tx = as_worker(&app).await;
                for (i, (step, cents, who)) in steps.iter().enumerate() {
                    let a = Cents(*cents);
                    let nurse = nurses[*who as usize];
                    let key = format!("round-{round}-step-{i}");
                    let posting = match step {
                        0 => Posting::authorize(key, payer, nurse, a),
                        1 => Posting::void(key, payer, nurse, a),
                        2 => Posting::capture(key, payer, nurse, a, Cents(a.0 / 2 + 1)),
                        _ => Posting::payout(key, nurse, a),
                    }
                    .unwrap();
                    ledger::post(&mut tx, &posting).await.unwrap();
                }

                let unbalanced: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries
                     GROUP BY transaction_id HAVING sum(amount_cents) <> 0 OR count(*) < 2) t",
                )
                .fetch_one(&mut admin)
                .await
                .unwrap();
                assert_eq!(unbalanced, 0);
                let mismatched: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM ledger_balances b
                     WHERE b.balance_cents <> (SELECT coalesce(sum(amount_cents), 0)
                                               FROM ledger_entries e WHERE e.account_id = b.account_id)",
                )
                .fetch_one(&mut admin)
                .await
                .unwrap();
                assert_eq!(mismatched, 0);
                let total: i64 =
                    sqlx::query_scalar("SELECT coalesce(sum(amount_cents), 0)::bigint FROM ledger_entries")
                        .fetch_one(&mut admin)
                        .await
                        .unwrap();
                assert_eq!(total, 0);
                let after: i64 = sqlx::query_scalar("SELECT count(*) FROM ledger_transactions")
                    .fetch_one(&mut admin)
                    .await
                    .unwrap();
                assert_eq!((after - before) as usize, steps.len());
            });
            Ok(())
        })
        .unwrap();
}

fn card(number: &str, amount: i64, key: &str) -> AuthorizeRequest {
    AuthorizeRequest {
        amount: Cents(amount),
        payment_method: number.to_owned(),
        description: "Carethread visit".to_owned(),
        idempotency_key: key.to_owned(),
    }
}

#[tokio::test]
async fn the_local_processor_holds_captures_voids_refunds_transfers_and_declines() {
    let app = TestApp::spawn().await;
    let local = LocalProcessor::new(app.pool.clone());

    let hold = local
        .authorize(&card("4242 4242 4242 4242", 9_000, "a1"))
        .await
        .unwrap();
    assert!(hold.id.starts_with("lp_"));
    assert_eq!(hold.amount, Cents(9_000));
    // The same key answers the same hold; another amount under it is refused.
    assert_eq!(
        local
            .authorize(&card("4242424242424242", 9_000, "a1"))
            .await
            .unwrap(),
        hold
    );
    assert!(matches!(
        local.authorize(&card("4242424242424242", 1, "a1")).await,
        Err(ProcessorError::Invalid { .. })
    ));
    // More than was held cannot be taken; a part can, once (a retry of the
    // same capture succeeds, another amount does not).
    assert!(local.capture(&hold.id, Cents(9_001)).await.is_err());
    local.capture(&hold.id, Cents(7_500)).await.unwrap();
    local.capture(&hold.id, Cents(7_500)).await.unwrap();
    assert!(local.capture(&hold.id, Cents(7_000)).await.is_err());
    assert!(
        local.void(&hold.id).await.is_err(),
        "a captured payment is not voided"
    );
    local.refund(&hold.id, Cents(2_500), "r1").await.unwrap();
    // A retried refund refunds once; a key is one refund.
    local.refund(&hold.id, Cents(2_500), "r1").await.unwrap();
    assert!(local.refund(&hold.id, Cents(100), "r1").await.is_err());
    assert!(
        local.refund(&hold.id, Cents(5_001), "r2").await.is_err(),
        "no more than was captured"
    );
    local.refund(&hold.id, Cents(5_000), "r3").await.unwrap();
    let refunded: i64 =
        sqlx::query_scalar("SELECT refunded_cents FROM local_processor_payments WHERE id = $1")
            .bind(&hold.id)
            .fetch_one(&mut app.admin().await)
            .await
            .unwrap();
    assert_eq!(refunded, 7_500);

    let other = local
        .authorize(&card("4242424242424242", 3_000, "a2"))
        .await
        .unwrap();
    local.void(&other.id).await.unwrap();
    local.void(&other.id).await.unwrap();
    assert!(
        local.capture(&other.id, Cents(3_000)).await.is_err(),
        "a voided hold is not captured"
    );

    for (number, reason) in app::payments::processor::local::DECLINING_CARDS {
        match local
            .authorize(&card(number, 1_000, &format!("d-{number}")))
            .await
        {
            Err(ProcessorError::Declined { reason: r }) => assert_eq!(r, *reason),
            other => panic!("{number}: {other:?}"),
        }
    }
    assert!(matches!(
        local.authorize(&card("12", 1_000, "d-short")).await,
        Err(ProcessorError::Declined { .. })
    ));
    let refusing = LocalProcessor::declining_all(app.pool.clone());
    assert!(matches!(
        refusing
            .authorize(&card("4242424242424242", 1_000, "d-all"))
            .await,
        Err(ProcessorError::Declined { .. })
    ));

    let t = local
        .transfer("acct_nurse", Cents(6_500), "t1")
        .await
        .unwrap();
    assert_eq!(
        local
            .transfer("acct_nurse", Cents(6_500), "t1")
            .await
            .unwrap(),
        t
    );
    assert!(local
        .transfer("acct_other", Cents(6_500), "t1")
        .await
        .is_err());
    let (payments, transfers): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM local_processor_payments),
                (SELECT count(*) FROM local_processor_transfers)",
    )
    .fetch_one(&mut app.admin().await)
    .await
    .unwrap();
    assert_eq!(
        (payments, transfers),
        (2, 1),
        "declines and retries store nothing"
    );
}

/// localstripe, started for one test on a free port; stopped when dropped.
struct LocalStripe {
    child: std::process::Child,
    url: String,
}

impl Drop for LocalStripe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn localstripe() -> LocalStripe {
    let bin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tools/localstripe/bin/localstripe");
    assert!(
        bin.exists(),
        "localstripe is not installed: run scripts/setup.sh (it installs it under tools/localstripe)"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new(bin)
        .args(["--port", &port.to_string(), "--from-scratch"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}");
    let server = LocalStripe { child, url };
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http
            .get(format!("{}/v1/balance", server.url))
            .bearer_auth("sk_test_x")
            .send()
            .await
            .is_ok()
        {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("localstripe did not start");
}

/// A card PaymentMethod, made as Stripe.js would in the payer's browser.
async fn payment_method(base: &str, number: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{base}/v1/payment_methods"))
        .bearer_auth("sk_test_carethread")
        .form(&[
            ("type", "card"),
            ("card[number]", number),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2030"),
            ("card[cvc]", "123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    body["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_stripe_adapter_against_localstripe() {
    let emulator = localstripe().await;
    let stripe = StripeProcessor::new(&emulator.url, "sk_test_carethread").unwrap();
    let visa = payment_method(&emulator.url, "4242424242424242").await;

    // A hold: a PaymentIntent waiting for capture.
    let hold = stripe.authorize(&card(&visa, 12_000, "s1")).await.unwrap();
    assert!(hold.id.starts_with("pi_"), "{}", hold.id);
    assert_eq!(hold.amount, Cents(12_000));
    let intent: serde_json::Value = reqwest::Client::new()
        .get(format!("{}/v1/payment_intents/{}", emulator.url, hold.id))
        .bearer_auth("sk_test_carethread")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(intent["status"], "requires_capture");
    assert_eq!(intent["capture_method"], "manual");

    // Part captured (the rest let go), then part refunded.
    stripe.capture(&hold.id, Cents(9_000)).await.unwrap();
    // A retried capture that went through is confirmed, not refused.
    stripe.capture(&hold.id, Cents(9_000)).await.unwrap();
    stripe
        .refund(&hold.id, Cents(1_000), "s1-refund")
        .await
        .unwrap();
    // A captured payment cannot be cancelled.
    assert!(matches!(
        stripe.void(&hold.id).await,
        Err(ProcessorError::Invalid { .. })
    ));

    // Another hold, let go.
    let other = stripe.authorize(&card(&visa, 5_000, "s2")).await.unwrap();
    stripe.void(&other.id).await.unwrap();
    // A retried cancel that went through is confirmed, not refused.
    stripe.void(&other.id).await.unwrap();
    assert!(stripe.capture(&other.id, Cents(5_000)).await.is_err());

    // Stripe's test card that attaches but fails when charged is declined,
    // with Stripe's reason.
    let declining = payment_method(&emulator.url, "4000000000000341").await;
    match stripe.authorize(&card(&declining, 5_000, "s3")).await {
        Err(ProcessorError::Declined { reason }) => assert!(!reason.is_empty()),
        other => panic!("{other:?}"),
    }
    // An id that is not a PaymentIntent's never reaches a URL.
    assert!(matches!(
        stripe.capture("pi_1/../../v1/transfers", Cents(1)).await,
        Err(ProcessorError::Invalid { .. })
    ));
    // localstripe has no Connect transfers (README, "Payments"): the call
    // is answered as a refusal, not taken for a payout.
    assert!(matches!(
        stripe.transfer("acct_1", Cents(100), "s4").await,
        Err(ProcessorError::Invalid { .. })
    ));
    // A transfer goes to a connected account only.
    assert!(matches!(
        stripe.transfer("../v1/charges", Cents(100), "s6").await,
        Err(ProcessorError::Invalid { .. })
    ));
    // An unreachable processor is "try again later".
    let gone = StripeProcessor::new("http://127.0.0.1:9", "sk_test_carethread").unwrap();
    assert!(matches!(
        gone.authorize(&card(&visa, 100, "s5")).await,
        Err(ProcessorError::Unavailable { .. })
    ));
}
