//! API-key authentication and rate limiting for `/api/v1`, as a layer:
//!
//! 1. the key comes from `Authorization: Bearer <key>` or `X-API-Key`;
//! 2. it is checked and the request counted (`app::auth::session::
//!    developer::access::resolve_api_key`, one short transaction that commits the count);
//! 3. an unknown key answers 401, an exhausted quota 429 with
//!    `Retry-After`; otherwise the handler runs with an [`ApiPrincipal`];
//! 4. every answer to a keyed request carries the quota: `RateLimit-Limit`,
//!    `RateLimit-Remaining`, `RateLimit-Reset` and `RateLimit-Policy`
//!    headers, and (native JSON objects) a `rate` member.
//!
//! FHIR paths answer errors as OperationOutcome (see `super::outcome`).

use app::auth::session::{Principal, RequestMeta};
use app::developer::access::resolve_api_key;
use app::developer::Rate;
use app::error::AppError;
use app::state::AppState;
use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The authenticated caller of a keyed endpoint.
#[derive(Clone)]
pub struct ApiPrincipal {
    pub principal: Principal,
    pub rate: Rate,
    /// The client's address and agent, for the audit trail.
    pub meta: RequestMeta,
}

impl<S: Send + Sync> FromRequestParts<S> for ApiPrincipal {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<ApiPrincipal>()
            .cloned()
            .ok_or(AppError::Unauthorized)
    }
}

/// The key presented with the request, if any.
fn presented_key(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        return v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))
            .map(str::trim);
    }
    headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

fn is_fhir(path: &str) -> bool {
    path.starts_with("/fhir/") || path.contains("/fhir/")
}

/// The layer: authenticates, counts, refuses, decorates.
pub async fn require_key(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let fhir = is_fhir(req.uri().path());
    let refuse = |error: AppError| {
        if fhir {
            super::outcome::outcome(&error).into_response()
        } else {
            error.into_response()
        }
    };
    let Some(key) = presented_key(req.headers()).map(str::to_owned) else {
        return with_www_authenticate(refuse(AppError::Unauthorized));
    };
    let check = match resolve_api_key(&state.pool, &key).await {
        Ok(Some(check)) => check,
        Ok(None) => return with_www_authenticate(refuse(AppError::Unauthorized)),
        Err(error) => return refuse(error),
    };
    let rate = check.rate;
    if rate.exceeded {
        let mut response = refuse(AppError::RateLimited {
            retry_after_secs: u64::try_from(rate.reset).unwrap_or(1),
        });
        if !fhir {
            response = add_rate_member(response, &rate).await;
        }
        return add_rate_headers(response, &rate);
    }
    let meta = RequestMeta::from_head(req.extensions(), req.headers());
    req.extensions_mut().insert(ApiPrincipal {
        principal: check.principal,
        rate,
        meta,
    });
    let response = next.run(req).await;
    let response = if fhir {
        response
    } else {
        add_rate_member(response, &rate).await
    };
    add_rate_headers(response, &rate)
}

fn with_www_authenticate(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"carethread\""),
    );
    response
}

fn add_rate_headers(mut response: Response, rate: &Rate) -> Response {
    let h = response.headers_mut();
    let window = rate.window.seconds();
    for (name, value) in [
        ("ratelimit-limit", rate.limit.to_string()),
        ("ratelimit-remaining", rate.remaining.to_string()),
        ("ratelimit-reset", rate.reset.to_string()),
        ("ratelimit-policy", format!("{};w={window}", rate.limit)),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            h.insert(HeaderName::from_static(name), value);
        }
    }
    response
}

/// Adds `"rate": {...}` to a JSON object body.
async fn add_rate_member(response: Response, rate: &Rate) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 8 * 1024 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "").into_response();
    };
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut object)) => {
            object.insert(
                "rate".to_owned(),
                serde_json::json!({
                    "limit": rate.limit,
                    "remaining": rate.remaining,
                    "reset": rate.reset,
                    "window": rate.window,
                }),
            );
            let encoded = serde_json::to_vec(&object).unwrap_or_else(|_| bytes.to_vec());
            parts.headers.remove(header::CONTENT_LENGTH);
            Body::from(encoded)
        }
        _ => Body::from(bytes),
    };
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_either_header() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer ct_live_x"),
        );
        assert_eq!(presented_key(&h), Some("ct_live_x"));
        let mut h = HeaderMap::new();
        h.insert("x-api-key", HeaderValue::from_static(" ct_sandbox_y "));
        assert_eq!(presented_key(&h), Some("ct_sandbox_y"));
        assert_eq!(presented_key(&HeaderMap::new()), None);
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(presented_key(&h), None);
    }
}
