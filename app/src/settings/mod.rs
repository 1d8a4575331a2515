//! A clinic's settings (issue 16, item 9), all through the signed-in
//! session: the clinic's profile and service area ([`api`]), its live API
//! keys and its webhook endpoints with their delivery log and resend (the
//! developer page's own sections, acting through the session instead of
//! a key pasted into the page: see `crate::developer::WebhookVia`).

mod api;
mod model;
mod pages;

pub use api::*;
pub use model::*;
pub use pages::SettingsPage;
