//! What the export centre shows: the datasets a clinic can take away, and
//! each export with its progress and manifest.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// A dataset an export can hold; its key names its file
/// (`patients.csv`) and is what the database's check lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dataset {
    Patients,
    Referrals,
    Visits,
    VisitLogs,
    IntakeSubmissions,
    Invoices,
    Ledger,
    Audit,
}

impl Dataset {
    pub const ALL: [Dataset; 8] = [
        Dataset::Patients,
        Dataset::Referrals,
        Dataset::Visits,
        Dataset::VisitLogs,
        Dataset::IntakeSubmissions,
        Dataset::Invoices,
        Dataset::Ledger,
        Dataset::Audit,
    ];

    pub fn key(self) -> &'static str {
        match self {
            Dataset::Patients => "patients",
            Dataset::Referrals => "referrals",
            Dataset::Visits => "visits",
            Dataset::VisitLogs => "visit_logs",
            Dataset::IntakeSubmissions => "intake_submissions",
            Dataset::Invoices => "invoices",
            Dataset::Ledger => "ledger",
            Dataset::Audit => "audit",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.key() == key)
    }

    pub fn label(self) -> &'static str {
        match self {
            Dataset::Patients => "Patients (with their details)",
            Dataset::Referrals => "Referrals",
            Dataset::Visits => "Visits and EVV times",
            Dataset::VisitLogs => "Signed visit logs",
            Dataset::IntakeSubmissions => "Signed intake forms",
            Dataset::Invoices => "Invoices (visit payments)",
            Dataset::Ledger => "Ledger entries",
            Dataset::Audit => "Audit log",
        }
    }
}

/// CSV or JSON (an array of objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileFormat {
    Csv,
    Json,
}

impl FileFormat {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "csv" => Some(Self::Csv),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    pub fn key(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Json => "json",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Csv => "text/csv; charset=utf-8",
            Self::Json => "application/json",
        }
    }
}

/// One file of an export, as its manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// `patients.csv`.
    pub name: String,
    pub dataset: String,
    pub rows: i64,
    pub bytes: i64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
}

/// The manifest: what the export holds, written when it is ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub export_id: Uuid,
    pub organization: String,
    pub format: FileFormat,
    /// RFC 3339, the database's time when the files were finished.
    pub written_at: String,
    pub files: Vec<ManifestFile>,
}

/// An export as the page lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportView {
    pub id: Uuid,
    pub datasets: Vec<String>,
    pub format: FileFormat,
    /// queued, running, ready, failed, expired.
    pub state: String,
    pub rows_done: i64,
    pub rows_total: Option<i64>,
    pub requested_by: String,
    pub requested_at: OffsetDateTime,
    pub expires_at: Option<OffsetDateTime>,
    pub manifest: Option<Manifest>,
    /// Hex SHA-256 of the manifest's bytes as served.
    pub manifest_sha256: Option<String>,
    pub error: Option<String>,
}

impl ExportView {
    /// "1,200 of 3,400 rows", or the state in words.
    pub fn progress(&self) -> String {
        match self.state.as_str() {
            "queued" => "Waiting to start".to_owned(),
            "running" => match self.rows_total {
                Some(total) if total > 0 => format!(
                    "{} of {} rows ({}%)",
                    self.rows_done,
                    total,
                    self.rows_done.saturating_mul(100) / total
                ),
                _ => "Counting rows".to_owned(),
            },
            "ready" => "Ready to download".to_owned(),
            "failed" => "Failed".to_owned(),
            "expired" => "Expired: files removed".to_owned(),
            _ => "Unknown".to_owned(),
        }
    }

    /// Still being written: the page looks again shortly.
    pub fn in_progress(&self) -> bool {
        matches!(self.state.as_str(), "queued" | "running")
    }
}

/// The export centre: the clinic's exports, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportCentre {
    pub exports: Vec<ExportView>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dataset_keys_round_trip_and_match_the_serde_names() {
        for d in Dataset::ALL {
            assert_eq!(Dataset::parse(d.key()), Some(d));
            assert_eq!(
                serde_json::to_value(d).unwrap(),
                serde_json::Value::String(d.key().to_owned())
            );
        }
        assert_eq!(Dataset::parse("users"), None);
    }
}
