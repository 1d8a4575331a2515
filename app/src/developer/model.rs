//! Shared shapes of the developer API.

use crate::domain::vocab::labelled_enum;
use crate::domain::EventType;
use serde::{Deserialize, Serialize};

labelled_enum!(
    /// Where a key works: the sandbox (synthetic data) or live.
    ApiEnvironment, "api_environment", [
        Sandbox = "sandbox": "Sandbox",
        Live = "live": "Live",
    ]
);

labelled_enum!(
    /// A rate-limit window: requests are counted per minute and per UTC day.
    RateWindow, "rate_window", [
        Minute = "minute": "Minute",
        Day = "day": "Day",
    ]
);

impl RateWindow {
    /// The window's length in seconds.
    pub fn seconds(self) -> i64 {
        match self {
            RateWindow::Minute => 60,
            RateWindow::Day => 86_400,
        }
    }
}

labelled_enum!(
    /// Where a webhook message stands.
    DeliveryStatus, "webhook_status", [
        Pending = "pending": "Pending",
        Delivered = "delivered": "Delivered",
        Failed = "failed": "Failed",
    ]
);

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
    pub window: RateWindow,
    /// This request was over the limit.
    #[serde(skip)]
    pub exceeded: bool,
}

/// The events an endpoint can subscribe to.
pub const WEBHOOK_EVENTS: [EventType; 7] = EventType::SUBSCRIBABLE;

/// A registered webhook endpoint (never with its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: crate::identity::WebhookEndpointId,
    pub url: String,
    pub description: String,
    pub events: Vec<EventType>,
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
    pub id: crate::identity::WebhookDeliveryId,
    pub endpoint_id: crate::identity::WebhookEndpointId,
    pub event_type: EventType,
    pub status: DeliveryStatus,
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
    pub id: crate::identity::ApiKeyId,
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
