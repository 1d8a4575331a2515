//! Who acts: the [`Principal`] every domain operation is handed (an
//! [`Actor`] — a person, an API key, or a platform administrator under
//! break-glass — acting for one organization with one role).

use super::{ApiKeyId, GrantId, LoginId, OrgKind, OrganizationId, Role, UserId};
use crate::error::AppError;

/// An authenticated actor (a person, or an API key) acting for one
/// organization with one role, made only from a live session, key or
/// grant (see [`Resolved`]).
#[derive(Debug, Clone)]
pub struct Principal {
    /// Who acts: a person or a key, never one dressed as the other.
    pub actor: Actor,
    pub email: String,
    pub display_name: String,
    pub org_id: OrganizationId,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub role: Role,
    pub can_switch: bool,
    /// The organization is a sandbox: de-identified data, no routing.
    pub sandbox: bool,
    pub(crate) _resolved: Resolved,
}

/// Who acts in a request. Audit rows record the kind, so an API key's id
/// is never stored where a person's belongs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A person signed in: their account and the sign-in (`user_sessions`).
    User { user_id: UserId, login_id: LoginId },
    /// A request that came with an API key (a key is nobody).
    ApiKey(ApiKeyRef),
    /// A platform administrator reading another organization under a
    /// break-glass grant: read-only, time-limited, recorded in that
    /// organization's chain as this kind (see `crate::break_glass`).
    BreakGlass(BreakGlassRef),
}

/// The platform administrator and the grant a break-glass request acts
/// under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakGlassRef {
    pub user_id: UserId,
    pub login_id: LoginId,
    pub grant_id: GrantId,
}

/// The API key a request authenticated with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyRef {
    pub id: ApiKeyId,
    pub sandbox: bool,
}

/// Proof of resolution. Outside this crate nobody can make one; inside,
/// [`Resolved::vouch`] is called only where a live credential was checked
/// (`auth::session` for sessions and break-glass, `developer::access` for
/// API keys), which `server/tests/shape.rs` holds to.
#[derive(Debug, Clone, Copy)]
pub struct Resolved(());

impl Resolved {
    pub(crate) fn vouch() -> Self {
        Resolved(())
    }
}

impl Principal {
    pub fn has_role(&self, roles: &[Role]) -> bool {
        roles.contains(&self.role)
    }

    /// The person who acted, for columns that name a user (`created_by`):
    /// nobody when an API key acted, nor under break-glass (which writes
    /// nothing as the tenant).
    pub fn person(&self) -> Option<UserId> {
        match self.actor {
            Actor::User { user_id, .. } => Some(user_id),
            Actor::ApiKey(_) | Actor::BreakGlass(_) => None,
        }
    }

    /// The person, for operations only a signed-in person may take (a
    /// key is refused).
    pub fn require_person(&self) -> Result<UserId, AppError> {
        self.person().ok_or(AppError::Forbidden)
    }

    /// The sign-in this request belongs to, when a person acts.
    pub fn login(&self) -> Option<LoginId> {
        match self.actor {
            Actor::User { login_id, .. } => Some(login_id),
            Actor::ApiKey(_) | Actor::BreakGlass(_) => None,
        }
    }

    /// The API key acting, when one is.
    pub fn api_key(&self) -> Option<ApiKeyRef> {
        match self.actor {
            Actor::ApiKey(key) => Some(key),
            Actor::User { .. } | Actor::BreakGlass(_) => None,
        }
    }

    /// The break-glass grant acting, when one is.
    pub fn break_glass(&self) -> Option<BreakGlassRef> {
        match self.actor {
            Actor::BreakGlass(grant) => Some(grant),
            Actor::User { .. } | Actor::ApiKey(_) => None,
        }
    }
}
