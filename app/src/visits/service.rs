//! Visit operations, one per thing a person does; each checks the role,
//! runs in the tenant transaction, writes its audit event (and domain
//! event), and commits. Every door (page, server function, sync) calls
//! these.

use super::repo::{self, Filter, Point};
use super::*;
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{RequestMeta, Role};
use crate::db::TenantTx;
use crate::domain::EventType;
use crate::error::{AppError, Violation};
use crate::identity::{ClinicianId, ReferralId, UserId, VisitId};
use crate::payments::processor::{AuthorizeRequest, CardProcessor, Processor, ProcessorError};
use crate::payments::{ledger, Cents, Posting};
use crate::referrals::ReferralStatus;
use crate::vault::{Keyring, Place};
use serde_json::json;
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

const CLINIC: [Role; 2] = [Role::ClinicAdmin, Role::ClinicStaff];

fn clinic(tx: &TenantTx) -> Result<(), AppError> {
    if tx.principal().has_role(&CLINIC) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn clinician(tx: &TenantTx) -> Result<UserId, AppError> {
    if tx.principal().role == Role::Clinician {
        tx.principal().require_person()
    } else {
        Err(AppError::Forbidden)
    }
}

/// The message for a double booking the database refused. Under
/// row-level security PostgreSQL leaves the clashing row's values out of
/// the error, so the clash with one of this clinic's visits is named
/// before inserting (see `schedule`); what is left is another clinic's
/// visit or one booked a moment ago.
fn clash(error: &sqlx::Error, clinician: &str, day: Date) -> Option<AppError> {
    (Violation::of(error) == Some(Violation::DoubleBooked)).then(|| {
        AppError::invalid(
            "start",
            format!(
                "{clinician} is already booked at an overlapping time on {day} \
                 (another clinic's visit, or one booked just now). Choose another time or clinician."
            ),
        )
    })
}

fn hm(t: OffsetDateTime) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// A per-visit rate the clinic pays the clinician, and the clinic's card
/// (the processor's name for it: a test card number for the local
/// processor). Never stored: each visit's hold is authorized with it.
#[derive(Clone)]
pub struct VisitPayment {
    pub rate: Cents,
    pub card: String,
}

impl std::fmt::Debug for VisitPayment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VisitPayment")
            .field("rate", &self.rate)
            .field("card", &"…")
            .finish()
    }
}

/// Holds `payment.rate` on the clinic's card for visit `id` with
/// `clinician`: the processor's authorization, the payment row and its
/// ledger posting. Returns the authorization, for letting it go should
/// the schedule fail afterwards.
async fn hold_payment(
    tx: &mut TenantTx,
    processor: &Processor,
    id: VisitId,
    clinician: ClinicianId,
    payment: &VisitPayment,
) -> Result<String, AppError> {
    let user: Option<uuid::Uuid> =
        sqlx::query_scalar("SELECT user_id FROM clinicians WHERE id = $1")
            .bind(clinician.uuid())
            .fetch_optional(tx.conn())
            .await?
            .flatten();
    let user = UserId::from(user.ok_or_else(|| {
        AppError::invalid(
            "rate",
            "This clinician has no account to be paid into; schedule without a rate.",
        )
    })?);
    let authorization = processor
        .authorize(&AuthorizeRequest {
            amount: payment.rate,
            payment_method: payment.card.clone(),
            description: "Carethread clinic visit".to_owned(),
            idempotency_key: format!("authorize-{id}-{}", uuid::Uuid::new_v4().simple()),
        })
        .await
        .map_err(|e| match e {
            ProcessorError::Declined { reason } => AppError::invalid("card", reason),
            ProcessorError::Invalid { .. } => AppError::Conflict {
                message: "The card processor refused this payment.".to_owned(),
            },
            ProcessorError::Unavailable { message } => {
                tracing::warn!(%message, "the card processor is unavailable");
                AppError::Unavailable
            }
        })?;
    let org = tx.principal().org_id;
    sqlx::query(
        "INSERT INTO visit_payments (organization_id, visit_id, payer_org_id, clinician_user_id,
                                     amount_cents, authorization_id)
         VALUES ($1, $2, $1, $3, $4, $5)",
    )
    .bind(org.uuid())
    .bind(id.uuid())
    .bind(user.uuid())
    .bind(payment.rate.0)
    .bind(&authorization.id)
    .execute(tx.conn())
    .await?;
    let posting = Posting::authorize(format!("authorize-{id}"), org, user, payment.rate)
        .map_err(|_| AppError::Internal)?
        .about("visit", id.uuid());
    ledger::post(tx.conn(), &posting).await?;
    Ok(authorization.id)
}

/// Schedules visits for an accepted referral: one, or weekly for N weeks,
/// all or none. The first moves the referral to `scheduled`. With a
/// per-visit rate (a clinic administrator's), each visit's payment is held
/// on the clinic's card.
pub async fn schedule(
    tx: TenantTx,
    referral: ReferralId,
    new: NewVisits,
    payment: Option<(&VisitPayment, &Processor)>,
    meta: &RequestMeta,
) -> Result<Vec<VisitId>, AppError> {
    let mut held = Vec::new();
    let result = schedule_held(tx, referral, new, payment, &mut held, meta).await;
    if result.is_err() {
        // Nothing was scheduled: let every hold made go at once.
        if let Some((_, processor)) = payment {
            for authorization in held {
                if let Err(e) = processor.void(&authorization).await {
                    tracing::warn!(error = %e, "a hold for a schedule that failed was not voided");
                }
            }
        }
    }
    result
}

async fn schedule_held(
    mut tx: TenantTx,
    referral: ReferralId,
    new: NewVisits,
    payment: Option<(&VisitPayment, &Processor)>,
    held: &mut Vec<String>,
    meta: &RequestMeta,
) -> Result<Vec<VisitId>, AppError> {
    clinic(&tx)?;
    if payment.is_some() && tx.principal().role != Role::ClinicAdmin {
        return Err(AppError::invalid(
            "rate",
            "Only a clinic administrator schedules visits at a paid rate.",
        ));
    }
    let (referrer, status, patient, _care) = repo::referral_for_update(&mut tx, referral)
        .await?
        .ok_or(AppError::NotFound)?;
    if !matches!(
        status,
        ReferralStatus::Accepted | ReferralStatus::Scheduled | ReferralStatus::FirstVisitDone
    ) {
        return Err(AppError::Conflict {
            message: "Accept the referral before scheduling visits.".to_owned(),
        });
    }
    let patient = patient.ok_or_else(|| AppError::Conflict {
        message: "Confirm the patient record first (see “Patient” above).".to_owned(),
    })?;
    if !repo::is_affiliated(&mut tx, new.clinician).await? {
        return Err(AppError::invalid(
            "clinician_id",
            "Choose one of your clinic's clinicians.",
        ));
    }
    let name = crate::referrals::repo::clinic_clinicians(&mut tx)
        .await?
        .into_iter()
        .find(|(id, _, _)| *id == new.clinician)
        .map(|(_, name, _)| name)
        .unwrap_or_else(|| "The clinician".to_owned());
    let occurrences = new.occurrences();
    let series = (occurrences.len() > 1).then(uuid::Uuid::new_v4);
    let mut ids = Vec::new();
    for when in occurrences {
        if let Some((from, to, initials)) = repo::overlapping(&mut tx, new.clinician, when).await? {
            return Err(AppError::invalid(
                "start",
                format!(
                    "{name} is already booked {} {}–{} UTC (visit with {initials}). \
                     Choose another time or clinician.",
                    from.date(),
                    hm(from),
                    hm(to)
                ),
            ));
        }
        let id = VisitId::new();
        if let Err(error) =
            repo::insert(&mut tx, id, patient, Some(referral), &new, when, series).await
        {
            return Err(clash(&error, &name, when.0.date()).unwrap_or_else(|| error.into()));
        }
        if let Some((payment, processor)) = payment {
            held.push(hold_payment(&mut tx, processor, id, new.clinician, payment).await?);
        }
        repo::record_event(
            &mut tx,
            EventType::VisitScheduled,
            id,
            json!({ "visit_id": id, "starts_at": when.0.unix_timestamp() }),
        )
        .await?;
        ids.push(id);
    }
    if status == ReferralStatus::Accepted {
        crate::referrals::repo::set_status(
            &mut tx,
            referral,
            ReferralStatus::Scheduled,
            None,
            None,
        )
        .await?;
        let org = tx.principal().org_id;
        crate::referrals::repo::record_event(
            &mut tx,
            (referrer, Some(org)),
            EventType::ReferralScheduled,
            referral,
            json!({ "referral_id": referral, "status": "scheduled" }),
        )
        .await?;
    }
    record(
        &mut tx,
        Entry::new(AuditAction::VisitScheduled)
            .subject(Subject::new("referral", referral))
            .ip(meta.ip)
            .details(json!({
                "visits": ids,
                "clinician_id": new.clinician,
                "rate_cents": payment.map(|(p, _)| p.rate.0),
            })),
    )
    .await?;
    tx.commit().await?;
    Ok(ids)
}

/// The clinician accepts or declines an offered visit.
pub async fn respond(
    mut tx: TenantTx,
    id: VisitId,
    accept: bool,
    note: Option<String>,
    meta: &RequestMeta,
) -> Result<VisitStatus, AppError> {
    let me = clinician(&tx)?;
    let visit = own_visit(&mut tx, id, me).await?;
    let (to, action) = if accept {
        (VisitStatus::Accepted, AuditAction::VisitAccepted)
    } else {
        (VisitStatus::Declined, AuditAction::VisitDeclined)
    };
    move_visit(tx, id, visit.status, to, action, note, meta).await
}

/// The clinician cancels a visit a family booked with them, before it
/// begins: the family's held payment is let go (voided by the visit's
/// trigger; no fee, which only a family's late cancellation costs). A
/// clinic's visit is the clinic's to cancel.
pub async fn clinician_cancel(
    mut tx: TenantTx,
    id: VisitId,
    note: Option<String>,
    meta: &RequestMeta,
) -> Result<VisitStatus, AppError> {
    let me = clinician(&tx)?;
    let visit = own_visit(&mut tx, id, me).await?;
    let (booked, started) = repo::booked(&mut tx, id).await?;
    if !booked {
        return Err(AppError::Conflict {
            message:
                "The clinic cancels the visits it schedules; decline an offer, or ask the clinic."
                    .into(),
        });
    }
    if visit.checked_in_at.is_some() || started {
        return Err(AppError::Conflict {
            message: "This visit's time has begun: it can no longer be cancelled.".into(),
        });
    }
    move_visit(
        tx,
        id,
        visit.status,
        VisitStatus::Cancelled,
        AuditAction::VisitCancelled,
        note,
        meta,
    )
    .await
}

/// The clinic cancels a visit, or marks it missed.
pub async fn cancel(
    mut tx: TenantTx,
    id: VisitId,
    missed: bool,
    note: Option<String>,
    meta: &RequestMeta,
) -> Result<VisitStatus, AppError> {
    clinic(&tx)?;
    let visit = repo::for_update(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (to, action) = if missed {
        (VisitStatus::Missed, AuditAction::VisitMissed)
    } else {
        (VisitStatus::Cancelled, AuditAction::VisitCancelled)
    };
    move_visit(tx, id, visit.status, to, action, note, meta).await
}

/// Moves a locked visit from `from` to `to` if that move is legal, records
/// `action`, and commits: the common end of answering and cancelling.
async fn move_visit(
    mut tx: TenantTx,
    id: VisitId,
    from: VisitStatus,
    to: VisitStatus,
    action: AuditAction,
    note: Option<String>,
    meta: &RequestMeta,
) -> Result<VisitStatus, AppError> {
    from.transition(to)
        .map_err(|message| AppError::Conflict { message })?;
    repo::set_status(&mut tx, id, to, note.as_deref()).await?;
    record(
        &mut tx,
        Entry::new(action)
            .subject(Subject::new("visit", id))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

async fn own_visit(tx: &mut TenantTx, id: VisitId, me: UserId) -> Result<repo::Locked, AppError> {
    let visit = repo::for_update(tx, id).await?.ok_or(AppError::NotFound)?;
    if visit.clinician_user != Some(me) {
        return Err(AppError::NotFound);
    }
    Ok(visit)
}

async fn check_in_locked(
    tx: &mut TenantTx,
    id: VisitId,
    visit: &repo::Locked,
    at: &CheckPoint,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if visit.status != VisitStatus::Accepted {
        return Err(AppError::Conflict {
            message: match visit.status {
                VisitStatus::Proposed => "Accept the visit before checking in.".to_owned(),
                s => format!(
                    "This visit is {}; there is nothing to check in to.",
                    s.label().to_lowercase()
                ),
            },
        });
    }
    let point = Point::of(at, (visit.home_lat, visit.home_lon));
    repo::check_in(tx, id, &point).await?;
    record(
        tx,
        Entry::new(AuditAction::VisitCheckedIn)
            .subject(Subject::new("visit", id))
            .ip(meta.ip)
            .details(json!({ "distance_m": point.distance_m, "exception": point.exception.map(EvvException::as_str) })),
    )
    .await?;
    Ok(())
}

async fn check_out_locked(
    tx: &mut TenantTx,
    id: VisitId,
    visit: &repo::Locked,
    at: &CheckPoint,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let Some(checked_in) = visit.checked_in_at else {
        return Err(AppError::Conflict {
            message: "Check in before checking out.".to_owned(),
        });
    };
    if visit.checked_out_at.is_some() {
        return Err(AppError::Conflict {
            message: "This visit is already checked out.".to_owned(),
        });
    }
    if at.at < checked_in {
        return Err(AppError::invalid(
            "at",
            "Check-out cannot be before check-in.",
        ));
    }
    let point = Point::of(at, (visit.home_lat, visit.home_lon));
    repo::check_out(tx, id, &point).await?;
    record(
        tx,
        Entry::new(AuditAction::VisitCheckedOut)
            .subject(Subject::new("visit", id))
            .ip(meta.ip)
            .details(json!({ "distance_m": point.distance_m, "exception": point.exception.map(EvvException::as_str) })),
    )
    .await?;
    Ok(())
}

/// Checks in to an accepted visit: the device's time and location.
pub async fn check_in(
    mut tx: TenantTx,
    id: VisitId,
    at: CheckPoint,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let me = clinician(&tx)?;
    let visit = own_visit(&mut tx, id, me).await?;
    check_in_locked(&mut tx, id, &visit, &at, meta).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks out of a visit in progress.
pub async fn check_out(
    mut tx: TenantTx,
    id: VisitId,
    at: CheckPoint,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let me = clinician(&tx)?;
    let visit = own_visit(&mut tx, id, me).await?;
    check_out_locked(&mut tx, id, &visit, &at, meta).await?;
    tx.commit().await?;
    Ok(())
}

/// The canonical bytes of a log (RFC 8785) and their SHA-256.
pub fn canonical(log: &VisitLog) -> Result<(Vec<u8>, [u8; 32]), AppError> {
    let bytes = serde_jcs::to_vec(log).map_err(|error| {
        tracing::error!(%error, "a visit log could not be canonicalised");
        AppError::Internal
    })?;
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    Ok((bytes, hash))
}

fn log_place(id: VisitId) -> Place<'static> {
    Place {
        table: "visit_logs",
        column: "sealed",
        row: id.uuid(),
    }
}

/// Signs the log of a checked-out visit (in the caller's transaction).
#[allow(clippy::too_many_arguments)]
async fn sign_locked(
    tx: &mut TenantTx,
    vault: &Keyring,
    id: VisitId,
    visit: &repo::Locked,
    log: &VisitLog,
    sync_key: uuid::Uuid,
    me: UserId,
    meta: &RequestMeta,
) -> Result<LogReceipt, AppError> {
    if log.visit_id != id {
        return Err(AppError::BadRequest {
            message: "the log names another visit".to_owned(),
        });
    }
    if visit.status != VisitStatus::InProgress || visit.checked_out_at.is_none() {
        return Err(AppError::Conflict {
            message: "Check out of the visit before signing its log.".to_owned(),
        });
    }
    let planned: Vec<&str> = visit.tasks.iter().map(String::as_str).collect();
    let logged: Vec<&str> = log.tasks.iter().map(|t| t.task.as_str()).collect();
    if planned != logged {
        return Err(AppError::invalid(
            "tasks",
            "The log must account for each planned task.",
        ));
    }
    let (bytes, hash) = canonical(log)?;
    let sealed = vault.seal(&bytes, log_place(id));
    repo::insert_log(tx, id, &sealed, &hash, me, sync_key).await?;
    repo::set_status(tx, id, VisitStatus::Completed, None).await?;
    repo::record_event(tx, EventType::VisitCompleted, id, json!({ "visit_id": id })).await?;
    if let Some(referral) = visit.referral_id {
        let parties = crate::referrals::repo::parties_for_update(tx, referral).await?;
        if let Some(p) = parties.filter(|p| p.status == ReferralStatus::Scheduled) {
            crate::referrals::repo::set_status(
                tx,
                referral,
                ReferralStatus::FirstVisitDone,
                None,
                None,
            )
            .await?;
            crate::referrals::repo::record_event(
                tx,
                (p.organization_id, p.clinic_id),
                EventType::ReferralFirstVisitDone,
                referral,
                json!({ "referral_id": referral, "status": "first_visit_done" }),
            )
            .await?;
            record(
                tx,
                Entry::new(AuditAction::ReferralStatusChanged)
                    .subject(Subject::new("referral", referral))
                    .ip(meta.ip)
                    .details(json!({ "from": "scheduled", "to": "first_visit_done" })),
            )
            .await?;
        }
    }
    let sha256 = hex::encode(hash);
    record(
        tx,
        Entry::new(AuditAction::VisitLogSigned)
            .subject(Subject::new("visit", id))
            .ip(meta.ip)
            .details(json!({ "sha256": sha256, "sync_key": sync_key })),
    )
    .await?;
    Ok(LogReceipt {
        visit_id: id,
        sha256,
        replayed: false,
    })
}

/// What happens to a sync whose visit already has a log.
async fn replay_or_conflict(
    tx: &mut TenantTx,
    id: VisitId,
    sync_key: uuid::Uuid,
) -> Result<Option<LogReceipt>, AppError> {
    match repo::log(tx, id).await? {
        None => Ok(None),
        Some(l) if l.sync_key == sync_key => Ok(Some(LogReceipt {
            visit_id: id,
            sha256: hex::encode(l.sha256),
            replayed: true,
        })),
        Some(l) => Err(AppError::Conflict {
            message: format!(
                "This visit's log was already signed{} at {}. Your copy was not stored; \
                 it stays on this device. Add what differs as an addendum.",
                l.signed_by.map(|n| format!(" by {n}")).unwrap_or_default(),
                crate::ui::format_datetime(l.signed_at)
            ),
        }),
    }
}

/// Signs a visit's log (after checking out), once: `sync_key` makes a
/// repeated submission store nothing new.
pub async fn sign(
    mut tx: TenantTx,
    vault: &Keyring,
    id: VisitId,
    log: VisitLog,
    sync_key: uuid::Uuid,
    meta: &RequestMeta,
) -> Result<LogReceipt, AppError> {
    let me = clinician(&tx)?;
    let visit = own_visit(&mut tx, id, me).await?;
    if let Some(receipt) = replay_or_conflict(&mut tx, id, sync_key).await? {
        return Ok(receipt);
    }
    let receipt = sign_locked(&mut tx, vault, id, &visit, &log, sync_key, me, meta).await?;
    tx.commit().await?;
    Ok(receipt)
}

/// A whole visit worked offline, synced as one: check-in and check-out as
/// the device took them, then the signed log. Idempotent by the device's
/// key; a log signed elsewhere meanwhile is a conflict.
pub async fn sync(
    mut tx: TenantTx,
    vault: &Keyring,
    id: VisitId,
    visit_data: OfflineVisit,
    meta: &RequestMeta,
) -> Result<LogReceipt, AppError> {
    let me = clinician(&tx)?;
    let mut visit = own_visit(&mut tx, id, me).await?;
    if let Some(receipt) = replay_or_conflict(&mut tx, id, visit_data.sync_key).await? {
        return Ok(receipt);
    }
    let mut visit_data = visit_data;
    visit_data.log = visit_data.log.clone().validated(&visit.tasks)?;
    let now = OffsetDateTime::now_utc();
    // A phone's clock is its owner's: what the server can hold it to is
    // that nothing happened before the visit was scheduled or after the
    // sync arrived (the audit event records when it arrived).
    let earliest = visit.created_at - time::Duration::minutes(5);
    for point in [&visit_data.check_in, &visit_data.check_out]
        .into_iter()
        .flatten()
    {
        if !point.location_ok() {
            return Err(AppError::invalid(
                "location",
                "The phone's location could not be read.",
            ));
        }
        if point.at > now + time::Duration::minutes(5) || point.at < earliest {
            return Err(AppError::invalid(
                "at",
                "The phone's times are outside this visit; check the phone's time setting.",
            ));
        }
    }
    if let (Some(i), Some(o)) = (&visit_data.check_in, &visit_data.check_out) {
        if o.at - i.at > time::Duration::hours(LONGEST_VISIT_HOURS) {
            return Err(AppError::invalid(
                "at",
                "A visit lasts at most twelve hours.",
            ));
        }
    }
    if visit.checked_in_at.is_none() {
        let point = visit_data
            .check_in
            .as_ref()
            .ok_or_else(|| AppError::Conflict {
                message: "This visit was never checked in to.".to_owned(),
            })?;
        check_in_locked(&mut tx, id, &visit, point, meta).await?;
        visit.status = VisitStatus::InProgress;
        visit.checked_in_at = Some(point.at);
    }
    if visit.checked_out_at.is_none() {
        let point = visit_data
            .check_out
            .as_ref()
            .ok_or_else(|| AppError::Conflict {
                message: "This visit was never checked out of.".to_owned(),
            })?;
        check_out_locked(&mut tx, id, &visit, point, meta).await?;
        visit.checked_out_at = Some(point.at);
    }
    let receipt = sign_locked(
        &mut tx,
        vault,
        id,
        &visit,
        &visit_data.log,
        visit_data.sync_key,
        me,
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(receipt)
}

/// Adds a correction to a signed log, chained to the last hash.
pub async fn add_addendum(
    mut tx: TenantTx,
    vault: &Keyring,
    id: VisitId,
    text: String,
    meta: &RequestMeta,
) -> Result<String, AppError> {
    let me = tx.principal().require_person()?;
    let visit = repo::for_update(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let allowed = tx.principal().has_role(&CLINIC)
        || (tx.principal().role == Role::Clinician && visit.clinician_user == Some(me));
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let text = text.trim().replace("\r\n", "\n");
    if text.chars().count() < 3 || text.chars().count() > 4000 {
        return Err(AppError::invalid(
            "text",
            "Write the correction (3 to 4,000 characters).",
        ));
    }
    let log = repo::log(&mut tx, id)
        .await?
        .ok_or_else(|| AppError::Conflict {
            message: "Only a signed log takes addenda; edit the log before signing.".to_owned(),
        })?;
    let addenda = repo::addenda(&mut tx, id).await?;
    let (seq, prev) = match addenda.last() {
        Some(a) => (a.seq + 1, a.sha256.clone()),
        None => (1, log.sha256.clone()),
    };
    let doc = json!({ "visit_id": id, "seq": seq, "text": text, "author": me });
    let bytes = serde_jcs::to_vec(&doc).map_err(|_| AppError::Internal)?;
    let mut hasher = Sha256::new();
    hasher.update(&prev);
    hasher.update(&bytes);
    let hash: [u8; 32] = hasher.finalize().into();
    let sealed = vault.seal(
        &bytes,
        Place {
            table: "visit_log_addenda",
            column: "sealed",
            row: addendum_row(id, seq),
        },
    );
    repo::insert_addendum(&mut tx, id, seq, &sealed, &prev, &hash, me).await?;
    let sha256 = hex::encode(hash);
    record(
        &mut tx,
        Entry::new(AuditAction::VisitLogAddendum)
            .subject(Subject::new("visit", id))
            .ip(meta.ip)
            .details(json!({ "seq": seq, "sha256": sha256 })),
    )
    .await?;
    tx.commit().await?;
    Ok(sha256)
}

/// An addendum's place in the vault: one row id per (visit, seq), from a
/// hash of both (no two pairs share one).
fn addendum_row(id: VisitId, seq: i32) -> uuid::Uuid {
    let mut hasher = Sha256::new();
    hasher.update(b"visit_log_addenda");
    hasher.update(id.uuid().as_bytes());
    hasher.update(seq.to_be_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(bytes)
}

/// The clinic countersigns a signed log.
pub async fn countersign(
    mut tx: TenantTx,
    id: VisitId,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    clinic(&tx)?;
    let me = tx.principal().require_person()?;
    if repo::countersign(&mut tx, id, me).await? == 0 {
        return Err(AppError::Conflict {
            message: "There is no signed log waiting for a countersignature.".to_owned(),
        });
    }
    record(
        &mut tx,
        Entry::new(AuditAction::VisitLogCountersigned)
            .subject(Subject::new("visit", id))
            .ip(meta.ip),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Opens and checks a stored log: the hash must still match the bytes.
fn open_log(vault: &Keyring, id: VisitId, row: repo::LogRow) -> Result<SignedLog, AppError> {
    let bytes = vault.open(&row.sealed, log_place(id)).map_err(|error| {
        tracing::error!(%error, "a visit log does not open");
        AppError::Internal
    })?;
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    if hash[..] != row.sha256[..] {
        tracing::error!(visit = %id, "a visit log's hash does not match its content");
        return Err(AppError::Internal);
    }
    let log: VisitLog = serde_json::from_slice(&bytes).map_err(|_| AppError::Internal)?;
    Ok(SignedLog {
        log,
        sha256: hex::encode(hash),
        signed_by: row.signed_by.unwrap_or_else(|| "The clinician".to_owned()),
        signed_at: row.signed_at,
        countersigned_by: row.countersigned_by,
        countersigned_at: row.countersigned_at,
    })
}

/// The signed log of a visit of `org` for another party to it (a family
/// reading its booked visit's log), if there is one and the caller may
/// read it. The signer is named from the clinician's profile (the caller
/// may not read other people's accounts). The caller audits the read.
pub(crate) async fn log_for_party(
    tx: &mut TenantTx,
    vault: &Keyring,
    org: crate::identity::OrganizationId,
    id: VisitId,
) -> Result<Option<SignedLog>, AppError> {
    type Row = (String, Vec<u8>, Vec<u8>, OffsetDateTime, Option<String>);
    let row: Option<Row> = sqlx::query_as(
        "SELECT l.key_id, l.sealed, l.sha256, l.signed_at, c.display_name
         FROM visit_logs l
         JOIN visits v ON v.organization_id = l.organization_id AND v.id = l.visit_id
         LEFT JOIN clinicians c ON c.id = v.clinician_id
         WHERE l.organization_id = $1 AND l.visit_id = $2",
    )
    .bind(org.uuid())
    .bind(id.uuid())
    .fetch_optional(tx.conn())
    .await?;
    let Some((key_id, bytes, sha256, signed_at, signer)) = row else {
        return Ok(None);
    };
    open_log(
        vault,
        id,
        repo::LogRow {
            sealed: crate::vault::Sealed { key_id, bytes },
            sha256,
            sync_key: uuid::Uuid::nil(),
            signed_by: signer,
            signed_at,
            countersigned_by: None,
            countersigned_at: None,
        },
    )
    .map(Some)
}

/// One visit for its clinician or the clinic, with the patient's address
/// and phone, the EVV record, the signed log and its addenda. Audited.
pub async fn detail(
    mut tx: TenantTx,
    vault: &Keyring,
    id: VisitId,
    meta: &RequestMeta,
) -> Result<VisitDetail, AppError> {
    let as_clinician = tx.principal().role == Role::Clinician;
    if !as_clinician {
        clinic(&tx)?;
    }
    let visit = repo::one(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let (patient, details) =
        crate::patients::service::details_for_visit(&mut tx, vault, visit.patient_id)
            .await?
            .ok_or(AppError::NotFound)?;
    let home = crate::referrals::repo::zip_place_coords(tx.conn(), &patient.zip)
        .await?
        .unwrap_or((0.0, 0.0));
    let evv = repo::evv(&mut tx, id).await?.ok_or(AppError::NotFound)?;
    let log = match repo::log(&mut tx, id).await? {
        Some(row) => Some(open_log(vault, id, row)?),
        None => None,
    };
    let mut addenda = Vec::new();
    // The chain is checked as it is read: each addendum names the hash
    // before it, and its own hash covers that and its sealed content.
    let mut prev = log.as_ref().map(|l| l.sha256.clone()).unwrap_or_default();
    for a in repo::addenda(&mut tx, id).await? {
        let bytes = vault
            .open(
                &a.sealed,
                Place {
                    table: "visit_log_addenda",
                    column: "sealed",
                    row: addendum_row(id, a.seq),
                },
            )
            .map_err(|_| AppError::Internal)?;
        let mut hasher = Sha256::new();
        hasher.update(&a.prev_sha256);
        hasher.update(&bytes);
        let hash: [u8; 32] = hasher.finalize().into();
        if hex::encode(&a.prev_sha256) != prev || hash[..] != a.sha256[..] {
            tracing::error!(visit = %id, seq = a.seq, "a visit log's addendum chain is broken");
            return Err(AppError::Internal);
        }
        prev = hex::encode(hash);
        let doc: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|_| AppError::Internal)?;
        if doc["seq"] != a.seq || doc["visit_id"] != id.to_string() {
            tracing::error!(visit = %id, seq = a.seq, "an addendum names another place");
            return Err(AppError::Internal);
        }
        addenda.push(AddendumView {
            seq: a.seq,
            text: doc["text"].as_str().unwrap_or_default().to_owned(),
            sha256: hex::encode(&a.sha256),
            prev_sha256: hex::encode(&a.prev_sha256),
            author: a.author.unwrap_or_else(|| "Someone".to_owned()),
            at: a.at,
        });
    }
    let payment: Option<(i64, String)> = sqlx::query_as(
        "SELECT amount_cents, state::text FROM visit_payments
         WHERE organization_id = $1 AND visit_id = $2",
    )
    .bind(tx.principal().org_id.uuid())
    .bind(id.uuid())
    .fetch_optional(tx.conn())
    .await?;
    let payment = payment.and_then(|(cents, state)| {
        Some((Cents(cents), crate::payments::PaymentState::parse(&state)?))
    });
    let (booked, _) = repo::booked(&mut tx, id).await?;
    record(
        &mut tx,
        Entry::new(AuditAction::VisitsViewed)
            .subject(Subject::new("visit", id))
            .ip(meta.ip)
            .details(json!({ "patient_id": visit.patient_id })),
    )
    .await?;
    tx.commit().await?;
    Ok(VisitDetail {
        payment,
        booked,
        as_clinician,
        address: details.as_ref().map(|d| d.address.clone()),
        phone: details
            .as_ref()
            .map(|d| crate::patients::format_phone(&d.phone)),
        place: format!("{} {}", patient.zip, patient.place),
        home,
        check_in_distance_m: evv.check_in_distance_m,
        check_out_distance_m: evv.check_out_distance_m,
        check_in_exception: evv.check_in_exception,
        check_out_exception: evv.check_out_exception,
        log,
        addenda,
        visit,
    })
}

/// The clinician's day: offers, today, and the next two weeks, each with
/// the address. Audited (it shows patients' addresses).
pub async fn clinician_day(
    mut tx: TenantTx,
    vault: &Keyring,
    now: OffsetDateTime,
    meta: &RequestMeta,
) -> Result<ClinicianDay, AppError> {
    clinician(&tx)?;
    let today = now.date();
    let start = today.midnight().assume_utc();
    let visits = repo::list(
        &mut tx,
        Filter {
            from: Some(start - time::Duration::days(1)),
            to: Some(start + time::Duration::days(15)),
            limit: 300,
            ..Filter::default()
        },
    )
    .await?;
    let mut places = std::collections::HashMap::new();
    let mut day = ClinicianDay {
        name: tx.principal().display_name.clone(),
        clinic: tx.principal().org_name.clone(),
        offers: Vec::new(),
        today: Vec::new(),
        upcoming: Vec::new(),
        other_clinics: repo::other_clinics(&mut tx).await?,
    };
    for visit in visits {
        let on_today = visit.starts_at.date() == today
            || (visit.status == VisitStatus::InProgress && visit.starts_at < start);
        let list = match visit.status {
            VisitStatus::Proposed if visit.starts_at >= start => &mut day.offers,
            // A family's hold is not a request yet.
            VisitStatus::Held
            | VisitStatus::Declined
            | VisitStatus::Cancelled
            | VisitStatus::Proposed => continue,
            _ if on_today => &mut day.today,
            _ if visit.starts_at >= start => &mut day.upcoming,
            _ => continue,
        };
        if let std::collections::hash_map::Entry::Vacant(slot) = places.entry(visit.patient_id) {
            let found =
                crate::patients::service::details_for_visit(&mut tx, vault, visit.patient_id)
                    .await?;
            slot.insert(
                found.map(|(row, d)| (d.map(|d| d.address), format!("{} {}", row.zip, row.place))),
            );
        }
        let (address, place) = places
            .get(&visit.patient_id)
            .cloned()
            .flatten()
            .unwrap_or((None, String::new()));
        list.push(DayVisit {
            visit,
            address,
            place,
        });
    }
    let ids: Vec<String> = day
        .offers
        .iter()
        .chain(&day.today)
        .chain(&day.upcoming)
        .map(|v| v.visit.id.to_string())
        .collect();
    if !ids.is_empty() {
        record(
            &mut tx,
            Entry::new(AuditAction::VisitsViewed)
                .ip(meta.ip)
                .details(json!({ "count": ids.len(), "ids": ids })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(day)
}

/// The clinic's week from `week_start` (a Monday) and what needs its
/// attention. Audited.
pub async fn clinic_week(
    mut tx: TenantTx,
    week_start: Date,
    meta: &RequestMeta,
) -> Result<ClinicWeek, AppError> {
    clinic(&tx)?;
    let from = week_start.midnight().assume_utc();
    let visits = repo::list(
        &mut tx,
        Filter {
            from: Some(from),
            to: Some(from + time::Duration::days(7)),
            limit: 1000,
            ..Filter::default()
        },
    )
    .await?;
    let attention = repo::list(
        &mut tx,
        Filter {
            attention: true,
            limit: 300,
            ..Filter::default()
        },
    )
    .await?;
    let now = OffsetDateTime::now_utc();
    let mut clinicians: Vec<(String, Vec<VisitSummary>)> = Vec::new();
    for v in visits {
        match clinicians.iter_mut().find(|(name, _)| *name == v.clinician) {
            Some((_, list)) => list.push(v),
            None => clinicians.push((v.clinician.clone(), vec![v])),
        }
    }
    clinicians.sort_by(|a, b| a.0.cmp(&b.0));
    let week = ClinicWeek {
        week_start,
        late: attention.iter().filter(|v| v.late(now)).cloned().collect(),
        evv_exceptions: attention
            .iter()
            .filter(|v| v.status == VisitStatus::Completed && (!v.evv_complete || v.evv_exception))
            .cloned()
            .collect(),
        awaiting_countersign: attention
            .iter()
            .filter(|v| v.signed && !v.countersigned)
            .cloned()
            .collect(),
        clinicians,
    };
    let count = week.clinicians.iter().map(|(_, v)| v.len()).sum::<usize>() + attention.len();
    if count > 0 {
        record(
            &mut tx,
            Entry::new(AuditAction::VisitsViewed)
                .ip(meta.ip)
                .details(json!({ "count": count, "week": week_start.to_string() })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(week)
}

/// A FHIR search over the clinic's visits (`Encounter`, and with `logs`
/// the signed logs behind `Observation`).
#[derive(Debug, Clone, Default)]
pub struct FhirQuery {
    pub patient: Option<crate::identity::PatientId>,
    pub visit: Option<VisitId>,
    pub statuses: Option<Vec<VisitStatus>>,
    /// Visits starting on this day (UTC).
    pub date: Option<Date>,
    pub offset: i64,
    pub count: i64,
    /// Open the signed logs too.
    pub logs: bool,
}

/// What a FHIR read or search of visits found: how many match, the page,
/// and the clinic (the service provider).
pub struct FhirVisits {
    pub total: i64,
    pub visits: Vec<(VisitSummary, Option<SignedLog>)>,
    pub clinic: String,
}

/// The FHIR door's read of visits: the clinic's staff (and its keys) only;
/// the referring side has no visits to see (it follows the referral).
/// Audited, naming every visit returned.
pub async fn fhir_search(
    mut tx: TenantTx,
    vault: &Keyring,
    q: FhirQuery,
    meta: &RequestMeta,
) -> Result<FhirVisits, AppError> {
    let clinic = tx.principal().org_name.clone();
    if tx.principal().role == Role::Referrer {
        return Ok(FhirVisits {
            total: 0,
            visits: Vec::new(),
            clinic,
        });
    }
    self::clinic(&tx)?;
    let from = q.date.map(|d| d.midnight().assume_utc());
    let (total, found) = repo::list_counted(
        &mut tx,
        Filter {
            patient: q.patient,
            visit: q.visit,
            statuses: q.statuses,
            from,
            to: from.map(|f| f + time::Duration::days(1)),
            offset: q.offset,
            limit: q.count,
            ..Filter::default()
        },
    )
    .await?;
    let mut visits = Vec::with_capacity(found.len());
    for v in found {
        let log = if q.logs && v.signed {
            match repo::log(&mut tx, v.id).await? {
                Some(row) => Some(open_log(vault, v.id, row)?),
                None => None,
            }
        } else {
            None
        };
        visits.push((v, log));
    }
    let ids: Vec<String> = visits.iter().map(|(v, _)| v.id.to_string()).collect();
    if !ids.is_empty() {
        record(
            &mut tx,
            Entry::new(AuditAction::VisitsViewed)
                .ip(meta.ip)
                .details(json!({ "count": ids.len(), "ids": ids, "door": "fhir", "logs": q.logs })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(FhirVisits {
        total,
        visits,
        clinic,
    })
}
