//! The visit vocabulary: statuses and their moves, EVV exceptions, task
//! templates, the visit log and its checks, and what the pages show.

use crate::domain::vocab::labelled_enum;
use crate::error::FieldError;
use crate::identity::{ClinicianId, PatientId, ReferralId, VisitId};
use crate::referrals::CareType;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, Time};

labelled_enum!(
    /// Where a visit stands. The legal moves are [`VisitStatus::next`],
    /// mirrored by the `visit_transitions` table the database enforces.
    VisitStatus, "visit_status", [
        Held = "held": "Held for a family",
        Proposed = "proposed": "Offered",
        Accepted = "accepted": "Accepted",
        InProgress = "in_progress": "In progress",
        Completed = "completed": "Completed",
        Declined = "declined": "Declined",
        Missed = "missed": "Missed",
        Cancelled = "cancelled": "Cancelled",
    ]
);

impl VisitStatus {
    pub fn next(self) -> &'static [VisitStatus] {
        use VisitStatus as S;
        match self {
            S::Held => &[S::Proposed, S::Cancelled],
            S::Proposed => &[S::Accepted, S::Declined, S::Cancelled],
            S::Accepted => &[S::InProgress, S::Cancelled, S::Missed],
            S::InProgress => &[S::Completed],
            S::Completed | S::Declined | S::Missed | S::Cancelled => &[],
        }
    }

    /// The move to `to`, or why not.
    pub fn transition(self, to: VisitStatus) -> Result<VisitStatus, String> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            Err(format!(
                "A visit that is {} cannot become {}.",
                self.label().to_lowercase(),
                to.label().to_lowercase()
            ))
        }
    }

    pub fn css(self) -> &'static str {
        use VisitStatus as S;
        match self {
            S::Held | S::Proposed => "badge badge--progress",
            S::Accepted | S::InProgress => "badge badge--scheduled",
            S::Completed => "badge badge--ok",
            S::Declined | S::Missed | S::Cancelled => "badge badge--planned",
        }
    }
}

labelled_enum!(
    /// Why a check-in or check-out has no device location.
    EvvException, "evv_exception", [
        LocationDenied = "location_denied": "Location permission denied on the device",
        NoSignal = "no_signal": "No GPS signal",
        DeviceProblem = "device_problem": "Device problem",
        VisitOutsideHome = "visit_outside_home": "Visit took place outside the home",
        Other = "other": "Other",
    ]
);

labelled_enum!(
    /// What became of a planned task.
    TaskOutcome, "task_outcome", [
        Done = "done": "Done",
        NotDone = "not_done": "Not done",
        Refused = "refused": "Refused by the patient",
    ]
);

/// The tasks a visit of this care type plans by default.
pub fn task_template(care: CareType) -> &'static [&'static str] {
    match care {
        CareType::SkilledNursing => &[
            "Vital signs",
            "Medication reconciliation",
            "Wound assessment and care",
            "Patient and caregiver teaching",
            "Fall-risk check",
        ],
        CareType::PhysicalTherapy => &[
            "Vital signs",
            "Gait and balance training",
            "Therapeutic exercise",
            "Home safety review",
        ],
        CareType::OccupationalTherapy => &[
            "Vital signs",
            "Activities of daily living training",
            "Adaptive equipment review",
        ],
        CareType::SpeechTherapy => &["Swallowing assessment", "Speech and language exercises"],
        CareType::HomeHealthAide => &[
            "Bathing and personal care",
            "Meal preparation",
            "Light housekeeping",
            "Mobility assistance",
        ],
        CareType::MedicalSocialWork => &["Psychosocial assessment", "Community resources planning"],
    }
}

/// Late when not checked in this long after the start.
pub const LATE_AFTER_MINUTES: i64 = 15;

/// A visit as lists show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitSummary {
    pub id: VisitId,
    pub status: VisitStatus,
    pub service: CareType,
    #[serde(with = "time::serde::rfc3339")]
    pub starts_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub ends_at: OffsetDateTime,
    pub patient_id: PatientId,
    pub patient_initials: String,
    pub referral_id: Option<ReferralId>,
    pub clinician_id: ClinicianId,
    pub clinician: String,
    pub tasks: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub checked_in_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub checked_out_at: Option<OffsetDateTime>,
    pub evv_complete: bool,
    /// A location is missing at check-in or check-out, with its reason.
    pub evv_exception: bool,
    pub signed: bool,
    pub countersigned: bool,
}

impl VisitSummary {
    /// Not checked in [`LATE_AFTER_MINUTES`] after the start.
    pub fn late(&self, now: OffsetDateTime) -> bool {
        matches!(self.status, VisitStatus::Proposed | VisitStatus::Accepted)
            && now > self.starts_at + time::Duration::minutes(LATE_AFTER_MINUTES)
    }

    /// "09:00–10:00".
    pub fn times(&self) -> String {
        format!(
            "{:02}:{:02}–{:02}:{:02}",
            self.starts_at.hour(),
            self.starts_at.minute(),
            self.ends_at.hour(),
            self.ends_at.minute()
        )
    }
}

/// The clinician's day: offers to answer, today's visits, what comes next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicianDay {
    /// The clinician's name.
    pub name: String,
    /// The organization acted for.
    pub clinic: String,
    pub offers: Vec<DayVisit>,
    pub today: Vec<DayVisit>,
    pub upcoming: Vec<DayVisit>,
    /// Clinics the person also works for (switch to see their visits).
    pub other_clinics: Vec<String>,
}

/// A visit on the clinician's day, with where to go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DayVisit {
    pub visit: VisitSummary,
    pub address: Option<String>,
    pub place: String,
}

/// One side of a visit's EVV record.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Location {
    Device { lat: f64, lon: f64 },
    Exception(EvvException),
}

/// A check-in or check-out: the device's time and where.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CheckPoint {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub location: Location,
}

impl CheckPoint {
    /// From the form: the device's time (`at`, RFC 3339; the server's
    /// clock when the page posted without a script), its coordinates, or
    /// an exception code.
    pub fn parse(
        at: &str,
        lat: &str,
        lon: &str,
        exception: &str,
        now: OffsetDateTime,
    ) -> Result<Self, Vec<FieldError>> {
        let at = match at.trim() {
            "" => now,
            raw => OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    vec![FieldError::new(
                        "at",
                        "The device's time could not be read.",
                    )]
                })?,
        };
        // Posted online, the time is now: a device clock far from the
        // server's is wrong (or a visit being backdated), not evidence.
        if (at - now).abs() > time::Duration::minutes(5) {
            return Err(vec![FieldError::new(
                "at",
                "The phone's clock differs from the server's by more than five minutes; check its time setting.",
            )]);
        }
        let coords = (lat.trim().parse::<f64>(), lon.trim().parse::<f64>());
        let location = match coords {
            (Ok(lat), Ok(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) =>
            {
                Location::Device { lat, lon }
            }
            _ => match EvvException::parse(exception.trim()) {
                Some(e) => Location::Exception(e),
                None => {
                    return Err(vec![FieldError::new(
                        "exception",
                        "The device's location is not available: choose why.",
                    )])
                }
            },
        };
        Ok(Self { at, location })
    }
}

/// A drawn or typed signature: the name always, the strokes when drawn
/// (vector points, so the log stays small and hashable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    pub name: String,
    #[serde(default)]
    pub strokes: Vec<Vec<[i16; 2]>>,
}

/// The drawing area of a signature: strokes are points in a 300 × 120 box.
pub const SIGNATURE_BOX: (i16, i16) = (300, 120);

impl Signature {
    /// Strokes as the signature pad posts them (JSON `[[[x, y], …], …]`),
    /// checked: at most 200 strokes of 2,000 points, inside the box.
    pub fn strokes_from_json(raw: &str) -> Result<Vec<Vec<[i16; 2]>>, String> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Vec::new());
        }
        let strokes: Vec<Vec<[i16; 2]>> = serde_json::from_str(raw).map_err(|_| {
            "The drawn signature could not be read; clear it and sign again.".to_owned()
        })?;
        let inside = |p: &[i16; 2]| {
            (0..=SIGNATURE_BOX.0).contains(&p[0]) && (0..=SIGNATURE_BOX.1).contains(&p[1])
        };
        if strokes.len() > 200
            || strokes
                .iter()
                .any(|s| s.len() > 2000 || !s.iter().all(inside))
        {
            return Err("The drawn signature is too large; clear it and sign again.".to_owned());
        }
        Ok(strokes.into_iter().filter(|s| !s.is_empty()).collect())
    }

    /// SVG path data for the strokes (`M x y L x y …`).
    pub fn path(&self) -> String {
        self.strokes
            .iter()
            .filter_map(|s| {
                let (first, rest) = s.split_first()?;
                let mut d = format!("M{} {}", first[0], first[1]);
                for p in rest {
                    d.push_str(&format!(" L{} {}", p[0], p[1]));
                }
                Some(d)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Vital signs as measured; each optional, each range-checked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vitals {
    pub systolic: Option<i32>,
    pub diastolic: Option<i32>,
    pub pulse: Option<i32>,
    /// Tenths of a degree Fahrenheit (986 = 98.6 °F): whole numbers keep
    /// the canonical form exact.
    pub temperature_f10: Option<i32>,
    pub spo2: Option<i32>,
    pub respirations: Option<i32>,
    pub pain: Option<i32>,
}

/// The raw vitals fields of the form.
#[derive(Debug, Clone, Default)]
pub struct VitalsForm<'a> {
    pub systolic: &'a str,
    pub diastolic: &'a str,
    pub pulse: &'a str,
    pub temperature: &'a str,
    pub spo2: &'a str,
    pub respirations: &'a str,
    pub pain: &'a str,
}

fn whole(
    raw: &str,
    field: &str,
    label: &str,
    range: std::ops::RangeInclusive<i32>,
    unit: &str,
    errors: &mut Vec<FieldError>,
) -> Option<i32> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse::<i32>() {
        Ok(v) if range.contains(&v) => Some(v),
        _ => {
            errors.push(FieldError::new(
                field,
                format!(
                    "{label} should be a whole number from {} to {}{unit}.",
                    range.start(),
                    range.end()
                ),
            ));
            None
        }
    }
}

impl Vitals {
    pub fn parse(form: &VitalsForm<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let systolic = whole(
            form.systolic,
            "systolic",
            "Systolic pressure",
            60..=260,
            " mmHg",
            &mut errors,
        );
        let diastolic = whole(
            form.diastolic,
            "diastolic",
            "Diastolic pressure",
            30..=160,
            " mmHg",
            &mut errors,
        );
        if systolic.is_some() != diastolic.is_some() && errors.is_empty() {
            errors.push(FieldError::new(
                if systolic.is_some() {
                    "diastolic"
                } else {
                    "systolic"
                },
                "Enter both numbers of the blood pressure.",
            ));
        }
        if let (Some(s), Some(d)) = (systolic, diastolic) {
            if d >= s {
                errors.push(FieldError::new(
                    "diastolic",
                    "The diastolic pressure is the lower number; it must be below the systolic.",
                ));
            }
        }
        let pulse = whole(
            form.pulse,
            "pulse",
            "Pulse",
            20..=250,
            " beats a minute",
            &mut errors,
        );
        let temperature_f10 = match form.temperature.trim() {
            "" => None,
            raw => match raw.parse::<f64>() {
                Ok(t) if (90.0..=110.0).contains(&t) => Some((t * 10.0).round() as i32),
                _ => {
                    errors.push(FieldError::new(
                        "temperature",
                        "Temperature should be from 90 to 110 °F, like 98.6.",
                    ));
                    None
                }
            },
        };
        let spo2 = whole(
            form.spo2,
            "spo2",
            "Oxygen saturation",
            50..=100,
            " %",
            &mut errors,
        );
        let respirations = whole(
            form.respirations,
            "respirations",
            "Respirations",
            4..=60,
            " a minute",
            &mut errors,
        );
        let pain = whole(form.pain, "pain", "Pain", 0..=10, "", &mut errors);
        if errors.is_empty() {
            Ok(Self {
                systolic,
                diastolic,
                pulse,
                temperature_f10,
                spo2,
                respirations,
                pain,
            })
        } else {
            Err(errors)
        }
    }

    /// "98.6".
    pub fn temperature(&self) -> Option<String> {
        self.temperature_f10
            .map(|t| format!("{}.{}", t / 10, t % 10))
    }
}

/// What became of one planned task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskResult {
    pub task: String,
    pub outcome: TaskOutcome,
    /// Required when not done or refused.
    pub reason: Option<String>,
}

/// The visit log as signed: what the hash covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitLog {
    pub visit_id: VisitId,
    pub tasks: Vec<TaskResult>,
    pub vitals: Vitals,
    pub notes: String,
    pub patient_signature: Option<Signature>,
    pub clinician_signature: Signature,
}

impl VisitLog {
    /// Checks a log for the visit's planned `tasks`: every task has an
    /// outcome, a reason where it was not done, notes within bounds, the
    /// clinician's signature given.
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        visit_id: VisitId,
        planned: &[String],
        outcomes: &[String],
        reasons: &[String],
        vitals: &VitalsForm<'_>,
        notes: &str,
        patient_signature: &str,
        clinician_signature: &str,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut tasks = Vec::new();
        for (i, task) in planned.iter().enumerate() {
            let outcome = outcomes.get(i).and_then(|o| TaskOutcome::parse(o.trim()));
            let reason = reasons
                .get(i)
                .map(|r| r.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|r| !r.is_empty())
                .map(|r| r.chars().take(300).collect::<String>());
            match outcome {
                None => errors.push(FieldError::new(
                    format!("outcomes[{i}]"),
                    format!("Say what became of “{task}”."),
                )),
                Some(TaskOutcome::Done) => tasks.push(TaskResult {
                    task: task.clone(),
                    outcome: TaskOutcome::Done,
                    reason: None,
                }),
                Some(outcome) => {
                    if reason.is_none() {
                        errors.push(FieldError::new(
                            format!("reasons[{i}]"),
                            format!("Say why “{task}” was {}.", outcome.label().to_lowercase()),
                        ));
                    }
                    tasks.push(TaskResult {
                        task: task.clone(),
                        outcome,
                        reason,
                    });
                }
            }
        }
        let vitals = Vitals::parse(vitals).unwrap_or_else(|mut e| {
            errors.append(&mut e);
            Vitals::default()
        });
        let notes = notes.trim();
        if notes.chars().count() > 4000 {
            errors.push(FieldError::new(
                "notes",
                "Notes are at most 4,000 characters.",
            ));
        }
        let name = |raw: &str| raw.split_whitespace().collect::<Vec<_>>().join(" ");
        let clinician = name(clinician_signature);
        if clinician.chars().count() < 2 || clinician.chars().count() > 120 {
            errors.push(FieldError::new(
                "clinician_signature",
                "Type your full name to sign the log.",
            ));
        }
        let patient = name(patient_signature);
        if patient.chars().count() > 120 {
            errors.push(FieldError::new(
                "patient_signature",
                "The name is at most 120 characters.",
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            visit_id,
            tasks,
            vitals,
            notes: notes.replace("\r\n", "\n"),
            patient_signature: (!patient.is_empty()).then(|| Signature {
                name: patient,
                strokes: Vec::new(),
            }),
            clinician_signature: Signature {
                name: clinician,
                strokes: Vec::new(),
            },
        })
    }
}

impl VisitLog {
    /// Checks a log that arrived whole (an offline sync) by the same rules
    /// as the form: it is parsed again from its own values, so a phone
    /// cannot store what the form would refuse. Drawn strokes are kept.
    pub fn validated(self, planned: &[String]) -> Result<Self, Vec<FieldError>> {
        let outcomes: Vec<String> = planned
            .iter()
            .map(|p| {
                self.tasks
                    .iter()
                    .find(|t| &t.task == p)
                    .map(|t| t.outcome.as_str().to_owned())
                    .unwrap_or_default()
            })
            .collect();
        let reasons: Vec<String> = planned
            .iter()
            .map(|p| {
                self.tasks
                    .iter()
                    .find(|t| &t.task == p)
                    .and_then(|t| t.reason.clone())
                    .unwrap_or_default()
            })
            .collect();
        let n = |v: Option<i32>| v.map(|v| v.to_string()).unwrap_or_default();
        let v = self.vitals;
        let (systolic, diastolic, pulse, spo2, respirations, pain) = (
            n(v.systolic),
            n(v.diastolic),
            n(v.pulse),
            n(v.spo2),
            n(v.respirations),
            n(v.pain),
        );
        let temperature = v.temperature().unwrap_or_default();
        let mut checked = VisitLog::parse(
            self.visit_id,
            planned,
            &outcomes,
            &reasons,
            &VitalsForm {
                systolic: &systolic,
                diastolic: &diastolic,
                pulse: &pulse,
                temperature: &temperature,
                spo2: &spo2,
                respirations: &respirations,
                pain: &pain,
            },
            &self.notes,
            &self
                .patient_signature
                .as_ref()
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            &self.clinician_signature.name,
        )?;
        if self.tasks.len() != planned.len() {
            return Err(vec![FieldError::new(
                "tasks",
                "The log must account for each planned task.",
            )]);
        }
        let strokes = |field: &str, s: &Signature| -> Result<Vec<Vec<[i16; 2]>>, Vec<FieldError>> {
            let json = serde_json::to_string(&s.strokes).unwrap_or_default();
            Signature::strokes_from_json(&json).map_err(|m| vec![FieldError::new(field, m)])
        };
        checked.clinician_signature.strokes =
            strokes("clinician_signature", &self.clinician_signature)?;
        if let (Some(kept), Some(sent)) = (
            checked.patient_signature.as_mut(),
            self.patient_signature.as_ref(),
        ) {
            kept.strokes = strokes("patient_signature", sent)?;
        }
        Ok(checked)
    }
}

/// A signed log as read back, with its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedLog {
    pub log: VisitLog,
    /// Lower-case hex SHA-256 of the canonical log.
    pub sha256: String,
    pub signed_by: String,
    #[serde(with = "time::serde::rfc3339")]
    pub signed_at: OffsetDateTime,
    pub countersigned_by: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub countersigned_at: Option<OffsetDateTime>,
}

/// A correction to a signed log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddendumView {
    pub seq: i32,
    pub text: String,
    pub sha256: String,
    pub prev_sha256: String,
    pub author: String,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// One visit with everything its reader may see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitDetail {
    pub visit: VisitSummary,
    /// The reader is the visit's clinician (else the clinic's staff).
    pub as_clinician: bool,
    pub address: Option<String>,
    pub place: String,
    pub phone: Option<String>,
    /// The patient's ZIP centroid, for the distance shown at check-in.
    pub home: (f64, f64),
    pub check_in_distance_m: Option<i32>,
    pub check_out_distance_m: Option<i32>,
    pub check_in_exception: Option<EvvException>,
    pub check_out_exception: Option<EvvException>,
    pub log: Option<SignedLog>,
    pub addenda: Vec<AddendumView>,
    /// What the visit pays the clinician, and where the payment stands
    /// (a family's booking, or a clinic's per-visit rate).
    pub payment: Option<(crate::payments::Cents, crate::payments::PaymentState)>,
    /// A family booked it with the clinician (who may then cancel it).
    pub booked: bool,
}

/// A visit worked offline, synced as one: the device's idempotency key,
/// the check points taken offline (none when they were posted while
/// online) and the signed log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OfflineVisit {
    pub sync_key: uuid::Uuid,
    #[serde(default)]
    pub check_in: Option<CheckPoint>,
    #[serde(default)]
    pub check_out: Option<CheckPoint>,
    pub log: VisitLog,
}

/// How long a visit may last, check-in to check-out.
pub const LONGEST_VISIT_HOURS: i64 = 12;

impl CheckPoint {
    /// Coordinates a device could report.
    pub fn location_ok(&self) -> bool {
        match self.location {
            Location::Device { lat, lon } => {
                lat.is_finite()
                    && lon.is_finite()
                    && (-90.0..=90.0).contains(&lat)
                    && (-180.0..=180.0).contains(&lon)
            }
            Location::Exception(_) => true,
        }
    }
}

/// What signing (or a sync) stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogReceipt {
    pub visit_id: VisitId,
    pub sha256: String,
    /// The same sync had already been stored (nothing new was written).
    pub replayed: bool,
}

/// What the clinic asks for when scheduling.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewVisits {
    pub clinician: ClinicianId,
    pub date: Date,
    pub start: Time,
    pub end: Time,
    pub service: CareType,
    pub tasks: Vec<String>,
    /// 1 = just this visit; N = the same weekday and time for N weeks.
    pub weeks: u8,
}

impl NewVisits {
    #[allow(clippy::too_many_arguments)]
    pub fn parse(
        clinician: &str,
        date: &str,
        start: &str,
        end: &str,
        service: &str,
        tasks: &[String],
        weeks: &str,
        today: Date,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let clinician = clinician.trim().parse::<ClinicianId>().ok();
        if clinician.is_none() {
            errors.push(FieldError::new("clinician_id", "Choose a clinician."));
        }
        let date = Date::parse(
            date.trim(),
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .ok();
        match date {
            None => errors.push(FieldError::new("date", "Enter the date of the visit.")),
            Some(d) if d < today => errors.push(FieldError::new("date", "The date has passed.")),
            Some(_) => {}
        }
        let hm = time::macros::format_description!("[hour]:[minute]");
        let start = Time::parse(start.trim(), hm).ok();
        let end = Time::parse(end.trim(), hm).ok();
        if start.is_none() {
            errors.push(FieldError::new("start", "Enter the start time (HH:MM)."));
        }
        match (start, end) {
            (_, None) => errors.push(FieldError::new("end", "Enter the end time (HH:MM).")),
            (Some(s), Some(e)) if e <= s => {
                errors.push(FieldError::new("end", "The visit ends after it starts."))
            }
            _ => {}
        }
        let service = CareType::parse(service.trim());
        if service.is_none() {
            errors.push(FieldError::new("service", "Choose the type of service."));
        }
        let tasks: Vec<String> = tasks
            .iter()
            .map(|t| t.trim().to_owned())
            .filter(|t| !t.is_empty())
            .collect();
        if tasks.is_empty() {
            errors.push(FieldError::new("tasks", "Choose at least one task."));
        } else if tasks.len() > 30 || tasks.iter().any(|t| t.chars().count() > 80) {
            errors.push(FieldError::new(
                "tasks",
                "Up to 30 tasks of up to 80 characters.",
            ));
        }
        let weeks = match weeks.trim() {
            "" => Some(1),
            raw => raw.parse::<u8>().ok().filter(|w| (1..=12).contains(w)),
        };
        if weeks.is_none() {
            errors.push(FieldError::new("weeks", "Repeat for 1 to 12 weeks."));
        }
        match (
            clinician,
            date,
            start,
            end,
            service,
            weeks,
            errors.is_empty(),
        ) {
            (
                Some(clinician),
                Some(date),
                Some(start),
                Some(end),
                Some(service),
                Some(weeks),
                true,
            ) => Ok(Self {
                clinician,
                date,
                start,
                end,
                service,
                tasks,
                weeks,
            }),
            _ => Err(errors),
        }
    }

    /// Every occurrence's start and end (UTC, as the product shows times).
    pub fn occurrences(&self) -> Vec<(OffsetDateTime, OffsetDateTime)> {
        (0..self.weeks)
            .map(|w| {
                let day = self.date + time::Duration::weeks(i64::from(w));
                (
                    day.with_time(self.start).assume_utc(),
                    day.with_time(self.end).assume_utc(),
                )
            })
            .collect()
    }
}

/// The clinic's week and the lists that need attention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClinicWeek {
    pub week_start: Date,
    /// Each clinician with visits this week, and their visits by start.
    pub clinicians: Vec<(String, Vec<VisitSummary>)>,
    /// Not checked in 15 minutes after the start (today and before).
    pub late: Vec<VisitSummary>,
    pub evv_exceptions: Vec<VisitSummary>,
    pub awaiting_countersign: Vec<VisitSummary>,
}

/// Great-circle distance in metres.
pub fn distance_m((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let r = 6_371_000.0_f64;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().asin()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn every_status_moves_only_as_the_table_says() {
        for from in VisitStatus::ALL {
            for to in VisitStatus::ALL {
                assert_eq!(from.transition(*to).is_ok(), from.next().contains(to));
            }
        }
        assert!(VisitStatus::Completed.next().is_empty());
    }

    #[test]
    fn vitals_are_range_checked_with_a_message_each() {
        let ok = Vitals::parse(&VitalsForm {
            systolic: "128",
            diastolic: "82",
            pulse: "76",
            temperature: "98.6",
            spo2: "97",
            respirations: "16",
            pain: "2",
        })
        .unwrap();
        assert_eq!(ok.temperature_f10, Some(986));
        assert_eq!(ok.temperature().as_deref(), Some("98.6"));
        let bad = Vitals::parse(&VitalsForm {
            systolic: "80",
            diastolic: "90",
            pulse: "300",
            temperature: "120",
            spo2: "101",
            respirations: "x",
            pain: "11",
        })
        .unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "diastolic",
                "pulse",
                "temperature",
                "spo2",
                "respirations",
                "pain"
            ]
        );
        let half = Vitals::parse(&VitalsForm {
            systolic: "120",
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(half[0].field, "diastolic");
    }

    #[test]
    fn a_log_needs_an_outcome_per_task_and_reasons_for_what_was_not_done() {
        let id = VisitId::from(uuid::Uuid::nil());
        let planned = vec!["Vital signs".to_owned(), "Wound care".to_owned()];
        let err = VisitLog::parse(
            id,
            &planned,
            &["done".into(), "refused".into()],
            &[String::new(), " ".into()],
            &VitalsForm::default(),
            "",
            "",
            "",
        )
        .unwrap_err();
        let fields: Vec<&str> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["reasons[1]", "clinician_signature"]);
        let log = VisitLog::parse(
            id,
            &planned,
            &["done".into(), "refused".into()],
            &[String::new(), "asleep".into()],
            &VitalsForm::default(),
            "Stable.",
            "",
            "Luis  Moreno",
        )
        .unwrap();
        assert_eq!(log.clinician_signature.name, "Luis Moreno");
        assert_eq!(log.tasks[1].reason.as_deref(), Some("asleep"));
    }

    #[test]
    fn a_drawn_signature_is_bounded_points_drawn_as_a_path() {
        let strokes = Signature::strokes_from_json("[[[1,2],[3,4]],[],[[5,6]]]").unwrap();
        assert_eq!(strokes.len(), 2);
        let s = Signature {
            name: "Jane Doe".into(),
            strokes,
        };
        assert_eq!(s.path(), "M1 2 L3 4 M5 6");
        assert_eq!(Signature::strokes_from_json(""), Ok(Vec::new()));
        assert!(
            Signature::strokes_from_json("[[[400,2]]]").is_err(),
            "outside the box"
        );
        assert!(Signature::strokes_from_json("{\"x\":1}").is_err());
        let huge = format!("[[{}]]", vec!["[1,1]"; 2001].join(","));
        assert!(Signature::strokes_from_json(&huge).is_err());
    }

    #[test]
    fn a_weekly_series_repeats_the_weekday_and_time() {
        let v = NewVisits::parse(
            &uuid::Uuid::nil().to_string(),
            "2026-12-01",
            "09:00",
            "10:00",
            "skilled_nursing",
            &["Vital signs".into()],
            "3",
            date!(2026 - 11 - 30),
        )
        .unwrap();
        let o = v.occurrences();
        assert_eq!(o.len(), 3);
        assert_eq!(o[2].0, datetime!(2026-12-15 09:00 UTC));
        let err = NewVisits::parse(
            "",
            "2026-11-01",
            "10:00",
            "09:00",
            "",
            &[],
            "40",
            date!(2026 - 11 - 30),
        )
        .unwrap_err();
        let fields: Vec<&str> = err.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["clinician_id", "date", "end", "service", "tasks", "weeks"]
        );
    }

    #[test]
    fn a_check_point_has_a_location_or_a_reason() {
        let now = datetime!(2026-12-01 09:00 UTC);
        let p = CheckPoint::parse("", "39.96", "-83.00", "", now).unwrap();
        assert_eq!(
            p.location,
            Location::Device {
                lat: 39.96,
                lon: -83.0
            }
        );
        assert_eq!(p.at, now);
        let e = CheckPoint::parse("2026-12-01T08:55:00Z", "", "", "no_signal", now).unwrap();
        assert_eq!(e.location, Location::Exception(EvvException::NoSignal));
        assert!(CheckPoint::parse("", "", "", "", now).is_err());
        assert!(CheckPoint::parse("2026-12-01T10:00:00Z", "1", "1", "", now).is_err());
        assert!((distance_m((39.96, -83.0), (39.97, -83.0)) - 1112.0).abs() < 5.0);
    }
}
