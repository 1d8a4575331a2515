//! Emailed single-use tokens (password reset, invitations): 256 random
//! bits, URL-safe base64 in the link, stored only as their SHA-256 so a
//! copy of the database holds nothing a person could click.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// A freshly made token: the text goes in the mail, the hash in the table.
pub struct EmailToken {
    text: String,
    hash: [u8; 32],
}

impl EmailToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let text = URL_SAFE_NO_PAD.encode(bytes);
        let hash = hash_of(&text);
        Self { text, hash }
    }

    /// The token as it appears in the link.
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn hash(&self) -> &[u8; 32] {
        &self.hash
    }
}

/// The hash of a token as it came back from a link, or `None` when it
/// cannot be one of ours (wrong length or alphabet): no lookup is needed.
pub fn parse(raw: &str) -> Option<[u8; 32]> {
    let raw = raw.trim();
    let shaped = raw.len() == 43
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    shaped.then(|| hash_of(raw))
}

fn hash_of(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_url_safe_and_match_their_hash() {
        let a = EmailToken::generate();
        let b = EmailToken::generate();
        assert_ne!(a.text(), b.text());
        assert_eq!(a.text().len(), 43);
        assert_eq!(parse(a.text()), Some(*a.hash()));
        assert_eq!(parse(&format!(" {} ", a.text())), Some(*a.hash()));
    }

    #[test]
    fn malformed_tokens_are_rejected_without_a_lookup() {
        assert_eq!(parse(""), None);
        assert_eq!(parse("short"), None);
        assert_eq!(parse(&"a".repeat(44)), None);
        assert_eq!(parse(&format!("{}!", "a".repeat(42))), None);
    }
}
