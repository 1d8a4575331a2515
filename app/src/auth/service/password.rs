//! Passwords after sign-up: a reset link asked for (same answer either
//! way, no sooner than a floor), checked and spent, and a password changed
//! by its signed-in owner; each ends the other sessions and mails the owner.

use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::repo::{self, EndReason, LoginOutcome};
use crate::auth::session::RequestMeta;
use crate::auth::throttle::{self, Bucket};
use crate::auth::{token, NewPassword};
use crate::db::{SignIn, TenantTx, Token, Tx};
use crate::domain::EmailAddress;
use crate::error::AppError;
use crate::mail;
use crate::state::AppState;
use serde_json::json;
use time::OffsetDateTime;

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
