//! An amount of US money in whole cents. Never a float: every sum is exact.

use serde::{Deserialize, Serialize};
use std::fmt;

/// US cents; negative for a credit in the ledger's sign convention.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    /// Reads a dollar amount as typed ("12", "12.5", "$1,234.56"); at most
    /// two decimals, not negative.
    pub fn parse_dollars(text: &str) -> Option<Cents> {
        let text = text.trim().trim_start_matches('$');
        // Commas only as thousands separators: "1,234", never "1,00".
        let whole_part = text.split('.').next().unwrap_or("");
        let groups: Vec<&str> = whole_part.split(',').collect();
        if groups.len() > 1
            && (groups[0].is_empty()
                || groups[0].len() > 3
                || groups[1..].iter().any(|g| g.len() != 3))
        {
            return None;
        }
        let t: String = text.chars().filter(|c| *c != ',').collect();
        let (whole, frac) = match t.split_once('.') {
            Some((w, f)) => (w, f),
            None => (t.as_str(), ""),
        };
        if whole.is_empty() && frac.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !frac.chars().all(|c| c.is_ascii_digit())
            || frac.len() > 2
            || whole.len() > 9
        {
            return None;
        }
        let dollars: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().ok()?
        };
        let cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().ok()? * 10,
            _ => frac.parse().ok()?,
        };
        Some(Cents(dollars * 100 + cents))
    }

    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }

    pub fn checked_sub(self, other: Cents) -> Option<Cents> {
        self.0.checked_sub(other.0).map(Cents)
    }

    pub fn is_positive(self) -> bool {
        self.0 > 0
    }
}

impl std::ops::Neg for Cents {
    type Output = Cents;
    fn neg(self) -> Cents {
        Cents(-self.0)
    }
}

/// `$1,234.56` (and `-$3.00`).
impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let dollars = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in dollars.chars().enumerate() {
            if i > 0 && (dollars.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(f, "{sign}${grouped}.{:02}", abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::Cents;

    #[test]
    fn prints_dollars_and_cents_grouped() {
        assert_eq!(Cents(0).to_string(), "$0.00");
        assert_eq!(Cents(5).to_string(), "$0.05");
        assert_eq!(Cents(123456).to_string(), "$1,234.56");
        assert_eq!(Cents(-300).to_string(), "-$3.00");
        assert_eq!(Cents(10_000_000_000).to_string(), "$100,000,000.00");
    }

    #[test]
    fn parses_what_people_type_and_refuses_the_rest() {
        assert_eq!(Cents::parse_dollars("85"), Some(Cents(8500)));
        assert_eq!(Cents::parse_dollars("$1,234.5"), Some(Cents(123450)));
        assert_eq!(
            Cents::parse_dollars("12,345,678"),
            Some(Cents(1_234_567_800))
        );
        assert_eq!(Cents::parse_dollars(" 0.07 "), Some(Cents(7)));
        assert_eq!(Cents::parse_dollars(".5"), Some(Cents(50)));
        for bad in [
            "",
            "$",
            "1.234",
            "-5",
            "12a",
            "1e3",
            "1.2.3",
            "9999999999",
            "1,00",
            ",100",
            "12,34,567",
        ] {
            assert_eq!(Cents::parse_dollars(bad), None, "{bad}");
        }
    }
}
