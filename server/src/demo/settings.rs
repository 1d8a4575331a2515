//! Riverbend's settings demo: its profile (phone, address, website) and
//! two branches, Downtown Columbus (the demo's patients' ZIP) and Westside
//! (none yet), seeded before the care demo so its patients, visits and
//! referrals take the Downtown branch as the app would give it. Nobody is
//! put in a branch: the administrator does that at `/clinic/settings`
//! (Sam Whitfield in Westside then sees an empty inbox; in Downtown, all
//! of it). Written over the administrative connection; idempotent.

use super::{RIVERBEND, USERS};
use anyhow::Result;
use sqlx::PgConnection;
use uuid::Uuid;

const DOWNTOWN: Uuid = Uuid::from_u128(0xde06_0000_0000_4000_8000_0000_0000_0001);
const WESTSIDE: Uuid = Uuid::from_u128(0xde06_0000_0000_4000_8000_0000_0000_0002);

pub async fn seed(conn: &mut PgConnection) -> Result<()> {
    sqlx::query(
        "INSERT INTO clinic_profiles (organization_id, phone, street_address, zip, website, updated_by)
         VALUES ($1, '6145550100', '200 Civic Center Dr', '43215', 'https://riverbend.example', $2)
         ON CONFLICT (organization_id) DO NOTHING",
    )
    .bind(RIVERBEND)
    .bind(USERS[1].id)
    .execute(&mut *conn)
    .await?;
    for (id, name, zips) in [
        (DOWNTOWN, "Downtown Columbus", &["43215", "43201"][..]),
        (WESTSIDE, "Westside", &["43204", "43228"][..]),
    ] {
        sqlx::query(
            "INSERT INTO branches (organization_id, id, name, zips)
             VALUES ($1, $2, $3, ARRAY(SELECT zip FROM zip_codes WHERE zip = ANY($4::text[])))
             ON CONFLICT DO NOTHING",
        )
        .bind(RIVERBEND)
        .bind(id)
        .bind(name)
        .bind(zips)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
