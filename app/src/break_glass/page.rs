//! `/admin/break-glass`: a platform administrator chooses an organization
//! (a plain GET form, so it works without JavaScript), opens a grant with a
//! reason and a duration, and then reads that organization's referrals
//! while the grant lasts. Every read is audited in the organization's own
//! chain; nothing here can change a referral.

use super::{
    break_glass_options, break_glass_referral, break_glass_referrals, BreakGlassGrantView,
    OpenBreakGlass, DEFAULT_MINUTES, MAX_MINUTES, MIN_MINUTES,
};
use crate::auth::ErrorNotice;
use crate::identity::{OrganizationId, ReferralId};
use crate::referrals::{format_age, ReferralPage, ReferralView};
use crate::ui::Loaded;
use crate::ui::{action_error, field_error, format_datetime, DataTable, ErrorSummary, TextArea};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn BreakGlassPage() -> impl IntoView {
    let query = use_query_map();
    let org = Memo::new(move |_| {
        query.with(|q| q.get("org").and_then(|o| o.parse::<OrganizationId>().ok()))
    });
    let referral = Memo::new(move |_| {
        query.with(|q| q.get("referral").and_then(|r| r.parse::<ReferralId>().ok()))
    });
    let open = crate::ui::server_action::<OpenBreakGlass>();
    let options = Resource::new(move || org.get(), break_glass_options);
    view! {
        <Title text="Break-glass access · Carethread"/>
        <div class="page">
            <h1>"Break-glass access"</h1>
            <p class="lede">
                "Platform administrators read an organization's referrals only here: with a reason, "
                "for a limited time, read-only. Its administrators are mailed at once, and every read "
                "is recorded in its audit log under your name."
            </p>
            <Loaded resource=options loading="Loading…" ok=move |options| { let chosen = org.get();
                                view! {
                                    <OrganizationPicker organizations=options.organizations.clone() chosen/>
                                    {match (chosen, options.grant) {
                                        (None, _) => ().into_any(),
                                        (Some(org), None) => view! { <OpenForm org open/> }.into_any(),
                                        (Some(org), Some(grant)) => {
                                            view! { <GrantReads org grant referral/> }.into_any()
                                        }
                                    }}
                                } }/>
        </div>
    }
}

/// Chooses the organization: a GET form, so the choice is in the address.
#[component]
fn OrganizationPicker(
    organizations: Vec<(OrganizationId, String)>,
    chosen: Option<OrganizationId>,
) -> impl IntoView {
    view! {
        <form method="get" action="/admin/break-glass" class="form form--inline" aria-label="Choose an organization">
            <div class="field">
                <label for="org">"Organization"</label>
                <select id="org" name="org" required=true>
                    <option value="">"Choose one…"</option>
                    {organizations
                        .into_iter()
                        .map(|(id, name)| {
                            view! {
                                <option value=id.to_string() selected=Some(id) == chosen>
                                    {name}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </div>
            <button type="submit" class="button button--secondary">"Choose"</button>
        </form>
    }
}

#[component]
fn OpenForm(org: OrganizationId, open: ServerAction<OpenBreakGlass>) -> impl IntoView {
    let error = action_error(open.value());
    let minutes = field_error(error, "minutes");
    let minutes_invalid = move || minutes.with(Option::is_some);
    view! {
        <section class="section" aria-labelledby="open-heading">
            <h2 id="open-heading">"Open break-glass access"</h2>
            <crate::ui::Form action=open attr:class="form" attr:novalidate=true>
                <ErrorSummary error title="Access was not opened"/>
                <input type="hidden" name="organization_id" value=org.to_string()/>
                <TextArea
                    name="reason"
                    label="Reason"
                    hint="Why you need to read this organization's records, such as a support ticket number (10 to 500 characters). Its administrators will see it."
                    rows=3
                    error=field_error(error, "reason")
                />
                <div class="field" class:field--invalid=minutes_invalid>
                    <label for="minutes">"For how long"</label>
                    {move || {
                        minutes
                            .get()
                            .map(|m| {
                                view! {
                                    <p class="field__error" id="minutes-error">
                                        <span class="visually-hidden">"Error: "</span>
                                        {m}
                                    </p>
                                }
                            })
                    }}
                    <select
                        id="minutes"
                        name="minutes"
                        aria-invalid=move || minutes_invalid().then_some("true")
                        aria-describedby=move || minutes_invalid().then_some("minutes-error")
                    >
                        {(MIN_MINUTES..=MAX_MINUTES)
                            .step_by(15)
                            .map(|m| {
                                view! {
                                    <option value=m.to_string() selected=m == DEFAULT_MINUTES>
                                        {format!("{m} minutes")}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </div>
                <button type="submit" class="button">
                    "Open access"
                </button>
            </crate::ui::Form>
        </section>
    }
}

/// The live grant and what it lets the administrator read.
#[component]
fn GrantReads(
    org: OrganizationId,
    grant: BreakGlassGrantView,
    referral: Memo<Option<ReferralId>>,
) -> impl IntoView {
    let list = Resource::new(|| (), move |_| break_glass_referrals(org));
    let detail = Resource::new(
        move || referral.get(),
        move |id| async move {
            match id {
                Some(id) => break_glass_referral(org, id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <div class="notice notice--warning" role="status" data-testid="break-glass-grant">
            <p>
                <strong>{format!("Break-glass access to {} is open", grant.organization)}</strong>
                {format!(" until {}. Read-only; every read is recorded.", format_datetime(grant.expires_at))}
            </p>
            <p>{format!("Reason: {}", grant.reason)}</p>
        </div>
        <Suspense fallback=|| view! { <p class="loading">"Loading the referral…"</p> }>
            {move || {
                detail
                    .get()
                    .map(|result| match result {
                        Ok(Some(r)) => view! { <ReferralReadOnly r/> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    })
            }}
        </Suspense>
        <section class="section" aria-labelledby="referrals-heading">
            <h2 id="referrals-heading">"Referrals"</h2>
            <Loaded resource=list loading="Loading referrals…" ok=move |page| view! { <ReferralRows org page/> }/>
        </section>
    }
}

#[component]
fn ReferralRows(org: OrganizationId, page: ReferralPage) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <p class="empty" data-testid="no-referrals">"This organization has no referrals."</p> }
            .into_any();
    }
    view! {
        <DataTable label="Referrals" testid="referrals" columns=["Referral", "Patient", "Diagnosis", "Status", "Waiting"]>
                    {page
                        .items
                        .into_iter()
                        .map(|r| {
                            let href = format!("/admin/break-glass?org={org}&referral={}", r.id);
                            view! {
                                <tr data-status=r.status.as_str()>
                                    <th scope="row">
                                        <a href=href>{r.reference}</a>
                                    </th>
                                    <td>{r.patient_initials}</td>
                                    <td>{r.diagnosis}</td>
                                    <td>
                                        <span class=r.status.css()>{r.status.label()}</span>
                                    </td>
                                    <td>{format_age(r.age_minutes)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
    }
    .into_any()
}

#[component]
fn ReferralReadOnly(r: ReferralView) -> impl IntoView {
    view! {
        <section class="panel" aria-labelledby="referral-heading" data-testid="break-glass-referral">
            <h2 id="referral-heading">{format!("Referral {}", r.reference)}</h2>
            <dl class="facts">
                <dt>"Patient"</dt>
                <dd>
                    {r.patient_initials}
                    {r.patient_birth_year.map(|y| format!(", born {y}"))}
                </dd>
                <dt>"Where"</dt>
                <dd>{format!("{} {}", r.zip, r.place)}</dd>
                <dt>"Diagnosis"</dt>
                <dd>{format!("{} {}", r.diagnosis.display, r.diagnosis.description)}</dd>
                <dt>"Care"</dt>
                <dd>{format!("{} · {}", r.care_type.label(), r.priority.label())}</dd>
                <dt>"Status"</dt>
                <dd>{r.status.label()}</dd>
                <dt>"From"</dt>
                <dd>{r.referrer}</dd>
                <dt>"Clinic"</dt>
                <dd>{r.clinic.unwrap_or_else(|| "Not routed yet".to_owned())}</dd>
                <dt>"Received"</dt>
                <dd>{format_datetime(r.received_at)}</dd>
                <dt>"Notes"</dt>
                <dd>{r.notes}</dd>
            </dl>
        </section>
    }
}
