//! Dates and times as people read them. Times are shown in UTC with the
//! zone named, until people can choose their time zone.

use time::OffsetDateTime;

/// "Nov 28, 2026, 14:05 UTC".
pub fn format_datetime(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let month = t.month().to_string();
    format!(
        "{} {}, {}, {:02}:{:02} UTC",
        &month[..3.min(month.len())],
        t.day(),
        t.year(),
        t.hour(),
        t.minute()
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_naturally() {
        let t = time::macros::datetime!(2026-11-28 14:05:09 +01:00);
        assert_eq!(super::format_datetime(t), "Nov 28, 2026, 13:05 UTC");
    }
}
