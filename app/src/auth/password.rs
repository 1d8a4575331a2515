//! The password policy, after NIST SP 800-63B and OWASP ASVS: 12 to 128
//! characters of anything (spaces and emoji included), no composition rules,
//! and not one of the passwords people commonly choose.
//!
//! The common-password list (`common_passwords.txt`, made by
//! `scripts/make-password-blocklist.sh`) is checked on the server only, so
//! it never ships in the wasm bundle; the browser may check the length early.

use std::fmt;

pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// A password that meets the policy, about to be hashed. Deliberately not
/// `Serialize`, `Deserialize` or `Display`, and `Debug` hides it.
pub struct NewPassword(String);

impl NewPassword {
    /// Checks `raw` as typed: nothing is trimmed, spaces are characters too.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let len = raw.chars().count();
        if len < PASSWORD_MIN {
            return Err(
                "Use at least 12 characters. A few unrelated words make a strong password that is easy to remember.",
            );
        }
        if len > PASSWORD_MAX {
            return Err("Use at most 128 characters.");
        }
        let mut chars = raw.chars();
        let first = chars.next();
        if chars.all(|c| Some(c) == first) {
            return Err("Choose something less predictable than one repeated character.");
        }
        #[cfg(feature = "ssr")]
        if is_common(raw) {
            return Err("This password is one of the most commonly used; please choose another.");
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NewPassword([redacted])")
    }
}

/// Whether `raw` (case-insensitively) is on the common-password list.
#[cfg(feature = "ssr")]
fn is_common(raw: &str) -> bool {
    use std::sync::OnceLock;
    static LIST: OnceLock<Vec<&'static str>> = OnceLock::new();
    let list = LIST.get_or_init(|| include_str!("common_passwords.txt").lines().collect());
    list.binary_search(&raw.to_lowercase().as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_the_rule_not_composition() {
        assert!(NewPassword::parse("short").is_err());
        assert!(NewPassword::parse("eleven char").is_err());
        assert!(NewPassword::parse("correct horse battery staple").is_ok());
        assert!(NewPassword::parse("alllowercasewords").is_ok());
        assert!(NewPassword::parse(&"é".repeat(12).replace("éé", "éa")).is_ok());
        assert!(NewPassword::parse(&"ab".repeat(64)).is_ok());
        assert!(NewPassword::parse(&"ab".repeat(65)).is_err());
    }

    #[test]
    fn spaces_are_kept_and_counted() {
        let p = NewPassword::parse("  two  words  ").unwrap();
        assert_eq!(p.expose(), "  two  words  ");
    }

    #[test]
    fn one_repeated_character_is_refused() {
        assert!(NewPassword::parse("aaaaaaaaaaaaaaaa").is_err());
    }

    #[test]
    fn debug_hides_the_password() {
        let p = NewPassword::parse("correct horse battery staple").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        for common in [
            "qwerty123456",
            "QWERTY123456",
            "1q2w3e4r5t6y",
            "leavemealone",
        ] {
            assert!(NewPassword::parse(common).is_err(), "{common}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn the_list_is_sorted_lowercase_and_only_what_length_lets_through() {
        let list: Vec<&str> = include_str!("common_passwords.txt").lines().collect();
        assert!(list.len() > 100);
        assert!(
            list.windows(2).all(|w| w[0] < w[1]),
            "sorted, no duplicates"
        );
        for entry in &list {
            assert_eq!(*entry, entry.to_lowercase());
            assert!(entry.chars().count() >= PASSWORD_MIN);
            assert!(is_common(entry));
        }
    }
}
