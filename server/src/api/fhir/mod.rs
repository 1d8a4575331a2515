//! FHIR R4 (4.0.1) under `/api/v1/fhir` for EHRs and integration engines:
//! the CapabilityStatement (public), Patient read, Encounter and
//! Observation read and search, ServiceRequest read, search and create. A
//! referral is the ServiceRequest; for the referring side its patient
//! (initials, birth year, ZIP: the minimum necessary) is a Patient under the
//! referral's id. For the clinic, the Patient is its real patient, each
//! visit an Encounter (class `HH`) and each vital sign of a signed visit
//! log an Observation ([`care`]); each published intake form version a
//! Questionnaire and each signed intake form a QuestionnaireResponse
//! ([`intake`]).
//!
//! Every answer is `application/fhir+json`; errors are OperationOutcome
//! with the matching status (400, 401, 403, 404, 422, 429); searches answer
//! a `searchset` Bundle with `total`, `self` and `next` links, absolute
//! `fullUrl`s and `search.mode`, paged by `_count` (and the `_offset` the
//! `next` link carries). A ServiceRequest search gives `total` up to
//! [`COUNT_UP_TO`] matches unless asked for `_total=accurate` ([`search`]
//! says why). The resources themselves, and the reading of an
//! incoming ServiceRequest, are typed in `referrals::fhir`, with the
//! product area they map. Creating a ServiceRequest is
//! `referrals::service::create`, so it fires `referral.created`.
//!
//! This module owns the routes and their handlers; [`outcome`] how an
//! answer or an error is written (`application/fhir+json`,
//! OperationOutcome) and the extractors whose refusals answer that way,
//! [`search`] the search parameters, paging and `searchset` Bundles.

pub mod care;
pub mod intake;
mod search;

pub use super::outcome::{outcome, FhirBody, FhirError, FhirParts};
use care::{
    read_encounter, read_observation, read_patient, search_encounters, search_observations,
};
pub use search::{SearchQuery, COUNT_UP_TO};

use super::outcome::{fhir, FhirResult};
use crate::api::auth::ApiPrincipal;
use crate::api::extract::{ApiPath, ApiQuery};
use app::auth::Role;
use app::db::TenantTx;
use app::error::AppError;
use app::identity::ReferralId;
use app::referrals::fhir::US_CORE;
use app::referrals::{self, ReferralView};
use app::state::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use search::{bundle_page, paging, query_string, search};
use serde_json::json;

/// Any FHIR R4 resource, as the OpenAPI document describes an answer:
/// `resourceType` names it and decides its other members
/// (<https://hl7.org/fhir/R4/>). Resources are typed in
/// `app::referrals::fhir`; this type only documents them, so generated
/// clients parse answers into a type.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FhirResource {
    /// CapabilityStatement, Patient, Encounter, Observation,
    /// Questionnaire, QuestionnaireResponse, ServiceRequest, Bundle or
    /// OperationOutcome.
    #[schema(rename = "resourceType")]
    resource_type: String,
}

/// The keyed FHIR routes (`metadata` is public, in the parent router).
pub fn keyed_router() -> Router<AppState> {
    Router::new()
        .route("/fhir/Patient/{id}", get(read_patient))
        .route("/fhir/Encounter/{id}", get(read_encounter))
        .route("/fhir/Encounter", get(search_encounters))
        .route("/fhir/Observation/{id}", get(read_observation))
        .route("/fhir/Observation", get(search_observations))
        .route(
            "/fhir/ServiceRequest",
            get(search_service_requests).post(create_service_request),
        )
        .route("/fhir/ServiceRequest/{id}", get(read_service_request))
        .route(
            "/fhir/Questionnaire/{id}",
            get(intake::read_questionnaire_resource),
        )
        .route(
            "/fhir/QuestionnaireResponse",
            get(intake::search_questionnaire_responses),
        )
        .route(
            "/fhir/QuestionnaireResponse/{id}",
            get(intake::read_questionnaire_response),
        )
}

fn base(state: &AppState) -> String {
    format!("{}/api/v1/fhir", state.settings.public_url)
}

/// `GET /fhir/metadata`: what this server supports, exactly.
#[utoipa::path(
    get, path = "/fhir/metadata", tag = "FHIR R4",
    responses(
        (status = 200, description = "CapabilityStatement (FHIR 4.0.1); public", body = FhirResource, content_type = "application/fhir+json"),
    )
)]
pub async fn metadata(State(state): State<AppState>) -> Response {
    let search = |names: &[(&str, &str)]| {
        names
            .iter()
            .map(|(name, kind)| json!({ "name": name, "type": kind }))
            .collect::<Vec<_>>()
    };
    fhir(
        StatusCode::OK,
        json!({
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-11-28",
            "publisher": "Carethread",
            "kind": "instance",
            "implementation": { "description": "Carethread FHIR R4", "url": base(&state) },
            "software": { "name": "Carethread", "version": env!("CARGO_PKG_VERSION") },
            "fhirVersion": "4.0.1",
            "format": ["application/fhir+json", "json"],
            "rest": [{
                "mode": "server",
                "security": {
                    "description": "Authorization: Bearer <API key> (or X-API-Key). Keys come from the developer page."
                },
                "resource": [
                    {
                        "type": "Patient",
                        "profile": format!("{US_CORE}/us-core-patient"),
                        "interaction": [{ "code": "read" }]
                    },
                    {
                        "type": "Encounter",
                        "profile": format!("{US_CORE}/us-core-encounter"),
                        "interaction": [{ "code": "read" }, { "code": "search-type" }],
                        "searchParam": search(&[("patient", "reference"), ("status", "token"), ("date", "date"), ("_count", "number")])
                    },
                    {
                        "type": "Observation",
                        "interaction": [{ "code": "read" }, { "code": "search-type" }],
                        "searchParam": search(&[("patient", "reference"), ("encounter", "reference"), ("_count", "number")])
                    },
                    {
                        "type": "Questionnaire",
                        "interaction": [{ "code": "read" }]
                    },
                    {
                        "type": "QuestionnaireResponse",
                        "interaction": [{ "code": "read" }, { "code": "search-type" }],
                        "searchParam": search(&[("patient", "reference"), ("questionnaire", "reference"), ("_count", "number")])
                    },
                    {
                        "type": "ServiceRequest",
                        "profile": format!("{US_CORE}/us-core-servicerequest"),
                        "interaction": [{ "code": "read" }, { "code": "search-type" }, { "code": "create" }],
                        "searchParam": search(&[("patient", "reference"), ("status", "token"), ("_count", "number"), ("_total", "token")])
                    }
                ]
            }]
        }),
    )
}

async fn tx(state: &AppState, caller: ApiPrincipal) -> Result<TenantTx, AppError> {
    if !caller
        .principal
        .has_role(&[Role::Referrer, Role::ClinicStaff])
    {
        return Err(AppError::Forbidden);
    }
    Ok(TenantTx::begin_for(&state.pool, caller.principal).await?)
}

/// One referral through the audited domain read.
async fn load(
    state: &AppState,
    caller: ApiPrincipal,
    id: ReferralId,
) -> Result<ReferralView, FhirError> {
    let meta = caller.meta.clone();
    let tx = tx(state, caller).await?;
    Ok(referrals::service::view(tx, id, &meta).await?)
}

/// Read a ServiceRequest.
#[utoipa::path(
    get, path = "/fhir/ServiceRequest/{id}", tag = "FHIR R4",
    params(("id" = Uuid, Path, description = "The resource id")),
    responses(
        (status = 200, description = "A ServiceRequest: the referral", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 404, description = "OperationOutcome: no such resource for this key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn read_service_request(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiPath(id)): FhirParts<ApiPath<ReferralId>>,
) -> FhirResult {
    let r = load(&state, caller, id).await?;
    Ok(fhir(
        StatusCode::OK,
        referrals::fhir::service_request(&r, &base(&state)),
    ))
}

/// Search ServiceRequests: a `searchset` Bundle, paged by `_count`.
#[utoipa::path(
    get, path = "/fhir/ServiceRequest", tag = "FHIR R4",
    params(SearchQuery),
    responses(
        (status = 200, description = "Bundle (searchset) with self and next links, and total when there are at most 1,000 matches (always with _total=accurate; with _total=none only on the last page)", body = FhirResource, content_type = "application/fhir+json"),
        (status = 400, description = "OperationOutcome: a search parameter is malformed", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn search_service_requests(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiQuery(q)): FhirParts<ApiQuery<SearchQuery>>,
) -> FhirResult {
    let p = paging(q, &referrals::fhir::REQUEST_STATUSES)?;
    let statuses = referrals::fhir::statuses_of_requests(p.status.as_deref());
    let found = search(&state, caller, &p, statuses).await?;
    let base = base(&state);
    let resources = found
        .views
        .iter()
        .map(|v| (v.id.to_string(), referrals::fhir::service_request(v, &base)))
        .collect();
    Ok(fhir(
        StatusCode::OK,
        bundle_page(
            &state,
            "ServiceRequest",
            &query_string(&p),
            &p.page(),
            (found.total, found.more),
            resources,
        ),
    ))
}

/// Create a discharge referral from a FHIR R4 ServiceRequest; fires `referral.created`.
#[utoipa::path(
    post, path = "/fhir/ServiceRequest", tag = "FHIR R4",
    request_body(content = serde_json::Value, content_type = "application/fhir+json", description = "A ServiceRequest. The patient is a contained Patient the subject points at: name, birthDate and address[0].postalCode (required: it routes the referral); the referral itself keeps only the initials and the birth year. When the Patient also carries address[0].line, telecom or contact, it is the patient packet: name, full birthDate, address line, phone, contact[0] (emergency contact: name, telecom) and a contained Coverage (type: medicare, medicaid, commercial or private_pay; subscriberId: the member id), checked like the form's, sealed, and released only to the clinic that accepts. reasonCode carries the ICD-10-CM code; code.coding[0].code the care type (skilled_nursing, physical_therapy, occupational_therapy, speech_therapy, home_health_aide, medical_social_work; default skilled_nursing); priority routine, urgent or asap; occurrenceDateTime the requested start; note free text; performer an Organization/{id} to send to one clinic.",
        example = json!({"resourceType": "ServiceRequest", "status": "active", "intent": "order",
            "subject": {"reference": "#p1"},
            "contained": [{"resourceType": "Patient", "id": "p1", "name": [{"given": ["Jane"], "family": "Doe"}], "birthDate": "1948-03-02", "address": [{"postalCode": "43215"}]}],
            "priority": "urgent",
            "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.9"}]}],
            "note": [{"text": "Needs daily weights and diuretic titration."}]})),
    responses(
        (status = 201, description = "The created ServiceRequest, with Location", body = FhirResource, content_type = "application/fhir+json",
            links(("read" = (operation_id = "read_service_request", parameters(("id" = "$response.body#/id")), description = "Read the created request")))),
        (status = 400, description = "OperationOutcome: not a ServiceRequest", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 422, description = "OperationOutcome: a field is wrong; nothing was saved", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn create_service_request(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirBody(body): FhirBody,
) -> FhirResult {
    let request = referrals::fhir::read_service_request(body)?;
    if !caller.principal.has_role(&[Role::Referrer]) {
        return Err(AppError::Forbidden.into());
    }
    let meta = caller.meta.clone();
    let mut tx = tx(&state, caller).await?;
    let today = time::OffsetDateTime::now_utc().date();
    let referral = referrals::fhir::new_referral(&mut tx, &request, today).await?;
    let view = referrals::service::create(tx, &state.settings.vault, referral, &meta)
        .await
        .map_err(referrals::fhir::at_fhir_paths)?;
    let mut response = fhir(
        StatusCode::CREATED,
        referrals::fhir::service_request(&view, &base(&state)),
    );
    if let Ok(location) =
        HeaderValue::from_str(&format!("{}/ServiceRequest/{}", base(&state), view.id))
    {
        response.headers_mut().insert(header::LOCATION, location);
    }
    Ok(response)
}
