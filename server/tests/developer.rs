//! The developer page's server functions over real HTTP: sandbox keys by
//! mail, live keys made and revoked by administrators only, "try a request"
//! through the API router, and the operator's per-organization limits.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::TestApp;
use serde_json::Value;
use uuid::Uuid;

/// The first word of `text` that starts with `prefix`.
fn word_with(text: &str, prefix: &str) -> String {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .find(|w| w.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix}… in {text}"))
        .to_owned()
}

async fn zip_status(app: &TestApp, key: &str) -> u16 {
    app.client
        .get(app.url("/api/v1/geo/zip/43215"))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn a_sandbox_key_arrives_by_mail_and_works() {
    let app = TestApp::spawn().await;
    let browser = TestApp::browser();

    let res = app
        .rpc(
            &browser,
            "developer/sandbox-key",
            &[("email", "not-an-email")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "email");

    let res = app
        .rpc(
            &browser,
            "developer/sandbox-key",
            &[("email", "dev@example.test")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let mail = app
        .wait_for_mail("dev@example.test", "sandbox API key")
        .await;
    let key = word_with(&mail.text, "ct_sandbox_");
    assert_eq!(zip_status(&app, &key).await, 200);
    // The key is never shown on the page: only mailed, and stored as a hash.
    let text: String = res.text().await.unwrap();
    assert!(!text.contains("ct_sandbox_"), "{text}");

    // Five a day per address; the sixth is refused with a reason.
    for _ in 0..4 {
        let res = app
            .rpc(
                &browser,
                "developer/sandbox-key",
                &[("email", "dev@example.test")],
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let res = app
        .rpc(
            &browser,
            "developer/sandbox-key",
            &[("email", "DEV@example.test")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["fields"][0]["message"]
            .as_str()
            .unwrap()
            .contains("five sandbox keys"),
        "{body}"
    );
}

#[tokio::test]
async fn live_keys_are_made_by_administrators_shown_once_and_revocable() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let other = app.org("clinic", "Lakeside Home Care").await;
    app.user("admin@riverbend.test", Some(clinic), Role::ClinicAdmin)
        .await;
    app.user("staff@riverbend.test", Some(clinic), Role::ClinicStaff)
        .await;
    app.user("admin@lakeside.test", Some(other), Role::ClinicAdmin)
        .await;

    // Not an administrator: nothing to manage, and no key.
    let staff = app.signed_in("staff@riverbend.test").await;
    let res = app.rpc(&staff, "developer/keys", &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap(), Value::Null);
    let res = app
        .rpc(&staff, "developer/keys/create", &[("name", "EHR")])
        .await;
    assert_eq!(res.status(), 403);
    let anonymous = TestApp::browser();
    let res = app
        .rpc(&anonymous, "developer/keys/create", &[("name", "EHR")])
        .await;
    assert_eq!(res.status(), 401);

    // The clinic's administrator makes one for their own clinic, even when
    // the form names another organization.
    let admin = app.signed_in("admin@riverbend.test").await;
    let res = app
        .rpc(&admin, "developer/keys/create", &[("name", " ")])
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .rpc(
            &admin,
            "developer/keys/create",
            &[
                ("name", "Scheduling integration"),
                ("organization_id", &other.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let key: String = res.json().await.unwrap();
    assert!(key.starts_with("ct_live_"), "{key}");
    assert_eq!(zip_status(&app, &key).await, 200);

    let res = app.rpc(&admin, "developer/keys", &[]).await;
    let view: Value = res.json().await.unwrap();
    let listed = &view["keys"][0];
    assert_eq!(listed["name"], "Scheduling integration");
    assert_eq!(listed["organization"], "Riverbend Home Health");
    assert!(key.starts_with(listed["prefix"].as_str().unwrap()));
    // Shown once: the listing never carries the secret.
    assert!(!view.to_string().contains(&key));
    let id = listed["id"].as_str().unwrap().to_owned();

    // A platform administrator sees it, but makes no key for another
    // organization (break-glass is the only way to its data).
    app.user("ops@carethread.test", None, Role::PlatformAdmin)
        .await;
    let ops = app.signed_in("ops@carethread.test").await;
    let res = app
        .rpc(
            &ops,
            "developer/keys/create",
            &[("name", "Quiet"), ("organization_id", &clinic.to_string())],
        )
        .await;
    assert_eq!(res.status(), 403);
    let view: Value = app
        .rpc(&ops, "developer/keys", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["platform"], true);
    assert_eq!(view["keys"].as_array().unwrap().len(), 1, "{view}");

    // Another clinic's administrator neither sees nor revokes it.
    let lakeside = app.signed_in("admin@lakeside.test").await;
    let view: Value = app
        .rpc(&lakeside, "developer/keys", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["keys"].as_array().unwrap().len(), 0, "{view}");
    let res = app
        .rpc(&lakeside, "developer/keys/revoke", &[("id", &id)])
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(zip_status(&app, &key).await, 200);

    let res = app
        .rpc(&admin, "developer/keys/revoke", &[("id", &id)])
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(zip_status(&app, &key).await, 401);

    let mut db = app.admin().await;
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_events WHERE subject_id = $1 ORDER BY seq")
            .bind(&id)
            .fetch_all(&mut db)
            .await
            .unwrap();
    assert_eq!(actions, ["api_key.created", "api_key.revoked"]);
}

#[tokio::test]
async fn try_a_request_answers_as_the_api_would() {
    let app = TestApp::spawn().await;
    let org = app.org("referrer", "Mercy General Hospital").await;
    let key = server::operator::create_api_key(&app.urls.admin, org, "console")
        .await
        .unwrap();
    let browser = TestApp::browser();

    let res = app
        .rpc(
            &browser,
            "developer/try",
            &[
                ("key", &key),
                ("method", "GET"),
                ("path", "/api/v1/geo/zip/43215"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let tried: Value = res.json().await.unwrap();
    assert_eq!(tried["status"], 200);
    let body: Value = serde_json::from_str(tried["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["data"]["city"], "Columbus");
    assert!(body["rate"]["remaining"].as_i64().is_some());
    let headers = tried["headers"].to_string();
    assert!(headers.contains("ratelimit-limit"), "{headers}");

    // The API's own errors come back as answers, not failures.
    let tried: Value = app
        .rpc(
            &browser,
            "developer/try",
            &[
                ("key", &key),
                ("method", "POST"),
                ("path", "/api/v1/discharge-referrals"),
                ("body", "{not json"),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tried["status"], 400);

    // The console's own form is checked field by field.
    let res = app
        .rpc(
            &browser,
            "developer/try",
            &[
                ("key", ""),
                ("method", "PUT"),
                ("path", "https://elsewhere"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields = common::each(&body["fields"], "field");
    assert_eq!(fields, ["method", "path", "key"]);
}

#[tokio::test]
async fn the_operator_sets_an_organizations_limits() {
    let app = TestApp::spawn().await;
    let org = app.org("referrer", "Mercy General Hospital").await;
    let key = server::operator::create_api_key(&app.urls.admin, org, "EHR")
        .await
        .unwrap();
    let set = |org: Uuid, per_minute: i32, per_day: i32| {
        let admin = app.urls.admin.clone();
        async move { server::operator::set_rate_limits(&admin, org, per_minute, per_day).await }
    };
    assert!(set(org, 0, 10).await.is_err());
    assert!(set(org, 10, 5).await.is_err());
    assert!(set(Uuid::new_v4(), 10, 100).await.is_err());
    let (sandbox, _) = server::operator::create_sandbox_key(&app.urls.admin, "s@example.test")
        .await
        .unwrap();
    assert!(set(sandbox, 1000, 10000).await.is_err());

    set(org, 2, 100).await.unwrap();
    let minute = common::minute_window().await;
    let mut statuses = Vec::new();
    for _ in 0..3 {
        let res = app
            .client
            .get(app.url("/api/v1/geo/zip/43215"))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["ratelimit-limit"], "2");
        statuses.push(res.status().as_u16());
    }
    assert_eq!(
        common::utc_minute(),
        minute,
        "the requests straddled a minute"
    );
    assert_eq!(statuses, [200, 200, 429]);
    // Setting them again replaces them.
    set(org, 50, 100).await.unwrap();
    let res = app
        .client
        .get(app.url("/api/v1/geo/zip/43215"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["ratelimit-limit"], "50");
}
