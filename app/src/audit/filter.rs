//! What the audit viewer and its export are narrowed to: an actor (part of
//! a name or address), an action, a subject (an id, or "type id") and a
//! date range. The same filter drives the page, its pager and the export
//! links, so a download holds exactly the rows the page was showing.

use super::AuditAction;
use crate::error::{AppError, FieldError};
use serde::{Deserialize, Serialize};
use time::Date;

/// The filter as typed into the form (and carried in the address).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub from: String,
    pub to: String,
}

/// A checked filter: blanks are `None`, dates are dates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<AuditAction>,
    pub subject: Option<String>,
    /// "patient ID": every event about the patient, whatever its subject
    /// (the record, an intake form, a referral or visit of theirs).
    pub patient: Option<uuid::Uuid>,
    pub from: Option<Date>,
    pub to: Option<Date>,
}

/// Percent-encodes all but RFC 3986's unreserved characters.
fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn blank(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.chars().take(200).collect())
}

impl AuditFilter {
    /// From the address's query (`?actor=…&action=…`).
    pub fn from_query(get: impl Fn(&str) -> Option<String>) -> Self {
        let field = |name: &str| get(name).unwrap_or_default();
        Self {
            actor: field("actor"),
            action: field("action"),
            subject: field("subject"),
            from: field("from"),
            to: field("to"),
        }
    }

    pub fn is_empty(&self) -> bool {
        [
            &self.actor,
            &self.action,
            &self.subject,
            &self.from,
            &self.to,
        ]
        .iter()
        .all(|s| s.trim().is_empty())
    }

    /// The non-blank fields, encoded for an address (`actor=ana&from=…`).
    pub fn query_string(&self) -> String {
        [
            ("actor", &self.actor),
            ("action", &self.action),
            ("subject", &self.subject),
            ("from", &self.from),
            ("to", &self.to),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v.trim())))
        .collect::<Vec<_>>()
        .join("&")
    }

    /// Checks the filter, naming every field that is wrong.
    pub fn check(&self) -> Result<AuditQuery, AppError> {
        let mut errors = Vec::new();
        let date = |field: &str, raw: &str, errors: &mut Vec<FieldError>| {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            let parsed = crate::domain::parse_date(raw);
            if parsed.is_none() {
                errors.push(FieldError::new(field, "Enter the date as YYYY-MM-DD."));
            }
            parsed
        };
        let from = date("from", &self.from, &mut errors);
        let to = date("to", &self.to, &mut errors);
        if let (Some(from), Some(to)) = (from, to) {
            if to < from {
                errors.push(FieldError::new("to", "The end is before the start."));
            }
        }
        let action = match blank(&self.action) {
            None => None,
            Some(name) => match AuditAction::parse(&name) {
                Some(action) => Some(action),
                None => {
                    errors.push(FieldError::new(
                        "action",
                        "Choose one of the listed actions.",
                    ));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let subject = blank(&self.subject);
        let patient = subject
            .as_deref()
            .and_then(|s| s.strip_prefix("patient "))
            .and_then(|id| uuid::Uuid::parse_str(id.trim()).ok());
        Ok(AuditQuery {
            actor: blank(&self.actor),
            action,
            subject: if patient.is_some() { None } else { subject },
            patient,
            from,
            to,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_are_no_filter_and_bad_fields_are_named() {
        let q = AuditFilter::default().check().unwrap();
        assert_eq!(q, AuditQuery::default());
        let bad = AuditFilter {
            action: "made.up".into(),
            from: "2026-12-01".into(),
            to: "2026-11-01".into(),
            ..Default::default()
        };
        let AppError::Validation { fields } = bad.check().unwrap_err() else {
            panic!("not a validation error");
        };
        let names: Vec<_> = fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["to", "action"]);
    }

    #[test]
    fn a_patient_subject_means_everything_about_the_patient() {
        let id = uuid::Uuid::new_v4();
        let q = AuditFilter {
            subject: format!("patient {id}"),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!((q.patient, q.subject), (Some(id), None));
        let q = AuditFilter {
            subject: "referral 12".into(),
            ..Default::default()
        }
        .check()
        .unwrap();
        assert_eq!(
            (q.patient, q.subject.as_deref()),
            (None, Some("referral 12"))
        );
    }

    #[test]
    fn the_address_form_round_trips_and_is_encoded() {
        let f = AuditFilter {
            actor: "Ana & Bo".into(),
            action: "patient.viewed".into(),
            ..Default::default()
        };
        assert_eq!(
            f.query_string(),
            "actor=Ana%20%26%20Bo&action=patient.viewed"
        );
        let q = f.check().unwrap();
        assert_eq!(q.action, Some(AuditAction::PatientViewed));
        assert_eq!(q.actor.as_deref(), Some("Ana & Bo"));
    }
}
