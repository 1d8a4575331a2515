//! The operator's commands: create a platform administrator, verify every
//! audit chain. They use the administrative connection (they are run by
//! whoever runs the server, not by a signed-in user) and write their own
//! audit events.

use crate::config::Secret;
use anyhow::{bail, Context, Result};
use app::auth::hashing::PasswordHasher;
use app::auth::{NewPassword, Role};
use app::domain::{BoundedText, EmailAddress, TextRules};
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

/// Creates a platform administrator (the first one, typically). The
/// password comes from `password` (the environment or a prompt); it is
/// never printed.
pub async fn create_platform_admin(
    admin_url: &Secret,
    hasher: &PasswordHasher,
    email: &str,
    name: &str,
    password: &str,
) -> Result<Uuid> {
    let email = EmailAddress::parse(email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
    let name = BoundedText::parse(name, TextRules::single_line("--name", 1, 120))
        .map_err(|m| anyhow::anyhow!("{m}"))?;
    let password = NewPassword::parse(password).map_err(|m| anyhow::anyhow!("password: {m}"))?;
    let hash = hasher.hash(&password).await?;
    let mut conn = PgConnection::connect(admin_url.expose()).await?;
    let mut tx = conn.begin().await?;
    let exists: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM users WHERE lower(email) = lower($1)) AS "exists!""#,
        email.as_str()
    )
    .fetch_one(&mut *tx)
    .await?;
    if exists {
        bail!("an account with {email} already exists");
    }
    let id = Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO users (id, email, display_name) VALUES ($1, $2, $3)",
        id,
        email.as_str(),
        name.as_str()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO user_credentials (user_id, password_hash) VALUES ($1, $2)",
        id,
        hash
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO memberships (organization_id, user_id, role) VALUES (platform_org_id(), $1, $2)",
        id,
        Role::PlatformAdmin as Role
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO audit_events (organization_id, action, subject_type, subject_id, details)
         VALUES (platform_org_id(), 'account.created', 'user', $1,
                 '{\"role\": \"platform_admin\", \"by\": \"operator\"}')",
        id.to_string()
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// One chain's verdict.
pub struct ChainReport {
    pub organization: String,
    pub status: app::audit::ChainStatus,
}

/// Verifies every organization's audit chain.
pub async fn verify_all(admin_url: &Secret) -> Result<Vec<ChainReport>> {
    let mut conn = PgConnection::connect(admin_url.expose())
        .await
        .context("cannot connect with DATABASE_URL")?;
    let orgs = sqlx::query!("SELECT id, name FROM organizations ORDER BY kind, name")
        .fetch_all(&mut conn)
        .await?;
    let mut reports = Vec::with_capacity(orgs.len());
    for org in orgs {
        let status = app::audit::repo::verify_chain(&mut conn, org.id).await?;
        reports.push(ChainReport {
            organization: org.name,
            status,
        });
    }
    Ok(reports)
}

/// Makes a live API key for `org` with the same domain operation as the
/// developer page (`app::developer::keys::create_live`: checks, the key,
/// `api_key.created` in the organization's chain with the actor `operator`)
/// and returns its text, which is shown once and stored only as a hash.
pub async fn create_api_key(admin_url: &Secret, org: Uuid, name: &str) -> Result<String> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(admin_url.expose())
        .await
        .context("cannot connect with the administrative URL")?;
    let org = app::identity::OrganizationId::from(org);
    let mut tx = app::db::Tx::<app::db::Operator>::begin(&pool, org).await?;
    let key = app::developer::keys::create_live(&mut tx, org, name, None)
        .await
        .map_err(|error| match error {
            app::error::AppError::Validation { fields } => anyhow::anyhow!(
                "{}",
                fields
                    .iter()
                    .map(|f| format!("--{}: {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            other => anyhow::anyhow!("{other}"),
        })?;
    tx.commit().await?;
    pool.close().await;
    Ok(key)
}

/// Makes a sandbox key (with its own sandbox organization) for `email`.
pub async fn create_sandbox_key(admin_url: &Secret, email: &str) -> Result<(Uuid, String)> {
    let email = EmailAddress::parse(email).map_err(|m| anyhow::anyhow!("--email: {m}"))?;
    let mut conn = PgConnection::connect(admin_url.expose()).await?;
    let key = app::developer::keys::generate(true);
    let org: Uuid = sqlx::query_scalar("SELECT sandbox_signup($1, $2, $3)")
        .bind(email.as_str())
        .bind(&key.key_id)
        .bind(key.hash.as_slice())
        .fetch_one(&mut conn)
        .await?;
    Ok((org, key.text))
}

/// Sets the per-key rate limits of `org` (a live organization).
pub async fn set_rate_limits(
    admin_url: &Secret,
    org: Uuid,
    per_minute: i32,
    per_day: i32,
) -> Result<()> {
    if !(1..=100_000).contains(&per_minute) || !(1..=100_000_000).contains(&per_day) {
        bail!("--per-minute must be 1 to 100,000 and --per-day 1 to 100,000,000");
    }
    if per_day < per_minute {
        bail!("--per-day cannot be less than --per-minute");
    }
    let mut conn = PgConnection::connect(admin_url.expose()).await?;
    let live: Option<bool> =
        sqlx::query_scalar("SELECT NOT sandbox FROM organizations WHERE id = $1")
            .bind(org)
            .fetch_optional(&mut conn)
            .await?;
    match live {
        None => bail!("no organization {org}"),
        Some(false) => bail!("sandbox organizations keep the published sandbox limits"),
        Some(true) => {}
    }
    sqlx::query(
        "INSERT INTO api_rate_limits (organization_id, per_minute, per_day) VALUES ($1, $2, $3)
         ON CONFLICT (organization_id) DO UPDATE SET per_minute = $2, per_day = $3",
    )
    .bind(org)
    .bind(per_minute)
    .bind(per_day)
    .execute(&mut conn)
    .await?;
    Ok(())
}
