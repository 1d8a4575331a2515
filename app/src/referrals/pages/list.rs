//! The referral lists: the clinic's inbox (`/clinic/inbox`) and the
//! referrer's sent referrals (`/referrer`), newest first, with filters and
//! keyset paging in the address (plain links and a `GET` form, so they
//! work without JavaScript), refreshed while open so statuses stay live.

use crate::referrals::{
    format_age, list_referrals, CareType, Priority, ReferralPage, ReferralStatus,
};
use crate::ui::{DataTable, LiveRefresh, Loaded};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The filters and the page, from the address (`?status=…&after=…`), so
/// filtering and paging are plain links and a plain `GET` form.
#[derive(Clone, PartialEq, Default)]
struct Filters {
    status: String,
    priority: String,
    care_type: String,
    max_age_days: Option<i32>,
    after: Option<String>,
}

impl Filters {
    fn from_query(query: &leptos_router::params::ParamsMap) -> Self {
        let text = |name: &str| query.get(name).unwrap_or_default();
        Self {
            status: text("status"),
            priority: text("priority"),
            care_type: text("care_type"),
            max_age_days: query.get("age").and_then(|v| v.parse().ok()),
            after: query.get("after").filter(|v| !v.is_empty()),
        }
    }

    /// This address with the page `after` (the first page for `None`).
    fn href(&self, base: &str, after: Option<&str>) -> String {
        let mut pairs = Vec::new();
        for (name, value) in [
            ("status", self.status.as_str()),
            ("priority", self.priority.as_str()),
            ("care_type", self.care_type.as_str()),
        ] {
            if !value.is_empty() {
                pairs.push(format!("{name}={}", encode(value)));
            }
        }
        if let Some(days) = self.max_age_days {
            pairs.push(format!("age={days}"));
        }
        if let Some(after) = after {
            pairs.push(format!("after={}", encode(after)));
        }
        if pairs.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", pairs.join("&"))
        }
    }
}

/// Percent-encodes a query value (cursors and vocabulary words only).
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn ReferralListPage(
    /// The clinic's inbox (otherwise the referrer's sent referrals).
    inbox: bool,
) -> impl IntoView {
    let filters = use_query_map().with_untracked(Filters::from_query);
    let page = Resource::new(
        {
            let f = filters.clone();
            move || f.clone()
        },
        |f| list_referrals(f.status, f.priority, f.care_type, f.max_age_days, f.after),
    );
    let (title, heading, base) = if inbox {
        (
            "Referral inbox · Carethread",
            "Referral inbox",
            "/clinic/inbox",
        )
    } else {
        ("Sent referrals · Carethread", "Your referrals", "/referrer")
    };
    let chosen = |current: &str, value: &str| current == value;
    let age = filters
        .max_age_days
        .map(|d| d.to_string())
        .unwrap_or_default();
    let list_filters = filters.clone();
    view! {
        <Title text=title/>
        <div class="page">
            <div class="page-head">
                <h1>{heading}</h1>
                {(!inbox).then(|| view! { <a class="button" href="/referrer/referrals/new">"New referral"</a> })}
            </div>
            <form class="filters" method="get" action=base aria-label="Filter referrals">
                <div class="field">
                    <label for="filter-status">"Status"</label>
                    <select id="filter-status" name="status">
                        <option value="">"Any"</option>
                        {ReferralStatus::ALL
                            .iter()
                            .map(|s| view! { <option value=s.as_str() selected=chosen(&filters.status, s.as_str())>{s.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-priority">"Priority"</label>
                    <select id="filter-priority" name="priority">
                        <option value="">"Any"</option>
                        {Priority::ALL
                            .iter()
                            .map(|p| view! { <option value=p.as_str() selected=chosen(&filters.priority, p.as_str())>{p.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-care">"Care type"</label>
                    <select id="filter-care" name="care_type">
                        <option value="">"Any"</option>
                        {CareType::ALL
                            .iter()
                            .map(|c| view! { <option value=c.as_str() selected=chosen(&filters.care_type, c.as_str())>{c.label()}</option> })
                            .collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="filter-age">"Received"</label>
                    <select id="filter-age" name="age">
                        <option value="">"Any time"</option>
                        <option value="1" selected=age == "1">"Last 24 hours"</option>
                        <option value="7" selected=age == "7">"Last 7 days"</option>
                        <option value="30" selected=age == "30">"Last 30 days"</option>
                    </select>
                </div>
                <div class="filters__actions">
                    <button type="submit" class="button button--secondary">"Filter"</button>
                </div>
            </form>
            {crate::ui::use_outcome().is_none().then(|| view! { <LiveRefresh secs=30 href=crate::ui::this_page()/> })}
            <Loaded resource=page loading="Loading referrals…" ok=move |page| view! { <ReferralTable page inbox base filters=list_filters.clone()/> }/>
        </div>
    }
}

#[component]
fn ReferralTable(
    page: ReferralPage,
    inbox: bool,
    base: &'static str,
    filters: Filters,
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
    let detail = if inbox {
        "/clinic/inbox"
    } else {
        "/referrer/referrals"
    };
    view! {
        <DataTable label="Referrals" testid="referrals" columns=["Referral", "Patient", "Diagnosis", "Care", "Priority", "Status", if inbox { "From" } else { "Clinic" }, "Waiting"]>
                    {items
                        .into_iter()
                        .map(|r| {
                            let href = format!("{detail}/{}", r.id);
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
            {filters.after.is_some().then(|| view! {
                <a class="button button--secondary" href=filters.href(base, None)>"Newest"</a>
            })}
            {next_cursor
                .map(|next| {
                    view! {
                        <a class="button button--secondary" href=filters.href(base, Some(&next))>
                            "Older referrals"
                        </a>
                    }
                })}
        </p>
    }
        .into_any()
}
