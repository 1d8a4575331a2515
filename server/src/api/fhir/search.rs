//! FHIR searches: the parameters (`patient`, `status`, `_count`,
//! `_offset`, `_total`), the paging they ask for (a malformed one fails
//! with 400), the audited domain search, and the `searchset` Bundle that
//! answers.
//!
//! `Bundle.total` of a ServiceRequest search is counted up to
//! [`COUNT_UP_TO`] matches and left out beyond, unless the client asks
//! for `_total=accurate` (FHIR lets a server omit it). An exact count
//! reads every match under the row-level policies, so a search over a
//! long history would cost its length, not its page: 400 ms at 100,000
//! referrals. The `next` link comes from reading one row past the page,
//! not from the total.

use super::{base, tx, FhirError};
use crate::api::auth::ApiPrincipal;
use app::error::FieldError;
use app::identity::ReferralId;
use app::referrals::{self, Counting, ReferralStatus};
use app::state::AppState;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
/// The largest page a search returns.
const MAX_COUNT: i64 = 100;
/// The furthest a search page may start: far past any real result set,
/// and far from where `_offset + _count` could overflow.
const MAX_OFFSET: i64 = 1_000_000_000;
/// How far a search counts for `Bundle.total` unless `_total=accurate`.
pub const COUNT_UP_TO: i64 = 1_000;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A Patient id (or `Patient/<id>`).
    patient: Option<String>,
    /// active, completed, revoked.
    status: Option<String>,
    /// Page size, 0 to 100 (default 20).
    #[serde(rename = "_count")]
    #[param(rename = "_count")]
    count: Option<String>,
    /// Where the page starts (the `next` link carries it).
    #[serde(rename = "_offset")]
    #[param(rename = "_offset")]
    offset: Option<String>,
    /// none, estimate or accurate. By default (and for estimate) the total
    /// is given when there are at most 1,000 matches; accurate always
    /// counts; none never does, unless the page reaches the end.
    #[serde(rename = "_total")]
    #[param(rename = "_total")]
    total: Option<String>,
}

pub(super) struct Paging {
    count: i64,
    offset: i64,
    patient: Option<ReferralId>,
    pub(super) status: Option<String>,
    counting: Counting,
}

/// The search's paging and filters; a malformed parameter fails the
/// search with 400, as FHIR servers answer (422 is for a resource that
/// breaks the rules).
pub(super) fn paging(q: SearchQuery, statuses: &[&str]) -> Result<Paging, FhirError> {
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
            match id.parse::<ReferralId>() {
                Ok(id) => Some(id),
                Err(_) => {
                    fields.push(FieldError::new("patient", "patient must be a Patient id."));
                    None
                }
            }
        }
    };
    let counting = match q.total.as_deref().map(str::trim) {
        None | Some("estimate") => Counting::UpTo(COUNT_UP_TO),
        Some("accurate") => Counting::All,
        Some("none") => Counting::Skip,
        Some(_) => {
            fields.push(FieldError::new(
                "_total",
                "_total must be none, estimate or accurate.",
            ));
            Counting::Skip
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
            counting,
        })
    } else {
        Err(FhirError(fields.into(), Some(StatusCode::BAD_REQUEST)))
    }
}

/// A page's size and start, as a Bundle's links carry them.
pub(super) struct Page {
    pub(super) count: i64,
    pub(super) offset: i64,
}

impl Paging {
    pub(super) fn page(&self) -> Page {
        Page {
            count: self.count,
            offset: self.offset,
        }
    }
}

/// A `searchset` Bundle of `resources` (each with its id), all of `kind`,
/// with the exact `total`.
pub(super) fn bundle<R: Serialize>(
    state: &AppState,
    kind: &str,
    query: &str,
    p: &Page,
    total: i64,
    resources: Vec<(String, R)>,
) -> Value {
    // Both are bounded (MAX_OFFSET, MAX_COUNT), so this cannot overflow.
    let more = p.offset.saturating_add(p.count) < total;
    bundle_page(state, kind, query, p, (Some(total), more), resources)
}

/// A `searchset` Bundle of one page: `total` when known, and a `next`
/// link when `more` results follow.
pub(super) fn bundle_page<R: Serialize>(
    state: &AppState,
    kind: &str,
    query: &str,
    p: &Page,
    (total, more): (Option<i64>, bool),
    resources: Vec<(String, R)>,
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
    if p.count > 0 && more {
        links.push(json!({ "relation": "next", "url": link(p.offset.saturating_add(p.count)) }));
    }
    let mut bundle = json!({
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": resources.into_iter().map(|(id, r)| {
            json!({ "fullUrl": format!("{base}/{kind}/{id}"), "resource": r, "search": { "mode": "match" } })
        }).collect::<Vec<_>>()
    });
    if let Some(total) = total {
        bundle["total"] = json!(total);
    }
    bundle
}

pub(super) fn query_string(p: &Paging) -> String {
    let mut parts = Vec::new();
    if let Some(id) = p.patient {
        parts.push(format!("patient={id}"));
    }
    if let Some(s) = &p.status {
        parts.push(format!("status={s}"));
    }
    match p.counting {
        Counting::All => parts.push("_total=accurate".into()),
        Counting::Skip => parts.push("_total=none".into()),
        Counting::UpTo(_) => {}
    }
    parts.join("&")
}

/// A search page through the audited domain search: a fixed number of
/// queries whatever `_count`, one audit event naming the ids returned.
pub(super) async fn search(
    state: &AppState,
    caller: ApiPrincipal,
    p: &Paging,
    statuses: Vec<ReferralStatus>,
) -> Result<referrals::service::SearchPage, FhirError> {
    let meta = caller.meta.clone();
    let tx = tx(state, caller).await?;
    let q = referrals::service::Search {
        statuses,
        id: p.patient,
        offset: p.offset,
        count: p.count,
        counting: p.counting,
    };
    Ok(referrals::service::search(tx, &q, &meta).await?)
}
