//! The export centre's rows, read and filed in the administrator's tenant
//! transaction (row-level security: their clinic, administrators only).

use super::model::*;
use crate::db::TenantTx;
use crate::identity::{LoginId, UserId};
use time::OffsetDateTime;
use uuid::Uuid;

type Row = (
    Uuid,
    Vec<String>,
    String,
    String,
    i64,
    Option<i64>,
    Option<String>,
    OffsetDateTime,
    Option<OffsetDateTime>,
    Option<serde_json::Value>,
    Option<Vec<u8>>,
    Option<String>,
);

const SELECT: &str = "SELECT e.id, e.datasets, e.format, e.state, e.rows_done, e.rows_total,
            u.display_name, e.requested_at, e.expires_at, e.manifest, e.manifest_sha256, e.error
     FROM data_exports e LEFT JOIN users u ON u.id = e.requested_by";

fn view(r: Row) -> ExportView {
    ExportView {
        id: r.0,
        datasets: r.1,
        format: FileFormat::parse(&r.2).unwrap_or(FileFormat::Csv),
        state: r.3,
        rows_done: r.4,
        rows_total: r.5,
        requested_by: r.6.unwrap_or_else(|| "A former member".to_owned()),
        requested_at: r.7,
        expires_at: r.8,
        manifest: r.9.and_then(|m| serde_json::from_value(m).ok()),
        manifest_sha256: r.10.map(hex::encode),
        error: r.11,
    }
}

/// The clinic's exports, newest first.
pub async fn list(tx: &mut TenantTx, limit: i64) -> Result<Vec<ExportView>, sqlx::Error> {
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "{SELECT} ORDER BY e.requested_at DESC, e.id LIMIT $1"
    ))
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(view).collect())
}

/// Files a request (its trigger files the job).
pub async fn file(
    tx: &mut TenantTx,
    user: UserId,
    login: LoginId,
    datasets: &[Dataset],
    format: FileFormat,
) -> Result<Uuid, sqlx::Error> {
    let keys: Vec<&str> = datasets.iter().map(|d| d.key()).collect();
    let org = tx.principal().org_id;
    sqlx::query_scalar(
        "INSERT INTO data_exports (organization_id, requested_by, login_id, datasets, format)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(org)
    .bind(user)
    .bind(login)
    .bind(&keys)
    .bind(format.key())
    .fetch_one(tx.conn())
    .await
}

/// Exports this clinic has running or waiting: a few at a time. Taken
/// under a lock on the clinic's requests (until the transaction ends), so
/// two requests at once cannot both pass the count.
pub async fn open_count(tx: &mut TenantTx) -> Result<i64, sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('data_exports'), hashtext($1::text))")
        .bind(org.uuid())
        .execute(tx.conn())
        .await?;
    sqlx::query_scalar("SELECT count(*) FROM data_exports WHERE state IN ('queued', 'running')")
        .fetch_one(tx.conn())
        .await
}
