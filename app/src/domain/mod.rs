//! Validated domain values shared by the server and the browser.
//!
//! Each type is built only through `parse`, which trims, checks and returns a
//! sentence a person can act on; holding one is proof the value is valid, so
//! code past the boundary never re-checks.

mod email;
mod event;
mod text;
pub(crate) mod vocab;

pub use email::EmailAddress;
pub use event::EventType;
pub use text::{BoundedText, TextRules};
