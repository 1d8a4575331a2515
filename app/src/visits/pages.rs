//! The visit pages, mobile first (360 px, one hand, 44 px targets):
//! the clinician's day (`/clinician`, what the installed app opens to),
//! a visit (`/clinician/visits/:id` for its clinician, `/clinic/visits/:id`
//! for the clinic) with each step as a plain form, and the clinic's week
//! (`/clinic/schedule`).

use super::*;
use crate::identity::VisitId;
use crate::ui::{
    action_error, field_error, format_datetime, ErrorSummary, Loaded, SelectField, TextArea,
    TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ClinicianDayPage() -> impl IntoView {
    let respond = crate::ui::server_action::<RespondToVisit>();
    let day = Resource::new(|| (), |_| get_clinician_day());
    view! {
        <Title text="Your day · Carethread"/>
        <div class="page page--narrow" data-testid="clinician-day">
            <Loaded resource=day loading="Loading your visits…" ok=move |d| day_view(d, respond)/>
        </div>
    }
}

fn day_view(d: ClinicianDay, respond: ServerAction<RespondToVisit>) -> impl IntoView {
    let error = action_error(respond.value());
    let others = d.other_clinics.clone();
    view! {
        <h1>{format!("Welcome, {}", d.name)}</h1>
        <p class="lede">{format!("Your day · visits for {}", d.clinic)}</p>
        {(!others.is_empty()).then(|| view! {
            <p class="notice">
                {format!("You also work for {}. ", others.join(", "))}
                <a href="/switch">"Switch organization"</a>
                " to see the visits it scheduled for you."
            </p>
        })}
        <ErrorSummary error title="That answer was not recorded"/>
        <section class="section" aria-labelledby="offers-heading">
            <h2 id="offers-heading">"Offers"</h2>
            {if d.offers.is_empty() {
                view! { <p class="empty">"No visits waiting for your answer."</p> }.into_any()
            } else {
                view! {
                    <ul class="list visit-list" role="list" data-testid="offers">
                        {d.offers.into_iter().map(|v| {
                            let id = v.visit.id.to_string();
                            let decline_id = id.clone();
                            view! {
                                <li class="list__item visit-card">
                                    <VisitLine v/>
                                    <div class="actions-row">
                                        <crate::ui::Form action=respond instance=format!("accept-{id}") attr:class="inline-form">
                                            <input type="hidden" name="id" value=id.clone()/>
                                            <input type="hidden" name="action" value="accept"/>
                                            <button type="submit" class="button">"Accept"</button>
                                        </crate::ui::Form>
                                        <crate::ui::Form action=respond instance=format!("decline-{decline_id}") attr:class="inline-form">
                                            <input type="hidden" name="id" value=decline_id.clone()/>
                                            <input type="hidden" name="action" value="decline"/>
                                            <button type="submit" class="button button--secondary">"Decline"</button>
                                        </crate::ui::Form>
                                    </div>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        <DayList id="today" title="Today" empty="Nothing scheduled today." visits=d.today/>
        <script src="/visit-offline.js" defer=true></script>
        <DayList id="upcoming" title="Upcoming" empty="Nothing in the next two weeks." visits=d.upcoming/>
        <ul class="tiles" role="list">
            <li class="tile">
                <a href="/clinician/profile">"Your clinician profile"</a>
                <p>"License, NPI, service area and availability."</p>
            </li>
            <li class="tile">
                <a href="/account">"Your account"</a>
                <p>"Password, sessions and sign-in history."</p>
            </li>
        </ul>
    }
}

#[component]
fn DayList(
    id: &'static str,
    title: &'static str,
    empty: &'static str,
    visits: Vec<DayVisit>,
) -> impl IntoView {
    let heading = format!("{id}-heading");
    let labelled_by = heading.clone();
    view! {
        <section class="section" aria-labelledby=labelled_by>
            <h2 id=heading>{title}</h2>
            {if visits.is_empty() {
                view! { <p class="empty">{empty}</p> }.into_any()
            } else {
                view! {
                    <ul class="list visit-list" role="list" data-testid=id>
                        {visits.into_iter().map(|v| {
                            let href = format!("/clinician/visits/{}", v.visit.id);
                            view! {
                                <li class="list__item visit-card">
                                    <VisitLine v/>
                                    <a class="button button--block" href=href>"Open visit"</a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn VisitLine(v: DayVisit) -> impl IntoView {
    let s = v.visit;
    let date = s.starts_at.date().to_string();
    view! {
        <div class="visit-card__head">
            <strong>{format!("{} · {}", date, s.times())}</strong>
            <span class=s.status.css()>{s.status.label()}</span>
        </div>
        <p>
            <strong>{s.patient_initials.clone()}</strong>
            {format!(" · {}", s.service.label())}
        </p>
        <p class="muted">{v.address.map(|a| format!("{a}, ")).unwrap_or_default()}{v.place}</p>
        <p class="muted">{format!("Tasks: {}", s.tasks.join(", "))}</p>
    }
}

fn visit_id() -> Option<VisitId> {
    use_params_map()
        .with_untracked(|p| p.get("id"))
        .and_then(|id| id.parse().ok())
}

#[component]
pub fn VisitPage() -> impl IntoView {
    let id = visit_id();
    let visit = Resource::new(
        || (),
        move |_| async move {
            match id {
                Some(id) => get_visit(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    let actions = VisitActions {
        respond: crate::ui::server_action::<RespondToVisit>(),
        check: crate::ui::server_action::<CheckVisit>(),
        sign: crate::ui::server_action::<SignVisitLog>(),
        addendum: crate::ui::server_action::<AddVisitAddendum>(),
        countersign: crate::ui::server_action::<CountersignVisitLog>(),
        cancel: crate::ui::server_action::<CancelVisit>(),
    };
    view! {
        <Title text="Visit · Carethread"/>
        <div class="page page--narrow">
            <Loaded resource=visit loading="Loading the visit…" ok=move |d| visit_view(d, actions)/>
        </div>
    }
}

#[derive(Clone, Copy)]
struct VisitActions {
    respond: ServerAction<RespondToVisit>,
    check: ServerAction<CheckVisit>,
    sign: ServerAction<SignVisitLog>,
    addendum: ServerAction<AddVisitAddendum>,
    countersign: ServerAction<CountersignVisitLog>,
    cancel: ServerAction<CancelVisit>,
}

fn visit_view(d: VisitDetail, a: VisitActions) -> impl IntoView {
    let v = d.visit.clone();
    let id = v.id.to_string();
    let back = if d.as_clinician {
        ("/clinician", "Your day")
    } else {
        ("/clinic/schedule", "Schedule")
    };
    let evv = if v.evv_complete {
        view! { <span class="badge badge--ok" data-testid="evv">"EVV complete"</span> }.into_any()
    } else if v.checked_in_at.is_some() {
        view! { <span class="badge badge--planned" data-testid="evv">"EVV incomplete"</span> }
            .into_any()
    } else {
        ().into_any()
    };
    let distance = |m: Option<i32>, e: Option<EvvException>| match (m, e) {
        (Some(m), _) => format!(" · {:.1} km from the patient's ZIP", f64::from(m) / 1000.0),
        (None, Some(e)) => format!(" · no location: {}", e.label()),
        _ => String::new(),
    };
    let check_in = v.checked_in_at.map(|t| {
        format!(
            "{}{}",
            format_datetime(t),
            distance(d.check_in_distance_m, d.check_in_exception)
        )
    });
    let check_out = v.checked_out_at.map(|t| {
        format!(
            "{}{}",
            format_datetime(t),
            distance(d.check_out_distance_m, d.check_out_exception)
        )
    });
    view! {
        <p><a href=back.0>{format!("← {}", back.1)}</a></p>
        <div class="page-head">
            <h1>{format!("Visit · {}", v.patient_initials)}</h1>
            <span class=v.status.css() data-testid="visit-status">{v.status.label()}</span>
            {evv}
        </div>
        <dl class="facts">
            <div><dt>"When"</dt><dd>{format!("{} · {}", v.starts_at.date(), v.times())} " UTC"</dd></div>
            <div><dt>"Service"</dt><dd>{v.service.label()}</dd></div>
            <div><dt>"Where"</dt><dd>{d.address.clone().map(|a| format!("{a}, ")).unwrap_or_default()}{d.place.clone()}</dd></div>
            {(!d.as_clinician).then(|| view! { <div><dt>"Patient"</dt><dd><a href=format!("/clinic/patients/{}", v.patient_id)>"Patient record"</a></dd></div> })}
            {d.phone.clone().map(|p| view! { <div><dt>"Phone"</dt><dd><a href=format!("tel:{p}")>{p.clone()}</a></dd></div> })}
            <div><dt>"Clinician"</dt><dd>{v.clinician.clone()}</dd></div>
            {check_in.map(|c| view! { <div><dt>"Checked in"</dt><dd data-testid="checked-in">{c}</dd></div> })}
            {check_out.map(|c| view! { <div><dt>"Checked out"</dt><dd data-testid="checked-out">{c}</dd></div> })}
            {d.payment.map(|(cents, state)| view! { <div><dt>"Pays"</dt><dd data-testid="visit-payment">{format!("{cents} · {}", state.label())}</dd></div> })}
        </dl>
        {d.as_clinician.then(|| clinician_steps(&d, a))}
        {(d.as_clinician && d.booked && v.checked_in_at.is_none()
            && matches!(v.status, VisitStatus::Proposed | VisitStatus::Accepted))
            .then(|| booking_cancel(id.clone(), a))}
        {(!d.as_clinician).then(|| clinic_steps(&d, a))}
        {d.log.clone().map(|log| view! { <SignedLogView log addenda=d.addenda.clone()/> })}
        {d.log.is_some().then(|| {
            let error = action_error(a.addendum.value());
            view! {
                <details class="section">
                    <summary>"Add a correction (addendum)"</summary>
                    <crate::ui::Form action=a.addendum attr:class="form" attr:novalidate=true>
                        <ErrorSummary error title="The addendum was not added"/>
                        <input type="hidden" name="id" value=id.clone()/>
                        <TextArea name="text" label="Correction" rows=3 error=field_error(error, "text")/>
                        <button type="submit" class="button">"Add addendum"</button>
                    </crate::ui::Form>
                </details>
            }
        })}
    }
}

/// The clinician cancels a visit a family booked: the family's held
/// payment is let go, and no fee is charged.
fn booking_cancel(id: String, a: VisitActions) -> impl IntoView {
    let error = action_error(a.respond.value());
    view! {
        <details class="section" data-testid="booking-cancel">
            <summary>"Cancel this booking"</summary>
            <p class="section__intro">"The payment held on the family's card is released; nothing is charged. The family sees the visit as cancelled."</p>
            <crate::ui::Form action=a.respond instance="cancel" attr:class="form">
                <ErrorSummary error title="The booking was not cancelled"/>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="action" value="cancel"/>
                <TextArea name="note" label="Reason (optional)" rows=2 error=field_error(error, "note")/>
                <button type="submit" class="button button--danger">"Cancel the booking"</button>
            </crate::ui::Form>
        </details>
    }
}

fn clinician_steps(d: &VisitDetail, a: VisitActions) -> impl IntoView {
    let v = &d.visit;
    let id = v.id.to_string();
    match v.status {
        VisitStatus::Proposed => {
            let error = action_error(a.respond.value());
            let decline_id = id.clone();
            view! {
                <section class="section panel">
                    <h2>"Will you take this visit?"</h2>
                    <ErrorSummary error title="That answer was not recorded"/>
                    <div class="actions-row">
                        <crate::ui::Form action=a.respond instance="accept" attr:class="inline-form">
                            <input type="hidden" name="id" value=id/>
                            <input type="hidden" name="action" value="accept"/>
                            <button type="submit" class="button">"Accept"</button>
                        </crate::ui::Form>
                        <crate::ui::Form action=a.respond instance="decline" attr:class="inline-form">
                            <input type="hidden" name="id" value=decline_id/>
                            <input type="hidden" name="action" value="decline"/>
                            <button type="submit" class="button button--secondary">"Decline"</button>
                        </crate::ui::Form>
                    </div>
                </section>
            }
            .into_any()
        }
        VisitStatus::Accepted | VisitStatus::InProgress => {
            // Every step is on the page; the server shows the current one.
            // With no network, /visit-offline.js keeps each step on the
            // phone and shows the next (check in, check out, sign).
            let stage = match (v.checked_in_at, v.checked_out_at) {
                (None, _) => "in",
                (Some(_), None) => "out",
                (Some(_), Some(_)) => "log",
            };
            let tasks = serde_json::to_string(&v.tasks).unwrap_or_else(|_| "[]".to_owned());
            let (out_id, log_id, root_id) = (id.clone(), id.clone(), id.clone());
            view! {
                <div data-offline-visit=root_id data-tasks=tasks>
                    <p class="notice" data-offline-status role="status" aria-live="polite" hidden=true></p>
                    <div data-step="in" hidden=stage != "in">
                        <CheckForm id=id step="in" label="Check in" action=a.check/>
                    </div>
                    <div data-step="out" hidden=stage != "out">
                        <CheckForm id=out_id step="out" label="Check out" action=a.check/>
                    </div>
                    <div data-step="log" hidden=stage != "log">
                        <LogForm id=log_id tasks=v.tasks.clone() action=a.sign/>
                    </div>
                </div>
                <script src="/visit-offline.js" defer=true></script>
                <script src="/signature-pad.js" defer=true></script>
            }
            .into_any()
        }
        _ => ().into_any(),
    }
}

/// Check-in or check-out: the device's time and location are added by the
/// page's location helper when the phone allows; otherwise the reason.
#[component]
fn CheckForm(
    id: String,
    step: &'static str,
    label: &'static str,
    action: ServerAction<CheckVisit>,
) -> impl IntoView {
    let error = action_error(action.value());
    // Both steps are on the page (the offline script moves from one to the
    // next), so each names its own control: one id, one label, per page.
    let prefix = if step == "in" { "in-" } else { "out-" };
    let exception_id = if step == "in" {
        "in-exception"
    } else {
        "out-exception"
    };
    view! {
        <section class="section panel" aria-labelledby=format!("check-{step}-heading")>
            <h2 id=format!("check-{step}-heading")>{label}</h2>
            <crate::ui::Form action attr:class="form" attr:novalidate=true attr:data-check=step>
                <ErrorSummary error title="That was not recorded" prefix/>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="step" value=step/>
                <input type="hidden" name="at" value=""/>
                <input type="hidden" name="lat" value=""/>
                <input type="hidden" name="lon" value=""/>
                <SelectField
                    name="exception"
                    id=exception_id
                    label="If the phone cannot share its location, why"
                    options=EvvException::ALL.iter().map(|e| (e.as_str(), e.label())).collect()
                    error=field_error(error, "exception")
                />
                <button type="submit" class="button button--block">{label}</button>
            </crate::ui::Form>
        </section>
    }
}

#[component]
fn LogForm(id: String, tasks: Vec<String>, action: ServerAction<SignVisitLog>) -> impl IntoView {
    let error = action_error(action.value());
    // A fresh key per rendering: a double submit of this form signs once.
    let sync_key = crate::ui::submitted("sync_key").unwrap_or_else(new_key);
    let vital = move |name: &'static str, label: &'static str, hint: &'static str| {
        view! { <TextField name label hint inputmode="decimal" error=field_error(error, name)/> }
    };
    view! {
        <section class="section panel" aria-labelledby="log-heading">
            <h2 id="log-heading">"Visit log"</h2>
            <crate::ui::Form action attr:class="form" attr:novalidate=true attr:data-log="1">
                <ErrorSummary error title="The log was not signed"/>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="sync_key" value=sync_key/>
                <fieldset class="field">
                    <legend>"Tasks"</legend>
                    {tasks.into_iter().enumerate().map(|(i, task)| {
                        let name = format!("outcomes[{i}]");
                        let reason = format!("reasons[{i}]");
                        let chosen = crate::ui::submitted(&name);
                        let message = move || error.with(|e| e.as_ref().and_then(|e| e.field_message(&format!("outcomes[{i}]")).or_else(|| e.field_message(&format!("reasons[{i}]"))).map(str::to_owned)));
                        let reason_label = format!("Why “{task}” was not done or refused");
                        view! {
                            <fieldset class="task">
                                <legend>{task}</legend>
                                {move || message().map(|m| view! { <p class="field__error">{m}</p> })}
                                <div class="segmented">
                                    {TaskOutcome::ALL.iter().map(|o| {
                                        let input_id = format!("task-{i}-{}", o.as_str());
                                        let label_for = input_id.clone();
                                        view! {
                                            <label for=label_for class="segmented__option">
                                                <input type="radio" id=input_id name=name.clone() value=o.as_str() checked=chosen.as_deref() == Some(o.as_str())/>
                                                {o.label()}
                                            </label>
                                        }
                                    }).collect_view()}
                                </div>
                                <label class="visually-hidden" for=format!("reason-{i}")>{reason_label}</label>
                                <input id=format!("reason-{i}") name=reason.clone() placeholder="Reason if not done or refused" value=crate::ui::submitted(&reason)/>
                            </fieldset>
                        }
                    }).collect_view()}
                </fieldset>
                <fieldset class="field vitals">
                    <legend>"Vitals"</legend>
                    {vital("systolic", "Blood pressure, systolic", "mmHg")}
                    {vital("diastolic", "Blood pressure, diastolic", "mmHg")}
                    {vital("pulse", "Pulse", "beats a minute")}
                    {vital("temperature", "Temperature", "°F, like 98.6")}
                    {vital("spo2", "SpO₂", "%")}
                    {vital("respirations", "Respirations", "a minute")}
                    {vital("pain", "Pain", "0 to 10")}
                </fieldset>
                <TextArea name="notes" label="Notes" rows=4 error=field_error(error, "notes")/>
                <div class="signature-pad" data-signature="patient_strokes">
                    <input type="hidden" name="patient_strokes" value=crate::ui::submitted("patient_strokes")/>
                    // Shown by /signature-pad.js: drawing needs a script; the
                    // typed name below is the signature without one.
                    <div class="signature-pad__area" hidden=true>
                        <p class="field__hint" id="pad-hint">"Patient or family member: sign with a finger, then type the name below."</p>
                        <canvas width="300" height="120" role="img" aria-label="Signature drawing area" aria-describedby="pad-hint"></canvas>
                        <button type="button" class="button button--secondary" data-clear>"Clear the drawing"</button>
                    </div>
                </div>
                <TextField name="patient_signature" label="Patient or family signature (typed name, optional)" error=field_error(error, "patient_signature")/>
                <TextField name="clinician_signature" label="Your signature (type your full name)" required=true error=field_error(error, "clinician_signature")/>
                <p class="muted">"Signing locks the log. Corrections after that are addenda, each one kept."</p>
                <button type="submit" class="button button--block">"Sign the log"</button>
            </crate::ui::Form>
        </section>
    }
}

fn new_key() -> String {
    #[cfg(feature = "ssr")]
    {
        uuid::Uuid::new_v4().to_string()
    }
    #[cfg(not(feature = "ssr"))]
    {
        String::new()
    }
}

#[component]
pub(crate) fn SignedLogView(log: SignedLog, addenda: Vec<AddendumView>) -> impl IntoView {
    let l = log.log.clone();
    let vitals = l.vitals;
    let mut vit: Vec<String> = Vec::new();
    if let (Some(s), Some(d)) = (vitals.systolic, vitals.diastolic) {
        vit.push(format!("BP {s}/{d} mmHg"));
    }
    if let Some(p) = vitals.pulse {
        vit.push(format!("pulse {p}"));
    }
    if let Some(t) = vitals.temperature() {
        vit.push(format!("{t} °F"));
    }
    if let Some(s) = vitals.spo2 {
        vit.push(format!("SpO₂ {s}%"));
    }
    if let Some(r) = vitals.respirations {
        vit.push(format!("resp {r}"));
    }
    if let Some(p) = vitals.pain {
        vit.push(format!("pain {p}/10"));
    }
    view! {
        <section class="section" aria-labelledby="signed-heading" data-testid="signed-log">
            <h2 id="signed-heading">"Signed visit log"</h2>
            <p class="muted">
                {format!("Signed by {} ({}) on {}", l.clinician_signature.name, log.signed_by, format_datetime(log.signed_at))}
            </p>
            {log.countersigned_by.clone().map(|c| view! { <p class="muted" data-testid="countersigned">{format!("Countersigned by {c}{}", log.countersigned_at.map(|t| format!(" on {}", format_datetime(t))).unwrap_or_default())}</p> })}
            <ul class="list" role="list">
                {l.tasks.into_iter().map(|t| view! {
                    <li class="list__item"><span>{t.task}</span><span class="muted">{t.outcome.label()}{t.reason.map(|r| format!(": {r}"))}</span></li>
                }).collect_view()}
            </ul>
            {(!vit.is_empty()).then(|| view! { <p>{vit.join(" · ")}</p> })}
            {(!l.notes.is_empty()).then(|| view! { <p class="prewrap">{l.notes.clone()}</p> })}
            {l.patient_signature.map(|s| {
                let path = s.path();
                view! {
                    <p class="muted">{format!("Patient or family: {}", s.name)}</p>
                    {(!path.is_empty()).then(|| view! {
                        <svg class="signature" viewBox="0 0 300 120" role="img" aria-label=format!("Signature drawn by {}", s.name) data-testid="drawn-signature">
                            <path d=path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round"/>
                        </svg>
                    })}
                }
            })}
            <p class="hash">"SHA-256 " <code data-testid="log-hash">{log.sha256.clone()}</code></p>
            {(!addenda.is_empty()).then(|| view! {
                <h3>"Addenda"</h3>
                <ol class="timeline">
                    {addenda.into_iter().map(|a| view! {
                        <li>
                            <p class="prewrap">{a.text}</p>
                            <p class="muted">{format!("{} · {} · ", a.author, format_datetime(a.at))}<code>{a.sha256}</code></p>
                        </li>
                    }).collect_view()}
                </ol>
            })}
        </section>
    }
}

fn clinic_steps(d: &VisitDetail, a: VisitActions) -> impl IntoView {
    let v = &d.visit;
    let id = v.id.to_string();
    let cancel_error = action_error(a.cancel.value());
    let countersign_error = action_error(a.countersign.value());
    let can_cancel = v.status.next().contains(&VisitStatus::Cancelled);
    let can_miss = v.status.next().contains(&VisitStatus::Missed);
    let waiting = d.log.as_ref().is_some_and(|l| l.countersigned_by.is_none());
    let (sign_id, miss_id) = (id.clone(), id.clone());
    view! {
        <section class="section panel">
            <ErrorSummary error=cancel_error title="The visit was not changed"/>
            <ErrorSummary error=countersign_error title="The log was not countersigned"/>
            {waiting.then(|| view! {
                <crate::ui::Form action=a.countersign attr:class="inline-form">
                    <input type="hidden" name="id" value=sign_id/>
                    <button type="submit" class="button">"Countersign the log"</button>
                </crate::ui::Form>
            })}
            {can_miss.then(|| view! {
                <crate::ui::Form action=a.cancel instance="missed" attr:class="inline-form">
                    <input type="hidden" name="id" value=miss_id/>
                    <input type="hidden" name="action" value="missed"/>
                    <button type="submit" class="button button--secondary">"Mark missed"</button>
                </crate::ui::Form>
            })}
            {can_cancel.then(|| view! {
                <crate::ui::Form action=a.cancel instance="cancel" attr:class="inline-form">
                    <input type="hidden" name="id" value=id/>
                    <input type="hidden" name="action" value="cancel"/>
                    <button type="submit" class="button button--danger">"Cancel the visit"</button>
                </crate::ui::Form>
            })}
        </section>
    }
}

#[component]
pub fn ClinicSchedulePage() -> impl IntoView {
    let week = use_query_map()
        .with_untracked(|q| q.get("week"))
        .unwrap_or_default();
    let data = Resource::new(move || week.clone(), get_clinic_week);
    view! {
        <Title text="Schedule · Carethread"/>
        <div class="page">
            <Loaded resource=data loading="Loading the schedule…" ok=schedule_view/>
        </div>
    }
}

fn visit_row(v: VisitSummary) -> impl IntoView {
    let href = format!("/clinic/visits/{}", v.id);
    let flags = [
        (!v.evv_complete && v.checked_in_at.is_some()).then_some("EVV incomplete"),
        v.evv_exception.then_some("EVV exception"),
        (v.signed && !v.countersigned).then_some("Awaiting countersignature"),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    view! {
        <li class="list__item">
            <span>
                <a href=href>{format!("{} {}", v.starts_at.date(), v.times())}</a>
                {format!(" · {} · {} · {}", v.patient_initials, v.service.label(), v.clinician)}
            </span>
            <span class="muted"><span class=v.status.css()>{v.status.label()}</span>" "{flags}</span>
        </li>
    }
}

fn attention(
    title: &'static str,
    id: &'static str,
    empty: &'static str,
    list: Vec<VisitSummary>,
) -> impl IntoView {
    view! {
        <section class="section" aria-labelledby=format!("{id}-heading")>
            <h2 id=format!("{id}-heading")>{title}</h2>
            {if list.is_empty() {
                view! { <p class="empty">{empty}</p> }.into_any()
            } else {
                view! { <ul class="list" role="list" data-testid=id>{list.into_iter().map(visit_row).collect_view()}</ul> }.into_any()
            }}
        </section>
    }
}

fn schedule_view(w: ClinicWeek) -> impl IntoView {
    let prev = (w.week_start - time::Duration::weeks(1)).to_string();
    let next = (w.week_start + time::Duration::weeks(1)).to_string();
    view! {
        <div class="page-head">
            <h1>"Schedule"</h1>
        </div>
        <p class="lede">
            {format!("Week of {} (UTC) · ", w.week_start)}
            <a href=format!("/clinic/schedule?week={prev}")>"← previous"</a>
            " · "
            <a href=format!("/clinic/schedule?week={next}")>"next →"</a>
        </p>
        {attention("Late or missed", "late", "No visit is late.", w.late)}
        {attention("EVV exceptions", "evv-exceptions", "No EVV exceptions.", w.evv_exceptions)}
        {attention("Logs awaiting your countersignature", "awaiting-countersign", "Nothing to countersign.", w.awaiting_countersign)}
        <section class="section" aria-labelledby="week-heading">
            <h2 id="week-heading">"This week by clinician"</h2>
            {if w.clinicians.is_empty() {
                view! { <p class="empty">"No visits this week. Schedule them from an accepted referral."</p> }.into_any()
            } else {
                w.clinicians.into_iter().map(|(name, visits)| view! {
                    <h3>{name}</h3>
                    <ul class="list" role="list" data-testid="week">{visits.into_iter().map(visit_row).collect_view()}</ul>
                }).collect_view().into_any()
            }}
        </section>
    }
}

/// On an accepted referral's page (the clinic's): the patient (packet and
/// link), the visits, and scheduling more.
#[component]
pub fn ReferralVisits(
    referral: String,
    patient: crate::patients::ReferralPatient,
    visits: Vec<VisitSummary>,
    clinicians: Vec<(crate::identity::ClinicianId, String)>,
    care_type: crate::referrals::CareType,
) -> impl IntoView {
    let link = crate::ui::server_action::<crate::patients::LinkPatient>();
    let schedule = crate::ui::server_action::<ScheduleVisits>();
    let link_error = action_error(link.value());
    let error = action_error(schedule.value());
    let linked = patient.patient_id;
    let possible = patient.possible_match.clone();
    let link_referral = referral.clone();
    view! {
        <section class="section" aria-labelledby="patient-heading">
            <h2 id="patient-heading">"Patient"</h2>
            {crate::patients::details_view(patient.details.clone())}
            {linked.map(|p| view! { <p><a href=format!("/clinic/patients/{p}") data-testid="patient-link">"Open the patient record"</a></p> })}
            {possible.map(|(existing, initials)| {
                let existing_id = existing.to_string();
                let (first, second) = (link_referral.clone(), link_referral.clone());
                view! {
                    <div class="panel" data-testid="possible-match">
                        <p>{format!("You already have a patient {initials} with this name, date of birth and ZIP. Is this the same person?")}</p>
                        <ErrorSummary error=link_error title="The referral was not linked"/>
                        <div class="actions-row">
                            <crate::ui::Form action=link instance="existing" attr:class="inline-form">
                                <input type="hidden" name="referral_id" value=first/>
                                <input type="hidden" name="choice" value=existing_id/>
                                <button type="submit" class="button">"Yes, link to that patient"</button>
                            </crate::ui::Form>
                            <crate::ui::Form action=link instance="new" attr:class="inline-form">
                                <input type="hidden" name="referral_id" value=second/>
                                <input type="hidden" name="choice" value="new"/>
                                <button type="submit" class="button button--secondary">"No, a new patient record"</button>
                            </crate::ui::Form>
                        </div>
                    </div>
                }
            })}
        </section>
        <section class="section" aria-labelledby="visits-heading">
            <h2 id="visits-heading">"Visits"</h2>
            {if visits.is_empty() {
                view! { <p class="empty">"No visits scheduled yet."</p> }.into_any()
            } else {
                view! { <ul class="list" role="list" data-testid="referral-visits">{visits.into_iter().map(visit_row).collect_view()}</ul> }.into_any()
            }}
            {linked.is_some().then(|| {
                let tasks_error = field_error(error, "tasks");
                view! {
                    <details class="panel" open=true>
                        <summary>"Schedule visits"</summary>
                        <crate::ui::Form action=schedule attr:class="form" attr:novalidate=true>
                            <ErrorSummary error title="No visit was scheduled"/>
                            <input type="hidden" name="referral_id" value=referral.clone()/>
                            <div class="field" class:field--invalid=move || field_error(error, "clinician_id").with(Option::is_some)>
                                <label for="schedule-clinician">"Clinician"</label>
                                {move || field_error(error, "clinician_id").get().map(|m| view! { <p class="field__error">{m}</p> })}
                                <select id="schedule-clinician" name="clinician_id">
                                    <option value="">"Choose one…"</option>
                                    {clinicians.into_iter().map(|(id, name)| {
                                        let id = id.to_string();
                                        let selected = crate::ui::submitted("clinician_id").as_deref() == Some(id.as_str());
                                        view! { <option value=id selected=selected>{name}</option> }
                                    }).collect_view()}
                                </select>
                            </div>
                            <TextField name="date" label="Date" input_type="date" required=true error=field_error(error, "date")/>
                            <TextField name="start" label="Starts (UTC)" input_type="time" required=true error=field_error(error, "start")/>
                            <TextField name="end" label="Ends (UTC)" input_type="time" required=true error=field_error(error, "end")/>
                            <input type="hidden" name="service" value=care_type.as_str()/>
                            <fieldset class="field" class:field--invalid=move || tasks_error.with(Option::is_some)>
                                <legend>{format!("Tasks ({})", care_type.label())}</legend>
                                {move || tasks_error.get().map(|m| view! { <p class="field__error">{m}</p> })}
                                {task_template(care_type).iter().enumerate().map(|(i, task)| {
                                    let id = format!("task-{i}");
                                    // All planned by default; as sent after a rejected post.
                                    let on = crate::ui::checked(&format!("tasks[{i}]"), true);
                                    view! {
                                        <div class="checkbox">
                                            <input type="checkbox" id=id.clone() name=format!("tasks[{i}]") value=*task checked=on/>
                                            <label for=id>{*task}</label>
                                        </div>
                                    }
                                }).collect_view()}
                            </fieldset>
                            <TextField name="weeks" label="Repeat weekly for (weeks)" input_type="number" inputmode="numeric" hint="1 for a single visit, up to 12" error=field_error(error, "weeks")/>
                            <fieldset class="field">
                                <legend>"Per-visit rate (optional)"</legend>
                                <p class="field__hint">"Clinic administrators: pay the clinician a rate for each visit. It is held on the clinic's card now and paid after the signed, EVV-complete visit log and the review window."</p>
                                <TextField name="rate" label="Rate per visit (US dollars)" inputmode="decimal" error=field_error(error, "rate")/>
                                <TextField name="card" label="Clinic's card number" autocomplete="cc-number" inputmode="numeric" error=field_error(error, "card")/>
                            </fieldset>
                            <button type="submit" class="button">"Schedule"</button>
                        </crate::ui::Form>
                    </details>
                }
            })}
        </section>
    }
}
