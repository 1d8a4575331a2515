//! Account security operations (SPEC J7): sign in with lockout, register,
//! reset a forgotten password, change a password, sign out, end sessions.
//! Each is one function used by its server function, the operator's tools
//! and the tests alike; each writes its audit events and mail in the same
//! transaction as the change.
//!
//! No account enumeration: sign-in answers an unknown address exactly as a
//! wrong password (after the same argon2 work, against a dummy hash), locks
//! an unknown address after the same number of failures, and a reset
//! request answers the same thing, no sooner than a fixed floor, whether
//! or not the address has an account.

use super::repo::{self, EndReason, LoginOutcome};
use super::session::{Actor, RequestMeta, SessionClaim};
use super::throttle::{self, Bucket};
use super::{token, NewPassword, Role};
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::db::{platform_org_id, Acting, SignIn, TenantTx, Token, Tx};
use crate::domain::{BoundedText, EmailAddress, TextRules};
use crate::error::{AppError, FieldError};
use crate::mail;
use crate::state::AppState;
use serde_json::json;
use time::OffsetDateTime;
use uuid::Uuid;

/// A completed sign-in: what goes into the session, and until when.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub claim: SessionClaim,
    pub expires_at: OffsetDateTime,
}

impl SignedIn {
    /// The dashboard of the role signed in with.
    pub fn home(&self) -> &'static str {
        self.claim.role.home()
    }
}

const NAME: TextRules = TextRules::single_line("Your name", 1, 120);

/// Signs in with an address and a password.
#[tracing::instrument(skip_all, err(Debug, level = "info"))]
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password: &str,
    meta: &RequestMeta,
) -> Result<SignedIn, AppError> {
    let mut errors = Vec::new();
    let email = EmailAddress::parse(email)
        .map_err(|m| errors.push(FieldError::new("email", m)))
        .ok();
    if password.is_empty() {
        errors.push(FieldError::new("password", "Enter your password."));
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let policy = &state.settings.auth;
    let threshold = i64::from(policy.lockout_threshold);
    throttle::hit_ip(&state.pool, &policy.throttles, Bucket::SignInIp, meta.ip).await?;
    throttle::hit(
        &state.pool,
        &policy.throttles,
        Bucket::SignInAccount,
        email.as_str(),
    )
    .await?;

    // 1. Take a place in the address's count, under its lock: parallel
    //    guesses each take one, so no more than the threshold are checked.
    let mut tx = Tx::<SignIn>::begin(&state.pool, email.as_str()).await?;
    repo::lock_address(&mut tx).await?;
    let account = repo::account_for_sign_in(&mut tx).await?;
    let failures =
        repo::counted_failures(&mut tx, policy.lockout_window.as_secs_f64(), threshold).await?;
    let user_id = account.as_ref().map(|a| a.id);

    if failures.len() as i64 >= threshold {
        // Locked: refused without checking the password, for known and
        // unknown addresses alike.
        repo::record_attempt(
            tx.conn(),
            email.as_str(),
            user_id,
            LoginOutcome::Locked,
            meta,
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::AccountLocked {
            minutes: lock_minutes_left(&failures, policy.lockout_window),
        });
    }
    let attempt = repo::record_pending(&mut tx, user_id, meta).await?;
    tx.commit().await?;

    // 2. Check the password holding no database connection: a flood of
    //    guesses waits for the hasher, never for the pool.
    let stored = account.as_ref().and_then(|a| a.password_hash.as_deref());
    let verified = state.hasher.verify(password, stored).await;

    // 3. Settle the place with what the check found.
    let mut tx = Tx::<SignIn>::begin(&state.pool, email.as_str()).await?;
    let Some(account) = account.filter(|_| verified) else {
        let outcome = if user_id.is_some() {
            LoginOutcome::BadPassword
        } else {
            LoginOutcome::UnknownAccount
        };
        repo::settle(&mut tx, attempt, outcome).await?;
        let subject = user_id.map_or_else(
            || Subject::new("email", email.as_str().to_lowercase()),
            Subject::user,
        );
        record(
            &mut tx,
            Entry::new(AuditAction::SignInFailed)
                .subject(subject)
                .ip(meta.ip),
        )
        .await?;
        let now_locked = failures.len() as i64 + 1 >= threshold;
        if now_locked {
            if let Some(user_id) = user_id {
                record(
                    &mut tx,
                    Entry::new(AuditAction::AccountLocked)
                        .subject(Subject::user(user_id))
                        .ip(meta.ip)
                        .details(json!({ "failures": threshold })),
                )
                .await?;
                let minutes = policy.lockout_window.as_secs().div_ceil(60);
                let notice = mail::account_locked(
                    email.as_str(),
                    minutes,
                    &state.settings.link("/forgot-password"),
                );
                mail::enqueue(tx.conn(), &notice).await?;
            }
        }
        tx.commit().await?;
        return Err(if now_locked {
            AppError::AccountLocked {
                minutes: policy.lockout_window.as_secs().div_ceil(60),
            }
        } else {
            AppError::InvalidCredentials
        });
    };

    if account.disabled {
        repo::settle(&mut tx, attempt, LoginOutcome::Disabled).await?;
        tx.commit().await?;
        return Err(AppError::Conflict {
            message: "This account has been disabled. Please contact your administrator."
                .to_owned(),
        });
    }

    repo::settle(&mut tx, attempt, LoginOutcome::Success).await?;
    let tx = tx.into_user(account.id).await?;
    let signed_in = open_login(state, tx, None, meta).await?;
    Ok(signed_in)
}

/// Minutes until the oldest failure that still counts drops out of the
/// window, rounded up (at least one).
fn lock_minutes_left(failures: &[OffsetDateTime], window: std::time::Duration) -> u64 {
    let Some(oldest) = failures.last() else {
        return 1;
    };
    let ends = *oldest + window;
    let left = (ends - OffsetDateTime::now_utc()).whole_seconds().max(0) as u64;
    left.div_ceil(60).max(1)
}

/// Opens a sign-in for the proven user of `tx`: chooses the membership to
/// act with (`preferred` when it is theirs, else their first), records the
/// sign-in and its audit event in that organization, and commits.
pub(crate) async fn open_login(
    state: &AppState,
    mut tx: Tx<Acting>,
    preferred: Option<Uuid>,
    meta: &RequestMeta,
) -> Result<SignedIn, AppError> {
    let memberships = repo::own_memberships(&mut tx).await?;
    let chosen = preferred
        .and_then(|org| memberships.iter().find(|m| m.org_id == org))
        .or_else(|| memberships.first())
        .cloned()
        .ok_or_else(|| AppError::Conflict {
            message: "This account is not a member of any organization any more. \
                      Please contact your administrator."
                .to_owned(),
        })?;
    let expires_at = OffsetDateTime::now_utc() + state.settings.auth.session_absolute;
    let login_id = repo::create_login(&mut tx, expires_at, meta).await?;
    tx.act_for(chosen.org_id, chosen.role).await?;
    let user_id = tx.scope().user_id;
    record(
        &mut tx,
        Entry::new(AuditAction::SignIn)
            .subject(Subject::user(user_id))
            .ip(meta.ip)
            .details(json!({ "role": chosen.role.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(SignedIn {
        claim: SessionClaim {
            user_id,
            login_id,
            org_id: chosen.org_id,
            role: chosen.role,
            can_switch: memberships.len() > 1,
        },
        expires_at,
    })
}

/// A self-registration that passed validation.
pub struct Registration {
    pub name: BoundedText,
    pub email: EmailAddress,
    pub password: NewPassword,
    pub role: Role,
}

impl Registration {
    /// Checks every field; families and clinicians only.
    pub fn parse(
        name: &str,
        email: &str,
        password: &str,
        role: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = BoundedText::parse(name, NAME)
            .map_err(|m| errors.push(FieldError::new("name", m)))
            .ok();
        let email = EmailAddress::parse(email)
            .map_err(|m| errors.push(FieldError::new("email", m)))
            .ok();
        let password = NewPassword::parse(password)
            .map_err(|m| errors.push(FieldError::new("password", m)))
            .ok();
        let role = Role::parse(role.trim()).filter(|r| matches!(r, Role::Family | Role::Clinician));
        if role.is_none() {
            errors.push(FieldError::new(
                "role",
                "Choose whether you are arranging care for family or are a clinician.",
            ));
        }
        match (name, email, password, role) {
            (Some(name), Some(email), Some(password), Some(role)) if errors.is_empty() => {
                Ok(Self {
                    name,
                    email,
                    password,
                    role,
                })
            }
            _ => Err(errors),
        }
    }
}

/// Creates a family or clinician account on the platform. Answers the same
/// whether or not the address already has an account (no enumeration): a
/// new account's owner is mailed that it is ready, an existing account's
/// owner that someone tried; both then sign in as usual. The password is
/// hashed either way, so the two take the same time.
#[tracing::instrument(skip_all, err(Debug, level = "info"))]
pub async fn register(
    state: &AppState,
    registration: Registration,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    throttle::hit_ip(
        &state.pool,
        &state.settings.auth.throttles,
        Bucket::RegisterIp,
        meta.ip,
    )
    .await?;
    throttle::hit(
        &state.pool,
        &state.settings.auth.throttles,
        Bucket::RegisterAccount,
        registration.email.as_str(),
    )
    .await?;
    let hash = state.hasher.hash(&registration.password).await?;
    let email = registration.email.as_str();
    let login_link = state.settings.link("/login");
    let reset_link = state.settings.link("/forgot-password");

    let mut tx = Tx::<SignIn>::begin(&state.pool, email).await?;
    if let Some(account) = repo::account_for_sign_in(&mut tx).await? {
        return repeated(tx, account.id, &login_link, &reset_link, meta).await;
    }
    tx.commit().await?;

    let user_id = Uuid::new_v4();
    let role = registration.role;
    let mut tx = Tx::<Acting>::registering(&state.pool, user_id, role).await?;
    let created = repo::create_account(
        &mut tx,
        email,
        registration.name.as_str(),
        &hash,
        (platform_org_id(), role),
    )
    .await;
    match created {
        Err(e) if AppError::is_constraint(&e, "users_email_key") => {
            // Registered a moment ago by another request: the same answer.
            drop(tx);
            let mut tx = Tx::<SignIn>::begin(&state.pool, email).await?;
            return match repo::account_for_sign_in(&mut tx).await? {
                Some(account) => repeated(tx, account.id, &login_link, &reset_link, meta).await,
                None => Ok(()),
            };
        }
        other => other?,
    }
    record(
        &mut tx,
        Entry::new(AuditAction::AccountRegistered)
            .subject(Subject::user(user_id))
            .ip(meta.ip)
            .details(json!({ "role": role.as_str() })),
    )
    .await?;
    mail::enqueue(tx.conn(), &mail::welcome(email, &login_link, &reset_link)).await?;
    tx.commit().await?;
    Ok(())
}

/// The address already has an account: tell its owner, change nothing.
async fn repeated(
    mut tx: Tx<SignIn>,
    user_id: Uuid,
    login_link: &str,
    reset_link: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let email = tx.email().to_owned();
    record(
        &mut tx,
        Entry::new(AuditAction::RegistrationRepeated)
            .subject(Subject::user(user_id))
            .ip(meta.ip),
    )
    .await?;
    mail::enqueue(
        tx.conn(),
        &mail::registration_repeated(&email, login_link, reset_link),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Files a reset link for `email` if it names an active account. Answers
/// the same, no sooner than the configured floor, either way.
#[tracing::instrument(skip_all, err(Debug, level = "info"))]
pub async fn request_reset(
    state: &AppState,
    email: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let started = tokio::time::Instant::now();
    let email = EmailAddress::parse(email).map_err(|m| AppError::invalid("email", m))?;
    let throttles = &state.settings.auth.throttles;
    throttle::hit_ip(&state.pool, throttles, Bucket::ResetIp, meta.ip).await?;
    throttle::hit(&state.pool, throttles, Bucket::ResetAccount, email.as_str()).await?;
    let result = async {
        let mut tx = Tx::<SignIn>::begin(&state.pool, email.as_str()).await?;
        if let Some(account) = repo::account_for_sign_in(&mut tx).await? {
            if !account.disabled {
                let ttl = state.settings.auth.reset_token_ttl;
                let token = token::EmailToken::generate();
                let expires_at = OffsetDateTime::now_utc() + ttl;
                repo::issue_reset_token(&mut tx, account.id, token.hash(), expires_at).await?;
                let link = state
                    .settings
                    .link(&format!("/reset-password?token={}", token.text()));
                mail::enqueue(
                    tx.conn(),
                    &mail::password_reset(email.as_str(), &link, ttl.as_secs() / 60),
                )
                .await?;
                record(
                    &mut tx,
                    Entry::new(AuditAction::PasswordResetRequested)
                        .subject(Subject::user(account.id))
                        .ip(meta.ip),
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    tokio::time::sleep_until(started + state.settings.auth.reset_request_floor).await;
    result
}

fn link_unusable() -> AppError {
    AppError::invalid(
        "token",
        "This link has expired or has already been used. Please ask for a new one.",
    )
}

/// Whether a reset link can still be used (the page checks before asking
/// for a new password).
pub async fn check_reset_token(state: &AppState, raw_token: &str) -> Result<(), AppError> {
    let hash = token::parse(raw_token).ok_or_else(link_unusable)?;
    let mut tx = Tx::<Token>::begin(&state.pool, &hash).await?;
    match repo::reset_token(&mut tx, false).await? {
        Some(row) if row.usable => Ok(()),
        _ => Err(link_unusable()),
    }
}

/// Sets a new password with a reset link: spends the link (and any other
/// outstanding one), ends every session, clears a lockout, and tells the
/// account holder by mail.
#[tracing::instrument(skip_all, err(Debug, level = "info"))]
pub async fn reset_password(
    state: &AppState,
    raw_token: &str,
    new_password: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let hash = token::parse(raw_token).ok_or_else(link_unusable)?;
    let password =
        NewPassword::parse(new_password).map_err(|m| AppError::invalid("password", m))?;
    check_reset_token(state, raw_token).await?;
    let password_hash = state.hasher.hash(&password).await?;

    let mut tx = Tx::<Token>::begin(&state.pool, &hash).await?;
    let row = repo::reset_token(&mut tx, true)
        .await?
        .filter(|r| r.usable)
        .ok_or_else(link_unusable)?;
    let mut tx = tx.into_user(row.user_id).await?;
    let (_, email) = repo::own_credentials(tx.conn()).await?;
    repo::set_password(tx.conn(), &password_hash).await?;
    repo::spend_reset_tokens(tx.conn()).await?;
    repo::end_other_logins(tx.conn(), None, EndReason::PasswordReset).await?;
    // Clears a lockout: failures before this no longer count.
    repo::record_attempt(
        tx.conn(),
        &email,
        Some(row.user_id),
        LoginOutcome::PasswordReset,
        meta,
    )
    .await?;
    record(
        &mut tx,
        Entry::new(AuditAction::PasswordReset)
            .subject(Subject::user(row.user_id))
            .ip(meta.ip),
    )
    .await?;
    mail::enqueue(
        tx.conn(),
        &mail::password_changed(&email, &state.settings.link("/forgot-password")),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Changes the signed-in person's password after checking the current one,
/// and ends their other sessions.
#[tracing::instrument(skip_all, err(Debug, level = "info"))]
pub async fn change_password(
    state: &AppState,
    mut tx: TenantTx,
    current: &str,
    new_password: &str,
    meta: &RequestMeta,
) -> Result<u64, AppError> {
    let password =
        NewPassword::parse(new_password).map_err(|m| AppError::invalid("new_password", m))?;
    let (stored, email) = repo::own_credentials(tx.conn()).await?;
    // The hasher is waited for holding no connection: the read is done,
    // and the change gets a transaction of its own afterwards.
    let principal = tx.principal().clone();
    tx.commit().await?;
    if !state.hasher.verify(current, Some(&stored)).await {
        return Err(AppError::invalid(
            "current_password",
            "That is not your current password.",
        ));
    }
    let password_hash = state.hasher.hash(&password).await?;
    let mut tx = TenantTx::begin_for(&state.pool, principal).await?;
    let login_id = tx.principal().login().ok_or(AppError::Forbidden)?;
    let user_id = tx.principal().require_person()?;
    repo::set_password(tx.conn(), &password_hash).await?;
    let ended =
        repo::end_other_logins(tx.conn(), Some(login_id), EndReason::PasswordChanged).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::PasswordChanged)
            .subject(Subject::user(user_id))
            .ip(meta.ip)
            .details(json!({ "other_sessions_ended": ended })),
    )
    .await?;
    mail::enqueue(
        tx.conn(),
        &mail::password_changed(&email, &state.settings.link("/forgot-password")),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

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
    login_id: Uuid,
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
    org_id: Uuid,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_reports_every_problem_at_once() {
        let Err(errors) = Registration::parse("", "nope", "short", "clinic_admin") else {
            panic!("accepted bad input");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["name", "email", "password", "role"]);
    }

    #[test]
    fn only_families_and_clinicians_register_themselves() {
        for role in ["family", "clinician"] {
            assert!(Registration::parse(
                "Ana Ruiz",
                "ana@example.org",
                "a long enough password",
                role
            )
            .is_ok());
        }
        for role in [
            "platform_admin",
            "clinic_admin",
            "clinic_staff",
            "referrer",
            "",
        ] {
            assert!(Registration::parse(
                "Ana Ruiz",
                "ana@example.org",
                "a long enough password",
                role
            )
            .is_err());
        }
    }

    #[test]
    fn the_lock_lasts_until_the_oldest_counted_failure_leaves_the_window() {
        let window = std::time::Duration::from_secs(15 * 60);
        let now = OffsetDateTime::now_utc();
        let failures = [now, now - time::Duration::minutes(10)];
        assert_eq!(lock_minutes_left(&failures, window), 5);
        assert_eq!(
            lock_minutes_left(&[now - time::Duration::hours(1)], window),
            1
        );
    }
}
