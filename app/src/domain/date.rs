//! Calendar dates as forms send them (`YYYY-MM-DD`, what `<input
//! type="date">` submits), one parser for every door.

use time::Date;

/// The date in `raw` (trimmed), or None when it is not `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Option<Date> {
    Date::parse(
        raw.trim(),
        &time::format_description::well_known::Iso8601::DATE,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn form_dates_parse_and_nothing_else_does() {
        assert_eq!(
            super::parse_date(" 2026-11-30 "),
            Some(time::macros::date!(2026 - 11 - 30))
        );
        assert_eq!(super::parse_date("11/30/2026"), None);
        assert_eq!(super::parse_date("2026-02-30"), None);
    }
}
