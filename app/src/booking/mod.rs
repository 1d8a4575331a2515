//! Booking (issue 14, SPEC J3): what a clinician offers families — weekly
//! hours, days off and a rate per service (`/clinician/availability`) —
//! the open slots computed from it ([`slots`]) minus every visit the
//! clinician already has, in any clinic, and how families find clinicians
//! ([`search`], `/family/find`, `/family/clinicians/:id`); then booking
//! itself ([`book_service`]): a hold, its confirmation with the payment
//! held on the card, cancellation, the family's review of the signed
//! visit, the clinician's earnings and disputes ([`bookings`] holds what
//! those pages show).

mod api;
mod book_api;
mod book_pages;
#[cfg(feature = "ssr")]
pub mod book_service;
pub mod bookings;
mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod repo;
pub mod search;
#[cfg(feature = "ssr")]
pub mod service;
pub mod slots;

pub use api::*;
pub use book_api::*;
pub use book_pages::{BookPage, EarningsPage, FamilyVisitPage, FamilyVisits, PaymentsAdminPage};
pub use model::*;
pub use pages::{AvailabilityPage, ClinicianForFamilyPage, FindClinicianPage};
pub use search::{ClinicianCard, LicenseBadge, Search, SearchForm, SearchResults};
