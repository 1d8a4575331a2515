//! The starter templates a clinic begins a form from (issue 15): admission
//! consent, medical history, HIPAA acknowledgement, emergency contacts.

use super::form::{
    EnableBehavior, EnableWhen, Field, FieldKind, FormDefinition, Operator, Section,
};

fn field(key: &str, label: &str, kind: FieldKind, required: bool) -> Field {
    Field {
        key: key.to_owned(),
        label: label.to_owned(),
        kind,
        required,
        help: None,
        options: Vec::new(),
        enable_when: Vec::new(),
        enable_behavior: EnableBehavior::All,
    }
}

fn you() -> Section {
    Section {
        title: "About you".to_owned(),
        fields: vec![
            field("full_name", "Full name", FieldKind::Text, true),
            field("birth_date", "Date of birth", FieldKind::Date, true),
            field("phone", "Phone", FieldKind::Phone, false),
        ],
    }
}

fn signing(consent: &str) -> Section {
    let mut agree = field("agree", consent, FieldKind::Consent, true);
    agree.help = Some("Tick the box to agree.".to_owned());
    Section {
        title: "Signature".to_owned(),
        fields: vec![
            agree,
            field(
                "signature",
                "Your signature (type your full name)",
                FieldKind::Signature,
                true,
            ),
        ],
    }
}

/// A template by its key: `admission_consent`, `medical_history`,
/// `hipaa_acknowledgement`, `emergency_contacts`.
pub fn template(key: &str) -> Option<FormDefinition> {
    Some(match key {
        "admission_consent" => FormDefinition {
            title: "Admission consent".to_owned(),
            sections: vec![
                you(),
                signing("I consent to home health care from this agency and to the plan of care my clinicians and I agree on. I may withdraw this consent at any time."),
            ],
        },
        "medical_history" => {
            let mut smoker = field("smoker", "Have you used tobacco in the last year?", FieldKind::YesNo, true);
            smoker.help = Some("Cigarettes, cigars, vaping or chewing tobacco.".to_owned());
            let mut packs = field("packs_per_day", "About how many packs a day?", FieldKind::Number, true);
            packs.enable_when = vec![EnableWhen {
                question: "smoker".to_owned(),
                operator: Operator::Equals,
                answer: "true".to_owned(),
            }];
            let mut allergies = field("allergies", "Allergies", FieldKind::MultipleChoice, false);
            allergies.options = ["Penicillin", "Sulfa drugs", "Latex", "Iodine", "Other"]
                .map(str::to_owned)
                .to_vec();
            let mut other = field("allergies_other", "Which other allergies?", FieldKind::Text, true);
            other.enable_when = vec![EnableWhen {
                question: "allergies".to_owned(),
                operator: Operator::Equals,
                answer: "Other".to_owned(),
            }];
            FormDefinition {
                title: "Medical history".to_owned(),
                sections: vec![
                    you(),
                    Section {
                        title: "Your health".to_owned(),
                        fields: vec![
                            field("conditions", "Conditions you are treated for", FieldKind::LongText, false),
                            field("medications", "Medications you take", FieldKind::LongText, false),
                            allergies,
                            other,
                            smoker,
                            packs,
                        ],
                    },
                    signing("The answers I gave are true to the best of my knowledge."),
                ],
            }
        }
        "hipaa_acknowledgement" => FormDefinition {
            title: "HIPAA notice of privacy practices: acknowledgement".to_owned(),
            sections: vec![
                you(),
                signing("I received this agency's Notice of Privacy Practices, which explains how my health information may be used and shared and my rights about it."),
            ],
        },
        "emergency_contacts" => {
            let mut relationship = field("relationship", "Relationship to you", FieldKind::SingleChoice, true);
            relationship.options = ["Spouse or partner", "Child", "Parent", "Sibling", "Friend", "Other"]
                .map(str::to_owned)
                .to_vec();
            FormDefinition {
                title: "Emergency contacts".to_owned(),
                sections: vec![
                    you(),
                    Section {
                        title: "Who to call".to_owned(),
                        fields: vec![
                            field("contact_name", "Contact's name", FieldKind::Text, true),
                            relationship,
                            field("contact_phone", "Contact's phone", FieldKind::Phone, true),
                            field("contact_email", "Contact's email", FieldKind::Email, false),
                            field("contact_address", "Contact's address", FieldKind::Address, false),
                        ],
                    },
                    signing("The people above may be called about my care in an emergency."),
                ],
            }
        }
        _ => return None,
    })
}

/// Every template's key and title.
pub const TEMPLATES: [(&str, &str); 4] = [
    ("admission_consent", "Admission consent"),
    ("medical_history", "Medical history"),
    ("hipaa_acknowledgement", "HIPAA acknowledgement"),
    ("emergency_contacts", "Emergency contacts"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_is_publishable() {
        for (key, title) in TEMPLATES {
            let t = template(key).unwrap();
            assert!(t.problems().is_empty(), "{key}: {:?}", t.problems());
            assert!(t.title.starts_with(&title[..4]), "{key}");
        }
        assert!(template("nope").is_none());
    }
}
