//! A signed-in person's sessions: signing out, ending another of their own
//! sign-ins, and moving to another of their organizations.

use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::repo::{self, EndReason};
use crate::auth::session::{Actor, RequestMeta, SessionClaim};
use crate::db::TenantTx;
use crate::error::AppError;
use crate::identity::{LoginId, OrganizationId};
use serde_json::json;

/// Ends the principal's own sign-in.
pub async fn sign_out(mut tx: TenantTx, meta: &RequestMeta) -> Result<(), AppError> {
    let Actor::User { login_id, user_id } = tx.principal().actor else {
        return Err(AppError::Forbidden);
    };
    repo::end_login(tx.conn(), login_id, EndReason::SignedOut).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::SignOut)
            .subject(Subject::user(user_id))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends another of the principal's own sign-ins (a lost phone, say).
pub async fn revoke_session(
    mut tx: TenantTx,
    login_id: LoginId,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if Some(login_id) == tx.principal().login() {
        return Err(AppError::BadRequest {
            message: "Use “Sign out” to end this session.".to_owned(),
        });
    }
    if !repo::end_login(tx.conn(), login_id, EndReason::Revoked).await? {
        return Err(AppError::NotFound);
    }
    record(
        &mut tx,
        Entry::new(AuditAction::SessionRevoked)
            .subject(Subject::new("session", login_id))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Moves the principal to another of their memberships. Returns the new
/// claim for the session.
pub async fn switch_organization(
    tx: TenantTx,
    org_id: OrganizationId,
    meta: &RequestMeta,
) -> Result<SessionClaim, AppError> {
    let login_id = tx.principal().login().ok_or(AppError::Forbidden)?;
    let from = tx.principal().org_id;
    let mut tx = tx.into_user_scope().await?;
    let memberships = repo::own_memberships(&mut tx).await?;
    let target = memberships
        .iter()
        .find(|m| m.org_id == org_id)
        .cloned()
        .ok_or(AppError::Forbidden)?;
    tx.act_for(target.org_id, target.role).await?;
    let user_id = tx.scope().user_id;
    record(
        &mut tx,
        Entry::new(AuditAction::OrganizationSwitched)
            .subject(Subject::user(user_id))
            .ip(meta.ip)
            .details(json!({ "from": from, "role": target.role.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(SessionClaim {
        user_id,
        login_id,
        org_id: target.org_id,
        role: target.role,
        can_switch: memberships.len() > 1,
    })
}
