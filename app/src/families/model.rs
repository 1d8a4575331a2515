//! A care recipient as the family enters it, checked field by field, and as
//! the family's pages show it.

use crate::domain::{PatientInitials, ZipCode};
use crate::error::FieldError;
use crate::identity::RecipientId;
use crate::referrals::CareType;
use serde::{Deserialize, Serialize};
use time::Date;

/// The form, as typed. Its `Debug` prints no field: they are PHI.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RecipientForm {
    pub full_name: String,
    pub birth_date: String,
    pub address: String,
    pub zip: String,
    pub care_types: Vec<String>,
    /// ICD-10-CM codes or descriptions, separated by commas or semicolons.
    pub diagnoses: String,
    pub language: String,
    pub notes: String,
}

/// What identifies the person: sealed at rest. Its `Debug` prints no
/// field.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientDetails {
    pub full_name: String,
    pub birth_date: Date,
    pub address: String,
    pub notes: Option<String>,
}

impl std::fmt::Debug for RecipientForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecipientForm { … }")
    }
}

impl std::fmt::Debug for RecipientDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecipientDetails { … }")
    }
}

/// A recipient that passed every check but the two the database answers
/// (the ZIP is a real one; each diagnosis resolves to a code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRecipient {
    pub initials: PatientInitials,
    pub zip: ZipCode,
    pub care_types: Vec<CareType>,
    /// As typed, one entry each, to resolve.
    pub diagnoses: Vec<String>,
    pub language: String,
    pub details: RecipientDetails,
}

fn one_line(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The initials of a name: its first and last words' first letters, as
/// plain capitals (a letter outside A–Z, like É or Ł, becomes X: the
/// initials only label the person in mail and lists).
pub fn initials_of(full_name: &str) -> Option<PatientInitials> {
    let words: Vec<&str> = full_name.split_whitespace().collect();
    let letter = |w: &&str| {
        w.chars().find(|c| c.is_alphabetic()).map(|c| {
            if c.is_ascii_alphabetic() {
                c.to_ascii_uppercase()
            } else {
                'X'
            }
        })
    };
    let first = letter(words.first()?)?;
    let last = letter(words.last()?)?;
    PatientInitials::parse(&format!("{first}{last}")).ok()
}

/// Diagnoses as typed: one per line or semicolon; commas separate them
/// only when every part is a code ("I50.9, E11.9"), since a description
/// ("Heart failure, unspecified") has commas of its own.
pub fn split_diagnoses(raw: &str) -> Vec<String> {
    raw.split([';', '\n'])
        .flat_map(|part| {
            let pieces: Vec<String> = part
                .split(',')
                .map(one_line)
                .filter(|p| !p.is_empty())
                .collect();
            let codes = pieces
                .iter()
                .all(|p| crate::domain::Icd10Code::parse(p).is_ok() && !p.contains(' '));
            if codes {
                pieces
            } else {
                vec![one_line(part).trim_matches(',').trim().to_owned()]
            }
        })
        .filter(|d| !d.is_empty())
        .collect()
}

impl NewRecipient {
    /// Checks every field at once; `today` is the server's date.
    pub fn parse(form: &RecipientForm, today: Date) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let full_name = one_line(&form.full_name);
        let initials = if full_name.is_empty() {
            errors.push(FieldError::new("full_name", "Their full name is required."));
            None
        } else if full_name.chars().count() > 120 {
            errors.push(FieldError::new("full_name", "Use at most 120 characters."));
            None
        } else {
            let found = initials_of(&full_name);
            if found.is_none() {
                errors.push(FieldError::new(
                    "full_name",
                    "Write the name in Latin letters, first name first.",
                ));
            }
            found
        };
        let birth_date = match Date::parse(
            form.birth_date.trim(),
            &time::format_description::well_known::Iso8601::DATE,
        ) {
            Ok(d) if d > today => {
                errors.push(FieldError::new(
                    "birth_date",
                    "The birth date is in the future.",
                ));
                None
            }
            Ok(d) if today.year() - d.year() > 120 => {
                errors.push(FieldError::new("birth_date", "Check the year of birth."));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(
                    "birth_date",
                    "Enter the birth date (YYYY-MM-DD).",
                ));
                None
            }
        };
        let address = one_line(&form.address);
        if address.is_empty() {
            errors.push(FieldError::new(
                "address",
                "The street address is required.",
            ));
        } else if address.chars().count() > 200 {
            errors.push(FieldError::new("address", "Use at most 200 characters."));
        }
        let zip = ZipCode::parse(&form.zip)
            .map_err(|m| errors.push(FieldError::new("zip", m)))
            .ok();
        let mut care_types = Vec::new();
        for raw in &form.care_types {
            match CareType::parse(raw.trim()) {
                Some(c) if !care_types.contains(&c) => care_types.push(c),
                Some(_) => {}
                None => errors.push(FieldError::new("care_types", "Choose from the list.")),
            }
        }
        if care_types.is_empty() && form.care_types.is_empty() {
            errors.push(FieldError::new(
                "care_types",
                "Choose at least one kind of care.",
            ));
        }
        let diagnoses = split_diagnoses(&form.diagnoses);
        if diagnoses.len() > 12 {
            errors.push(FieldError::new("diagnoses", "List at most 12 diagnoses."));
        }
        let language = match one_line(&form.language) {
            l if l.is_empty() => "English".to_owned(),
            l => l,
        };
        if !(2..=40).contains(&language.chars().count()) {
            errors.push(FieldError::new(
                "language",
                "Name the language in 2 to 40 characters.",
            ));
        }
        let notes = form.notes.trim();
        if notes.chars().count() > 1000 {
            errors.push(FieldError::new("notes", "Use at most 1,000 characters."));
        }
        match (initials, birth_date, zip) {
            (Some(initials), Some(birth_date), Some(zip)) if errors.is_empty() => Ok(Self {
                initials,
                zip,
                care_types,
                diagnoses,
                language,
                details: RecipientDetails {
                    full_name,
                    birth_date,
                    address,
                    notes: (!notes.is_empty()).then(|| notes.to_owned()),
                },
            }),
            _ => Err(errors),
        }
    }
}

/// One of the family's people, as their pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub id: RecipientId,
    pub initials: String,
    pub zip: String,
    /// "Columbus, OH".
    pub place: String,
    pub care_types: Vec<CareType>,
    /// `(code as read, description)`.
    pub diagnoses: Vec<(String, String)>,
    pub language: String,
    pub details: RecipientDetails,
}

/// One of the family's people in the family's list: what the list shows,
/// nothing more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientSummary {
    pub id: RecipientId,
    pub full_name: String,
    pub place: String,
    pub care_types: Vec<CareType>,
}

/// The family's page: who they are, and their people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyHome {
    pub name: String,
    pub family: String,
    /// False for a family account made before families had organizations:
    /// it cannot add people until it registers again.
    pub can_add: bool,
    /// An owner (books, adds people); a viewer only sees.
    pub owner: bool,
    pub recipients: Vec<RecipientSummary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RecipientForm {
        RecipientForm {
            full_name: "  Rosa   Alvarez ".into(),
            birth_date: "1941-06-02".into(),
            address: "12 Elm Street, Apt 4".into(),
            zip: "43215".into(),
            care_types: vec!["skilled_nursing".into(), "skilled_nursing".into()],
            diagnoses: "I50.9; E11.9, ".into(),
            language: "".into(),
            notes: "Hard of hearing.".into(),
        }
    }

    fn today() -> Date {
        Date::from_calendar_date(2026, time::Month::November, 30).unwrap()
    }

    #[test]
    fn a_good_form_is_tidied_and_split() {
        let r = NewRecipient::parse(&form(), today()).unwrap();
        assert_eq!(r.initials.as_str(), "RA");
        assert_eq!(r.details.full_name, "Rosa Alvarez");
        assert_eq!(r.care_types, [CareType::SkilledNursing]);
        assert_eq!(r.diagnoses, ["I50.9", "E11.9"]);
        assert_eq!(r.language, "English");
        assert_eq!(r.details.notes.as_deref(), Some("Hard of hearing."));
    }

    #[test]
    fn names_and_diagnoses_are_read_as_people_write_them() {
        assert_eq!(initials_of("Élodie  Łukasz-Durand").unwrap().as_str(), "XX");
        assert_eq!(initials_of("mary o'neil").unwrap().as_str(), "MO");
        assert_eq!(split_diagnoses("I50.9, E11.9"), ["I50.9", "E11.9"]);
        assert_eq!(
            split_diagnoses("Heart failure, unspecified; E11.9"),
            ["Heart failure, unspecified", "E11.9"]
        );
        assert_eq!(split_diagnoses("I50.9\nJ44.9\n\n"), ["I50.9", "J44.9"]);
    }

    #[test]
    fn every_problem_is_named_at_once() {
        let bad = RecipientForm {
            full_name: "".into(),
            birth_date: "2030-01-01".into(),
            address: " ".into(),
            zip: "4321".into(),
            care_types: vec!["massage".into()],
            diagnoses: "".into(),
            language: "x".into(),
            notes: "n".repeat(1001),
        };
        let errors = NewRecipient::parse(&bad, today()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "full_name",
                "birth_date",
                "address",
                "zip",
                "care_types",
                "language",
                "notes"
            ]
        );
        let none = RecipientForm {
            care_types: vec![],
            ..form()
        };
        let errors = NewRecipient::parse(&none, today()).unwrap_err();
        assert_eq!(errors[0].field, "care_types");
    }
}
