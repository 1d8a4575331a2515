//! Patients (SPEC J1 step 5): the referrer's patient packet and the
//! clinic's patient record.
//!
//! Before a clinic accepts a referral it sees the minimum the referral
//! carries (initials, age band, ZIP, diagnosis). The referrer also sends a
//! packet (full name, date of birth, address, phone, payer and member id,
//! emergency contact), sealed by [`crate::vault`] before it is stored and
//! released only to the clinic that accepts (the database's read policy
//! asks the referral's status). Accepting turns the packet into the
//! clinic's patient record, or, when the clinic already has a patient with
//! the same name, date of birth and ZIP (found through a keyed blind
//! index, never by decrypting every row), asks staff to confirm the link.
//! Every release and every read of a record is audited.

mod api;
mod model;
mod pages;

#[cfg(feature = "ssr")]
pub(crate) mod repo;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use model::*;
pub use pages::{details_view, PatientPage};
