//! The Stripe adapter: a hold is a PaymentIntent confirmed with
//! `capture_method=manual` (an authorization, captured or cancelled later);
//! a refund is a Refund of that PaymentIntent; a payout is a Connect
//! Transfer to the clinician's connected account. Idempotency keys travel in
//! Stripe's `Idempotency-Key` header.
//!
//! Why a small client of our own and not `async-stripe`: its 1.0 types
//! parse a response only when every field Stripe documents as required is
//! there (`amount_capturable`, `confirmation_method`, …). `localstripe`, the
//! emulator the tests run this adapter against, leaves many of them out, so
//! with the crate no call could be tested here; and its generated code
//! (about 12 MB of source for the shared types alone) would dominate our
//! build. We make five calls and read three fields of each answer; the
//! form encoding is `serde_urlencoded` (through reqwest), the errors are
//! Stripe's documented error object.
//!
//! `localstripe` has no `/v1/transfers`: the transfer call is written to
//! Stripe's reference and untested here (README, "Payments").

use super::{Authorization, AuthorizeRequest, CardProcessor, ProcessorError, TransferId};
use crate::payments::Cents;
use serde::Deserialize;
use std::time::Duration;

#[derive(Clone)]
pub struct StripeProcessor {
    http: reqwest::Client,
    /// `https://api.stripe.com`, or an emulator's address.
    base: String,
    secret: std::sync::Arc<str>,
}

impl std::fmt::Debug for StripeProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeProcessor")
            .field("base", &self.base)
            .field("secret", &"…")
            .finish()
    }
}

/// Stripe's error object (`{"error": {...}}`).
#[derive(Deserialize)]
struct ErrorBody {
    error: StripeError,
}

#[derive(Deserialize)]
struct StripeError {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// The fields of a PaymentIntent (or Refund, or Transfer) we read.
#[derive(Deserialize)]
struct Object {
    id: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    last_payment_error: Option<StripeError>,
}

/// A Stripe object id as a path segment: `pi_` and letters and digits only,
/// so no id can change which URL is called.
fn intent_path(id: &str, action: &str) -> Result<String, ProcessorError> {
    let ok = id.strip_prefix("pi_").is_some_and(|rest| {
        !rest.is_empty() && rest.len() < 100 && rest.chars().all(|c| c.is_ascii_alphanumeric())
    });
    if ok {
        Ok(format!("/v1/payment_intents/{id}/{action}")
            .trim_end_matches('/')
            .to_owned())
    } else {
        Err(ProcessorError::Invalid {
            message: "not a PaymentIntent id".to_owned(),
        })
    }
}

impl StripeProcessor {
    pub fn new(base: impl Into<String>, secret: impl Into<String>) -> Result<Self, ProcessorError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .build()
            .map_err(|e| ProcessorError::Unavailable {
                message: e.to_string(),
            })?;
        Ok(Self {
            http,
            base: base.into().trim_end_matches('/').to_owned(),
            secret: secret.into().into(),
        })
    }

    async fn post(
        &self,
        path: &str,
        form: &[(&str, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Object, ProcessorError> {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&*self.secret)
            .form(form);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request
            .send()
            .await
            .map_err(|e| ProcessorError::Unavailable {
                message: e.without_url().to_string(),
            })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| ProcessorError::Unavailable {
                message: e.without_url().to_string(),
            })?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| ProcessorError::Unavailable {
                message: format!("an answer that could not be read: {e}"),
            });
        }
        let error = serde_json::from_slice::<ErrorBody>(&body)
            .ok()
            .map(|b| b.error);
        let message = error
            .as_ref()
            .and_then(|e| e.message.clone())
            .unwrap_or_else(|| format!("HTTP {status}"));
        let card_error = error.as_ref().and_then(|e| e.kind.as_deref()) == Some("card_error")
            || error.as_ref().and_then(|e| e.code.as_deref()) == Some("card_declined");
        Err(if status.as_u16() == 402 || card_error {
            ProcessorError::Declined { reason: message }
        } else if status.is_server_error() || matches!(status.as_u16(), 409 | 429) {
            // 409: the same key is in flight in another request.
            ProcessorError::Unavailable { message }
        } else {
            ProcessorError::Invalid { message }
        })
    }
}

impl StripeProcessor {
    /// A PaymentIntent as it stands (to reconcile a retried step).
    async fn intent(&self, id: &str) -> Result<Object, ProcessorError> {
        let path = intent_path(id, "")?;
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&*self.secret)
            .send()
            .await
            .map_err(|e| ProcessorError::Unavailable {
                message: e.without_url().to_string(),
            })?;
        if !response.status().is_success() {
            return Err(ProcessorError::Unavailable {
                message: format!("HTTP {}", response.status()),
            });
        }
        let body = response
            .bytes()
            .await
            .map_err(|e| ProcessorError::Unavailable {
                message: e.without_url().to_string(),
            })?;
        serde_json::from_slice(&body).map_err(|e| ProcessorError::Unavailable {
            message: format!("an answer that could not be read: {e}"),
        })
    }
}

impl CardProcessor for StripeProcessor {
    async fn authorize(&self, request: &AuthorizeRequest) -> Result<Authorization, ProcessorError> {
        let intent = self
            .post(
                "/v1/payment_intents",
                &[
                    ("amount", request.amount.0.to_string()),
                    ("currency", "usd".to_owned()),
                    ("capture_method", "manual".to_owned()),
                    ("confirm", "true".to_owned()),
                    ("payment_method", request.payment_method.clone()),
                    ("payment_method_types[]", "card".to_owned()),
                    // Not `description`: the emulator refuses it.
                    ("metadata[purpose]", request.description.clone()),
                ],
                Some(&request.idempotency_key),
            )
            .await?;
        match intent.status.as_deref() {
            Some("requires_capture") => Ok(Authorization {
                id: intent.id,
                amount: Cents(intent.amount.unwrap_or(request.amount.0)),
            }),
            Some("requires_payment_method") => Err(ProcessorError::Declined {
                reason: intent
                    .last_payment_error
                    .and_then(|e| e.message)
                    .unwrap_or_else(|| "The card was declined.".to_owned()),
            }),
            // 3-D Secure and the like need the payer in the browser.
            other => Err(ProcessorError::Declined {
                reason: format!(
                    "The card needs the cardholder to confirm it ({}).",
                    other.unwrap_or("no status")
                ),
            }),
        }
    }

    async fn capture(&self, authorization: &str, amount: Cents) -> Result<(), ProcessorError> {
        let key = format!("capture:{authorization}:{}", amount.0);
        let done = self
            .post(
                &intent_path(authorization, "capture")?,
                &[("amount_to_capture", amount.0.to_string())],
                Some(&key),
            )
            .await;
        let intent = match done {
            Ok(intent) => intent,
            // A retry of a capture that went through: the payment says so.
            Err(ProcessorError::Invalid { message }) => {
                let now = self.intent(authorization).await?;
                if now.status.as_deref() != Some("succeeded") {
                    return Err(ProcessorError::Invalid { message });
                }
                now
            }
            Err(other) => return Err(other),
        };
        match intent.status.as_deref() {
            Some("succeeded" | "processing") => Ok(()),
            other => Err(ProcessorError::Invalid {
                message: format!("the payment is {}", other.unwrap_or("in no state")),
            }),
        }
    }

    async fn void(&self, authorization: &str) -> Result<(), ProcessorError> {
        let key = format!("cancel:{authorization}");
        let intent = match self
            .post(&intent_path(authorization, "cancel")?, &[], Some(&key))
            .await
        {
            Ok(intent) => intent,
            Err(ProcessorError::Invalid { message }) => {
                let now = self.intent(authorization).await?;
                if now.status.as_deref() != Some("canceled") {
                    return Err(ProcessorError::Invalid { message });
                }
                now
            }
            Err(other) => return Err(other),
        };
        match intent.status.as_deref() {
            Some("canceled") => Ok(()),
            other => Err(ProcessorError::Invalid {
                message: format!("the payment is {}", other.unwrap_or("in no state")),
            }),
        }
    }

    async fn refund(
        &self,
        authorization: &str,
        amount: Cents,
        idempotency_key: &str,
    ) -> Result<(), ProcessorError> {
        intent_path(authorization, "refund")?;
        self.post(
            "/v1/refunds",
            &[
                ("payment_intent", authorization.to_owned()),
                ("amount", amount.0.to_string()),
            ],
            Some(idempotency_key),
        )
        .await
        .map(|_| ())
    }

    async fn transfer(
        &self,
        destination: &str,
        amount: Cents,
        idempotency_key: &str,
    ) -> Result<TransferId, ProcessorError> {
        let account = destination.strip_prefix("acct_").is_some_and(|rest| {
            !rest.is_empty() && rest.len() < 100 && rest.chars().all(|c| c.is_ascii_alphanumeric())
        });
        if !account || !amount.is_positive() {
            return Err(ProcessorError::Invalid {
                message: "a transfer goes to a connected account (acct_…), for a positive amount"
                    .to_owned(),
            });
        }
        self.post(
            "/v1/transfers",
            &[
                ("amount", amount.0.to_string()),
                ("currency", "usd".to_owned()),
                ("destination", destination.to_owned()),
            ],
            Some(idempotency_key),
        )
        .await
        .map(|t| TransferId(t.id))
    }
}

#[cfg(test)]
mod tests {
    use super::intent_path;

    #[test]
    fn only_a_payment_intent_id_reaches_the_path() {
        assert_eq!(
            intent_path("pi_3Abc123", "capture").unwrap(),
            "/v1/payment_intents/pi_3Abc123/capture"
        );
        for bad in [
            "",
            "pi_",
            "ch_123",
            "pi_1/../../v1/transfers",
            "pi_1?x=1",
            "pi_1 2",
        ] {
            assert!(intent_path(bad, "capture").is_err(), "{bad}");
        }
    }
}
