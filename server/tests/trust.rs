//! The trust portal against a real database: counts computed from the
//! subprocessor table, uptime from probes, the page itself, and the
//! vendor-packet form's validation and storage.

// Integration tests: a panic is the failure message.
#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use serde_json::Value;

async fn trust_json(app: &TestApp) -> Value {
    let res = app.get("/trust.json").await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn counts(v: &Value) -> (i64, i64, i64) {
    let c = &v["counts"];
    (
        c["subprocessors"].as_i64().unwrap(),
        c["baas_signed"].as_i64().unwrap(),
        c["phi_touching"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn counts_are_computed_from_the_subprocessor_table_as_it_changes() {
    let app = TestApp::spawn().await;
    let v = trust_json(&app).await;
    let rows = v["subprocessors"].as_array().unwrap();
    let expected = (
        rows.len() as i64,
        rows.iter().filter(|r| r["baa_signed"] == true).count() as i64,
        rows.iter().filter(|r| r["touches_phi"] == true).count() as i64,
    );
    assert_eq!(counts(&v), expected);
    assert_eq!(expected, (8, 4, 4), "seed content");

    let mut admin = app.admin().await;
    sqlx::raw_sql(
        "INSERT INTO subprocessors (vendor, purpose, region, baa_signed, touches_phi)
             VALUES ('Example Telehealth', 'Video visits', 'US', true, true);
         UPDATE subprocessors SET baa_signed = true WHERE vendor = 'Postmark';",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    assert_eq!(counts(&trust_json(&app).await), (9, 6, 5));

    sqlx::raw_sql("DELETE FROM subprocessors WHERE vendor IN ('Twilio', 'Stripe')")
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(counts(&trust_json(&app).await), (7, 5, 4));
}

#[tokio::test]
async fn a_vendor_touching_phi_without_a_baa_is_refused_by_the_database() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let err = sqlx::raw_sql(
        "INSERT INTO subprocessors (vendor, purpose, region, baa_signed, touches_phi)
         VALUES ('Leaky Analytics', 'Tracking', 'US', false, true)",
    )
    .execute(&mut admin)
    .await
    .unwrap_err();
    let constraint = err.as_database_error().and_then(|e| e.constraint());
    assert_eq!(constraint, Some("subprocessors_phi_requires_baa"));
}

#[tokio::test]
async fn uptime_is_computed_from_recorded_probes() {
    let app = TestApp::spawn().await;
    assert!(trust_json(&app).await["uptime"]["percent"].is_null());

    // Probes every minute from 120 to 61 minutes ago, then silence: the
    // silent hour is downtime.
    let mut admin = app.admin().await;
    sqlx::raw_sql(
        "INSERT INTO health_probes (probed_at, ok, latency_ms)
         SELECT date_trunc('minute', now()) - make_interval(mins => m) + interval '5 seconds', true, 1
         FROM generate_series(61, 120) AS m",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    let v = trust_json(&app).await;
    let uptime = &v["uptime"];
    assert_eq!(uptime["up_minutes"], 60);
    // From 120 minutes ago to two minutes ago (the grace for a pending
    // probe); one more if a minute boundary passed since the insert.
    let measured = uptime["measured_minutes"].as_i64().unwrap();
    assert!(measured == 119 || measured == 120, "{measured}");
    let percent = uptime["percent"].as_f64().unwrap();
    assert!(
        (percent - 6000.0 / measured as f64).abs() < 1e-9,
        "{percent}"
    );

    // A failed probe in a minute does not count as up; probes from two
    // processes in one minute count once.
    sqlx::raw_sql(
        "INSERT INTO health_probes (probed_at, ok, latency_ms)
         SELECT date_trunc('minute', now()) - make_interval(mins => m) + interval '20 seconds', m <> 30, 1
         FROM generate_series(2, 60) AS m
         UNION ALL
         SELECT date_trunc('minute', now()) - interval '100 minutes' + interval '40 seconds', true, 1",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    let uptime = &trust_json(&app).await["uptime"];
    assert_eq!(uptime["up_minutes"], 118);
    let measured = uptime["measured_minutes"].as_i64().unwrap();
    assert!(measured == 119 || measured == 120, "{measured}");
}

#[tokio::test]
async fn the_page_is_server_rendered_with_the_computed_figures() {
    let app = TestApp::spawn().await;
    let res = app.get("/trust").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(r#"data-testid="count-subprocessors">8<"#),
        "{html}"
    );
    assert!(html.contains(r#"data-testid="count-baas">4<"#));
    assert!(html.contains(r#"data-testid="count-phi">4<"#));
    assert!(html.contains("Amazon Web Services"));
    assert!(html.contains("SOC 2 Type II"));
    assert!(html.contains(r#"datetime="2026-11-20""#));
    assert!(html.contains("Request the vendor packet"));
    // The hydration script names the files cargo-leptos writes.
    assert!(html.contains("/pkg/carethread.js"), "{html}");
    assert!(html.contains("/pkg/carethread.wasm"), "{html}");
}

async fn post_packet(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url("/rpc/trust/vendor-packet"))
        .header("accept", "application/json")
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn stored_requests(app: &TestApp) -> i64 {
    let mut admin = app.admin().await;
    sqlx::query_scalar("SELECT count(*) FROM vendor_packet_requests")
        .fetch_one(&mut admin)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_valid_packet_request_is_stored_and_acknowledged() {
    let app = TestApp::spawn().await;
    let res = post_packet(
        &app,
        &[
            ("name", "Dana Ortiz"),
            ("email", "dana@mercy.example.org"),
            ("organization", "Mercy Regional"),
            ("packet", "sample_baa"),
            ("message", "For our Q1 review."),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    let receipt: Value = res.json().await.unwrap();
    let reference = receipt["reference"].as_str().unwrap();
    assert!(
        reference.starts_with("VP-") && reference.len() == 11,
        "{reference}"
    );
    assert_eq!(receipt["response_days"], 2);

    let mut admin = app.admin().await;
    let (name, packet): (String, String) =
        sqlx::query_as("SELECT requester_name, packet::text FROM vendor_packet_requests")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), packet.as_str()),
        ("Dana Ortiz", "sample_baa")
    );
}

#[tokio::test]
async fn an_invalid_packet_request_names_each_field_and_stores_nothing() {
    let app = TestApp::spawn().await;
    let res = post_packet(
        &app,
        &[
            ("name", ""),
            ("email", "dana@"),
            ("organization", "Mercy Regional"),
            ("packet", "everything"),
            ("message", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "validation_failed");
    let fields = common::each(&body["fields"], "field");
    assert_eq!(fields, ["name", "email", "packet"]);
    assert_eq!(stored_requests(&app).await, 0);
}

#[tokio::test]
async fn a_malformed_packet_request_is_a_client_error() {
    let app = TestApp::spawn().await;
    // A required argument is missing entirely.
    let res = post_packet(&app, &[("name", "Dana")]).await;
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "bad_request");
    assert_eq!(stored_requests(&app).await, 0);
}

#[tokio::test]
async fn anyone_may_file_packet_requests_but_only_platform_admins_read_them() {
    let app = TestApp::spawn().await;
    let res = post_packet(
        &app,
        &[
            ("name", "Dana Ortiz"),
            ("email", "dana@mercy.example.org"),
            ("organization", "Mercy Regional"),
            ("packet", "sbom"),
            ("message", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(stored_requests(&app).await, 1);
    // Without a platform administrator's identity, the policy shows nothing.
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM vendor_packet_requests")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(seen, 0);
}

#[tokio::test]
async fn hostile_packet_inputs_are_client_errors_never_server_errors() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(10_000);
    let cases: Vec<[(&str, &str); 5]> = vec![
        [
            ("name", &long),
            ("email", "a@b.co"),
            ("organization", "Org"),
            ("packet", "sbom"),
            ("message", ""),
        ],
        [
            ("name", "Nul\u{0}Byte"),
            ("email", "a@b.co"),
            ("organization", "Org"),
            ("packet", "sbom"),
            ("message", ""),
        ],
        [
            ("name", "Ana"),
            ("email", "ana@exämple.org'; DROP TABLE users;--"),
            ("organization", "Org"),
            ("packet", "sbom"),
            ("message", ""),
        ],
        [
            ("name", "Ana"),
            ("email", "a@b.co"),
            ("organization", "Org"),
            ("packet", "sbom' OR 1=1 --"),
            ("message", ""),
        ],
        [
            ("name", "Ana"),
            ("email", "a@b.co"),
            ("organization", "Org"),
            ("packet", "sbom"),
            ("message", &long),
        ],
        [
            ("name", "Ana"),
            ("email", "a@b.co"),
            ("organization", "\u{202e}\u{1b}[31m"),
            ("packet", "sbom"),
            ("message", ""),
        ],
    ];
    for fields in &cases {
        let res = post_packet(&app, fields).await;
        assert_eq!(
            res.status(),
            422,
            "{:?}",
            &fields.map(|(k, v)| (k, v.len()))
        );
    }
    // A body that is not form data at all.
    let res = app
        .client
        .post(app.url("/rpc/trust/vendor-packet"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![0xff, 0xfe, 0x00, 0x41])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_client_error(), "{}", res.status());
    assert_eq!(stored_requests(&app).await, 0);
}

/// Issue 16, item 7: platform administrators edit the portal; every change
/// is audited, bumps the last-reviewed date and is announced in the feed
/// (`/trust.json` and Atom) with the day a new vendor starts, which must
/// be at least 30 days ahead. Nobody else may edit.
#[tokio::test]
async fn platform_admins_edit_the_portal_audited_announced_and_dated() {
    use app::identity::Role;
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Trust Editors Clinic").await;
    app.user("ops@trust-edit.test", None, Role::PlatformAdmin)
        .await;
    app.user("boss@trust-edit.test", Some(clinic), Role::ClinicAdmin)
        .await;
    let admin = app.signed_in("ops@trust-edit.test").await;
    let clinic_admin = app.signed_in("boss@trust-edit.test").await;
    let mut db = app.admin().await;
    sqlx::raw_sql("UPDATE trust_settings SET last_reviewed = DATE '2026-01-02'")
        .execute(&mut db)
        .await
        .unwrap();
    let today = time::OffsetDateTime::now_utc().date();
    let soon = (today + time::Duration::days(10)).to_string();
    let later = (today + time::Duration::days(31)).to_string();
    let vendor = |starts: &str| {
        vec![
            ("vendor", "Acme Reminders <b>".to_owned()),
            ("purpose", "Text-message reminders".to_owned()),
            ("region", "US".to_owned()),
            ("baa_signed", "on".to_owned()),
            ("touches_phi", "on".to_owned()),
            ("phi_note", "initials and a time".to_owned()),
            ("starts_on", starts.to_owned()),
        ]
    };
    let form = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };
    let post =
        |client: &reqwest::Client, endpoint: &'static str, fields: Vec<(&'static str, String)>| {
            let client = client.clone();
            let url = app.url(&format!("/rpc/{endpoint}"));
            async move { client.post(url).form(&fields).send().await.unwrap() }
        };

    // Too little notice is refused, naming the field; nothing changes.
    let before = trust_json(&app).await;
    let res = post(&admin, "trust/subprocessors/save", form(&vendor(&soon))).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("starts_on"));
    // Another role is refused outright.
    let res = post(
        &clinic_admin,
        "trust/subprocessors/save",
        form(&vendor(&later)),
    )
    .await;
    assert_eq!(res.status(), 403);
    assert_eq!(counts(&trust_json(&app).await), counts(&before));

    let res = post(&admin, "trust/subprocessors/save", form(&vendor(&later))).await;
    assert!(res.status().is_success(), "{}", res.status());
    let after = trust_json(&app).await;
    let (n, baas, phi) = counts(&before);
    assert_eq!(counts(&after), (n + 1, baas + 1, phi + 1));
    let reviewed: time::Date = serde_json::from_value(after["last_reviewed"].clone()).unwrap();
    assert_eq!(reviewed, today, "the edit bumped the last-reviewed date");
    let change = &after["changes"][0];
    assert_eq!(change["item_kind"], "subprocessor");
    assert_eq!(change["change"], "added");
    assert!(change["summary"]
        .as_str()
        .unwrap()
        .starts_with("New subprocessor Acme Reminders <b> (Text-message reminders, US)"));
    let id = after["subprocessors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["vendor"] == "Acme Reminders <b>")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // The Atom feed carries it, escaped, with its start day.
    let res = app.get("/trust/feed.atom").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/atom+xml"));
    let atom = res.text().await.unwrap();
    assert!(
        atom.contains("subprocessor added: Acme Reminders &lt;b&gt;"),
        "{atom}"
    );
    assert!(!atom.contains("<b>"));

    // A change and a removal are announced too, and every edit is audited
    // in the platform's chain as the administrator who made it.
    let mut changed = vendor(&later);
    changed.push(("id", id.clone()));
    changed.retain(|(k, _)| *k != "touches_phi");
    let res = post(&admin, "trust/subprocessors/save", changed).await;
    assert!(res.status().is_success());
    assert_eq!(counts(&trust_json(&app).await).2, phi);
    let res = post(
        &admin,
        "trust/remove",
        vec![("kind", "subprocessor".into()), ("id", id.clone())],
    )
    .await;
    assert!(res.status().is_success());
    let res = post(
        &admin,
        "trust/remove",
        vec![("kind", "subprocessor".into()), ("id", id.clone())],
    )
    .await;
    assert_eq!(res.status(), 404, "removing twice");
    let v = trust_json(&app).await;
    assert_eq!(counts(&v), counts(&before));
    let kinds: Vec<&str> = v["changes"].as_array().unwrap()[..3]
        .iter()
        .map(|c| c["change"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["removed", "changed", "added"]);
    let events: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT a.details->>'change', a.actor_type, u.email
         FROM audit_events a JOIN users u ON u.id = a.actor_user_id
         WHERE a.action = 'trust.edited' AND a.subject_id = $1 ORDER BY a.seq",
    )
    .bind(&id)
    .fetch_all(&mut db)
    .await
    .unwrap();
    let expected = ["added", "changed", "removed"].map(|c| {
        (
            c.to_owned(),
            "user".to_owned(),
            "ops@trust-edit.test".to_owned(),
        )
    });
    assert_eq!(events, expected);

    // Certifications and principles: a scheduled one needs its date.
    let res = post(
        &admin,
        "trust/certifications/save",
        vec![("name", "HITRUST".into()), ("status", "scheduled".into())],
    )
    .await;
    assert_eq!(res.status(), 422);
    let res = post(
        &admin,
        "trust/certifications/save",
        vec![
            ("name", "HITRUST".into()),
            ("status", "scheduled".into()),
            ("status_date", "2027-09-01".into()),
        ],
    )
    .await;
    assert!(res.status().is_success());
    let res = post(
        &admin,
        "trust/principles/save",
        vec![
            ("title", "No sale of data".into()),
            ("body", "Ever.".into()),
        ],
    )
    .await;
    assert!(res.status().is_success());
    let v = trust_json(&app).await;
    assert!(v["certifications"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "HITRUST" && c["status"] == "scheduled"));
    assert_eq!(
        v["changes"][0]["summary"],
        "New data principle: No sale of data."
    );

    // The editing page is the administrator's alone.
    let page = admin.get(app.url("/admin/trust")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Add a subprocessor"));
}
