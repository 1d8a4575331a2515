//! Invitations, roles and organizations: the operations behind the team
//! and organization pages, each writing its audit event (and its mail) in
//! the transaction of the change.

use super::repo::{self, NewInvitation};
use super::{InviteInfo, InviteStatus};
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::repo::{self as auth_repo, LoginOutcome};
use crate::auth::service::{open_login, SignedIn};
use crate::auth::session::RequestMeta;
use crate::auth::{token, NewPassword, OrgKind, Role};
use crate::db::{SignIn, TenantTx, Token, Tx};
use crate::domain::{BoundedText, EmailAddress, TextRules};
use crate::error::{AppError, FieldError, Violation};
use crate::identity::{InvitationId, OrganizationId, UserId};
use crate::mail;
use crate::state::AppState;
use serde_json::json;
use time::OffsetDateTime;

const ORG_NAME: TextRules = TextRules::single_line("Organization name", 2, 160);
const NAME: TextRules = TextRules::single_line("Your name", 1, 120);

/// Invites `email` to the principal's organization (clinic administrators)
/// or to `target` (platform administrators) with `role`.
#[tracing::instrument(skip_all, err(Debug, level = "info"))]
pub async fn invite(
    state: &AppState,
    mut tx: TenantTx,
    target: Option<OrganizationId>,
    email: &str,
    role: &str,
    meta: &RequestMeta,
) -> Result<InvitationId, AppError> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse(email)
        .map_err(|m| errors.push(FieldError::new("email", m)))
        .ok();
    let role = Role::parse(role.trim());
    if role.is_none() {
        errors.push(FieldError::new("role", "Choose a role."));
    }
    let (Some(email), Some(role)) = (email, role) else {
        return Err(errors.into());
    };
    let principal = tx.principal().clone();
    let org = match principal.role {
        Role::PlatformAdmin => {
            target.ok_or_else(|| AppError::invalid("org", "Choose an organization."))?
        }
        Role::ClinicAdmin if target.is_none_or(|t| t == principal.org_id) => principal.org_id,
        Role::Family if target.is_none() && principal.org_kind == OrgKind::Family => {
            principal.org_id
        }
        _ => return Err(AppError::Forbidden),
    };
    let (org_name, kind) = repo::organization(tx.conn(), org)
        .await?
        .ok_or(AppError::NotFound)?;
    let allowed = match principal.role {
        // A family's people are its own to invite: not even the operator
        // joins a family (its health data and payments).
        Role::PlatformAdmin => {
            !matches!(kind, OrgKind::Platform | OrgKind::Family) && role.fits(kind)
        }
        Role::Family => matches!(role, Role::Family | Role::FamilyViewer),
        _ => matches!(
            role,
            Role::ClinicAdmin | Role::ClinicStaff | Role::Clinician
        ),
    };
    if !allowed {
        return Err(AppError::invalid(
            "role",
            format!("{} is not a role you can give in {org_name}.", role.label()),
        ));
    }
    // Anyone may register a family, so a family's invitations are few:
    // nobody sends mail through Carethread by the hundred.
    if kind == OrgKind::Family && repo::open_invitation_count(tx.conn(), org).await? >= 10 {
        return Err(AppError::Conflict {
            message: "Your family has ten open invitations. Wait for some to be accepted, or revoke some."
                .to_owned(),
        });
    }
    if repo::is_member(tx.conn(), org, email.as_str()).await? {
        return Err(AppError::invalid(
            "email",
            format!("{email} is already a member of {org_name}."),
        ));
    }
    let token = token::EmailToken::generate();
    let ttl = state.settings.auth.invitation_ttl;
    let created = repo::create_invitation(
        tx.conn(),
        &NewInvitation {
            org,
            email: email.as_str(),
            role,
            token_hash: token.hash(),
            invited_by: principal.require_person()?,
            expires_at: OffsetDateTime::now_utc() + ttl,
        },
    )
    .await;
    let id = match created {
        Err(e) if Violation::of(&e) == Some(Violation::InvitationOpen) => {
            return Err(AppError::invalid(
                "email",
                "An invitation to this address is already waiting. Revoke it to send a new one.",
            ))
        }
        other => other?,
    };
    let link = state
        .settings
        .link(&format!("/invite?token={}", token.text()));
    // A family's name is its registrant's own words: kept out of the mail.
    let named = if kind == OrgKind::Family {
        "a family"
    } else {
        org_name.as_str()
    };
    mail::enqueue(
        tx.conn(),
        &mail::invitation(
            email.as_str(),
            named,
            &principal.display_name,
            role.label(),
            &link,
            ttl.as_secs() / 86_400,
        ),
    )
    .await?;
    record(
        &mut tx,
        Entry::new(AuditAction::InvitationSent)
            .subject(Subject::new("invitation", id))
            .ip(meta.ip)
            .details(json!({ "organization": org, "role": role.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Revokes an open invitation of the principal's organization.
pub async fn revoke_invitation(
    mut tx: TenantTx,
    id: InvitationId,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if !repo::revoke_invitation(&mut tx, id).await? {
        return Err(AppError::NotFound);
    }
    record(
        &mut tx,
        Entry::new(AuditAction::InvitationRevoked)
            .subject(Subject::new("invitation", id))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn last_admin() -> AppError {
    AppError::Conflict {
        message:
            "A clinic needs at least one administrator. Make someone else an administrator first."
                .to_owned(),
    }
}

/// Changes a member's role between clinic administrator and staff.
pub async fn change_role(
    mut tx: TenantTx,
    user_id: UserId,
    role: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let role = Role::parse(role.trim())
        .filter(|r| matches!(r, Role::ClinicAdmin | Role::ClinicStaff))
        .ok_or_else(|| AppError::invalid("role", "Choose administrator or staff."))?;
    let current = repo::member_role_for_update(&mut tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if current == role {
        return Ok(());
    }
    if current == Role::ClinicAdmin && repo::admin_count_for_update(&mut tx).await? <= 1 {
        return Err(last_admin());
    }
    repo::set_role(&mut tx, user_id, role).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::RoleChanged)
            .subject(Subject::user(user_id))
            .ip(meta.ip)
            .details(json!({ "from": current.as_str(), "to": role.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a member (not oneself) from the principal's organization. Their
/// sessions lose access to it on their next request.
pub async fn remove_member(
    mut tx: TenantTx,
    user_id: UserId,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if Some(user_id) == tx.principal().person() {
        return Err(AppError::Conflict {
            message: "You cannot remove yourself. Ask another administrator.".to_owned(),
        });
    }
    // Two owners removing each other at once: one after the other, and
    // the second finds it is no longer a member (so an owner remains).
    if tx.principal().role == Role::Family {
        repo::lock_members(&mut tx).await?;
        let me = tx.principal().require_person()?;
        if !repo::is_member_by_id(&mut tx, me).await? {
            return Err(AppError::Forbidden);
        }
    }
    if !repo::remove_member(&mut tx, user_id).await? {
        return Err(AppError::NotFound);
    }
    // What they sent cannot bring them back.
    repo::revoke_invitations_by(&mut tx, user_id).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::MemberRemoved)
            .subject(Subject::user(user_id))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Creates a clinic or referring organization and invites its first
/// member (a clinic administrator, or a discharge planner).
#[tracing::instrument(skip_all, err(Debug, level = "info"))]
pub async fn create_organization(
    state: &AppState,
    mut tx: TenantTx,
    name: &str,
    kind: &str,
    first_email: &str,
    meta: &RequestMeta,
) -> Result<OrganizationId, AppError> {
    let mut errors = Vec::new();
    let name = BoundedText::parse(name, ORG_NAME)
        .map_err(|m| errors.push(FieldError::new("name", m)))
        .ok();
    // Families make their own organization when they register.
    let kind =
        OrgKind::parse(kind.trim()).filter(|k| matches!(k, OrgKind::Clinic | OrgKind::Referrer));
    if kind.is_none() {
        errors.push(FieldError::new(
            "kind",
            "Choose clinic or referring organization.",
        ));
    }
    if let Err(m) = EmailAddress::parse(first_email) {
        errors.push(FieldError::new("email", m));
    }
    let (Some(name), Some(kind)) = (name, kind) else {
        return Err(errors.into());
    };
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let org = repo::create_organization(&mut tx, name.as_str(), kind).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::OrganizationCreated)
            .subject(Subject::new("organization", org))
            .ip(meta.ip)
            .details(json!({ "kind": kind.as_str() })),
    )
    .await?;
    let first_role = match kind {
        OrgKind::Referrer => Role::Referrer,
        _ => Role::ClinicAdmin,
    };
    invite(state, tx, Some(org), first_email, first_role.as_str(), meta).await?;
    Ok(org)
}

/// What the invitation page shows for a link.
pub async fn invite_info(
    state: &AppState,
    raw_token: &str,
    signed_in_as: Option<String>,
) -> Result<InviteInfo, AppError> {
    let hash = token::parse(raw_token).ok_or(AppError::NotFound)?;
    let mut tx = Tx::<Token>::begin(&state.pool, &hash).await?;
    let row = repo::invitation_for_token(&mut tx, false)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    // The link's holder may learn whether its address has an account.
    let mut sign_in = Tx::<SignIn>::begin(&state.pool, &row.email).await?;
    let account_exists = auth_repo::account_for_sign_in(&mut sign_in)
        .await?
        .is_some();
    sign_in.commit().await?;
    Ok(InviteInfo {
        organization: row.org_name,
        role: row.role,
        email: row.email,
        status: row.status,
        account_exists,
        signed_in_as,
    })
}

fn not_open(status: InviteStatus) -> AppError {
    let message = match status {
        InviteStatus::Accepted => "This invitation has already been accepted.",
        InviteStatus::Revoked => "This invitation was withdrawn. Ask for a new one.",
        InviteStatus::Expired => "This invitation has expired. Ask for a new one.",
        InviteStatus::Open => "This invitation cannot be used.",
    };
    AppError::Conflict {
        message: message.to_owned(),
    }
}

/// Accepts an invitation by creating the account it was sent to, and signs
/// it in.
#[tracing::instrument(skip_all, err(Debug, level = "info"))]
pub async fn accept_with_new_account(
    state: &AppState,
    raw_token: &str,
    name: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<SignedIn, AppError> {
    let hash = token::parse(raw_token).ok_or(AppError::NotFound)?;
    let mut errors = Vec::new();
    let name = BoundedText::parse(name, NAME)
        .map_err(|m| errors.push(FieldError::new("name", m)))
        .ok();
    let password = NewPassword::parse(password)
        .map_err(|m| errors.push(FieldError::new("password", m)))
        .ok();
    let (Some(name), Some(password)) = (name, password) else {
        return Err(errors.into());
    };
    let password_hash = state.hasher.hash(&password).await?;

    let mut tx = Tx::<Token>::begin(&state.pool, &hash).await?;
    let invitation = repo::invitation_for_token(&mut tx, true)
        .await?
        .ok_or(AppError::NotFound)?;
    if invitation.status != InviteStatus::Open {
        return Err(not_open(invitation.status));
    }
    let user_id = UserId::new();
    let mut tx = tx.into_user(user_id).await?;
    tx.act_for(invitation.org_id, invitation.role).await?;
    let created = auth_repo::create_account(
        &mut tx,
        &invitation.email,
        name.as_str(),
        &password_hash,
        (invitation.org_id, invitation.role),
    )
    .await;
    match created {
        Err(e) if Violation::of(&e) == Some(Violation::EmailTaken) => {
            return Err(AppError::Conflict {
                message:
                    "An account with this address already exists: sign in to accept the invitation."
                        .to_owned(),
            })
        }
        other => other?,
    }
    repo::mark_accepted(tx.conn(), user_id).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::InvitationAccepted)
            .subject(Subject::new("invitation", invitation.id))
            .ip(meta.ip)
            .details(json!({ "role": invitation.role.as_str() })),
    )
    .await?;
    auth_repo::record_attempt(
        tx.conn(),
        &invitation.email,
        Some(user_id),
        LoginOutcome::Success,
        meta,
    )
    .await?;
    open_login(state, tx, Some(invitation.org_id), meta).await
}

/// Accepts an invitation into the signed-in person's existing account
/// (their address must be the one invited). Returns the organization
/// joined and the role.
#[tracing::instrument(skip_all, err(Debug, level = "info"))]
pub async fn accept_as_member(
    state: &AppState,
    principal_tx: TenantTx,
    raw_token: &str,
    meta: &RequestMeta,
) -> Result<(OrganizationId, Role), AppError> {
    let hash = token::parse(raw_token).ok_or(AppError::NotFound)?;
    let user_id = principal_tx.principal().require_person()?;
    let email = principal_tx.principal().email.clone();
    principal_tx.commit().await?;

    let mut tx = Tx::<Token>::begin(&state.pool, &hash).await?;
    let invitation = repo::invitation_for_token(&mut tx, true)
        .await?
        .ok_or(AppError::NotFound)?;
    if invitation.status != InviteStatus::Open {
        return Err(not_open(invitation.status));
    }
    if !invitation.email.eq_ignore_ascii_case(&email) {
        return Err(AppError::Conflict {
            message: format!(
                "This invitation was sent to {}, but you are signed in as {email}. Sign out and accept it with the invited account.",
                invitation.email
            ),
        });
    }
    // The session proved who this is; the token proves the invitation.
    let mut tx = tx.into_user(user_id).await?;
    tx.act_for(invitation.org_id, invitation.role).await?;
    let added = auth_repo::add_membership(&mut tx, (invitation.org_id, invitation.role)).await;
    match added {
        Err(e) if Violation::of(&e) == Some(Violation::AlreadyMember) => {
            return Err(AppError::Conflict {
                message: "You are already a member of this organization.".to_owned(),
            })
        }
        other => other?,
    }
    repo::mark_accepted(tx.conn(), user_id).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::InvitationAccepted)
            .subject(Subject::new("invitation", invitation.id))
            .ip(meta.ip)
            .details(json!({ "role": invitation.role.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok((invitation.org_id, invitation.role))
}
