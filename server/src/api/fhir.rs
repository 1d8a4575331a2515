//! FHIR R4 (4.0.1) under `/api/v1/fhir` for EHRs and integration engines:
//! the CapabilityStatement (public), Patient read, Encounter read and
//! search, ServiceRequest read, search and create. A referral is the
//! ServiceRequest; its patient (initials, birth year, ZIP: the minimum
//! necessary) is the Patient, under the same id; its first home-health
//! visit, once scheduled, is the Encounter (class `HH`), under the same id.
//!
//! Every answer is `application/fhir+json`; errors are OperationOutcome
//! with the matching status (400, 401, 403, 404, 422, 429); searches answer
//! a `searchset` Bundle with `total`, `self` and `next` links, absolute
//! `fullUrl`s and `search.mode`, paged by `_count` (and the `_offset` the
//! `next` link carries). The resources themselves, and the reading of an
//! incoming ServiceRequest, are typed in `referrals::fhir`, with the
//! product area they map. Creating a ServiceRequest is
//! `referrals::service::create`, so it fires `referral.created`.

use super::auth::ApiPrincipal;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use app::auth::Role;
use app::db::TenantTx;
use app::error::{AppError, FieldError};
use app::referrals::{self, ReferralStatus, ReferralView};
use app::state::AppState;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

const FHIR_JSON: &str = "application/fhir+json; fhirVersion=4.0";
use app::referrals::fhir::US_CORE;
/// The largest page a search returns.
const MAX_COUNT: i64 = 100;
/// The furthest a search page may start: far past any real result set,
/// and far from where `_offset + _count` could overflow.
const MAX_OFFSET: i64 = 1_000_000_000;

/// Any FHIR R4 resource, as the OpenAPI document describes an answer:
/// `resourceType` names it and decides its other members
/// (<https://hl7.org/fhir/R4/>). Resources are typed in
/// `app::referrals::fhir`; this type only documents them, so generated
/// clients parse answers into a type.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct FhirResource {
    /// CapabilityStatement, Patient, Encounter, ServiceRequest, Bundle or
    /// OperationOutcome.
    #[schema(rename = "resourceType")]
    resource_type: String,
}

/// A FHIR JSON answer.
fn fhir(status: StatusCode, body: impl Serialize) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(FHIR_JSON));
    response
}

/// The OperationOutcome for an error, with its status.
pub fn outcome(error: &AppError) -> Response {
    outcome_with(error, None)
}

/// [`outcome`], answering with `status` instead of the error's own.
fn outcome_with(error: &AppError, status: Option<StatusCode>) -> Response {
    let (code, own_status) = match error {
        AppError::BadRequest { .. } => ("structure", StatusCode::BAD_REQUEST),
        AppError::Validation { .. } => ("invalid", StatusCode::UNPROCESSABLE_ENTITY),
        AppError::Unauthorized | AppError::InvalidCredentials => {
            ("login", StatusCode::UNAUTHORIZED)
        }
        AppError::Forbidden => ("forbidden", StatusCode::FORBIDDEN),
        AppError::NotFound => ("not-found", StatusCode::NOT_FOUND),
        AppError::Conflict { .. } => ("conflict", StatusCode::CONFLICT),
        AppError::RateLimited { .. } | AppError::AccountLocked { .. } => {
            ("throttled", StatusCode::TOO_MANY_REQUESTS)
        }
        AppError::Unavailable => ("transient", StatusCode::SERVICE_UNAVAILABLE),
        AppError::Internal => ("exception", StatusCode::INTERNAL_SERVER_ERROR),
    };
    let issues: Vec<Value> = match error {
        AppError::Validation { fields } => fields
            .iter()
            .map(|f| {
                json!({
                    "severity": "error",
                    "code": code,
                    "diagnostics": f.message,
                    "expression": [f.field],
                })
            })
            .collect(),
        other => vec![json!({
            "severity": "error",
            "code": code,
            "diagnostics": other.to_string(),
        })],
    };
    let mut response = fhir(
        status.unwrap_or(own_status),
        json!({ "resourceType": "OperationOutcome", "issue": issues }),
    );
    if let Some(secs) = error.retry_after_secs() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// Errors of FHIR handlers answer as OperationOutcome, with the error's
/// own status unless one is given.
pub struct FhirError(AppError, Option<StatusCode>);

impl From<AppError> for FhirError {
    fn from(e: AppError) -> Self {
        Self(e, None)
    }
}

impl From<sqlx::Error> for FhirError {
    fn from(e: sqlx::Error) -> Self {
        Self(e.into(), None)
    }
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        outcome_with(&self.0, self.1)
    }
}

type FhirResult = Result<Response, FhirError>;

/// A request-parts extractor (path, query, caller) whose refusal answers
/// as OperationOutcome.
pub struct FhirParts<E>(pub E);

impl<S: Send + Sync, E: FromRequestParts<S, Rejection = AppError>> FromRequestParts<S>
    for FhirParts<E>
{
    type Rejection = FhirError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        E::from_request_parts(parts, state)
            .await
            .map(Self)
            .map_err(FhirError::from)
    }
}

/// A JSON body whose refusal answers as OperationOutcome.
pub struct FhirBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for FhirBody {
    type Rejection = FhirError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        ApiJson::<Value>::from_request(req, state)
            .await
            .map(|ApiJson(v)| Self(v))
            .map_err(|e| {
                // Well-formed JSON of the wrong shape is still "structure".
                match e {
                    AppError::Validation { fields } => AppError::BadRequest {
                        message: fields
                            .into_iter()
                            .map(|f| f.message)
                            .collect::<Vec<_>>()
                            .join(" "),
                    },
                    other => other,
                }
                .into()
            })
    }
}

/// The keyed FHIR routes (`metadata` is public, in the parent router).
pub fn keyed_router() -> Router<AppState> {
    Router::new()
        .route("/fhir/Patient/{id}", get(read_patient))
        .route("/fhir/Encounter/{id}", get(read_encounter))
        .route("/fhir/Encounter", get(search_encounters))
        .route(
            "/fhir/ServiceRequest",
            get(search_service_requests).post(create_service_request),
        )
        .route("/fhir/ServiceRequest/{id}", get(read_service_request))
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
                        "searchParam": search(&[("patient", "reference"), ("status", "token"), ("_count", "number")])
                    },
                    {
                        "type": "ServiceRequest",
                        "profile": format!("{US_CORE}/us-core-servicerequest"),
                        "interaction": [{ "code": "read" }, { "code": "search-type" }, { "code": "create" }],
                        "searchParam": search(&[("patient", "reference"), ("status", "token"), ("_count", "number")])
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
async fn load(state: &AppState, caller: ApiPrincipal, id: Uuid) -> Result<ReferralView, FhirError> {
    let meta = caller.meta.clone();
    let tx = tx(state, caller).await?;
    Ok(referrals::service::view(tx, id, &meta).await?)
}

/// Read a Patient.
#[utoipa::path(
    get, path = "/fhir/Patient/{id}", tag = "FHIR R4",
    params(("id" = Uuid, Path, description = "The resource id")),
    responses(
        (status = 200, description = "A Patient (US Core profile): initials, birth year, ZIP", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 404, description = "OperationOutcome: no such resource for this key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn read_patient(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiPath(id)): FhirParts<ApiPath<Uuid>>,
) -> FhirResult {
    let r = load(&state, caller, id).await?;
    Ok(fhir(StatusCode::OK, referrals::fhir::patient(&r)))
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
    FhirParts(ApiPath(id)): FhirParts<ApiPath<Uuid>>,
) -> FhirResult {
    let r = load(&state, caller, id).await?;
    Ok(fhir(
        StatusCode::OK,
        referrals::fhir::service_request(&r, &base(&state)),
    ))
}

/// Read an Encounter.
#[utoipa::path(
    get, path = "/fhir/Encounter/{id}", tag = "FHIR R4",
    params(("id" = Uuid, Path, description = "The resource id")),
    responses(
        (status = 200, description = "An Encounter (class HH): the first home visit, once scheduled", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 404, description = "OperationOutcome: no such resource for this key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn read_encounter(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiPath(id)): FhirParts<ApiPath<Uuid>>,
) -> FhirResult {
    let r = load(&state, caller, id).await?;
    let e = referrals::fhir::encounter(&r).ok_or(AppError::NotFound)?;
    Ok(fhir(StatusCode::OK, e))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A Patient id (or `Patient/<id>`).
    patient: Option<String>,
    /// ServiceRequest: active, completed, revoked. Encounter: planned, finished.
    status: Option<String>,
    /// Page size, 0 to 100 (default 20).
    #[serde(rename = "_count")]
    #[param(rename = "_count")]
    count: Option<String>,
    /// Where the page starts (the `next` link carries it).
    #[serde(rename = "_offset")]
    #[param(rename = "_offset")]
    offset: Option<String>,
}

struct Paging {
    count: i64,
    offset: i64,
    patient: Option<Uuid>,
    status: Option<String>,
}

/// The search's paging and filters; a malformed parameter fails the
/// search with 400, as FHIR servers answer (422 is for a resource that
/// breaks the rules).
fn paging(q: SearchQuery, statuses: &[&str]) -> Result<Paging, FhirError> {
    let mut fields = Vec::new();
    let count = match q.count.as_deref() {
        None => 20,
        Some(raw) => match raw.parse::<i64>() {
            Ok(n) if (0..=MAX_COUNT).contains(&n) => n,
            _ => {
                fields.push(FieldError::new(
                    "_count",
                    format!("_count must be 0 to {MAX_COUNT}."),
                ));
                0
            }
        },
    };
    let offset = match q.offset.as_deref() {
        None => 0,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|o| (0..=MAX_OFFSET).contains(o))
            .unwrap_or_else(|| {
                fields.push(FieldError::new(
                    "_offset",
                    format!("_offset must be a whole number from 0 to {MAX_OFFSET}."),
                ));
                0
            }),
    };
    let patient = match q.patient.as_deref() {
        None => None,
        Some(raw) => {
            let id = raw.trim_start_matches("Patient/");
            match Uuid::parse_str(id) {
                Ok(id) => Some(id),
                Err(_) => {
                    fields.push(FieldError::new("patient", "patient must be a Patient id."));
                    None
                }
            }
        }
    };
    let status = q.status.map(|s| s.trim().to_owned());
    if let Some(s) = &status {
        if !statuses.contains(&s.as_str()) {
            fields.push(FieldError::new(
                "status",
                format!("status must be one of {}.", statuses.join(", ")),
            ));
        }
    }
    if fields.is_empty() {
        Ok(Paging {
            count,
            offset,
            patient,
            status,
        })
    } else {
        Err(FhirError(fields.into(), Some(StatusCode::BAD_REQUEST)))
    }
}

/// A `searchset` Bundle of `resources` (each with its id), all of `kind`.
fn bundle<R: Serialize>(
    state: &AppState,
    kind: &str,
    query: &str,
    p: &Paging,
    total: i64,
    resources: Vec<(Uuid, R)>,
) -> Value {
    let base = base(state);
    let link = |offset: i64| {
        let mut q = format!("_count={}&_offset={offset}", p.count);
        if !query.is_empty() {
            q = format!("{query}&{q}");
        }
        format!("{base}/{kind}?{q}")
    };
    let mut links = vec![json!({ "relation": "self", "url": link(p.offset) })];
    // Both are bounded (MAX_OFFSET, MAX_COUNT), so this cannot overflow.
    let next = p.offset.saturating_add(p.count);
    if p.count > 0 && next < total {
        links.push(json!({ "relation": "next", "url": link(next) }));
    }
    json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": links,
        "entry": resources.into_iter().map(|(id, r)| {
            json!({ "fullUrl": format!("{base}/{kind}/{id}"), "resource": r, "search": { "mode": "match" } })
        }).collect::<Vec<_>>()
    })
}

fn query_string(p: &Paging) -> String {
    let mut parts = Vec::new();
    if let Some(id) = p.patient {
        parts.push(format!("patient={id}"));
    }
    if let Some(s) = &p.status {
        parts.push(format!("status={s}"));
    }
    parts.join("&")
}

/// A search page through the audited domain search: a fixed number of
/// queries whatever `_count`, one audit event naming the ids returned.
async fn search(
    state: &AppState,
    caller: ApiPrincipal,
    p: &Paging,
    statuses: Vec<ReferralStatus>,
) -> Result<(i64, Vec<ReferralView>), FhirError> {
    let meta = caller.meta.clone();
    let tx = tx(state, caller).await?;
    let q = referrals::service::Search {
        statuses,
        id: p.patient,
        offset: p.offset,
        count: p.count,
    };
    Ok(referrals::service::search(tx, &q, &meta).await?)
}

/// Search ServiceRequests: a `searchset` Bundle, paged by `_count`.
#[utoipa::path(
    get, path = "/fhir/ServiceRequest", tag = "FHIR R4",
    params(SearchQuery),
    responses(
        (status = 200, description = "Bundle (searchset) with total, self and next links", body = FhirResource, content_type = "application/fhir+json"),
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
    let (total, views) = search(&state, caller, &p, statuses).await?;
    let base = base(&state);
    let resources = views
        .iter()
        .map(|v| (v.id, referrals::fhir::service_request(v, &base)))
        .collect();
    Ok(fhir(
        StatusCode::OK,
        bundle(
            &state,
            "ServiceRequest",
            &query_string(&p),
            &p,
            total,
            resources,
        ),
    ))
}

/// Search Encounters: a `searchset` Bundle, paged by `_count`.
#[utoipa::path(
    get, path = "/fhir/Encounter", tag = "FHIR R4",
    params(SearchQuery),
    responses(
        (status = 200, description = "Bundle (searchset) with total, self and next links", body = FhirResource, content_type = "application/fhir+json"),
        (status = 400, description = "OperationOutcome: a search parameter is malformed", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn search_encounters(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiQuery(q)): FhirParts<ApiQuery<SearchQuery>>,
) -> FhirResult {
    let p = paging(q, &referrals::fhir::ENCOUNTER_STATUSES)?;
    let statuses = referrals::fhir::statuses_of_encounters(p.status.as_deref());
    let (total, views) = search(&state, caller, &p, statuses).await?;
    let resources = views
        .iter()
        .filter_map(|v| Some((v.id, referrals::fhir::encounter(v)?)))
        .collect();
    Ok(fhir(
        StatusCode::OK,
        bundle(&state, "Encounter", &query_string(&p), &p, total, resources),
    ))
}

/// Create a discharge referral from a FHIR R4 ServiceRequest; fires `referral.created`.
#[utoipa::path(
    post, path = "/fhir/ServiceRequest", tag = "FHIR R4",
    request_body(content = serde_json::Value, content_type = "application/fhir+json", description = "A ServiceRequest. The patient is a contained Patient the subject points at: name (only initials are kept), birthDate (only the year is kept) and address[0].postalCode (required: it routes the referral). reasonCode carries the ICD-10-CM code; code.coding[0].code the care type (skilled_nursing, physical_therapy, occupational_therapy, speech_therapy, home_health_aide, medical_social_work; default skilled_nursing); priority routine, urgent or asap; occurrenceDateTime the requested start; note free text; performer an Organization/{id} to send to one clinic.",
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
    let view = referrals::service::create(tx, referral, &meta)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_operation_outcomes_with_their_status() {
        for (error, status) in [
            (
                AppError::BadRequest {
                    message: "x".into(),
                },
                400,
            ),
            (AppError::Unauthorized, 401),
            (AppError::NotFound, 404),
            (AppError::invalid("zip", "bad"), 422),
            (
                AppError::RateLimited {
                    retry_after_secs: 3,
                },
                429,
            ),
        ] {
            let r = outcome(&error);
            assert_eq!(r.status().as_u16(), status);
            assert!(r.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/fhir+json"));
        }
    }
}
