//! The one durable job runner: every kind of background work (mail,
//! webhook delivery, the domain-event fan-out, health probes, audit
//! checkpoints, housekeeping) is a [`Job`] run by a [`Runner`] over the
//! `jobs` table (`migrations/20261130000100_jobs.sql`).
//!
//! What it promises:
//! - **Durable**: a job is a row, filed in the transaction of the change
//!   that made the work (the outboxes file theirs by trigger), so a
//!   restart loses nothing.
//! - **Once at a time, across processes**: workers claim due rows with
//!   `FOR UPDATE SKIP LOCKED` and a lease they renew while the job runs; a
//!   process that dies (even by SIGKILL) leaves its jobs to be claimed
//!   again when the lease runs out. Completing checks the lease is still
//!   ours. Jobs run at least once, so each kind makes its effect
//!   idempotent (the outboxes record what was sent).
//! - **Retries** with exponential backoff and jitter up to the kind's
//!   [`Retry`] budget; then the job is **dead**: kept, shown to platform
//!   administrators at `/admin/jobs`, and retried from there
//!   (`app::jobs`). A [`JobError::Permanent`] failure is dead at once.
//! - **Schedules** ([`Runner::every`]): each process files "this kind for
//!   the period starting at T" under an idempotency key, so a schedule
//!   fires once per period however many processes run.
//! - **Idempotency keys** ([`enqueue`]): the same key files the work once.
//! - **Shutdown**: the runner stops claiming, lets running jobs finish for
//!   a grace period, then puts back what it still holds.
//!
//! Why our own and not a crate: we evaluated `graphile_worker` (mature,
//! sqlx 0.8, cron with backfill) — it installs and migrates its own schema
//! at run time, which our worker role (no DDL, by design) cannot do, and its
//! permanently failed jobs stay in the queue table without a dead state;
//! `apalis-postgres` 1.0 — its `setup()` runs its own sqlx migrator on the
//! shared `_sqlx_migrations` table and fails next to an application's
//! migrations (apalis-dev/apalis-postgres#64), and `apalis-cron` fires in
//! every process rather than once per schedule; `underway` 0.2 — sqlx 0.8
//! and once-per-schedule, but it too owns a schema it migrates itself,
//! brings `jiff` next to our `time`, and runs each task inside the worker's
//! transaction, which would hold a transaction open across an SMTP or HTTP
//! call. Outbox rows filed by trigger under row-level security, a worker
//! role without DDL, and a dead-job page for platform administrators are
//! ours either way; the runner that is left is this module's few hundred
//! lines.

mod runner;

pub use runner::{Round, Runner, Shutdown, DEFAULT_CONCURRENCY, WORKER_POOL_CONNECTIONS};

use app::identity::JobId;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use time::OffsetDateTime;

/// A kind of background work.
pub trait Job: Send + Sync + 'static {
    /// The kind's name in `jobs.kind` (`area.verb`).
    const KIND: &'static str;
    /// What one job of the kind needs (ids, never PHI).
    type Payload: Serialize + DeserializeOwned + Send + 'static;

    /// How failures are retried.
    fn retry(&self) -> Retry {
        Retry::default()
    }

    /// Does the work once.
    fn run(
        &self,
        ctx: &JobContext,
        payload: Self::Payload,
    ) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// A kind's retry budget: attempt `n` failing waits `base · 2^(n-1)` (at
/// most `cap`) plus a random quarter of that at most (jitter, so workers
/// failing together do not retry together), and the `max_attempts`-th
/// failure is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub max_attempts: i32,
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Self {
            max_attempts: 10,
            base: Duration::from_secs(30),
            cap: Duration::from_secs(6 * 3600),
        }
    }
}

impl Retry {
    /// The ceiling of the wait after the `attempt`-th failure.
    pub fn ceiling(&self, attempt: i32) -> Duration {
        let exponent = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.base.saturating_mul(1u32 << exponent).min(self.cap)
    }

    /// The wait after the `attempt`-th failure, `unit` in [0, 1) choosing
    /// how much of the quarter of jitter is added.
    pub fn delay(&self, attempt: i32, unit: f64) -> Duration {
        let ceiling = self.ceiling(attempt).as_secs_f64();
        Duration::from_secs_f64(ceiling + ceiling / 4.0 * unit.clamp(0.0, 1.0))
    }
}

/// Why an attempt failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Try again later (a server down, a timeout).
    #[error("{0}")]
    Retry(String),
    /// Retrying cannot help (a payload that does not parse, a refused
    /// address): dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl From<sqlx::Error> for JobError {
    fn from(error: sqlx::Error) -> Self {
        JobError::Retry(format!("database: {error}"))
    }
}

/// What a running job knows about itself.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// The worker role's pool.
    pub pool: PgPool,
    pub id: JobId,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// When the job runs again if this attempt fails; `None` if this is
    /// the last attempt. Kinds that keep a delivery record (mail, webhooks)
    /// show it there.
    pub retry_at: Option<OffsetDateTime>,
    worker_id: String,
    finished: Arc<AtomicBool>,
}

impl JobContext {
    /// Whether a failure of this attempt is final.
    pub fn last_attempt(&self) -> bool {
        self.retry_at.is_none()
    }

    /// Marks the job done inside the caller's transaction, for a kind whose
    /// whole effect is that transaction: the effect and the completion then
    /// commit together, so the work happens exactly once. Fails (and the
    /// caller should roll back) if the lease has passed to another worker.
    pub async fn finish_in(&self, tx: &mut PgConnection) -> Result<(), JobError> {
        if !mark_done(tx, self.id, &self.worker_id).await? {
            return Err(JobError::Retry("the lease passed to another worker".into()));
        }
        self.finished.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Whether [`Self::finish_in`] marked the job done.
    fn finished(&self) -> bool {
        self.finished.load(Ordering::SeqCst)
    }
}

/// Marks job `id` done if `worker` still holds it; whether it did.
async fn mark_done(
    conn: impl sqlx::PgExecutor<'_>,
    id: JobId,
    worker: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE jobs
         SET state = 'done', finished_at = now(), locked_by = NULL, locked_until = NULL,
             last_error = NULL
         WHERE id = $1 AND locked_by = $2 AND state = 'running'",
        id as JobId,
        worker,
    )
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Files a job of kind `J` (on the worker role's connection; the outboxes
/// file theirs by trigger). With `key`, a second filing of the same kind
/// and key is ignored; returns whether this call filed it.
pub async fn enqueue<J: Job>(
    conn: impl sqlx::PgExecutor<'_>,
    payload: &J::Payload,
    key: Option<&str>,
    run_at: Option<OffsetDateTime>,
) -> Result<bool, sqlx::Error> {
    let payload = serde_json::to_value(payload).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    file(conn, J::KIND, &payload, key, run_at).await
}

/// Files a job of `kind` (the insert behind [`enqueue`] and the schedules);
/// whether this call filed it.
async fn file(
    conn: impl sqlx::PgExecutor<'_>,
    kind: &str,
    payload: &serde_json::Value,
    key: Option<&str>,
    run_at: Option<OffsetDateTime>,
) -> Result<bool, sqlx::Error> {
    let filed = sqlx::query!(
        "INSERT INTO jobs (kind, payload, idempotency_key, run_at)
         VALUES ($1, $2, $3, coalesce($4, now()))
         ON CONFLICT (kind, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING",
        kind,
        payload,
        key,
        run_at,
    )
    .execute(conn)
    .await?;
    Ok(filed.rows_affected() == 1)
}
