//! The packet's documents: the referrer attaches the discharge summary and
//! the orders as PDFs (type-checked by their first bytes, at most
//! [`MAX_ATTACHMENT_BYTES`]); each is hashed, sealed (`crate::vault`, no
//! file name kept) and, like the packet, released only to the clinic that
//! accepts. Listing shows kinds and sizes (no patient information);
//! opening one is a read of patient information and is audited.

use super::{AttachmentKind, AttachmentView, ReferralStatus, MAX_ATTACHMENT_BYTES};
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{RequestMeta, Role};
use crate::db::TenantTx;
use crate::error::AppError;
use crate::identity::{OrganizationId, ReferralId};
use crate::vault::{Keyring, Place, Sealed};
use serde_json::json;
use sha2::{Digest, Sha256};

fn place(id: uuid::Uuid) -> Place<'static> {
    Place {
        table: "referral_attachments",
        column: "sealed",
        row: id,
    }
}

/// Attaches a PDF to one of the referrer's own referrals that is still
/// open; its id.
pub async fn attach(
    mut tx: TenantTx,
    vault: &Keyring,
    referral: ReferralId,
    kind: AttachmentKind,
    bytes: &[u8],
    meta: &RequestMeta,
) -> Result<uuid::Uuid, AppError> {
    if tx.principal().role != Role::Referrer {
        return Err(AppError::Forbidden);
    }
    if bytes.is_empty() {
        return Err(AppError::invalid("file", "Choose a PDF file to attach."));
    }
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(AppError::invalid("file", "A document is at most 10 MB."));
    }
    if !bytes.starts_with(b"%PDF-") {
        return Err(AppError::invalid("file", "Attach the document as a PDF."));
    }
    let org = tx.principal().org_id;
    let row = sqlx::query!(
        r#"SELECT clinic_id AS "clinic_id: OrganizationId", status AS "status: ReferralStatus"
           FROM referrals WHERE organization_id = $1 AND id = $2 FOR UPDATE"#,
        org as OrganizationId,
        referral as ReferralId
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(AppError::NotFound)?;
    if row.status.is_final() {
        return Err(AppError::Conflict {
            message: "This referral is finished; documents cannot be added.".to_owned(),
        });
    }
    let id = uuid::Uuid::new_v4();
    let sealed = vault.seal(bytes, place(id));
    let hash: [u8; 32] = Sha256::digest(bytes).into();
    let size = i32::try_from(bytes.len()).map_err(|_| AppError::Internal)?;
    sqlx::query!(
        "INSERT INTO referral_attachments (organization_id, referral_id, id, clinic_id, kind,
                                           size_bytes, sha256, key_id, sealed, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        org as OrganizationId,
        referral as ReferralId,
        id,
        row.clinic_id as Option<OrganizationId>,
        kind as AttachmentKind,
        size,
        &hash[..],
        sealed.key_id,
        sealed.bytes,
        tx.principal().person().map(|u| u.uuid())
    )
    .execute(tx.conn())
    .await?;
    record(
        &mut tx,
        Entry::new(AuditAction::AttachmentAdded)
            .subject(Subject::new("referral", referral))
            .ip(meta.ip)
            .details(json!({ "attachment_id": id, "kind": kind.as_str(), "size": size })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The documents of a referral the policies show (the referrer's own; the
/// clinic's once accepted), oldest first.
pub(crate) async fn list(
    tx: &mut TenantTx,
    referral: ReferralId,
) -> Result<Vec<AttachmentView>, sqlx::Error> {
    sqlx::query_as!(
        AttachmentView,
        r#"SELECT id, kind AS "kind: AttachmentKind", size_bytes, created_at
           FROM referral_attachments WHERE referral_id = $1 ORDER BY created_at, id"#,
        referral as ReferralId
    )
    .fetch_all(tx.conn())
    .await
}

/// One document's bytes and kind, opened and checked against its hash.
/// Audited.
pub async fn open(
    mut tx: TenantTx,
    vault: &Keyring,
    referral: ReferralId,
    id: uuid::Uuid,
    meta: &RequestMeta,
) -> Result<(AttachmentKind, Vec<u8>), AppError> {
    if !tx.principal().has_role(&super::REFERRAL_ROLES) {
        return Err(AppError::Forbidden);
    }
    let row = sqlx::query!(
        r#"SELECT kind AS "kind: AttachmentKind", sha256, key_id, sealed
           FROM referral_attachments WHERE referral_id = $1 AND id = $2"#,
        referral as ReferralId,
        id
    )
    .fetch_optional(tx.conn())
    .await?
    .ok_or(AppError::NotFound)?;
    let bytes = vault
        .open(
            &Sealed {
                key_id: row.key_id,
                bytes: row.sealed,
            },
            place(id),
        )
        .map_err(|error| {
            tracing::error!(%error, "a referral document does not open");
            AppError::Internal
        })?;
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    if hash[..] != row.sha256[..] {
        tracing::error!(attachment = %id, "a referral document's hash does not match");
        return Err(AppError::Internal);
    }
    record(
        &mut tx,
        Entry::new(AuditAction::AttachmentViewed)
            .subject(Subject::new("referral", referral))
            .ip(meta.ip)
            .details(json!({ "attachment_id": id, "kind": row.kind.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok((row.kind, bytes))
}
