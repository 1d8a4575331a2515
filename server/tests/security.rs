//! Security headers on every kind of response, and a CSP whose nonce is
//! the one on the page's inline scripts.

// Integration tests: a panic is the failure message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{Options, TestApp};

fn assert_common_headers(res: &reqwest::Response, what: &str) {
    let h = res.headers();
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(csp.contains("'wasm-unsafe-eval'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "same-origin", "{what}");
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert!(h.contains_key("x-request-id"), "{what}: no request id");
    assert!(
        !h.contains_key("strict-transport-security"),
        "{what}: HSTS over plain http"
    );
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for (path, status) in [
        ("/", 200),
        ("/trust", 200),
        ("/trust.json", 200),
        ("/api/v1/health", 200),
        ("/api/v1/nope", 404),
        ("/no-such-page", 404),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), status, "{path}");
        assert_common_headers(&res, path);
    }
    // A server-function error response too.
    let res = app
        .client
        .post(app.url("/rpc/trust/vendor-packet"))
        .form(&[("name", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_common_headers(&res, "server fn error");
}

#[tokio::test]
async fn the_page_csp_nonce_is_the_one_on_its_inline_scripts() {
    let app = TestApp::spawn().await;
    let res = app.get("/trust").await;
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the page CSP")
        .to_owned();
    assert!(nonce.len() >= 16, "{nonce}");
    let html = res.text().await.unwrap();
    let scripts = html.matches("<script").count();
    let nonced = html.matches(&format!("nonce=\"{nonce}\"")).count();
    assert!(scripts > 0);
    assert_eq!(scripts, nonced, "every script carries the nonce");

    // A fresh nonce per response.
    let again = app.get("/trust").await.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_ne!(csp, again);
}

#[tokio::test]
async fn request_ids_are_unique_and_propagated() {
    let app = TestApp::spawn().await;
    let a = app.get("/api/v1/health").await.headers()["x-request-id"].clone();
    let b = app.get("/api/v1/health").await.headers()["x-request-id"].clone();
    assert_ne!(a, b);
}

#[tokio::test]
async fn hsts_is_sent_when_served_over_https() {
    let app = TestApp::spawn_with(Options {
        public_url: Some("https://care.example.org".into()),
        ..Options::default()
    })
    .await;
    let res = app.get("/api/v1/health").await;
    let hsts = res.headers()["strict-transport-security"].to_str().unwrap();
    assert!(hsts.starts_with("max-age="), "{hsts}");
}

#[tokio::test]
async fn cross_site_posts_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let form = [
        ("name", "Mallory"),
        ("email", "mallory@evil.example"),
        ("organization", "Evil Corp"),
        ("packet", "sbom"),
        ("message", ""),
    ];
    let post = |headers: Vec<(&'static str, String)>| {
        let mut req = app
            .client
            .post(app.url("/rpc/trust/vendor-packet"))
            .header("accept", "application/json")
            .form(&form);
        for (k, v) in headers {
            req = req.header(k, v);
        }
        req.send()
    };

    let res = post(vec![("sec-fetch-site", "cross-site".into())])
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_common_headers(&res, "refused cross-site POST");
    let res = post(vec![("origin", "https://evil.example".into())])
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let mut admin = app.admin().await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM vendor_packet_requests")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    // The same request from the page itself goes through.
    let res = post(vec![
        ("sec-fetch-site", "same-origin".into()),
        ("origin", app.base.clone()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 200);
}
