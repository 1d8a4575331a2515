//! Server functions for the form builder; each parses its input and calls
//! one operation in [`super::service`].

use super::service::{self, FormView};
use crate::auth::{RequestMeta, Role};
use crate::error::AppError;
use app_macros::rpc;

const STAFF: [Role; 2] = [Role::ClinicAdmin, Role::ClinicStaff];

#[rpc(prefix = "/rpc", endpoint = "intake/forms/create")]
pub async fn create_intake_form(
    #[server(default)] title: String,
    #[server(default)] template: String,
) -> Result<uuid::Uuid, AppError> {
    let tx = crate::auth::require(&STAFF).await?;
    service::create(tx, &title, Some(template.as_str()), &RequestMeta::current()).await
}

/// Saves the draft: the definition as JSON.
#[rpc(prefix = "/rpc", endpoint = "intake/forms/draft")]
pub async fn save_intake_draft(
    id: uuid::Uuid,
    #[server(default)] definition: String,
) -> Result<i32, AppError> {
    let tx = crate::auth::require(&STAFF).await?;
    let definition = serde_json::from_str(&definition).map_err(|_| {
        crate::error::FieldError::new("definition", "The form's definition could not be read.")
    })?;
    service::save_draft(tx, id, &definition, &RequestMeta::current()).await
}

#[rpc(prefix = "/rpc", endpoint = "intake/forms/publish")]
pub async fn publish_intake_form(id: uuid::Uuid) -> Result<(i32, String), AppError> {
    let tx = crate::auth::require(&STAFF).await?;
    service::publish(tx, id, &RequestMeta::current()).await
}

#[rpc(prefix = "/rpc", endpoint = "intake/forms/get")]
pub async fn get_intake_form(id: uuid::Uuid) -> Result<FormView, AppError> {
    let tx = crate::auth::require(&STAFF).await?;
    service::get(tx, id).await
}
