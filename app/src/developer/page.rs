//! `/developers`: the developer page. Anyone can get a sandbox key (by
//! email); clinic administrators, signed in, make and revoke their
//! clinic's live keys (platform administrators see and revoke every
//! organization's, and make none); and with a key in hand, anyone can try requests against the
//! API and manage webhooks: register endpoints (the secret is shown once),
//! ping them, read the delivery log with every attempt, and resend.
//!
//! The key typed here stays in the page's memory and is sent with each
//! request; the server treats it exactly like an API request's key.

use super::{
    CreateKey, DisableWebhook, KeysView, PingWebhook, RegisterWebhook, RequestSandboxKey,
    ResendWebhook, RevokeKey, TryRequest, WebhookDelivery, WebhookEndpoint,
};
use crate::auth::ErrorNotice;
use crate::ui::{action_error, field_error, format_datetime, ErrorSummary, TextField};
use leptos::html;
use leptos::prelude::*;
use leptos_meta::Title;

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

#[component]
fn SandboxKey() -> impl IntoView {
    let request = ServerAction::<RequestSandboxKey>::new();
    let error = action_error(request.value());
    let sent = move || request.value().with(|v| matches!(v, Some(Ok(()))));
    let pending = request.pending();
    view! {
        <section class="section" aria-labelledby="sandbox-heading">
            <h2 id="sandbox-heading">"Get a sandbox key"</h2>
            <p>
                "Sandbox keys see de-identified demo data, keep their referrals in a sandbox, "
                "and allow 60 requests a minute and 5,000 a day. We email the key; it is not shown here."
            </p>
            <Show when=sent>
                <p class="notice notice--success" role="status" data-testid="sandbox-sent">
                    "Your sandbox key is on its way. Check your inbox."
                </p>
            </Show>
            <ActionForm action=request attr:class="form form--inline" attr:novalidate=true>
                <ErrorSummary error title="No key was sent"/>
                <TextField
                    name="email"
                    label="Email address"
                    input_type="email"
                    autocomplete="email"
                    required=true
                    error=field_error(error, "email")
                />
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || if pending.get() { "Sending…" } else { "Email me a sandbox key" }}
                </button>
            </ActionForm>
        </section>
    }
}

/// Live keys, for administrators signed in; nothing for anyone else.
#[component]
fn LiveKeys() -> impl IntoView {
    let create = ServerAction::<CreateKey>::new();
    let revoke = ServerAction::<RevokeKey>::new();
    let keys = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| super::get_keys(),
    );
    view! {
        <Transition fallback=|| ()>
            {move || {
                keys.get()
                    .map(|result| match result {
                        Ok(Some(view)) => view! { <KeyManager view create revoke/> }.into_any(),
                        Ok(None) => {
                            view! {
                                <section class="section" aria-labelledby="live-heading">
                                    <h2 id="live-heading">"Live keys"</h2>
                                    <p>
                                        "Live keys write real referrals and receive real events. "
                                        "Clinic administrators create them here after "
                                        <a href="/login">"signing in"</a>
                                        "; a hospital's keys are made by the platform's operators."
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    })
            }}
        </Transition>
    }
}

#[component]
fn KeyManager(
    view: KeysView,
    create: ServerAction<CreateKey>,
    revoke: ServerAction<RevokeKey>,
) -> impl IntoView {
    let error = action_error(create.value());
    let revoke_error = action_error(revoke.value());
    let made = move || {
        create
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned())
    };
    let pending = create.pending();
    let KeysView {
        organization,
        platform,
        keys,
    } = view;
    let scope = if platform {
        "Keys of every organization. Platform administrators do not make keys for an organization: its administrators do, and a referring organization's come from the operator's command.".to_owned()
    } else {
        format!("Keys that act for {organization}.")
    };
    view! {
        <section class="section" aria-labelledby="live-heading">
            <h2 id="live-heading">"Live keys"</h2>
            <p>{scope} " A key is shown once, when it is made; we keep only a hash."</p>
            {move || {
                made()
                    .map(|text| {
                        view! {
                            <div class="notice notice--success" role="status" data-testid="new-key">
                                <p><strong>"Copy this key now. It will not be shown again."</strong></p>
                                <p><code class="secret">{text}</code></p>
                            </div>
                        }
                    })
            }}
            {(!platform)
                .then(|| {
                    view! {
                        <ActionForm action=create attr:class="form form--inline" attr:novalidate=true>
                            <ErrorSummary error title="No key was made"/>
                            <TextField
                                name="name"
                                label="Key name"
                                hint="What uses it, like “Epic interface engine”."
                                required=true
                                error=field_error(error, "name")
                            />
                            <button type="submit" class="button" disabled=move || pending.get()>
                                "Create live key"
                            </button>
                        </ActionForm>
                    }
                })}
            <ErrorSummary error=revoke_error title="The key was not revoked"/>
            {if keys.is_empty() {
                view! { <p class="empty">"No live keys yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-label="Live keys">
                        <table class="table" data-testid="live-keys">
                            <thead>
                                <tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Key"</th>
                                    {platform.then(|| view! { <th scope="col">"Organization"</th> })}
                                    <th scope="col">"Created"</th>
                                    <th scope="col">"Last used"</th>
                                    <th scope="col">"Status"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {keys
                                    .into_iter()
                                    .map(|k| {
                                        let id = k.id.to_string();
                                        view! {
                                            <tr>
                                                <th scope="row">{k.name}</th>
                                                <td><code>{format!("{}_…", k.prefix)}</code></td>
                                                {platform.then(|| view! { <td>{k.organization}</td> })}
                                                <td>{format_datetime(k.created_at)}</td>
                                                <td>{k.last_used_at.map_or_else(|| "Never".to_owned(), format_datetime)}</td>
                                                <td>
                                                    {match k.revoked_at {
                                                        Some(at) => view! { <span class="muted">{format!("Revoked {}", format_datetime(at))}</span> }.into_any(),
                                                        None => view! {
                                                            <AskFirst label="Revoke" question="Integrations using this key stop working at once.">
                                                                <ActionForm action=revoke attr:class="inline-form" clone:id>
                                                                    <input type="hidden" name="id" value=id.clone()/>
                                                                    <button type="submit" class="button button--danger">"Revoke key"</button>
                                                                </ActionForm>
                                                            </AskFirst>
                                                        }.into_any(),
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}

#[component]
fn KeyInput(active_key: RwSignal<String>) -> impl IntoView {
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
fn TryConsole(active_key: RwSignal<String>) -> impl IntoView {
    let send = ServerAction::<TryRequest>::new();
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
            <ActionForm action=send attr:class="form" attr:novalidate=true>
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
            </ActionForm>
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

#[component]
fn Webhooks(active_key: RwSignal<String>) -> impl IntoView {
    let register = ServerAction::<RegisterWebhook>::new();
    let disable = ServerAction::<DisableWebhook>::new();
    let error = action_error(register.value());
    let pending = register.pending();
    let endpoints = Resource::new(
        move || {
            (
                active_key.get(),
                register.version().get(),
                disable.version().get(),
            )
        },
        |(key, _, _)| async move {
            if key.is_empty() {
                Ok(Vec::new())
            } else {
                super::list_webhooks(key).await
            }
        },
    );
    let created = move || {
        register
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned())
    };
    view! {
        <div class="subsection" aria-labelledby="webhooks-heading">
            <h3 id="webhooks-heading">"Webhooks"</h3>
            <p>
                "Deliveries carry the Standard Webhooks headers ("
                <code>"webhook-id"</code>", "<code>"webhook-timestamp"</code>", "<code>"webhook-signature"</code>
                "), which any Standard Webhooks library verifies with your secret, and "
                <code>"X-Carethread-Signature: sha256=…"</code>
                ", the hex HMAC-SHA256 of the raw body keyed with the secret's text. "
                "Payloads carry ids, never patient details. Failed deliveries are retried with growing waits for about a day."
            </p>
            {move || {
                created()
                    .map(|w| {
                        view! {
                            <div class="notice notice--success" role="status" data-testid="webhook-secret">
                                <p><strong>"Endpoint registered. Copy its signing secret now; it will not be shown again."</strong></p>
                                <p><code class="secret">{w.secret}</code></p>
                            </div>
                        }
                    })
            }}
            <ActionForm action=register attr:class="form" attr:novalidate=true>
                <ErrorSummary error title="The endpoint was not registered"/>
                <input type="hidden" name="key" prop:value=move || active_key.get()/>
                <TextField
                    name="url"
                    label="Endpoint URL"
                    input_type="url"
                    hint="A public https:// address that answers 2xx within 10 seconds."
                    required=true
                    error=field_error(error, "url")
                />
                <TextField
                    name="description"
                    label="Description"
                    error=field_error(error, "description")
                />
                <fieldset class="field" aria-describedby="events-error">
                    <legend>"Events"</legend>
                    {move || {
                        field_error(error, "events")
                            .get()
                            .map(|m| view! { <p class="field__error" id="events-error">{m}</p> })
                    }}
                    {[
                        ("created", "referral.created", true),
                        ("matched", "referral.matched", true),
                        ("accepted", "referral.accepted", false),
                        ("declined", "referral.declined", false),
                        ("ping", "ping", true),
                    ]
                        .into_iter()
                        .map(|(name, label, on)| {
                            let id = format!("event-{name}");
                            view! {
                                <div class="checkbox">
                                    <input type="checkbox" id=id.clone() name=name value="on" checked=on/>
                                    <label for=id><code>{label}</code></label>
                                </div>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <button
                    type="submit"
                    class="button"
                    disabled=move || pending.get() || active_key.with(String::is_empty)
                >
                    "Register endpoint"
                </button>
            </ActionForm>
            <Transition fallback=|| view! { <p>"Loading endpoints…"</p> }>
                {move || {
                    endpoints
                        .get()
                        .map(|result| match result {
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                            Ok(list) if list.is_empty() => {
                                view! {
                                    <p class="empty">
                                        {move || if active_key.with(String::is_empty) {
                                            "Enter a key to see its endpoints."
                                        } else {
                                            "No endpoints yet."
                                        }}
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(list) => {
                                view! {
                                    <ul class="list" role="list" data-testid="endpoints">
                                        {list
                                            .into_iter()
                                            .map(|e| view! { <Endpoint endpoint=e active_key disable/> })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Transition>
        </div>
    }
}

#[component]
fn Endpoint(
    endpoint: WebhookEndpoint,
    active_key: RwSignal<String>,
    disable: ServerAction<DisableWebhook>,
) -> impl IntoView {
    let ping = ServerAction::<PingWebhook>::new();
    let resend = ServerAction::<ResendWebhook>::new();
    let refresh = RwSignal::new(0u32);
    let id = endpoint.id;
    let log = Resource::new(
        move || {
            (
                active_key.get(),
                ping.version().get(),
                resend.version().get(),
                refresh.get(),
            )
        },
        move |(key, _, _, _)| async move {
            if key.is_empty() {
                Ok(Vec::new())
            } else {
                super::webhook_deliveries(key, id).await
            }
        },
    );
    let problem = Signal::derive(move || {
        action_error(ping.value())
            .get()
            .or_else(|| action_error(resend.value()).get())
            .or_else(|| action_error(disable.value()).get())
    });
    let id_text = id.to_string();
    let (id_ping, id_disable) = (id_text.clone(), id_text.clone());
    view! {
        <li class="list__item endpoint" data-testid="endpoint">
            <div class="endpoint__head">
                <div>
                    <p><strong class="endpoint__url">{endpoint.url}</strong></p>
                    <p class="muted">
                        {endpoint.events.iter().map(|e| e.as_str()).collect::<Vec<_>>().join(", ")}
                        {(!endpoint.description.is_empty()).then(|| format!(" · {}", endpoint.description))}
                        {(!endpoint.enabled).then_some(" · disabled")}
                    </p>
                </div>
                <div class="actions">
                    <ActionForm action=ping attr:class="inline-form">
                        <input type="hidden" name="key" prop:value=move || active_key.get()/>
                        <input type="hidden" name="endpoint" value=id_ping/>
                        <button type="submit" class="button button--secondary" disabled=!endpoint.enabled>"Send ping"</button>
                    </ActionForm>
                    <button type="button" class="button button--secondary" on:click=move |_| refresh.update(|n| *n += 1)>
                        "Refresh log"
                    </button>
                    {endpoint.enabled.then(|| view! {
                        <AskFirst label="Disable" question="Nothing more is sent to this endpoint; its log stays.">
                            <ActionForm action=disable attr:class="inline-form" clone:id_disable>
                                <input type="hidden" name="key" prop:value=move || active_key.get()/>
                                <input type="hidden" name="endpoint" value=id_disable.clone()/>
                                <button type="submit" class="button button--danger">"Disable endpoint"</button>
                            </ActionForm>
                        </AskFirst>
                    })}
                </div>
            </div>
            <ErrorSummary error=problem title="That was not done"/>
            <Transition fallback=|| view! { <p>"Loading the delivery log…"</p> }>
                {move || {
                    log.get()
                        .map(|result| match result {
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                            Ok(list) => view! { <DeliveryLog list endpoint=id_text.clone() active_key resend/> }.into_any(),
                        })
                }}
            </Transition>
        </li>
    }
}

/// "14:05:09 UTC, Nov 28" from an RFC 3339 time (seconds matter here).
fn short_time(rfc3339: &str) -> String {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .map(|t| {
            let t = t.to_offset(time::UtcOffset::UTC);
            let month = t.month().to_string();
            format!(
                "{:02}:{:02}:{:02} UTC, {} {}",
                t.hour(),
                t.minute(),
                t.second(),
                &month[..3.min(month.len())],
                t.day()
            )
        })
        .unwrap_or_else(|_| rfc3339.to_owned())
}

#[component]
fn DeliveryLog(
    list: Vec<WebhookDelivery>,
    endpoint: String,
    active_key: RwSignal<String>,
    resend: ServerAction<ResendWebhook>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty">"No deliveries yet. Send a ping to try it."</p> }
            .into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label="Delivery log">
            <table class="table table--compact" data-testid="deliveries">
                <thead>
                    <tr>
                        <th scope="col">"Event"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Attempts"</th>
                        <th scope="col">"Message id"</th>
                        <th scope="col">"Filed"</th>
                        <th scope="col"><span class="visually-hidden">"Resend"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|d| {
                            let attempts = d
                                .attempts
                                .iter()
                                .map(|a| {
                                    let outcome = match (a.status_code, &a.error) {
                                        (Some(code), None) => format!("{code}"),
                                        (_, Some(e)) => e.clone(),
                                        (None, None) => "sent".to_owned(),
                                    };
                                    format!("#{} {} · {} ms · {}", a.attempt, outcome, a.duration_ms, short_time(&a.at))
                                })
                                .collect::<Vec<_>>();
                            let next = d.next_attempt_at.as_deref().map(|n| format!("next try {}", short_time(n)));
                            let (endpoint, delivery) = (endpoint.clone(), d.id.to_string());
                            view! {
                                <tr data-status=d.status.as_str()>
                                    <td><code>{d.event_type.as_str()}</code></td>
                                    <td>
                                        <span class=format!("badge badge--{}", d.status)>{d.status.as_str()}</span>
                                        {next.map(|n| view! { <span class="muted">" "{n}</span> })}
                                    </td>
                                    <td>
                                        <ul class="attempts" role="list">
                                            {attempts.into_iter().map(|a| view! { <li>{a}</li> }).collect_view()}
                                        </ul>
                                    </td>
                                    <td><code class="muted">{d.id.to_string()}</code></td>
                                    <td>{short_time(&d.created_at)}</td>
                                    <td>
                                        <ActionForm action=resend attr:class="inline-form">
                                            <input type="hidden" name="key" prop:value=move || active_key.get()/>
                                            <input type="hidden" name="endpoint" value=endpoint/>
                                            <input type="hidden" name="delivery" value=delivery/>
                                            <button type="submit" class="button button--secondary">"Resend"</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A destructive action that asks first: the button reveals the question
/// and the real form (`children`), with focus on its submit button, and a
/// way back.
#[component]
fn AskFirst(label: &'static str, question: &'static str, children: ChildrenFn) -> impl IntoView {
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
