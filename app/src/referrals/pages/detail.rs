//! A referral's page (`/clinic/inbox/:id`, `/referrer/referrals/:id`): what
//! was asked, the status and how long it has waited, the ranked matches
//! with their reasons, the timeline, and the actions the viewer's side may
//! take. Refreshed while open ([`LiveRefresh`]) so the referrer sees the
//! clinic's decision without reloading.

use crate::identity::{ClinicianId, ReferralId};
use crate::referrals::{
    format_age, get_referral, AssignClinician, DeclineReason, ReferralDetail, ReferralStatus,
    ReferralStep,
};
use crate::ui::{action_error, field_error, format_datetime, ErrorSummary, SelectField, TextArea};
use crate::ui::{LiveRefresh, Loaded};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ReferralDetailPage() -> impl IntoView {
    // Read once (see the reset page): a new address makes a new page.
    let id = use_params_map()
        .with_untracked(|p| p.get("id"))
        .unwrap_or_default();
    let id = id.parse::<ReferralId>().ok();
    let step = crate::ui::server_action::<ReferralStep>();
    let assign = crate::ui::server_action::<AssignClinician>();
    let referral = Resource::new(
        || (),
        move |_| async move {
            match id {
                Some(id) => get_referral(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Referral · Carethread"/>
        <div class="page">
            {crate::ui::use_outcome().is_none().then(|| view! { <LiveRefresh secs=15 href=crate::ui::this_page()/> })}
            <Loaded resource=referral loading="Loading the referral…" ok=move |detail| view! { <Referral detail step assign/> }/>
        </div>
    }
}

#[component]
fn Referral(
    detail: ReferralDetail,
    step: ServerAction<ReferralStep>,
    assign: ServerAction<AssignClinician>,
) -> impl IntoView {
    let ReferralDetail {
        referral: r,
        as_clinic,
        clinicians,
        patient,
        visits,
        attachments,
    } = detail;
    let id = r.id.to_string();
    let status = r.status;
    let back = if as_clinic {
        ("/clinic/inbox", "Referral inbox")
    } else {
        ("/referrer", "Your referrals")
    };
    let counterpart = if as_clinic {
        format!("From {}", r.referrer)
    } else {
        r.clinic
            .clone()
            .map_or("Not routed to a clinic yet".to_owned(), |c| {
                format!("Sent to {c}")
            })
    };
    let birth = r
        .patient_birth_year
        .map(|y| format!(", born {y}"))
        .unwrap_or_default();
    view! {
        <p>
            <a href=back.0>{format!("← {}", back.1)}</a>
        </p>
        <div class="page-head">
            <h1>{format!("Referral {}", r.reference)}</h1>
            <span class=status.css() data-testid="referral-status">{status.label()}</span>
        </div>
        <p class="lede">
            {counterpart} " · received " {format_datetime(r.received_at)} " · waiting "
            <span data-testid="referral-age">{format_age(r.age_minutes)}</span>
        </p>
        <dl class="facts">
            <div><dt>"Patient"</dt><dd>{format!("{}{birth}", r.patient_initials)}</dd></div>
            <div><dt>"Home"</dt><dd>{format!("{} {}", r.zip, r.place)}</dd></div>
            <div><dt>"Diagnosis"</dt><dd>{format!("{} {}", r.diagnosis.display, r.diagnosis.description)}</dd></div>
            <div><dt>"Care"</dt><dd>{r.care_type.label()}</dd></div>
            <div><dt>"Priority"</dt><dd>{r.priority.label()}</dd></div>
            <div><dt>"Requested start"</dt><dd>{r.requested_start.to_string()}</dd></div>
            {r.assigned_clinician.clone().map(|c| view! { <div><dt>"Assigned clinician"</dt><dd data-testid="assigned">{c}</dd></div> })}
            {r.decline_reason.map(|d| view! { <div><dt>"Declined because"</dt><dd>{d.label()} {r.status_note.clone().map(|n| format!(": {n}"))}</dd></div> })}
            {(!r.notes.is_empty()).then(|| view! { <div><dt>"Notes"</dt><dd class="prewrap">{r.notes.clone()}</dd></div> })}
        </dl>

        {if as_clinic {
            let schedule_clinicians = clinicians.clone();
            view! {
                <ClinicActions id=id.clone() status step assign clinicians/>
                {patient.map(|p| view! {
                    <crate::visits::ReferralVisits
                        referral=id.clone()
                        patient=p
                        visits
                        clinicians=schedule_clinicians
                        care_type=r.care_type
                    />
                })}
            }.into_any()
        } else {
            view! { <ReferrerActions id=id.clone() status step/> }.into_any()
        }}

        <Documents id=id.clone() as_clinic open=!status.is_final() attachments/>

        <section class="section" aria-labelledby="matches-heading">
            <h2 id="matches-heading">"Matched clinicians"</h2>
            {if r.matches.is_empty() {
                view! {
                    <p class="empty">
                        "No verified clinician with a license in this state, room, and experience with this diagnosis serves this ZIP yet."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ol class="list matches" data-testid="matches">
                        {r.matches
                            .into_iter()
                            .map(|m| {
                                view! {
                                    <li class="list__item">
                                        <div>
                                            <strong>{m.name}</strong>
                                            <span class="muted">{format!(" · {}", m.discipline.label())}</span>
                                            <p class="muted">{m.explanation}</p>
                                        </div>
                                        {m.verified_at.map(|v| view! {
                                            <span class="badge badge--ok">{format!("Verified {}", format_datetime(v).split(',').take(2).collect::<Vec<_>>().join(","))}</span>
                                        })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ol>
                }
                    .into_any()
            }}
        </section>

        <section class="section" aria-labelledby="timeline-heading">
            <h2 id="timeline-heading">"Timeline"</h2>
            <ol class="timeline" data-testid="timeline">
                {r.history
                    .into_iter()
                    .map(|h| {
                        view! {
                            <li>
                                <strong>{h.to.label()}</strong>
                                <span class="muted">
                                    {format!(
                                        " · {}{}",
                                        format_datetime(h.at),
                                        h.actor.map(|a| format!(" · {a}")).unwrap_or_default(),
                                    )}
                                </span>
                                {h.reason.map(|reason| view! { <p class="muted">{reason}</p> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
    }
}

#[component]
fn ClinicActions(
    id: String,
    status: ReferralStatus,
    step: ServerAction<ReferralStep>,
    assign: ServerAction<AssignClinician>,
    clinicians: Vec<(ClinicianId, String)>,
) -> impl IntoView {
    let step_error = action_error(step.value());
    let assign_error = action_error(assign.value());
    let reason_error = field_error(step_error, "reason");
    let note_error = field_error(step_error, "note");
    let clinician_error = field_error(assign_error, "clinician_id");
    // Scheduling the first visit and signing its log move the referral
    // on (see the visits below); closing is the clinic's own step.
    let next: Option<(&'static str, &'static str)> = match status {
        ReferralStatus::FirstVisitDone => Some(("close", "Close the referral")),
        _ => None,
    };
    let can_assign = matches!(
        status,
        ReferralStatus::Accepted | ReferralStatus::Scheduled | ReferralStatus::FirstVisitDone
    );
    let clinician_options: Vec<(String, String)> = clinicians
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    view! {
        <section class="section panel" aria-labelledby="actions-heading">
            <h2 id="actions-heading">"Decide"</h2>
            <ErrorSummary error=step_error title="That change was not made"/>
            {status.awaits_triage().then(|| {
                let accept_id = id.clone();
                let decline_id = id.clone();
                view! {
                    <div class="actions-row">
                        <crate::ui::Form action=step attr:class="inline-form">
                            <input type="hidden" name="id" value=accept_id/>
                            <input type="hidden" name="action" value="accept"/>
                            <button type="submit" class="button">"Accept"</button>
                        </crate::ui::Form>
                    </div>
                    <crate::ui::Form action=step attr:class="form" attr:novalidate=true>
                        <input type="hidden" name="id" value=decline_id/>
                        <input type="hidden" name="action" value="decline"/>
                        <SelectField
                            name="reason"
                            label="Or decline, because"
                            options=DeclineReason::ALL.iter().map(|d| (d.as_str(), d.label())).collect()
                            error=reason_error
                        />
                        <TextArea
                            name="note"
                            label="Details (required for “other”)"
                            rows=2
                            error=note_error
                        />
                        <button type="submit" class="button button--danger">"Decline"</button>
                    </crate::ui::Form>
                }
            })}
            {next.map(|(action, label)| {
                let step_id = id.clone();
                view! {
                    <crate::ui::Form action=step attr:class="inline-form">
                        <input type="hidden" name="id" value=step_id/>
                        <input type="hidden" name="action" value=action/>
                        <button type="submit" class="button">{label}</button>
                    </crate::ui::Form>
                }
            })}
            {can_assign.then(|| {
                let assign_id = id.clone();
                view! {
                    <h3>"Assign a clinician"</h3>
                    <crate::ui::Form action=assign attr:class="form" attr:novalidate=true>
                        <ErrorSummary error=assign_error title="No clinician was assigned"/>
                        <input type="hidden" name="id" value=assign_id/>
                        <div class="field" class:field--invalid=move || clinician_error.with(Option::is_some)>
                            <label for="clinician_id">"Clinician"</label>
                            <select id="clinician_id" name="clinician_id">
                                <option value="">"Choose one…"</option>
                                {clinician_options
                                    .into_iter()
                                    .map(|(id, name)| view! { <option value=id>{name}</option> })
                                    .collect_view()}
                            </select>
                        </div>
                        <button type="submit" class="button">"Assign"</button>
                    </crate::ui::Form>
                }
            })}
            {status.is_final().then(|| view! { <p class="muted">"This referral is finished; nothing more to decide."</p> })}
        </section>
    }
}

#[component]
fn ReferrerActions(
    id: String,
    status: ReferralStatus,
    step: ServerAction<ReferralStep>,
) -> impl IntoView {
    let error = action_error(step.value());
    let note_error = field_error(error, "note");
    let can_cancel = status.next().contains(&ReferralStatus::Cancelled);
    can_cancel.then(|| {
        view! {
            <details class="section">
                <summary>"Cancel this referral"</summary>
                <crate::ui::Form action=step attr:class="form" attr:novalidate=true>
                    <ErrorSummary error title="The referral was not cancelled"/>
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="action" value="cancel"/>
                    <TextArea name="note" label="Why" rows=2 error=note_error/>
                    <button type="submit" class="button button--danger">"Cancel the referral"</button>
                </crate::ui::Form>
            </details>
        }
    })
}

/// The packet's documents: listed with a link each (the PDF is opened
/// through its own audited door); the referrer attaches more while the
/// referral is open.
#[component]
fn Documents(
    id: String,
    as_clinic: bool,
    open: bool,
    attachments: Vec<crate::referrals::AttachmentView>,
) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let outcome = query.with_untracked(|q| {
        if q.get("attached").is_some() {
            Some((false, "The document was attached."))
        } else {
            q.get("attach_error").map(|e| {
                (
                    true,
                    match e.as_str() {
                        "too_large" => "Not attached: a document is at most 10 MB.",
                        "empty" => "Not attached: choose a PDF file first.",
                        "finished" => "Not attached: this referral is finished.",
                        "kind" => "Not attached: say what the document is.",
                        _ => "Not attached: attach the document as a PDF.",
                    },
                )
            })
        }
    });
    let action = format!("/referrer/referrals/{id}/attachments");
    view! {
        <section class="section" aria-labelledby="documents-heading">
            <h2 id="documents-heading">"Documents"</h2>
            {outcome.map(|(error, text)| view! {
                <p class=if error { "notice field__error" } else { "notice" } role="status" data-testid="attach-outcome">{text}</p>
            })}
            {if attachments.is_empty() {
                view! {
                    <p class="empty">
                        {if as_clinic { "No documents (or not yet released: they are, once you accept)." } else { "No documents attached yet." }}
                    </p>
                }.into_any()
            } else {
                view! {
                    <ul class="list" role="list" data-testid="documents">
                        {attachments.into_iter().map(|a| {
                            let href = format!("/referrals/{id}/attachments/{}", a.id);
                            view! {
                                <li class="list__item">
                                    <a href=href>{a.kind.label()} " (PDF)"</a>
                                    <span class="muted">{format!("{} · {}", size_label(a.size_bytes), format_datetime(a.created_at))}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            {(!as_clinic && open).then(|| view! {
                <crate::ui::UploadForm action>
                    <div class="field">
                        <label for="attach-kind">"Document"</label>
                        <select id="attach-kind" name="kind">
                            {crate::referrals::AttachmentKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{k.label()}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="attach-file">"PDF file (up to 10 MB)"</label>
                        <input id="attach-file" type="file" name="file" accept="application/pdf"/>
                    </div>
                    <button type="submit" class="button button--secondary">"Attach"</button>
                </crate::ui::UploadForm>
            })}
        </section>
    }
}

/// "240 KB", "2.4 MB".
fn size_label(bytes: i32) -> String {
    if bytes < 1_048_576 {
        format!("{} KB", (bytes + 1023) / 1024)
    } else {
        format!("{:.1} MB", f64::from(bytes) / 1_048_576.0)
    }
}
