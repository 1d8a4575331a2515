//! Server functions of the break-glass page (`/admin/break-glass`), for
//! platform administrators only.

use super::{BreakGlassChoices, BreakGlassGrantView};
use crate::error::AppError;
use crate::identity::{OrganizationId, ReferralId};
use crate::referrals::{ReferralPage, ReferralView};
use app_macros::rpc;

/// The organizations a grant may be opened on, and the administrator's
/// live grant on `organization_id` when one is chosen.
#[rpc(prefix = "/rpc", endpoint = "break-glass/options")]
pub async fn break_glass_options(
    #[server(default)] organization_id: Option<OrganizationId>,
) -> Result<BreakGlassChoices, AppError> {
    let state = crate::state::app_state()?;
    let mut tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    let organizations = super::service::organizations(&mut tx).await?;
    let admin = super::service::platform_admin(tx).await?;
    let grant = match organization_id {
        Some(org) => super::service::live_grant(&state.pool, &admin, org).await?,
        None => None,
    };
    Ok(BreakGlassChoices {
        organizations,
        grant,
    })
}

/// Opens a grant on `organization_id` for `minutes` (15–60, default 30)
/// with `reason` (10–500 characters).
#[rpc(prefix = "/rpc", endpoint = "break-glass/open")]
pub async fn open_break_glass(
    #[server(default)] organization_id: String,
    #[server(default)] reason: String,
    #[server(default)] minutes: String,
) -> Result<BreakGlassGrantView, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    let admin = super::service::platform_admin(tx).await?;
    super::service::open(
        &state.pool,
        &admin,
        &organization_id,
        &reason,
        &minutes,
        &crate::auth::RequestMeta::current(),
        &state.settings.public_url,
    )
    .await
}

/// The newest referrals of `organization_id`, read under the
/// administrator's live grant (audited in that organization's chain).
#[rpc(prefix = "/rpc", endpoint = "break-glass/referrals")]
pub async fn break_glass_referrals(
    organization_id: OrganizationId,
) -> Result<ReferralPage, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    let admin = super::service::platform_admin(tx).await?;
    let tx = super::service::enter(&state.pool, &admin, organization_id).await?;
    crate::referrals::service::list(
        tx,
        &crate::referrals::InboxFilter::default(),
        None,
        &crate::auth::RequestMeta::current(),
    )
    .await
}

/// One referral of `organization_id`, read under the administrator's live
/// grant (audited in that organization's chain).
#[rpc(prefix = "/rpc", endpoint = "break-glass/referral")]
pub async fn break_glass_referral(
    organization_id: OrganizationId,
    id: ReferralId,
) -> Result<ReferralView, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[crate::auth::Role::PlatformAdmin]).await?;
    let admin = super::service::platform_admin(tx).await?;
    let tx = super::service::enter(&state.pool, &admin, organization_id).await?;
    crate::referrals::service::view(tx, id, &crate::auth::RequestMeta::current()).await
}
