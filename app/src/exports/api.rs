//! The export centre's doors: the administrator lists the clinic's
//! exports and asks for a new one. The job writes it
//! ([`super::build::build`]); downloads are files, served by the server
//! crate through [`super::build::download`].

use super::model::*;
use crate::error::AppError;
use app_macros::rpc;

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
/// Exports one clinic may have waiting or running at once.
#[cfg(feature = "ssr")]
const MAX_OPEN: i64 = 3;

/// The clinic's recent exports, newest first.
#[rpc(prefix = "/rpc", endpoint = "exports/list")]
pub async fn get_exports() -> Result<ExportCentre, AppError> {
    let mut tx = crate::auth::require(&ADMIN).await?;
    let exports = repo::list(&mut tx, 20).await?;
    tx.commit().await?;
    Ok(ExportCentre { exports })
}

/// Asks for an export of `datasets` (their keys) as `format`; the job
/// runner writes it and the page shows its progress.
#[rpc(prefix = "/rpc", endpoint = "exports/request")]
pub async fn request_export(
    #[server(default)] datasets: Vec<String>,
    #[server(default)] format: String,
) -> Result<uuid::Uuid, AppError> {
    let mut chosen: Vec<Dataset> = Vec::new();
    for key in &datasets {
        let dataset = Dataset::parse(key.trim())
            .ok_or_else(|| AppError::invalid("datasets", "Choose from the list."))?;
        if !chosen.contains(&dataset) {
            chosen.push(dataset);
        }
    }
    if chosen.is_empty() {
        return Err(AppError::invalid(
            "datasets",
            "Choose at least one kind of data.",
        ));
    }
    let format = FileFormat::parse(format.trim())
        .ok_or_else(|| AppError::invalid("format", "Choose CSV or JSON."))?;
    let mut tx = crate::auth::require(&ADMIN).await?;
    let user = tx.principal().require_person()?;
    let login = tx.principal().login().ok_or(AppError::Forbidden)?;
    if repo::open_count(&mut tx).await? >= MAX_OPEN {
        return Err(AppError::Conflict {
            message: format!(
                "{MAX_OPEN} exports are already waiting or running; try again when one is ready."
            ),
        });
    }
    let id = repo::file(&mut tx, user, login, &chosen, format).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::ExportRequested)
            .subject(Subject::new("data_export", id))
            .ip(crate::auth::RequestMeta::current().ip)
            .details(serde_json::json!({
                "datasets": chosen.iter().map(|d| d.key()).collect::<Vec<_>>(),
                "format": format.key(),
            })),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/clinic/exports?requested={id}"));
    Ok(id)
}
