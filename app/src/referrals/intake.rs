//! How a referral sent by a machine becomes the domain's [`NewReferral`]:
//! care types read from their code, their label or the abbreviations
//! discharge planners type ("PT", "Skilled Nursing"); diagnoses resolved
//! from a code, an abbreviation ("chf") or words (the best full-text
//! match); and the native API's referral turned into a [`NewReferral`]
//! with the same checks as the web form, its errors keyed by the API's
//! field names. The REST and FHIR doors both read their input here, so
//! a product rule about what a client may send changes in one place.

use super::{repo, CareType, NewReferral};
use crate::db::TenantTx;
use crate::domain::Icd10Code;
use crate::error::{AppError, FieldError};
use crate::identity::OrganizationId;
use time::{Date, Duration};

/// Reads a care type from its code, its label ("Skilled Nursing") or a
/// common abbreviation ("PT", "SLP").
pub fn care_type(raw: &str) -> Option<CareType> {
    let wanted = raw.trim().to_lowercase().replace([' ', '-'], "_");
    let short = match wanted.as_str() {
        "sn" | "nursing" => "skilled_nursing",
        "pt" => "physical_therapy",
        "ot" => "occupational_therapy",
        "slp" | "st" | "speech_language_pathology" => "speech_therapy",
        "hha" | "aide" => "home_health_aide",
        "msw" | "social_work" => "medical_social_work",
        other => other,
    };
    CareType::parse(short).or_else(|| {
        CareType::ALL
            .iter()
            .copied()
            .find(|c| c.label().to_lowercase().replace([' ', '-'], "_") == wanted)
    })
}

/// Common abbreviations discharge planners type, to their usual code.
const ABBREVIATIONS: [(&str, &str); 10] = [
    ("chf", "I509"),
    ("copd", "J449"),
    ("dm2", "E119"),
    ("t2dm", "E119"),
    ("cva", "I639"),
    ("htn", "I10"),
    ("pna", "J189"),
    ("uti", "N390"),
    ("afib", "I4891"),
    ("ckd", "N189"),
];

/// The code of a common abbreviation ("CHF" → `I509`).
fn abbreviation(raw: &str) -> Option<&'static str> {
    ABBREVIATIONS
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(raw))
        .map(|(_, code)| *code)
}

/// The billable code for what the client sent: a code we know, an
/// abbreviation, or words (the best full-text match).
pub async fn resolve_diagnosis(tx: &mut TenantTx, raw: &str) -> Result<Option<String>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    if let Ok(code) = Icd10Code::parse(raw) {
        if repo::diagnosis(tx.conn(), code.as_str()).await?.is_some() {
            return Ok(Some(code.into()));
        }
    }
    if let Some(code) = abbreviation(raw) {
        return Ok(Some(code.to_owned()));
    }
    let found = repo::search_diagnoses(tx, raw, 5).await?;
    Ok(found.into_iter().next().map(|d| d.code))
}

/// A discharge referral as the native API receives it (`POST
/// /discharge-referrals`); the door owns its wire shape and hands it over
/// field by field.
#[derive(Debug, Clone, Default)]
pub struct ApiReferral {
    /// Two or three letters, like "JD".
    pub patient_initials: String,
    pub patient_birth_year: Option<i32>,
    pub zip: String,
    /// A code, an abbreviation or words.
    pub primary_diagnosis: String,
    /// A code, a label or an abbreviation.
    pub care_type: String,
    /// routine (default), priority, urgent.
    pub priority: Option<String>,
    /// YYYY-MM-DD; tomorrow when left out.
    pub requested_start: Option<String>,
    pub notes: Option<String>,
    pub clinic_id: Option<OrganizationId>,
    /// The patient packet (released only to the clinic that accepts).
    pub packet: Option<crate::patients::PacketForm>,
}

/// Turns the API's referral into the domain's, with the form's checks;
/// errors name the API's fields (`primary_diagnosis` for the form's
/// `diagnosis`, `patient.initials`, `patient.birth_year`).
pub async fn from_api(
    tx: &mut TenantTx,
    body: ApiReferral,
    today: Date,
) -> Result<NewReferral, AppError> {
    let diagnosis = resolve_diagnosis(tx, &body.primary_diagnosis)
        .await?
        .unwrap_or_default();
    let care = care_type(&body.care_type).map(|c| c.as_str()).unwrap_or("");
    let priority = body
        .priority
        .as_deref()
        .unwrap_or("routine")
        .trim()
        .to_lowercase();
    let start = body
        .requested_start
        .unwrap_or_else(|| (today + Duration::days(1)).to_string());
    let packet = body.packet.as_ref().map(|form| {
        crate::patients::PatientDetails::parse(
            form,
            Some(&body.patient_initials.trim().to_uppercase()),
            body.patient_birth_year,
            today,
        )
    });
    let parsed = NewReferral::parse(
        &body.patient_initials,
        &body
            .patient_birth_year
            .map(|y| y.to_string())
            .unwrap_or_default(),
        &body.zip,
        &diagnosis,
        care,
        &priority,
        &start,
        body.notes.as_deref().unwrap_or(""),
        body.clinic_id,
        today,
    );
    // The packet's fields are named as the API spells them: packet.full_name.
    let packet_errors = |fields: Vec<FieldError>| -> Vec<FieldError> {
        fields
            .into_iter()
            .map(|f| {
                let name = f.field.replacen("packet_", "packet.", 1);
                FieldError::new(name, f.message)
            })
            .collect()
    };
    let rename = |fields: Vec<FieldError>| -> Vec<FieldError> {
        fields
            .into_iter()
            .map(|f| match f.field.as_str() {
                "diagnosis" => FieldError::new("primary_diagnosis", f.message),
                "patient_initials" => FieldError::new("patient.initials", f.message),
                "patient_birth_year" => FieldError::new("patient.birth_year", f.message),
                _ => f,
            })
            .collect()
    };
    match (parsed, packet) {
        (Ok(referral), None) => Ok(referral),
        (Ok(mut referral), Some(Ok(details))) => {
            referral.packet = details;
            Ok(referral)
        }
        (parsed, packet) => {
            let mut fields = parsed.err().map(rename).unwrap_or_default();
            if let Some(Err(e)) = packet {
                fields.extend(packet_errors(e));
            }
            Err(fields.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn care_types_are_read_from_codes_labels_and_abbreviations() {
        assert_eq!(care_type("Skilled Nursing"), Some(CareType::SkilledNursing));
        assert_eq!(
            care_type("physical_therapy"),
            Some(CareType::PhysicalTherapy)
        );
        assert_eq!(care_type("PT"), Some(CareType::PhysicalTherapy));
        assert_eq!(
            care_type("Speech-language pathology"),
            Some(CareType::SpeechTherapy)
        );
        assert_eq!(care_type("massage"), None);
    }

    #[test]
    fn abbreviations_are_read_in_any_case() {
        assert_eq!(abbreviation("CHF"), Some("I509"));
        assert_eq!(abbreviation("afib"), Some("I4891"));
        assert_eq!(abbreviation("heart failure"), None);
    }
}
