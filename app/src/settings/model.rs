//! What the clinic's settings page shows and saves.

use serde::{Deserialize, Serialize};

/// The clinic's profile and service area.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClinicProfile {
    /// The organization's name (changed by the platform, with the
    /// verification a legal name needs).
    pub name: String,
    /// Ten digits, or empty.
    pub phone: String,
    pub street_address: String,
    pub zip: String,
    pub website: String,
    /// ZIP codes the clinic takes patients in; empty: no limit.
    pub service_zips: Vec<String>,
}

/// "(555) 555-0100" from ten digits.
pub fn format_phone(digits: &str) -> String {
    if digits.len() == 10 && digits.chars().all(|c| c.is_ascii_digit()) {
        format!("({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..])
    } else {
        digits.to_owned()
    }
}

/// The ten digits of a US phone number typed any common way (a leading 1
/// dropped), or `None`.
pub fn phone_digits(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = match digits.len() {
        11 if digits.starts_with('1') => digits[1..].to_owned(),
        _ => digits,
    };
    let typed_only_phone_characters = raw
        .chars()
        .all(|c| c.is_ascii_digit() || " ()-.+".contains(c));
    (digits.len() == 10 && typed_only_phone_characters).then_some(digits)
}

/// ZIP codes from a list typed with spaces, commas or new lines; the
/// first word that is not a ZIP is the error.
pub fn parse_zip_list(raw: &str) -> Result<Vec<String>, String> {
    let mut zips: Vec<String> = Vec::new();
    for word in raw.split(|c: char| c.is_whitespace() || c == ',' || c == ';') {
        if word.is_empty() {
            continue;
        }
        if word.len() != 5 || !word.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!("“{word}” is not a five-digit ZIP code."));
        }
        if !zips.iter().any(|z| z == word) {
            zips.push(word.to_owned());
        }
    }
    Ok(zips)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_zip_lists_are_read_the_way_people_type_them() {
        assert_eq!(
            phone_digits("(555) 555-0100").as_deref(),
            Some("5555550100")
        );
        assert_eq!(
            phone_digits("+1 555.555.0100").as_deref(),
            Some("5555550100")
        );
        assert_eq!(phone_digits("555-0100"), None);
        assert_eq!(phone_digits("555 555 0100 ext 4"), None);
        assert_eq!(format_phone("5555550100"), "(555) 555-0100");
        assert_eq!(
            parse_zip_list("60601, 60602\n60601;60603").unwrap(),
            ["60601", "60602", "60603"]
        );
        assert!(parse_zip_list("60601 6060").unwrap_err().contains("6060"));
        assert!(parse_zip_list("").unwrap().is_empty());
    }
}
