//! What a page shows instead of its content when the server said no: sign
//! in (401), not for your role (403), and the rest. The HTTP status was
//! already set by the server function that refused.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Shown for 401: nobody is signed in (or the session ended).
#[component]
pub fn SignInRequired() -> impl IntoView {
    let location = use_location();
    let href = move || {
        let here = format!("{}{}", location.pathname.get(), location.search.get());
        let here = if here.starts_with("/login") {
            "/".to_owned()
        } else {
            here
        };
        format!("/login?next={}", urlencode(&here))
    };
    view! {
        <div class="notice notice--info" data-testid="sign-in-required">
            <h1>"Please sign in"</h1>
            <p>"This page is for signed-in members. Your session may have ended after a period without activity."</p>
            <p>
                <a class="button" href=href>"Sign in"</a>
            </p>
        </div>
    }
}

/// Shown for 403: signed in, but this page is not for this role.
#[component]
pub fn ForbiddenNotice() -> impl IntoView {
    view! {
        <div class="notice notice--warning" data-testid="forbidden">
            <h1>"Not available to your role"</h1>
            <p>
                "You are signed in, but this page belongs to another role. If you act for more than one organization, you can switch from the menu."
            </p>
            <p>
                <a href="/">"Go to your dashboard"</a>
            </p>
        </div>
    }
}

/// The right notice for any error from a page's server function.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthorized => view! { <SignInRequired/> }.into_any(),
        AppError::Forbidden => view! { <ForbiddenNotice/> }.into_any(),
        AppError::NotFound => view! {
            <div class="notice notice--warning">
                <h1>"Not found"</h1>
                <p>"There is nothing here, or it is not yours to see."</p>
            </div>
        }
        .into_any(),
        other => view! {
            <div class="notice notice--error" role="alert">
                <h1>"This page could not be loaded"</h1>
                <p>{other.to_string()}</p>
            </div>
        }
        .into_any(),
    }
}

/// Percent-encodes a path for a query value.
fn urlencode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn next_paths_are_encoded() {
        assert_eq!(super::urlencode("/clinic"), "/clinic");
        assert_eq!(
            super::urlencode("/invite?token=a&b"),
            "/invite%3Ftoken%3Da%26b"
        );
    }
}
