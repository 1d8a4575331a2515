//! Bookable slots: a clinician's weekly hours, minus their days off and
//! every visit they already have, cut into visits of one length. Pure, so
//! the rules are tested without a database (and by a property test).

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

/// One stretch of weekly hours, in UTC: `weekday` 0 is Monday; minutes
/// after midnight, `end_minute` up to 1440.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hours {
    pub weekday: u8,
    pub start_minute: u16,
    pub end_minute: u16,
}

pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// "08:30" for a minute of the day (1440 is "24:00").
pub fn clock(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The start of every open slot of `length` from `from` for `days` days
/// (at most `limit`), in order. A slot lies inside one stretch of hours
/// (slots step from the stretch's start), on a day that is not off, starts
/// no earlier than `from`, and overlaps no busy interval.
pub fn open_slots(
    hours: &[Hours],
    days_off: &[Date],
    busy: &[(OffsetDateTime, OffsetDateTime)],
    from: OffsetDateTime,
    days: u16,
    length: Duration,
    limit: usize,
) -> Vec<OffsetDateTime> {
    let mut out = Vec::new();
    if length <= Duration::ZERO || limit == 0 {
        return out;
    }
    let mut stretches: Vec<Hours> = hours.to_vec();
    stretches.sort_by_key(|h| (h.weekday, h.start_minute));
    let first = from.date();
    for d in 0..days {
        let Some(date) = first.checked_add(Duration::days(i64::from(d))) else {
            break;
        };
        if days_off.contains(&date) {
            continue;
        }
        let weekday = date.weekday().number_days_from_monday();
        let midnight = date.midnight().assume_utc();
        for h in stretches.iter().filter(|h| h.weekday == weekday) {
            let end = midnight + Duration::minutes(i64::from(h.end_minute.min(1440)));
            let mut start = midnight + Duration::minutes(i64::from(h.start_minute));
            while start + length <= end {
                let stop = start + length;
                let free = !busy.iter().any(|(b0, b1)| *b0 < stop && start < *b1);
                if start >= from && free {
                    out.push(start);
                    if out.len() >= limit {
                        return out;
                    }
                }
                start = stop;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::datetime;

    fn mon_9_to_12() -> Hours {
        Hours {
            weekday: 0,
            start_minute: 9 * 60,
            end_minute: 12 * 60,
        }
    }

    #[test]
    fn hours_are_cut_into_visits_around_what_is_busy() {
        // Monday 30 November 2026.
        let from = datetime!(2026-11-30 00:00 UTC);
        let busy = [(
            datetime!(2026-11-30 10:15 UTC),
            datetime!(2026-11-30 10:45 UTC),
        )];
        let slots = open_slots(
            &[mon_9_to_12()],
            &[],
            &busy,
            from,
            8,
            Duration::hours(1),
            10,
        );
        assert_eq!(
            slots,
            [
                datetime!(2026-11-30 09:00 UTC),
                datetime!(2026-11-30 11:00 UTC),
                datetime!(2026-12-07 09:00 UTC),
                datetime!(2026-12-07 10:00 UTC),
                datetime!(2026-12-07 11:00 UTC),
            ]
        );
        // A day off is skipped; what has begun is past.
        let off = [time::macros::date!(2026 - 12 - 07)];
        let later = datetime!(2026-11-30 09:30 UTC);
        let slots = open_slots(
            &[mon_9_to_12()],
            &off,
            &[],
            later,
            8,
            Duration::hours(1),
            10,
        );
        assert_eq!(
            slots,
            [
                datetime!(2026-11-30 10:00 UTC),
                datetime!(2026-11-30 11:00 UTC)
            ]
        );
        assert_eq!(clock(510), "08:30");
        assert_eq!(clock(1440), "24:00");
    }

    proptest! {
        /// Whatever the hours, days off and visits: every slot is inside
        /// hours on its weekday, not on a day off, not before `from`, free;
        /// slots of one day do not overlap; and every such slot is offered.
        #[test]
        fn every_slot_is_open_and_inside_hours(
            hours in proptest::collection::vec((0u8..7, 0u16..47, 1u16..8), 0..12),
            busy in proptest::collection::vec((0i64..(14 * 24 * 60), 15i64..240), 0..12),
            off in proptest::collection::vec(0i64..14, 0..3),
            from_minute in 0i64..(2 * 24 * 60),
            length in prop_oneof![Just(30i64), Just(45), Just(60), Just(90)],
        ) {
            let base = datetime!(2026-11-30 00:00 UTC);
            // Stretches that do not overlap (the database refuses those that
            // do): up to three a weekday, in half-hour steps.
            let mut stretches: Vec<Hours> = Vec::new();
            for (w, s, l) in hours {
                let h = Hours { weekday: w, start_minute: s * 30, end_minute: (s * 30 + l * 30).min(1440) };
                if !stretches.iter().any(|o| o.weekday == h.weekday && o.start_minute < h.end_minute && h.start_minute < o.end_minute) {
                    stretches.push(h);
                }
            }
            let hours = stretches;
            let busy: Vec<_> = busy
                .into_iter()
                .map(|(s, l)| (base + Duration::minutes(s), base + Duration::minutes(s + l)))
                .collect();
            let off: Vec<Date> = off.into_iter().map(|d| (base + Duration::days(d)).date()).collect();
            let from = base + Duration::minutes(from_minute);
            let length = Duration::minutes(length);
            let slots = open_slots(&hours, &off, &busy, from, 14, length, 1000);
            for (i, s) in slots.iter().enumerate() {
                let stop = *s + length;
                prop_assert!(*s >= from);
                prop_assert!(!off.contains(&s.date()));
                prop_assert!(!busy.iter().any(|(b0, b1)| *b0 < stop && *s < *b1));
                let minute = (s.hour() as u16) * 60 + s.minute() as u16;
                let weekday = s.date().weekday().number_days_from_monday();
                prop_assert!(hours.iter().any(|h| h.weekday == weekday
                    && h.start_minute <= minute
                    && u32::from(minute) + length.whole_minutes() as u32 <= u32::from(h.end_minute)));
                if let Some(next) = slots.get(i + 1) {
                    prop_assert!(*next >= stop, "{next} overlaps the slot at {s}");
                }
            }
            // And every slot that should be offered is: each step of each
            // stretch, from its start, that is free, not past, not off.
            for d in 0..14 {
                let date = (base + Duration::days(d)).date();
                if off.contains(&date) {
                    continue;
                }
                let midnight = date.midnight().assume_utc();
                for h in hours.iter().filter(|h| h.weekday == date.weekday().number_days_from_monday()) {
                    let mut t = midnight + Duration::minutes(i64::from(h.start_minute));
                    let end = midnight + Duration::minutes(i64::from(h.end_minute));
                    while t + length <= end {
                        let free = !busy.iter().any(|(b0, b1)| *b0 < t + length && t < *b1);
                        if t >= from && free {
                            prop_assert!(slots.contains(&t), "{t} is open but not offered");
                        }
                        t += length;
                    }
                }
            }
        }
    }
}
