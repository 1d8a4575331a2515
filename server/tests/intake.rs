//! Intake forms (issue 15) against a real PostgreSQL, through the server
//! functions: a clinic's staff start a form from a starter template, save
//! drafts and publish (a published version is frozen for every role and
//! pinned by the SHA-256 of its canonical definition; editing makes a
//! draft of the next version); they send it; the patient fills it section
//! by section, reviews and signs; the hash verifies until the document is
//! altered; links are withdrawn, expire and are reminded once; another
//! clinic sees none of it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::identity::Role;
use common::TestApp;
use serde_json::Value;
use sha2::{Digest, Sha256};

#[tokio::test]
async fn staff_publish_a_form_version_frozen_and_pinned_by_its_hash() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Forms").await;
    let other = app.org("clinic", "Lakeside Forms").await;
    app.user("intake@forms.test", Some(clinic), Role::ClinicStaff)
        .await;
    app.user("intake@other-forms.test", Some(other), Role::ClinicStaff)
        .await;
    let staff = app.signed_in("intake@forms.test").await;
    let stranger = app.signed_in("intake@other-forms.test").await;

    // A bad template is named; a good one makes a draft.
    let res = app
        .rpc(
            &staff,
            "intake/forms/create",
            &[("title", "History"), ("template", "nope")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .rpc(
            &staff,
            "intake/forms/create",
            &[
                ("title", "Medical history"),
                ("template", "medical_history"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id: String = res.json().await.unwrap();

    // Publishing freezes version 1 with the hash of its canonical form.
    let res = app
        .rpc(&staff, "intake/forms/publish", &[("id", &id)])
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let (version, hash): (i32, String) = res.json().await.unwrap();
    assert_eq!(version, 1);
    let form: Value = app
        .rpc(&staff, "intake/forms/get", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    let definition = &form["versions"][0]["definition"];
    let canonical = serde_jcs::to_vec(definition).unwrap();
    assert_eq!(hex::encode(Sha256::digest(&canonical)), hash);
    assert_eq!(form["versions"][0]["sha256"], hash.as_str());
    // The bytes that were hashed are kept beside the hash.
    let mut admin = app.admin().await;
    let kept: Vec<u8> = sqlx::query_scalar(
        "SELECT canonical FROM intake_form_versions WHERE form_id = $1::uuid AND version = 1",
    )
    .bind(&id)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(kept, canonical);
    // A definition with a key the model does not know is refused, not
    // quietly dropped.
    let res = app
        .rpc(
            &staff,
            "intake/forms/draft",
            &[
                ("id", &id),
                (
                    "definition",
                    r#"{"title": "x", "sections": [], "enableWhen": []}"#,
                ),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);

    // Nothing more to publish until it is edited.
    assert_eq!(
        app.rpc(&staff, "intake/forms/publish", &[("id", &id)])
            .await
            .status(),
        409
    );
    // Editing makes a draft of version 2; a broken one is not published.
    let mut edited = definition.clone();
    edited["sections"][1]["fields"][0]["label"] = "Conditions you are treated for now".into();
    let res = app
        .rpc(
            &staff,
            "intake/forms/draft",
            &[("id", &id), ("definition", &edited.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<i32>().await.unwrap(), 2);
    let mut broken = edited.clone();
    broken["sections"][1]["fields"][1]["key"] = "conditions".into();
    app.rpc(
        &staff,
        "intake/forms/draft",
        &[("id", &id), ("definition", &broken.to_string())],
    )
    .await;
    let res = app
        .rpc(&staff, "intake/forms/publish", &[("id", &id)])
        .await;
    assert_eq!(res.status(), 409);
    assert!(res.text().await.unwrap().contains("used twice"));
    app.rpc(
        &staff,
        "intake/forms/draft",
        &[("id", &id), ("definition", &edited.to_string())],
    )
    .await;
    let (version, second): (i32, String) = app
        .rpc(&staff, "intake/forms/publish", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(version, 2);
    assert_ne!(second, hash);

    // A published version stays as it was, even for the superuser.
    let refused = sqlx::query(
        "UPDATE intake_form_versions SET definition = '{\"title\": \"x\", \"sections\": []}'
         WHERE form_id = $1::uuid AND version = 1",
    )
    .bind(&id)
    .execute(&mut admin)
    .await
    .unwrap_err();
    assert!(refused.to_string().contains("never changed"), "{refused}");

    // Another clinic's staff see none of it; a referrer may not build forms.
    assert_eq!(
        app.rpc(&stranger, "intake/forms/get", &[("id", &id)])
            .await
            .status(),
        404
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE subject_id = $1 AND action LIKE 'intake_form.%'",
    )
    .bind(&id)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(audited, 6);
}

/// A patient of `clinic` (sealed details are not read by intake).
async fn patient(app: &TestApp, clinic: uuid::Uuid) -> uuid::Uuid {
    let mut admin = app.admin().await;
    let zip: String = sqlx::query_scalar("SELECT zip FROM zip_codes ORDER BY zip LIMIT 1")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    sqlx::query_scalar(
        "INSERT INTO patients (organization_id, initials, zip, key_id, sealed, match_index)
         VALUES ($1, 'WL', $2, 'dev', '\\x00', sha256(gen_random_uuid()::text::bytea))
         RETURNING id",
    )
    .bind(clinic)
    .bind(zip)
    .fetch_one(&mut admin)
    .await
    .unwrap()
}

fn token_in_url(url: &str) -> String {
    url.split("token=").nth(1).unwrap().to_owned()
}

async fn open(app: &TestApp, token: &str) -> Value {
    let res = app
        .rpc(&TestApp::browser(), "intake/fill/open", &[("token", token)])
        .await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

async fn step(
    app: &TestApp,
    token: &str,
    step: &str,
    answers: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![
        ("token".to_owned(), token.to_owned()),
        ("step".to_owned(), step.to_owned()),
    ];
    for (k, v) in answers {
        form.push((format!("answers[{k}][]"), (*v).to_owned()));
    }
    let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.rpc(&TestApp::browser(), "intake/fill/save", &pairs)
        .await
}

async fn verify(app: &TestApp, hash: &str) -> reqwest::Response {
    app.rpc(&TestApp::browser(), "verify/check", &[("hash", hash)])
        .await
}

/// A clinic with a published admission consent form, its staff, a patient.
struct Clinic {
    staff: reqwest::Client,
    form: String,
    patient: String,
}

async fn clinic(app: &TestApp, email: &str) -> Clinic {
    let org = app.org("clinic", &format!("Clinic of {email}")).await;
    app.user(email, Some(org), Role::ClinicStaff).await;
    let staff = app.signed_in(email).await;
    let res = app
        .rpc(
            &staff,
            "intake/forms/create",
            &[
                ("title", "Admission consent"),
                ("template", "admission_consent"),
            ],
        )
        .await;
    let form: String = res.json().await.unwrap();
    let res = app
        .rpc(&staff, "intake/forms/publish", &[("id", &form)])
        .await;
    assert_eq!(res.status(), 200);
    let patient = patient(app, org).await.to_string();
    Clinic {
        staff,
        form,
        patient,
    }
}

async fn send(app: &TestApp, c: &Clinic, email: &str) -> reqwest::Response {
    app.rpc(
        &c.staff,
        "intake/forms/send",
        &[
            ("id", &c.form),
            ("patient", &c.patient),
            ("recipient", "patient"),
            ("email", email),
        ],
    )
    .await
}

async fn sign(app: &TestApp, token: &str, extra: &[(&str, &str)]) -> reqwest::Response {
    let reviewed = open(app, token).await["digest"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut form = vec![("token", token), ("reviewed", reviewed.as_str())];
    form.extend_from_slice(extra);
    app.rpc(&TestApp::browser(), "intake/fill/sign", &form)
        .await
}

fn mail_token(body: &str) -> String {
    common::token_of(&common::link_in(body, "/intake?token="))
}

/// The texts of the reminders `to` has received (after delivering what is
/// due, and a moment for a delivery already under way to land).
async fn reminders_to(app: &TestApp, to: &str) -> Vec<String> {
    app.deliver_mail().await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.mail_to(to)
        .into_iter()
        .filter(|m| m.subject.starts_with("Reminder"))
        .map(|m| m.text)
        .collect()
}

/// A submission as stored: its hash, the form's hash as pinned and as
/// published, the signature's kind, and the sealed document with its id.
type StoredRow = (
    Vec<u8>,
    Vec<u8>,
    Vec<u8>,
    String,
    String,
    Vec<u8>,
    uuid::Uuid,
);

#[tokio::test]
async fn a_patient_fills_signs_and_anyone_can_verify_the_hash_until_it_is_altered() {
    let app = TestApp::spawn().await;
    let c = clinic(&app, "intake@sign.test").await;
    let mut admin = app.admin().await;

    // Sent by email: the mail carries the link (not the form's title), and
    // staff never see that token.
    let res = send(&app, &c, "pat@example.com").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let sent: Value = res.json().await.unwrap();
    assert_eq!(sent["emailed"], true);
    assert!(sent["url"].is_null(), "{sent}");
    let body = app
        .wait_for_mail("pat@example.com", "asks you to fill in")
        .await
        .text;
    assert!(!body.contains("Admission consent"), "{body}");
    let token = mail_token(&body);

    let v = open(&app, &token).await;
    assert_eq!(v["state"], "open");
    assert!(v["clinic"].as_str().unwrap().starts_with("Clinic of"));

    // A wrong answer is named beside its field, and what was typed is kept.
    let res = step(
        &app,
        &token,
        "0",
        &[("full_name", "Walter Lin"), ("birth_date", "not a date")],
    )
    .await;
    assert_eq!(res.status(), 422);
    let errors: Value = res.json().await.unwrap();
    assert!(errors.to_string().contains("birth_date"), "{errors}");
    let v = open(&app, &token).await;
    assert_eq!(v["draft"]["full_name"][0], "Walter Lin");
    assert_eq!(v["draft"]["birth_date"][0], "not a date");
    // The draft is sealed: the database holds no answer in the clear.
    let raw: Vec<u8> = sqlx::query_scalar("SELECT draft_sealed FROM intake_links")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("Walter"));
    // Too long is refused, not cut.
    let long = "x".repeat(5001);
    assert_eq!(
        step(&app, &token, "0", &[("full_name", &long)])
            .await
            .status(),
        422
    );
    assert_eq!(
        open(&app, &token).await["draft"]["full_name"][0],
        "Walter Lin"
    );

    let res = step(
        &app,
        &token,
        "0",
        &[("full_name", "Walter Lin"), ("birth_date", "1941-03-02")],
    )
    .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<String>().await.unwrap(),
        "1",
        "on to the next section"
    );
    // Signing before every answer is in is refused.
    let res = sign(&app, &token, &[("name", "Walter Lin"), ("consent", "on")]).await;
    assert_eq!(res.status(), 409);
    let res = step(&app, &token, "1", &[("agree", "on")]).await;
    assert_eq!(res.json::<String>().await.unwrap(), "review");
    // Back goes to the previous section, keeping what was typed.
    let res = app
        .rpc(
            &TestApp::browser(),
            "intake/fill/save",
            &[
                ("token", token.as_str()),
                ("step", "1"),
                ("back", "1"),
                ("answers[agree][]", "on"),
            ],
        )
        .await;
    assert_eq!(res.json::<String>().await.unwrap(), "0");
    // The review shows the answers as they will be signed.
    let v = open(&app, &token).await;
    assert!(v["problems"].as_array().unwrap().is_empty(), "{v}");
    assert!(v["review"].to_string().contains("Agreed"), "{v}");
    // Answers changed since the review: signing with the old digest is refused.
    let old = v["digest"].as_str().unwrap().to_owned();
    step(
        &app,
        &token,
        "0",
        &[("full_name", "Walter K. Lin"), ("birth_date", "1941-03-02")],
    )
    .await;
    let res = app
        .rpc(
            &TestApp::browser(),
            "intake/fill/sign",
            &[
                ("token", token.as_str()),
                ("reviewed", old.as_str()),
                ("name", "Walter Lin"),
                ("consent", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("changed since you reviewed"));
    // No name, no consent: both named.
    let res = sign(&app, &token, &[("name", "")]).await;
    assert_eq!(res.status(), 422);
    let errors = res.text().await.unwrap();
    assert!(
        errors.contains("name") && errors.contains("consent"),
        "{errors}"
    );
    let res = sign(
        &app,
        &token,
        &[
            ("name", "Walter K. Lin"),
            ("consent", "on"),
            ("strokes", "[[[10,10],[40,30]]]"),
        ],
    )
    .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let hash: String = res.json().await.unwrap();
    assert_eq!(hash.len(), 64);

    // The token is spent: it shows the receipt and signs nothing more.
    let v = open(&app, &token).await;
    assert_eq!(v["state"], "spent");
    assert_eq!(v["receipt"]["sha256"], hash.as_str());
    assert!(v["receipt"]["qr_svg"].as_str().unwrap().contains("<svg"));
    assert!(v["definition"].is_null() && v["draft"].as_object().unwrap().is_empty());
    assert_eq!(
        sign(&app, &token, &[("name", "Walter Lin"), ("consent", "on")])
            .await
            .status(),
        409
    );
    assert_eq!(
        step(&app, &token, "0", &[("full_name", "X")])
            .await
            .status(),
        409
    );
    // The link keeps no draft once signed.
    let (draft, email): (Option<Vec<u8>>, Option<Vec<u8>>) =
        sqlx::query_as("SELECT draft_sealed, email_sealed FROM intake_links")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert!(draft.is_none() && email.is_none());
    // The signer's own copy.
    let copy = TestApp::browser()
        .get(app.url(&format!("/intake/copy?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(copy.status(), 200);
    let bytes = copy.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-") && String::from_utf8_lossy(&bytes).contains(&hash));

    // Stored: the canonical document's hash, pinned to the version's hash;
    // the document names its clinic, link and patient.
    let (stored, form_hash, version_hash, kind, key_id, sealed, id): StoredRow = sqlx::query_as(
        "SELECT s.sha256, s.form_sha256, v.sha256, s.signature_kind, s.key_id, s.sealed, s.id
         FROM intake_submissions s
         JOIN intake_form_versions v ON v.form_id = s.form_id AND v.version = s.version",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(hex::encode(&stored), hash);
    assert_eq!(form_hash, version_hash);
    assert_eq!(kind, "drawn");
    let vault = app::vault::Keyring::development();
    let place = app::intake::fill::document_place(id);
    let plain = vault
        .open(
            &app::vault::Sealed {
                key_id,
                bytes: sealed,
            },
            place,
        )
        .unwrap();
    assert_eq!(hex::encode(Sha256::digest(&plain)), hash);
    let document: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(document["patient_id"], c.patient.as_str());
    assert_eq!(document["answers"]["full_name"], "Walter K. Lin");
    assert_eq!(document["answers"]["signature"], "Walter K. Lin");
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE subject_type = 'intake_submission' ORDER BY seq",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "intake.submission_received",
            "intake.signature_captured",
            "intake.copy_downloaded"
        ]
    );

    // Anyone can check the hash: the day and the clinic only.
    let answer: Value = verify(&app, &hash).await.json().await.unwrap();
    assert!(
        answer["Match"]["clinic"]
            .as_str()
            .unwrap()
            .starts_with("Clinic of"),
        "{answer}"
    );
    assert_eq!(
        answer["Match"]["signed_on"].as_str().unwrap().len(),
        10,
        "{answer}"
    );
    assert!(!answer.to_string().contains("Walter"));
    let answer: Value = verify(&app, &"ab".repeat(32)).await.json().await.unwrap();
    assert_eq!(answer, "NoMatch");
    assert_eq!(verify(&app, "not-a-hash").await.status(), 422);

    // A signed submission is frozen for everyone.
    let frozen = sqlx::query("UPDATE intake_submissions SET signature_kind = 'typed'")
        .execute(&mut admin)
        .await
        .unwrap_err();
    assert!(frozen.to_string().contains("never changed"), "{frozen}");

    // Staff open it (audited), see the answers, mark it reviewed, get the PDF.
    let list: Value = app
        .rpc(&c.staff, "intake/forms/page", &[("id", &c.form)])
        .await
        .json()
        .await
        .unwrap();
    let id = list["submissions"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(list["links"][0]["state"], "spent");
    assert_eq!(list["links"][0]["emailed"], true);
    let view: Value = app
        .rpc(&c.staff, "intake/submissions/get", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert!(
        view.to_string().contains("Walter K. Lin") && view.to_string().contains("1941-03-02"),
        "{view}"
    );
    assert!(view["signature_path"]
        .as_str()
        .unwrap()
        .starts_with("M10 10"));
    assert_eq!(view["intact"], true);
    assert_eq!(
        app.rpc(&c.staff, "intake/submissions/review", &[("id", &id)])
            .await
            .status(),
        200
    );
    let pdf = c
        .staff
        .get(app.url(&format!("/clinic/intake/{id}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.contains(&hash) && text.contains("Walter K. Lin"),
        "the hash and answers are text in the PDF"
    );
    // Reviewed is final, too.
    let again = sqlx::query("UPDATE intake_submissions SET reviewed_at = now()")
        .execute(&mut admin)
        .await
        .unwrap_err();
    assert!(again.to_string().contains("never changed"), "{again}");
    let patients: Value = app
        .rpc(&c.staff, "intake/patient", &[("patient", &c.patient)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(patients[0]["id"], id.as_str());
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE subject_type = 'intake_submission' ORDER BY seq",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    for action in [
        "intake.submission_viewed",
        "intake.submission_reviewed",
        "intake.submission_exported",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} in {actions:?}"
        );
    }

    // Another clinic's staff see and touch none of it.
    let other = clinic(&app, "intake@elsewhere.test").await;
    assert_eq!(
        app.rpc(&other.staff, "intake/submissions/get", &[("id", &id)])
            .await
            .status(),
        404
    );
    assert_eq!(
        app.rpc(&other.staff, "intake/submissions/review", &[("id", &id)])
            .await
            .status(),
        404
    );
    let res = other
        .staff
        .get(app.url(&format!("/clinic/intake/{id}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let theirs: Value = app
        .rpc(&other.staff, "intake/patient", &[("patient", &c.patient)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs, serde_json::json!([]));
    let res = app
        .rpc(
            &other.staff,
            "intake/forms/send",
            &[
                ("id", &c.form),
                ("patient", &other.patient),
                ("recipient", "patient"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 404, "another clinic's form");
    let res = app
        .rpc(
            &other.staff,
            "intake/forms/send",
            &[
                ("id", &other.form),
                ("patient", &c.patient),
                ("recipient", "patient"),
                ("email", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422, "another clinic's patient");
    let link = list["links"][0]["id"].as_str().unwrap();
    assert_eq!(
        app.rpc(&other.staff, "intake/links/revoke", &[("link", link)])
            .await
            .status(),
        404
    );
    // Nobody signed in gets the PDF.
    let res = TestApp::browser()
        .get(app.url(&format!("/clinic/intake/{id}/pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Altered by the superuser, past every trigger, into another valid
    // document sealed in its place: it no longer verifies, and staff are
    // told.
    let mut changed = document.clone();
    changed["answers"]["full_name"] = "Someone Else".into();
    let resealed = vault.seal(&serde_json::to_vec(&changed).unwrap(), place);
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("UPDATE intake_submissions SET sealed = $1")
        .bind(&resealed.bytes)
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("SET session_replication_role = origin")
        .execute(&mut admin)
        .await
        .unwrap();
    let answer: Value = verify(&app, &hash).await.json().await.unwrap();
    assert_eq!(answer, "NoMatch");
    let view: Value = app
        .rpc(&c.staff, "intake/submissions/get", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["intact"], false);
}

#[tokio::test]
async fn links_are_withdrawn_expire_and_are_reminded_once_with_a_second_token() {
    let app = TestApp::spawn().await;
    let c = clinic(&app, "intake@links.test").await;
    let mut admin = app.admin().await;
    // A copied link (no email): shown once; no reminder is filed for it.
    let sent: Value = send(&app, &c, "").await.json().await.unwrap();
    assert_eq!(sent["emailed"], false);
    let copied = token_in_url(sent["url"].as_str().unwrap());
    let reminders: i64 =
        sqlx::query_scalar("SELECT count(*) FROM jobs WHERE kind = 'intake.remind'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(reminders, 0);
    // Bad input is named.
    let res = app
        .rpc(
            &c.staff,
            "intake/forms/send",
            &[
                ("id", &c.form),
                ("patient", "nope"),
                ("recipient", "x"),
                ("email", "bad"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(
        text.contains("patient") && text.contains("recipient") && text.contains("email"),
        "{text}"
    );

    // Withdrawn: says so, keeps nothing, stays withdrawn.
    let page: Value = app
        .rpc(&c.staff, "intake/forms/page", &[("id", &c.form)])
        .await
        .json()
        .await
        .unwrap();
    let link = page["links"][0]["id"].as_str().unwrap().to_owned();
    step(&app, &copied, "0", &[("full_name", "A B")]).await;
    assert_eq!(
        app.rpc(&c.staff, "intake/links/revoke", &[("link", &link)])
            .await
            .status(),
        200
    );
    assert_eq!(open(&app, &copied).await["state"], "revoked");
    assert_eq!(
        step(&app, &copied, "0", &[("full_name", "A B")])
            .await
            .status(),
        409
    );
    assert_eq!(
        app.rpc(&c.staff, "intake/links/revoke", &[("link", &link)])
            .await
            .status(),
        409
    );
    let draft: Option<Vec<u8>> =
        sqlx::query_scalar("SELECT draft_sealed FROM intake_links WHERE id = $1::uuid")
            .bind(&link)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert!(draft.is_none(), "a withdrawn link keeps no answers");
    // Signing on a link withdrawn after it was read: the database's own
    // check answers, and nothing is stored.
    let hash = app::auth::token::parse(&copied).unwrap();
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    sqlx::query("SELECT set_config('app.token_hash', $1, true)")
        .bind(hex::encode(hash))
        .execute(&mut *tx)
        .await
        .unwrap();
    let outcome: String = sqlx::query_scalar(
        "SELECT intake_link_submit(gen_random_uuid(), 'dev', '\\x00', sha256('x'), 'typed', sha256('y'), NULL, NULL, now())",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(outcome, "revoked");
    tx.rollback().await.unwrap();
    // The application role cannot un-withdraw, or read tokens and drafts.
    let staff_id: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'intake@links.test'")
            .fetch_one(&mut admin)
            .await
            .unwrap();
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    let org: uuid::Uuid =
        sqlx::query_scalar("SELECT organization_id FROM intake_forms WHERE id = $1::uuid")
            .bind(&c.form)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    sqlx::query("SELECT set_config('app.user_id', $1, true), set_config('app.org_id', $2, true), set_config('app.role', 'clinic_staff', true)")
        .bind(staff_id.to_string())
        .bind(org.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let undo = sqlx::query("UPDATE intake_links SET revoked_at = NULL WHERE id = $1::uuid")
        .bind(&link)
        .execute(&mut *tx)
        .await;
    assert!(
        undo.unwrap_err().to_string().contains("stays withdrawn"),
        "withdrawing is one-way"
    );
    tx.rollback().await.unwrap();
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    sqlx::query("SELECT set_config('app.user_id', $1, true), set_config('app.org_id', $2, true), set_config('app.role', 'clinic_staff', true)")
        .bind(staff_id.to_string())
        .bind(org.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let peek = sqlx::query("SELECT token_hash FROM intake_links")
        .execute(&mut *tx)
        .await;
    assert!(peek.is_err(), "staff never read tokens");
    tx.rollback().await.unwrap();

    // Expired: the same.
    let sent: Value = send(&app, &c, "").await.json().await.unwrap();
    let old = token_in_url(sent["url"].as_str().unwrap());
    sqlx::query(
        "UPDATE intake_links SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day'
         WHERE spent_at IS NULL AND revoked_at IS NULL",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    assert_eq!(open(&app, &old).await["state"], "expired");
    // A token that names nothing, or is not one: not found.
    let res = app
        .rpc(&TestApp::browser(), "intake/fill/open", &[("token", "x")])
        .await;
    assert_eq!(res.status(), 404);

    // Mailed: the reminder (halfway to expiry) mails a second token; the
    // first keeps working; it is sent once, and audited.
    send(&app, &c, "remind@example.com").await;
    send(&app, &c, "begun@example.com").await;
    let first = mail_token(
        &app.wait_for_mail("remind@example.com", "asks you")
            .await
            .text,
    );
    let begun = mail_token(
        &app.wait_for_mail("begun@example.com", "asks you")
            .await
            .text,
    );
    step(&app, &begun, "0", &[("full_name", "B C")]).await;
    let due: i64 = sqlx::query_scalar(
        "WITH due AS (UPDATE jobs SET run_at = now() WHERE kind = 'intake.remind' AND state = 'queued'
                      AND run_at > now() + interval '3 days' RETURNING 1) SELECT count(*) FROM due",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        due, 2,
        "each mailed link's reminder is filed halfway to its expiry"
    );
    let remind = || async {
        server::jobs::Runner::new(app.worker_pool.clone())
            .register(server::intake::Remind {
                public_url: app.base.clone(),
                vault: app::vault::Keyring::development(),
            })
            .drain()
            .await
            .unwrap();
    };
    remind().await;
    let second = mail_token(
        &app.wait_for_mail("remind@example.com", "Reminder")
            .await
            .text,
    );
    assert_ne!(first, second);
    assert_eq!(open(&app, &second).await["state"], "open");
    assert_eq!(
        open(&app, &first).await["state"],
        "open",
        "the first link still works"
    );
    // Someone who has begun is not reminded.
    assert!(reminders_to(&app, "begun@example.com").await.is_empty());
    // Run again (a retry, a second filing): no second reminder.
    sqlx::query("INSERT INTO jobs (kind, payload) SELECT kind, payload FROM jobs WHERE kind = 'intake.remind'")
        .execute(&mut admin)
        .await
        .unwrap();
    remind().await;
    assert_eq!(reminders_to(&app, "remind@example.com").await.len(), 1);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'intake.link_reminded'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    // Housekeeping clears expired links' answers and addresses.
    sqlx::query("UPDATE intake_links SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day'")
        .execute(&mut admin)
        .await
        .unwrap();
    let pruned = server::housekeeping::prune(&app.worker_pool).await.unwrap();
    assert!(pruned.intake_links >= 2, "{pruned:?}");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM intake_links WHERE draft_sealed IS NOT NULL OR email_sealed IS NOT NULL")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

/// Sends `c`'s form as a link to copy, fills and signs it; the token and
/// the document's hash.
async fn signed(app: &TestApp, c: &Clinic) -> (String, String) {
    let sent: Value = send(app, c, "").await.json().await.unwrap();
    let token = token_in_url(sent["url"].as_str().unwrap());
    let res = step(
        app,
        &token,
        "0",
        &[("full_name", "Rosa Diaz"), ("birth_date", "1950-05-05")],
    )
    .await;
    assert_eq!(res.status(), 200);
    step(app, &token, "1", &[("agree", "on")]).await;
    let res = sign(app, &token, &[("name", "Rosa Diaz"), ("consent", "on")]).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    (token, res.json().await.unwrap())
}

#[tokio::test]
async fn a_clinics_key_reads_its_forms_and_signed_answers_over_fhir_audited() {
    let app = TestApp::spawn().await;
    let c = clinic(&app, "intake@fhir.test").await;
    let (token, hash) = signed(&app, &c).await;
    let mut admin = app.admin().await;
    let org: uuid::Uuid =
        sqlx::query_scalar("SELECT organization_id FROM intake_forms WHERE id = $1::uuid")
            .bind(&c.form)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    let key = server::operator::create_api_key(&app.urls.admin, org, "EHR")
        .await
        .unwrap();
    let get = |path: String, key: String| {
        let url = app.url(&format!("/api/v1/fhir{path}"));
        let client = app.client.clone();
        async move { client.get(url).bearer_auth(key).send().await.unwrap() }
    };

    let q: Value = get(format!("/Questionnaire/{}-1", c.form), key.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(q["resourceType"], "Questionnaire");
    assert_eq!(q["status"], "active");
    assert_eq!(q["item"][0]["type"], "group");
    assert_eq!(q["item"][0]["item"][0]["linkId"], "full_name");
    assert_eq!(q["item"][0]["item"][1]["type"], "date");
    assert_eq!(q["identifier"][0]["value"].as_str().unwrap().len(), 64);
    // A draft of the next version is not a Questionnaire.
    let res = app
        .rpc(
            &c.staff,
            "intake/forms/add-field",
            &[
                ("id", c.form.as_str()),
                ("label", "Pets at home?"),
                ("kind", "yes_no"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        get(format!("/Questionnaire/{}-2", c.form), key.clone())
            .await
            .status(),
        404
    );
    assert_eq!(
        get(format!("/Questionnaire/{}-1", c.form), key.clone())
            .await
            .status(),
        200
    );

    let bundle: Value = get(
        format!("/QuestionnaireResponse?questionnaire={}-1", c.form),
        key.clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(bundle["total"], 1, "{bundle}");
    let r = &bundle["entry"][0]["resource"];
    assert_eq!(r["resourceType"], "QuestionnaireResponse");
    assert_eq!(r["identifier"]["value"], hash.as_str());
    assert_eq!(r["status"], "completed");
    assert_eq!(r["subject"]["reference"], format!("Patient/{}", c.patient));
    assert!(r.to_string().contains("Rosa Diaz"));
    assert!(
        r.to_string().contains("\"valueBoolean\":true"),
        "the consent: {r}"
    );
    let id = r["id"].as_str().unwrap().to_owned();
    let one: Value = get(format!("/QuestionnaireResponse/{id}"), key.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["id"], id.as_str());
    let by_patient: Value = get(
        format!("/QuestionnaireResponse?patient=Patient/{}", c.patient),
        key.clone(),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(by_patient["total"], 1);
    assert_eq!(
        get(
            "/QuestionnaireResponse?questionnaire=nope".to_owned(),
            key.clone()
        )
        .await
        .status(),
        400
    );
    // Each response read is audited, as a read over FHIR.
    let reads: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'intake.submission_viewed'
         AND actor_type = 'api_key' AND details->>'via' = 'fhir'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(reads, 3);

    // Another clinic's key sees nothing; a referrer's key is refused.
    let other = app.org("clinic", "Elsewhere Care").await;
    let other_key = server::operator::create_api_key(&app.urls.admin, other, "EHR")
        .await
        .unwrap();
    assert_eq!(
        get(format!("/QuestionnaireResponse/{id}"), other_key.clone())
            .await
            .status(),
        404
    );
    assert_eq!(
        get(format!("/Questionnaire/{}-1", c.form), other_key.clone())
            .await
            .status(),
        404
    );
    let referrer = app.org("referrer", "Mercy Intake").await;
    let referrer_key = server::operator::create_api_key(&app.urls.admin, referrer, "EHR")
        .await
        .unwrap();
    assert_eq!(
        get(format!("/QuestionnaireResponse/{id}"), referrer_key)
            .await
            .status(),
        403
    );

    // The signer's copy: an hour after signing, then no more; audited.
    let copy = |token: String| {
        let url = app.url(&format!("/intake/copy?token={token}"));
        async move { TestApp::browser().get(url).send().await.unwrap() }
    };
    assert_eq!(copy(token.clone()).await.status(), 200);
    sqlx::query(
        "UPDATE intake_links SET spent_at = now() - interval '2 hours' WHERE spent_at IS NOT NULL",
    )
    .execute(&mut admin)
    .await
    .unwrap();
    assert_eq!(copy(token.clone()).await.status(), 409);
    assert_eq!(
        open(&app, &token).await["receipt"]["sha256"],
        hash.as_str(),
        "the receipt stays"
    );
    let copies: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'intake.copy_downloaded'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(copies, 1);

    // Altered in the database: not served as the record.
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("UPDATE intake_submissions SET sha256 = sha256('other')")
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("SET session_replication_role = origin")
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(
        get(format!("/QuestionnaireResponse/{id}"), key)
            .await
            .status(),
        409
    );
}

/// Issue 16, items 3 and 4, over signed intake forms: retention never
/// below the legal minimum; erasure removes what the law allows now and
/// keeps (and says so, with the date) what it does not; a legal hold
/// blocks it; the certificate's JSON is the one whose SHA-256 the request
/// and the audit tombstone record; a request waits for its job at 30
/// days; the daily purge removes what is past the clinic's retention,
/// except for held patients, and leaves a tombstone; the chain still
/// verifies. Staff and other clinics see none of it.
#[tokio::test]
async fn data_rights_retention_holds_erasure_and_the_certificate() {
    use sha2::{Digest, Sha256};
    let app = TestApp::spawn().await;
    let c = clinic(&app, "staff@rights.test").await;
    let mut db = app.admin().await;
    let org: uuid::Uuid =
        sqlx::query_scalar("SELECT organization_id FROM patients WHERE id = $1::uuid")
            .bind(&c.patient)
            .fetch_one(&mut db)
            .await
            .unwrap();
    app.user("boss@rights.test", Some(org), Role::ClinicAdmin)
        .await;
    let admin = app.signed_in("boss@rights.test").await;
    app.user(
        "other@rights.test",
        Some(app.org("clinic", "Elsewhere").await),
        Role::ClinicAdmin,
    )
    .await;
    let stranger = app.signed_in("other@rights.test").await;
    let rpc =
        |client: &reqwest::Client, endpoint: &'static str, form: Vec<(&'static str, String)>| {
            let request = client
                .post(app.url(&format!("/rpc/{endpoint}")))
                .form(&form);
            async move { request.send().await.unwrap() }
        };
    // The newest request about `patient` (or the clinic): id and state.
    let latest = |patient: Option<String>| {
        let admin = admin.clone();
        async move {
            let res = rpc(&admin, "data/rights", vec![]).await;
            let rights: Value = res.json().await.unwrap();
            let r = rights["requests"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["patient_id"].as_str().map(str::to_owned) == patient)
                .cloned()
                .unwrap();
            (
                r["id"].as_str().unwrap().to_owned(),
                r["state"].as_str().unwrap().to_owned(),
            )
        }
    };

    // Retention: never below the legal minimum.
    let res = rpc(
        &admin,
        "data/retention",
        vec![
            ("category", "clinical_documents".into()),
            ("days", "100".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("legal minimum"));
    let res = rpc(
        &admin,
        "data/retention",
        vec![
            ("category", "patient_communication".into()),
            ("days", "30".into()),
        ],
    )
    .await;
    assert!(
        res.status().is_success(),
        "{}: {}",
        res.status(),
        res.text().await.unwrap()
    );
    let res = rpc(
        &c.staff,
        "data/retention",
        vec![
            ("category", "patient_communication".into()),
            ("days", "30".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), 403);

    // Patient one signed seven years ago, and has an unsigned link.
    let (_, _hash) = signed(&app, &c).await;
    send(&app, &c, "").await;
    sqlx::raw_sql(&format!(
        "SET session_replication_role = replica;
         UPDATE intake_submissions SET submitted_at = now() - interval '7 years' WHERE patient_id = '{p}';
         SET session_replication_role = origin;",
        p = c.patient
    ))
    .execute(&mut db)
    .await
    .unwrap();
    // Patient two signed today; patient three is under a legal hold.
    let two = Clinic {
        staff: c.staff.clone(),
        form: c.form.clone(),
        patient: patient(&app, org).await.to_string(),
    };
    signed(&app, &two).await;
    let three = patient(&app, org).await.to_string();
    let res = rpc(
        &admin,
        "data/holds/place",
        vec![
            ("patient_id", three.clone()),
            ("reason", "Litigation: Doe v. Riverbend".into()),
        ],
    )
    .await;
    assert!(res.status().is_success());

    // A hold blocks erasure.
    let res = rpc(
        &admin,
        "data/deletions/request",
        vec![
            ("patient_id", three.clone()),
            ("reason", "Asked by the patient".into()),
            ("now", "on".into()),
        ],
    )
    .await;
    assert!(res.status().is_success());
    assert_eq!(latest(Some(three.clone())).await.1, "blocked");

    // Erasure of patient one: everything goes, the record too.
    let res = rpc(
        &admin,
        "data/deletions/request",
        vec![
            ("patient_id", c.patient.clone()),
            ("reason", "Asked by the patient".into()),
            ("now", "on".into()),
        ],
    )
    .await;
    assert!(
        res.status().is_success(),
        "{}: {}",
        res.status(),
        res.text().await.unwrap()
    );
    let (one_request, state) = latest(Some(c.patient.clone())).await;
    assert_eq!(state, "completed");
    let left: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM patients WHERE id = $1::uuid)
              + (SELECT count(*) FROM intake_submissions WHERE patient_id = $1::uuid)
              + (SELECT count(*) FROM intake_links WHERE patient_id = $1::uuid)",
    )
    .bind(&c.patient)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(left, 0, "nothing of patient one is left");
    // The certificate: its JSON is the text whose digest is recorded.
    let res = admin
        .get(app.url(&format!(
            "/clinic/data/deletions/{one_request}/certificate?format=json"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let digest = res.headers()["x-content-sha256"]
        .to_str()
        .unwrap()
        .to_owned();
    let body = res.bytes().await.unwrap();
    assert_eq!(digest, hex::encode(Sha256::digest(&body)));
    let certificate: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(certificate["patient_record"], "removed");
    let by = |cat: &str| {
        certificate["categories"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["category"] == cat)
            .cloned()
            .unwrap()
    };
    assert_eq!(
        (
            by("clinical_documents")["removed"].as_i64(),
            by("clinical_documents")["kept"].as_i64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(by("patient_communication")["removed"], 1);
    let tombstone: String = sqlx::query_scalar(
        "SELECT details->>'certificate_sha256' FROM audit_events
         WHERE organization_id = $1 AND action = 'data.erased' AND subject_id = $2",
    )
    .bind(org)
    .bind(&c.patient)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(tombstone, digest);
    let pdf = admin
        .get(app.url(&format!(
            "/clinic/data/deletions/{one_request}/certificate?format=pdf"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    // Nobody else gets it.
    let res = stranger
        .get(app.url(&format!(
            "/clinic/data/deletions/{one_request}/certificate?format=json"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = c
        .staff
        .get(app.url(&format!(
            "/clinic/data/deletions/{one_request}/certificate?format=json"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Patient two (signed today): waits for its job; run now, the signed
    // form is kept until its legal date, and so is the record.
    let res = rpc(
        &admin,
        "data/deletions/request",
        vec![
            ("patient_id", two.patient.clone()),
            ("reason", "Asked by the patient".into()),
        ],
    )
    .await;
    assert!(res.status().is_success());
    let (two_request, state) = latest(Some(two.patient.clone())).await;
    assert_eq!(state, "pending");
    let due: bool = sqlx::query_scalar(
        "SELECT run_at BETWEEN now() + interval '29 days' AND now() + interval '31 days'
         FROM jobs WHERE kind = 'data.erase' AND payload->>'request_id' = $1",
    )
    .bind(&two_request)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert!(due, "the job runs within 30 days");
    // The job's path: the worker role carries it out.
    let state: String = sqlx::query_scalar("SELECT data_erase($1, $2::uuid)")
        .bind(org)
        .bind(&two_request)
        .fetch_one(&app.worker_pool)
        .await
        .unwrap();
    assert_eq!(state, "completed");
    let (cert, _): (String, Vec<u8>) = sqlx::query_as(
        "SELECT certificate, certificate_sha256 FROM deletion_requests WHERE id = $1::uuid",
    )
    .bind(&two_request)
    .fetch_one(&mut db)
    .await
    .unwrap();
    let cert: Value = serde_json::from_str(&cert).unwrap();
    assert_eq!(cert["patient_record"], "kept");
    let docs = cert["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["category"] == "clinical_documents")
        .cloned()
        .unwrap();
    assert_eq!(
        (docs["removed"].as_i64(), docs["kept"].as_i64()),
        (Some(0), Some(1))
    );
    let year = time::OffsetDateTime::now_utc().year() + 6;
    assert!(
        docs["kept_until"]
            .as_str()
            .unwrap()
            .starts_with(&year.to_string()),
        "{docs}"
    );

    // The daily purge: links past the clinic's 30 days go, except the
    // held patient's; one tombstone for the clinic.
    for p in [&two.patient, &three] {
        let sent = rpc(
            &c.staff,
            "intake/forms/send",
            vec![
                ("id", c.form.clone()),
                ("patient", p.to_string()),
                ("recipient", "patient".into()),
                ("email", "".into()),
            ],
        )
        .await;
        assert_eq!(sent.status(), 200);
    }
    sqlx::raw_sql(
        "SET session_replication_role = replica;
         UPDATE intake_links SET created_at = now() - interval '40 days',
                                 expires_at = now() - interval '33 days'
             WHERE spent_at IS NULL;
         SET session_replication_role = origin;",
    )
    .execute(&mut db)
    .await
    .unwrap();
    let removed: i64 = sqlx::query_scalar("SELECT data_retention_purge()")
        .fetch_one(&app.worker_pool)
        .await
        .unwrap();
    assert!(removed >= 1);
    let links = |p: String| {
        let q = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM intake_links WHERE patient_id = $1::uuid AND spent_at IS NULL",
        )
        .bind(p);
        q
    };
    assert_eq!(
        links(two.patient.clone()).fetch_one(&mut db).await.unwrap(),
        0
    );
    assert_eq!(
        links(three.clone()).fetch_one(&mut db).await.unwrap(),
        1,
        "held"
    );
    let purged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE organization_id = $1 AND action = 'data.purged'",
    )
    .bind(org)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(purged, 1);
    // The application role cannot run the purge itself.
    let refused = sqlx::query("SELECT data_retention_purge()")
        .execute(&app.pool)
        .await;
    assert!(refused.is_err());

    // Released, the held patient can be erased (by the administrator, at
    // once, from the request's page).
    let hold = {
        let res = rpc(&admin, "data/rights", vec![("patient", three.clone())]).await;
        let rights: Value = res.json().await.unwrap();
        rights["patient"]["hold"]["id"].as_str().unwrap().to_owned()
    };
    let res = rpc(&admin, "data/holds/release", vec![("id", hold)]).await;
    assert!(res.status().is_success());
    let res = rpc(
        &admin,
        "data/deletions/request",
        vec![
            ("patient_id", three.clone()),
            ("reason", "Asked again".into()),
        ],
    )
    .await;
    assert!(res.status().is_success());
    let res = rpc(&admin, "data/rights", vec![]).await;
    let rights: Value = res.json().await.unwrap();
    let three_request = rights["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["patient_id"] == three.as_str() && r["state"] == "pending")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = rpc(
        &admin,
        "data/deletions/run",
        vec![("id", three_request.clone())],
    )
    .await;
    assert!(
        res.status().is_success(),
        "{}: {}",
        res.status(),
        res.text().await.unwrap()
    );
    let state: String =
        sqlx::query_scalar("SELECT state FROM deletion_requests WHERE id = $1::uuid")
            .bind(&three_request)
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(state, "completed");

    // Clinic-wide: the name must be typed; then every patient goes as far
    // as the law allows (patient two's signed form keeps them).
    let res = rpc(
        &admin,
        "data/deletions/request",
        vec![
            ("reason", "Leaving".into()),
            ("confirm", "Somewhere else".into()),
            ("now", "on".into()),
        ],
    )
    .await;
    assert_eq!(res.status(), 422);
    let name: String = sqlx::query_scalar("SELECT name FROM organizations WHERE id = $1")
        .bind(org)
        .fetch_one(&mut db)
        .await
        .unwrap();
    let res = rpc(
        &admin,
        "data/deletions/request",
        vec![
            ("reason", "Leaving".into()),
            ("confirm", name),
            ("now", "on".into()),
        ],
    )
    .await;
    assert!(res.status().is_success());
    let clinic_cert: String = sqlx::query_scalar(
        "SELECT certificate FROM deletion_requests WHERE organization_id = $1 AND scope = 'clinic'",
    )
    .bind(org)
    .fetch_one(&mut db)
    .await
    .unwrap();
    let clinic_cert: Value = serde_json::from_str(&clinic_cert).unwrap();
    assert_eq!(clinic_cert["patients_kept"], 1, "{clinic_cert}");
    let patients: i64 =
        sqlx::query_scalar("SELECT count(*) FROM patients WHERE organization_id = $1")
            .bind(org)
            .fetch_one(&mut db)
            .await
            .unwrap();
    assert_eq!(patients, 1);

    // Staff and other clinics see none of it; the chain still verifies.
    assert_eq!(rpc(&c.staff, "data/rights", vec![]).await.status(), 403);
    assert_eq!(
        rpc(&stranger, "data/deletions/get", vec![("id", one_request)])
            .await
            .status(),
        404
    );
    let res = app.rpc(&admin, "audit/verify", &[]).await;
    let status: Value = res.json().await.unwrap();
    assert!(status["first_broken_seq"].is_null(), "{status}");
}
