//! The data-rights operations, each one door for the page's forms and the
//! server-function API: the clinic's administrator reads and sets
//! retention, places and releases legal holds, and requests deletion
//! (carried out by the `data.erase` job within 30 days, or at once). The
//! database does the removing (`data_erase`, `data_retention_purge`):
//! what may go, what must stay and the tombstone are decided in one
//! place, under the same rules for the job and for the administrator.

use super::model::*;
use crate::error::AppError;
use app_macros::rpc;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use super::repo;
#[cfg(feature = "ssr")]
use crate::audit::repo::{record, Entry, Subject};
#[cfg(feature = "ssr")]
use crate::audit::AuditAction;
#[cfg(feature = "ssr")]
use crate::auth::Role;

#[cfg(feature = "ssr")]
const ADMIN: [Role; 1] = [Role::ClinicAdmin];

/// Retention, holds and requests of the administrator's clinic; with
/// `patient`, that patient's hold and pending request too.
#[rpc(prefix = "/rpc", endpoint = "data/rights")]
pub async fn get_data_rights(
    #[server(default)] patient: Option<Uuid>,
) -> Result<DataRights, AppError> {
    let mut tx = crate::auth::require(&ADMIN).await?;
    let organization = tx.principal().org_name.clone();
    let categories = repo::categories(tx.conn(), true).await?;
    let holds = repo::holds(&mut tx).await?;
    let requests = repo::requests(&mut tx).await?;
    let patient = match patient {
        None => None,
        Some(id) => {
            let initials = repo::patient_initials(&mut tx, id)
                .await?
                .ok_or(AppError::NotFound)?;
            // The patient's initials and hold: a read of their record.
            record(
                &mut tx,
                Entry::new(AuditAction::PatientViewed)
                    .subject(Subject::new("patient", id))
                    .ip(crate::auth::RequestMeta::current().ip)
                    .details(serde_json::json!({ "via": "data rights" })),
            )
            .await?;
            Some(PatientRights {
                id,
                initials,
                hold: holds.iter().find(|h| h.patient_id == id).cloned(),
                pending: requests
                    .iter()
                    .find(|r| r.patient_id == Some(id) && r.state == "pending")
                    .cloned(),
            })
        }
    };
    tx.commit().await?;
    Ok(DataRights {
        organization,
        categories,
        holds,
        requests,
        patient,
    })
}

/// Sets the clinic's retention for a category, in days; never below the
/// legal minimum.
#[rpc(prefix = "/rpc", endpoint = "data/retention")]
pub async fn save_retention(category: String, days: String) -> Result<(), AppError> {
    let days: i32 = days
        .trim()
        .parse()
        .ok()
        .filter(|d| (1..=36500).contains(d))
        .ok_or_else(|| AppError::invalid("days", "Enter a number of days from 1 to 36500."))?;
    let mut tx = crate::auth::require(&ADMIN).await?;
    let all = repo::categories(tx.conn(), false).await?;
    let c = all
        .iter()
        .find(|c| c.key == category)
        .ok_or(AppError::NotFound)?;
    if !c.purged {
        return Err(AppError::invalid(
            "days",
            "Audit events are kept for the whole chain; this one is not set per clinic.",
        ));
    }
    if days < c.legal_min_days {
        return Err(AppError::invalid(
            "days",
            format!(
                "At least {} days: the legal minimum for {}.",
                c.legal_min_days,
                c.label.to_lowercase()
            ),
        ));
    }
    repo::set_retention(&mut tx, &category, days).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::RetentionChanged)
            .subject(Subject::new("retention_category", &category))
            .details(serde_json::json!({ "days": days })),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/clinic/data?saved=retention");
    Ok(())
}

/// Places a legal hold on a patient: nothing about them is purged or
/// erased until it is released.
#[rpc(prefix = "/rpc", endpoint = "data/holds/place")]
pub async fn place_legal_hold(patient_id: Uuid, reason: String) -> Result<(), AppError> {
    let reason = crate::domain::BoundedText::parse(
        &reason,
        crate::domain::TextRules::multi_line("Reason", 1, 500),
    )
    .map_err(|m| AppError::invalid("reason", m))?;
    let mut tx = crate::auth::require(&ADMIN).await?;
    repo::patient_initials(&mut tx, patient_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !repo::place_hold(&mut tx, patient_id, reason.as_str()).await? {
        return Err(AppError::Conflict {
            message: "This patient is already under a legal hold.".into(),
        });
    }
    record(
        &mut tx,
        // The reason stays on the hold: free text never enters the chain.
        Entry::new(AuditAction::LegalHoldPlaced).subject(Subject::new("patient", patient_id)),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/clinic/data?patient={patient_id}&saved=hold"));
    Ok(())
}

/// Releases a legal hold.
#[rpc(prefix = "/rpc", endpoint = "data/holds/release")]
pub async fn release_legal_hold(id: Uuid) -> Result<(), AppError> {
    let mut tx = crate::auth::require(&ADMIN).await?;
    let patient = repo::release_hold(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        &mut tx,
        Entry::new(AuditAction::LegalHoldReleased).subject(Subject::new("patient", patient)),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/clinic/data?patient={patient}&saved=released"));
    Ok(())
}

/// Files a deletion request: one patient's (`patient_id`), or the whole
/// clinic's (`confirm` must repeat the clinic's name). Carried out within
/// 30 days by the job, or now when `now` is checked. Answers the
/// request's id; the page goes to its certificate page.
#[rpc(prefix = "/rpc", endpoint = "data/deletions/request")]
pub async fn request_deletion(
    #[server(default)] patient_id: Option<Uuid>,
    reason: String,
    #[server(default)] now: Option<String>,
    #[server(default)] confirm: String,
) -> Result<Uuid, AppError> {
    let reason = crate::domain::BoundedText::parse(
        &reason,
        crate::domain::TextRules::multi_line("Reason", 1, 500),
    )
    .map_err(|m| AppError::invalid("reason", m))?;
    let mut tx = crate::auth::require(&ADMIN).await?;
    if patient_id.is_none() && confirm.trim() != tx.principal().org_name {
        return Err(AppError::invalid(
            "confirm",
            "Type the clinic's name exactly to confirm deleting every patient's data.",
        ));
    }
    if let Some(p) = patient_id {
        repo::patient_initials(&mut tx, p)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    let id = repo::file_request(&mut tx, patient_id, reason.as_str())
        .await?
        .ok_or_else(|| AppError::Conflict {
            message: "A deletion request is already pending for this.".into(),
        })?;
    record(
        &mut tx,
        Entry::new(AuditAction::ErasureRequested)
            .subject(match patient_id {
                Some(p) => Subject::new("patient", p),
                None => Subject::new("deletion_request", id),
            })
            .details(serde_json::json!({ "request_id": id, "at_once": now.is_some() })),
    )
    .await?;
    if now.is_some() {
        repo::erase(&mut tx, id).await?;
    }
    tx.commit().await?;
    leptos_axum::redirect(&format!("/clinic/data/deletions/{id}"));
    Ok(id)
}

/// Carries out a pending request now (instead of waiting for the job).
#[rpc(prefix = "/rpc", endpoint = "data/deletions/run")]
pub async fn run_deletion(id: Uuid) -> Result<String, AppError> {
    let mut tx = crate::auth::require(&ADMIN).await?;
    let state = repo::erase(&mut tx, id).await?;
    if state == "missing" {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    leptos_axum::redirect(&format!("/clinic/data/deletions/{id}"));
    Ok(state)
}

/// A request and its certificate.
#[rpc(prefix = "/rpc", endpoint = "data/deletions/get")]
pub async fn get_deletion(id: Uuid) -> Result<DeletionCertificate, AppError> {
    let mut tx = crate::auth::require(&ADMIN).await?;
    let found = repo::certificate(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(found)
}
