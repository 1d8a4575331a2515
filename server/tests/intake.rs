//! Intake forms (issue 15), first slices: a clinic's staff start a form
//! from a starter template, save drafts and publish; a published version
//! is frozen for every role and pinned by the SHA-256 of its canonical
//! definition; editing makes a draft of the next version; another clinic
//! sees none of it — against a real PostgreSQL, through the server
//! functions.

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
