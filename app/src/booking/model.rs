//! Hours, days off and rates as the clinician enters them, checked, and as
//! their page shows them.

use super::slots::Hours;
use crate::error::FieldError;
use crate::payments::Cents;
use crate::referrals::CareType;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// The length of a bookable visit, for now one hour.
pub const VISIT_MINUTES: i64 = 60;

/// A rate may be $5 to $1,000 a visit.
pub const RATE_RANGE: (Cents, Cents) = (Cents(500), Cents(100_000));

/// "HH:MM" (or "HH:MM:SS", as a time input may send it) as minutes after
/// midnight; "00:00" as an end is midnight (1440).
fn minute_of(raw: &str, as_end: bool) -> Option<u16> {
    let raw = raw.trim();
    let b = raw.as_bytes();
    let shaped = (b.len() == 5 || (b.len() == 8 && b[5] == b':'))
        && b[2] == b':'
        && [0, 1, 3, 4].iter().all(|i| b[*i].is_ascii_digit())
        && (b.len() == 5 || (b[6].is_ascii_digit() && b[7].is_ascii_digit()));
    if !shaped {
        return None;
    }
    let (h, m): (u16, u16) = (raw[..2].parse().ok()?, raw[3..5].parse().ok()?);
    if h > 23 || m > 59 {
        return None;
    }
    let minute = h * 60 + m;
    Some(if as_end && minute == 0 { 1440 } else { minute })
}

/// A stretch of weekly hours from its form.
pub fn parse_hours(weekday: &str, start: &str, end: &str) -> Result<Hours, Vec<FieldError>> {
    let mut errors = Vec::new();
    let weekday = weekday
        .trim()
        .parse::<u8>()
        .ok()
        .filter(|d| *d < 7)
        .or_else(|| {
            errors.push(FieldError::new("weekday", "Choose the day of the week."));
            None
        });
    let start_minute = minute_of(start, false).or_else(|| {
        errors.push(FieldError::new(
            "start",
            "Enter the time the hours begin (HH:MM).",
        ));
        None
    });
    let end_minute = minute_of(end, true).or_else(|| {
        errors.push(FieldError::new(
            "end",
            "Enter the time the hours end (HH:MM).",
        ));
        None
    });
    if let (Some(s), Some(e)) = (start_minute, end_minute) {
        if e <= s {
            errors.push(FieldError::new(
                "end",
                "Hours end on the day they begin (00:00 is midnight); for a night, add the hours after midnight on the next day.",
            ));
        } else if e < s + 30 {
            errors.push(FieldError::new(
                "end",
                "The hours end at least half an hour after they begin.",
            ));
        }
    }
    match (weekday, start_minute, end_minute) {
        (Some(weekday), Some(start_minute), Some(end_minute)) if errors.is_empty() => Ok(Hours {
            weekday,
            start_minute,
            end_minute,
        }),
        _ => Err(errors),
    }
}

/// A rate as typed: empty is "no rate" (the service is not bookable).
pub fn parse_rate(field: &str, raw: &str) -> Result<Option<Cents>, FieldError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    match Cents::parse_dollars(raw) {
        Some(c) if c >= RATE_RANGE.0 && c <= RATE_RANGE.1 => Ok(Some(c)),
        _ => Err(FieldError::new(
            field,
            format!(
                "Enter a rate from {} to {} a visit, like 85 or 92.50.",
                RATE_RANGE.0, RATE_RANGE.1
            ),
        )),
    }
}

/// A stretch of hours as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoursRow {
    pub id: uuid::Uuid,
    pub hours: Hours,
}

/// The clinician's availability page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Availability {
    pub hours: Vec<HoursRow>,
    pub days_off: Vec<Date>,
    /// Each service the clinician offers, and its rate if set.
    pub rates: Vec<(CareType, Option<Cents>)>,
    /// The next open one-hour slots (two weeks ahead at most).
    pub openings: Vec<OffsetDateTime>,
    pub today: Date,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hours_are_read_from_the_form_and_checked() {
        assert_eq!(
            parse_hours("0", "08:30", "12:00").unwrap(),
            Hours {
                weekday: 0,
                start_minute: 510,
                end_minute: 720
            }
        );
        assert_eq!(parse_hours("6", "22:00", "00:00").unwrap().end_minute, 1440);
        assert_eq!(
            parse_hours("0", "08:30:00", "09:00:00")
                .unwrap()
                .start_minute,
            510
        );
        for bad in ["08:3099", "8:30", "+8:30", "08:30:5", "0830"] {
            assert!(parse_hours("0", bad, "12:00").is_err(), "{bad}");
        }
        assert!(parse_hours("0", "22:00", "02:00").unwrap_err()[0]
            .message
            .contains("midnight"));
        let errors = parse_hours("7", "9", "25:00").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["weekday", "start", "end"]);
        let errors = parse_hours("1", "10:00", "10:15").unwrap_err();
        assert_eq!(errors[0].field, "end");
    }

    #[test]
    fn rates_are_dollars_within_bounds_or_nothing() {
        assert_eq!(parse_rate("r", " ").unwrap(), None);
        assert_eq!(parse_rate("r", "92.50").unwrap(), Some(Cents(9250)));
        assert!(parse_rate("r", "4.99").is_err());
        assert!(parse_rate("r", "1000.01").is_err());
        assert!(parse_rate("r", "lots").is_err());
    }
}
