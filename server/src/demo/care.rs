//! Demo care data: Mercy's referrals to Riverbend in every status, the
//! patients (sealed packets) that accepting made, and the demo nurse's
//! visits around the day the demo was first seeded: a late one, two today,
//! an offer for tomorrow, one next week, and yesterday's signed visit
//! (EVV exception, waiting for Riverbend's countersignature).
//!
//! Written over the administrative connection like the rest of the demo,
//! but through the same state machine: each referral is inserted as
//! received and moved step by step (the triggers check every move), and
//! sealed values are sealed with the configured keys. Idempotent: the ids
//! are fixed and a seeded referral is left alone.

use super::{clinicians, MERCY, RIVERBEND, USERS};
use anyhow::Result;
use app::patients::{PatientDetails, PayerKind};
use app::vault::Keyring;
use app::visits::{Signature, TaskOutcome, TaskResult, VisitLog, Vitals};
use sqlx::{Connection, PgConnection};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

fn id(kind: u128, n: u128) -> Uuid {
    Uuid::from_u128(0xde02_0000_0000_4000_8000_0000_0000_0000 | (kind << 16) | n)
}

struct Demo {
    n: u128,
    initials: &'static str,
    name: &'static str,
    born: &'static str,
    /// The path through the state machine after `received`.
    path: &'static [&'static str],
    priority: &'static str,
    notes: &'static str,
}

const REFERRALS: [Demo; 8] = [
    Demo {
        n: 1,
        initials: "HB",
        name: "Harold Bishop",
        born: "1941-06-12",
        path: &[],
        priority: "urgent",
        notes: "New oxygen at home; lives with his daughter.",
    },
    Demo {
        n: 2,
        initials: "MR",
        name: "Maria Reyes",
        born: "1950-01-30",
        path: &["matched"],
        priority: "priority",
        notes: "Spanish-speaking; daughter interprets.",
    },
    Demo {
        n: 3,
        initials: "EW",
        name: "Eleanor Whitt",
        born: "1938-09-04",
        path: &["matched", "accepted"],
        priority: "routine",
        notes: "Wound care twice weekly.",
    },
    Demo {
        n: 4,
        initials: "TK",
        name: "Thomas Kowalski",
        born: "1947-11-21",
        path: &["matched", "declined"],
        priority: "routine",
        notes: "Rural address.",
    },
    Demo {
        n: 5,
        initials: "JD",
        name: "Jane Quinn Doe",
        born: "1948-03-02",
        path: &["matched", "accepted", "scheduled"],
        priority: "priority",
        notes: "Daily weights; lives alone.",
    },
    Demo {
        n: 6,
        initials: "RA",
        name: "Robert Allen",
        born: "1944-05-17",
        path: &["matched", "accepted", "scheduled", "first_visit_done"],
        priority: "priority",
        notes: "Insulin teaching.",
    },
    Demo {
        n: 7,
        initials: "LG",
        name: "Linda Grant",
        born: "1952-08-08",
        path: &[
            "matched",
            "accepted",
            "scheduled",
            "first_visit_done",
            "closed",
        ],
        priority: "routine",
        notes: "Discharged from home health.",
    },
    Demo {
        n: 8,
        initials: "PS",
        name: "Paul Simms",
        born: "1949-02-14",
        path: &["cancelled"],
        priority: "routine",
        notes: "Readmitted before discharge.",
    },
];

fn details(d: &Demo) -> PatientDetails {
    let date = time::Date::parse(
        d.born,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .unwrap_or(time::macros::date!(1945 - 01 - 01));
    PatientDetails {
        full_name: d.name.to_owned(),
        birth_date: date,
        address: format!("{} Maple Avenue", 100 + d.n * 7),
        phone: format!("61455501{:02}", d.n),
        payer: if d.n.is_multiple_of(3) {
            PayerKind::Medicaid
        } else {
            PayerKind::Medicare
        },
        member_id: format!("1EG4TE5MK{:02}", d.n),
        emergency_name: "A family member".to_owned(),
        emergency_phone: format!("61455502{:02}", d.n),
    }
}

/// Seeds the care data once (the first referral's id marks it done).
pub async fn seed(conn: &mut PgConnection, vault: &Keyring) -> Result<()> {
    let done: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM referrals WHERE id = $1)")
        .bind(id(1, 1))
        .fetch_one(&mut *conn)
        .await?;
    if done {
        return Ok(());
    }
    let planner = USERS[4].id;
    let director = USERS[1].id;
    let nurse_user = USERS[5].id;
    let nurse = clinicians::id_of(1 << 40);
    // On the hour, so the times read well; around now, so nothing overlaps
    // (the exclusion constraint would refuse it) whatever the hour.
    let now = OffsetDateTime::now_utc()
        .replace_minute(0)
        .and_then(|t| t.replace_second(0))
        .and_then(|t| t.replace_nanosecond(0))
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let mut tx = conn.begin().await?;
    for d in &REFERRALS {
        let referral = id(1, d.n);
        sqlx::query(
            "INSERT INTO referrals (organization_id, id, clinic_id, reference, patient_initials,
                 patient_birth_year, zip, diagnosis_code, care_type, priority, requested_start, notes,
                 created_by, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, '43215', 'I509', 'skilled_nursing',
                     $7::text::referral_priority, current_date + 1, $8, $9, now() - make_interval(hours => $10))",
        )
        .bind(MERCY)
        .bind(referral)
        .bind(RIVERBEND)
        .bind(format!("R-DE0000{:02X}", d.n))
        .bind(d.initials)
        .bind(d.born[..4].parse::<i32>().unwrap_or(1945))
        .bind(d.priority)
        .bind(d.notes)
        .bind(planner)
        .bind(i32::try_from(d.n * 5).unwrap_or(1))
        .execute(&mut *tx)
        .await?;
        let packet = details(d);
        let sealed = vault.seal(
            &serde_json::to_vec(&Some(&packet))?,
            app::vault::Place {
                table: "referral_packets",
                column: "sealed",
                row: referral,
            },
        );
        let index = app::patients::service::identity_index(vault, &packet, "43215");
        sqlx::query(
            "INSERT INTO referral_packets (organization_id, referral_id, clinic_id, key_id, sealed, match_index)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(MERCY)
        .bind(referral)
        .bind(RIVERBEND)
        .bind(&sealed.key_id)
        .bind(&sealed.bytes)
        .bind(&index[..])
        .execute(&mut *tx)
        .await?;
        for status in d.path {
            let (reason, note) = match *status {
                "declined" => (Some("no_capacity"), None),
                "cancelled" => (None, Some("Readmitted to the hospital before discharge.")),
                _ => (None, None),
            };
            sqlx::query(
                "UPDATE referrals SET status = $2::text::referral_status,
                        decline_reason = $3::text::decline_reason, status_note = $4
                 WHERE organization_id = $1 AND id = $5",
            )
            .bind(MERCY)
            .bind(status)
            .bind(reason)
            .bind(note)
            .bind(referral)
            .execute(&mut *tx)
            .await?;
            if *status == "accepted" {
                let patient = id(2, d.n);
                let sealed = vault.seal(
                    &serde_json::to_vec(&Some(&packet))?,
                    app::vault::Place {
                        table: "patients",
                        column: "sealed",
                        row: patient,
                    },
                );
                sqlx::query(
                    "INSERT INTO patients (organization_id, id, initials, zip, key_id, sealed, match_index, created_by)
                     VALUES ($1, $2, $3, '43215', $4, $5, $6, $7)",
                )
                .bind(RIVERBEND)
                .bind(patient)
                .bind(d.initials)
                .bind(&sealed.key_id)
                .bind(&sealed.bytes)
                .bind(&index[..])
                .bind(director)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE referrals SET patient_id = $3, assigned_clinician_id = $4 WHERE organization_id = $1 AND id = $2")
                    .bind(MERCY)
                    .bind(referral)
                    .bind(patient)
                    .bind(nurse)
                    .execute(&mut *tx)
                    .await?;
            }
        }
    }

    // The nurse's visits: (referral n, visit n, start, status). Referral 3
    // is accepted with none yet: the one to schedule in the demo.
    let visits: [(u128, u128, OffsetDateTime, &str); 7] = [
        (5, 1, now - Duration::hours(2), "accepted"),
        (5, 2, now + Duration::hours(2), "accepted"),
        (5, 3, now + Duration::hours(4), "accepted"),
        (5, 4, now + Duration::days(1), "proposed"),
        (5, 5, now + Duration::days(8), "accepted"),
        (6, 6, now - Duration::days(1), "completed"),
        (7, 7, now - Duration::days(9), "completed"),
    ];
    let tasks = [
        "Vital signs",
        "Medication reconciliation",
        "Patient and caregiver teaching",
    ];
    for (r, n, starts, status) in visits {
        let visit = id(3, n);
        sqlx::query(
            "INSERT INTO visits (organization_id, id, patient_id, referral_id, clinician_id, service,
                                 starts_at, ends_at, tasks, created_by)
             VALUES ($1, $2, $3, $4, $5, 'skilled_nursing', $6, $6 + interval '1 hour', $7, $8)",
        )
        .bind(RIVERBEND)
        .bind(visit)
        .bind(id(2, r))
        .bind(id(1, r))
        .bind(nurse)
        .bind(starts)
        .bind(&tasks[..])
        .bind(director)
        .execute(&mut *tx)
        .await?;
        if status == "proposed" {
            continue;
        }
        sqlx::query("UPDATE visits SET status = 'accepted' WHERE organization_id = $1 AND id = $2")
            .bind(RIVERBEND)
            .bind(visit)
            .execute(&mut *tx)
            .await?;
        if status != "completed" {
            continue;
        }
        // Checked in at the door, checked out with no signal.
        sqlx::query(
            "UPDATE visits SET status = 'in_progress', checked_in_at = $3, check_in_lat = 39.9625,
                    check_in_lon = -83.0032, check_in_distance_m = 180,
                    checked_out_at = $3 + interval '55 minutes', check_out_exception = 'no_signal'
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(RIVERBEND)
        .bind(visit)
        .bind(starts + Duration::minutes(3))
        .execute(&mut *tx)
        .await?;
        let log = VisitLog {
            visit_id: visit.into(),
            tasks: tasks
                .iter()
                .map(|t| TaskResult {
                    task: (*t).to_owned(),
                    outcome: TaskOutcome::Done,
                    reason: None,
                })
                .collect(),
            vitals: Vitals {
                systolic: Some(132),
                diastolic: Some(84),
                pulse: Some(78),
                temperature_f10: Some(981),
                spo2: Some(96),
                respirations: Some(16),
                pain: Some(2),
            },
            notes:
                "Tolerated visit well. Reviewed insulin technique; return demonstration correct."
                    .to_owned(),
            patient_signature: None,
            clinician_signature: Signature {
                name: "Luis Moreno".to_owned(),
                strokes: Vec::new(),
            },
        };
        let (bytes, hash) = app::visits::service::canonical(&log)
            .map_err(|e| anyhow::anyhow!("the demo log could not be canonicalised: {e}"))?;
        let sealed = vault.seal(
            &bytes,
            app::vault::Place {
                table: "visit_logs",
                column: "sealed",
                row: visit,
            },
        );
        sqlx::query(
            "INSERT INTO visit_logs (organization_id, visit_id, key_id, sealed, sha256, signed_by,
                                     signed_at, sync_key, countersigned_by, countersigned_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(RIVERBEND)
        .bind(visit)
        .bind(&sealed.key_id)
        .bind(&sealed.bytes)
        .bind(&hash[..])
        .bind(nurse_user)
        .bind(starts + Duration::hours(1))
        .bind(Uuid::new_v4())
        // The older visit was countersigned; yesterday's waits.
        .bind((n == 7).then_some(director))
        .bind((n == 7).then_some(starts + Duration::days(1)))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE visits SET status = 'completed' WHERE organization_id = $1 AND id = $2",
        )
        .bind(RIVERBEND)
        .bind(visit)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!("demo referrals, patients and visits created");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::REFERRALS;

    /// The PHI canary list the test command greps the server's log for
    /// holds every demo patient's name and referral notes.
    #[test]
    fn every_demo_patient_is_a_phi_canary() {
        let canaries = include_str!("../../../end2end/phi-canaries.txt");
        let listed: Vec<&str> = canaries
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect();
        for d in &REFERRALS {
            assert!(listed.contains(&d.name), "{} is a canary", d.name);
            assert!(listed.contains(&d.notes), "{}'s notes are a canary", d.name);
        }
        for other in ["Walter Lin", "Quinn Avery"] {
            assert!(listed.contains(&other));
        }
    }
}
