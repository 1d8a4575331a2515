//! Domain events to webhook messages: one message per subscribed, enabled
//! endpoint of either party (the referring organization, the clinic). Run
//! by the `events.fan_out` job in the transaction that finishes it, and a message is unique per event and endpoint: however
//! often it runs, each event is filed once.

use super::Event;
use app::developer::webhooks::message_body;
use app::domain::EventType;
use app::identity::{DomainEventId, OrganizationId};
use sqlx::PgConnection;

/// Files the webhook messages for `event`.
pub async fn file(
    tx: &mut PgConnection,
    event: &Event,
    public_url: &str,
) -> Result<(), sqlx::Error> {
    // Thin: the event's ids and codes, and where to read the rest.
    let mut data = event.payload.clone();
    if let (Some(map), "referral") = (data.as_object_mut(), event.event_type.area()) {
        map.insert(
            "url".into(),
            format!(
                "{public_url}/api/v1/discharge-referrals/{}",
                event.subject_id
            )
            .into(),
        );
    }
    let body = message_body(event.event_type, event.occurred_at, &data);
    sqlx::query!(
        "INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id, event_type, body)
         SELECT e.organization_id, e.id, $3, $4, $5
         FROM webhook_endpoints e
         WHERE e.organization_id IN ($1, $2) AND e.disabled_at IS NULL AND $4 = ANY (e.events)
         ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO NOTHING",
        event.organization_id as OrganizationId,
        event.clinic_id as Option<OrganizationId>,
        event.id as DomainEventId,
        event.event_type as EventType,
        body
    )
    .execute(tx)
    .await?;
    Ok(())
}
