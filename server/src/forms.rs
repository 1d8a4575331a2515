//! Plain form posts: every form works before (and without) JavaScript.
//!
//! Pages are server-rendered and only islands hydrate, so a form is an
//! ordinary `<form method="post">`: a `ui::Form` posts to the page it is on
//! (so the address bar keeps the page's address) and names its server
//! function in a hidden `_rpc` field. A browser submitting one navigates:
//! it asks for HTML (`Accept: text/html`), which a scripted call never
//! does. For such a request this layer
//!
//! 1. runs the named server function as a scripted call would (it asks for
//!    the function's own answer; leptos_axum would otherwise answer a plain
//!    post with a bare redirect to the Referer and drop the outcome);
//! 2. when the function redirected (signed in, referral sent: the next page
//!    shows the result), answers `303 See Other` to that page;
//! 3. otherwise renders the form's page again with the [`FormOutcome`] in
//!    the request's extensions, so the page shows the function's result or
//!    the errors beside the fields, with what was typed still there; the
//!    status is the function's (422 for rejected input), so nothing reads a
//!    failure as a success.
//!
//! A plain post straight to `/rpc/…` (an island's `ActionForm` submitted
//! before its wasm arrived) is answered the same way, with the Referer
//! (same origin only) as the page.
//!
//! The page is rendered through the same router (sessions and all) as any
//! request, with the submitter's cookies (updated by the function's own
//! `Set-Cookie`), connection and client address.

use app::ui::{FormOutcome, RPC_FIELD};
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower::ServiceExt;

/// Where the server functions are mounted.
const RPC_PREFIX: &str = "/rpc/";
/// Forms carry a few fields; uploads are not taken this way.
const BODY_LIMIT: usize = 256 * 1024;

/// The layer's function; `pages` is the router (with its session layer)
/// that renders the page again.
pub async fn plain_posts(State(pages): State<Router>, req: Request, next: Next) -> Response {
    if !is_plain_form_post(&req) {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let mut fields = if is_urlencoded(&parts.headers) {
        submitted_fields(&bytes)
    } else {
        Vec::new()
    };
    let page = if parts.uri.path().starts_with(RPC_PREFIX) {
        // Posted to the function itself (an island's `ActionForm` before it
        // hydrates): the page is the Referer.
        same_origin_page(&parts.headers)
    } else {
        // A `ui::Form` posts to its own page and names its function.
        let named = fields
            .iter()
            .position(|(name, _)| name == RPC_FIELD)
            .map(|at| fields.remove(at).1);
        let Some(function) = named.as_deref().and_then(function_path) else {
            // Not a form of ours: whatever the route says (405, mostly).
            return next
                .run(Request::from_parts(parts, Body::from(bytes)))
                .await;
        };
        let page = parts.uri.clone();
        parts.uri = function;
        Some(page)
    };
    let original_headers = parts.headers.clone();
    let extensions = parts.extensions.clone();
    let action = parts.uri.path().to_owned();

    parts
        .headers
        .insert(header::ACCEPT, HeaderValue::from_static("application/json"));
    // Through the whole router: `next` is the route that was matched (the
    // page's own, for a form posted to its page), not the function's.
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
    let next_page = answer.headers().get(header::LOCATION).cloned();
    let Some(page) = next_page.is_none().then_some(page).flatten() else {
        let location = next_page.unwrap_or_else(|| HeaderValue::from_static("/"));
        return see_other(location, &set_cookies);
    };

    let status = answer.status();
    let Ok(body) = to_bytes(answer.into_body(), 4 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let outcome = FormOutcome {
        action,
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
    response
}

fn is_plain_form_post(req: &Request) -> bool {
    let headers = req.headers();
    req.method() == Method::POST
        && !req.uri().path().starts_with("/api/")
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
        && headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| {
                ct.starts_with("application/x-www-form-urlencoded")
                    || ct.starts_with("multipart/form-data")
            })
}

fn is_urlencoded(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"))
}

/// The submitted fields to show again, without anything secret: the page
/// gets them only to refill a rejected form, and a password is never
/// written back into a page.
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

/// The path and query of the page that posted, from a Referer on this
/// site (the Referrer-Policy is `same-origin`, so a browser always sends
/// it here). Anything else is not rendered.
fn same_origin_page(headers: &HeaderMap) -> Option<Uri> {
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let url = url::Url::parse(referer).ok()?;
    let origin_host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str()?),
        None => url.host_str()?.to_owned(),
    };
    if !origin_host.eq_ignore_ascii_case(host) || url.path().starts_with(RPC_PREFIX) {
        return None;
    }
    let path_and_query = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    path_and_query.parse().ok()
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

/// The headers for rendering the page: the submitter's, as a navigation
/// (`GET`, HTML), with the cookies the function just set.
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
    if !set_cookies.is_empty() {
        let mut jar: Vec<(String, String)> = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        for set in set_cookies.iter().filter_map(|v| v.to_str().ok()) {
            let Some((name, value)) = set.split(';').next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            jar.retain(|(k, _)| k != name.trim());
            jar.push((name.trim().to_owned(), value.trim().to_owned()));
        }
        let cookie = jar
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        headers.remove(header::COOKIE);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            headers.insert(header::COOKIE, value);
        }
    }
    headers
}

fn see_other(location: HeaderValue, set_cookies: &[HeaderValue]) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    for cookie in set_cookies {
        response
            .headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
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
    fn only_a_referer_from_this_site_names_the_page_to_render() {
        let page = |referer: &str| {
            same_origin_page(&headers(&[
                (header::HOST, "care.example:3000"),
                (header::REFERER, referer),
            ]))
            .map(|uri| uri.to_string())
        };
        assert_eq!(
            page("http://care.example:3000/login?next=%2Fclinic").as_deref(),
            Some("/login?next=%2Fclinic")
        );
        assert_eq!(page("http://evil.example:3000/login"), None);
        assert_eq!(page("http://care.example/login"), None);
        assert_eq!(page("http://care.example:3000/rpc/login"), None);
        assert_eq!(page("not a url"), None);
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
        let set = [HeaderValue::from_static("id=new; Path=/; HttpOnly")];
        let page = page_headers(&original, &set);
        assert_eq!(page.get(header::COOKIE).unwrap(), "theme=dark; id=new");
        assert!(page.get(header::CONTENT_TYPE).is_none());
        assert!(page.get(header::ORIGIN).is_none());
        assert_eq!(page.get(header::ACCEPT).unwrap(), "text/html");
    }
}
