//! Visits (SPEC J4): the clinic schedules, the clinician works the visit
//! on a phone, the signed log is the record.
//!
//! - **Scheduling**: clinic staff schedule visits for an accepted referral
//!   (one, or weekly for N weeks) with an affiliated clinician. The
//!   database's exclusion constraint `visits_no_double_booking` (btree_gist
//!   over the clinician and the time range, across every clinic) makes a
//!   double booking impossible; the error names the clash.
//! - **The state machine** ([`VisitStatus`]): proposed → accepted →
//!   in_progress → completed, or declined, missed, cancelled; enforced here
//!   and by a trigger over `visit_transitions`, which also says who makes
//!   which move.
//! - **EVV**: check-in and check-out carry the device's time and location
//!   (or a coded exception); the database derives `evv_complete` from the
//!   six elements.
//! - **The signed log**: tasks, vitals, notes and signatures, canonicalised
//!   (RFC 8785, `serde_jcs`), hashed (SHA-256), sealed (`crate::vault`) and
//!   locked by the database; corrections are addenda chained by hash.
//! - **Sync**: a visit worked offline arrives as one [`OfflineVisit`] with
//!   the device's idempotency key: stored once however often it arrives,
//!   and a log signed elsewhere meanwhile is a conflict, never overwritten.

mod api;
mod model;
mod pages;

#[cfg(feature = "ssr")]
pub mod fhir;
#[cfg(feature = "ssr")]
pub(crate) mod repo;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use model::*;
pub(crate) use pages::SignedLogView;
pub use pages::{ClinicSchedulePage, ClinicianDayPage, ReferralVisits, VisitPage};
