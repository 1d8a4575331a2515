//! Families (issue 14, SPEC J3 step 1): a family registers into an
//! organization of its own and adds the people it books care for, whose
//! identifying details are sealed, whose every read is audited, and whom
//! nobody else sees.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use app::identity::Role;
use common::{TestApp, PASSWORD};
use serde_json::Value;
use uuid::Uuid;

/// Registers a family and signs it in.
async fn family(app: &TestApp, email: &str, name: &str) -> reqwest::Client {
    let browser = TestApp::browser();
    let res = app
        .rpc(
            &browser,
            "auth/register",
            &[
                ("name", name),
                ("email", email),
                ("password", PASSWORD),
                ("role", "family"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app.login(&browser, email, PASSWORD).await;
    assert_eq!(res.json::<String>().await.unwrap(), "/family");
    browser
}

const WALTER: &[(&str, &str)] = &[
    ("full_name", "Walter Nguyen"),
    ("birth_date", "1940-02-29"),
    ("address", "9 Birch Road"),
    ("zip", "43215"),
    ("care_types[0]", "skilled_nursing"),
    ("care_types[1]", "home_health_aide"),
    ("diagnoses", "I50.9, E11.9"),
    ("language", "Vietnamese"),
    ("notes", "Prefers mornings."),
];

#[tokio::test]
async fn a_family_registers_into_its_own_organization_and_adds_a_person() {
    let app = TestApp::spawn().await;
    let browser = family(&app, "kim@example.org", "Kim Nguyen").await;
    let me = app.me(&browser).await;
    assert_eq!(me["role"], "family");
    let mut admin = app.admin().await;
    let (kind, name, members): (String, String, i64) = sqlx::query_as(
        "SELECT o.kind::text, o.name, (SELECT count(*) FROM memberships m2 WHERE m2.organization_id = o.id)
         FROM memberships m JOIN organizations o ON o.id = m.organization_id
         JOIN users u ON u.id = m.user_id WHERE u.email = 'kim@example.org'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        (kind.as_str(), name.as_str(), members),
        ("family", "Kim Nguyen's family", 1)
    );

    // Nobody yet.
    let home: Value = app
        .rpc(&browser, "family/home", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(home["recipients"], serde_json::json!([]));
    assert_eq!(home["can_add"], true);

    // Bad input: every problem named, nothing stored.
    let res = app
        .rpc(
            &browser,
            "family/recipients/add",
            &[
                ("full_name", ""),
                ("birth_date", "3000-01-01"),
                ("zip", "123"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .or_else(|| body["Validation"]["fields"].as_array())
        .map(|f| f.iter().map(|e| e["field"].as_str().unwrap()).collect())
        .unwrap_or_default();
    for f in ["full_name", "birth_date", "address", "zip", "care_types"] {
        assert!(fields.contains(&f), "{f} in {body}");
    }
    // A ZIP the table does not know, and a diagnosis that is not one.
    let mut unknown = WALTER.to_vec();
    unknown[3] = ("zip", "00001");
    unknown[6] = ("diagnoses", "I50.9; not a disease at all zzz");
    let res = app.rpc(&browser, "family/recipients/add", &unknown).await;
    assert_eq!(res.status(), 422);
    let text = res.text().await.unwrap();
    assert!(text.contains("We do not know this ZIP code"), "{text}");
    assert!(text.contains("not an ICD-10-CM diagnosis"), "{text}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM care_recipients")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    // Added.
    let res = app.rpc(&browser, "family/recipients/add", WALTER).await;
    assert_eq!(res.status(), 200);
    let id: Uuid = res.json().await.unwrap();
    let person: Value = app
        .rpc(
            &browser,
            "family/recipients/get",
            &[("id", &id.to_string())],
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(person["details"]["full_name"], "Walter Nguyen");
    assert_eq!(person["initials"], "WN");
    assert_eq!(person["place"], "Columbus, OH");
    assert_eq!(
        person["care_types"],
        serde_json::json!(["skilled_nursing", "home_health_aide"])
    );
    assert_eq!(person["diagnoses"][0][0], "I50.9");
    assert_eq!(person["language"], "Vietnamese");
    let home: Value = app
        .rpc(&browser, "family/home", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(home["recipients"][0]["id"], id.to_string());

    // Stored sealed: the name, birth date, address and notes are nowhere in
    // the row's clear columns or bytes.
    let row: String = sqlx::query_scalar("SELECT row_to_json(r)::text FROM care_recipients r")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    for secret in ["Walter", "Nguyen", "1940", "Birch", "mornings"] {
        assert!(!row.contains(secret), "{secret} in {row}");
    }
    // Audited: the addition and each read.
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE action LIKE 'care_recipient.%' ORDER BY seq",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "care_recipient.added",
            "care_recipient.viewed",
            "care_recipient.viewed"
        ]
    );

    // Another family sees none of it; a clinic's staff may not ask.
    let other = family(&app, "lee@example.org", "Lee Park").await;
    let res = app
        .rpc(&other, "family/recipients/get", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 404);
    let theirs: Value = app
        .rpc(&other, "family/home", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["recipients"], serde_json::json!([]));
    let clinic = app.org("clinic", "Some Clinic").await;
    app.user("staff@example.org", Some(clinic), Role::ClinicStaff)
        .await;
    let staff = app.signed_in("staff@example.org").await;
    let res = app
        .rpc(&staff, "family/recipients/get", &[("id", &id.to_string())])
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_family_account_from_before_family_organizations_cannot_add_people() {
    let app = TestApp::spawn().await;
    app.user("old@example.org", None, Role::Family).await;
    let browser = app.signed_in("old@example.org").await;
    let home: Value = app
        .rpc(&browser, "family/home", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(home["can_add"], false);
    let res = app.rpc(&browser, "family/recipients/add", WALTER).await;
    assert_eq!(res.status(), 409);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM care_recipients")
        .fetch_one(&mut app.admin().await)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn family_signup_makes_one_family_per_person_and_nothing_else() {
    let app = TestApp::spawn().await;
    family(&app, "once@example.org", "Once Only").await;
    let user: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE email = 'once@example.org'")
        .fetch_one(&mut app.admin().await)
        .await
        .unwrap();
    // As the application role, for the person: a second family is refused.
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    sqlx::query("SELECT set_config('app.user_id', $1, true)")
        .bind(user.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let err = sqlx::query("SELECT family_signup('Second family')")
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already in a family"), "{err}");
    tx.rollback().await.unwrap();
    // Without a person, nothing.
    let err = sqlx::query("SELECT family_signup('Nobody')")
        .execute(&app.pool)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("needs the registering person"),
        "{err}"
    );
    // And the application role cannot make a family organization directly.
    let mut tx = app::db::begin(&app.pool).await.unwrap();
    sqlx::query(
        "SELECT set_config('app.user_id', $1, true), set_config('app.role', 'family', true)",
    )
    .bind(user.to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    let err = sqlx::query("INSERT INTO organizations (kind, name) VALUES ('family', 'Sneaky')")
        .execute(&mut *tx)
        .await
        .unwrap_err();
    assert_eq!(err.as_database_error().unwrap().code().unwrap(), "42501");
}
