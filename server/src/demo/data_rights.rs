//! Riverbend's data-rights demo: a legal hold on Robert Allen's record (a
//! payer audit), and Quinn Avery, a patient who asked to be forgotten,
//! whose deletion request is pending (filed two days ago, due in 28), so
//! an administrator can carry it out and read the certificate. Written
//! over the administrative connection; idempotent (fixed ids).

use super::{RIVERBEND, USERS};
use anyhow::Result;
use app::patients::{PatientDetails, PayerKind};
use app::vault::Keyring;
use sqlx::PgConnection;
use uuid::Uuid;

/// The patient who asked to be forgotten, and their request.
pub const QUINN_PATIENT: Uuid = Uuid::from_u128(0xde05_0000_0000_4000_8000_0000_0000_0001);
pub const QUINN_REQUEST: Uuid = Uuid::from_u128(0xde05_0000_0000_4000_8000_0000_0000_0002);
const HOLD: Uuid = Uuid::from_u128(0xde05_0000_0000_4000_8000_0000_0000_0003);
/// Robert Allen's record (the care demo's sixth referral's patient).
const ROBERT_PATIENT: Uuid = Uuid::from_u128(0xde02_0000_0000_4000_8000_0000_0002_0006);

pub async fn seed(conn: &mut PgConnection, vault: &Keyring) -> Result<()> {
    let done: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM patients WHERE id = $1)")
        .bind(QUINN_PATIENT)
        .fetch_one(&mut *conn)
        .await?;
    if done {
        return Ok(());
    }
    let director = USERS[1].id;
    let details = PatientDetails {
        full_name: "Quinn Avery".to_owned(),
        birth_date: time::macros::date!(1951 - 03 - 09),
        address: "12 Elm Court".to_owned(),
        phone: "6145550199".to_owned(),
        payer: PayerKind::Medicare,
        member_id: "1EG4TE5MK99".to_owned(),
        emergency_name: "A neighbour".to_owned(),
        emergency_phone: "6145550198".to_owned(),
    };
    let (sealed, index) = app::patients::service::seal_patient(
        vault,
        app::identity::PatientId::from(QUINN_PATIENT),
        &details,
        "43215",
    );
    let mut tx = sqlx::Connection::begin(&mut *conn).await?;
    sqlx::query(
        "INSERT INTO patients (organization_id, id, initials, zip, key_id, sealed, match_index,
                               created_by, created_at)
         VALUES ($1, $2, 'QA', '43215', $3, $4, $5, $6, now() - interval '40 days')",
    )
    .bind(RIVERBEND)
    .bind(QUINN_PATIENT)
    .bind(&sealed.key_id)
    .bind(&sealed.bytes)
    .bind(&index[..])
    .bind(director)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO deletion_requests (organization_id, id, scope, patient_id, reason,
                                        requested_by, requested_at, due_at)
         VALUES ($1, $2, 'patient', $3, 'The patient asked us to delete their data.', $4,
                 now() - interval '2 days', now() + interval '28 days')",
    )
    .bind(RIVERBEND)
    .bind(QUINN_REQUEST)
    .bind(QUINN_PATIENT)
    .bind(director)
    .execute(&mut *tx)
    .await?;
    let robert: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM patients WHERE id = $1)")
        .bind(ROBERT_PATIENT)
        .fetch_one(&mut *tx)
        .await?;
    if robert {
        sqlx::query(
            "INSERT INTO legal_holds (organization_id, id, patient_id, reason, placed_by)
             VALUES ($1, $2, $3, 'Records requested in a pending payer audit.', $4)",
        )
        .bind(RIVERBEND)
        .bind(HOLD)
        .bind(ROBERT_PATIENT)
        .bind(director)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
