//! The FHIR R4 face of a clinic's care: its patient (`Patient`, US Core),
//! each visit (`Encounter`, class `HH`: period, participant, location,
//! status) and the vital signs of each signed visit log (`Observation`,
//! LOINC-coded, UCUM units). Built from real rows only: a visit not yet
//! worked has no vitals; a log not signed has no observations. The
//! datatypes are `referrals::fhir`'s (one hand-written set, for the reason
//! given there); the HTTP side stays in `server`.

use super::{SignedLog, VisitStatus, VisitSummary};
use crate::identity::{PatientId, VisitId};
use crate::patients::PatientDetails;
use crate::referrals::fhir::{
    Address, CodeableConcept, Coding, ContactPoint, Encounter, EncounterLocation,
    EncounterParticipant, HumanName, Meta, Observation, Patient, Period, Quantity, Reference,
};
use time::format_description::well_known::Rfc3339;

/// The `Encounter.status` codes we answer and search by.
pub const ENCOUNTER_STATUSES: [&str; 4] = ["planned", "in-progress", "finished", "cancelled"];

/// The FHIR status of a visit.
pub fn encounter_status(status: VisitStatus) -> &'static str {
    match status {
        VisitStatus::Held | VisitStatus::Proposed | VisitStatus::Accepted => "planned",
        VisitStatus::InProgress => "in-progress",
        VisitStatus::Completed => "finished",
        VisitStatus::Declined | VisitStatus::Missed | VisitStatus::Cancelled => "cancelled",
    }
}

/// The visit statuses whose Encounter has status `wanted`.
pub fn statuses_of(wanted: &str) -> Vec<VisitStatus> {
    VisitStatus::ALL
        .iter()
        .copied()
        .filter(|s| encounter_status(*s) == wanted)
        .collect()
}

fn instant(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// The Encounter of a visit; `clinic` provides the service.
pub fn encounter(v: &VisitSummary, clinic: &str) -> Encounter {
    // Worked visits show when they were worked; planned ones when planned.
    let (start, end) = match (v.checked_in_at, v.checked_out_at) {
        (Some(i), o) => (i, o),
        (None, _) => (v.starts_at, Some(v.ends_at)),
    };
    Encounter {
        id: Some(v.id.to_string()),
        meta: Meta::us_core("us-core-encounter"),
        status: Some(encounter_status(v.status).to_owned()),
        class: Some(Coding::new(
            "http://terminology.hl7.org/CodeSystem/v3-ActCode",
            "HH",
            "home health",
        )),
        kind: vec![CodeableConcept {
            coding: Vec::new(),
            text: Some(format!("{}: home visit", v.service.label())),
        }],
        subject: Some(Reference {
            reference: Some(format!("Patient/{}", v.patient_id)),
            display: Some(v.patient_initials.clone()),
        }),
        based_on: v
            .referral_id
            .iter()
            .map(|r| Reference::to(format!("ServiceRequest/{r}")))
            .collect(),
        participant: vec![EncounterParticipant {
            kind: vec![CodeableConcept {
                coding: vec![Coding::new(
                    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                    "PPRF",
                    "primary performer",
                )],
                text: None,
            }],
            individual: Some(Reference::display(v.clinician.clone())),
        }],
        period: Some(Period {
            start: Some(instant(start)),
            end: end.map(instant),
        }),
        location: vec![EncounterLocation {
            location: Reference::display("The patient's home"),
            status: Some(
                match v.status {
                    VisitStatus::InProgress => "active",
                    VisitStatus::Completed => "completed",
                    _ => "planned",
                }
                .to_owned(),
            ),
        }],
        service_provider: Some(Reference::display(clinic)),
    }
}

/// One vital sign: its LOINC code, name, UCUM unit and how to read it
/// from the log.
struct Vital {
    loinc: &'static str,
    display: &'static str,
    unit: &'static str,
    ucum: &'static str,
    value: fn(&super::Vitals) -> Option<f64>,
}

const VITALS: [Vital; 7] = [
    Vital {
        loinc: "8480-6",
        display: "Systolic blood pressure",
        unit: "mmHg",
        ucum: "mm[Hg]",
        value: |v| v.systolic.map(f64::from),
    },
    Vital {
        loinc: "8462-4",
        display: "Diastolic blood pressure",
        unit: "mmHg",
        ucum: "mm[Hg]",
        value: |v| v.diastolic.map(f64::from),
    },
    Vital {
        loinc: "8867-4",
        display: "Heart rate",
        unit: "beats/minute",
        ucum: "/min",
        value: |v| v.pulse.map(f64::from),
    },
    Vital {
        loinc: "8310-5",
        display: "Body temperature",
        unit: "degF",
        ucum: "[degF]",
        value: |v| v.temperature_f10.map(|t| f64::from(t) / 10.0),
    },
    Vital {
        loinc: "59408-5",
        display: "Oxygen saturation in Arterial blood by Pulse oximetry",
        unit: "%",
        ucum: "%",
        value: |v| v.spo2.map(f64::from),
    },
    Vital {
        loinc: "9279-1",
        display: "Respiratory rate",
        unit: "breaths/minute",
        ucum: "/min",
        value: |v| v.respirations.map(f64::from),
    },
    Vital {
        loinc: "72514-3",
        display: "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
        unit: "{score}",
        ucum: "{score}",
        value: |v| v.pain.map(f64::from),
    },
];

/// Every LOINC code an Observation may carry.
pub fn loinc_codes() -> impl Iterator<Item = &'static str> {
    VITALS.iter().map(|v| v.loinc)
}

/// An Observation's id: its visit and its LOINC code (`<visit>-8480-6`).
pub fn observation_id(visit: VisitId, loinc: &str) -> String {
    format!("{visit}-{loinc}")
}

/// The visit and LOINC code an Observation id names.
pub fn parse_observation_id(id: &str) -> Option<(VisitId, &'static str)> {
    let (visit, code) = (id.get(..36)?, id.get(37..)?);
    let code = VITALS.iter().find(|v| v.loinc == code)?.loinc;
    Some((visit.parse().ok()?, code))
}

/// The Observations of a visit's signed log: one per vital measured.
pub fn observations(v: &VisitSummary, log: &SignedLog) -> Vec<Observation> {
    let when = v.checked_in_at.unwrap_or(log.signed_at);
    VITALS
        .iter()
        .filter_map(|vital| {
            let value = (vital.value)(&log.log.vitals)?;
            Some(Observation {
                id: observation_id(v.id, vital.loinc),
                meta: None,
                status: "final".to_owned(),
                category: vec![CodeableConcept {
                    coding: vec![Coding::new(
                        "http://terminology.hl7.org/CodeSystem/observation-category",
                        "vital-signs",
                        "Vital Signs",
                    )],
                    text: None,
                }],
                code: CodeableConcept {
                    coding: vec![Coding::new("http://loinc.org", vital.loinc, vital.display)],
                    text: Some(vital.display.to_owned()),
                },
                subject: Reference::to(format!("Patient/{}", v.patient_id)),
                encounter: Reference::to(format!("Encounter/{}", v.id)),
                effective_date_time: instant(when),
                performer: vec![Reference::display(v.clinician.clone())],
                value_quantity: Quantity {
                    value,
                    unit: vital.unit.to_owned(),
                    system: "http://unitsofmeasure.org".to_owned(),
                    code: vital.ucum.to_owned(),
                },
            })
        })
        .collect()
}

/// A clinic's patient (US Core): the packet's name, birth date, address
/// and phone when there was one, else the initials and ZIP.
pub fn patient(
    id: PatientId,
    initials: &str,
    zip: &str,
    place: &str,
    details: Option<&PatientDetails>,
) -> Patient {
    let mut place = place.split(", ");
    let (city, state) = (
        place.next().unwrap_or_default(),
        place.next().unwrap_or_default(),
    );
    let name = match details {
        Some(d) => {
            let mut words: Vec<String> = d.full_name.split(' ').map(str::to_owned).collect();
            let family = words.pop();
            HumanName {
                extension: Vec::new(),
                text: Some(d.full_name.clone()),
                family,
                given: words,
            }
        }
        None => HumanName {
            text: Some(initials.to_owned()),
            ..HumanName::default()
        },
    };
    Patient {
        id: Some(id.to_string()),
        meta: Meta::us_core("us-core-patient"),
        identifier: Vec::new(),
        name: vec![name],
        gender: Some("unknown".to_owned()),
        telecom: details
            .map(|d| ContactPoint {
                system: Some("phone".to_owned()),
                value: Some(crate::patients::format_phone(&d.phone)),
                purpose: Some("home".to_owned()),
            })
            .into_iter()
            .collect(),
        birth_date: details.map(|d| d.birth_date.to_string()),
        address: vec![Address {
            line: details.map(|d| vec![d.address.clone()]).unwrap_or_default(),
            postal_code: Some(zip.to_owned()),
            city: Some(city.to_owned()),
            state: Some(state.to_owned()),
            country: Some("US".to_owned()),
        }],
        contact: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_visit_status_has_an_encounter_status_we_search_by() {
        for s in VisitStatus::ALL {
            assert!(ENCOUNTER_STATUSES.contains(&encounter_status(*s)));
        }
        assert_eq!(
            statuses_of("planned"),
            [
                VisitStatus::Held,
                VisitStatus::Proposed,
                VisitStatus::Accepted
            ]
        );
        assert_eq!(loinc_codes().count(), 7);
    }

    #[test]
    fn observation_ids_name_their_visit_and_code() {
        let visit = VisitId::from(uuid::Uuid::from_u128(7));
        let id = observation_id(visit, "8480-6");
        assert_eq!(parse_observation_id(&id), Some((visit, "8480-6")));
        assert_eq!(parse_observation_id(&format!("{visit}-1234-5")), None);
        assert_eq!(parse_observation_id("short"), None);
        assert!(id.len() <= 64, "a FHIR id is at most 64 characters");
    }
}
