//! Finding a clinician (issue 14, "Finding a clinician", SPEC J3 step 2):
//! verified clinicians who serve a ZIP (within their own service radius),
//! offer the care, have cared for the diagnosis and speak the language,
//! each with the verification date of every license, their rate and their
//! next openings; and a clinician's page for families, which shows nothing
//! of anyone else.

use crate::error::FieldError;
use crate::identity::{ClinicianId, RecipientId};
use crate::payments::Cents;
use crate::referrals::{CareType, Discipline};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// Languages a family may ask for: ISO 639-1 codes (what clinician profiles
/// store) and their names.
pub const LANGUAGES: &[(&str, &str)] = &[
    ("en", "English"),
    ("es", "Spanish"),
    ("zh", "Chinese"),
    ("vi", "Vietnamese"),
    ("tl", "Tagalog"),
    ("ar", "Arabic"),
    ("fr", "French"),
    ("ht", "Haitian Creole"),
    ("ko", "Korean"),
    ("ru", "Russian"),
    ("pt", "Portuguese"),
    ("so", "Somali"),
    ("hi", "Hindi"),
    ("pl", "Polish"),
    ("de", "German"),
    ("it", "Italian"),
];

/// The code of a language named in plain words ("Vietnamese" → "vi").
pub fn language_code(name: &str) -> Option<&'static str> {
    let name = name.trim();
    LANGUAGES
        .iter()
        .find(|(code, label)| label.eq_ignore_ascii_case(name) || code.eq_ignore_ascii_case(name))
        .map(|(code, _)| *code)
}

pub fn language_name(code: &str) -> &str {
    LANGUAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, name)| *name)
        .unwrap_or(code)
}

/// The search form, as the address carries it (`GET /family/find?…`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchForm {
    /// One of the family's people, whose ZIP, care, diagnosis and language
    /// fill in whatever the form leaves empty.
    pub for_id: String,
    pub zip: String,
    pub care_type: String,
    /// An ICD-10-CM code or its 3-character category.
    pub diagnosis: String,
    /// A code from [`LANGUAGES`].
    pub language: String,
    /// Only clinicians with an opening on this day (YYYY-MM-DD).
    pub date: String,
}

/// A checked search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Search {
    pub zip: String,
    pub care_type: CareType,
    /// The 3-character ICD-10-CM category.
    pub category: Option<String>,
    pub language: Option<&'static str>,
    pub date: Option<Date>,
}

impl Search {
    /// Checks the form (already filled in from a recipient); `today` is the
    /// server's date.
    pub fn parse(form: &SearchForm, today: Date) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let zip = crate::domain::ZipCode::parse(&form.zip)
            .map_err(|m| errors.push(FieldError::new("zip", m)))
            .ok();
        let care_type = CareType::parse(form.care_type.trim()).or_else(|| {
            errors.push(FieldError::new("care_type", "Choose the care needed."));
            None
        });
        let category = match form.diagnosis.trim() {
            "" => None,
            raw => match crate::domain::Icd10Code::parse(raw) {
                Ok(code) => Some(code.category().to_owned()),
                Err(_) => {
                    errors.push(FieldError::new(
                        "diagnosis",
                        "Enter an ICD-10-CM code, like I50.9, or leave it empty.",
                    ));
                    None
                }
            },
        };
        let language = match form.language.trim() {
            "" => None,
            raw => language_code(raw).or_else(|| {
                errors.push(FieldError::new(
                    "language",
                    "Choose a language from the list.",
                ));
                None
            }),
        };
        let date = match form.date.trim() {
            "" => None,
            raw => match Date::parse(raw, &time::format_description::well_known::Iso8601::DATE) {
                Ok(d) if d < today => {
                    errors.push(FieldError::new("date", "Choose today or a later day."));
                    None
                }
                Ok(d) if (d - today).whole_days() > 13 => {
                    errors.push(FieldError::new(
                        "date",
                        "Openings are shown two weeks ahead.",
                    ));
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(FieldError::new("date", "Enter the day (YYYY-MM-DD)."));
                    None
                }
            },
        };
        match (zip, care_type) {
            (Some(zip), Some(care_type)) if errors.is_empty() => Ok(Self {
                zip: zip.as_str().to_owned(),
                care_type,
                category,
                language,
                date,
            }),
            _ => Err(errors),
        }
    }
}

/// A state license as families see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseBadge {
    pub state: String,
    /// When a platform administrator verified it; `None` while it waits.
    pub verified_at: Option<OffsetDateTime>,
    pub expires_on: Date,
}

/// One clinician in the results, or on their page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicianCard {
    pub id: ClinicianId,
    pub name: String,
    pub discipline: Discipline,
    /// When their profile was verified.
    pub verified_at: Option<OffsetDateTime>,
    /// From the searched ZIP (on their page: none).
    pub miles: Option<f64>,
    pub languages: Vec<String>,
    pub licenses: Vec<LicenseBadge>,
    /// The rate for the care searched (on their page: every rate).
    pub rates: Vec<(CareType, Cents)>,
    pub openings: Vec<OffsetDateTime>,
}

/// The search page: the form as filled in, the family's people, and the
/// results (none before a search, or when the form has problems).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub form: SearchForm,
    pub recipients: Vec<(RecipientId, String)>,
    pub searched: bool,
    pub problems: Vec<FieldError>,
    pub results: Vec<ClinicianCard>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        time::macros::date!(2026 - 11 - 30)
    }

    #[test]
    fn a_search_is_checked_and_normalised() {
        let form = SearchForm {
            zip: "43215".into(),
            care_type: "skilled_nursing".into(),
            diagnosis: "I50.9".into(),
            language: "Spanish".into(),
            date: "2026-12-02".into(),
            ..SearchForm::default()
        };
        let s = Search::parse(&form, today()).unwrap();
        assert_eq!(s.category.as_deref(), Some("I50"));
        assert_eq!(s.language, Some("es"));
        assert_eq!(s.date, Some(time::macros::date!(2026 - 12 - 02)));
        let bad = SearchForm {
            zip: "4321".into(),
            care_type: "".into(),
            diagnosis: "heart".into(),
            language: "Klingon".into(),
            date: "2026-11-01".into(),
            ..SearchForm::default()
        };
        let fields: Vec<String> = Search::parse(&bad, today())
            .unwrap_err()
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            ["zip", "care_type", "diagnosis", "language", "date"]
        );
        assert_eq!(language_code("vietnamese"), Some("vi"));
        assert_eq!(language_name("ht"), "Haitian Creole");
    }
}
