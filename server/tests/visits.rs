//! Patients and visits over HTTP and a real database as the application
//! role: the sealed packet (no plaintext in the raw columns), its release
//! on accepting, scheduling with the no-double-booking exclusion
//! constraint (also across clinics and under concurrency), the visit state
//! machine in Rust and in the database, check-in and check-out with EVV,
//! the signed log (hash, lock, idempotent sync, conflict) and its addenda
//! chain, and the referral moving to first_visit_done.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use app::visits::VisitStatus;
use common::TestApp;
use serde_json::Value;
use uuid::Uuid;

const NAME: &str = "Jane Quinn Doe";
const MEMBER: &str = "1EG4TE5MK72";

struct World {
    clinic: Uuid,
    other_clinic: Uuid,
    planner: reqwest::Client,
    staff: reqwest::Client,
    other_staff: reqwest::Client,
    nurse: reqwest::Client,
    nurse_clinician: Uuid,
}

async fn world(app: &TestApp) -> World {
    let clinic = app.org("clinic", "Riverbend Test").await;
    let other_clinic = app.org("clinic", "Lakeside Test").await;
    let referrer = app.org("referrer", "Mercy Test").await;
    app.user("planner@mercy.test", Some(referrer), Role::Referrer)
        .await;
    app.user("staff@riverbend.test", Some(clinic), Role::ClinicStaff)
        .await;
    app.user("staff@lakeside.test", Some(other_clinic), Role::ClinicStaff)
        .await;
    let nurse = app
        .user("nurse@visits.test", Some(clinic), Role::Clinician)
        .await;
    let nurse_clinician = app
        .verified_clinician("Nora Nurse", "43215", Some(clinic))
        .await;
    app.link_clinician(nurse.id, nurse_clinician).await;
    // She works for Lakeside too: its staff can book her.
    app.affiliate(other_clinic, nurse_clinician).await;
    World {
        clinic,
        other_clinic,
        planner: app.signed_in("planner@mercy.test").await,
        staff: app.signed_in("staff@riverbend.test").await,
        other_staff: app.signed_in("staff@lakeside.test").await,
        nurse: app.signed_in("nurse@visits.test").await,
        nurse_clinician,
    }
}

fn day(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

/// Sends a referral with a packet to `clinic`; its id.
async fn refer(app: &TestApp, w: &World, clinic: Uuid) -> String {
    let start = day(2);
    let clinic = clinic.to_string();
    let res = app
        .rpc(
            &w.planner,
            "referrals/create",
            &[
                ("patient_initials", "JD"),
                ("patient_birth_year", "1948"),
                ("zip", "43215"),
                ("diagnosis", "I50.9 Heart failure, unspecified"),
                ("care_type", "skilled_nursing"),
                ("priority", "priority"),
                ("requested_start", &start),
                ("clinic_id", &clinic),
                ("packet_full_name", NAME),
                ("packet_birth_date", "1948-03-02"),
                ("packet_address", "12 Elm Street"),
                ("packet_phone", "(614) 555-0142"),
                ("packet_payer", "medicare"),
                ("packet_member_id", MEMBER),
                ("packet_emergency_name", "Sam Doe"),
                ("packet_emergency_phone", "614-555-0199"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn accept(app: &TestApp, who: &reqwest::Client, referral: &str) {
    let res = app
        .rpc(
            who,
            "referrals/step",
            &[("id", referral), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn schedule(
    app: &TestApp,
    who: &reqwest::Client,
    referral: &str,
    clinician: Uuid,
    date: &str,
    (start, end): (&str, &str),
    weeks: &str,
) -> reqwest::Response {
    let clinician = clinician.to_string();
    app.rpc(
        who,
        "visits/schedule",
        &[
            ("referral_id", referral),
            ("clinician_id", &clinician),
            ("date", date),
            ("start", start),
            ("end", end),
            ("service", "skilled_nursing"),
            ("tasks[0]", "Vital signs"),
            ("tasks[1]", "Wound assessment and care"),
            ("weeks", weeks),
        ],
    )
    .await
}

async fn referral(app: &TestApp, who: &reqwest::Client, id: &str) -> Value {
    let res = app.rpc(who, "referrals/get", &[("id", id)]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn visit_ids(app: &TestApp, clinic: Uuid) -> Vec<String> {
    let mut admin = app.admin().await;
    sqlx::query_scalar("SELECT id::text FROM visits WHERE organization_id = $1 ORDER BY starts_at")
        .bind(clinic)
        .fetch_all(&mut admin)
        .await
        .unwrap()
}

async fn sign_form(
    app: &TestApp,
    who: &reqwest::Client,
    visit: &str,
    key: &str,
) -> reqwest::Response {
    app.rpc(
        who,
        "visits/sign",
        &[
            ("id", visit),
            ("sync_key", key),
            ("outcomes[0]", "done"),
            ("outcomes[1]", "refused"),
            ("reasons[1]", "Asleep; dressing intact"),
            ("systolic", "128"),
            ("diastolic", "82"),
            ("pulse", "76"),
            ("temperature", "98.6"),
            ("spo2", "97"),
            ("notes", "Stable. Weight 81 kg."),
            ("clinician_signature", "Nora Nurse"),
        ],
    )
    .await
}

#[tokio::test]
async fn the_databases_transition_table_is_the_visit_state_machine() {
    let app = TestApp::spawn().await;
    let mut admin = app.admin().await;
    let mut in_db: Vec<(String, String)> = sqlx::query_as(
        "SELECT from_status::text, to_status::text FROM visit_transitions ORDER BY 1, 2",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    in_db.sort();
    let mut in_rust: Vec<(String, String)> = VisitStatus::ALL
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
async fn from_packet_to_signed_log_with_everything_sealed_locked_and_audited() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = refer(&app, &w, w.clinic).await;

    // Before accepting, the clinic sees no packet.
    let before = referral(&app, &w.staff, &id).await;
    assert!(before["patient"].is_null(), "{before}");
    let res = schedule(
        &app,
        &w.staff,
        &id,
        w.nurse_clinician,
        &day(1),
        ("09:00", "10:00"),
        "1",
    )
    .await;
    assert_eq!(res.status(), 409, "no visits before accepting");

    accept(&app, &w.staff, &id).await;
    let after = referral(&app, &w.staff, &id).await;
    assert_eq!(after["patient"]["details"]["full_name"], NAME);
    assert_eq!(after["patient"]["details"]["member_id"], MEMBER);
    let patient = after["patient"]["patient_id"].as_str().unwrap().to_owned();
    // The referring side never gets the clinic's view.
    assert!(referral(&app, &w.planner, &id).await["patient"].is_null());

    // No plaintext in the raw columns, read as the superuser.
    let mut admin = app.admin().await;
    for table in ["referral_packets", "patients"] {
        let raw: Vec<u8> = sqlx::query_scalar(&format!("SELECT sealed FROM {table}"))
            .fetch_one(&mut admin)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&raw);
        for secret in [
            NAME,
            "Quinn",
            MEMBER,
            "6145550142",
            "1948-03-02",
            "Elm Street",
        ] {
            assert!(!text.contains(secret), "{table} holds {secret}");
        }
    }
    let dump: String =
        sqlx::query_scalar("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM patients) t")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert!(!dump.contains("Quinn") && !dump.contains(MEMBER), "{dump}");

    // The clinic's integration subscribes to the visit events.
    sqlx::query(
        "INSERT INTO webhook_endpoints (organization_id, url, events, secret)
         VALUES ($1, 'https://ehr.example/hooks', '{visit.scheduled,visit.completed}',
                 'whsec_' || repeat('A', 44))",
    )
    .bind(w.clinic)
    .execute(&mut admin)
    .await
    .unwrap();

    // Two weekly visits; the referral is scheduled.
    let res = schedule(
        &app,
        &w.staff,
        &id,
        w.nurse_clinician,
        &day(1),
        ("09:00", "10:00"),
        "2",
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let visits = visit_ids(&app, w.clinic).await;
    assert_eq!(visits.len(), 2);
    assert_eq!(
        referral(&app, &w.planner, &id).await["referral"]["status"],
        "scheduled"
    );
    let visit = visits[0].clone();

    // The nurse sees the offer on her day, with the address, and accepts.
    let day_view: Value = app
        .rpc(&w.nurse, "visits/day", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        day_view["offers"].as_array().unwrap().len(),
        2,
        "{day_view}"
    );
    assert_eq!(day_view["offers"][0]["address"], "12 Elm Street");
    // Illegal moves are refused with a reason: checking in before accepting.
    let res = app
        .rpc(
            &w.nurse,
            "visits/check",
            &[("id", &visit), ("step", "in"), ("exception", "no_signal")],
        )
        .await;
    assert_eq!(res.status(), 409);
    let res = app
        .rpc(
            &w.nurse,
            "visits/respond",
            &[("id", &visit), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .rpc(
            &w.nurse,
            "visits/respond",
            &[("id", &visit), ("action", "decline")],
        )
        .await;
    assert_eq!(res.status(), 409, "an accepted visit cannot be declined");
    // Staff cannot check in for her.
    let res = app
        .rpc(
            &w.staff,
            "visits/check",
            &[("id", &visit), ("step", "in"), ("exception", "no_signal")],
        )
        .await;
    assert_eq!(res.status(), 403);

    // Check in with the device's location (about 1 km away), check out
    // without one (a coded exception).
    let res = app
        .rpc(
            &w.nurse,
            "visits/check",
            &[
                ("id", &visit),
                ("step", "in"),
                ("lat", "39.97"),
                ("lon", "-82.99"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // Checked in, not out: an EVV element is missing.
    let midway: Value = app
        .rpc(&w.staff, "visits/get", &[("id", &visit)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(midway["visit"]["evv_complete"], false);
    assert_eq!(midway["visit"]["status"], "in_progress");
    let res = sign_form(&app, &w.nurse, &visit, &Uuid::new_v4().to_string()).await;
    assert_eq!(
        res.status(),
        409,
        "sign after checking out: {}",
        res.text().await.unwrap()
    );
    let res = app
        .rpc(&w.nurse, "visits/check", &[("id", &visit), ("step", "out")])
        .await;
    assert_eq!(res.status(), 422, "no location and no reason");
    let res = app
        .rpc(
            &w.nurse,
            "visits/check",
            &[("id", &visit), ("step", "out"), ("exception", "no_signal")],
        )
        .await;
    assert_eq!(res.status(), 200);

    // Vitals out of range: a message per field, nothing stored.
    let res = app
        .rpc(
            &w.nurse,
            "visits/sign",
            &[
                ("id", &visit),
                ("sync_key", &Uuid::new_v4().to_string()),
                ("outcomes[0]", "done"),
                ("outcomes[1]", "done"),
                ("pulse", "400"),
                ("clinician_signature", "Nora Nurse"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "pulse", "{body}");

    // Sign; the same submission again stores nothing new.
    let key = Uuid::new_v4().to_string();
    let first: Value = sign_form(&app, &w.nurse, &visit, &key)
        .await
        .json()
        .await
        .unwrap();
    let again: Value = sign_form(&app, &w.nurse, &visit, &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(first["replayed"], false);
    assert_eq!(again["replayed"], true);
    assert_eq!(first["sha256"], again["sha256"]);
    // Another device's copy is a conflict, never an overwrite.
    let res = sign_form(&app, &w.nurse, &visit, &Uuid::new_v4().to_string()).await;
    assert_eq!(res.status(), 409);
    let stored: Vec<Vec<u8>> = sqlx::query_scalar("SELECT sha256 FROM visit_logs")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(hex::encode(&stored[0]), first["sha256"].as_str().unwrap());
    let raw: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM visit_logs")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("Weight 81"));

    // The visit is completed, EVV complete with an exception; the
    // referral moved to first_visit_done; events were recorded.
    let detail: Value = app
        .rpc(&w.staff, "visits/get", &[("id", &visit)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["visit"]["status"], "completed");
    assert_eq!(detail["visit"]["evv_complete"], true);
    assert_eq!(detail["visit"]["evv_exception"], true);
    assert!(detail["check_in_distance_m"].as_i64().unwrap() > 100);
    assert_eq!(detail["log"]["log"]["vitals"]["temperature_f10"], 986);
    assert_eq!(detail["log"]["sha256"], first["sha256"]);
    assert_eq!(
        referral(&app, &w.planner, &id).await["referral"]["status"],
        "first_visit_done"
    );
    let events: Vec<String> = sqlx::query_scalar("SELECT event_type::text FROM domain_events")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    for expected in [
        "visit.scheduled",
        "visit.completed",
        "referral.first_visit_done",
    ] {
        assert!(
            events.iter().any(|e| e == expected),
            "{expected} in {events:?}"
        );
    }
    // The fan-out files a thin webhook message for each visit event.
    app.deliver_mail().await;
    let bodies: Vec<(String, String)> =
        sqlx::query_as("SELECT event_type::text, body FROM webhook_deliveries ORDER BY event_type")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    let kinds: Vec<&str> = bodies.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["visit.completed", "visit.scheduled", "visit.scheduled"]
    );
    for (_, body) in &bodies {
        assert!(
            body.contains("visit_id") && !body.contains("JD") && !body.contains("Doe"),
            "{body}"
        );
    }
    let audited: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_events")
        .fetch_all(&mut admin)
        .await
        .unwrap();
    for expected in [
        "patient.packet_released",
        "patient.created",
        "patient.viewed",
        "visit.log_signed",
        "visit.viewed",
    ] {
        assert!(
            audited.iter().any(|a| a == expected),
            "{expected} in {audited:?}"
        );
    }

    // The clinic countersigns once; addenda chain to the log's hash.
    assert_eq!(
        app.rpc(&w.staff, "visits/countersign", &[("id", &visit)])
            .await
            .status(),
        200
    );
    assert_eq!(
        app.rpc(&w.staff, "visits/countersign", &[("id", &visit)])
            .await
            .status(),
        409
    );
    let a1 = app
        .rpc(
            &w.nurse,
            "visits/addendum",
            &[("id", &visit), ("text", "Pain 3/10 omitted.")],
        )
        .await;
    assert_eq!(a1.status(), 200);
    let a2 = app
        .rpc(
            &w.staff,
            "visits/addendum",
            &[("id", &visit), ("text", "Reviewed by the DON.")],
        )
        .await;
    assert_eq!(a2.status(), 200);
    let chain: Vec<(i32, Vec<u8>, Vec<u8>)> =
        sqlx::query_as("SELECT seq, prev_sha256, sha256 FROM visit_log_addenda ORDER BY seq")
            .fetch_all(&mut admin)
            .await
            .unwrap();
    assert_eq!(chain[0].1, stored[0]);
    assert_eq!(chain[1].1, chain[0].2);

    // The patient page shows the visits.
    let record: Value = app
        .rpc(&w.staff, "patients/get", &[("id", &patient)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["visits"].as_array().unwrap().len(), 2);
    assert_eq!(record["details"]["full_name"], NAME);

    // FHIR, as the clinic's EHR (a clinic key): the real patient, the
    // visits as Encounters, the vitals as LOINC-coded Observations.
    let key = server::operator::create_api_key(&app.urls.admin, w.clinic, "EHR")
        .await
        .unwrap();
    let fhir = |path: String| {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/fhir{path}"));
        let key = key.clone();
        async move {
            let res = client.get(url).bearer_auth(key).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            res.json::<Value>().await.unwrap()
        }
    };
    let before: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE details->>'door' = 'fhir'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    let p = fhir(format!("/Patient/{patient}")).await;
    assert_eq!(p["name"][0]["family"], "Doe");
    assert_eq!(p["name"][0]["given"], serde_json::json!(["Jane", "Quinn"]));
    assert_eq!(p["birthDate"], "1948-03-02");
    assert_eq!(p["telecom"][0]["value"], "(614) 555-0142");
    assert_eq!(p["address"][0]["line"][0], "12 Elm Street");
    let e = fhir(format!("/Encounter/{visit}")).await;
    assert_eq!(e["class"]["code"], "HH");
    assert_eq!(e["status"], "finished");
    assert_eq!(e["subject"]["reference"], format!("Patient/{patient}"));
    assert_eq!(e["participant"][0]["individual"]["display"], "Nora Nurse");
    assert!(e["period"]["end"].is_string());
    let planned = fhir(format!(
        "/Encounter?patient=Patient/{patient}&status=planned"
    ))
    .await;
    assert_eq!(planned["total"], 1);
    assert_eq!(planned["entry"][0]["resource"]["id"], visits[1].as_str());
    // The total alone, and past the end: still the total.
    let counted = fhir(format!("/Encounter?patient={patient}&_count=0")).await;
    assert_eq!(counted["total"], 2);
    assert_eq!(counted["entry"].as_array().map_or(0, Vec::len), 0);
    let past = fhir(format!("/Encounter?patient={patient}&_offset=5")).await;
    assert_eq!(past["total"], 2);
    let obs = fhir(format!("/Observation?encounter=Encounter/{visit}")).await;
    let codes: Vec<&str> = obs["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["code"]["coding"][0]["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["8480-6", "8462-4", "8867-4", "8310-5", "59408-5"]);
    let t = fhir(format!("/Observation/{visit}-8310-5")).await;
    assert_eq!(t["valueQuantity"]["value"], 98.6);
    assert_eq!(t["valueQuantity"]["code"], "[degF]");
    assert_eq!(
        fhir(format!("/Observation?patient={patient}")).await["total"],
        5
    );
    let after: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_events WHERE details->>'door' = 'fhir'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(after - before, 6, "every FHIR read of care is audited");
    // The referring side's key sees no visits.
    let theirs = server::operator::create_api_key(&app.urls.admin, referrer_of(&app).await, "EHR")
        .await
        .unwrap();
    let res = app
        .client
        .get(app.url(&format!("/api/v1/fhir/Encounter/{visit}")))
        .bearer_auth(theirs)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
}

async fn referrer_of(app: &TestApp) -> Uuid {
    let mut admin = app.admin().await;
    sqlx::query_scalar("SELECT id FROM organizations WHERE kind = 'referrer' LIMIT 1")
        .fetch_one(&mut admin)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_signed_log_is_locked_and_addenda_only_extend_the_chain() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = refer(&app, &w, w.clinic).await;
    accept(&app, &w.staff, &id).await;
    assert_eq!(
        schedule(
            &app,
            &w.staff,
            &id,
            w.nurse_clinician,
            &day(1),
            ("09:00", "10:00"),
            "1"
        )
        .await
        .status(),
        200
    );
    let visit = visit_ids(&app, w.clinic).await.remove(0);
    for (step, extra) in [
        ("respond", ("action", "accept")),
        ("check", ("step", "in")),
        ("check", ("step", "out")),
    ] {
        let res = app
            .rpc(
                &w.nurse,
                &format!("visits/{step}"),
                &[("id", &visit), extra, ("exception", "device_problem")],
            )
            .await;
        assert_eq!(res.status(), 200, "{step}");
    }
    // A drawn signature with nobody named under it is refused; with the
    // name it is kept, as strokes.
    let key = Uuid::new_v4().to_string();
    let sign = |name: &'static str| {
        let (visit, key) = (visit.clone(), key.clone());
        let nurse = w.nurse.clone();
        let app = &app;
        async move {
            app.rpc(
                &nurse,
                "visits/sign",
                &[
                    ("id", &visit),
                    ("sync_key", &key),
                    ("outcomes[0]", "done"),
                    ("outcomes[1]", "done"),
                    ("patient_strokes", "[[[10,20],[30,40]]]"),
                    ("patient_signature", name),
                    ("clinician_signature", "Nora Nurse"),
                ],
            )
            .await
        }
    };
    let res = sign("").await;
    assert_eq!(res.status(), 422);
    assert_eq!(sign("Jane Doe").await.status(), 200);
    let detail: Value = app
        .rpc(&w.staff, "visits/get", &[("id", &visit)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        detail["log"]["log"]["patient_signature"]["strokes"],
        serde_json::json!([[[10, 20], [30, 40]]])
    );

    // The application role cannot change the content or delete it.
    for sql in [
        "UPDATE visit_logs SET sealed = '\\x00'",
        "UPDATE visit_logs SET sha256 = sha256",
        "DELETE FROM visit_logs",
        "UPDATE visit_log_addenda SET sealed = '\\x00'",
    ] {
        let err = sqlx::query(sql).execute(&app.pool).await.unwrap_err();
        let code = err.as_database_error().unwrap().code().unwrap().to_string();
        assert_eq!(code, "42501", "{sql}: {err}");
    }
    // Not even the superuser: the trigger holds the lock.
    let mut admin = app.admin().await;
    for sql in [
        "UPDATE visit_logs SET sealed = '\\x00'",
        "DELETE FROM visit_logs",
    ] {
        let err = sqlx::query(sql).execute(&mut admin).await.unwrap_err();
        assert!(err.to_string().contains("visit log"), "{sql}: {err}");
    }
    // An addendum that does not follow the last hash is refused.
    let err = sqlx::query(
        "INSERT INTO visit_log_addenda (organization_id, visit_id, seq, key_id, sealed, prev_sha256,
                                        sha256, author_user_id)
         SELECT organization_id, visit_id, 1, 'dev-1', '\\x00', sha256(''::bytea), sha256('x'::bytea), signed_by
         FROM visit_logs",
    )
    .execute(&mut admin)
    .await
    .unwrap_err();
    assert!(err.to_string().contains("follows the last hash"), "{err}");
}

#[tokio::test]
async fn no_clinician_is_ever_double_booked_even_across_clinics_or_at_once() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let ours = refer(&app, &w, w.clinic).await;
    let theirs = refer(&app, &w, w.other_clinic).await;
    accept(&app, &w.staff, &ours).await;
    accept(&app, &w.other_staff, &theirs).await;
    let date = day(3);
    let res = schedule(
        &app,
        &w.staff,
        &ours,
        w.nurse_clinician,
        &date,
        ("09:00", "10:00"),
        "1",
    )
    .await;
    assert_eq!(res.status(), 200);

    // The same clinic, overlapping: refused, naming the clash.
    let res = schedule(
        &app,
        &w.staff,
        &ours,
        w.nurse_clinician,
        &date,
        ("09:30", "10:30"),
        "1",
    )
    .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let message = body["fields"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("already booked") && message.contains("09:00"),
        "{message}"
    );
    // A weekly series that clashes in its first week books none of it.
    let res = schedule(
        &app,
        &w.staff,
        &ours,
        w.nurse_clinician,
        &date,
        ("08:30", "09:15"),
        "4",
    )
    .await;
    assert_eq!(res.status(), 422);
    assert_eq!(visit_ids(&app, w.clinic).await.len(), 1);
    // Another clinic cannot book her at that time either.
    let res = schedule(
        &app,
        &w.other_staff,
        &theirs,
        w.nurse_clinician,
        &date,
        ("09:45", "11:00"),
        "1",
    )
    .await;
    assert_eq!(res.status(), 422);
    // Back to back is fine.
    let res = schedule(
        &app,
        &w.other_staff,
        &theirs,
        w.nurse_clinician,
        &date,
        ("10:00", "11:00"),
        "1",
    )
    .await;
    assert_eq!(res.status(), 200);

    // Two clinics at once for the same slot: exactly one wins.
    let later = day(4);
    let (a, b) = tokio::join!(
        schedule(
            &app,
            &w.staff,
            &ours,
            w.nurse_clinician,
            &later,
            ("13:00", "14:00"),
            "1"
        ),
        schedule(
            &app,
            &w.other_staff,
            &theirs,
            w.nurse_clinician,
            &later,
            ("13:30", "14:30"),
            "1"
        ),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 422]);
}

#[tokio::test]
async fn every_illegal_visit_move_is_refused_by_the_database() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = refer(&app, &w, w.clinic).await;
    accept(&app, &w.staff, &id).await;
    assert_eq!(
        schedule(
            &app,
            &w.staff,
            &id,
            w.nurse_clinician,
            &day(5),
            ("09:00", "10:00"),
            "1"
        )
        .await
        .status(),
        200
    );
    let visit: Uuid = visit_ids(&app, w.clinic).await[0].parse().unwrap();
    let mut admin = app.admin().await;
    for from in VisitStatus::ALL {
        for to in VisitStatus::ALL {
            if from == to || from.next().contains(to) {
                continue;
            }
            // Put the row in `from` without the triggers, then try the move
            // with them, as a clinician and as staff: always refused.
            sqlx::query("SET session_replication_role = replica")
                .execute(&mut admin)
                .await
                .unwrap();
            sqlx::query("UPDATE visits SET status = $2::text::visit_status WHERE id = $1")
                .bind(visit)
                .bind(from.as_str())
                .execute(&mut admin)
                .await
                .unwrap();
            sqlx::query("SET session_replication_role = origin")
                .execute(&mut admin)
                .await
                .unwrap();
            for role in ["clinician", "clinic_staff"] {
                sqlx::query("SELECT set_config('app.role', $1, false)")
                    .bind(role)
                    .execute(&mut admin)
                    .await
                    .unwrap();
                let moved =
                    sqlx::query("UPDATE visits SET status = $2::text::visit_status WHERE id = $1")
                        .bind(visit)
                        .bind(to.as_str())
                        .execute(&mut admin)
                        .await;
                assert!(
                    moved.is_err(),
                    "{role}: {} -> {}",
                    from.as_str(),
                    to.as_str()
                );
            }
        }
    }
}

#[tokio::test]
async fn an_offline_visit_syncs_once_and_a_conflict_keeps_nothing_of_it() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = refer(&app, &w, w.clinic).await;
    accept(&app, &w.staff, &id).await;
    // Today, starting within the hour before now.
    let clock = time::OffsetDateTime::now_utc();
    let start = (clock - time::Duration::hours(1)).max(clock.date().midnight().assume_utc());
    let end = (start + time::Duration::minutes(45))
        .min(clock.date().with_hms(23, 59, 0).unwrap().assume_utc());
    let hm = |t: time::OffsetDateTime| format!("{:02}:{:02}", t.hour(), t.minute());
    let (start, end) = (hm(start), hm(end));
    let res = schedule(
        &app,
        &w.staff,
        &id,
        w.nurse_clinician,
        &day(0),
        (&start, &end),
        "2",
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let visits = visit_ids(&app, w.clinic).await;
    for visit in &visits {
        let res = app
            .rpc(
                &w.nurse,
                "visits/respond",
                &[("id", visit), ("action", "accept")],
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    // Whole seconds: the database keeps microseconds.
    let now = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap();
    let at = |mins: i64| {
        (now - time::Duration::minutes(mins))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let body = |visit: &str, key: Uuid, pulse: i32| {
        serde_json::json!({
            "id": visit,
            "visit": {
                "sync_key": key,
                "check_in": { "at": at(4), "location": { "Device": { "lat": 39.961, "lon": -83.0 } } },
                "check_out": { "at": at(1), "location": { "Exception": "no_signal" } },
                "log": {
                    "visit_id": visit,
                    "tasks": [
                        { "task": "Vital signs", "outcome": "done", "reason": null },
                        { "task": "Wound assessment and care", "outcome": "not_done", "reason": "No supplies" }
                    ],
                    "vitals": { "systolic": 120, "diastolic": 80, "pulse": pulse, "temperature_f10": 984,
                                "spo2": null, "respirations": null, "pain": 1 },
                    "notes": "Worked offline.",
                    "patient_signature": { "name": "Jane Doe", "strokes": [[[1, 2], [3, 4]]] },
                    "clinician_signature": { "name": "Nora Nurse", "strokes": [] }
                }
            }
        })
    };
    let sync = |json: Value| {
        let client = w.nurse.clone();
        let url = app.url("/rpc/visits/sync");
        async move { client.post(url).json(&json).send().await.unwrap() }
    };
    let visit = &visits[0];
    // Times from before the visit was scheduled are refused (a backdated
    // visit), as are impossible coordinates.
    let mut early = body(visit, Uuid::new_v4(), 72);
    early["visit"]["check_in"]["at"] = serde_json::json!("2020-01-01T09:00:00Z");
    assert_eq!(sync(early).await.status(), 422);
    let mut nowhere = body(visit, Uuid::new_v4(), 72);
    nowhere["visit"]["check_in"]["location"] =
        serde_json::json!({ "Device": { "lat": 123.0, "lon": 0.0 } });
    assert_eq!(sync(nowhere).await.status(), 422);
    // A reading out of range is refused like the form refuses it: nothing stored.
    let res = sync(body(visit, Uuid::new_v4(), 400)).await;
    assert_eq!(res.status(), 422);
    let mut admin = app.admin().await;
    let checked_in: Option<time::OffsetDateTime> =
        sqlx::query_scalar("SELECT checked_in_at FROM visits WHERE id = $1::uuid")
            .bind(visit)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert!(checked_in.is_none(), "a refused sync stores nothing");

    // The same sync twice: one log, the same hash, the device's times.
    let key = Uuid::new_v4();
    let first = sync(body(visit, key, 72)).await;
    assert_eq!(first.status(), 200, "{}", first.text().await.unwrap());
    let first: Value = sync(body(visit, key, 72)).await.json().await.unwrap();
    assert_eq!(first["replayed"], true);
    let logs: i64 = sqlx::query_scalar("SELECT count(*) FROM visit_logs")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(logs, 1);
    let detail: Value = app
        .rpc(&w.nurse, "visits/get", &[("id", visit)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["visit"]["status"], "completed");
    assert_eq!(detail["log"]["sha256"], first["sha256"]);
    assert_eq!(
        detail["log"]["log"]["patient_signature"]["strokes"],
        serde_json::json!([[[1, 2], [3, 4]]])
    );
    assert_eq!(detail["visit"]["checked_in_at"], at(4));
    // The referral moved on with the first signed log.
    assert_eq!(
        referral(&app, &w.planner, &id).await["referral"]["status"],
        "first_visit_done"
    );

    // Another phone's copy of the same visit: a conflict, nothing changed.
    let res = sync(body(visit, Uuid::new_v4(), 90)).await;
    assert_eq!(res.status(), 409);
    let logs: i64 = sqlx::query_scalar("SELECT count(*) FROM visit_logs")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(logs, 1);
    // Somebody else's visit is nobody's to sync.
    let res = w
        .staff
        .post(app.url("/rpc/visits/sync"))
        .json(&body(&visits[1], Uuid::new_v4(), 72))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

/// Posts `bytes` as the referral's document of `kind`, as a browser's
/// multipart form does; where the answer sends the browser.
async fn attach(
    app: &TestApp,
    who: &reqwest::Client,
    referral: &str,
    kind: &str,
    bytes: &[u8],
) -> String {
    let boundary = "carethread-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Jane Doe.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let res = who
        .post(app.url(&format!("/referrer/referrals/{referral}/attachments")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("accept", "text/html")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    res.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn documents_are_pdfs_sealed_and_released_only_to_the_accepting_clinic() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = refer(&app, &w, w.clinic).await;
    let mut admin = app.admin().await;
    let count = async |admin: &mut sqlx::PgConnection| -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM referral_attachments")
            .fetch_one(admin)
            .await
            .unwrap()
    };

    // Not a PDF, nothing chosen, or too large: said so, nothing stored.
    let back = attach(&app, &w.planner, &id, "orders", b"GIF89a not a pdf").await;
    assert!(back.ends_with("?attach_error=not_pdf"), "{back}");
    let back = attach(&app, &w.planner, &id, "orders", b"").await;
    assert!(back.ends_with("?attach_error=empty"), "{back}");
    let mut huge = b"%PDF-1.7\n".to_vec();
    huge.resize(app::referrals::MAX_ATTACHMENT_BYTES + 1, b'x');
    let back = attach(&app, &w.planner, &id, "orders", &huge).await;
    assert!(back.ends_with("?attach_error=too_large"), "{back}");
    assert_eq!(count(&mut admin).await, 0);

    // A PDF: sealed (no plaintext in the raw column), hashed.
    let pdf = b"%PDF-1.4\n1 0 obj << /Title (Discharge summary: Jane Quinn Doe) >> endobj\n%%EOF\n";
    let back = attach(&app, &w.planner, &id, "discharge_summary", pdf).await;
    assert!(back.ends_with("?attached=1"), "{back}");
    let raw: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM referral_attachments")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("Quinn"));
    let doc: String = sqlx::query_scalar("SELECT id::text FROM referral_attachments")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    let url = app.url(&format!("/referrals/{id}/attachments/{doc}"));

    // The clinic sees nothing before accepting; another clinic never.
    assert_eq!(
        referral(&app, &w.staff, &id).await["attachments"],
        serde_json::json!([])
    );
    assert_eq!(w.staff.get(&url).send().await.unwrap().status(), 404);
    accept(&app, &w.staff, &id).await;
    let listed = referral(&app, &w.staff, &id).await;
    assert_eq!(listed["attachments"][0]["kind"], "discharge_summary");
    let res = w.staff.get(&url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert_eq!(&res.bytes().await.unwrap()[..], &pdf[..]);
    assert_eq!(w.other_staff.get(&url).send().await.unwrap().status(), 404);
    let opened: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'patient.attachment_viewed'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(opened, 1);
    // Only the referrer attaches.
    let res = w
        .staff
        .post(app.url(&format!("/referrer/referrals/{id}/attachments")))
        .header("content-type", "multipart/form-data; boundary=x")
        .body("--x\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\norders\r\n--x--\r\n")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_same_person_referred_again_is_linked_only_when_staff_confirm() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let first = refer(&app, &w, w.clinic).await;
    accept(&app, &w.staff, &first).await;
    let patient = referral(&app, &w.staff, &first).await["patient"]["patient_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The same name, date of birth and ZIP: no new record, a question.
    let second = refer(&app, &w, w.clinic).await;
    accept(&app, &w.staff, &second).await;
    let asked = referral(&app, &w.staff, &second).await;
    assert!(asked["patient"]["patient_id"].is_null(), "{asked}");
    assert_eq!(asked["patient"]["possible_match"][0], patient.as_str());
    // Scheduling waits for the answer.
    let res = schedule(
        &app,
        &w.staff,
        &second,
        w.nurse_clinician,
        &day(2),
        ("09:00", "10:00"),
        "1",
    )
    .await;
    assert_eq!(res.status(), 409);
    // Another patient is refused as the match; the match is linked.
    let res = app
        .rpc(
            &w.staff,
            "patients/link",
            &[
                ("referral_id", &second),
                ("choice", &Uuid::new_v4().to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .rpc(
            &w.staff,
            "patients/link",
            &[("referral_id", &second), ("choice", &patient)],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        referral(&app, &w.staff, &second).await["patient"]["patient_id"],
        patient.as_str()
    );
    let mut admin = app.admin().await;
    let records: i64 = sqlx::query_scalar("SELECT count(*) FROM patients")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(records, 1);
}
