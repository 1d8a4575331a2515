//! `GET /api/v1/health`: liveness plus database readiness. 200 when the
//! database answers as the application role, 503 when it does not, so a
//! load balancer takes a process without a database out of rotation.

use crate::health::check_database;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sqlx::PgPool;

/// Liveness, and whether the database answers.
#[utoipa::path(
    get, path = "/health", tag = "System",
    responses(
        (status = 200, description = "Up, with the database"),
        (status = 503, description = "The database does not answer"),
    )
)]
pub async fn health(State(pool): State<PgPool>) -> Response {
    let db = check_database(&pool).await;
    let (status, word) = if db.ok {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    };
    let body = json!({
        "status": word,
        "version": env!("CARGO_PKG_VERSION"),
        "checks": {
            "database": { "status": word, "latency_ms": db.latency_ms }
        }
    });
    (status, Json(body)).into_response()
}
