//! Intake's server-only doors: the signed submission's PDF for staff
//! (`/clinic/intake/{id}/pdf`) and for its signer (`/intake/copy?token=…`),
//! files rather than pages, and the reminder job (`intake.remind`, filed
//! by a trigger when a link is mailed, run halfway to the link's expiry).
//! Each calls one operation in `app::intake`.

use crate::jobs::{Job, JobContext, JobError};
use app::auth::session::RequestMeta;
use app::state::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/clinic/intake/{id}/pdf", get(pdf))
        .route("/intake/copy", get(copy))
}

fn pdf_response(bytes: Vec<u8>, name: &str) -> Response {
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

#[derive(Deserialize)]
struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// The signer's copy: the link's token opens it, for an hour after
/// signing, and nothing else does.
async fn copy(
    State(state): State<AppState>,
    Query(q): Query<TokenQuery>,
    request: Request,
) -> Response {
    let meta = RequestMeta::from_head(request.extensions(), request.headers());
    match app::intake::fill::signed_copy(
        &state.pool,
        &state.settings.vault,
        &state.settings.public_url,
        &q.token,
        &meta,
    )
    .await
    {
        Ok((bytes, name)) => pdf_response(bytes, &name),
        Err(error) => error.into_response(),
    }
}

async fn pdf(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    request: Request,
) -> Response {
    let meta = RequestMeta::from_head(request.extensions(), request.headers());
    let tx = match app::auth::session::current(&state, &session).await {
        Ok(Some(tx)) => tx,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(error) => return error.into_response(),
    };
    let made = app::intake::staff::pdf(
        tx,
        &state.settings.vault,
        &state.settings.public_url,
        id,
        &meta,
    )
    .await;
    match made {
        Ok((bytes, name)) => pdf_response(bytes, &name),
        Err(error) => error.into_response(),
    }
}

/// Which link (ids only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LinkRef {
    pub organization_id: Uuid,
    pub link_id: Uuid,
}

/// Mails one reminder for a link still open and not begun: a second token
/// for it, in the same transaction as the job's completion.
pub struct Remind {
    pub public_url: String,
    pub vault: app::vault::Keyring,
}

impl Job for Remind {
    const KIND: &'static str = "intake.remind";
    type Payload = LinkRef;

    async fn run(&self, ctx: &JobContext, l: LinkRef) -> Result<(), JobError> {
        let mut tx = app::db::begin(&ctx.pool).await?;
        app::intake::staff::remind(
            &mut tx,
            &self.vault,
            &self.public_url,
            l.organization_id,
            l.link_id,
        )
        .await
        .map_err(|e| JobError::Retry(format!("intake reminder: {e}")))?;
        ctx.finish_in(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
