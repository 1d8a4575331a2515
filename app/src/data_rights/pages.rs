//! `/clinic/data` (retention, legal holds, deletion requests; with
//! `?patient=ID`, that patient's hold and deletion) and
//! `/clinic/data/deletions/:id` (a request and its certificate). Plain
//! forms throughout: they work without JavaScript.

use super::api::{
    get_data_rights, get_deletion, PlaceLegalHold, ReleaseLegalHold, RequestDeletion, RunDeletion,
    SaveRetention,
};
use super::model::*;
use crate::ui::{
    action_error, field_error, format_datetime, server_action, server_action_in, DataTable,
    ErrorSummary, Form, Loaded, TextArea,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

#[component]
pub fn DataRightsPage() -> impl IntoView {
    let (patient, saved) = use_query_map().with_untracked(|q| {
        (
            q.get("patient").and_then(|p| Uuid::parse_str(&p).ok()),
            q.get("saved"),
        )
    });
    let rights = Resource::new(move || patient, get_data_rights);
    view! {
        <Title text="Data rights · Carethread"/>
        <div class="page">
            <h1>"Data rights"</h1>
            {saved.map(|_| view! { <p class="notice notice--ok" role="status" data-testid="data-saved">"Saved."</p> })}
            <Loaded resource=rights loading="Loading…" ok=rights_view/>
        </div>
    }
}

fn rights_view(d: DataRights) -> impl IntoView {
    view! {
        {d.patient.map(patient_view)}
        <RetentionSection categories=d.categories/>
        <section class="section" aria-labelledby="holds-heading">
            <h2 id="holds-heading">"Legal holds"</h2>
            {if d.holds.is_empty() {
                view! { <p class="empty">"No patient is under a legal hold."</p> }.into_any()
            } else {
                view! {
                    <ul class="list" role="list" data-testid="holds">
                        {d.holds.into_iter().map(|h| view! {
                            <li class="list__item">
                                <a href=format!("/clinic/data?patient={}", h.patient_id)>{format!("Patient {}", h.patient_initials)}</a>
                                <span class="muted">{format!("{} · {} · {}", h.reason, h.placed_by, format_datetime(h.placed_at))}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <section class="section" aria-labelledby="requests-heading">
            <h2 id="requests-heading">"Deletion requests"</h2>
            <p class="section__intro">"Carried out within 30 days of the request, or at once. Each ends with a certificate of destruction."</p>
            {if d.requests.is_empty() {
                view! { <p class="empty">"No deletion requests yet."</p> }.into_any()
            } else {
                view! {
                    <DataTable labelledby="requests-heading" testid="deletion-requests" columns=["Requested", "Scope", "State", "Due", ""]>
                        {d.requests.into_iter().map(|r| view! {
                            <tr>
                                <td>{format_datetime(r.requested_at)}</td>
                                <td>{if r.scope == "clinic" { "Whole clinic".to_owned() } else { "One patient".to_owned() }}</td>
                                <td>{state_label(&r.state)}</td>
                                <td>{format_datetime(r.due_at)}</td>
                                <td><a href=format!("/clinic/data/deletions/{}", r.id)>"Open"</a></td>
                            </tr>
                        }).collect_view()}
                    </DataTable>
                }.into_any()
            }}
        </section>
        <ClinicDeletion organization=d.organization/>
    }
}

fn state_label(state: &str) -> &'static str {
    match state {
        "pending" => "Pending",
        "completed" => "Completed",
        "blocked" => "Blocked by a legal hold",
        _ => "Unknown",
    }
}

fn patient_view(p: PatientRights) -> impl IntoView {
    let place = server_action::<PlaceLegalHold>();
    let release = server_action::<ReleaseLegalHold>();
    let request = server_action::<RequestDeletion>();
    let place_error = action_error(place.value());
    let request_error = action_error(request.value());
    let id = p.id.to_string();
    let (hold_id, delete_id) = (id.clone(), id.clone());
    let hold = match p.hold {
        Some(h) => view! {
            <p class="notice notice--warning" data-testid="hold">
                {format!("Under a legal hold since {} ({}): {}. Nothing about this patient is purged or deleted.", format_datetime(h.placed_at), h.placed_by, h.reason)}
            </p>
            <Form action=release attr:class="inline-form">
                <input type="hidden" name="id" value=h.id.to_string()/>
                <button type="submit" class="button button--secondary">"Release the hold"</button>
            </Form>
        }.into_any(),
        None => view! {
            <ErrorSummary error=place_error title="The hold was not placed"/>
            <Form action=place attr:class="form">
                <input type="hidden" name="patient_id" value=hold_id/>
                <TextArea name="reason" label="Reason for a legal hold" rows=2 error=field_error(place_error, "reason")/>
                <button type="submit" class="button button--secondary">"Place a legal hold"</button>
            </Form>
        }.into_any(),
    };
    let deletion = match p.pending {
        Some(r) => view! {
            <p data-testid="pending-request">
                {format!("Deletion requested {}; due by {}. ", format_datetime(r.requested_at), format_datetime(r.due_at))}
                <a href=format!("/clinic/data/deletions/{}", r.id)>"Open the request"</a>
            </p>
        }.into_any(),
        None => view! {
            <ErrorSummary error=request_error title="The deletion was not requested"/>
            <Form action=request attr:class="form">
                <input type="hidden" name="patient_id" value=delete_id/>
                <TextArea name="reason" label="Why (the patient's request, or another reason)" rows=2 error=field_error(request_error, "reason")/>
                <div class="field field--check">
                    <input type="checkbox" id="now" name="now" value="on"/>
                    <label for="now">"Carry it out now (otherwise within 30 days)"</label>
                </div>
                <button type="submit" class="button button--danger">"Request deletion"</button>
            </Form>
        }.into_any(),
    };
    view! {
        <section class="section panel" aria-labelledby="patient-heading" data-testid="patient-rights">
            <h2 id="patient-heading">{format!("Patient {}", p.initials)}</h2>
            <p><a href=format!("/clinic/patients/{id}")>"Back to the patient record"</a></p>
            <h3>"Legal hold"</h3>
            {hold}
            <h3>"Delete this patient's data"</h3>
            <p class="section__intro">
                "Everything the law lets us remove now is removed; what it makes us keep (signed clinical records for six years) stays until its date, and the certificate says so. A legal hold blocks deletion."
            </p>
            {deletion}
        </section>
    }
}

/// The categories, their defaults and minimums, and the clinic's own
/// retention: one small form per category.
#[component]
fn RetentionSection(categories: Vec<RetentionCategory>) -> impl IntoView {
    view! {
        <section class="section" aria-labelledby="retention-heading">
            <h2 id="retention-heading">"Retention"</h2>
            <p class="section__intro">"How long each kind of data is kept before the daily purge removes it. Never shorter than the legal minimum; patients under a legal hold are never purged."</p>
            <ul class="cards" role="list" data-testid="retention">
                {categories.into_iter().map(|c| {
                    let key = c.key.clone();
                    let (card_key, form_key, field_key) = (key.clone(), key.clone(), key.clone());
                    let save = server_action_in::<SaveRetention>(&key);
                    let error = action_error(save.value());
                    let input_id = format!("days-{key}");
                    let error_id = format!("days-{key}-error");
                    // What was typed, when this category's form was refused.
                    let value = error
                        .get_untracked()
                        .and_then(|_| crate::ui::submitted("days"))
                        .unwrap_or_else(|| c.days().to_string());
                    view! {
                        <li class="card" data-category=card_key>
                            <h3>{c.label.clone()}</h3>
                            <p>{c.holds.clone()}</p>
                            <p class="meta">
                                {format!("Default {} · legal minimum {} · in force here: {}", format_days(c.default_days), format_days(c.legal_min_days), format_days(c.days()))}
                            </p>
                            <p class="meta">{c.legal_basis.clone()}</p>
                            {if c.purged {
                                view! {
                                    <Form action=save instance=form_key attr:class="form form--inline">
                                        <input type="hidden" name="category" value=field_key/>
                                        <div class="field" class:field--invalid=move || error.with(Option::is_some)>
                                            <label for=input_id.clone()>{format!("Keep {} for (days)", c.label.to_lowercase())}</label>
                                            {move || error.get().map(|e| view! { <p class="field__error" id=error_id.clone()>{e.field_message("days").map(str::to_owned).unwrap_or_else(|| e.to_string())}</p> })}
                                            <input id=input_id.clone() name="days" inputmode="numeric" value=value.clone()/>
                                        </div>
                                        <button type="submit" class="button button--secondary">"Save"</button>
                                    </Form>
                                }.into_any()
                            } else {
                                view! { <p class="meta">"Kept for the life of the chain: audit events are never purged by the application."</p> }.into_any()
                            }}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Deleting every patient's data: typed confirmation, and a hold on any
/// patient keeps that patient.
#[component]
fn ClinicDeletion(organization: String) -> impl IntoView {
    let request = server_action_in::<RequestDeletion>("clinic");
    let error = action_error(request.value());
    view! {
        <section class="section" aria-labelledby="clinic-delete-heading">
            <h2 id="clinic-delete-heading">"Delete the whole clinic's data"</h2>
            <p class="section__intro">"For leaving Carethread. Every patient without a legal hold is deleted as far as the law allows; the certificate lists what stays and why."</p>
            <details>
                <summary>"Request clinic-wide deletion"</summary>
                <ErrorSummary error=error title="The deletion was not requested"/>
                <Form action=request instance="clinic" attr:class="form">
                    <div class="field">
                        <label for="clinic-reason">"Reason"</label>
                        <textarea id="clinic-reason" name="reason" rows="2"></textarea>
                    </div>
                    <div class="field" class:field--invalid=move || field_error(error, "confirm").with(Option::is_some)>
                        <label for="confirm">{format!("Type “{organization}” to confirm")}</label>
                        {move || field_error(error, "confirm").get().map(|m| view! { <p class="field__error" id="confirm-error">{m}</p> })}
                        <input id="confirm" name="confirm" autocomplete="off"/>
                    </div>
                    <button type="submit" class="button button--danger">"Request deletion of all patient data"</button>
                </Form>
            </details>
        </section>
    }
}

#[component]
pub fn DeletionPage() -> impl IntoView {
    let id = use_params_map()
        .with_untracked(|p| p.get("id").and_then(|id| Uuid::parse_str(&id).ok()))
        .unwrap_or_default();
    let found = Resource::new(move || id, get_deletion);
    view! {
        <Title text="Deletion request · Carethread"/>
        <div class="page page--narrow">
            <p><a href="/clinic/data">"← Data rights"</a></p>
            <h1>"Deletion request"</h1>
            <Loaded resource=found loading="Loading…" ok=deletion_view/>
        </div>
    }
}

fn deletion_view(d: DeletionCertificate) -> impl IntoView {
    let run = server_action::<RunDeletion>();
    let r = d.request;
    let id = r.id.to_string();
    let facts = view! {
        <dl class="facts">
            <div><dt>"Scope"</dt><dd>{if r.scope == "clinic" { "The whole clinic".to_owned() } else { format!("One patient ({})", r.patient_id.map(|p| p.to_string()).unwrap_or_default()) }}</dd></div>
            <div><dt>"Reason"</dt><dd>{r.reason.clone()}</dd></div>
            <div><dt>"Requested"</dt><dd>{format!("{} by {}", format_datetime(r.requested_at), r.requested_by)}</dd></div>
            <div><dt>"State"</dt><dd data-testid="deletion-state">{state_label(&r.state)}</dd></div>
        </dl>
    };
    let body = match (r.state.as_str(), d.certificate) {
        ("pending", _) => view! {
            <p>{format!("Will be carried out by {} at the latest.", format_datetime(r.due_at))}</p>
            <Form action=run attr:class="inline-form">
                <input type="hidden" name="id" value=id.clone()/>
                <button type="submit" class="button button--danger">"Carry it out now"</button>
            </Form>
        }.into_any(),
        ("blocked", _) => view! {
            <p class="notice notice--warning">"Not carried out: the patient is under a legal hold. Release the hold and request deletion again."</p>
        }.into_any(),
        (_, Some(json)) => certificate_view(&id, &json, r.certificate_sha256.unwrap_or_default()).into_any(),
        _ => ().into_any(),
    };
    view! { {facts} {body} }
}

fn certificate_view(id: &str, json: &str, sha256: String) -> impl IntoView {
    let v: serde_json::Value = serde_json::from_str(json).unwrap_or_default();
    let record = match (v["patient_record"].as_str(), v["patients_removed"].as_i64()) {
        (Some(s), _) => Some(format!("Patient record: {s}.")),
        (None, Some(removed)) => Some(format!(
            "Patient records: {removed} removed, {} kept (still needed by records the law keeps, or under a legal hold).",
            v["patients_kept"].as_i64().unwrap_or(0)
        )),
        _ => None,
    }
    .map(|text| view! { <p data-testid="patient-record">{text}</p> });
    let rows: Vec<(String, i64, i64, String)> = v["categories"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c["label"].as_str().unwrap_or_default().to_owned(),
                c["removed"].as_i64().unwrap_or(0),
                c["kept"].as_i64().unwrap_or(0),
                match (c["kept"].as_i64().unwrap_or(0), c["kept_until"].as_str()) {
                    (0, _) => String::new(),
                    (_, Some(until)) => format!(
                        "until {until}: {}",
                        c["why_kept"].as_str().unwrap_or_default()
                    ),
                    _ => c["why_kept"].as_str().unwrap_or_default().to_owned(),
                },
            )
        })
        .collect();
    view! {
        <section class="section" aria-labelledby="certificate-heading">
            <h2 id="certificate-heading">"Certificate of destruction"</h2>
            {record}
            <DataTable labelledby="certificate-heading" testid="certificate" columns=["Category", "Removed", "Kept", "Why kept"]>
                {rows.into_iter().map(|(label, removed, kept, why)| view! {
                    <tr><th scope="row">{label}</th><td>{removed}</td><td>{kept}</td><td>{why}</td></tr>
                }).collect_view()}
            </DataTable>
            <p class="meta">"SHA-256 of the certificate: " <code data-testid="certificate-sha256">{sha256}</code></p>
            <p class="actions">
                <a class="button" href=format!("/clinic/data/deletions/{id}/certificate?format=pdf") download data-testid="certificate-pdf">"Download the PDF"</a>
                <a class="button button--secondary" href=format!("/clinic/data/deletions/{id}/certificate?format=json") download data-testid="certificate-json">"Download the JSON"</a>
            </p>
        </section>
    }
}
