//! Break-glass (SPEC §7, DESIGN "Actors"): the only way a platform
//! administrator reaches an organization's patient information.
//!
//! Policy:
//! - A platform administrator opens a grant on one organization with a
//!   reason (10–500 characters) for 15 to 60 minutes (30 by default).
//! - Opening it writes `break_glass.opened` into *that organization's*
//!   audit chain, mails its administrators (who, why, until when, a link;
//!   no patient information), and shows on their audit page.
//! - While it lasts the administrator may read the organization's
//!   referrals through the same audited reads as its staff
//!   (`referrals::service::view` / `list`); every read is an event in the
//!   organization's chain with the actor kind `break_glass`, naming the
//!   administrator and the grant.
//! - Read-only and time-limited by the database, not only by this code:
//!   the only policies a grant opens are `SELECT` policies that compare
//!   `now()` with the grant's `expires_at` (see
//!   `migrations/20261129000400_break_glass.sql`).
//!
//! The break-glass transaction is a [`crate::db::TenantTx`] whose
//! principal's actor is [`crate::auth::session::Actor::BreakGlass`], built
//! only by `crate::auth::session`.

mod api;
mod model;
mod page;

#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use model::*;
pub use page::BreakGlassPage;
