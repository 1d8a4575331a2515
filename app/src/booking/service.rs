//! Availability operations. A clinician changes only their own (their
//! profile must exist); each change is audited. Open slots are computed for
//! any clinician the caller may see.

use super::model::{Availability, VISIT_MINUTES};
use super::repo;
use super::search::{ClinicianCard, LicenseBadge, Search};
use super::slots::{open_slots, Hours};
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::{RequestMeta, Role};
use crate::db::TenantTx;
use crate::error::{AppError, FieldError, Violation};
use crate::identity::ClinicianId;
use crate::payments::Cents;
use crate::referrals::{CareType, Discipline};
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
    openings_in(tx, clinician, now, SLOT_DAYS, limit).await
}

/// Open slots from `from` for `days` days (at most [`SLOT_DAYS`] from now).
pub async fn openings_in(
    tx: &mut TenantTx,
    clinician: ClinicianId,
    now: OffsetDateTime,
    days: u16,
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
    let days = days.min(SLOT_DAYS);
    let until = now + Duration::days(i64::from(days) + 1);
    let busy = repo::busy(tx, clinician, now, until).await?;
    Ok(open_slots(
        &hours,
        &off,
        &busy,
        now,
        days,
        Duration::minutes(VISIT_MINUTES),
        limit,
    ))
}

fn card(
    found: repo::Found,
    licenses: &[(ClinicianId, LicenseBadge)],
    rates: Vec<(CareType, Cents)>,
    openings: Vec<OffsetDateTime>,
) -> ClinicianCard {
    ClinicianCard {
        id: found.id,
        name: found.name,
        discipline: Discipline::parse(&found.discipline).unwrap_or(Discipline::Rn),
        verified_at: found.verified_at,
        miles: found.miles,
        languages: found.languages,
        licenses: licenses
            .iter()
            .filter(|(id, _)| *id == found.id)
            .map(|(_, l)| l.clone())
            .collect(),
        rates,
        openings,
    }
}

/// Clinicians for a family's search: at most 20, each with its rate for
/// the care and its next three openings (on the day asked for, if one was;
/// a clinician with none that day is left out).
pub async fn search(
    mut tx: TenantTx,
    search: &Search,
    now: OffsetDateTime,
) -> Result<Vec<ClinicianCard>, AppError> {
    if tx.principal().role != Role::Family {
        return Err(AppError::Forbidden);
    }
    if crate::referrals::repo::zip_place(tx.conn(), &search.zip)
        .await?
        .is_none()
    {
        return Err(FieldError::new("zip", "We do not know this ZIP code.").into());
    }
    // With a day asked for, some are left out for having no opening: look
    // further, then keep the first twenty.
    let wanted = 20;
    let found = repo::search(
        &mut tx,
        &search.zip,
        search.care_type,
        search.category.as_deref(),
        search.language,
        if search.date.is_some() {
            100
        } else {
            wanted as i64
        },
    )
    .await?;
    let ids: Vec<ClinicianId> = found.iter().map(|f| f.id).collect();
    let licenses = repo::licenses(&mut tx, &ids).await?;
    let (from, days) = match search.date {
        Some(day) if day > now.date() => (day.midnight().assume_utc(), 1),
        Some(_) => (now, 1),
        None => (now, SLOT_DAYS),
    };
    let mut cards = Vec::new();
    for f in found {
        if cards.len() >= wanted {
            break;
        }
        let openings = openings_in(&mut tx, f.id, from.max(now), days, 3).await?;
        if search.date.is_some() && openings.is_empty() {
            continue;
        }
        let rate = repo::rates(&mut tx, f.id)
            .await?
            .into_iter()
            .filter(|(s, _)| *s == search.care_type)
            .collect();
        cards.push(card(f, &licenses, rate, openings));
    }
    tx.commit().await?;
    Ok(cards)
}

/// A verified clinician's page for a family: their profile, licenses,
/// rates and two weeks of openings.
pub async fn clinician_page(
    mut tx: TenantTx,
    id: ClinicianId,
    now: OffsetDateTime,
) -> Result<ClinicianCard, AppError> {
    if tx.principal().role != Role::Family {
        return Err(AppError::Forbidden);
    }
    let found = repo::clinician(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let licenses = repo::licenses(&mut tx, &[id]).await?;
    let rates = repo::rates(&mut tx, id).await?;
    let openings = openings(&mut tx, id, now, 40).await?;
    tx.commit().await?;
    Ok(card(found, &licenses, rates, openings))
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
    // A rate for a service the profile no longer offers goes.
    for service in CareType::ALL.iter().filter(|s| !services.contains(s)) {
        repo::set_rate(&mut tx, me, *service, None).await?;
    }
    let set: Vec<Value> = rates
        .iter()
        .map(|(s, c)| json!({ "service": s.as_str(), "cents": c.map(|c| c.0) }))
        .collect();
    changed(&mut tx, me, json!({ "rates": set }), meta).await?;
    tx.commit().await?;
    Ok(())
}
