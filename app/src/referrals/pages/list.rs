//! The referral lists: the clinic's inbox (`/clinic/inbox`) and the
//! referrer's sent referrals (`/referrer`), newest first, with filters and
//! keyset paging, refreshed every few seconds so statuses stay live.

use super::live_tick;
use crate::referrals::{
    format_age, list_referrals, CareType, Priority, ReferralPage, ReferralStatus,
};
use crate::ui::DataTable;
use crate::ui::Loaded;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, PartialEq, Default)]
struct Filters {
    status: String,
    priority: String,
    care_type: String,
    max_age_days: Option<i32>,
}

#[component]
pub fn ReferralListPage(
    /// The clinic's inbox (otherwise the referrer's sent referrals).
    inbox: bool,
) -> impl IntoView {
    let filters = RwSignal::new(Filters::default());
    let cursor = RwSignal::new(None::<String>);
    let tick = live_tick(15);
    let page = Resource::new(
        move || (filters.get(), cursor.get(), tick.get()),
        |(f, cursor, _)| list_referrals(f.status, f.priority, f.care_type, f.max_age_days, cursor),
    );
    let (title, heading) = if inbox {
        ("Referral inbox · Carethread", "Referral inbox")
    } else {
        ("Sent referrals · Carethread", "Your referrals")
    };
    let set = move |apply: fn(&mut Filters, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            filters.update(|f| apply(f, value));
            cursor.set(None);
        }
    };
    view! {
        <Title text=title/>
        <div class="page">
            <div class="page-head">
                <h1>{heading}</h1>
                {(!inbox).then(|| view! { <a class="button" href="/referrer/referrals/new">"New referral"</a> })}
            </div>
            <form class="filters" aria-label="Filter referrals" on:submit=|ev| ev.prevent_default()>
                <div class="field">
                    <label for="filter-status">"Status"</label>
                    <select id="filter-status" on:change=set(|f, v| f.status = v)>
                        <option value="">"Any"</option>
                        {ReferralStatus::ALL
                            .iter()
                            .map(|s| view! { <option value=s.as_str()>{s.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-priority">"Priority"</label>
                    <select id="filter-priority" on:change=set(|f, v| f.priority = v)>
                        <option value="">"Any"</option>
                        {Priority::ALL
                            .iter()
                            .map(|p| view! { <option value=p.as_str()>{p.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-care">"Care type"</label>
                    <select id="filter-care" on:change=set(|f, v| f.care_type = v)>
                        <option value="">"Any"</option>
                        {CareType::ALL
                            .iter()
                            .map(|c| view! { <option value=c.as_str()>{c.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-age">"Received"</label>
                    <select id="filter-age" on:change=set(|f, v| f.max_age_days = v.parse().ok())>
                        <option value="">"Any time"</option>
                        <option value="1">"Last 24 hours"</option>
                        <option value="7">"Last 7 days"</option>
                        <option value="30">"Last 30 days"</option>
                    </select>
                </div>
            </form>
            <Loaded resource=page loading="Loading referrals…" keep=true ok=move |page| view! { <ReferralTable page inbox cursor/> }/>
        </div>
    }
}

#[component]
fn ReferralTable(
    page: ReferralPage,
    inbox: bool,
    cursor: RwSignal<Option<String>>,
) -> impl IntoView {
    let ReferralPage { items, next_cursor } = page;
    if items.is_empty() {
        let message = if inbox {
            "No referrals match. New referrals appear here as soon as they are sent."
        } else {
            "No referrals match. Send one with “New referral”."
        };
        return view! { <p class="empty" data-testid="no-referrals">{message}</p> }.into_any();
    }
    let base = if inbox {
        "/clinic/inbox"
    } else {
        "/referrer/referrals"
    };
    view! {
        <DataTable label="Referrals" testid="referrals" columns=["Referral", "Patient", "Diagnosis", "Care", "Priority", "Status", if inbox { "From" } else { "Clinic" }, "Waiting"]>
                    {items
                        .into_iter()
                        .map(|r| {
                            let href = format!("{base}/{}", r.id);
                            view! {
                                <tr data-status=r.status.as_str()>
                                    <th scope="row">
                                        <a href=href>{r.reference}</a>
                                    </th>
                                    <td>{r.patient_initials}</td>
                                    <td>{r.diagnosis}</td>
                                    <td>{r.care_type.label()}</td>
                                    <td>{r.priority.label()}</td>
                                    <td>
                                        <span class=r.status.css()>{r.status.label()}</span>
                                        {(r.matches > 0).then(|| view! { <span class="muted">{format!(" · {} matched", r.matches)}</span> })}
                                    </td>
                                    <td>{r.counterpart.unwrap_or_else(|| "Not routed yet".to_owned())}</td>
                                    <td>{format_age(r.age_minutes)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
        <p class="pager">
            <Show when=move || cursor.with(Option::is_some)>
                <button type="button" class="button button--secondary" on:click=move |_| cursor.set(None)>
                    "Newest"
                </button>
            </Show>
            {next_cursor
                .map(|next| {
                    view! {
                        <button
                            type="button"
                            class="button button--secondary"
                            on:click=move |_| cursor.set(Some(next.clone()))
                        >
                            "Older referrals"
                        </button>
                    }
                })}
        </p>
    }
        .into_any()
}
