//! Webhook endpoints and their delivery log, for an organization acting
//! through the web page or an API key (the same operations behind both).
//!
//! Registering checks the URL against the destination policy
//! ([`super::destination`]) and makes the signing secret, which is
//! returned this once: the web role may write it but not read it back.
//! Sending is the server's `webhook.deliver` job; here a ping is filed and
//! a message can be put back in the queue (resend, same `webhook-id`).

use super::destination::{self, Policy};
use super::{
    DeliveryStatus, NewWebhook, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WEBHOOK_EVENTS,
};
use crate::audit::repo::{record, Entry, Subject};
use crate::audit::AuditAction;
use crate::auth::Role;
use crate::db::TenantTx;
use crate::domain::EventType;
use crate::error::{AppError, FieldError};
use crate::identity::{OrganizationId, UserId, WebhookDeliveryId, WebhookEndpointId};
use base64::Engine;
use rand::RngCore;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Who may manage an organization's webhooks: its administrators and its
/// API keys (a key acts as `referrer` or `clinic_staff`; a person with
/// the staff role may not).
pub fn may_manage(tx: &TenantTx) -> bool {
    let p = tx.principal();
    match p.role {
        Role::PlatformAdmin | Role::ClinicAdmin | Role::Referrer => true,
        Role::ClinicStaff => p.api_key().is_some(),
        Role::Clinician | Role::Family | Role::FamilyViewer => false,
    }
}

fn guard(tx: &TenantTx) -> Result<(), AppError> {
    if may_manage(tx) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A fresh signing secret in the Standard Webhooks form.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_default()
}

/// Checks the events asked for: known names, at least one, no repeats.
pub fn parse_events(events: &[String]) -> Result<Vec<EventType>, FieldError> {
    let mut out: Vec<EventType> = Vec::new();
    for e in events {
        let e = e.trim();
        let Some(event) = EventType::parse(e).filter(|v| WEBHOOK_EVENTS.contains(v)) else {
            return Err(FieldError::new(
                "events",
                format!(
                    "Unknown event \"{e}\"; choose from {}.",
                    WEBHOOK_EVENTS.map(EventType::as_str).join(", ")
                ),
            ));
        };
        if !out.contains(&event) {
            out.push(event);
        }
    }
    if out.is_empty() {
        return Err(FieldError::new("events", "Choose at least one event."));
    }
    Ok(out)
}

/// Registers an endpoint; its secret is in the answer and nowhere else.
pub async fn register(
    tx: &mut TenantTx,
    url: &str,
    description: &str,
    events: &[String],
    policy: Policy,
) -> Result<NewWebhook, AppError> {
    guard(tx)?;
    let mut fields = Vec::new();
    let dest = match destination::parse(url, policy) {
        Ok(d) => Some(d),
        Err(refusal) => {
            fields.push(FieldError::new("url", refusal.to_string()));
            None
        }
    };
    let events = parse_events(events).map_err(|f| fields.push(f)).ok();
    let description = description.trim();
    if description.chars().count() > 200 || description.contains(['\n', '\r']) {
        fields.push(FieldError::new(
            "description",
            "Keep the description to one line of 200 characters.",
        ));
    }
    if let Some(dest) = &dest {
        if let Err(refusal) = destination::resolve(dest, policy).await {
            fields.push(FieldError::new("url", refusal.to_string()));
        }
    }
    let (Some(dest), Some(events), true) = (dest, events, fields.is_empty()) else {
        return Err(fields.into());
    };
    let secret = new_secret();
    let id = WebhookEndpointId::new();
    let org = tx.principal().org_id;
    let person = tx.principal().person();
    let created_at = sqlx::query_scalar!(
        "INSERT INTO webhook_endpoints (organization_id, id, url, description, events, secret, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING created_at",
        org as OrganizationId,
        id as WebhookEndpointId,
        dest.url.as_str(),
        description,
        &events as &[EventType],
        secret,
        person as Option<UserId>
    )
    .fetch_one(tx.conn())
    .await?;
    record(
        tx,
        Entry::new(AuditAction::WebhookRegistered)
            .subject(Subject::new("webhook_endpoint", id))
            .details(json!({ "events": events, "host": dest.host })),
    )
    .await?;
    Ok(NewWebhook {
        endpoint: WebhookEndpoint {
            id,
            url: dest.url.to_string(),
            description: description.to_owned(),
            events,
            created_at: rfc3339(created_at),
            enabled: true,
        },
        secret,
    })
}

/// The organization's endpoints, newest first.
pub async fn list(tx: &mut TenantTx) -> Result<Vec<WebhookEndpoint>, AppError> {
    guard(tx)?;
    let rows = sqlx::query!(
        r#"SELECT id AS "id: WebhookEndpointId", url, description, events AS "events: Vec<EventType>", created_at, disabled_at
           FROM webhook_endpoints ORDER BY created_at DESC, id LIMIT 100"#
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WebhookEndpoint {
            id: r.id,
            url: r.url,
            description: r.description,
            events: r.events,
            created_at: rfc3339(r.created_at),
            enabled: r.disabled_at.is_none(),
        })
        .collect())
}

/// One endpoint of the organization.
pub async fn get(tx: &mut TenantTx, id: WebhookEndpointId) -> Result<WebhookEndpoint, AppError> {
    list(tx)
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or(AppError::NotFound)
}

/// Stops sending to an endpoint (its log is kept).
pub async fn disable(tx: &mut TenantTx, id: WebhookEndpointId) -> Result<(), AppError> {
    guard(tx)?;
    let done = sqlx::query!(
        "UPDATE webhook_endpoints SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1",
        id as WebhookEndpointId
    )
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    record(
        tx,
        Entry::new(AuditAction::WebhookDisabled).subject(Subject::new("webhook_endpoint", id)),
    )
    .await?;
    Ok(())
}

/// The body of a message: the Standard Webhooks payload shape, thin (ids
/// and codes, never patient details).
pub fn message_body(event_type: EventType, at: OffsetDateTime, data: &serde_json::Value) -> String {
    json!({
        "type": event_type,
        "timestamp": rfc3339(at),
        "data": data,
    })
    .to_string()
}

/// Files a `ping` to an enabled endpoint; the new message's id.
pub async fn ping(
    tx: &mut TenantTx,
    endpoint: WebhookEndpointId,
) -> Result<WebhookDeliveryId, AppError> {
    let found = get(tx, endpoint).await?;
    if !found.enabled {
        return Err(AppError::Conflict {
            message: "This endpoint is disabled.".to_owned(),
        });
    }
    let id = WebhookDeliveryId::new();
    let org = tx.principal().org_id;
    let body = message_body(
        EventType::Ping,
        OffsetDateTime::now_utc(),
        &json!({ "endpoint_id": endpoint }),
    );
    sqlx::query!(
        "INSERT INTO webhook_deliveries (organization_id, id, endpoint_id, event_type, body)
         VALUES ($1, $2, $3, 'ping', $4)",
        org as OrganizationId,
        id as WebhookDeliveryId,
        endpoint as WebhookEndpointId,
        body
    )
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Puts a message to `endpoint` back in the queue, due now: the same id
/// and body.
pub async fn resend(
    tx: &mut TenantTx,
    endpoint: WebhookEndpointId,
    delivery: WebhookDeliveryId,
) -> Result<(), AppError> {
    guard(tx)?;
    let done = sqlx::query!(
        "UPDATE webhook_deliveries d SET status = 'pending', next_attempt_at = now()
         WHERE d.id = $1 AND d.endpoint_id = $2
           AND EXISTS (SELECT FROM webhook_endpoints e
                       WHERE e.organization_id = d.organization_id AND e.id = d.endpoint_id
                         AND e.disabled_at IS NULL)",
        delivery as WebhookDeliveryId,
        endpoint as WebhookEndpointId
    )
    .execute(tx.conn())
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// An endpoint's latest messages with every attempt, newest first.
pub async fn deliveries(
    tx: &mut TenantTx,
    endpoint: WebhookEndpointId,
    limit: i64,
) -> Result<Vec<WebhookDelivery>, AppError> {
    get(tx, endpoint).await?;
    let rows = sqlx::query!(
        r#"SELECT id AS "id: WebhookDeliveryId", event_type AS "event_type: EventType", status AS "status: DeliveryStatus",
                  created_at, next_attempt_at
           FROM webhook_deliveries WHERE endpoint_id = $1
           ORDER BY created_at DESC, id LIMIT $2"#,
        endpoint as WebhookEndpointId,
        limit.clamp(1, 100)
    )
    .fetch_all(tx.conn())
    .await?;
    let ids: Vec<WebhookDeliveryId> = rows.iter().map(|r| r.id).collect();
    let attempts = sqlx::query!(
        r#"SELECT delivery_id AS "delivery_id: WebhookDeliveryId", attempt, attempted_at,
                  status_code, error, duration_ms
           FROM webhook_attempts WHERE delivery_id = ANY($1)
           ORDER BY delivery_id, attempt"#,
        &ids as &[WebhookDeliveryId]
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WebhookDelivery {
            id: r.id,
            endpoint_id: endpoint,
            next_attempt_at: (r.status == DeliveryStatus::Pending)
                .then(|| rfc3339(r.next_attempt_at)),
            event_type: r.event_type,
            status: r.status,
            created_at: rfc3339(r.created_at),
            attempts: attempts
                .iter()
                .filter(|a| a.delivery_id == r.id)
                .map(|a| WebhookAttempt {
                    attempt: a.attempt,
                    at: rfc3339(a.attempted_at),
                    status_code: a.status_code,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
        })
        .collect())
}
