//! `GET /api/v1/health`: liveness plus database readiness. 200 when the
//! database answers as the application role, 503 when it does not, so a
//! load balancer takes a process without a database out of rotation.

use crate::health::check_database;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

/// The answer, the same shape whether up or not.
#[derive(Serialize, ToSchema)]
pub struct HealthOut {
    /// ok or unavailable.
    status: &'static str,
    /// The server's version.
    version: &'static str,
    checks: ChecksOut,
}

#[derive(Serialize, ToSchema)]
pub struct ChecksOut {
    database: DatabaseOut,
}

#[derive(Serialize, ToSchema)]
pub struct DatabaseOut {
    /// ok or unavailable.
    status: &'static str,
    /// How long one round trip took.
    latency_ms: u64,
}

/// Liveness, and whether the database answers.
#[utoipa::path(
    get, path = "/health", tag = "System",
    responses(
        (status = 200, description = "Up, with the database", body = HealthOut),
        (status = 503, description = "The database does not answer", body = HealthOut),
    )
)]
pub async fn health(State(pool): State<PgPool>) -> Response {
    let db = check_database(&pool).await;
    let (status, word) = if db.ok {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    let body = HealthOut {
        status: word,
        version: env!("CARGO_PKG_VERSION"),
        checks: ChecksOut {
            database: DatabaseOut {
                status: word,
                latency_ms: db.latency_ms,
            },
        },
    };
    (status, Json(body)).into_response()
}
