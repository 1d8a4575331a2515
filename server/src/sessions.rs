//! The session layer: tower-sessions over the `web_sessions` table the
//! migrations create, through a store of our own ([`LookupStore`]).
//!
//! Why not tower-sessions-sqlx-store's `PostgresStore`: it issues its own
//! SQL, so the application role needed SELECT, UPDATE and DELETE on the
//! whole table, and a leaked connection could list every live session.
//! [`LookupStore`] calls narrow `SECURITY DEFINER` functions instead
//! (`migrations/*_session_lookup.sql`): each touches only the record whose
//! id it is given (a 128-bit secret from the cookie), and the clean-up (the
//! hourly `maintenance.prune` job, `crate::housekeeping`) only expired ones; the role has no grant on the table at all. Records are
//! encoded with MessagePack, as the crate's store did.
//!
//! Cookie policy: `HttpOnly`, `SameSite=Lax`, `Path=/`; `Secure` and the
//! `__Host-` name prefix whenever the instance is served over https (every
//! production instance). A session record is written only once something
//! is stored in it (at sign-in), and its expiry is the sign-in's absolute
//! limit; the idle limit and revocation are checked per request against
//! `user_sessions` (see `app::auth::session`). Records are in the database,
//! so sessions survive restarts and are shared by every server process.

use app::state::Settings;
use async_trait::async_trait;
use sqlx::PgPool;
use tower_sessions::cookie::SameSite;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions::SessionManagerLayer;

/// Session records by id, through the `web_session_*` functions.
#[derive(Debug, Clone)]
pub struct LookupStore {
    pool: PgPool,
}

/// The store over `web_sessions`.
pub fn store(pool: PgPool) -> LookupStore {
    LookupStore { pool }
}

fn backend(error: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

fn encode(record: &Record) -> session_store::Result<Vec<u8>> {
    rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))
}

#[async_trait]
impl SessionStore for LookupStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A 128-bit id collides about never; if it does, draw another.
        loop {
            let created = sqlx::query_scalar!(
                r#"SELECT web_session_create($1, $2, $3) AS "created!""#,
                record.id.to_string(),
                encode(record)?,
                record.expiry_date,
            )
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
            if created {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        sqlx::query!(
            r#"SELECT web_session_save($1, $2, $3) AS "saved""#,
            record.id.to_string(),
            encode(record)?,
            record.expiry_date,
        )
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let data = sqlx::query_scalar!(r#"SELECT web_session_load($1) AS "data""#, id.to_string())
            .fetch_one(&self.pool)
            .await
            .map_err(backend)?;
        data.map(|bytes| {
            rmp_serde::from_slice(&bytes).map_err(|e| session_store::Error::Decode(e.to_string()))
        })
        .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        sqlx::query!(
            r#"SELECT web_session_delete($1) AS "deleted""#,
            id.to_string()
        )
        .fetch_one(&self.pool)
        .await
        .map_err(backend)?;
        Ok(())
    }
}

/// The layer for every route.
pub fn layer(pool: PgPool, settings: &Settings) -> SessionManagerLayer<LookupStore> {
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
