//! Plain form posts: every form works before (and without) JavaScript.
//!
//! Pages are server-rendered and only islands hydrate, so a form is an
//! ordinary `<form method="post">`: a `ui::Form` posts to the page it is on
//! (so the address bar keeps the page's address) and names its server
//! function in a hidden `_rpc` field (and, when a page has several forms
//! for one function, which one in `_form`). A browser submitting one
//! navigates: it asks for HTML (`Accept: text/html`), which a scripted call
//! never does. For such a request this layer
//!
//! 1. runs the named server function through the whole router, as a
//!    scripted call would (asking for the function's own answer);
//! 2. when the function redirected (signed in, referral sent: the next page
//!    shows the result), answers `303 See Other` to that page, if it is a
//!    page of this site;
//! 3. otherwise renders the form's page again with the [`FormOutcome`] in
//!    the request's extensions, so the page shows the function's result or
//!    the errors beside the fields, with what was typed still there; the
//!    status is the function's (422 for rejected input), so nothing reads a
//!    failure as a success.
//!
//! Every answer is `Cache-Control: no-store`: it can hold what a function
//! shows once (a new API key, a webhook's secret) and must not outlive the
//! page in a cache or the back/forward history. The page is rendered
//! through the same router (sessions and all) as any request, with the
//! submitter's cookies (updated by the function's own `Set-Cookie`),
//! connection and client address. Anything else passes through untouched.

use app::ui::{FormOutcome, FORM_FIELD, RPC_FIELD};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;
use tower_sessions::cookie::Cookie;

/// Where the server functions are mounted.
const RPC_PREFIX: &str = "/rpc/";
/// Forms carry a few fields; uploads are not taken this way.
const BODY_LIMIT: usize = 256 * 1024;

/// The layer's function; `pages` is the router (with its session layer)
/// that runs the function and renders the page again.
pub async fn plain_posts(State(pages): State<Router>, req: Request, next: Next) -> Response {
    if !is_plain_form_post(&req) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return no_store(StatusCode::PAYLOAD_TOO_LARGE.into_response());
    };
    let mut fields = submitted_fields(&bytes);
    let Some(function) = take(&mut fields, RPC_FIELD)
        .as_deref()
        .and_then(function_path)
    else {
        // Not a form of ours: whatever the route says (405, mostly).
        return next
            .run(Request::from_parts(parts, Body::from(bytes)))
            .await;
    };
    let instance = take(&mut fields, FORM_FIELD);
    let page = std::mem::replace(&mut parts.uri, function);
    let original_headers = parts.headers.clone();
    let extensions = parts.extensions.clone();
    let action = parts.uri.path().to_owned();

    parts
        .headers
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    // Through the whole router: `next` is the route that was matched (the
    // page's own), not the function's.
    let answer = match pages
        .clone()
        .oneshot(Request::from_parts(parts, Body::from(bytes)))
        .await
    {
        Ok(answer) => answer,
        Err(never) => match never {},
    };
    let set_cookies: Vec<HeaderValue> = answer
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .cloned()
        .collect();

    // The function chose the next page: go there (GET), cookies and all.
    if let Some(location) = answer.headers().get(header::LOCATION) {
        if let Some(next_page) = location.to_str().ok().filter(|l| is_local(l)) {
            return see_other(next_page, &set_cookies);
        }
        tracing::warn!(function = %action, "a redirect off this site was not followed");
    }

    let status = answer.status();
    let Ok(body) = to_bytes(answer.into_body(), 4 * 1024 * 1024).await else {
        return no_store(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    let outcome = FormOutcome {
        action,
        instance,
        ok: status.is_success(),
        body: String::from_utf8_lossy(&body).into_owned(),
        fields,
    };

    let mut render = Request::new(Body::empty());
    *render.method_mut() = Method::GET;
    *render.uri_mut() = page;
    *render.headers_mut() = page_headers(&original_headers, &set_cookies);
    *render.extensions_mut() = extensions;
    render.extensions_mut().insert(outcome);
    let mut response = match pages.oneshot(render).await {
        Ok(response) => response,
        Err(never) => match never {},
    };
    // The page's own status wins when it failed; otherwise the function's.
    if response.status().is_success() {
        *response.status_mut() = status;
    }
    for cookie in set_cookies {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    no_store(response)
}

fn is_plain_form_post(req: &Request) -> bool {
    let headers = req.headers();
    req.method() == Method::POST
        && !req.uri().path().starts_with("/api/")
        && !req.uri().path().starts_with(RPC_PREFIX)
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
        && headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

/// Removes the field `name` and answers its value.
fn take(fields: &mut Vec<(String, String)>, name: &str) -> Option<String> {
    let at = fields.iter().position(|(field, _)| field == name)?;
    Some(fields.remove(at).1)
}

/// The submitted fields to show again, without anything secret: the page
/// gets them only to refill a rejected form, and a password, a key or a
/// token is never written back into a page.
fn submitted_fields(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body)
        .filter(|(name, _)| !is_secret(name))
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name == "key"
        || ["password", "confirm", "secret", "token"]
            .iter()
            .any(|secret| name.contains(secret))
}

/// The server function a form names: a path under [`RPC_PREFIX`], nothing
/// else (not another site, not a page).
fn function_path(path: &str) -> Option<Uri> {
    if !path.starts_with(RPC_PREFIX) || path.contains("..") {
        return None;
    }
    path.parse::<Uri>()
        .ok()
        .filter(|uri| uri.authority().is_none() && uri.query().is_none())
}

/// A page of this site: a path, not `//host` or `/\\host`, which browsers
/// read as another site.
fn is_local(location: &str) -> bool {
    location.starts_with('/') && !location.starts_with("//") && !location.starts_with("/\\")
}

/// The headers for rendering the page: the submitter's, as a navigation
/// (`GET`, HTML), with the cookies the function just set (and without
/// those it just removed).
fn page_headers(original: &HeaderMap, set_cookies: &[HeaderValue]) -> HeaderMap {
    let mut headers = original.clone();
    for name in [
        header::CONTENT_TYPE,
        header::CONTENT_LENGTH,
        header::ORIGIN,
        header::TRANSFER_ENCODING,
    ] {
        headers.remove(name);
    }
    headers.insert(header::ACCEPT, HeaderValue::from_static("text/html"));
    if set_cookies.is_empty() {
        return headers;
    }
    let mut jar: Vec<(String, String)> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .map(|c| (c.name().to_owned(), c.value().to_owned()))
        .collect();
    for set in set_cookies.iter().filter_map(|v| v.to_str().ok()) {
        let Ok(cookie) = Cookie::parse(set) else {
            continue;
        };
        jar.retain(|(name, _)| name != cookie.name());
        let removed = cookie.max_age().is_some_and(|age| age.is_zero())
            || cookie
                .expires_datetime()
                .is_some_and(|at| at <= time::OffsetDateTime::now_utc());
        if !removed {
            jar.push((cookie.name().to_owned(), cookie.value().to_owned()));
        }
    }
    headers.remove(header::COOKIE);
    let cookie = jar
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("; ");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        if !cookie.is_empty() {
            headers.insert(header::COOKIE, value);
        }
    }
    headers
}

fn see_other(location: &str, set_cookies: &[HeaderValue]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(location) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, location);
    }
    for cookie in set_cookies {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    no_store(response)
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn only_a_page_of_this_site_is_followed() {
        assert!(is_local("/referrer/referrals/1"));
        assert!(!is_local("//evil.example/"));
        assert!(!is_local("/\\\\evil.example/"));
        assert!(!is_local("https://evil.example/"));
    }

    #[test]
    fn a_form_names_only_a_server_function() {
        let function = |path: &str| function_path(path).map(|uri| uri.to_string());
        assert_eq!(
            function("/rpc/auth/login").as_deref(),
            Some("/rpc/auth/login")
        );
        assert_eq!(function("/clinic/inbox"), None);
        assert_eq!(function("//evil.example/rpc/x"), None);
        assert_eq!(function("https://evil.example/rpc/x"), None);
        assert_eq!(function("/rpc/../admin"), None);
        assert_eq!(function("/rpc/x?y=1"), None);
    }

    #[test]
    fn secrets_are_never_handed_back_to_the_page() {
        let fields = submitted_fields(
            b"email=a%40b.example&password=hunter2&new_password=x&confirm=x&key=ct_live_x&name=Ann",
        );
        assert_eq!(
            fields,
            vec![
                ("email".to_owned(), "a@b.example".to_owned()),
                ("name".to_owned(), "Ann".to_owned())
            ]
        );
    }

    #[test]
    fn the_page_is_asked_for_with_the_cookies_the_function_just_set() {
        let original = headers(&[
            (header::COOKIE, "id=old; theme=dark"),
            (header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            (header::ORIGIN, "http://care.example"),
        ]);
        let set = [
            HeaderValue::from_static("id=new; Path=/; HttpOnly"),
            HeaderValue::from_static("theme=; Path=/; Max-Age=0"),
        ];
        let page = page_headers(&original, &set);
        assert_eq!(page.get(header::COOKIE).unwrap(), "id=new");
        assert!(page.get(header::CONTENT_TYPE).is_none());
        assert!(page.get(header::ORIGIN).is_none());
        assert_eq!(page.get(header::ACCEPT).unwrap(), "text/html");
    }
}
