//! The domain-event fan-out: the `events.fan_out` job. Recording a domain
//! event (`domain_events`, by a domain operation in `app`) files one job by
//! trigger; the job files the event's mail ([`mail`]) and webhook messages
//! ([`webhooks`]) and finishes itself in one
//! transaction, so each event is fanned out exactly once, whichever process
//! runs it and however often a process dies.

mod mail;
mod webhooks;

use crate::jobs::{Job, JobContext, JobError};
use app::domain::EventType;
use app::identity::{DomainEventId, OrganizationId, ReferralId};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// A domain event, as the fan-outs read it.
#[derive(Debug, Clone)]
pub struct Event {
    pub organization_id: OrganizationId,
    pub id: DomainEventId,
    pub clinic_id: Option<OrganizationId>,
    pub event_type: EventType,
    /// Every domain event so far is about a referral.
    pub subject_id: ReferralId,
    pub payload: serde_json::Value,
    pub occurred_at: OffsetDateTime,
}

/// Which event, and which fan-outs it still needs (both, unless it was
/// half done by the loops this job replaced).
#[derive(Debug, Serialize, Deserialize)]
pub struct EventRef {
    pub organization_id: OrganizationId,
    pub event_id: DomainEventId,
    pub mail: bool,
    pub webhooks: bool,
}

/// Fans events out; links in mail and webhook bodies start at `public_url`.
pub struct FanOut {
    pub public_url: String,
}

impl Job for FanOut {
    const KIND: &'static str = "events.fan_out";
    type Payload = EventRef;

    async fn run(&self, ctx: &JobContext, event: EventRef) -> Result<(), JobError> {
        let mut tx = app::db::begin(&ctx.pool).await?;
        let found = sqlx::query_as!(
            Event,
            r#"SELECT organization_id AS "organization_id: OrganizationId", id AS "id: DomainEventId",
                      clinic_id AS "clinic_id: OrganizationId", event_type AS "event_type: EventType",
                      subject_id AS "subject_id: ReferralId", payload, occurred_at
               FROM domain_events WHERE organization_id = $1 AND id = $2"#,
            event.organization_id as OrganizationId,
            event.event_id as DomainEventId
        )
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(found) = found {
            if event.mail {
                mail::file(&mut tx, &found, &self.public_url).await?;
            }
            if event.webhooks {
                webhooks::file(&mut tx, &found, &self.public_url).await?;
            }
        }
        ctx.finish_in(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
