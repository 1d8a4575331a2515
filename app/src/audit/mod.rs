//! The audit log (SPEC §4): append-only, hash-chained per organization.
//!
//! Every change worth answering for writes an event *in the same
//! transaction* as the change, through [`repo::record`], which takes the
//! actor and the organization's chain from the transaction's scope, so an
//! event can never claim another actor or land in another organization's
//! chain. The chain itself (sequence, hashes, the head lock) is kept by the
//! database; `server audit verify` and the admin page walk it. The chain
//! only proves the database agrees with itself: signed checkpoints of every
//! chain head, made with a key the database never holds, anchor it outside
//! (`server/src/audit_anchor.rs`), and `server audit verify` checks them.

mod filter;
mod logins;
mod model;
mod page;

#[cfg(feature = "ssr")]
pub mod export;

#[cfg(feature = "ssr")]
pub mod repo;

pub use filter::{AuditFilter, AuditQuery};
pub use logins::{get_login_log, GetLoginLog, LoginAttemptView, LoginLog, LoginLogPage};
pub use model::{AuditAction, AuditEventView, AuditPage, BreakGlassGrantView, ChainStatus};
pub use page::{
    get_audit_log, verify_audit_chain, AuditLogPage, GetAuditLog, VerifyAuditChain, AUDIT_READERS,
};
