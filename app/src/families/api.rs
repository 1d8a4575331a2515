//! Server functions for the family's pages; each parses its form and calls
//! one operation in `service`.

// A server function's arguments are its form's fields, one each.
#![allow(clippy::too_many_arguments)]

use super::*;
#[cfg(feature = "ssr")]
use crate::auth::Role;
use crate::error::AppError;
use crate::identity::RecipientId;
use app_macros::rpc;

#[rpc(prefix = "/rpc", endpoint = "family/home")]
pub async fn get_family_home() -> Result<FamilyHome, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[Role::Family, Role::FamilyViewer]).await?;
    service::home(
        tx,
        &state.settings.vault,
        &crate::auth::RequestMeta::current(),
    )
    .await
}

#[rpc(prefix = "/rpc", endpoint = "family/recipients/get")]
pub async fn get_recipient(id: RecipientId) -> Result<Recipient, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[Role::Family, Role::FamilyViewer]).await?;
    service::get(
        tx,
        &state.settings.vault,
        id,
        &crate::auth::RequestMeta::current(),
    )
    .await
}

/// Adds a person the family books care for, then opens their page.
#[rpc(prefix = "/rpc", endpoint = "family/recipients/add")]
pub async fn add_recipient(
    #[server(default)] full_name: String,
    #[server(default)] birth_date: String,
    #[server(default)] address: String,
    #[server(default)] zip: String,
    #[server(default)] care_types: Vec<String>,
    #[server(default)] diagnoses: String,
    #[server(default)] language: String,
    #[server(default)] notes: String,
) -> Result<RecipientId, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&[Role::Family]).await?;
    let form = RecipientForm {
        full_name,
        birth_date,
        address,
        zip,
        care_types,
        diagnoses,
        language,
        notes,
    };
    let new = NewRecipient::parse(&form, time::OffsetDateTime::now_utc().date())?;
    let id = service::add_recipient(
        tx,
        &state.settings.vault,
        new,
        &crate::auth::RequestMeta::current(),
    )
    .await?;
    leptos_axum::redirect(&format!("/family/recipients/{id}"));
    Ok(id)
}
