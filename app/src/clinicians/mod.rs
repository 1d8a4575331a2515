//! Clinicians (SPEC J4 onboarding): a clinician's own profile (discipline,
//! NPI, state licenses, service area, skills, diagnosis experience,
//! languages, availability) and the platform administrators' verification
//! queue. Only verified clinicians with a license valid in the patient's
//! state are ever matched (see `referrals::matching`); the verification
//! date is shown wherever a clinician is.

mod api;
mod model;
mod pages;

#[cfg(feature = "ssr")]
pub mod repo;

pub use api::*;
pub use model::*;
pub use pages::{ClinicianProfilePage, VerificationQueuePage};
