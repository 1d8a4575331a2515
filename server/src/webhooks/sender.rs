//! Sends webhook messages and logs every attempt: the `webhook.deliver`
//! job, run by the job runner ([`crate::jobs`]), filed by trigger when a
//! message is created or an organization asks for it again.
//!
//! Each attempt counts on the message, is sent with its stable
//! `webhook-id` and fresh signatures, and is logged; a 2xx answer delivers
//! it, anything else is retried by the runner after `base · 2^(attempt-1)`
//! with jitter (at most [`MAX_BACKOFF`]) until [`MAX_ATTEMPTS`], and a
//! destination the SSRF guard refuses (or a disabled endpoint) fails at
//! once: recorded as failed for the organization to see and resend.
//!
//! HTTP client: reqwest (hyper underneath, rustls with the system's
//! certificate store), with redirects off (a redirect could point inside
//! the network), no proxy from the environment, a timeout, and a DNS
//! resolver that applies the destination policy to every address it
//! returns.

use super::sign::sign;
use crate::jobs::{Job, JobContext, JobError, Retry, Round, Runner};
use app::developer::destination::{self, Policy, Refusal};
use app::identity::{OrganizationId, WebhookDeliveryId};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Attempts before a message is given up (about a day with the default base).
pub const MAX_ATTEMPTS: i32 = 10;
/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// How deliveries are made.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: Policy,
    /// The first retry's delay; later ones double.
    retry_base: Duration,
}

/// A resolver that refuses names resolving to addresses the policy refuses.
struct GuardedResolver {
    policy: Policy,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            for addr in &addrs {
                destination::allowed(addr.ip(), policy).map_err(|refusal| {
                    Box::new(std::io::Error::other(refusal.to_string()))
                        as Box<dyn std::error::Error + Send + Sync>
                })?;
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

impl Sender {
    pub fn new(policy: Policy) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Carethread-Webhooks/", env!("CARGO_PKG_VERSION")))
            .dns_resolver(Arc::new(GuardedResolver { policy }))
            .build()?;
        Ok(Self {
            client,
            policy,
            retry_base: Duration::from_secs(30),
        })
    }

    /// The same sender with another first-retry delay (tests).
    pub fn with_retry_base(mut self, retry_base: Duration) -> Self {
        self.retry_base = retry_base;
        self
    }
}

struct Claimed {
    organization_id: OrganizationId,
    id: WebhookDeliveryId,
    body: String,
    attempts: i32,
    url: String,
    secret: String,
    disabled: bool,
}

/// How one attempt went.
struct Outcome {
    status_code: Option<i32>,
    error: Option<String>,
    /// Retrying cannot help (refused destination, disabled endpoint).
    permanent: bool,
    duration: Duration,
}

/// Which message to send.
#[derive(Debug, Serialize, Deserialize)]
pub struct DeliveryRef {
    pub organization_id: OrganizationId,
    pub delivery_id: WebhookDeliveryId,
}

/// The `webhook.deliver` job.
pub struct Deliver {
    sender: Sender,
}

impl Deliver {
    pub fn new(sender: Sender) -> Self {
        Self { sender }
    }
}

impl Job for Deliver {
    const KIND: &'static str = "webhook.deliver";
    type Payload = DeliveryRef;

    fn retry(&self) -> Retry {
        Retry {
            max_attempts: MAX_ATTEMPTS,
            base: self.sender.retry_base,
            cap: MAX_BACKOFF,
        }
    }

    async fn run(&self, ctx: &JobContext, target: DeliveryRef) -> Result<(), JobError> {
        // Counting the attempt on the message keeps the log's numbering
        // across resends (each resend is a new job).
        let row = sqlx::query!(
            r#"UPDATE webhook_deliveries d
               SET attempts = d.attempts + 1
               FROM webhook_endpoints e
               WHERE d.organization_id = $1 AND d.id = $2 AND d.status = 'pending'
                 AND e.organization_id = d.organization_id AND e.id = d.endpoint_id
               RETURNING d.organization_id AS "organization_id: OrganizationId",
                         d.id AS "id: WebhookDeliveryId", d.body, d.attempts, e.url, e.secret,
                         e.disabled_at IS NOT NULL AS "disabled!""#,
            target.organization_id as OrganizationId,
            target.delivery_id as WebhookDeliveryId,
        )
        .fetch_optional(&ctx.pool)
        .await?;
        let Some(row) = row else {
            // Delivered or given up already.
            return Ok(());
        };
        let message = Claimed {
            organization_id: row.organization_id,
            id: row.id,
            body: row.body,
            attempts: row.attempts,
            url: row.url,
            secret: row.secret,
            disabled: row.disabled,
        };
        let outcome = attempt(&self.sender, &message).await;
        let delivered = outcome.error.is_none();
        let give_up = !delivered && (outcome.permanent || ctx.last_attempt());
        record(&ctx.pool, &message, &outcome, give_up, ctx).await?;
        match outcome.error {
            None => {
                tracing::info!(id = %message.id, attempt = message.attempts, "webhook delivered");
                Ok(())
            }
            // Recorded as failed for the organization to see and resend.
            Some(_) if outcome.permanent => Ok(()),
            Some(error) => Err(JobError::Retry(error)),
        }
    }
}

/// Runs the webhook jobs due now with `sender` (tests).
pub async fn deliver_due(pool: &PgPool, sender: &Sender) -> Result<Round, sqlx::Error> {
    Runner::new(pool.clone())
        .register(Deliver::new(sender.clone()))
        .run_once()
        .await
}

async fn attempt(sender: &Sender, message: &Claimed) -> Outcome {
    let started = Instant::now();
    let failed = |error: String, permanent: bool, status_code: Option<i32>| Outcome {
        status_code,
        error: Some(error.chars().take(500).collect()),
        permanent,
        duration: started.elapsed(),
    };
    if message.disabled {
        return failed("The endpoint is disabled.".into(), true, None);
    }
    let dest = match destination::parse(&message.url, sender.policy) {
        Ok(d) => d,
        Err(refusal) => return failed(refusal.to_string(), true, None),
    };
    // Literal addresses never reach the resolver: check them (and names,
    // for a clear message) here.
    match destination::resolve(&dest, sender.policy).await {
        Ok(_) => {}
        Err(refusal @ Refusal::NotGlobal(_)) => return failed(refusal.to_string(), true, None),
        Err(refusal) => return failed(refusal.to_string(), false, None),
    }
    let id = message.id.to_string();
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp();
    let signatures = match sign(&message.secret, &id, timestamp, &message.body) {
        Ok(s) => s,
        Err(e) => return failed(e.to_string(), true, None),
    };
    let response = sender
        .client
        .post(dest.url)
        .header("content-type", "application/json")
        .header("webhook-id", &id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signatures.standard)
        .header("x-carethread-signature", signatures.body_sha256)
        .body(message.body.clone())
        .send()
        .await;
    match response {
        Ok(r) if r.status().is_success() => Outcome {
            status_code: Some(i32::from(r.status().as_u16())),
            error: None,
            permanent: false,
            duration: started.elapsed(),
        },
        Ok(r) => {
            let status = r.status();
            let why = if status.is_redirection() {
                format!("HTTP {status}: redirects are not followed")
            } else {
                format!("HTTP {status}")
            };
            failed(why, false, Some(i32::from(status.as_u16())))
        }
        Err(e) => {
            let why = if e.is_timeout() {
                "timed out after 10 s".to_owned()
            } else if e.is_connect() {
                format!("could not connect: {}", root_cause(&e))
            } else {
                root_cause(&e)
            };
            failed(why, false, None)
        }
    }
}

fn root_cause(error: &dyn std::error::Error) -> String {
    let mut cause = error;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

async fn record(
    pool: &PgPool,
    message: &Claimed,
    outcome: &Outcome,
    give_up: bool,
    ctx: &JobContext,
) -> Result<(), sqlx::Error> {
    let mut tx = app::db::begin(pool).await?;
    sqlx::query!(
        "INSERT INTO webhook_attempts
             (organization_id, delivery_id, attempt, status_code, error, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING",
        message.organization_id as OrganizationId,
        message.id as WebhookDeliveryId,
        message.attempts,
        outcome.status_code,
        outcome.error,
        i32::try_from(outcome.duration.as_millis()).unwrap_or(i32::MAX),
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE webhook_deliveries
         SET status = CASE WHEN $3 THEN 'delivered'::webhook_status
                           WHEN $4 THEN 'failed'::webhook_status
                           ELSE 'pending'::webhook_status END,
             delivered_at = CASE WHEN $3 THEN now() ELSE delivered_at END,
             next_attempt_at = coalesce($5, now())
         WHERE organization_id = $1 AND id = $2",
        message.organization_id as OrganizationId,
        message.id as WebhookDeliveryId,
        outcome.error.is_none(),
        give_up,
        ctx.retry_at,
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let retry = Deliver::new(Sender::new(Policy::default()).unwrap()).retry();
        assert_eq!(retry.ceiling(1), Duration::from_secs(30));
        assert_eq!(retry.ceiling(3), Duration::from_secs(120));
        assert_eq!(retry.ceiling(30), MAX_BACKOFF);
    }
}
