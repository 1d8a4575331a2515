//! Password hashing: argon2id with OWASP's parameters (19 MiB, 2 passes,
//! 1 lane — the argon2 crate's defaults, asserted by a test), a random salt
//! per password, PHC strings in the database.
//!
//! Hashing is deliberately slow and memory-hungry, so it runs on the
//! blocking thread pool behind a semaphore: a burst of sign-ins waits its
//! turn instead of starving the async runtime or exhausting memory.
//! Verifying an unknown account hashes against a dummy, so "no such user"
//! takes as long as "wrong password" (no account enumeration by timing).

use super::NewPassword;
use crate::error::AppError;
use argon2::{Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _};
use password_hash::{rand_core::OsRng, SaltString};
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
}

impl PasswordHasher {
    /// At most `max_concurrent` hashes at once (the number of cores is a
    /// good value: each hash keeps one core busy).
    pub fn new(max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
        }
    }

    /// A PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) for `password`.
    pub async fn hash(&self, password: &NewPassword) -> Result<String, AppError> {
        let password = password.expose().to_owned();
        self.blocking(move || hash_now(&password)).await?
    }

    /// Whether `password` matches `stored`. With no stored hash (no such
    /// account) it checks against a dummy hash and answers `false`, taking
    /// the same time as a real check.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> bool {
        let password = password.to_owned();
        let stored = stored.map(str::to_owned);
        self.blocking(move || {
            let (phc, known) = match &stored {
                Some(phc) => (phc.as_str(), true),
                None => (dummy_hash(), false),
            };
            let matches = PasswordHash::new(phc)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false);
            known && matches
        })
        .await
        .unwrap_or(false)
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| AppError::Internal)?;
        tokio::task::spawn_blocking(work).await.map_err(|error| {
            tracing::error!(%error, "password hashing task failed");
            AppError::Internal
        })
    }
}

fn hash_now(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| {
            tracing::error!(%error, "password hashing failed");
            AppError::Internal
        })
}

/// A hash of a random password, made once, for unknown accounts.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = SaltString::generate(&mut OsRng);
        hash_now(random.as_str()).unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password() -> NewPassword {
        NewPassword::parse("correct horse battery staple").unwrap()
    }

    #[tokio::test]
    async fn hashes_with_owasp_argon2id_parameters_and_a_fresh_salt() {
        let hasher = PasswordHasher::new(2);
        let a = hasher.hash(&password()).await.unwrap();
        let b = hasher.hash(&password()).await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "a new salt each time");
        assert!(!a.contains("horse"));
    }

    #[tokio::test]
    async fn verifies_the_right_password_only() {
        let hasher = PasswordHasher::new(2);
        let stored = hasher.hash(&password()).await.unwrap();
        assert!(
            hasher
                .verify("correct horse battery staple", Some(&stored))
                .await
        );
        assert!(
            !hasher
                .verify("correct horse battery stapler", Some(&stored))
                .await
        );
        assert!(
            !hasher
                .verify("correct horse battery staple", Some("not a hash"))
                .await
        );
    }

    #[tokio::test]
    async fn an_unknown_account_is_never_verified_but_still_does_the_work() {
        let hasher = PasswordHasher::new(2);
        assert!(!hasher.verify("anything at all here", None).await);
        // The dummy is a real argon2id hash at the same cost as a stored
        // one, so checking against it costs a full verification.
        let dummy = PasswordHash::new(dummy_hash()).unwrap();
        assert_eq!(dummy.algorithm.as_str(), "argon2id");
        let stored = hasher.hash(&password()).await.unwrap();
        let stored = PasswordHash::new(&stored).unwrap();
        assert_eq!(dummy.params, stored.params);
    }
}
