//! Discharge referrals end to end over HTTP and a real database as the
//! application role: the state machine in Rust and in the database,
//! matching on known data, routing, the clinic inbox and its isolation,
//! triage with coded reasons, assignment, history, audit and domain events,
//! and the notification mail.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use app::referrals::ReferralStatus;
use common::TestApp;
use serde_json::Value;
use uuid::Uuid;

struct World {
    riverbend: Uuid,
    lakeside: Uuid,
    planner: reqwest::Client,
    riverbend_staff: reqwest::Client,
    lakeside_admin: reqwest::Client,
}

/// A clinician fixture.
#[allow(clippy::too_many_arguments)]
async fn clinician(
    app: &TestApp,
    name: &str,
    zip: &str,
    radius: i32,
    categories: &str,
    slots: i32,
    verified: bool,
    license_days: i32,
    clinic: Option<Uuid>,
) -> Uuid {
    let mut admin = app.admin().await;
    let id = Uuid::new_v4();
    let npi = format!("1{:09}", rand_digits(&id));
    sqlx::query(
        "INSERT INTO clinicians (id, display_name, discipline, npi, home_zip, lat, lon,
             service_radius_miles, care_types, diagnosis_categories, available_days, open_slots,
             verification_status, verified_at)
         SELECT $1, $2, 'rn', $3, zip, lat, lon, $4, '{skilled_nursing}', string_to_array($5, ','),
                127, $6, CASE WHEN $7 THEN 'verified' ELSE 'pending' END::verification_status,
                CASE WHEN $7 THEN now() END
         FROM zip_codes WHERE zip = $8",
    )
    .bind(id)
    .bind(name)
    .bind(npi)
    .bind(radius)
    .bind(categories)
    .bind(slots)
    .bind(verified)
    .bind(zip)
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO clinician_licenses (clinician_id, state, number, expires_on,
             verification_status, verified_at)
         SELECT $1, state, 'LIC-' || $2, current_date + $3,
                CASE WHEN $5 THEN 'verified' ELSE 'pending' END::verification_status,
                CASE WHEN $5 THEN now() END
         FROM zip_codes WHERE zip = $4",
    )
    .bind(id)
    .bind(name.len().to_string())
    .bind(license_days)
    .bind(zip)
    .bind(verified)
    .execute(&mut admin)
    .await
    .unwrap();
    if let Some(clinic) = clinic {
        app.affiliate(clinic, id).await;
    }
    id
}

fn rand_digits(id: &Uuid) -> u64 {
    (id.as_u128() % 1_000_000_000) as u64
}

/// A verified nurse at Riverbend in the patient's ZIP, with heart-failure
/// experience and two open slots: the match most tests need.
async fn near_nurse(app: &TestApp, w: &World) -> Uuid {
    clinician(
        app,
        "Near Nurse",
        "43215",
        20,
        "I50",
        2,
        true,
        400,
        Some(w.riverbend),
    )
    .await
}

async fn world(app: &TestApp) -> World {
    let riverbend = app.org("clinic", "Riverbend Home Health").await;
    let lakeside = app.org("clinic", "Lakeside Home Care").await;
    let mercy = app.org("referrer", "Mercy General Hospital").await;
    app.user("planner@mercy.example", Some(mercy), Role::Referrer)
        .await;
    app.user(
        "intake@riverbend.example",
        Some(riverbend),
        Role::ClinicStaff,
    )
    .await;
    app.user(
        "director@riverbend.example",
        Some(riverbend),
        Role::ClinicAdmin,
    )
    .await;
    app.user(
        "director@lakeside.example",
        Some(lakeside),
        Role::ClinicAdmin,
    )
    .await;
    World {
        riverbend,
        lakeside,
        planner: app.signed_in("planner@mercy.example").await,
        riverbend_staff: app.signed_in("intake@riverbend.example").await,
        lakeside_admin: app.signed_in("director@lakeside.example").await,
    }
}

fn today_plus(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

async fn send(
    app: &TestApp,
    planner: &reqwest::Client,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let start = today_plus(2);
    let mut form: Vec<(&str, &str)> = vec![
        ("patient_initials", "J.D."),
        ("patient_birth_year", "1948"),
        ("zip", "43215"),
        ("diagnosis", "I50.9 Heart failure, unspecified"),
        ("care_type", "skilled_nursing"),
        ("priority", "priority"),
        ("requested_start", &start),
        ("notes", "Daily weights; lives alone."),
        ("clinic_id", ""),
    ];
    for (k, v) in fields {
        if let Some(slot) = form.iter_mut().find(|(key, _)| key == k) {
            slot.1 = v;
        }
    }
    app.rpc(planner, "referrals/create", &form).await
}

async fn detail(app: &TestApp, who: &reqwest::Client, id: &str) -> reqwest::Response {
    app.rpc(who, "referrals/get", &[("id", id)]).await
}

#[tokio::test]
async fn the_databases_transition_table_is_the_state_machine() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let mut in_db: Vec<(String, String)> = sqlx::query_as(
        "SELECT from_status::text, to_status::text FROM referral_transitions ORDER BY 1, 2",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    in_db.sort();
    let mut in_rust: Vec<(String, String)> = ReferralStatus::ALL
        .iter()
        .flat_map(|from| {
            from.next()
                .iter()
                .map(|to| (from.as_str().to_owned(), to.as_str().to_owned()))
        })
        .collect();
    in_rust.sort();
    assert_eq!(in_db, in_rust);
}

#[tokio::test]
async fn matching_keeps_only_eligible_clinicians_and_ranks_them() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // Columbus, OH 43215 is the patient's home.
    let near = clinician(
        &app,
        "Near Nurse",
        "43215",
        20,
        "I50,E11",
        2,
        true,
        400,
        Some(w.riverbend),
    )
    .await;
    let farther = clinician(
        &app,
        "Farther Nurse",
        "43081",
        30,
        "I50",
        2,
        true,
        400,
        None,
    )
    .await;
    let _expired = clinician(
        &app,
        "Lapsed License",
        "43215",
        20,
        "I50",
        2,
        true,
        -1,
        None,
    )
    .await;
    let _out_of_radius = clinician(
        &app,
        "Cleveland Nurse",
        "44114",
        25,
        "I50",
        2,
        true,
        400,
        None,
    )
    .await;
    let _unverified = clinician(
        &app,
        "Pending Nurse",
        "43215",
        20,
        "I50",
        2,
        false,
        400,
        None,
    )
    .await;
    let _no_experience = clinician(
        &app,
        "Diabetes Only",
        "43215",
        20,
        "E11",
        2,
        true,
        400,
        None,
    )
    .await;
    let _full = clinician(&app, "No Room", "43215", 20, "I50", 0, true, 400, None).await;

    let res = send(&app, &w.planner, &[]).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id: String = res.json().await.unwrap();
    let body: Value = detail(&app, &w.planner, &id).await.json().await.unwrap();
    let r = &body["referral"];
    let matched: Vec<&str> = r["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["clinician_id"].as_str().unwrap())
        .collect();
    assert_eq!(matched, [near.to_string(), farther.to_string()]);
    let explanation = r["matches"][0]["explanation"].as_str().unwrap();
    assert!(
        explanation.contains(" mi, Heart failure experience (I50)"),
        "{explanation}"
    );
    assert!(
        explanation.contains("available from") || explanation.contains("next opening"),
        "{explanation}"
    );
    // Routed to the clinic of the best match, and matched.
    assert_eq!(r["clinic"], "Riverbend Home Health");
    assert_eq!(r["status"], "matched");
    let history: Vec<&str> = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["received", "matched"]);
}

#[tokio::test]
async fn bad_input_names_each_field_and_saves_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let res = send(
        &app,
        &w.planner,
        &[
            ("patient_initials", "John Doe"),
            ("zip", "4321"),
            ("diagnosis", "heart"),
            ("care_type", ""),
            ("requested_start", "2020-01-01"),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields = common::each(&body["fields"], "field");
    assert_eq!(
        fields,
        [
            "patient_initials",
            "zip",
            "diagnosis",
            "care_type",
            "requested_start"
        ]
    );

    // Well-formed but unknown to the reference data.
    let res = send(&app, &w.planner, &[("zip", "00000"), ("diagnosis", "I50")]).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let messages = common::each(&body["fields"], "message");
    assert!(messages[0].contains("ZIP code we know"), "{messages:?}");
    assert!(messages[1].contains("category"), "{messages:?}");

    let mut admin = app.admin().await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM referrals")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(stored, 0);
    // Only referrers send referrals.
    let res = send(&app, &w.riverbend_staff, &[]).await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_clinic_triages_in_its_inbox_and_no_other_clinic_sees_it() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let nurse = near_nurse(&app, &w).await;
    let id: String = send(&app, &w.planner, &[]).await.json().await.unwrap();

    // The clinic's inbox has it; another clinic's has nothing and cannot open it.
    let inbox: Value = app
        .rpc(&w.riverbend_staff, "referrals/list", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["items"][0]["id"], id);
    assert_eq!(inbox["items"][0]["counterpart"], "Mercy General Hospital");
    let other: Value = app
        .rpc(&w.lakeside_admin, "referrals/list", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(other["items"].as_array().unwrap().len(), 0);
    assert_eq!(detail(&app, &w.lakeside_admin, &id).await.status(), 404);

    // Reading the detail is audited in the clinic's chain.
    assert_eq!(detail(&app, &w.riverbend_staff, &id).await.status(), 200);
    let mut admin = app.admin().await;
    let viewed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE organization_id = $1 AND action = 'referral.viewed'",
    )
    .bind(w.riverbend)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(viewed, 1);

    // Assigning before accepting is refused; accepting then assigning works.
    let res = app
        .rpc(
            &w.riverbend_staff,
            "referrals/assign",
            &[("id", &id), ("clinician_id", &nurse.to_string())],
        )
        .await;
    assert_eq!(res.status(), 409);
    let res = app
        .rpc(
            &w.riverbend_staff,
            "referrals/step",
            &[("id", &id), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let res = app
        .rpc(
            &w.riverbend_staff,
            "referrals/assign",
            &[("id", &id), ("clinician_id", &nurse.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // Illegal moves are errors with a clear message.
    let res = app
        .rpc(
            &w.riverbend_staff,
            "referrals/step",
            &[("id", &id), ("action", "decline"), ("reason", "payer")],
        )
        .await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("cannot become declined"),
        "{body}"
    );
    // The referring side cannot take the clinic's steps.
    let res = app
        .rpc(
            &w.planner,
            "referrals/step",
            &[("id", &id), ("action", "close")],
        )
        .await;
    assert_eq!(res.status(), 403);
    // Scheduling and the first visit are not steps: visits make them.
    for action in ["schedule", "first_visit_done"] {
        let res = app
            .rpc(
                &w.riverbend_staff,
                "referrals/step",
                &[("id", &id), ("action", action)],
            )
            .await;
        assert_eq!(res.status(), 400, "{action}");
    }

    // The referrer sees the new status and who was assigned.
    let seen: Value = detail(&app, &w.planner, &id).await.json().await.unwrap();
    assert_eq!(seen["referral"]["status"], "accepted");
    assert_eq!(seen["referral"]["assigned_clinician"], "Near Nurse");
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT event_type::text FROM domain_events ORDER BY occurred_at, event_type::text",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    for expected in [
        "referral.created",
        "referral.matched",
        "referral.accepted",
        "referral.assigned",
    ] {
        assert!(
            events.iter().any(|e| e == expected),
            "{expected} in {events:?}"
        );
    }
    let payload: Value = sqlx::query_scalar(
        "SELECT payload FROM domain_events WHERE event_type = 'referral.accepted'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(payload["referral_id"], id);
    assert!(
        !payload.to_string().contains("J.D") && !payload.to_string().contains("JD"),
        "thin: {payload}"
    );
}

#[tokio::test]
async fn a_decline_carries_a_coded_reason_and_other_needs_words() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    near_nurse(&app, &w).await;
    let id: String = send(&app, &w.planner, &[]).await.json().await.unwrap();
    let res = app
        .rpc(
            &w.riverbend_staff,
            "referrals/step",
            &[("id", &id), ("action", "decline"), ("reason", "")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .rpc(
            &w.riverbend_staff,
            "referrals/step",
            &[("id", &id), ("action", "decline"), ("reason", "other")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .rpc(
            &w.riverbend_staff,
            "referrals/step",
            &[
                ("id", &id),
                ("action", "decline"),
                ("reason", "no_capacity"),
                ("note", "Full until January"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let seen: Value = detail(&app, &w.planner, &id).await.json().await.unwrap();
    assert_eq!(seen["referral"]["status"], "declined");
    assert_eq!(seen["referral"]["decline_reason"], "no_capacity");
    let last = seen["referral"]["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["reason"], "Full until January");
    // The referrer sees which organization acted; the clinic sees who.
    assert_eq!(last["actor"], "Riverbend Home Health");
    let inside: Value = detail(&app, &w.riverbend_staff, &id)
        .await
        .json()
        .await
        .unwrap();
    let last = inside["referral"]["history"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["actor"], "Test intake");
    // Final: nothing moves a declined referral.
    let res = app
        .rpc(
            &w.riverbend_staff,
            "referrals/step",
            &[("id", &id), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn the_database_refuses_illegal_moves_whatever_the_code_does() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    near_nurse(&app, &w).await;
    let id: String = send(&app, &w.planner, &[]).await.json().await.unwrap();
    let mut admin = app.admin().await;
    let err = sqlx::query("UPDATE referrals SET status = 'closed' WHERE id = $1::uuid")
        .bind(&id)
        .execute(&mut admin)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("cannot go from matched to closed"),
        "{err}"
    );
    let err = sqlx::query(
        "INSERT INTO referrals (organization_id, id, reference, patient_initials, zip, diagnosis_code,
             care_type, priority, requested_start, status)
         SELECT organization_id, gen_random_uuid(), 'R-00000000', 'AB', zip, diagnosis_code, care_type,
                priority, requested_start, 'accepted' FROM referrals LIMIT 1",
    )
    .execute(&mut admin)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("starts as received"), "{err}");
}

#[tokio::test]
async fn the_inbox_filters_and_pages_by_keyset() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    near_nurse(&app, &w).await;
    for i in 0..27 {
        let priority = if i % 3 == 0 { "urgent" } else { "routine" };
        let res = send(&app, &w.planner, &[("priority", priority)]).await;
        assert_eq!(res.status(), 200);
    }
    let first: Value = app
        .rpc(&w.riverbend_staff, "referrals/list", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["items"].as_array().unwrap().len(), 25);
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let second: Value = app
        .rpc(&w.riverbend_staff, "referrals/list", &[("cursor", &cursor)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(second["items"].as_array().unwrap().len(), 2);
    assert_eq!(second["next_cursor"], Value::Null);
    let mut ids: Vec<&str> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second["items"].as_array().unwrap())
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 27, "no referral twice, none missed");

    let urgent: Value = app
        .rpc(
            &w.riverbend_staff,
            "referrals/list",
            &[("priority", "urgent")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(urgent["items"].as_array().unwrap().len(), 9);
    let accepted: Value = app
        .rpc(
            &w.riverbend_staff,
            "referrals/list",
            &[("status", "accepted")],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(accepted["items"].as_array().unwrap().len(), 0);
    let res = app
        .rpc(
            &w.riverbend_staff,
            "referrals/list",
            &[("cursor", "not-a-cursor")],
        )
        .await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn clinic_staff_and_the_referrer_are_mailed_initials_and_a_link_only() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    near_nurse(&app, &w).await;
    let id: String = send(&app, &w.planner, &[]).await.json().await.unwrap();
    let mail = app
        .wait_for_mail("intake@riverbend.example", "New referral")
        .await;
    assert!(mail.text.contains("JD"), "{}", mail.text);
    assert!(
        mail.text.contains(&format!("/clinic/inbox/{id}")),
        "{}",
        mail.text
    );
    for phi in ["Heart failure", "I50", "1948", "43215", "Daily weights"] {
        assert!(
            !mail.text.contains(phi) && !mail.html.contains(phi),
            "{phi} in the mail"
        );
    }
    app.wait_for_mail("director@riverbend.example", "New referral")
        .await;
    assert!(app.mail_to("director@lakeside.example").is_empty());

    app.rpc(
        &w.riverbend_staff,
        "referrals/step",
        &[("id", &id), ("action", "accept")],
    )
    .await;
    let mail = app.wait_for_mail("planner@mercy.example", "Accepted").await;
    assert!(mail.text.contains(&format!("/referrer/referrals/{id}")));
}

#[tokio::test]
async fn diagnoses_are_searched_by_words_or_code_and_zips_are_real() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let found: Value = app
        .rpc(&w.planner, "referrals/diagnoses", &[("q", "heart fail")])
        .await
        .json()
        .await
        .unwrap();
    let displays: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["display"].as_str().unwrap())
        .collect();
    assert!(displays.contains(&"I50.9"), "{displays:?}");
    let by_code: Value = app
        .rpc(&w.planner, "referrals/diagnoses", &[("q", "E11.9")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(by_code[0]["display"], "E11.9");
    let place: Value = app
        .rpc(&w.planner, "referrals/zip", &[("zip", "43215")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(place["city"], "Columbus");
    assert_eq!(place["state"], "OH");
    let none: Value = app
        .rpc(&w.planner, "referrals/zip", &[("zip", "00000")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(none, Value::Null);
    let _ = w.lakeside;
}

/// Issue 16, item 1: the clinic dashboard's figures come from the
/// clinic's own referrals: volume by week, time to placement (median and
/// 90th percentile), decline reasons; another clinic's dashboard counts
/// none of them, and a referrer has no such dashboard. The page draws
/// them as SVG with a table of the same figures.
#[tokio::test]
async fn the_dashboard_charts_count_the_clinics_own_referrals() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    near_nurse(&app, &w).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let id: String = send(&app, &w.planner, &[]).await.json().await.unwrap();
        ids.push(id);
    }
    for id in &ids[..2] {
        let res = app
            .rpc(
                &w.riverbend_staff,
                "referrals/step",
                &[("id", id), ("action", "accept")],
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let res = app
        .rpc(
            &w.riverbend_staff,
            "referrals/step",
            &[
                ("id", &ids[2]),
                ("action", "decline"),
                ("reason", "no_capacity"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    // Placed 2 and 10 hours after arrival: median 6, 90th percentile 9.2.
    let mut db = app.admin().await;
    for (id, hours) in [(&ids[0], 2), (&ids[1], 10)] {
        sqlx::query(
            "UPDATE referrals r SET received_at = h.occurred_at - make_interval(hours => $2)
             FROM referral_history h
             WHERE h.referral_id = r.id AND h.to_status = 'accepted' AND r.id = $1::uuid",
        )
        .bind(id)
        .bind(hours)
        .execute(&mut db)
        .await
        .unwrap();
    }

    let res = app.rpc(&w.riverbend_staff, "dashboard/charts", &[]).await;
    assert_eq!(res.status(), 200);
    let charts: Value = res.json().await.unwrap();
    let total: i64 = charts["weekly"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["value"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 3, "{charts}");
    assert_eq!(charts["placement"]["placed"], 2);
    let near = |v: &Value, x: f64| (v.as_f64().unwrap() - x).abs() < 0.01;
    assert!(near(&charts["placement"]["median_hours"], 6.0), "{charts}");
    assert!(near(&charts["placement"]["p90_hours"], 9.2), "{charts}");
    assert_eq!(charts["declines"][0]["value"], 1);
    assert_eq!(charts["declines"].as_array().unwrap().len(), 1);

    // Another clinic counts none of them; a referrer is refused.
    let other: Value = app
        .rpc(&w.lakeside_admin, "dashboard/charts", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(other["weekly"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["value"] == 0));
    assert_eq!(other["placement"]["placed"], 0);
    let res = app.rpc(&w.planner, "dashboard/charts", &[]).await;
    assert_eq!(res.status(), 403);
    let res = app
        .rpc(
            &w.riverbend_staff,
            "dashboard/charts",
            &[("from", "2026-12-01"), ("to", "2026-01-01")],
        )
        .await;
    assert_eq!(res.status(), 422);

    // The page: an SVG per chart, each with its table.
    let page = w
        .riverbend_staff
        .get(app.url("/clinic"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-testid=\"chart-referrals\""));
    assert!(page.contains("<svg role=\"img\""));
    assert!(page.contains("Show the figures as a table"));
    assert!(
        page.contains("median 6.0 h, 90th percentile 9.2 h"),
        "{page}"
    );
}

/// The clinic's settings through the session: the profile (refused field
/// by field with nothing saved, then saved and audited by field name), a
/// staff member reads but cannot save, the service area steers routing,
/// and webhook endpoints are managed with no key typed.
#[tokio::test]
async fn clinic_settings_profile_service_area_and_webhooks_through_the_session() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let director = app.signed_in("director@riverbend.example").await;
    let profile = |client: reqwest::Client| {
        let app = &app;
        async move {
            let res = app.rpc(&client, "clinic/settings", &[]).await;
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let mut admin = app.admin().await;
    let elsewhere: String =
        sqlx::query_scalar("SELECT zip FROM zip_codes WHERE zip <> '43215' ORDER BY zip LIMIT 1")
            .fetch_one(&mut admin)
            .await
            .unwrap();

    // Refused field by field; nothing saved.
    let res = app
        .rpc(
            &director,
            "clinic/settings/save",
            &[
                ("phone", "555-01"),
                ("zip", "00000"),
                ("website", "http://riverbend.example"),
                ("service_zips", "43215 4321"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let mut named: Vec<String> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap().to_owned())
        .collect();
    named.sort();
    assert_eq!(named, ["phone", "service_zips", "website", "zip"]);
    assert_eq!(profile(director.clone()).await["phone"], "");

    // Saved; read back; audited with the names of what changed.
    let res = app
        .rpc(
            &director,
            "clinic/settings/save",
            &[
                ("phone", "(614) 555-0100"),
                ("street_address", "200 Civic Center Dr"),
                ("zip", "43215"),
                ("website", "https://riverbend.example"),
                ("service_zips", &format!("43215, {elsewhere}")),
            ],
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let p = profile(w.riverbend_staff.clone()).await;
    assert_eq!(p["phone"], "6145550100");
    assert_eq!(p["service_zips"], serde_json::json!(["43215", elsewhere]));
    let changed: Value = sqlx::query_scalar(
        "SELECT details->'changed' FROM audit_events
         WHERE organization_id = $1 AND action = 'clinic.settings_changed'",
    )
    .bind(w.riverbend)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        changed,
        serde_json::json!(["phone", "street_address", "zip", "website", "service_zips"])
    );
    let res = app
        .rpc(&w.riverbend_staff, "clinic/settings/save", &[("phone", "")])
        .await;
    assert_eq!(res.status(), 403);

    // Routing: the nearest clinic is passed over when its area leaves the
    // ZIP out; with both areas excluding it, nobody gets the referral.
    near_nurse(&app, &w).await;
    clinician(
        &app,
        "Lakeside Nurse",
        "43215",
        20,
        "I50",
        2,
        true,
        400,
        Some(w.lakeside),
    )
    .await;
    let first = routed_to(&app, &w.planner).await;
    assert!(first == Some(w.riverbend) || first == Some(w.lakeside));
    let res = app
        .rpc(
            &director,
            "clinic/settings/save",
            &[("service_zips", elsewhere.as_str())],
        )
        .await;
    assert!(res.status().is_success());
    assert_eq!(routed_to(&app, &w.planner).await, Some(w.lakeside));
    let res = app
        .rpc(
            &w.lakeside_admin,
            "clinic/settings/save",
            &[("service_zips", elsewhere.as_str())],
        )
        .await;
    assert!(res.status().is_success());
    assert_eq!(routed_to(&app, &w.planner).await, None);

    // Webhooks with the session, no key: register, list, ping, the log,
    // disable. Staff may not; without `via` a key is still required.
    let res = app
        .rpc(
            &director,
            "developer/webhooks/register",
            &[
                ("via", "session"),
                ("url", "http://127.0.0.1:9/carethread"),
                ("ping", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let created: Value = res.json().await.unwrap();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let res = app
        .rpc(&director, "developer/webhooks", &[("via", "session")])
        .await;
    let list: Value = res.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let endpoint = list[0]["id"].as_str().unwrap().to_owned();
    let res = app
        .rpc(
            &director,
            "developer/webhooks/ping",
            &[("via", "session"), ("endpoint", &endpoint)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .rpc(
            &director,
            "developer/webhooks/deliveries",
            &[("via", "session"), ("endpoint", &endpoint)],
        )
        .await;
    let log: Value = res.json().await.unwrap();
    assert_eq!(log[0]["event_type"], "ping");
    let res = app
        .rpc(
            &w.riverbend_staff,
            "developer/webhooks",
            &[("via", "session")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app.rpc(&director, "developer/webhooks", &[]).await;
    assert_eq!(res.status(), 422, "no key and no session asked for");
    let res = app
        .rpc(
            &director,
            "developer/webhooks/disable",
            &[("via", "session"), ("endpoint", &endpoint)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .rpc(&director, "developer/webhooks", &[("via", "session")])
        .await;
    let list: Value = res.json().await.unwrap();
    assert_eq!(list[0]["enabled"], false);
}

/// Sends a referral and answers the clinic it was routed to.
async fn routed_to(app: &TestApp, planner: &reqwest::Client) -> Option<Uuid> {
    let res = send(app, planner, &[]).await;
    assert!(res.status().is_success(), "{}", res.status());
    let mut admin = app.admin().await;
    sqlx::query_scalar("SELECT clinic_id FROM referrals ORDER BY received_at DESC, id LIMIT 1")
        .fetch_one(&mut admin)
        .await
        .unwrap()
}

/// Branches through the settings doors: added (a bad ZIP named), a staff
/// member put in one, and from then on their inbox holds the branch's
/// referrals only, while the administrator still sees the whole clinic.
#[tokio::test]
async fn a_branchs_staff_see_its_referrals_only() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    near_nurse(&app, &w).await;
    let director = app.signed_in("director@riverbend.example").await;
    let res = app
        .rpc(
            &director,
            "clinic/branches/add",
            &[("branch_name", "Columbus office"), ("zips", "43215 99999")],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("99999"));
    let res = app
        .rpc(
            &director,
            "clinic/branches/add",
            &[("branch_name", "Columbus office"), ("zips", "43215")],
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let res = app
        .rpc(
            &w.riverbend_staff,
            "clinic/branches/add",
            &[("branch_name", "Mine")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let branches: Value = app
        .rpc(&director, "clinic/branches", &[])
        .await
        .json()
        .await
        .unwrap();
    let branch = branches["branches"][0]["id"].as_str().unwrap().to_owned();
    let staff = branches["staff"][0]["user_id"].as_str().unwrap().to_owned();
    assert_eq!(branches["staff"][0]["email"], "intake@riverbend.example");

    // One referral before the assignment and out of the branch's area (no
    // branch), one routed into the branch's ZIP after it.
    let mut admin = app.admin().await;
    let elsewhere: String =
        sqlx::query_scalar("SELECT zip FROM zip_codes WHERE zip <> '43215' ORDER BY zip LIMIT 1")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    let outside: String = send(&app, &w.planner, &[]).await.json().await.unwrap();
    sqlx::query("UPDATE referrals SET zip = $2, clinic_branch_id = NULL WHERE id = $1::uuid")
        .bind(&outside)
        .bind(&elsewhere)
        .execute(&mut admin)
        .await
        .unwrap();
    let res = app
        .rpc(
            &director,
            "clinic/branches/assign",
            &[("user_id", &staff), ("branch", &branch)],
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    let inside: String = send(&app, &w.planner, &[]).await.json().await.unwrap();
    let ids = |inbox: Value| -> Vec<String> {
        inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |client: reqwest::Client| {
        let app = &app;
        async move {
            let res = app.rpc(&client, "referrals/list", &[]).await;
            res.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        ids(list(w.riverbend_staff.clone()).await),
        vec![inside.clone()]
    );
    assert_eq!(
        detail(&app, &w.riverbend_staff, &outside).await.status(),
        404
    );
    let mut all = ids(list(director.clone()).await);
    all.sort();
    let mut both = vec![inside.clone(), outside.clone()];
    both.sort();
    assert_eq!(all, both);
    // Back to the whole clinic: both again.
    let res = app
        .rpc(
            &director,
            "clinic/branches/assign",
            &[("user_id", &staff), ("branch", "")],
        )
        .await;
    assert!(res.status().is_success());
    assert_eq!(ids(list(w.riverbend_staff.clone()).await).len(), 2);
}
