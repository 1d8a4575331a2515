//! `/developers`: the developer page. Anyone can get a sandbox key (by
//! email); clinic administrators, signed in, make and revoke their
//! clinic's live keys (platform administrators see and revoke every
//! organization's, and make none); and with a key in hand, anyone can try requests against the
//! API and manage webhooks: register endpoints (the secret is shown once),
//! ping them, read the delivery log with every attempt, and resend.
//!
//! The key typed here stays in this browser session and is sent with each
//! request; the server treats it exactly like an API request's key. It is
//! kept in a session cookie, so every form here is a plain form that works
//! without JavaScript and the page ships no wasm of its own.
//!
//! This module owns the page's frame and the confirm-first button its
//! sections share; [`keys`] the sandbox and live keys, [`console`] choosing
//! a key and trying requests with it, [`webhooks`] endpoints and their
//! delivery log.

mod console;
mod keys;
mod webhooks;

use crate::developer::{key_in_use, ForgetKey, UseKey};
use crate::ui::Loaded;
use console::{KeyInput, TryConsole};
pub(crate) use keys::LiveKeys;
use keys::SandboxKey;
use leptos::prelude::*;
use leptos_meta::Title;
pub(crate) use webhooks::Webhooks;

#[component]
pub fn DeveloperPage() -> impl IntoView {
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
                <KeyWorkbench/>
            </section>
        </div>
    }
}

/// The key in use and everything that is done with it: the console and
/// the webhooks. The key is kept in a session cookie (see
/// `crate::developer::KEY_COOKIE`), so these are plain server-rendered
/// forms: no wasm, and they work without JavaScript.
#[component]
fn KeyWorkbench() -> impl IntoView {
    let use_key = crate::ui::server_action::<UseKey>();
    let forget = crate::ui::server_action::<ForgetKey>();
    let current = Resource::new(|| (), |_| key_in_use());
    view! {
        <Loaded resource=current loading="Loading…" ok=move |current| workbench(current, use_key, forget)/>
    }
}

fn workbench(
    current: Option<String>,
    use_key: ServerAction<UseKey>,
    forget: ServerAction<ForgetKey>,
) -> impl IntoView {
    let has_key = current.is_some();
    view! {
        <KeyInput current use_key forget/>
        <TryConsole has_key/>
        <Webhooks has_key/>
    }
}

/// A destructive action that asks first: a disclosure whose summary is the
/// button, opening on the question and the real form (`children`); the
/// summary closes it again. Native `<details>`, so it works without
/// JavaScript and inside or outside islands.
#[component]
pub(super) fn AskFirst(
    label: &'static str,
    question: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <details class="ask-first">
            <summary class="button button--danger">{label}</summary>
            <div class="ask-first__body" role="group" aria-label=label>
                <span class="ask-first__question">{question}</span>
                {children()}
            </div>
        </details>
    }
}
