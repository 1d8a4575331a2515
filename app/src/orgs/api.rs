//! Server functions for the team, invitation and organization pages.

use super::{InviteInfo, OrgSummary, TeamView};
use crate::auth::Role;
use crate::error::AppError;
use crate::identity::{InvitationId, OrganizationId, UserId};
use app_macros::rpc;

/// Roles that see their organization's people: a clinic's team, a
/// family's members.
pub const TEAM_VIEWERS: [Role; 4] = [
    Role::ClinicAdmin,
    Role::ClinicStaff,
    Role::Family,
    Role::FamilyViewer,
];

/// Who invites, revokes and removes: a clinic's administrators, a
/// family's owners.
#[cfg(feature = "ssr")]
const TEAM_MANAGERS: [Role; 2] = [Role::ClinicAdmin, Role::Family];

/// The principal's clinic team or family.
#[rpc(prefix = "/rpc", endpoint = "team")]
pub async fn get_team() -> Result<TeamView, AppError> {
    let mut tx = crate::auth::require(&TEAM_VIEWERS).await?;
    let family = tx.principal().org_kind == crate::auth::OrgKind::Family;
    if matches!(tx.principal().role, Role::Family | Role::FamilyViewer) && !family {
        // A family account from before family organizations.
        return Err(AppError::Forbidden);
    }
    let can_manage = TEAM_MANAGERS.contains(&tx.principal().role);
    let organization = tx.principal().org_name.clone();
    let members = super::repo::members(&mut tx).await?;
    let invitations = if can_manage {
        super::repo::open_invitations(&mut tx).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    Ok(TeamView {
        organization,
        family,
        can_manage,
        members,
        invitations,
    })
}

/// Invites someone to the principal's clinic.
#[rpc(prefix = "/rpc", endpoint = "team/invite")]
pub async fn invite_member(email: String, role: String) -> Result<(), AppError> {
    let tx = crate::auth::require(&TEAM_MANAGERS).await?;
    let state = crate::state::app_state()?;
    super::service::invite(
        &state,
        tx,
        None,
        &email,
        &role,
        &crate::auth::RequestMeta::current(),
    )
    .await
    .map(|_| ())
}

#[rpc(prefix = "/rpc", endpoint = "team/revoke-invitation")]
pub async fn revoke_invitation(id: InvitationId) -> Result<(), AppError> {
    let tx = crate::auth::require(&TEAM_MANAGERS).await?;
    super::service::revoke_invitation(tx, id, &crate::auth::RequestMeta::current()).await
}

#[rpc(prefix = "/rpc", endpoint = "team/role")]
pub async fn change_member_role(user_id: UserId, role: String) -> Result<(), AppError> {
    let tx = crate::auth::require(&[Role::ClinicAdmin]).await?;
    super::service::change_role(tx, user_id, &role, &crate::auth::RequestMeta::current()).await
}

#[rpc(prefix = "/rpc", endpoint = "team/remove")]
pub async fn remove_member(user_id: UserId) -> Result<(), AppError> {
    let tx = crate::auth::require(&TEAM_MANAGERS).await?;
    super::service::remove_member(tx, user_id, &crate::auth::RequestMeta::current()).await
}

/// Every organization (platform administrators).
#[rpc(prefix = "/rpc", endpoint = "admin/organizations")]
pub async fn list_organizations() -> Result<Vec<OrgSummary>, AppError> {
    let mut tx = crate::auth::require(&[Role::PlatformAdmin]).await?;
    let orgs = super::repo::all_organizations(&mut tx).await?;
    tx.commit().await?;
    Ok(orgs)
}

/// Creates an organization and invites its first member.
#[rpc(prefix = "/rpc", endpoint = "admin/organizations/create")]
pub async fn create_organization(
    name: String,
    kind: String,
    email: String,
) -> Result<OrganizationId, AppError> {
    let tx = crate::auth::require(&[Role::PlatformAdmin]).await?;
    let state = crate::state::app_state()?;
    super::service::create_organization(
        &state,
        tx,
        &name,
        &kind,
        &email,
        &crate::auth::RequestMeta::current(),
    )
    .await
}

/// What the holder of an invitation link sees.
#[rpc(prefix = "/rpc", endpoint = "invite/info")]
pub async fn get_invitation(token: String) -> Result<InviteInfo, AppError> {
    let state = crate::state::app_state()?;
    let session = crate::auth::session::current_session().await?;
    let signed_in_as = match crate::auth::session::current(&state, &session).await? {
        Some(tx) => {
            let email = tx.principal().email.clone();
            tx.commit().await?;
            Some(email)
        }
        None => None,
    };
    super::service::invite_info(&state, &token, signed_in_as).await
}

/// Accepts an invitation by creating the invited account; signs it in.
#[rpc(prefix = "/rpc", endpoint = "invite/accept-new")]
pub async fn accept_invitation_new(
    token: String,
    name: String,
    password: String,
) -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    let session = crate::auth::session::current_session().await?;
    let signed_in = super::service::accept_with_new_account(
        &state,
        &token,
        &name,
        &password,
        &crate::auth::RequestMeta::current(),
    )
    .await?;
    crate::auth::session::start(&session, &signed_in.claim, signed_in.expires_at).await?;
    let target = signed_in.home().to_owned();
    leptos_axum::redirect(&target);
    Ok(target)
}

/// Accepts an invitation into the signed-in account and acts for the
/// organization joined.
#[rpc(prefix = "/rpc", endpoint = "invite/accept")]
pub async fn accept_invitation(token: String) -> Result<String, AppError> {
    let tx = crate::auth::require(&[]).await?;
    let state = crate::state::app_state()?;
    let session = crate::auth::session::current_session().await?;
    let mut claim = crate::auth::session::claim(&session)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let (org, role) =
        super::service::accept_as_member(&state, tx, &token, &crate::auth::RequestMeta::current())
            .await?;
    claim.org_id = org;
    claim.role = role;
    claim.can_switch = true;
    crate::auth::session::store_claim(&session, &claim).await?;
    let target = role.home().to_owned();
    leptos_axum::redirect(&target);
    Ok(target)
}
