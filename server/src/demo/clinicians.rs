//! De-identified demo clinicians: made-up names, valid-looking NPIs (Luhn
//! check digit, never checked against the registry), homes at real ZIP
//! codes, licenses, skills, diagnosis experience and open days, generated
//! deterministically from a seed so every run has the same directory. Also
//! used by the matching benchmark to make 100,000 of them.

use anyhow::Result;
use app::referrals::{CareType, Discipline};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgConnection;
use uuid::Uuid;

const FIRST: [&str; 40] = [
    "Avery", "Jordan", "Riley", "Morgan", "Casey", "Taylor", "Jamie", "Quinn", "Rowan", "Reese",
    "Elena", "Marcus", "Priya", "Tomás", "Aisha", "Daniel", "Mei", "Samuel", "Nadia", "Oliver",
    "Grace", "Hector", "Ingrid", "Jamal", "Keiko", "Liam", "Maya", "Nikolai", "Olivia", "Pedro",
    "Rosa", "Sanjay", "Tanya", "Victor", "Wen", "Yusuf", "Zoe", "Bianca", "Caleb", "Delia",
];
const LAST: [&str; 40] = [
    "Abbott",
    "Baker",
    "Castillo",
    "Dunn",
    "Ellison",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ibrahim",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Mensah",
    "Nakamura",
    "Okafor",
    "Patel",
    "Quintero",
    "Russo",
    "Schmidt",
    "Tran",
    "Underwood",
    "Vasquez",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zimmerman",
    "Brennan",
    "Chen",
    "Delgado",
    "Evans",
    "Foster",
    "Gupta",
    "Harris",
    "Ivanova",
    "Johnson",
    "Kim",
    "Larsen",
    "Murphy",
    "Nguyen",
    "Ortiz",
];
/// ICD-10-CM categories common in home health.
pub const CATEGORIES: [&str; 24] = [
    "I50", "J44", "E11", "I63", "S72", "L89", "N18", "I10", "F03", "G20", "C34", "J18", "I48",
    "M17", "Z96", "G30", "I25", "E66", "N39", "R26", "G35", "C50", "J96", "L97",
];
const LANGUAGES: [&str; 6] = ["es", "zh", "vi", "ru", "ar", "so"];

/// Where the demo's clinicians live: (state, share of the directory). Ohio
/// gets most, around the demo organizations in Columbus and Cleveland.
pub const DEMO_REGIONS: [(&str, u32); 10] = [
    ("OH", 50),
    ("PA", 8),
    ("MI", 8),
    ("IN", 6),
    ("KY", 5),
    ("IL", 5),
    ("NY", 5),
    ("TX", 5),
    ("CA", 4),
    ("FL", 4),
];

fn discipline_and_care(rng: &mut StdRng) -> (Discipline, Vec<CareType>) {
    match rng.random_range(0..100) {
        0..40 => (Discipline::Rn, vec![CareType::SkilledNursing]),
        40..55 => (
            Discipline::Lpn,
            vec![CareType::SkilledNursing, CareType::HomeHealthAide],
        ),
        55..70 => (Discipline::Pt, vec![CareType::PhysicalTherapy]),
        70..80 => (Discipline::Ot, vec![CareType::OccupationalTherapy]),
        80..85 => (Discipline::Slp, vec![CareType::SpeechTherapy]),
        85..95 => (Discipline::Hha, vec![CareType::HomeHealthAide]),
        _ => (Discipline::Msw, vec![CareType::MedicalSocialWork]),
    }
}

/// A ten-digit NPI with a valid check digit, made from a number.
pub fn npi(n: u32) -> String {
    // Nine digits starting with 1, as individual providers' NPIs do.
    let body = format!("{:09}", 100_000_000 + n % 100_000_000);
    let check = app::clinicians::npi_check_digit(&body).unwrap_or(0);
    format!("{body}{check}")
}

/// The demo clinicians' ids start here (stable across runs).
pub fn id_of(n: u64) -> Uuid {
    Uuid::from_u128(0xde01_0000_0000_4000_8000_0000_0000_0000 | u128::from(n))
}

/// Every state, in proportion to its ZIP codes (roughly, to where people
/// live): the benchmark's spread. `"*"` stands for all states.
pub const NATIONWIDE: [(&str, u32); 1] = [("*", 1)];

/// Inserts `count` generated clinicians (ids from `id_of(first)`) spread
/// over `regions`, affiliating those within 40 miles of a clinic's
/// `(id, zip)` with it. Returns how many were inserted. Runs on an
/// administrative connection.
pub async fn generate(
    conn: &mut PgConnection,
    seed: u64,
    first: u64,
    count: u64,
    regions: &[(&str, u32)],
    clinics: &[(Uuid, &str)],
) -> Result<u64> {
    let mut rng = StdRng::seed_from_u64(seed);
    let total_share: u32 = regions.iter().map(|r| r.1).sum();
    let mut inserted = 0;
    for (region, share) in regions {
        let n = count * u64::from(*share) / u64::from(total_share);
        // Real ZIPs of the region, in a seeded order.
        let zips: Vec<(String, f64, f64, String)> = sqlx::query_as(
            "SELECT zip::text, lat, lon, state::text FROM zip_codes
             WHERE ($1 = '*' OR state = $1) AND kind = 'STANDARD' AND active
             ORDER BY md5(zip || $2::text) LIMIT 50000",
        )
        .bind(region)
        .bind(seed.to_string())
        .fetch_all(&mut *conn)
        .await?;
        if zips.is_empty() {
            continue;
        }
        let mut batch = Batch::default();
        for _ in 0..n {
            let i = first + inserted;
            let (zip, lat, lon, state) = &zips[rng.random_range(0..zips.len())];
            let (discipline, care) = discipline_and_care(&mut rng);
            let mut categories: Vec<&str> = CATEGORIES
                .iter()
                .copied()
                .filter(|_| rng.random_bool(0.4))
                .collect();
            if categories.is_empty() {
                categories.push(CATEGORIES[rng.random_range(0..CATEGORIES.len())]);
            }
            let mut languages = vec!["en"];
            if rng.random_bool(0.25) {
                languages.push(LANGUAGES[rng.random_range(0..LANGUAGES.len())]);
            }
            let verified = rng.random_bool(0.9);
            // A few licenses have lapsed: those clinicians never match.
            let expires_in_days: i32 = if rng.random_bool(0.05) {
                -rng.random_range(1..300)
            } else {
                rng.random_range(120..1100)
            };
            batch.push(Row {
                id: id_of(i),
                name: format!(
                    "{} {}",
                    FIRST[rng.random_range(0..FIRST.len())],
                    LAST[rng.random_range(0..LAST.len())]
                ),
                discipline: discipline.as_str(),
                npi: npi(u32::try_from(i * 7919 % 900_000_000).unwrap_or(0)),
                zip: zip.clone(),
                lat: *lat,
                lon: *lon,
                radius: rng.random_range(10..=50),
                care: care
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect::<Vec<_>>()
                    .join(","),
                categories: categories.join(","),
                languages: languages.join(","),
                days: rng.random_range(1..128),
                slots: if rng.random_bool(0.85) {
                    rng.random_range(1..6)
                } else {
                    0
                },
                verified,
                state: state.clone(),
                license: format!("{state}-{}", 100_000 + rng.random_range(0..900_000)),
                expires_in_days,
            });
            inserted += 1;
            if batch.rows.len() == 1000 {
                batch.flush(conn).await?;
            }
        }
        batch.flush(conn).await?;
    }
    for (clinic, zip) in clinics {
        sqlx::query(
            "INSERT INTO clinic_affiliations (clinic_id, clinician_id)
             SELECT $1, c.id FROM clinicians c, zip_codes z
             WHERE z.zip = $2 AND c.id >= $3 AND c.id < $4
               AND 3958.8 * 2 * asin(sqrt(power(sin(radians(c.lat - z.lat) / 2), 2)
                   + cos(radians(z.lat)) * cos(radians(c.lat)) * power(sin(radians(c.lon - z.lon) / 2), 2))) <= 40
             ON CONFLICT DO NOTHING",
        )
        .bind(clinic)
        .bind(zip)
        .bind(id_of(first))
        .bind(id_of(first + count))
        .execute(&mut *conn)
        .await?;
    }
    Ok(inserted)
}

struct Row {
    id: Uuid,
    name: String,
    discipline: &'static str,
    npi: String,
    zip: String,
    lat: f64,
    lon: f64,
    radius: i32,
    care: String,
    categories: String,
    languages: String,
    days: i16,
    slots: i32,
    verified: bool,
    state: String,
    license: String,
    expires_in_days: i32,
}

#[derive(Default)]
struct Batch {
    rows: Vec<Row>,
}

impl Batch {
    fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// One statement per thousand clinicians (arrays unnested in SQL).
    async fn flush(&mut self, conn: &mut PgConnection) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(&mut self.rows);
        macro_rules! col {
            ($f:ident) => {
                rows.iter().map(|r| r.$f.clone()).collect::<Vec<_>>()
            };
        }
        sqlx::query(
            "INSERT INTO clinicians (id, display_name, discipline, npi, home_zip, lat, lon,
                 service_radius_miles, care_types, diagnosis_categories, languages, available_days,
                 open_slots, verification_status, verified_at)
             SELECT id, name, discipline::discipline, npi, zip, lat, lon, radius,
                    string_to_array(care, ',')::care_type[], string_to_array(categories, ','),
                    string_to_array(languages, ','), days, slots,
                    CASE WHEN verified THEN 'verified' ELSE 'pending' END::verification_status,
                    CASE WHEN verified THEN now() - make_interval(days => (abs(hashtext(id::text)) % 300)) END
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[],
                         $7::float8[], $8::int[], $9::text[], $10::text[], $11::text[], $12::int2[],
                         $13::int[], $14::bool[])
                  AS t(id, name, discipline, npi, zip, lat, lon, radius, care, categories, languages,
                       days, slots, verified)
             ON CONFLICT DO NOTHING",
        )
        .bind(col!(id))
        .bind(col!(name))
        .bind(rows.iter().map(|r| r.discipline).collect::<Vec<_>>())
        .bind(col!(npi))
        .bind(col!(zip))
        .bind(col!(lat))
        .bind(col!(lon))
        .bind(col!(radius))
        .bind(col!(care))
        .bind(col!(categories))
        .bind(col!(languages))
        .bind(col!(days))
        .bind(col!(slots))
        .bind(col!(verified))
        .execute(&mut *conn)
        .await?;
        sqlx::query(
            "INSERT INTO clinician_licenses (clinician_id, state, number, expires_on,
                 verification_status, verified_at)
             SELECT id, state, number, current_date + days,
                    CASE WHEN verified THEN 'verified' ELSE 'pending' END::verification_status,
                    CASE WHEN verified THEN now() - make_interval(days => (abs(hashtext(id::text)) % 300)) END
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::bool[])
                  AS t(id, state, number, days, verified)
             ON CONFLICT DO NOTHING",
        )
        .bind(col!(id))
        .bind(col!(state))
        .bind(col!(license))
        .bind(col!(expires_in_days))
        .bind(col!(verified))
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::npi;

    #[test]
    fn npis_carry_a_valid_check_digit() {
        // CMS's published example: 1234567893 is a valid NPI.
        assert_eq!(npi(23_456_789), "1234567893");
        let n = npi(42);
        assert_eq!(n.len(), 10);
        assert!(n.starts_with('1'));
    }
}
