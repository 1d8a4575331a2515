//! Intake forms with e-signature (issue 15, SPEC J2). So far: the form
//! model ([`form`]: definitions, checking a submission against a pinned
//! version, the canonical JSON whose SHA-256 pins each), the starter
//! templates ([`templates`]), and forms with versions for clinic staff
//! ([`service`]: create, save a draft, publish frozen and hashed; server
//! functions in `api`). The builder's page, sending, filling, submission,
//! receipts and verification build on these.

mod api;
pub mod form;
pub mod service;
pub mod templates;

pub use api::*;
