//! Organizations and their people (SPEC §1, J5, J7): members and their
//! roles, emailed invitations and accepting them, and the platform
//! administrator's list of organizations.
//!
//! Who may do what (enforced here and by the row-level security policies):
//! - a clinic administrator invites clinic administrators, staff and
//!   affiliated clinicians to their own clinic, changes roles between
//!   administrator and staff (never leaving the clinic without an
//!   administrator), removes members and revokes invitations;
//! - clinic staff see their team;
//! - a platform administrator creates clinics and referring organizations
//!   and invites their first members.

mod api;
mod model;
mod pages;

#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use model::{InvitationView, InviteInfo, InviteStatus, MemberView, OrgSummary, TeamView};
pub use pages::{AcceptInvitationPage, OrganizationsPage, TeamPage};
