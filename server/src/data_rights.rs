//! Data rights on the server: the certificate download
//! (`/clinic/data/deletions/{id}/certificate?format=json|pdf`, one
//! operation in `app::data_rights::certificate`), and the two jobs:
//! `data.erase`, filed by a trigger for each deletion request at its due
//! date (30 days after the request), and `retention.purge`, scheduled
//! daily. Both call the database functions that decide what may go
//! (`migrations/*_data_rights.sql`); the worker role may run them and
//! nothing else on those rows.

use crate::jobs::{Job, JobContext, JobError};
use app::auth::session::RequestMeta;
use app::state::AppState;
use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new().route("/clinic/data/deletions/{id}/certificate", get(certificate))
}

#[derive(Deserialize)]
struct FormatQuery {
    #[serde(default)]
    format: String,
}

async fn certificate(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<Uuid>,
    Query(q): Query<FormatQuery>,
    request: Request,
) -> Response {
    let pdf = match q.format.as_str() {
        "pdf" => true,
        "json" | "" => false,
        _ => return app::error::AppError::invalid("format", "Choose json or pdf.").into_response(),
    };
    let meta = RequestMeta::from_head(request.extensions(), request.headers());
    let tx = match app::auth::session::current(&state, &session).await {
        Ok(Some(tx)) => tx,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(error) => return error.into_response(),
    };
    match app::data_rights::certificate::download(tx, id, pdf, &meta).await {
        Ok(file) => crate::exports::file_response(
            file.bytes,
            file.content_type,
            &file.filename,
            &file.sha256,
        ),
        Err(error) => error.into_response(),
    }
}

/// Which request (ids only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRef {
    pub organization_id: Uuid,
    pub request_id: Uuid,
}

/// Carries out a deletion request that fell due.
pub struct Erase;

impl Job for Erase {
    const KIND: &'static str = "data.erase";
    type Payload = RequestRef;

    async fn run(&self, ctx: &JobContext, r: RequestRef) -> Result<(), JobError> {
        let mut tx = app::db::begin(&ctx.pool).await?;
        let state: String = sqlx::query_scalar("SELECT data_erase($1, $2)")
            .bind(r.organization_id)
            .bind(r.request_id)
            .fetch_one(&mut *tx)
            .await?;
        ctx.finish_in(&mut tx).await?;
        tx.commit().await?;
        tracing::info!(request = %r.request_id, state, "deletion request carried out");
        Ok(())
    }
}

/// The daily purge of what is past each clinic's retention.
pub struct Purge;

impl Job for Purge {
    const KIND: &'static str = "retention.purge";
    type Payload = ();

    async fn run(&self, ctx: &JobContext, (): ()) -> Result<(), JobError> {
        // One statement over every clinic: longer than the pool's
        // statement timeout allows on a large instance.
        let mut tx = app::db::begin(&ctx.pool).await?;
        sqlx::query("SET LOCAL statement_timeout = '30min'")
            .execute(&mut *tx)
            .await?;
        let removed: i64 = sqlx::query_scalar("SELECT data_retention_purge()")
            .fetch_one(&mut *tx)
            .await?;
        ctx.finish_in(&mut tx).await?;
        tx.commit().await?;
        tracing::info!(removed, "retention purge");
        Ok(())
    }
}
