//! Webhook endpoints over the API: register (the signing secret is in the
//! answer, once), list, read, disable, ping, the delivery log and resend.
//! The operations are `app::developer::webhooks`, the same the developer
//! page uses.

use super::auth::ApiPrincipal;
use super::extract::{ApiJson, ApiPath, ApiQuery};
use super::native::Envelope;
use app::db::TenantTx;
use app::developer::{webhooks, WebhookDelivery, WebhookEndpoint};
use app::error::AppError;
use app::identity::{WebhookDeliveryId, WebhookEndpointId};
use app::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An endpoint to register.
#[derive(Deserialize, ToSchema)]
#[schema(example = json!({
    "url": "https://your-app.example.com/hooks",
    "events": ["referral.created", "referral.matched"],
    "description": "Discharge desk integration"
}))]
pub struct WebhookIn {
    /// Where to POST deliveries: a public `https://` URL (in production).
    url: String,
    /// Any of referral.created, referral.matched, referral.accepted,
    /// referral.declined, visit.scheduled, visit.completed, ping.
    events: Vec<String>,
    description: Option<String>,
}

/// A registered endpoint.
#[derive(Serialize, ToSchema)]
pub struct WebhookOut {
    #[schema(value_type = Uuid)]
    id: WebhookEndpointId,
    url: String,
    description: String,
    events: Vec<String>,
    /// RFC 3339.
    created_at: String,
    /// False once disabled: nothing more is sent.
    enabled: bool,
}

/// A newly registered endpoint with its signing secret.
#[derive(Serialize, ToSchema)]
pub struct NewWebhookOut {
    #[serde(flatten)]
    endpoint: WebhookOut,
    /// `whsec_…`, shown this once. Verify `webhook-signature` with any
    /// Standard Webhooks library, or `X-Carethread-Signature` as
    /// `sha256=` + hex HMAC-SHA256 of the raw body keyed with this text.
    secret: String,
}

fn endpoint_out(e: WebhookEndpoint) -> WebhookOut {
    WebhookOut {
        id: e.id,
        url: e.url,
        description: e.description,
        events: e.events.iter().map(|v| v.as_str().to_owned()).collect(),
        created_at: e.created_at,
        enabled: e.enabled,
    }
}

/// One attempt to deliver a message.
#[derive(Serialize, ToSchema)]
pub struct AttemptOut {
    attempt: i32,
    at: String,
    /// The receiver's HTTP status, when it answered.
    status_code: Option<i32>,
    error: Option<String>,
    duration_ms: i32,
}

/// A message to an endpoint and its attempts.
#[derive(Serialize, ToSchema)]
pub struct DeliveryOut {
    /// The `webhook-id` header, the same on every attempt.
    #[schema(value_type = Uuid)]
    id: WebhookDeliveryId,
    event_type: String,
    /// pending, delivered, failed.
    status: String,
    created_at: String,
    next_attempt_at: Option<String>,
    attempts: Vec<AttemptOut>,
}

fn delivery_out(d: WebhookDelivery) -> DeliveryOut {
    DeliveryOut {
        id: d.id,
        event_type: d.event_type.as_str().to_owned(),
        status: d.status.as_str().to_owned(),
        created_at: d.created_at,
        next_attempt_at: d.next_attempt_at,
        attempts: d
            .attempts
            .into_iter()
            .map(|a| AttemptOut {
                attempt: a.attempt,
                at: a.at,
                status_code: a.status_code,
                error: a.error,
                duration_ms: a.duration_ms,
            })
            .collect(),
    }
}

/// A message filed for delivery.
#[derive(Serialize, ToSchema)]
pub struct QueuedOut {
    #[schema(value_type = Uuid)]
    delivery_id: WebhookDeliveryId,
}

async fn tx(state: &AppState, caller: ApiPrincipal) -> Result<TenantTx, AppError> {
    Ok(TenantTx::begin_for(&state.pool, caller.principal).await?)
}

/// Register an endpoint for signed event callbacks; the secret is returned once.
#[utoipa::path(
    post, path = "/webhooks", tag = "Webhooks", operation_id = "register_webhook",
    request_body = WebhookIn,
    responses(
        (status = 201, description = "Registered; keep the secret", body = inline(Envelope<NewWebhookOut>),
            links(
                ("read" = (operation_id = "get_webhook", parameters(("id" = "$response.body#/data/id")))),
                ("ping" = (operation_id = "ping_webhook", parameters(("id" = "$response.body#/data/id")))),
                ("deliveries" = (operation_id = "list_webhook_deliveries", parameters(("id" = "$response.body#/data/id")))),
                ("disable" = (operation_id = "disable_webhook", parameters(("id" = "$response.body#/data/id")))),
            )),
        (status = 400, description = "The body is not JSON"),
        (status = 401, description = "No valid API key"),
        (status = 422, description = "The URL or the events are refused; nothing was saved"),
        (status = 429, description = "Rate limit exhausted; see Retry-After"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn register(
    State(state): State<AppState>,
    caller: ApiPrincipal,
    ApiJson(body): ApiJson<WebhookIn>,
) -> Result<(StatusCode, Json<Envelope<NewWebhookOut>>), AppError> {
    let mut tx = tx(&state, caller).await?;
    let created = webhooks::register(
        &mut tx,
        &body.url,
        body.description.as_deref().unwrap_or(""),
        &body.events,
        state.settings.webhooks,
    )
    .await?;
    tx.commit().await?;
    Ok((
        StatusCode::CREATED,
        Json(Envelope {
            data: NewWebhookOut {
                endpoint: endpoint_out(created.endpoint),
                secret: created.secret,
            },
        }),
    ))
}

/// List the organization's endpoints.
#[utoipa::path(
    get, path = "/webhooks", tag = "Webhooks", operation_id = "list_webhooks",
    responses(
        (status = 200, description = "Endpoints, newest first", body = inline(Envelope<Vec<WebhookOut>>)),
        (status = 401, description = "No valid API key"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    caller: ApiPrincipal,
) -> Result<Json<Envelope<Vec<WebhookOut>>>, AppError> {
    let mut tx = tx(&state, caller).await?;
    let found = webhooks::list(&mut tx).await?;
    tx.commit().await?;
    Ok(Json(Envelope {
        data: found.into_iter().map(endpoint_out).collect(),
    }))
}

/// Read one endpoint.
#[utoipa::path(
    get, path = "/webhooks/{id}", tag = "Webhooks", operation_id = "get_webhook",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "The endpoint", body = inline(Envelope<WebhookOut>)),
        (status = 401, description = "No valid API key"),
        (status = 404, description = "No such endpoint for this key"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    caller: ApiPrincipal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> Result<Json<Envelope<WebhookOut>>, AppError> {
    let mut tx = tx(&state, caller).await?;
    let found = webhooks::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(Envelope {
        data: endpoint_out(found),
    }))
}

/// Disable an endpoint: nothing more is sent to it; its log stays.
#[utoipa::path(
    delete, path = "/webhooks/{id}", tag = "Webhooks", operation_id = "disable_webhook",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 200, description = "Disabled", body = inline(Envelope<WebhookOut>)),
        (status = 401, description = "No valid API key"),
        (status = 404, description = "No such endpoint for this key"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn disable(
    State(state): State<AppState>,
    caller: ApiPrincipal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> Result<Json<Envelope<WebhookOut>>, AppError> {
    let mut tx = tx(&state, caller).await?;
    webhooks::disable(&mut tx, id).await?;
    let found = webhooks::get(&mut tx, id).await?;
    tx.commit().await?;
    Ok(Json(Envelope {
        data: endpoint_out(found),
    }))
}

/// Send a `ping` event to an endpoint now.
#[utoipa::path(
    post, path = "/webhooks/{id}/ping", tag = "Webhooks", operation_id = "ping_webhook",
    params(("id" = Uuid, Path, description = "The endpoint's id")),
    responses(
        (status = 202, description = "Queued for delivery", body = inline(Envelope<QueuedOut>),
            links(("resend" = (operation_id = "resend_webhook_delivery", parameters(("id" = "$request.path.id"), ("delivery_id" = "$response.body#/data/delivery_id")))))),
        (status = 401, description = "No valid API key"),
        (status = 404, description = "No such endpoint for this key"),
        (status = 409, description = "The endpoint is disabled"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn ping(
    State(state): State<AppState>,
    caller: ApiPrincipal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
) -> Result<(StatusCode, Json<Envelope<QueuedOut>>), AppError> {
    let mut tx = tx(&state, caller).await?;
    let delivery_id = webhooks::ping(&mut tx, id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Envelope {
            data: QueuedOut { delivery_id },
        }),
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    /// How many messages (1–100, default 20).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
}

/// The endpoint's latest messages, each with every attempt.
#[utoipa::path(
    get, path = "/webhooks/{id}/deliveries", tag = "Webhooks", operation_id = "list_webhook_deliveries",
    params(("id" = Uuid, Path, description = "The endpoint's id"), DeliveryQuery),
    responses(
        (status = 200, description = "Messages, newest first", body = inline(Envelope<Vec<DeliveryOut>>)),
        (status = 400, description = "The query string does not parse (a limit that is not a 64-bit integer)"),
        (status = 401, description = "No valid API key"),
        (status = 404, description = "No such endpoint for this key"),
        (status = 422, description = "The limit is out of range"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn deliveries(
    State(state): State<AppState>,
    caller: ApiPrincipal,
    ApiPath(id): ApiPath<WebhookEndpointId>,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<Envelope<Vec<DeliveryOut>>>, AppError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "Ask for 1 to 100 messages."));
    }
    let mut tx = tx(&state, caller).await?;
    let found = webhooks::deliveries(&mut tx, id, limit).await?;
    tx.commit().await?;
    Ok(Json(Envelope {
        data: found.into_iter().map(delivery_out).collect(),
    }))
}

/// Send a message again: the same `webhook-id` and body, due now.
#[utoipa::path(
    post, path = "/webhooks/{id}/deliveries/{delivery_id}/resend", tag = "Webhooks", operation_id = "resend_webhook_delivery",
    params(
        ("id" = Uuid, Path, description = "The endpoint's id"),
        ("delivery_id" = Uuid, Path, description = "The message's id"),
    ),
    responses(
        (status = 202, description = "Queued again", body = inline(Envelope<QueuedOut>)),
        (status = 401, description = "No valid API key"),
        (status = 404, description = "No such message for this key, or its endpoint is disabled"),
    ),
    security(("bearer" = []), ("api_key" = []))
)]
pub async fn resend(
    State(state): State<AppState>,
    caller: ApiPrincipal,
    ApiPath((id, delivery_id)): ApiPath<(WebhookEndpointId, WebhookDeliveryId)>,
) -> Result<(StatusCode, Json<Envelope<QueuedOut>>), AppError> {
    let mut tx = tx(&state, caller).await?;
    webhooks::resend(&mut tx, id, delivery_id).await?;
    tx.commit().await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(Envelope {
            data: QueuedOut { delivery_id },
        }),
    ))
}
