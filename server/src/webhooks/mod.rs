//! Webhook delivery (SPEC §3): the worker that turns domain events into
//! signed HTTP deliveries and sends them, at least once, durably.
//!
//! - [`fanout`]: each new domain event becomes one message per subscribed,
//!   enabled endpoint of either party (the referring organization, the
//!   clinic), in the `events.fan_out` job ([`crate::events`]).
//! - [`sender`]: the `webhook.deliver` job, one per message, run by the job
//!   runner ([`crate::jobs`]: leases, retries with backoff, several
//!   processes): signs the message ([`sign`]), POSTs it and logs every
//!   attempt.
//! - Destinations are checked on every attempt by the SSRF guard in
//!   `app::developer::destination`, and the HTTP client's resolver refuses
//!   the same addresses, so a name re-pointed after the check is caught.
//!
//! Runs as `carethread_worker`, the only role that can read the secrets.

pub mod fanout;
pub mod sender;
pub mod sign;

pub use sender::{Deliver, Sender};
