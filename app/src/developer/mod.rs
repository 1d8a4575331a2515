//! The developer API's own concerns (SPEC §3): API keys ([`keys`]), rate
//! limits ([`rate`]), webhook endpoints and their log ([`webhooks`]), the
//! destinations webhooks may go to ([`destination`]), and the developer
//! page ([`pages`]). The REST and FHIR handlers live in the server crate and
//! call the same domain operations as the web pages
//! (`referrals::service::create` for a referral, whatever the door).

mod api;
mod model;
mod pages;

pub use api::*;
pub use pages::DeveloperPage;
pub(crate) use pages::{LiveKeys, Webhooks};

#[cfg(feature = "ssr")]
pub mod access;
#[cfg(feature = "ssr")]
pub mod destination;
#[cfg(feature = "ssr")]
pub mod keys;
#[cfg(feature = "ssr")]
pub mod pseudonym;
#[cfg(feature = "ssr")]
pub mod rate;
#[cfg(feature = "ssr")]
pub mod webhooks;

pub use model::*;
