//! What a packet holds and how a patient record is shown.

use crate::domain::vocab::labelled_enum;
use crate::error::FieldError;
use crate::identity::{PatientId, ReferralId};
use crate::referrals::ReferralStatus;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

labelled_enum!(
    /// Who pays for the care.
    PayerKind, "payer_kind", [
        Medicare = "medicare": "Medicare",
        Medicaid = "medicaid": "Medicaid",
        Commercial = "commercial": "Commercial insurance",
        PrivatePay = "private_pay": "Private pay",
    ]
);

/// The patient's details beyond the referral's minimum: sealed as one
/// JSON document (`app::vault`), never stored readable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientDetails {
    pub full_name: String,
    pub birth_date: Date,
    /// Street address (the ZIP is the referral's).
    pub address: String,
    /// Ten digits.
    pub phone: String,
    pub payer: PayerKind,
    /// Empty for private pay.
    pub member_id: String,
    pub emergency_name: String,
    /// Ten digits.
    pub emergency_phone: String,
}

/// A packet as the form submits it (`packet_*` fields).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PacketForm {
    pub full_name: String,
    pub birth_date: String,
    pub address: String,
    pub phone: String,
    pub payer: String,
    pub member_id: String,
    pub emergency_name: String,
    pub emergency_phone: String,
}

impl PacketForm {
    fn is_empty(&self) -> bool {
        [
            &self.full_name,
            &self.birth_date,
            &self.address,
            &self.phone,
            &self.payer,
            &self.member_id,
            &self.emergency_name,
            &self.emergency_phone,
        ]
        .iter()
        .all(|f| f.trim().is_empty())
    }
}

/// Ten digits of a US phone number, whatever the punctuation.
pub fn parse_phone(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let digits = digits
        .strip_prefix('1')
        .filter(|d| d.len() == 10)
        .map(str::to_owned)
        .unwrap_or(digits);
    (digits.len() == 10 && !digits.starts_with('0') && !digits.starts_with('1')).then_some(digits)
}

/// `(614) 555-0142`.
pub fn format_phone(digits: &str) -> String {
    if digits.len() == 10 {
        format!("({}) {}-{}", &digits[..3], &digits[3..6], &digits[6..])
    } else {
        digits.to_owned()
    }
}

fn single_line(
    raw: &str,
    field: &str,
    label: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> String {
    let value = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if value.is_empty() {
        errors.push(FieldError::new(field, format!("{label} is required.")));
    } else if value.chars().count() > max {
        errors.push(FieldError::new(
            field,
            format!("{label} is at most {max} characters."),
        ));
    } else if value.chars().any(char::is_control) {
        errors.push(FieldError::new(
            field,
            format!("{label} has characters we cannot keep."),
        ));
    }
    value
}

impl PatientDetails {
    /// Checks a submitted packet against the referral's initials and birth
    /// year; `Ok(None)` when every packet field was left empty (the packet
    /// can follow later).
    pub fn parse(
        form: &PacketForm,
        initials: Option<&str>,
        birth_year: Option<i32>,
        today: Date,
    ) -> Result<Option<Self>, Vec<FieldError>> {
        if form.is_empty() {
            return Ok(None);
        }
        let mut errors = Vec::new();
        let full_name = single_line(
            &form.full_name,
            "packet_full_name",
            "The full name",
            120,
            &mut errors,
        );
        if let (Some(initials), false) = (initials, full_name.is_empty()) {
            let words: Vec<&str> = full_name.split(' ').collect();
            let first = words.first().and_then(|w| w.chars().next());
            let last = words.last().and_then(|w| w.chars().next());
            let expected = (initials.chars().next(), initials.chars().last());
            let upper = |c: Option<char>| c.map(|c| c.to_ascii_uppercase());
            if (upper(first), upper(last)) != expected {
                errors.push(FieldError::new(
                    "packet_full_name",
                    format!("The name does not match the initials {initials}."),
                ));
            }
        }
        let birth_date = match Date::parse(
            form.birth_date.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        ) {
            Ok(d) if d > today => {
                errors.push(FieldError::new(
                    "packet_birth_date",
                    "The date of birth is in the future.",
                ));
                None
            }
            Ok(d) if d.year() < 1900 => {
                errors.push(FieldError::new(
                    "packet_birth_date",
                    "Enter a date of birth after 1900.",
                ));
                None
            }
            Ok(d) if birth_year.is_some_and(|y| y != d.year()) => {
                errors.push(FieldError::new(
                    "packet_birth_date",
                    "The date of birth does not match the birth year above.",
                ));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(
                    "packet_birth_date",
                    "Enter the date of birth as a date (YYYY-MM-DD).",
                ));
                None
            }
        };
        let address = single_line(
            &form.address,
            "packet_address",
            "The street address",
            200,
            &mut errors,
        );
        let phone = parse_phone(&form.phone).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "packet_phone",
                "Enter a US phone number with its area code, like (614) 555-0142.",
            ));
            String::new()
        });
        let payer = PayerKind::parse(form.payer.trim());
        if payer.is_none() {
            errors.push(FieldError::new(
                "packet_payer",
                "Choose who pays for the care.",
            ));
        }
        let member_id: String = form.member_id.split_whitespace().collect();
        if payer.is_some_and(|p| p != PayerKind::PrivatePay) {
            if member_id.is_empty() {
                errors.push(FieldError::new(
                    "packet_member_id",
                    "Enter the member id from the insurance card.",
                ));
            } else if member_id.len() > 30
                || !member_id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
            {
                errors.push(FieldError::new(
                    "packet_member_id",
                    "A member id is up to 30 letters, digits and hyphens.",
                ));
            }
        }
        let emergency_name = single_line(
            &form.emergency_name,
            "packet_emergency_name",
            "The emergency contact's name",
            120,
            &mut errors,
        );
        let emergency_phone = parse_phone(&form.emergency_phone).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "packet_emergency_phone",
                "Enter the emergency contact's phone number with its area code.",
            ));
            String::new()
        });
        match (errors.is_empty(), birth_date, payer) {
            (true, Some(birth_date), Some(payer)) => Ok(Some(Self {
                full_name,
                birth_date,
                address,
                phone,
                payer,
                member_id: if payer == PayerKind::PrivatePay {
                    String::new()
                } else {
                    member_id
                },
                emergency_name,
                emergency_phone,
            })),
            _ => Err(errors),
        }
    }

    /// What the blind index is computed over: the same person is the same
    /// name, date of birth and ZIP.
    pub fn identity_parts(&self, zip: &str) -> [String; 3] {
        [
            self.full_name.clone(),
            self.birth_date.to_string(),
            zip.to_owned(),
        ]
    }
}

/// What accepting a referral did with its patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PatientOutcome {
    /// A new record was made.
    Created(PatientId),
    /// The clinic already has a patient with the same name, date of birth
    /// and ZIP: staff confirm the link (or make a new record).
    NeedsConfirmation(PatientId),
}

/// A referral of a patient, as the patient page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientReferral {
    pub id: ReferralId,
    pub reference: String,
    pub status: ReferralStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

/// A clinic's patient: the record, opened for a reader allowed to see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatientRecord {
    pub id: PatientId,
    pub initials: String,
    pub zip: String,
    pub place: String,
    /// None when no packet came with the referral (details to follow).
    pub details: Option<PatientDetails>,
    pub referrals: Vec<PatientReferral>,
    pub visits: Vec<crate::visits::VisitSummary>,
    /// Who opened or changed this record, newest first: for the clinic's
    /// administrators (who may read the audit log); `None` for others.
    pub history: Option<Vec<crate::audit::AuditEventView>>,
}

/// A referral's packet as the accepting clinic sees it, and whether the
/// patient still needs linking.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralPatient {
    pub patient_id: Option<PatientId>,
    pub details: Option<PatientDetails>,
    /// A patient of the clinic with the same identity, awaiting staff
    /// confirmation.
    pub possible_match: Option<(PatientId, String)>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn form() -> PacketForm {
        PacketForm {
            full_name: " Jane   Quinn Doe ".into(),
            birth_date: "1948-03-02".into(),
            address: "12 Elm St, Apt 3".into(),
            phone: "+1 (614) 555-0142".into(),
            payer: "medicare".into(),
            member_id: "1EG4-TE5-MK72".into(),
            emergency_name: "Sam Doe".into(),
            emergency_phone: "614.555.0199".into(),
        }
    }

    #[test]
    fn a_packet_is_checked_against_the_referral() {
        let today = date!(2026 - 11 - 30);
        let p = PatientDetails::parse(&form(), Some("JD"), Some(1948), today)
            .unwrap()
            .unwrap();
        assert_eq!(p.full_name, "Jane Quinn Doe");
        assert_eq!(p.phone, "6145550142");
        assert_eq!(format_phone(&p.phone), "(614) 555-0142");
        let errors = PatientDetails::parse(&form(), Some("JS"), Some(1950), today).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["packet_full_name", "packet_birth_date"]);
        assert_eq!(
            PatientDetails::parse(&PacketForm::default(), None, None, today),
            Ok(None)
        );
        let mut private = form();
        private.payer = "private_pay".into();
        private.member_id = String::new();
        assert!(PatientDetails::parse(&private, Some("JD"), None, today)
            .unwrap()
            .is_some());
        let mut bad = form();
        bad.member_id = String::new();
        bad.phone = "555-0142".into();
        let errors = PatientDetails::parse(&bad, Some("JD"), None, today).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["packet_phone", "packet_member_id"]);
    }
}
