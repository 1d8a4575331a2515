//! The export centre (issue 16, item 2): a clinic administrator takes the
//! clinic's data away as CSV or JSON — patients, referrals, visits and
//! their signed logs, signed intake forms, invoices, ledger entries and
//! the audit log.
//!
//! A request is a row (`data_exports`) whose trigger files the
//! `export.build` job; the job acts as the administrator who asked
//! ([`crate::auth::session::resume_for_job`]), streams each dataset
//! through a cursor into chunks, reports progress as it goes, and commits
//! the files with a manifest (file, rows, bytes, SHA-256) and the
//! `export.completed` audit event. Files can be downloaded for a day
//! (each download audited), then the hourly housekeeping removes them and
//! only the record remains; an erasure removes them at once.

mod api;
#[cfg(feature = "ssr")]
pub mod build;
mod model;
mod pages;
#[cfg(feature = "ssr")]
mod repo;

pub use api::*;
pub use model::*;
pub use pages::ExportsPage;
