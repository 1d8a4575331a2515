//! Downloads that are files rather than pages, for signed-in readers:
//! the audit export (`/audit/export?format=csv|json&actor=…`) and the
//! export centre's files (`/clinic/exports/{id}/files/{name}`). Each calls
//! one operation in `app` with the session's tenant transaction; the
//! operation checks the role and audits the download.
//!
//! The export centre's job (`export.build`) is here too: it acts as the
//! administrator who asked ([`app::auth::session::resume_for_job`]) and
//! reports progress on the worker's connection; expired files are removed
//! by [`expire`] from the hourly housekeeping.

use crate::jobs::{Job, JobContext, JobError};
use app::audit::export::{export, ExportFormat};
use app::audit::AuditFilter;
use app::auth::session::RequestMeta;
use app::error::AppError;
use app::state::AppState;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use tower_sessions::Session;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/audit/export", get(audit_export))
        .route("/clinic/exports/{id}/files/{file}", get(export_file))
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
    set_file_headers(&mut response, content_type, filename, sha256);
    response
}

/// The headers every download carries.
fn set_file_headers(
    response: &mut Response,
    content_type: &'static str,
    filename: &str,
    sha256: &str,
) {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    if let Ok(value) = HeaderValue::from_str(sha256) {
        headers.insert(HeaderName::from_static("x-content-sha256"), value);
    }
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

/// A file of a ready export, streamed a chunk at a time in a transaction
/// of the reader's own (the download itself was audited and committed
/// before the first byte).
async fn export_file(
    State(state): State<AppState>,
    session: Session,
    Path((id, file)): Path<(Uuid, String)>,
    request: Request,
) -> Response {
    let meta = RequestMeta::from_head(request.extensions(), request.headers());
    let tx = match app::auth::session::current(&state, &session).await {
        Ok(Some(tx)) => tx,
        Ok(None) => return StatusCode::UNAUTHORIZED.into_response(),
        Err(error) => return error.into_response(),
    };
    let (download, principal) = match app::exports::build::download(tx, id, &file, &meta).await {
        Ok(opened) => opened,
        Err(error) => return error.into_response(),
    };
    if let Some(bytes) = download.manifest {
        return file_response(
            bytes,
            download.content_type,
            &download.filename,
            &download.sha256,
        );
    }
    // Each chunk in a short transaction of its own (a slow reader holds
    // no connection); a file that ends short of the manifest's length
    // (expired mid-download) fails the stream rather than ending as if
    // whole.
    let expected = download.bytes;
    let pool = state.pool.clone();
    let chunks = futures_util::stream::unfold(Some((0i32, 0i64)), move |next| {
        let (file, pool, principal) = (file.clone(), pool.clone(), principal.clone());
        async move {
            let (seq, sent) = next?;
            let read = async {
                let mut tx = app::db::TenantTx::begin_for(&pool, principal).await?;
                let bytes = app::exports::build::chunk(&mut tx, id, &file, seq).await?;
                tx.commit().await?;
                Ok::<_, AppError>(bytes)
            };
            match read.await {
                Ok(Some(bytes)) => {
                    let sent = sent + bytes.len() as i64;
                    Some((Ok(bytes), Some((seq + 1, sent))))
                }
                Ok(None) if sent == expected => None,
                Ok(None) => {
                    tracing::warn!(export = %id, "an export's files went during a download");
                    Some((Err(std::io::Error::other("export incomplete")), None))
                }
                Err(error) => {
                    tracing::warn!(%error, "an export download stopped");
                    Some((Err(std::io::Error::other("export chunk")), None))
                }
            }
        }
    });
    let mut response = Body::from_stream(chunks).into_response();
    set_file_headers(
        &mut response,
        download.content_type,
        &download.filename,
        &download.sha256,
    );
    if let Ok(length) = HeaderValue::from_str(&expected.to_string()) {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, length);
    }
    response
}

/// Which export (ids only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExportRef {
    pub organization_id: Uuid,
    pub export_id: Uuid,
}

/// Writes a requested export (`export.build`, filed by trigger).
pub struct Build {
    /// The application role's pool: the export is written as the
    /// administrator who asked, under row-level security.
    pub app_pool: PgPool,
    /// Opens the sealed columns.
    pub vault: app::vault::Keyring,
}

/// Progress, committed on the worker's connection as the export goes.
struct Reporter<'a> {
    pool: &'a PgPool,
    export: &'a ExportRef,
}

impl app::exports::build::Progress for Reporter<'_> {
    async fn report(&self, done: i64, total: i64) {
        let result = sqlx::query(
            "UPDATE data_exports SET state = 'running', rows_done = $3, rows_total = $4
             WHERE organization_id = $1 AND id = $2 AND state IN ('queued', 'running')",
        )
        .bind(self.export.organization_id)
        .bind(self.export.export_id)
        .bind(done)
        .bind(total)
        .execute(self.pool)
        .await;
        if let Err(error) = result {
            // Progress is shown, not relied on: the export goes on.
            tracing::warn!(%error, "export progress not recorded");
        }
    }
}

/// Records why an export will not be written (no retry can help).
async fn fail(pool: &PgPool, r: &ExportRef, why: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE data_exports SET state = 'failed', error = $3, finished_at = now()
         WHERE organization_id = $1 AND id = $2 AND state IN ('queued', 'running')",
    )
    .bind(r.organization_id)
    .bind(r.export_id)
    .bind(why)
    .execute(pool)
    .await?;
    Ok(())
}

impl Job for Build {
    const KIND: &'static str = "export.build";
    type Payload = ExportRef;

    async fn run(&self, ctx: &JobContext, r: ExportRef) -> Result<(), JobError> {
        let row: Option<(Uuid, Uuid, String)> = sqlx::query_as(
            "SELECT requested_by, login_id, state FROM data_exports
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(r.organization_id)
        .bind(r.export_id)
        .fetch_optional(&ctx.pool)
        .await?;
        let Some((user, login, state)) = row else {
            return Err(JobError::Permanent("no such export".into()));
        };
        if !matches!(state.as_str(), "queued" | "running") {
            return Ok(());
        }
        let tx = app::auth::session::resume_for_job(
            &self.app_pool,
            user.into(),
            login.into(),
            r.organization_id.into(),
            app::auth::Role::ClinicAdmin,
        )
        .await
        .map_err(|error| JobError::Retry(error.to_string()))?;
        let Some(tx) = tx else {
            fail(
                &ctx.pool,
                &r,
                "The administrator who asked for it no longer administers this clinic.",
            )
            .await?;
            return Ok(());
        };
        let reporter = Reporter {
            pool: &ctx.pool,
            export: &r,
        };
        match app::exports::build::build(tx, &self.vault, r.export_id, &reporter).await {
            Ok(manifest) => {
                if let Some(m) = manifest {
                    tracing::info!(export = %r.export_id, files = m.files.len(), "export written");
                }
                Ok(())
            }
            Err(error) => {
                if ctx.last_attempt() {
                    fail(&ctx.pool, &r, "The export could not be written. Try again.").await?;
                }
                Err(JobError::Retry(error.to_string()))
            }
        }
    }
}

/// Removes the files of exports past their day (the record stays, as
/// "expired"); run by the hourly housekeeping. How many expired.
pub async fn expire(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let mut tx = app::db::begin(pool).await?;
    let expired: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "UPDATE data_exports SET state = 'expired'
         WHERE state = 'ready' AND expires_at <= now()
         RETURNING organization_id, id",
    )
    .fetch_all(&mut *tx)
    .await?;
    for (org, id) in &expired {
        sqlx::query("DELETE FROM data_export_chunks WHERE organization_id = $1 AND export_id = $2")
            .bind(org)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    Ok(expired.len() as u64)
}
