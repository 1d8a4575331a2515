//! Break-glass operations: opening a grant, entering an organization
//! under it, and the grants an organization's administrators see.

use super::{parse_minutes, parse_reason, BreakGlassGrantView};
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::session::{self, RequestMeta};
use crate::auth::{Principal, Role};
use crate::db::TenantTx;
use crate::error::{AppError, FieldError};
use crate::identity::{GrantId, OrganizationId, UserId};
use crate::ui::format_datetime;
use serde_json::json;
use sqlx::PgPool;

/// The platform administrator behind `tx`, signed in as a person; the
/// transaction (which read nothing) ends.
pub async fn platform_admin(tx: TenantTx) -> Result<Principal, AppError> {
    let principal = tx.principal().clone();
    tx.commit().await?;
    if principal.role != Role::PlatformAdmin || principal.person().is_none() {
        return Err(AppError::Forbidden);
    }
    Ok(principal)
}

/// Clinics and referring organizations a grant may be opened on.
pub async fn organizations(
    tx: &mut TenantTx,
) -> Result<Vec<(OrganizationId, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id: OrganizationId", name FROM organizations
           WHERE kind IN ('clinic', 'referrer') AND NOT sandbox
           ORDER BY name LIMIT 1000"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// Opens a grant for `admin` on `organization`: checks the form, writes
/// the grant and `break_glass.opened` into the organization's chain, and
/// files a mail to each of its administrators, in one transaction.
pub async fn open(
    pool: &PgPool,
    admin: &Principal,
    organization: &str,
    reason: &str,
    minutes: &str,
    meta: &RequestMeta,
    public_url: &str,
) -> Result<BreakGlassGrantView, AppError> {
    if admin.role != Role::PlatformAdmin || admin.person().is_none() {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    let org = organization.trim().parse::<OrganizationId>().ok();
    if org.is_none() {
        errors.push(FieldError::new(
            "organization_id",
            "Choose the organization to open.",
        ));
    }
    let reason = parse_reason(reason).map_err(|m| errors.push(FieldError::new("reason", m)));
    let minutes = parse_minutes(minutes).map_err(|m| errors.push(FieldError::new("minutes", m)));
    let (Some(org), Ok(reason), Ok(minutes)) = (org, reason, minutes) else {
        return Err(errors.into());
    };
    let grant_id = GrantId::new();
    let mut tx = session::opening_break_glass(pool, admin, org, grant_id)
        .await?
        .ok_or_else(|| AppError::invalid("organization_id", "Choose the organization to open."))?;
    let user_id = admin.person().ok_or(AppError::Forbidden)?;
    let grant = sqlx::query!(
        "INSERT INTO break_glass_grants
             (organization_id, id, admin_user_id, admin_name, reason, expires_at)
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(mins => $6))
         RETURNING opened_at, expires_at",
        org as OrganizationId,
        grant_id as GrantId,
        user_id as UserId,
        admin.display_name,
        reason,
        minutes
    )
    .fetch_one(tx.conn())
    .await?;
    record(
        &mut tx,
        Entry::new(AuditAction::BreakGlassOpened)
            .subject(Subject::new("break_glass_grant", grant_id))
            .ip(meta.ip)
            .details(json!({ "minutes": minutes })),
    )
    .await?;
    let organization = tx.principal().org_name.clone();
    let expires = format_datetime(grant.expires_at);
    let link = format!("{public_url}/clinic/audit");
    let recipients = sqlx::query_scalar!(
        "SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
         WHERE m.organization_id = $1 AND m.role IN ('clinic_admin', 'referrer')
           AND u.disabled_at IS NULL
         ORDER BY u.email",
        org as OrganizationId
    )
    .fetch_all(tx.conn())
    .await?;
    for to in recipients {
        crate::mail::enqueue(
            tx.conn(),
            &crate::mail::break_glass_opened(
                &to,
                &organization,
                &admin.display_name,
                &reason,
                &expires,
                &link,
            ),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(BreakGlassGrantView {
        id: grant_id,
        organization,
        admin_name: admin.display_name.clone(),
        reason,
        opened_at: grant.opened_at,
        expires_at: grant.expires_at,
        active: true,
    })
}

/// The transaction of `admin` reading `org` under their live grant;
/// `Forbidden` without one.
pub async fn enter(
    pool: &PgPool,
    admin: &Principal,
    org: OrganizationId,
) -> Result<TenantTx, AppError> {
    session::break_glass(pool, admin, org).await
}

/// `admin`'s live grant on `org`, if any.
pub async fn live_grant(
    pool: &PgPool,
    admin: &Principal,
    org: OrganizationId,
) -> Result<Option<BreakGlassGrantView>, AppError> {
    let mut tx = match enter(pool, admin, org).await {
        Ok(tx) => tx,
        Err(AppError::Forbidden) => return Ok(None),
        Err(e) => return Err(e),
    };
    let found = grants(&mut tx).await?.into_iter().find(|g| g.active);
    tx.commit().await?;
    Ok(found)
}

/// The grants on the principal's organization that it may see (its
/// administrators: all; a platform administrator: their own): the live
/// ones and those opened in the last 30 days, newest first.
pub async fn grants(tx: &mut TenantTx) -> Result<Vec<BreakGlassGrantView>, sqlx::Error> {
    let org = tx.principal().org_id;
    let rows = sqlx::query!(
        r#"SELECT g.id AS "id: GrantId", o.name AS organization, g.admin_name, g.reason, g.opened_at, g.expires_at,
                  (g.ended_at IS NULL AND now() < g.expires_at) AS "active!"
           FROM break_glass_grants g
           JOIN organizations o ON o.id = g.organization_id
           WHERE g.organization_id = $1
             AND ((g.ended_at IS NULL AND now() < g.expires_at)
                  OR g.opened_at > now() - interval '30 days')
           ORDER BY g.opened_at DESC
           LIMIT 50"#,
        org as OrganizationId
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| BreakGlassGrantView {
            id: r.id,
            organization: r.organization,
            admin_name: r.admin_name,
            reason: r.reason,
            opened_at: r.opened_at,
            expires_at: r.expires_at,
            active: r.active,
        })
        .collect())
}
