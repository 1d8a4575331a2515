//! `/admin/trust`: platform administrators edit the trust portal's content.
//!
//! The page lists the three kinds of item with an edit link and a remove
//! button each; `?add=KIND` or `?edit=KIND:ID` shows the one form for that
//! item instead (one form on the page, so its controls' ids are unique and
//! a rejected post refills it). Saving returns to the list with a notice.

use super::edit::{
    get_trust_admin, RemoveTrustItem, SaveCertification, SavePrinciple, SaveSubprocessor,
    NOTICE_DAYS,
};
use super::model::{format_date, CertificationStatus, TrustPortal};
use crate::ui::{
    action_error, checked, field_error, format_datetime, server_action, server_action_in,
    ErrorSummary, Form, Loaded, SelectField, TextArea, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// What the address asks the page to show.
#[derive(Debug, Clone, PartialEq, Eq)]
enum View {
    List { saved: Option<String> },
    Add(String),
    Edit(String, String),
}

#[component]
pub fn TrustAdminPage() -> impl IntoView {
    let view = use_query_map().with_untracked(|q| {
        if let Some(kind) = q.get("add") {
            View::Add(kind)
        } else if let Some((kind, id)) = q
            .get("edit")
            .and_then(|e| e.split_once(':').map(|(k, i)| (k.to_owned(), i.to_owned())))
        {
            View::Edit(kind, id)
        } else {
            View::List {
                saved: q.get("saved"),
            }
        }
    });
    let portal = Resource::new(|| (), |_| get_trust_admin());
    view! {
        <Title text="Trust portal content · Carethread"/>
        <div class="page">
            <h1>"Trust portal content"</h1>
            <Loaded resource=portal loading="Loading the portal's content…" ok=move |portal| {
                let view = view.clone();
                view! { <AdminBody portal view/> }
            }/>
        </div>
    }
}

#[component]
fn AdminBody(portal: TrustPortal, view: View) -> impl IntoView {
    let summary = view! {
        <p class="meta" data-testid="trust-admin-summary">
            "Last reviewed "
            <time datetime=portal.last_reviewed.to_string() data-testid="admin-last-reviewed">
                {format_date(portal.last_reviewed)}
            </time>
            {format!(
                " · {} subprocessors, {} BAAs signed, {} touch PHI · ",
                portal.counts.subprocessors, portal.counts.baas_signed, portal.counts.phi_touching,
            )}
            <a class="text-link" href="/trust">"See the public page"</a>
        </p>
    };
    let body = match view {
        View::List { saved } => list_view(portal, saved).into_any(),
        View::Add(kind) => form_view(&portal, &kind, None).into_any(),
        View::Edit(kind, id) => form_view(&portal, &kind, Some(id)).into_any(),
    };
    view! { {summary} {body} }
}

fn list_view(portal: TrustPortal, saved: Option<String>) -> impl IntoView {
    let notice = saved.map(|what| {
        let text = match what.as_str() {
            "removed" => "Removed. The change feed and the last-reviewed date are updated.",
            _ => "Saved. The change feed and the last-reviewed date are updated.",
        };
        view! { <p class="notice notice--ok" role="status" data-testid="trust-saved">{text}</p> }
    });
    // One form per item, told apart by `instance`; a refusal (the item was
    // already gone) shows beside its button.
    let remove_button = move |kind: &'static str, id: String, name: String| {
        let instance = format!("{kind}:{id}");
        let remove = server_action_in::<RemoveTrustItem>(&instance);
        let error = action_error(remove.value());
        view! {
            <Form action=remove instance=instance attr:class="inline-form">
                <input type="hidden" name="kind" value=kind/>
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="button button--quiet" aria-label=format!("Remove {name}")>
                    "Remove"
                </button>
                {move || error.get().map(|e| view! { <span class="field__error" role="alert">{e.to_string()}</span> })}
            </Form>
        }
    };
    view! {
        {notice}
        <section class="section" aria-labelledby="subprocessors-heading">
            <h2 id="subprocessors-heading">"Subprocessors"</h2>
            <p><a class="button" href="/admin/trust?add=subprocessor">"Add a subprocessor"</a></p>
            <ul class="list" role="list" data-testid="admin-subprocessors">
                {portal.subprocessors.into_iter().map(|s| {
                    let id = s.id.to_string();
                    view! {
                        <li class="card">
                            <p><strong>{s.vendor.clone()}</strong>{format!(" · {} · {}", s.purpose, s.region)}</p>
                            <p class="meta">
                                {if s.touches_phi { "May receive PHI (BAA signed)" } else if s.baa_signed { "No PHI (BAA signed)" } else { "No PHI" }}
                                {format!(" · from {}", format_date(s.starts_on))}
                            </p>
                            <p class="actions">
                                <a class="text-link" href=format!("/admin/trust?edit=subprocessor:{id}")
                                   aria-label=format!("Edit {}", s.vendor)>"Edit"</a>
                                {remove_button("subprocessor", id.clone(), s.vendor.clone())}
                            </p>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
        <section class="section" aria-labelledby="certifications-heading">
            <h2 id="certifications-heading">"Certifications"</h2>
            <p><a class="button" href="/admin/trust?add=certification">"Add a certification"</a></p>
            <ul class="list" role="list">
                {portal.certifications.into_iter().map(|c| {
                    let id = c.id.to_string();
                    let date = c.status_date.map(|d| format!(" ({})", format_date(d))).unwrap_or_default();
                    view! {
                        <li class="card">
                            <p><strong>{c.name.clone()}</strong>{format!(" · {}{date}", c.status.label())}</p>
                            <p class="actions">
                                <a class="text-link" href=format!("/admin/trust?edit=certification:{id}")
                                   aria-label=format!("Edit {}", c.name)>"Edit"</a>
                                {remove_button("certification", id.clone(), c.name.clone())}
                            </p>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
        <section class="section" aria-labelledby="principles-heading">
            <h2 id="principles-heading">"Data principles"</h2>
            <p><a class="button" href="/admin/trust?add=principle">"Add a principle"</a></p>
            <ul class="list" role="list">
                {portal.principles.into_iter().map(|p| {
                    let id = p.id.to_string();
                    view! {
                        <li class="card">
                            <p><strong>{p.title.clone()}</strong></p>
                            <p class="actions">
                                <a class="text-link" href=format!("/admin/trust?edit=principle:{id}")
                                   aria-label=format!("Edit {}", p.title)>"Edit"</a>
                                {remove_button("principle", id.clone(), p.title.clone())}
                            </p>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
        <section class="section" aria-labelledby="changes-heading">
            <h2 id="changes-heading">"Change feed"</h2>
            <p class="meta">
                "What customers see at "
                <a class="text-link" href="/trust/feed.atom">"the Atom feed"</a>
                " and in "
                <a class="text-link" href="/trust.json">"trust.json"</a>
                "."
            </p>
            <ul class="list" role="list" data-testid="admin-changes">
                {portal.changes.into_iter().map(|c| view! {
                    <li>{format!("{} · {}", format_datetime(c.occurred_at), c.summary)}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}

fn form_view(portal: &TrustPortal, kind: &str, id: Option<String>) -> impl IntoView {
    let cancel = view! { <p><a class="text-link" href="/admin/trust">"Back to the list without saving"</a></p> };
    let found = |found: bool| id.is_none() || found;
    let body = match kind {
        "subprocessor" => {
            let s = id.as_ref().and_then(|id| {
                portal
                    .subprocessors
                    .iter()
                    .find(|s| s.id.to_string() == *id)
                    .cloned()
            });
            found(s.is_some()).then(|| subprocessor_form(id.clone(), s).into_any())
        }
        "certification" => {
            let c = id.as_ref().and_then(|id| {
                portal
                    .certifications
                    .iter()
                    .find(|c| c.id.to_string() == *id)
                    .cloned()
            });
            found(c.is_some()).then(|| certification_form(id.clone(), c).into_any())
        }
        "principle" => {
            let p = id.as_ref().and_then(|id| {
                portal
                    .principles
                    .iter()
                    .find(|p| p.id.to_string() == *id)
                    .cloned()
            });
            found(p.is_some()).then(|| principle_form(id.clone(), p).into_any())
        }
        _ => None,
    };
    let body = body.unwrap_or_else(|| {
        view! { <p class="notice notice--error" role="alert">"There is no such item; it may have been removed."</p> }
            .into_any()
    });
    view! { {body} {cancel} }
}

/// Kept beside [`NOTICE_DAYS`]: the hint states the rule the server checks.
const NEW_VENDOR_HINT: &str = "The day it starts receiving data (YYYY-MM-DD): at least 30 days from today, so customers hear of it first.";
const _: () = assert!(NOTICE_DAYS == 30, "update NEW_VENDOR_HINT");

fn subprocessor_form(id: Option<String>, s: Option<super::Subprocessor>) -> impl IntoView {
    let save = server_action::<SaveSubprocessor>();
    let error = action_error(save.value());
    let heading = if s.is_some() {
        "Change a subprocessor"
    } else {
        "Add a subprocessor"
    };
    let baa = checked("baa_signed", s.as_ref().is_some_and(|s| s.baa_signed));
    let phi = checked("touches_phi", s.as_ref().is_some_and(|s| s.touches_phi));
    let hint: &'static str = if s.is_some() {
        "The day it starts receiving data (YYYY-MM-DD)."
    } else {
        NEW_VENDOR_HINT
    };
    view! {
        <h2>{heading}</h2>
        <ErrorSummary error=error title="The subprocessor was not saved"/>
        <Form action=save attr:class="form">
            <input type="hidden" name="id" value=id.unwrap_or_default()/>
            <TextField name="vendor" label="Vendor" required=true error=field_error(error, "vendor")
                value=s.as_ref().map(|s| s.vendor.clone())/>
            <TextField name="purpose" label="Purpose" required=true error=field_error(error, "purpose")
                value=s.as_ref().map(|s| s.purpose.clone())/>
            <TextField name="region" label="Region" required=true error=field_error(error, "region")
                value=s.as_ref().map(|s| s.region.clone())/>
            <div class="field field--check">
                <input type="checkbox" id="baa_signed" name="baa_signed" value="on" checked=baa/>
                <label for="baa_signed">"A BAA is signed"</label>
            </div>
            <TextField name="baa_note" label="BAA note (optional)" error=field_error(error, "baa_note")
                value=s.as_ref().and_then(|s| s.baa_note.clone())/>
            <div class="field field--check" class:field--invalid=move || field_error(error, "touches_phi").with(Option::is_some)>
                <p class="field__error" id="touches_phi-error">{move || field_error(error, "touches_phi").get()}</p>
                <input type="checkbox" id="touches_phi" name="touches_phi" value="on" checked=phi
                    aria-describedby="touches_phi-error"/>
                <label for="touches_phi">"May receive PHI"</label>
            </div>
            <TextField name="phi_note" label="PHI note (optional)" error=field_error(error, "phi_note")
                value=s.as_ref().and_then(|s| s.phi_note.clone())/>
            <TextField name="starts_on" label="Starts on" input_type="date" required=true hint=hint
                error=field_error(error, "starts_on") value=s.as_ref().map(|s| s.starts_on.to_string())/>
            <button type="submit" class="button">"Save and announce"</button>
        </Form>
    }
}

fn certification_form(id: Option<String>, c: Option<super::Certification>) -> impl IntoView {
    let save = server_action::<SaveCertification>();
    let error = action_error(save.value());
    let heading = if c.is_some() {
        "Change a certification"
    } else {
        "Add a certification"
    };
    let options: Vec<(&'static str, &'static str)> = CertificationStatus::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect();
    view! {
        <h2>{heading}</h2>
        <ErrorSummary error=error title="The certification was not saved"/>
        <Form action=save attr:class="form">
            <input type="hidden" name="id" value=id.unwrap_or_default()/>
            <TextField name="name" label="Name" required=true error=field_error(error, "name")
                value=c.as_ref().map(|c| c.name.clone())/>
            <SelectField name="status" label="Where it stands" options required=true
                error=field_error(error, "status") selected=c.as_ref().map(|c| c.status.as_str())/>
            <TextField name="status_date" label="Date (attained, booked or expected)" input_type="date"
                hint="Required when scheduled." error=field_error(error, "status_date")
                value=c.as_ref().and_then(|c| c.status_date.map(|d| d.to_string()))/>
            <TextArea name="scope" label="Scope" rows=3 error=field_error(error, "scope")
                value=c.as_ref().map(|c| c.scope.clone())/>
            <TextArea name="detail" label="Detail" rows=3 error=field_error(error, "detail")
                value=c.as_ref().map(|c| c.detail.clone())/>
            <button type="submit" class="button">"Save"</button>
        </Form>
    }
}

fn principle_form(id: Option<String>, p: Option<super::DataPrinciple>) -> impl IntoView {
    let save = server_action::<SavePrinciple>();
    let error = action_error(save.value());
    let heading = if p.is_some() {
        "Reword a data principle"
    } else {
        "Add a data principle"
    };
    view! {
        <h2>{heading}</h2>
        <ErrorSummary error=error title="The principle was not saved"/>
        <Form action=save attr:class="form">
            <input type="hidden" name="id" value=id.unwrap_or_default()/>
            <TextField name="title" label="Title" required=true error=field_error(error, "title")
                value=p.as_ref().map(|p| p.title.clone())/>
            <TextArea name="body" label="Text" rows=4 error=field_error(error, "body")
                value=p.as_ref().map(|p| p.body.clone())/>
            <button type="submit" class="button">"Save"</button>
        </Form>
    }
}
