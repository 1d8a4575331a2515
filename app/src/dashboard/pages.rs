//! The dashboards. Each is a summary and the way into its role's area.

use super::{get_admin_dashboard, get_clinic_dashboard, AdminDashboard, ClinicDashboard};
use crate::error::AppError;
use crate::ui::format_datetime;
use crate::ui::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::future::Future;

/// A dashboard: loads `fetch` and shows `render` with its result, or the
/// notice for its error (sign in, forbidden, …).
#[component]
fn Dashboard<T, F, Fut, V>(title: &'static str, fetch: F, render: fn(T) -> V) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AppError>> + Send + 'static,
    V: IntoView + 'static,
{
    let data = Resource::new(|| (), move |_| fetch());
    view! {
        <Title text=format!("{title} · Carethread")/>
        <div class="page" data-testid="dashboard">
            <Loaded resource=data loading="Loading…" ok=move |value| render(value)/>
        </div>
    }
}

/// The clinic's summary and, below it, the reports over the range in the
/// address (`?from=&to=`, a GET form on the page).
#[component]
pub fn ClinicDashboardPage() -> impl IntoView {
    let range = use_query_map().with_untracked(|q| {
        (
            q.get("from").unwrap_or_default(),
            q.get("to").unwrap_or_default(),
        )
    });
    let data = Resource::new(|| (), |_| get_clinic_dashboard());
    let charts = Resource::new(
        move || range.clone(),
        |(from, to)| super::charts::get_clinic_charts(from, to),
    );
    view! {
        <Title text="Clinic dashboard · Carethread"/>
        <div class="page" data-testid="dashboard">
            <Loaded resource=data loading="Loading…" ok=clinic/>
            // The summary above already says why a page failed (signed out,
            // another role): the reports add nothing but their figures.
            <Suspense fallback=|| view! { <p class="loading" role="status">"Loading the reports…"</p> }>
                {move || Suspend::new(async move {
                    charts.await.ok().map(super::charts::charts_view)
                })}
            </Suspense>
        </div>
    }
}

fn clinic(d: ClinicDashboard) -> impl IntoView {
    let admin = d.open_invitations.is_some();
    view! {
        <h1>{d.organization}</h1>
        <p class="lede">{format!("Clinic dashboard · {}", d.role.label())}</p>
        <dl class="stats">
            <div class="stat">
                <dt>"Referrals awaiting a decision"</dt>
                <dd data-testid="awaiting-triage">{d.awaiting_triage}</dd>
            </div>
            <div class="stat">
                <dt>"Team members"</dt>
                <dd data-testid="member-count">{d.members}</dd>
            </div>
            {d.open_invitations.map(|n| view! {
                <div class="stat">
                    <dt>"Open invitations"</dt>
                    <dd>{n}</dd>
                </div>
            })}
        </dl>
        <ul class="tiles" role="list">
            <li class="tile">
                <a href="/clinic/inbox">"Referral inbox"</a>
                <p>"Accept, decline or assign the referrals sent to you."</p>
            </li>
            <li class="tile">
                <a href="/clinic/schedule">"Schedule"</a>
                <p>"The week by clinician; late visits, EVV exceptions and logs to countersign."</p>
            </li>
            <li class="tile">
                <a href="/clinic/forms">"Intake forms"</a>
                <p>"Build forms, send them to patients, review what they sign."</p>
            </li>
            <li class="tile">
                <a href="/clinic/team">"Team"</a>
                <p>{if admin { "Invite staff, change roles, remove access." } else { "Who works here." }}</p>
            </li>
            {admin.then(|| view! {
                <li class="tile">
                    <a href="/clinic/audit">"Audit log"</a>
                    <p>"Every sign-in and change, hash-chained, with a verification check."</p>
                </li>
            })}
            <li class="tile">
                <a href="/account">"Your account"</a>
                <p>"Password, sessions and sign-in history."</p>
            </li>
        </ul>
        {d.recent_events.map(|events| view! {
            <section class="section" aria-labelledby="recent-heading">
                <h2 id="recent-heading">"Recent activity"</h2>
                <ul class="list" role="list">
                    {events.into_iter().map(|e| {
                        let label = e.action_label().to_owned();
                        view! {
                            <li class="list__item">
                                <span>{label} " · " {e.actor.unwrap_or_else(|| "not signed in".to_owned())}</span>
                                <span class="muted">{format_datetime(e.occurred_at)}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

#[component]
pub fn AdminDashboardPage() -> impl IntoView {
    view! { <Dashboard title="Platform administration" fetch=get_admin_dashboard render=admin/> }
}

fn admin(d: AdminDashboard) -> impl IntoView {
    view! {
        <h1>"Platform administration"</h1>
        <dl class="stats">
            {d.organizations.into_iter().map(|(kind, n)| view! {
                <div class="stat">
                    <dt>{format!("{} organizations", kind.label())}</dt>
                    <dd>{n}</dd>
                </div>
            }).collect_view()}
            <div class="stat">
                <dt>"Accounts"</dt>
                <dd>{d.users}</dd>
            </div>
        </dl>
        <ul class="tiles" role="list">
            <li class="tile">
                <a href="/admin/organizations">"Organizations"</a>
                <p>"Add clinics and referring organizations, invite their first members."</p>
            </li>
            <li class="tile">
                <a href="/admin/audit">"Audit log"</a>
                <p>"The platform's own chain: sign-ins of families and clinicians, failed sign-ins, resets."</p>
            </li>
            <li class="tile">
                <a href="/admin/break-glass">"Break-glass access"</a>
                <p>"Read an organization's referrals for a limited time, with a reason its administrators see."</p>
            </li>
            <li class="tile">
                <a href="/admin/trust">"Trust portal content"</a>
                <p>"Certifications, subprocessors and principles; each change is announced in the public feed."</p>
            </li>
            <li class="tile">
                <a href="/admin/jobs">"Background jobs"</a>
                <p>"Mail, webhooks and housekeeping: what is queued, and failed jobs to retry."</p>
            </li>
        </ul>
        <section class="section" aria-labelledby="packets-heading">
            <h2 id="packets-heading">"Vendor-packet requests waiting"</h2>
            {if d.open_packet_requests.is_empty() {
                view! { <p class="empty">"None waiting."</p> }.into_any()
            } else {
                view! {
                    <ul class="list" role="list">
                        {d.open_packet_requests.into_iter().map(|r| view! {
                            <li class="list__item">
                                <span><strong>{r.reference}</strong> " · " {r.organization} " · " {r.packet}</span>
                                <span class="muted">{format_datetime(r.created_at)}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}
