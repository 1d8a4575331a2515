//! The builder's edits to a draft, one field at a time (the builder page
//! is plain forms, so it works without JavaScript): a new field from the
//! builder's inputs, added to a section; a field removed. Publishing
//! checks the whole form again (`FormDefinition::problems`).

use super::form::{
    EnableBehavior, EnableWhen, Field, FieldKind, FormDefinition, Operator, Section,
};
use crate::error::{AppError, FieldError};

fn kind(raw: &str) -> Option<FieldKind> {
    serde_json::from_value(serde_json::Value::String(raw.to_owned())).ok()
}

/// A key from the label: lower-case words joined by `_`.
fn key_from(label: &str) -> String {
    let mut key = String::new();
    for c in label.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            key.push(c);
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
        if key.len() >= 40 {
            break;
        }
    }
    let key = key.trim_end_matches('_').to_owned();
    if key.is_empty() || key.starts_with(|c: char| c.is_ascii_digit()) {
        format!("q_{key}")
    } else {
        key
    }
}

/// A field from the builder's inputs (its key made from the label when
/// added).
pub fn new_field(
    label: &str,
    kind_raw: &str,
    required: bool,
    help: &str,
    options: &str,
    when_key: &str,
    when_value: &str,
) -> Result<Field, AppError> {
    let mut errors = Vec::new();
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 500 {
        errors.push(FieldError::new(
            "label",
            "Give the question (up to 500 characters).",
        ));
    }
    let kind = kind(kind_raw.trim());
    if kind.is_none() {
        errors.push(FieldError::new("kind", "Choose what the field asks for."));
    }
    let options: Vec<String> = options
        .lines()
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    if matches!(
        kind,
        Some(FieldKind::SingleChoice | FieldKind::MultipleChoice)
    ) && options.len() < 2
    {
        errors.push(FieldError::new(
            "options",
            "Give at least two choices, one per line.",
        ));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation { fields: errors });
    }
    let when_key = when_key.trim();
    let enable_when = if when_key.is_empty() {
        Vec::new()
    } else {
        vec![EnableWhen {
            question: when_key.to_owned(),
            operator: Operator::Equals,
            answer: when_value.trim().to_owned(),
        }]
    };
    Ok(Field {
        key: key_from(label),
        label: label.to_owned(),
        kind: kind.ok_or(AppError::Internal)?,
        required,
        help: Some(help.trim().to_owned()).filter(|h| !h.is_empty()),
        options: if matches!(
            kind,
            Some(FieldKind::SingleChoice | FieldKind::MultipleChoice)
        ) {
            options
        } else {
            Vec::new()
        },
        enable_when,
        enable_behavior: EnableBehavior::All,
    })
}

/// Adds `field` to the section titled `section` (a new last section when
/// there is none), its key made unique; a condition must name an earlier
/// field.
pub fn add(d: &mut FormDefinition, section: &str, mut field: Field) -> Result<(), AppError> {
    let section = if section.is_empty() {
        "Questions"
    } else {
        section
    };
    let base = field.key.clone();
    let mut n = 2;
    while d.fields().any(|f| f.key == field.key) {
        field.key = format!("{base}_{n}");
        n += 1;
    }
    if let Some(w) = field.enable_when.first() {
        if !d.fields().any(|f| f.key == w.question) {
            return Err(FieldError::new("when_key", "Choose a question above this one.").into());
        }
    }
    match d.sections.iter_mut().find(|s| s.title == section) {
        Some(s) => s.fields.push(field),
        None => d.sections.push(Section {
            title: section.chars().take(200).collect(),
            fields: vec![field],
        }),
    }
    Ok(())
}

/// Removes the field `key` (and the section if it is left empty); refused
/// while another field's condition names it.
pub fn remove(d: &mut FormDefinition, key: &str) -> Result<(), AppError> {
    if d.fields()
        .any(|f| f.enable_when.iter().any(|w| w.question == key))
    {
        return Err(AppError::Conflict {
            message: "Another question is shown depending on this one; remove that first."
                .to_owned(),
        });
    }
    let before = d.fields().count();
    for s in &mut d.sections {
        s.fields.retain(|f| f.key != key);
    }
    d.sections.retain(|s| !s.fields.is_empty());
    if d.fields().count() == before {
        return Err(AppError::NotFound);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_get_unique_keys_and_conditions_must_point_back() {
        let mut d = FormDefinition {
            title: "T".into(),
            sections: Vec::new(),
        };
        let f = new_field("Do you smoke?", "yes_no", true, "", "", "", "").unwrap();
        add(&mut d, "Health", f.clone()).unwrap();
        add(&mut d, "Health", f).unwrap();
        let keys: Vec<&str> = d.fields().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, ["do_you_smoke", "do_you_smoke_2"]);
        let packs = new_field(
            "Packs a day",
            "number",
            true,
            "",
            "",
            "do_you_smoke",
            "true",
        )
        .unwrap();
        add(&mut d, "Health", packs).unwrap();
        assert!(d.problems().is_empty(), "{:?}", d.problems());
        let orphan = new_field("Why", "text", false, "", "", "nothing", "x").unwrap();
        assert!(add(&mut d, "Health", orphan).is_err());
        assert!(
            remove(&mut d, "do_you_smoke").is_err(),
            "a condition names it"
        );
        remove(&mut d, "packs_a_day").unwrap();
        remove(&mut d, "do_you_smoke").unwrap();
        assert!(new_field("Pick", "single_choice", false, "", "one", "", "").is_err());
    }
}
