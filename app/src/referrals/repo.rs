//! Referral data access. Every function takes the principal's transaction
//! ([`TenantTx`]); the policies keep each side to the referrals it is a
//! party to (the referring organization, the receiving clinic).

use super::matching::Candidate;
use super::*;
use crate::db::{TenantTx, Tx};
use crate::domain::EventType;
use crate::identity::{ClinicianId, OrganizationId, ReferralId, UserId};
use sqlx::PgConnection;
use time::OffsetDateTime;

/// Diagnoses whose code starts with, or whose description contains the
/// words of, `query` (billable codes first). Public reference data.
pub async fn search_diagnoses<S>(
    tx: &mut Tx<S>,
    query: &str,
    limit: i64,
) -> Result<Vec<Diagnosis>, sqlx::Error> {
    let code_prefix = crate::domain::Icd10Code::parse(query)
        .map(String::from)
        .unwrap_or_default();
    // Each word becomes a prefix term: "heart fail" → heart:* & fail:*.
    let words: Vec<String> = query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() >= 2)
        .take(6)
        .map(|w| format!("{}:*", w.to_lowercase()))
        .collect();
    let tsquery = words.join(" & ");
    sqlx::query_as!(
        Diagnosis,
        r#"SELECT code AS "code!", display AS "display!", description AS "description!"
           FROM icd10cm_codes
           WHERE ($1 <> '' AND code LIKE $1 || '%')
              OR ($2 <> '' AND search @@ to_tsquery('english', $2))
           ORDER BY (code LIKE $1 || '%') DESC, billable DESC, length(code), code
           LIMIT $3"#,
        code_prefix,
        tsquery,
        limit
    )
    .fetch_all(tx.conn())
    .await
}

pub async fn diagnosis(
    conn: &mut PgConnection,
    code: &str,
) -> Result<Option<(Diagnosis, bool)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT code, display, description, billable FROM icd10cm_codes WHERE code = $1",
        code
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| {
        (
            Diagnosis {
                code: r.code,
                display: r.display,
                description: r.description,
            },
            r.billable,
        )
    }))
}

pub async fn zip_place(
    conn: &mut PgConnection,
    zip: &str,
) -> Result<Option<ZipPlace>, sqlx::Error> {
    sqlx::query_as!(
        ZipPlace,
        r#"SELECT zip AS "zip!", city, state AS "state!" FROM zip_codes WHERE zip = $1"#,
        zip
    )
    .fetch_optional(conn)
    .await
}

/// A ZIP code's centroid (latitude, longitude).
pub async fn zip_place_coords(
    conn: &mut PgConnection,
    zip: &str,
) -> Result<Option<(f64, f64)>, sqlx::Error> {
    let row = sqlx::query!("SELECT lat, lon FROM zip_codes WHERE zip = $1", zip)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(|r| (r.lat, r.lon)))
}

/// Whether `clinic` is a clinic organization a referrer may send to.
pub async fn is_clinic(
    conn: &mut PgConnection,
    clinic: OrganizationId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM organizations WHERE id = $1 AND kind = 'clinic') AS "exists!""#,
        clinic as OrganizationId
    )
    .fetch_one(conn)
    .await
}

/// Clinics a referrer may send to.
pub async fn clinics(tx: &mut TenantTx) -> Result<Vec<(OrganizationId, String)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT id AS "id: OrganizationId", name FROM organizations
           WHERE kind = 'clinic' ORDER BY name"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.name)).collect())
}

/// Inserts a new referral (status `received`) for the principal's
/// organization, routed to `clinic`.
pub async fn insert(
    tx: &mut TenantTx,
    id: ReferralId,
    referral: &NewReferral,
    clinic: Option<OrganizationId>,
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    let created_by = tx.principal().person();
    sqlx::query!(
        "INSERT INTO referrals
             (organization_id, id, clinic_id, reference, patient_initials, patient_birth_year, zip,
              diagnosis_code, care_type, priority, requested_start, notes, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        org as OrganizationId,
        id as ReferralId,
        clinic as Option<OrganizationId>,
        reference_for(id),
        referral.patient_initials.as_str(),
        referral.patient_birth_year,
        referral.zip.as_str(),
        referral.diagnosis_code.as_str(),
        referral.care_type as CareType,
        referral.priority as Priority,
        referral.requested_start,
        referral.notes,
        created_by as Option<UserId>,
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn insert_matches(
    tx: &mut TenantTx,
    referral: ReferralId,
    clinic: Option<OrganizationId>,
    matches: &[Candidate],
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    for (i, m) in matches.iter().enumerate() {
        sqlx::query!(
            "INSERT INTO referral_matches
                 (organization_id, referral_id, rank, clinic_id, clinician_id, distance_miles, explanation)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            org as OrganizationId,
            referral as ReferralId,
            i32::try_from(i + 1).unwrap_or(i32::MAX),
            clinic as Option<OrganizationId>,
            m.clinician_id as ClinicianId,
            m.distance_miles,
            m.explanation,
        )
        .execute(tx.conn())
        .await?;
    }
    Ok(())
}

/// The parties and status of a referral the principal may see.
pub struct Parties {
    pub organization_id: OrganizationId,
    pub clinic_id: Option<OrganizationId>,
    pub status: ReferralStatus,
}

/// Locks the referral for a change.
pub async fn parties_for_update(
    tx: &mut TenantTx,
    id: ReferralId,
) -> Result<Option<Parties>, sqlx::Error> {
    sqlx::query_as!(
        Parties,
        r#"SELECT organization_id AS "organization_id: OrganizationId",
                  clinic_id AS "clinic_id: OrganizationId", status AS "status: ReferralStatus"
           FROM referrals WHERE id = $1 FOR UPDATE"#,
        id as ReferralId
    )
    .fetch_optional(tx.conn())
    .await
}

/// Moves a referral to `to`, with the decline reason and note that go
/// with it. The database checks the move again.
pub async fn set_status(
    tx: &mut TenantTx,
    id: ReferralId,
    to: ReferralStatus,
    decline_reason: Option<DeclineReason>,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE referrals SET status = $2, decline_reason = $3, status_note = $4 WHERE id = $1",
        id as ReferralId,
        to as ReferralStatus,
        decline_reason as Option<DeclineReason>,
        note
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn assign(
    tx: &mut TenantTx,
    id: ReferralId,
    clinician: ClinicianId,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE referrals SET assigned_clinician_id = $2 WHERE id = $1",
        id as ReferralId,
        clinician as ClinicianId
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The clinicians affiliated with the principal's clinic.
pub async fn clinic_clinicians(
    tx: &mut TenantTx,
) -> Result<Vec<(ClinicianId, String, Discipline)>, sqlx::Error> {
    let clinic = tx.principal().org_id;
    let rows = sqlx::query!(
        r#"SELECT c.id AS "id: ClinicianId", c.display_name, c.discipline AS "discipline: Discipline"
           FROM clinic_affiliations a JOIN clinicians c ON c.id = a.clinician_id
           WHERE a.clinic_id = $1
           ORDER BY c.display_name"#,
        clinic as OrganizationId
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.id, r.display_name, r.discipline))
        .collect())
}

/// Records a domain event for the referral's parties.
pub async fn record_event(
    tx: &mut TenantTx,
    parties: (OrganizationId, Option<OrganizationId>),
    event_type: EventType,
    subject: ReferralId,
    payload: serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO domain_events (organization_id, clinic_id, event_type, subject_id, payload)
         VALUES ($1, $2, $3, $4, $5)",
        parties.0 as OrganizationId,
        parties.1 as Option<OrganizationId>,
        event_type as EventType,
        subject as ReferralId,
        payload
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// What a search found: one page of ids, whether more follow, and how
/// many match in all when that was counted (see [`search`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub ids: Vec<ReferralId>,
    pub more: bool,
    pub total: Option<i64>,
}

/// The ids of one page of the referrals the principal may see whose status
/// is one of `statuses` (and whose id is `id`, when given), newest first.
/// For the FHIR searches: paged in SQL, so a page costs its size, not the
/// size of the organization's history.
///
/// The total is free when the page reaches the end of the results.
/// Otherwise it is counted as `counting` says. Counting every match costs
/// about 4 µs a referral under the policies: 400 ms at 100,000.
pub async fn search(
    tx: &mut TenantTx,
    statuses: &[ReferralStatus],
    id: Option<ReferralId>,
    (offset, limit): (i64, i64),
    counting: Counting,
) -> Result<Found, sqlx::Error> {
    let org = tx.principal().org_id;
    let as_clinic = tx.principal().role != crate::auth::Role::Referrer;
    let statuses: Vec<&str> = statuses.iter().map(|s| s.as_str()).collect();
    // One more than the page: whether it is the last.
    let mut ids = if limit > 0 {
        sqlx::query_scalar!(
            r#"SELECT r.id AS "id: ReferralId"
               FROM referrals r
               WHERE (CASE WHEN $2 THEN r.clinic_id = $1 ELSE r.organization_id = $1 END)
                 AND r.status::text = ANY($3::text[])
                 AND ($4::uuid IS NULL OR r.id = $4)
               ORDER BY r.received_at DESC, r.id DESC
               OFFSET $5 LIMIT $6"#,
            org as OrganizationId,
            as_clinic,
            &statuses as &[&str],
            id as Option<ReferralId>,
            offset,
            limit + 1,
        )
        .fetch_all(tx.conn())
        .await?
    } else {
        Vec::new()
    };
    let more = ids.len() as i64 > limit;
    ids.truncate(usize::try_from(limit).unwrap_or(0));
    if limit > 0 && !more && (!ids.is_empty() || offset == 0) {
        let total = offset + ids.len() as i64;
        return Ok(Found {
            ids,
            more,
            total: Some(total),
        });
    }
    let count_up_to = match counting {
        Counting::All => None,
        // More follow a page that already reaches the cap: past it.
        Counting::UpTo(cap) if !(more && offset.saturating_add(limit) >= cap) => Some(cap),
        Counting::UpTo(_) | Counting::Skip => {
            return Ok(Found {
                ids,
                more,
                total: None,
            })
        }
    };
    // The count stops one past the cap, so a capped count costs the cap;
    // but only in an index scan. Once other tenants' rows are in the
    // statistics, the planner may choose a bitmap scan, which reads every
    // index entry of the organization's referrals before it can stop (30 ms
    // at a million: scripts/bench/growth.sh). As in the inbox, bitmap scans
    // are off for this statement, and back on after it.
    let was = set_planner(tx, "enable_bitmapscan", "off").await?;
    let counted = sqlx::query_scalar!(
        r#"SELECT count(*) AS "total!"
           FROM (SELECT FROM referrals r
                 WHERE (CASE WHEN $2 THEN r.clinic_id = $1 ELSE r.organization_id = $1 END)
                   AND r.status::text = ANY($3::text[])
                   AND ($4::uuid IS NULL OR r.id = $4)
                 LIMIT $5) AS matches"#,
        org as OrganizationId,
        as_clinic,
        &statuses as &[&str],
        id as Option<ReferralId>,
        count_up_to.map(|cap| cap.saturating_add(1)),
    )
    .fetch_one(tx.conn())
    .await?;
    set_planner(tx, "enable_bitmapscan", &was).await?;
    let total = match count_up_to {
        Some(cap) if counted > cap => None,
        _ => Some(counted),
    };
    Ok(Found { ids, more, total })
}

/// Everything the principal may see of one referral.
pub async fn detail(
    tx: &mut TenantTx,
    id: ReferralId,
) -> Result<Option<ReferralView>, sqlx::Error> {
    Ok(details(tx, &[id]).await?.pop())
}

/// Everything the principal may see of each of `ids` (those it may see at
/// all), in the order given. Three queries whatever the number of ids, so
/// a search page costs the same number of round trips at any `_count`.
pub async fn details(
    tx: &mut TenantTx,
    ids: &[ReferralId],
) -> Result<Vec<ReferralView>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // These reads find rows by id alone, so one generic plan serves every
    // call. A custom plan, which PostgreSQL makes afresh on each execution
    // by default, costs more to plan under the row-level security policies
    // than the read costs to run (scripts/bench/rest-read.sh: about 2 ms of
    // the database's time per request). Only here: queries with optional
    // filters need the custom plans that fold them away.
    let was = set_planner(tx, "plan_cache_mode", "force_generic_plan").await?;
    let views = read_details(tx, ids).await?;
    set_planner(tx, "plan_cache_mode", &was).await?;
    Ok(views)
}

/// Sets the planner setting `name` to `value` for the rest of the
/// transaction; answers the value it had, to be put back.
async fn set_planner(tx: &mut TenantTx, name: &str, value: &str) -> Result<String, sqlx::Error> {
    // The select list is evaluated in order: the old value, then the new.
    let row = sqlx::query!(
        r#"SELECT current_setting($1) AS "was!", set_config($1, $2, true) AS "set!""#,
        name,
        value
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(row.was)
}

async fn read_details(
    tx: &mut TenantTx,
    ids: &[ReferralId],
) -> Result<Vec<ReferralView>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT r.id AS "id: ReferralId", r.reference, r.patient_initials, r.patient_birth_year, r.zip,
                  z.city AS "city?", z.state AS "state?",
                  r.diagnosis_code, i.display AS "dx_display?", i.description AS "dx_description?",
                  r.care_type AS "care_type: CareType", r.priority AS "priority: Priority",
                  r.requested_start, r.notes, r.status AS "status: ReferralStatus",
                  r.decline_reason AS "decline_reason: DeclineReason", r.status_note,
                  c.display_name AS "assigned?", r.received_at,
                  ref_org.name AS "referrer?", clinic.name AS "clinic?"
           FROM referrals r
           LEFT JOIN zip_codes z ON z.zip = r.zip
           LEFT JOIN icd10cm_codes i ON i.code = r.diagnosis_code
           LEFT JOIN clinicians c ON c.id = r.assigned_clinician_id
           LEFT JOIN organizations ref_org ON ref_org.id = r.organization_id
           LEFT JOIN organizations clinic ON clinic.id = r.clinic_id
           WHERE r.id = ANY($1)"#,
        ids as &[ReferralId]
    )
    .fetch_all(tx.conn())
    .await?;
    let mut matches: std::collections::HashMap<ReferralId, Vec<MatchView>> = Default::default();
    for m in sqlx::query!(
        r#"SELECT m.referral_id AS "referral_id: ReferralId", m.rank,
                  m.clinician_id AS "clinician_id: ClinicianId", m.distance_miles, m.explanation,
                  c.display_name AS "name?", c.discipline AS "discipline?: Discipline", c.verified_at
           FROM referral_matches m
           LEFT JOIN clinicians c ON c.id = m.clinician_id
           WHERE m.referral_id = ANY($1)
           ORDER BY m.referral_id, m.rank"#,
        ids as &[ReferralId]
    )
    .fetch_all(tx.conn())
    .await?
    {
        matches.entry(m.referral_id).or_default().push(MatchView {
            rank: m.rank,
            clinician_id: m.clinician_id,
            name: m.name.unwrap_or_else(|| "A clinician".to_owned()),
            discipline: m.discipline.unwrap_or(Discipline::Rn),
            distance_miles: m.distance_miles,
            explanation: m.explanation,
            verified_at: m.verified_at,
        });
    }
    let mut history: std::collections::HashMap<ReferralId, Vec<HistoryView>> = Default::default();
    for h in sqlx::query!(
        r#"SELECT h.referral_id AS "referral_id: ReferralId", h.from_status AS "from_status: ReferralStatus",
                  h.to_status AS "to_status: ReferralStatus",
                  h.reason, coalesce(u.display_name, o.name) AS "actor?", h.occurred_at
           FROM referral_history h
           LEFT JOIN users u ON u.id = h.actor_user_id
           LEFT JOIN organizations o ON o.id = h.actor_org_id
           WHERE h.referral_id = ANY($1)
           ORDER BY h.referral_id, h.seq"#,
        ids as &[ReferralId]
    )
    .fetch_all(tx.conn())
    .await?
    {
        history.entry(h.referral_id).or_default().push(HistoryView {
            from: h.from_status,
            to: h.to_status,
            reason: h.reason,
            actor: h.actor,
            at: h.occurred_at,
        });
    }
    let mut by_id: std::collections::HashMap<ReferralId, ReferralView> = rows
        .into_iter()
        .map(|r| {
            let view = ReferralView {
                id: r.id,
                reference: r.reference,
                // Organization names of the other party may be hidden by policy.
                referrer: r
                    .referrer
                    .unwrap_or_else(|| "The referring organization".to_owned()),
                clinic: r.clinic,
                patient_initials: r.patient_initials,
                patient_birth_year: r.patient_birth_year,
                place: match (r.city, r.state) {
                    (Some(city), Some(state)) => format!("{city}, {state}"),
                    _ => String::new(),
                },
                zip: r.zip,
                diagnosis: Diagnosis {
                    display: r.dx_display.unwrap_or_else(|| r.diagnosis_code.clone()),
                    description: r.dx_description.unwrap_or_default(),
                    code: r.diagnosis_code,
                },
                care_type: r.care_type,
                priority: r.priority,
                requested_start: r.requested_start,
                notes: r.notes,
                status: r.status,
                decline_reason: r.decline_reason,
                status_note: r.status_note,
                assigned_clinician: r.assigned,
                age_minutes: minutes_since(r.received_at),
                received_at: r.received_at,
                matches: matches.remove(&r.id).unwrap_or_default(),
                history: history.remove(&r.id).unwrap_or_default(),
            };
            (view.id, view)
        })
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

fn minutes_since(at: OffsetDateTime) -> i64 {
    (OffsetDateTime::now_utc() - at).whole_minutes().max(0)
}

/// Decodes a keyset cursor (`<unix nanos>_<uuid>`).
pub fn parse_cursor(cursor: &str) -> Option<(OffsetDateTime, ReferralId)> {
    let (nanos, id) = cursor.split_once('_')?;
    let nanos: i128 = nanos.parse().ok()?;
    Some((
        OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?,
        id.parse().ok()?,
    ))
}

fn cursor_for(at: OffsetDateTime, id: ReferralId) -> String {
    format!("{}_{id}", at.unix_timestamp_nanos())
}

/// One page of the principal's clinic inbox (newest first), or — for a
/// referrer — of their organization's sent referrals.
///
/// The counterpart's name is a subquery per row shown, not a join: a join
/// lets the planner scan every organization once and test each against
/// its policy (does this organization share a referral with mine?), and
/// for an organization that shares none that test reads the whole
/// history: 14 ms each at 100,000 referrals. Looked up by id, only the
/// page's counterparts are tested, and each is found at once.
///
/// Bitmap scans are off for this query. The organizations policy's test
/// (a referral between the two) is an EXISTS that needs one row; once many
/// organizations share the table, the planner expects few rows per pair
/// and picks a bitmap scan, which reads every entry of the pair before the
/// first row: 1.7 ms for each of the page's 26 rows at 100,000 referrals
/// (scripts/bench/growth.sh), against 10 µs for an index scan that stops
/// at the first.
pub async fn page(
    tx: &mut TenantTx,
    filter: &InboxFilter,
    cursor: Option<(OffsetDateTime, ReferralId)>,
    limit: i64,
) -> Result<ReferralPage, sqlx::Error> {
    let org = tx.principal().org_id;
    // The organization's side (a break-glass reader has no side's role).
    let as_clinic = tx.principal().org_kind != crate::auth::OrgKind::Referrer;
    let (after_at, after_id) = cursor.unzip();
    let was = set_planner(tx, "enable_bitmapscan", "off").await?;
    let rows = sqlx::query!(
        r#"SELECT r.id AS "id: ReferralId", r.reference, r.patient_initials, i.display AS "dx?",
                  r.care_type AS "care_type: CareType", r.priority AS "priority: Priority",
                  r.status AS "status: ReferralStatus", r.received_at,
                  (SELECT o.name FROM organizations o
                    WHERE o.id = CASE WHEN $2 THEN r.organization_id ELSE r.clinic_id END) AS counterpart,
                  (SELECT count(*) FROM referral_matches m WHERE m.referral_id = r.id) AS "matches!"
           FROM referrals r
           LEFT JOIN icd10cm_codes i ON i.code = r.diagnosis_code
           WHERE (CASE WHEN $2 THEN r.clinic_id = $1 ELSE r.organization_id = $1 END)
             AND ($3::referral_status IS NULL OR r.status = $3)
             AND ($4::referral_priority IS NULL OR r.priority = $4)
             AND ($5::care_type IS NULL OR r.care_type = $5)
             AND ($6::int IS NULL OR r.received_at >= now() - make_interval(days => $6))
             AND ($7::timestamptz IS NULL OR (r.received_at, r.id) < ($7, $8))
           ORDER BY r.received_at DESC, r.id DESC
           LIMIT $9"#,
        org as OrganizationId,
        as_clinic,
        filter.status as Option<ReferralStatus>,
        filter.priority as Option<Priority>,
        filter.care_type as Option<CareType>,
        filter.max_age_days,
        after_at,
        after_id as Option<ReferralId>,
        limit + 1,
    )
    .fetch_all(tx.conn())
    .await?;
    set_planner(tx, "enable_bitmapscan", &was).await?;
    let more = rows.len() as i64 > limit;
    let items: Vec<ReferralSummary> = rows
        .into_iter()
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|r| ReferralSummary {
            id: r.id,
            reference: r.reference,
            counterpart: r.counterpart,
            patient_initials: r.patient_initials,
            diagnosis: r.dx.unwrap_or_default(),
            care_type: r.care_type,
            priority: r.priority,
            status: r.status,
            matches: r.matches,
            age_minutes: minutes_since(r.received_at),
            received_at: r.received_at,
        })
        .collect();
    let next_cursor = more
        .then(|| items.last().map(|l| cursor_for(l.received_at, l.id)))
        .flatten();
    Ok(ReferralPage { items, next_cursor })
}

/// Those of `clinics` whose service area is set and leaves `zip` out.
pub async fn clinics_outside_area(
    conn: &mut PgConnection,
    clinics: &[OrganizationId],
    zip: &str,
) -> Result<Vec<OrganizationId>, sqlx::Error> {
    if clinics.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<uuid::Uuid> = clinics.iter().map(|c| c.uuid()).collect();
    let outside: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT organization_id FROM clinic_profiles
         WHERE organization_id = ANY($1) AND cardinality(service_zips) > 0
           AND NOT ($2::char(5) = ANY(service_zips))",
    )
    .bind(&ids)
    .bind(zip)
    .fetch_all(conn)
    .await?;
    Ok(outside.into_iter().map(OrganizationId::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_780_000_000_123_456_000).unwrap();
        let id = ReferralId::new();
        assert_eq!(parse_cursor(&cursor_for(at, id)), Some((at, id)));
        assert_eq!(parse_cursor("garbage"), None);
        assert_eq!(parse_cursor("12_notauuid"), None);
    }
}
