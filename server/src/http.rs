//! The layers around every response: request ids, structured request logs,
//! security headers and the cross-site request check.
//!
//! Policy: security headers are set by the outermost layer, so error pages,
//! static files, JSON and 404s get them as surely as pages do. A page that
//! set its own nonce-bearing CSP keeps it; everything else gets the default
//! policy with no inline script. Logs carry the method, the path (never the
//! query string, which may hold tokens) and the request id; never bodies.

use app::state::Settings;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps `router` in every layer. Axum runs the last-added layer first, so
/// the security headers (added last) see every response, errors included.
pub fn with_layers(router: Router, settings: Arc<Settings>) -> Router {
    router
        // Innermost of the layers: a refused request is still traced and
        // answered with its request id and the security headers.
        .layer(middleware::from_fn(reject_cross_site))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    let request_id = req
                        .headers()
                        .get(REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %req.uri().path(),
                        request_id = %request_id,
                    )
                })
                .on_request(())
                .on_response(DefaultOnResponse::new().level(Level::INFO)),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let settings = settings.clone();
            async move { security_headers(&settings, req, next).await }
        }))
}

async fn security_headers(settings: &Settings, req: Request, next: Next) -> Response {
    let service_worker = req.uri().path() == "/sw.js";
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        if let Ok(value) = HeaderValue::from_str(&app::csp::default_policy()) {
            headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Same-origin only: full URLs (which may carry intake tokens) never
    // leave the site, and server functions still see their own Referer.
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        HeaderName::from_static("permissions-policy"),
        HeaderValue::from_static("camera=(), microphone=(), payment=(), geolocation=(self)"),
    );
    headers.insert(
        HeaderName::from_static("cross-origin-opener-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if settings.served_over_https() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if service_worker {
        // A new worker must be picked up on the next visit.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

/// CSRF defence: a state-changing request that a browser marks as coming
/// from another site is refused before it reaches any handler.
///
/// Browsers send `Sec-Fetch-Site` on every request; where it is missing
/// (older browsers) the `Origin` must name this host. Requests with neither
/// header do not come from a browser page and carry no ambient credentials
/// an attacker could borrow, so they pass. `/api/v1` is exempt: it is
/// authenticated by API keys, never by cookies.
async fn reject_cross_site(req: Request, next: Next) -> Response {
    if is_cross_site_write(&req) {
        tracing::warn!(path = %req.uri().path(), "cross-site request refused");
        return axum::response::IntoResponse::into_response(app::error::AppError::Forbidden);
    }
    next.run(req).await
}

fn is_cross_site_write(req: &Request) -> bool {
    let method = req.method();
    if method.is_safe() || req.uri().path().starts_with("/api/v1/") {
        return false;
    }
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        // `none` is a user-initiated navigation (typed URL, bookmark).
        return !matches!(site.as_bytes(), b"same-origin" | b"none");
    }
    match headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        None => false,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let origin_host = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            origin_host.is_none() || origin_host != host
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_cross_site_write;
    use axum::extract::Request;

    fn request(method: &str, path: &str, headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        builder.body(axum::body::Body::empty()).unwrap()
    }

    #[test]
    fn cross_site_writes_are_recognised() {
        let host = ("host", "care.example.org");
        for headers in [
            vec![host, ("sec-fetch-site", "cross-site")],
            vec![host, ("sec-fetch-site", "same-site")],
            vec![host, ("origin", "https://evil.example")],
            vec![host, ("origin", "null")],
        ] {
            assert!(
                is_cross_site_write(&request("POST", "/rpc/x", &headers)),
                "{headers:?}"
            );
        }
    }

    #[test]
    fn same_origin_reads_api_and_non_browser_requests_pass() {
        let host = ("host", "care.example.org");
        for (method, path, headers) in [
            (
                "POST",
                "/rpc/x",
                vec![host, ("sec-fetch-site", "same-origin")],
            ),
            (
                "POST",
                "/rpc/x",
                vec![host, ("origin", "https://care.example.org")],
            ),
            ("POST", "/rpc/x", vec![host]),
            (
                "GET",
                "/trust",
                vec![host, ("sec-fetch-site", "cross-site")],
            ),
            (
                "POST",
                "/api/v1/discharge-referrals",
                vec![host, ("sec-fetch-site", "cross-site")],
            ),
        ] {
            assert!(
                !is_cross_site_write(&request(method, path, &headers)),
                "{method} {path} {headers:?}"
            );
        }
    }
}
