//! Bookings' and payments' background work, on the one job runner
//! (`crate::jobs`); each kind is filed by trigger in the transaction of
//! the change that made it (`migrations/*_booking.sql`):
//!
//! | kind | when | does |
//! |---|---|---|
//! | `booking.expire_hold` | the hold runs out | an unconfirmed hold is let go (the slot is free again) |
//! | `booking.lapse` | the clinician's time to answer runs out | an unanswered request is declined (its card hold is let go) |
//! | `booking.no_show` | two hours after an accepted visit's end | a visit never checked in is missed (its card hold is let go) |
//! | `booking.notify` | a booking is requested, answered or cancelled | mails the clinician or the family: initials and a link |
//! | `payments.settle` | a payment is to be voided, or is due | voids, or captures, transfers and posts to the ledger |
//!
//! Settling calls the card processor while it holds the payment's row
//! lock, so a settlement runs once at a time per payment; every processor
//! call and ledger posting is keyed by the visit, so a job retried after a
//! crash at any step does each step once.
//!
//! Also here: the processor the configuration chose, and writing the
//! booking policy (`payment_policy`) from the configuration at start.

use crate::config::{PaymentsConfig, ProcessorChoice};
use crate::jobs::{Job, JobContext, JobError};
use anyhow::Context;
use app::identity::{OrganizationId, UserId};
use app::payments::processor::{
    local::LocalProcessor, stripe::StripeProcessor, CardProcessor, Processor, ProcessorError,
};
use app::payments::{ledger, Cents, Posting};
use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

/// How many connections of its own the local processor books on, when
/// it serves requests. It stands for a service elsewhere and must not
/// share the requests' pool: a confirmation holds its request's connection
/// while it calls the processor, so with one pool, as many confirmations at
/// once as the pool has connections each waited for a second connection
/// that none of them would free, and every request answered 503 after the
/// acquire timeout (`scripts/bench/vs-pgbench.sh booking`, 100 families at
/// once; `server/tests/bookings.rs` holds it). The job runner's pool is
/// sized for two connections a job instead (`jobs::WORKER_POOL_CONNECTIONS`).
pub const LOCAL_PROCESSOR_CONNECTIONS: u32 = 4;

/// The processor `choice` names, for the request path: the local one on
/// `LOCAL_PROCESSOR_CONNECTIONS` connections of its own as the application
/// role, opened only when first used. `serve` and the test harness both
/// build theirs here.
pub fn request_processor(
    choice: &ProcessorChoice,
    app_url: &crate::config::Secret,
    settings: crate::db::PoolSettings,
) -> anyhow::Result<Processor> {
    match choice {
        ProcessorChoice::Local => {
            let own = crate::db::lazy_app_pool(
                app_url,
                "carethread-local-processor",
                crate::db::PoolSettings {
                    max_connections: LOCAL_PROCESSOR_CONNECTIONS,
                    ..settings
                },
            )?;
            Ok(Processor::Local(LocalProcessor::new(own)))
        }
        ProcessorChoice::Stripe { base, secret } => stripe(base, secret),
    }
}

/// The processor `config` names, over `pool` for the local one.
pub fn processor(config: &PaymentsConfig, pool: PgPool) -> anyhow::Result<Processor> {
    Ok(match &config.processor {
        ProcessorChoice::Local => Processor::Local(LocalProcessor::new(pool)),
        ProcessorChoice::Stripe { base, secret } => stripe(base, secret)?,
    })
}

fn stripe(base: &str, secret: &str) -> anyhow::Result<Processor> {
    Ok(Processor::Stripe(
        StripeProcessor::new(base.to_owned(), secret.to_owned())
            .map_err(|e| anyhow::anyhow!("the Stripe processor: {e}"))?,
    ))
}

/// Writes the booking policy from the configuration (as the owner: the
/// application and worker roles only read it).
pub async fn apply_policy(admin_url: &str, config: &PaymentsConfig) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect(admin_url).await?;
    sqlx::raw_sql("SET ROLE carethread_owner")
        .execute(&mut conn)
        .await?;
    sqlx::query(
        "UPDATE payment_policy SET hold_seconds = $1, answer_seconds = $2, review_seconds = $3,
                                   late_cancel_seconds = $4, late_cancel_fee_cents = $5",
    )
    .bind(config.hold_secs)
    .bind(config.answer_secs)
    .bind(config.review_secs)
    .bind(config.late_cancel_secs)
    .bind(config.late_cancel_fee_cents)
    .execute(&mut conn)
    .await
    .context(
        "the booking policy (BOOKING_*, PAYMENT_REVIEW_SECS, LATE_CANCEL_*) is out of range",
    )?;
    conn.close().await?;
    Ok(())
}

/// Which visit (ids only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VisitRef {
    pub organization_id: Uuid,
    pub visit_id: Uuid,
}

/// Moves a booked visit on by `sql` (binding its organization and id) and
/// finishes the job in the same transaction: the move happens once.
async fn move_visit(ctx: &JobContext, v: &VisitRef, sql: &str) -> Result<(), JobError> {
    let mut tx = app::db::begin(&ctx.pool).await?;
    sqlx::query(sql)
        .bind(v.organization_id)
        .bind(v.visit_id)
        .execute(&mut *tx)
        .await?;
    ctx.finish_in(&mut tx).await?;
    tx.commit().await?;
    Ok(())
}

/// `booking.expire_hold`.
pub struct ExpireHold;

impl Job for ExpireHold {
    const KIND: &'static str = "booking.expire_hold";
    type Payload = VisitRef;

    async fn run(&self, ctx: &JobContext, v: VisitRef) -> Result<(), JobError> {
        let early: Option<bool> = sqlx::query_scalar(
            "SELECT hold_expires_at > now() FROM visits
             WHERE organization_id = $1 AND id = $2 AND status = 'held'",
        )
        .bind(v.organization_id)
        .bind(v.visit_id)
        .fetch_optional(&ctx.pool)
        .await?;
        if early == Some(true) {
            return Err(JobError::Retry("the hold has not expired yet".into()));
        }
        move_visit(
            ctx,
            &v,
            "UPDATE visits SET status = 'cancelled', status_note = 'The hold expired before it was confirmed'
             WHERE organization_id = $1 AND id = $2 AND status = 'held' AND hold_expires_at <= now()",
        )
        .await
    }
}

/// `booking.lapse`.
pub struct Lapse;

impl Job for Lapse {
    const KIND: &'static str = "booking.lapse";
    type Payload = VisitRef;

    async fn run(&self, ctx: &JobContext, v: VisitRef) -> Result<(), JobError> {
        move_visit(
            ctx,
            &v,
            "UPDATE visits SET status = 'declined', status_note = 'The clinician did not answer in time'
             WHERE organization_id = $1 AND id = $2 AND status = 'proposed'",
        )
        .await
    }
}

/// `booking.no_show`.
pub struct NoShow;

impl Job for NoShow {
    const KIND: &'static str = "booking.no_show";
    type Payload = VisitRef;

    async fn run(&self, ctx: &JobContext, v: VisitRef) -> Result<(), JobError> {
        move_visit(
            ctx,
            &v,
            "UPDATE visits SET status = 'missed', status_note = 'The clinician did not check in'
             WHERE organization_id = $1 AND id = $2 AND status = 'accepted' AND checked_in_at IS NULL",
        )
        .await
    }
}

/// What `booking.notify` is told.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Notice {
    pub organization_id: Uuid,
    pub visit_id: Uuid,
    pub status: String,
}

/// A message's subject and headline.
type Message = (&'static str, &'static str);

/// `booking.notify`: links start at `public_url`.
pub struct Notify {
    pub public_url: String,
}

impl Job for Notify {
    const KIND: &'static str = "booking.notify";
    type Payload = Notice;

    async fn run(&self, ctx: &JobContext, n: Notice) -> Result<(), JobError> {
        let mut tx = app::db::begin(&ctx.pool).await?;
        type Row = (String, Option<String>, Uuid, String);
        let row: Option<Row> = sqlx::query_as(
            "SELECT p.initials, u.email, v.family_id, c.display_name
             FROM visits v
             JOIN patients p ON p.organization_id = v.organization_id AND p.id = v.patient_id
             JOIN clinicians c ON c.id = v.clinician_id
             LEFT JOIN users u ON u.id = c.user_id AND u.disabled_at IS NULL
             WHERE v.organization_id = $1 AND v.id = $2 AND v.family_id IS NOT NULL",
        )
        .bind(n.organization_id)
        .bind(n.visit_id)
        .fetch_optional(&mut *tx)
        .await?;
        if let Some((initials, clinician_email, family, clinician)) = row {
            let to_clinician = format!("{}/clinician/visits/{}", self.public_url, n.visit_id);
            let to_family = format!("{}/family/visits/{}", self.public_url, n.visit_id);
            let (clinician_mail, family_mail): (Option<Message>, Option<(String, String)>) =
                match n.status.as_str() {
                    "proposed" => (
                        Some(("A family asked to book you", "A family asked to book a visit with you. Accept or decline it.")),
                        None,
                    ),
                    "accepted" => (None, Some((
                        "Your visit was accepted".to_owned(),
                        format!("{clinician} accepted your visit."),
                    ))),
                    "declined" => (None, Some((
                        "Your visit was not accepted".to_owned(),
                        format!("{clinician} could not take your visit. The hold on your card is released; book another time."),
                    ))),
                    "cancelled" => (
                        Some(("A booked visit was cancelled", "A booked visit was cancelled.")),
                        Some((
                            "Your visit was cancelled".to_owned(),
                            "Your visit was cancelled.".to_owned(),
                        )),
                    ),
                    _ => (None, None),
                };
            if let (Some((subject, headline)), Some(to)) = (clinician_mail, clinician_email) {
                let mail =
                    app::mail::booking_update(&to, subject, headline, &initials, &to_clinician);
                app::mail::enqueue(&mut tx, &mail).await?;
            }
            if let Some((subject, headline)) = family_mail {
                let members: Vec<String> = sqlx::query_scalar(
                    "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
                     WHERE m.organization_id = $1 AND u.disabled_at IS NULL ORDER BY u.email",
                )
                .bind(family)
                .fetch_all(&mut *tx)
                .await?;
                for to in members {
                    let mail =
                        app::mail::booking_update(&to, &subject, &headline, &initials, &to_family);
                    app::mail::enqueue(&mut tx, &mail).await?;
                }
            }
        }
        ctx.finish_in(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// `payments.settle`.
pub struct Settle {
    pub processor: Processor,
}

fn processor_failed(step: &str, error: ProcessorError) -> JobError {
    match error {
        ProcessorError::Unavailable { message } => JobError::Retry(format!("{step}: {message}")),
        other => JobError::Permanent(format!("{step}: {other}")),
    }
}

fn posting(result: Result<Posting, app::payments::PostingError>) -> Result<Posting, JobError> {
    result.map_err(|e| JobError::Permanent(format!("a posting does not fit: {e:?}")))
}

async fn post(tx: &mut PgConnection, p: &Posting) -> Result<(), JobError> {
    ledger::post(tx, p)
        .await
        .map(|_| ())
        .map_err(|e| JobError::Retry(format!("the ledger: {e:?}")))
}

/// Where a clinician's payouts go at the processor. The local processor
/// takes any name; with Stripe the clinician's Connect account would be
/// named here, and onboarding clinicians to Connect is not built yet.
fn destination(processor: &Processor, clinician: UserId) -> Result<String, JobError> {
    match processor {
        Processor::Local(_) => Ok(format!("clinician-{clinician}")),
        Processor::Stripe(_) => Err(JobError::Permanent(
            "the clinician has no Stripe Connect account to pay out to".into(),
        )),
    }
}

impl Job for Settle {
    const KIND: &'static str = "payments.settle";
    type Payload = VisitRef;

    async fn run(&self, ctx: &JobContext, v: VisitRef) -> Result<(), JobError> {
        let mut tx = app::db::begin(&ctx.pool).await?;
        type Row = (String, i64, Option<i64>, String, Uuid, Uuid, bool);
        let row: Option<Row> = sqlx::query_as(
            "SELECT state::text, amount_cents, capture_cents, authorization_id, payer_org_id,
                    clinician_user_id, coalesce(release_at <= now(), false)
             FROM visit_payments WHERE organization_id = $1 AND visit_id = $2 FOR UPDATE",
        )
        .bind(v.organization_id)
        .bind(v.visit_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((state, amount, capture, authorization, payer, clinician, due)) = row else {
            ctx.finish_in(&mut tx).await?;
            tx.commit().await?;
            return Ok(());
        };
        let (amount, payer, clinician) = (
            Cents(amount),
            OrganizationId::from(payer),
            UserId::from(clinician),
        );
        let visit = v.visit_id;
        match state.as_str() {
            "voiding" => {
                self.processor
                    .void(&authorization)
                    .await
                    .map_err(|e| processor_failed("void", e))?;
                let p = posting(Posting::void(
                    format!("void-{visit}"),
                    payer,
                    clinician,
                    amount,
                ))?
                .about("visit", visit);
                post(&mut tx, &p).await?;
                sqlx::query(
                    "UPDATE visit_payments SET state = 'voided'
                     WHERE organization_id = $1 AND visit_id = $2",
                )
                .bind(v.organization_id)
                .bind(visit)
                .execute(&mut *tx)
                .await?;
            }
            "scheduled" if due => {
                let taken = Cents(capture.unwrap_or(amount.0));
                // Where the money goes is known before any is taken.
                let to = destination(&self.processor, clinician)?;
                self.processor
                    .capture(&authorization, taken)
                    .await
                    .map_err(|e| processor_failed("capture", e))?;
                let p = posting(Posting::capture(
                    format!("capture-{visit}"),
                    payer,
                    clinician,
                    amount,
                    taken,
                ))?
                .about("visit", visit);
                post(&mut tx, &p).await?;
                let transfer = self
                    .processor
                    .transfer(&to, taken, &format!("payout-{visit}"))
                    .await
                    .map_err(|e| processor_failed("transfer", e))?;
                let p = posting(Posting::payout(format!("payout-{visit}"), clinician, taken))?
                    .about("visit", visit);
                post(&mut tx, &p).await?;
                sqlx::query(
                    "UPDATE visit_payments SET state = 'paid', paid_at = now(), transfer_id = $3
                     WHERE organization_id = $1 AND visit_id = $2",
                )
                .bind(v.organization_id)
                .bind(visit)
                .bind(transfer.0)
                .execute(&mut *tx)
                .await?;
            }
            // Not due yet (a job is filed for its time), or settled.
            _ => {}
        }
        ctx.finish_in(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
