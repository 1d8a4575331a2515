//! The server functions of sign-in and account security. Each is a thin
//! wrapper: read the session and request, call the operation in
//! [`super::service`], write the session, answer with the right status.

use super::{OrgKind, Role};
use crate::error::AppError;
use crate::identity::{LoginId, OrganizationId};
use app_macros::rpc;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The signed-in person, as the header and pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub display_name: String,
    pub email: String,
    pub role: Role,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub can_switch: bool,
}

/// A live sign-in on the account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: LoginId,
    pub current: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub last_seen_at: OffsetDateTime,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// A login-log entry on the account page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttemptView {
    #[serde(with = "time::serde::rfc3339")]
    pub attempted_at: OffsetDateTime,
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub user: CurrentUser,
    pub sessions: Vec<SessionView>,
    pub attempts: Vec<AttemptView>,
}

/// One organization the person may act for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgChoice {
    pub org_id: OrganizationId,
    pub org_name: String,
    pub org_kind: OrgKind,
    pub role: Role,
    pub current: bool,
}

/// A safe place to go after signing in: a path on this site, never
/// another host (no open redirect).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    ok.then(|| next.to_owned())
}

#[cfg(feature = "ssr")]
fn current_user(p: &super::Principal) -> CurrentUser {
    CurrentUser {
        display_name: p.display_name.clone(),
        email: p.email.clone(),
        role: p.role,
        org_name: p.org_name.clone(),
        org_kind: p.org_kind,
        can_switch: p.can_switch,
    }
}

/// Who is signed in, if anyone.
#[rpc(prefix = "/rpc", endpoint = "auth/me")]
pub async fn get_current_user() -> Result<Option<CurrentUser>, AppError> {
    let state = crate::state::app_state()?;
    let session = super::session::current_session().await?;
    let Some(tx) = super::session::current(&state, &session).await? else {
        return Ok(None);
    };
    let user = current_user(tx.principal());
    tx.commit().await?;
    Ok(Some(user))
}

/// Signs in and goes to `next` (a path on this site) or the role's
/// dashboard.
#[rpc(prefix = "/rpc", endpoint = "auth/login")]
pub async fn login(
    email: String,
    password: String,
    #[server(default)] next: Option<String>,
) -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    let session = super::session::current_session().await?;
    let meta = super::RequestMeta::current();
    let signed_in = super::service::sign_in(&state, &email, &password, &meta).await?;
    super::session::start(&session, &signed_in.claim, signed_in.expires_at).await?;
    let target = safe_next(next.as_deref()).unwrap_or_else(|| signed_in.home().to_owned());
    leptos_axum::redirect(&target);
    Ok(target)
}

/// Creates a family or clinician account. Answers with the address the
/// mail went to, the same whether or not it already had an account.
#[rpc(prefix = "/rpc", endpoint = "auth/register")]
pub async fn register(
    name: String,
    email: String,
    password: String,
    // A radio group sends nothing when nothing is chosen.
    #[server(default)] role: String,
) -> Result<String, AppError> {
    let registration = super::service::Registration::parse(&name, &email, &password, &role)?;
    let state = crate::state::app_state()?;
    let meta = super::RequestMeta::current();
    let to = registration.email.as_str().to_owned();
    super::service::register(&state, registration, &meta).await?;
    Ok(to)
}

/// Ends this session.
#[rpc(prefix = "/rpc", endpoint = "auth/logout")]
pub async fn logout() -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let session = super::session::current_session().await?;
    if let Some(tx) = super::session::current(&state, &session).await? {
        super::service::sign_out(tx, &super::RequestMeta::current()).await?;
    }
    session.flush().await.map_err(|error| {
        tracing::error!(%error, "could not delete the session");
        AppError::Unavailable
    })?;
    leptos_axum::redirect("/login?signed_out=1");
    Ok(())
}

/// Emails a reset link if the address has an account; answers the same
/// either way.
#[rpc(prefix = "/rpc", endpoint = "auth/forgot-password")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    super::service::request_reset(&state, &email, &super::RequestMeta::current()).await
}

/// Whether a reset link can still be used.
#[rpc(prefix = "/rpc", endpoint = "auth/reset-password/check")]
pub async fn check_reset_link(token: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    super::service::check_reset_token(&state, &token).await
}

/// Sets a new password with a reset link, then goes to the sign-in page.
#[rpc(prefix = "/rpc", endpoint = "auth/reset-password")]
pub async fn reset_password(
    token: String,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    if password != confirm {
        return Err(AppError::invalid(
            "confirm",
            "The two passwords do not match.",
        ));
    }
    let state = crate::state::app_state()?;
    super::service::reset_password(&state, &token, &password, &super::RequestMeta::current())
        .await?;
    leptos_axum::redirect("/login?reset=1");
    Ok(())
}

/// Changes the password; answers how many other sessions were ended.
#[rpc(prefix = "/rpc", endpoint = "auth/change-password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    confirm: String,
) -> Result<u64, AppError> {
    if new_password != confirm {
        return Err(AppError::invalid(
            "confirm",
            "The two passwords do not match.",
        ));
    }
    let tx = super::require(&[]).await?;
    let state = crate::state::app_state()?;
    let session = super::session::current_session().await?;
    let ended = super::service::change_password(
        &state,
        tx,
        &current_password,
        &new_password,
        &super::RequestMeta::current(),
    )
    .await?;
    // A new id for the session that changed the password.
    session
        .cycle_id()
        .await
        .map_err(|_| AppError::Unavailable)?;
    Ok(ended)
}

/// The account page: who, live sessions, recent sign-in attempts.
#[rpc(prefix = "/rpc", endpoint = "auth/account")]
pub async fn get_account() -> Result<AccountView, AppError> {
    let mut tx = super::require(&[]).await?;
    let current = tx.principal().login().ok_or(AppError::Forbidden)?;
    let user = current_user(tx.principal());
    let sessions = super::repo::live_logins(&mut tx)
        .await?
        .into_iter()
        .map(|s| SessionView {
            current: s.id == current,
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect();
    let attempts = super::repo::own_attempts(&mut tx, 10)
        .await?
        .into_iter()
        .map(|a| AttemptView {
            attempted_at: a.attempted_at,
            outcome: outcome_label(a.outcome).to_owned(),
            ip: a.ip,
            user_agent: a.user_agent,
        })
        .collect();
    tx.commit().await?;
    Ok(AccountView {
        user,
        sessions,
        attempts,
    })
}

#[cfg(feature = "ssr")]
fn outcome_label(outcome: super::repo::LoginOutcome) -> &'static str {
    use super::repo::LoginOutcome as O;
    match outcome {
        O::Success => "Signed in",
        O::BadPassword => "Wrong password",
        O::UnknownAccount => "Unknown account",
        O::Locked => "Refused: locked",
        O::Disabled => "Refused: disabled",
        O::PasswordReset => "Password reset",
        O::Pending => "Being checked",
    }
}

/// Ends another of one's own sessions.
#[rpc(prefix = "/rpc", endpoint = "auth/revoke-session")]
pub async fn revoke_session(id: LoginId) -> Result<(), AppError> {
    let tx = super::require(&[]).await?;
    super::service::revoke_session(tx, id, &super::RequestMeta::current()).await
}

/// The organizations the person may act for.
#[rpc(prefix = "/rpc", endpoint = "auth/organizations")]
pub async fn list_my_organizations() -> Result<Vec<OrgChoice>, AppError> {
    let tx = super::require(&[]).await?;
    let current = tx.principal().org_id;
    let mut tx = tx.into_user_scope().await?;
    let choices = super::repo::own_memberships(&mut tx)
        .await?
        .into_iter()
        .map(|m| OrgChoice {
            current: m.org_id == current,
            org_id: m.org_id,
            org_name: m.org_name,
            org_kind: m.org_kind,
            role: m.role,
        })
        .collect();
    tx.commit().await?;
    Ok(choices)
}

/// Acts for another of one's organizations from now on.
#[rpc(prefix = "/rpc", endpoint = "auth/switch-organization")]
pub async fn switch_organization(org_id: OrganizationId) -> Result<String, AppError> {
    let tx = super::require(&[]).await?;
    let session = super::session::current_session().await?;
    let claim =
        super::service::switch_organization(tx, org_id, &super::RequestMeta::current()).await?;
    super::session::store_claim(&session, &claim).await?;
    let target = claim.role.home().to_owned();
    leptos_axum::redirect(&target);
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next(Some("/clinic")).as_deref(), Some("/clinic"));
        assert_eq!(
            safe_next(Some("/invite?token=x")).as_deref(),
            Some("/invite?token=x")
        );
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
        assert_eq!(safe_next(None), None);
    }
}
