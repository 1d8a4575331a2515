//! Clinician profiles and verification. A clinician reads and writes their
//! own row (the policies key it to their account); platform administrators
//! read every row and set its verification, and each license's.

use super::{ClinicianProfile, License, ProfileInput, Verification};
use crate::db::TenantTx;
use crate::identity::{ClinicianId, UserId};
use crate::referrals::{CareType, Discipline};

struct Row {
    id: ClinicianId,
    display_name: String,
    discipline: Discipline,
    npi: String,
    home_zip: String,
    service_radius_miles: i32,
    care_types: Vec<CareType>,
    diagnosis_categories: Vec<String>,
    languages: Vec<String>,
    available_days: i16,
    open_slots: i32,
    verification: Verification,
    verified_at: Option<time::OffsetDateTime>,
}

async fn licenses(tx: &mut TenantTx, clinician: ClinicianId) -> Result<Vec<License>, sqlx::Error> {
    sqlx::query_as!(
        License,
        r#"SELECT state AS "state!", number, expires_on, expires_on < current_date AS "expired!",
                  verification_status AS "verification: Verification", verified_at
           FROM clinician_licenses WHERE clinician_id = $1 ORDER BY state"#,
        clinician as ClinicianId
    )
    .fetch_all(tx.conn())
    .await
}

async fn with_licenses(tx: &mut TenantTx, row: Row) -> Result<ClinicianProfile, sqlx::Error> {
    let licenses = licenses(tx, row.id).await?;
    Ok(ClinicianProfile {
        id: row.id,
        display_name: row.display_name,
        discipline: row.discipline,
        npi: row.npi,
        home_zip: row.home_zip,
        service_radius_miles: row.service_radius_miles,
        care_types: row.care_types,
        diagnosis_categories: row.diagnosis_categories,
        languages: row.languages,
        available_days: row.available_days,
        open_slots: row.open_slots,
        verification: row.verification,
        verified_at: row.verified_at,
        licenses,
    })
}

/// The principal's own clinician profile, if they made one.
pub async fn own(tx: &mut TenantTx) -> Result<Option<ClinicianProfile>, sqlx::Error> {
    // A key is nobody: it has no profile (NULL matches no row).
    let user = tx.principal().person();
    let row = sqlx::query_as!(
        Row,
        r#"SELECT id AS "id: ClinicianId", display_name, discipline AS "discipline: Discipline", npi AS "npi!",
                  home_zip AS "home_zip!", service_radius_miles,
                  care_types AS "care_types: Vec<CareType>", diagnosis_categories, languages,
                  available_days, open_slots, verification_status AS "verification: Verification",
                  verified_at
           FROM clinicians WHERE user_id = $1"#,
        user as Option<UserId>
    )
    .fetch_optional(tx.conn())
    .await?;
    match row {
        Some(row) => Ok(Some(with_licenses(tx, row).await?)),
        None => Ok(None),
    }
}

/// What [`save_own`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub id: ClinicianId,
    /// The saved license was verified and the save changed it: it waits
    /// for verification again, and the clinician is out of matching in
    /// its state until then.
    pub license_unverified: bool,
}

/// Creates or updates the principal's own profile and the license of its
/// state. A new profile waits for verification; changing the discipline or
/// NPI of a verified one sends it back, and a new license, or a change of
/// a license's number or expiry, waits for its own verification (triggers
/// do both).
pub async fn save_own(tx: &mut TenantTx, input: &ProfileInput) -> Result<Saved, sqlx::Error> {
    let user = tx.principal().person();
    let existing = sqlx::query_scalar!(
        r#"SELECT id AS "id: ClinicianId" FROM clinicians WHERE user_id = $1"#,
        user as Option<UserId>
    )
    .fetch_optional(tx.conn())
    .await?;
    let care = vec![input.care_type];
    let id = match existing {
        Some(id) => {
            sqlx::query!(
                "UPDATE clinicians c
                 SET display_name = $2, discipline = $3, npi = $4, home_zip = z.zip, lat = z.lat,
                     lon = z.lon, service_radius_miles = $6, care_types = $7,
                     diagnosis_categories = $8, languages = $9, available_days = $10,
                     open_slots = $11
                 FROM zip_codes z
                 WHERE c.id = $1 AND z.zip = $5",
                id as ClinicianId,
                input.display_name,
                input.discipline as Discipline,
                input.npi,
                input.home_zip,
                input.service_radius_miles,
                care as Vec<CareType>,
                &input.diagnosis_categories,
                &input.languages,
                input.available_days,
                input.open_slots,
            )
            .execute(tx.conn())
            .await?;
            id
        }
        None => {
            let id = ClinicianId::new();
            sqlx::query!(
                "INSERT INTO clinicians (id, user_id, display_name, discipline, npi, home_zip, lat, lon,
                     service_radius_miles, care_types, diagnosis_categories, languages,
                     available_days, open_slots)
                 SELECT $1, $2, $3, $4, $5, zip, lat, lon, $7, $8, $9, $10, $11, $12
                 FROM zip_codes WHERE zip = $6",
                id as ClinicianId,
                user as Option<UserId>,
                input.display_name,
                input.discipline as Discipline,
                input.npi,
                input.home_zip,
                input.service_radius_miles,
                care as Vec<CareType>,
                &input.diagnosis_categories,
                &input.languages,
                input.available_days,
                input.open_slots,
            )
            .execute(tx.conn())
            .await?;
            id
        }
    };
    let before = sqlx::query_scalar!(
        r#"SELECT verification_status AS "verification: Verification" FROM clinician_licenses
           WHERE clinician_id = $1 AND state = $2"#,
        id as ClinicianId,
        input.license_state,
    )
    .fetch_optional(tx.conn())
    .await?;
    let after = sqlx::query_scalar!(
        r#"INSERT INTO clinician_licenses (clinician_id, state, number, expires_on)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (clinician_id, state) DO UPDATE
           SET number = excluded.number, expires_on = excluded.expires_on
           RETURNING verification_status AS "verification: Verification""#,
        id as ClinicianId,
        input.license_state,
        input.license_number,
        input.license_expires_on,
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(Saved {
        id,
        license_unverified: before == Some(Verification::Verified)
            && after != Verification::Verified,
    })
}

/// The principal's own address, for the notices sent to them.
pub async fn own_email(tx: &mut TenantTx) -> Result<Option<String>, sqlx::Error> {
    let user = tx.principal().person();
    sqlx::query_scalar!(
        "SELECT email FROM users WHERE id = $1",
        user as Option<UserId>
    )
    .fetch_optional(tx.conn())
    .await
}

/// Which of `categories` are not ICD-10-CM categories.
pub async fn unknown_categories(
    tx: &mut TenantTx,
    categories: &[String],
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT c AS "c!" FROM unnest($1::text[]) AS c
           WHERE NOT EXISTS (SELECT 1 FROM icd10cm_codes i WHERE i.code = c)"#,
        categories
    )
    .fetch_all(tx.conn())
    .await
}

/// Clinicians for the verification queue: those waiting first (for the
/// profile or for a license).
pub async fn queue(tx: &mut TenantTx, limit: i64) -> Result<Vec<ClinicianProfile>, sqlx::Error> {
    let rows = sqlx::query_as!(
        Row,
        r#"SELECT id AS "id: ClinicianId", display_name, discipline AS "discipline: Discipline", npi AS "npi!",
                  home_zip AS "home_zip!", service_radius_miles,
                  care_types AS "care_types: Vec<CareType>", diagnosis_categories, languages,
                  available_days, open_slots, verification_status AS "verification: Verification",
                  verified_at
           FROM clinicians c
           ORDER BY c.verification_status <> 'pending'
                        AND NOT EXISTS (SELECT 1 FROM clinician_licenses l
                                        WHERE l.clinician_id = c.id
                                          AND l.verification_status = 'pending'),
                    c.created_at DESC, c.id
           LIMIT $1"#,
        limit
    )
    .fetch_all(tx.conn())
    .await?;
    let mut profiles = Vec::with_capacity(rows.len());
    for row in rows {
        profiles.push(with_licenses(tx, row).await?);
    }
    Ok(profiles)
}

/// Sets a clinician's verification (platform administrators); whether the
/// clinician exists.
pub async fn set_verification(
    tx: &mut TenantTx,
    id: ClinicianId,
    status: Verification,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE clinicians
         SET verification_status = $2,
             verified_at = CASE WHEN $2 = 'verified'::verification_status THEN now() END
         WHERE id = $1",
        id as ClinicianId,
        status as Verification,
    )
    .execute(tx.conn())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The license a platform administrator looked at: what they verify.
#[derive(Debug, Clone)]
pub struct LicenseSeen<'a> {
    pub clinician: ClinicianId,
    pub state: &'a str,
    pub number: &'a str,
    pub expires_on: time::Date,
}

/// How [`set_license_verification`] went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LicenseDecision {
    Done,
    /// No such license.
    Missing,
    /// The license's number or expiry is no longer what was seen.
    Changed,
}

/// Sets a license's verification (platform administrators), only if the
/// license still reads as `seen`: a clinician's change made while the
/// administrator was looking is never verified unseen.
pub async fn set_license_verification(
    tx: &mut TenantTx,
    seen: &LicenseSeen<'_>,
    status: Verification,
) -> Result<LicenseDecision, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE clinician_licenses
         SET verification_status = $5,
             verified_at = CASE WHEN $5 = 'verified'::verification_status THEN now() END,
             verified_by = CASE WHEN $5 = 'verified'::verification_status THEN app_user_id() END
         WHERE clinician_id = $1 AND state = $2 AND number = $3 AND expires_on = $4",
        seen.clinician as ClinicianId,
        seen.state,
        seen.number,
        seen.expires_on,
        status as Verification,
    )
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 1 {
        return Ok(LicenseDecision::Done);
    }
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM clinician_licenses
                          WHERE clinician_id = $1 AND state = $2) AS "exists!""#,
        seen.clinician as ClinicianId,
        seen.state,
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(if exists {
        LicenseDecision::Changed
    } else {
        LicenseDecision::Missing
    })
}

/// Search filters of the developer API's clinician search.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// Licensed in this state (a verified, unexpired license).
    pub state: Option<String>,
    /// Based in this city.
    pub city: Option<String>,
    /// Serving this ZIP (within their radius).
    pub zip: Option<String>,
    /// Experienced with this ICD-10-CM category (three characters).
    pub category: Option<String>,
    pub care_type: Option<CareType>,
    pub limit: i64,
}

/// A verified clinician found by [`search`].
#[derive(Debug, Clone)]
pub struct Found {
    pub id: ClinicianId,
    pub name: String,
    pub discipline: Discipline,
    pub city: String,
    pub state: String,
    pub distance_miles: Option<f64>,
    pub care_types: Vec<CareType>,
    pub languages: Vec<String>,
    pub diagnosis_categories: Vec<String>,
    pub verified_at: Option<time::OffsetDateTime>,
}

/// Verified clinicians matching every given filter: nearest first when a
/// ZIP is given, by name otherwise.
pub async fn search(tx: &mut TenantTx, s: &Search) -> Result<Vec<Found>, sqlx::Error> {
    let place = match &s.zip {
        Some(zip) => {
            match sqlx::query!("SELECT lat, lon FROM zip_codes WHERE zip = $1", zip)
                .fetch_optional(tx.conn())
                .await?
            {
                Some(p) => Some((p.lat, p.lon)),
                // An unknown ZIP serves nobody.
                None => return Ok(Vec::new()),
            }
        }
        None => None,
    };
    let (lat, lon) = place.unzip();
    let lon_span = lat.map(|l: f64| 1.5 / l.to_radians().cos().max(0.2));
    sqlx::query_as!(
        Found,
        r#"SELECT c.id AS "id: ClinicianId", c.display_name AS name, c.discipline AS "discipline: Discipline",
                  z.city AS "city!", z.state::text AS "state!",
                  CASE WHEN $1::float8 IS NULL THEN NULL ELSE
                      3958.8 * 2 * asin(sqrt(
                          power(sin(radians(c.lat - $1) / 2), 2)
                          + cos(radians($1)) * cos(radians(c.lat))
                            * power(sin(radians(c.lon - $2) / 2), 2))) END AS distance_miles,
                  c.care_types AS "care_types: Vec<CareType>", c.languages,
                  c.diagnosis_categories, c.verified_at
           FROM clinicians c
           JOIN zip_codes z ON z.zip = c.home_zip
           WHERE c.verification_status = 'verified'
             AND ($3::text IS NULL OR EXISTS (
                     SELECT 1 FROM clinician_licenses l
                     WHERE l.clinician_id = c.id AND l.state = $3 AND l.expires_on >= current_date
                       AND l.verification_status = 'verified'))
             AND ($4::text IS NULL OR lower(z.city) = lower($4))
             AND ($1::float8 IS NULL OR (
                     c.lat BETWEEN $1 - 1.5 AND $1 + 1.5
                     AND c.lon BETWEEN $2 - $5 AND $2 + $5
                     AND 3958.8 * 2 * asin(sqrt(
                             power(sin(radians(c.lat - $1) / 2), 2)
                             + cos(radians($1)) * cos(radians(c.lat))
                               * power(sin(radians(c.lon - $2) / 2), 2))) <= c.service_radius_miles))
             AND ($6::text IS NULL OR $6 = ANY (c.diagnosis_categories))
             AND ($7::care_type IS NULL OR $7 = ANY (c.care_types))
           ORDER BY distance_miles NULLS LAST, c.display_name, c.id
           LIMIT $8"#,
        lat,
        lon,
        s.state,
        s.city,
        lon_span,
        s.category,
        s.care_type as Option<CareType>,
        s.limit,
    )
    .fetch_all(tx.conn())
    .await
}
