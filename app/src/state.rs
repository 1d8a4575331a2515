//! Server-side application state: built once by the `server` crate at
//! start-up and handed to Axum handlers (as router state) and to server
//! functions (as Leptos context). No globals, no per-request config reads.

use crate::auth::hashing::PasswordHasher;
use crate::error::AppError;
use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// Connections as the application role (no ownership, no RLS bypass).
    /// Public platform tables are read from it directly; everything else
    /// goes through the scoped transactions of [`crate::db`].
    pub pool: PgPool,
    pub settings: Arc<Settings>,
    pub hasher: PasswordHasher,
    /// The card processor bookings authorize with (`PAYMENTS_PROCESSOR`).
    pub processor: crate::payments::processor::Processor,
}

/// The parts of the configuration pages and handlers need. Its `Debug`
/// leaves the pseudonym key out.
#[derive(Clone)]
pub struct Settings {
    /// Where users reach this instance, e.g. `https://care.example.org`.
    pub public_url: String,
    /// Production mode: stricter defaults (HSTS, secure cookies, SSRF rules).
    pub production: bool,
    pub auth: AuthPolicy,
    /// Development only: the in-process SMTP sink's mailbox is browsable
    /// at `/dev/mail`.
    pub dev_mailbox: bool,
    /// Where webhooks may be sent (checked at registration and delivery).
    pub webhooks: crate::developer::destination::Policy,
    /// Proxies whose `X-Forwarded-For` is believed (`TRUSTED_PROXIES`);
    /// empty: the connection's peer is the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Keys the sandbox's clinician pseudonyms, so they cannot be derived
    /// from the ids returned beside them.
    pub pseudonym_key: [u8; 32],
    /// The keys that seal PHI fields and key their blind indexes.
    pub vault: crate::vault::Keyring,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("public_url", &self.public_url)
            .field("production", &self.production)
            .field("auth", &self.auth)
            .field("dev_mailbox", &self.dev_mailbox)
            .field("webhooks", &self.webhooks)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("pseudonym_key", &"…")
            .field("vault", &self.vault)
            .finish()
    }
}

impl Settings {
    pub fn served_over_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// An absolute link to `path` on this instance (for mail).
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }
}

/// Sign-in, session and token lifetimes. Defaults follow OWASP's session
/// guidance for sensitive data: a short idle limit, a working-day absolute
/// limit, lockout after a handful of failures.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    /// A session unused this long is over.
    pub session_idle: Duration,
    /// A session is over this long after sign-in, however active.
    pub session_absolute: Duration,
    /// Failed sign-ins within `lockout_window` that lock an account.
    pub lockout_threshold: u32,
    /// How far back failures count, and so how long a lock lasts.
    pub lockout_window: Duration,
    pub reset_token_ttl: Duration,
    pub invitation_ttl: Duration,
    /// A password-reset request is answered no sooner than this, whether
    /// the address has an account or not (no enumeration by timing).
    pub reset_request_floor: Duration,
    /// Requests per client address and per account at the open doors.
    pub throttles: crate::auth::throttle::Throttles,
}

impl Default for AuthPolicy {
    fn default() -> Self {
        Self {
            session_idle: Duration::from_secs(30 * 60),
            session_absolute: Duration::from_secs(12 * 3600),
            lockout_threshold: 5,
            lockout_window: Duration::from_secs(15 * 60),
            reset_token_ttl: Duration::from_secs(3600),
            invitation_ttl: Duration::from_secs(7 * 24 * 3600),
            reset_request_floor: Duration::from_millis(400),
            throttles: Default::default(),
        }
    }
}

/// The state from a server function's context.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server-function context");
        AppError::Internal
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_pseudonym_key_never_prints() {
        let settings = super::Settings {
            public_url: "http://127.0.0.1:3000".to_owned(),
            production: false,
            auth: super::AuthPolicy::default(),
            dev_mailbox: false,
            webhooks: crate::developer::destination::Policy::default(),
            trusted_proxies: Vec::new(),
            pseudonym_key: [0xab; 32],
            vault: crate::vault::Keyring::development(),
        };
        let text = format!("{settings:?}");
        assert!(!text.contains("171"), "{text}");
        assert!(!text.to_lowercase().contains("abab"), "{text}");
    }
}
