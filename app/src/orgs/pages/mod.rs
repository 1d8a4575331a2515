//! The team page (`/clinic/team`), the invitation page (`/invite`) and the
//! platform administrator's organizations (`/admin/organizations`).

mod accept;
mod organizations;
mod team;

pub use accept::AcceptInvitationPage;
pub use organizations::OrganizationsPage;
pub use team::TeamPage;
