//! Shared shapes of the developer API.

use serde::{Deserialize, Serialize};

/// A key's quota as every JSON response reports it (and the `RateLimit-*`
/// headers mirror): the tighter of the minute and day windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rate {
    /// Requests allowed in the window.
    pub limit: i64,
    /// Requests left in the window (0 when exhausted).
    pub remaining: i64,
    /// Seconds until the window resets.
    pub reset: i64,
    /// `minute` or `day`.
    pub window: &'static str,
    /// This request was over the limit.
    #[serde(skip)]
    pub exceeded: bool,
}

/// The events an endpoint can subscribe to.
pub const WEBHOOK_EVENTS: [&str; 5] = [
    "referral.created",
    "referral.matched",
    "referral.accepted",
    "referral.declined",
    "ping",
];

/// A registered webhook endpoint (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: uuid::Uuid,
    pub url: String,
    pub description: String,
    pub events: Vec<String>,
    /// RFC 3339.
    pub created_at: String,
    pub enabled: bool,
}

/// A newly registered endpoint and its signing secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebhook {
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`: the Standard Webhooks key; also the HMAC key (as text)
    /// of `X-Carethread-Signature`.
    pub secret: String,
}

/// One message to an endpoint and how its delivery went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    /// The `webhook-id` header: the same on every attempt.
    pub id: uuid::Uuid,
    pub endpoint_id: uuid::Uuid,
    pub event_type: String,
    /// pending, delivered or failed.
    pub status: String,
    /// RFC 3339.
    pub created_at: String,
    /// When the next attempt is due (pending only), RFC 3339.
    pub next_attempt_at: Option<String>,
    pub attempts: Vec<WebhookAttempt>,
}

/// One attempt to deliver a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookAttempt {
    pub attempt: i32,
    /// RFC 3339.
    pub at: String,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i32,
}

/// A live API key as its administrators see it (never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: uuid::Uuid,
    pub name: String,
    /// `ct_live_<key id>`: enough to recognise it, useless to use it.
    pub prefix: String,
    pub organization: String,
    /// The role it acts with.
    pub acts_as: String,
    pub created_at: time::OffsetDateTime,
    pub last_used_at: Option<time::OffsetDateTime>,
    pub revoked_at: Option<time::OffsetDateTime>,
}

/// The key-management section of the developer page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeysView {
    /// The organization acted for.
    pub organization: String,
    /// A platform administrator: keys of every organization, to see and
    /// revoke (they make none).
    pub platform: bool,
    pub keys: Vec<ApiKeyView>,
}

/// What the API answered to a request made from the developer page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TryResult {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub reason: String,
    /// The rate-limit and content headers.
    pub headers: Vec<(String, String)>,
    /// Pretty-printed when it is JSON.
    pub body: String,
}
