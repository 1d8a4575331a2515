//! Intake forms with e-signature (issue 15, SPEC J2).
//!
//! - [`form`]: definitions (twelve field kinds, required, help, conditional
//!   display with FHIR `enableWhen` semantics), checking a submission
//!   against a pinned version, and the canonical JSON whose SHA-256 pins a
//!   version and a submission;
//! - `templates`: the four starter templates;
//! - `service` and `builder`: forms with versions for clinic staff (create,
//!   edit a draft field by field, publish frozen and hashed);
//! - `staff`: sending links, revoking, the reminder, reading and reviewing
//!   submissions, and the PDF (`pdf`);
//! - `fill`: the link's holder (no account): answers kept section by
//!   section, the review, the signature, the receipt and their signed
//!   copy, and the public `/verify` check;
//! - `fhir`: `Questionnaire` and `QuestionnaireResponse`;
//! - [`pages`]: the pages for each, all plain forms.

mod api;
#[cfg(feature = "ssr")]
pub mod builder;
#[cfg(feature = "ssr")]
pub mod fhir;
#[cfg(feature = "ssr")]
pub mod fill;
pub mod form;
pub mod model;
mod pages;
#[cfg(feature = "ssr")]
mod pdf;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod staff;
#[cfg(feature = "ssr")]
pub mod templates;

pub use api::*;
pub use model::*;
pub use pages::{submissions_view, FillPage, FormPage, FormsPage, SubmissionPage, VerifyPage};
