//! The layers around every response: request ids, structured request logs,
//! security headers, the cross-site request check, the client address
//! (the peer, or behind a `TRUSTED_PROXIES` proxy the nearest untrusted
//! `X-Forwarded-For` hop, decided once here for every door's audit
//! events) and a catch-panic layer answering the standard 500.
//!
//! Policy: security headers are set by the outermost layer, so error pages,
//! static files, JSON and 404s get them as surely as pages do. A page that
//! set its own nonce-bearing CSP keeps it; everything else gets the default
//! policy with no inline script. Logs carry the method, the path (never the
//! query string, which may hold tokens) and the request id; never bodies.

use app::auth::session::ClientIp;
use app::state::Settings;
use axum::extract::{ConnectInfo, Request};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::IntoResponse;
use axum::response::Response;
use axum::Router;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Wraps `router` in every layer. Axum runs the last-added layer first, so
/// the security headers (added last) see every response, errors included.
pub fn with_layers(router: Router, settings: Arc<Settings>) -> Router {
    let trusted = settings.clone();
    router
        // A panic anywhere below answers the standard 500 body; it is
        // logged inside the request's span, so with its request id.
        .layer(CatchPanicLayer::custom(answer_panic))
        // Innermost of the layers: a refused request is still traced and
        // answered with its request id and the security headers.
        .layer(middleware::from_fn(reject_cross_site))
        .layer(middleware::from_fn(move |req: Request, next: Next| {
            let trusted = trusted.clone();
            async move { client_ip(&trusted.trusted_proxies, req, next).await }
        }))
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

/// Answers a handler's panic like any internal error (no detail leaves
/// the server) and logs it.
fn answer_panic(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(not a string)".to_owned());
    tracing::error!(panic = %message, "a request handler panicked");
    app::error::AppError::Internal.into_response()
}

/// Decides the client's address once, for every door: the connection's
/// peer, unless that peer is a trusted proxy, in which case the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy. An
/// untrusted peer's `X-Forwarded-For` is ignored (anyone can send one).
async fn client_ip(trusted: &[IpNet], mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let ip = client_address(peer, req.headers(), trusted);
        req.extensions_mut().insert(ClientIp(ip));
    }
    next.run(req).await
}

/// The client address for a request from `peer` with `headers`. The
/// header is read right to left: each trusted hop appended the address it
/// saw, so the first address not itself a trusted proxy is the client.
/// Anything left of an entry that does not parse is the client's own
/// writing and is not believed: the walk stops at the last address a
/// trusted hop vouched for. IPv4-mapped IPv6 forms are compared and
/// recorded as IPv4.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let peer = peer.to_canonical();
    if !is_trusted(&peer) {
        return peer;
    }
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer;
    for entry in entries.into_iter().rev() {
        let Ok(hop) = entry.parse::<IpAddr>().map(|ip| ip.to_canonical()) else {
            break;
        };
        client = hop;
        if !is_trusted(&hop) {
            break;
        }
    }
    client
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The largest page read back to find its nonce.
const PAGE_LIMIT: usize = 4 * 1024 * 1024;

/// A rendered page whose policy did not come with it (`app::csp` sets it
/// from inside the render; now and then, under load, a page has arrived
/// without it, and the default policy then blocks its own nonced hydration
/// scripts): the page's policy, from the nonce its scripts carry. A page
/// with no nonce gets the default policy, as before.
async fn page_policy_from_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, PAGE_LIMIT).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    let nonce = std::str::from_utf8(&bytes).ok().and_then(|html| {
        // Only scripts carry a nonce; escaped user text cannot contain one.
        let start = html.find(" nonce=\"")? + " nonce=\"".len();
        let end = html[start..].find('"')? + start;
        let nonce = &html[start..end];
        nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=-_".contains(&b))
            .then_some(nonce)
            .filter(|n| !n.is_empty())
    });
    if let Some(nonce) = nonce {
        tracing::warn!("a page arrived without its content security policy; set from its nonce");
        if let Ok(value) = HeaderValue::from_str(&app::csp::page_policy(nonce)) {
            parts.headers.insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

async fn security_headers(settings: &Settings, req: Request, next: Next) -> Response {
    let service_worker = req.uri().path() == "/sw.js";
    let mut response = next.run(req).await;
    if !response
        .headers()
        .contains_key(header::CONTENT_SECURITY_POLICY)
        && is_html(&response)
    {
        response = page_policy_from_body(response).await;
    }
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

    #[test]
    fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
        use super::client_address;
        use axum::http::HeaderMap;
        let trusted: Vec<ipnet::IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7, 10.0.0.3".parse().unwrap(),
        );
        // From a trusted proxy: the nearest untrusted hop.
        assert_eq!(
            client_address(ip("10.1.2.3"), &h, &trusted),
            ip("198.51.100.7")
        );
        // From anyone else: the header is ignored.
        assert_eq!(
            client_address(ip("192.0.2.1"), &h, &trusted),
            ip("192.0.2.1")
        );
        assert_eq!(client_address(ip("10.1.2.3"), &h, &[]), ip("10.1.2.3"));
        // A malformed header is not believed.
        let mut bad = HeaderMap::new();
        bad.insert("x-forwarded-for", "not-an-ip".parse().unwrap());
        assert_eq!(
            client_address(ip("10.1.2.3"), &bad, &trusted),
            ip("10.1.2.3")
        );
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_the_standard_500_with_its_request_id() {
        use axum::routing::get;
        use tower::ServiceExt;
        let settings = std::sync::Arc::new(app::state::Settings {
            public_url: "http://127.0.0.1:3000".to_owned(),
            production: false,
            auth: app::state::AuthPolicy::default(),
            dev_mailbox: false,
            webhooks: app::developer::destination::Policy::default(),
            trusted_proxies: Vec::new(),
            pseudonym_key: [0; 32],
            vault: app::vault::Keyring::development(),
        });
        #[allow(clippy::panic)]
        async fn boom() -> &'static str {
            panic!("boom")
        }
        let router = super::with_layers(axum::Router::new().route("/boom", get(boom)), settings);
        let res = router.oneshot(request("GET", "/boom", &[])).await.unwrap();
        assert_eq!(res.status(), 500);
        assert!(res.headers().contains_key("x-request-id"));
        assert!(res.headers().contains_key("content-security-policy"));
        let body = axum::body::to_bytes(res.into_body(), 1 << 16)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("boom"), "{text}");
    }

    #[tokio::test]
    async fn a_page_without_its_policy_gets_one_from_its_nonce() {
        use axum::http::header;
        let page = axum::response::Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(axum::body::Body::from(
                "<html><script nonce=\"abc123+/=\">x</script>&quot;nonce=&quot;</html>",
            ))
            .unwrap();
        let fixed = super::page_policy_from_body(page).await;
        let csp = fixed.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap();
        assert!(csp.contains("'nonce-abc123+/='"), "{csp}");
        let plain = axum::response::Response::builder()
            .header(header::CONTENT_TYPE, "text/html")
            .body(axum::body::Body::from("<html>no scripts</html>"))
            .unwrap();
        let kept = super::page_policy_from_body(plain).await;
        assert!(!kept.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    }
}
