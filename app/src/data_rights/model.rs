//! What the data-rights pages and the trust page show.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A data category with its retention (the clinic's own, when set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetentionCategory {
    pub key: String,
    pub label: String,
    pub holds: String,
    pub default_days: i32,
    pub legal_min_days: i32,
    pub legal_basis: String,
    /// Whether purges and erasure remove it (audit events: never).
    pub purged: bool,
    /// The clinic's setting, if it changed the default.
    pub clinic_days: Option<i32>,
}

impl RetentionCategory {
    /// The retention in force.
    pub fn days(&self) -> i32 {
        self.clinic_days.unwrap_or(self.default_days)
    }
}

/// "7 years", "90 days", "None".
pub fn format_days(days: i32) -> String {
    match days {
        0 => "None".to_owned(),
        d if d >= 365 && d % 365 <= 2 => {
            let years = d / 365;
            format!("{years} year{}", if years == 1 { "" } else { "s" })
        }
        d => format!("{d} days"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalHoldView {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub patient_initials: String,
    pub reason: String,
    pub placed_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub placed_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRequestView {
    pub id: Uuid,
    /// `patient` or `clinic`.
    pub scope: String,
    pub patient_id: Option<Uuid>,
    pub reason: String,
    pub requested_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    /// `pending`, `completed` or `blocked`.
    pub state: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    pub certificate_sha256: Option<String>,
}

/// The clinic's data-rights page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataRights {
    pub organization: String,
    pub categories: Vec<RetentionCategory>,
    pub holds: Vec<LegalHoldView>,
    pub requests: Vec<DeletionRequestView>,
    /// The patient the page was opened for (`?patient=`), if any.
    pub patient: Option<PatientRights>,
}

/// One patient's hold and requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientRights {
    pub id: Uuid,
    pub initials: String,
    pub hold: Option<LegalHoldView>,
    pub pending: Option<DeletionRequestView>,
}

/// A request with its certificate, as the certificate page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionCertificate {
    pub request: DeletionRequestView,
    /// The certificate exactly as stored (JSON), when completed.
    pub certificate: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_as_years_when_they_are() {
        assert_eq!(format_days(2557), "7 years");
        assert_eq!(format_days(2192), "6 years");
        assert_eq!(format_days(365), "1 year");
        assert_eq!(format_days(90), "90 days");
        assert_eq!(format_days(0), "None");
    }
}
