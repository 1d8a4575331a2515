//! SQL for availability, run in the caller's transaction: row-level
//! security lets a clinician change only their own, and lets others read
//! only clinicians they may see.

use super::model::HoursRow;
use super::slots::Hours;
use crate::db::TenantTx;
use crate::identity::ClinicianId;
use crate::payments::Cents;
use crate::referrals::CareType;
use time::{Date, OffsetDateTime};

/// The caller's own clinician profile, and the services it offers.
pub async fn own(tx: &mut TenantTx) -> Result<Option<(ClinicianId, Vec<CareType>)>, sqlx::Error> {
    let row: Option<(uuid::Uuid, Vec<String>)> = sqlx::query_as(
        "SELECT id, care_types::text[] FROM clinicians WHERE id = app_own_clinician()",
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|(id, care)| {
        (
            id.into(),
            care.iter().filter_map(|c| CareType::parse(c)).collect(),
        )
    }))
}

/// Whether the caller may see this clinician (verified and in their
/// directory, or their own).
pub async fn visible(tx: &mut TenantTx, clinician: ClinicianId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM clinicians WHERE id = $1)")
        .bind(clinician.uuid())
        .fetch_one(tx.conn())
        .await
}

pub async fn hours(
    tx: &mut TenantTx,
    clinician: ClinicianId,
) -> Result<Vec<HoursRow>, sqlx::Error> {
    let rows: Vec<(uuid::Uuid, i16, i32, i32)> = sqlx::query_as(
        "SELECT id, weekday, start_minute, end_minute FROM clinician_hours
         WHERE clinician_id = $1 ORDER BY weekday, start_minute",
    )
    .bind(clinician.uuid())
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, w, s, e)| HoursRow {
            id,
            hours: Hours {
                weekday: w as u8,
                start_minute: s as u16,
                end_minute: e as u16,
            },
        })
        .collect())
}

pub async fn add_hours(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    h: Hours,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO clinician_hours (clinician_id, weekday, start_minute, end_minute)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(clinician.uuid())
    .bind(i16::from(h.weekday))
    .bind(i32::from(h.start_minute))
    .bind(i32::from(h.end_minute))
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Removes a stretch of the caller's own hours; whether there was one.
pub async fn remove_hours(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    id: uuid::Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM clinician_hours WHERE clinician_id = $1 AND id = $2")
        .bind(clinician.uuid())
        .bind(id)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn days_off(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    from: Date,
) -> Result<Vec<Date>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT day FROM clinician_days_off WHERE clinician_id = $1 AND day >= $2 ORDER BY day",
    )
    .bind(clinician.uuid())
    .bind(from)
    .fetch_all(tx.conn())
    .await
}

pub async fn add_day_off(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    day: Date,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO clinician_days_off (clinician_id, day) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(clinician.uuid())
    .bind(day)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn remove_day_off(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    day: Date,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("DELETE FROM clinician_days_off WHERE clinician_id = $1 AND day = $2")
        .bind(clinician.uuid())
        .bind(day)
        .execute(tx.conn())
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn rates(
    tx: &mut TenantTx,
    clinician: ClinicianId,
) -> Result<Vec<(CareType, Cents)>, sqlx::Error> {
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT service::text, cents FROM clinician_rates WHERE clinician_id = $1")
            .bind(clinician.uuid())
            .fetch_all(tx.conn())
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(s, c)| CareType::parse(&s).map(|s| (s, Cents(c))))
        .collect())
}

/// Sets (or, with `None`, removes) the rate for a service.
pub async fn set_rate(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    service: CareType,
    cents: Option<Cents>,
) -> Result<(), sqlx::Error> {
    match cents {
        Some(c) => {
            sqlx::query(
                "INSERT INTO clinician_rates (clinician_id, service, cents)
                 VALUES ($1, $2::text::care_type, $3)
                 ON CONFLICT (clinician_id, service) DO UPDATE SET cents = EXCLUDED.cents",
            )
            .bind(clinician.uuid())
            .bind(service.as_str())
            .bind(c.0)
            .execute(tx.conn())
            .await?;
        }
        None => {
            sqlx::query(
                "DELETE FROM clinician_rates WHERE clinician_id = $1 AND service = $2::text::care_type",
            )
            .bind(clinician.uuid())
            .bind(service.as_str())
            .execute(tx.conn())
            .await?;
        }
    }
    Ok(())
}

/// When the clinician is busy in `[from, to)`, in any clinic: the times of
/// their visits (`clinician_busy_times`, a projection of visits that keeps
/// times only), as the caller may see them.
pub async fn busy(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<Vec<(OffsetDateTime, OffsetDateTime)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT starts_at, ends_at FROM clinician_busy_times
         WHERE clinician_id = $1 AND starts_at < $3 AND ends_at > $2
           AND starts_at > $2 - interval '12 hours'
         ORDER BY starts_at",
    )
    .bind(clinician.uuid())
    .bind(from)
    .bind(to)
    .fetch_all(tx.conn())
    .await
}

/// A clinician found for a family: the row and its distance.
pub struct Found {
    pub id: ClinicianId,
    pub name: String,
    pub discipline: String,
    pub verified_at: Option<OffsetDateTime>,
    pub miles: Option<f64>,
    pub languages: Vec<String>,
}

type FoundRow = (
    uuid::Uuid,
    String,
    String,
    Option<OffsetDateTime>,
    Option<f64>,
    Vec<String>,
);

fn found((id, name, discipline, verified_at, miles, languages): FoundRow) -> Found {
    Found {
        id: id.into(),
        name,
        discipline,
        verified_at,
        miles,
        languages,
    }
}

/// Verified clinicians who serve `zip` (within their own radius, with a
/// verified, unexpired license in its state), offer `care`, have cared for
/// `category` and speak `language` (when given), nearest first — those
/// with a rate for the care before those without.
pub async fn search(
    tx: &mut TenantTx,
    zip: &str,
    care: CareType,
    category: Option<&str>,
    language: Option<&str>,
    limit: i64,
) -> Result<Vec<Found>, sqlx::Error> {
    let rows: Vec<FoundRow> = sqlx::query_as(
        "WITH place AS (SELECT lat, lon, state FROM zip_codes WHERE zip = $1),
              near AS (
                  SELECT c.id, c.display_name, c.discipline::text AS discipline, c.verified_at,
                         c.languages, c.service_radius_miles,
                         3958.8 * 2 * asin(sqrt(
                             power(sin(radians(c.lat - p.lat) / 2), 2)
                             + cos(radians(p.lat)) * cos(radians(c.lat))
                               * power(sin(radians(c.lon - p.lon) / 2), 2))) AS miles,
                         EXISTS (SELECT 1 FROM clinician_rates r
                                 WHERE r.clinician_id = c.id AND r.service = $2::text::care_type) AS priced
                  FROM clinicians c, place p
                  WHERE c.verification_status = 'verified'
                    AND c.lat BETWEEN p.lat - 1.5 AND p.lat + 1.5
                    AND c.lon BETWEEN p.lon - 1.5 / greatest(cos(radians(p.lat)), 0.2)
                                  AND p.lon + 1.5 / greatest(cos(radians(p.lat)), 0.2)
                    AND $2::text::care_type = ANY (c.care_types)
                    AND ($3::text IS NULL OR $3 = ANY (c.diagnosis_categories))
                    AND ($4::text IS NULL OR $4 = ANY (c.languages))
                    AND EXISTS (SELECT 1 FROM clinician_licenses l
                                WHERE l.clinician_id = c.id AND l.state = p.state
                                  AND l.verification_status = 'verified'
                                  AND l.expires_on >= current_date))
         SELECT id, display_name, discipline, verified_at, miles, languages FROM near
         WHERE miles <= service_radius_miles
         ORDER BY priced DESC, miles, id
         LIMIT $5",
    )
    .bind(zip)
    .bind(care.as_str())
    .bind(category)
    .bind(language)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(found).collect())
}

/// One verified clinician the caller may see.
pub async fn clinician(tx: &mut TenantTx, id: ClinicianId) -> Result<Option<Found>, sqlx::Error> {
    let row: Option<FoundRow> = sqlx::query_as(
        "SELECT id, display_name, discipline::text, verified_at, NULL::float8, languages
         FROM clinicians WHERE id = $1 AND verification_status = 'verified'",
    )
    .bind(id.uuid())
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(found))
}

/// The clinicians' state licenses, as the caller may see them.
pub async fn licenses(
    tx: &mut TenantTx,
    ids: &[ClinicianId],
) -> Result<Vec<(ClinicianId, super::search::LicenseBadge)>, sqlx::Error> {
    let ids: Vec<uuid::Uuid> = ids.iter().map(|i| i.uuid()).collect();
    let rows: Vec<(uuid::Uuid, String, String, Option<OffsetDateTime>, Date)> = sqlx::query_as(
        "SELECT clinician_id, state::text, verification_status::text, verified_at, expires_on
         FROM clinician_licenses WHERE clinician_id = ANY ($1) ORDER BY state",
    )
    .bind(&ids)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, state, status, verified_at, expires_on)| {
            (
                id.into(),
                super::search::LicenseBadge {
                    state,
                    verified_at: (status == "verified").then_some(verified_at).flatten(),
                    expires_on,
                },
            )
        })
        .collect())
}
