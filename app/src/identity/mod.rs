//! Identity types every other module names: one id type per entity
//! ([`OrganizationId`], [`ReferralId`], …), roles and organization kinds
//! ([`Role`], [`OrgKind`]), and on the server who acts in a request
//! ([`Principal`], [`Actor`]). A base layer: it imports nothing of this
//! crate but the error type and the domain vocabularies, so the database
//! layer (`db`), authentication (`auth`) and the product areas can all
//! depend on it without depending on each other.

mod ids;
#[cfg(feature = "ssr")]
mod principal;
mod role;

pub use ids::{
    ApiKeyId, ClinicianId, DomainEventId, GrantId, InvitationId, JobId, LoginId, MailId,
    OrganizationId, PatientId, RecipientId, ReferralId, UserId, VisitId, WebhookDeliveryId,
    WebhookEndpointId,
};
#[cfg(feature = "ssr")]
pub use principal::{Actor, ApiKeyRef, BreakGlassRef, Principal, Resolved};
pub use role::{OrgKind, Role};
