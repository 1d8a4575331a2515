//! Server functions for the referral pages: diagnosis search as you type,
//! ZIP lookup, sending a referral, the referrer's list and the clinic's
//! inbox, a referral's detail, triage steps and assignment.

// A server function's arguments are its form's fields, one each.
#![allow(clippy::too_many_arguments)]

use super::*;
use crate::auth::Role;
use crate::error::AppError;
use crate::identity::{ClinicianId, OrganizationId, ReferralId};
use app_macros::rpc;
use serde::{Deserialize, Serialize};

/// Everyone who works with referrals.
pub const REFERRAL_ROLES: [Role; 3] = [Role::Referrer, Role::ClinicAdmin, Role::ClinicStaff];
/// The receiving side.
pub const CLINIC_ROLES: [Role; 2] = [Role::ClinicAdmin, Role::ClinicStaff];

/// What the new-referral form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormOptions {
    pub clinics: Vec<(OrganizationId, String)>,
    /// Today by the server's clock (the earliest start).
    pub today: time::Date,
}

/// A referral with what the viewer may do to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralDetail {
    pub referral: ReferralView,
    /// The viewer is the receiving clinic.
    pub as_clinic: bool,
    /// The clinic's clinicians, for assignment (clinic only).
    pub clinicians: Vec<(ClinicianId, String)>,
    /// The accepting clinic's view of the patient (packet, link).
    pub patient: Option<crate::patients::ReferralPatient>,
    /// The patient's visits (clinic only).
    pub visits: Vec<crate::visits::VisitSummary>,
    /// The packet's documents (the clinic's once accepted).
    pub attachments: Vec<AttachmentView>,
}

#[rpc(prefix = "/rpc", endpoint = "referrals/diagnoses")]
pub async fn search_diagnoses(q: String) -> Result<Vec<Diagnosis>, AppError> {
    let mut tx = crate::auth::require(&REFERRAL_ROLES).await?;
    let q: String = q.chars().take(80).collect();
    let found = if q.trim().chars().count() < 2 {
        Vec::new()
    } else {
        repo::search_diagnoses(&mut tx, &q, 12).await?
    };
    tx.commit().await?;
    Ok(found)
}

#[rpc(prefix = "/rpc", endpoint = "referrals/zip")]
pub async fn lookup_zip(zip: String) -> Result<Option<ZipPlace>, AppError> {
    let mut tx = crate::auth::require(&REFERRAL_ROLES).await?;
    let zip = zip.trim();
    let place = if zip.len() == 5 && zip.chars().all(|c| c.is_ascii_digit()) {
        repo::zip_place(tx.conn(), zip).await?
    } else {
        None
    };
    tx.commit().await?;
    Ok(place)
}

#[rpc(prefix = "/rpc", endpoint = "referrals/form")]
pub async fn referral_form_options() -> Result<FormOptions, AppError> {
    let mut tx = crate::auth::require(&[Role::Referrer]).await?;
    let clinics = repo::clinics(&mut tx).await?;
    tx.commit().await?;
    Ok(FormOptions {
        clinics,
        today: time::OffsetDateTime::now_utc().date(),
    })
}

/// Sends a referral and goes to its page.
#[rpc(prefix = "/rpc", endpoint = "referrals/create")]
pub async fn create_referral(
    patient_initials: String,
    #[server(default)] patient_birth_year: String,
    zip: String,
    diagnosis: String,
    #[server(default)] care_type: String,
    #[server(default)] priority: String,
    requested_start: String,
    #[server(default)] notes: String,
    #[server(default)] clinic_id: String,
    #[server(default)] packet_full_name: String,
    #[server(default)] packet_birth_date: String,
    #[server(default)] packet_address: String,
    #[server(default)] packet_phone: String,
    #[server(default)] packet_payer: String,
    #[server(default)] packet_member_id: String,
    #[server(default)] packet_emergency_name: String,
    #[server(default)] packet_emergency_phone: String,
) -> Result<ReferralId, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[Role::Referrer]).await?;
    let clinic = match clinic_id.trim() {
        "" => None,
        raw => Some(
            raw.parse::<OrganizationId>()
                .map_err(|_| AppError::invalid("clinic_id", "Choose a clinic from the list."))?,
        ),
    };
    let today = time::OffsetDateTime::now_utc().date();
    let parsed = NewReferral::parse(
        &patient_initials,
        &patient_birth_year,
        &zip,
        &diagnosis,
        &care_type,
        &priority,
        &requested_start,
        &notes,
        clinic,
        today,
    );
    let packet_form = crate::patients::PacketForm {
        full_name: packet_full_name,
        birth_date: packet_birth_date,
        address: packet_address,
        phone: packet_phone,
        payer: packet_payer,
        member_id: packet_member_id,
        emergency_name: packet_emergency_name,
        emergency_phone: packet_emergency_phone,
    };
    let initials = patient_initials.trim().to_uppercase();
    let birth_year = patient_birth_year.trim().parse::<i32>().ok();
    let packet =
        crate::patients::PatientDetails::parse(&packet_form, Some(&initials), birth_year, today);
    let referral = match (parsed, packet) {
        (Ok(mut referral), Ok(packet)) => {
            referral.packet = packet;
            referral
        }
        (parsed, packet) => {
            let mut errors = parsed.err().unwrap_or_default();
            errors.extend(packet.err().unwrap_or_default());
            return Err(errors.into());
        }
    };
    let view = service::create(
        tx,
        &state.settings.vault,
        referral,
        &crate::auth::RequestMeta::current(),
    )
    .await?;
    leptos_axum::redirect(&format!("/referrer/referrals/{}", view.id));
    Ok(view.id)
}

/// The clinic's inbox, or the referrer's sent referrals: newest first,
/// filtered, a page at a time.
#[rpc(prefix = "/rpc", endpoint = "referrals/list")]
pub async fn list_referrals(
    #[server(default)] status: String,
    #[server(default)] priority: String,
    #[server(default)] care_type: String,
    #[server(default)] max_age_days: Option<i32>,
    #[server(default)] cursor: Option<String>,
) -> Result<ReferralPage, AppError> {
    let filter = InboxFilter {
        status: ReferralStatus::parse(status.trim()),
        priority: Priority::parse(priority.trim()),
        care_type: CareType::parse(care_type.trim()),
        max_age_days: max_age_days.filter(|d| (1..=3650).contains(d)),
    };
    let cursor = match cursor.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => Some(repo::parse_cursor(raw).ok_or_else(|| AppError::BadRequest {
            message: "That page link is not valid; start from the first page.".to_owned(),
        })?),
    };
    let tx = crate::auth::require(&REFERRAL_ROLES).await?;
    service::list(tx, &filter, cursor, &crate::auth::RequestMeta::current()).await
}

#[rpc(prefix = "/rpc", endpoint = "referrals/get")]
pub async fn get_referral(id: ReferralId) -> Result<ReferralDetail, AppError> {
    let mut tx = crate::auth::require(&REFERRAL_ROLES).await?;
    let as_clinic = CLINIC_ROLES.contains(&tx.principal().role);
    let clinicians = if as_clinic {
        repo::clinic_clinicians(&mut tx)
            .await?
            .into_iter()
            .map(|(id, name, discipline)| (id, format!("{name} · {}", discipline.label())))
            .collect()
    } else {
        Vec::new()
    };
    let meta = crate::auth::RequestMeta::current();
    let (patient, visits) = if as_clinic {
        let state = crate::state::app_state()?;
        match crate::patients::service::for_referral(&mut tx, &state.settings.vault, id, &meta)
            .await?
        {
            Some((patient, visits)) => (Some(patient), visits),
            None => (None, Vec::new()),
        }
    } else {
        (None, Vec::new())
    };
    let attachments = attachments::list(&mut tx, id).await?;
    let referral = service::view(tx, id, &meta).await?;
    Ok(ReferralDetail {
        referral,
        as_clinic,
        clinicians,
        patient,
        visits,
        attachments,
    })
}

/// Accept, decline (with a coded reason), schedule, record the first
/// visit, close, or (the referrer) cancel.
#[rpc(prefix = "/rpc", endpoint = "referrals/step")]
pub async fn referral_step(
    id: ReferralId,
    action: String,
    #[server(default)] reason: String,
    #[server(default)] note: String,
) -> Result<ReferralStatus, AppError> {
    let step = service::Step::parse(action.trim(), &reason, &note)?;
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&REFERRAL_ROLES).await?;
    service::take_step(
        tx,
        &state.settings.vault,
        id,
        step,
        &crate::auth::RequestMeta::current(),
    )
    .await
}

#[rpc(prefix = "/rpc", endpoint = "referrals/assign")]
pub async fn assign_clinician(
    id: ReferralId,
    #[server(default)] clinician_id: String,
) -> Result<(), AppError> {
    let clinician = clinician_id
        .trim()
        .parse::<ClinicianId>()
        .map_err(|_| AppError::invalid("clinician_id", "Choose a clinician."))?;
    let tx = crate::auth::require(&CLINIC_ROLES).await?;
    service::assign(tx, id, clinician, &crate::auth::RequestMeta::current()).await
}
