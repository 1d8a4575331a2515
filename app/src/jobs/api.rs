//! Server functions of `/admin/jobs`, for platform administrators only.

use super::JobsOverview;
use crate::error::AppError;
use app_macros::rpc;

/// The queue at a glance and the dead jobs.
#[rpc(prefix = "/rpc", endpoint = "admin/jobs")]
pub async fn load_jobs() -> Result<JobsOverview, AppError> {
    let tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    super::service::overview(tx).await
}

/// Puts a dead job back in the queue.
#[rpc(prefix = "/rpc", endpoint = "admin/jobs/retry")]
pub async fn retry_job(#[server(default)] id: String) -> Result<(), AppError> {
    let tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    super::service::retry(tx, &id, &crate::auth::RequestMeta::current()).await
}
