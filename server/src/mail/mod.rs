//! Mail delivery: the worker that turns domain events into mail
//! ([`notify`]) and sends the outbox over SMTP ([`worker`]), and the
//! development SMTP sink that receives it when no SMTP server is set.
//!
//! Why our own outbox instead of a job-queue crate (apalis, underway):
//! a message must be filed in the same transaction as the change it
//! reports, by the web role under row-level security, and then be readable
//! only by the worker role. The queue crates we looked at own their tables
//! and run with one connection role, which would let the web role read
//! queued mail (reset links, invitation tokens). The outbox is one table,
//! one claim query (`FOR UPDATE SKIP LOCKED`) and a backoff formula.

pub mod mailbox;
pub mod notify;
pub mod sink;
pub mod worker;
