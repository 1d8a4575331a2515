//! The webhook section: register an endpoint (its secret shown once), ping
//! or disable it, and read and resend its deliveries with every attempt.
//! On the developer page it acts with the key in use; on the clinic's
//! settings page (`via_session`) with the signed-in administrator's
//! session, each form carrying `via=session`. Server-rendered: each action
//! is a plain form, and the page comes back with its outcome.

use super::AskFirst;
use crate::developer::{
    DisableWebhook, PingWebhook, RegisterWebhook, ResendWebhook, WebhookDelivery, WebhookEndpoint,
};
use crate::ui::Loaded;
use crate::ui::{action_error, field_error, Column, DataTable, ErrorSummary, TextField};
use leptos::prelude::*;

/// The hidden field that sends a form through the session.
fn via_field(via_session: bool) -> impl IntoView {
    via_session.then(|| {
        view! { <input type="hidden" name="via" value=crate::developer::WEBHOOKS_VIA_SESSION/> }
    })
}

fn via(via_session: bool) -> String {
    if via_session {
        crate::developer::WEBHOOKS_VIA_SESSION.to_owned()
    } else {
        String::new()
    }
}

#[component]
pub(crate) fn Webhooks(
    has_key: bool,
    /// Act through the signed-in session (the settings page), not a key.
    #[prop(optional)]
    via_session: bool,
) -> impl IntoView {
    let register = crate::ui::server_action::<RegisterWebhook>();
    let error = action_error(register.value());
    let endpoints = Resource::new(
        || (),
        move |_| async move {
            if has_key {
                crate::developer::list_webhooks(String::new(), via(via_session)).await
            } else {
                Ok(Vec::new())
            }
        },
    );
    let created = register
        .value()
        .with_untracked(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned());
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
            {created
                .map(|w| {
                    view! {
                        <div class="notice notice--success" role="status" data-testid="webhook-secret">
                            <p><strong>"Endpoint registered. Copy its signing secret now; it will not be shown again."</strong></p>
                            <p><code class="secret">{w.secret}</code></p>
                        </div>
                    }
                })}
            <crate::ui::Form action=register attr:class="form" attr:novalidate=true>
                {via_field(via_session)}
                <ErrorSummary error title="The endpoint was not registered"/>
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
                        ("visit_scheduled", "visit.scheduled", false),
                        ("visit_completed", "visit.completed", false),
                        ("ping", "ping", true),
                    ]
                        .into_iter()
                        .map(|(name, label, on)| {
                            let id = format!("event-{name}");
                            view! {
                                <div class="checkbox">
                                    <input type="checkbox" id=id.clone() name=name value="on" checked=crate::ui::checked(name, on)/>
                                    <label for=id><code>{label}</code></label>
                                </div>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <button type="submit" class="button" disabled=!has_key>
                    "Register endpoint"
                </button>
            </crate::ui::Form>
            <Loaded resource=endpoints loading="Loading endpoints…" ok=move |list| endpoint_list(list, has_key, via_session)/>
        </div>
    }
}

fn endpoint_list(list: Vec<WebhookEndpoint>, has_key: bool, via_session: bool) -> impl IntoView {
    if list.is_empty() {
        view! {
            <p class="empty">
                {if has_key { "No endpoints yet." } else { "Enter a key to see its endpoints." }}
            </p>
        }
        .into_any()
    } else {
        view! {
            <ul class="list" role="list" data-testid="endpoints">
                {list
                    .into_iter()
                    .map(|e| view! { <Endpoint endpoint=e via_session/> })
                    .collect_view()}
            </ul>
        }
        .into_any()
    }
}

#[component]
fn Endpoint(endpoint: WebhookEndpoint, via_session: bool) -> impl IntoView {
    let id = endpoint.id;
    let id_text = id.to_string();
    // One set of forms per endpoint: each shows only its own outcome.
    let ping = crate::ui::server_action_in::<PingWebhook>(&id_text);
    let resend = crate::ui::server_action_in::<ResendWebhook>(&id_text);
    let disable = crate::ui::server_action_in::<DisableWebhook>(&id_text);
    let log = Resource::new(
        || (),
        move |_| crate::developer::webhook_deliveries(String::new(), via(via_session), id),
    );
    let problem = Signal::derive(move || {
        action_error(ping.value())
            .get()
            .or_else(|| action_error(resend.value()).get())
            .or_else(|| action_error(disable.value()).get())
    });
    let (id_ping, id_disable) = (id_text.clone(), id_text.clone());
    let anchor = format!("endpoint-{id_text}");
    let page = if via_session {
        "/clinic/settings"
    } else {
        "/developers"
    };
    let refresh = format!("{page}#{anchor}");
    view! {
        <li class="list__item endpoint" data-testid="endpoint" id=anchor>
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
                    <crate::ui::Form action=ping instance=id_text.clone() attr:class="inline-form">
                        {via_field(via_session)}
                        <input type="hidden" name="endpoint" value=id_ping/>
                        <button type="submit" class="button button--secondary" disabled=!endpoint.enabled>"Send ping"</button>
                    </crate::ui::Form>
                    <a class="button button--secondary" href=refresh>"Refresh log"</a>
                    {endpoint.enabled.then(|| view! {
                        <AskFirst label="Disable" question="Nothing more is sent to this endpoint; its log stays.">
                            <crate::ui::Form action=disable instance=id_disable.clone() attr:class="inline-form" clone:id_disable>
                                {via_field(via_session)}
                                <input type="hidden" name="endpoint" value=id_disable.clone()/>
                                <button type="submit" class="button button--danger">"Disable endpoint"</button>
                            </crate::ui::Form>
                        </AskFirst>
                    })}
                </div>
            </div>
            <ErrorSummary error=problem title="That was not done"/>
            <Loaded resource=log loading="Loading the delivery log…" ok=move |list| view! { <DeliveryLog list endpoint=id_text.clone() resend via_session/> }/>
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
    resend: ServerAction<ResendWebhook>,
    via_session: bool,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty">"No deliveries yet. Send a ping to try it."</p> }
            .into_any();
    }
    view! {
        <DataTable label="Delivery log" testid="deliveries" compact=true columns=[Column::from("Event"), Column::from("Status"), Column::from("Attempts"), Column::from("Message id"), Column::from("Filed"), Column::visually_hidden("Resend")]>
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
                                        <crate::ui::Form action=resend instance=endpoint.clone() attr:class="inline-form">
                                            {via_field(via_session)}
                                            <input type="hidden" name="endpoint" value=endpoint/>
                                            <input type="hidden" name="delivery" value=delivery/>
                                            <button type="submit" class="button button--secondary">"Resend"</button>
                                        </crate::ui::Form>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
    }
    .into_any()
}
