//! Signing in: the address and password checked with lockout and no
//! account enumeration, and the sign-in opened in one of the person's
//! organizations (shared with accepting an invitation).

use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::repo::{self, LoginOutcome};
use crate::auth::session::{RequestMeta, SessionClaim};
use crate::auth::throttle::{self, Bucket};
use crate::db::{Acting, SignIn, Tx};
use crate::domain::EmailAddress;
use crate::error::{AppError, FieldError};
use crate::identity::OrganizationId;
use crate::mail;
use crate::state::AppState;
use serde_json::json;
use time::OffsetDateTime;

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
    preferred: Option<OrganizationId>,
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

#[cfg(test)]
mod tests {
    use super::*;

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
