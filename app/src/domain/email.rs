//! Email addresses: a pragmatic syntax check (RFC 5321 lengths, one `@`, a
//! dotted domain, no spaces or control characters). Whether the mailbox
//! exists is proved only by mail reaching it, so nothing stricter is attempted.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub const MAX_LEN: usize = 254;

    /// Trims `raw`, lower-cases the domain and checks the shape.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("Enter an email address.");
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err("Email addresses are at most 254 characters.");
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("An email address cannot contain spaces.");
        }
        let Some((local, domain)) = value.rsplit_once('@') else {
            return Err("Enter an email address like name@example.org.");
        };
        if local.is_empty() || local.contains('@') || local.chars().count() > 64 {
            return Err("Enter an email address like name@example.org.");
        }
        // RFC 1035: a name of at most 253 characters, labels of at most 63.
        if domain.chars().count() > 253 {
            return Err("The part after the @ is too long to be a domain.");
        }
        let labels_ok = domain.split('.').all(|label| {
            !label.is_empty()
                && label.chars().count() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
        if !domain.contains('.') || !labels_ok {
            return Err("Enter an email address like name@example.org.");
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = &'static str;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::EmailAddress;

    #[test]
    fn accepts_ordinary_addresses_and_normalises_the_domain() {
        let e = EmailAddress::parse("  Pat.Lee+trust@Example.ORG ").unwrap();
        assert_eq!(e.as_str(), "Pat.Lee+trust@example.org");
    }

    #[test]
    fn rejects_malformed_addresses_with_a_reason() {
        for bad in [
            "",
            "   ",
            "pat",
            "pat@",
            "@example.org",
            "pat@localhost",
            "pat lee@example.org",
            "pat@exa mple.org",
            "pat@-example.org",
            "pat@example..org",
            "pat@@example.org",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "accepted {bad:?}");
        }
        let long = format!("{}@example.org", "a".repeat(250));
        assert!(EmailAddress::parse(&long).is_err());
        // A domain label longer than DNS allows.
        let label = format!("pat@{}.org", "x".repeat(64));
        assert!(EmailAddress::parse(&label).is_err());
        assert!(EmailAddress::parse(&format!("pat@{}.org", "x".repeat(63))).is_ok());
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<EmailAddress>("\"nope\"").is_err());
        let ok: EmailAddress = serde_json::from_str("\"a@b.co\"").unwrap();
        assert_eq!(ok.as_str(), "a@b.co");
    }
}
