//! Webhook delivery (SPEC §3): the worker that turns domain events into
//! signed HTTP deliveries and sends them, at least once, durably.
//!
//! - [`fanout`]: each new domain event becomes one message per subscribed,
//!   enabled endpoint of either party (the referring organization, the
//!   clinic), in the transaction that stamps the event.
//! - [`sender`]: claims due messages with a lease (`FOR UPDATE SKIP
//!   LOCKED`, so several server processes share the work and a process
//!   that dies mid-send leaves the message to be retried), signs them
//!   ([`sign`]), POSTs them, logs every attempt, and retries failures with
//!   exponential backoff.
//! - Destinations are checked on every attempt by the SSRF guard in
//!   `app::developer::destination`, and the HTTP client's resolver refuses
//!   the same addresses, so a name re-pointed after the check is caught.
//!
//! Runs as `carethread_worker`, the only role that can read the secrets.

pub mod fanout;
pub mod sender;
pub mod sign;

pub use sender::{spawn, Sender};
