//! Webhooks end to end: an endpoint registered over the API, a referral
//! created over FHIR, and the deliveries received by a real HTTP receiver
//! on loopback, verified with an independent Standard Webhooks library (the
//! `standardwebhooks` crate from crates.io) and the body HMAC header.
//! Retries after receiver failures, delivery after a worker "restart",
//! resend with the same id, tenant isolation of endpoints and secrets, and
//! the SSRF guard at registration and at delivery.

#![allow(clippy::unwrap_used)]

mod common;

use app::developer::destination::Policy;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use common::{Options, TestApp};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

/// A webhook receiver on loopback: records what arrives, answers with the
/// status it is told to.
#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    answer: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Self {
        let got: Arc<Mutex<Vec<(HeaderMap, Bytes)>>> = Arc::default();
        let answer = Arc::new(AtomicU16::new(200));
        let (g, a) = (got.clone(), answer.clone());
        let router = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let (g, a) = (g.clone(), a.clone());
                async move {
                    g.lock().unwrap().push((headers, body));
                    StatusCode::from_u16(a.load(Ordering::SeqCst)).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self { addr, got, answer }
    }

    fn url(&self) -> String {
        format!("http://{}/hooks", self.addr)
    }

    fn received(&self) -> Vec<(HeaderMap, Bytes)> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (up to 15 s) until `n` requests have arrived.
    async fn wait_for(&self, n: usize) -> Vec<(HeaderMap, Bytes)> {
        for _ in 0..150 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("expected {n} deliveries, got {}", self.received().len());
    }
}

struct Setup {
    app: TestApp,
    key: String,
    clinic: Uuid,
}

async fn setup(options: Options) -> Setup {
    let app = TestApp::spawn_with(options).await;
    let referrer = app.org("referrer", "Mercy General Hospital").await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    app.verified_clinician("Ana Ruiz, RN", "43215", Some(clinic))
        .await;
    let key = server::operator::create_api_key(&app.urls.admin, referrer, "EHR")
        .await
        .unwrap();
    Setup { app, key, clinic }
}

impl Setup {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        call(&self.app, &self.key, method, path, body).await
    }

    async fn register(&self, url: &str, events: &[&str]) -> (u16, Value) {
        self.call(
            reqwest::Method::POST,
            "/webhooks",
            Some(json!({ "url": url, "events": events, "description": "test receiver" })),
        )
        .await
    }
}

async fn call(
    app: &TestApp,
    key: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(method, app.url(&format!("/api/v1{path}")))
        .bearer_auth(key);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

fn fhir_service_request() -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "subject": { "reference": "#p1", "display": "Jane Doe" },
        "contained": [{
            "resourceType": "Patient", "id": "p1",
            "name": [{ "given": ["Jane"], "family": "Doe" }],
            "address": [{ "postalCode": "43215" }]
        }],
        "priority": "urgent",
        "reasonCode": [{ "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.9" }] }],
        "note": [{ "text": "Needs IV diuretic monitoring at home." }]
    })
}

/// Verifies one delivery with the independent library and the body HMAC.
fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) {
    let wh = standardwebhooks::Webhook::new(secret).unwrap();
    wh.verify(body, headers)
        .expect("the Standard Webhooks signature verifies");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
    assert_eq!(
        headers["x-carethread-signature"].to_str().unwrap(),
        expected
    );
    // A tampered body does not verify.
    let mut tampered = body.to_vec();
    tampered.push(b' ');
    assert!(wh.verify(&tampered, headers).is_err());
}

async fn deliveries(s: &Setup, endpoint: &str) -> Vec<Value> {
    let (status, body) = s
        .call(
            reqwest::Method::GET,
            &format!("/webhooks/{endpoint}/deliveries"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().unwrap().clone()
}

/// Waits until every listed message is settled (delivered or failed).
async fn settled(s: &Setup, endpoint: &str, n: usize) -> Vec<Value> {
    for _ in 0..150 {
        let d = deliveries(s, endpoint).await;
        if d.len() >= n && d.iter().all(|m| m["status"] != "pending") {
            return d;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "deliveries did not settle: {:?}",
        deliveries(s, endpoint).await
    );
}

#[tokio::test]
async fn a_fhir_referral_fires_signed_thin_webhooks_that_verify_independently() {
    let s = setup(Options::default()).await;
    let receiver = Receiver::start().await;
    let (status, created) = s
        .register(&receiver.url(), &["referral.created", "referral.matched"])
        .await;
    assert_eq!(status, 201, "{created}");
    let secret = created["data"]["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    let endpoint = created["data"]["id"].as_str().unwrap().to_owned();
    // The secret is shown once: never in a listing.
    let (_, listed) = s.call(reqwest::Method::GET, "/webhooks", None).await;
    assert_eq!(listed["data"][0]["id"], endpoint.as_str());
    assert!(listed["data"][0].get("secret").is_none());
    assert!(!listed.to_string().contains(&secret));

    let worker = s.app.webhook_worker();
    let res = s
        .app
        .client
        .post(s.app.url("/api/v1/fhir/ServiceRequest"))
        .bearer_auth(&s.key)
        .header("content-type", "application/fhir+json")
        .body(fhir_service_request().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let referral: Value = res.json().await.unwrap();
    let referral_id = referral["id"].as_str().unwrap().to_owned();

    let got = receiver.wait_for(2).await;
    let mut types = Vec::new();
    for (headers, body) in &got {
        verify(&secret, headers, body);
        let payload: Value = serde_json::from_slice(body).unwrap();
        types.push(payload["type"].as_str().unwrap().to_owned());
        assert_eq!(payload["data"]["referral_id"], referral_id.as_str());
        assert!(payload["data"]["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/api/v1/discharge-referrals/{referral_id}")));
        // Thin: no patient details.
        let text = String::from_utf8_lossy(body);
        for phi in ["Jane", "Doe", "JD", "diuretic", "43215", "I50"] {
            assert!(!text.contains(phi), "{phi} in {text}");
        }
        assert_eq!(headers["content-type"], "application/json");
    }
    types.sort();
    assert_eq!(types, ["referral.created", "referral.matched"]);

    // The log: both delivered at the first attempt, ids as sent.
    let log = settled(&s, &endpoint, 2).await;
    let sent_ids: Vec<String> = got
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    for m in &log {
        assert_eq!(m["status"], "delivered");
        assert_eq!(m["attempts"].as_array().unwrap().len(), 1);
        assert_eq!(m["attempts"][0]["status_code"], 200);
        assert!(sent_ids.contains(&m["id"].as_str().unwrap().to_owned()));
    }

    // Resend: the same message again, with the same id and body.
    let first = &log[0];
    let (status, _) = s
        .call(
            reqwest::Method::POST,
            &format!(
                "/webhooks/{endpoint}/deliveries/{}/resend",
                first["id"].as_str().unwrap()
            ),
            None,
        )
        .await;
    assert_eq!(status, 202);
    let again = receiver.wait_for(3).await;
    let (headers, body) = &again[2];
    assert_eq!(headers["webhook-id"], first["id"].as_str().unwrap());
    let original = got
        .iter()
        .find(|(h, _)| h["webhook-id"] == first["id"].as_str().unwrap())
        .unwrap();
    assert_eq!(body, &original.1);
    verify(&secret, headers, body);
    worker.abort();
}

#[tokio::test]
async fn failures_are_retried_with_backoff_and_every_attempt_is_logged() {
    let s = setup(Options::default()).await;
    let receiver = Receiver::start().await;
    receiver.answer.store(503, Ordering::SeqCst);
    let (_, created) = s.register(&receiver.url(), &["ping"]).await;
    let endpoint = created["data"]["id"].as_str().unwrap().to_owned();
    let secret = created["data"]["secret"].as_str().unwrap().to_owned();
    let (status, queued) = s
        .call(
            reqwest::Method::POST,
            &format!("/webhooks/{endpoint}/ping"),
            None,
        )
        .await;
    assert_eq!(status, 202);
    let id = queued["data"]["delivery_id"].as_str().unwrap().to_owned();

    let worker = s.app.webhook_worker();
    receiver.wait_for(2).await;
    receiver.answer.store(200, Ordering::SeqCst);
    let log = settled(&s, &endpoint, 1).await;
    worker.abort();

    let m = &log[0];
    assert_eq!(m["id"], id.as_str());
    assert_eq!(m["status"], "delivered");
    let attempts = m["attempts"].as_array().unwrap();
    assert!(attempts.len() >= 3, "{attempts:?}");
    for a in &attempts[..attempts.len() - 1] {
        assert_eq!(a["status_code"], 503);
        assert_eq!(a["error"], "HTTP 503 Service Unavailable");
    }
    assert_eq!(attempts.last().unwrap()["status_code"], 200);
    // Every attempt carried the same id, freshly signed.
    for (headers, body) in receiver.received() {
        assert_eq!(headers["webhook-id"], id.as_str());
        verify(&secret, &headers, &body);
    }
    // The waits grow: each gap at least the one before (200 ms doubling).
    let times: Vec<time::OffsetDateTime> = attempts
        .iter()
        .map(|a| {
            time::OffsetDateTime::parse(
                a["at"].as_str().unwrap(),
                &time::format_description::well_known::Rfc3339,
            )
            .unwrap()
        })
        .collect();
    let gaps: Vec<time::Duration> = times.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps[0] >= time::Duration::milliseconds(190), "{gaps:?}");
    if gaps.len() > 1 {
        assert!(gaps[1] >= time::Duration::milliseconds(390), "{gaps:?}");
    }
}

#[tokio::test]
async fn messages_survive_a_restart_of_the_worker() {
    let s = setup(Options::default()).await;
    let receiver = Receiver::start().await;
    receiver.answer.store(500, Ordering::SeqCst);
    let (_, created) = s.register(&receiver.url(), &["ping"]).await;
    let endpoint = created["data"]["id"].as_str().unwrap().to_owned();

    // Filed while no worker runs (the server is down): kept.
    let (_, first) = s
        .call(
            reqwest::Method::POST,
            &format!("/webhooks/{endpoint}/ping"),
            None,
        )
        .await;
    // A worker starts, fails once against the broken receiver, and dies.
    let worker = s.app.webhook_worker();
    receiver.wait_for(1).await;
    worker.abort();
    let _ = worker.await;
    let (_, second) = s
        .call(
            reqwest::Method::POST,
            &format!("/webhooks/{endpoint}/ping"),
            None,
        )
        .await;

    // Another process starts with the receiver fixed: both arrive, each
    // under the id it was filed with.
    receiver.answer.store(200, Ordering::SeqCst);
    let restarted = s.app.webhook_worker();
    let log = settled(&s, &endpoint, 2).await;
    restarted.abort();
    assert!(log.iter().all(|m| m["status"] == "delivered"), "{log:?}");
    let ok_ids: Vec<String> = receiver
        .received()
        .iter()
        .filter(|(h, _)| h.contains_key("webhook-id"))
        .map(|(h, _)| h["webhook-id"].to_str().unwrap().to_owned())
        .collect();
    for q in [&first, &second] {
        assert!(ok_ids.contains(&q["data"]["delivery_id"].as_str().unwrap().to_owned()));
    }
}

#[tokio::test]
async fn endpoints_and_secrets_stay_with_their_organization() {
    let s = setup(Options::default()).await;
    let receiver = Receiver::start().await;
    let (_, created) = s.register(&receiver.url(), &["ping"]).await;
    let endpoint = created["data"]["id"].as_str().unwrap().to_owned();

    let other_org = s.app.org("referrer", "St. Elsewhere").await;
    let other = server::operator::create_api_key(&s.app.urls.admin, other_org, "theirs")
        .await
        .unwrap();
    for (method, path) in [
        (reqwest::Method::GET, format!("/webhooks/{endpoint}")),
        (reqwest::Method::POST, format!("/webhooks/{endpoint}/ping")),
        (
            reqwest::Method::GET,
            format!("/webhooks/{endpoint}/deliveries"),
        ),
        (reqwest::Method::DELETE, format!("/webhooks/{endpoint}")),
    ] {
        let (status, body) = call(&s.app, &other, method, &path, None).await;
        assert_eq!(status, 404, "{path}: {body}");
    }
    let (_, theirs) = call(&s.app, &other, reqwest::Method::GET, "/webhooks", None).await;
    assert_eq!(theirs["data"], json!([]));

    // The web role cannot read a secret back, even its own.
    let mut conn = sqlx::PgConnection::connect(s.app.urls.app.expose())
        .await
        .unwrap();
    let denied = sqlx::query("SELECT secret FROM webhook_endpoints")
        .fetch_all(&mut conn)
        .await
        .unwrap_err();
    assert!(denied.to_string().contains("permission denied"), "{denied}");

    // Disabled: nothing more is sent, and a ping is refused.
    let (status, body) = s
        .call(
            reqwest::Method::DELETE,
            &format!("/webhooks/{endpoint}"),
            None,
        )
        .await;
    assert_eq!(
        (status, body["data"]["enabled"].clone()),
        (200, json!(false))
    );
    let (status, _) = s
        .call(
            reqwest::Method::POST,
            &format!("/webhooks/{endpoint}/ping"),
            None,
        )
        .await;
    assert_eq!(status, 409);
    let _ = s.clinic;
}

#[tokio::test]
async fn the_clinic_hears_of_referrals_routed_to_it_and_the_sender_of_their_fate() {
    let s = setup(Options::default()).await;
    let sender_hooks = Receiver::start().await;
    let clinic_hooks = Receiver::start().await;
    let (_, mine) = s
        .register(
            &sender_hooks.url(),
            &["referral.accepted", "referral.declined"],
        )
        .await;
    let clinic_key = server::operator::create_api_key(&s.app.urls.admin, s.clinic, "clinic EHR")
        .await
        .unwrap();
    let (status, theirs) = call(
        &s.app,
        &clinic_key,
        reqwest::Method::POST,
        "/webhooks",
        Some(json!({ "url": clinic_hooks.url(), "events": ["referral.created"] })),
    )
    .await;
    assert_eq!(status, 201, "{theirs}");
    let worker = s.app.webhook_worker();

    let res = s
        .app
        .client
        .post(s.app.url("/api/v1/fhir/ServiceRequest"))
        .bearer_auth(&s.key)
        .header("content-type", "application/fhir+json")
        .body(fhir_service_request().to_string())
        .send()
        .await
        .unwrap();
    let referral: Value = res.json().await.unwrap();
    let id = referral["id"].as_str().unwrap().to_owned();
    let got = clinic_hooks.wait_for(1).await;
    let secret = theirs["data"]["secret"].as_str().unwrap();
    verify(secret, &got[0].0, &got[0].1);
    let payload: Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(payload["type"], "referral.created");

    // The clinic accepts (as a person, in the inbox): the sender hears.
    let admin = s
        .app
        .user(
            "intake@riverbend.test",
            Some(s.clinic),
            app::auth::Role::ClinicAdmin,
        )
        .await;
    let browser = TestApp::browser();
    s.app.login(&browser, &admin.email, common::PASSWORD).await;
    let res = s
        .app
        .rpc(
            &browser,
            "referrals/step",
            &[("id", &id), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let got = sender_hooks.wait_for(1).await;
    verify(
        mine["data"]["secret"].as_str().unwrap(),
        &got[0].0,
        &got[0].1,
    );
    let payload: Value = serde_json::from_slice(&got[0].1).unwrap();
    assert_eq!(payload["type"], "referral.accepted");
    assert_eq!(payload["data"]["status"], "accepted");
    // The sender's endpoint was not subscribed to `created`: only one.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sender_hooks.received().len(), 1);
    assert_eq!(clinic_hooks.received().len(), 1);
    worker.abort();
}

#[tokio::test]
async fn private_and_loopback_destinations_are_refused() {
    // Production's rule: public addresses only (loopback not allowed).
    let strict = Policy {
        https_only: false,
        allow_loopback: false,
        ports: None,
    };
    let s = setup(Options {
        webhooks: Some(strict),
        ..Options::default()
    })
    .await;
    for url in [
        "http://127.0.0.1:9/hooks",
        "http://localhost:9/hooks",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://[::ffff:a9fe:a9fe]/latest/meta-data",
        "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.7/hooks",
        "http://192.168.1.20/hooks",
        "http://172.20.0.1/hooks",
        "http://100.64.1.1/hooks",
        "http://[fd00::1]/hooks",
        "http://[fe80::1]/hooks",
        "http://0.0.0.0/hooks",
        "ftp://example.org/hooks",
        "http://user:pass@example.org/hooks",
        "not a url",
    ] {
        let (status, body) = s.register(url, &["ping"]).await;
        assert_eq!(status, 422, "{url}: {body}");
        assert_eq!(body["error"]["code"], "validation_failed", "{url}");
        assert_eq!(body["error"]["fields"][0]["field"], "url", "{url}");
    }
    let (status, body) = s.register("https://example.org/hooks", &["nonsense"]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["fields"][0]["field"], "events");

    // Production also requires HTTPS.
    let p = app::developer::destination::parse(
        "http://example.org/hooks",
        Policy {
            https_only: true,
            allow_loopback: false,
            ports: None,
        },
    );
    assert_eq!(
        p.err(),
        Some(app::developer::destination::Refusal::NotHttps)
    );

    // At delivery too: an endpoint that was accepted under a looser rule
    // is refused by a worker applying the strict one, and not retried.
    let loose = setup(Options::default()).await;
    let receiver = Receiver::start().await;
    let (_, created) = loose.register(&receiver.url(), &["ping"]).await;
    let endpoint = created["data"]["id"].as_str().unwrap().to_owned();
    loose
        .call(
            reqwest::Method::POST,
            &format!("/webhooks/{endpoint}/ping"),
            None,
        )
        .await;
    let strict_sender = server::webhooks::Sender::new(strict).unwrap();
    server::webhooks::sender::deliver_due(&loose.app.worker_pool, &strict_sender)
        .await
        .unwrap();
    let log = settled(&loose, &endpoint, 1).await;
    assert_eq!(log[0]["status"], "failed");
    let attempts = log[0]["attempts"].as_array().unwrap();
    assert_eq!(attempts.len(), 1);
    assert!(attempts[0]["error"]
        .as_str()
        .unwrap()
        .contains("not on the public internet"));
    assert!(receiver.received().is_empty());
}

use sqlx::Connection;
