//! The demo family's bookings with the demo nurse, Luis Moreno: one three
//! days ago, checked in and out, signed, confirmed by the family and paid
//! (the running server's settle job pays it moments after start, with the
//! local processor), and one accepted for the day after tomorrow.
//!
//! Written over the administrative connection but through the state
//! machine and the payment rules: each step sets the acting person and role
//! the way a request does, so the triggers check every move, the ledger is
//! posted through `ledger_post`, and sealed values are sealed with the
//! configured keys. Idempotent: the ids are fixed.

use super::{clinicians, LIN_FAMILY, PLATFORM, USERS, WALTER_LIN};
use anyhow::Result;
use app::identity::{OrganizationId, PatientId, UserId};
use app::patients::{PatientDetails, PayerKind};
use app::payments::{ledger, Cents, Posting};
use app::vault::Keyring;
use app::visits::{Signature, TaskOutcome, TaskResult, VisitLog, Vitals};
use sqlx::{Connection, PgConnection};
use time::{Duration, OffsetDateTime, Time};
use uuid::Uuid;

/// The platform's copy of Walter Lin (his patient record for booked visits).
const WALTER_PATIENT: Uuid = Uuid::from_u128(0xde03_0000_0000_4000_8000_0000_0000_0001);
/// The paid visit, and the upcoming one.
pub const PAID_VISIT: Uuid = Uuid::from_u128(0xde03_0000_0000_4000_8000_0000_0001_0001);
const UPCOMING_VISIT: Uuid = Uuid::from_u128(0xde03_0000_0000_4000_8000_0000_0001_0002);
const RATE: Cents = Cents(9500);

/// Acts as `user` in `org` with `role` for the rest of the transaction.
async fn act(conn: &mut PgConnection, user: Uuid, org: Uuid, role: &str) -> Result<()> {
    sqlx::query(
        "SELECT set_config('app.user_id', $1::text, true), set_config('app.org_id', $2::text, true),
                set_config('app.role', $3, true)",
    )
    .bind(user)
    .bind(org)
    .bind(role)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn seed(conn: &mut PgConnection, vault: &Keyring) -> Result<()> {
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM visits WHERE id = $1)")
        .bind(PAID_VISIT)
        .fetch_one(&mut *conn)
        .await?;
    let nurse_clinician = clinicians::id_of(1 << 40);
    let have_nurse: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM clinicians WHERE id = $1)")
            .bind(nurse_clinician)
            .fetch_one(&mut *conn)
            .await?;
    if exists || !have_nurse {
        return Ok(());
    }
    let (grace, luis) = (USERS[6].id, USERS[5].id);
    let today = OffsetDateTime::now_utc().replace_time(Time::from_hms(15, 0, 0)?);
    let mut tx = conn.begin().await?;

    act(&mut tx, grace, LIN_FAMILY, "family").await?;
    let details = PatientDetails {
        full_name: "Walter Lin".to_owned(),
        birth_date: time::Date::from_calendar_date(1938, time::Month::March, 14)?,
        address: "27 Maple Avenue".to_owned(),
        phone: String::new(),
        payer: PayerKind::PrivatePay,
        member_id: String::new(),
        emergency_name: String::new(),
        emergency_phone: String::new(),
    };
    let (sealed, index) = app::patients::service::seal_patient(
        vault,
        PatientId::from(WALTER_PATIENT),
        &details,
        "43215",
    );
    sqlx::query(
        "INSERT INTO patients (organization_id, id, initials, zip, key_id, sealed, match_index,
                               created_by, family_id, recipient_id)
         VALUES ($1, $2, 'WL', '43215', $3, $4, $5, $6, $7, $8)",
    )
    .bind(PLATFORM)
    .bind(WALTER_PATIENT)
    .bind(&sealed.key_id)
    .bind(&sealed.bytes)
    .bind(&index[..])
    .bind(grace)
    .bind(LIN_FAMILY)
    .bind(WALTER_LIN)
    .execute(&mut *tx)
    .await?;
    let tasks: Vec<String> = app::visits::task_template(app::referrals::CareType::SkilledNursing)
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    for (visit, starts) in [
        (PAID_VISIT, today - Duration::days(3)),
        (UPCOMING_VISIT, today + Duration::days(2)),
    ] {
        act(&mut tx, grace, LIN_FAMILY, "family").await?;
        sqlx::query(
            "INSERT INTO visits (organization_id, id, patient_id, clinician_id, service, starts_at,
                                 ends_at, tasks, status, family_id, hold_expires_at, created_by)
             VALUES ($1, $2, $3, $4, 'skilled_nursing', $5, $5 + interval '1 hour', $6, 'held', $7,
                     now() + interval '10 minutes', $8)",
        )
        .bind(PLATFORM)
        .bind(visit)
        .bind(WALTER_PATIENT)
        .bind(nurse_clinician)
        .bind(starts)
        .bind(&tasks)
        .bind(LIN_FAMILY)
        .bind(grace)
        .execute(&mut *tx)
        .await?;
        // The card's hold at the local processor, and its record.
        let authorization = format!("lp_{}", visit.simple());
        sqlx::query(
            "INSERT INTO local_processor_payments (id, amount_cents, card_last4, idempotency_key)
             VALUES ($1, $2, '4242', $3)",
        )
        .bind(&authorization)
        .bind(RATE.0)
        .bind(format!("authorize-{visit}"))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO visit_payments (organization_id, visit_id, payer_org_id, clinician_user_id,
                                         amount_cents, authorization_id)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(PLATFORM)
        .bind(visit)
        .bind(LIN_FAMILY)
        .bind(luis)
        .bind(RATE.0)
        .bind(&authorization)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE visits SET status = 'proposed' WHERE organization_id = $1 AND id = $2")
            .bind(PLATFORM)
            .bind(visit)
            .execute(&mut *tx)
            .await?;
        let posting = Posting::authorize(
            format!("authorize-{visit}"),
            OrganizationId::from(LIN_FAMILY),
            UserId::from(luis),
            RATE,
        )
        .map_err(|e| anyhow::anyhow!("the demo hold does not post: {e:?}"))?
        .about("visit", visit);
        ledger::post(&mut tx, &posting)
            .await
            .map_err(|e| anyhow::anyhow!("the demo hold was not posted: {e:?}"))?;

        act(&mut tx, luis, PLATFORM, "clinician").await?;
        sqlx::query("UPDATE visits SET status = 'accepted' WHERE organization_id = $1 AND id = $2")
            .bind(PLATFORM)
            .bind(visit)
            .execute(&mut *tx)
            .await?;
        if visit != PAID_VISIT {
            continue;
        }
        sqlx::query(
            "UPDATE visits SET status = 'in_progress', checked_in_at = $3, check_in_lat = 39.9625,
                    check_in_lon = -83.0032, check_in_distance_m = 140,
                    checked_out_at = $3 + interval '52 minutes', check_out_lat = 39.9626,
                    check_out_lon = -83.0031, check_out_distance_m = 150
             WHERE organization_id = $1 AND id = $2",
        )
        .bind(PLATFORM)
        .bind(visit)
        .bind(starts + Duration::minutes(2))
        .execute(&mut *tx)
        .await?;
        let log = VisitLog {
            visit_id: visit.into(),
            tasks: tasks
                .iter()
                .map(|t| TaskResult {
                    task: t.clone(),
                    outcome: TaskOutcome::Done,
                    reason: None,
                })
                .collect(),
            vitals: Vitals {
                systolic: Some(128),
                diastolic: Some(80),
                pulse: Some(74),
                temperature_f10: Some(982),
                spo2: Some(97),
                respirations: Some(16),
                pain: Some(1),
            },
            notes: "Walter walked to the kitchen with his walker. Medications reviewed with Grace; no changes.".to_owned(),
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
                                     signed_at, sync_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(PLATFORM)
        .bind(visit)
        .bind(&sealed.key_id)
        .bind(&sealed.bytes)
        .bind(&hash[..])
        .bind(luis)
        .bind(starts + Duration::hours(1))
        .bind(Uuid::new_v4())
        .execute(&mut *tx)
        .await?;
        // Completing schedules the payout after the review window
        // (a trigger); the family confirmed the visit, so it goes now.
        sqlx::query(
            "UPDATE visits SET status = 'completed' WHERE organization_id = $1 AND id = $2",
        )
        .bind(PLATFORM)
        .bind(visit)
        .execute(&mut *tx)
        .await?;
        act(&mut tx, grace, LIN_FAMILY, "family").await?;
        sqlx::query(
            "UPDATE visit_payments SET confirmed_by = $3, confirmed_at = now(), release_at = now()
             WHERE organization_id = $1 AND visit_id = $2 AND state = 'scheduled'",
        )
        .bind(PLATFORM)
        .bind(visit)
        .bind(grace)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!("demo bookings created (the paid visit settles once the job runner starts)");
    Ok(())
}
