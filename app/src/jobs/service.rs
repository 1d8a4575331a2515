//! Domain operations on the job table for platform administrators.

use super::{DeadJob, JobsOverview, DEAD_SHOWN};
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::session::RequestMeta;
use crate::auth::Role;
use crate::db::TenantTx;
use crate::error::AppError;
use crate::identity::JobId;
use serde_json::json;

fn platform_admin(tx: &TenantTx) -> Result<(), AppError> {
    let principal = tx.principal();
    if principal.role != Role::PlatformAdmin || principal.person().is_none() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Counts by state and the newest dead jobs.
pub async fn overview(mut tx: TenantTx) -> Result<JobsOverview, AppError> {
    platform_admin(&tx)?;
    let counts = sqlx::query!(
        r#"SELECT count(*) FILTER (WHERE state = 'queued') AS "queued!",
                  count(*) FILTER (WHERE state = 'running') AS "running!",
                  count(*) FILTER (WHERE state = 'dead') AS "dead!"
           FROM jobs WHERE state IN ('queued', 'running', 'dead')"#
    )
    .fetch_one(tx.conn())
    .await?;
    let dead = sqlx::query_as!(
        DeadJob,
        r#"SELECT id AS "id: JobId", kind, attempts, last_error, created_at, finished_at AS "died_at!"
           FROM jobs WHERE state = 'dead'
           ORDER BY finished_at DESC, id LIMIT $1"#,
        DEAD_SHOWN
    )
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    Ok(JobsOverview {
        queued: counts.queued,
        running: counts.running,
        dead,
        dead_total: counts.dead,
    })
}

/// Puts dead job `id` back in the queue, due now with a fresh retry
/// budget, and records who did it.
pub async fn retry(mut tx: TenantTx, id: &str, meta: &RequestMeta) -> Result<(), AppError> {
    platform_admin(&tx)?;
    let id: JobId = id.trim().parse().map_err(|_| AppError::NotFound)?;
    let kind = sqlx::query_scalar!(
        "UPDATE jobs SET state = 'queued', attempts = 0, run_at = now(), finished_at = NULL
         WHERE id = $1 AND state = 'dead'
         RETURNING kind",
        id as JobId
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(AppError::NotFound)?;
    record(
        &mut tx,
        Entry::new(AuditAction::JobRetried)
            .subject(Subject::new("job", id))
            .ip(meta.ip)
            .details(json!({ "kind": kind })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
