//! `/developers`: the developer page. Anyone can get a sandbox key (by
//! email); clinic administrators, signed in, make and revoke their
//! clinic's live keys (platform administrators see and revoke every
//! organization's, and make none); and with a key in hand, anyone can try requests against the
//! API and manage webhooks: register endpoints (the secret is shown once),
//! ping them, read the delivery log with every attempt, and resend.
//!
//! The key typed here stays in the page's memory and is sent with each
//! request; the server treats it exactly like an API request's key.
//!
//! This module owns the page's frame and the confirm-first button its
//! sections share; [`keys`] the sandbox and live keys, [`console`] choosing
//! a key and trying requests with it, [`webhooks`] endpoints and their
//! delivery log.

mod console;
mod keys;
mod webhooks;

use console::{KeyInput, TryConsole};
use keys::{LiveKeys, SandboxKey};
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;
use webhooks::Webhooks;

#[component]
pub fn DeveloperPage() -> impl IntoView {
    // The key in use: set by "Use this key", sent by every form below.
    let active_key = RwSignal::new(String::new());
    view! {
        <Title text="Developers · Carethread"/>
        <div class="page page--wide developer">
            <h1>"Developers"</h1>
            <p class="lede">
                "Search the verified clinical workforce, send discharge referrals by REST or FHIR R4, "
                "and receive signed webhooks as they move."
            </p>
            <ul class="link-row" role="list">
                <li><a href="/api/v1/docs">"Interactive API docs"</a></li>
                <li><a href="/api/v1/openapi.json">"OpenAPI 3 document"</a></li>
                <li><a href="/api/v1/fhir/metadata">"FHIR CapabilityStatement"</a></li>
            </ul>
            <SandboxKey/>
            <LiveKeys/>
            <section class="section" aria-labelledby="use-key-heading">
                <h2 id="use-key-heading">"Use your key"</h2>
                <KeyInput active_key/>
                <TryConsole active_key/>
                <Webhooks active_key/>
            </section>
        </div>
    }
}

/// A destructive action that asks first: the button reveals the question
/// and the real form (`children`), with focus on its submit button, and a
/// way back.
#[component]
pub(super) fn AskFirst(
    label: &'static str,
    question: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let group = NodeRef::<html::Div>::new();
    Effect::new(move || {
        use leptos::wasm_bindgen::JsCast;
        let submit = group
            .get()
            .and_then(|div| div.query_selector("button[type=submit]").ok().flatten())
            .and_then(|el| el.dyn_into::<leptos::web_sys::HtmlElement>().ok());
        if let Some(button) = submit {
            let _ = button.focus();
        }
    });
    view! {
        <Show
            when=move || asking.get()
            fallback=move || {
                view! {
                    <button type="button" class="button button--danger" on:click=move |_| asking.set(true)>
                        {label}
                    </button>
                }
            }
        >
            <div class="ask-first" role="group" aria-label=label node_ref=group>
                <span class="ask-first__question">{question}</span>
                {children()}
                <button type="button" class="button button--secondary" on:click=move |_| asking.set(false)>
                    "Cancel"
                </button>
            </div>
        </Show>
    }
}
