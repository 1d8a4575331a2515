//! API keys: `ct_<sandbox|live>_<key id>_<secret>`. The 12-character key
//! id is public (it finds the row); the 32-character secret is random; the
//! table keeps only the SHA-256 of the whole key, compared in constant time.

use crate::audit::repo::{record, Chain, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::Role;
use crate::db::Tx;
use crate::domain::{BoundedText, TextRules};
use crate::error::AppError;
use crate::identity::{OrganizationId, UserId};
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

/// A new key: shown once, stored as its hash.
pub struct NewKey {
    pub text: String,
    pub key_id: String,
    pub hash: [u8; 32],
}

/// Makes a key for the sandbox or for live use.
pub fn generate(sandbox: bool) -> NewKey {
    let mut rng = rand::rng();
    let key_id = Alphanumeric.sample_string(&mut rng, 12).to_lowercase();
    let secret = Alphanumeric.sample_string(&mut rng, 32);
    let env = if sandbox { "sandbox" } else { "live" };
    let text = format!("ct_{env}_{key_id}_{secret}");
    let hash = Sha256::digest(text.as_bytes()).into();
    NewKey { text, key_id, hash }
}

/// Makes a live key for `org` (acting as a referrer for a referring
/// organization, as clinic staff for a clinic), records `api_key.created`
/// in the organization's chain as the transaction's actor, and returns the
/// key's text (shown once, stored only as its hash). The one way a live
/// key is made: the developer page (a clinic administrator, for their own
/// organization) and the operator's `server api-key create` both call it.
/// The caller commits.
pub async fn create_live<S: Chain>(
    tx: &mut Tx<S>,
    org: OrganizationId,
    name: &str,
    created_by: Option<UserId>,
) -> Result<String, AppError> {
    let name = BoundedText::parse(name, TextRules::single_line("name", 1, 120))
        .map_err(|m| AppError::invalid("name", m))?;
    let kind = sqlx::query_scalar!(
        "SELECT kind::text FROM organizations WHERE id = $1 AND NOT sandbox",
        org as OrganizationId
    )
    .fetch_optional(tx.conn())
    .await?
    .flatten();
    let acts_as = match kind.as_deref() {
        Some("referrer") => Role::Referrer,
        Some("clinic") => Role::ClinicStaff,
        Some(_) => {
            return Err(AppError::invalid(
                "organization_id",
                "API keys act for clinics and referring organizations.",
            ))
        }
        None => {
            return Err(AppError::invalid(
                "organization_id",
                "No such organization.",
            ))
        }
    };
    let key = generate(false);
    let id = sqlx::query_scalar!(
        "INSERT INTO api_keys (organization_id, key_id, secret_hash, environment, name, acts_as, created_by)
         VALUES ($1, $2, $3, 'live', $4, $5, $6) RETURNING id",
        org as OrganizationId,
        key.key_id,
        key.hash.as_slice(),
        name.as_str(),
        acts_as as Role,
        created_by as Option<UserId>
    )
    .fetch_one(tx.conn())
    .await?;
    record(
        tx,
        Entry::new(AuditAction::ApiKeyCreated)
            .subject(Subject::new("api_key", id))
            .details(serde_json::json!({ "organization_id": org, "key_id": key.key_id })),
    )
    .await?;
    Ok(key.text)
}

/// The parts of a presented key, when it has the right shape.
pub struct Presented<'a> {
    pub sandbox: bool,
    pub key_id: &'a str,
}

pub fn parse(raw: &str) -> Option<Presented<'_>> {
    let (sandbox, rest) = if let Some(rest) = raw.strip_prefix("ct_sandbox_") {
        (true, rest)
    } else {
        (false, raw.strip_prefix("ct_live_")?)
    };
    let (key_id, secret) = rest.split_once('_')?;
    let shaped = key_id.len() == 12
        && key_id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && secret.len() == 32
        && secret.chars().all(|c| c.is_ascii_alphanumeric());
    shaped.then_some(Presented { sandbox, key_id })
}

/// Whether `presented` hashes to `stored`, compared in constant time.
pub fn matches(stored: &[u8], presented: &str) -> bool {
    let hash: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    stored.len() == hash.len()
        && stored
            .iter()
            .zip(hash.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_prefixed_by_environment_and_parse_back() {
        let k = generate(true);
        assert!(k.text.starts_with("ct_sandbox_"));
        let p = parse(&k.text).unwrap();
        assert!(p.sandbox);
        assert_eq!(p.key_id, k.key_id);
        assert!(matches(&k.hash, &k.text));
        let live = generate(false);
        assert!(live.text.starts_with("ct_live_"));
        assert!(!parse(&live.text).unwrap().sandbox);
        assert!(!matches(&k.hash, &live.text));
    }

    #[test]
    fn malformed_keys_are_refused_without_a_lookup() {
        for bad in [
            "",
            "ct_sandbox_",
            "ct_test_abcdefabcdef_x",
            "Bearer x",
            "ct_live_ABCDEFABCDEF_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
