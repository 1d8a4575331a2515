//! A clinic's settings (issue 16, items 6 and 9), all through the
//! signed-in session: the clinic's profile and service area ([`api`]), its
//! branches and who works in which ([`branches`]), its live API
//! keys and its webhook endpoints with their delivery log and resend (the
//! developer page's own sections, acting through the session instead of
//! a key pasted into the page: see `crate::developer::WebhookVia`).

mod api;
mod branches;
mod model;
mod pages;

pub use api::*;
pub use branches::*;
pub use model::*;
pub use pages::SettingsPage;
