//! Housekeeping: the `maintenance.prune` job, scheduled hourly, removes
//! what has outlived its purpose — health probes past the trust portal's
//! 90 days, throttle and API rate counters past their windows, expired
//! web sessions, finished jobs after 14 days (dead jobs stay until an
//! administrator retries them), and the unfinished answers and address of
//! expired intake links, and the files of exports past their day
//! ([`crate::exports::expire`]). Each statement is bounded by the policy
//! the worker role has on that table, so a bug here cannot remove more.

use crate::jobs::{Job, JobContext, JobError};

/// The `maintenance.prune` job.
pub struct Prune;

/// What one run removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub probes: u64,
    pub throttles: u64,
    pub rate_counters: u64,
    pub sessions: i64,
    pub jobs: u64,
    pub intake_links: i64,
    pub exports: u64,
}

impl Job for Prune {
    const KIND: &'static str = "maintenance.prune";
    type Payload = ();

    async fn run(&self, ctx: &JobContext, (): ()) -> Result<(), JobError> {
        let pruned = prune(&ctx.pool).await?;
        tracing::info!(?pruned, "housekeeping");
        Ok(())
    }
}

/// Prunes everything due for pruning.
pub async fn prune(pool: &sqlx::PgPool) -> Result<Pruned, sqlx::Error> {
    let probes =
        sqlx::query!("DELETE FROM health_probes WHERE probed_at < now() - interval '90 days'")
            .execute(pool)
            .await?
            .rows_affected();
    let throttles =
        sqlx::query!("DELETE FROM request_throttles WHERE window_start < now() - interval '1 day'")
            .execute(pool)
            .await?
            .rows_affected();
    let rate_counters = sqlx::query!(
        "DELETE FROM api_rate_counters WHERE window_start < now() - interval '2 days'"
    )
    .execute(pool)
    .await?
    .rows_affected();
    let intake_links: i64 = sqlx::query_scalar("SELECT intake_links_prune()")
        .fetch_one(pool)
        .await?;
    let sessions = sqlx::query_scalar!(r#"SELECT web_session_delete_expired() AS "n!""#)
        .fetch_one(pool)
        .await?;
    let jobs = sqlx::query!(
        "DELETE FROM jobs WHERE state = 'done' AND finished_at < now() - interval '14 days'"
    )
    .execute(pool)
    .await?
    .rows_affected();
    let exports = crate::exports::expire(pool).await?;
    Ok(Pruned {
        exports,
        probes,
        throttles,
        rate_counters,
        sessions,
        jobs,
        intake_links,
    })
}
