//! Server functions for booking, the family's visits, the clinician's
//! earnings and disputes; each parses its form and calls one operation in
//! [`super::book_service`].

#[cfg(feature = "ssr")]
use super::book_service as service;
use super::bookings::*;
#[cfg(feature = "ssr")]
use crate::auth::{RequestMeta, Role};
use crate::error::AppError;
use crate::identity::{ClinicianId, VisitId};
use app_macros::rpc;

#[cfg(feature = "ssr")]
fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[cfg(feature = "ssr")]
fn instant(raw: &str) -> Result<time::OffsetDateTime, AppError> {
    // RFC 3339 (the page's links), or the form the JSON answers carry.
    let raw = raw.trim();
    time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .or_else(|_| serde_json::from_value(serde_json::Value::String(raw.to_owned())))
        .map_err(|_| AppError::NotFound)
}

#[rpc(prefix = "/rpc", endpoint = "family/book/form")]
pub async fn get_booking_form(
    clinician: ClinicianId,
    starts: String,
) -> Result<BookingForm, AppError> {
    let state = crate::state::app_state()?;
    let starts = instant(&starts)?;
    let tx = crate::auth::require(&[Role::Family]).await?;
    service::form(
        tx,
        &state.settings.vault,
        clinician,
        starts,
        now(),
        &RequestMeta::current(),
    )
    .await
}

/// Holds the slot, then opens the booking to confirm it.
#[rpc(prefix = "/rpc", endpoint = "family/book/hold")]
pub async fn hold_slot(
    #[server(default)] clinician: String,
    #[server(default)] starts: String,
    #[server(default)] service: String,
    #[server(default)] recipient: String,
    #[server(default)] key: String,
) -> Result<VisitId, AppError> {
    use crate::error::FieldError;
    let state = crate::state::app_state()?;
    let mut errors = Vec::new();
    let care = crate::referrals::CareType::parse(&service);
    if care.is_none() {
        errors.push(FieldError::new("service", "Choose the service."));
    }
    let person = recipient.parse::<uuid::Uuid>().ok();
    if person.is_none() {
        errors.push(FieldError::new("recipient", "Choose who the visit is for."));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let request = service::HoldRequest {
        clinician: clinician
            .parse::<uuid::Uuid>()
            .map_err(|_| AppError::NotFound)?
            .into(),
        starts_at: instant(&starts)?,
        service: care.ok_or(AppError::Internal)?,
        recipient: person.ok_or(AppError::Internal)?.into(),
        key: key.parse().map_err(|_| AppError::BadRequest {
            message: "The form is missing its key; reload the page.".to_owned(),
        })?,
    };
    let tx = crate::auth::require(&[Role::Family]).await?;
    let id = service::hold(
        tx,
        &state.settings.vault,
        request,
        now(),
        &RequestMeta::current(),
    )
    .await?;
    leptos_axum::redirect(&format!("/family/visits/{id}"));
    Ok(id)
}

#[rpc(prefix = "/rpc", endpoint = "family/visits")]
pub async fn get_family_visits() -> Result<Vec<FamilyVisit>, AppError> {
    let tx = crate::auth::require(&[Role::Family, Role::FamilyViewer]).await?;
    service::family_visits(tx).await
}

#[rpc(prefix = "/rpc", endpoint = "family/visits/get")]
pub async fn get_booking(id: VisitId) -> Result<Booking, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[Role::Family, Role::FamilyViewer]).await?;
    service::booking(
        tx,
        &state.settings.vault,
        id,
        now(),
        &RequestMeta::current(),
    )
    .await
}

/// Authorizes the card and sends the request to the clinician.
#[rpc(prefix = "/rpc", endpoint = "family/visits/confirm")]
pub async fn confirm_booking(id: VisitId, #[server(default)] card: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[Role::Family]).await?;
    service::confirm(
        tx,
        &state.processor,
        id,
        &card,
        now(),
        &RequestMeta::current(),
    )
    .await
}

#[rpc(prefix = "/rpc", endpoint = "family/visits/cancel")]
pub async fn cancel_booking(id: VisitId) -> Result<(), AppError> {
    let tx = crate::auth::require(&[Role::Family]).await?;
    service::cancel(tx, id, &RequestMeta::current()).await
}

/// The family confirms the signed visit: the clinician is paid now.
#[rpc(prefix = "/rpc", endpoint = "family/visits/countersign")]
pub async fn countersign_booking(id: VisitId) -> Result<(), AppError> {
    let tx = crate::auth::require(&[Role::Family]).await?;
    service::confirm_visit(tx, id, &RequestMeta::current()).await
}

#[rpc(prefix = "/rpc", endpoint = "family/visits/dispute")]
pub async fn dispute_booking(
    id: VisitId,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    let tx = crate::auth::require(&[Role::Family]).await?;
    service::dispute(tx, id, &reason, &RequestMeta::current()).await
}

#[rpc(prefix = "/rpc", endpoint = "clinician/earnings")]
pub async fn get_earnings() -> Result<Earnings, AppError> {
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    service::earnings(tx).await
}

#[rpc(prefix = "/rpc", endpoint = "admin/payments")]
pub async fn get_payments_overview() -> Result<PaymentsOverview, AppError> {
    let tx = crate::auth::require(&[Role::PlatformAdmin]).await?;
    service::overview(tx).await
}

#[rpc(prefix = "/rpc", endpoint = "admin/disputes/resolve")]
pub async fn resolve_dispute(
    id: VisitId,
    #[server(default)] decision: String,
    #[server(default)] partial: String,
    #[server(default)] note: String,
) -> Result<(), AppError> {
    let tx = crate::auth::require(&[Role::PlatformAdmin]).await?;
    service::resolve(tx, id, &decision, &partial, &note, &RequestMeta::current()).await
}
