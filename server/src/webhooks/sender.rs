//! Sends due webhook messages and logs every attempt.
//!
//! A round claims up to [`BATCH`] due messages: the claim counts the
//! attempt and pushes `next_attempt_at` a lease ahead, so another process
//! skips them, and a process that dies mid-send leaves them to be tried
//! again when the lease runs out (at least once, never lost). Each message
//! is then sent with its stable `webhook-id` and fresh signatures; a 2xx
//! answer delivers it, anything else schedules a retry after
//! `base · 2^(attempt-1)` (at most [`MAX_BACKOFF`]) until [`MAX_ATTEMPTS`],
//! and a destination the SSRF guard refuses fails at once.
//!
//! HTTP client: reqwest (hyper underneath, rustls with the system's
//! certificate store), with redirects off (a redirect could point inside
//! the network), no proxy from the environment, a timeout, and a DNS
//! resolver that applies the destination policy to every address it
//! returns.

use super::sign::sign;
use app::developer::destination::{self, Policy, Refusal};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::{JoinHandle, JoinSet};
use uuid::Uuid;

/// Attempts before a message is given up (about a day with the default base).
pub const MAX_ATTEMPTS: i32 = 10;
/// Messages claimed per round.
const BATCH: i64 = 20;
/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(6 * 3600);

/// How deliveries are made.
#[derive(Clone)]
pub struct Sender {
    client: reqwest::Client,
    policy: Policy,
    /// The first retry's delay; later ones double.
    retry_base: Duration,
    /// How long a claim holds before another worker may retry.
    lease: Duration,
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
            lease: Duration::from_secs(120),
        })
    }

    /// The same sender with another first-retry delay and lease (tests).
    pub fn with_timing(mut self, retry_base: Duration, lease: Duration) -> Self {
        self.retry_base = retry_base;
        self.lease = lease;
        self
    }

    fn backoff(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(20);
        self.retry_base
            .saturating_mul(1u32 << exponent)
            .min(MAX_BACKOFF)
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub failed: usize,
}

struct Claimed {
    organization_id: Uuid,
    id: Uuid,
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

/// Claims due messages and tries each once.
pub async fn deliver_due(pool: &PgPool, sender: &Sender) -> Result<Round, sqlx::Error> {
    let claimed = sqlx::query!(
        r#"UPDATE webhook_deliveries d
           SET attempts = d.attempts + 1,
               next_attempt_at = now() + make_interval(secs => $2)
           FROM webhook_endpoints e
           WHERE (d.organization_id, d.id) IN (
                   SELECT organization_id, id FROM webhook_deliveries
                   WHERE status = 'pending' AND next_attempt_at <= now()
                   ORDER BY next_attempt_at
                   LIMIT $1
                   FOR UPDATE SKIP LOCKED)
             AND e.organization_id = d.organization_id AND e.id = d.endpoint_id
           RETURNING d.organization_id, d.id, d.body, d.attempts, e.url, e.secret,
                     e.disabled_at IS NOT NULL AS "disabled!""#,
        BATCH,
        sender.lease.as_secs_f64(),
    )
    .fetch_all(pool)
    .await?;

    let mut sends = JoinSet::new();
    for row in claimed {
        let message = Claimed {
            organization_id: row.organization_id,
            id: row.id,
            body: row.body,
            attempts: row.attempts,
            url: row.url,
            secret: row.secret,
            disabled: row.disabled,
        };
        let sender = sender.clone();
        sends.spawn(async move {
            let outcome = attempt(&sender, &message).await;
            (message, outcome)
        });
    }
    let mut round = Round::default();
    while let Some(joined) = sends.join_next().await {
        let Ok((message, outcome)) = joined else {
            continue;
        };
        let delivered = outcome.error.is_none();
        let give_up = !delivered && (outcome.permanent || message.attempts >= MAX_ATTEMPTS);
        record(
            pool,
            &message,
            &outcome,
            give_up,
            sender.backoff(message.attempts),
        )
        .await?;
        if delivered {
            round.delivered += 1;
            tracing::info!(id = %message.id, attempt = message.attempts, "webhook delivered");
        } else {
            round.failed += 1;
            tracing::warn!(
                id = %message.id,
                attempt = message.attempts,
                give_up,
                error = outcome.error.as_deref().unwrap_or_default(),
                "webhook not delivered"
            );
        }
    }
    Ok(round)
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
    retry_in: Duration,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "INSERT INTO webhook_attempts
             (organization_id, delivery_id, attempt, status_code, error, duration_ms)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT DO NOTHING",
        message.organization_id,
        message.id,
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
             next_attempt_at = now() + make_interval(secs => $5)
         WHERE organization_id = $1 AND id = $2",
        message.organization_id,
        message.id,
        outcome.error.is_none(),
        give_up,
        retry_in.as_secs_f64(),
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Runs the worker until the process ends: a round on every notification
/// (`webhooks` channel) and every `poll` otherwise. A round first files
/// messages for new events, then sends what is due.
pub fn spawn(pool: PgPool, sender: Sender, public_url: String, poll: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(mut l) => l.listen("webhooks").await.ok().map(|()| l),
            Err(_) => None,
        };
        if listener.is_none() {
            tracing::warn!("webhook worker cannot LISTEN; polling only");
        }
        loop {
            if let Err(error) = super::fanout::fan_out(&pool, &public_url).await {
                tracing::warn!(%error, "webhook fan-out failed");
            }
            match deliver_due(&pool, &sender).await {
                Ok(round) if round.delivered + round.failed >= BATCH as usize => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "webhook round failed"),
            }
            match listener.as_mut() {
                Some(l) => {
                    if let Ok(Err(_)) = tokio::time::timeout(poll, l.recv()).await {
                        tokio::time::sleep(poll).await;
                    }
                }
                None => tokio::time::sleep(poll).await,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        let s = Sender::new(Policy::default()).unwrap();
        assert_eq!(s.backoff(1), Duration::from_secs(30));
        assert_eq!(s.backoff(3), Duration::from_secs(120));
        assert_eq!(s.backoff(30), MAX_BACKOFF);
    }
}
