//! The job runner's page for platform administrators (`/admin/jobs`): how
//! much work is queued and running, and every dead job (one that spent its
//! retry budget, or failed in a way retrying could not help) with its
//! error, each with a button that puts it back in the queue. The runner
//! itself is `server::jobs`; this is the door and the domain operations on
//! its table, which the web role may read and retry only as a platform
//! administrator (row-level security, `migrations/*_jobs.sql`).

mod api;
mod page;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use page::JobsPage;

use crate::identity::JobId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A job that will not run again unless an administrator retries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadJob {
    pub id: JobId,
    /// `area.verb`, e.g. `mail.deliver`.
    pub kind: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: OffsetDateTime,
    pub died_at: OffsetDateTime,
}

/// The queue at a glance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobsOverview {
    /// Waiting to run (due now or later).
    pub queued: i64,
    pub running: i64,
    /// The newest dead jobs (at most [`DEAD_SHOWN`]).
    pub dead: Vec<DeadJob>,
    /// How many dead jobs there are in all.
    pub dead_total: i64,
}

/// How many dead jobs the page lists.
pub const DEAD_SHOWN: i64 = 100;
