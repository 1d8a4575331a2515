//! Referral operations (SPEC J1), each one function used by the web form's
//! server function and, later, the REST and FHIR handlers alike. Each
//! writes its audit event and domain event in the transaction of the change.

use super::matching::{self, MatchQuery};
use super::repo;
use super::*;
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{RequestMeta, Role};
use crate::db::TenantTx;
use crate::domain::EventType;
use crate::error::AppError;
use crate::identity::{ClinicianId, ReferralId};
use serde_json::json;

/// How many matches a referral keeps.
pub const MATCHES_KEPT: i64 = 10;

/// Creates a referral for the principal's (referring) organization: checks
/// the ZIP and the diagnosis against the reference data, ranks matching
/// clinicians, routes it to the chosen clinic or to the clinic of the best
/// match, and records `referral.created` (and `referral.matched`).
pub async fn create(
    mut tx: TenantTx,
    vault: &crate::vault::Keyring,
    referral: NewReferral,
    meta: &RequestMeta,
) -> Result<ReferralView, AppError> {
    if tx.principal().role != Role::Referrer {
        return Err(AppError::Forbidden);
    }
    let mut errors = Vec::new();
    if repo::zip_place(tx.conn(), referral.zip.as_str())
        .await?
        .is_none()
    {
        errors.push(crate::error::FieldError::new(
            "zip",
            format!("{} is not a US ZIP code we know.", referral.zip),
        ));
    }
    match repo::diagnosis(tx.conn(), referral.diagnosis_code.as_str()).await? {
        None => errors.push(crate::error::FieldError::new(
            "diagnosis",
            "That is not an ICD-10-CM code. Start typing the condition or the code and choose from the list.",
        )),
        Some((dx, false)) => errors.push(crate::error::FieldError::new(
            "diagnosis",
            format!("{} is a category; choose a complete (billable) code under it.", dx.display),
        )),
        Some(_) => {}
    }
    if let Some(clinic) = referral.clinic_id {
        if !repo::is_clinic(tx.conn(), clinic).await? {
            errors.push(crate::error::FieldError::new(
                "clinic_id",
                "Choose a clinic from the list.",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors.into());
    }

    let candidates = matching::find(
        &mut tx,
        &MatchQuery {
            zip: &referral.zip,
            diagnosis_code: &referral.diagnosis_code,
            care_type: referral.care_type,
            start: referral.requested_start,
            limit: MATCHES_KEPT,
        },
    )
    .await?;
    // A sandbox's referrals stay in the sandbox: never sent to a clinic.
    let clinic = if tx.principal().sandbox {
        None
    } else if referral.clinic_id.is_some() {
        referral.clinic_id
    } else {
        // The best match's clinic, passing over a clinic whose service
        // area (its settings) leaves this ZIP out.
        let clinics: Vec<crate::identity::OrganizationId> =
            candidates.iter().filter_map(|c| c.clinic_id).collect();
        let outside =
            repo::clinics_outside_area(tx.conn(), &clinics, referral.zip.as_str()).await?;
        clinics.into_iter().find(|c| !outside.contains(c))
    };
    let id = ReferralId::new();
    let org = tx.principal().org_id;
    repo::insert(&mut tx, id, &referral, clinic).await?;
    if let Some(packet) = &referral.packet {
        crate::patients::service::store_packet(
            &mut tx,
            vault,
            id,
            clinic,
            referral.zip.as_str(),
            packet,
        )
        .await?;
    }
    repo::record_event(
        &mut tx,
        (org, clinic),
        EventType::ReferralCreated,
        id,
        json!({ "referral_id": id }),
    )
    .await?;
    if !candidates.is_empty() {
        repo::insert_matches(&mut tx, id, clinic, &candidates).await?;
        repo::set_status(&mut tx, id, ReferralStatus::Matched, None, None).await?;
        repo::record_event(
            &mut tx,
            (org, clinic),
            EventType::ReferralMatched,
            id,
            json!({ "referral_id": id, "matches": candidates.len() }),
        )
        .await?;
    }
    record(
        &mut tx,
        Entry::new(AuditAction::ReferralCreated)
            .subject(Subject::new("referral", id))
            .ip(meta.ip)
            .details(json!({
                "matches": candidates.len(),
                "routed": clinic.is_some(),
                "packet": referral.packet.is_some(),
            })),
    )
    .await?;
    let view = repo::detail(&mut tx, id).await?.ok_or(AppError::Internal)?;
    tx.commit().await?;
    Ok(view)
}

/// Who may read referrals: the two parties' staff (and keys acting as them).
pub const READERS: [Role; 3] = REFERRAL_ROLES;

/// Whether the principal reads referrals: one of [`READERS`], or a
/// platform administrator under a break-glass grant (whose reads the
/// policies allow only while the grant is live, and never a write).
fn may_read(principal: &crate::auth::Principal) -> bool {
    principal.has_role(&READERS) || principal.break_glass().is_some()
}

/// One referral, for either party, whatever the door (page, REST, FHIR).
/// Every read is audited, in the read's own transaction: it holds patient
/// information.
pub async fn view(
    mut tx: TenantTx,
    id: ReferralId,
    meta: &RequestMeta,
) -> Result<ReferralView, AppError> {
    if !may_read(tx.principal()) {
        return Err(AppError::Forbidden);
    }
    let view = repo::detail(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    record(
        &mut tx,
        Entry::new(AuditAction::ReferralViewed)
            .subject(Subject::new("referral", id))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// A search over the referrals the principal may see (the FHIR searches).
#[derive(Debug, Clone)]
pub struct Search {
    pub statuses: Vec<ReferralStatus>,
    /// One referral (a FHIR `patient` reference names its referral).
    pub id: Option<ReferralId>,
    pub offset: i64,
    pub count: i64,
    pub counting: Counting,
}

/// One page of a search: its referrals, whether more follow, and how many
/// match in all when counted.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub views: Vec<ReferralView>,
    pub more: bool,
    pub total: Option<i64>,
}

/// One page of a search, in a fixed number of queries whatever the page
/// size. One audit event names every id returned (none when the page is
/// empty: nothing was read).
pub async fn search(
    mut tx: TenantTx,
    q: &Search,
    meta: &RequestMeta,
) -> Result<SearchPage, AppError> {
    if !may_read(tx.principal()) {
        return Err(AppError::Forbidden);
    }
    let found = repo::search(&mut tx, &q.statuses, q.id, (q.offset, q.count), q.counting).await?;
    let views = repo::details(&mut tx, &found.ids).await?;
    audit_list(&mut tx, views.iter().map(|v| v.id), meta).await?;
    tx.commit().await?;
    Ok(SearchPage {
        views,
        more: found.more,
        total: found.total,
    })
}

/// A page of the clinic's inbox or the referrer's sent list; audited like
/// a search (initials and diagnoses are patient information).
pub async fn list(
    mut tx: TenantTx,
    filter: &InboxFilter,
    cursor: Option<(time::OffsetDateTime, ReferralId)>,
    meta: &RequestMeta,
) -> Result<ReferralPage, AppError> {
    if !may_read(tx.principal()) {
        return Err(AppError::Forbidden);
    }
    let page = repo::page(&mut tx, filter, cursor, 25).await?;
    audit_list(&mut tx, page.items.iter().map(|r| r.id), meta).await?;
    tx.commit().await?;
    Ok(page)
}

/// `referral.searched` naming the ids read, unless none were.
async fn audit_list(
    tx: &mut TenantTx,
    ids: impl Iterator<Item = ReferralId>,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let ids: Vec<String> = ids.map(|id| id.to_string()).collect();
    if ids.is_empty() {
        return Ok(());
    }
    record(
        tx,
        Entry::new(AuditAction::ReferralsSearched)
            .ip(meta.ip)
            .details(json!({ "count": ids.len(), "ids": ids })),
    )
    .await?;
    Ok(())
}

/// A decision or progress step on a referral. Scheduling and the first
/// visit are not steps: scheduling a visit and signing its log move the
/// referral (`crate::visits::service`), and the database refuses those
/// moves without the visit or the signed log.
#[derive(Debug, Clone)]
pub enum Step {
    Accept,
    Decline {
        reason: DeclineReason,
        note: Option<String>,
    },
    Close,
    Cancel {
        note: String,
    },
}

impl Step {
    fn target(&self) -> ReferralStatus {
        match self {
            Step::Accept => ReferralStatus::Accepted,
            Step::Decline { .. } => ReferralStatus::Declined,
            Step::Close => ReferralStatus::Closed,
            Step::Cancel { .. } => ReferralStatus::Cancelled,
        }
    }

    /// Which side takes this step.
    fn allowed_for(&self, role: Role) -> bool {
        match self {
            Step::Cancel { .. } => role == Role::Referrer,
            _ => matches!(role, Role::ClinicAdmin | Role::ClinicStaff),
        }
    }

    /// Parses the form's fields.
    pub fn parse(action: &str, reason: &str, note: &str) -> Result<Self, AppError> {
        let note = note.trim();
        let note = (!note.is_empty()).then(|| note.chars().take(500).collect::<String>());
        match action {
            "accept" => Ok(Step::Accept),
            "close" => Ok(Step::Close),
            "decline" => {
                let reason = DeclineReason::parse(reason.trim())
                    .ok_or_else(|| AppError::invalid("reason", "Choose why you are declining."))?;
                if reason == DeclineReason::Other && note.is_none() {
                    return Err(AppError::invalid(
                        "note",
                        "Say why in a few words when the reason is “other”.",
                    ));
                }
                Ok(Step::Decline { reason, note })
            }
            "cancel" => Ok(Step::Cancel {
                note: note.ok_or_else(|| {
                    AppError::invalid("note", "Say why the referral is cancelled.")
                })?,
            }),
            _ => Err(AppError::BadRequest {
                message: format!("unknown action {action:?}"),
            }),
        }
    }
}

/// Takes `step` on referral `id`: checks the role and the state machine,
/// changes the status (the database checks again and writes the history),
/// and records the audit and domain events.
pub async fn take_step(
    mut tx: TenantTx,
    vault: &crate::vault::Keyring,
    id: ReferralId,
    step: Step,
    meta: &RequestMeta,
) -> Result<ReferralStatus, AppError> {
    if !step.allowed_for(tx.principal().role) {
        return Err(AppError::Forbidden);
    }
    let parties = repo::parties_for_update(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let to = parties
        .status
        .transition(step.target())
        .map_err(|message| AppError::Conflict { message })?;
    let (reason, note) = match &step {
        Step::Decline { reason, note } => (Some(*reason), note.clone()),
        Step::Cancel { note } => (None, Some(note.clone())),
        _ => (None, None),
    };
    repo::set_status(&mut tx, id, to, reason, note.as_deref()).await?;
    if to == ReferralStatus::Accepted {
        // Accepting releases the packet to this clinic: the patient record.
        crate::patients::service::on_accept(&mut tx, vault, id, meta).await?;
    }
    repo::record_event(
        &mut tx,
        (parties.organization_id, parties.clinic_id),
        to.event(),
        id,
        json!({
            "referral_id": id,
            "status": to.as_str(),
            "reason": reason.map(DeclineReason::as_str),
        }),
    )
    .await?;
    let action = match to {
        ReferralStatus::Accepted => AuditAction::ReferralAccepted,
        ReferralStatus::Declined => AuditAction::ReferralDeclined,
        ReferralStatus::Cancelled => AuditAction::ReferralCancelled,
        _ => AuditAction::ReferralStatusChanged,
    };
    record(
        &mut tx,
        Entry::new(action)
            .subject(Subject::new("referral", id))
            .ip(meta.ip)
            .details(json!({
                "from": parties.status.as_str(),
                "to": to.as_str(),
                "reason": reason.map(DeclineReason::as_str),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// Assigns one of the clinic's affiliated clinicians to an accepted (or
/// later) referral.
pub async fn assign(
    mut tx: TenantTx,
    id: ReferralId,
    clinician: ClinicianId,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if !matches!(tx.principal().role, Role::ClinicAdmin | Role::ClinicStaff) {
        return Err(AppError::Forbidden);
    }
    let parties = repo::parties_for_update(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !matches!(
        parties.status,
        ReferralStatus::Accepted | ReferralStatus::Scheduled | ReferralStatus::FirstVisitDone
    ) {
        return Err(AppError::Conflict {
            message: "Accept the referral before assigning a clinician.".to_owned(),
        });
    }
    let ours = repo::clinic_clinicians(&mut tx).await?;
    if !ours.iter().any(|(c, _, _)| *c == clinician) {
        return Err(AppError::invalid(
            "clinician_id",
            "Choose one of your clinic's clinicians.",
        ));
    }
    repo::assign(&mut tx, id, clinician).await?;
    repo::record_event(
        &mut tx,
        (parties.organization_id, parties.clinic_id),
        EventType::ReferralAssigned,
        id,
        json!({ "referral_id": id, "clinician_id": clinician }),
    )
    .await?;
    record(
        &mut tx,
        Entry::new(AuditAction::ReferralAssigned)
            .subject(Subject::new("referral", id))
            .ip(meta.ip)
            .details(json!({ "clinician_id": clinician })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Where a ZIP code is (reference data: no patient information, so no
/// audit event), for the API's geography endpoint.
pub async fn zip_place(tx: &mut TenantTx, zip: &str) -> Result<Option<ZipPlace>, AppError> {
    Ok(repo::zip_place(tx.conn(), zip).await?)
}
