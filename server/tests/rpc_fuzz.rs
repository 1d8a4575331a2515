//! A fuzz pass over every server function (`/rpc/*`), as a browser's forms
//! reach them: for each registered function, signed out and signed in as
//! each role, a set of random and hostile bodies (empty, malformed
//! encodings, JSON where a form is expected, overlong and multi-byte
//! values, numbers at the edges of 64-bit integers, SQL and markup). Every
//! answer must be a 4xx or 2xx: never a 5xx, never a dropped connection.
//!
//! The functions are listed from the server-function registry, so a new
//! one is fuzzed without being named here. Field names are the union of
//! the functions' argument names; the form decoder ignores the ones a
//! function does not take.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::TestApp;
use rand::{Rng, SeedableRng};

/// Every argument name the server functions take (see the `#[server]`
/// functions under `app/src`); extra names are ignored by the decoder.
const FIELDS: [&str; 48] = [
    "action",
    "body",
    "care_type",
    "categories",
    "clinic_id",
    "clinician_id",
    "confirm",
    "current",
    "current_password",
    "cursor",
    "day_fri",
    "day_mon",
    "day_sat",
    "day_sun",
    "day_thu",
    "day_tue",
    "day_wed",
    "description",
    "diagnosis",
    "discipline",
    "email",
    "endpoint",
    "id",
    "key",
    "kind",
    "languages",
    "license_expires",
    "license_number",
    "license_state",
    "max_age_days",
    "message",
    "name",
    "new_password",
    "next",
    "note",
    "npi",
    "org_id",
    "organization",
    "password",
    "patient_birth_year",
    "patient_initials",
    "priority",
    "q",
    "radius",
    "reason",
    "requested_start",
    "role",
    "slots",
];

/// Values no function should choke on.
fn hostile_values() -> Vec<String> {
    vec![
        String::new(),
        " ".to_owned(),
        "0".to_owned(),
        "-1".to_owned(),
        "9223372036854775807".to_owned(),
        "-9223372036854775809".to_owned(),
        "1e308".to_owned(),
        "NaN".to_owned(),
        "true".to_owned(),
        "12345678é".to_owned(),
        "１２３４５６７８９３".to_owned(),
        "𝄞\u{200d}\u{fe0f}".repeat(50),
        "x".repeat(20_000),
        "\u{0}".to_owned(),
        "' OR 1=1 --".to_owned(),
        "<script>alert(1)</script>".to_owned(),
        "00000000-0000-0000-0000-000000000000".to_owned(),
        "de000000-0000-4000-8000-000000000201".to_owned(),
        "../../etc/passwd".to_owned(),
        "//evil.example/".to_owned(),
        "2026-02-30".to_owned(),
        "a@b".to_owned(),
    ]
}

/// The form bodies sent to every function: each hostile value in every
/// field, raw malformed bodies, and a few random ones (seeded: a failure
/// is reproducible).
fn bodies() -> Vec<(String, &'static str)> {
    let form = "application/x-www-form-urlencoded";
    let mut out: Vec<(String, &'static str)> = hostile_values()
        .into_iter()
        .map(|v| {
            let mut pairs = url::form_urlencoded::Serializer::new(String::new());
            for f in FIELDS {
                pairs.append_pair(f, &v);
            }
            (pairs.finish(), form)
        })
        .collect();
    for raw in [
        "",
        "%ZZ=%",
        "id=1&id=2&id[]=3",
        "=&&==",
        "email[]=a&password[x]=b",
    ] {
        out.push((raw.to_owned(), form));
    }
    out.push((
        "{\"id\": [1, {\"a\": null}]}".to_owned(),
        "application/json",
    ));
    out.push(("not json at all".to_owned(), "application/json"));
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261129);
    for _ in 0..4 {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for f in FIELDS {
            if rng.random_bool(0.5) {
                let len = rng.random_range(0..64);
                let v: String = (0..len)
                    .map(|_| char::from_u32(rng.random_range(1..0x3000)).unwrap_or('?'))
                    .collect();
                pairs.append_pair(f, &v);
            }
        }
        out.push((pairs.finish(), form));
    }
    out
}

#[tokio::test]
async fn no_server_function_answers_5xx_to_any_body_for_any_role() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let referrer = app.org("referrer", "Mercy General Hospital").await;
    let people = [
        (
            "director@riverbend.example",
            Some(clinic),
            Role::ClinicAdmin,
        ),
        ("intake@riverbend.example", Some(clinic), Role::ClinicStaff),
        ("planner@mercy.example", Some(referrer), Role::Referrer),
        ("nurse@example.org", None, Role::Clinician),
        ("family@example.org", None, Role::Family),
        ("ops@carethread.example", None, Role::PlatformAdmin),
    ];
    let mut browsers = vec![("signed out".to_owned(), TestApp::browser())];
    for (email, org, role) in people {
        app.user(email, org, role).await;
        browsers.push((format!("{role:?}"), app.signed_in(email).await));
    }

    let mut functions: Vec<(String, http::Method)> = leptos::server_fn::axum::server_fn_paths()
        .filter(|(path, _)| path.starts_with("/rpc/"))
        .map(|(p, m)| (p.to_owned(), m))
        .collect();
    functions.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        functions.len() > 40,
        "only {} server functions found",
        functions.len()
    );

    let bodies = bodies();
    let mut failures = Vec::new();
    let mut sent = 0;
    for (path, method) in &functions {
        // Signing out ends the session the rest of the pass uses.
        if path.ends_with("/auth/logout") {
            continue;
        }
        for (who, browser) in &browsers {
            for (body, content_type) in &bodies {
                let req = if *method == http::Method::GET {
                    browser.get(format!("{}?{body}", app.url(path)))
                } else {
                    browser
                        .post(app.url(path))
                        .header("content-type", *content_type)
                        .body(body.clone())
                };
                sent += 1;
                match req.send().await {
                    Ok(res) if res.status().is_server_error() => failures.push(format!(
                        "{method} {path} as {who}: {} for {}",
                        res.status(),
                        body.chars().take(120).collect::<String>()
                    )),
                    Ok(_) => {}
                    Err(error) => failures.push(format!(
                        "{method} {path} as {who}: no answer ({error}) for {}",
                        body.chars().take(120).collect::<String>()
                    )),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} requests failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
