//! Shared UI: the page frame (header, navigation, footer) every page reuses,
//! and accessible form controls with inline errors.
//!
//! Policy: controls carry their own label, hint and error wiring
//! (`aria-invalid`, `aria-describedby`), so a page cannot forget them.

mod form;
mod layout;

pub use form::{ErrorSummary, SelectField, TextArea, TextField};
pub use layout::{SiteFooter, SiteHeader};
