//! Server functions for the clinician's profile page and the platform
//! administrators' verification queue (profiles and, one by one, licenses).

// A server function's arguments are its form's fields, one each.
#![allow(clippy::too_many_arguments)]

use super::ClinicianProfile;
#[cfg(feature = "ssr")]
use super::Verification;
#[cfg(feature = "ssr")]
use crate::auth::Role;
use crate::error::AppError;
use crate::identity::ClinicianId;
use app_macros::rpc;

/// The signed-in clinician's profile, if they made one.
#[rpc(prefix = "/rpc", endpoint = "clinician/profile")]
pub async fn get_own_profile() -> Result<Option<ClinicianProfile>, AppError> {
    let mut tx = crate::auth::require(&[Role::Clinician]).await?;
    let profile = super::repo::own(&mut tx).await?;
    tx.commit().await?;
    Ok(profile)
}

/// Creates or updates the clinician's profile (and the license of its
/// state). New profiles and licenses wait for a platform administrator's
/// verification; a verified license whose number or expiry changes waits
/// again, and its clinician is told by mail.
#[rpc(prefix = "/rpc", endpoint = "clinician/profile/save")]
pub async fn save_own_profile(
    name: String,
    #[server(default)] discipline: String,
    npi: String,
    zip: String,
    radius: String,
    #[server(default)] care_type: String,
    categories: String,
    #[server(default)] languages: String,
    #[server(default)] day_mon: Option<String>,
    #[server(default)] day_tue: Option<String>,
    #[server(default)] day_wed: Option<String>,
    #[server(default)] day_thu: Option<String>,
    #[server(default)] day_fri: Option<String>,
    #[server(default)] day_sat: Option<String>,
    #[server(default)] day_sun: Option<String>,
    slots: String,
    license_state: String,
    license_number: String,
    license_expires: String,
) -> Result<(), AppError> {
    let days = [
        day_mon, day_tue, day_wed, day_thu, day_fri, day_sat, day_sun,
    ]
    .map(|d| d.is_some());
    let input = super::ProfileInput::parse(
        &name,
        &discipline,
        &npi,
        &zip,
        &radius,
        &care_type,
        &categories,
        &languages,
        &days,
        &slots,
        &license_state,
        &license_number,
        &license_expires,
    )?;
    let mut tx = crate::auth::require(&[Role::Clinician]).await?;
    let mut errors = Vec::new();
    if crate::referrals::repo::zip_place(tx.conn(), &input.home_zip)
        .await?
        .is_none()
    {
        errors.push(crate::error::FieldError::new(
            "zip",
            "We do not know this ZIP code.",
        ));
    }
    let unknown = super::repo::unknown_categories(&mut tx, &input.diagnosis_categories).await?;
    if !unknown.is_empty() {
        errors.push(crate::error::FieldError::new(
            "categories",
            format!("Not ICD-10-CM categories: {}.", unknown.join(", ")),
        ));
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let saved = super::repo::save_own(&mut tx, &input).await;
    let saved = match saved {
        Err(e) if crate::error::Violation::of(&e) == Some(crate::error::Violation::NpiTaken) => {
            return Err(AppError::invalid(
                "npi",
                "Another profile already has this NPI.",
            ))
        }
        other => other?,
    };
    let mut entry =
        crate::audit::repo::Entry::new(crate::audit::AuditAction::ClinicianProfileSaved)
            .subject(crate::audit::repo::Subject::new("clinician", saved.id))
            .ip(crate::auth::RequestMeta::current().ip);
    if saved.license_unverified {
        entry = entry.details(serde_json::json!({
            "license_state": input.license_state,
            "license_verification": Verification::Pending.as_str(),
        }));
        if let Some(email) = super::repo::own_email(&mut tx).await? {
            let state = crate::state::app_state()?;
            crate::mail::enqueue(
                tx.conn(),
                &crate::mail::license_unverified(
                    &email,
                    &input.license_state,
                    &state.settings.link("/clinician/profile"),
                ),
            )
            .await?;
        }
    }
    crate::audit::repo::record(&mut tx, entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Clinicians for verification, those waiting first (platform
/// administrators).
#[rpc(prefix = "/rpc", endpoint = "admin/clinicians")]
pub async fn verification_queue() -> Result<Vec<ClinicianProfile>, AppError> {
    let mut tx = crate::auth::require(&[Role::PlatformAdmin]).await?;
    let queue = super::repo::queue(&mut tx, 100).await?;
    tx.commit().await?;
    Ok(queue)
}

/// Verifies, rejects or suspends a clinician (platform administrators).
#[rpc(prefix = "/rpc", endpoint = "admin/clinicians/verify")]
pub async fn set_verification(id: ClinicianId, status: String) -> Result<(), AppError> {
    let status = Verification::parse(status.trim())
        .filter(|s| *s != Verification::Pending)
        .ok_or_else(|| AppError::invalid("status", "Choose verify, reject or suspend."))?;
    let mut tx = crate::auth::require(&[Role::PlatformAdmin]).await?;
    if !super::repo::set_verification(&mut tx, id, status).await? {
        return Err(AppError::NotFound);
    }
    crate::audit::repo::record(
        &mut tx,
        crate::audit::repo::Entry::new(crate::audit::AuditAction::ClinicianVerificationChanged)
            .subject(crate::audit::repo::Subject::new("clinician", id))
            .ip(crate::auth::RequestMeta::current().ip)
            .details(serde_json::json!({ "status": status.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Verifies or rejects one license of a clinician (platform
/// administrators), as the administrator saw it: the state, number and
/// expiry shown are sent back, and a license changed since is not decided.
#[rpc(prefix = "/rpc", endpoint = "admin/clinicians/licenses/verify")]
pub async fn set_license_verification(
    id: ClinicianId,
    state: String,
    number: String,
    expires_on: String,
    status: String,
) -> Result<(), AppError> {
    let status = Verification::parse(status.trim())
        .filter(|s| matches!(s, Verification::Verified | Verification::Rejected))
        .ok_or_else(|| AppError::invalid("status", "Choose verify or reject."))?;
    let expires_on = time::Date::parse(
        expires_on.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| AppError::invalid("expires_on", "Not a date."))?;
    let mut tx = crate::auth::require(&[Role::PlatformAdmin]).await?;
    let seen = super::repo::LicenseSeen {
        clinician: id,
        state: state.trim(),
        number: number.trim(),
        expires_on,
    };
    match super::repo::set_license_verification(&mut tx, &seen, status).await? {
        super::repo::LicenseDecision::Done => {}
        super::repo::LicenseDecision::Missing => return Err(AppError::NotFound),
        super::repo::LicenseDecision::Changed => {
            return Err(AppError::Conflict {
                message: "This license changed since the page was loaded: check it again."
                    .to_owned(),
            })
        }
    }
    crate::audit::repo::record(
        &mut tx,
        crate::audit::repo::Entry::new(
            crate::audit::AuditAction::ClinicianLicenseVerificationChanged,
        )
        .subject(crate::audit::repo::Subject::new("clinician", id))
        .ip(crate::auth::RequestMeta::current().ip)
        .details(serde_json::json!({
            "state": seen.state,
            "number": seen.number,
            "expires_on": expires_on.to_string(),
            "status": status.as_str(),
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
