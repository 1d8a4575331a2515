//! Trust-portal data as it travels to the page and to `/trust.json`, and the
//! uptime arithmetic (kept pure so it is tested without a clock or database).

use crate::domain::vocab::labelled_enum;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// Uptime is reported over this many days.
pub const UPTIME_WINDOW_DAYS: i32 = 30;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrustPortal {
    pub last_reviewed: Date,
    pub counts: BaaChainCounts,
    pub uptime: Uptime,
    pub certifications: Vec<Certification>,
    pub subprocessors: Vec<Subprocessor>,
    pub principles: Vec<DataPrinciple>,
    /// The newest changes first (the feed behind `/trust/feed.atom`).
    pub changes: Vec<TrustChange>,
    /// Data categories and their default retention: the table the purge
    /// and every clinic's settings use.
    pub retention: Vec<crate::data_rights::RetentionCategory>,
}

/// The "live BAA chain": computed by SQL from the subprocessor table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaaChainCounts {
    pub subprocessors: i64,
    pub baas_signed: i64,
    pub phi_touching: i64,
}

labelled_enum!(
    /// Where a certification or framework stands. Honest by construction: a
    /// `Scheduled` row must carry its date (a database check enforces it).
    /// Operational: in force now, with evidence in hand; audit engaged: an
    /// auditor is engaged and the audit is under way; scheduled: funded,
    /// with a real date; planned: intended, with no engagement yet.
    CertificationStatus, "certification_status", [
        Operational = "operational": "Operational",
        AuditEngaged = "audit_engaged": "Audit engaged",
        Scheduled = "scheduled": "Scheduled",
        Planned = "planned": "Planned",
    ]
);

impl CertificationStatus {
    /// CSS modifier for the status badge.
    pub fn css(self) -> &'static str {
        match self {
            Self::Operational => "badge badge--ok",
            Self::AuditEngaged => "badge badge--progress",
            Self::Scheduled => "badge badge--scheduled",
            Self::Planned => "badge badge--planned",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Certification {
    pub id: Uuid,
    pub name: String,
    pub scope: String,
    pub status: CertificationStatus,
    /// Attained, scheduled or expected date, depending on the status.
    pub status_date: Option<Date>,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subprocessor {
    pub id: Uuid,
    pub vendor: String,
    pub purpose: String,
    pub region: String,
    pub baa_signed: bool,
    pub baa_note: Option<String>,
    pub touches_phi: bool,
    pub phi_note: Option<String>,
    /// The day it starts receiving data: announced ahead, so a later date
    /// means "not yet".
    pub starts_on: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPrinciple {
    pub id: Uuid,
    pub title: String,
    pub body: String,
}

/// One entry of the public change feed, written by the database for every
/// edit of the portal's content (`trust_record_change`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrustChange {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// `certification`, `subprocessor` or `principle`.
    pub item_kind: String,
    /// `added`, `changed` or `removed`.
    pub change: String,
    pub title: String,
    pub summary: String,
    /// For a subprocessor: the day it starts (or stops) receiving data.
    pub effective_on: Option<Date>,
}

/// Availability over the last [`UPTIME_WINDOW_DAYS`] days, measured in
/// minutes: a minute counts as up when at least one server process recorded
/// a successful probe in it. Minutes with no probe at all count as down, so
/// a stopped server shows as downtime instead of vanishing from the figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Uptime {
    /// `None` until the first probe has been recorded.
    pub percent: Option<f64>,
    pub window_days: i32,
    pub up_minutes: i64,
    pub measured_minutes: i64,
    /// The first probe inside the window: later than the window's start
    /// while the instance is younger than the window.
    #[serde(with = "time::serde::rfc3339::option")]
    pub measured_since: Option<OffsetDateTime>,
    pub target_percent: f64,
}

/// A probe interval may drift by up to this many minutes before the current
/// minute counts against the figure; the probe for "now" may not have run.
const GRACE_MINUTES: i64 = 2;

impl Uptime {
    /// Computes the figure from the probe summary of the window.
    ///
    /// `first` and `last` are the earliest and latest probes in the window,
    /// `up_minutes` the distinct minutes holding a successful probe.
    pub fn compute(
        first: Option<OffsetDateTime>,
        last: Option<OffsetDateTime>,
        up_minutes: i64,
        now: OffsetDateTime,
        target_percent: f64,
    ) -> Self {
        let (Some(first), Some(last)) = (first, last) else {
            return Self {
                percent: None,
                window_days: UPTIME_WINDOW_DAYS,
                up_minutes: 0,
                measured_minutes: 0,
                measured_since: None,
                target_percent,
            };
        };
        let minute = |t: OffsetDateTime| t.unix_timestamp().div_euclid(60);
        let end = minute(last).max(minute(now) - GRACE_MINUTES);
        let measured = (end - minute(first) + 1).max(1);
        let up = up_minutes.clamp(0, measured);
        Self {
            percent: Some(up as f64 * 100.0 / measured as f64),
            window_days: UPTIME_WINDOW_DAYS,
            up_minutes: up,
            measured_minutes: measured,
            measured_since: Some(first),
            target_percent,
        }
    }

    /// "99.98%", or "No data yet".
    pub fn display(&self) -> String {
        match self.percent {
            Some(p) => format!("{}%", format_percent(p)),
            None => "No data yet".to_owned(),
        }
    }
}

/// Two decimals, never rounding a shortfall up to a perfect 100.00.
pub fn format_percent(p: f64) -> String {
    let floored = (p * 100.0).floor() / 100.0;
    format!("{floored:.2}")
}

/// "November 22, 2026".
pub fn format_date(date: Date) -> String {
    format!("{} {}, {}", date.month(), date.day(), date.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const T: f64 = 99.9;

    #[test]
    fn no_probes_means_no_figure() {
        let u = Uptime::compute(None, None, 0, datetime!(2026-11-22 12:00 UTC), T);
        assert_eq!(u.percent, None);
        assert_eq!(u.display(), "No data yet");
    }

    #[test]
    fn every_minute_probed_is_one_hundred_percent() {
        let first = datetime!(2026-11-22 10:00:30 UTC);
        let last = datetime!(2026-11-22 11:59:30 UTC);
        let u = Uptime::compute(
            Some(first),
            Some(last),
            120,
            datetime!(2026-11-22 12:00:10 UTC),
            T,
        );
        assert_eq!(u.measured_minutes, 120);
        assert_eq!(u.percent, Some(100.0));
        assert_eq!(u.display(), "100.00%");
    }

    #[test]
    fn the_probe_for_the_current_minute_may_be_pending() {
        // Started a minute ago: one probe so far, the next not yet due.
        let first = datetime!(2026-11-22 12:00:30 UTC);
        let u = Uptime::compute(
            Some(first),
            Some(first),
            1,
            datetime!(2026-11-22 12:01:10 UTC),
            T,
        );
        assert_eq!(u.percent, Some(100.0));
    }

    #[test]
    fn silence_after_the_last_probe_counts_as_downtime() {
        // Probed 10:00–10:59, then nothing until now (12:00): 60 of 119 minutes.
        let first = datetime!(2026-11-22 10:00 UTC);
        let last = datetime!(2026-11-22 10:59 UTC);
        let u = Uptime::compute(
            Some(first),
            Some(last),
            60,
            datetime!(2026-11-22 12:00 UTC),
            T,
        );
        assert_eq!(u.measured_minutes, 119);
        assert_eq!(u.up_minutes, 60);
        assert_eq!(u.display(), "50.42%");
    }

    #[test]
    fn a_near_miss_is_never_rounded_up_to_perfect() {
        assert_eq!(format_percent(99.9999), "99.99");
        assert_eq!(format_percent(100.0), "100.00");
    }

    #[test]
    fn json_dates_are_iso_8601() {
        let first = datetime!(2026-11-22 10:00:30 UTC);
        let u = Uptime::compute(Some(first), Some(first), 1, first, T);
        let json = serde_json::to_value(&u).unwrap();
        assert_eq!(json["measured_since"], "2026-11-22T10:00:30Z");
        let date = serde_json::to_value(time::macros::date!(2026 - 11 - 20)).unwrap();
        assert_eq!(date, "2026-11-20");
    }

    #[test]
    fn dates_read_naturally() {
        assert_eq!(
            format_date(time::macros::date!(2026 - 02 - 04)),
            "February 4, 2026"
        );
    }
}
