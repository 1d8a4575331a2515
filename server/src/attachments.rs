//! The two doors of a referral's documents that are not server functions,
//! because a server function's form cannot carry a file without script:
//!
//! - `POST /referrer/referrals/{id}/attachments`: a plain multipart form
//!   (`app::ui::UploadForm`) with the document's `kind` and its `file`;
//!   answers 303 back to the referral's page, with `?attached=1` or
//!   `?attach_error=<reason>` for the page to say what happened;
//! - `GET /referrals/{id}/attachments/{attachment}`: the PDF, for either
//!   party the policies let see it, never cached.
//!
//! Both resolve the signed-in principal from the session like every page
//! and call one audited operation in `app::referrals::attachments`.

use app::auth::session::RequestMeta;
use app::error::AppError;
use app::identity::ReferralId;
use app::referrals::{attachments, AttachmentKind, MAX_ATTACHMENT_BYTES};
use app::state::AppState;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_sessions::Session;

/// The routes (under the session layer, like the pages).
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/referrer/referrals/{id}/attachments",
            // The document and the form's few fields.
            post(upload).layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 64 * 1024)),
        )
        .route("/referrals/{id}/attachments/{attachment}", get(download))
}

fn back(id: ReferralId, query: &str) -> Response {
    Redirect::to(&format!("/referrer/referrals/{id}?{query}")).into_response()
}

async fn upload(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<ReferralId>,
    request: Request,
) -> Response {
    let meta = RequestMeta::from_head(request.extensions(), request.headers());
    // Signed in at all (no transaction yet), then the body, then the
    // transaction: a slow upload never holds a database connection.
    match app::auth::session::claim(&session).await {
        Ok(Some(_)) => {}
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(error) => return error.into_response(),
    }
    let mut multipart =
        match <Multipart as axum::extract::FromRequest<AppState>>::from_request(request, &state)
            .await
        {
            Ok(m) => m,
            Err(_) => return back(id, "attach_error=unreadable"),
        };
    let read = tokio::time::timeout(std::time::Duration::from_secs(120), read(&mut multipart));
    let (kind, bytes) = match read.await {
        Ok(Ok(parts)) => parts,
        Ok(Err(reason)) => return back(id, &format!("attach_error={reason}")),
        Err(_) => return back(id, "attach_error=unreadable"),
    };
    let tx = match app::auth::session::current(&state, &session).await {
        Ok(Some(tx)) => tx,
        Ok(None) => return Redirect::to("/login").into_response(),
        Err(error) => return error.into_response(),
    };
    match attachments::attach(tx, &state.settings.vault, id, kind, &bytes, &meta).await {
        Ok(_) => back(id, "attached=1"),
        Err(AppError::Validation { fields }) => {
            let reason = match fields.first().map(|f| f.message.as_str()) {
                Some(m) if m.contains("10 MB") => "too_large",
                Some(m) if m.contains("PDF file") => "empty",
                _ => "not_pdf",
            };
            back(id, &format!("attach_error={reason}"))
        }
        Err(AppError::Conflict { .. }) => back(id, "attach_error=finished"),
        Err(other) => other.into_response(),
    }
}

/// The form's `kind` and `file`, or why not.
async fn read(multipart: &mut Multipart) -> Result<(AttachmentKind, Vec<u8>), &'static str> {
    let mut kind = None;
    let mut bytes = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| "too_large")? {
        match field.name() {
            Some("kind") => {
                let text = field.bytes().await.map_err(|_| "unreadable")?;
                // A kind is a short word; anything longer is not one.
                kind = std::str::from_utf8(&text[..text.len().min(40)])
                    .ok()
                    .and_then(|t| AttachmentKind::parse(t.trim()));
            }
            Some("file") => {
                bytes = field.bytes().await.map_err(|_| "too_large")?.to_vec();
            }
            _ => {}
        }
    }
    Ok((kind.ok_or("kind")?, bytes))
}

async fn download(
    State(state): State<AppState>,
    session: Session,
    Path((id, attachment)): Path<(ReferralId, uuid::Uuid)>,
    request: Request,
) -> Response {
    let meta = RequestMeta::from_head(request.extensions(), request.headers());
    let tx = match app::auth::session::current(&state, &session).await {
        Ok(Some(tx)) => tx,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(error) => return error.into_response(),
    };
    match attachments::open(tx, &state.settings.vault, id, attachment, &meta).await {
        Ok((kind, bytes)) => {
            let name = format!("{}.pdf", kind.as_str().replace('_', "-"));
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error) => error.into_response(),
    }
}
