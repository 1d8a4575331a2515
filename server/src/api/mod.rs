//! The developer API under `/api/v1` (SPEC §3).
//!
//! Policy: every response is JSON; every error has the one shape of
//! [`app::error::AppError`] with a stable `code` (FHIR paths answer
//! OperationOutcome); no input makes it answer 5xx; an unknown path is a
//! JSON 404. Public: `/health`, `/openapi.json`, `/docs`, `/fhir/metadata`.
//! Everything else needs an API key and counts against its rate limits
//! ([`auth`]).

pub mod auth;
pub mod docs;
pub mod extract;
pub mod fhir;
mod health;
pub mod native;
pub mod outcome;
pub mod webhooks;

use app::error::AppError;
use app::state::AppState;
use axum::middleware;
use axum::routing::{get, post};
use axum::Router;

pub fn router(state: AppState) -> Router<AppState> {
    let keyed = Router::new()
        .route("/clinicians/search", get(native::search_clinicians))
        .route("/discharge-referrals", post(native::create_referral))
        .route("/discharge-referrals/{id}", get(native::get_referral))
        .route("/geo/zip/{zip}", get(native::zip))
        .route("/webhooks", post(webhooks::register).get(webhooks::list))
        .route(
            "/webhooks/{id}",
            get(webhooks::get).delete(webhooks::disable),
        )
        .route("/webhooks/{id}/ping", post(webhooks::ping))
        .route("/webhooks/{id}/deliveries", get(webhooks::deliveries))
        .route(
            "/webhooks/{id}/deliveries/{delivery_id}/resend",
            post(webhooks::resend),
        )
        .merge(fhir::keyed_router())
        .route_layer(middleware::from_fn_with_state(state, auth::require_key));
    Router::new()
        .route("/health", get(health::health))
        .route("/fhir/metadata", get(fhir::metadata))
        .merge(keyed)
        .fallback(|| async { AppError::NotFound })
}
