//! The native REST API under `/api/v1`.
//!
//! Policy: every response is JSON; every error has the one shape of
//! [`app::error::AppError`] with a stable `code`; an unknown path is a JSON
//! 404, never an HTML page.

mod health;

use app::error::AppError;
use app::state::AppState;
use axum::routing::get;
use axum::Router;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health::health))
        .fallback(|| async { AppError::NotFound })
}
