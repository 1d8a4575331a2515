//! Sending mail: the `mail.deliver` job, run by the job runner
//! ([`crate::jobs`]) as `carethread_worker`, the only role that may read
//! the outbox.
//!
//! - Filed by trigger when a message is queued in `mail_outbox`, in the
//!   transaction of the change it reports.
//! - A failed send is retried by the runner with exponential backoff and
//!   jitter (`base · 2^(attempt-1)`, at most an hour) up to
//!   [`MAX_ATTEMPTS`]; the outbox row records each attempt and when the next
//!   is due. An address the SMTP server can never accept fails at once.
//! - Once sent, the bodies are erased; the row stays as the record.

use crate::config::{MailConfig, Secret};
use crate::jobs::{Job, JobContext, JobError, Retry, Round, Runner};
use anyhow::Context;
use lettre::message::{Mailbox as Address, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::time::Duration;

/// Attempts before a message is given up as failed.
pub const MAX_ATTEMPTS: i32 = 12;
/// The longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

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
}

/// Sends one queued message: the `mail.deliver` job, filed by trigger when
/// a message is queued.
pub struct Deliver {
    mailer: Mailer,
}

impl Deliver {
    pub fn new(mailer: Mailer) -> Self {
        Self { mailer }
    }
}

/// Which message to send.
#[derive(Debug, Serialize, Deserialize)]
pub struct MailId {
    // The outbox row's id type, by path: this payload shares its name.
    pub mail_id: app::identity::MailId,
}

impl Job for Deliver {
    const KIND: &'static str = "mail.deliver";
    type Payload = MailId;

    fn retry(&self) -> Retry {
        Retry {
            max_attempts: MAX_ATTEMPTS,
            base: self.mailer.retry_base,
            cap: MAX_BACKOFF,
        }
    }

    async fn run(&self, ctx: &JobContext, payload: MailId) -> Result<(), JobError> {
        // Not yet sent (a message given up earlier is tried again when an
        // administrator retries its job).
        let Some(mail) = sqlx::query!(
            r#"SELECT template, recipient, subject,
                      body_text AS "body_text!", body_html AS "body_html!"
               FROM mail_outbox
               WHERE id = $1 AND status <> 'sent' AND body_text IS NOT NULL
                 AND body_html IS NOT NULL"#,
            payload.mail_id as app::identity::MailId
        )
        .fetch_optional(&ctx.pool)
        .await?
        else {
            return Ok(());
        };
        let outcome = send(
            &self.mailer,
            &mail.recipient,
            &mail.subject,
            mail.body_text,
            mail.body_html,
        )
        .await;
        match outcome {
            Ok(()) => {
                mark_sent(&ctx.pool, payload.mail_id, ctx.attempt).await?;
                tracing::info!(id = %payload.mail_id, template = mail.template, "mail sent");
                Ok(())
            }
            Err(failure) => {
                let give_up = failure.permanent || ctx.last_attempt();
                mark_failed(&ctx.pool, payload.mail_id, ctx, &failure.message, give_up).await?;
                tracing::warn!(
                    id = %payload.mail_id,
                    template = mail.template,
                    attempt = ctx.attempt,
                    give_up,
                    error = %failure.message,
                    "mail not sent"
                );
                if failure.permanent {
                    // Recorded as failed for whoever reads the outbox;
                    // retrying cannot help, so the job itself is done.
                    Ok(())
                } else {
                    // The SMTP server's words (which can echo the
                    // address) stay on the outbox row, which only this
                    // role reads; the job, which platform administrators
                    // see, says only what kind of failure it was.
                    Err(JobError::Retry(
                        "the SMTP server did not take the message; the outbox row has its answer"
                            .into(),
                    ))
                }
            }
        }
    }
}

/// Runs the mail jobs due now with `mailer` (tests).
pub async fn deliver_due(pool: &PgPool, mailer: &Mailer) -> Result<Round, sqlx::Error> {
    Runner::new(pool.clone())
        .register(Deliver::new(mailer.clone()))
        .run_once()
        .await
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

async fn mark_sent(
    pool: &PgPool,
    id: app::identity::MailId,
    attempt: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE mail_outbox
         SET status = 'sent', sent_at = now(), body_text = NULL, body_html = NULL,
             last_error = NULL, attempts = $2
         WHERE id = $1",
        id as app::identity::MailId,
        attempt
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Records a failed attempt on the message (the delivery record): how many,
/// why, and when the next one is due.
async fn mark_failed(
    pool: &PgPool,
    id: app::identity::MailId,
    ctx: &JobContext,
    error: &str,
    give_up: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE mail_outbox
         SET status = CASE WHEN $3 THEN 'failed'::mail_status ELSE 'queued'::mail_status END,
             next_attempt_at = coalesce($4, now()),
             attempts = $5,
             last_error = $2
         WHERE id = $1",
        id as app::identity::MailId,
        error,
        give_up,
        ctx.retry_at,
        ctx.attempt,
    )
    .execute(pool)
    .await?;
    Ok(())
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
        let retry = Deliver::new(mailer).retry();
        assert_eq!(retry.ceiling(1), Duration::from_secs(30));
        assert_eq!(retry.ceiling(2), Duration::from_secs(60));
        assert_eq!(retry.ceiling(4), Duration::from_secs(240));
        assert_eq!(retry.ceiling(12), Duration::from_secs(3600));
        assert_eq!(retry.max_attempts, MAX_ATTEMPTS);
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
