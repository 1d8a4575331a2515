//! Signatures on webhook deliveries.
//!
//! - Standard Webhooks (<https://www.standardwebhooks.com>): headers
//!   `webhook-id`, `webhook-timestamp` (Unix seconds) and
//!   `webhook-signature: v1,<base64 HMAC-SHA256>` over
//!   `"{id}.{timestamp}.{body}"`, keyed with the base64-decoded part of the
//!   `whsec_…` secret. Any Standard Webhooks library verifies it.
//! - `X-Carethread-Signature: sha256=<hex HMAC-SHA256 of the raw body>`,
//!   keyed with the secret's text as shown (`whsec_…` included), for
//!   receivers that check a single body signature (as the reference API's
//!   example does). It does not cover the timestamp, so it does not stop
//!   replays; the Standard Webhooks signature does.

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The signature headers of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signatures {
    /// `v1,<base64>`.
    pub standard: String,
    /// `sha256=<hex>`.
    pub body_sha256: String,
}

/// The secret is not a `whsec_` base64 key.
#[derive(Debug, thiserror::Error)]
#[error("the webhook secret is not a whsec_ key")]
pub struct BadSecret;

pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<Signatures, BadSecret> {
    let key = secret
        .strip_prefix("whsec_")
        .and_then(|k| base64::engine::general_purpose::STANDARD.decode(k).ok())
        .ok_or(BadSecret)?;
    let mut standard = HmacSha256::new_from_slice(&key).map_err(|_| BadSecret)?;
    standard.update(format!("{id}.{timestamp}.").as_bytes());
    standard.update(body.as_bytes());
    let mut body_mac = HmacSha256::new_from_slice(secret.as_bytes()).map_err(|_| BadSecret)?;
    body_mac.update(body.as_bytes());
    Ok(Signatures {
        standard: format!(
            "v1,{}",
            base64::engine::general_purpose::STANDARD.encode(standard.finalize().into_bytes())
        ),
        body_sha256: format!("sha256={}", hex::encode(body_mac.finalize().into_bytes())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_webhooks_specification_example() {
        // The example in the Standard Webhooks specification.
        let s = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330,
            r#"{"test": 2432232314}"#,
        )
        .unwrap();
        assert_eq!(
            s.standard,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert!(s.body_sha256.starts_with("sha256=") && s.body_sha256.len() == 7 + 64);
    }

    #[test]
    fn a_secret_that_is_not_a_whsec_key_is_refused() {
        assert!(sign("secret", "id", 1, "{}").is_err());
        assert!(sign("whsec_***", "id", 1, "{}").is_err());
    }
}
