//! Clinician onboarding and verification: a clinician's own profile waits
//! for a platform administrator; only then is it matched; changing what was
//! verified sends it back; nobody else can verify.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::TestApp;
use serde_json::Value;

fn profile<'a>(npi: &'a str, expires: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("name", "Ana Ruiz, RN"),
        ("discipline", "rn"),
        ("npi", npi),
        ("zip", "43215"),
        ("radius", "25"),
        ("care_type", "skilled_nursing"),
        ("categories", "I50, E11"),
        ("languages", "en, es"),
        ("day_mon", "on"),
        ("day_wed", "on"),
        ("slots", "3"),
        ("license_state", "OH"),
        ("license_number", "RN.123456"),
        ("license_expires", expires),
    ]
}

fn in_days(n: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(n)).to_string()
}

async fn matches_for_columbus(app: &TestApp, planner: &reqwest::Client) -> Vec<String> {
    let start = in_days(3);
    let res = app
        .rpc(
            planner,
            "referrals/create",
            &[
                ("patient_initials", "AB"),
                ("zip", "43215"),
                ("diagnosis", "I50.9"),
                ("care_type", "skilled_nursing"),
                ("priority", "routine"),
                ("requested_start", &start),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id: String = res.json().await.unwrap();
    let detail: Value = app
        .rpc(planner, "referrals/get", &[("id", &id)])
        .await
        .json()
        .await
        .unwrap();
    detail["referral"]["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_clinician_is_matched_only_once_verified() {
    let app = TestApp::spawn().await;
    let mercy = app.org("referrer", "Mercy General Hospital").await;
    app.user("planner@mercy.example", Some(mercy), Role::Referrer)
        .await;
    app.user("ana@example.org", None, Role::Clinician).await;
    app.user("ops@carethread.example", None, Role::PlatformAdmin)
        .await;
    let ana = app.signed_in("ana@example.org").await;
    let ops = app.signed_in("ops@carethread.example").await;
    let planner = app.signed_in("planner@mercy.example").await;

    // Bad input: every field named, nothing saved.
    let res = app
        .rpc(
            &ana,
            "clinician/profile/save",
            &profile("1234567890", "2020-13-01"),
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields = common::each(&body["fields"], "field");
    assert_eq!(fields, ["npi", "license_expires"]);
    let res = app
        .rpc(
            &ana,
            "clinician/profile/save",
            &profile("1234567893", &in_days(400)),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let mine: Value = app
        .rpc(&ana, "clinician/profile", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["verification"], "pending");
    assert_eq!(mine["available_days"], 0b101);
    assert!(matches_for_columbus(&app, &planner).await.is_empty());

    // Only a platform administrator verifies.
    let id = mine["id"].as_str().unwrap().to_owned();
    let res = app
        .rpc(
            &ana,
            "admin/clinicians/verify",
            &[("id", &id), ("status", "verified")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let queue: Value = app
        .rpc(&ops, "admin/clinicians", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(queue[0]["id"], id);
    let res = app
        .rpc(
            &ops,
            "admin/clinicians/verify",
            &[("id", &id), ("status", "verified")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let mine: Value = app
        .rpc(&ana, "clinician/profile", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["verification"], "verified");
    assert!(mine["verified_at"].is_string());
    assert_eq!(matches_for_columbus(&app, &planner).await, ["Ana Ruiz, RN"]);

    // A new NPI goes back to the queue, and out of matching.
    let res = app
        .rpc(
            &ana,
            "clinician/profile/save",
            &profile("1245319599", &in_days(400)),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let mine: Value = app
        .rpc(&ana, "clinician/profile", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["verification"], "pending");
    assert!(matches_for_columbus(&app, &planner).await.is_empty());

    // The clinician cannot verify themselves behind the application's back.
    let mut admin = app.admin().await;
    let count: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'clinician.verification_changed'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn an_expired_license_is_shown_and_never_matched() {
    let app = TestApp::spawn().await;
    let mercy = app.org("referrer", "Mercy General Hospital").await;
    app.user("planner@mercy.example", Some(mercy), Role::Referrer)
        .await;
    app.user("ana@example.org", None, Role::Clinician).await;
    app.user("ops@carethread.example", None, Role::PlatformAdmin)
        .await;
    let ana = app.signed_in("ana@example.org").await;
    let ops = app.signed_in("ops@carethread.example").await;
    let planner = app.signed_in("planner@mercy.example").await;
    app.rpc(
        &ana,
        "clinician/profile/save",
        &profile("1234567893", &in_days(-1)),
    )
    .await;
    let mine: Value = app
        .rpc(&ana, "clinician/profile", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["licenses"][0]["expired"], true);
    let id = mine["id"].as_str().unwrap().to_owned();
    app.rpc(
        &ops,
        "admin/clinicians/verify",
        &[("id", &id), ("status", "verified")],
    )
    .await;
    assert!(matches_for_columbus(&app, &planner).await.is_empty());
}
