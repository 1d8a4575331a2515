//! Patient operations: sealing a referral's packet, releasing it to the
//! accepting clinic as a patient record (or a confirmed link to one the
//! clinic already has), and reading a record. Each read and release is
//! audited in its transaction.

use super::repo;
use super::*;
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{RequestMeta, Role};
use crate::db::TenantTx;
use crate::error::AppError;
use crate::identity::{OrganizationId, PatientId, ReferralId};
use crate::referrals::ReferralStatus;
use crate::vault::{Keyring, Place, Sealed};
use serde_json::json;

/// The blind index's purpose string (its domain separation).
const IDENTITY_INDEX: &str = "patient-identity";

fn place(table: &'static str, row: uuid::Uuid) -> Place<'static> {
    Place {
        table,
        column: "sealed",
        row,
    }
}

fn seal(
    vault: &Keyring,
    table: &'static str,
    row: uuid::Uuid,
    details: Option<&PatientDetails>,
) -> Sealed {
    let json = serde_json::to_vec(&details).unwrap_or_default();
    vault.seal(&json, place(table, row))
}

fn open(
    vault: &Keyring,
    table: &'static str,
    row: uuid::Uuid,
    sealed: &Sealed,
) -> Result<Option<PatientDetails>, AppError> {
    let bytes = vault.open(sealed, place(table, row)).map_err(|error| {
        tracing::error!(%error, table, "a sealed patient value does not open");
        AppError::Internal
    })?;
    // The parse error is not logged: it can quote the decrypted value.
    serde_json::from_slice(&bytes).map_err(|_| {
        tracing::error!(table, "a sealed patient value is not a packet");
        AppError::Internal
    })
}

/// The blind index of a person's identity (name, date of birth, ZIP).
pub fn identity_index(vault: &Keyring, details: &PatientDetails, zip: &str) -> [u8; 32] {
    let parts = details.identity_parts(zip);
    vault.blind_index(IDENTITY_INDEX, &[&parts[0], &parts[1], &parts[2]])
}

/// Seals a new patient record's details and keys its blind index (for a
/// record made elsewhere than here: the platform's copy of a family's care
/// recipient, `booking::book_service`).
pub fn seal_patient(
    vault: &Keyring,
    id: PatientId,
    details: &PatientDetails,
    zip: &str,
) -> (Sealed, [u8; 32]) {
    (
        seal(vault, "patients", id.uuid(), Some(details)),
        identity_index(vault, details, zip),
    )
}

/// Stores the packet of a referral just created (called by
/// `referrals::service::create`, in its transaction).
pub(crate) async fn store_packet(
    tx: &mut TenantTx,
    vault: &Keyring,
    referral: ReferralId,
    clinic: Option<OrganizationId>,
    zip: &str,
    details: &PatientDetails,
) -> Result<(), AppError> {
    let sealed = seal(vault, "referral_packets", referral.uuid(), Some(details));
    let index = identity_index(vault, details, zip);
    repo::insert_packet(tx, referral, clinic, &sealed, &index).await?;
    Ok(())
}

/// After the clinic accepted `referral` (in the same transaction): the
/// packet is now released to it. Makes the patient record from it, unless
/// the clinic already has this person, in which case staff confirm.
pub(crate) async fn on_accept(
    tx: &mut TenantTx,
    vault: &Keyring,
    referral: ReferralId,
    meta: &RequestMeta,
) -> Result<PatientOutcome, AppError> {
    let facts = repo::referral_facts(tx, referral)
        .await?
        .ok_or(AppError::NotFound)?;
    let packet = repo::packet(tx, referral).await?;
    let (details, index) = match &packet {
        Some((sealed, index)) => (
            open(vault, "referral_packets", referral.uuid(), sealed)?,
            index.clone(),
        ),
        // No packet: a record of the minimum, never matched to another.
        None => (
            None,
            vault
                .blind_index(IDENTITY_INDEX, &["no packet", &referral.to_string()])
                .to_vec(),
        ),
    };
    if packet.is_some() {
        record(
            tx,
            Entry::new(AuditAction::PacketReleased)
                .subject(Subject::new("referral", referral))
                .ip(meta.ip),
        )
        .await?;
    }
    if let Some((existing, _)) = repo::matching(tx, &index).await?.into_iter().next() {
        return Ok(PatientOutcome::NeedsConfirmation(existing));
    }
    let id = create(tx, vault, referral, &facts, details.as_ref(), &index, meta).await?;
    Ok(PatientOutcome::Created(id))
}

async fn create(
    tx: &mut TenantTx,
    vault: &Keyring,
    referral: ReferralId,
    facts: &repo::ReferralFacts,
    details: Option<&PatientDetails>,
    index: &[u8],
    meta: &RequestMeta,
) -> Result<PatientId, AppError> {
    let id = PatientId::new();
    let sealed = seal(vault, "patients", id.uuid(), details);
    repo::insert_patient(tx, id, &facts.initials, &facts.zip, &sealed, index).await?;
    repo::link_referral(tx, referral, id).await?;
    record(
        tx,
        Entry::new(AuditAction::PatientCreated)
            .subject(Subject::new("patient", id))
            .ip(meta.ip)
            .details(json!({ "referral_id": referral, "packet": details.is_some() })),
    )
    .await?;
    Ok(id)
}

/// Staff's answer to a possible match: the same person (link), or not
/// (a new record).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkChoice {
    Existing(PatientId),
    New,
}

/// Links an accepted referral to its patient, as staff confirmed.
pub async fn link(
    mut tx: TenantTx,
    vault: &Keyring,
    referral: ReferralId,
    choice: LinkChoice,
    meta: &RequestMeta,
) -> Result<PatientId, AppError> {
    if !matches!(tx.principal().role, Role::ClinicAdmin | Role::ClinicStaff) {
        return Err(AppError::Forbidden);
    }
    let facts = repo::referral_facts(&mut tx, referral)
        .await?
        .ok_or(AppError::NotFound)?;
    if facts.patient_id.is_some() {
        return Err(AppError::Conflict {
            message: "This referral is already linked to a patient.".to_owned(),
        });
    }
    if !matches!(
        facts.status,
        ReferralStatus::Accepted | ReferralStatus::Scheduled | ReferralStatus::FirstVisitDone
    ) {
        return Err(AppError::Conflict {
            message: "Accept the referral first.".to_owned(),
        });
    }
    let (sealed, index) = repo::packet(&mut tx, referral)
        .await?
        .ok_or(AppError::NotFound)?;
    let details = open(vault, "referral_packets", referral.uuid(), &sealed)?;
    let id = match choice {
        LinkChoice::Existing(patient) => {
            let same = repo::matching(&mut tx, &index).await?;
            if !same.iter().any(|(p, _)| *p == patient) {
                return Err(AppError::invalid(
                    "patient_id",
                    "That patient does not have this name, date of birth and ZIP.",
                ));
            }
            repo::link_referral(&mut tx, referral, patient).await?;
            record(
                &mut tx,
                Entry::new(AuditAction::PatientLinked)
                    .subject(Subject::new("patient", patient))
                    .ip(meta.ip)
                    .details(json!({ "referral_id": referral })),
            )
            .await?;
            patient
        }
        LinkChoice::New => {
            create(
                &mut tx,
                vault,
                referral,
                &facts,
                details.as_ref(),
                &index,
                meta,
            )
            .await?
        }
    };
    tx.commit().await?;
    Ok(id)
}

/// The accepting clinic's view of a referral's patient: the packet, the
/// link (or the possible match to confirm) and the patient's visits. None
/// before accepting, or for the referring side. Audited as one read naming
/// the packet and the visits.
pub(crate) async fn for_referral(
    tx: &mut TenantTx,
    vault: &Keyring,
    referral: ReferralId,
    meta: &RequestMeta,
) -> Result<Option<(ReferralPatient, Vec<crate::visits::VisitSummary>)>, AppError> {
    if !matches!(tx.principal().role, Role::ClinicAdmin | Role::ClinicStaff) {
        return Ok(None);
    }
    let Some(facts) = repo::referral_facts(tx, referral).await? else {
        return Ok(None);
    };
    if facts.status.awaits_triage() {
        return Ok(None);
    }
    let packet = repo::packet(tx, referral).await?;
    let (details, possible_match) = match &packet {
        Some((sealed, index)) => {
            let details = open(vault, "referral_packets", referral.uuid(), sealed)?;
            let possible = if facts.patient_id.is_none() {
                repo::matching(tx, index).await?.into_iter().next()
            } else {
                None
            };
            (details, possible)
        }
        None => (None, None),
    };
    let visits = match facts.patient_id {
        Some(p) => crate::visits::repo::of_patient(tx, p).await?,
        None => Vec::new(),
    };
    if packet.is_some() || !visits.is_empty() {
        let ids: Vec<String> = visits.iter().map(|v| v.id.to_string()).collect();
        record(
            tx,
            Entry::new(AuditAction::PatientViewed)
                .subject(Subject::new("referral", referral))
                .ip(meta.ip)
                .details(json!({ "packet": packet.is_some(), "visits": ids })),
        )
        .await?;
    }
    Ok(Some((
        ReferralPatient {
            patient_id: facts.patient_id,
            details,
            possible_match,
        },
        visits,
    )))
}

/// How many of the record's audit events its page lists (the audit log,
/// filtered to the patient, has the rest).
const HISTORY_SHOWN: i64 = 20;

/// A patient's record with its referrals and visits, for the clinic's
/// staff. Audited.
pub async fn view(
    mut tx: TenantTx,
    vault: &Keyring,
    id: PatientId,
    meta: &RequestMeta,
) -> Result<PatientRecord, AppError> {
    if !matches!(tx.principal().role, Role::ClinicAdmin | Role::ClinicStaff) {
        return Err(AppError::Forbidden);
    }
    let row = repo::patient(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let details = open(vault, "patients", id.uuid(), &row.sealed)?;
    let referrals = repo::referrals_of(&mut tx, id).await?;
    let visits = crate::visits::repo::of_patient(&mut tx, id).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::PatientViewed)
            .subject(Subject::new("patient", id))
            .ip(meta.ip),
    )
    .await?;
    // "Who viewed this patient", this view included: the audit log's
    // events about the patient (the record, their forms, referrals and
    // visits), for those who may read the log.
    let history = if tx.principal().has_role(&crate::audit::AUDIT_READERS) {
        let about = crate::audit::AuditQuery {
            patient: Some(id.uuid()),
            ..Default::default()
        };
        Some(crate::audit::repo::recent(&mut tx, &about, None, HISTORY_SHOWN).await?)
    } else {
        None
    };
    tx.commit().await?;
    Ok(PatientRecord {
        id: row.id,
        initials: row.initials,
        zip: row.zip,
        place: row.place,
        details,
        referrals,
        visits,
        history,
    })
}

/// Opens a patient's details for a visit (the clinician's address and
/// phone). The caller audits the read with the visit.
pub(crate) async fn details_for_visit(
    tx: &mut TenantTx,
    vault: &Keyring,
    id: PatientId,
) -> Result<Option<(repo::PatientRow, Option<PatientDetails>)>, AppError> {
    let Some(row) = repo::patient(tx, id).await? else {
        return Ok(None);
    };
    let details = open(vault, "patients", id.uuid(), &row.sealed)?;
    Ok(Some((row, details)))
}

/// The FHIR door's read of a patient: the clinic's own patient as a US
/// Core `Patient`, or None when it is not one (the caller then tries the
/// referring side's minimum). Audited when found.
pub async fn fhir_patient(
    mut tx: TenantTx,
    vault: &Keyring,
    id: PatientId,
    meta: &RequestMeta,
) -> Result<Option<crate::referrals::fhir::Patient>, AppError> {
    if !matches!(tx.principal().role, Role::ClinicAdmin | Role::ClinicStaff) {
        return Ok(None);
    }
    let Some(row) = repo::patient(&mut tx, id).await? else {
        return Ok(None);
    };
    let details = open(vault, "patients", id.uuid(), &row.sealed)?;
    record(
        &mut tx,
        Entry::new(AuditAction::PatientViewed)
            .subject(Subject::new("patient", id))
            .ip(meta.ip)
            .details(json!({ "door": "fhir" })),
    )
    .await?;
    tx.commit().await?;
    Ok(Some(crate::visits::fhir::patient(
        id,
        &row.initials,
        &row.zip,
        &row.place,
        details.as_ref(),
    )))
}
