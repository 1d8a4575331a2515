//! Visit, log and addendum rows. Sealed values go in and out as
//! [`Sealed`]; opening them is the service's business.

use super::*;
use crate::db::TenantTx;
use crate::domain::EventType;
use crate::identity::{ClinicianId, OrganizationId, PatientId, ReferralId, UserId, VisitId};
use crate::referrals::{CareType, ReferralStatus};
use crate::vault::Sealed;
use time::OffsetDateTime;

/// What the list query filters by.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// Only these statuses (any, when none).
    pub statuses: Option<Vec<VisitStatus>>,
    /// Rows to skip (FHIR paging).
    pub offset: i64,
    pub patient: Option<PatientId>,
    pub visit: Option<VisitId>,
    pub from: Option<OffsetDateTime>,
    pub to: Option<OffsetDateTime>,
    /// Only what needs the clinic's attention: late, EVV exceptions and
    /// incomplete records, logs waiting for countersignature.
    pub attention: bool,
    pub limit: i64,
}

/// Visits of the acting organization the policies show (a clinician's
/// own; the clinic's all), by start.
pub async fn list(tx: &mut TenantTx, f: Filter) -> Result<Vec<VisitSummary>, sqlx::Error> {
    Ok(list_counted(tx, f).await?.1)
}

/// [`list`] with how many match in all: one query with a window count,
/// and a second only when the page came back empty (a page past the end,
/// or `_count=0` asking for the total alone), to count.
pub async fn list_counted(
    tx: &mut TenantTx,
    f: Filter,
) -> Result<(i64, Vec<VisitSummary>), sqlx::Error> {
    let probe = (f.offset > 0 || f.limit == 0).then(|| Filter {
        offset: 0,
        limit: 1,
        ..f.clone()
    });
    let (total, rows) = page(tx, f).await?;
    match (rows.is_empty(), probe) {
        (true, Some(probe)) => Ok((page(tx, probe).await?.0, rows)),
        _ => Ok((total, rows)),
    }
}

async fn page(tx: &mut TenantTx, f: Filter) -> Result<(i64, Vec<VisitSummary>), sqlx::Error> {
    let org = tx.principal().org_id;
    let statuses: Option<Vec<&str>> = f
        .statuses
        .as_ref()
        .map(|s| s.iter().map(|s| s.as_str()).collect());
    let rows = sqlx::query!(
        r#"SELECT v.id AS "id: VisitId", v.status AS "status: VisitStatus",
                  v.service AS "service: CareType", v.starts_at, v.ends_at,
                  v.patient_id AS "patient_id: PatientId", p.initials AS "initials?",
                  v.referral_id AS "referral_id: ReferralId",
                  v.clinician_id AS "clinician_id: ClinicianId", c.display_name AS "clinician?",
                  v.tasks, v.checked_in_at, v.checked_out_at, v.evv_complete,
                  (v.check_in_exception IS NOT NULL OR v.check_out_exception IS NOT NULL) AS "evv_exception!",
                  (l.visit_id IS NOT NULL) AS "signed!", (l.countersigned_at IS NOT NULL) AS "countersigned!",
                  count(*) OVER () AS "total!"
           FROM visits v
           LEFT JOIN patients p ON p.organization_id = v.organization_id AND p.id = v.patient_id
           LEFT JOIN clinicians c ON c.id = v.clinician_id
           LEFT JOIN visit_logs l ON l.organization_id = v.organization_id AND l.visit_id = v.id
           WHERE v.organization_id = $1
             AND ($2::uuid IS NULL OR v.patient_id = $2)
             AND ($3::uuid IS NULL OR v.id = $3)
             AND ($4::timestamptz IS NULL OR v.starts_at >= $4)
             AND ($5::timestamptz IS NULL OR v.starts_at < $5)
             AND (NOT $6
                  OR (v.status IN ('proposed', 'accepted')
                      AND v.starts_at < now() - make_interval(mins => $7)
                      AND v.starts_at > now() - interval '7 days')
                  OR (v.status = 'completed'
                      AND (NOT v.evv_complete OR v.check_in_exception IS NOT NULL
                           OR v.check_out_exception IS NOT NULL)
                      AND v.starts_at > now() - interval '30 days')
                  OR (l.visit_id IS NOT NULL AND l.countersigned_at IS NULL))
             AND ($9::text[] IS NULL OR v.status::text = ANY ($9))
           ORDER BY v.starts_at, v.id
           LIMIT $8 OFFSET $10"#,
        org as OrganizationId,
        f.patient as Option<PatientId>,
        f.visit as Option<VisitId>,
        f.from,
        f.to,
        f.attention,
        LATE_AFTER_MINUTES as i32,
        f.limit,
        statuses.as_deref() as Option<&[&str]>,
        f.offset,
    )
    .fetch_all(tx.conn())
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    Ok((
        total,
        rows.into_iter()
            .map(|r| VisitSummary {
                id: r.id,
                status: r.status,
                service: r.service,
                starts_at: r.starts_at,
                ends_at: r.ends_at,
                patient_id: r.patient_id,
                patient_initials: r.initials.unwrap_or_default(),
                referral_id: r.referral_id,
                clinician_id: r.clinician_id,
                clinician: r.clinician.unwrap_or_else(|| "A clinician".to_owned()),
                tasks: r.tasks,
                checked_in_at: r.checked_in_at,
                checked_out_at: r.checked_out_at,
                evv_complete: r.evv_complete,
                evv_exception: r.evv_exception,
                signed: r.signed,
                countersigned: r.countersigned,
            })
            .collect(),
    ))
}

/// A patient's visits (newest last).
pub async fn of_patient(
    tx: &mut TenantTx,
    patient: PatientId,
) -> Result<Vec<VisitSummary>, sqlx::Error> {
    list(
        tx,
        Filter {
            patient: Some(patient),
            limit: 500,
            ..Filter::default()
        },
    )
    .await
}

/// One visit.
pub async fn one(tx: &mut TenantTx, id: VisitId) -> Result<Option<VisitSummary>, sqlx::Error> {
    Ok(list(
        tx,
        Filter {
            visit: Some(id),
            limit: 1,
            ..Filter::default()
        },
    )
    .await?
    .pop())
}

/// A visit locked for a change.
pub struct Locked {
    pub status: VisitStatus,
    pub referral_id: Option<ReferralId>,
    pub clinician_user: Option<UserId>,
    pub checked_in_at: Option<OffsetDateTime>,
    pub checked_out_at: Option<OffsetDateTime>,
    pub tasks: Vec<String>,
    /// When the visit was scheduled (nothing of it happened before).
    pub created_at: OffsetDateTime,
    /// The patient's ZIP centroid.
    pub home_lat: f64,
    pub home_lon: f64,
}

/// Whether a family booked visit `id` (so its clinician may cancel it),
/// and whether its time has begun.
pub async fn booked(tx: &mut TenantTx, id: VisitId) -> Result<(bool, bool), sqlx::Error> {
    let org = tx.principal().org_id;
    let row: Option<(bool, bool)> = sqlx::query_as(
        "SELECT family_id IS NOT NULL, starts_at <= now() FROM visits
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.unwrap_or((false, false)))
}

pub async fn for_update(tx: &mut TenantTx, id: VisitId) -> Result<Option<Locked>, sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query_as!(
        Locked,
        r#"SELECT v.status AS "status: VisitStatus",
                  v.referral_id AS "referral_id: ReferralId",
                  (SELECT c.user_id FROM clinicians c WHERE c.id = v.clinician_id) AS "clinician_user: UserId",
                  v.checked_in_at, v.checked_out_at, v.tasks, v.created_at,
                  z.lat AS "home_lat!", z.lon AS "home_lon!"
           FROM visits v
           JOIN patients p ON p.organization_id = v.organization_id AND p.id = v.patient_id
           JOIN zip_codes z ON z.zip = p.zip
           WHERE v.organization_id = $1 AND v.id = $2
           FOR UPDATE OF v"#,
        org as OrganizationId,
        id as VisitId
    )
    .fetch_optional(tx.conn())
    .await
}

/// Inserts one proposed visit; a clash with another visit of the same
/// clinician fails on `visits_no_double_booking`.
#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut TenantTx,
    id: VisitId,
    patient: PatientId,
    referral: Option<ReferralId>,
    v: &NewVisits,
    (starts, ends): (OffsetDateTime, OffsetDateTime),
    series: Option<uuid::Uuid>,
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    let user = tx.principal().person();
    sqlx::query!(
        "INSERT INTO visits (organization_id, id, patient_id, referral_id, clinician_id, service,
                             starts_at, ends_at, tasks, series_id, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        org as OrganizationId,
        id as VisitId,
        patient as PatientId,
        referral as Option<ReferralId>,
        v.clinician as ClinicianId,
        v.service as CareType,
        starts,
        ends,
        &v.tasks,
        series,
        user.map(|u| u.uuid())
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn set_status(
    tx: &mut TenantTx,
    id: VisitId,
    to: VisitStatus,
    note: Option<&str>,
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query!(
        "UPDATE visits SET status = $3, status_note = $4 WHERE organization_id = $1 AND id = $2",
        org as OrganizationId,
        id as VisitId,
        to as VisitStatus,
        note
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The EVV facts of one check point, as stored.
pub struct Point {
    pub at: OffsetDateTime,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub distance_m: Option<i32>,
    pub exception: Option<EvvException>,
}

impl Point {
    pub fn of(p: &CheckPoint, home: (f64, f64)) -> Self {
        match p.location {
            Location::Device { lat, lon } => Self {
                at: p.at,
                lat: Some(lat),
                lon: Some(lon),
                distance_m: Some(distance_m((lat, lon), home).round() as i32),
                exception: None,
            },
            Location::Exception(e) => Self {
                at: p.at,
                lat: None,
                lon: None,
                distance_m: None,
                exception: Some(e),
            },
        }
    }
}

/// Checks in: the visit starts (the database checks the move).
pub async fn check_in(tx: &mut TenantTx, id: VisitId, p: &Point) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query!(
        "UPDATE visits SET status = 'in_progress', checked_in_at = $3, check_in_lat = $4,
                check_in_lon = $5, check_in_distance_m = $6, check_in_exception = $7
         WHERE organization_id = $1 AND id = $2",
        org as OrganizationId,
        id as VisitId,
        p.at,
        p.lat,
        p.lon,
        p.distance_m,
        p.exception as Option<EvvException>
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn check_out(tx: &mut TenantTx, id: VisitId, p: &Point) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query!(
        "UPDATE visits SET checked_out_at = $3, check_out_lat = $4, check_out_lon = $5,
                check_out_distance_m = $6, check_out_exception = $7
         WHERE organization_id = $1 AND id = $2",
        org as OrganizationId,
        id as VisitId,
        p.at,
        p.lat,
        p.lon,
        p.distance_m,
        p.exception as Option<EvvException>
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The EVV details a visit page shows beyond the summary.
pub struct EvvDetail {
    pub check_in_distance_m: Option<i32>,
    pub check_out_distance_m: Option<i32>,
    pub check_in_exception: Option<EvvException>,
    pub check_out_exception: Option<EvvException>,
}

pub async fn evv(tx: &mut TenantTx, id: VisitId) -> Result<Option<EvvDetail>, sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query_as!(
        EvvDetail,
        r#"SELECT check_in_distance_m, check_out_distance_m,
                  check_in_exception AS "check_in_exception: EvvException",
                  check_out_exception AS "check_out_exception: EvvException"
           FROM visits WHERE organization_id = $1 AND id = $2"#,
        org as OrganizationId,
        id as VisitId
    )
    .fetch_optional(tx.conn())
    .await
}

/// A stored log, still sealed.
pub struct LogRow {
    pub sealed: Sealed,
    pub sha256: Vec<u8>,
    pub sync_key: uuid::Uuid,
    pub signed_by: Option<String>,
    pub signed_at: OffsetDateTime,
    pub countersigned_by: Option<String>,
    pub countersigned_at: Option<OffsetDateTime>,
}

pub async fn log(tx: &mut TenantTx, id: VisitId) -> Result<Option<LogRow>, sqlx::Error> {
    let org = tx.principal().org_id;
    let row = sqlx::query!(
        r#"SELECT l.key_id, l.sealed, l.sha256, l.sync_key, l.signed_at, l.countersigned_at,
                  s.display_name AS "signed_by?", cs.display_name AS "countersigned_by?"
           FROM visit_logs l
           LEFT JOIN users s ON s.id = l.signed_by
           LEFT JOIN users cs ON cs.id = l.countersigned_by
           WHERE l.organization_id = $1 AND l.visit_id = $2"#,
        org as OrganizationId,
        id as VisitId
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| LogRow {
        sealed: Sealed {
            key_id: r.key_id,
            bytes: r.sealed,
        },
        sha256: r.sha256,
        sync_key: r.sync_key,
        signed_by: r.signed_by,
        signed_at: r.signed_at,
        countersigned_by: r.countersigned_by,
        countersigned_at: r.countersigned_at,
    }))
}

pub async fn insert_log(
    tx: &mut TenantTx,
    id: VisitId,
    sealed: &Sealed,
    sha256: &[u8; 32],
    signer: UserId,
    sync_key: uuid::Uuid,
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query!(
        "INSERT INTO visit_logs (organization_id, visit_id, key_id, sealed, sha256, signed_by, sync_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        org as OrganizationId,
        id as VisitId,
        sealed.key_id,
        sealed.bytes,
        &sha256[..],
        signer as UserId,
        sync_key
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn countersign(tx: &mut TenantTx, id: VisitId, user: UserId) -> Result<u64, sqlx::Error> {
    let org = tx.principal().org_id;
    let done = sqlx::query!(
        "UPDATE visit_logs SET countersigned_by = $3, countersigned_at = now()
         WHERE organization_id = $1 AND visit_id = $2 AND countersigned_at IS NULL",
        org as OrganizationId,
        id as VisitId,
        user as UserId
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected())
}

/// An addendum row, still sealed.
pub struct AddendumRow {
    pub seq: i32,
    pub sealed: Sealed,
    pub sha256: Vec<u8>,
    pub prev_sha256: Vec<u8>,
    pub author: Option<String>,
    pub at: OffsetDateTime,
}

pub async fn addenda(tx: &mut TenantTx, id: VisitId) -> Result<Vec<AddendumRow>, sqlx::Error> {
    let org = tx.principal().org_id;
    let rows = sqlx::query!(
        r#"SELECT a.seq, a.key_id, a.sealed, a.sha256, a.prev_sha256, a.created_at,
                  u.display_name AS "author?"
           FROM visit_log_addenda a LEFT JOIN users u ON u.id = a.author_user_id
           WHERE a.organization_id = $1 AND a.visit_id = $2 ORDER BY a.seq"#,
        org as OrganizationId,
        id as VisitId
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| AddendumRow {
            seq: r.seq,
            sealed: Sealed {
                key_id: r.key_id,
                bytes: r.sealed,
            },
            sha256: r.sha256,
            prev_sha256: r.prev_sha256,
            author: r.author,
            at: r.created_at,
        })
        .collect())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert_addendum(
    tx: &mut TenantTx,
    id: VisitId,
    seq: i32,
    sealed: &Sealed,
    prev: &[u8],
    sha256: &[u8; 32],
    author: UserId,
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query!(
        "INSERT INTO visit_log_addenda (organization_id, visit_id, seq, key_id, sealed, prev_sha256,
                                        sha256, author_user_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        org as OrganizationId,
        id as VisitId,
        seq,
        sealed.key_id,
        sealed.bytes,
        prev,
        &sha256[..],
        author as UserId
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A visit of the acting clinic that `clinician` already has over part of
/// `(starts, ends)`: its start, end and patient initials. Another clinic's
/// visit is invisible here; the exclusion constraint catches it.
pub async fn overlapping(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    (starts, ends): (OffsetDateTime, OffsetDateTime),
) -> Result<Option<(OffsetDateTime, OffsetDateTime, String)>, sqlx::Error> {
    let org = tx.principal().org_id;
    let row = sqlx::query!(
        r#"SELECT v.starts_at, v.ends_at, p.initials AS "initials?"
           FROM visits v
           LEFT JOIN patients p ON p.organization_id = v.organization_id AND p.id = v.patient_id
           WHERE v.organization_id = $1 AND v.clinician_id = $2
             AND tstzrange(v.starts_at, v.ends_at) && tstzrange($3, $4)
             AND v.status NOT IN ('declined', 'cancelled', 'missed')
           ORDER BY v.starts_at LIMIT 1"#,
        org as OrganizationId,
        clinician as ClinicianId,
        starts,
        ends
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| (r.starts_at, r.ends_at, r.initials.unwrap_or_default())))
}

/// Whether `clinician` works with the acting clinic.
pub async fn is_affiliated(tx: &mut TenantTx, clinician: ClinicianId) -> Result<bool, sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM clinic_affiliations WHERE clinic_id = $1 AND clinician_id = $2) AS "x!""#,
        org as OrganizationId,
        clinician as ClinicianId
    )
    .fetch_one(tx.conn())
    .await
}

/// The acting clinic's referral `id`, locked: its status and patient.
pub async fn referral_for_update(
    tx: &mut TenantTx,
    id: ReferralId,
) -> Result<Option<(OrganizationId, ReferralStatus, Option<PatientId>, CareType)>, sqlx::Error> {
    let org = tx.principal().org_id;
    let row = sqlx::query!(
        r#"SELECT organization_id AS "org: OrganizationId", status AS "status: ReferralStatus",
                  patient_id AS "patient_id: PatientId", care_type AS "care_type: CareType"
           FROM referrals WHERE id = $1 AND clinic_id = $2 FOR UPDATE"#,
        id as ReferralId,
        org as OrganizationId
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| (r.org, r.status, r.patient_id, r.care_type)))
}

/// Records a visit's domain event (the clinic's alone).
pub async fn record_event(
    tx: &mut TenantTx,
    event_type: EventType,
    subject: VisitId,
    payload: serde_json::Value,
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query!(
        "INSERT INTO domain_events (organization_id, clinic_id, event_type, subject_id, payload)
         VALUES ($1, NULL, $2, $3, $4)",
        org as OrganizationId,
        event_type as EventType,
        subject as VisitId,
        payload
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Other clinics the person works for as a clinician (names).
pub async fn other_clinics(tx: &mut TenantTx) -> Result<Vec<String>, sqlx::Error> {
    let org = tx.principal().org_id;
    let Some(user) = tx.principal().person() else {
        return Ok(Vec::new());
    };
    sqlx::query_scalar!(
        r#"SELECT o.name FROM memberships m JOIN organizations o ON o.id = m.organization_id
           WHERE m.user_id = $1 AND m.role = 'clinician' AND o.kind = 'clinic' AND o.id <> $2
           ORDER BY o.name"#,
        user as UserId,
        org as OrganizationId
    )
    .fetch_all(tx.conn())
    .await
}
