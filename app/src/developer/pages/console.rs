//! The page's console: the key in use (typed once, kept in a session
//! cookie, see `crate::developer::KEY_COOKIE`) and the "try a request"
//! form with its example requests. Plain forms and links throughout.

use crate::developer::{ForgetKey, TryRequest, UseKey};
use crate::ui::{action_error, field_error, use_outcome, ErrorSummary};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_query_map;

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

/// The key form, or the key in use with a way to forget it.
#[component]
pub(super) fn KeyInput(
    current: Option<String>,
    use_key: ServerAction<UseKey>,
    forget: ServerAction<ForgetKey>,
) -> impl IntoView {
    let error = action_error(use_key.value());
    let key_error = field_error(error, "key");
    view! {
        <crate::ui::Form action=use_key attr:class="form form--inline" attr:novalidate=true>
            <div class="field" class:field--invalid=move || key_error.with(Option::is_some)>
                <label for="key">"API key"</label>
                <p class="field__hint" id="key-hint">
                    "A sandbox or live key. It is kept for this browser session only and sent with each request."
                </p>
                {move || key_error.get().map(|m| view! {
                    <p class="field__error" id="key-error">
                        <span class="visually-hidden">"Error: "</span>
                        {m}
                    </p>
                })}
                <input
                    id="key"
                    name="key"
                    type="password"
                    autocomplete="off"
                    spellcheck="false"
                    aria-invalid=move || key_error.with(Option::is_some).then_some("true")
                    aria-describedby=move || if key_error.with(Option::is_some) { "key-hint key-error" } else { "key-hint" }
                />
            </div>
            <button type="submit" class="button">"Use this key"</button>
        </crate::ui::Form>
        <div class="key-in-use">
            <p class="muted" role="status" data-testid="key-in-use">
                {current.clone().map(|shown| format!("Using {shown}"))}
            </p>
            {current.map(|_| view! {
                <crate::ui::Form action=forget attr:class="inline-form">
                    <button type="submit" class="button button--secondary">"Forget this key"</button>
                </crate::ui::Form>
            })}
        </div>
    }
}

/// The request the console starts with: the one that was just sent (so it
/// can be changed and sent again), else the example named in the address
/// (`?example=N`), else the first example.
fn starting_request() -> (String, String, String) {
    if let Some(outcome) = use_outcome().filter(|o| o.action == <TryRequest as ServerFn>::PATH) {
        let field = |name: &str| outcome.field(name).unwrap_or_default().to_owned();
        return (field("method"), field("path"), field("body"));
    }
    let chosen = use_query_map()
        .with_untracked(|q| q.get("example"))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| *n < EXAMPLES.len())
        .unwrap_or(0);
    let (_, method, path, body) = EXAMPLES[chosen];
    (method.to_owned(), path.to_owned(), body.to_owned())
}

#[component]
pub(super) fn TryConsole(has_key: bool) -> impl IntoView {
    let send = crate::ui::server_action::<TryRequest>();
    let error = action_error(send.value());
    let (method, path, body) = starting_request();
    let result = send
        .value()
        .with_untracked(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned());
    view! {
        <div class="subsection" aria-labelledby="try-heading">
            <h3 id="try-heading">"Try a request"</h3>
            <ul class="chips" role="list" aria-label="Examples">
                {EXAMPLES
                    .iter()
                    .enumerate()
                    .map(|(n, (label, _, _, _))| {
                        view! {
                            <li>
                                <a class="chip" href=format!("/developers?example={n}#try-heading")>{*label}</a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <crate::ui::Form action=send attr:class="form" attr:novalidate=true>
                <ErrorSummary error title="The request was not sent"/>
                <div class="request-line">
                    <div class="field">
                        <label for="method">"Method"</label>
                        <select id="method" name="method">
                            {["GET", "POST", "DELETE"]
                                .into_iter()
                                .map(|m| view! { <option value=m selected=method == m>{m}</option> })
                                .collect_view()}
                        </select>
                    </div>
                    <div class="field field--grow">
                        <label for="path">"Path"</label>
                        <input id="path" name="path" type="text" spellcheck="false" value=path/>
                    </div>
                </div>
                <div class="field">
                    <label for="body">"JSON body (POST)"</label>
                    <textarea id="body" name="body" rows="8" spellcheck="false" class="code">
                        {body}
                    </textarea>
                </div>
                <button type="submit" class="button" disabled=!has_key>
                    "Send request"
                </button>
                {(!has_key).then(|| view! { <p class="muted">"Enter a key above to send requests."</p> })}
            </crate::ui::Form>
            {result
                .map(|r| {
                    let ok = r.status < 400;
                    view! {
                        <div class="response" data-testid="try-response">
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
                })}
        </div>
    }
}
