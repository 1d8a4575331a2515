//! The whole HTTP surface in one place: Leptos pages and server functions,
//! `/api/v1`, `/trust.json`, static files, and the layers around them.

use crate::http;
use app::error::AppError;
use app::state::AppState;
use app::trust::{repo, TrustPortal};
use app::{shell, App};
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::PgPool;

/// Builds the application router for `state`.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let page_shell = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let settings = state.settings.clone();
    let router = Router::new()
        .route("/trust.json", get(trust_json))
        .nest("/api/v1", crate::api::router())
        .leptos_routes_with_context(&state, routes, context.clone(), page_shell)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .with_state(state);
    http::with_layers(router, settings)
}

/// `GET /trust.json`: the portal's data for machines, from the same query
/// as the page.
async fn trust_json(State(pool): State<PgPool>) -> Result<Json<TrustPortal>, AppError> {
    let mut conn = pool.acquire().await?;
    Ok(Json(repo::load_portal(&mut conn).await?))
}
