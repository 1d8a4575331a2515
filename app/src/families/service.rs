//! Care-recipient operations: each checks the caller is a family acting for
//! its own family organization, runs in the tenant transaction and writes
//! the audit event (every read of a recipient is one).

use super::model::{FamilyHome, NewRecipient, Recipient, RecipientDetails, RecipientSummary};
use super::repo;
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{OrgKind, RequestMeta, Role};
use crate::db::TenantTx;
use crate::error::{AppError, FieldError};
use crate::identity::RecipientId;
use crate::vault::{Keyring, Place, Sealed};
use serde_json::json;

fn place(row: RecipientId) -> Place<'static> {
    Place {
        table: "care_recipients",
        column: "sealed",
        row: row.uuid(),
    }
}

/// Seals what identifies a recipient, bound to its row.
pub fn seal(vault: &Keyring, id: RecipientId, details: &RecipientDetails) -> Sealed {
    let json = serde_json::to_vec(details).unwrap_or_default();
    vault.seal(&json, place(id))
}

fn open(vault: &Keyring, id: RecipientId, sealed: &Sealed) -> Result<RecipientDetails, AppError> {
    let bytes = vault.open(sealed, place(id)).map_err(|error| {
        tracing::error!(%error, "a sealed care recipient does not open");
        AppError::Internal
    })?;
    // The parse error is not logged: it can quote the decrypted value.
    serde_json::from_slice(&bytes).map_err(|_| {
        tracing::error!("a sealed care recipient is not one");
        AppError::Internal
    })
}

/// Opens a recipient's sealed details (for the platform's copy made at
/// their first booking).
pub(crate) fn open_details(
    vault: &Keyring,
    id: RecipientId,
    sealed: &Sealed,
) -> Result<RecipientDetails, AppError> {
    open(vault, id, sealed)
}

/// The family's people by name, for choosing who a booking is for.
pub(crate) async fn names(
    tx: &mut TenantTx,
    vault: &Keyring,
) -> Result<Vec<(RecipientId, String)>, AppError> {
    repo::list(tx)
        .await?
        .into_iter()
        .map(|r| Ok((r.id, open(vault, r.id, &r.sealed)?.full_name)))
        .collect()
}

/// A family member acting for a family organization.
fn family(tx: &TenantTx) -> Result<(), AppError> {
    let p = tx.principal();
    if p.role != Role::Family || p.person().is_none() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// A family member, owner or viewer (for reads).
fn member(tx: &TenantTx) -> Result<(), AppError> {
    let p = tx.principal();
    if !matches!(p.role, Role::Family | Role::FamilyViewer) || p.person().is_none() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

fn in_family_org(tx: &TenantTx) -> bool {
    tx.principal().org_kind == OrgKind::Family
}

fn recipient(vault: &Keyring, row: repo::Row) -> Result<Recipient, AppError> {
    let details = open(vault, row.id, &row.sealed)?;
    Ok(Recipient {
        id: row.id,
        initials: row.initials,
        zip: row.zip,
        place: row.place,
        care_types: row.care_types,
        diagnoses: row.diagnoses,
        language: row.language,
        details,
    })
}

/// Adds a person the family books for; the ZIP must be a real one and each
/// diagnosis must resolve to an ICD-10-CM code.
pub async fn add_recipient(
    mut tx: TenantTx,
    vault: &Keyring,
    new: NewRecipient,
    meta: &RequestMeta,
) -> Result<RecipientId, AppError> {
    family(&tx)?;
    if !in_family_org(&tx) {
        return Err(AppError::Conflict {
            message: "This account was made before families had their own space: register again as a family to add people.".to_owned(),
        });
    }
    let mut errors = Vec::new();
    if crate::referrals::repo::zip_place(tx.conn(), new.zip.as_str())
        .await?
        .is_none()
    {
        errors.push(FieldError::new("zip", "We do not know this ZIP code."));
    }
    let mut codes = Vec::new();
    for raw in &new.diagnoses {
        match crate::referrals::intake::resolve_diagnosis(&mut tx, raw).await? {
            Some(code) if !codes.contains(&code) => codes.push(code),
            Some(_) => {}
            None => errors.push(FieldError::new(
                "diagnoses",
                format!("“{raw}” is not an ICD-10-CM diagnosis we know."),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }
    let id = RecipientId::new();
    let sealed = seal(vault, id, &new.details);
    repo::insert(
        &mut tx,
        id,
        new.initials.as_str(),
        new.zip.as_str(),
        &new.care_types,
        &codes,
        &new.language,
        &sealed,
    )
    .await?;
    record(
        &mut tx,
        Entry::new(AuditAction::CareRecipientAdded)
            .subject(Subject::new("care_recipient", id))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The family's page: its people, opened (one audited read of them all).
pub async fn home(
    mut tx: TenantTx,
    vault: &Keyring,
    meta: &RequestMeta,
) -> Result<FamilyHome, AppError> {
    member(&tx)?;
    let name = tx.principal().display_name.clone();
    let org = tx.principal().org_id;
    let family = repo::family_name(&mut tx, org).await?;
    let can_add = in_family_org(&tx);
    let tx_role = tx.principal().role;
    let rows = if can_add {
        repo::list(&mut tx).await?
    } else {
        Vec::new()
    };
    let recipients = rows
        .into_iter()
        .map(|r| {
            recipient(vault, r).map(|r| RecipientSummary {
                id: r.id,
                full_name: r.details.full_name,
                place: r.place,
                care_types: r.care_types,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if !recipients.is_empty() {
        let ids: Vec<String> = recipients.iter().map(|r| r.id.to_string()).collect();
        record(
            &mut tx,
            Entry::new(AuditAction::CareRecipientViewed)
                .subject(Subject::new("organization", org))
                .ip(meta.ip)
                .details(json!({ "recipients": ids })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(FamilyHome {
        name,
        family,
        can_add,
        owner: tx_role == Role::Family,
        recipients,
    })
}

/// One person, opened (audited).
pub async fn get(
    mut tx: TenantTx,
    vault: &Keyring,
    id: RecipientId,
    meta: &RequestMeta,
) -> Result<Recipient, AppError> {
    member(&tx)?;
    if !in_family_org(&tx) {
        return Err(AppError::NotFound);
    }
    let row = repo::one(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let found = recipient(vault, row)?;
    record(
        &mut tx,
        Entry::new(AuditAction::CareRecipientViewed)
            .subject(Subject::new("care_recipient", id))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(found)
}
