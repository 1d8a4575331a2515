//! What the intake pages show, shared by the server and the browser.

use super::form::FormDefinition;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A form and its versions, as the builder shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormView {
    pub id: uuid::Uuid,
    pub title: String,
    pub versions: Vec<VersionView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionView {
    pub version: i32,
    pub definition: FormDefinition,
    /// Hex SHA-256 of the canonical definition, once published.
    pub sha256: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub published_at: Option<OffsetDateTime>,
}

impl FormView {
    /// The newest published version.
    pub fn published(&self) -> Option<&VersionView> {
        self.versions.iter().rev().find(|v| v.sha256.is_some())
    }

    /// The draft being edited, if any.
    pub fn draft(&self) -> Option<&VersionView> {
        self.versions.iter().rev().find(|v| v.sha256.is_none())
    }
}

/// One line of the clinic's forms list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormSummary {
    pub id: uuid::Uuid,
    pub title: String,
    pub published_version: Option<i32>,
    pub has_draft: bool,
    pub submissions: i64,
    pub unreviewed: i64,
}

/// A patient a form can be sent to: initials and ZIP only (the list is
/// not a read of anyone's record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatientChoice {
    pub id: uuid::Uuid,
    pub label: String,
}

/// A form's page for staff: the form, who it was sent to and what came
/// back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormPageData {
    pub form: FormView,
    pub links: Vec<LinkView>,
    pub submissions: Vec<SubmissionSummary>,
    pub patients: Vec<PatientChoice>,
}

/// A link sent: to whom (initials), how, and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkView {
    pub id: uuid::Uuid,
    pub patient_initials: String,
    pub version: i32,
    /// `patient` or `family`.
    pub recipient: String,
    pub emailed: bool,
    /// `open`, `spent`, `revoked` or `expired`.
    pub state: String,
    pub reminders: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A link just made: its address, shown once to be copied (only its hash
/// is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentLink {
    /// For a link to copy only: a mailed link's token goes to the patient
    /// alone (staff who saw it could sign in their name).
    pub url: Option<String>,
    pub emailed: bool,
}

/// One signed submission in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionSummary {
    pub id: uuid::Uuid,
    pub form_id: uuid::Uuid,
    pub form_title: String,
    pub version: i32,
    pub patient_id: uuid::Uuid,
    pub patient_initials: String,
    pub sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub reviewed_at: Option<OffsetDateTime>,
}

/// One answered question, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerLine {
    pub label: String,
    pub value: String,
}

/// A section's answers, as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSection {
    pub title: String,
    pub answers: Vec<AnswerLine>,
}

/// A signed submission, opened for staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubmissionView {
    pub summary: SubmissionSummary,
    pub form_sha256: String,
    pub sections: Vec<AnswerSection>,
    pub signature_name: String,
    /// SVG path data of the drawn signature (300 × 120 box), if drawn.
    pub signature_path: Option<String>,
    pub consent_text: String,
    pub consent_sha256: String,
    /// Whether the sealed document still hashes to the recorded hash.
    pub intact: bool,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub verify_url: String,
}

/// What the holder of a link sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FillView {
    /// `open`, `spent`, `revoked` or `expired`.
    pub state: String,
    pub clinic: String,
    pub form_title: String,
    /// The form (open links only).
    pub definition: Option<FormDefinition>,
    /// The answers so far, as typed.
    pub draft: BTreeMap<String, Vec<String>>,
    /// The keys of the fields shown for those answers.
    pub shown: Vec<String>,
    /// The sections that are steps, in order.
    pub steps: Vec<usize>,
    /// Each section's answers, for the review screen.
    pub review: Vec<AnswerSection>,
    /// Answers that still need attention: (section index, message).
    pub problems: Vec<(usize, String)>,
    /// The digest of the answers as reviewed (posted back when signing).
    pub digest: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    /// The receipt, once signed.
    pub receipt: Option<Receipt>,
    /// The statement the signer agrees to.
    pub consent_text: String,
}

/// The signer's receipt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Receipt {
    pub sha256: String,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
    pub verify_url: String,
    /// A QR code of `verify_url`, as an SVG document.
    pub qr_svg: String,
}

/// `/verify`'s answer: a match names only the date and the clinic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum VerifyAnswer {
    Match {
        /// The day signed (YYYY-MM-DD, UTC), as the document says.
        signed_on: String,
        clinic: String,
    },
    NoMatch,
}

/// The statement every signer agrees to; its SHA-256 is recorded with the
/// signature.
pub const ESIGN_CONSENT: &str = "I agree to sign this form electronically. My typed name \
    (and drawing, if I made one) is my signature, and the answers above are true to the \
    best of my knowledge.";
