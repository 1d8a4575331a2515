//! The native REST endpoints: clinician search, discharge referrals (create
//! and read back), ZIP lookup. Each answers `{"data": …, "rate": …}`; errors
//! are `{"error": {"code", "message", "fields"}}` with a 4xx status for any
//! bad input. What a client may send (care-type aliases, diagnoses in
//! words) is read by `referrals::intake`; a referral is created by
//! `referrals::service::create`, the same operation as the web form's.

use super::auth::ApiPrincipal;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use app::auth::Role;
use app::db::TenantTx;
use app::developer::pseudonym::pseudonym;
use app::error::{AppError, FieldError};
use app::identity::{ClinicianId, OrganizationId, ReferralId};
use app::referrals::intake::{self, ApiReferral};
use app::referrals::{self, ReferralView};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

/// `{"data": …}` (the `rate` member is added on the way out).
#[derive(Serialize, ToSchema)]
pub struct Envelope<T> {
    pub data: T,
}

fn ok<T: Serialize>(data: T) -> Json<Envelope<T>> {
    Json(Envelope { data })
}

async fn tx(state: &AppState, caller: ApiPrincipal, roles: &[Role]) -> Result<TenantTx, AppError> {
    if !caller.principal.has_role(roles) {
        return Err(AppError::Forbidden);
    }
    Ok(TenantTx::begin_for(&state.pool, caller.principal).await?)
}

// --- Clinicians ------------------------------------------------------------

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ClinicianQuery {
    /// Two-letter state the clinician is currently licensed in.
    state: Option<String>,
    /// City the clinician is based in.
    city: Option<String>,
    /// Five-digit ZIP the clinician serves (within their radius).
    zip: Option<String>,
    /// ICD-10-CM code or category the clinician has experience with (I50.9, I50).
    diagnosis: Option<String>,
    /// Care type: skilled_nursing, physical_therapy, … (or its label).
    care_type: Option<String>,
    /// How many (1–50, default 10).
    #[param(minimum = 1, maximum = 50)]
    limit: Option<i64>,
}

/// A verified clinician. In the sandbox, names are replaced by a code.
#[derive(Serialize, ToSchema)]
pub struct ClinicianOut {
    #[schema(value_type = Uuid)]
    id: ClinicianId,
    name: String,
    /// rn, lpn, pt, ot, slp, hha, msw.
    discipline: String,
    city: String,
    state: String,
    /// Miles from the ZIP searched, when one was given.
    distance_miles: Option<f64>,
    care_types: Vec<String>,
    languages: Vec<String>,
    diagnosis_categories: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    verified_at: Option<OffsetDateTime>,
}

fn invalid(field: &str, message: &str) -> AppError {
    AppError::invalid(field, message)
}

/// Search verified clinicians.
#[utoipa::path(
    get, path = "/clinicians/search", tag = "Clinicians",
    params(ClinicianQuery),
    responses(
        (status = 200, description = "Verified clinicians, nearest first when a ZIP is given", body = inline(Envelope<Vec<ClinicianOut>>)),
        (status = 400, description = "The query string does not parse (a limit that is not a 64-bit integer)"),
        (status = 401, description = "No valid API key"),
        (status = 422, description = "A filter is malformed"),
        (status = 429, description = "Rate limit exhausted; see Retry-After"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn search_clinicians(
    State(state): State<AppState>,
    caller: ApiPrincipal,
    ApiQuery(q): ApiQuery<ClinicianQuery>,
) -> Result<Json<Envelope<Vec<ClinicianOut>>>, AppError> {
    let sandbox = caller.principal.sandbox || caller.principal.api_key().is_some_and(|k| k.sandbox);
    let mut fields = Vec::new();
    let state_code = q
        .state
        .as_deref()
        .map(|s| s.trim().to_uppercase())
        .filter(|s| !s.is_empty());
    if state_code
        .as_ref()
        .is_some_and(|s| s.len() != 2 || !s.chars().all(|c| c.is_ascii_uppercase()))
    {
        fields.push(FieldError::new(
            "state",
            "Use a two-letter state code, like OH.",
        ));
    }
    let zip = q
        .zip
        .as_deref()
        .map(str::trim)
        .filter(|z| !z.is_empty())
        .map(str::to_owned);
    if zip
        .as_ref()
        .is_some_and(|z| app::domain::ZipCode::parse(z).is_err())
    {
        fields.push(FieldError::new("zip", "Use a five-digit ZIP code."));
    }
    let category = match q
        .diagnosis
        .as_deref()
        .map(str::trim)
        .filter(|d| !d.is_empty())
    {
        None => None,
        Some(raw) => match app::domain::Icd10Code::parse(raw) {
            Ok(code) => Some(code.category().to_owned()),
            Err(_) => {
                fields.push(FieldError::new(
                    "diagnosis",
                    "Use an ICD-10-CM code or category, like I50.9 or I50.",
                ));
                None
            }
        },
    };
    let care = match q
        .care_type
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(raw) => {
            let parsed = intake::care_type(raw);
            if parsed.is_none() {
                fields.push(FieldError::new(
                    "care_type",
                    "Use a care type such as skilled_nursing or physical_therapy.",
                ));
            }
            parsed
        }
    };
    let limit = q.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        fields.push(FieldError::new("limit", "Ask for 1 to 50 clinicians."));
    }
    if !fields.is_empty() {
        return Err(fields.into());
    }
    let mut tx = tx(&state, caller, &[Role::Referrer, Role::ClinicStaff]).await?;
    let found = app::clinicians::repo::search(
        &mut tx,
        &app::clinicians::repo::Search {
            state: state_code,
            city: q
                .city
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty()),
            zip,
            category,
            care_type: care,
            limit,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ok(found
        .into_iter()
        .map(|c| ClinicianOut {
            name: if sandbox {
                pseudonym(&state.settings.pseudonym_key, c.id)
            } else {
                c.name
            },
            id: c.id,
            discipline: c.discipline.as_str().to_owned(),
            city: c.city,
            state: c.state,
            distance_miles: c.distance_miles.map(|d| (d * 10.0).round() / 10.0),
            care_types: c.care_types.iter().map(|t| t.as_str().to_owned()).collect(),
            languages: c.languages,
            diagnosis_categories: c.diagnosis_categories,
            verified_at: c.verified_at,
        })
        .collect()))
}

// --- Referrals ----------------------------------------------------------------

/// The patient: minimum necessary information only.
#[derive(Deserialize, ToSchema)]
pub struct PatientIn {
    /// Two or three letters, like "JD".
    initials: String,
    birth_year: Option<i32>,
}

/// The patient packet: everything beyond the minimum, encrypted before it
/// is stored and released only to the clinic that accepts the referral.
#[derive(Deserialize, ToSchema)]
pub struct PacketIn {
    full_name: String,
    /// YYYY-MM-DD; its year must match `patient.birth_year` when given.
    birth_date: String,
    /// Street address (the ZIP is the referral's).
    address: String,
    /// A US number with its area code.
    phone: String,
    /// medicare, medicaid, commercial or private_pay.
    payer: String,
    /// Required unless private pay.
    member_id: Option<String>,
    emergency_contact: EmergencyContactIn,
}

/// Who to call in an emergency.
#[derive(Deserialize, ToSchema)]
pub struct EmergencyContactIn {
    name: String,
    phone: String,
}

/// A discharge referral to create.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "patient": {"initials": "JD", "birth_year": 1948},
    "zip": "43215",
    "primary_diagnosis": "I50.9",
    "care_type": "skilled_nursing",
    "priority": "priority",
    "requested_start": "2026-12-01",
    "notes": "Daily weights.",
    "packet": {
        "full_name": "Jane Quinn Doe", "birth_date": "1948-03-02", "address": "12 Elm Street",
        "phone": "(614) 555-0142", "payer": "medicare", "member_id": "1EG4TE5MK72",
        "emergency_contact": {"name": "Sam Doe", "phone": "(614) 555-0199"}
    }
}))]
pub struct ReferralIn {
    patient: PatientIn,
    /// The patient's five-digit ZIP code.
    zip: String,
    /// An ICD-10-CM code (I50.9), or a condition in words ("CHF",
    /// "heart failure"): the best billable code is chosen.
    primary_diagnosis: String,
    /// skilled_nursing, physical_therapy, occupational_therapy,
    /// speech_therapy, home_health_aide, medical_social_work (or the label).
    care_type: String,
    /// routine (default), priority, urgent.
    priority: Option<String>,
    /// YYYY-MM-DD; tomorrow when left out.
    requested_start: Option<String>,
    notes: Option<String>,
    /// Send to this clinic; otherwise routed to the clinic of the best match.
    #[schema(value_type = Option<Uuid>)]
    clinic_id: Option<OrganizationId>,
    /// The patient packet; it can follow later.
    packet: Option<PacketIn>,
}

#[derive(Serialize, ToSchema)]
pub struct DiagnosisOut {
    code: String,
    display: String,
    description: String,
}

#[derive(Serialize, ToSchema)]
pub struct MatchOut {
    rank: i32,
    #[schema(value_type = Uuid)]
    clinician_id: ClinicianId,
    name: String,
    discipline: String,
    distance_miles: f64,
    /// Why: "3.2 mi, Heart failure experience (I50), next opening Tue Dec 1".
    explanation: String,
}

#[derive(Serialize, ToSchema)]
pub struct HistoryOut {
    from: Option<String>,
    to: String,
    reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    at: OffsetDateTime,
}

/// A discharge referral with its matches and its status history.
#[derive(Serialize, ToSchema)]
pub struct ReferralOut {
    #[schema(value_type = Uuid)]
    id: ReferralId,
    reference: String,
    /// received, matched, accepted, declined, scheduled, first_visit_done, closed, cancelled.
    status: String,
    patient_initials: String,
    zip: String,
    place: String,
    diagnosis: DiagnosisOut,
    care_type: String,
    priority: String,
    requested_start: String,
    clinic: Option<String>,
    decline_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    received_at: OffsetDateTime,
    matches: Vec<MatchOut>,
    history: Vec<HistoryOut>,
}

/// The API's shape of a referral; `pseudonym_key` is given for a sandbox,
/// whose answers carry pseudonyms in place of clinicians' names.
pub fn referral_out(r: ReferralView, pseudonym_key: Option<&[u8; 32]>) -> ReferralOut {
    ReferralOut {
        id: r.id,
        reference: r.reference,
        status: r.status.as_str().to_owned(),
        patient_initials: r.patient_initials,
        zip: r.zip,
        place: r.place,
        diagnosis: DiagnosisOut {
            code: r.diagnosis.display.clone(),
            display: r.diagnosis.display,
            description: r.diagnosis.description,
        },
        care_type: r.care_type.as_str().to_owned(),
        priority: r.priority.as_str().to_owned(),
        requested_start: r.requested_start.to_string(),
        clinic: r.clinic,
        decline_reason: r.decline_reason.map(|d| d.as_str().to_owned()),
        received_at: r.received_at,
        matches: r
            .matches
            .into_iter()
            .map(|m| MatchOut {
                rank: m.rank,
                name: match pseudonym_key {
                    Some(key) => pseudonym(key, m.clinician_id),
                    None => m.name,
                },
                clinician_id: m.clinician_id,
                discipline: m.discipline.as_str().to_owned(),
                distance_miles: (m.distance_miles * 10.0).round() / 10.0,
                explanation: m.explanation,
            })
            .collect(),
        history: r
            .history
            .into_iter()
            .map(|h| HistoryOut {
                from: h.from.map(|s| s.as_str().to_owned()),
                to: h.to.as_str().to_owned(),
                reason: h.reason,
                at: h.at,
            })
            .collect(),
    }
}

impl From<ReferralIn> for ApiReferral {
    fn from(body: ReferralIn) -> Self {
        ApiReferral {
            patient_initials: body.patient.initials,
            patient_birth_year: body.patient.birth_year,
            zip: body.zip,
            primary_diagnosis: body.primary_diagnosis,
            care_type: body.care_type,
            priority: body.priority,
            requested_start: body.requested_start,
            notes: body.notes,
            clinic_id: body.clinic_id,
            packet: body.packet.map(|p| app::patients::PacketForm {
                full_name: p.full_name,
                birth_date: p.birth_date,
                address: p.address,
                phone: p.phone,
                payer: p.payer,
                member_id: p.member_id.unwrap_or_default(),
                emergency_name: p.emergency_contact.name,
                emergency_phone: p.emergency_contact.phone,
            }),
        }
    }
}

/// Submit a discharge referral and receive the matched, verified clinicians.
#[utoipa::path(
    post, path = "/discharge-referrals", tag = "Referrals",
    request_body = ReferralIn,
    responses(
        (status = 201, description = "Created, matched and routed", body = inline(Envelope<ReferralOut>),
            links(("read" = (operation_id = "get_referral", parameters(("id" = "$response.body#/data/id")), description = "Read the referral")))),
        (status = 400, description = "The body is not JSON"),
        (status = 401, description = "No valid API key"),
        (status = 403, description = "This key cannot send referrals"),
        (status = 422, description = "A field is wrong; nothing was saved"),
        (status = 429, description = "Rate limit exhausted; see Retry-After"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn create_referral(
    State(state): State<AppState>,
    caller: ApiPrincipal,
    ApiJson(body): ApiJson<ReferralIn>,
) -> Result<(StatusCode, Json<Envelope<ReferralOut>>), AppError> {
    let sandbox = caller.principal.sandbox;
    let meta = caller.meta.clone();
    let mut tx = tx(&state, caller, &[Role::Referrer]).await?;
    let today = OffsetDateTime::now_utc().date();
    let referral = intake::from_api(&mut tx, body.into(), today).await?;
    let view = referrals::service::create(tx, &state.settings.vault, referral, &meta).await?;
    Ok((
        StatusCode::CREATED,
        ok(referral_out(
            view,
            sandbox.then_some(&state.settings.pseudonym_key),
        )),
    ))
}

/// Read a referral back, with its status history.
#[utoipa::path(
    get, path = "/discharge-referrals/{id}", tag = "Referrals",
    params(("id" = Uuid, Path, description = "The referral's id")),
    responses(
        (status = 200, description = "The referral", body = inline(Envelope<ReferralOut>)),
        (status = 401, description = "No valid API key"),
        (status = 404, description = "No such referral for this key"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn get_referral(
    State(state): State<AppState>,
    caller: ApiPrincipal,
    ApiPath(id): ApiPath<ReferralId>,
) -> Result<Json<Envelope<ReferralOut>>, AppError> {
    let sandbox = caller.principal.sandbox;
    let meta = caller.meta.clone();
    let tx = tx(&state, caller, &[Role::Referrer, Role::ClinicStaff]).await?;
    let view = referrals::service::view(tx, id, &meta).await?;
    Ok(ok(referral_out(
        view,
        sandbox.then_some(&state.settings.pseudonym_key),
    )))
}

// --- Geography ------------------------------------------------------------------

#[derive(Serialize, ToSchema)]
pub struct ZipOut {
    zip: String,
    city: String,
    state: String,
}

/// Resolve a ZIP code to its city and state.
#[utoipa::path(
    get, path = "/geo/zip/{zip}", tag = "Geo", operation_id = "lookup_zip",
    params(("zip" = String, Path, description = "Five-digit ZIP code", pattern = r"^[0-9]{5}$")),
    responses(
        (status = 200, description = "Where it is", body = inline(Envelope<ZipOut>)),
        (status = 401, description = "No valid API key"),
        (status = 404, description = "Not a ZIP code we know"),
        (status = 422, description = "Not five digits"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn zip(
    State(state): State<AppState>,
    caller: ApiPrincipal,
    ApiPath(zip): ApiPath<String>,
) -> Result<Json<Envelope<ZipOut>>, AppError> {
    if zip.len() != 5 || !zip.chars().all(|c| c.is_ascii_digit()) {
        return Err(invalid("zip", "Use a five-digit ZIP code."));
    }
    let mut tx = TenantTx::begin_for(&state.pool, caller.principal).await?;
    let place = referrals::service::zip_place(&mut tx, &zip)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    Ok(ok(ZipOut {
        zip: place.zip,
        city: place.city,
        state: place.state,
    }))
}
