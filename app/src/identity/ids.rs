//! One id type per entity, so an organization's id can never be passed
//! where a referral's is expected. Each wraps a [`Uuid`] and is
//! transparent on every wire: JSON (`serde(transparent)`), SQL
//! (`sqlx(transparent)`, ssr only), paths and HTML (`Display`/`FromStr`
//! print and parse the bare uuid). A leaf: it imports nothing of this crate.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use uuid::Uuid;

/// Declares id newtypes over [`Uuid`]: `Display`, `FromStr`, `From<Uuid>`,
/// `uuid()`, and on the server `new()` (a random v4 id).
macro_rules! ids {
    ($($(#[$meta:meta])* $name:ident;)+) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(Uuid);

        impl $name {
            /// A fresh random (v4) id.
            #[cfg(feature = "ssr")]
            #[allow(clippy::new_without_default)] // an id is made, never defaulted
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            /// The bare uuid, for SQL binds and foreign formats.
            pub fn uuid(self) -> Uuid {
                self.0
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl FromStr for $name {
            type Err = uuid::Error;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::from_str(s).map(Self)
            }
        }
    )+};
}

ids! {
    /// An organization (a tenant).
    OrganizationId;
    /// A person's account (`users`).
    UserId;
    /// One sign-in of a person (a `user_sessions` row).
    LoginId;
    /// An invitation to join an organization.
    InvitationId;
    /// A referral.
    ReferralId;
    /// A clinician in the directory.
    ClinicianId;
    /// An API key.
    ApiKeyId;
    /// A webhook endpoint an organization registered.
    WebhookEndpointId;
    /// One webhook delivery (an event to one endpoint).
    WebhookDeliveryId;
    /// A domain event (`domain_events`).
    DomainEventId;
    /// A background job (`jobs`).
    JobId;
    /// A clinic's patient.
    PatientId;
    /// A scheduled visit.
    VisitId;
    /// A person a family books care for.
    RecipientId;
    /// A message in the mail outbox.
    MailId;
    /// A break-glass grant.
    GrantId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_fromstr_and_serde_are_the_bare_uuid() {
        let raw = Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef);
        let id = ReferralId::from(raw);
        assert_eq!(id.uuid(), raw);
        assert_eq!(id.to_string(), raw.to_string());
        assert_eq!(raw.to_string().parse::<ReferralId>().unwrap(), id);
        assert!("not-a-uuid".parse::<ReferralId>().is_err());

        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, serde_json::to_string(&raw).unwrap());
        assert_eq!(serde_json::from_str::<ReferralId>(&json).unwrap(), id);
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn new_ids_are_random_v4() {
        let (a, b) = (UserId::new(), UserId::new());
        assert_ne!(a, b);
        assert_eq!(a.uuid().get_version_num(), 4);
    }
}
