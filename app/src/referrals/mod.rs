//! Discharge referrals (SPEC J1): a referrer sends one referral; matching
//! ranks verified clinicians and explains why; it lands in one clinic's
//! referral inbox, where staff accept, decline with a coded reason, assign
//! a clinician, and move it on; the referrer follows the status live.
//!
//! The state machine ([`ReferralStatus`]) is enforced twice: here, so the
//! person gets a clear message, and by the database (a trigger over the
//! `referral_transitions` table), so no code path can skip it. Each change
//! writes its history row (trigger), audit event and domain event (the
//! webhook feed) in the same transaction.

mod api;
mod model;
mod pages;

#[cfg(feature = "ssr")]
pub mod attachments;
#[cfg(feature = "ssr")]
pub mod fhir;
#[cfg(feature = "ssr")]
pub mod intake;
#[cfg(feature = "ssr")]
pub mod matching;
// Crate-private: a door outside `app` reads referrals only through the
// audited operations in `service`.
#[cfg(feature = "ssr")]
pub(crate) mod repo;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use model::*;
pub use pages::{NewReferralPage, ReferralDetailPage, ReferralListPage};
