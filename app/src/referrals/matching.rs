//! Matching (SPEC J1.2): verified clinicians with a verified, unexpired
//! license in the patient's state (each license is verified on its own and
//! goes back to the queue when its state, number or expiry changes), whose
//! service radius covers the patient's ZIP (great-circle distance computed
//! in Postgres), who provide the care type, have cared for the diagnosis
//! category, and have room and open days. Ranked by distance plus the wait
//! for their next open day, each with a plain-language explanation ("3.2
//! mi, Heart failure experience (I50), next opening Tue Dec 1").
//!
//! Speed: a partial index over the positions of verified clinicians with
//! room narrows the scan to a box of ±1.5° (more than the 100-mile largest
//! radius) before any distance is computed, and the license check (one
//! primary-key lookup) runs only for the candidates left;
//! `scripts/bench-matching.sh` prints the time per match over 100,000
//! clinicians.

use super::{CareType, Discipline};
use crate::db::Tx;
use crate::domain::{Icd10Code, ZipCode};
use crate::identity::{ClinicianId, OrganizationId};
use time::{Date, OffsetDateTime, Weekday};

/// What to match.
#[derive(Debug, Clone)]
pub struct MatchQuery<'a> {
    pub zip: &'a ZipCode,
    pub diagnosis_code: &'a Icd10Code,
    pub care_type: CareType,
    pub start: Date,
    pub limit: i64,
}

/// One ranked candidate.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub clinician_id: ClinicianId,
    pub name: String,
    pub discipline: Discipline,
    pub distance_miles: f64,
    /// Days from the requested start to the clinician's next open day.
    pub days_to_opening: i32,
    pub category: String,
    pub category_name: String,
    pub verified_at: Option<OffsetDateTime>,
    /// A clinic the clinician is affiliated with, for routing.
    pub clinic_id: Option<OrganizationId>,
    pub explanation: String,
}

/// Ranked candidates for `query`, best first, at most `query.limit`.
/// Works in any scope whose policies show verified clinicians.
pub async fn find<S>(
    tx: &mut Tx<S>,
    query: &MatchQuery<'_>,
) -> Result<Vec<Candidate>, sqlx::Error> {
    let category = query.diagnosis_code.category();
    // Where the patient is, first: the box the candidates must fall in is
    // then plain numbers the planner can use with the position index.
    let Some(place) = sqlx::query!(
        "SELECT lat, lon, state FROM zip_codes WHERE zip = $1",
        query.zip.as_str()
    )
    .fetch_optional(tx.conn())
    .await?
    else {
        return Ok(Vec::new());
    };
    // 1.5° of latitude is 103 miles, more than the largest radius; the
    // longitude span widens with latitude.
    let lat_span = 1.5;
    let lon_span = 1.5 / place.lat.to_radians().cos().max(0.2);
    let rows = sqlx::query!(
        r#"WITH candidates AS MATERIALIZED (
               SELECT c.id, c.display_name, c.discipline, c.verified_at, c.available_days,
                      c.service_radius_miles,
                      3958.8 * 2 * asin(sqrt(
                          power(sin(radians(c.lat - $1) / 2), 2)
                          + cos(radians($1)) * cos(radians(c.lat))
                            * power(sin(radians(c.lon - $2) / 2), 2))) AS miles
               FROM clinicians c
               WHERE c.verification_status = 'verified' AND c.open_slots > 0
                 AND c.lat BETWEEN $1 - $3 AND $1 + $3
                 AND c.lon BETWEEN $2 - $4 AND $2 + $4
                 AND c.available_days <> 0
                 AND $5::care_type = ANY (c.care_types)
                 AND $6 = ANY (c.diagnosis_categories)
           ),
           ranked AS (
               SELECT cand.*,
                      (SELECT min(d) FROM generate_series(0, 6) AS d
                       WHERE cand.available_days
                             & (1 << ((extract(isodow FROM $8::date)::int - 1 + d) % 7)) <> 0
                      ) AS days_to_opening
               FROM candidates cand
               WHERE cand.miles <= cand.service_radius_miles
                 AND EXISTS (SELECT 1 FROM clinician_licenses l
                             WHERE l.clinician_id = cand.id AND l.state = $7
                               AND l.verification_status = 'verified'
                               AND l.expires_on >= greatest(current_date, $8))
           )
           SELECT r.id AS "id!: ClinicianId", r.display_name AS "name!", r.discipline AS "discipline!: Discipline",
                  r.verified_at, r.miles AS "miles!", r.days_to_opening AS "days_to_opening!",
                  (SELECT a.clinic_id FROM clinic_affiliations a
                   WHERE a.clinician_id = r.id ORDER BY a.created_at LIMIT 1) AS "clinic_id: OrganizationId",
                  coalesce((SELECT i.description FROM icd10cm_codes i WHERE i.code = $6), $6)
                      AS "category_name!"
           FROM ranked r
           ORDER BY r.miles + 5 * r.days_to_opening, r.miles, r.id
           LIMIT $9"#,
        place.lat,
        place.lon,
        lat_span,
        lon_span,
        query.care_type as CareType,
        category,
        place.state,
        query.start,
        query.limit,
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let explanation = explain(
                r.miles,
                &r.category_name,
                category,
                query.start,
                r.days_to_opening,
            );
            Candidate {
                clinician_id: r.id,
                name: r.name,
                discipline: r.discipline,
                distance_miles: r.miles,
                days_to_opening: r.days_to_opening,
                category: category.to_owned(),
                category_name: r.category_name,
                verified_at: r.verified_at,
                clinic_id: r.clinic_id,
                explanation,
            }
        })
        .collect())
}

/// "3.2 mi, Heart failure experience (I50), next opening Tue Dec 1".
pub fn explain(miles: f64, category_name: &str, category: &str, start: Date, days: i32) -> String {
    let opening = start + time::Duration::days(i64::from(days));
    let when = if days == 0 {
        format!("available from {}", short_date(opening))
    } else {
        format!("next opening {}", short_date(opening))
    };
    format!("{miles:.1} mi, {category_name} experience ({category}), {when}")
}

/// "Tue Dec 1".
fn short_date(date: Date) -> String {
    let weekday = match date.weekday() {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    };
    let month = date.month().to_string();
    format!("{weekday} {} {}", &month[..3], date.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn explanations_read_like_a_person_wrote_them() {
        let start = date!(2026 - 11 - 30); // a Monday
        assert_eq!(
            explain(3.24, "Heart failure", "I50", start, 1),
            "3.2 mi, Heart failure experience (I50), next opening Tue Dec 1"
        );
        assert_eq!(
            explain(0.0, "Type 2 diabetes mellitus", "E11", start, 0),
            "0.0 mi, Type 2 diabetes mellitus experience (E11), available from Mon Nov 30"
        );
    }
}
