//! Throttles for the doors anyone can knock on: sign-in, password reset,
//! registration, sandbox sign-up and `/verify`, per client address and (where there
//! is one) per account address.
//!
//! Counted in PostgreSQL (`request_throttles`), in fixed windows, by one
//! atomic upsert outside any transaction, so several server processes agree
//! and a count costs one round trip. No crate is used for the same reason
//! as the API's rate limits (`developer::rate`): governor and its kin keep
//! their state in one process's memory. Keys are stored as SHA-256 of the
//! bucket and the key, never the address or the email itself.
//!
//! The account lockout (`auth::service::sign_in`) is a different thing: it
//! counts wrong passwords for one account; these count requests.

use crate::error::AppError;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::net::IpAddr;
use std::time::Duration;

/// How many requests a key may make per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub hits: u32,
    pub window: Duration,
}

impl Limit {
    pub const fn per_minute(hits: u32) -> Self {
        Self {
            hits,
            window: Duration::from_secs(60),
        }
    }

    pub const fn per_hour(hits: u32) -> Self {
        Self {
            hits,
            window: Duration::from_secs(3600),
        }
    }
}

/// The limits of every throttled door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttles {
    pub sign_in_per_ip: Limit,
    pub sign_in_per_account: Limit,
    pub reset_per_ip: Limit,
    pub reset_per_account: Limit,
    pub register_per_ip: Limit,
    /// Registrations naming one address: each mails its owner, so this
    /// also caps the mail anyone can make an address receive.
    pub register_per_account: Limit,
    pub sandbox_per_ip: Limit,
    /// `/verify`'s hash checks: a person checks a receipt or two.
    pub verify_per_ip: Limit,
}

impl Default for Throttles {
    /// Far above what a person (or an office behind one address) does, far
    /// below what a script does; the lockout still stops guessing at five.
    fn default() -> Self {
        Self {
            sign_in_per_ip: Limit::per_minute(60),
            sign_in_per_account: Limit {
                hits: 30,
                window: Duration::from_secs(15 * 60),
            },
            reset_per_ip: Limit::per_hour(30),
            reset_per_account: Limit::per_hour(5),
            register_per_ip: Limit::per_hour(30),
            register_per_account: Limit::per_hour(3),
            sandbox_per_ip: Limit::per_hour(30),
            verify_per_ip: Limit::per_minute(30),
        }
    }
}

/// What is being counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    SignInIp,
    SignInAccount,
    ResetIp,
    ResetAccount,
    RegisterIp,
    RegisterAccount,
    SandboxIp,
    VerifyIp,
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::SignInIp => "sign_in:ip",
            Bucket::SignInAccount => "sign_in:account",
            Bucket::ResetIp => "reset:ip",
            Bucket::ResetAccount => "reset:account",
            Bucket::RegisterIp => "register:ip",
            Bucket::RegisterAccount => "register:account",
            Bucket::SandboxIp => "sandbox:ip",
            Bucket::VerifyIp => "verify:ip",
        }
    }

    fn limit(self, t: &Throttles) -> Limit {
        match self {
            Bucket::SignInIp => t.sign_in_per_ip,
            Bucket::SignInAccount => t.sign_in_per_account,
            Bucket::ResetIp => t.reset_per_ip,
            Bucket::ResetAccount => t.reset_per_account,
            Bucket::RegisterIp => t.register_per_ip,
            Bucket::RegisterAccount => t.register_per_account,
            Bucket::SandboxIp => t.sandbox_per_ip,
            Bucket::VerifyIp => t.verify_per_ip,
        }
    }
}

/// Counts one request for `key` in `bucket`; `RateLimited` (429 with
/// `Retry-After`) once the window's limit is spent.
pub async fn hit(
    pool: &PgPool,
    throttles: &Throttles,
    bucket: Bucket,
    key: &str,
) -> Result<(), AppError> {
    let limit = bucket.limit(throttles);
    let window = limit.window.as_secs().max(1) as f64;
    let key_hash: [u8; 32] = Sha256::new()
        .chain_update(bucket.name())
        .chain_update([0])
        .chain_update(key.as_bytes())
        .finalize()
        .into();
    let row = sqlx::query!(
        r#"INSERT INTO request_throttles (bucket, key_hash, window_start, hits)
           VALUES ($1, $2, to_timestamp(floor(extract(epoch FROM now())::float8 / $3::float8) * $3::float8), 1)
           ON CONFLICT (bucket, key_hash, window_start)
           DO UPDATE SET hits = request_throttles.hits + 1
           RETURNING hits,
                     ceil(extract(epoch FROM window_start)::float8 + $3::float8
                          - extract(epoch FROM now())::float8)::bigint
                         AS "reset!""#,
        bucket.name(),
        key_hash.as_slice(),
        window,
    )
    .fetch_one(pool)
    .await?;
    if row.hits as u64 > u64::from(limit.hits) {
        tracing::warn!(bucket = bucket.name(), "throttled");
        return Err(AppError::RateLimited {
            retry_after_secs: u64::try_from(row.reset).unwrap_or(1).max(1),
        });
    }
    Ok(())
}

/// Counts a request from `ip` (when the address is known).
pub async fn hit_ip(
    pool: &PgPool,
    throttles: &Throttles,
    bucket: Bucket,
    ip: Option<IpAddr>,
) -> Result<(), AppError> {
    match ip {
        Some(ip) => hit(pool, throttles, bucket, &ip.to_string()).await,
        None => Ok(()),
    }
}
