//! Booking (issue 14, SPEC J3): what a clinician offers families — weekly
//! hours, days off and a rate per service (`/clinician/availability`) —
//! the open slots computed from it ([`slots`]) minus every visit the
//! clinician already has, in any clinic, and how families find clinicians
//! ([`search`], `/family/find`, `/family/clinicians/:id`). Holds,
//! confirmation and the payment build on these.

mod api;
mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod search;
#[cfg(feature = "ssr")]
pub mod service;
pub mod slots;

pub use api::*;
pub use model::*;
pub use pages::{AvailabilityPage, ClinicianForFamilyPage, FindClinicianPage};
pub use search::{ClinicianCard, LicenseBadge, Search, SearchForm, SearchResults};
