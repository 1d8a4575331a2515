//! Validated domain values shared by the server and the browser, and the
//! product's closed vocabularies.
//!
//! Each value type (an email address, bounded text, a ZIP code, an ICD-10-CM
//! code, a patient's initials) is built only through `parse`, which trims,
//! checks and returns a sentence a person can act on; holding one is proof
//! the value is valid, so code past the boundary never re-checks.
//! Vocabularies (event names here, statuses and kinds with their areas) are
//! enums made by one macro ([`vocab`]) that map to PostgreSQL enums.

mod codes;
mod date;
mod email;
mod event;
mod text;
pub(crate) mod vocab;

pub use codes::{Icd10Code, PatientInitials, ZipCode};
pub use date::parse_date;
pub use email::EmailAddress;
pub use event::EventType;
pub use text::{BoundedText, TextRules};
