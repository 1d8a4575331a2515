//! The patient page (`/clinic/patients/:id`): who, how to reach them, who
//! pays, their referrals, their visits with the signed logs, and the
//! intake forms they signed.

use super::*;
use crate::identity::PatientId;
use crate::ui::{format_datetime, Loaded};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn PatientPage() -> impl IntoView {
    let id = use_params_map()
        .with_untracked(|p| p.get("id"))
        .and_then(|id| id.parse::<PatientId>().ok());
    let record = Resource::new(
        || (),
        move |_| async move {
            match id {
                Some(id) => get_patient(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    // The patient's signed intake forms: staff only (clinicians reading
    // the patient are not shown them).
    let forms = Resource::new(
        || (),
        move |_| async move {
            match id {
                Some(id) => crate::intake::get_patient_intake(id.uuid()).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    view! {
        <Title text="Patient · Carethread"/>
        <div class="page page--narrow">
            <Loaded resource=record loading="Loading the patient…" ok=patient_view/>
            <Suspense fallback=|| ()>
                {move || forms.get().and_then(Result::ok).map(|list| crate::intake::submissions_view(&list))}
            </Suspense>
        </div>
    }
}

/// The packet's facts as a definition list (also on the referral page).
pub fn details_view(d: Option<PatientDetails>) -> impl IntoView {
    match d {
        None => view! { <p class="empty">"No packet came with the referral; details to follow."</p> }.into_any(),
        Some(d) => view! {
            <dl class="facts" data-testid="packet">
                <div><dt>"Name"</dt><dd>{d.full_name}</dd></div>
                <div><dt>"Date of birth"</dt><dd>{d.birth_date.to_string()}</dd></div>
                <div><dt>"Address"</dt><dd>{d.address}</dd></div>
                <div><dt>"Phone"</dt><dd>{format_phone(&d.phone)}</dd></div>
                <div><dt>"Payer"</dt><dd>{d.payer.label()}{(!d.member_id.is_empty()).then(|| format!(" · member {}", d.member_id))}</dd></div>
                <div><dt>"Emergency contact"</dt><dd>{format!("{} · {}", d.emergency_name, format_phone(&d.emergency_phone))}</dd></div>
            </dl>
        }
        .into_any(),
    }
}

fn patient_view(p: PatientRecord) -> impl IntoView {
    let history = p.history.map(|events| history_view(p.id, events));
    view! {
        <p><a href="/clinic/inbox">"← Referral inbox"</a></p>
        <h1>{format!("Patient {}", p.initials)}</h1>
        <p class="lede">{format!("{} {}", p.zip, p.place)}</p>
        {details_view(p.details)}
        <section class="section" aria-labelledby="referrals-heading">
            <h2 id="referrals-heading">"Referrals"</h2>
            <ul class="list" role="list">
                {p.referrals.into_iter().map(|r| view! {
                    <li class="list__item">
                        <a href=format!("/clinic/inbox/{}", r.id)>{r.reference}</a>
                        <span class="muted">{format!("{} · {}", r.status.label(), format_datetime(r.received_at))}</span>
                    </li>
                }).collect_view()}
            </ul>
        </section>
        <section class="section" aria-labelledby="visits-heading">
            <h2 id="visits-heading">"Visits and signed logs"</h2>
            {if p.visits.is_empty() {
                view! { <p class="empty">"No visits yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="list" role="list" data-testid="patient-visits">
                        {p.visits.into_iter().map(|v| view! {
                            <li class="list__item">
                                <a href=format!("/clinic/visits/{}", v.id)>{format!("{} {}", v.starts_at.date(), v.times())}</a>
                                <span class="muted">{format!("{} · {}{}", v.clinician, v.status.label(), if v.signed { " · log signed" } else { "" })}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        {history}
    }
}

/// "Who viewed this patient": the record's audit events, for the clinic's
/// administrators, with the whole history a link away.
fn history_view(
    id: crate::identity::PatientId,
    events: Vec<crate::audit::AuditEventView>,
) -> impl IntoView {
    let all = format!("/clinic/audit?subject=patient%20{id}");
    view! {
        <section class="section" aria-labelledby="history-heading">
            <h2 id="history-heading">"Who viewed this record"</h2>
            <crate::ui::DataTable labelledby="history-heading" testid="patient-history" columns=["When", "Who", "What"]>
                {events.into_iter().map(|e| {
                    let what = e.action_label().to_owned();
                    view! {
                        <tr>
                            <td>{format_datetime(e.occurred_at)}</td>
                            <td>{e.actor.unwrap_or_else(|| "Not signed in".to_owned())}</td>
                            <td>{what}</td>
                        </tr>
                    }
                }).collect_view()}
            </crate::ui::DataTable>
            <p><a class="text-link" href=all>"The record's full history in the audit log"</a></p>
            <p><a class="text-link" href=format!("/clinic/data?patient={id}")>"Legal hold and deletion for this patient"</a></p>
        </section>
    }
}
