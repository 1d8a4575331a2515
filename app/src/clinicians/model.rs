//! A clinician's profile as shown and as submitted, with its checks.

use crate::domain::vocab::labelled_enum;
use crate::domain::{BoundedText, TextRules};
use crate::error::FieldError;
use crate::identity::ClinicianId;
use crate::referrals::{CareType, Discipline};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

labelled_enum!(
    /// Where a clinician's profile, or one of their licenses, stands with
    /// the platform's verification.
    Verification, "verification_status", [
        Pending = "pending": "Awaiting verification",
        Verified = "verified": "Verified",
        Rejected = "rejected": "Not verified",
        Suspended = "suspended": "Suspended",
    ]
);

impl Verification {
    pub fn css(self) -> &'static str {
        match self {
            Verification::Verified => "badge badge--ok",
            Verification::Pending => "badge badge--progress",
            _ => "badge badge--planned",
        }
    }
}

/// A state license. Each is verified on its own: a new license, or a
/// change of its state, number or expiry, waits for a platform
/// administrator (the database enforces it), and only a verified,
/// unexpired license lets its clinician be matched in its state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct License {
    pub state: String,
    pub number: String,
    pub expires_on: Date,
    /// Expired today: the clinician is not matched in this state.
    pub expired: bool,
    pub verification: Verification,
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
}

impl License {
    /// Whether this license lets its clinician be matched in its state
    /// (the profile must be verified too).
    pub fn counts(&self) -> bool {
        self.verification == Verification::Verified && !self.expired
    }
}

/// A clinician as their own page and the verification queue show them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicianProfile {
    pub id: ClinicianId,
    pub display_name: String,
    pub discipline: Discipline,
    pub npi: String,
    pub home_zip: String,
    pub service_radius_miles: i32,
    pub care_types: Vec<CareType>,
    pub diagnosis_categories: Vec<String>,
    pub languages: Vec<String>,
    pub available_days: i16,
    pub open_slots: i32,
    pub verification: Verification,
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
    pub licenses: Vec<License>,
}

pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// "Mon, Tue, Fri" for an availability mask (bit 0 Monday).
pub fn days_label(mask: i16) -> String {
    let days: Vec<&str> = WEEKDAYS
        .iter()
        .enumerate()
        .filter(|(i, _)| mask & (1 << i) != 0)
        .map(|(_, d)| *d)
        .collect();
    if days.is_empty() {
        "No days open".to_owned()
    } else {
        days.join(", ")
    }
}

/// The check digit CMS puts after nine NPI digits: Luhn over the prefix
/// 80840 and the nine digits. `None` unless given nine digits.
pub fn npi_check_digit(nine: &str) -> Option<u32> {
    if nine.len() != 9 || !nine.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = format!("80840{nine}")
        .chars()
        .filter_map(|c| c.to_digit(10))
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    Some((10 - sum % 10) % 10)
}

/// Whether `npi` is a well-formed NPI: ten digits starting with 1 or 2,
/// ending with its check digit.
pub fn valid_npi(npi: &str) -> bool {
    // ASCII digits first: slicing by bytes below is then always on a
    // character boundary (multi-byte input used to panic here).
    npi.len() == 10
        && npi.bytes().all(|b| b.is_ascii_digit())
        && npi.starts_with(['1', '2'])
        && npi_check_digit(&npi[..9]).is_some_and(|d| npi[9..].parse() == Ok(d))
}

/// A profile as submitted, checked for shape (the ZIP and the diagnosis
/// categories are checked against the reference data by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileInput {
    pub display_name: String,
    pub discipline: Discipline,
    pub npi: String,
    pub home_zip: String,
    pub service_radius_miles: i32,
    pub care_type: CareType,
    pub diagnosis_categories: Vec<String>,
    pub languages: Vec<String>,
    pub available_days: i16,
    pub open_slots: i32,
    pub license_state: String,
    pub license_number: String,
    pub license_expires_on: Date,
}

const NAME: TextRules = TextRules::single_line("Your name as licensed", 2, 120);

impl ProfileInput {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        name: &str,
        discipline: &str,
        npi: &str,
        zip: &str,
        radius: &str,
        care_type: &str,
        categories: &str,
        languages: &str,
        days: &[bool; 7],
        slots: &str,
        license_state: &str,
        license_number: &str,
        license_expires: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &str, message: &str| errors.push(FieldError::new(field, message));
        let name = BoundedText::parse(name, NAME)
            .map_err(|m| fail("name", &m))
            .ok();
        let discipline = Discipline::parse(discipline.trim());
        if discipline.is_none() {
            fail("discipline", "Choose your discipline.");
        }
        let npi = npi.trim().replace([' ', '-'], "");
        if !valid_npi(&npi) {
            fail("npi", "Enter your 10-digit NPI (it starts with 1 or 2, and its last digit is a check digit).");
        }
        let zip = zip.trim().to_owned();
        if !(zip.len() == 5 && zip.chars().all(|c| c.is_ascii_digit())) {
            fail("zip", "Enter the five-digit ZIP code you travel from.");
        }
        let radius = radius
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|r| (1..=100).contains(r));
        if radius.is_none() {
            fail("radius", "Enter how far you travel, from 1 to 100 miles.");
        }
        let care_type = CareType::parse(care_type.trim());
        if care_type.is_none() {
            fail("care_type", "Choose the care you provide.");
        }
        let categories: Vec<String> = categories
            .split([',', ' ', ';'])
            .map(|c| c.trim().trim_end_matches('.').to_uppercase())
            .filter(|c| !c.is_empty())
            .collect();
        let bad = categories.iter().find(|c| {
            let mut chars = c.chars();
            !(c.len() == 3
                && chars.next().is_some_and(|ch| ch.is_ascii_uppercase())
                && chars.all(|ch| ch.is_ascii_alphanumeric()))
        });
        if categories.is_empty() {
            fail(
                "categories",
                "List the diagnosis categories you have cared for, like I50, E11, J44.",
            );
        } else if let Some(bad) = bad {
            fail(
                "categories",
                &format!("{bad} is not an ICD-10-CM category: use three characters, like I50."),
            );
        }
        let mut languages: Vec<String> = languages
            .split([',', ' '])
            .map(|l| l.trim().to_lowercase())
            .filter(|l| l.len() == 2 && l.chars().all(|c| c.is_ascii_lowercase()))
            .collect();
        if !languages.contains(&"en".to_owned()) && languages.is_empty() {
            languages.push("en".to_owned());
        }
        let available_days =
            days.iter().enumerate().fold(
                0i16,
                |mask, (i, on)| if *on { mask | (1 << i) } else { mask },
            );
        let open_slots = slots
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|s| (0..=50).contains(s));
        if open_slots.is_none() {
            fail(
                "slots",
                "Enter how many new patients you can take now (0 to 50).",
            );
        }
        let license_state = license_state.trim().to_uppercase();
        if !(license_state.len() == 2 && license_state.chars().all(|c| c.is_ascii_uppercase())) {
            fail(
                "license_state",
                "Enter the two-letter state of your license, like OH.",
            );
        }
        let license_number = license_number.trim().to_owned();
        if !(3..=40).contains(&license_number.chars().count()) {
            fail("license_number", "Enter your license number.");
        }
        let expires = Date::parse(
            license_expires.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok();
        if expires.is_none() {
            fail("license_expires", "Enter the license's expiry date.");
        }
        match (name, discipline, radius, care_type, open_slots, expires) {
            (
                Some(name),
                Some(discipline),
                Some(radius),
                Some(care_type),
                Some(slots),
                Some(expires),
            ) if errors.is_empty() => Ok(Self {
                display_name: name.into_inner(),
                discipline,
                npi,
                home_zip: zip,
                service_radius_miles: radius,
                care_type,
                diagnosis_categories: categories,
                languages,
                available_days,
                open_slots: slots,
                license_state,
                license_number,
                license_expires_on: expires,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npis_are_checked_with_cms_luhn_rule() {
        assert!(valid_npi("1234567893"));
        assert!(!valid_npi("1234567890"));
        assert!(!valid_npi("3234567893"));
        assert!(!valid_npi("123456789"));
        // Ten bytes, but not ten digits: refused, never a panic.
        assert!(!valid_npi("12345678é"));
    }

    #[test]
    fn days_read_as_names() {
        assert_eq!(days_label(0b001_0011), "Mon, Tue, Fri");
        assert_eq!(days_label(0), "No days open");
    }

    #[test]
    fn a_profile_reports_every_problem() {
        let errors = ProfileInput::parse(
            "",
            "",
            "123",
            "43",
            "500",
            "",
            "heart",
            "",
            &[false; 7],
            "x",
            "Ohio",
            "",
            "",
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "name",
                "discipline",
                "npi",
                "zip",
                "radius",
                "care_type",
                "categories",
                "slots",
                "license_state",
                "license_number",
                "license_expires"
            ]
        );
        let ok = ProfileInput::parse(
            "Luis Moreno",
            "rn",
            "1234567893",
            "43215",
            "25",
            "skilled_nursing",
            "i50, E11",
            "en, es",
            &[true, true, false, false, true, false, false],
            "3",
            "oh",
            "RN.1",
            "2027-06-30",
        )
        .unwrap();
        assert_eq!(ok.diagnosis_categories, ["I50", "E11"]);
        assert_eq!(ok.available_days, 0b001_0011);
        assert_eq!(ok.license_state, "OH");
    }
}
