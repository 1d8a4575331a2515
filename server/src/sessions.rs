//! The session layer: tower-sessions with its PostgreSQL store, over the
//! `web_sessions` table the migrations create (so the owner role owns it
//! and the application role only has the grants it needs).
//!
//! Cookie policy: `HttpOnly`, `SameSite=Lax`, `Path=/`; `Secure` and the
//! `__Host-` name prefix whenever the instance is served over https (every
//! production instance). A session record is written only once something
//! is stored in it (at sign-in), and its expiry is the sign-in's absolute
//! limit; the idle limit and revocation are checked per request against
//! `user_sessions` (see `app::auth::session`). Records are in the database,
//! so sessions survive restarts and are shared by every server process.

use app::state::Settings;
use sqlx::PgPool;
use std::time::Duration;
use tower_sessions::cookie::SameSite;
use tower_sessions::SessionManagerLayer;
use tower_sessions_sqlx_store::PostgresStore;

/// The store over `web_sessions`.
pub fn store(pool: PgPool) -> PostgresStore {
    PostgresStore::new(pool)
        .with_schema_name("public")
        .and_then(|s| s.with_table_name("web_sessions"))
        // Both names are constants that satisfy the store's identifier rule.
        .unwrap_or_else(|_| unreachable!("valid identifiers"))
}

/// The layer for every route.
pub fn layer(pool: PgPool, settings: &Settings) -> SessionManagerLayer<PostgresStore> {
    let secure = settings.served_over_https();
    let name = if secure {
        "__Host-carethread"
    } else {
        "carethread"
    };
    SessionManagerLayer::new(store(pool))
        .with_name(name)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(secure)
        .with_path("/")
}

/// Deletes expired records now and then (they are refused when loaded
/// anyway; this keeps the table small).
pub fn spawn_cleanup(pool: PgPool) -> tokio::task::JoinHandle<()> {
    use tower_sessions::ExpiredDeletion as _;
    let store = store(pool);
    tokio::spawn(async move {
        if let Err(error) = store
            .continuously_delete_expired(Duration::from_secs(3600))
            .await
        {
            tracing::warn!(%error, "expired-session cleanup stopped");
        }
    })
}
