//! Clinician onboarding and verification: a clinician's own profile and
//! each of their licenses wait for a platform administrator; only then is
//! the clinician matched (in the states of their verified licenses);
//! changing what was verified sends it back, even behind the application's
//! back; nobody else can verify.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::TestApp;
use serde_json::Value;
use uuid::Uuid;

fn profile<'a>(npi: &'a str, expires: &'a str) -> Vec<(&'a str, &'a str)> {
    licensed(npi, "OH", "RN.123456", expires)
}

fn licensed<'a>(
    npi: &'a str,
    state: &'a str,
    number: &'a str,
    expires: &'a str,
) -> Vec<(&'a str, &'a str)> {
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
        ("license_state", state),
        ("license_number", number),
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

async fn own_profile(app: &TestApp, clinician: &reqwest::Client) -> Value {
    let res = app.rpc(clinician, "clinician/profile", &[]).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

/// Decides a license as the queue shows it to `admin` (its state, number
/// and expiry sent back).
async fn decide_license(
    app: &TestApp,
    admin: &reqwest::Client,
    clinician: &str,
    license: &Value,
    status: &str,
) -> reqwest::Response {
    app.rpc(
        admin,
        "admin/clinicians/licenses/verify",
        &[
            ("id", clinician),
            ("state", license["state"].as_str().unwrap()),
            ("number", license["number"].as_str().unwrap()),
            ("expires_on", license["expires_on"].as_str().unwrap()),
            ("status", status),
        ],
    )
    .await
}

/// The licenses of `clinician` as the verification queue shows them.
async fn queued_licenses(app: &TestApp, admin: &reqwest::Client, clinician: &str) -> Vec<Value> {
    let queue: Value = app
        .rpc(admin, "admin/clinicians", &[])
        .await
        .json()
        .await
        .unwrap();
    queue
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == clinician)
        .unwrap()["licenses"]
        .as_array()
        .unwrap()
        .clone()
}

/// Verifies the clinician's license in `state` as the queue shows it.
async fn verify_license(app: &TestApp, admin: &reqwest::Client, clinician: &str, state: &str) {
    let license = queued_licenses(app, admin, clinician)
        .await
        .into_iter()
        .find(|l| l["state"] == state)
        .unwrap();
    assert_eq!(license["verification"], "pending");
    let res = decide_license(app, admin, clinician, &license, "verified").await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// A transaction of the application role acting as `user` (a clinician,
/// on the platform), exactly as a request's would be.
async fn as_clinician(app: &TestApp, user: Uuid) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut admin = app.admin().await;
    let platform: Uuid = sqlx::query_scalar("SELECT platform_org_id()")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.user_id', $1, true), set_config('app.org_id', $2, true),
                set_config('app.role', 'clinician', true)",
    )
    .bind(user.to_string())
    .bind(platform.to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    tx
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
    // The license is verified on its own: until then, no match.
    assert_eq!(mine["licenses"][0]["verification"], "pending");
    assert!(matches_for_columbus(&app, &planner).await.is_empty());
    verify_license(&app, &ops, &id, "OH").await;
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
    // Verified, and still expired: never matched.
    verify_license(&app, &ops, &id, "OH").await;
    assert!(matches_for_columbus(&app, &planner).await.is_empty());
}

/// A verified, matched clinician: Ana, licensed in Ohio, in Columbus.
struct Matched {
    app: TestApp,
    ana: reqwest::Client,
    ana_id: Uuid,
    ops: reqwest::Client,
    planner: reqwest::Client,
    id: String,
}

async fn matched_clinician() -> Matched {
    let app = TestApp::spawn().await;
    let mercy = app.org("referrer", "Mercy General Hospital").await;
    app.user("planner@mercy.example", Some(mercy), Role::Referrer)
        .await;
    let ana_user = app.user("ana@example.org", None, Role::Clinician).await;
    app.user("ops@carethread.example", None, Role::PlatformAdmin)
        .await;
    let ana = app.signed_in("ana@example.org").await;
    let ops = app.signed_in("ops@carethread.example").await;
    let planner = app.signed_in("planner@mercy.example").await;
    let res = app
        .rpc(
            &ana,
            "clinician/profile/save",
            &profile("1234567893", &in_days(400)),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id = own_profile(&app, &ana).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .rpc(
            &ops,
            "admin/clinicians/verify",
            &[("id", &id), ("status", "verified")],
        )
        .await;
    assert_eq!(res.status(), 200);
    verify_license(&app, &ops, &id, "OH").await;
    assert_eq!(matches_for_columbus(&app, &planner).await, ["Ana Ruiz, RN"]);
    Matched {
        app,
        ana,
        ana_id: ana_user.id,
        ops,
        planner,
        id,
    }
}

#[tokio::test]
async fn a_changed_license_is_out_of_matching_until_verified_again() {
    let Matched {
        app,
        ana,
        ops,
        planner,
        id,
        ..
    } = matched_clinician().await;
    let mine = own_profile(&app, &ana).await;
    let first = mine["licenses"][0].clone();
    assert_eq!(first["verification"], "verified");
    assert!(first["verified_at"].is_string());

    // A new expiry: the profile stays verified, the license waits, and
    // the clinician is out of matching in Ohio until it is verified.
    let res = app
        .rpc(
            &ana,
            "clinician/profile/save",
            &profile("1234567893", &in_days(700)),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let mine = own_profile(&app, &ana).await;
    assert_eq!(mine["verification"], "verified");
    assert_eq!(mine["licenses"][0]["verification"], "pending");
    assert!(mine["licenses"][0]["verified_at"].is_null());
    assert!(matches_for_columbus(&app, &planner).await.is_empty());
    // They are told by mail: the state, no license number.
    let mail = app
        .wait_for_mail("ana@example.org", "Your OH license waits for verification")
        .await;
    assert!(mail.text.contains("not matched"), "{}", mail.text);
    assert!(!mail.text.contains("RN.123456"));

    // The administrator decides what they saw: the old expiry is refused.
    let res = decide_license(&app, &ops, &id, &first, "verified").await;
    assert_eq!(res.status(), 409);
    assert!(matches_for_columbus(&app, &planner).await.is_empty());
    verify_license(&app, &ops, &id, "OH").await;
    assert_eq!(matches_for_columbus(&app, &planner).await, ["Ana Ruiz, RN"]);

    // A new number: the same.
    let res = app
        .rpc(
            &ana,
            "clinician/profile/save",
            &licensed("1234567893", "OH", "RN.654321", &in_days(700)),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(
        own_profile(&app, &ana).await["licenses"][0]["verification"],
        "pending"
    );
    assert!(matches_for_columbus(&app, &planner).await.is_empty());
    verify_license(&app, &ops, &id, "OH").await;
    assert_eq!(matches_for_columbus(&app, &planner).await, ["Ana Ruiz, RN"]);

    // Saving the profile with the license as it is keeps it verified.
    let res = app
        .rpc(
            &ana,
            "clinician/profile/save",
            &licensed("1234567893", "OH", "RN.654321", &in_days(700)),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        own_profile(&app, &ana).await["licenses"][0]["verification"],
        "verified"
    );
    assert_eq!(matches_for_columbus(&app, &planner).await, ["Ana Ruiz, RN"]);

    // Every decision is audited, with the license decided.
    let mut admin = app.admin().await;
    let decided: Vec<Value> = sqlx::query_scalar(
        "SELECT details FROM audit_events WHERE action = 'clinician.license_verification_changed'
         ORDER BY seq",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(decided.len(), 3);
    assert_eq!(decided[2]["state"], "OH");
    assert_eq!(decided[2]["number"], "RN.654321");
    assert_eq!(decided[2]["status"], "verified");
}

#[tokio::test]
async fn a_license_moved_to_another_state_waits_for_verification() {
    let Matched {
        app,
        ana,
        ana_id,
        ops,
        planner,
        id,
    } = matched_clinician().await;
    // A second license, in Kentucky: added as pending, and verified.
    let res = app
        .rpc(
            &ana,
            "clinician/profile/save",
            &licensed("1234567893", "KY", "KY.777", &in_days(400)),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let mine = own_profile(&app, &ana).await;
    let states: Vec<(&str, &str)> = mine["licenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["state"].as_str().unwrap(),
                l["verification"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(states, [("KY", "pending"), ("OH", "verified")]);
    verify_license(&app, &ops, &id, "KY").await;

    // The Ohio license goes; the Kentucky one is moved to Ohio, straight
    // through the application role: it waits, and there is no match.
    let mut tx = as_clinician(&app, ana_id).await;
    sqlx::query("DELETE FROM clinician_licenses WHERE state = 'OH'")
        .execute(&mut *tx)
        .await
        .unwrap();
    let status: String = sqlx::query_scalar(
        "UPDATE clinician_licenses SET state = 'OH' WHERE state = 'KY'
         RETURNING verification_status::text",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(status, "pending");
    tx.commit().await.unwrap();
    assert!(matches_for_columbus(&app, &planner).await.is_empty());
    verify_license(&app, &ops, &id, "OH").await;
    assert_eq!(matches_for_columbus(&app, &planner).await, ["Ana Ruiz, RN"]);
}

#[tokio::test]
async fn the_database_keeps_licenses_honest_whatever_the_code_does() {
    let Matched {
        app,
        ana_id,
        planner,
        ..
    } = matched_clinician().await;

    // A direct change of the expiry, as the application role: pending,
    // even when the same statement claims it verified.
    let mut tx = as_clinician(&app, ana_id).await;
    let row: (String, Option<time::OffsetDateTime>) = sqlx::query_as(
        "UPDATE clinician_licenses
         SET expires_on = expires_on + 365, verification_status = 'verified', verified_at = now()
         RETURNING verification_status::text, verified_at",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(row, ("pending".to_owned(), None));
    tx.commit().await.unwrap();
    assert!(matches_for_columbus(&app, &planner).await.is_empty());

    // Nor can the clinician verify it, or add a license already verified.
    let mut tx = as_clinician(&app, ana_id).await;
    let refused = sqlx::query(
        "UPDATE clinician_licenses SET verification_status = 'verified', verified_at = now()",
    )
    .execute(&mut *tx)
    .await
    .unwrap_err();
    assert_eq!(
        refused.as_database_error().unwrap().code().as_deref(),
        Some("42501")
    );
    tx.rollback().await.unwrap();
    let mut tx = as_clinician(&app, ana_id).await;
    let status: String = sqlx::query_scalar(
        "INSERT INTO clinician_licenses (clinician_id, state, number, expires_on,
             verification_status, verified_at)
         SELECT id, 'PA', 'PA.1', current_date + 100, 'verified', now() FROM clinicians
         RETURNING verification_status::text",
    )
    .fetch_one(&mut *tx)
    .await
    .unwrap();
    assert_eq!(status, "pending");
    tx.commit().await.unwrap();
    assert!(matches_for_columbus(&app, &planner).await.is_empty());
}

#[tokio::test]
async fn only_platform_administrators_verify_licenses() {
    let Matched {
        app,
        ana,
        ops,
        planner,
        id,
        ..
    } = matched_clinician().await;
    let res = app
        .rpc(
            &ana,
            "clinician/profile/save",
            &profile("1234567893", &in_days(700)),
        )
        .await;
    assert_eq!(res.status(), 200);
    let license = queued_licenses(&app, &ops, &id).await[0].clone();
    assert_eq!(license["verification"], "pending");
    let riverbend = app.org("clinic", "Riverbend Home Health").await;
    app.user(
        "owner@riverbend.example",
        Some(riverbend),
        Role::ClinicAdmin,
    )
    .await;
    let clinic_admin = app.signed_in("owner@riverbend.example").await;
    for who in [&ana, &planner, &clinic_admin] {
        let res = decide_license(&app, who, &id, &license, "verified").await;
        assert_eq!(res.status(), 403);
    }
    assert!(matches_for_columbus(&app, &planner).await.is_empty());
    // Pending is not a decision; an unknown license is not found.
    let res = decide_license(&app, &ops, &id, &license, "pending").await;
    assert_eq!(res.status(), 422);
    let mut other = license.clone();
    other["state"] = Value::from("WY");
    let res = decide_license(&app, &ops, &id, &other, "verified").await;
    assert_eq!(res.status(), 404);
    let res = decide_license(&app, &ops, &id, &license, "verified").await;
    assert_eq!(res.status(), 200);
    assert_eq!(matches_for_columbus(&app, &planner).await, ["Ana Ruiz, RN"]);
}
