//! Who is making this request: the session claim and the principal.
//!
//! A browser's `HttpOnly` cookie names a tower-sessions record (in the
//! `web_sessions` table); the record holds a [`SessionClaim`] — ids only —
//! written at sign-in (and, on the developer page, the SHA-256 of the API
//! key in use, see `crate::developer`). Every request that needs a principal re-checks the
//! claim against the database in the transaction it then uses, so a
//! revoked session, an ended membership, a changed role, an idle or an
//! absolute timeout all take effect on the very next request:
//!
//! 1. `BEGIN`, then the identity settings from the claim (one round trip);
//! 2. one query that must find the live sign-in (`user_sessions`), the
//!    account, and the membership with its organization;
//! 3. the [`TenantTx`] is handed to the caller with that [`Principal`].
//!
//! Authorization is a call that fails: [`require`] answers
//! [`AppError::Unauthorized`] with no live session and
//! [`AppError::Forbidden`] for a role not in the list. A page that wants
//! the role check calls a server function that calls `require`; the HTTP
//! status follows the error.

use crate::db::{self, TenantTx};
use crate::error::AppError;
pub use crate::identity::{Actor, ApiKeyRef, BreakGlassRef, Principal};
use crate::identity::{GrantId, LoginId, OrgKind, OrganizationId, Resolved, Role, UserId};
use crate::state::{AppState, AuthPolicy};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;
use tower_sessions::Session;

/// The session record's key for the claim.
pub const CLAIM_KEY: &str = "auth";

/// Last-seen times are written at most this often (seconds): the idle
/// limit is minutes, and a write per request would cost more than it tells.
const LAST_SEEN_RESOLUTION_SECS: i64 = 60;

/// What the session record holds about the signed-in person. Ids only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionClaim {
    pub user_id: UserId,
    /// The `user_sessions` row this sign-in created.
    pub login_id: LoginId,
    /// The organization acted for, and the role held there.
    pub org_id: OrganizationId,
    pub role: Role,
    /// Whether the person belongs to more than one organization.
    pub can_switch: bool,
}

/// The address and browser a request came from, for the login log and the
/// audit trail.
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

/// The client's address as the server's HTTP layer decided it: the
/// connection's peer, or, when that peer is a trusted proxy
/// (`TRUSTED_PROXIES`), the nearest untrusted address in
/// `X-Forwarded-For`. Put in the request's extensions by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl RequestMeta {
    /// From the current server-function or page request.
    pub fn current() -> Self {
        match leptos::prelude::use_context::<http::request::Parts>() {
            Some(parts) => Self::from_parts(&parts),
            None => Self::default(),
        }
    }

    /// From a request's head.
    pub fn from_parts(parts: &http::request::Parts) -> Self {
        Self::from_head(&parts.extensions, &parts.headers)
    }

    /// From a request's extensions and headers (the REST and FHIR doors).
    pub fn from_head(extensions: &http::Extensions, headers: &http::HeaderMap) -> Self {
        let ip = extensions.get::<ClientIp>().map(|c| c.0).or_else(|| {
            extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip())
        });
        let user_agent = headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(400).collect());
        Self { ip, user_agent }
    }
}

/// The value of the cookie `name` on the current request, if it has one.
pub fn request_cookie(name: &str) -> Option<String> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(tower_sessions::cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| cookie.value().to_owned())
}

/// The session of the current server-function or page request.
pub async fn current_session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|error| {
        tracing::error!(%error, "no session layer on this request");
        AppError::Internal
    })
}

/// The claim in `session`, if any.
pub async fn claim(session: &Session) -> Result<Option<SessionClaim>, AppError> {
    session
        .get::<SessionClaim>(CLAIM_KEY)
        .await
        .map_err(|error| {
            tracing::error!(%error, "session store failure");
            AppError::Unavailable
        })
}

/// Resolves the request's principal and begins its transaction, or `None`
/// when nobody is signed in (a dead claim is removed from the session).
pub async fn current(state: &AppState, session: &Session) -> Result<Option<TenantTx>, AppError> {
    let Some(claim) = claim(session).await? else {
        return Ok(None);
    };
    match resolve(&state.pool, &state.settings.auth, &claim).await? {
        Some(tx) => {
            let principal = tx.principal();
            if principal.role != claim.role {
                // An administrator changed the role: the new one holds from
                // now on (resolve already acts with it).
                let updated = SessionClaim {
                    role: principal.role,
                    ..claim
                };
                store_claim(session, &updated).await?;
            }
            Ok(Some(tx))
        }
        None => {
            let _ = session.flush().await;
            Ok(None)
        }
    }
}

/// Checks `claim` against the database and, when it is live, returns the
/// principal's transaction. Used for every request, and by the operator's
/// tools and tests with a claim they read from a sign-in.
pub async fn resolve(
    pool: &sqlx::PgPool,
    policy: &AuthPolicy,
    claim: &SessionClaim,
) -> Result<Option<TenantTx>, AppError> {
    let mut tx = crate::db::begin(pool).await?;
    db::set_identity(&mut tx, claim.user_id, Some((claim.org_id, claim.role))).await?;
    let idle_secs = policy.session_idle.as_secs_f64();
    let row = sqlx::query!(
        r#"SELECT u.email, u.display_name, m.role AS "role: Role",
                  o.name AS org_name, o.kind AS "org_kind: OrgKind",
                  s.last_seen_at < now() - make_interval(secs => $5) AS "stale!"
           FROM user_sessions s
           JOIN users u ON u.id = s.user_id
           JOIN memberships m ON m.user_id = u.id AND m.organization_id = $3
           JOIN organizations o ON o.id = m.organization_id
           WHERE s.id = $1 AND s.user_id = $2
             AND s.ended_at IS NULL
             AND s.expires_at > now()
             AND s.last_seen_at > now() - make_interval(secs => $4)
             AND u.disabled_at IS NULL"#,
        claim.login_id as LoginId,
        claim.user_id as UserId,
        claim.org_id as OrganizationId,
        idle_secs,
        LAST_SEEN_RESOLUTION_SECS as f64,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    if row.role != claim.role {
        db::set_identity(&mut tx, claim.user_id, Some((claim.org_id, row.role))).await?;
    }
    if row.stale {
        sqlx::query!(
            "UPDATE user_sessions SET last_seen_at = now() WHERE id = $1",
            claim.login_id as LoginId
        )
        .execute(&mut *tx)
        .await?;
    }
    let principal = Principal {
        actor: Actor::User {
            user_id: claim.user_id,
            login_id: claim.login_id,
        },
        email: row.email,
        display_name: row.display_name,
        org_id: claim.org_id,
        org_name: row.org_name,
        org_kind: row.org_kind,
        role: row.role,
        can_switch: claim.can_switch,
        sandbox: false,
        _resolved: Resolved::vouch(),
    };
    Ok(Some(TenantTx::for_principal(tx, principal).await))
}

/// The transaction of a job that acts for the member who asked for it
/// (an export): their sign-in, their organization, and `role`, which they
/// must still hold. A member removed, an account disabled or a role
/// changed since acts as nobody (`None`). The sign-in need not still be
/// live: the work was asked for while it was.
pub async fn resume_for_job(
    pool: &sqlx::PgPool,
    user_id: UserId,
    login_id: LoginId,
    org_id: OrganizationId,
    role: Role,
) -> Result<Option<TenantTx>, AppError> {
    let mut tx = crate::db::begin(pool).await?;
    db::set_identity(&mut tx, user_id, Some((org_id, role))).await?;
    let row: Option<(String, String, Role, String, OrgKind)> = sqlx::query_as(
        "SELECT u.email, u.display_name, m.role, o.name, o.kind
         FROM users u
         JOIN memberships m ON m.user_id = u.id AND m.organization_id = $2
         JOIN organizations o ON o.id = m.organization_id
         WHERE u.id = $1 AND u.disabled_at IS NULL",
    )
    .bind(user_id)
    .bind(org_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((email, display_name, current, org_name, org_kind)) = row else {
        return Ok(None);
    };
    if current != role {
        return Ok(None);
    }
    let principal = Principal {
        actor: Actor::User { user_id, login_id },
        email,
        display_name,
        org_id,
        org_name,
        org_kind,
        role,
        can_switch: false,
        sandbox: false,
        _resolved: Resolved::vouch(),
    };
    Ok(Some(TenantTx::for_principal(tx, principal).await))
}

/// The current request's principal transaction; `Unauthorized` when nobody
/// is signed in, `Forbidden` when their role is not one of `roles` (an
/// empty list admits every role).
pub async fn require(roles: &[Role]) -> Result<TenantTx, AppError> {
    let state = crate::state::app_state()?;
    let session = current_session().await?;
    let tx = current(&state, &session)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if !roles.is_empty() && !tx.principal().has_role(roles) {
        tracing::warn!(
            actor = ?tx.principal().actor,
            role = tx.principal().role.as_str(),
            "refused: role not allowed here"
        );
        return Err(AppError::Forbidden);
    }
    Ok(tx)
}

/// Writes `claim` into the session. At sign-in the caller cycles the
/// session id first.
pub async fn store_claim(session: &Session, claim: &SessionClaim) -> Result<(), AppError> {
    session.insert(CLAIM_KEY, claim).await.map_err(|error| {
        tracing::error!(%error, "could not write the session");
        AppError::Unavailable
    })
}

/// Starts a fresh session for `claim`: a new id (no fixation), the claim,
/// and a record that expires with the sign-in's absolute limit.
pub async fn start(
    session: &Session,
    claim: &SessionClaim,
    expires_at: OffsetDateTime,
) -> Result<(), AppError> {
    session.cycle_id().await.map_err(|error| {
        tracing::error!(%error, "could not cycle the session id");
        AppError::Unavailable
    })?;
    session.set_expiry(Some(tower_sessions::Expiry::AtDateTime(expires_at)));
    store_claim(session, claim).await
}

/// Begins the break-glass transaction of `admin` (a platform administrator
/// signed in as a person) for `org` under the grant `grant_id`: the
/// identity is the administrator, acting for `org` as `platform_admin`,
/// with `app.break_glass` set, so the policies admit exactly the reads a
/// live grant allows. With `grant`, it is being made in this very
/// transaction (it does not exist yet); without, the administrator's live
/// grant for `org` is looked up (`None` when there is none).
async fn begin_break_glass(
    pool: &sqlx::PgPool,
    admin: &Principal,
    org: OrganizationId,
    grant: Option<GrantId>,
) -> Result<Option<TenantTx>, AppError> {
    let (Actor::User { user_id, login_id }, super::Role::PlatformAdmin) = (admin.actor, admin.role)
    else {
        return Err(AppError::Forbidden);
    };
    let mut tx = crate::db::begin(pool).await?;
    db::set_identity(&mut tx, user_id, Some((org, super::Role::PlatformAdmin))).await?;
    let grant_id = match grant {
        Some(id) => id,
        None => {
            let live = sqlx::query_scalar!(
                r#"SELECT id AS "id: GrantId" FROM break_glass_grants
                 WHERE organization_id = $1 AND admin_user_id = $2
                   AND ended_at IS NULL AND now() < expires_at
                 ORDER BY expires_at DESC LIMIT 1"#,
                org as OrganizationId,
                user_id as UserId
            )
            .fetch_optional(&mut *tx)
            .await?;
            match live {
                Some(id) => id,
                None => return Ok(None),
            }
        }
    };
    db::set_break_glass(&mut tx, grant_id).await?;
    let Some(o) = sqlx::query!(
        r#"SELECT name, kind AS "kind: OrgKind", sandbox FROM organizations
           WHERE id = $1 AND kind <> 'platform'"#,
        org as OrganizationId
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let principal = Principal {
        actor: Actor::BreakGlass(BreakGlassRef {
            user_id,
            login_id,
            grant_id,
        }),
        email: admin.email.clone(),
        display_name: admin.display_name.clone(),
        org_id: org,
        org_name: o.name,
        org_kind: o.kind,
        role: super::Role::PlatformAdmin,
        can_switch: false,
        sandbox: o.sandbox,
        _resolved: Resolved::vouch(),
    };
    Ok(Some(TenantTx::for_principal(tx, principal).await))
}

/// The transaction in which `admin` opens the grant `grant_id` on `org`
/// (the caller inserts it first thing). `None` when `org` is no tenant.
pub async fn opening_break_glass(
    pool: &sqlx::PgPool,
    admin: &Principal,
    org: OrganizationId,
    grant_id: GrantId,
) -> Result<Option<TenantTx>, AppError> {
    begin_break_glass(pool, admin, org, Some(grant_id)).await
}

/// The transaction of `admin` reading `org` under their live grant;
/// `Forbidden` without one.
pub async fn break_glass(
    pool: &sqlx::PgPool,
    admin: &Principal,
    org: OrganizationId,
) -> Result<TenantTx, AppError> {
    begin_break_glass(pool, admin, org, None)
        .await?
        .ok_or(AppError::Forbidden)
}
