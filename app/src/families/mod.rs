//! Families and the people they book care for (issue 14, SPEC J3 step 1).
//!
//! A family is an organization of its own (`organization_kind` `family`,
//! made when a family registers: `auth::repo::create_family_account`). Its
//! care recipients are its tenant data: their name, birth date, street
//! address and notes are sealed by [`crate::vault`]; what matching needs
//! (ZIP, care types, diagnoses, language) is kept clear, guarded like the
//! rest by row-level security. Every read of a recipient is audited. Pages: `/family` (the people, and adding one)
//! and `/family/recipients/:id`.

mod api;
mod model;
mod pages;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::*;
pub use model::*;
pub use pages::{FamilyHomePage, NewRecipientPage, RecipientPage};
