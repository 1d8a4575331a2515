//! Forms without JavaScript (`server/src/forms.rs`), over real HTTP and a
//! real database: a browser's plain form post to a server function gets the
//! page again with the errors and what was typed, or the function's result,
//! or the next page; never an empty page or a redirect that drops the
//! outcome.

#![allow(clippy::unwrap_used)]

mod common;

use common::{TestApp, PASSWORD};

/// A `ui::Form` post as a browser sends it: to the page the form is on,
/// naming its function, as a navigation asking for HTML.
async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    function: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields = vec![("_rpc", function)];
    fields.extend_from_slice(form);
    client
        .post(app.url(page))
        .header("accept", "text/html,application/xhtml+xml")
        .header("sec-fetch-site", "same-origin")
        .form(&fields)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_rejected_post_renders_its_page_with_the_errors_and_what_was_typed() {
    let app = TestApp::spawn().await;
    let browser = TestApp::browser();
    let res = post(
        &app,
        &browser,
        "/login?next=%2Fclinic",
        "/rpc/auth/login",
        &[
            ("email", "nobody@riverbend.example"),
            ("password", "a wrong password 123"),
            ("next", "/clinic"),
        ],
    )
    .await;
    // The function's status, so nothing reads the failure as a success;
    // and never kept by a cache or the back/forward history.
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(
        html.contains("<title>Sign in · Carethread</title>"),
        "{html}"
    );
    assert!(html.contains(r#"role="alert""#));
    assert!(html.contains("The email address or password is incorrect."));
    assert!(html.contains(r#"value="nobody@riverbend.example""#));
    // A password is never written back into a page.
    assert!(!html.contains("a wrong password 123"));
    // The page rendered is the form's own, with its query: the next post
    // from it goes there again.
    assert!(html.contains(r#"action="/login?next=%2Fclinic""#), "{html}");
}

#[tokio::test]
async fn a_post_whose_function_redirects_answers_see_other_with_its_cookie() {
    let app = TestApp::spawn().await;
    app.user(
        "ada@riverbend.example",
        Some(app.org("clinic", "Riverbend").await),
        app::auth::Role::ClinicAdmin,
    )
    .await;
    let browser = TestApp::browser();
    let res = post(
        &app,
        &browser,
        "/login",
        "/rpc/auth/login",
        &[
            ("email", "ada@riverbend.example"),
            ("password", PASSWORD),
            ("next", ""),
        ],
    )
    .await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/clinic");
    assert_eq!(res.headers()["cache-control"], "no-store");
    assert!(res
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|c| c.to_str().unwrap().starts_with("carethread=")));
    // The cookie it set is the session: the next page is the clinic's.
    let page = browser.get(app.url("/clinic")).send().await.unwrap();
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn a_post_without_a_redirect_renders_its_result_on_its_page() {
    let app = TestApp::spawn().await;
    let browser = TestApp::browser();
    let form = [
        ("name", "Dana Ortiz"),
        ("email", "dana@mercy"),
        ("organization", "Mercy Regional"),
        ("packet", "sample_baa"),
        ("message", ""),
    ];
    let rejected = post(&app, &browser, "/trust", "/rpc/trust/vendor-packet", &form).await;
    assert_eq!(rejected.status(), 422);
    let html = rejected.text().await.unwrap();
    assert!(html.contains(r#"id="email-error""#), "{html}");
    assert!(html.contains(r#"value="Dana Ortiz""#));
    assert!(html.contains(r#"value="Mercy Regional""#));

    let mut form = form;
    form[1] = ("email", "dana.ortiz@mercy.example.org");
    let accepted = post(&app, &browser, "/trust", "/rpc/trust/vendor-packet", &form).await;
    assert_eq!(accepted.status(), 200);
    let html = accepted.text().await.unwrap();
    assert!(html.contains("Request received"), "{html}");
    assert!(html.contains("dana.ortiz@mercy.example.org"));
    // A form that succeeded starts empty again.
    assert!(!html.contains(r#"value="Dana Ortiz""#));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM vendor_packet_requests")
        .fetch_one(&mut app.admin().await)
        .await
        .unwrap();
    assert_eq!(stored, 1, "one request stored, the rejected one not");
}

#[tokio::test]
async fn a_form_names_only_a_server_function_and_scripted_calls_are_untouched() {
    let app = TestApp::spawn().await;
    let browser = TestApp::browser();
    // A form naming something else than a server function is not run.
    // (Were the first accepted, it would answer 401 for want of a key.)
    for function in [
        "/api/v1/discharge-referrals",
        "//evil.example/rpc/x",
        "/rpc/../login",
    ] {
        let res = post(&app, &browser, "/trust", function, &[("name", "")]).await;
        assert_eq!(res.status(), 405, "{function}");
    }

    // A scripted call (asking for JSON) gets the function's JSON, as before.
    let res = app
        .rpc(
            &browser,
            "trust/vendor-packet",
            &[
                ("name", ""),
                ("email", ""),
                ("organization", ""),
                ("packet", ""),
                ("message", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["code"], "validation_failed");
}

/// The developer console's key: kept in a cookie scoped to the developer
/// page and bound to the session by its fingerprint, never written into a
/// page, and gone with the session.
#[tokio::test]
async fn the_console_key_lives_in_this_session_only() {
    let app = TestApp::spawn().await;
    let org = app.org("referrer", "Mercy General Hospital").await;
    let key = server::operator::create_api_key(&app.urls.admin, org, "console")
        .await
        .unwrap();
    let browser = TestApp::browser();
    let res = post(
        &app,
        &browser,
        "/developers",
        "/rpc/developer/use-key",
        &[("key", &key)],
    )
    .await;
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("ct_dev_key="))
        .expect("the key cookie");
    for attribute in ["Path=/developers", "HttpOnly", "SameSite=Strict"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let html = res.text().await.unwrap();
    assert!(html.contains("Using ct_live_"), "{html}");
    assert!(!html.contains(&key), "the key is never written into a page");

    // The console works with it (and the key still is not in the page).
    let tried = post(
        &app,
        &browser,
        "/developers",
        "/rpc/developer/try",
        &[
            ("method", "GET"),
            ("path", "/api/v1/geo/zip/43215"),
            ("body", ""),
        ],
    )
    .await;
    assert_eq!(tried.status(), 200);
    let html = tried.text().await.unwrap();
    assert!(html.contains("200 OK"), "{html}");
    assert!(!html.contains(&key));

    // The same cookie in another session (a new person on the same
    // browser after this session ended, a planted cookie) is ignored.
    let key_cookie = cookie.split(';').next().unwrap().to_owned();
    let stranger = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = stranger
        .get(app.url("/developers"))
        .header("cookie", &key_cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Using ct_live_"), "{page}");
    let refused = stranger
        .post(app.url("/developers"))
        .header("accept", "text/html")
        .header("sec-fetch-site", "same-origin")
        .header("cookie", &key_cookie)
        .form(&[
            ("_rpc", "/rpc/developer/try"),
            ("method", "GET"),
            ("path", "/api/v1/geo/zip/43215"),
            ("body", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422, "no key in this session");

    // Forgetting it ends it in this session too.
    let forgot = post(
        &app,
        &browser,
        "/developers",
        "/rpc/developer/forget-key",
        &[],
    )
    .await;
    assert_eq!(forgot.status(), 200);
    assert!(!forgot.text().await.unwrap().contains("Using ct_live_"));
}

#[tokio::test]
async fn an_oversized_post_is_refused_before_any_function_runs() {
    let app = TestApp::spawn().await;
    let browser = TestApp::browser();
    let big = "x".repeat(300 * 1024);
    let res = post(
        &app,
        &browser,
        "/trust",
        "/rpc/trust/vendor-packet",
        &[("name", "Dana"), ("message", &big)],
    )
    .await;
    assert_eq!(res.status(), 413);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM vendor_packet_requests")
        .fetch_one(&mut app.admin().await)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}
