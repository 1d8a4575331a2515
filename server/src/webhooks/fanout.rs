//! Domain events to webhook messages. Events are claimed with `FOR UPDATE
//! SKIP LOCKED` and stamped (`webhooks_at`) in the transaction that files
//! their messages, and a message is unique per event and endpoint: however
//! many workers run, each event is filed once.

use app::developer::webhooks::message_body;
use sqlx::PgPool;

/// Files messages for pending events; how many events it handled.
pub async fn fan_out(pool: &PgPool, public_url: &str) -> Result<usize, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let events = sqlx::query!(
        "SELECT organization_id, id, clinic_id, event_type, subject_id, payload, occurred_at
         FROM domain_events
         WHERE webhooks_at IS NULL
         ORDER BY occurred_at
         LIMIT 100
         FOR UPDATE SKIP LOCKED"
    )
    .fetch_all(&mut *tx)
    .await?;
    for event in &events {
        // Thin: the event's ids and codes, and where to read the rest.
        let mut data = event.payload.clone();
        if let (Some(map), Some("referral")) =
            (data.as_object_mut(), event.event_type.split('.').next())
        {
            map.insert(
                "url".into(),
                format!(
                    "{public_url}/api/v1/discharge-referrals/{}",
                    event.subject_id
                )
                .into(),
            );
        }
        let body = message_body(&event.event_type, event.occurred_at, &data);
        sqlx::query!(
            "INSERT INTO webhook_deliveries (organization_id, endpoint_id, event_id, event_type, body)
             SELECT e.organization_id, e.id, $3, $4, $5
             FROM webhook_endpoints e
             WHERE e.organization_id IN ($1, $2) AND e.disabled_at IS NULL AND $4 = ANY (e.events)
             ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO NOTHING",
            event.organization_id,
            event.clinic_id,
            event.id,
            event.event_type,
            body
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!(
            "UPDATE domain_events SET webhooks_at = now() WHERE organization_id = $1 AND id = $2",
            event.organization_id,
            event.id
        )
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(events.len())
}
