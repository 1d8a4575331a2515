//! Roles and organization kinds: Rust enums mapped to the Postgres enums
//! `member_role` and `organization_kind`, never strings.

use crate::domain::vocab::labelled_enum;

labelled_enum!(
    /// What a member may do in their organization (SPEC §1).
    Role, "member_role", [
        PlatformAdmin = "platform_admin": "Platform administrator",
        ClinicAdmin = "clinic_admin": "Clinic administrator",
        ClinicStaff = "clinic_staff": "Clinic staff",
        Referrer = "referrer": "Discharge planner",
        Clinician = "clinician": "Clinician",
        Family = "family": "Family member",
        FamilyViewer = "family_viewer": "Family member (view only)",
    ]
);

impl Role {
    /// Where this role lands after signing in: its dashboard.
    pub fn home(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "/admin",
            Role::ClinicAdmin | Role::ClinicStaff => "/clinic",
            Role::Referrer => "/referrer",
            Role::Clinician => "/clinician",
            Role::Family | Role::FamilyViewer => "/family",
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
            OrgKind::Family => matches!(self, Role::Family | Role::FamilyViewer),
        }
    }
}

labelled_enum!(
    /// What an organization is: a home-health agency or practice (clinic),
    /// a hospital or discharge-planning team (referrer), the operator of
    /// this instance (platform), or a family booking care (family).
    OrgKind, "organization_kind", [
        Clinic = "clinic": "Clinic",
        Referrer = "referrer": "Referring organization",
        Platform = "platform": "Platform",
        Family = "family": "Family",
    ]
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(*role));
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
        assert!(Role::Family.fits(OrgKind::Family));
        assert!(Role::FamilyViewer.fits(OrgKind::Family));
        assert!(!Role::FamilyViewer.fits(OrgKind::Platform));
        assert!(!Role::ClinicAdmin.fits(OrgKind::Family));
    }
}
