//! Organization, membership and invitation data access. Tenant reads and
//! writes take a [`TenantTx`]; the invitation's own page reads through the
//! token scope.

use super::{InvitationView, InviteStatus, MemberView, OrgSummary};
use crate::auth::{OrgKind, Role};
use crate::db::{TenantTx, Token, Tx};
use crate::identity::{InvitationId, OrganizationId, UserId};
use sqlx::PgConnection;
use time::OffsetDateTime;

/// The members of the principal's organization.
pub async fn members(tx: &mut TenantTx) -> Result<Vec<MemberView>, sqlx::Error> {
    let org = tx.principal().org_id;
    let me = tx.principal().person();
    let rows = sqlx::query!(
        r#"SELECT u.id AS "id: UserId", u.display_name, u.email, m.role AS "role: Role", m.created_at
           FROM memberships m
           JOIN users u ON u.id = m.user_id
           WHERE m.organization_id = $1
           ORDER BY u.display_name, u.email"#,
        org as OrganizationId
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MemberView {
            is_me: Some(r.id) == me,
            user_id: r.id,
            name: r.display_name,
            email: r.email,
            role: r.role,
            since: r.created_at,
        })
        .collect())
}

/// Open invitations of the principal's organization.
pub async fn open_invitations(tx: &mut TenantTx) -> Result<Vec<InvitationView>, sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query_as!(
        InvitationView,
        r#"SELECT id AS "id: InvitationId", email, role AS "role: Role", expires_at
           FROM invitations
           WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL
             AND expires_at > now()
           ORDER BY created_at DESC"#,
        org as OrganizationId
    )
    .fetch_all(tx.conn())
    .await
}

/// How many of `org`'s invitations are still open.
pub async fn open_invitation_count(
    conn: &mut PgConnection,
    org: OrganizationId,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT count(*) FROM invitations
         WHERE organization_id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()",
    )
    .bind(org.uuid())
    .fetch_one(conn)
    .await
}

/// An organization's name and kind, if the principal may see it.
pub async fn organization(
    conn: &mut PgConnection,
    id: OrganizationId,
) -> Result<Option<(String, OrgKind)>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT name, kind AS "kind: OrgKind" FROM organizations WHERE id = $1"#,
        id as OrganizationId
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| (r.name, r.kind)))
}

/// Whether someone with `email` already belongs to `org`.
pub async fn is_member(
    conn: &mut PgConnection,
    org: OrganizationId,
    email: &str,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (
               SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
               WHERE m.organization_id = $1 AND lower(u.email) = lower($2)) AS "exists!""#,
        org as OrganizationId,
        email
    )
    .fetch_one(conn)
    .await
}

pub struct NewInvitation<'a> {
    pub org: OrganizationId,
    pub email: &'a str,
    pub role: Role,
    pub token_hash: &'a [u8; 32],
    pub invited_by: UserId,
    pub expires_at: OffsetDateTime,
}

pub async fn create_invitation(
    conn: &mut PgConnection,
    invitation: &NewInvitation<'_>,
) -> Result<InvitationId, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO invitations (organization_id, email, role, token_hash, invited_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id AS "id: InvitationId""#,
        invitation.org as OrganizationId,
        invitation.email,
        invitation.role as Role,
        invitation.token_hash.as_slice(),
        invitation.invited_by as UserId,
        invitation.expires_at
    )
    .fetch_one(conn)
    .await
}

/// Revokes an open invitation of the principal's organization; whether
/// there was one.
pub async fn revoke_invitation(tx: &mut TenantTx, id: InvitationId) -> Result<bool, sqlx::Error> {
    let org = tx.principal().org_id;
    let done = sqlx::query!(
        "UPDATE invitations SET revoked_at = now()
         WHERE organization_id = $1 AND id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
        org as OrganizationId,
        id as InvitationId
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A member's current role in the principal's organization, locked for
/// the change about to be made.
pub async fn member_role_for_update(
    tx: &mut TenantTx,
    user_id: UserId,
) -> Result<Option<Role>, sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query_scalar!(
        r#"SELECT role AS "role: Role" FROM memberships
           WHERE organization_id = $1 AND user_id = $2
           FOR UPDATE"#,
        org as OrganizationId,
        user_id as UserId
    )
    .fetch_optional(tx.conn())
    .await
}

/// How many clinic administrators the principal's organization has, with
/// their rows locked so two concurrent demotions cannot leave none.
pub async fn admin_count_for_update(tx: &mut TenantTx) -> Result<i64, sqlx::Error> {
    let org = tx.principal().org_id;
    let admins = sqlx::query_scalar!(
        "SELECT user_id FROM memberships
         WHERE organization_id = $1 AND role = 'clinic_admin'
         FOR UPDATE",
        org as OrganizationId
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(admins.len() as i64)
}

pub async fn set_role(tx: &mut TenantTx, user_id: UserId, role: Role) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query!(
        "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2",
        org as OrganizationId,
        user_id as UserId,
        role as Role
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn remove_member(tx: &mut TenantTx, user_id: UserId) -> Result<bool, sqlx::Error> {
    let org = tx.principal().org_id;
    let done = sqlx::query!(
        "DELETE FROM memberships WHERE organization_id = $1 AND user_id = $2",
        org as OrganizationId,
        user_id as UserId
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Serializes changes to the acting organization's members (until the
/// transaction ends).
pub async fn lock_members(tx: &mut TenantTx) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('members:' || $1::text, 0))")
        .bind(org.uuid())
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Whether `user_id` is (still) a member of the acting organization.
pub async fn is_member_by_id(tx: &mut TenantTx, user_id: UserId) -> Result<bool, sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM memberships WHERE organization_id = $1 AND user_id = $2)",
    )
    .bind(org.uuid())
    .bind(user_id.uuid())
    .fetch_one(tx.conn())
    .await
}

/// Revokes the open invitations `user_id` sent for the acting organization.
pub async fn revoke_invitations_by(tx: &mut TenantTx, user_id: UserId) -> Result<u64, sqlx::Error> {
    let org = tx.principal().org_id;
    let done = sqlx::query(
        "UPDATE invitations SET revoked_at = now()
         WHERE organization_id = $1 AND invited_by = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(org.uuid())
    .bind(user_id.uuid())
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

/// Every organization with its counts (platform administrators).
pub async fn all_organizations(tx: &mut TenantTx) -> Result<Vec<OrgSummary>, sqlx::Error> {
    sqlx::query_as!(
        OrgSummary,
        r#"SELECT o.id AS "id: OrganizationId", o.name, o.kind AS "kind: OrgKind", o.created_at,
                  (SELECT count(*) FROM memberships m WHERE m.organization_id = o.id) AS "members!",
                  (SELECT count(*) FROM invitations i
                   WHERE i.organization_id = o.id AND i.accepted_at IS NULL
                     AND i.revoked_at IS NULL AND i.expires_at > now()) AS "open_invitations!"
           FROM organizations o
           ORDER BY o.kind, o.name"#
    )
    .fetch_all(tx.conn())
    .await
}

pub async fn create_organization(
    tx: &mut TenantTx,
    name: &str,
    kind: OrgKind,
) -> Result<OrganizationId, sqlx::Error> {
    sqlx::query_scalar!(
        r#"INSERT INTO organizations (kind, name) VALUES ($1, $2)
           RETURNING id AS "id: OrganizationId""#,
        kind as OrgKind,
        name
    )
    .fetch_one(tx.conn())
    .await
}

/// The invitation the token scope holds, with its organization.
pub struct InvitationRow {
    pub id: InvitationId,
    pub org_id: OrganizationId,
    pub org_name: String,
    pub email: String,
    pub role: Role,
    pub status: InviteStatus,
}

pub async fn invitation_for_token(
    tx: &mut Tx<Token>,
    lock: bool,
) -> Result<Option<InvitationRow>, sqlx::Error> {
    // Two statements rather than a format!: SQL stays compile-time checked.
    let row = if lock {
        sqlx::query!(
            r#"SELECT i.id AS "id: InvitationId", i.organization_id AS "organization_id: OrganizationId", o.name, i.email, i.role AS "role: Role",
                      i.accepted_at IS NOT NULL AS "accepted!", i.revoked_at IS NOT NULL AS "revoked!",
                      i.expires_at <= now() AS "expired!"
               FROM invitations i JOIN organizations o ON o.id = i.organization_id
               WHERE i.token_hash = app_token_hash()
               FOR UPDATE OF i"#
        )
        .fetch_optional(tx.conn())
        .await?
        .map(|r| (r.id, r.organization_id, r.name, r.email, r.role, r.accepted, r.revoked, r.expired))
    } else {
        sqlx::query!(
            r#"SELECT i.id AS "id: InvitationId", i.organization_id AS "organization_id: OrganizationId", o.name, i.email, i.role AS "role: Role",
                      i.accepted_at IS NOT NULL AS "accepted!", i.revoked_at IS NOT NULL AS "revoked!",
                      i.expires_at <= now() AS "expired!"
               FROM invitations i JOIN organizations o ON o.id = i.organization_id
               WHERE i.token_hash = app_token_hash()"#
        )
        .fetch_optional(tx.conn())
        .await?
        .map(|r| (r.id, r.organization_id, r.name, r.email, r.role, r.accepted, r.revoked, r.expired))
    };
    Ok(row.map(
        |(id, org_id, org_name, email, role, accepted, revoked, expired)| InvitationRow {
            id,
            org_id,
            org_name,
            email,
            role,
            status: if accepted {
                InviteStatus::Accepted
            } else if revoked {
                InviteStatus::Revoked
            } else if expired {
                InviteStatus::Expired
            } else {
                InviteStatus::Open
            },
        },
    ))
}

/// Marks the token scope's invitation accepted by the acting user.
pub async fn mark_accepted(conn: &mut PgConnection, user_id: UserId) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE invitations SET accepted_at = now(), accepted_by = $1
         WHERE token_hash = app_token_hash() AND accepted_at IS NULL AND revoked_at IS NULL",
        user_id as UserId
    )
    .execute(conn)
    .await?;
    Ok(())
}
