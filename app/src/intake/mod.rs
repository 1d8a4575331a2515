//! Intake forms with e-signature (issue 15, SPEC J2). So far: the form
//! model ([`form`]): definitions, checking a submission against a pinned
//! version, and the canonical JSON whose SHA-256 pins each. The builder,
//! sending, filling, submission, receipts and verification build on it.

pub mod form;
