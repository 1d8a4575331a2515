//! The FHIR R4 (4.0.1) face of a referral. A referral is a
//! `ServiceRequest`; for the referring side its patient (initials, birth
//! year, ZIP: the minimum necessary) is a `Patient` under the same id. The
//! clinic's real patient, visits (`Encounter`) and vitals (`Observation`)
//! are `crate::visits::fhir`'s; the datatypes are shared from here.
//! An incoming `ServiceRequest` is read into the referral form's fields
//! (the referral keeps only initials of a name and the year of a birth
//! date; a contained Patient with an address line, a phone or a contact,
//! and a contained `Coverage`, are the patient packet, sealed and released
//! only to the accepting clinic) and becomes a [`NewReferral`] through the
//! same checks, with errors at FHIR paths. The HTTP side (content type, OperationOutcome, Bundle paging,
//! status codes) stays with the door in `server`.
//!
//! **Why hand-written structs.** The resources are typed serde structs
//! holding only the elements we read or write, camelCase, with absent
//! elements left out. We looked at the FHIR crates: `fhir-sdk` (its
//! `fhir-model`) models STU3, R4B and R5 but not R4 4.0.1, which is what
//! we declare; `fhirbolt` and `fhir` model R4, but as code generated for all
//! ~146 resources and their datatypes, a large compile for the three
//! resources we touch, and their strict enums would turn today's lenient
//! reading of a client's request into new rejections. This module is
//! server-only (`ssr`), so none of it reaches the wasm build either way.
//! The end-to-end suite validates every resource we send against HL7's R4
//! JSON Schema, which keeps these structs honest.

use super::{intake, CareType, NewReferral, Priority, ReferralStatus, ReferralView};
use crate::db::TenantTx;
use crate::error::{AppError, FieldError};
use crate::identity::OrganizationId;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, Duration};

/// The ICD-10-CM code system.
pub const ICD10CM: &str = "http://hl7.org/fhir/sid/icd-10-cm";
/// Where the US Core profiles are defined.
pub const US_CORE: &str = "http://hl7.org/fhir/us/core/StructureDefinition";
/// The identifier system of a referral's reference (`R-1A2B3C4D`).
const REFERRAL_SYSTEM: &str = "urn:carethread:referral";

// --- Datatypes -----------------------------------------------------------------

/// `Meta`: the profiles a resource claims.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<String>,
}

impl Meta {
    pub(crate) fn us_core(profile: &str) -> Option<Self> {
        Some(Meta {
            profile: vec![format!("{US_CORE}/{profile}")],
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identifier {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl Identifier {
    fn referral(r: &ReferralView) -> Vec<Self> {
        vec![Identifier {
            system: Some(REFERRAL_SYSTEM.to_owned()),
            value: Some(r.reference.clone()),
        }]
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coding {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Coding {
    pub(crate) fn new(
        system: impl Into<String>,
        code: impl Into<String>,
        display: impl Into<String>,
    ) -> Self {
        Coding {
            system: Some(system.into()),
            code: Some(code.into()),
            display: Some(display.into()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeableConcept {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    pub(crate) fn to(reference: String) -> Self {
        Reference {
            reference: Some(reference),
            display: None,
        }
    }

    pub(crate) fn display(display: impl Into<String>) -> Self {
        Reference {
            reference: None,
            display: Some(display.into()),
        }
    }
}

/// An `Extension` with a `code` value (the only kind we write).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Extension {
    #[serde(default)]
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value_code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanName {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
}

impl HumanName {
    /// The name as one string: given names and family, else the text.
    fn full(&self) -> String {
        let given = (!self.given.is_empty()).then(|| self.given.join(" "));
        match (given, &self.family, &self.text) {
            (Some(g), Some(f), _) => format!("{g} {f}"),
            (_, _, Some(t)) => t.clone(),
            (Some(g), None, None) => g,
            (None, Some(f), None) => f.clone(),
            (None, None, None) => String::new(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub line: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// A phone number (`ContactPoint`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactPoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(rename = "use", skip_serializing_if = "Option::is_none")]
    pub purpose: Option<String>,
}

/// A measured amount (`Quantity`) with its UCUM unit.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quantity {
    pub value: f64,
    pub unit: String,
    pub system: String,
    pub code: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    #[serde(default)]
    pub text: String,
}

// --- Resources -----------------------------------------------------------------

/// A `ServiceRequest`: the referral.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resourceType", rename_all = "camelCase")]
pub struct ServiceRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    /// Read only: the patient the subject points at (`#p1`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contained: Vec<Contained>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrence_date_time: Option<String>,
    /// Read only: a requested start given as a period.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub occurrence_period: Option<Period>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authored_on: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reason_code: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension: Vec<Extension>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
}

/// A `Patient`: the referral's patient, minimum necessary.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resourceType", rename_all = "camelCase")]
pub struct Patient {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contact: Vec<PatientContact>,
}

/// An `Encounter`: a home visit (`crate::visits::fhir`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resourceType", rename_all = "camelCase")]
pub struct Encounter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<Coding>,
    #[serde(rename = "type", default, skip_serializing_if = "Vec::is_empty")]
    pub kind: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participant: Vec<EncounterParticipant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub location: Vec<EncounterLocation>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_provider: Option<Reference>,
}

/// Who took part in an Encounter.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncounterParticipant {
    #[serde(rename = "type", default, skip_serializing_if = "Vec::is_empty")]
    pub kind: Vec<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub individual: Option<Reference>,
}

/// Where an Encounter took place.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EncounterLocation {
    pub location: Reference,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// An `Observation`: one vital sign from a signed visit log.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resourceType", rename_all = "camelCase")]
pub struct Observation {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    pub status: String,
    pub category: Vec<CodeableConcept>,
    pub code: CodeableConcept,
    pub subject: Reference,
    pub encounter: Reference,
    pub effective_date_time: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    pub value_quantity: Quantity,
}

/// A resource contained in a ServiceRequest: a Patient and a Coverage are
/// read, anything else is passed over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resourceType")]
pub enum Contained {
    Patient(Patient),
    Coverage(Coverage),
    #[serde(other)]
    Other,
}

/// A contained `Coverage`: who pays (read only, for the patient packet).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coverage {
    /// `medicare`, `medicaid`, `commercial` or `private_pay` (code or text).
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<CodeableConcept>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subscriber_id: Option<String>,
}

/// A patient's contact person (`Patient.contact`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PatientContact {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<HumanName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
}

// --- Statuses ------------------------------------------------------------------

/// The `ServiceRequest.status` codes we answer and search by.
pub const REQUEST_STATUSES: [&str; 3] = ["active", "completed", "revoked"];

/// The FHIR status of a referral.
pub fn request_status(status: ReferralStatus) -> &'static str {
    match status {
        ReferralStatus::Closed => "completed",
        ReferralStatus::Declined | ReferralStatus::Cancelled => "revoked",
        _ => "active",
    }
}

/// The referral statuses whose ServiceRequest has status `wanted` (all,
/// when none is wanted).
pub fn statuses_of_requests(wanted: Option<&str>) -> Vec<ReferralStatus> {
    ReferralStatus::ALL
        .iter()
        .copied()
        .filter(|s| wanted.is_none_or(|want| want == request_status(*s)))
        .collect()
}

fn fhir_priority(p: Priority) -> &'static str {
    match p {
        Priority::Routine => "routine",
        Priority::Priority => "urgent",
        Priority::Urgent => "asap",
    }
}

// --- Referral → resources ----------------------------------------------------------

/// The ServiceRequest of a referral; `base` is this server's FHIR base
/// URL, where our care-type code system and status extension are defined.
pub fn service_request(r: &ReferralView, base: &str) -> ServiceRequest {
    ServiceRequest {
        id: Some(r.id.to_string()),
        meta: Meta::us_core("us-core-servicerequest"),
        identifier: Identifier::referral(r),
        status: Some(request_status(r.status).to_owned()),
        intent: Some("order".to_owned()),
        category: vec![CodeableConcept {
            coding: vec![Coding::new(
                "http://snomed.info/sct",
                "3457005",
                "Patient referral",
            )],
            text: None,
        }],
        priority: Some(fhir_priority(r.priority).to_owned()),
        code: Some(CodeableConcept {
            coding: vec![Coding::new(
                format!("{base}/CodeSystem/care-type"),
                r.care_type.as_str(),
                r.care_type.label(),
            )],
            text: Some(r.care_type.label().to_owned()),
        }),
        subject: Some(Reference {
            reference: Some(format!("Patient/{}", r.id)),
            display: Some(r.patient_initials.clone()),
        }),
        occurrence_date_time: Some(r.requested_start.to_string()),
        authored_on: Some(r.received_at.format(&Rfc3339).unwrap_or_default()),
        reason_code: vec![CodeableConcept {
            coding: vec![Coding::new(
                ICD10CM,
                r.diagnosis.display.clone(),
                r.diagnosis.description.clone(),
            )],
            text: None,
        }],
        extension: vec![Extension {
            url: format!("{base}/StructureDefinition/referral-status"),
            value_code: Some(r.status.as_str().to_owned()),
        }],
        note: if r.notes.is_empty() {
            Vec::new()
        } else {
            vec![Annotation {
                text: r.notes.clone(),
            }]
        },
        performer: r.clinic.iter().map(Reference::display).collect(),
        ..ServiceRequest::default()
    }
}

/// The Patient of a referral: initials (the name itself masked), birth
/// year, ZIP and place.
pub fn patient(r: &ReferralView) -> Patient {
    let mut place = r.place.split(", ");
    Patient {
        id: Some(r.id.to_string()),
        meta: Meta::us_core("us-core-patient"),
        identifier: Identifier::referral(r),
        // Only initials are kept: the name itself is masked.
        name: vec![HumanName {
            extension: vec![Extension {
                url: "http://hl7.org/fhir/StructureDefinition/data-absent-reason".to_owned(),
                value_code: Some("masked".to_owned()),
            }],
            text: Some(r.patient_initials.clone()),
            ..HumanName::default()
        }],
        gender: Some("unknown".to_owned()),
        telecom: Vec::new(),
        birth_date: r.patient_birth_year.map(|y| y.to_string()),
        address: vec![Address {
            line: Vec::new(),
            postal_code: Some(r.zip.clone()),
            city: Some(place.next().unwrap_or_default().to_owned()),
            state: Some(place.next().unwrap_or_default().to_owned()),
            country: Some("US".to_owned()),
        }],
        contact: Vec::new(),
    }
}

// --- ServiceRequest → referral ------------------------------------------------------

/// Only the kind of a resource, read before anything else.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Kind {
    resource_type: Option<String>,
}

/// Reads a request body as a ServiceRequest. Another resource, or a
/// ServiceRequest whose elements have the wrong JSON types, is a
/// `structure` problem (400), not a rule broken (422).
pub fn read_service_request(body: serde_json::Value) -> Result<ServiceRequest, AppError> {
    let kind = Kind::deserialize(&body).ok().and_then(|k| k.resource_type);
    if kind.as_deref() != Some("ServiceRequest") {
        return Err(AppError::BadRequest {
            message: "The body must be a ServiceRequest resource.".to_owned(),
        });
    }
    // A fixed message: serde's own names the offending value, which may be
    // a patient's name, and answers (and logs) must not echo it.
    serde_json::from_value(body).map_err(|_| AppError::BadRequest {
        message: "The ServiceRequest does not parse: an element has the wrong JSON type \
                  for FHIR R4 (a list where one value is expected, or the reverse, \
                  a number as text, …)."
            .to_owned(),
    })
}

/// Initials from a display name: "Jane Doe, MRN-12345" → "JD".
fn initials_of(name: &str) -> String {
    name.split(',')
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphabetic()))
        .flat_map(char::to_uppercase)
        .take(3)
        .collect()
}

/// A ServiceRequest as the referral form's fields.
#[derive(Debug)]
struct Parsed {
    /// The patient packet, when the contained Patient carries more than
    /// the minimum (a street address, a phone or a contact person).
    packet: Option<crate::patients::PacketForm>,
    initials: String,
    birth_year: String,
    zip: String,
    diagnosis: String,
    care_type: String,
    priority: String,
    start: String,
    notes: String,
    clinic: Option<OrganizationId>,
}

impl ServiceRequest {
    /// The patient: the contained Patient the subject points at (the
    /// first contained Patient when the subject points nowhere).
    fn patient(&self) -> Option<&Patient> {
        let subject = self
            .subject
            .as_ref()
            .and_then(|s| s.reference.as_deref())
            .unwrap_or("");
        self.contained.iter().find_map(|c| match c {
            Contained::Patient(p)
                if subject.is_empty()
                    || p.id
                        .as_deref()
                        .is_some_and(|id| subject == format!("#{id}")) =>
            {
                Some(p)
            }
            _ => None,
        })
    }

    /// The packet's fields from the contained Patient (and a contained
    /// Coverage for the payer), when the Patient carries more than the
    /// minimum.
    fn packet(&self, p: &Patient, name: &str) -> Option<crate::patients::PacketForm> {
        let line = p.address.first().and_then(|a| a.line.first()).cloned();
        let phone = p
            .telecom
            .iter()
            .find(|t| t.system.as_deref().is_none_or(|s| s == "phone"))
            .and_then(|t| t.value.clone());
        let contact = p.contact.first();
        if line.is_none() && phone.is_none() && contact.is_none() {
            return None;
        }
        let coverage = self.contained.iter().find_map(|c| match c {
            Contained::Coverage(c) => Some(c),
            _ => None,
        });
        let payer = coverage
            .and_then(|c| c.kind.as_ref())
            .and_then(|k| {
                k.coding
                    .first()
                    .and_then(|c| c.code.clone())
                    .or(k.text.clone())
            })
            .unwrap_or_default();
        Some(crate::patients::PacketForm {
            full_name: name.to_owned(),
            birth_date: p.birth_date.clone().unwrap_or_default(),
            address: line.unwrap_or_default(),
            phone: phone.unwrap_or_default(),
            payer: payer.to_lowercase(),
            member_id: coverage
                .and_then(|c| c.subscriber_id.clone())
                .unwrap_or_default(),
            emergency_name: contact
                .and_then(|c| c.name.as_ref())
                .map(HumanName::full)
                .unwrap_or_default(),
            emergency_phone: contact
                .and_then(|c| c.telecom.first())
                .and_then(|t| t.value.clone())
                .unwrap_or_default(),
        })
    }

    /// The referral form's fields; `today` dates a missing start.
    fn parsed(&self, today: Date) -> Parsed {
        let patient = self.patient();
        // Only initials are kept of a name, from the contained Patient or
        // the subject's display.
        let name = patient
            .and_then(|p| p.name.first())
            .map(HumanName::full)
            .or_else(|| self.subject.as_ref().and_then(|s| s.display.clone()))
            .unwrap_or_default();
        let birth_year = patient
            .and_then(|p| p.birth_date.as_deref())
            .map(|d| d.chars().take(4).collect())
            .unwrap_or_default();
        let zip = patient
            .and_then(|p| p.address.first())
            .and_then(|a| a.postal_code.as_deref())
            .map(|z| z.chars().take(5).collect())
            .unwrap_or_default();
        let diagnosis = self
            .reason_code
            .iter()
            .flat_map(|rc| &rc.coding)
            .find(|c| c.system.as_deref() == Some(ICD10CM))
            .and_then(|c| c.code.clone())
            .unwrap_or_default();
        let care_type = self
            .code
            .as_ref()
            .and_then(|c| {
                c.coding
                    .first()
                    .and_then(|c| c.code.as_deref())
                    .or(c.text.as_deref())
            })
            .map(|c| {
                intake::care_type(c)
                    .map(|t| t.as_str().to_owned())
                    .unwrap_or_default()
            })
            .unwrap_or_else(|| CareType::SkilledNursing.as_str().to_owned());
        let priority = match self.priority.as_deref() {
            None | Some("routine") => "routine",
            Some("urgent") => "priority",
            Some("asap") | Some("stat") => "urgent",
            Some(_) => "invalid",
        }
        .to_owned();
        let start = self
            .occurrence_date_time
            .as_deref()
            .or_else(|| {
                self.occurrence_period
                    .as_ref()
                    .and_then(|p| p.start.as_deref())
            })
            .map(|d| d.chars().take(10).collect())
            .unwrap_or_else(|| (today + Duration::days(1)).to_string());
        let notes = self
            .note
            .iter()
            .map(|n| n.text.as_str())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let clinic = self
            .performer
            .first()
            .and_then(|p| p.reference.as_deref())
            .and_then(|r| r.strip_prefix("Organization/"))
            .and_then(|id| id.parse::<OrganizationId>().ok());
        Parsed {
            packet: patient.and_then(|p| self.packet(p, &name)),
            initials: initials_of(&name),
            birth_year,
            zip,
            diagnosis,
            care_type,
            priority,
            start,
            notes,
            clinic,
        }
    }
}

/// The FHIR path of each field a referral needs, for OperationOutcome.
fn fhir_path(field: &str) -> &str {
    match field {
        "patient_initials" => "ServiceRequest.subject",
        "patient_birth_year" => "ServiceRequest.contained[0].birthDate",
        "zip" => "ServiceRequest.contained[0].address[0].postalCode",
        "diagnosis" => "ServiceRequest.reasonCode[0].coding[0].code",
        "care_type" => "ServiceRequest.code",
        "priority" => "ServiceRequest.priority",
        "requested_start" => "ServiceRequest.occurrenceDateTime",
        "notes" => "ServiceRequest.note",
        "clinic_id" => "ServiceRequest.performer",
        "packet_full_name" => "ServiceRequest.contained[0].name",
        "packet_birth_date" => "ServiceRequest.contained[0].birthDate",
        "packet_address" => "ServiceRequest.contained[0].address[0].line",
        "packet_phone" => "ServiceRequest.contained[0].telecom",
        "packet_payer" => "ServiceRequest.contained.Coverage.type",
        "packet_member_id" => "ServiceRequest.contained.Coverage.subscriberId",
        "packet_emergency_name" => "ServiceRequest.contained[0].contact[0].name",
        "packet_emergency_phone" => "ServiceRequest.contained[0].contact[0].telecom",
        other => other,
    }
}

/// A validation error with its fields named by FHIR path (for errors of
/// `referrals::service::create` on a referral read from FHIR).
pub fn at_fhir_paths(error: AppError) -> AppError {
    match error {
        AppError::Validation { fields } => AppError::Validation {
            fields: fields
                .into_iter()
                .map(|f| FieldError::new(fhir_path(&f.field), f.message))
                .collect(),
        },
        other => other,
    }
}

/// Turns a ServiceRequest into the domain's referral, with the form's
/// checks (the diagnosis resolved like the native API's); errors name
/// FHIR paths.
pub async fn new_referral(
    tx: &mut TenantTx,
    request: &ServiceRequest,
    today: Date,
) -> Result<NewReferral, AppError> {
    let parsed = request.parsed(today);
    let diagnosis = intake::resolve_diagnosis(tx, &parsed.diagnosis)
        .await?
        .unwrap_or_else(|| parsed.diagnosis.clone());
    let referral = NewReferral::parse(
        &parsed.initials,
        &parsed.birth_year,
        &parsed.zip,
        &diagnosis,
        &parsed.care_type,
        &parsed.priority,
        &parsed.start,
        &parsed.notes,
        parsed.clinic,
        today,
    );
    let birth_year = parsed.birth_year.parse::<i32>().ok();
    let packet = parsed.packet.as_ref().map(|form| {
        crate::patients::PatientDetails::parse(form, Some(&parsed.initials), birth_year, today)
    });
    match (referral, packet) {
        (Ok(referral), None) => Ok(referral),
        (Ok(mut referral), Some(Ok(details))) => {
            referral.packet = details;
            Ok(referral)
        }
        (referral, packet) => {
            let mut fields = referral.err().unwrap_or_default();
            if let Some(Err(e)) = packet {
                fields.extend(e);
            }
            Err(at_fhir_paths(fields.into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn today() -> Date {
        time::macros::date!(2026 - 11 - 28)
    }

    #[test]
    fn initials_come_from_a_display_name() {
        assert_eq!(initials_of("Jane Doe, MRN-12345"), "JD");
        assert_eq!(initials_of("jean-luc van damme"), "JVD");
        assert_eq!(initials_of(""), "");
    }

    #[test]
    fn a_reference_style_service_request_is_read() {
        let body = json!({
            "resourceType": "ServiceRequest",
            "status": "active",
            "intent": "order",
            "subject": { "reference": "#p1" },
            "contained": [{
                "resourceType": "Patient", "id": "p1",
                "name": [{ "given": ["Jane"], "family": "Doe" }],
                "birthDate": "1948-03-02",
                "address": [{ "postalCode": "43215-1234" }]
            }],
            "priority": "urgent",
            "reasonCode": [{ "coding": [{ "system": ICD10CM, "code": "I50.9" }] }],
            "note": [{ "text": "Needs IV diuretic monitoring at home." }]
        });
        let p = read_service_request(body).unwrap().parsed(today());
        assert_eq!(p.initials, "JD");
        assert_eq!(p.birth_year, "1948");
        assert_eq!(p.zip, "43215");
        assert_eq!(p.diagnosis, "I50.9");
        assert_eq!(p.priority, "priority");
        assert_eq!(p.care_type, "skilled_nursing");
        assert_eq!(p.start, "2026-11-29");
        assert!(read_service_request(json!({ "resourceType": "Patient" })).is_err());
    }

    #[test]
    fn other_contained_resources_are_passed_over() {
        let body = json!({
            "resourceType": "ServiceRequest",
            "subject": { "reference": "#p1", "display": "Xavier Yates" },
            "contained": [
                { "resourceType": "Location", "id": "l1", "address": { "postalCode": "10001" } },
                { "resourceType": "Patient", "id": "p1", "name": [{ "text": "Jane Doe" }],
                  "address": [{ "postalCode": "43215" }] }
            ],
            "code": { "text": "PT" },
            "occurrencePeriod": { "start": "2026-12-01T09:00:00Z" }
        });
        let p = read_service_request(body).unwrap().parsed(today());
        assert_eq!((p.initials.as_str(), p.zip.as_str()), ("JD", "43215"));
        assert_eq!(p.care_type, "physical_therapy");
        assert_eq!(p.start, "2026-12-01");
    }

    #[test]
    fn resources_serialize_with_their_type_and_without_absent_elements() {
        let encounter = serde_json::to_value(Encounter {
            id: Some("e1".to_owned()),
            kind: vec![CodeableConcept {
                coding: Vec::new(),
                text: Some("Skilled nursing: first home visit".to_owned()),
            }],
            ..Encounter::default()
        })
        .unwrap();
        assert_eq!(
            encounter,
            json!({
                "resourceType": "Encounter",
                "id": "e1",
                "type": [{ "text": "Skilled nursing: first home visit" }]
            })
        );
    }

    fn scheduled_referral() -> ReferralView {
        ReferralView {
            id: uuid::Uuid::nil().into(),
            reference: "R-00000000".to_owned(),
            referrer: "Mercy General".to_owned(),
            clinic: Some("Buckeye Home Health".to_owned()),
            patient_initials: "JD".to_owned(),
            patient_birth_year: Some(1948),
            zip: "43215".to_owned(),
            place: "Columbus, OH".to_owned(),
            diagnosis: super::super::Diagnosis {
                code: "I509".to_owned(),
                display: "I50.9".to_owned(),
                description: "Heart failure, unspecified".to_owned(),
            },
            care_type: CareType::SkilledNursing,
            priority: Priority::Priority,
            requested_start: time::macros::date!(2026 - 12 - 01),
            notes: "Daily weights.".to_owned(),
            status: ReferralStatus::Scheduled,
            decline_reason: None,
            status_note: None,
            assigned_clinician: None,
            received_at: time::macros::datetime!(2026-11-28 12:00 UTC),
            age_minutes: 0,
            matches: Vec::new(),
            history: Vec::new(),
        }
    }

    /// The resources as the `json!` builders this module replaced wrote
    /// them: element for element the same on the wire.
    #[test]
    fn resources_keep_their_wire_shape() {
        let r = scheduled_referral();
        let id = uuid::Uuid::nil();
        let base = "http://x/api/v1/fhir";
        assert_eq!(
            serde_json::to_value(service_request(&r, base)).unwrap(),
            json!({
                "resourceType": "ServiceRequest",
                "id": id,
                "meta": { "profile": [format!("{US_CORE}/us-core-servicerequest")] },
                "identifier": [{ "system": "urn:carethread:referral", "value": "R-00000000" }],
                "status": "active",
                "intent": "order",
                "category": [{
                    "coding": [{ "system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral" }]
                }],
                "priority": "urgent",
                "code": {
                    "coding": [{
                        "system": format!("{base}/CodeSystem/care-type"),
                        "code": "skilled_nursing",
                        "display": "Skilled nursing"
                    }],
                    "text": "Skilled nursing"
                },
                "subject": { "reference": format!("Patient/{id}"), "display": "JD" },
                "occurrenceDateTime": "2026-12-01",
                "authoredOn": "2026-11-28T12:00:00Z",
                "reasonCode": [{
                    "coding": [{ "system": ICD10CM, "code": "I50.9", "display": "Heart failure, unspecified" }]
                }],
                "extension": [{
                    "url": format!("{base}/StructureDefinition/referral-status"),
                    "valueCode": "scheduled"
                }],
                "note": [{ "text": "Daily weights." }],
                "performer": [{ "display": "Buckeye Home Health" }]
            })
        );
        assert_eq!(
            serde_json::to_value(patient(&r)).unwrap(),
            json!({
                "resourceType": "Patient",
                "id": id,
                "meta": { "profile": [format!("{US_CORE}/us-core-patient")] },
                "identifier": [{ "system": "urn:carethread:referral", "value": "R-00000000" }],
                "name": [{
                    "extension": [{
                        "url": "http://hl7.org/fhir/StructureDefinition/data-absent-reason",
                        "valueCode": "masked"
                    }],
                    "text": "JD"
                }],
                "gender": "unknown",
                "address": [{ "postalCode": "43215", "city": "Columbus", "state": "OH", "country": "US" }],
                "birthDate": "1948"
            })
        );
    }
}
