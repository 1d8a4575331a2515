//! Clinicians (SPEC J4 onboarding): a clinician's own profile (discipline,
//! NPI, state licenses, service area, skills, diagnosis experience,
//! languages, availability) and the platform administrators' verification
//! queue. Each state license is verified on its own, and a new or changed
//! license (state, number, expiry) waits again: a database trigger enforces
//! it (`migrations/*_license_verification.sql`). Only verified clinicians
//! with a verified, unexpired license in the patient's state are ever
//! matched (see `referrals::matching`); the verification dates are shown
//! wherever a clinician is.

mod api;
mod model;
mod pages;

#[cfg(feature = "ssr")]
pub mod repo;

pub use api::*;
pub use model::*;
pub use pages::{ClinicianProfilePage, VerificationQueuePage};
