//! Booking operations (SPEC J3 steps 3-6): a family holds a slot, confirms
//! it (the card is authorized, the hold posted to the ledger, the clinician
//! asked), cancels, and after the visit confirms or disputes it; the
//! clinician sees their earnings; a platform administrator resolves
//! disputes. Each checks the role, runs in the tenant transaction and
//! writes the audit event.
//!
//! What no one asks for happens in the database and the job runner
//! (`migrations/*_booking.sql`, `server::payments`): holds expire,
//! unanswered requests lapse, a declined or cancelled visit lets its hold
//! go, a signed EVV-complete log schedules the payout after the family's
//! review window, and the settle job captures and pays out.

use super::bookings::{
    Booking, BookingForm, Dispute, Earning, Earnings, FamilyVisit, LedgerCheck, PaymentsOverview,
    Resolution,
};
use super::repo;
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{OrgKind, RequestMeta, Role};
use crate::db::{platform_org_id, TenantTx};
use crate::error::{AppError, FieldError, Violation};
use crate::identity::{ClinicianId, OrganizationId, PatientId, RecipientId, UserId, VisitId};
use crate::payments::processor::{AuthorizeRequest, CardProcessor, Processor, ProcessorError};
use crate::payments::{ledger, Cents, PaymentState, Posting};
use crate::referrals::CareType;
use crate::vault::Keyring;
use crate::visits::VisitStatus;
use serde_json::json;
use time::{Duration, OffsetDateTime};

/// How many unconfirmed holds a family may have at once.
const MAX_HOLDS: i64 = 3;

/// The times and fee of `payment_policy`.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub hold: Duration,
    pub late_cancel: Duration,
    pub late_cancel_fee: Cents,
}

async fn policy(tx: &mut TenantTx) -> Result<Policy, AppError> {
    let (hold, late, fee): (i32, i32, i64) = sqlx::query_as(
        "SELECT hold_seconds, late_cancel_seconds, late_cancel_fee_cents FROM payment_policy",
    )
    .fetch_one(tx.conn())
    .await?;
    Ok(Policy {
        hold: Duration::seconds(hold.into()),
        late_cancel: Duration::seconds(late.into()),
        late_cancel_fee: Cents(fee),
    })
}

/// A family member, owner or viewer, acting for their family
/// organization (for reads).
fn member(tx: &TenantTx) -> Result<(), AppError> {
    let p = tx.principal();
    match p.person() {
        Some(_)
            if matches!(p.role, Role::Family | Role::FamilyViewer)
                && p.org_kind == OrgKind::Family =>
        {
            Ok(())
        }
        _ => Err(AppError::Forbidden),
    }
}

/// A family's owner acting for their family organization.
fn family(tx: &TenantTx) -> Result<UserId, AppError> {
    let p = tx.principal();
    match p.person() {
        Some(user) if p.role == Role::Family && p.org_kind == OrgKind::Family => Ok(user),
        _ => Err(AppError::Forbidden),
    }
}

fn subject(id: VisitId) -> Subject {
    Subject::new("visit", id)
}

async fn audit(
    tx: &mut TenantTx,
    action: AuditAction,
    id: VisitId,
    meta: &RequestMeta,
    details: serde_json::Value,
) -> Result<(), AppError> {
    record(
        tx,
        Entry::new(action)
            .subject(subject(id))
            .ip(meta.ip)
            .details(details),
    )
    .await?;
    Ok(())
}

/// The booking form for `clinician` at `starts`: it must be one of their
/// openings, and the family must have someone to book for.
pub async fn form(
    mut tx: TenantTx,
    vault: &Keyring,
    clinician: ClinicianId,
    starts: OffsetDateTime,
    now: OffsetDateTime,
    meta: &RequestMeta,
) -> Result<BookingForm, AppError> {
    family(&tx)?;
    let found = repo::clinician(&mut tx, clinician)
        .await?
        .ok_or(AppError::NotFound)?;
    let rates = repo::rates(&mut tx, clinician).await?;
    let open = super::service::openings_in(&mut tx, clinician, starts, 1, 1).await?;
    if starts <= now || open.first() != Some(&starts) {
        return Err(AppError::Conflict {
            message: "That time is no longer open. Choose another opening.".to_owned(),
        });
    }
    let recipients = crate::families::service::names(&mut tx, vault).await?;
    // Their names were opened: a read of the family's people, audited.
    if !recipients.is_empty() {
        let ids: Vec<String> = recipients.iter().map(|(id, _)| id.to_string()).collect();
        let org = tx.principal().org_id;
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
    Ok(BookingForm {
        clinician_id: clinician,
        clinician: found.name,
        starts_at: starts,
        rates,
        recipients,
        key: uuid::Uuid::new_v4(),
    })
}

/// The platform's patient record for the family's `recipient` (made at
/// their first booking from the family's sealed details).
async fn patient_for(
    tx: &mut TenantTx,
    vault: &Keyring,
    recipient: RecipientId,
) -> Result<PatientId, AppError> {
    let org = tx.principal().org_id;
    let existing: Option<uuid::Uuid> = sqlx::query_scalar(
        "SELECT id FROM patients WHERE organization_id = $1 AND family_id = $2 AND recipient_id = $3",
    )
    .bind(platform_org_id().uuid())
    .bind(org.uuid())
    .bind(recipient.uuid())
    .fetch_optional(tx.conn())
    .await?;
    if let Some(id) = existing {
        return Ok(id.into());
    }
    let row = crate::families::repo::one(tx, recipient)
        .await?
        .ok_or_else(|| FieldError::new("recipient", "Choose one of your people."))?;
    let details = crate::families::service::open_details(vault, recipient, &row.sealed)?;
    let id = PatientId::from(uuid::Uuid::new_v4());
    let patient = crate::patients::PatientDetails {
        full_name: details.full_name,
        birth_date: details.birth_date,
        address: details.address,
        phone: String::new(),
        payer: crate::patients::PayerKind::PrivatePay,
        member_id: String::new(),
        emergency_name: String::new(),
        emergency_phone: String::new(),
    };
    let (sealed, index) = crate::patients::service::seal_patient(vault, id, &patient, &row.zip);
    sqlx::query(
        "INSERT INTO patients (organization_id, id, initials, zip, key_id, sealed, match_index,
                               created_by, family_id, recipient_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (organization_id, family_id, recipient_id) WHERE family_id IS NOT NULL DO NOTHING",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .bind(&row.initials)
    .bind(&row.zip)
    .bind(&sealed.key_id)
    .bind(&sealed.bytes)
    .bind(&index[..])
    .bind(tx.principal().person().map(|u| u.uuid()))
    .bind(org.uuid())
    .bind(recipient.uuid())
    .execute(tx.conn())
    .await?;
    // Another booking for the same person made the copy a moment ago.
    let made: uuid::Uuid = sqlx::query_scalar(
        "SELECT id FROM patients WHERE organization_id = $1 AND family_id = $2 AND recipient_id = $3",
    )
    .bind(platform_org_id().uuid())
    .bind(org.uuid())
    .bind(recipient.uuid())
    .fetch_one(tx.conn())
    .await?;
    Ok(made.into())
}

/// What a family asks to hold.
#[derive(Debug, Clone)]
pub struct HoldRequest {
    pub clinician: ClinicianId,
    pub starts_at: OffsetDateTime,
    pub service: CareType,
    pub recipient: RecipientId,
    /// The form's idempotency key, which becomes the visit's id.
    pub key: uuid::Uuid,
}

/// Holds the slot for a few minutes. The same key holds once: a second
/// submit answers the first hold.
pub async fn hold(
    mut tx: TenantTx,
    vault: &Keyring,
    req: HoldRequest,
    now: OffsetDateTime,
    meta: &RequestMeta,
) -> Result<VisitId, AppError> {
    family(&tx)?;
    let org = tx.principal().org_id;
    let id = VisitId::from(req.key);
    // A retry of a hold already made.
    let earlier: Option<(uuid::Uuid, OffsetDateTime)> = sqlx::query_as(
        "SELECT clinician_id, starts_at FROM visits WHERE organization_id = $1 AND id = $2 AND family_id = $3",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .bind(org.uuid())
    .fetch_optional(tx.conn())
    .await?;
    if let Some((clinician, starts)) = earlier {
        return if clinician == req.clinician.uuid() && starts == req.starts_at {
            Ok(id)
        } else {
            Err(AppError::Conflict {
                message: "This form was already used for another booking. Start again from the clinician's page.".to_owned(),
            })
        };
    }
    repo::clinician(&mut tx, req.clinician)
        .await?
        .ok_or(AppError::NotFound)?;
    let rates = repo::rates(&mut tx, req.clinician).await?;
    if !rates.iter().any(|(s, _)| *s == req.service) {
        return Err(
            FieldError::new("service", "This clinician does not offer that service.").into(),
        );
    }
    let open = super::service::openings_in(&mut tx, req.clinician, req.starts_at, 1, 1).await?;
    if req.starts_at <= now || open.first() != Some(&req.starts_at) {
        return Err(taken());
    }
    // Holds need no card: a family keeps a few at a time, so nobody can
    // sit on a clinician's week.
    let open_holds: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM visits WHERE family_id = $1 AND status = 'held' AND hold_expires_at > now()",
    )
    .bind(org.uuid())
    .fetch_one(tx.conn())
    .await?;
    if open_holds >= MAX_HOLDS {
        return Err(AppError::Conflict {
            message: "You are holding several times already. Confirm or release one first."
                .to_owned(),
        });
    }
    let patient = patient_for(&mut tx, vault, req.recipient).await?;
    let policy = policy(&mut tx).await?;
    let tasks: Vec<String> = crate::visits::task_template(req.service)
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
    let inserted = sqlx::query(
        "INSERT INTO visits (organization_id, id, patient_id, clinician_id, service, starts_at,
                             ends_at, tasks, status, family_id, hold_expires_at, created_by)
         VALUES ($1, $2, $3, $4, $5::care_type, $6, $7, $8, 'held', $9, $10, $11)",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .bind(patient.uuid())
    .bind(req.clinician.uuid())
    .bind(req.service.as_str())
    .bind(req.starts_at)
    .bind(req.starts_at + Duration::minutes(super::VISIT_MINUTES))
    .bind(&tasks)
    .bind(org.uuid())
    .bind(now + policy.hold)
    .bind(tx.principal().person().map(|u| u.uuid()))
    .execute(tx.conn())
    .await;
    match inserted {
        Ok(_) => {}
        Err(e) if Violation::of(&e) == Some(Violation::DoubleBooked) => return Err(taken()),
        // The form's key is another booking's id (not this family's).
        Err(sqlx::Error::Database(d)) if d.constraint() == Some("visits_pkey") => {
            return Err(AppError::Conflict {
                message: "This form was already used. Start again from the clinician's page."
                    .to_owned(),
            })
        }
        Err(e) => return Err(e.into()),
    }
    audit(
        &mut tx,
        AuditAction::BookingHeld,
        id,
        meta,
        json!({ "clinician_id": req.clinician, "recipient_id": req.recipient }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

fn taken() -> AppError {
    AppError::Conflict {
        message: "That time was just taken. Choose another opening.".to_owned(),
    }
}

/// A booked visit of the acting family, locked.
struct Locked {
    status: VisitStatus,
    clinician: ClinicianId,
    clinician_user: Option<UserId>,
    service: CareType,
    hold_expires_at: Option<OffsetDateTime>,
}

async fn lock_own(tx: &mut TenantTx, id: VisitId) -> Result<Locked, AppError> {
    let org = tx.principal().org_id;
    type Row = (
        String,
        uuid::Uuid,
        Option<uuid::Uuid>,
        String,
        Option<OffsetDateTime>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT v.status::text, v.clinician_id, c.user_id, v.service::text, v.hold_expires_at
             FROM visits v LEFT JOIN clinicians c ON c.id = v.clinician_id
             WHERE v.organization_id = $1 AND v.id = $2 AND v.family_id = $3
             FOR UPDATE OF v",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .bind(org.uuid())
    .fetch_optional(tx.conn())
    .await?;
    let (status, clinician, user, service, hold_expires_at) = row.ok_or(AppError::NotFound)?;
    Ok(Locked {
        status: VisitStatus::parse(&status).ok_or(AppError::Internal)?,
        clinician: clinician.into(),
        clinician_user: user.map(UserId::from),
        service: CareType::parse(&service).ok_or(AppError::Internal)?,
        hold_expires_at,
    })
}

async fn set_status(
    tx: &mut TenantTx,
    id: VisitId,
    status: VisitStatus,
    note: Option<&str>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE visits SET status = $3::visit_status, status_note = $4
         WHERE organization_id = $1 AND id = $2",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .bind(status.as_str())
    .bind(note)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Confirms a hold: authorizes the card for the clinician's rate, records
/// the payment and its ledger posting, and sends the request. Confirming
/// twice confirms once.
pub async fn confirm(
    mut tx: TenantTx,
    processor: &Processor,
    id: VisitId,
    card: &str,
    now: OffsetDateTime,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    family(&tx)?;
    let payer = tx.principal().org_id;
    let visit = lock_own(&mut tx, id).await?;
    match visit.status {
        VisitStatus::Held => {}
        VisitStatus::Proposed | VisitStatus::Accepted => return Ok(()),
        _ => {
            return Err(AppError::Conflict {
                message: "This booking can no longer be confirmed.".to_owned(),
            })
        }
    }
    if visit.hold_expires_at.is_none_or(|t| t <= now) {
        return Err(AppError::Conflict {
            message: "The hold on this time has expired. Choose the opening again.".to_owned(),
        });
    }
    if card.trim().is_empty() {
        return Err(FieldError::new("card", "Enter the card number.").into());
    }
    let clinician_user = visit.clinician_user.ok_or(AppError::Conflict {
        message: "This clinician cannot be paid yet.".to_owned(),
    })?;
    let amount = repo::rates(&mut tx, visit.clinician)
        .await?
        .into_iter()
        .find(|(s, _)| *s == visit.service)
        .map(|(_, c)| c)
        .ok_or(AppError::Conflict {
            message: "This clinician no longer offers that service.".to_owned(),
        })?;
    // One key per attempt: the visit row is locked, so a double submit
    // waits here and then finds the booking confirmed; an attempt whose
    // card was declined, or whose hold was let go below, is not replayed.
    let authorization = processor
        .authorize(&AuthorizeRequest {
            amount,
            payment_method: card.to_owned(),
            description: "Carethread home visit".to_owned(),
            idempotency_key: format!("authorize-{id}-{}", uuid::Uuid::new_v4().simple()),
        })
        .await
        .map_err(|e| match e {
            ProcessorError::Declined { reason } => FieldError::new("card", reason).into(),
            ProcessorError::Invalid { .. } => AppError::Conflict {
                message: "The card processor refused this payment.".to_owned(),
            },
            ProcessorError::Unavailable { message } => {
                tracing::warn!(%message, "the card processor is unavailable");
                AppError::Unavailable
            }
        })?;
    let recorded = async {
        sqlx::query(
            "INSERT INTO visit_payments (organization_id, visit_id, payer_org_id, clinician_user_id,
                                         amount_cents, authorization_id)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(platform_org_id().uuid())
        .bind(id.uuid())
        .bind(payer.uuid())
        .bind(clinician_user.uuid())
        .bind(amount.0)
        .bind(&authorization.id)
        .execute(tx.conn())
        .await?;
        set_status(&mut tx, id, VisitStatus::Proposed, None).await?;
        let posting = Posting::authorize(format!("authorize-{id}"), payer, clinician_user, amount)
            .map_err(|_| AppError::Internal)?
            .about("visit", id.uuid());
        ledger::post(tx.conn(), &posting).await?;
        audit(
            &mut tx,
            AuditAction::BookingConfirmed,
            id,
            meta,
            json!({ "amount_cents": amount.0 }),
        )
        .await?;
        tx.commit().await?;
        Ok::<(), AppError>(())
    }
    .await;
    if let Err(error) = recorded {
        // Nothing was booked: let the card's hold go at once.
        if let Err(e) = processor.void(&authorization.id).await {
            tracing::warn!(error = %e, "an authorization for a failed booking was not voided");
        }
        return Err(error);
    }
    Ok(())
}

/// Cancels a booking: a hold is let go; a request or an accepted visit more
/// than the policy's notice ahead is voided; later, the fee is charged.
pub async fn cancel(mut tx: TenantTx, id: VisitId, meta: &RequestMeta) -> Result<(), AppError> {
    family(&tx)?;
    let visit = lock_own(&mut tx, id).await?;
    if !matches!(
        visit.status,
        VisitStatus::Held | VisitStatus::Proposed | VisitStatus::Accepted
    ) {
        return Err(AppError::Conflict {
            message: "This visit can no longer be cancelled.".to_owned(),
        });
    }
    set_status(
        &mut tx,
        id,
        VisitStatus::Cancelled,
        Some("Cancelled by the family"),
    )
    .await?;
    // The database charged the fee (or let the hold go) with the
    // cancellation itself: what it took is what is recorded.
    let fee: Option<i64> = sqlx::query_scalar(
        "SELECT capture_cents FROM visit_payments
         WHERE organization_id = $1 AND visit_id = $2 AND reason = 'late_cancel'",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .fetch_optional(tx.conn())
    .await?
    .flatten();
    audit(
        &mut tx,
        AuditAction::BookingCancelled,
        id,
        meta,
        json!({ "fee_cents": fee.unwrap_or(0) }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What cancelling a visit in `status` starting at `starts` costs at `now`.
pub fn cancel_fee(
    policy: &Policy,
    starts: OffsetDateTime,
    now: OffsetDateTime,
    status: VisitStatus,
) -> Option<Cents> {
    match status {
        // Nothing was agreed yet, or the clinician did not come: free.
        VisitStatus::Held | VisitStatus::Proposed => Some(Cents::ZERO),
        VisitStatus::Accepted if starts <= now => Some(Cents::ZERO),
        VisitStatus::Accepted => Some(if starts - now > policy.late_cancel {
            Cents::ZERO
        } else {
            policy.late_cancel_fee
        }),
        _ => None,
    }
}

/// The family confirms a signed visit went well: the payout goes at once.
pub async fn confirm_visit(
    mut tx: TenantTx,
    id: VisitId,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let user = family(&tx)?;
    lock_own(&mut tx, id).await?;
    let done = sqlx::query(
        "UPDATE visit_payments SET confirmed_by = $3, confirmed_at = now(), release_at = now()
         WHERE organization_id = $1 AND visit_id = $2 AND state = 'scheduled' AND reason = 'visit'
           AND confirmed_at IS NULL AND release_at > now()",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .bind(user.uuid())
    .execute(tx.conn())
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict {
            message: "This visit is not waiting for your review.".to_owned(),
        });
    }
    audit(&mut tx, AuditAction::PaymentConfirmed, id, meta, json!({})).await?;
    tx.commit().await?;
    Ok(())
}

/// The family disputes a signed visit within the review window: the
/// payout freezes until a platform administrator resolves it.
pub async fn dispute(
    mut tx: TenantTx,
    id: VisitId,
    reason: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let user = family(&tx)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(
            FieldError::new("reason", "Say what went wrong (up to 1,000 characters).").into(),
        );
    }
    lock_own(&mut tx, id).await?;
    let done = sqlx::query(
        "UPDATE visit_payments
         SET state = 'frozen', disputed_by = $3, disputed_at = now(), dispute_reason = $4
         WHERE organization_id = $1 AND visit_id = $2 AND state = 'scheduled' AND reason = 'visit'
           AND release_at > now() AND confirmed_at IS NULL",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .bind(user.uuid())
    .bind(reason)
    .execute(tx.conn())
    .await?;
    if done.rows_affected() != 1 {
        return Err(AppError::Conflict {
            message: "The review window for this visit has closed.".to_owned(),
        });
    }
    audit(&mut tx, AuditAction::PaymentDisputed, id, meta, json!({})).await?;
    tx.commit().await?;
    Ok(())
}

type VisitRow = (
    uuid::Uuid,
    String,
    String,
    String,
    OffsetDateTime,
    OffsetDateTime,
    String,
    Option<OffsetDateTime>,
    Option<OffsetDateTime>,
    Option<String>,
    Option<i64>,
    i64,
);

const VISIT_COLUMNS: &str =
    "v.id, p.initials, coalesce(c.display_name, 'The clinician'), v.service::text, v.starts_at, v.ends_at,
    v.status::text, v.checked_in_at, v.checked_out_at, pay.state::text, pay.amount_cents,
    coalesce(r.cents, 0)";
const VISIT_JOINS: &str = "FROM visits v
    JOIN patients p ON p.organization_id = v.organization_id AND p.id = v.patient_id
    LEFT JOIN clinicians c ON c.id = v.clinician_id
    LEFT JOIN clinician_rates r ON r.clinician_id = v.clinician_id AND r.service = v.service
    LEFT JOIN visit_payments pay ON pay.organization_id = v.organization_id AND pay.visit_id = v.id";

fn family_visit(r: VisitRow) -> Result<FamilyVisit, AppError> {
    Ok(FamilyVisit {
        id: r.0.into(),
        initials: r.1,
        clinician: r.2,
        service: CareType::parse(&r.3).ok_or(AppError::Internal)?,
        starts_at: r.4,
        ends_at: r.5,
        status: VisitStatus::parse(&r.6).ok_or(AppError::Internal)?,
        checked_in_at: r.7,
        checked_out_at: r.8,
        payment: r.9.as_deref().and_then(PaymentState::parse),
        amount: Cents(r.10.unwrap_or(r.11)),
    })
}

/// The family's visits, soonest first (those cancelled or let go left out).
pub async fn family_visits(mut tx: TenantTx) -> Result<Vec<FamilyVisit>, AppError> {
    member(&tx)?;
    let rows: Vec<VisitRow> = sqlx::query_as(&format!(
        "SELECT {VISIT_COLUMNS} {VISIT_JOINS}
         WHERE v.family_id = $1 AND v.status NOT IN ('cancelled', 'declined')
         ORDER BY v.starts_at LIMIT 200"
    ))
    .bind(tx.principal().org_id.uuid())
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    rows.into_iter().map(family_visit).collect()
}

/// One booking with its payment and signed log (audited: the log is PHI).
pub async fn booking(
    mut tx: TenantTx,
    vault: &Keyring,
    id: VisitId,
    now: OffsetDateTime,
    meta: &RequestMeta,
) -> Result<Booking, AppError> {
    member(&tx)?;
    let can_act = tx.principal().role == Role::Family;
    let row: Option<VisitRow> = sqlx::query_as(&format!(
        "SELECT {VISIT_COLUMNS} {VISIT_JOINS} WHERE v.organization_id = $1 AND v.id = $2 AND v.family_id = $3"
    ))
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .bind(tx.principal().org_id.uuid())
    .fetch_optional(tx.conn())
    .await?;
    let visit = family_visit(row.ok_or(AppError::NotFound)?)?;
    let (hold_expires_at, status_note): (Option<OffsetDateTime>, Option<String>) = sqlx::query_as(
        "SELECT hold_expires_at, status_note FROM visits WHERE organization_id = $1 AND id = $2",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .fetch_one(tx.conn())
    .await?;
    type PayRow = (
        Option<OffsetDateTime>,
        Option<i64>,
        Option<OffsetDateTime>,
        Option<String>,
        Option<String>,
        Option<OffsetDateTime>,
        Option<String>,
    );
    let pay: Option<PayRow> = sqlx::query_as(
        "SELECT release_at, capture_cents, confirmed_at, dispute_reason, resolution, paid_at, reason
         FROM visit_payments WHERE organization_id = $1 AND visit_id = $2",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .fetch_optional(tx.conn())
    .await?;
    let log = crate::visits::service::log_for_party(&mut tx, vault, platform_org_id(), id).await?;
    let policy = policy(&mut tx).await?;
    audit(&mut tx, AuditAction::BookingViewed, id, meta, json!({})).await?;
    tx.commit().await?;
    let (release_at, capture, confirmed_at, dispute_reason, resolution, paid_at, reason) =
        pay.unwrap_or_default();
    let can_review = visit.payment == Some(PaymentState::Scheduled)
        && reason.as_deref() == Some("visit")
        && confirmed_at.is_none()
        && release_at.is_some_and(|t| t > now);
    Ok(Booking {
        cancel_fee: cancel_fee(&policy, visit.starts_at, now, visit.status).filter(|_| can_act),
        visit,
        hold_expires_at,
        status_note,
        release_at,
        capture: capture.map(Cents),
        confirmed_at,
        dispute_reason,
        resolution,
        paid_at,
        log,
        can_review: can_review && can_act,
        can_act,
    })
}

/// The clinician's payments and their totals per state.
pub async fn earnings(mut tx: TenantTx) -> Result<Earnings, AppError> {
    let me = match tx.principal().person() {
        Some(user) if tx.principal().role == Role::Clinician => user,
        _ => return Err(AppError::Forbidden),
    };
    type Row = (
        uuid::Uuid,
        OffsetDateTime,
        String,
        i64,
        Option<i64>,
        String,
        Option<OffsetDateTime>,
        Option<OffsetDateTime>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT pay.visit_id, v.starts_at, v.service::text, pay.amount_cents, pay.capture_cents,
                pay.state::text, pay.release_at, pay.paid_at
         FROM visit_payments pay
         JOIN visits v ON v.organization_id = pay.organization_id AND v.id = pay.visit_id
         WHERE pay.clinician_user_id = $1
         ORDER BY v.starts_at DESC LIMIT 500",
    )
    .bind(me.uuid())
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    let mut out = Vec::new();
    for (visit, starts_at, service, amount, capture, state, release_at, paid_at) in rows {
        let state = PaymentState::parse(&state).ok_or(AppError::Internal)?;
        out.push(Earning {
            visit_id: visit.into(),
            starts_at,
            service: CareType::parse(&service).ok_or(AppError::Internal)?,
            amount: Cents(match state {
                PaymentState::Scheduled | PaymentState::Paid => capture.unwrap_or(amount),
                _ => amount,
            }),
            state,
            release_at,
            paid_at,
        });
    }
    let totals = PaymentState::ALL
        .iter()
        .copied()
        .filter(|s| !matches!(s, PaymentState::Voiding | PaymentState::Voided))
        .map(|s| {
            let sum = out
                .iter()
                .filter(|e| e.state == s)
                .map(|e| e.amount.0)
                .sum();
            (s, Cents(sum))
        })
        .collect();
    Ok(Earnings { rows: out, totals })
}

fn admin(tx: &TenantTx) -> Result<UserId, AppError> {
    match tx.principal().person() {
        Some(user) if tx.principal().role == Role::PlatformAdmin => Ok(user),
        _ => Err(AppError::Forbidden),
    }
}

/// The ledger check and the disputed payments (oldest first), for
/// platform administrators.
pub async fn overview(mut tx: TenantTx) -> Result<PaymentsOverview, AppError> {
    admin(&tx)?;
    let (transactions, unbalanced, book_total): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM ledger_transactions),
                (SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries
                                       GROUP BY transaction_id HAVING sum(amount_cents) <> 0) u),
                (SELECT coalesce(sum(amount_cents), 0)::bigint FROM ledger_entries)",
    )
    .fetch_one(tx.conn())
    .await?;
    let kinds: Vec<(String, i64)> = sqlx::query_as(
        "SELECT kind::text, sum(balance_cents)::bigint FROM ledger_balances GROUP BY kind ORDER BY kind",
    )
    .fetch_all(tx.conn())
    .await?;
    let ledger = LedgerCheck {
        transactions,
        unbalanced,
        book_total: Cents(book_total),
        by_kind: kinds
            .into_iter()
            .filter_map(|(k, c)| Some((crate::payments::AccountKind::parse(&k)?, Cents(c))))
            .collect(),
    };
    type Row = (
        uuid::Uuid,
        uuid::Uuid,
        String,
        String,
        OffsetDateTime,
        i64,
        String,
        OffsetDateTime,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT pay.organization_id, pay.visit_id, o.name, c.display_name, v.starts_at,
                pay.amount_cents, pay.dispute_reason, pay.disputed_at
         FROM visit_payments pay
         JOIN visits v ON v.organization_id = pay.organization_id AND v.id = pay.visit_id
         JOIN clinicians c ON c.id = v.clinician_id
         JOIN organizations o ON o.id = pay.payer_org_id
         WHERE pay.state = 'frozen'
         ORDER BY pay.disputed_at LIMIT 200",
    )
    .fetch_all(tx.conn())
    .await?;
    tx.commit().await?;
    let disputes = rows
        .into_iter()
        .map(
            |(org, visit, family, clinician, starts_at, amount, reason, disputed_at)| Dispute {
                organization_id: OrganizationId::from(org),
                visit_id: visit.into(),
                family,
                clinician,
                starts_at,
                amount: Cents(amount),
                reason,
                disputed_at,
            },
        )
        .collect();
    Ok(PaymentsOverview { ledger, disputes })
}

/// A platform administrator resolves a dispute: release, a partial payout
/// (the rest of the hold let go) or a refund (nothing taken).
pub async fn resolve(
    mut tx: TenantTx,
    id: VisitId,
    decision: &str,
    partial: &str,
    note: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let user = admin(&tx)?;
    let note = note.trim();
    if note.is_empty() || note.chars().count() > 1000 {
        return Err(FieldError::new("note", "Say why (up to 1,000 characters).").into());
    }
    let amount: Option<i64> = sqlx::query_scalar(
        "SELECT amount_cents FROM visit_payments
         WHERE organization_id = $1 AND visit_id = $2 AND state = 'frozen' FOR UPDATE",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .fetch_optional(tx.conn())
    .await?;
    let amount = Cents(amount.ok_or(AppError::NotFound)?);
    let resolution = Resolution::parse(decision, partial, amount)?;
    let (state, capture) = match resolution {
        Resolution::Release => ("scheduled", Some(amount)),
        Resolution::Partial(c) => ("scheduled", Some(c)),
        Resolution::Refund => ("voiding", None),
    };
    sqlx::query(
        "UPDATE visit_payments
         SET state = $3::payment_state, capture_cents = coalesce($4, capture_cents),
             reason = CASE WHEN $4 IS NULL THEN reason ELSE 'resolution' END,
             release_at = now(), resolved_by = $5, resolved_at = now(), resolution = $6
         WHERE organization_id = $1 AND visit_id = $2",
    )
    .bind(platform_org_id().uuid())
    .bind(id.uuid())
    .bind(state)
    .bind(capture.map(|c| c.0))
    .bind(user.uuid())
    .bind(note)
    .execute(tx.conn())
    .await?;
    audit(
        &mut tx,
        AuditAction::PaymentResolved,
        id,
        meta,
        json!({ "decision": decision, "capture_cents": capture.map_or(0, |c| c.0) }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelling_late_costs_the_fee_and_early_nothing() {
        let policy = Policy {
            hold: Duration::minutes(10),
            late_cancel: Duration::hours(24),
            late_cancel_fee: Cents(2500),
        };
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(1000);
        let starts = now + Duration::hours(30);
        assert_eq!(
            cancel_fee(&policy, starts, now, VisitStatus::Accepted),
            Some(Cents::ZERO)
        );
        assert_eq!(
            cancel_fee(
                &policy,
                now + Duration::hours(5),
                now,
                VisitStatus::Accepted
            ),
            Some(Cents(2500))
        );
        assert_eq!(
            cancel_fee(&policy, now + Duration::hours(5), now, VisitStatus::Held),
            Some(Cents::ZERO)
        );
        // Never answered, or never came: no fee.
        assert_eq!(
            cancel_fee(
                &policy,
                now + Duration::hours(5),
                now,
                VisitStatus::Proposed
            ),
            Some(Cents::ZERO)
        );
        assert_eq!(
            cancel_fee(
                &policy,
                now - Duration::minutes(30),
                now,
                VisitStatus::Accepted
            ),
            Some(Cents::ZERO)
        );
        assert_eq!(
            cancel_fee(&policy, starts, now, VisitStatus::Completed),
            None
        );
    }
}
