//! Sign-in and account security (SPEC J7) over real HTTP, a real database
//! as the application role, and a real SMTP sink: session cycling, logout,
//! expiry, lockout, reset links, no account enumeration, registration,
//! role checks.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::Role;
use common::{link_in, token_of, Options, TestApp, PASSWORD};
use serde_json::Value;
use std::time::{Duration, Instant};

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("carethread="))
        .map(|c| c.split(';').next().unwrap().to_owned())
}

/// A client that sends exactly `cookie` (no jar).
fn with_cookie(cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", cookie.parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .default_headers(headers)
        .build()
        .unwrap()
}

async fn clinic_staff(app: &TestApp) -> common::TestUser {
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    app.user("sam@riverbend.example", Some(clinic), Role::ClinicStaff)
        .await
}

#[tokio::test]
async fn signing_in_sets_a_hardened_cookie_and_lands_on_the_role_dashboard() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    let browser = TestApp::browser();
    let res = app.login(&browser, &user.email, PASSWORD).await;
    assert_eq!(res.status(), 200);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(set_cookie.contains("Path=/"), "{set_cookie}");
    // Plain http in development: no Secure flag (it would never be sent).
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    assert_eq!(res.json::<String>().await.unwrap(), "/clinic");

    let me = app.me(&browser).await;
    assert_eq!(me["role"], "clinic_staff");
    assert_eq!(me["org_name"], "Riverbend Home Health");
    assert_eq!(
        browser
            .get(app.url("/clinic"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // The login log has the attempt with where it came from.
    let mut admin = app.admin().await;
    let (outcome, ip, agent): (String, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT outcome::text, host(ip), user_agent FROM login_attempts WHERE user_id = $1",
    )
    .bind(user.id)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(outcome, "success");
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(agent.as_deref(), Some("carethread-tests/1.0"));
}

#[tokio::test]
async fn the_cookie_is_secure_with_a_host_prefix_over_https() {
    let app = TestApp::spawn_with(Options {
        public_url: Some("https://care.example.org".into()),
        ..Options::default()
    })
    .await;
    let user = clinic_staff(&app).await;
    let res = app.login(&TestApp::browser(), &user.email, PASSWORD).await;
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap();
    assert!(set_cookie.starts_with("__Host-carethread="), "{set_cookie}");
    assert!(set_cookie.contains("Secure"), "{set_cookie}");
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in_and_the_old_one_is_dead() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    let browser = TestApp::browser();
    let first = session_cookie(&app.login(&browser, &user.email, PASSWORD).await).unwrap();
    // Signing in again from the same browser (which sends `first`) must
    // issue a new id: a planted or stolen pre-sign-in id is worthless.
    let second = session_cookie(&app.login(&browser, &user.email, PASSWORD).await).unwrap();
    assert_ne!(first, second);
    assert_eq!(app.me(&with_cookie(&first)).await, Value::Null);
    assert_eq!(app.me(&with_cookie(&second)).await["role"], "clinic_staff");
}

#[tokio::test]
async fn after_sign_out_the_old_cookie_is_refused() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    let browser = TestApp::browser();
    let cookie = session_cookie(&app.login(&browser, &user.email, PASSWORD).await).unwrap();
    let res = app.rpc(&browser, "auth/logout", &[]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["location"], "/login?signed_out=1");

    let replay = with_cookie(&cookie);
    assert_eq!(app.me(&replay).await, Value::Null);
    let res = replay.get(app.url("/clinic")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.text().await.unwrap().contains("Please sign in"));

    let mut admin = app.admin().await;
    let reason: Option<String> =
        sqlx::query_scalar("SELECT ended_reason FROM user_sessions WHERE user_id = $1")
            .bind(user.id)
            .fetch_one(&mut admin)
            .await
            .unwrap();
    assert_eq!(reason.as_deref(), Some("signed_out"));
}

#[tokio::test]
async fn idle_and_absolute_limits_end_a_session() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    let idle = TestApp::browser();
    app.login(&idle, &user.email, PASSWORD).await;
    let old = TestApp::browser();
    app.login(&old, &user.email, PASSWORD).await;
    assert_eq!(app.me(&idle).await["role"], "clinic_staff");

    let mut admin = app.admin().await;
    let sessions: Vec<uuid::Uuid> =
        sqlx::query_scalar("SELECT id FROM user_sessions WHERE user_id = $1 ORDER BY created_at")
            .bind(user.id)
            .fetch_all(&mut admin)
            .await
            .unwrap();
    // Unused for longer than the idle limit (30 minutes).
    sqlx::query(
        "UPDATE user_sessions SET last_seen_at = now() - interval '31 minutes' WHERE id = $1",
    )
    .bind(sessions[0])
    .execute(&mut admin)
    .await
    .unwrap();
    // Past the absolute limit, however active.
    sqlx::query("UPDATE user_sessions SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(sessions[1])
        .execute(&mut admin)
        .await
        .unwrap();
    assert_eq!(app.me(&idle).await, Value::Null);
    assert_eq!(app.me(&old).await, Value::Null);
}

#[tokio::test]
async fn sessions_survive_a_restart_and_are_shared_by_every_server_process() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    let browser = TestApp::browser();
    let cookie = session_cookie(&app.login(&browser, &user.email, PASSWORD).await).unwrap();
    // A new process on the same database (what a restart or a second
    // instance behind a load balancer is) knows the session.
    let sibling = app.spawn_sibling().await;
    let res = with_cookie(&cookie)
        .post(format!("{sibling}/rpc/auth/me"))
        .send()
        .await
        .unwrap();
    let me: Value = res.json().await.unwrap();
    assert_eq!(me["email"], user.email);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    let wrong = app
        .login(&TestApp::browser(), &user.email, "not the password at all")
        .await;
    let unknown = app
        .login(
            &TestApp::browser(),
            "nobody@riverbend.example",
            "not the password at all",
        )
        .await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    assert!(session_cookie(&wrong).is_none());
    let wrong: Value = wrong.json().await.unwrap();
    let unknown: Value = unknown.json().await.unwrap();
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["code"], "invalid_credentials");
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_a_plain_message_an_audit_event_and_a_mail() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    for attempt in 1..=5 {
        let res = app
            .login(&TestApp::browser(), &user.email, "wrong password here")
            .await;
        let expected = if attempt < 5 { 401 } else { 429 };
        assert_eq!(res.status(), expected, "attempt {attempt}");
    }
    // Locked: even the right password is refused, and the person is told.
    let res = app.login(&TestApp::browser(), &user.email, PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], "account_locked");
    let minutes = body["minutes"].as_u64().unwrap();
    assert!((1..=15).contains(&minutes), "{minutes}");

    let mut admin = app.admin().await;
    let locked_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'auth.account_locked' AND subject_id = $1",
    )
    .bind(user.id.to_string())
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(locked_events, 1);
    let failed_events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'auth.sign_in_failed' AND subject_id = $1",
    )
    .bind(user.id.to_string())
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(failed_events, 5);
    let outcomes: Vec<String> = sqlx::query_scalar(
        "SELECT outcome::text FROM login_attempts WHERE user_id = $1 ORDER BY id",
    )
    .bind(user.id)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert_eq!(
        outcomes,
        [
            "bad_password",
            "bad_password",
            "bad_password",
            "bad_password",
            "bad_password",
            "locked"
        ]
    );
    let notice = app.wait_for_mail(&user.email, "locked").await;
    assert!(notice.text.contains("/forgot-password"));
}

#[tokio::test]
async fn an_unknown_address_locks_the_same_way_so_locks_reveal_nothing() {
    let app = TestApp::spawn().await;
    let mut last = None;
    for _ in 1..=6 {
        let res = app
            .login(
                &TestApp::browser(),
                "ghost@riverbend.example",
                "wrong password here",
            )
            .await;
        last = Some((res.status(), res.json::<Value>().await.unwrap()));
    }
    let (status, body) = last.unwrap();
    assert_eq!(status, 429);
    assert_eq!(body["code"], "account_locked");
    // Nobody to tell: no mail went anywhere.
    app.deliver_mail().await;
    assert!(app.mail_to("ghost@riverbend.example").is_empty());
}

#[tokio::test]
async fn a_reset_link_is_mailed_works_once_and_clears_a_lock() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    for _ in 0..5 {
        app.login(&TestApp::browser(), &user.email, "wrong password here")
            .await;
    }
    assert_eq!(
        app.login(&TestApp::browser(), &user.email, PASSWORD)
            .await
            .status(),
        429
    );

    let res = app
        .rpc(
            &TestApp::browser(),
            "auth/forgot-password",
            &[("email", &user.email)],
        )
        .await;
    assert_eq!(res.status(), 200);
    let mail = app
        .wait_for_mail(&user.email, "Reset your Carethread password")
        .await;
    assert!(mail.html.contains("reset-password?token="));
    let path = link_in(&mail.text, "reset-password");
    let token = token_of(&path);
    // The token is stored only as a hash.
    let mut admin = app.admin().await;
    let stored: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM password_reset_tokens WHERE encode(token_hash, 'hex') LIKE '%' || $1 || '%'",
    )
    .bind(&token)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(stored, 0);

    // The page knows the link is good.
    let page = app.get(&path).await;
    assert_eq!(page.status(), 200);

    let new_password = "a brand new password for sam";
    let form = [
        ("token", token.as_str()),
        ("password", new_password),
        ("confirm", new_password),
    ];
    let res = app
        .rpc(&TestApp::browser(), "auth/reset-password", &form)
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // Single use.
    let again = app
        .rpc(&TestApp::browser(), "auth/reset-password", &form)
        .await;
    assert_eq!(again.status(), 422);
    let body: Value = again.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "token");

    // The lock is gone, the old password is not, the new one works.
    assert_eq!(
        app.login(&TestApp::browser(), &user.email, PASSWORD)
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login(&TestApp::browser(), &user.email, new_password)
            .await
            .status(),
        200
    );
    app.wait_for_mail(&user.email, "password was changed").await;
}

#[tokio::test]
async fn an_expired_reset_link_is_refused() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    app.rpc(
        &TestApp::browser(),
        "auth/forgot-password",
        &[("email", &user.email)],
    )
    .await;
    let mail = app.wait_for_mail(&user.email, "Reset").await;
    let token = token_of(&link_in(&mail.text, "reset-password"));
    let mut admin = app.admin().await;
    sqlx::query("UPDATE password_reset_tokens SET created_at = now() - interval '2 hours', expires_at = now() - interval '1 hour'")
        .execute(&mut admin)
        .await
        .unwrap();
    let p = "a brand new password for sam";
    let res = app
        .rpc(
            &TestApp::browser(),
            "auth/reset-password",
            &[("token", &token), ("password", p), ("confirm", p)],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app.get(&format!("/reset-password?token={token}")).await;
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("expired or has already been used"));
}

#[tokio::test]
async fn a_reset_request_answers_the_same_for_unknown_addresses_and_no_sooner_than_the_floor() {
    let app = TestApp::spawn_with(Options {
        policy: Some(app::state::AuthPolicy {
            reset_request_floor: Duration::from_millis(400),
            ..app::state::AuthPolicy::default()
        }),
        ..Options::default()
    })
    .await;
    let user = clinic_staff(&app).await;
    let mut answers = Vec::new();
    for email in [user.email.as_str(), "nobody@riverbend.example"] {
        let started = Instant::now();
        let res = app
            .rpc(
                &TestApp::browser(),
                "auth/forgot-password",
                &[("email", email)],
            )
            .await;
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(400),
            "{email}: {elapsed:?}"
        );
        answers.push((res.status(), res.text().await.unwrap()));
    }
    assert_eq!(answers[0], answers[1]);
    app.wait_for_mail(&user.email, "Reset").await;
    assert!(app.mail_to("nobody@riverbend.example").is_empty());
}

#[tokio::test]
async fn changing_the_password_ends_the_other_sessions() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    let laptop = TestApp::browser();
    let phone = TestApp::browser();
    app.login(&laptop, &user.email, PASSWORD).await;
    app.login(&phone, &user.email, PASSWORD).await;

    let wrong = app
        .rpc(
            &laptop,
            "auth/change-password",
            &[
                ("current_password", "not my password"),
                ("new_password", "a new and long password"),
                ("confirm", "a new and long password"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert_eq!(app.me(&phone).await["role"], "clinic_staff");

    let res = app
        .rpc(
            &laptop,
            "auth/change-password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a new and long password"),
                ("confirm", "a new and long password"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<u64>().await.unwrap(), 1);
    assert_eq!(app.me(&phone).await, Value::Null);
    assert_eq!(app.me(&laptop).await["role"], "clinic_staff");
    app.wait_for_mail(&user.email, "password was changed").await;
}

#[tokio::test]
async fn a_person_can_end_another_of_their_sessions() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    let laptop = TestApp::browser();
    let lost_phone = TestApp::browser();
    app.login(&laptop, &user.email, PASSWORD).await;
    app.login(&lost_phone, &user.email, PASSWORD).await;
    let account: Value = app
        .rpc(&laptop, "auth/account", &[])
        .await
        .json()
        .await
        .unwrap();
    let sessions = account["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let other = sessions.iter().find(|s| s["current"] == false).unwrap();
    let res = app
        .rpc(
            &laptop,
            "auth/revoke-session",
            &[("id", other["id"].as_str().unwrap())],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.me(&lost_phone).await, Value::Null);
    let mut admin = app.admin().await;
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'auth.session_revoked'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(events, 1);
}

#[tokio::test]
async fn families_and_clinicians_register_themselves_and_nobody_else_does() {
    let app = TestApp::spawn().await;
    for (role, home) in [("family", "/family"), ("clinician", "/clinician")] {
        let browser = TestApp::browser();
        let email = format!("new-{role}@example.org");
        let res = app
            .rpc(
                &browser,
                "auth/register",
                &[
                    ("name", "Ana Ruiz"),
                    ("email", &email),
                    ("password", PASSWORD),
                    ("role", role),
                ],
            )
            .await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<String>().await.unwrap(), email);
        // Not signed in by registering: the mail says the account is ready,
        // and the password opens it.
        assert!(app.me(&browser).await.is_null());
        let mail = app
            .wait_for_mail(&email, "Your Carethread account is ready")
            .await;
        assert!(mail.text.contains("/login"), "{}", mail.text);
        let res = app.login(&browser, &email, PASSWORD).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.json::<String>().await.unwrap(), home);
        assert_eq!(app.me(&browser).await["role"], role);
    }
    // The same address again: the same answer (no enumeration), nothing
    // changed, and the account's owner is told.
    let res = app
        .rpc(
            &TestApp::browser(),
            "auth/register",
            &[
                ("name", "Mallory"),
                ("email", "NEW-family@example.org"),
                ("password", "another long password here"),
                ("role", "clinician"),
            ],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.json::<String>().await.unwrap(),
        "NEW-family@example.org"
    );
    app.wait_for_mail("new-family@example.org", "Someone tried to create")
        .await;
    let mut admin = app.admin().await;
    let (name, accounts): (String, i64) = sqlx::query_as(
        "SELECT min(display_name), count(*) FROM users WHERE lower(email) = 'new-family@example.org'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!((name.as_str(), accounts), ("Ana Ruiz", 1));
    drop(admin);
    // A clinic role cannot be self-assigned.
    let res = app
        .rpc(
            &TestApp::browser(),
            "auth/register",
            &[
                ("name", "Eve"),
                ("email", "eve@example.org"),
                ("password", PASSWORD),
                ("role", "clinic_admin"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let mut admin = app.admin().await;
    let eve: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'eve@example.org'")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(eve, 0);
}

#[tokio::test]
async fn every_protected_page_and_function_checks_the_role_on_the_server() {
    let app = TestApp::spawn().await;
    let family = app.user("grace@example.org", None, Role::Family).await;
    let browser = TestApp::browser();
    app.login(&browser, &family.email, PASSWORD).await;

    for page in [
        "/clinic",
        "/clinic/team",
        "/clinic/audit",
        "/admin",
        "/admin/organizations",
        "/referrer",
        "/clinician",
    ] {
        let res = browser.get(app.url(page)).send().await.unwrap();
        assert_eq!(res.status(), 403, "{page}");
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("Not available to your role"),
            "{page}"
        );
        let anonymous = app.get(page).await;
        assert_eq!(anonymous.status(), 401, "{page} without a session");
    }
    assert_eq!(
        browser
            .get(app.url("/family"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    for endpoint in [
        "team",
        "dashboard/clinic",
        "admin/organizations",
        "audit/log",
        "audit/verify",
    ] {
        let res = app.rpc(&browser, endpoint, &[]).await;
        assert_eq!(res.status(), 403, "{endpoint}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "forbidden");
    }
    let res = app
        .rpc(
            &browser,
            "team/invite",
            &[("email", "x@example.org"), ("role", "clinic_staff")],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_cross_site_sign_in_attempt_is_refused() {
    let app = TestApp::spawn().await;
    let user = clinic_staff(&app).await;
    let res = TestApp::browser()
        .post(app.url("/rpc/auth/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", user.email.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(session_cookie(&res).is_none());
    let mut admin = app.admin().await;
    let attempts: i64 = sqlx::query_scalar("SELECT count(*) FROM login_attempts")
        .fetch_one(&mut admin)
        .await
        .unwrap();
    assert_eq!(attempts, 0);
}

#[tokio::test]
async fn a_member_of_two_organizations_switches_between_them() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let nurse = app.user("luis@example.org", None, Role::Clinician).await;
    app.add_membership(nurse.id, Some(clinic), Role::Clinician)
        .await;
    let browser = TestApp::browser();
    app.login(&browser, &nurse.email, PASSWORD).await;
    let me = app.me(&browser).await;
    assert_eq!(me["can_switch"], true);
    assert_eq!(me["org_name"], "Carethread platform");

    let res = app
        .rpc(
            &browser,
            "auth/switch-organization",
            &[("org_id", &clinic.to_string())],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.me(&browser).await["org_name"], "Riverbend Home Health");

    // Not one of theirs: refused.
    let other = app.org("clinic", "Lakeside Home Care").await;
    let res = app
        .rpc(
            &browser,
            "auth/switch-organization",
            &[("org_id", &other.to_string())],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn passwords_never_reach_the_database_or_the_mail() {
    let app = TestApp::spawn().await;
    let browser = TestApp::browser();
    let secret = "my very own secret passphrase";
    app.rpc(
        &browser,
        "auth/register",
        &[
            ("name", "Ana Ruiz"),
            ("email", "ana@example.org"),
            ("password", secret),
            ("role", "family"),
        ],
    )
    .await;
    let mut admin = app.admin().await;
    let hash: String = sqlx::query_scalar(
        "SELECT c.password_hash FROM user_credentials c JOIN users u ON u.id = c.user_id WHERE u.email = 'ana@example.org'",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
    let dump: String = sqlx::query_scalar(
        "SELECT string_agg(t::text, ' ') FROM (
             SELECT row_to_json(a)::text AS t FROM audit_events a
             UNION ALL SELECT row_to_json(l)::text FROM login_attempts l) x",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(!dump.contains(secret));
}
