//! Mail delivery: the `mail.deliver` job that sends the outbox over SMTP
//! ([`worker`]), and the development SMTP sink that receives it when no
//! SMTP server is set. Which events become mail is decided by the event
//! fan-out (`crate::events`).
//!
//! Messages are filed in `mail_outbox` in the same transaction as the
//! change they report, by the web role under row-level security, and are
//! readable only by the worker role (they hold reset links and invitation
//! tokens); the job runner (`crate::jobs`) does the retrying.

pub mod mailbox;
pub mod sink;
pub mod worker;
