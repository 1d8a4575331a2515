//! Application-level encryption of protected health information: the
//! fields a database dump must not reveal (names, dates of birth, phone
//! numbers, member ids, notes, attachments) are sealed here, in the
//! application, before they reach PostgreSQL, so neither a superuser, a
//! backup nor a statement log sees them. This module owns the keys and the
//! two operations on them:
//!
//! - **Sealing**: AES-256-GCM (RustCrypto's `aes-gcm`, the maintained,
//!   constant-time implementation; nothing of our own) with a fresh random
//!   96-bit nonce per value. Every sealed value carries the id of its key,
//!   so keys rotate: new values are sealed with the current key and old
//!   ones open with theirs until they are sealed again. The associated data
//!   binds a value to where it lives (table, column, row id): a ciphertext
//!   copied into another row or column does not open.
//! - **Blind indexes**: equality lookups over sealed values (the same
//!   patient: name, date of birth and ZIP) go through HMAC-SHA-256 under a
//!   separate key over a normalised form, so the index reveals nothing
//!   without that key and is not the encryption key's business.
//!
//! Keys come from configuration (`PHI_ENCRYPTION_KEYS`, `PHI_INDEX_KEY`,
//! see `server/src/config.rs`); development uses [`Keyring::development`]'s
//! fixed, published keys, and production refuses to start without its own.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::BTreeMap;
use std::sync::Arc;
use uuid::Uuid;

/// Bytes of the nonce that starts every sealed value.
const NONCE_LEN: usize = 12;

/// What can go wrong opening a value or reading keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The value names a key this instance does not have.
    #[error("no key with the id `{0}`")]
    UnknownKey(String),
    /// Altered, moved to another row or column, or not a sealed value.
    #[error("the value does not open: altered, moved, or sealed elsewhere")]
    Unopenable,
    /// The configured keys cannot be used.
    #[error("{0}")]
    Keys(String),
}

/// Where a sealed value lives: bound into its associated data.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row: Uuid,
}

impl Place<'_> {
    fn associated_data(&self) -> Vec<u8> {
        format!("{}\u{1f}{}\u{1f}{}", self.table, self.column, self.row).into_bytes()
    }
}

/// A sealed value as stored: its key's id and `nonce ‖ ciphertext ‖ tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub bytes: Vec<u8>,
}

/// The encryption keys (the first is current) and the blind-index key.
#[derive(Clone)]
pub struct Keyring {
    current: String,
    keys: Arc<BTreeMap<String, Aes256Gcm>>,
    index_key: [u8; 32],
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current", &self.current)
            .field("key_ids", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Keyring {
    /// A keyring of `keys` (`(id, key)`, the first sealing new values) and
    /// the blind-index key. Ids are 1–16 of `a-z`, `0-9`, `-`, unique.
    pub fn new(keys: &[(&str, [u8; 32])], index_key: [u8; 32]) -> Result<Self, VaultError> {
        let Some((current, _)) = keys.first() else {
            return Err(VaultError::Keys(
                "at least one encryption key is needed".into(),
            ));
        };
        let mut ring = BTreeMap::new();
        for (id, key) in keys {
            let well_formed = (1..=16).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !well_formed {
                return Err(VaultError::Keys(format!(
                    "key id `{id}`: use 1 to 16 of a-z, 0-9 and -"
                )));
            }
            let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key));
            if ring.insert((*id).to_owned(), cipher).is_some() {
                return Err(VaultError::Keys(format!("key id `{id}` is given twice")));
            }
        }
        if keys.iter().any(|(_, key)| *key == index_key) {
            return Err(VaultError::Keys(
                "the blind-index key must differ from every encryption key".into(),
            ));
        }
        Ok(Self {
            current: (*current).to_owned(),
            keys: Arc::new(ring),
            index_key,
        })
    }

    /// Reads keys as configured: `keys` is `id:base64,id:base64,…` (32
    /// bytes each, the first current), `index_key` is 64 hex digits.
    pub fn parse(keys: &str, index_key: &str) -> Result<Self, VaultError> {
        let mut parsed = Vec::new();
        for entry in keys.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (id, encoded) = entry
                .split_once(':')
                .ok_or_else(|| VaultError::Keys(format!("`{}…`: write id:base64", short(entry))))?;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok())
                .ok_or_else(|| {
                    VaultError::Keys(format!(
                        "key `{}`: 32 bytes in base64 are needed",
                        id.trim()
                    ))
                })?;
            parsed.push((id.trim().to_owned(), bytes));
        }
        let index = hex::decode(index_key.trim())
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| VaultError::Keys("the blind-index key: 64 hex digits".into()))?;
        let borrowed: Vec<(&str, [u8; 32])> =
            parsed.iter().map(|(id, key)| (id.as_str(), *key)).collect();
        Self::new(&borrowed, index)
    }

    /// Development keys: fixed and published in this source, so a
    /// development database survives restarts. Never for real data
    /// (production refuses to start without its own keys).
    pub fn development() -> Self {
        Self::new(&[("dev-1", [0x11; 32])], [0x22; 32]).expect("the development keys are valid")
    }

    /// The id of the key that seals new values.
    pub fn current_key_id(&self) -> &str {
        &self.current
    }

    /// Seals `plaintext` for `place` with the current key.
    pub fn seal(&self, plaintext: &[u8], place: Place<'_>) -> Sealed {
        let cipher = &self.keys[&self.current];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = place.associated_data();
        // Encryption fails only for inputs beyond GCM's 64 GiB limit.
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("AES-GCM encrypts any value this application stores");
        let mut bytes = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ciphertext);
        Sealed {
            key_id: self.current.clone(),
            bytes,
        }
    }

    /// Opens a value sealed for `place`.
    pub fn open(&self, sealed: &Sealed, place: Place<'_>) -> Result<Vec<u8>, VaultError> {
        let cipher = self
            .keys
            .get(&sealed.key_id)
            .ok_or_else(|| VaultError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.bytes.len() < NONCE_LEN {
            return Err(VaultError::Unopenable);
        }
        let (nonce, ciphertext) = sealed.bytes.split_at(NONCE_LEN);
        let aad = place.associated_data();
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Unopenable)
    }

    /// [`Keyring::seal`] for text.
    pub fn seal_text(&self, text: &str, place: Place<'_>) -> Sealed {
        self.seal(text.as_bytes(), place)
    }

    /// [`Keyring::open`] for text.
    pub fn open_text(&self, sealed: &Sealed, place: Place<'_>) -> Result<String, VaultError> {
        String::from_utf8(self.open(sealed, place)?).map_err(|_| VaultError::Unopenable)
    }

    /// The blind index of `parts` (a name, a date of birth, a ZIP…): equal
    /// for values that differ only in case or spacing, different for
    /// anything else, and meaningless without the index key.
    pub fn blind_index(&self, purpose: &str, parts: &[&str]) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.index_key)
            .expect("HMAC takes a key of any length");
        mac.update(purpose.as_bytes());
        for part in parts {
            mac.update(&[0x1f]);
            mac.update(normalise(part).as_bytes());
        }
        mac.finalize().into_bytes().into()
    }
}

/// Case and spacing do not make another person: lower case, one space
/// between words, none at the ends.
fn normalise(part: &str) -> String {
    part.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

fn short(text: &str) -> String {
    text.chars().take(6).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(column: &'static str, row: u128) -> Place<'static> {
        Place {
            table: "patients",
            column,
            row: Uuid::from_u128(row),
        }
    }

    #[test]
    fn a_value_opens_where_it_was_sealed_and_nowhere_else() {
        let ring = Keyring::development();
        let sealed = ring.seal_text("Jane Q. Doe", place("name", 1));
        assert_eq!(sealed.key_id, "dev-1");
        assert!(!sealed
            .bytes
            .windows(4)
            .any(|w| w == b"Jane" || w == b" Doe"));
        assert_eq!(
            ring.open_text(&sealed, place("name", 1)).unwrap(),
            "Jane Q. Doe"
        );
        // Moved to another row or column: refused.
        assert_eq!(
            ring.open(&sealed, place("name", 2)),
            Err(VaultError::Unopenable)
        );
        assert_eq!(
            ring.open(&sealed, place("phone", 1)),
            Err(VaultError::Unopenable)
        );
    }

    #[test]
    fn an_altered_value_is_refused_and_each_seal_differs() {
        let ring = Keyring::development();
        let mut sealed = ring.seal_text("1948-03-02", place("birth_date", 1));
        let again = ring.seal_text("1948-03-02", place("birth_date", 1));
        assert_ne!(sealed.bytes, again.bytes, "a fresh nonce each time");
        let last = sealed.bytes.len() - 1;
        sealed.bytes[last] ^= 1;
        assert_eq!(
            ring.open(&sealed, place("birth_date", 1)),
            Err(VaultError::Unopenable)
        );
        let short = Sealed {
            key_id: "dev-1".into(),
            bytes: vec![0; 5],
        };
        assert_eq!(
            ring.open(&short, place("birth_date", 1)),
            Err(VaultError::Unopenable)
        );
    }

    #[test]
    fn keys_rotate_new_values_use_the_current_key_old_ones_still_open() {
        let old = Keyring::new(&[("k1", [1; 32])], [9; 32]).unwrap();
        let sealed_before = old.seal_text("555-0100", place("phone", 1));
        let rotated = Keyring::new(&[("k2", [2; 32]), ("k1", [1; 32])], [9; 32]).unwrap();
        assert_eq!(rotated.current_key_id(), "k2");
        assert_eq!(
            rotated
                .open_text(&sealed_before, place("phone", 1))
                .unwrap(),
            "555-0100"
        );
        let sealed_after = rotated.seal_text("555-0100", place("phone", 1));
        assert_eq!(sealed_after.key_id, "k2");
        // A keyring that lost the key says which one.
        assert_eq!(
            old.open(&sealed_after, place("phone", 1)),
            Err(VaultError::UnknownKey("k2".into()))
        );
    }

    #[test]
    fn configured_keys_are_read_and_bad_ones_refused_with_a_reason() {
        let b64 = |byte: u8| base64::engine::general_purpose::STANDARD.encode([byte; 32]);
        let index = "ab".repeat(32);
        let ring = Keyring::parse(&format!("k2:{}, k1:{}", b64(2), b64(1)), &index).unwrap();
        assert_eq!(ring.current_key_id(), "k2");
        for (keys, index, says) in [
            (String::new(), index.clone(), "at least one"),
            (format!("k1{}", b64(1)), index.clone(), "id:base64"),
            ("k1:c2hvcnQ=".to_owned(), index.clone(), "32 bytes"),
            (
                format!("k1:{},k1:{}", b64(1), b64(2)),
                index.clone(),
                "twice",
            ),
            (format!("K 1:{}", b64(1)), index.clone(), "a-z"),
            (format!("k1:{}", b64(1)), "abc".to_owned(), "64 hex"),
            (format!("k1:{}", b64(0xab)), index.clone(), "must differ"),
        ] {
            let error = Keyring::parse(&keys, &index).unwrap_err().to_string();
            assert!(error.contains(says), "{keys}: {error}");
        }
    }

    #[test]
    fn the_blind_index_ignores_case_and_spacing_and_needs_its_key() {
        let ring = Keyring::development();
        let a = ring.blind_index("patient", &["Jane  Doe", "1948-03-02", "43215"]);
        let b = ring.blind_index("patient", &[" jane doe ", "1948-03-02", "43215"]);
        assert_eq!(a, b);
        assert_ne!(
            a,
            ring.blind_index("patient", &["Jane Doe", "1948-03-03", "43215"])
        );
        // Parts cannot slide into each other.
        assert_ne!(
            ring.blind_index("patient", &["ab", "c"]),
            ring.blind_index("patient", &["a", "bc"])
        );
        assert_ne!(
            a,
            ring.blind_index("contact", &["Jane Doe", "1948-03-02", "43215"])
        );
        let other = Keyring::new(&[("dev-1", [0x11; 32])], [0x33; 32]).unwrap();
        assert_ne!(
            a,
            other.blind_index("patient", &["Jane Doe", "1948-03-02", "43215"])
        );
    }

    #[test]
    fn a_keyring_never_prints_its_keys() {
        let printed = format!(
            "{:?}",
            Keyring::new(&[("k1", [0x5a; 32])], [0x6b; 32]).unwrap()
        );
        assert!(printed.contains("k1"));
        assert!(
            !printed.contains("90") && !printed.contains("5a"),
            "{printed}"
        );
    }
}
