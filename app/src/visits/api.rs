//! Server functions for the visit pages: the clinician's day and visit,
//! the clinic's schedule, and every step of a visit. Each parses its form
//! and calls one operation in `service`.

// A server function's arguments are its form's fields, one each.
#![allow(clippy::too_many_arguments)]

use super::*;
#[cfg(feature = "ssr")]
use crate::auth::Role;
use crate::error::AppError;
use crate::identity::{ReferralId, VisitId};
use app_macros::rpc;

#[cfg(feature = "ssr")]
const CLINIC: [Role; 2] = [Role::ClinicAdmin, Role::ClinicStaff];
#[cfg(feature = "ssr")]
const VISIT_READERS: [Role; 3] = [Role::ClinicAdmin, Role::ClinicStaff, Role::Clinician];

#[cfg(feature = "ssr")]
fn note(raw: &str) -> Option<String> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.chars().take(500).collect())
}

#[rpc(prefix = "/rpc", endpoint = "visits/day")]
pub async fn get_clinician_day() -> Result<ClinicianDay, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    service::clinician_day(
        tx,
        &state.settings.vault,
        time::OffsetDateTime::now_utc(),
        &crate::auth::RequestMeta::current(),
    )
    .await
}

#[rpc(prefix = "/rpc", endpoint = "visits/get")]
pub async fn get_visit(id: VisitId) -> Result<VisitDetail, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&VISIT_READERS).await?;
    service::detail(
        tx,
        &state.settings.vault,
        id,
        &crate::auth::RequestMeta::current(),
    )
    .await
}

/// The clinic's week (`week`: any date in it; this week when empty).
#[rpc(prefix = "/rpc", endpoint = "visits/week")]
pub async fn get_clinic_week(#[server(default)] week: String) -> Result<ClinicWeek, AppError> {
    let today = time::OffsetDateTime::now_utc().date();
    let day = time::Date::parse(
        week.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap_or(today);
    let monday = day - time::Duration::days(i64::from(day.weekday().number_days_from_monday()));
    let tx = crate::auth::require(&CLINIC).await?;
    service::clinic_week(tx, monday, &crate::auth::RequestMeta::current()).await
}

/// Schedules visits for an accepted referral (`tasks[i]` checkboxes).
#[rpc(prefix = "/rpc", endpoint = "visits/schedule")]
pub async fn schedule_visits(
    referral_id: ReferralId,
    #[server(default)] clinician_id: String,
    #[server(default)] date: String,
    #[server(default)] start: String,
    #[server(default)] end: String,
    #[server(default)] service: String,
    #[server(default)] tasks: Vec<String>,
    #[server(default)] weeks: String,
    #[server(default)] rate: String,
    #[server(default)] card: String,
) -> Result<usize, AppError> {
    let today = time::OffsetDateTime::now_utc().date();
    let parsed = NewVisits::parse(
        &clinician_id,
        &date,
        &start,
        &end,
        &service,
        &tasks,
        &weeks,
        today,
    );
    // A per-visit rate, paid on the clinic's card (optional).
    let rate = crate::booking::parse_rate("rate", &rate);
    let (new, rate) = match (parsed, rate) {
        (Ok(new), Ok(rate)) => (new, rate),
        (parsed, rate) => {
            let mut errors = parsed.err().unwrap_or_default();
            errors.extend(rate.err());
            return Err(errors.into());
        }
    };
    let payment = match rate {
        Some(_) if card.trim().is_empty() => {
            return Err(crate::error::FieldError::new(
                "card",
                "Enter the clinic's card number to pay the rate.",
            )
            .into())
        }
        Some(cents) => Some(service::VisitPayment {
            rate: cents,
            card: card.trim().to_owned(),
        }),
        None => None,
    };
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&CLINIC).await?;
    let ids = service::schedule(
        tx,
        referral_id,
        new,
        payment.as_ref().map(|p| (p, &state.processor)),
        &crate::auth::RequestMeta::current(),
    )
    .await?;
    Ok(ids.len())
}

/// The clinician accepts or declines an offered visit, or cancels
/// (`cancel`) one a family booked with them.
#[rpc(prefix = "/rpc", endpoint = "visits/respond")]
pub async fn respond_to_visit(
    id: VisitId,
    action: String,
    #[server(default)] note: String,
) -> Result<VisitStatus, AppError> {
    let accept = match action.as_str() {
        "accept" => true,
        "decline" => false,
        "cancel" => {
            let tx = crate::auth::require(&[Role::Clinician]).await?;
            return service::clinician_cancel(
                tx,
                id,
                self::note(&note),
                &crate::auth::RequestMeta::current(),
            )
            .await;
        }
        _ => {
            return Err(AppError::BadRequest {
                message: format!("unknown action {action:?}"),
            })
        }
    };
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    service::respond(
        tx,
        id,
        accept,
        self::note(&note),
        &crate::auth::RequestMeta::current(),
    )
    .await
}

/// The clinic cancels a visit or marks it missed.
#[rpc(prefix = "/rpc", endpoint = "visits/cancel")]
pub async fn cancel_visit(
    id: VisitId,
    action: String,
    #[server(default)] note: String,
) -> Result<VisitStatus, AppError> {
    let missed = match action.as_str() {
        "missed" => true,
        "cancel" => false,
        _ => {
            return Err(AppError::BadRequest {
                message: format!("unknown action {action:?}"),
            })
        }
    };
    let tx = crate::auth::require(&CLINIC).await?;
    service::cancel(
        tx,
        id,
        missed,
        self::note(&note),
        &crate::auth::RequestMeta::current(),
    )
    .await
}

/// Checks in (`step` = `in`) or out (`out`): the device's time and
/// location, or the reason it has none.
#[rpc(prefix = "/rpc", endpoint = "visits/check")]
pub async fn check_visit(
    id: VisitId,
    step: String,
    #[server(default)] at: String,
    #[server(default)] lat: String,
    #[server(default)] lon: String,
    #[server(default)] exception: String,
) -> Result<(), AppError> {
    let point = CheckPoint::parse(&at, &lat, &lon, &exception, time::OffsetDateTime::now_utc())?;
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    let meta = crate::auth::RequestMeta::current();
    match step.as_str() {
        "in" => service::check_in(tx, id, point, &meta).await,
        "out" => service::check_out(tx, id, point, &meta).await,
        _ => Err(AppError::BadRequest {
            message: format!("unknown step {step:?}"),
        }),
    }
}

/// Signs the visit log: task outcomes (`outcomes[i]`, `reasons[i]`),
/// vitals, notes, signatures; `sync_key` makes a double submit sign once.
#[rpc(prefix = "/rpc", endpoint = "visits/sign")]
pub async fn sign_visit_log(
    id: VisitId,
    sync_key: uuid::Uuid,
    // Maps by index, not lists: a task left unanswered leaves a gap that a
    // list would close, moving later answers onto the wrong task.
    #[server(default)] outcomes: std::collections::BTreeMap<String, String>,
    #[server(default)] reasons: std::collections::BTreeMap<String, String>,
    #[server(default)] systolic: String,
    #[server(default)] diastolic: String,
    #[server(default)] pulse: String,
    #[server(default)] temperature: String,
    #[server(default)] spo2: String,
    #[server(default)] respirations: String,
    #[server(default)] pain: String,
    #[server(default)] notes: String,
    #[server(default)] patient_signature: String,
    /// The drawn signature (JSON strokes) from the signature pad.
    #[server(default)]
    patient_strokes: String,
    #[server(default)] clinician_signature: String,
) -> Result<LogReceipt, AppError> {
    let state = crate::state::app_state()?;
    let mut tx = crate::auth::require(&[Role::Clinician]).await?;
    let planned = repo::one(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?
        .tasks;
    let by_index = |map: &std::collections::BTreeMap<String, String>| -> Vec<String> {
        (0..planned.len())
            .map(|i| map.get(&i.to_string()).cloned().unwrap_or_default())
            .collect()
    };
    let mut log = VisitLog::parse(
        id,
        &planned,
        &by_index(&outcomes),
        &by_index(&reasons),
        &VitalsForm {
            systolic: &systolic,
            diastolic: &diastolic,
            pulse: &pulse,
            temperature: &temperature,
            spo2: &spo2,
            respirations: &respirations,
            pain: &pain,
        },
        &notes,
        &patient_signature,
        &clinician_signature,
    )?;
    let strokes = Signature::strokes_from_json(&patient_strokes)
        .map_err(|m| AppError::invalid("patient_signature", m))?;
    match (log.patient_signature.as_mut(), strokes.is_empty()) {
        (Some(signature), _) => signature.strokes = strokes,
        (None, false) => {
            return Err(AppError::invalid(
                "patient_signature",
                "Type the name of the person who drew the signature.",
            ))
        }
        (None, true) => {}
    }
    service::sign(
        tx,
        &state.settings.vault,
        id,
        log,
        sync_key,
        &crate::auth::RequestMeta::current(),
    )
    .await
}

/// A visit worked offline, as the phone kept it (JSON).
#[rpc(prefix = "/rpc", endpoint = "visits/sync", input = leptos::server_fn::codec::Json)]
pub async fn sync_visit(id: VisitId, visit: OfflineVisit) -> Result<LogReceipt, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[Role::Clinician]).await?;
    service::sync(
        tx,
        &state.settings.vault,
        id,
        visit,
        &crate::auth::RequestMeta::current(),
    )
    .await
}

#[rpc(prefix = "/rpc", endpoint = "visits/addendum")]
pub async fn add_visit_addendum(
    id: VisitId,
    #[server(default)] text: String,
) -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&VISIT_READERS).await?;
    service::add_addendum(
        tx,
        &state.settings.vault,
        id,
        text,
        &crate::auth::RequestMeta::current(),
    )
    .await
}

#[rpc(prefix = "/rpc", endpoint = "visits/countersign")]
pub async fn countersign_visit_log(id: VisitId) -> Result<(), AppError> {
    let tx = crate::auth::require(&CLINIC).await?;
    service::countersign(tx, id, &crate::auth::RequestMeta::current()).await
}
