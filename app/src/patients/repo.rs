//! Patient and packet rows. Sealed columns go in and out as [`Sealed`];
//! opening them is the service's business.

use super::*;
use crate::db::TenantTx;
use crate::identity::{OrganizationId, PatientId, ReferralId};
use crate::referrals::ReferralStatus;
use crate::vault::Sealed;

/// A patient row, still sealed.
pub struct PatientRow {
    pub id: PatientId,
    pub initials: String,
    pub zip: String,
    pub place: String,
    pub sealed: Sealed,
}

/// The referral facts accepting needs.
pub struct ReferralFacts {
    pub initials: String,
    pub zip: String,
    pub patient_id: Option<PatientId>,
    pub status: ReferralStatus,
}

pub async fn insert_packet(
    tx: &mut TenantTx,
    referral: ReferralId,
    clinic: Option<OrganizationId>,
    sealed: &Sealed,
    index: &[u8; 32],
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query!(
        "INSERT INTO referral_packets (organization_id, referral_id, clinic_id, key_id, sealed, match_index)
         VALUES ($1, $2, $3, $4, $5, $6)",
        org as OrganizationId,
        referral as ReferralId,
        clinic as Option<OrganizationId>,
        sealed.key_id,
        sealed.bytes,
        &index[..]
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The packet of `referral`, when the policies show it (the referrer's
/// own, or a clinic's after accepting).
pub async fn packet(
    tx: &mut TenantTx,
    referral: ReferralId,
) -> Result<Option<(Sealed, Vec<u8>)>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT key_id, sealed, match_index FROM referral_packets WHERE referral_id = $1",
        referral as ReferralId
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| {
        (
            Sealed {
                key_id: r.key_id,
                bytes: r.sealed,
            },
            r.match_index,
        )
    }))
}

/// The acting clinic's referral `referral`, locked for the change.
pub async fn referral_facts(
    tx: &mut TenantTx,
    referral: ReferralId,
) -> Result<Option<ReferralFacts>, sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query_as!(
        ReferralFacts,
        r#"SELECT patient_initials AS initials, zip AS "zip!",
                  patient_id AS "patient_id: PatientId", status AS "status: ReferralStatus"
           FROM referrals WHERE id = $1 AND clinic_id = $2 FOR UPDATE"#,
        referral as ReferralId,
        org as OrganizationId
    )
    .fetch_optional(tx.conn())
    .await
}

/// The clinic's patients with this blind index (the same person).
pub async fn matching(
    tx: &mut TenantTx,
    index: &[u8],
) -> Result<Vec<(PatientId, String)>, sqlx::Error> {
    let org = tx.principal().org_id;
    let rows = sqlx::query!(
        r#"SELECT id AS "id: PatientId", initials FROM patients
           WHERE organization_id = $1 AND match_index = $2 ORDER BY created_at"#,
        org as OrganizationId,
        index
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|r| (r.id, r.initials)).collect())
}

pub async fn insert_patient(
    tx: &mut TenantTx,
    id: PatientId,
    initials: &str,
    zip: &str,
    sealed: &Sealed,
    index: &[u8],
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    let user = tx.principal().person();
    sqlx::query!(
        "INSERT INTO patients (organization_id, id, initials, zip, key_id, sealed, match_index, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        org as OrganizationId,
        id as PatientId,
        initials,
        zip,
        sealed.key_id,
        sealed.bytes,
        index,
        user.map(|u| u.uuid())
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn link_referral(
    tx: &mut TenantTx,
    referral: ReferralId,
    patient: PatientId,
) -> Result<(), sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query!(
        "UPDATE referrals SET patient_id = $2 WHERE id = $1 AND clinic_id = $3",
        referral as ReferralId,
        patient as PatientId,
        org as OrganizationId
    )
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn patient(tx: &mut TenantTx, id: PatientId) -> Result<Option<PatientRow>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT p.id AS "id: PatientId", p.initials, p.zip AS "zip!", p.key_id, p.sealed,
                  z.city || ', ' || z.state AS "place!"
           FROM patients p JOIN zip_codes z ON z.zip = p.zip
           WHERE p.id = $1"#,
        id as PatientId
    )
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(|r| PatientRow {
        id: r.id,
        initials: r.initials,
        zip: r.zip,
        place: r.place,
        sealed: Sealed {
            key_id: r.key_id,
            bytes: r.sealed,
        },
    }))
}

pub async fn referrals_of(
    tx: &mut TenantTx,
    patient: PatientId,
) -> Result<Vec<PatientReferral>, sqlx::Error> {
    let org = tx.principal().org_id;
    sqlx::query_as!(
        PatientReferral,
        r#"SELECT id AS "id: ReferralId", reference, status AS "status: ReferralStatus", received_at
           FROM referrals WHERE clinic_id = $1 AND patient_id = $2 ORDER BY received_at DESC"#,
        org as OrganizationId,
        patient as PatientId
    )
    .fetch_all(tx.conn())
    .await
}
