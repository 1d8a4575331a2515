//! `/developers`: the developer page. Anyone can get a sandbox key (by
//! email); clinic administrators, signed in, make and revoke their
//! clinic's live keys (platform administrators see and revoke every
//! organization's, and make none); and with a key in hand, anyone can try requests against the
//! API and manage webhooks: register endpoints (the secret is shown once),
//! ping them, read the delivery log with every attempt, and resend.
//!
//! The key typed here stays in the page's memory and is sent with each
//! request; the server treats it exactly like an API request's key. That
//! part of the page is one island ([`KeyWorkbench`]) and needs JavaScript;
//! the key forms above it are plain forms.
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
use leptos::prelude::*;
use leptos_meta::Title;
use webhooks::Webhooks;

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
                <noscript>
                    <p class="notice">
                        "Trying requests here needs JavaScript: the key you type stays in this page and is "
                        "never written into a page or an address by the server. Everything else on this page, "
                        "and the API itself (see the docs above), works without it."
                    </p>
                </noscript>
                <KeyWorkbench/>
            </section>
        </div>
    }
}

/// The key in use and everything that is done with it: the console and
/// the webhooks. One island, because the key lives only in the page's
/// memory and every form in it sends the key.
#[island]
fn KeyWorkbench() -> impl IntoView {
    // The key in use: set by "Use this key", sent by every form below.
    let active_key = RwSignal::new(String::new());
    view! {
        <KeyInput active_key/>
        <TryConsole active_key/>
        <Webhooks active_key/>
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
