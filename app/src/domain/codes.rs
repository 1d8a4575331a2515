//! Codes a referral is made of, each parsed once where it enters (a form,
//! REST, FHIR) and carried typed from there: a US ZIP code, an ICD-10-CM
//! code, a patient's initials. Whether a ZIP or a code *exists* is the
//! reference data's answer (`referrals::service`); these check the shape.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! text_code {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = &'static str;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

text_code!(
    /// A five-digit US ZIP code.
    ZipCode
);

impl ZipCode {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let zip = raw.trim();
        if zip.len() == 5 && zip.chars().all(|c| c.is_ascii_digit()) {
            Ok(Self(zip.to_owned()))
        } else {
            Err("Enter a five-digit US ZIP code.")
        }
    }
}

text_code!(
    /// An ICD-10-CM code's shape, stored without the dot and upper-case
    /// (`I509` for I50.9).
    Icd10Code
);

impl Icd10Code {
    /// `I50.9`, `i509`, `I50.9 – Heart failure…` → `I509`: the text must
    /// start with a code's shape.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        const WHY: &str = "Choose the primary diagnosis (an ICD-10-CM code such as I50.9).";
        let first = raw.split_whitespace().next().ok_or(WHY)?;
        let code: String = first
            .chars()
            .filter(|c| *c != '.')
            .collect::<String>()
            .to_uppercase();
        let mut chars = code.chars();
        let shaped = code.len() >= 3
            && code.len() <= 7
            && chars.next().is_some_and(|c| c.is_ascii_uppercase())
            // Usually a digit; the newest codes (QA0…) have a letter.
            && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
            && code.chars().any(|c| c.is_ascii_digit())
            && code.chars().all(|c| c.is_ascii_alphanumeric());
        if shaped {
            Ok(Self(code))
        } else {
            Err(WHY)
        }
    }

    /// The three-character category (`I50`).
    pub fn category(&self) -> &str {
        &self.0[..3]
    }
}

text_code!(
    /// A patient's initials: two or three letters, stored upper-case
    /// without dots (`JD` for J.D.). All a clinic sees before it accepts.
    PatientInitials
);

impl PatientInitials {
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let clean: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '.')
            .collect::<String>()
            .to_uppercase();
        if (2..=3).contains(&clean.chars().count()) && clean.chars().all(|c| c.is_ascii_uppercase())
        {
            Ok(Self(clean))
        } else {
            Err("Enter the patient's initials: two or three letters, like J.D.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zip_codes_are_five_digits() {
        assert_eq!(ZipCode::parse(" 43215 ").unwrap(), "43215");
        for bad in ["4321", "432155", "4321a", "", "43215-1234"] {
            assert!(ZipCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn icd_codes_lose_the_dot_and_gain_capitals() {
        assert_eq!(Icd10Code::parse("I50.9").unwrap(), "I509");
        assert_eq!(Icd10Code::parse(" i509 ").unwrap(), "I509");
        assert_eq!(Icd10Code::parse("E11.9 – Type 2 diabetes").unwrap(), "E119");
        assert_eq!(Icd10Code::parse("I50.9").unwrap().category(), "I50");
        for bad in ["", "heart", "50.9", "5I0", "I5", "I50.9999999", "I5$0"] {
            assert!(Icd10Code::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn initials_are_two_or_three_letters() {
        assert_eq!(PatientInitials::parse("j. d.").unwrap(), "JD");
        assert_eq!(PatientInitials::parse("ABC").unwrap(), "ABC");
        for bad in ["J", "ABCD", "J1", "", "Jö"] {
            assert!(PatientInitials::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn they_deserialize_only_when_valid() {
        let zip: ZipCode = serde_json::from_str("\"43215\"").unwrap();
        assert_eq!(serde_json::to_string(&zip).unwrap(), "\"43215\"");
        assert!(serde_json::from_str::<ZipCode>("\"nope\"").is_err());
    }
}
