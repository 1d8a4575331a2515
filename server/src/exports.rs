//! Downloads that are files rather than pages, for signed-in readers:
//! the audit export (`/audit/export?format=csv|json&actor=…`). Each calls
//! one operation in `app` with the session's tenant transaction; the
//! operation checks the role and audits the download.

use app::audit::export::{export, ExportFormat};
use app::audit::AuditFilter;
use app::auth::session::RequestMeta;
use app::error::AppError;
use app::state::AppState;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new().route("/audit/export", get(audit_export))
}

#[derive(Deserialize)]
struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    filter: AuditFilter,
}

/// A download: its type, its name, never cached, and its SHA-256 (the
/// same digest the audit event records).
pub fn file_response(
    bytes: Vec<u8>,
    content_type: &'static str,
    filename: &str,
    sha256: &str,
) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(sha256) {
        headers.insert(HeaderName::from_static("x-content-sha256"), value);
    }
    response
}

async fn audit_export(
    State(state): State<AppState>,
    session: Session,
    Query(q): Query<ExportQuery>,
    request: Request,
) -> Response {
    let Some(format) = ExportFormat::parse(&q.format) else {
        return AppError::invalid("format", "Choose csv or json.").into_response();
    };
    let meta = RequestMeta::from_head(request.extensions(), request.headers());
    let tx = match app::auth::session::current(&state, &session).await {
        Ok(Some(tx)) => tx,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(error) => return error.into_response(),
    };
    match export(tx, &q.filter, format, &meta).await {
        Ok(file) => file_response(
            file.bytes,
            file.format.content_type(),
            &file.filename,
            &file.sha256,
        ),
        Err(error) => error.into_response(),
    }
}
