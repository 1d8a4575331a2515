//! The uptime probe: the `health.probe` job, scheduled by the job runner
//! every `HEALTH_PROBE_INTERVAL_SECS` (once per period across all server
//! processes), checks the database and records the result in
//! `health_probes`, from which the trust portal computes its 30-day
//! uptime. Old probes are pruned by [`crate::housekeeping`].

use crate::health::{check_database, DatabaseCheck};
use crate::jobs::{Job, JobContext, JobError, Retry};
use sqlx::PgPool;
use std::time::Duration;

/// The `health.probe` job.
pub struct Probe;

impl Job for Probe {
    const KIND: &'static str = "health.probe";
    type Payload = ();

    fn retry(&self) -> Retry {
        // A missed probe is simply a minute without one: never retried.
        Retry {
            max_attempts: 1,
            base: Duration::from_secs(1),
            cap: Duration::from_secs(1),
        }
    }

    async fn run(&self, ctx: &JobContext, (): ()) -> Result<(), JobError> {
        let check = check_database(&ctx.pool).await;
        // A probe that cannot be recorded is a minute without one (which
        // the uptime figure counts as down): never a failed job to retry.
        if let Err(error) = record(&ctx.pool, check).await {
            tracing::warn!(%error, "could not record a health probe");
        }
        Ok(())
    }
}

/// Records one probe result.
pub async fn record(pool: &PgPool, check: DatabaseCheck) -> Result<(), sqlx::Error> {
    let latency = i32::try_from(check.latency_ms).unwrap_or(i32::MAX);
    sqlx::query!(
        "INSERT INTO health_probes (ok, latency_ms) VALUES ($1, $2)",
        check.ok,
        latency
    )
    .execute(pool)
    .await?;
    Ok(())
}
