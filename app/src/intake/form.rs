//! A form's definition and the answers to it (issue 15): sections of
//! fields of twelve kinds, with required flags, help text and conditional
//! display with FHIR `Questionnaire.item.enableWhen` semantics; checking a
//! submission against a pinned version (types, required, visibility:
//! answers to hidden fields are dropped); and the canonical JSON (RFC 8785,
//! `serde_jcs`, the crate the signed visit log already uses) whose SHA-256
//! pins a version and a submission.

use crate::error::FieldError;
use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// What a field asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    LongText,
    Number,
    Date,
    SingleChoice,
    MultipleChoice,
    YesNo,
    Phone,
    Email,
    Address,
    /// A typed name (or strokes drawn, stored beside the typed name).
    Signature,
    /// Text the person agrees to; the answer is the box ticked.
    Consent,
}

/// FHIR `enableWhen.operator`, the ones a form builder offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    /// `exists`: answered (`true`) or not (`false`), by `answer`.
    Exists,
    /// `=`: one of the answers equals `answer`.
    Equals,
    /// `!=`: no answer equals `answer` (true when unanswered, as in FHIR).
    NotEquals,
}

/// Show a field when another field's answer meets a condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnableWhen {
    /// The other field's key.
    pub question: String,
    pub operator: Operator,
    /// The value compared with (`"true"`/`"false"` for `exists` and yes/no).
    pub answer: String,
}

/// FHIR `enableBehavior`: with several conditions, all or any must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EnableBehavior {
    #[default]
    All,
    Any,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Unique in the form; the answer's name.
    pub key: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// The choices of a single or multiple choice field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enable_when: Vec<EnableWhen>,
    #[serde(default)]
    pub enable_behavior: EnableBehavior,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub title: String,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDefinition {
    pub title: String,
    pub sections: Vec<Section>,
}

/// One field's answer, typed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Bool(bool),
    Number(f64),
    Many(Vec<String>),
    Text(String),
}

impl Answer {
    /// Whether the answer is (or, for several choices, includes) `expected`,
    /// compared as the answer's type: numbers as numbers, yes/no as
    /// `true`/`false`, text and choices exactly.
    fn matches(&self, expected: &str) -> bool {
        match self {
            Answer::Bool(b) => expected == if *b { "true" } else { "false" },
            Answer::Number(n) => expected.trim().parse::<f64>().is_ok_and(|e| e == *n),
            Answer::Many(v) => v.iter().any(|a| a == expected),
            Answer::Text(t) => t == expected,
        }
    }
}

impl Answer {
    /// The answer as a person reads it.
    pub fn display(&self) -> String {
        match self {
            Answer::Bool(true) => "Yes".to_owned(),
            Answer::Bool(false) => "No".to_owned(),
            Answer::Number(n) => n.to_string(),
            Answer::Many(v) => v.join(", "),
            Answer::Text(t) => t.clone(),
        }
    }
}

/// The canonical bytes of `value` (RFC 8785) and their SHA-256.
#[cfg(feature = "ssr")]
pub fn canonical<T: Serialize>(value: &T) -> Result<(Vec<u8>, [u8; 32]), serde_json::Error> {
    let bytes = serde_jcs::to_vec(value)?;
    let hash = Sha256::digest(&bytes).into();
    Ok((bytes, hash))
}

impl FormDefinition {
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.sections.iter().flat_map(|s| s.fields.iter())
    }

    /// Problems that stop a definition being published: keys repeated or
    /// malformed, choice fields without choices, conditions naming a field
    /// that does not come earlier.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for f in self.fields() {
            let key_ok = !f.key.is_empty()
                && f.key.len() <= 64
                && f.key
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !key_ok {
                problems.push(format!(
                    "“{}”: a key is lower-case letters, digits and _.",
                    f.label
                ));
            }
            if seen.contains(&f.key.as_str()) {
                problems.push(format!("The key “{}” is used twice.", f.key));
            }
            if f.label.trim().is_empty() || f.label.chars().count() > 500 {
                problems.push(format!("“{}”: a label is 1 to 500 characters.", f.key));
            }
            if f.help.as_ref().is_some_and(|h| h.chars().count() > 1000) {
                problems.push(format!("“{}”: help is at most 1,000 characters.", f.label));
            }
            if matches!(f.kind, FieldKind::SingleChoice | FieldKind::MultipleChoice) {
                if f.options.is_empty() {
                    problems.push(format!("“{}” has no choices.", f.label));
                }
                let mut distinct: Vec<&str> = Vec::new();
                for o in &f.options {
                    if o.trim().is_empty() || o.trim() != o || distinct.contains(&o.as_str()) {
                        problems.push(format!(
                            "“{}”: each choice is written once, with no space around it.",
                            f.label
                        ));
                        break;
                    }
                    distinct.push(o);
                }
            }
            for c in &f.enable_when {
                let Some(target) = self
                    .fields()
                    .take_while(|t| t.key != f.key)
                    .find(|t| t.key == c.question)
                else {
                    problems.push(format!(
                        "“{}” depends on “{}”, which is not an earlier field.",
                        f.label, c.question
                    ));
                    continue;
                };
                let fits = match (c.operator, target.kind) {
                    (Operator::Exists, _) | (_, FieldKind::YesNo | FieldKind::Consent) => {
                        c.answer == "true" || c.answer == "false"
                    }
                    (_, FieldKind::Number) => c.answer.trim().parse::<f64>().is_ok(),
                    (_, FieldKind::SingleChoice | FieldKind::MultipleChoice) => {
                        target.options.contains(&c.answer)
                    }
                    (_, FieldKind::Date) => time::Date::parse(
                        &c.answer,
                        &time::format_description::well_known::Iso8601::DATE,
                    )
                    .is_ok(),
                    // A signature is given at the very end: nothing can
                    // depend on it.
                    (_, FieldKind::Signature) => false,
                    _ => !c.answer.is_empty(),
                };
                if !fits {
                    problems.push(format!(
                        "“{}” shows when “{}” is “{}”, which it can never be.",
                        f.label, target.label, c.answer
                    ));
                }
            }
            seen.push(&f.key);
        }
        // Every section is titled and asks something (FHIR: a group has
        // text and items).
        for s in &self.sections {
            if s.title.trim().is_empty() || s.title.chars().count() > 200 {
                problems.push("Each section has a title (up to 200 characters).".to_owned());
            }
            if s.fields.is_empty() {
                problems.push(format!("The section “{}” has no fields.", s.title));
            }
        }
        problems
    }

    /// Whether `field` is shown, given the answers so far (FHIR
    /// semantics: a condition on a hidden field sees it unanswered).
    fn enabled(&self, field: &Field, answers: &BTreeMap<String, Answer>) -> bool {
        if field.enable_when.is_empty() {
            return true;
        }
        let holds = |c: &EnableWhen| {
            let given = answers.get(&c.question);
            match c.operator {
                Operator::Exists => given.is_some() == (c.answer == "true"),
                Operator::Equals => given.is_some_and(|a| a.matches(&c.answer)),
                Operator::NotEquals => !given.is_some_and(|a| a.matches(&c.answer)),
            }
        };
        match field.enable_behavior {
            EnableBehavior::All => field.enable_when.iter().all(holds),
            EnableBehavior::Any => field.enable_when.iter().any(holds),
        }
    }

    /// The keys of the fields shown for what has been submitted so far
    /// (conditions are judged on the answers that parse; a field whose
    /// condition does not hold is hidden).
    pub fn shown(&self, submitted: &BTreeMap<String, Vec<String>>) -> Vec<String> {
        let mut answers = BTreeMap::new();
        let mut shown = Vec::new();
        for f in self.fields() {
            if !self.enabled(f, &answers) {
                continue;
            }
            shown.push(f.key.clone());
            let values: Vec<&str> = submitted
                .get(&f.key)
                .map(|v| {
                    v.iter()
                        .map(|s| s.trim())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if !values.is_empty() {
                if let Ok(a) = parse(f, &values) {
                    answers.insert(f.key.clone(), a);
                }
            }
        }
        shown
    }

    /// Checks a submission (each field's values as submitted) against this
    /// version: each shown field's type and whether it is required; answers
    /// to hidden fields are dropped. The typed answers, or an error per
    /// field.
    pub fn check(
        &self,
        submitted: &BTreeMap<String, Vec<String>>,
    ) -> Result<BTreeMap<String, Answer>, Vec<FieldError>> {
        let mut answers = BTreeMap::new();
        let mut errors = Vec::new();
        // In order: a condition only names an earlier field, so its
        // visibility is settled when a later field asks.
        for f in self.fields() {
            if !self.enabled(f, &answers) {
                continue;
            }
            let values: Vec<&str> = submitted
                .get(&f.key)
                .map(|v| {
                    v.iter()
                        .map(|s| s.trim())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if values.is_empty() {
                if f.required {
                    errors.push(FieldError::new(&f.key, format!("Answer “{}”.", f.label)));
                }
                continue;
            }
            match parse(f, &values) {
                Ok(a) => {
                    answers.insert(f.key.clone(), a);
                }
                Err(message) => errors.push(FieldError::new(&f.key, message)),
            }
        }
        if errors.is_empty() {
            Ok(answers)
        } else {
            Err(errors)
        }
    }
}

/// One field's answer from its submitted values (trimmed, none empty).
pub fn parse(f: &Field, values: &[&str]) -> Result<Answer, String> {
    let one = values[0];
    let single = || {
        if values.len() == 1 {
            Ok(one)
        } else {
            Err("Give one answer.".to_owned())
        }
    };
    match f.kind {
        FieldKind::Text | FieldKind::Address | FieldKind::Signature => {
            let t = single()?;
            if t.chars().count() > 500 {
                return Err("Keep it under 500 characters.".to_owned());
            }
            Ok(Answer::Text(t.to_owned()))
        }
        FieldKind::LongText => {
            let t = single()?;
            if t.chars().count() > 5000 {
                return Err("Keep it under 5,000 characters.".to_owned());
            }
            Ok(Answer::Text(t.to_owned()))
        }
        FieldKind::Number => single()?
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Answer::Number)
            .ok_or_else(|| "Enter a number, like 12 or 3.5.".to_owned()),
        FieldKind::Date => {
            let t = single()?;
            time::Date::parse(t, &time::format_description::well_known::Iso8601::DATE)
                .map(|d| Answer::Text(d.to_string()))
                .map_err(|_| "Enter a date (YYYY-MM-DD).".to_owned())
        }
        FieldKind::SingleChoice => {
            let t = single()?;
            if f.options.iter().any(|o| o == t) {
                Ok(Answer::Text(t.to_owned()))
            } else {
                Err("Choose one of the choices.".to_owned())
            }
        }
        FieldKind::MultipleChoice => {
            let mut chosen: Vec<String> = Vec::new();
            for v in values {
                if !f.options.iter().any(|o| o == v) {
                    return Err("Choose among the choices.".to_owned());
                }
                if !chosen.iter().any(|c| c == v) {
                    chosen.push((*v).to_owned());
                }
            }
            // In the form's order, so the same choices canonicalise alike.
            chosen.sort_by_key(|c| f.options.iter().position(|o| o == c));
            Ok(Answer::Many(chosen))
        }
        FieldKind::YesNo => match single()? {
            "yes" | "true" => Ok(Answer::Bool(true)),
            "no" | "false" => Ok(Answer::Bool(false)),
            _ => Err("Answer yes or no.".to_owned()),
        },
        FieldKind::Consent => match single()? {
            "yes" | "true" | "on" => Ok(Answer::Bool(true)),
            _ => Err("Tick the box to agree.".to_owned()),
        },
        FieldKind::Phone => {
            let digits: String = single()?.chars().filter(char::is_ascii_digit).collect();
            let digits = digits
                .strip_prefix('1')
                .filter(|d| d.len() == 10)
                .map_or(digits.clone(), str::to_owned);
            if digits.len() == 10 {
                Ok(Answer::Text(digits))
            } else {
                Err("Enter a 10-digit US phone number.".to_owned())
            }
        }
        FieldKind::Email => crate::domain::EmailAddress::parse(single()?)
            .map(|e| Answer::Text(e.as_str().to_owned()))
            .map_err(|m| m.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(key: &str, kind: FieldKind, required: bool) -> Field {
        Field {
            key: key.to_owned(),
            label: key.replace('_', " "),
            kind,
            required,
            help: None,
            options: Vec::new(),
            enable_when: Vec::new(),
            enable_behavior: EnableBehavior::All,
        }
    }

    fn form() -> FormDefinition {
        let mut smoker = field("smoker", FieldKind::YesNo, true);
        smoker.help = Some("Any tobacco in the last year.".to_owned());
        let mut packs = field("packs_per_day", FieldKind::Number, true);
        packs.enable_when = vec![EnableWhen {
            question: "smoker".to_owned(),
            operator: Operator::Equals,
            answer: "true".to_owned(),
        }];
        let mut allergies = field("allergies", FieldKind::MultipleChoice, false);
        allergies.options = vec!["Penicillin".into(), "Latex".into(), "Sulfa".into()];
        FormDefinition {
            title: "Medical history".to_owned(),
            sections: vec![
                Section {
                    title: "You".to_owned(),
                    fields: vec![
                        field("full_name", FieldKind::Text, true),
                        field("birth_date", FieldKind::Date, true),
                        field("phone", FieldKind::Phone, false),
                        field("email", FieldKind::Email, false),
                    ],
                },
                Section {
                    title: "Health".to_owned(),
                    fields: vec![
                        smoker,
                        packs,
                        allergies,
                        field("agree", FieldKind::Consent, true),
                    ],
                },
            ],
        }
    }

    fn submit(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (k, v) in pairs {
            m.entry((*k).to_owned()).or_default().push((*v).to_owned());
        }
        m
    }

    #[test]
    fn rfc_8785_canonicalisation_matches_the_rfcs_example() {
        // RFC 8785, section 3.2.2 (the sample input and its canonical form).
        let input = r#"{
            "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
            "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
            "literals": [null, true, false]
        }"#;
        let value: serde_json::Value = serde_json::from_str(input).unwrap();
        let (bytes, _) = canonical(&value).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn the_same_answers_in_any_key_order_and_number_spelling_hash_alike() {
        let a: serde_json::Value = serde_json::from_str(
            r#"{"packs_per_day": 1.50, "smoker": true, "allergies": ["Latex"]}"#,
        )
        .unwrap();
        let b: serde_json::Value = serde_json::from_str(
            r#"{"allergies": ["Latex"], "smoker": true, "packs_per_day": 15e-1}"#,
        )
        .unwrap();
        assert_eq!(canonical(&a).unwrap(), canonical(&b).unwrap());
        // A golden vector: these answers hash to this, on any machine.
        let (bytes, hash) = canonical(&a).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"allergies":["Latex"],"packs_per_day":1.5,"smoker":true}"#
        );
        assert_eq!(
            hex::encode(hash),
            "957f0e4101f17288174641f405c44f2c1d1ed7ef7eca5577570da46c2a85928e"
        );
        // Typed answers from a form canonicalise the same way.
        let checked = form()
            .check(&submit(&[
                ("full_name", "Ada Quinn"),
                ("birth_date", "1950-02-03"),
                ("smoker", "yes"),
                ("packs_per_day", "1.50"),
                ("allergies", "Sulfa"),
                ("allergies", "Latex"),
                ("agree", "on"),
            ]))
            .unwrap();
        let again = form()
            .check(&submit(&[
                ("agree", "true"),
                ("allergies", "Latex"),
                ("allergies", "Sulfa"),
                ("packs_per_day", "1.5"),
                ("smoker", "true"),
                ("birth_date", "1950-02-03"),
                ("full_name", " Ada Quinn "),
            ]))
            .unwrap();
        assert_eq!(canonical(&checked).unwrap(), canonical(&again).unwrap());
    }

    #[test]
    fn each_kind_is_checked_and_required_fields_are_named() {
        let errors = form()
            .check(&submit(&[
                ("birth_date", "03/02/1950"),
                ("phone", "555-01"),
                ("email", "not an email"),
                ("smoker", "maybe"),
                ("allergies", "Peanuts"),
            ]))
            .unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "full_name",
                "birth_date",
                "phone",
                "email",
                "smoker",
                "allergies",
                "agree"
            ]
        );
        let ok = form()
            .check(&submit(&[
                ("full_name", "Ada Quinn"),
                ("birth_date", "1950-02-03"),
                ("phone", "+1 (614) 555-0142"),
                ("email", "Ada@Example.org"),
                ("smoker", "no"),
                ("agree", "on"),
            ]))
            .unwrap();
        assert_eq!(ok["phone"], Answer::Text("6145550142".to_owned()));
        assert_eq!(ok["smoker"], Answer::Bool(false));
    }

    #[test]
    fn answers_to_hidden_fields_are_dropped_and_hidden_required_fields_are_not_asked() {
        let base = [
            ("full_name", "Ada Quinn"),
            ("birth_date", "1950-02-03"),
            ("agree", "on"),
        ];
        // Not a smoker: packs per day is hidden, not required, and dropped.
        let mut pairs = base.to_vec();
        pairs.extend([("smoker", "no"), ("packs_per_day", "3")]);
        let answers = form().check(&submit(&pairs)).unwrap();
        assert!(!answers.contains_key("packs_per_day"));
        // A smoker: it is shown and required.
        let mut pairs = base.to_vec();
        pairs.push(("smoker", "yes"));
        let errors = form().check(&submit(&pairs)).unwrap_err();
        assert_eq!(errors[0].field, "packs_per_day");
    }

    #[test]
    fn enable_when_follows_fhir_semantics() {
        let f = form();
        let target = |conds: Vec<EnableWhen>, behavior| Field {
            enable_when: conds,
            enable_behavior: behavior,
            ..field("x", FieldKind::Text, false)
        };
        let cond = |q: &str, op, a: &str| EnableWhen {
            question: q.to_owned(),
            operator: op,
            answer: a.to_owned(),
        };
        let mut answers = BTreeMap::new();
        answers.insert("smoker".to_owned(), Answer::Bool(true));
        answers.insert("allergies".to_owned(), Answer::Many(vec!["Latex".into()]));
        let all = target(
            vec![
                cond("smoker", Operator::Equals, "true"),
                cond("allergies", Operator::Equals, "Sulfa"),
            ],
            EnableBehavior::All,
        );
        assert!(!f.enabled(&all, &answers));
        let any = Field {
            enable_behavior: EnableBehavior::Any,
            ..all.clone()
        };
        assert!(f.enabled(&any, &answers));
        // `!=` holds for an unanswered question; `exists` false likewise.
        assert!(f.enabled(
            &target(
                vec![cond("phone", Operator::NotEquals, "x")],
                EnableBehavior::All
            ),
            &answers
        ));
        assert!(f.enabled(
            &target(
                vec![cond("phone", Operator::Exists, "false")],
                EnableBehavior::All
            ),
            &answers
        ));
        assert!(!f.enabled(
            &target(
                vec![cond("phone", Operator::Exists, "true")],
                EnableBehavior::All
            ),
            &answers
        ));
    }

    #[test]
    fn conditions_compare_typed_values_and_impossible_ones_are_refused() {
        let mut f = form();
        let mut heavy = field("heavy_smoker", FieldKind::Text, false);
        heavy.enable_when = vec![EnableWhen {
            question: "packs_per_day".to_owned(),
            operator: Operator::Equals,
            answer: "2".to_owned(),
        }];
        f.sections[1].fields.push(heavy);
        assert!(f.problems().is_empty(), "{:?}", f.problems());
        let shown = f
            .check(&submit(&[
                ("full_name", "Ada Quinn"),
                ("birth_date", "1950-02-03"),
                ("smoker", "yes"),
                ("packs_per_day", "2.0"),
                ("heavy_smoker", "since 1970"),
                ("agree", "on"),
            ]))
            .unwrap();
        assert_eq!(shown["heavy_smoker"], Answer::Text("since 1970".to_owned()));
        // "yes" is not how a yes/no answer is compared; a choice that does
        // not exist can never match; nor can a padded or repeated one.
        let mut bad = form();
        bad.sections[1].fields[1].enable_when[0].answer = "yes".to_owned();
        bad.sections[1].fields[2].options.push("Latex".to_owned());
        assert_eq!(bad.problems().len(), 2, "{:?}", bad.problems());
        // Unknown keys in a definition are refused, not dropped.
        let err = serde_json::from_str::<FormDefinition>(
            r#"{"title": "x", "sections": [], "enableWhen": []}"#,
        );
        assert!(err.is_err());
    }

    #[test]
    fn a_definition_with_broken_keys_or_conditions_is_not_publishable() {
        assert!(form().problems().is_empty());
        let mut bad = form();
        bad.sections[0].fields[1].key = "full_name".to_owned();
        bad.sections[1].fields[1].enable_when[0].question = "later".to_owned();
        bad.sections[1].fields[2].options.clear();
        let problems = bad.problems();
        assert_eq!(problems.len(), 3, "{problems:?}");
        // The definition's hash changes with any change to it.
        assert_ne!(canonical(&form()).unwrap().1, canonical(&bad).unwrap().1);
    }
}
