//! [`LiveRefresh`]: keeps a server-rendered page current while it is open.
//!
//! Pages are rendered on the server, so "live" means asking for the page
//! again. The island does that every `secs` seconds, always as a `GET` of
//! the page's own address, and only while the tab is visible and nothing
//! on the page is in hand: no control focused or changed from what the
//! page arrived with, no disclosure open. Updating can be paused (WCAG
//! 2.2.2); the switch appears once the island runs. Without JavaScript it
//! is a plain "Refresh" link. Pages answering a form post do not render it
//! (the outcome shown there would be lost).

use leptos::prelude::*;

/// A "Refresh" link, and with JavaScript a refresh every `secs` seconds
/// that can be paused.
#[island]
pub fn LiveRefresh(
    /// Seconds between refreshes.
    secs: u64,
    /// The page's own address (path and query).
    href: String,
) -> impl IntoView {
    let auto = RwSignal::new(true);
    // Hidden until the island runs: without script the switch would lie.
    let running = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        running.set(true);
        let target = href.clone();
        let handle = set_interval_with_handle(
            move || {
                if auto.get_untracked() && !document().hidden() && !in_hand() {
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
            <a href=href>"Refresh"</a>
            <label class="live__auto" hidden=move || !running.get()>
                <input
                    type="checkbox"
                    checked=true
                    prop:checked=move || auto.get()
                    on:change=move |ev| auto.set(event_target_checked(&ev))
                />
                {format!(" Update every {secs} s")}
            </label>
        </p>
    }
}

/// Whether the person is in the middle of something on the page: a form
/// control focused or changed, or a disclosure open.
#[cfg(feature = "hydrate")]
fn in_hand() -> bool {
    use leptos::wasm_bindgen::JsCast;
    use web_sys::{HtmlInputElement, HtmlOptionElement, HtmlTextAreaElement};
    let document = document();
    let focused = document.active_element().is_some_and(|element| {
        matches!(element.tag_name().as_str(), "INPUT" | "SELECT" | "TEXTAREA")
    });
    if focused || matches!(document.query_selector("details[open]"), Ok(Some(_))) {
        return true;
    }
    let Ok(controls) = document.query_selector_all("form input, form textarea, form option") else {
        return false;
    };
    (0..controls.length())
        .filter_map(|i| controls.item(i))
        .any(|node| {
            if let Some(input) = node.dyn_ref::<HtmlInputElement>() {
                match input.type_().as_str() {
                    "checkbox" | "radio" => input.checked() != input.default_checked(),
                    "hidden" | "submit" | "button" => false,
                    _ => input.value() != input.default_value(),
                }
            } else if let Some(text) = node.dyn_ref::<HtmlTextAreaElement>() {
                text.default_value()
                    .is_ok_and(|saved| saved != text.value())
            } else if let Some(option) = node.dyn_ref::<HtmlOptionElement>() {
                // A list with no option marked selected shows its first:
                // that is its default, not a choice (any other option that
                // differs from its default still counts).
                let implicit_default = option.index() == 0 && option.selected();
                option.selected() != option.default_selected() && !implicit_default
            } else {
                false
            }
        })
}
