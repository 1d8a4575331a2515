//! One server function per dashboard; each checks its role first.

use crate::audit::AuditEventView;
use crate::auth::{OrgKind, Role};
use crate::error::AppError;
use app_macros::rpc;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicDashboard {
    pub organization: String,
    pub role: Role,
    pub members: i64,
    /// Referrals waiting for a decision.
    pub awaiting_triage: i64,
    /// Administrators only.
    pub open_invitations: Option<i64>,
    /// Administrators only: the newest audit events.
    pub recent_events: Option<Vec<AuditEventView>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketRequestView {
    pub reference: String,
    pub organization: String,
    pub packet: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminDashboard {
    pub organizations: Vec<(OrgKind, i64)>,
    pub users: i64,
    pub open_packet_requests: Vec<PacketRequestView>,
}

#[rpc(prefix = "/rpc", endpoint = "dashboard/clinic")]
pub async fn get_clinic_dashboard() -> Result<ClinicDashboard, AppError> {
    let mut tx = crate::auth::require(&[Role::ClinicAdmin, Role::ClinicStaff]).await?;
    let principal = tx.principal().clone();
    let members = crate::orgs::repo::members(&mut tx).await?.len() as i64;
    let awaiting_triage = super::repo::awaiting_triage(&mut tx).await?;
    let (open_invitations, recent_events) = if principal.role == Role::ClinicAdmin {
        let open = crate::orgs::repo::open_invitations(&mut tx).await?.len() as i64;
        let events = crate::audit::repo::recent(&mut tx, &Default::default(), None, 5).await?;
        (Some(open), Some(events))
    } else {
        (None, None)
    };
    tx.commit().await?;
    Ok(ClinicDashboard {
        organization: principal.org_name,
        role: principal.role,
        members,
        awaiting_triage,
        open_invitations,
        recent_events,
    })
}

#[rpc(prefix = "/rpc", endpoint = "dashboard/admin")]
pub async fn get_admin_dashboard() -> Result<AdminDashboard, AppError> {
    let mut tx = crate::auth::require(&[Role::PlatformAdmin]).await?;
    let organizations = super::repo::organizations_by_kind(&mut tx).await?;
    let users = super::repo::account_count(&mut tx).await?;
    let open_packet_requests = super::repo::open_packet_requests(&mut tx).await?;
    tx.commit().await?;
    Ok(AdminDashboard {
        organizations,
        users,
        open_packet_requests,
    })
}
