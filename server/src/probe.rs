//! The uptime probe: a background task that checks the database about once
//! a minute and records the result in `health_probes`, from which the trust
//! portal computes its 30-day uptime. Each server process probes; uptime
//! counts distinct minutes, so several processes do not inflate it.
//!
//! Probes older than 90 days are pruned hourly (retention), under a policy
//! that lets the application role delete nothing newer.
//!
//! The same ticker writes the signed audit checkpoints when a key is
//! configured ([`crate::audit_anchor::Periodic`]: due every
//! `AUDIT_CHECKPOINT_INTERVAL_SECS`, as the worker role, at most one per
//! interval across all server processes). Both move onto the single
//! durable job runner when it lands; until then this is the one periodic
//! loop, so no second hand-made loop is added.

use crate::health::{check_database, DatabaseCheck};
use sqlx::PgPool;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Starts probing every `interval`, beginning now; with `checkpoints`,
/// also writes audit checkpoints when they are due.
pub fn spawn(
    pool: PgPool,
    interval: Duration,
    checkpoints: Option<crate::audit_anchor::Periodic>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let prune_every = (3600 / interval.as_secs().max(1)).max(1);
        let mut count: u64 = 0;
        loop {
            ticker.tick().await;
            let check = check_database(&pool).await;
            if let Err(error) = record(&pool, check).await {
                tracing::warn!(%error, "could not record a health probe");
            }
            if count.is_multiple_of(prune_every) {
                if let Err(error) = prune(&pool).await {
                    tracing::warn!(%error, "could not prune old health probes");
                }
            }
            if let Some(checkpoints) = &checkpoints {
                checkpoints.tick().await;
            }
            count = count.wrapping_add(1);
        }
    })
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

async fn prune(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM health_probes WHERE probed_at < now() - interval '90 days'")
        .execute(pool)
        .await?;
    Ok(())
}
