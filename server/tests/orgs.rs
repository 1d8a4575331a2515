//! Organizations and their people: emailed invitations (new and existing
//! accounts), role changes that never leave a clinic without an
//! administrator, removal that takes effect on the next request, and the
//! platform administrator's organizations.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::{link_in, token_of, TestApp, PASSWORD};
use serde_json::Value;

#[tokio::test]
async fn a_clinic_admin_invites_staff_who_join_by_creating_their_account() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let admin = app
        .user("renee@riverbend.example", Some(clinic), Role::ClinicAdmin)
        .await;
    let admin_browser = app.signed_in(&admin.email).await;

    // Bad input: named fields, nothing stored.
    let res = app
        .rpc(
            &admin_browser,
            "team/invite",
            &[("email", "not-an-address"), ("role", "platform_admin")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let fields = common::each(&body["fields"], "field");
    assert_eq!(fields, ["email"]);

    let res = app
        .rpc(
            &admin_browser,
            "team/invite",
            &[("email", "sam@riverbend.example"), ("role", "clinic_staff")],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // A second invitation to the same address while one is open: refused.
    let again = app
        .rpc(
            &admin_browser,
            "team/invite",
            &[("email", "Sam@riverbend.example"), ("role", "clinic_staff")],
        )
        .await;
    assert_eq!(again.status(), 422);

    let mail = app
        .wait_for_mail(
            "sam@riverbend.example",
            "You are invited to join Riverbend Home Health",
        )
        .await;
    assert!(mail.text.contains("Clinic staff"));
    let path = link_in(&mail.text, "/invite?token=");
    let token = token_of(&path);

    let newcomer = TestApp::browser();
    let info: Value = app
        .rpc(&newcomer, "invite/info", &[("token", &token)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["organization"], "Riverbend Home Health");
    assert_eq!(info["role"], "clinic_staff");
    assert_eq!(info["status"], "Open");
    assert_eq!(info["account_exists"], false);
    assert_eq!(
        newcomer.get(app.url(&path)).send().await.unwrap().status(),
        200
    );

    let res = app
        .rpc(
            &newcomer,
            "invite/accept-new",
            &[
                ("token", &token),
                ("name", "Sam Whitfield"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let me = app.me(&newcomer).await;
    assert_eq!(me["role"], "clinic_staff");
    assert_eq!(me["org_name"], "Riverbend Home Health");

    // The link is spent.
    let res = app
        .rpc(
            &TestApp::browser(),
            "invite/accept-new",
            &[
                ("token", &token),
                ("name", "Mallory"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);

    let team: Value = app
        .rpc(&admin_browser, "team", &[])
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Sam Whitfield"), "{names:?}");
    assert_eq!(team["invitations"].as_array().unwrap().len(), 0);

    let mut db = app.admin().await;
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_events WHERE organization_id = $1 ORDER BY seq",
    )
    .bind(clinic)
    .fetch_all(&mut db)
    .await
    .unwrap();
    for expected in ["invitation.sent", "invitation.accepted", "auth.sign_in"] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn an_existing_account_accepts_an_invitation_after_signing_in() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let admin = app
        .user("renee@riverbend.example", Some(clinic), Role::ClinicAdmin)
        .await;
    let nurse = app.user("luis@example.org", None, Role::Clinician).await;
    let admin_browser = app.signed_in(&admin.email).await;
    app.rpc(
        &admin_browser,
        "team/invite",
        &[("email", "luis@example.org"), ("role", "clinician")],
    )
    .await;
    let token = token_of(&link_in(
        &app.wait_for_mail(&nurse.email, "invited").await.text,
        "invite",
    ));

    let info: Value = app
        .rpc(&TestApp::browser(), "invite/info", &[("token", &token)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(info["account_exists"], true);

    // Someone else signed in cannot take it.
    let other = app.user("eve@example.org", None, Role::Family).await;
    let eve = app.signed_in(&other.email).await;
    let res = app.rpc(&eve, "invite/accept", &[("token", &token)]).await;
    assert_eq!(res.status(), 409);

    let browser = app.signed_in(&nurse.email).await;
    let res = app
        .rpc(&browser, "invite/accept", &[("token", &token)])
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let me = app.me(&browser).await;
    assert_eq!(me["org_name"], "Riverbend Home Health");
    assert_eq!(me["can_switch"], true);
}

#[tokio::test]
async fn roles_change_but_a_clinic_always_keeps_an_administrator() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let renee = app
        .user("renee@riverbend.example", Some(clinic), Role::ClinicAdmin)
        .await;
    let sam = app
        .user("sam@riverbend.example", Some(clinic), Role::ClinicStaff)
        .await;
    let renee_browser = app.signed_in(&renee.email).await;
    let sam_browser = app.signed_in(&sam.email).await;

    // Staff cannot manage.
    let res = app
        .rpc(
            &sam_browser,
            "team/role",
            &[("user_id", &renee.id.to_string()), ("role", "clinic_staff")],
        )
        .await;
    assert_eq!(res.status(), 403);

    let res = app
        .rpc(
            &renee_browser,
            "team/role",
            &[("user_id", &sam.id.to_string()), ("role", "clinic_admin")],
        )
        .await;
    assert_eq!(res.status(), 200);
    // Sam's open session picks the new role up on the next request.
    assert_eq!(app.me(&sam_browser).await["role"], "clinic_admin");

    // Sam demotes Renée: fine, Sam is an administrator now.
    let res = app
        .rpc(
            &sam_browser,
            "team/role",
            &[("user_id", &renee.id.to_string()), ("role", "clinic_staff")],
        )
        .await;
    assert_eq!(res.status(), 200);
    // Renée (staff now) cannot demote Sam; and Sam is the last admin.
    let res = app
        .rpc(
            &renee_browser,
            "team/role",
            &[("user_id", &sam.id.to_string()), ("role", "clinic_staff")],
        )
        .await;
    assert_eq!(res.status(), 403);

    let mut db = app.admin().await;
    let changes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'member.role_changed'",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(changes, 2);
}

#[tokio::test]
async fn the_last_administrator_cannot_be_demoted() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let renee = app
        .user("renee@riverbend.example", Some(clinic), Role::ClinicAdmin)
        .await;
    let priya = app
        .user("priya@riverbend.example", Some(clinic), Role::ClinicAdmin)
        .await;
    let renee_browser = app.signed_in(&renee.email).await;
    let res = app
        .rpc(
            &renee_browser,
            "team/role",
            &[("user_id", &priya.id.to_string()), ("role", "clinic_staff")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let priya_browser = app.signed_in(&priya.email).await;
    assert_eq!(app.me(&priya_browser).await["role"], "clinic_staff");
    // Renée is the only administrator left: nobody can demote her (and
    // she cannot act on herself from the team page).
    let mut db = app.admin().await;
    let admins: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM memberships WHERE organization_id = $1 AND role = 'clinic_admin'",
    )
    .bind(clinic)
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!(admins, 1);
    let res = app
        .rpc(
            &renee_browser,
            "team/role",
            &[("user_id", &renee.id.to_string()), ("role", "clinic_staff")],
        )
        .await;
    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert!(body["message"]
        .as_str()
        .unwrap()
        .contains("at least one administrator"));
}

#[tokio::test]
async fn a_removed_member_loses_access_on_their_next_request() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let renee = app
        .user("renee@riverbend.example", Some(clinic), Role::ClinicAdmin)
        .await;
    let sam = app
        .user("sam@riverbend.example", Some(clinic), Role::ClinicStaff)
        .await;
    let renee_browser = app.signed_in(&renee.email).await;
    let sam_browser = app.signed_in(&sam.email).await;
    assert_eq!(
        sam_browser
            .get(app.url("/clinic"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    let res = app
        .rpc(
            &renee_browser,
            "team/remove",
            &[("user_id", &sam.id.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        sam_browser
            .get(app.url("/clinic"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    // Nor can they sign in to an organization they no longer belong to.
    let res = app.login(&TestApp::browser(), &sam.email, PASSWORD).await;
    assert_eq!(res.status(), 409);
    // One cannot remove oneself.
    let res = app
        .rpc(
            &renee_browser,
            "team/remove",
            &[("user_id", &renee.id.to_string())],
        )
        .await;
    assert_eq!(res.status(), 409);
}

#[tokio::test]
async fn a_platform_admin_creates_an_organization_and_invites_its_first_administrator() {
    let app = TestApp::spawn().await;
    let operator = app
        .user("morgan@carethread.example", None, Role::PlatformAdmin)
        .await;
    let browser = app.signed_in(&operator.email).await;
    let res = app
        .rpc(
            &browser,
            "admin/organizations/create",
            &[("name", ""), ("kind", "platform"), ("email", "x")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["fields"].as_array().unwrap().len(), 3);

    let res = app
        .rpc(
            &browser,
            "admin/organizations/create",
            &[
                ("name", "Lakeside Home Care"),
                ("kind", "clinic"),
                ("email", "priya@lakeside.example"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let orgs: Value = app
        .rpc(&browser, "admin/organizations", &[])
        .await
        .json()
        .await
        .unwrap();
    let lakeside = orgs
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "Lakeside Home Care")
        .unwrap();
    assert_eq!(lakeside["open_invitations"], 1);
    assert_eq!(lakeside["kind"], "clinic");

    let token = token_of(&link_in(
        &app.wait_for_mail("priya@lakeside.example", "Lakeside")
            .await
            .text,
        "invite",
    ));
    let newcomer = TestApp::browser();
    let res = app
        .rpc(
            &newcomer,
            "invite/accept-new",
            &[
                ("token", &token),
                ("name", "Priya Raman"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.me(&newcomer).await["role"], "clinic_admin");
    assert_eq!(res.json::<String>().await.unwrap(), "/clinic");

    // The admin dashboard lists vendor-packet requests (platform admins only).
    let dashboard: Value = app
        .rpc(&browser, "dashboard/admin", &[])
        .await
        .json()
        .await
        .unwrap();
    assert!(dashboard["users"].as_i64().unwrap() >= 2);
}
