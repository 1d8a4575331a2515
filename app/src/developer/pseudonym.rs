//! Sandbox pseudonyms: the stable code that stands in for a clinician's
//! name in de-identified (sandbox) answers.
//!
//! The code is an HMAC-SHA256 of the clinician's id under a key only the
//! server holds (`SANDBOX_PSEUDONYM_KEY`), so it cannot be derived from
//! the id returned beside it: an earlier version used the id's own last
//! digits, which made the pseudonym a relabelling of the id.

use crate::identity::ClinicianId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `Clinician 3F9A12`: six hex digits of the keyed hash of `id`.
pub fn pseudonym(key: &[u8; 32], id: ClinicianId) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(id.uuid().as_bytes());
    let digest = mac.finalize().into_bytes();
    format!("Clinician {}", hex::encode_upper(&digest[..3]))
}

#[cfg(test)]
mod tests {
    use super::pseudonym;
    use crate::identity::ClinicianId;

    #[test]
    fn pseudonyms_are_stable_distinct_and_not_derived_from_the_id() {
        let key = [9u8; 32];
        let id: ClinicianId = "de010000-0000-4000-8000-0000003f9a12".parse().unwrap();
        let next: ClinicianId = "de010000-0000-4000-8000-0000003f9a13".parse().unwrap();
        assert_eq!(pseudonym(&key, id), pseudonym(&key, id));
        assert_ne!(pseudonym(&key, id), pseudonym(&key, next));
        // Nothing of the id's text shows in the code.
        let code = pseudonym(&key, id);
        let hex = code.trim_start_matches("Clinician ").to_lowercase();
        assert_eq!(hex.len(), 6);
        assert!(!id.uuid().simple().to_string().contains(&hex), "{code}");
        // Another key, another code: the key is what makes it.
        assert_ne!(pseudonym(&[1u8; 32], id), code);
    }
}
