//! Data rights (issue 16, items 3 and 4): retention per data category with
//! legal minimums, legal holds, the scheduled purge, and the right to
//! delete with a certificate of destruction.
//!
//! The rules live in the database (`migrations/*_data_rights.sql`): the
//! categories and their minimums are one table, read by the clinic's
//! settings, the purge, erasure and the public trust page alike; what a
//! purge or an erasure may remove is decided by one function for the job
//! and for the administrator. This module is the doors (`api`), the pages
//! and the certificate's PDF.

mod api;
#[cfg(feature = "ssr")]
pub mod certificate;
mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod repo;

pub use api::*;
pub use model::*;
pub use pages::{DataRightsPage, DeletionPage};
