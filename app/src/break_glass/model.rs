//! What the break-glass page shows and the rules of its form.

pub use crate::audit::BreakGlassGrantView;
use crate::identity::OrganizationId;
use serde::{Deserialize, Serialize};

/// The shortest grant, in minutes.
pub const MIN_MINUTES: i32 = 15;
/// The longest grant (the database's `break_glass_grants_duration` check
/// says the same).
pub const MAX_MINUTES: i32 = 60;
/// The form's default.
pub const DEFAULT_MINUTES: i32 = 30;

/// What the form offers, and the administrator's live grant on the chosen
/// organization, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakGlassChoices {
    /// Clinics and referring organizations (not sandboxes, not the
    /// platform).
    pub organizations: Vec<(OrganizationId, String)>,
    pub grant: Option<BreakGlassGrantView>,
}

/// A reason, trimmed: 10 to 500 characters.
pub fn parse_reason(reason: &str) -> Result<String, &'static str> {
    let reason = reason.trim();
    match reason.chars().count() {
        0 => Err("Say why you need to read this organization's records."),
        1..=9 => Err("Give the reason in at least 10 characters."),
        10..=500 => Ok(reason.to_owned()),
        _ => Err("Keep the reason under 500 characters."),
    }
}

/// Minutes from the form: empty means the default.
pub fn parse_minutes(minutes: &str) -> Result<i32, &'static str> {
    let minutes = minutes.trim();
    if minutes.is_empty() {
        return Ok(DEFAULT_MINUTES);
    }
    match minutes.parse::<i32>() {
        Ok(m) if (MIN_MINUTES..=MAX_MINUTES).contains(&m) => Ok(m),
        _ => Err("Choose between 15 and 60 minutes."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reason_is_10_to_500_characters() {
        assert!(parse_reason("   ").is_err());
        assert!(parse_reason("too short").is_err());
        assert_eq!(
            parse_reason("  Ticket 4411: wrong clinic  ").unwrap(),
            "Ticket 4411: wrong clinic"
        );
        assert!(parse_reason(&"é".repeat(500)).is_ok());
        assert!(parse_reason(&"é".repeat(501)).is_err());
    }

    #[test]
    fn minutes_default_to_30_and_stay_within_an_hour() {
        assert_eq!(parse_minutes(""), Ok(30));
        assert_eq!(parse_minutes("15"), Ok(15));
        assert_eq!(parse_minutes("60"), Ok(60));
        assert!(parse_minutes("61").is_err());
        assert!(parse_minutes("14").is_err());
        assert!(parse_minutes("soon").is_err());
    }
}
