//! The page's console: the key in use (typed once, kept in the page's
//! memory) and the "try a request" form with its example requests.

use crate::developer::TryRequest;
use crate::ui::{action_error, ErrorSummary};
use leptos::html;
use leptos::prelude::*;

/// Example requests offered in the console: (label, method, path, body).
const EXAMPLES: [(&str, &str, &str, &str); 6] = [
    (
        "Search clinicians",
        "GET",
        "/api/v1/clinicians/search?state=OH&care_type=skilled_nursing&limit=3",
        "",
    ),
    ("Look up a ZIP", "GET", "/api/v1/geo/zip/43215", ""),
    (
        "Send a referral",
        "POST",
        "/api/v1/discharge-referrals",
        r#"{
  "patient": { "initials": "JD", "birth_year": 1948 },
  "zip": "43215",
  "primary_diagnosis": "I50.9",
  "care_type": "skilled_nursing",
  "priority": "priority",
  "notes": "Daily weights."
}"#,
    ),
    (
        "FHIR ServiceRequest",
        "POST",
        "/api/v1/fhir/ServiceRequest",
        r##"{
  "resourceType": "ServiceRequest",
  "status": "active",
  "intent": "order",
  "subject": { "reference": "#p1" },
  "contained": [{ "resourceType": "Patient", "id": "p1",
                  "name": [{ "given": ["Jane"], "family": "Doe" }],
                  "address": [{ "postalCode": "43215" }] }],
  "priority": "urgent",
  "reasonCode": [{ "coding": [{ "system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I50.9" }] }]
}"##,
    ),
    (
        "FHIR search",
        "GET",
        "/api/v1/fhir/ServiceRequest?_count=5",
        "",
    ),
    ("FHIR capabilities", "GET", "/api/v1/fhir/metadata", ""),
];

#[component]
pub(super) fn KeyInput(active_key: RwSignal<String>) -> impl IntoView {
    let input = NodeRef::<html::Input>::new();
    let use_key = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(el) = input.get() {
            active_key.set(el.value().trim().to_owned());
        }
    };
    let in_use = move || {
        let k = active_key.get();
        (!k.is_empty()).then(|| {
            let shown: String = k.chars().take(20).collect();
            format!("Using {shown}…")
        })
    };
    view! {
        <form class="form form--inline" on:submit=use_key>
            <div class="field">
                <label for="key">"API key"</label>
                <p class="field__hint" id="key-hint">
                    "A sandbox or live key. It stays in this page and is sent with each request."
                </p>
                <input
                    id="key"
                    type="password"
                    autocomplete="off"
                    spellcheck="false"
                    aria-describedby="key-hint"
                    node_ref=input
                />
            </div>
            <button type="submit" class="button">"Use this key"</button>
            <p class="muted" role="status" data-testid="key-in-use">{in_use}</p>
        </form>
    }
}

#[component]
pub(super) fn TryConsole(active_key: RwSignal<String>) -> impl IntoView {
    let send = crate::ui::server_action::<TryRequest>();
    let error = action_error(send.value());
    let pending = send.pending();
    let method = RwSignal::new("GET".to_owned());
    let path = RwSignal::new(EXAMPLES[0].2.to_owned());
    let body = RwSignal::new(String::new());
    let result = move || {
        send.value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned())
    };
    view! {
        <div class="subsection" aria-labelledby="try-heading">
            <h3 id="try-heading">"Try a request"</h3>
            <div class="chips" role="group" aria-label="Examples">
                {EXAMPLES
                    .iter()
                    .map(|(label, m, p, b)| {
                        view! {
                            <button
                                type="button"
                                class="chip"
                                on:click=move |_| {
                                    method.set((*m).to_owned());
                                    path.set((*p).to_owned());
                                    body.set((*b).to_owned());
                                }
                            >
                                {*label}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <crate::ui::Form action=send attr:class="form" attr:novalidate=true>
                <ErrorSummary error title="The request was not sent"/>
                <input type="hidden" name="key" prop:value=move || active_key.get()/>
                <div class="request-line">
                    <div class="field">
                        <label for="method">"Method"</label>
                        <select
                            id="method"
                            name="method"
                            prop:value=move || method.get()
                            on:change=move |ev| method.set(event_target_value(&ev))
                        >
                            <option value="GET">"GET"</option>
                            <option value="POST">"POST"</option>
                            <option value="DELETE">"DELETE"</option>
                        </select>
                    </div>
                    <div class="field field--grow">
                        <label for="path">"Path"</label>
                        <input
                            id="path"
                            name="path"
                            type="text"
                            spellcheck="false"
                            prop:value=move || path.get()
                            on:input=move |ev| path.set(event_target_value(&ev))
                        />
                    </div>
                </div>
                <div class="field">
                    <label for="body">"JSON body (POST)"</label>
                    <textarea
                        id="body"
                        name="body"
                        rows="8"
                        spellcheck="false"
                        class="code"
                        prop:value=move || body.get()
                        on:input=move |ev| body.set(event_target_value(&ev))
                    ></textarea>
                </div>
                <button
                    type="submit"
                    class="button"
                    disabled=move || pending.get() || active_key.with(String::is_empty)
                >
                    {move || if pending.get() { "Sending…" } else { "Send request" }}
                </button>
                <Show when=move || active_key.with(String::is_empty)>
                    <p class="muted">"Enter a key above to send requests."</p>
                </Show>
            </crate::ui::Form>
            {move || {
                result()
                    .map(|r| {
                        let ok = r.status < 400;
                        view! {
                            <div class="response" data-testid="try-response" aria-live="polite">
                                <p class="response__status" class:response__status--error=!ok>
                                    <code>{format!("{} {}", r.method, r.path)}</code>
                                    " → "
                                    <strong data-testid="try-status">{format!("{} {}", r.status, r.reason)}</strong>
                                </p>
                                <dl class="response__headers">
                                    {r.headers
                                        .into_iter()
                                        .map(|(n, v)| view! { <dt>{n}</dt><dd>{v}</dd> })
                                        .collect_view()}
                                </dl>
                                <pre class="code" tabindex="0" data-testid="try-body">{r.body}</pre>
                            </div>
                        }
                    })
            }}
        </div>
    }
}
