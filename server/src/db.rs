//! Database start-up: the roles, the migrations and the reference data
//! (both as the owner role) and the pools (the application and worker
//! roles).
//!
//! Roles (cluster-wide, created idempotently):
//! - `carethread_owner` (NOLOGIN) owns every table; migrations run under
//!   `SET ROLE carethread_owner` from the administrative connection, so no
//!   object is owned by a superuser (superuser-owned views and functions
//!   would bypass row-level security for everyone).
//! - `carethread_app` is what the web app logs in as: it owns nothing, is
//!   not a superuser and has `NOBYPASSRLS`, so every policy applies to it.
//! - `carethread_worker` is what background jobs (the mail outbox) log in
//!   as: also unprivileged, with its own policies, so the web role can
//!   file a message it can never read back.

use crate::secret::Secret;
use anyhow::{Context, Result};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};
use std::str::FromStr;
use std::time::Duration;

pub const OWNER_ROLE: &str = "carethread_owner";
pub const APP_ROLE: &str = "carethread_app";
pub const WORKER_ROLE: &str = "carethread_worker";

/// The three connections start-up needs.
#[derive(Debug, Clone)]
pub struct DatabaseUrls {
    /// Role set-up and migrations only.
    pub admin: Secret,
    /// The web app (`carethread_app`).
    pub app: Secret,
    /// Background jobs (`carethread_worker`).
    pub worker: Secret,
}

/// The migrations in `migrations/`, embedded in the binary.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// Creates the roles, sets the login roles' passwords from their URLs, and
/// applies pending migrations as the owner role. Safe to run from several
/// processes at once and on every start.
#[tracing::instrument(skip_all, err)]
pub async fn prepare(urls: &DatabaseUrls) -> Result<()> {
    let mut conn = PgConnection::connect(urls.admin.expose())
        .await
        .context("cannot connect with DATABASE_URL")?;
    ensure_roles(&mut conn).await?;
    set_password(&mut conn, APP_ROLE, &urls.app).await?;
    set_password(&mut conn, WORKER_ROLE, &urls.worker).await?;
    migrate(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

async fn ensure_roles(conn: &mut PgConnection) -> Result<()> {
    // Roles are cluster-wide and other processes (other databases' tests,
    // a second server) may create them at the same moment: a duplicate is
    // success.
    sqlx::raw_sql(
        r#"
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carethread_owner') THEN
                CREATE ROLE carethread_owner NOLOGIN;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carethread_app') THEN
                CREATE ROLE carethread_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
                    NOBYPASSRLS NOINHERIT;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'carethread_worker') THEN
                CREATE ROLE carethread_worker LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
                    NOBYPASSRLS NOINHERIT;
            END IF;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
        END $$;
        "#,
    )
    .execute(&mut *conn)
    .await
    .context("cannot create the database roles")?;
    Ok(())
}

/// Sets `role`'s password to the one in `url`, when the administrative
/// connection may (an operator-managed role keeps its own).
async fn set_password(conn: &mut PgConnection, role: &str, url: &Secret) -> Result<()> {
    // The password is passed as a bind parameter into a setting and quoted
    // by PostgreSQL itself: utility statements take no parameters.
    let password = url::Url::parse(url.expose())
        .ok()
        .and_then(|u| u.password().map(percent_decode))
        .filter(|p| !p.is_empty());
    if let Some(password) = password {
        sqlx::query(
            "SELECT set_config('carethread.role_password', $1, false),
                    set_config('carethread.role_name', $2, false)",
        )
        .bind(password)
        .bind(role)
        .execute(&mut *conn)
        .await?;
        let set = sqlx::raw_sql(
            "DO $$ BEGIN EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L', \
             current_setting('carethread.role_name'), \
             current_setting('carethread.role_password')); END $$;",
        )
        .execute(&mut *conn)
        .await;
        sqlx::query("SELECT set_config('carethread.role_password', '', false)")
            .execute(&mut *conn)
            .await?;
        if let Err(error) = set {
            // An operator-managed role: their password stands.
            tracing::warn!(%error, role, "could not set the role's password; using it as is");
        }
    }
    Ok(())
}

async fn migrate(conn: &mut PgConnection) -> Result<()> {
    let is_member: bool =
        sqlx::query_scalar("SELECT pg_has_role(current_user, 'carethread_owner', 'MEMBER')")
            .fetch_one(&mut *conn)
            .await?;
    if !is_member {
        sqlx::raw_sql("GRANT carethread_owner TO CURRENT_USER")
            .execute(&mut *conn)
            .await
            .context("the DATABASE_URL user must be able to act as carethread_owner")?;
    }
    sqlx::raw_sql(
        "GRANT USAGE, CREATE ON SCHEMA public TO carethread_owner;
         GRANT USAGE ON SCHEMA public TO carethread_app;
         GRANT USAGE ON SCHEMA public TO carethread_worker;",
    )
    .execute(&mut *conn)
    .await
    .context("cannot grant schema privileges")?;

    // The no-double-booking constraint on visits needs btree_gist; creating
    // an extension takes more than the owner role has, so the connecting
    // (administrative) user does it, once.
    sqlx::raw_sql("CREATE EXTENSION IF NOT EXISTS btree_gist")
        .execute(&mut *conn)
        .await
        .context("cannot create the btree_gist extension (PostgreSQL's contrib modules)")?;

    sqlx::raw_sql("SET ROLE carethread_owner")
        .execute(&mut *conn)
        .await?;
    let result = async {
        MIGRATOR
            .run(&mut *conn)
            .await
            .context("migrations failed")?;
        crate::reference::load(&mut *conn)
            .await
            .context("loading the reference data failed")
    }
    .await;
    sqlx::raw_sql("RESET ROLE").execute(&mut *conn).await?;
    result
}

/// How the application role's pool is sized and bounded.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// The longest one statement may run, lock waits included, before the
    /// database cancels it and the request answers 503.
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            statement_timeout: Duration::from_secs(15),
        }
    }
}

/// The application role's pool.
pub async fn app_pool(app_url: &Secret, settings: PoolSettings) -> Result<PgPool> {
    pool(app_url, "carethread", settings)
        .await
        .context("cannot connect as the application role")
}

/// The background worker role's pool, of `connections`: the job
/// runner's needs (`jobs::WORKER_POOL_CONNECTIONS` says why).
pub async fn worker_pool(worker_url: &Secret, connections: u32) -> Result<PgPool> {
    let settings = PoolSettings {
        max_connections: connections,
        ..PoolSettings::default()
    };
    pool(worker_url, "carethread-worker", settings)
        .await
        .context("cannot connect as the worker role")
}

/// A pool of the application role named `name`, of `settings`, that opens
/// its connections only when first used (one a configuration may never
/// use, such as the local card processor's).
pub fn lazy_app_pool(app_url: &Secret, name: &str, settings: PoolSettings) -> Result<PgPool> {
    Ok(pool_options(settings).connect_lazy_with(connect_options(app_url, name, settings)?))
}

async fn pool(url: &Secret, name: &str, settings: PoolSettings) -> Result<PgPool> {
    pool_options(settings)
        .connect_with(connect_options(url, name, settings)?)
        .await
        .map_err(Into::into)
}

fn pool_options(settings: PoolSettings) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(Duration::from_secs(5))
}

fn connect_options(url: &Secret, name: &str, settings: PoolSettings) -> Result<PgConnectOptions> {
    let timeout = format!("{}ms", settings.statement_timeout.as_millis());
    let options = PgConnectOptions::from_str(url.expose())
        .context("not a valid PostgreSQL URL")?
        .application_name(name)
        // A runaway query, or one stuck behind a lock, must not hold a
        // connection (and its client) forever.
        // No JIT: a request's statements run in milliseconds, and when a
        // count's estimate crosses `jit_above_cost` compiling it costs
        // 10-20 ms, more than the statement itself (seen on the FHIR
        // search's count at 100,000 referrals).
        .options([("statement_timeout", timeout.as_str()), ("jit", "off")]);
    Ok(options)
}

/// A URL's user name or password as typed (`%40` is `@`).
pub(crate) fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn url_passwords_are_percent_decoded() {
        assert_eq!(super::percent_decode("a%40b%2Fc"), "a@b/c");
        assert_eq!(super::percent_decode("plain"), "plain");
        assert_eq!(super::percent_decode("trailing%4"), "trailing%4");
    }
}
