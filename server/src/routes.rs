//! The whole HTTP surface in one place: Leptos pages and server functions,
//! `/api/v1`, `/trust.json`, static files, the development mailbox, and the
//! layers around them (sessions inside, then plain form posts
//! (`forms`), security outermost).

use crate::http;
use crate::mail::sink::Mailbox;
use app::developer::ApiDispatch;
use app::error::AppError;
use app::state::AppState;
use app::trust::{repo, TrustPortal};
use app::{shell, App};
use axum::body::Body;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use sqlx::PgPool;
use std::sync::{Arc, OnceLock};
use tower::ServiceExt;

/// Builds the application router for `state`. `dev_mailbox` mounts
/// `/dev/mail` over the development SMTP sink (never in production).
pub fn router(state: AppState, dev_mailbox: Option<Mailbox>) -> Router {
    let routes = page_routes();
    let dispatch = api_dispatch(&state);
    let context = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(dispatch.clone());
        }
    };
    let page_shell = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    let settings = state.settings.clone();
    let sessions = crate::sessions::layer(state.pool.clone(), &settings);
    let mut router = Router::new()
        .route("/trust.json", get(trust_json))
        .route("/trust/feed.atom", get(trust_feed))
        .nest("/api/v1", crate::api::router(state.clone()))
        .merge(crate::api::docs::router())
        .merge(crate::attachments::router())
        .merge(crate::intake::router())
        .merge(crate::exports::router())
        .merge(crate::data_rights::router())
        .leptos_routes_with_context(&state, routes, context.clone(), page_shell)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .with_state(state);
    if let Some(mailbox) = dev_mailbox.filter(|_| !settings.production) {
        router = router.merge(crate::mail::mailbox::router(mailbox));
    }
    let router = router.layer(static_compression());
    // Plain form posts render their page again through the whole router
    // (sessions included), so that layer sits outside the session layer.
    let pages = router.layer(sessions);
    let router = pages.clone().layer(axum::middleware::from_fn_with_state(
        pages,
        crate::forms::plain_posts,
    ));
    http::with_layers(router, settings)
}

/// Brotli (or gzip) for the static assets: the wasm, scripts, stylesheet,
/// icons and manifest, what the size budget is measured in. Pages and API
/// answers are never compressed: a page can show a secret once (a new API
/// key, a webhook's signing secret) beside text an attacker could choose,
/// and compressed sizes would leak it byte by byte (BREACH).
fn static_compression(
) -> tower_http::compression::CompressionLayer<impl tower_http::compression::Predicate> {
    use tower_http::compression::predicate::{Predicate, SizeAbove};
    const STATIC: [&str; 6] = [
        "application/wasm",
        "text/javascript",
        "application/javascript",
        "text/css",
        "image/svg+xml",
        "application/manifest+json",
    ];
    let is_static = |_: axum::http::StatusCode,
                     _: axum::http::Version,
                     headers: &axum::http::HeaderMap,
                     _: &axum::http::Extensions| {
        headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| STATIC.iter().any(|s| ct.starts_with(s)))
    };
    tower_http::compression::CompressionLayer::new()
        .br(true)
        .gzip(true)
        .compress_when(SizeAbove::new(256).and(is_static))
}

/// The page routes, generated once per process. Generating them renders
/// the app with resource loading switched off by a process-global flag in
/// `leptos_server`; a page render elsewhere in the process whose resource
/// first polls meanwhile waits forever (leptos issue #4773). A second
/// router in one process (a sibling server, every integration test) must
/// therefore reuse the list, never generate it while others serve.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The API router for in-process requests (the developer page's "try a
/// request"): the same layers as over the network, minus the socket.
fn api_dispatch(state: &AppState) -> ApiDispatch {
    let api: Router = Router::new()
        .nest("/api/v1", crate::api::router(state.clone()))
        .with_state(state.clone());
    ApiDispatch(Arc::new(move |request: axum::http::Request<String>| {
        let api = api.clone();
        Box::pin(async move {
            let response = match api.oneshot(request.map(Body::from)).await {
                Ok(response) => response,
                Err(never) => match never {},
            };
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, 1024 * 1024)
                .await
                .unwrap_or_default();
            axum::http::Response::from_parts(parts, String::from_utf8_lossy(&bytes).into_owned())
        })
    }))
}

/// `GET /trust/feed.atom`: the portal's change feed (the newest 50).
async fn trust_feed(State(state): State<AppState>) -> Result<axum::response::Response, AppError> {
    use axum::response::IntoResponse;
    let mut conn = state.pool.acquire().await?;
    let changes = repo::recent_changes(&mut conn, 50).await?;
    let xml = app::trust::feed::atom(
        &changes,
        &state.settings.public_url,
        time::OffsetDateTime::now_utc(),
    );
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/atom+xml; charset=utf-8",
        )],
        xml,
    )
        .into_response())
}

/// `GET /trust.json`: the portal's data for machines, from the same query
/// as the page.
async fn trust_json(State(pool): State<PgPool>) -> Result<Json<TrustPortal>, AppError> {
    let mut conn = pool.acquire().await?;
    Ok(Json(repo::load_portal(&mut conn).await?))
}
