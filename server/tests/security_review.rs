//! The security review's findings, each as the attack or the audit that
//! found it: reads of patient data through every door leave an audit
//! event naming the actor by kind and the client's address; no input
//! makes the server panic or answer 5xx; refusals reveal nothing of the
//! network; sandbox pseudonyms are keyed.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::TestApp;
use serde_json::{json, Value};
use uuid::Uuid;

/// Operations of the OpenAPI document that return no patient data, by
/// `METHOD path`. Every other operation must write an audit event: a new
/// endpoint is audited, or is added here by someone who decided it holds
/// no patient data.
const NOT_PATIENT_DATA: [&str; 13] = [
    "GET /health",
    "GET /clinicians/search",
    "GET /geo/zip/{zip}",
    "GET /fhir/metadata",
    "POST /webhooks",
    "GET /webhooks",
    "GET /webhooks/{id}",
    "DELETE /webhooks/{id}",
    "POST /webhooks/{id}/ping",
    "GET /webhooks/{id}/deliveries",
    "POST /webhooks/{id}/deliveries/{delivery_id}/resend",
    "GET /openapi.json",
    "GET /docs",
];

/// The clinic's care (visits and their vitals, intake forms and what was
/// signed): a referring organization's key, which this walk uses, sees none
/// of it. `tests/visits.rs` and `tests/intake.rs` read them with a clinic's
/// key and check their audit events (a Questionnaire is a form's questions,
/// not patient data).
const CLINIC_CARE: [&str; 7] = [
    "GET /fhir/Encounter",
    "GET /fhir/Encounter/{id}",
    "GET /fhir/Observation",
    "GET /fhir/Observation/{id}",
    "GET /fhir/Questionnaire/{id}",
    "GET /fhir/QuestionnaireResponse",
    "GET /fhir/QuestionnaireResponse/{id}",
];

struct Setup {
    app: TestApp,
    referrer: Uuid,
    key: String,
    key_uuid: Uuid,
}

async fn setup() -> Setup {
    let app = TestApp::spawn().await;
    let referrer = app.org("referrer", "Mercy General Hospital").await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    app.verified_clinician("Ana Ruiz, RN", "43215", Some(clinic))
        .await;
    let key = server::operator::create_api_key(&app.urls.admin, referrer, "EHR integration")
        .await
        .unwrap();
    let mut admin = app.admin().await;
    let key_uuid: Uuid = sqlx::query_scalar("SELECT id FROM api_keys WHERE organization_id = $1")
        .bind(referrer)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    Setup {
        app,
        referrer,
        key,
        key_uuid,
    }
}

fn start() -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(2)).to_string()
}

fn referral_body() -> Value {
    json!({
        "patient": { "initials": "JD", "birth_year": 1948 },
        "zip": "43215",
        "primary_diagnosis": "I50.9",
        "care_type": "skilled_nursing",
        "requested_start": start(),
    })
}

fn service_request_body() -> Value {
    json!({
        "resourceType": "ServiceRequest", "status": "active", "intent": "order",
        "subject": { "reference": "#p1" },
        "contained": [{ "resourceType": "Patient", "id": "p1",
                        "name": [{ "given": ["Jane"], "family": "Doe" }],
                        "birthDate": "1948-03-02", "address": [{ "postalCode": "43215" }] }],
        "reasonCode": [{ "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.9" }] }]
    })
}

/// One audit event as stored.
#[derive(Debug, sqlx::FromRow)]
struct Event {
    seq: i64,
    action: String,
    actor_type: String,
    actor_user_id: Option<Uuid>,
    actor_api_key_id: Option<Uuid>,
    ip: Option<String>,
    subject_id: Option<String>,
    details: Value,
}

async fn events(app: &TestApp, org: Uuid, after: i64) -> Vec<Event> {
    let mut admin = app.admin().await;
    sqlx::query_as(
        "SELECT seq, action, actor_type, actor_user_id, actor_api_key_id, host(ip) AS ip,
                subject_id, details
         FROM audit_events WHERE organization_id = $1 AND seq > $2 ORDER BY seq",
    )
    .bind(org)
    .bind(after)
    .fetch_all(&mut admin)
    .await
    .unwrap()
}

async fn head(app: &TestApp, org: Uuid) -> i64 {
    let mut admin = app.admin().await;
    sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM audit_events WHERE organization_id = $1")
        .bind(org)
        .fetch_one(&mut admin)
        .await
        .unwrap()
}

/// Moves a referral on to `scheduled`, as the database's state machine
/// allows.
async fn schedule(app: &TestApp, id: &str) {
    let mut admin = app.admin().await;
    for status in ["accepted", "scheduled"] {
        sqlx::query("UPDATE referrals SET status = $2::referral_status WHERE id = $1::uuid")
            .bind(id)
            .bind(status)
            .execute(&mut admin)
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn every_operation_that_returns_patient_data_writes_an_audit_event() {
    let s = setup().await;
    let created: Value = s
        .app
        .client
        .post(s.app.url("/api/v1/discharge-referrals"))
        .bearer_auth(&s.key)
        .json(&referral_body())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["data"]["id"].as_str().unwrap().to_owned();
    schedule(&s.app, &id).await;

    let doc: Value = s
        .app
        .client
        .get(s.app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut walked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, _op) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            if !["GET", "POST", "PUT", "PATCH", "DELETE"].contains(&method.as_str()) {
                continue;
            }
            let name = format!("{method} {path}");
            if NOT_PATIENT_DATA.contains(&name.as_str()) || CLINIC_CARE.contains(&name.as_str()) {
                continue;
            }
            let url = s.app.url(&format!("/api/v1{}", path.replace("{id}", &id)));
            let mut req = s
                .app
                .client
                .request(method.parse().unwrap(), &url)
                .bearer_auth(&s.key)
                .header("x-forwarded-for", "203.0.113.50");
            req = match name.as_str() {
                "POST /discharge-referrals" => req.json(&referral_body()),
                "POST /fhir/ServiceRequest" => req
                    .header("content-type", "application/fhir+json")
                    .body(service_request_body().to_string()),
                _ if method == "GET" => req,
                _ => panic!(
                    "{name} is not classified: give the walk a request for it, or list it in \
                     NOT_PATIENT_DATA if it returns no patient data"
                ),
            };
            let before = head(&s.app, s.referrer).await;
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            assert!((200..300).contains(&status), "{name}: {status}");
            let new = events(&s.app, s.referrer, before).await;
            assert!(!new.is_empty(), "{name} wrote no audit event");
            for e in &new {
                assert_eq!(e.actor_type, "api_key", "{name}: {e:?}");
                assert_eq!(e.actor_api_key_id, Some(s.key_uuid), "{name}: {e:?}");
                assert_eq!(e.actor_user_id, None, "{name}: a key is not a user");
                // No proxy is trusted here: the forwarded address is not
                // believed, the connection's is recorded.
                assert_eq!(e.ip.as_deref(), Some("127.0.0.1"), "{name}: {e:?}");
            }
            walked += 1;
        }
    }
    // The reads, the searches and the creates.
    // (The clinic's care reads are walked as a clinic's key in tests/visits.rs.)
    assert!(walked >= 6, "walked only {walked} operations");
    // Every event (a key's, a person's, nobody's) hashes the same when the
    // verifier recomputes it outside the database.
    let chains = server::audit_anchor::walk_chains(&mut s.app.admin().await)
        .await
        .unwrap();
    assert!(chains.events > 0);
    assert!(chains.problems.is_empty(), "{:?}", chains.problems);
}

#[tokio::test]
async fn a_search_names_the_ids_it_returned_in_one_event_in_the_reads_transaction() {
    let s = setup().await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let v: Value = s
            .app
            .client
            .post(s.app.url("/api/v1/discharge-referrals"))
            .bearer_auth(&s.key)
            .json(&referral_body())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        ids.push(v["data"]["id"].as_str().unwrap().to_owned());
    }
    let before = head(&s.app, s.referrer).await;
    let bundle: Value = s
        .app
        .client
        .get(s.app.url("/api/v1/fhir/ServiceRequest?_count=2"))
        .bearer_auth(&s.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let returned: Vec<String> = bundle["entry"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["resource"]["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(returned.len(), 2);
    let new = events(&s.app, s.referrer, before).await;
    assert_eq!(new.len(), 1, "{new:?}");
    assert_eq!(new[0].action, "referral.searched");
    let named: Vec<String> = new[0].details["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(named, returned);
    assert_eq!(new[0].seq, before + 1);

    // A read of one referral names it as the subject.
    let before = head(&s.app, s.referrer).await;
    let res = s
        .app
        .client
        .get(
            s.app
                .url(&format!("/api/v1/discharge-referrals/{}", ids[0])),
        )
        .bearer_auth(&s.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let new = events(&s.app, s.referrer, before).await;
    assert_eq!(new.len(), 1);
    assert_eq!(new[0].action, "referral.viewed");
    assert_eq!(new[0].subject_id.as_deref(), Some(ids[0].as_str()));
}

#[tokio::test]
async fn the_referrers_own_pages_are_audited_with_the_person_as_actor() {
    let app = TestApp::spawn().await;
    let mercy = app.org("referrer", "Mercy General Hospital").await;
    let planner = app
        .user("planner@mercy.example", Some(mercy), Role::Referrer)
        .await;
    let browser = app.signed_in("planner@mercy.example").await;
    let res = app
        .rpc(
            &browser,
            "referrals/create",
            &[
                ("patient_initials", "AB"),
                ("zip", "43215"),
                ("diagnosis", "I50.9"),
                ("care_type", "skilled_nursing"),
                ("priority", "routine"),
                ("requested_start", &start()),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let id: String = res.json().await.unwrap();

    let before = head(&app, mercy).await;
    let res = app.rpc(&browser, "referrals/get", &[("id", &id)]).await;
    assert_eq!(res.status(), 200);
    let res = app.rpc(&browser, "referrals/list", &[]).await;
    assert_eq!(res.status(), 200);
    let new = events(&app, mercy, before).await;
    let actions: Vec<&str> = new.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["referral.viewed", "referral.searched"]);
    for e in &new {
        assert_eq!(e.actor_type, "user");
        assert_eq!(e.actor_user_id, Some(planner.id));
        assert_eq!(e.actor_api_key_id, None);
        assert_eq!(e.ip.as_deref(), Some("127.0.0.1"));
    }
    assert_eq!(new[1].details["ids"], json!([id]));
}

#[tokio::test]
async fn an_api_key_cannot_write_audit_events_as_a_person() {
    let s = setup().await;
    // As the key's own transaction would be set up: no user, the key.
    let mut tx = app::db::begin(&s.app.pool).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.actor_api_key', $1, true), set_config('app.org_id', $2, true),
                set_config('app.role', 'referrer', true)",
    )
    .bind(s.key_uuid.to_string())
    .bind(s.referrer.to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    let forged = sqlx::query(
        "INSERT INTO audit_events (organization_id, actor_type, actor_user_id, action)
         VALUES ($1, 'user', $2, 'referral.viewed')",
    )
    .bind(s.referrer)
    .bind(Uuid::new_v4())
    .execute(&mut *tx)
    .await;
    assert!(forged.is_err(), "a key wrote an event as a person");
}

#[tokio::test]
async fn hostile_inputs_answer_4xx_never_a_panic() {
    let s = setup().await;
    // FHIR paging at the edge of i64 used to overflow `_offset + _count`.
    for query in [
        "_offset=9223372036854775807&_count=100",
        "_offset=-1",
        "_offset=99999999999999999999",
        "_count=9223372036854775807",
    ] {
        let res = s
            .app
            .client
            .get(s.app.url(&format!("/api/v1/fhir/ServiceRequest?{query}")))
            .bearer_auth(&s.key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{query}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["resourceType"], "OperationOutcome", "{query}");
    }

    // A multi-byte NPI used to panic while slicing it.
    s.app.user("ana@example.org", None, Role::Clinician).await;
    let ana = s.app.signed_in("ana@example.org").await;
    let expires = (time::OffsetDateTime::now_utc().date() + time::Duration::days(400)).to_string();
    for npi in ["12345678é", "1234567€", "１２３４５６７８９３"] {
        let res = s
            .app
            .rpc(
                &ana,
                "clinician/profile/save",
                &[
                    ("name", "Ana Ruiz, RN"),
                    ("discipline", "rn"),
                    ("npi", npi),
                    ("zip", "43215"),
                    ("radius", "25"),
                    ("care_type", "skilled_nursing"),
                    ("categories", "I50"),
                    ("slots", "3"),
                    ("license_state", "OH"),
                    ("license_number", "RN.123456"),
                    ("license_expires", &expires),
                ],
            )
            .await;
        assert_eq!(res.status(), 422, "{npi}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(common::each(&body["fields"], "field"), ["npi"], "{npi}");
    }

    // An overlong email domain for a sandbox key: 422, not a server error.
    let browser = TestApp::browser();
    for email in [
        format!("dev@{}.org", "x".repeat(190)),
        format!("dev@{}.example.org", "y".repeat(64)),
    ] {
        let res = s
            .app
            .rpc(&browser, "developer/sandbox-key", &[("email", &email)])
            .await;
        assert_eq!(res.status(), 422, "{email}");
    }
    // A long domain made of valid labels is accepted (the sandbox's name
    // is cut to fit).
    let long = format!(
        "dev@{}.{}.{}.org",
        "a".repeat(60),
        "b".repeat(60),
        "c".repeat(60)
    );
    let res = s
        .app
        .rpc(&browser, "developer/sandbox-key", &[("email", &long)])
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

#[tokio::test]
async fn webhook_refusals_do_not_reveal_the_resolved_address() {
    let app = TestApp::spawn_with(common::Options {
        webhooks: Some(app::developer::destination::Policy {
            https_only: false,
            allow_loopback: false,
            ports: None,
        }),
        ..common::Options::default()
    })
    .await;
    let referrer = app.org("referrer", "Mercy General Hospital").await;
    let key = server::operator::create_api_key(&app.urls.admin, referrer, "EHR")
        .await
        .unwrap();
    for (url, address) in [
        ("http://10.20.30.40/hooks", "10.20.30.40"),
        ("http://localhost:9/hooks", "127.0.0.1"),
    ] {
        let res = app
            .client
            .post(app.url("/api/v1/webhooks"))
            .bearer_auth(&key)
            .json(&json!({ "url": url, "events": ["ping"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422);
        let text = res.text().await.unwrap();
        assert!(!text.contains(address), "{url}: {text}");
    }
}

#[tokio::test]
async fn sandbox_pseudonyms_are_not_the_ids_returned_beside_them() {
    let app = TestApp::spawn().await;
    app.verified_clinician("Ana Ruiz, RN", "43215", None).await;
    let (_, key) = server::operator::create_sandbox_key(&app.urls.admin, "dev@example.test")
        .await
        .unwrap();
    let body: Value = app
        .client
        .get(app.url("/api/v1/clinicians/search?zip=43215"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let found = body["data"].as_array().unwrap();
    assert!(!found.is_empty(), "{body}");
    for c in found {
        let id = c["id"].as_str().unwrap().replace('-', "");
        let name = c["name"].as_str().unwrap();
        let code = name.trim_start_matches("Clinician ").to_lowercase();
        assert_eq!(code.len(), 6, "{name}");
        assert!(!id.contains(&code), "{name} is derived from {id}");
        assert!(!name.contains("Ruiz"), "{name}");
    }
}

/// Asserts that `r` failed because a row-level security policy (42501)
/// or a trigger's check (23514) refused it, not for some other reason.
fn refused<T: std::fmt::Debug>(r: Result<T, sqlx::Error>, what: &str) {
    match r {
        Err(sqlx::Error::Database(e))
            if matches!(e.code().as_deref(), Some("42501") | Some("23514")) => {}
        other => panic!("{what}: expected a refusal by policy, got {other:?}"),
    }
}

/// A transaction of the application role acting as `user` for `org` in
/// `role`, exactly as a request's would be.
async fn acting(
    app: &TestApp,
    user: Uuid,
    org: Uuid,
    role: &str,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.user_id', $1, true), set_config('app.org_id', $2, true),
                set_config('app.role', $3, true)",
    )
    .bind(user.to_string())
    .bind(org.to_string())
    .bind(role)
    .execute(&mut *tx)
    .await
    .unwrap();
    tx
}

#[tokio::test]
async fn policies_refuse_what_the_code_never_does() {
    let s = setup().await;
    let riverbend = s.app.org("clinic", "Riverbend Home Health II").await;
    let stranger_clinic = s.app.org("clinic", "Lakeside Home Care").await;
    let staff = s
        .app
        .user(
            "intake@lakeside.example",
            Some(stranger_clinic),
            Role::ClinicStaff,
        )
        .await;
    let created: Value = s
        .app
        .client
        .post(s.app.url("/api/v1/discharge-referrals"))
        .bearer_auth(&s.key)
        .json(&json!({
            "patient": { "initials": "JD" }, "zip": "43215", "primary_diagnosis": "I50.9",
            "care_type": "skilled_nursing", "requested_start": start(), "clinic_id": riverbend
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let referral: Uuid = created["data"]["id"].as_str().unwrap().parse().unwrap();

    // A clinic that is no party to the referral writes its history.
    let mut tx = acting(&s.app, staff.id, stranger_clinic, "clinic_staff").await;
    let r = sqlx::query(
        "INSERT INTO referral_history (organization_id, referral_id, clinic_id, to_status, actor_user_id)
         VALUES ($1, $2, $3, 'closed', $4)",
    )
    .bind(s.referrer)
    .bind(referral)
    .bind(stranger_clinic)
    .bind(staff.id)
    .execute(&mut *tx)
    .await;
    refused(r, "a stranger wrote a referral's history");
    drop(tx);

    // ... or a domain event about it (which would fire webhooks).
    let mut tx = acting(&s.app, staff.id, stranger_clinic, "clinic_staff").await;
    let r = sqlx::query(
        "INSERT INTO domain_events (organization_id, clinic_id, event_type, subject_id)
         VALUES ($1, $2, 'referral.accepted', $3)",
    )
    .bind(s.referrer)
    .bind(stranger_clinic)
    .bind(referral)
    .execute(&mut *tx)
    .await;
    refused(r, "a stranger filed a domain event");
    drop(tx);

    // The referrer names a stranger clinic on an event about its own
    // referral (which would mail and call that clinic), or files background
    // work of its own choosing (jobs are filed by the outboxes' triggers).
    let mut tx = acting(&s.app, Uuid::new_v4(), s.referrer, "referrer").await;
    let r = sqlx::query(
        "INSERT INTO domain_events (organization_id, clinic_id, event_type, subject_id)
         VALUES ($1, $2, 'referral.created', $3)",
    )
    .bind(s.referrer)
    .bind(stranger_clinic)
    .bind(referral)
    .execute(&mut *tx)
    .await;
    refused(r, "an event named a clinic that is no party");
    drop(tx);
    let mut tx = acting(&s.app, Uuid::new_v4(), s.referrer, "referrer").await;
    let r = sqlx::query("INSERT INTO jobs (kind, payload) VALUES ('webhook.deliver', $1)")
        .bind(serde_json::json!({ "organization_id": riverbend, "delivery_id": referral }))
        .execute(&mut *tx)
        .await;
    refused(r, "the web role filed a job");
    drop(tx);

    // A clinic's staff member (a person, not a key) manages webhooks.
    let mut tx = acting(&s.app, staff.id, stranger_clinic, "clinic_staff").await;
    let r = sqlx::query(
        "INSERT INTO webhook_endpoints (organization_id, url, events, secret)
         VALUES ($1, 'https://example.org/h', ARRAY['ping']::event_type[],
                 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')",
    )
    .bind(stranger_clinic)
    .execute(&mut *tx)
    .await;
    refused(r, "clinic staff registered a webhook");
    drop(tx);

    // The sign-in scope (an address, no proven user) writes a hash.
    let mut tx = app::db::begin(&s.app.pool).await.unwrap();
    sqlx::query("SELECT set_config('app.login_email', 'intake@lakeside.example', true)")
        .execute(&mut *tx)
        .await
        .unwrap();
    let changed = sqlx::query("UPDATE user_credentials SET password_hash = 'x'")
        .execute(&mut *tx)
        .await
        .map(|r| r.rows_affected())
        .unwrap_or(0);
    assert_eq!(changed, 0, "the sign-in scope rewrote a password hash");
    drop(tx);

    // A revoked invitation is revived by an administrator.
    let admin_user = s
        .app
        .user(
            "director@lakeside.example",
            Some(stranger_clinic),
            Role::ClinicAdmin,
        )
        .await;
    let mut admin = s.app.admin().await;
    let invitation: Uuid = sqlx::query_scalar(
        "INSERT INTO invitations (organization_id, email, role, token_hash, invited_by, expires_at, revoked_at)
         VALUES ($1, 'new@lakeside.example', 'clinic_staff', sha256('t'::bytea), $2,
                 now() + interval '1 day', now())
         RETURNING id",
    )
    .bind(stranger_clinic)
    .bind(admin_user.id)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    let mut tx = acting(&s.app, admin_user.id, stranger_clinic, "clinic_admin").await;
    let r = sqlx::query("UPDATE invitations SET revoked_at = NULL WHERE id = $1")
        .bind(invitation)
        .execute(&mut *tx)
        .await;
    refused(r, "a revoked invitation was revived");
}

#[tokio::test]
async fn a_sandbox_cannot_route_a_referral_to_a_live_clinic() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let (sandbox, _) = server::operator::create_sandbox_key(&app.urls.admin, "dev@example.test")
        .await
        .unwrap();
    let insert = |clinic: Option<Uuid>| {
        sqlx::query(
            "INSERT INTO referrals (organization_id, id, clinic_id, reference, patient_initials, zip,
                                    diagnosis_code, care_type, priority, requested_start, notes)
             VALUES ($1, $3, $2, 'R-' || upper(substr(md5($3::text), 1, 8)), 'JD', '43215', 'I509',
                     'skilled_nursing', 'routine', current_date + 2, '')",
        )
        .bind(sandbox)
        .bind(clinic)
        .bind(Uuid::new_v4())
    };
    // The same referral kept in the sandbox is fine (so the refusal below
    // is the routing's, not the row's).
    let mut tx = acting(&app, Uuid::new_v4(), sandbox, "referrer").await;
    insert(None).execute(&mut *tx).await.unwrap();
    let r = insert(Some(clinic)).execute(&mut *tx).await;
    refused(r, "a sandbox referral reached a live clinic");
}

#[tokio::test]
async fn the_application_role_reaches_session_records_by_id_only() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    app.user(
        "director@riverbend.example",
        Some(clinic),
        Role::ClinicAdmin,
    )
    .await;
    // A live session exists, and works.
    let browser = app.signed_in("director@riverbend.example").await;
    assert_eq!(app.me(&browser).await["role"], "clinic_admin");
    // The application role cannot list, read or change the records...
    let mut conn = app.pool.acquire().await.unwrap();
    for sql in [
        "SELECT count(*) FROM web_sessions",
        "SELECT data FROM web_sessions LIMIT 1",
        "UPDATE web_sessions SET expiry_date = now() + interval '10 years'",
        "DELETE FROM web_sessions",
    ] {
        let r = sqlx::query(sql).execute(&mut *conn).await;
        refused(r, sql);
    }
    // ... and a lookup by a guessed id finds nothing.
    let found: Option<Vec<u8>> = sqlx::query_scalar("SELECT web_session_load('guess')")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert!(found.is_none());
}
