//! Data-rights reads and writes in the caller's tenant transaction (the
//! policies admit the clinic's administrator to their own clinic's rows).

use super::model::*;
use crate::db::TenantTx;
use sqlx::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Every category with its defaults; with `clinic`, the caller's clinic's
/// own settings too (none for the public page).
pub async fn categories(
    conn: &mut PgConnection,
    clinic: bool,
) -> Result<Vec<RetentionCategory>, sqlx::Error> {
    type Row = (String, String, String, i32, i32, String, bool, Option<i32>);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT c.key, c.label, c.holds, c.default_days, c.legal_min_days, c.legal_basis,
                c.purged, r.days
         FROM retention_categories c
         LEFT JOIN clinic_retention r ON $1 AND r.category = c.key
                                     AND r.organization_id = app_org_id()
         ORDER BY c.sort_order",
    )
    .bind(clinic)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                key,
                label,
                holds,
                default_days,
                legal_min_days,
                legal_basis,
                purged,
                clinic_days,
            )| {
                RetentionCategory {
                    key,
                    label,
                    holds,
                    default_days,
                    legal_min_days,
                    legal_basis,
                    purged,
                    clinic_days,
                }
            },
        )
        .collect())
}

pub async fn set_retention(
    tx: &mut TenantTx,
    category: &str,
    days: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO clinic_retention (organization_id, category, days, updated_by)
         VALUES (app_org_id(), $1, $2, app_user_id())
         ON CONFLICT (organization_id, category)
         DO UPDATE SET days = EXCLUDED.days, updated_by = EXCLUDED.updated_by",
    )
    .bind(category)
    .bind(days)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn patient_initials(tx: &mut TenantTx, id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT initials FROM patients WHERE id = $1")
        .bind(id)
        .fetch_optional(tx.conn())
        .await
}

pub async fn holds(tx: &mut TenantTx) -> Result<Vec<LegalHoldView>, sqlx::Error> {
    type Row = (Uuid, Uuid, String, String, Option<String>, OffsetDateTime);
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT h.id, h.patient_id, p.initials, h.reason, u.display_name, h.placed_at
         FROM legal_holds h
         JOIN patients p ON p.organization_id = h.organization_id AND p.id = h.patient_id
         LEFT JOIN users u ON u.id = h.placed_by
         WHERE h.released_at IS NULL
         ORDER BY h.placed_at DESC",
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, patient_id, patient_initials, reason, placed_by, placed_at)| LegalHoldView {
                id,
                patient_id,
                patient_initials,
                reason,
                placed_by: placed_by.unwrap_or_default(),
                placed_at,
            },
        )
        .collect())
}

/// False when the patient is already held.
pub async fn place_hold(
    tx: &mut TenantTx,
    patient: Uuid,
    reason: &str,
) -> Result<bool, sqlx::Error> {
    let placed = sqlx::query(
        "INSERT INTO legal_holds (organization_id, patient_id, reason, placed_by)
         VALUES (app_org_id(), $1, $2, app_user_id())",
    )
    .bind(patient)
    .bind(reason)
    .execute(tx.conn())
    .await;
    match placed {
        Ok(_) => Ok(true),
        Err(e) if crate::error::violates(&e, "legal_holds_one_active") => Ok(false),
        Err(e) => Err(e),
    }
}

/// The held patient's id, or None when there was no such open hold.
pub async fn release_hold(tx: &mut TenantTx, id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE legal_holds SET released_by = app_user_id(), released_at = now()
         WHERE id = $1 AND released_at IS NULL
         RETURNING patient_id",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await
}

type RequestRow = (
    Uuid,
    String,
    Option<Uuid>,
    String,
    Option<String>,
    OffsetDateTime,
    OffsetDateTime,
    String,
    Option<OffsetDateTime>,
    Option<String>,
    Option<String>,
);

const REQUEST_COLUMNS: &str = "SELECT d.id, d.scope, d.patient_id, d.reason, u.display_name,
        d.requested_at, d.due_at, d.state, d.completed_at, encode(d.certificate_sha256, 'hex'),
        d.certificate
     FROM deletion_requests d LEFT JOIN users u ON u.id = d.requested_by";

fn request_view(r: RequestRow) -> (DeletionRequestView, Option<String>) {
    let (
        id,
        scope,
        patient_id,
        reason,
        requested_by,
        requested_at,
        due_at,
        state,
        completed_at,
        certificate_sha256,
        certificate,
    ) = r;
    (
        DeletionRequestView {
            id,
            scope,
            patient_id,
            reason,
            requested_by: requested_by.unwrap_or_default(),
            requested_at,
            due_at,
            state,
            completed_at,
            certificate_sha256,
        },
        certificate,
    )
}

pub async fn requests(tx: &mut TenantTx) -> Result<Vec<DeletionRequestView>, sqlx::Error> {
    let rows: Vec<RequestRow> = sqlx::query_as(&format!(
        "{REQUEST_COLUMNS} ORDER BY d.requested_at DESC LIMIT 100"
    ))
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| request_view(r).0).collect())
}

pub async fn certificate(
    tx: &mut TenantTx,
    id: Uuid,
) -> Result<Option<DeletionCertificate>, sqlx::Error> {
    let row: Option<RequestRow> = sqlx::query_as(&format!("{REQUEST_COLUMNS} WHERE d.id = $1"))
        .bind(id)
        .fetch_optional(tx.conn())
        .await?;
    Ok(row.map(|r| {
        let (request, certificate) = request_view(r);
        DeletionCertificate {
            request,
            certificate,
        }
    }))
}

/// None when a request for the same patient (or the clinic) is pending.
pub async fn file_request(
    tx: &mut TenantTx,
    patient: Option<Uuid>,
    reason: &str,
) -> Result<Option<Uuid>, sqlx::Error> {
    let filed = sqlx::query_scalar(
        "INSERT INTO deletion_requests (organization_id, scope, patient_id, reason, requested_by)
         VALUES (app_org_id(), CASE WHEN $1::uuid IS NULL THEN 'clinic' ELSE 'patient' END,
                 $1, $2, app_user_id())
         RETURNING id",
    )
    .bind(patient)
    .bind(reason)
    .fetch_one(tx.conn())
    .await;
    match filed {
        Ok(id) => Ok(Some(id)),
        Err(e) if crate::error::violates(&e, "deletion_requests_one_pending") => Ok(None),
        Err(e) => Err(e),
    }
}

/// Carries the request out now: `completed`, `blocked` or `missing`.
pub async fn erase(tx: &mut TenantTx, id: Uuid) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT data_erase(app_org_id(), $1)")
        .bind(id)
        .fetch_one(tx.conn())
        .await
}
