//! Free text with bounds: trimmed, length-limited in characters (not bytes),
//! and free of control characters that would corrupt logs, CSV exports or
//! terminals (newlines and tabs only where multi-line text is allowed).

use serde::{Deserialize, Serialize};

/// The rules one text input must meet.
#[derive(Debug, Clone, Copy)]
pub struct TextRules {
    /// Shown in messages, e.g. "Your name".
    pub label: &'static str,
    pub min: usize,
    pub max: usize,
    pub multiline: bool,
}

impl TextRules {
    pub const fn single_line(label: &'static str, min: usize, max: usize) -> Self {
        Self {
            label,
            min,
            max,
            multiline: false,
        }
    }

    pub const fn multi_line(label: &'static str, min: usize, max: usize) -> Self {
        Self {
            label,
            min,
            max,
            multiline: true,
        }
    }
}

/// Text that met its [`TextRules`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BoundedText(String);

impl BoundedText {
    pub fn parse(raw: &str, rules: TextRules) -> Result<Self, String> {
        let value = raw.trim();
        let len = value.chars().count();
        if len == 0 && rules.min > 0 {
            return Err(format!("{} is required.", rules.label));
        }
        if len < rules.min {
            return Err(format!(
                "{} needs at least {} characters.",
                rules.label, rules.min
            ));
        }
        if len > rules.max {
            return Err(format!(
                "{} is at most {} characters (you entered {len}).",
                rules.label, rules.max
            ));
        }
        let bad_control = value
            .chars()
            .any(|c| c.is_control() && !(rules.multiline && matches!(c, '\n' | '\r' | '\t')));
        if bad_control {
            return Err(format!(
                "{} contains characters we cannot store.",
                rules.label
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// Optional text: blank input becomes `None`.
    pub fn parse_optional(raw: &str, rules: TextRules) -> Result<Option<Self>, String> {
        if raw.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(raw, rules).map(Some)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: TextRules = TextRules::single_line("Your name", 1, 10);
    const NOTE: TextRules = TextRules::multi_line("Message", 0, 20);

    #[test]
    fn trims_and_bounds_by_characters() {
        assert_eq!(BoundedText::parse("  Ana  ", NAME).unwrap().as_str(), "Ana");
        // Ten characters, more than ten bytes.
        assert!(BoundedText::parse("ÁÉÍÓÚáéíóú", NAME).is_ok());
        let err = BoundedText::parse("abcdefghijk", NAME).unwrap_err();
        assert!(err.contains("at most 10"), "{err}");
        assert_eq!(
            BoundedText::parse("   ", NAME).unwrap_err(),
            "Your name is required."
        );
    }

    #[test]
    fn control_characters_only_where_multiline() {
        assert!(BoundedText::parse("a\nb", NAME).is_err());
        assert!(BoundedText::parse("a\u{0}b", NOTE).is_err());
        assert!(BoundedText::parse("line one\nline two", NOTE).is_ok());
    }

    #[test]
    fn optional_blank_is_none() {
        assert_eq!(BoundedText::parse_optional("  ", NOTE).unwrap(), None);
        assert!(BoundedText::parse_optional("x", NOTE).unwrap().is_some());
    }
}
