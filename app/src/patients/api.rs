//! Server functions for patients: a record, and staff confirming which
//! patient an accepted referral is.

use super::*;
#[cfg(feature = "ssr")]
use crate::auth::Role;
use crate::error::AppError;
use crate::identity::{PatientId, ReferralId};
use app_macros::rpc;

#[cfg(feature = "ssr")]
const CLINIC: [Role; 2] = [Role::ClinicAdmin, Role::ClinicStaff];

#[rpc(prefix = "/rpc", endpoint = "patients/get")]
pub async fn get_patient(id: PatientId) -> Result<PatientRecord, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&CLINIC).await?;
    service::view(
        tx,
        &state.settings.vault,
        id,
        &crate::auth::RequestMeta::current(),
    )
    .await
}

/// `choice`: the existing patient's id, or `new`.
#[rpc(prefix = "/rpc", endpoint = "patients/link")]
pub async fn link_patient(referral_id: ReferralId, choice: String) -> Result<PatientId, AppError> {
    let choice = match choice.trim() {
        "new" => service::LinkChoice::New,
        raw => service::LinkChoice::Existing(
            raw.parse()
                .map_err(|_| AppError::invalid("choice", "Choose one of the answers."))?,
        ),
    };
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&CLINIC).await?;
    service::link(
        tx,
        &state.settings.vault,
        referral_id,
        choice,
        &crate::auth::RequestMeta::current(),
    )
    .await
}
