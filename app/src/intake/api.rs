//! Server functions for intake: the builder, sending and reviewing (clinic
//! staff), filling and signing (the holder of a link, no account) and the
//! public hash check. Each parses its input and calls one operation in
//! [`super::service`], [`super::staff`] or [`super::fill`].

// The builder's add-field form has nine inputs; the generated client
// function takes each as an argument.
#![allow(clippy::too_many_arguments)]

use super::model::{
    FillView, FormPageData, FormSummary, FormView, SentLink, SubmissionSummary, SubmissionView,
    VerifyAnswer,
};
#[cfg(feature = "ssr")]
use super::{fill, service, staff};
#[cfg(feature = "ssr")]
use crate::auth::{RequestMeta, Role};
use crate::error::AppError;
use app_macros::rpc;
use std::collections::BTreeMap;

#[cfg(feature = "ssr")]
const STAFF: [Role; 2] = [Role::ClinicAdmin, Role::ClinicStaff];

/// An id from a form field (a form, a link, a submission): one that does
/// not parse names nothing.
#[cfg(feature = "ssr")]
fn id_from(raw: &str) -> Result<uuid::Uuid, AppError> {
    raw.trim().parse().map_err(|_| AppError::NotFound)
}

#[rpc(prefix = "/rpc", endpoint = "intake/forms/list")]
pub async fn list_intake_forms() -> Result<Vec<FormSummary>, AppError> {
    let tx = crate::auth::require(&STAFF).await?;
    staff::forms(tx).await
}

/// Creates a form (from a starter template, or empty) and opens it.
#[rpc(prefix = "/rpc", endpoint = "intake/forms/create")]
pub async fn create_intake_form(
    #[server(default)] title: String,
    #[server(default)] template: String,
) -> Result<uuid::Uuid, AppError> {
    let tx = crate::auth::require(&STAFF).await?;
    let id = service::create(tx, &title, Some(template.as_str()), &RequestMeta::current()).await?;
    leptos_axum::redirect(&format!("/clinic/forms/{id}"));
    Ok(id)
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

/// Adds a field to the draft (the builder's form), in the section named
/// (made when new), shown only when another field equals a value if one is
/// given.
#[rpc(prefix = "/rpc", endpoint = "intake/forms/add-field")]
pub async fn add_intake_field(
    #[server(default)] id: String,
    #[server(default)] section: String,
    #[server(default)] label: String,
    #[server(default)] kind: String,
    #[server(default)] required: Option<String>,
    #[server(default)] help: String,
    #[server(default)] options: String,
    #[server(default)] when_key: String,
    #[server(default)] when_value: String,
) -> Result<i32, AppError> {
    let form = id_from(&id)?;
    let tx = crate::auth::require(&STAFF).await?;
    let field = super::builder::new_field(
        &label,
        &kind,
        required.is_some(),
        &help,
        &options,
        &when_key,
        &when_value,
    )?;
    let section = section.trim().to_owned();
    service::edit(
        tx,
        form,
        move |d| super::builder::add(d, &section, field),
        &RequestMeta::current(),
    )
    .await
}

#[rpc(prefix = "/rpc", endpoint = "intake/forms/remove-field")]
pub async fn remove_intake_field(
    #[server(default)] id: String,
    #[server(default)] key: String,
) -> Result<i32, AppError> {
    let form = id_from(&id)?;
    let tx = crate::auth::require(&STAFF).await?;
    service::edit(
        tx,
        form,
        move |d| super::builder::remove(d, &key),
        &RequestMeta::current(),
    )
    .await
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

/// The form's page: versions, links sent, submissions, patients.
#[rpc(prefix = "/rpc", endpoint = "intake/forms/page")]
pub async fn get_intake_form_page(id: uuid::Uuid) -> Result<FormPageData, AppError> {
    let tx = crate::auth::require(&STAFF).await?;
    staff::form_page(tx, id).await
}

/// Sends the newest published version to a patient: mailed, or a link to
/// copy.
#[rpc(prefix = "/rpc", endpoint = "intake/forms/send")]
pub async fn send_intake_form(
    #[server(default)] id: String,
    #[server(default)] patient: String,
    #[server(default)] recipient: String,
    #[server(default)] email: String,
) -> Result<SentLink, AppError> {
    let form = id_from(&id)?;
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&STAFF).await?;
    staff::send(
        tx,
        &state.settings.vault,
        &state.settings.public_url,
        form,
        &patient,
        &recipient,
        &email,
        &RequestMeta::current(),
    )
    .await
}

#[rpc(prefix = "/rpc", endpoint = "intake/links/revoke")]
pub async fn revoke_intake_link(#[server(default)] link: String) -> Result<(), AppError> {
    let link = id_from(&link)?;
    let tx = crate::auth::require(&STAFF).await?;
    staff::revoke(tx, link, &RequestMeta::current()).await
}

/// A signed submission, opened (an audited read).
#[rpc(prefix = "/rpc", endpoint = "intake/submissions/get")]
pub async fn get_intake_submission(id: uuid::Uuid) -> Result<SubmissionView, AppError> {
    let state = crate::state::app_state()?;
    let tx = crate::auth::require(&STAFF).await?;
    staff::submission(
        tx,
        &state.settings.vault,
        &state.settings.public_url,
        id,
        &RequestMeta::current(),
    )
    .await
}

#[rpc(prefix = "/rpc", endpoint = "intake/submissions/review")]
pub async fn review_intake_submission(#[server(default)] id: String) -> Result<(), AppError> {
    let id = id_from(&id)?;
    let tx = crate::auth::require(&STAFF).await?;
    staff::mark_reviewed(tx, id, &RequestMeta::current()).await
}

/// A patient's signed forms.
#[rpc(prefix = "/rpc", endpoint = "intake/patient")]
pub async fn get_patient_intake(patient: uuid::Uuid) -> Result<Vec<SubmissionSummary>, AppError> {
    let mut tx = crate::auth::require(&STAFF).await?;
    let list = staff::for_patient(&mut tx, patient).await?;
    tx.commit().await?;
    Ok(list)
}

/// The link's holder opens the form (or their receipt).
#[rpc(prefix = "/rpc", endpoint = "intake/fill/open")]
pub async fn open_intake(#[server(default)] token: String) -> Result<FillView, AppError> {
    let state = crate::state::app_state()?;
    fill::open(
        &state.pool,
        &state.settings.vault,
        &state.settings.public_url,
        &token,
    )
    .await
}

/// Keeps one section's answers and goes on (or back): answers arrive as
/// `answers[key][]`.
#[rpc(prefix = "/rpc", endpoint = "intake/fill/save")]
pub async fn save_intake_step(
    #[server(default)] token: String,
    #[server(default)] step: usize,
    #[server(default)] answers: BTreeMap<String, Vec<String>>,
    #[server(default)] back: Option<String>,
) -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    let next = fill::save_step(
        &state.pool,
        &state.settings.vault,
        &token,
        step,
        &answers,
        back.is_some(),
    )
    .await?;
    leptos_axum::redirect(&format!(
        "/intake?token={}&step={next}",
        fill::token_for_link(&token)
    ));
    Ok(next)
}

/// Signs the form: the typed name (and strokes, if drawn), the consent,
/// and the digest of the answers reviewed.
#[rpc(prefix = "/rpc", endpoint = "intake/fill/sign")]
pub async fn sign_intake(
    #[server(default)] token: String,
    #[server(default)] name: String,
    #[server(default)] strokes: String,
    #[server(default)] consent: Option<String>,
    #[server(default)] reviewed: String,
) -> Result<String, AppError> {
    let state = crate::state::app_state()?;
    let hash = fill::sign(
        &state.pool,
        &state.settings.vault,
        &token,
        &fill::Signing {
            name: &name,
            strokes: &strokes,
            consent: consent.is_some(),
            reviewed: &reviewed,
        },
        &RequestMeta::current(),
    )
    .await?;
    leptos_axum::redirect(&format!("/intake?token={}", fill::token_for_link(&token)));
    Ok(hash)
}

/// `/verify`: whether a document with this hash was signed. Throttled per
/// client address.
#[rpc(prefix = "/rpc", endpoint = "verify/check")]
pub async fn verify_hash(#[server(default)] hash: String) -> Result<VerifyAnswer, AppError> {
    use crate::auth::throttle::{hit_ip, Bucket};
    let state = crate::state::app_state()?;
    hit_ip(
        &state.pool,
        &state.settings.auth.throttles,
        Bucket::VerifyIp,
        RequestMeta::current().ip,
    )
    .await?;
    fill::verify(&state.pool, &state.settings.vault, &hash).await
}
