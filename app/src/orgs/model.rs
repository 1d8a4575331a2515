//! What the team and organization pages show.

use crate::auth::{OrgKind, Role};
use crate::identity::{InvitationId, OrganizationId, UserId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberView {
    pub user_id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub since: OffsetDateTime,
    pub is_me: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationView {
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// The team page: members, open invitations, and whether the viewer may
/// manage them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub organization: String,
    /// A family's members rather than a clinic's team.
    pub family: bool,
    pub can_manage: bool,
    pub members: Vec<MemberView>,
    pub invitations: Vec<InvitationView>,
}

/// One organization in the platform administrator's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgSummary {
    pub id: OrganizationId,
    pub name: String,
    pub kind: OrgKind,
    pub members: i64,
    pub open_invitations: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InviteStatus {
    Open,
    Accepted,
    Revoked,
    Expired,
}

/// What the invitation page tells the person holding the link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteInfo {
    pub organization: String,
    pub role: Role,
    pub email: String,
    pub status: InviteStatus,
    /// An account already exists for the invited address: sign in to
    /// accept instead of creating one.
    pub account_exists: bool,
    /// The address of whoever is signed in on this browser, if anyone.
    pub signed_in_as: Option<String>,
}
