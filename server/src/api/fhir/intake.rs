//! Intake over FHIR: each published form version as a `Questionnaire`
//! (read) and each signed submission as a `QuestionnaireResponse` (read,
//! and search by patient and questionnaire). Each handler parses its
//! parameters (a malformed one answers 400) and calls one operation in
//! `app::intake::fhir`, which audits every response read.

use super::search::{bundle, Page};
use super::{base, tx, FhirError, FhirParts, FhirResource};
use crate::api::auth::ApiPrincipal;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::api::outcome::{fhir, FhirResult};
use app::error::{AppError, FieldError};
use app::intake::fhir::{
    parse_questionnaire_id, read_questionnaire, search_responses, ResponseQuery,
};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use uuid::Uuid;

/// The largest page a search returns.
const MAX_COUNT: i64 = 100;
const MAX_OFFSET: i64 = 1_000_000_000;

/// Search parameters of QuestionnaireResponse.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResponseSearch {
    /// A Patient id (or `Patient/<id>`).
    patient: Option<String>,
    /// A Questionnaire id (`<form>-<version>`, or `Questionnaire/<id>`, or its URL).
    questionnaire: Option<String>,
    /// Page size, 0 to 100 (default 20).
    #[serde(rename = "_count")]
    #[param(rename = "_count")]
    count: Option<String>,
    /// Where the page starts (the `next` link carries it).
    #[serde(rename = "_offset")]
    #[param(rename = "_offset")]
    offset: Option<String>,
}

#[utoipa::path(
    get, path = "/fhir/Questionnaire/{id}", tag = "FHIR R4",
    params(("id" = String, Path, description = "The form's id, a hyphen, the version")),
    responses(
        (status = 200, description = "A Questionnaire: a published intake form version, its definition's SHA-256 as an identifier", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 403, description = "OperationOutcome: a key of a referring organization (intake is the clinic's)", body = FhirResource, content_type = "application/fhir+json"),
        (status = 404, description = "OperationOutcome: no such resource for this key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn read_questionnaire_resource(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiPath(id)): FhirParts<ApiPath<String>>,
) -> FhirResult {
    let (form, version) = parse_questionnaire_id(&id).ok_or(AppError::NotFound)?;
    let tx = tx(&state, caller).await?;
    let q = read_questionnaire(tx, form, version, &base(&state)).await?;
    Ok(fhir(StatusCode::OK, q))
}

async fn responses(
    state: &AppState,
    caller: ApiPrincipal,
    q: &ResponseQuery,
) -> Result<(i64, Vec<(String, serde_json::Value)>), FhirError> {
    let meta = caller.meta.clone();
    let tx = tx(state, caller).await?;
    Ok(search_responses(tx, &state.settings.vault, &base(state), q, &meta).await?)
}

#[utoipa::path(
    get, path = "/fhir/QuestionnaireResponse/{id}", tag = "FHIR R4",
    params(("id" = Uuid, Path, description = "The resource id")),
    responses(
        (status = 200, description = "A QuestionnaireResponse: a signed intake form, its document's SHA-256 as the identifier (the read is audited)", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 403, description = "OperationOutcome: a key of a referring organization (intake is the clinic's)", body = FhirResource, content_type = "application/fhir+json"),
        (status = 404, description = "OperationOutcome: no such resource for this key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn read_questionnaire_response(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiPath(id)): FhirParts<ApiPath<Uuid>>,
) -> FhirResult {
    let q = ResponseQuery {
        id: Some(id),
        count: 1,
        ..ResponseQuery::default()
    };
    let (_, found) = responses(&state, caller, &q).await?;
    let (_, resource) = found.into_iter().next().ok_or(AppError::NotFound)?;
    Ok(fhir(StatusCode::OK, resource))
}

#[utoipa::path(
    get, path = "/fhir/QuestionnaireResponse", tag = "FHIR R4",
    params(ResponseSearch),
    responses(
        (status = 200, description = "Bundle (searchset) of signed intake forms, with total, self and next links (each read is audited)", body = FhirResource, content_type = "application/fhir+json"),
        (status = 400, description = "OperationOutcome: a search parameter is malformed", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 403, description = "OperationOutcome: a key of a referring organization (intake is the clinic's)", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn search_questionnaire_responses(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiQuery(raw)): FhirParts<ApiQuery<ResponseSearch>>,
) -> FhirResult {
    let mut fields = Vec::new();
    let mut echo = Vec::new();
    let number =
        |raw: Option<&str>, default: i64, max: i64, name: &str, fields: &mut Vec<FieldError>| {
            match raw {
                None => default,
                Some(raw) => raw
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (0..=max).contains(n))
                    .unwrap_or_else(|| {
                        fields.push(FieldError::new(
                            name,
                            format!("{name} must be a whole number from 0 to {max}."),
                        ));
                        0
                    }),
            }
        };
    let count = number(raw.count.as_deref(), 20, MAX_COUNT, "_count", &mut fields);
    let offset = number(raw.offset.as_deref(), 0, MAX_OFFSET, "_offset", &mut fields);
    let patient = match raw.patient.as_deref() {
        None => None,
        Some(p) => match p.trim().trim_start_matches("Patient/").parse::<Uuid>() {
            Ok(id) => {
                echo.push(format!("patient={id}"));
                Some(id)
            }
            Err(_) => {
                fields.push(FieldError::new("patient", "patient must be a Patient id."));
                None
            }
        },
    };
    let questionnaire = match raw.questionnaire.as_deref() {
        None => None,
        Some(q) => match parse_questionnaire_id(q) {
            Some((form, version)) => {
                echo.push(format!("questionnaire={form}-{version}"));
                Some((form, version))
            }
            None => {
                fields.push(FieldError::new(
                    "questionnaire",
                    "questionnaire must be a Questionnaire id (<form>-<version>).",
                ));
                None
            }
        },
    };
    if !fields.is_empty() {
        return Err(FhirError(fields.into(), Some(StatusCode::BAD_REQUEST)));
    }
    let q = ResponseQuery {
        id: None,
        patient,
        questionnaire,
        count,
        offset,
    };
    let (total, resources) = responses(&state, caller, &q).await?;
    Ok(fhir(
        StatusCode::OK,
        bundle(
            &state,
            "QuestionnaireResponse",
            &echo.join("&"),
            &Page { count, offset },
            total,
            resources,
        ),
    ))
}
