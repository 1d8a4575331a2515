//! Availability operations. A clinician changes only their own (their
//! profile must exist); each change is audited. Open slots are computed for
//! any clinician the caller may see.

use super::model::{Availability, VISIT_MINUTES};
use super::repo;
use super::slots::{open_slots, Hours};
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{RequestMeta, Role};
use crate::db::TenantTx;
use crate::error::{AppError, FieldError, Violation};
use crate::identity::ClinicianId;
use crate::payments::Cents;
use crate::referrals::CareType;
use serde_json::{json, Value};
use time::{Date, Duration, OffsetDateTime};

/// How far ahead slots are offered.
pub const SLOT_DAYS: u16 = 14;

async fn own(tx: &mut TenantTx) -> Result<(ClinicianId, Vec<CareType>), AppError> {
    if tx.principal().role != Role::Clinician {
        return Err(AppError::Forbidden);
    }
    repo::own(tx).await?.ok_or_else(|| AppError::Conflict {
        message: "Create your clinician profile first: availability belongs to it.".to_owned(),
    })
}

async fn changed(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    what: Value,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    record(
        tx,
        Entry::new(AuditAction::ClinicianAvailabilityChanged)
            .subject(Subject::new("clinician", clinician))
            .ip(meta.ip)
            .details(what),
    )
    .await?;
    Ok(())
}

/// The next open slots of a clinician the caller may see.
pub async fn openings(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    now: OffsetDateTime,
    limit: usize,
) -> Result<Vec<OffsetDateTime>, AppError> {
    if !repo::visible(tx, clinician).await? {
        return Err(AppError::NotFound);
    }
    let hours: Vec<Hours> = repo::hours(tx, clinician)
        .await?
        .into_iter()
        .map(|h| h.hours)
        .collect();
    let off = repo::days_off(tx, clinician, now.date()).await?;
    let until = now + Duration::days(i64::from(SLOT_DAYS) + 1);
    let busy = repo::busy(tx, clinician, now, until).await?;
    Ok(open_slots(
        &hours,
        &off,
        &busy,
        now,
        SLOT_DAYS,
        Duration::minutes(VISIT_MINUTES),
        limit,
    ))
}

/// The clinician's own page.
pub async fn availability(mut tx: TenantTx, now: OffsetDateTime) -> Result<Availability, AppError> {
    let (me, services) = own(&mut tx).await?;
    let hours = repo::hours(&mut tx, me).await?;
    let days_off = repo::days_off(&mut tx, me, now.date()).await?;
    let set = repo::rates(&mut tx, me).await?;
    let rates = services
        .into_iter()
        .map(|s| (s, set.iter().find(|(c, _)| *c == s).map(|(_, c)| *c)))
        .collect();
    let openings = openings(&mut tx, me, now, 12).await?;
    tx.commit().await?;
    Ok(Availability {
        hours,
        days_off,
        rates,
        openings,
        today: now.date(),
    })
}

pub async fn add_hours(mut tx: TenantTx, h: Hours, meta: &RequestMeta) -> Result<(), AppError> {
    let (me, _) = own(&mut tx).await?;
    match repo::add_hours(&mut tx, me, h).await {
        Err(e) if Violation::of(&e) == Some(Violation::HoursOverlap) => {
            return Err(FieldError::new(
                "start",
                "These hours overlap hours you already have on that day.",
            )
            .into());
        }
        other => other?,
    }
    changed(
        &mut tx,
        me,
        json!({ "hours_added": { "weekday": h.weekday, "start": h.start_minute, "end": h.end_minute } }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_hours(
    mut tx: TenantTx,
    id: uuid::Uuid,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let (me, _) = own(&mut tx).await?;
    if !repo::remove_hours(&mut tx, me, id).await? {
        return Err(AppError::NotFound);
    }
    changed(&mut tx, me, json!({ "hours_removed": id }), meta).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_day_off(
    mut tx: TenantTx,
    day: Date,
    today: Date,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let (me, _) = own(&mut tx).await?;
    if day < today {
        return Err(FieldError::new("day", "Choose today or a later day.").into());
    }
    repo::add_day_off(&mut tx, me, day).await?;
    changed(
        &mut tx,
        me,
        json!({ "day_off_added": day.to_string() }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn remove_day_off(
    mut tx: TenantTx,
    day: Date,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let (me, _) = own(&mut tx).await?;
    if !repo::remove_day_off(&mut tx, me, day).await? {
        return Err(AppError::NotFound);
    }
    changed(
        &mut tx,
        me,
        json!({ "day_off_removed": day.to_string() }),
        meta,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets every rate at once: one per service the profile offers (a rate for
/// another service is refused; an empty one removes the rate).
pub async fn set_rates(
    mut tx: TenantTx,
    rates: Vec<(CareType, Option<Cents>)>,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let (me, services) = own(&mut tx).await?;
    if let Some((s, _)) = rates.iter().find(|(s, _)| !services.contains(s)) {
        return Err(FieldError::new(
            format!("rate_{}", s.as_str()),
            "Your profile does not offer this service.",
        )
        .into());
    }
    for (service, cents) in &rates {
        repo::set_rate(&mut tx, me, *service, *cents).await?;
    }
    let set: Vec<Value> = rates
        .iter()
        .map(|(s, c)| json!({ "service": s.as_str(), "cents": c.map(|c| c.0) }))
        .collect();
    changed(&mut tx, me, json!({ "rates": set }), meta).await?;
    tx.commit().await?;
    Ok(())
}
