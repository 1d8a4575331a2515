//! Intake form operations for clinic staff: create a form (from a starter
//! template or empty), save its draft, publish (frozen, hashed), and read
//! it. Each checks the role, runs in the tenant transaction and writes the
//! audit event.

use super::form::{canonical, FormDefinition};
pub use super::model::{FormView, VersionView};
use super::templates::template;
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{RequestMeta, Role};
use crate::db::TenantTx;
use crate::error::{AppError, FieldError};
use serde_json::json;
use time::OffsetDateTime;

/// The clinic's people (not its API keys) work on forms and links.
pub(crate) fn staff(tx: &TenantTx) -> Result<(), AppError> {
    match tx.principal().role {
        Role::ClinicAdmin | Role::ClinicStaff if tx.principal().person().is_some() => Ok(()),
        _ => Err(AppError::Forbidden),
    }
}

async fn audit(
    tx: &mut TenantTx,
    action: AuditAction,
    form: uuid::Uuid,
    meta: &RequestMeta,
    details: serde_json::Value,
) -> Result<(), AppError> {
    record(
        tx,
        Entry::new(action)
            .subject(Subject::new("intake_form", form))
            .ip(meta.ip)
            .details(details),
    )
    .await?;
    Ok(())
}

/// Creates a form with a first draft: a starter template's, or one empty
/// section.
pub async fn create(
    mut tx: TenantTx,
    title: &str,
    from: Option<&str>,
    meta: &RequestMeta,
) -> Result<uuid::Uuid, AppError> {
    staff(&tx)?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(
            FieldError::new("title", "Give the form a title (up to 200 characters).").into(),
        );
    }
    let mut definition = match from.filter(|t| !t.is_empty()) {
        Some(key) => template(key)
            .ok_or_else(|| FieldError::new("template", "Choose one of the templates."))?,
        None => FormDefinition {
            title: String::new(),
            sections: Vec::new(),
        },
    };
    definition.title = title.to_owned();
    let org = tx.principal().org_id;
    let id = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO intake_forms (organization_id, id, title, created_by) VALUES ($1, $2, $3, $4)",
    )
    .bind(org.uuid())
    .bind(id)
    .bind(title)
    .bind(tx.principal().person().map(|u| u.uuid()))
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "INSERT INTO intake_form_versions (organization_id, form_id, version, definition)
         VALUES ($1, $2, 1, $3)",
    )
    .bind(org.uuid())
    .bind(id)
    .bind(sqlx::types::Json(&definition))
    .execute(tx.conn())
    .await?;
    audit(
        &mut tx,
        AuditAction::IntakeFormCreated,
        id,
        meta,
        json!({ "template": from }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Takes the form's row lock: saves and publishes of one form go one at a
/// time. Whether the form exists (for the caller).
async fn lock_form(tx: &mut TenantTx, form: uuid::Uuid) -> Result<(), AppError> {
    let org = tx.principal().org_id;
    let found: Option<uuid::Uuid> = sqlx::query_scalar(
        "SELECT id FROM intake_forms WHERE organization_id = $1 AND id = $2 FOR NO KEY UPDATE",
    )
    .bind(org.uuid())
    .bind(form)
    .fetch_optional(tx.conn())
    .await?;
    found.map(|_| ()).ok_or(AppError::NotFound)
}

/// The largest definition kept (bytes of JSON).
const MAX_DEFINITION: usize = 200_000;

/// Saves the draft (making the next version's draft from the latest
/// published one's when there is none). Its version.
pub async fn save_draft(
    mut tx: TenantTx,
    form: uuid::Uuid,
    definition: &FormDefinition,
    meta: &RequestMeta,
) -> Result<i32, AppError> {
    staff(&tx)?;
    check_size(definition)?;
    lock_form(&mut tx, form).await?;
    store(tx, form, definition, meta).await
}

fn check_size(definition: &FormDefinition) -> Result<(), AppError> {
    let json = serde_json::to_string(definition).map_err(|_| AppError::Internal)?;
    if json.len() > MAX_DEFINITION || json.contains("\\u0000") {
        return Err(FieldError::new(
            "definition",
            "This form is too large (or holds a character that cannot be stored).",
        )
        .into());
    }
    Ok(())
}

/// Changes the form's newest definition (its draft, or a new draft from
/// the newest published version) with `change`, and saves it as the draft.
/// Its version.
pub async fn edit(
    mut tx: TenantTx,
    form: uuid::Uuid,
    change: impl FnOnce(&mut FormDefinition) -> Result<(), AppError>,
    meta: &RequestMeta,
) -> Result<i32, AppError> {
    staff(&tx)?;
    lock_form(&mut tx, form).await?;
    let view = read(&mut tx, form).await?;
    let mut definition = view
        .versions
        .last()
        .map(|v| v.definition.clone())
        .ok_or(AppError::NotFound)?;
    change(&mut definition)?;
    check_size(&definition)?;
    store(tx, form, &definition, meta).await
}

/// Saves `definition` as the draft, the form's lock held.
async fn store(
    mut tx: TenantTx,
    form: uuid::Uuid,
    definition: &FormDefinition,
    meta: &RequestMeta,
) -> Result<i32, AppError> {
    let org = tx.principal().org_id;
    let latest: Option<(i32, bool)> = sqlx::query_as(
        "SELECT version, published_at IS NOT NULL FROM intake_form_versions
         WHERE organization_id = $1 AND form_id = $2 ORDER BY version DESC LIMIT 1 FOR UPDATE",
    )
    .bind(org.uuid())
    .bind(form)
    .fetch_optional(tx.conn())
    .await?;
    let (latest, published) = latest.ok_or(AppError::NotFound)?;
    let version = if published {
        sqlx::query(
            "INSERT INTO intake_form_versions (organization_id, form_id, version, definition)
             VALUES ($1, $2, $3, $4)",
        )
        .bind(org.uuid())
        .bind(form)
        .bind(latest + 1)
        .bind(sqlx::types::Json(definition))
        .execute(tx.conn())
        .await?;
        latest + 1
    } else {
        sqlx::query(
            "UPDATE intake_form_versions SET definition = $4
             WHERE organization_id = $1 AND form_id = $2 AND version = $3",
        )
        .bind(org.uuid())
        .bind(form)
        .bind(latest)
        .bind(sqlx::types::Json(definition))
        .execute(tx.conn())
        .await?;
        latest
    };
    audit(
        &mut tx,
        AuditAction::IntakeFormEdited,
        form,
        meta,
        json!({ "version": version }),
    )
    .await?;
    tx.commit().await?;
    Ok(version)
}

/// Publishes the draft: checked, frozen, and pinned by the SHA-256 of its
/// canonical definition (hex).
pub async fn publish(
    mut tx: TenantTx,
    form: uuid::Uuid,
    meta: &RequestMeta,
) -> Result<(i32, String), AppError> {
    staff(&tx)?;
    lock_form(&mut tx, form).await?;
    let org = tx.principal().org_id;
    let draft: Option<(i32, serde_json::Value)> = sqlx::query_as(
        "SELECT version, definition FROM intake_form_versions
         WHERE organization_id = $1 AND form_id = $2 AND published_at IS NULL FOR UPDATE",
    )
    .bind(org.uuid())
    .bind(form)
    .fetch_optional(tx.conn())
    .await?;
    let (version, stored) = draft.ok_or_else(|| AppError::Conflict {
        message: "There is no draft to publish: edit the form first.".to_owned(),
    })?;
    let definition: FormDefinition =
        serde_json::from_value(stored.clone()).map_err(|_| AppError::Conflict {
            message: "This draft is not a form Carethread can read; save it again.".to_owned(),
        })?;
    let mut problems = definition.problems();
    if definition.fields().next().is_none() {
        problems.push("Add a field first.".to_owned());
    }
    if !problems.is_empty() {
        return Err(AppError::Conflict {
            message: problems.join(" "),
        });
    }
    // The stored definition's own bytes, canonicalised and kept: what a
    // submission pins and anyone can hash again.
    let (bytes, hash) = canonical(&stored).map_err(|_| AppError::Internal)?;
    sqlx::query(
        "UPDATE intake_form_versions
         SET canonical = $4, sha256 = $5, published_at = now(), published_by = $6
         WHERE organization_id = $1 AND form_id = $2 AND version = $3",
    )
    .bind(org.uuid())
    .bind(form)
    .bind(version)
    .bind(&bytes)
    .bind(&hash[..])
    .bind(tx.principal().person().map(|u| u.uuid()))
    .execute(tx.conn())
    .await?;
    let hex = hex::encode(hash);
    audit(
        &mut tx,
        AuditAction::IntakeFormPublished,
        form,
        meta,
        json!({ "version": version, "sha256": hex }),
    )
    .await?;
    tx.commit().await?;
    Ok((version, hex))
}

/// A form with every version.
pub async fn get(mut tx: TenantTx, form: uuid::Uuid) -> Result<FormView, AppError> {
    staff(&tx)?;
    let view = read(&mut tx, form).await?;
    tx.commit().await?;
    Ok(view)
}

/// Reads a form with every version, in the caller's transaction.
pub(crate) async fn read(tx: &mut TenantTx, form: uuid::Uuid) -> Result<FormView, AppError> {
    let org = tx.principal().org_id;
    let title: Option<String> =
        sqlx::query_scalar("SELECT title FROM intake_forms WHERE organization_id = $1 AND id = $2")
            .bind(org.uuid())
            .bind(form)
            .fetch_optional(tx.conn())
            .await?;
    let title = title.ok_or(AppError::NotFound)?;
    type Row = (
        i32,
        serde_json::Value,
        Option<Vec<u8>>,
        Option<Vec<u8>>,
        Option<OffsetDateTime>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT version, definition, canonical, sha256, published_at FROM intake_form_versions
         WHERE organization_id = $1 AND form_id = $2 ORDER BY version",
    )
    .bind(org.uuid())
    .bind(form)
    .fetch_all(tx.conn())
    .await?;
    let mut versions = Vec::new();
    for (version, stored, canonical_bytes, sha256, published_at) in rows {
        // A published version is read from the bytes that were hashed.
        let definition = match &canonical_bytes {
            Some(bytes) => serde_json::from_slice(bytes),
            None => serde_json::from_value(stored),
        }
        .map_err(|_| {
            tracing::error!(%form, version, "an intake form version does not read as a form");
            AppError::Internal
        })?;
        versions.push(VersionView {
            version,
            definition,
            sha256: sha256.map(hex::encode),
            published_at,
        });
    }
    Ok(FormView {
        id: form,
        title,
        versions,
    })
}
