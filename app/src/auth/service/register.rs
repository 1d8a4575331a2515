//! Self-registration for families and clinicians: the form parsed, the
//! account made (a family's in an organization of its own), and the same answer (and the same work) whether or not the
//! address already had one.

use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::repo;
use crate::auth::session::RequestMeta;
use crate::auth::throttle::{self, Bucket};
use crate::auth::{NewPassword, Role};
use crate::db::{platform_org_id, Acting, SignIn, Tx};
use crate::domain::{BoundedText, EmailAddress, TextRules};
use crate::error::{AppError, FieldError, Violation};
use crate::identity::UserId;
use crate::mail;
use crate::state::AppState;
use serde_json::json;

const NAME: TextRules = TextRules::single_line("Your name", 1, 120);

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

    let user_id = UserId::new();
    let role = registration.role;
    let mut tx = Tx::<Acting>::registering(&state.pool, user_id, role).await?;
    // A family gets an organization of its own, whose members it books
    // for; a clinician joins the platform.
    let created = match role {
        Role::Family => {
            repo::create_family_account(&mut tx, email, registration.name.as_str(), &hash).await
        }
        _ => {
            repo::create_account(
                &mut tx,
                email,
                registration.name.as_str(),
                &hash,
                (platform_org_id(), role),
            )
            .await
        }
    };
    match created {
        Err(e) if Violation::of(&e) == Some(Violation::EmailTaken) => {
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
    user_id: UserId,
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
}
