//! Readiness of the service's dependencies, shared by `GET /api/v1/health`
//! and the background probe that feeds the trust portal's uptime figure.

use sqlx::PgPool;
use std::time::{Duration, Instant};

/// A database check must answer within this time to count as up.
pub const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DatabaseCheck {
    pub ok: bool,
    pub latency_ms: u64,
}

/// One round trip as the application role: can we get a connection and
/// run a query within [`DATABASE_TIMEOUT`]?
pub async fn check_database(pool: &PgPool) -> DatabaseCheck {
    let started = Instant::now();
    let query = sqlx::query_scalar!("SELECT 1 AS \"one!\"").fetch_one(pool);
    let ok = matches!(
        tokio::time::timeout(DATABASE_TIMEOUT, query).await,
        Ok(Ok(1))
    );
    DatabaseCheck {
        ok,
        latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
    }
}
