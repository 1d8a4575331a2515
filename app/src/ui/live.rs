//! [`LiveRefresh`]: keeps a server-rendered page current while it is open.
//!
//! Pages are rendered on the server, so "live" means asking for the page
//! again. The island does that every `secs` seconds, only while the tab is
//! visible and nobody is typing in a form on it, and always as a `GET` of
//! the page's own address (a page rendered as the answer to a form post
//! must never post again). Without JavaScript it is a plain link.

use leptos::prelude::*;

/// A "Refresh" link, and with JavaScript a refresh every `secs` seconds.
#[island]
pub fn LiveRefresh(
    /// Seconds between refreshes.
    secs: u64,
    /// The page's own address (path and query).
    href: String,
) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    {
        let target = href.clone();
        let handle = set_interval_with_handle(
            move || {
                let document = document();
                let typing = document.active_element().is_some_and(|element| {
                    matches!(element.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
                });
                if !document.hidden() && !typing {
                    let _ = window().location().replace(&target);
                }
            },
            std::time::Duration::from_secs(secs),
        );
        on_cleanup(move || {
            if let Ok(handle) = handle {
                handle.clear();
            }
        });
    }
    view! {
        <p class="live">
            <a href=href data-refresh-every=secs>"Refresh"</a>
        </p>
    }
}

/// The address of the page being rendered (path and query): the router's
/// on the server; in an island, where there is no router, the window's.
pub fn this_page() -> String {
    #[cfg(feature = "ssr")]
    let (path, query) = {
        let location = leptos_router::hooks::use_location();
        (
            location.pathname.get_untracked(),
            location.search.get_untracked(),
        )
    };
    #[cfg(not(feature = "ssr"))]
    let (path, query) = {
        let location = window().location();
        (
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default(),
        )
    };
    let query = query.trim_start_matches('?');
    if query.is_empty() {
        path
    } else {
        format!("{path}?{query}")
    }
}
