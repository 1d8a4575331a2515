//! The role dashboards: where each role lands after signing in (SPEC §1);
//! a clinician lands on their day instead (`crate::visits`), a family on
//! its people (`crate::families`).
//! Each page calls its own server function, which requires the role, so a
//! person with another role gets 403 and the forbidden notice.

mod api;
pub mod charts;
mod pages;
#[cfg(feature = "ssr")]
mod repo;

pub use api::*;
pub use pages::{AdminDashboardPage, ClinicDashboardPage};
