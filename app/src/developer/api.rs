//! Server functions behind the developer page.
//!
//! - A sandbox key is issued to an email address (mailed, never shown).
//! - Live keys are made by a clinic's administrators, signed in, for their
//!   own clinic only; a new key is shown once. Platform administrators see
//!   and revoke keys but never make one: a key for another organization
//!   would read its patient information unseen (that is what break-glass
//!   is for, see `crate::break_glass`). A referring organization's keys
//!   come from the operator's command (`server api-key create`).
//! - Everything else works with an API key typed into the page, exactly
//!   as the API does: the key is resolved and counted against its rate
//!   limit like any API request, and the webhook operations are the API's.
//!   "Use this key" checks the key and keeps it in a cookie scoped to the
//!   developer page ([`KEY_COOKIE`]: `Path=/developers`, `HttpOnly`,
//!   `SameSite=Strict`, `Secure` over https, no expiry), bound to the
//!   visitor's session: the session record holds the key's SHA-256 (never
//!   the key) and a cookie whose key does not match it is ignored, so
//!   signing out, a revoked or expired session, or another person's
//!   session on the same browser ends the key too. The page's forms are
//!   plain forms that work without JavaScript, and the key is never
//!   written into a page or an address; "Forget this key" clears both. A
//!   function's `key` argument, when given, wins over the cookie
//!   (API-style callers).
//!   "Try a request" sends the request through the API router itself, in
//!   process, so the answer is what a client would get.

// One argument per form field (the webhook form has eight); the `server`
// macro copies them onto the functions it generates, beyond the reach of
// an item-level `allow`.
#![allow(clippy::too_many_arguments)]

use super::{KeysView, NewWebhook, TryResult, WebhookDelivery, WebhookEndpoint};
use crate::error::AppError;
use crate::identity::{ApiKeyId, WebhookDeliveryId, WebhookEndpointId};
use app_macros::rpc;
use uuid::Uuid;

/// Sends a sandbox key to `email`.
#[rpc(prefix = "/rpc", endpoint = "developer/sandbox-key")]
pub async fn request_sandbox_key(email: String) -> Result<(), AppError> {
    let state = crate::state::app_state()?;
    ssr::sandbox_key(&state, &email, &crate::auth::RequestMeta::current()).await
}

/// The API keys an administrator manages; nothing for anyone else (the
/// page is public, so not being an administrator is not an error).
#[rpc(prefix = "/rpc", endpoint = "developer/keys")]
pub async fn get_keys() -> Result<Option<KeysView>, AppError> {
    let mut tx = match crate::auth::require(&ssr::KEY_ADMINS).await {
        Ok(tx) => tx,
        Err(AppError::Unauthorized | AppError::Forbidden) => return Ok(None),
        Err(e) => return Err(e),
    };
    let view = ssr::keys(&mut tx).await?;
    tx.commit().await?;
    Ok(Some(view))
}

/// Makes a live key for the clinic administrator's own clinic; its text,
/// shown once. `organization_id` is accepted from older forms and
/// ignored: a key acts only for the organization of whoever makes it.
#[rpc(prefix = "/rpc", endpoint = "developer/keys/create")]
pub async fn create_key(
    name: String,
    #[server(default)] organization_id: Option<Uuid>,
) -> Result<String, AppError> {
    let _ = organization_id;
    let tx = crate::auth::require(&ssr::KEY_CREATORS).await?;
    ssr::create_key(tx, &name).await
}

#[rpc(prefix = "/rpc", endpoint = "developer/keys/revoke")]
pub async fn revoke_key(id: ApiKeyId) -> Result<(), AppError> {
    let tx = crate::auth::require(&ssr::KEY_ADMINS).await?;
    ssr::revoke_key(tx, id).await
}

/// The `via` of a webhook form that acts through the signed-in session
/// (the clinic's settings page) rather than a key.
pub const WEBHOOKS_VIA_SESSION: &str = "session";

/// The cookie that keeps the key in use on the developer page.
pub const KEY_COOKIE: &str = "ct_dev_key";

/// How a key in use is shown: its first 20 characters (the environment
/// and the start of the key id), never the secret part.
pub fn masked_key(key: &str) -> String {
    let shown: String = key.chars().take(20).collect();
    format!("{shown}…")
}

/// Checks `key` (a valid, unrevoked key, counted like an API request) and
/// keeps it for this browser session; answers the key as shown.
#[rpc(prefix = "/rpc", endpoint = "developer/use-key")]
pub async fn use_key(key: String) -> Result<String, AppError> {
    let key = key.trim().to_owned();
    if key.is_empty() {
        return Err(AppError::invalid("key", "Enter your API key."));
    }
    // Resolving is the check; nothing is done with the transaction.
    drop(ssr::key_tx(&key).await?);
    ssr::keep_key(Some(&key)).await?;
    Ok(masked_key(&key))
}

/// Forgets the key kept for this browser session.
#[rpc(prefix = "/rpc", endpoint = "developer/forget-key")]
pub async fn forget_key() -> Result<(), AppError> {
    ssr::keep_key(None).await
}

/// The key kept for this browser session, as shown.
#[rpc(prefix = "/rpc", endpoint = "developer/key-in-use")]
pub async fn key_in_use() -> Result<Option<String>, AppError> {
    let key = ssr::chosen_key(String::new()).await;
    Ok((!key.is_empty()).then(|| masked_key(&key)))
}

/// Sends one request to the API with `key` and reports the answer.
#[rpc(prefix = "/rpc", endpoint = "developer/try")]
pub async fn try_request(
    #[server(default)] key: String,
    method: String,
    path: String,
    #[server(default)] body: String,
) -> Result<TryResult, AppError> {
    ssr::try_request(&ssr::chosen_key(key).await, &method, &path, &body).await
}

#[rpc(prefix = "/rpc", endpoint = "developer/webhooks")]
pub async fn list_webhooks(
    #[server(default)] key: String,
    #[server(default)] via: String,
) -> Result<Vec<WebhookEndpoint>, AppError> {
    let mut tx = ssr::webhook_tx(key, &via).await?;
    let found = super::webhooks::list(&mut tx).await?;
    tx.commit().await?;
    Ok(found)
}

/// Registers an endpoint; each event is a checkbox on the form.
#[rpc(prefix = "/rpc", endpoint = "developer/webhooks/register")]
pub async fn register_webhook(
    #[server(default)] key: String,
    #[server(default)] via: String,
    url: String,
    #[server(default)] description: String,
    #[server(default)] created: Option<String>,
    #[server(default)] matched: Option<String>,
    #[server(default)] accepted: Option<String>,
    #[server(default)] declined: Option<String>,
    #[server(default)] visit_scheduled: Option<String>,
    #[server(default)] visit_completed: Option<String>,
    #[server(default)] ping: Option<String>,
) -> Result<NewWebhook, AppError> {
    let state = crate::state::app_state()?;
    let events: Vec<String> = [
        (created, "referral.created"),
        (matched, "referral.matched"),
        (accepted, "referral.accepted"),
        (declined, "referral.declined"),
        (visit_scheduled, "visit.scheduled"),
        (visit_completed, "visit.completed"),
        (ping, "ping"),
    ]
    .into_iter()
    .filter(|(on, _)| on.is_some())
    .map(|(_, name)| name.to_owned())
    .collect();
    let mut tx = ssr::webhook_tx(key, &via).await?;
    let created = super::webhooks::register(
        &mut tx,
        &url,
        &description,
        &events,
        state.settings.webhooks,
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

#[rpc(prefix = "/rpc", endpoint = "developer/webhooks/deliveries")]
pub async fn webhook_deliveries(
    #[server(default)] key: String,
    #[server(default)] via: String,
    endpoint: WebhookEndpointId,
) -> Result<Vec<WebhookDelivery>, AppError> {
    let mut tx = ssr::webhook_tx(key, &via).await?;
    let found = super::webhooks::deliveries(&mut tx, endpoint, 25).await?;
    tx.commit().await?;
    Ok(found)
}

#[rpc(prefix = "/rpc", endpoint = "developer/webhooks/ping")]
pub async fn ping_webhook(
    #[server(default)] key: String,
    #[server(default)] via: String,
    endpoint: WebhookEndpointId,
) -> Result<WebhookDeliveryId, AppError> {
    let mut tx = ssr::webhook_tx(key, &via).await?;
    let id = super::webhooks::ping(&mut tx, endpoint).await?;
    tx.commit().await?;
    Ok(id)
}

#[rpc(prefix = "/rpc", endpoint = "developer/webhooks/resend")]
pub async fn resend_webhook(
    #[server(default)] key: String,
    #[server(default)] via: String,
    endpoint: WebhookEndpointId,
    delivery: WebhookDeliveryId,
) -> Result<(), AppError> {
    let mut tx = ssr::webhook_tx(key, &via).await?;
    super::webhooks::resend(&mut tx, endpoint, delivery).await?;
    tx.commit().await?;
    Ok(())
}

#[rpc(prefix = "/rpc", endpoint = "developer/webhooks/disable")]
pub async fn disable_webhook(
    #[server(default)] key: String,
    #[server(default)] via: String,
    endpoint: WebhookEndpointId,
) -> Result<(), AppError> {
    let mut tx = ssr::webhook_tx(key, &via).await?;
    super::webhooks::disable(&mut tx, endpoint).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use super::super::access::resolve_api_key;
    use super::super::{keys, ApiEnvironment, ApiKeyView, KeysView, TryResult};
    use crate::audit::repo::{record, Entry, Subject};
    use crate::audit::AuditAction;
    use crate::auth::Role;
    use crate::db::{Anonymous, TenantTx, Tx};
    use crate::domain::EmailAddress;
    use crate::error::AppError;
    use crate::identity::ApiKeyId;
    use crate::state::AppState;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    /// Who sees and revokes live keys.
    pub const KEY_ADMINS: [Role; 2] = [Role::ClinicAdmin, Role::PlatformAdmin];
    /// Who makes live keys: an organization's own administrator (the
    /// database's `api_keys_create` policy says the same).
    pub const KEY_CREATORS: [Role; 1] = [Role::ClinicAdmin];

    pub async fn sandbox_key(
        state: &AppState,
        email: &str,
        meta: &crate::auth::RequestMeta,
    ) -> Result<(), AppError> {
        let email = EmailAddress::parse(email).map_err(|m| AppError::invalid("email", m))?;
        crate::auth::throttle::hit_ip(
            &state.pool,
            &state.settings.auth.throttles,
            crate::auth::throttle::Bucket::SandboxIp,
            meta.ip,
        )
        .await?;
        let key = keys::generate(true);
        let mut tx = Tx::<Anonymous>::begin(&state.pool).await?;
        let made = sqlx::query_scalar!(
            r#"SELECT sandbox_signup($1, $2, $3) AS "org!""#,
            email.as_str(),
            key.key_id,
            key.hash.as_slice()
        )
        .fetch_one(tx.conn())
        .await;
        match made {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("54000") => {
                return Err(AppError::invalid(
                    "email",
                    "This address has had five sandbox keys today; use one of those, or try tomorrow.",
                ));
            }
            Err(e) => return Err(e.into()),
        }
        crate::mail::enqueue(
            tx.conn(),
            &crate::mail::sandbox_key(email.as_str(), &key.text, &state.settings.public_url),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn keys(tx: &mut TenantTx) -> Result<KeysView, AppError> {
        let platform = tx.principal().role == Role::PlatformAdmin;
        let rows = sqlx::query!(
            r#"SELECT k.id AS "id: ApiKeyId", k.name, k.key_id, k.environment AS "environment: ApiEnvironment",
                      k.acts_as AS "acts_as: Role", o.name AS organization,
                      k.created_at, k.last_used_at, k.revoked_at
               FROM api_keys k JOIN organizations o ON o.id = k.organization_id
               WHERE k.environment = 'live'
               ORDER BY k.revoked_at IS NOT NULL, k.created_at DESC
               LIMIT 200"#
        )
        .fetch_all(tx.conn())
        .await?;
        Ok(KeysView {
            organization: tx.principal().org_name.clone(),
            platform,
            keys: rows
                .into_iter()
                .map(|r| ApiKeyView {
                    id: r.id,
                    name: r.name,
                    prefix: format!("ct_{}_{}", r.environment, r.key_id),
                    organization: r.organization,
                    acts_as: r.acts_as.label().to_owned(),
                    created_at: r.created_at,
                    last_used_at: r.last_used_at,
                    revoked_at: r.revoked_at,
                })
                .collect(),
        })
    }

    /// Makes a live key for the principal's own organization.
    pub async fn create_key(mut tx: TenantTx, name: &str) -> Result<String, AppError> {
        if !tx.principal().has_role(&KEY_CREATORS) {
            return Err(AppError::Forbidden);
        }
        let (org, person) = (tx.principal().org_id, tx.principal().person());
        let key = keys::create_live(&mut tx, org, name, person).await?;
        tx.commit().await?;
        Ok(key)
    }

    pub async fn revoke_key(mut tx: TenantTx, id: ApiKeyId) -> Result<(), AppError> {
        let done = sqlx::query!(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
             WHERE id = $1 AND environment = 'live'",
            id as ApiKeyId
        )
        .execute(tx.conn())
        .await?;
        if done.rows_affected() == 0 {
            return Err(AppError::NotFound);
        }
        record(
            &mut tx,
            Entry::new(AuditAction::ApiKeyRevoked).subject(Subject::new("api_key", id)),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The session record's entry for the fingerprint of the key in use.
    const KEY_FINGERPRINT: &str = "developer_key_sha256";

    fn fingerprint(key: &str) -> String {
        use sha2::{Digest, Sha256};
        hex::encode(Sha256::digest(key.as_bytes()))
    }

    /// `key` when one was given, else the one kept in [`super::KEY_COOKIE`]
    /// when it matches the fingerprint in this session (empty otherwise).
    pub async fn chosen_key(key: String) -> String {
        if !key.trim().is_empty() {
            return key;
        }
        let Some(kept) = crate::auth::request_cookie(super::KEY_COOKIE) else {
            return String::new();
        };
        let Ok(session) = crate::auth::session::current_session().await else {
            return String::new();
        };
        match session.get::<String>(KEY_FINGERPRINT).await {
            Ok(Some(expected)) if expected == fingerprint(&kept) => kept,
            _ => String::new(),
        }
    }

    /// Keeps `key` for this session and the developer page (or forgets it
    /// with `None`): the cookie, and its fingerprint in the session record.
    pub async fn keep_key(key: Option<&str>) -> Result<(), AppError> {
        use tower_sessions::cookie::{Cookie, SameSite};
        let state = crate::state::app_state()?;
        let session = crate::auth::session::current_session().await?;
        let stored = match key {
            Some(key) => session.insert(KEY_FINGERPRINT, fingerprint(key)).await,
            None => session.remove::<String>(KEY_FINGERPRINT).await.map(drop),
        };
        stored.map_err(|error| {
            tracing::error!(%error, "could not keep the developer key in the session");
            AppError::Unavailable
        })?;
        let mut cookie = Cookie::build((super::KEY_COOKIE, key.unwrap_or_default().to_owned()))
            .path("/developers")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(state.settings.served_over_https())
            .build();
        if key.is_none() {
            cookie.make_removal();
        }
        let value =
            http::HeaderValue::from_str(&cookie.to_string()).map_err(|_| AppError::Internal)?;
        let options = leptos::prelude::use_context::<leptos_axum::ResponseOptions>()
            .ok_or(AppError::Internal)?;
        options.append_header(http::header::SET_COOKIE, value);
        Ok(())
    }

    /// Who manages webhooks through the session (the settings page): the
    /// people [`super::super::webhooks::may_manage`] admits.
    pub const WEBHOOK_MANAGERS: [Role; 3] =
        [Role::ClinicAdmin, Role::Referrer, Role::PlatformAdmin];

    /// Whose webhooks a form manages: with `via` = `session`, the signed-in
    /// administrator's organization (the settings page: no key is typed);
    /// otherwise the key in use on the developer page.
    pub async fn webhook_tx(key: String, via: &str) -> Result<TenantTx, AppError> {
        if via == super::super::WEBHOOKS_VIA_SESSION {
            crate::auth::require(&WEBHOOK_MANAGERS).await
        } else {
            key_tx(&chosen_key(key).await).await
        }
    }

    /// A transaction acting as the key, counted against its limits.
    pub async fn key_tx(key: &str) -> Result<TenantTx, AppError> {
        let state = crate::state::app_state()?;
        let check = resolve_api_key(&state.pool, key.trim())
            .await?
            .ok_or_else(|| AppError::invalid("key", "That key is not valid, or it was revoked."))?;
        if check.rate.exceeded {
            return Err(AppError::RateLimited {
                retry_after_secs: u64::try_from(check.rate.reset).unwrap_or(1),
            });
        }
        Ok(TenantTx::begin_for(&state.pool, check.principal).await?)
    }

    /// Sends a request through the API router in process (provided by the
    /// server crate as context, so this crate does not depend on it).
    #[derive(Clone)]
    pub struct ApiDispatch(
        #[allow(clippy::type_complexity)]
        pub  Arc<
            dyn Fn(
                    http::Request<String>,
                ) -> Pin<Box<dyn Future<Output = http::Response<String>> + Send>>
                + Send
                + Sync,
        >,
    );

    pub async fn try_request(
        key: &str,
        method: &str,
        path: &str,
        body: &str,
    ) -> Result<TryResult, AppError> {
        let path = path.trim();
        let mut fields = Vec::new();
        let method = match method.trim().to_uppercase().as_str() {
            "GET" => http::Method::GET,
            "POST" => http::Method::POST,
            "DELETE" => http::Method::DELETE,
            _ => {
                fields.push(crate::error::FieldError::new(
                    "method",
                    "Choose GET, POST or DELETE.",
                ));
                http::Method::GET
            }
        };
        if !path.starts_with("/api/v1/") || path.len() > 500 || path.contains(['\r', '\n', ' ']) {
            fields.push(crate::error::FieldError::new(
                "path",
                "Enter a path under /api/v1/, like /api/v1/clinicians/search?state=OH.",
            ));
        }
        if key.trim().is_empty() {
            fields.push(crate::error::FieldError::new("key", "Enter your API key."));
        }
        if body.len() > 64 * 1024 {
            fields.push(crate::error::FieldError::new(
                "body",
                "Keep the body under 64 KB.",
            ));
        }
        if !fields.is_empty() {
            return Err(fields.into());
        }
        let dispatch = leptos::prelude::use_context::<ApiDispatch>().ok_or_else(|| {
            tracing::error!("ApiDispatch missing from the server-function context");
            AppError::Internal
        })?;
        let has_body = method == http::Method::POST && !body.trim().is_empty();
        let content_type = if path.contains("/fhir/") {
            "application/fhir+json"
        } else {
            "application/json"
        };
        let mut request = http::Request::builder()
            .method(method.clone())
            .uri(path)
            .header(
                http::header::AUTHORIZATION,
                format!("Bearer {}", key.trim()),
            );
        if has_body {
            request = request.header(http::header::CONTENT_TYPE, content_type);
        }
        let request = request
            .body(if has_body {
                body.to_owned()
            } else {
                String::new()
            })
            .map_err(|_| AppError::invalid("path", "That is not a valid path."))?;
        let response = (dispatch.0)(request).await;
        let status = response.status();
        let headers = response
            .headers()
            .iter()
            .filter(|(name, _)| {
                name.as_str().starts_with("ratelimit")
                    || matches!(name.as_str(), "content-type" | "retry-after" | "location")
            })
            .map(|(n, v)| (n.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
            .collect();
        let text = response.into_body();
        let pretty = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or(text);
        Ok(TryResult {
            method: method.to_string(),
            path: path.to_owned(),
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_owned(),
            headers,
            body: pretty.chars().take(60_000).collect(),
        })
    }
}

#[cfg(feature = "ssr")]
pub use ssr::ApiDispatch;
