//! The mail worker: sends what the web role filed in `mail_outbox`.
//!
//! - Connected as `carethread_worker`, the only role that may read the
//!   outbox.
//! - Woken by `NOTIFY mail_outbox` when a message is committed, and polls
//!   as well, so a missed notification only delays a message.
//! - Claims a batch with `FOR UPDATE SKIP LOCKED` and a lease (the claim
//!   pushes `next_attempt_at` forward): several server processes never
//!   send the same message at once, and a process that dies mid-send
//!   leaves its claim to be retried when the lease runs out.
//! - A failed send is retried with exponential backoff
//!   (`base · 2^(attempt-1)`, at most an hour) up to [`MAX_ATTEMPTS`]; an
//!   address the SMTP server can never accept fails at once.
//! - Once sent, the bodies are erased; the row stays as the record.

use crate::config::{MailConfig, Secret};
use anyhow::Context;
use lettre::message::{Mailbox as Address, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use std::time::Duration;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i32 = 12;
/// Messages claimed per round.
const BATCH: i64 = 20;
/// How long a claim holds before another worker may retry the message.
const LEASE_SECS: f64 = 300.0;
/// The longest wait between attempts.
const MAX_BACKOFF_SECS: u64 = 3600;

/// Sends mail over SMTP.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Address,
    /// The first retry's delay; later ones double.
    retry_base: Duration,
}

impl Mailer {
    /// A mailer for `smtp_url` (see `MailConfig`), sending as `from`.
    pub fn new(smtp_url: &Secret, from: &str, retry_base: Duration) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url.expose())
            .context("SMTP_URL is not a valid smtp:// or smtps:// URL")?
            .timeout(Some(Duration::from_secs(15)))
            .build();
        let from = from.parse().with_context(|| {
            "MAIL_FROM is not a valid address like `Carethread <no-reply@example.org>`"
        })?;
        Ok(Self {
            transport,
            from,
            retry_base,
        })
    }

    /// A mailer for the configuration, given where the development sink
    /// listens when no SMTP server is configured.
    pub fn from_config(
        config: &MailConfig,
        sink: Option<std::net::SocketAddr>,
    ) -> anyhow::Result<Self> {
        let url = match (&config.smtp_url, sink) {
            (Some(url), _) => url.clone(),
            (None, Some(addr)) => Secret::new(format!("smtp://{addr}")),
            (None, None) => anyhow::bail!("no SMTP server: set SMTP_URL"),
        };
        Self::new(&url, &config.from, Duration::from_secs(30))
    }

    /// The same mailer with another first-retry delay (tests).
    pub fn with_retry_base(mut self, retry_base: Duration) -> Self {
        self.retry_base = retry_base;
        self
    }

    fn backoff(&self, attempts: i32) -> Duration {
        let exponent = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(16);
        let secs = self.retry_base.as_secs_f64() * f64::from(1u32 << exponent);
        Duration::from_secs_f64(secs.min(MAX_BACKOFF_SECS as f64))
    }
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub failed: usize,
}

/// Claims due messages and tries to send each once.
pub async fn deliver_due(pool: &PgPool, mailer: &Mailer) -> Result<Round, sqlx::Error> {
    let claimed = sqlx::query!(
        r#"UPDATE mail_outbox
           SET attempts = attempts + 1,
               next_attempt_at = now() + make_interval(secs => $2)
           WHERE id IN (
               SELECT id FROM mail_outbox
               WHERE status = 'queued' AND next_attempt_at <= now()
               ORDER BY next_attempt_at
               LIMIT $1
               FOR UPDATE SKIP LOCKED)
           RETURNING id, template, recipient, subject,
                     body_text AS "body_text!", body_html AS "body_html!", attempts"#,
        BATCH,
        LEASE_SECS,
    )
    .fetch_all(pool)
    .await?;

    let mut round = Round::default();
    for mail in claimed {
        let outcome = send(
            mailer,
            &mail.recipient,
            &mail.subject,
            mail.body_text,
            mail.body_html,
        )
        .await;
        match outcome {
            Ok(()) => {
                mark_sent(pool, mail.id).await?;
                tracing::info!(id = %mail.id, template = mail.template, "mail sent");
                round.sent += 1;
            }
            Err(failure) => {
                let give_up = failure.permanent || mail.attempts >= MAX_ATTEMPTS;
                let retry_in = mailer.backoff(mail.attempts);
                mark_failed(pool, mail.id, &failure.message, give_up, retry_in).await?;
                tracing::warn!(
                    id = %mail.id,
                    template = mail.template,
                    attempt = mail.attempts,
                    give_up,
                    error = %failure.message,
                    "mail not sent"
                );
                round.failed += 1;
            }
        }
    }
    Ok(round)
}

struct SendFailure {
    message: String,
    /// Retrying cannot help (a malformed address, a permanent SMTP refusal).
    permanent: bool,
}

async fn send(
    mailer: &Mailer,
    recipient: &str,
    subject: &str,
    text: String,
    html: String,
) -> Result<(), SendFailure> {
    let to: Address = recipient.parse().map_err(|e| SendFailure {
        message: format!("invalid recipient: {e}"),
        permanent: true,
    })?;
    let message = Message::builder()
        .from(mailer.from.clone())
        .to(to)
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(text, html))
        .map_err(|e| SendFailure {
            message: format!("could not build the message: {e}"),
            permanent: true,
        })?;
    mailer
        .transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| SendFailure {
            permanent: e.is_permanent(),
            message: e.to_string().chars().take(900).collect(),
        })
}

async fn mark_sent(pool: &PgPool, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE mail_outbox
         SET status = 'sent', sent_at = now(), body_text = NULL, body_html = NULL, last_error = NULL
         WHERE id = $1",
        id
    )
    .execute(pool)
    .await?;
    Ok(())
}

async fn mark_failed(
    pool: &PgPool,
    id: Uuid,
    error: &str,
    give_up: bool,
    retry_in: Duration,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE mail_outbox
         SET status = CASE WHEN $3 THEN 'failed'::mail_status ELSE 'queued'::mail_status END,
             next_attempt_at = now() + make_interval(secs => $4),
             last_error = $2
         WHERE id = $1",
        id,
        error,
        give_up,
        retry_in.as_secs_f64(),
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Runs the worker until the process ends: a round on every notification
/// and every `poll` otherwise. A round first turns new domain events into
/// mail (see `notify`, with links to `public_url`), then sends what is due.
pub fn spawn(pool: PgPool, mailer: Mailer, public_url: String, poll: Duration) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(mut l) => match l.listen("mail_outbox").await {
                Ok(()) => Some(l),
                Err(error) => {
                    tracing::warn!(%error, "mail worker cannot LISTEN; polling only");
                    None
                }
            },
            Err(error) => {
                tracing::warn!(%error, "mail worker cannot LISTEN; polling only");
                None
            }
        };
        loop {
            if let Err(error) = super::notify::fan_out(&pool, &public_url).await {
                tracing::warn!(%error, "notification fan-out failed");
            }
            match deliver_due(&pool, &mailer).await {
                // A full batch may mean more are due: go again at once.
                Ok(round) if round.sent + round.failed >= BATCH as usize => continue,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "mail worker round failed"),
            }
            match listener.as_mut() {
                Some(l) => {
                    if let Ok(Err(error)) = tokio::time::timeout(poll, l.recv()).await {
                        // The listener reconnects on the next recv; do not spin.
                        tracing::debug!(%error, "mail notification channel interrupted");
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
    fn backoff_doubles_from_the_base_and_stops_at_an_hour() {
        let mailer = Mailer::new(
            &Secret::new("smtp://127.0.0.1:2525"),
            "Carethread <no-reply@example.org>",
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(mailer.backoff(1), Duration::from_secs(30));
        assert_eq!(mailer.backoff(2), Duration::from_secs(60));
        assert_eq!(mailer.backoff(4), Duration::from_secs(240));
        assert_eq!(mailer.backoff(12), Duration::from_secs(3600));
    }

    #[test]
    fn a_bad_from_address_is_a_configuration_error() {
        let e = Mailer::new(
            &Secret::new("smtp://127.0.0.1:2525"),
            "nobody",
            Duration::from_secs(1),
        )
        .err()
        .unwrap();
        assert!(e.to_string().contains("MAIL_FROM"));
    }
}
