//! Webhook delivery (SPEC §3): signed HTTP deliveries of domain events,
//! sent at least once, durably.
//!
//! - Which events become messages (one per subscribed, enabled endpoint of
//!   either party) is the event fan-out's (`crate::events`).
//! - [`sender`]: the `webhook.deliver` job, one per message, run by the job
//!   runner ([`crate::jobs`]: leases, retries with backoff, several
//!   processes): signs the message ([`sign`]), POSTs it and logs every
//!   attempt.
//! - Destinations are checked on every attempt by the SSRF guard in
//!   `app::developer::destination`, and the HTTP client's resolver refuses
//!   the same addresses, so a name re-pointed after the check is caught.
//!
//! Runs as `carethread_worker`, the only role that can read the secrets.

pub mod sender;
pub mod sign;

pub use sender::{Deliver, Sender};
