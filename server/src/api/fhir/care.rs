//! The clinic's care over FHIR: `Patient` (the clinic's real patient; for
//! the referring side, its referral's minimum under the referral's id),
//! `Encounter` (a visit) and `Observation` (a vital sign of a signed visit
//! log), read and searched. Each handler parses its parameters (a
//! malformed one answers 400) and calls one audited operation in `app`.

use super::search::{bundle, Page};
use super::{load, tx, FhirError, FhirParts, FhirResource};
use crate::api::auth::ApiPrincipal;
use crate::api::extract::{ApiPath, ApiQuery};
use crate::api::outcome::{fhir, FhirResult};
use app::error::{AppError, FieldError};
use app::identity::{PatientId, ReferralId, VisitId};
use app::state::AppState;
use app::visits::fhir as care;
use app::visits::service::{fhir_search, FhirQuery, FhirVisits};
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use uuid::Uuid;

/// The largest page a search returns.
const MAX_COUNT: i64 = 100;
const MAX_OFFSET: i64 = 1_000_000_000;

/// Search parameters of Encounter and Observation.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CareQuery {
    /// A Patient id (or `Patient/<id>`).
    patient: Option<String>,
    /// Encounter: planned, in-progress, finished, cancelled.
    status: Option<String>,
    /// Encounter: visits on this day (YYYY-MM-DD, UTC).
    date: Option<String>,
    /// Observation: an Encounter id (or `Encounter/<id>`).
    encounter: Option<String>,
    /// Page size, 0 to 100 (default 20).
    #[serde(rename = "_count")]
    #[param(rename = "_count")]
    count: Option<String>,
    /// Where the page starts (the `next` link carries it).
    #[serde(rename = "_offset")]
    #[param(rename = "_offset")]
    offset: Option<String>,
}

/// The parsed query, and the query string that repeats it in links.
struct Parsed {
    q: FhirQuery,
    page: Page,
    echo: String,
}

fn parse(raw: CareQuery, encounter_search: bool) -> Result<Parsed, FhirError> {
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
    let mut id_of = |raw: Option<&str>, prefix: &str, name: &str| -> Option<Uuid> {
        let raw = raw?;
        match raw.trim_start_matches(prefix).parse::<Uuid>() {
            Ok(id) => {
                echo.push(format!("{name}={id}"));
                Some(id)
            }
            Err(_) => {
                fields.push(FieldError::new(
                    name,
                    format!("{name} must be a {} id.", prefix.trim_end_matches('/')),
                ));
                None
            }
        }
    };
    let patient = id_of(raw.patient.as_deref(), "Patient/", "patient").map(PatientId::from);
    let visit = id_of(raw.encounter.as_deref(), "Encounter/", "encounter").map(VisitId::from);
    let mut statuses = None;
    if let Some(s) = raw.status.as_deref().map(str::trim) {
        if encounter_search && care::ENCOUNTER_STATUSES.contains(&s) {
            statuses = Some(care::statuses_of(s));
            echo.push(format!("status={s}"));
        } else {
            fields.push(FieldError::new(
                "status",
                format!(
                    "status must be one of {}.",
                    care::ENCOUNTER_STATUSES.join(", ")
                ),
            ));
        }
    }
    let date = match raw.date.as_deref() {
        None => None,
        Some(d) => match time::Date::parse(
            d.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        ) {
            Ok(d) => {
                echo.push(format!("date={d}"));
                Some(d)
            }
            Err(_) => {
                fields.push(FieldError::new("date", "date must be a day, YYYY-MM-DD."));
                None
            }
        },
    };
    if !encounter_search && patient.is_none() && visit.is_none() && fields.is_empty() {
        fields.push(FieldError::new(
            "patient",
            "Search Observations by patient or encounter.",
        ));
    }
    if !fields.is_empty() {
        return Err(FhirError(fields.into(), Some(StatusCode::BAD_REQUEST)));
    }
    Ok(Parsed {
        q: FhirQuery {
            patient,
            visit,
            statuses,
            date,
            offset,
            count,
            logs: !encounter_search,
        },
        page: Page { count, offset },
        echo: echo.join("&"),
    })
}

async fn visits(
    state: &AppState,
    caller: ApiPrincipal,
    q: FhirQuery,
) -> Result<FhirVisits, FhirError> {
    let meta = caller.meta.clone();
    let tx = tx(state, caller).await?;
    Ok(fhir_search(tx, &state.settings.vault, q, &meta).await?)
}

/// Read a Patient.
#[utoipa::path(
    get, path = "/fhir/Patient/{id}", tag = "FHIR R4",
    params(("id" = Uuid, Path, description = "The resource id")),
    responses(
        (status = 200, description = "A Patient (US Core). For the clinic: its patient (name, birth date, address, phone from the packet). For the referring side: its referral's patient, minimum necessary (initials, birth year, ZIP), under the referral's id", body = FhirResource, content_type = "application/fhir+json"),
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
    let meta = caller.meta.clone();
    let own = tx(&state, caller.clone()).await?;
    let patient = app::patients::service::fhir_patient(
        own,
        &state.settings.vault,
        PatientId::from(id),
        &meta,
    )
    .await?;
    if let Some(p) = patient {
        return Ok(fhir(StatusCode::OK, p));
    }
    let r = load(&state, caller, ReferralId::from(id)).await?;
    Ok(fhir(StatusCode::OK, app::referrals::fhir::patient(&r)))
}

/// Read an Encounter.
#[utoipa::path(
    get, path = "/fhir/Encounter/{id}", tag = "FHIR R4",
    params(("id" = Uuid, Path, description = "The resource id")),
    responses(
        (status = 200, description = "An Encounter (US Core, class HH): a home visit, with its period, clinician and status", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 404, description = "OperationOutcome: no such resource for this key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn read_encounter(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiPath(id)): FhirParts<ApiPath<VisitId>>,
) -> FhirResult {
    let q = FhirQuery {
        visit: Some(id),
        count: 1,
        ..FhirQuery::default()
    };
    let found = visits(&state, caller, q).await?;
    let (v, _) = found.visits.first().ok_or(AppError::NotFound)?;
    Ok(fhir(StatusCode::OK, care::encounter(v, &found.clinic)))
}

/// Search Encounters: a `searchset` Bundle, paged by `_count`.
#[utoipa::path(
    get, path = "/fhir/Encounter", tag = "FHIR R4",
    params(CareQuery),
    responses(
        (status = 200, description = "Bundle (searchset) of the clinic's visits, with total, self and next links", body = FhirResource, content_type = "application/fhir+json"),
        (status = 400, description = "OperationOutcome: a search parameter is malformed", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn search_encounters(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiQuery(raw)): FhirParts<ApiQuery<CareQuery>>,
) -> FhirResult {
    let p = parse(raw, true)?;
    let found = visits(&state, caller, p.q).await?;
    let resources = found
        .visits
        .iter()
        .map(|(v, _)| (v.id.to_string(), care::encounter(v, &found.clinic)))
        .collect();
    Ok(fhir(
        StatusCode::OK,
        bundle(
            &state,
            "Encounter",
            &p.echo,
            &p.page,
            found.total,
            resources,
        ),
    ))
}

/// Read an Observation.
#[utoipa::path(
    get, path = "/fhir/Observation/{id}", tag = "FHIR R4",
    params(("id" = String, Path, description = "The resource id: the visit's id, a hyphen, the LOINC code")),
    responses(
        (status = 200, description = "An Observation (vital signs, LOINC-coded) from a signed visit log", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 404, description = "OperationOutcome: no such resource for this key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn read_observation(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiPath(id)): FhirParts<ApiPath<String>>,
) -> FhirResult {
    let (visit, _) = care::parse_observation_id(&id).ok_or(AppError::NotFound)?;
    let q = FhirQuery {
        visit: Some(visit),
        count: 1,
        logs: true,
        ..FhirQuery::default()
    };
    let found = visits(&state, caller, q).await?;
    let observation = found
        .visits
        .iter()
        .filter_map(|(v, log)| Some(care::observations(v, log.as_ref()?)))
        .flatten()
        .find(|o| o.id == id)
        .ok_or(AppError::NotFound)?;
    Ok(fhir(StatusCode::OK, observation))
}

/// Search Observations by patient or encounter: a `searchset` Bundle.
#[utoipa::path(
    get, path = "/fhir/Observation", tag = "FHIR R4",
    params(CareQuery),
    responses(
        (status = 200, description = "Bundle (searchset) of vital signs from signed visit logs, with total, self and next links", body = FhirResource, content_type = "application/fhir+json"),
        (status = 400, description = "OperationOutcome: a search parameter is malformed, or neither patient nor encounter is given", body = FhirResource, content_type = "application/fhir+json"),
        (status = 401, description = "OperationOutcome: no valid API key", body = FhirResource, content_type = "application/fhir+json"),
        (status = 429, description = "OperationOutcome: rate limit exhausted; see Retry-After", body = FhirResource, content_type = "application/fhir+json"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn search_observations(
    State(state): State<AppState>,
    FhirParts(caller): FhirParts<ApiPrincipal>,
    FhirParts(ApiQuery(raw)): FhirParts<ApiQuery<CareQuery>>,
) -> FhirResult {
    let p = parse(raw, false)?;
    // A patient's or a visit's logs are few: all are read, then paged.
    let q = FhirQuery {
        offset: 0,
        count: 500,
        statuses: Some(vec![app::visits::VisitStatus::Completed]),
        ..p.q
    };
    let found = visits(&state, caller, q).await?;
    let all: Vec<_> = found
        .visits
        .iter()
        .filter_map(|(v, log)| Some(care::observations(v, log.as_ref()?)))
        .flatten()
        .collect();
    let total = all.len() as i64;
    let resources = all
        .into_iter()
        .skip(usize::try_from(p.page.offset).unwrap_or(usize::MAX))
        .take(usize::try_from(p.page.count).unwrap_or(0))
        .map(|o| (o.id.clone(), o))
        .collect();
    Ok(fhir(
        StatusCode::OK,
        bundle(&state, "Observation", &p.echo, &p.page, total, resources),
    ))
}
