//! The developer API over real HTTP: keys (Bearer and X-API-Key, sandbox
//! and live, revoked), the rate limit shared by two server processes, the
//! native endpoints' shapes and errors (4xx, never 5xx), FHIR R4 resources,
//! OperationOutcome errors and searchset paging, and the OpenAPI document.

#![allow(clippy::unwrap_used)]

mod common;

use common::TestApp;
use serde_json::{json, Value};
use uuid::Uuid;

struct Api {
    app: TestApp,
    referrer: Uuid,
    key: String,
}

async fn api() -> Api {
    let app = TestApp::spawn().await;
    let referrer = app.org("referrer", "Mercy General Hospital").await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    app.verified_clinician("Ana Ruiz, RN", "43215", Some(clinic))
        .await;
    app.verified_clinician("Ben Cole, RN", "43081", None).await;
    let key = server::operator::create_api_key(&app.urls.admin, referrer, "EHR integration")
        .await
        .unwrap();
    Api { app, referrer, key }
}

impl Api {
    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .get(self.app.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.key)
    }

    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .post(self.app.url(&format!("/api/v1{path}")))
            .bearer_auth(&self.key)
    }
}

fn start() -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(2)).to_string()
}

fn referral_body() -> Value {
    json!({
        "patient": { "initials": "JD", "birth_year": 1948 },
        "zip": "43215",
        "primary_diagnosis": "CHF",
        "care_type": "Skilled Nursing",
        "priority": "priority",
        "requested_start": start(),
        "notes": "Daily weights."
    })
}

#[tokio::test]
async fn keys_are_required_checked_and_revocable() {
    let a = api().await;
    let url = a.app.url("/api/v1/geo/zip/43215");
    let none = a.app.client.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    assert!(none.headers().contains_key("www-authenticate"));
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    for bad in [
        "nonsense",
        "ct_live_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
    ] {
        let res = a
            .app
            .client
            .get(&url)
            .bearer_auth(bad)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401, "{bad}");
    }
    // Tampered secret: same key id, different secret (a last character
    // that is not the key's own: a random key ends in `x` one time in 62).
    let swap = if a.key.ends_with('x') { 'y' } else { 'x' };
    let tampered = format!("{}{swap}", &a.key[..a.key.len() - 1]);
    assert_eq!(
        a.app
            .client
            .get(&url)
            .bearer_auth(tampered)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    let res = a
        .app
        .client
        .get(&url)
        .header("X-API-Key", &a.key)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        body["data"],
        json!({ "zip": "43215", "city": "Columbus", "state": "OH" })
    );

    let mut admin = a.app.admin().await;
    sqlx::query("UPDATE api_keys SET revoked_at = now()")
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(a.get("/geo/zip/43215").send().await.unwrap().status(), 401);
    // The key was stored only as a hash.
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM api_keys WHERE secret_hash = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(&a.key)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn every_response_carries_the_rate_and_the_limit_holds_across_two_processes() {
    let a = api().await;
    server::operator::set_rate_limits(&a.app.urls.admin, a.referrer, 5, 1000)
        .await
        .unwrap();
    let sibling = a.app.spawn_sibling().await;
    let minute = common::minute_window().await;
    let mut statuses = Vec::new();
    let mut last = None;
    for i in 0..7 {
        let base = if i % 2 == 0 {
            a.app.base.clone()
        } else {
            sibling.clone()
        };
        let res = a
            .app
            .client
            .get(format!("{base}/api/v1/geo/zip/43215"))
            .bearer_auth(&a.key)
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
        assert_eq!(res.headers()["ratelimit-limit"], "5");
        last = Some(res);
    }
    assert_eq!(
        common::utc_minute(),
        minute,
        "the requests straddled a minute"
    );
    // Five allowed in all, whichever process answered; 6 and 7 refused.
    assert_eq!(statuses, [200, 200, 200, 200, 200, 429, 429]);
    let last = last.unwrap();
    let retry: u64 = last.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    assert_eq!(last.headers()["ratelimit-remaining"], "0");
    let body: Value = last.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert_eq!(body["rate"]["remaining"], 0);
    assert_eq!(body["rate"]["limit"], 5);
    let ok: Value = a
        .app
        .client
        .get(a.app.url("/api/v1/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ok["status"], "ok");
}

#[tokio::test]
async fn a_referral_made_by_the_api_is_the_same_referral_as_the_forms() {
    let a = api().await;
    let res = a
        .post("/discharge-referrals")
        .json(&referral_body())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let remaining: i64 = res.headers()["ratelimit-remaining"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["rate"]["remaining"], remaining);
    let r = &body["data"];
    assert_eq!(r["status"], "matched");
    assert_eq!(r["diagnosis"]["code"], "I50.9");
    assert_eq!(r["care_type"], "skilled_nursing");
    assert_eq!(r["clinic"], "Riverbend Home Health");
    assert_eq!(r["matches"][0]["name"], "Ana Ruiz, RN");
    assert!(r["matches"][0]["explanation"]
        .as_str()
        .unwrap()
        .contains("Heart failure experience"));
    let id = r["id"].as_str().unwrap().to_owned();

    let back: Value = a
        .get(&format!("/discharge-referrals/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let history: Vec<&str> = back["data"]["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap())
        .collect();
    assert_eq!(history, ["received", "matched"]);
    assert_eq!(
        a.get(&format!("/discharge-referrals/{}", Uuid::new_v4()))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        a.get("/discharge-referrals/not-a-uuid")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // The domain event for the webhooks was written with it.
    let mut admin = a.app.admin().await;
    let events: Vec<String> = sqlx::query_scalar(
        "SELECT event_type::text FROM domain_events WHERE subject_id = $1::uuid ORDER BY event_type::text",
    )
    .bind(&id)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(events, ["referral.created", "referral.matched"]);
}

#[tokio::test]
async fn bad_input_is_a_client_error_never_a_server_error() {
    let a = api().await;
    let cases: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (a.post("/discharge-referrals").body("not json").header("content-type", "application/json"), 400),
        (a.post("/discharge-referrals").body("{}"), 400),
        (a.post("/discharge-referrals").json(&json!({})), 422),
        (a.post("/discharge-referrals").json(&json!({ "patient": { "initials": 5 } })), 422),
        (
            a.post("/discharge-referrals").json(&json!({
                "patient": { "initials": "J" }, "zip": "999", "primary_diagnosis": "zzzz",
                "care_type": "massage", "priority": "whenever", "requested_start": "2001-01-01"
            })),
            422,
        ),
        (a.post("/discharge-referrals").json(&json!({
            "patient": { "initials": "JD" }, "zip": "00000", "primary_diagnosis": "I50.9", "care_type": "skilled_nursing"
        })), 422),
        (a.get("/clinicians/search?limit=500"), 422),
        (a.get("/clinicians/search?state=Ohio&zip=abc&diagnosis=%%%&care_type=x"), 422),
        (a.get("/clinicians/search?limit=notanumber"), 400),
        (a.get("/geo/zip/abc"), 422),
        (a.get("/geo/zip/00000"), 404),
        (a.get("/no-such-endpoint"), 404),
    ];
    for (i, (req, expected)) in cases.into_iter().enumerate() {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        assert_eq!(status, expected, "case {i}: {body}");
        assert!(body["error"]["code"].is_string(), "case {i}: {body}");
    }
    let res = a.post("/discharge-referrals").json(&json!({
        "patient": { "initials": "J" }, "zip": "999", "primary_diagnosis": "zzzz", "care_type": "massage"
    })).send().await.unwrap();
    let body: Value = res.json().await.unwrap();
    let fields = common::each(&body["error"]["fields"], "field");
    assert_eq!(
        fields,
        ["patient.initials", "zip", "primary_diagnosis", "care_type"]
    );
    let mut admin = a.app.admin().await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM referrals")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn clinician_search_filters_and_the_sandbox_sees_no_names() {
    let a = api().await;
    let res: Value = a
        .get("/clinicians/search?zip=43215&diagnosis=I50.9&care_type=skilled_nursing&limit=5")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = res["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Ana Ruiz, RN", "Ben Cole, RN"]);
    assert_eq!(res["data"][0]["distance_miles"], 0.0);
    let by_city: Value = a
        .get("/clinicians/search?state=OH&city=westerville")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_city["data"].as_array().unwrap().len(), 1);
    let none: Value = a
        .get("/clinicians/search?state=TX")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(none["data"].as_array().unwrap().len(), 0);

    let (_, sandbox) = server::operator::create_sandbox_key(&a.app.urls.admin, "dev@example.org")
        .await
        .unwrap();
    assert!(sandbox.starts_with("ct_sandbox_"));
    let res: Value = a
        .app
        .client
        .get(a.app.url("/api/v1/clinicians/search?zip=43215"))
        .bearer_auth(&sandbox)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for c in res["data"].as_array().unwrap() {
        assert!(c["name"].as_str().unwrap().starts_with("Clinician "), "{c}");
    }
    // The sandbox's tighter window (60 a minute, of 5,000 a day) is reported.
    assert_eq!(res["rate"]["limit"], 60);
    assert_eq!(res["rate"]["window"], "minute");
    // A sandbox referral stays in the sandbox: never routed to a clinic.
    let res: Value = a
        .app
        .client
        .post(a.app.url("/api/v1/discharge-referrals"))
        .bearer_auth(&sandbox)
        .json(&referral_body())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["data"]["clinic"], Value::Null);
    assert!(res["data"]["matches"][0]["name"]
        .as_str()
        .unwrap()
        .starts_with("Clinician "));
}

fn fhir_request() -> Value {
    json!({
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "subject": { "reference": "#p1", "display": "Jane Doe, MRN-12345" },
        "contained": [{
            "resourceType": "Patient", "id": "p1",
            "name": [{ "given": ["Jane"], "family": "Doe" }],
            "birthDate": "1948-03-02",
            "address": [{ "postalCode": "43215" }]
        }],
        "priority": "urgent",
        "occurrenceDateTime": start(),
        "reasonCode": [{ "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.9", "display": "Heart failure" }] }],
        "note": [{ "text": "Needs IV diuretic monitoring at home." }]
    })
}

#[tokio::test]
async fn fhir_resources_have_the_right_shapes() {
    let a = api().await;
    let meta = a
        .app
        .client
        .get(a.app.url("/api/v1/fhir/metadata"))
        .send()
        .await
        .unwrap();
    assert_eq!(meta.status(), 200);
    assert!(meta.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/fhir+json"));
    let meta: Value = meta.json().await.unwrap();
    assert_eq!(meta["resourceType"], "CapabilityStatement");
    assert_eq!(meta["fhirVersion"], "4.0.1");
    let types: Vec<&str> = meta["rest"][0]["resource"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "Patient",
            "Encounter",
            "Observation",
            "Questionnaire",
            "QuestionnaireResponse",
            "ServiceRequest"
        ]
    );
    let params: Vec<&str> = meta["rest"][0]["resource"][5]["searchParam"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(params.contains(&"_total"), "{params:?}");

    let res = a
        .post("/fhir/ServiceRequest")
        .header("content-type", "application/fhir+json")
        .body(fhir_request().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let sr: Value = res.json().await.unwrap();
    assert_eq!(sr["resourceType"], "ServiceRequest");
    assert_eq!(sr["intent"], "order");
    assert_eq!(sr["status"], "active");
    assert_eq!(sr["priority"], "urgent");
    assert_eq!(sr["reasonCode"][0]["coding"][0]["code"], "I50.9");
    assert_eq!(sr["subject"]["display"], "JD");
    let id = sr["id"].as_str().unwrap().to_owned();
    assert!(location.ends_with(&format!("/api/v1/fhir/ServiceRequest/{id}")));
    assert!(location.starts_with("http://"));

    let patient: Value = a
        .get(&format!("/fhir/Patient/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(patient["resourceType"], "Patient");
    assert_eq!(
        patient["meta"]["profile"][0],
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"
    );
    assert_eq!(patient["birthDate"], "1948");
    assert_eq!(patient["address"][0]["postalCode"], "43215");
    assert!(
        !patient.to_string().contains("Jane"),
        "only initials are kept"
    );

    // Visits are the clinic's (tests/visits.rs reads them as a clinic's
    // key): the referring side has no Encounter, by the referral's id or
    // any other.
    assert_eq!(
        a.get(&format!("/fhir/Encounter/{id}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let found: Value = a
        .get(&format!("/fhir/Encounter?patient={id}&status=planned"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(found["total"], 0);
}

/// Past `COUNT_UP_TO` matches a search leaves its total out (counting
/// them all would cost the whole history) and pages by its `next` link;
/// `_total=accurate` still counts every one.
#[tokio::test]
async fn a_long_history_is_counted_only_when_asked() {
    let a = api().await;
    let cap = server::api::fhir::COUNT_UP_TO;
    let mut admin = a.app.admin().await;
    // Referrals numbered `from..=to` (their references), older by the number.
    let mut add = async |from: i64, to: i64| {
        sqlx::query(
            "INSERT INTO referrals (organization_id, id, reference, patient_initials, zip,
                                    diagnosis_code, care_type, priority, requested_start, received_at)
             SELECT $1, gen_random_uuid(), 'R-' || upper(lpad(to_hex(g), 8, '0')), 'GB', '43215',
                    'I509', 'skilled_nursing', 'routine', current_date, now() - g * interval '1 minute'
             FROM generate_series($2, $3) g",
        )
        .bind(a.referrer)
        .bind(from)
        .bind(to)
        .execute(&mut admin)
        .await
        .unwrap();
    };
    let search = |query: &'static str| {
        let req = a.get(&format!("/fhir/ServiceRequest?{query}"));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // Exactly the cap: still counted.
    add(1, cap).await;
    assert_eq!(search("_count=50").await["total"], cap);
    add(cap + 1, cap + 1).await;
    let first = search("_count=50").await;
    assert!(
        first.get("total").is_none(),
        "a total past the cap was counted"
    );
    assert_eq!(first["entry"].as_array().unwrap().len(), 50);
    assert_eq!(first["link"][1]["relation"], "next");
    assert_eq!(search("_count=50&_total=estimate").await.get("total"), None);
    assert_eq!(search("_count=50&_total=accurate").await["total"], cap + 1);
    // A page that reaches the cap with more to follow needs no count.
    let deep = search("_count=50&_offset=950").await;
    assert!(deep.get("total").is_none(), "{}", deep["total"]);
    assert_eq!(deep["link"][1]["relation"], "next");
    // The last page knows where it ends, so it says.
    let last = search("_count=50&_offset=1000").await;
    assert_eq!(last["total"], cap + 1);
    assert_eq!(last["entry"].as_array().unwrap().len(), 1);
    assert_eq!(last["link"].as_array().unwrap().len(), 1, "no next page");
}

#[tokio::test]
async fn fhir_searches_page_to_the_end_and_errors_are_operation_outcomes() {
    let a = api().await;
    for _ in 0..5 {
        let res = a
            .post("/fhir/ServiceRequest")
            .json(&fhir_request())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
    }
    let mut url = a.app.url("/api/v1/fhir/ServiceRequest?_count=2");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let res = a
            .app
            .client
            .get(&url)
            .bearer_auth(&a.key)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let bundle: Value = res.json().await.unwrap();
        assert_eq!(bundle["resourceType"], "Bundle");
        assert_eq!(bundle["type"], "searchset");
        assert_eq!(bundle["total"], 5);
        let links = bundle["link"].as_array().unwrap();
        assert_eq!(links[0]["relation"], "self");
        for entry in bundle["entry"].as_array().unwrap() {
            assert_eq!(entry["search"]["mode"], "match");
            let full = entry["fullUrl"].as_str().unwrap();
            assert!(
                full.starts_with("http://") && full.contains("/api/v1/fhir/ServiceRequest/"),
                "{full}"
            );
            seen.push(entry["resource"]["id"].as_str().unwrap().to_owned());
        }
        pages += 1;
        match links.iter().find(|l| l["relation"] == "next") {
            Some(next) => url = next["url"].as_str().unwrap().to_owned(),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);

    // Filters and a page past the end keep the total.
    let search = |query: &'static str| {
        let req = a.get(&format!("/fhir/ServiceRequest?{query}"));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    let past = search("_count=2&_offset=10").await;
    assert_eq!(
        (past["total"].clone(), past["entry"].clone()),
        (json!(5), json!([]))
    );
    assert_eq!(search("status=active").await["total"], 5);
    assert_eq!(search("status=revoked").await["total"], 0);
    // `_total=none` leaves the count out but still links the next page,
    // and gives the total anyway where the page reaches the end.
    let uncounted = search("_count=2&_total=none").await;
    assert!(uncounted.get("total").is_none(), "{uncounted}");
    let next = uncounted["link"][1]["url"].as_str().unwrap();
    assert!(
        next.contains("_total=none") && next.contains("_offset=2"),
        "{next}"
    );
    assert_eq!(search("_count=2&_offset=4&_total=none").await["total"], 5);
    assert_eq!(search("_count=0&_total=accurate").await["total"], 5);
    let one = a
        .get(&format!("/fhir/ServiceRequest?patient=Patient/{}", seen[0]))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(one["total"], 1);
    assert_eq!(one["entry"][0]["resource"]["id"], seen[0].as_str());
    // No visit is scheduled yet, so there is no Encounter.
    let encounters: Value = a
        .get("/fhir/Encounter")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(encounters["total"], 0);

    // Errors: OperationOutcome, with the right status.
    let cases: Vec<(reqwest::RequestBuilder, u16)> = vec![
        (
            a.app.client.get(a.app.url("/api/v1/fhir/ServiceRequest")),
            401,
        ),
        (
            a.get(&format!("/fhir/ServiceRequest/{}", Uuid::new_v4())),
            404,
        ),
        (a.get("/fhir/ServiceRequest?_count=1000"), 400),
        (a.get("/fhir/ServiceRequest?_total=exact"), 400),
        (a.get("/fhir/Encounter?status=bogus"), 400),
        (
            a.post("/fhir/ServiceRequest")
                .header("content-type", "application/fhir+json")
                .body("{oops"),
            400,
        ),
        (
            a.post("/fhir/ServiceRequest")
                .json(&json!({ "resourceType": "Patient" })),
            400,
        ),
        (
            a.post("/fhir/ServiceRequest").json(
                &json!({ "resourceType": "ServiceRequest", "subject": { "display": "Jane Doe" } }),
            ),
            422,
        ),
    ];
    for (i, (req, expected)) in cases.into_iter().enumerate() {
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), expected, "case {i}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/fhir+json"),
            "case {i}"
        );
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["resourceType"], "OperationOutcome", "case {i}");
        assert!(body["issue"][0]["code"].is_string(), "case {i}");
    }
    let res = a
        .post("/fhir/ServiceRequest")
        .json(&json!({ "resourceType": "ServiceRequest", "subject": { "display": "Jane Doe" } }))
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let paths: Vec<&str> = body["issue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["expression"][0].as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"ServiceRequest.contained[0].address[0].postalCode"),
        "{paths:?}"
    );
    assert!(
        paths.contains(&"ServiceRequest.reasonCode[0].coding[0].code"),
        "{paths:?}"
    );
}

#[tokio::test]
async fn the_openapi_document_and_docs_are_served_without_a_cdn() {
    let a = api().await;
    let doc: Value = a
        .app
        .client
        .get(a.app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/clinicians/search",
        "/discharge-referrals",
        "/discharge-referrals/{id}",
        "/geo/zip/{zip}",
        "/health",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} documented");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    let docs = a
        .app
        .client
        .get(a.app.url("/api/v1/docs/"))
        .send()
        .await
        .unwrap();
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("https://"), "no CDN: {html}");
}

#[tokio::test]
async fn a_packet_sent_by_the_api_is_checked_sealed_and_released_only_on_accepting() {
    let a = api().await;
    let mut body = referral_body();
    body["packet"] = json!({
        "full_name": "Jane Quinn Doe", "birth_date": "1950-03-02", "address": "12 Elm Street",
        "phone": "555-0142", "payer": "medicare",
        "emergency_contact": { "name": "Sam Doe", "phone": "(614) 555-0199" }
    });
    // Each problem named as the API spells it; nothing stored.
    let res = a
        .post("/discharge-referrals")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let errors: Value = res.json().await.unwrap();
    let fields: Vec<&str> = errors["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["packet.birth_date", "packet.phone", "packet.member_id"]
    );
    let mut admin = a.app.admin().await;
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM referrals")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    body["packet"]["birth_date"] = json!("1948-03-02");
    body["packet"]["phone"] = json!("(614) 555-0142");
    body["packet"]["member_id"] = json!("1EG4TE5MK72");
    let res = a
        .post("/discharge-referrals")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let raw: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM referral_packets")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("Quinn"));
    // The referral's own answer carries no packet: the referrer sent it.
    let text = serde_json::to_string(&res.json::<Value>().await.unwrap()).unwrap();
    assert!(
        !text.contains("Quinn") && !text.contains("1EG4TE5MK72"),
        "{text}"
    );
}

#[tokio::test]
async fn a_fhir_referral_carries_its_packet_in_the_contained_patient_and_coverage() {
    let a = api().await;
    let mut body = fhir_request();
    body["contained"] = json!([
        {
            "resourceType": "Patient", "id": "p1",
            "name": [{ "given": ["Jane", "Quinn"], "family": "Doe" }],
            "birthDate": "1948-03-02",
            "address": [{ "line": ["12 Elm Street"], "postalCode": "43215" }],
            "telecom": [{ "system": "phone", "value": "555-0142" }],
            "contact": [{ "name": { "text": "Sam Doe" }, "telecom": [{ "system": "phone", "value": "(614) 555-0199" }] }]
        },
        { "resourceType": "Coverage", "type": { "coding": [{ "code": "medicare" }] }, "subscriberId": "1EG4TE5MK72" }
    ]);
    // A bad phone: named at its FHIR path, nothing stored.
    let res = a
        .post("/fhir/ServiceRequest")
        .header("content-type", "application/fhir+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let outcome: Value = res.json().await.unwrap();
    assert!(
        outcome
            .to_string()
            .contains("ServiceRequest.contained[0].telecom"),
        "{outcome}"
    );
    body["contained"][0]["telecom"][0]["value"] = json!("(614) 555-0142");
    let res = a
        .post("/fhir/ServiceRequest")
        .header("content-type", "application/fhir+json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let mut admin = a.app.admin().await;
    let raw: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM referral_packets")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("Quinn"));
    // The clinic that accepts reads it as the packet.
    let clinic: Uuid = sqlx::query_scalar("SELECT clinic_id FROM referrals")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    a.app
        .user(
            "staff@riverbend.test",
            Some(clinic),
            app::auth::Role::ClinicStaff,
        )
        .await;
    let staff = a.app.signed_in("staff@riverbend.test").await;
    let id: String = sqlx::query_scalar("SELECT id::text FROM referrals")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    let res = a
        .app
        .rpc(
            &staff,
            "referrals/step",
            &[("id", &id), ("action", "accept")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let detail: Value = a
        .app
        .rpc(&staff, "referrals/get", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    let packet = &detail["patient"]["details"];
    assert_eq!(packet["full_name"], "Jane Quinn Doe");
    assert_eq!(packet["member_id"], "1EG4TE5MK72");
    assert_eq!(packet["emergency_name"], "Sam Doe");
}
