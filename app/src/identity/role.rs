//! Roles and organization kinds: Rust enums mapped to the Postgres enums
//! `member_role` and `organization_kind`, never strings.

use serde::{Deserialize, Serialize};

/// What a member may do in their organization (SPEC §1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "member_role", rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    ClinicAdmin,
    ClinicStaff,
    Referrer,
    Clinician,
    Family,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::PlatformAdmin,
        Role::ClinicAdmin,
        Role::ClinicStaff,
        Role::Referrer,
        Role::Clinician,
        Role::Family,
    ];

    /// The database and form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::ClinicAdmin => "clinic_admin",
            Role::ClinicStaff => "clinic_staff",
            Role::Referrer => "referrer",
            Role::Clinician => "clinician",
            Role::Family => "family",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "Platform administrator",
            Role::ClinicAdmin => "Clinic administrator",
            Role::ClinicStaff => "Clinic staff",
            Role::Referrer => "Discharge planner",
            Role::Clinician => "Clinician",
            Role::Family => "Family member",
        }
    }

    /// Where this role lands after signing in: its dashboard.
    pub fn home(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "/admin",
            Role::ClinicAdmin | Role::ClinicStaff => "/clinic",
            Role::Referrer => "/referrer",
            Role::Clinician => "/clinician",
            Role::Family => "/family",
        }
    }

    /// The roles that may be given in an organization of `kind`.
    pub fn fits(self, kind: OrgKind) -> bool {
        match kind {
            OrgKind::Platform => {
                matches!(self, Role::PlatformAdmin | Role::Clinician | Role::Family)
            }
            OrgKind::Clinic => matches!(
                self,
                Role::ClinicAdmin | Role::ClinicStaff | Role::Clinician
            ),
            OrgKind::Referrer => self == Role::Referrer,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::Type))]
#[cfg_attr(
    feature = "ssr",
    sqlx(type_name = "organization_kind", rename_all = "snake_case")
)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// A home-health agency or practice.
    Clinic,
    /// A hospital or discharge-planning team.
    Referrer,
    /// The operator of this instance.
    Platform,
}

impl OrgKind {
    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Clinic => "clinic",
            OrgKind::Referrer => "referrer",
            OrgKind::Platform => "platform",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [OrgKind::Clinic, OrgKind::Referrer, OrgKind::Platform]
            .into_iter()
            .find(|k| k.as_str() == value)
    }

    pub fn label(self) -> &'static str {
        match self {
            OrgKind::Clinic => "Clinic",
            OrgKind::Referrer => "Referring organization",
            OrgKind::Platform => "Platform",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_value(role).unwrap();
            assert_eq!(json, role.as_str());
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn each_role_has_its_own_dashboard_family() {
        assert_eq!(Role::Family.home(), "/family");
        assert_eq!(Role::ClinicStaff.home(), Role::ClinicAdmin.home());
        assert_ne!(Role::Referrer.home(), Role::Clinician.home());
    }

    #[test]
    fn roles_fit_only_their_kind_of_organization() {
        assert!(Role::ClinicStaff.fits(OrgKind::Clinic));
        assert!(!Role::ClinicStaff.fits(OrgKind::Referrer));
        assert!(!Role::PlatformAdmin.fits(OrgKind::Clinic));
        assert!(Role::Referrer.fits(OrgKind::Referrer));
        assert!(Role::Family.fits(OrgKind::Platform));
    }
}
