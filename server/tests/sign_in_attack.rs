//! Sign-in under attack: the lockout holds under parallel guesses, the open
//! doors are throttled per client address and per account across server
//! processes, and a flood of bad sign-ins does not starve a signed-in
//! person's page (the hasher is waited for holding no database
//! connection). Latency under the flood is measured by
//! `scripts/bench/sign-in-flood.sh`, not here.

#![allow(clippy::unwrap_used)]

mod common;

use app::auth::throttle::{Limit, Throttles};
use app::auth::Role;
use app::state::AuthPolicy;
use common::{Options, TestApp, Tuning, PASSWORD};
use std::time::Duration;

fn sign_in(app: &TestApp, email: &str, password: &str) -> reqwest::RequestBuilder {
    TestApp::browser()
        .post(app.url("/rpc/auth/login"))
        .form(&[("email", email), ("password", password)])
}

#[tokio::test]
async fn parallel_guesses_check_no_more_passwords_than_the_lockout_allows() {
    let app = TestApp::spawn().await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    let user = app
        .user("intake@riverbend.example", Some(clinic), Role::ClinicStaff)
        .await;
    let guesses: Vec<_> = (0..20)
        .map(|i| {
            let req = sign_in(&app, &user.email, &format!("wrong password number {i}"));
            tokio::spawn(async move { req.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::new();
    for guess in guesses {
        statuses.push(guess.await.unwrap());
    }
    // 401 for a wrong password, 429 once locked.
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );

    let mut admin = app.admin().await;
    let checked: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM login_attempts
         WHERE email = $1 AND outcome IN ('bad_password', 'unknown_account')",
    )
    .bind(&user.email)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    let threshold = i64::from(app.policy.lockout_threshold);
    assert!(
        checked <= threshold,
        "{checked} passwords were checked; the lockout allows {threshold}"
    );
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM login_attempts WHERE email = $1 AND outcome = 'pending'",
    )
    .bind(&user.email)
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert_eq!(pending, 0, "every guess is settled");
    // And the right password is refused while locked.
    let res = sign_in(&app, &user.email, PASSWORD).send().await.unwrap();
    assert_eq!(res.status(), 429);
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(body.to_string().contains("locked"), "{body}");
}

fn tight() -> AuthPolicy {
    AuthPolicy {
        reset_request_floor: Duration::from_millis(10),
        throttles: Throttles {
            sign_in_per_ip: Limit::per_minute(6),
            sign_in_per_account: Limit::per_minute(4),
            reset_per_ip: Limit::per_minute(100),
            reset_per_account: Limit::per_minute(2),
            register_per_ip: Limit::per_minute(3),
            register_per_account: Limit::per_minute(2),
            sandbox_per_ip: Limit::per_minute(2),
            verify_per_ip: Limit::per_minute(3),
        },
        ..AuthPolicy::default()
    }
}

#[tokio::test]
async fn the_open_doors_are_throttled_across_server_processes() {
    common::minute_window().await;
    let app = TestApp::spawn_with(Options {
        policy: Some(tight()),
        ..Options::default()
    })
    .await;
    let sibling = app.spawn_sibling().await;
    let browser = TestApp::browser();

    // Per account: four tries at one address, two on each process, then 429.
    for base in [&app.base, &sibling, &app.base, &sibling] {
        let res = browser
            .post(format!("{base}/rpc/auth/login"))
            .form(&[
                ("email", "someone@example.org"),
                ("password", "not it at all"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 401);
    }
    let res = browser
        .post(format!("{sibling}/rpc/auth/login"))
        .form(&[
            ("email", "someone@example.org"),
            ("password", "not it at all"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));

    // Per client address: six sign-ins in all from this address (five
    // already), whatever the account.
    let res = app
        .rpc(
            &browser,
            "auth/login",
            &[("email", "other@example.org"), ("password", "x")],
        )
        .await;
    assert_eq!(res.status(), 401);
    let res = app
        .rpc(
            &browser,
            "auth/login",
            &[("email", "third@example.org"), ("password", "x")],
        )
        .await;
    assert_eq!(res.status(), 429);

    // Password reset, per account.
    for expected in [200, 200, 429] {
        let res = app
            .rpc(
                &browser,
                "auth/forgot-password",
                &[("email", "someone@example.org")],
            )
            .await;
        assert_eq!(res.status(), expected);
    }

    // Registration, per account address: each mails the address's owner.
    for expected in [200, 200, 429] {
        let res = app
            .rpc(
                &browser,
                "auth/register",
                &[
                    ("name", "Ana Ruiz"),
                    ("email", "ana@example.org"),
                    ("password", "a long enough password"),
                    ("role", "family"),
                ],
            )
            .await;
        assert_eq!(res.status(), expected);
    }

    // Sandbox sign-up, per client address.
    for (i, expected) in [200, 200, 429].into_iter().enumerate() {
        let email = format!("dev{i}@example.test");
        let res = app
            .rpc(&browser, "developer/sandbox-key", &[("email", &email)])
            .await;
        assert_eq!(res.status(), expected, "{email}");
    }
}

#[tokio::test]
async fn a_flood_of_bad_sign_ins_does_not_starve_a_signed_in_page() {
    // One hash at a time and a small pool: if a sign-in held a connection
    // while it waited for the hasher, the flood would hold every one.
    let app = TestApp::spawn_with(Options {
        tuning: Tuning {
            trusted_proxies: vec!["127.0.0.1/32".parse().unwrap()],
            hasher_permits: Some(1),
            ..Tuning::default()
        },
        ..Options::default()
    })
    .await;
    let clinic = app.org("clinic", "Riverbend Home Health").await;
    app.user(
        "director@riverbend.example",
        Some(clinic),
        Role::ClinicAdmin,
    )
    .await;
    let director = app.signed_in("director@riverbend.example").await;

    // 600 guesses from 600 addresses (through a trusted proxy) at 600
    // accounts: no throttle applies, every one reaches the hasher. (With
    // one hash at a time, that queue is longer than the pool's acquire
    // timeout: a sign-in that held its connection while it waited made
    // this page answer 503.)
    let flood: Vec<_> = (0..600)
        .map(|i| {
            let req = sign_in(&app, &format!("guess{i}@example.org"), "not the password").header(
                "x-forwarded-for",
                format!("198.51.{}.{}", i / 200, i % 200 + 1),
            );
            tokio::spawn(async move { req.send().await.map(|r| r.status().as_u16()) })
        })
        .collect();
    // Let the flood fill the queue, then load a signed-in page.
    tokio::time::sleep(Duration::from_millis(800)).await;
    let page = app.rpc(&director, "auth/account", &[]).await;
    assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());
    let mut statuses = Vec::new();
    for guess in flood {
        statuses.push(guess.await.unwrap().unwrap());
    }
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
}
