//! The referral vocabulary: care types, priorities, the status state
//! machine and decline reasons (Rust enums mapped to Postgres enums), what
//! a referrer submits and what the pages show.

use crate::domain::vocab::labelled_enum;
use crate::domain::{BoundedText, EventType, Icd10Code, PatientInitials, TextRules, ZipCode};
use crate::error::FieldError;
use crate::identity::{ClinicianId, OrganizationId, ReferralId};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

labelled_enum!(
    /// The kind of home care asked for (SPEC J1).
    CareType, "care_type", [
        SkilledNursing = "skilled_nursing": "Skilled nursing",
        PhysicalTherapy = "physical_therapy": "Physical therapy",
        OccupationalTherapy = "occupational_therapy": "Occupational therapy",
        SpeechTherapy = "speech_therapy": "Speech-language pathology",
        HomeHealthAide = "home_health_aide": "Home health aide",
        MedicalSocialWork = "medical_social_work": "Medical social work",
    ]
);

labelled_enum!(
    /// A clinician's licensed discipline.
    Discipline, "discipline", [
        Rn = "rn": "Registered nurse (RN)",
        Lpn = "lpn": "Licensed practical nurse (LPN)",
        Pt = "pt": "Physical therapist (PT)",
        Ot = "ot": "Occupational therapist (OT)",
        Slp = "slp": "Speech-language pathologist (SLP)",
        Hha = "hha": "Home health aide (HHA)",
        Msw = "msw": "Medical social worker (MSW)",
    ]
);

labelled_enum!(
    Priority, "referral_priority", [
        Routine = "routine": "Routine",
        Priority = "priority": "Priority",
        Urgent = "urgent": "Urgent (within 24 hours)",
    ]
);

labelled_enum!(
    /// Why a clinic declines (coded, for reporting).
    DeclineReason, "decline_reason", [
        Geography = "geography": "Outside our service area",
        NotHomebound = "not_homebound": "Patient is not homebound",
        ExceedsClinicalCapability = "exceeds_clinical_capability": "Exceeds our clinical capability",
        NoCapacity = "no_capacity": "No capacity",
        Payer = "payer": "Payer not accepted",
        Other = "other": "Other",
    ]
);

labelled_enum!(
    /// Where a referral stands. The legal moves are [`ReferralStatus::next`],
    /// mirrored by the `referral_transitions` table the database enforces.
    ReferralStatus, "referral_status", [
        Received = "received": "Received",
        Matched = "matched": "Matched",
        Accepted = "accepted": "Accepted",
        Declined = "declined": "Declined",
        Scheduled = "scheduled": "First visit scheduled",
        FirstVisitDone = "first_visit_done": "First visit done",
        Closed = "closed": "Closed",
        Cancelled = "cancelled": "Cancelled",
    ]
);

impl ReferralStatus {
    /// The domain event a move to this status records.
    pub fn event(self) -> EventType {
        match self {
            // A referral is received when it is created.
            ReferralStatus::Received => EventType::ReferralCreated,
            ReferralStatus::Matched => EventType::ReferralMatched,
            ReferralStatus::Accepted => EventType::ReferralAccepted,
            ReferralStatus::Declined => EventType::ReferralDeclined,
            ReferralStatus::Scheduled => EventType::ReferralScheduled,
            ReferralStatus::FirstVisitDone => EventType::ReferralFirstVisitDone,
            ReferralStatus::Closed => EventType::ReferralClosed,
            ReferralStatus::Cancelled => EventType::ReferralCancelled,
        }
    }

    /// The status a status-change event moved a referral to (none for
    /// creation and assignment).
    pub fn moved_by(event: EventType) -> Option<Self> {
        ReferralStatus::ALL
            .iter()
            .copied()
            .find(|s| *s != ReferralStatus::Received && s.event() == event)
    }

    /// The statuses this one may move to.
    pub fn next(self) -> &'static [ReferralStatus] {
        use ReferralStatus as S;
        match self {
            S::Received => &[S::Matched, S::Accepted, S::Declined, S::Cancelled],
            S::Matched => &[S::Accepted, S::Declined, S::Cancelled],
            S::Accepted => &[S::Scheduled, S::Cancelled],
            S::Scheduled => &[S::FirstVisitDone, S::Cancelled],
            S::FirstVisitDone => &[S::Closed],
            S::Declined | S::Closed | S::Cancelled => &[],
        }
    }

    /// The move to `to`, or why it is not allowed.
    pub fn transition(self, to: ReferralStatus) -> Result<ReferralStatus, String> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            Err(format!(
                "A referral that is {} cannot become {}.",
                self.label().to_lowercase(),
                to.label().to_lowercase()
            ))
        }
    }

    /// Still waiting for the clinic to decide.
    pub fn awaits_triage(self) -> bool {
        matches!(self, ReferralStatus::Received | ReferralStatus::Matched)
    }

    pub fn is_final(self) -> bool {
        self.next().is_empty()
    }

    /// CSS modifier for the status badge.
    pub fn css(self) -> &'static str {
        use ReferralStatus as S;
        match self {
            S::Received | S::Matched => "badge badge--progress",
            S::Accepted | S::Scheduled | S::FirstVisitDone => "badge badge--ok",
            S::Declined | S::Cancelled => "badge badge--planned",
            S::Closed => "badge badge--scheduled",
        }
    }
}

labelled_enum!(
    /// What a document attached to a referral is.
    AttachmentKind, "attachment_kind", [
        DischargeSummary = "discharge_summary": "Discharge summary",
        Orders = "orders": "Orders",
    ]
);

/// A document attached to a referral, as the page lists it (the content
/// is read through its own audited door).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentView {
    pub id: uuid::Uuid,
    pub kind: AttachmentKind,
    pub size_bytes: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The largest document a referral takes (10 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

/// A diagnosis choice offered while typing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// Without the dot: I509.
    pub code: String,
    /// With the dot: I50.9.
    pub display: String,
    pub description: String,
}

/// A ZIP code and where it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ZipPlace {
    pub zip: String,
    pub city: String,
    pub state: String,
}

/// A clinician matched to a referral, with the reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatchView {
    pub rank: i32,
    pub clinician_id: ClinicianId,
    pub name: String,
    pub discipline: Discipline,
    pub distance_miles: f64,
    pub explanation: String,
    #[serde(with = "time::serde::rfc3339::option")]
    pub verified_at: Option<OffsetDateTime>,
}

/// One change in a referral's life.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryView {
    pub from: Option<ReferralStatus>,
    pub to: ReferralStatus,
    pub reason: Option<String>,
    pub actor: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// A referral with everything its parties may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReferralView {
    pub id: ReferralId,
    pub reference: String,
    pub referrer: String,
    pub clinic: Option<String>,
    pub patient_initials: String,
    pub patient_birth_year: Option<i32>,
    pub zip: String,
    pub place: String,
    pub diagnosis: Diagnosis,
    pub care_type: CareType,
    pub priority: Priority,
    pub requested_start: Date,
    pub notes: String,
    pub status: ReferralStatus,
    pub decline_reason: Option<DeclineReason>,
    pub status_note: Option<String>,
    pub assigned_clinician: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// Minutes since it was received, by the server's clock.
    pub age_minutes: i64,
    pub matches: Vec<MatchView>,
    pub history: Vec<HistoryView>,
}

/// A row of the clinic inbox or the referrer's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralSummary {
    pub id: ReferralId,
    pub reference: String,
    /// The other party: the referrer (inbox) or the clinic (sent list).
    pub counterpart: Option<String>,
    pub patient_initials: String,
    pub diagnosis: String,
    pub care_type: CareType,
    pub priority: Priority,
    pub status: ReferralStatus,
    pub matches: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    /// Minutes since it was received, by the server's clock.
    pub age_minutes: i64,
}

/// Inbox filters, as the query string carries them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxFilter {
    pub status: Option<ReferralStatus>,
    pub priority: Option<Priority>,
    pub care_type: Option<CareType>,
    /// Received within this many days.
    pub max_age_days: Option<i32>,
}

/// One page of referrals and where the next starts (keyset pagination:
/// `(received_at, id)` of the last row).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralPage {
    pub items: Vec<ReferralSummary>,
    pub next_cursor: Option<String>,
}

const NOTES: TextRules = TextRules::multi_line("Notes", 0, 2000);

/// A referral as submitted, before validation against the reference data
/// (the ZIP and the code must exist; the repository checks that).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReferral {
    pub patient_initials: PatientInitials,
    pub patient_birth_year: Option<i32>,
    pub zip: ZipCode,
    pub diagnosis_code: Icd10Code,
    pub care_type: CareType,
    pub priority: Priority,
    pub requested_start: Date,
    pub notes: String,
    /// A chosen receiving clinic; otherwise routed by matching.
    pub clinic_id: Option<OrganizationId>,
    /// The patient packet, released only to the clinic that accepts
    /// (none: details to follow).
    pub packet: Option<crate::patients::PatientDetails>,
}

impl NewReferral {
    /// Checks the shape of every field and reports every problem, keyed by
    /// the form's input names. `today` bounds the requested start.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        initials: &str,
        birth_year: &str,
        zip: &str,
        diagnosis: &str,
        care_type: &str,
        priority: &str,
        requested_start: &str,
        notes: &str,
        clinic_id: Option<OrganizationId>,
        today: Date,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let initials = PatientInitials::parse(initials)
            .map_err(|m| errors.push(FieldError::new("patient_initials", m)))
            .ok();
        let birth_year = match birth_year.trim() {
            "" => None,
            raw => match raw.parse::<i32>() {
                Ok(y) if (1900..=today.year()).contains(&y) => Some(y),
                _ => {
                    errors.push(FieldError::new(
                        "patient_birth_year",
                        format!(
                            "Enter a year between 1900 and {}, or leave it empty.",
                            today.year()
                        ),
                    ));
                    None
                }
            },
        };
        let zip = ZipCode::parse(zip)
            .map_err(|m| errors.push(FieldError::new("zip", m)))
            .ok();
        let diagnosis_code = Icd10Code::parse(diagnosis)
            .map_err(|m| errors.push(FieldError::new("diagnosis", m)))
            .ok();
        let care_type = CareType::parse(care_type.trim());
        if care_type.is_none() {
            errors.push(FieldError::new(
                "care_type",
                "Choose the type of care needed.",
            ));
        }
        let priority = Priority::parse(priority.trim());
        if priority.is_none() {
            errors.push(FieldError::new("priority", "Choose a priority."));
        }
        let start = Date::parse(
            requested_start.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok();
        let requested_start = match start {
            Some(d) if d < today => {
                errors.push(FieldError::new(
                    "requested_start",
                    "The requested start cannot be in the past.",
                ));
                None
            }
            Some(d) if d > today + time::Duration::days(365) => {
                errors.push(FieldError::new(
                    "requested_start",
                    "The requested start must be within a year.",
                ));
                None
            }
            Some(d) => Some(d),
            None => {
                errors.push(FieldError::new(
                    "requested_start",
                    "Enter the requested start date.",
                ));
                None
            }
        };
        let notes = BoundedText::parse_optional(notes, NOTES)
            .map_err(|m| errors.push(FieldError::new("notes", m)))
            .ok();
        match (
            initials,
            zip,
            diagnosis_code,
            care_type,
            priority,
            requested_start,
            notes,
        ) {
            (
                Some(patient_initials),
                Some(zip),
                Some(diagnosis_code),
                Some(care_type),
                Some(priority),
                Some(requested_start),
                Some(notes),
            ) if errors.is_empty() => Ok(Self {
                patient_initials,
                patient_birth_year: birth_year,
                zip,
                diagnosis_code,
                care_type,
                priority,
                requested_start,
                notes: notes.map(BoundedText::into_inner).unwrap_or_default(),
                clinic_id,
                packet: None,
            }),
            _ => Err(errors),
        }
    }
}

/// "3 d 4 h", "2 h 5 min", "12 min", "just now".
pub fn format_age(minutes: i64) -> String {
    let minutes = minutes.max(0);
    match minutes {
        0 => "just now".to_owned(),
        m if m < 60 => format!("{m} min"),
        m if m < 24 * 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} d {} h", m / (24 * 60), (m % (24 * 60)) / 60),
    }
}

/// `R-` and the first eight hex digits of the id.
pub fn reference_for(id: ReferralId) -> String {
    let hex = id.uuid().simple().to_string().to_uppercase();
    format!("R-{}", &hex[..8])
}

/// How far a search counts its matches for the total (FHIR `_total`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// Every match (`_total=accurate`): the cost grows with the matches.
    All,
    /// Up to this many; beyond, the total is not given (the default).
    UpTo(i64),
    /// Not at all (`_total=none`).
    Skip,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 11 - 28);

    #[test]
    fn every_illegal_transition_is_rejected() {
        use ReferralStatus as S;
        let legal: &[(S, S)] = &[
            (S::Received, S::Matched),
            (S::Received, S::Accepted),
            (S::Received, S::Declined),
            (S::Received, S::Cancelled),
            (S::Matched, S::Accepted),
            (S::Matched, S::Declined),
            (S::Matched, S::Cancelled),
            (S::Accepted, S::Scheduled),
            (S::Accepted, S::Cancelled),
            (S::Scheduled, S::FirstVisitDone),
            (S::Scheduled, S::Cancelled),
            (S::FirstVisitDone, S::Closed),
        ];
        for from in S::ALL {
            for to in S::ALL {
                let allowed = legal.contains(&(*from, *to));
                assert_eq!(from.transition(*to).is_ok(), allowed, "{from:?} -> {to:?}");
            }
        }
        assert!(S::Declined.is_final() && S::Closed.is_final() && S::Cancelled.is_final());
        let message = S::Declined.transition(S::Accepted).unwrap_err();
        assert!(message.contains("declined"), "{message}");
    }

    #[test]
    fn enums_round_trip_through_their_names() {
        for c in CareType::ALL {
            assert_eq!(CareType::parse(c.as_str()), Some(*c));
        }
        for s in ReferralStatus::ALL {
            assert_eq!(ReferralStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        assert_eq!(DeclineReason::parse("payer"), Some(DeclineReason::Payer));
    }

    fn parse(initials: &str, start: &str) -> Result<NewReferral, Vec<FieldError>> {
        NewReferral::parse(
            initials,
            "1948",
            "43215",
            "I50.9",
            "skilled_nursing",
            "routine",
            start,
            "",
            None,
            TODAY,
        )
    }

    #[test]
    fn a_good_referral_is_normalised() {
        let r = parse("j. d.", "2026-12-01").unwrap();
        assert_eq!(r.patient_initials, "JD");
        assert_eq!(r.diagnosis_code, "I509");
        assert_eq!(r.requested_start, date!(2026 - 12 - 01));
    }

    #[test]
    fn bad_input_names_every_field() {
        let errors = NewReferral::parse(
            "J",
            "1850",
            "4321",
            "heart",
            "",
            "soon",
            "yesterday",
            "",
            None,
            TODAY,
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "patient_initials",
                "patient_birth_year",
                "zip",
                "diagnosis",
                "care_type",
                "priority",
                "requested_start"
            ]
        );
        let past = parse("JD", "2026-11-01").unwrap_err();
        assert!(past[0].message.contains("past"));
    }

    #[test]
    fn ages_read_naturally() {
        assert_eq!(format_age(0), "just now");
        assert_eq!(format_age(12), "12 min");
        assert_eq!(format_age(125), "2 h 5 min");
        assert_eq!(format_age(3 * 1440 + 4 * 60 + 7), "3 d 4 h");
    }

    #[test]
    fn references_are_short() {
        let id: ReferralId = "3f9a12c4-0000-4000-8000-000000000000".parse().unwrap();
        assert_eq!(reference_for(id), "R-3F9A12C4");
    }
}
