//! Which background work a server process runs, and how often: builds the
//! one job runner ([`crate::jobs`]) with every kind.
//!
//! | kind | filed by | when |
//! |---|---|---|
//! | `events.fan_out` | trigger on `domain_events` | each domain event |
//! | `mail.deliver` | trigger on `mail_outbox` | each queued message (only in a process with an SMTP server) |
//! | `webhook.deliver` | trigger on `webhook_deliveries` | each message, and each resend |
//! | `health.probe` | schedule | every `HEALTH_PROBE_INTERVAL_SECS` |
//! | `maintenance.prune` | schedule | hourly |
//! | `audit.checkpoint` | schedule | every `AUDIT_CHECKPOINT_INTERVAL_SECS`, with a signing key |
//! | `intake.remind` | trigger on `intake_links` | halfway to a mailed link's expiry |
//! | `data.erase` | trigger on `deletion_requests` | when a deletion request falls due (30 days) |
//! | `retention.purge` | schedule | daily |
//! | `export.build` | trigger on `data_exports` | each export a clinic administrator asks for |
//! | `backup.create` | schedule | every `BACKUP_INTERVAL_HOURS`, with `BACKUP_AGE_RECIPIENT` |
//! | `booking.expire_hold`, `booking.lapse`, `booking.no_show`, `booking.notify`, `payments.settle` | triggers on `visits` and `visit_payments` | see [`crate::payments`] |

use crate::audit_anchor::Checkpointer;
use crate::events::FanOut;
use crate::housekeeping::Prune;
use crate::jobs::Runner;
use crate::mail::worker::Mailer;
use crate::payments;
use crate::probe::Probe;
use crate::webhooks::{self, Sender};
use sqlx::PgPool;
use std::time::Duration;

/// What the runner needs to run every kind.
pub struct Work {
    /// Where links in mail and webhook bodies point.
    pub public_url: String,
    /// None: mail stays queued for a process that has an SMTP server.
    pub mailer: Option<Mailer>,
    pub webhooks: Sender,
    pub probe_every: Duration,
    /// None: no signing key, no checkpoints.
    pub checkpoints: Option<Checkpointer>,
    /// The card processor payments settle with.
    pub processor: app::payments::processor::Processor,
    /// Opens the sealed addresses reminders go to.
    pub vault: app::vault::Keyring,
    /// The application role's pool: exports are written as the
    /// administrator who asked, under row-level security.
    pub app_pool: PgPool,
    /// None: no backup recipient configured, no scheduled backups.
    pub backup: Option<crate::backup::Scheduled>,
}

/// The runner on the worker role's `pool`, with every kind of `work`.
pub fn runner(pool: PgPool, work: Work) -> Runner {
    let mut runner = Runner::new(pool)
        .register(FanOut {
            public_url: work.public_url.clone(),
        })
        .register(payments::ExpireHold)
        .register(payments::Lapse)
        .register(payments::NoShow)
        .register(payments::Notify {
            public_url: work.public_url.clone(),
        })
        .register(crate::intake::Remind {
            public_url: work.public_url,
            vault: work.vault.clone(),
        })
        .register(crate::data_rights::Erase)
        .register(crate::exports::Build {
            app_pool: work.app_pool,
            vault: work.vault,
        })
        .register(payments::Settle {
            processor: work.processor,
        })
        .register(webhooks::Deliver::new(work.webhooks))
        .every(Probe, work.probe_every, ())
        .every(Prune, Duration::from_secs(3600), ())
        .every(
            crate::data_rights::Purge,
            Duration::from_secs(24 * 3600),
            (),
        );
    if let Some(mailer) = work.mailer {
        runner = runner.register(crate::mail::worker::Deliver::new(mailer));
    }
    if let Some(backup) = work.backup {
        let every = backup.every;
        runner = runner.every(backup, every, ());
    }
    if let Some(checkpoints) = work.checkpoints {
        let every = checkpoints.every;
        runner = runner.every(checkpoints, every, ());
    }
    runner
}
