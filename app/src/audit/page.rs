//! The audit-log page for administrators (`/clinic/audit`, `/admin/audit`):
//! the newest events of their own organization's chain, older pages on
//! request, a check of the whole chain that names the first broken
//! link, and, above them, every break-glass grant a platform administrator
//! opened on the organization (live ones first in view).

use super::{AuditFilter, AuditPage, BreakGlassGrantView, ChainStatus};
use crate::auth::Role;
use crate::error::AppError;
use crate::ui::Loaded;
use crate::ui::{field_error, format_datetime, DataTable, SelectField, TextField};
use app_macros::rpc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

/// Who may read an organization's audit log.
pub const AUDIT_READERS: [Role; 2] = [Role::ClinicAdmin, Role::PlatformAdmin];

/// A page of the principal's organization's log, newest first, narrowed
/// by the viewer's filter.
#[rpc(prefix = "/rpc", endpoint = "audit/log")]
pub async fn get_audit_log(
    #[server(default)] before: Option<i64>,
    #[server(default)] filter: AuditFilter,
) -> Result<AuditPage, AppError> {
    const PAGE: i64 = 50;
    let query = filter.check()?;
    let mut tx = crate::auth::require(&AUDIT_READERS).await?;
    let organization = tx.principal().org_name.clone();
    let events = super::repo::recent(&mut tx, &query, before, PAGE).await?;
    let break_glass = crate::break_glass::service::grants(&mut tx).await?;
    tx.commit().await?;
    let next_before = (events.len() as i64 == PAGE)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    Ok(AuditPage {
        organization,
        break_glass,
        events,
        next_before,
    })
}

/// Walks the principal's organization's chain.
#[rpc(prefix = "/rpc", endpoint = "audit/verify")]
pub async fn verify_audit_chain() -> Result<ChainStatus, AppError> {
    let mut tx = crate::auth::require(&AUDIT_READERS).await?;
    let status = super::repo::verify(&mut tx).await?;
    tx.commit().await?;
    Ok(status)
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    // The page (`?before=seq`) and the filter are in the address: older
    // pages and the filter form are plain links and a GET form.
    let (before, filter) = use_query_map().with_untracked(|q| {
        (
            q.get("before").and_then(|v| v.parse::<i64>().ok()),
            AuditFilter::from_query(|name| q.get(name)),
        )
    });
    let path = use_location().pathname.get_untracked();
    let checked = filter.check();
    let log = Resource::new(
        {
            let filter = filter.clone();
            move || (before, filter.clone())
        },
        |(before, filter)| get_audit_log(before, filter),
    );
    let verify = crate::ui::server_action::<VerifyAuditChain>();
    let errors = checked.err();
    view! {
        <Title text="Audit log · Carethread"/>
        <div class="page">
            <h1>"Audit log"</h1>
            <p><a class="text-link" href=path.replace("audit", "sign-ins")>"The sign-in log (successes and failures)"</a></p>
            <AuditFilterForm filter=filter.clone() path=path.clone() errors/>
            <Loaded resource=log loading="Loading the audit log…" ok=move |page| {
                view! { <AuditLog page before path=path.clone() filter=filter.clone() verify/> }
            }/>
        </div>
    }
}

/// The filter: a plain GET form, so it works without script and the
/// filtered view has an address to share. Export links carry the same
/// filter.
#[component]
fn AuditFilterForm(filter: AuditFilter, path: String, errors: Option<AppError>) -> impl IntoView {
    let error: Signal<Option<AppError>> = Signal::stored(errors);
    let mut actions: Vec<(&'static str, &'static str)> = super::AuditAction::ALL
        .iter()
        .map(|a| (a.as_str(), a.label()))
        .collect();
    actions.sort_by_key(|(_, label)| *label);
    let selected = super::AuditAction::parse(filter.action.trim()).map(super::AuditAction::as_str);
    let query = filter.query_string();
    let export = |format: &str| {
        let sep = if query.is_empty() { "" } else { "&" };
        format!("/audit/export?format={format}{sep}{query}")
    };
    view! {
        <form method="get" action=path.clone() class="form" aria-label="Filter the audit log">
            <crate::ui::ErrorSummary error=error title="The filter could not be used"/>
            <div class="filters">
                <TextField name="actor" label="Who" hint="Part of a name or email address"
                    error=field_error(error, "actor") value=Some(filter.actor.clone())/>
                <SelectField name="action" label="What" options=actions selected=selected
                    error=field_error(error, "action")/>
                <TextField name="subject" label="About" hint="An id, e.g. a patient's"
                    error=field_error(error, "subject") value=Some(filter.subject.clone())/>
                <TextField name="from" label="From" input_type="date"
                    error=field_error(error, "from") value=Some(filter.from.clone())/>
                <TextField name="to" label="To" input_type="date"
                    error=field_error(error, "to") value=Some(filter.to.clone())/>
            </div>
            <p class="actions">
                <button type="submit" class="button">"Filter"</button>
                {(!filter.is_empty()).then(|| view! { <a class="text-link" href=path.clone()>"Clear the filter"</a> })}
                <a class="button button--secondary" href=export("csv") download data-testid="export-csv">"Export CSV"</a>
                <a class="button button--secondary" href=export("json") download data-testid="export-json">"Export JSON"</a>
            </p>
        </form>
    }
}

#[component]
fn AuditLog(
    page: AuditPage,
    before: Option<i64>,
    path: String,
    filter: AuditFilter,
    verify: ServerAction<VerifyAuditChain>,
) -> impl IntoView {
    let query = filter.query_string();
    let newest = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    let older = move |seq: i64| {
        if query.is_empty() {
            format!("{path}?before={seq}")
        } else {
            format!("{path}?{query}&before={seq}")
        }
    };
    let AuditPage {
        organization,
        break_glass,
        events,
        next_before,
    } = page;
    let status = verify.value();
    view! {
        <p class="lede">
            {format!("Every sign-in, invitation and change for {organization}, append-only and hash-chained.")}
        </p>
        <BreakGlassGrants grants=break_glass/>
        <div class="panel">
            <crate::ui::Form action=verify attr:class="inline-form">
                <button type="submit" class="button">
                    "Verify the chain"
                </button>
            </crate::ui::Form>
            <div role="status" data-testid="chain-status">
                {move || {
                    status
                        .get()
                        .map(|result| match result {
                            Ok(s) if s.intact() => {
                                view! {
                                    <p class="notice notice--success">
                                        {format!("The chain is intact: all {} events verified.", s.events)}
                                    </p>
                                }
                                    .into_any()
                            }
                            Ok(s) => {
                                view! {
                                    <p class="notice notice--error">
                                        {format!(
                                            "The chain is broken at event {}: {}.",
                                            s.first_broken_seq.unwrap_or_default(),
                                            s.problem.unwrap_or_default(),
                                        )}
                                    </p>
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <p class="notice notice--error">{e.to_string()}</p> }.into_any(),
                        })
                }}
            </div>
        </div>
        {if events.is_empty() {
            let text = if filter.is_empty() { "No events yet." } else { "No events match this filter." };
            view! { <p class="empty">{text}</p> }.into_any()
        } else {
            view! {
                <DataTable label="Audit events" testid="audit-events" columns=["#", "When", "Who", "What", "About", "From"]>
                            {events
                                .into_iter()
                                .map(|e| {
                                    let label = e.action_label().to_owned();
                                    view! {
                                        <tr>
                                            <td>{e.seq}</td>
                                            <td>{format_datetime(e.occurred_at)}</td>
                                            <td>{e.actor.unwrap_or_else(|| "Not signed in".to_owned())}</td>
                                            <td title=e.action>{label}</td>
                                            <td>{e.subject.unwrap_or_default()}</td>
                                            <td>{e.ip.unwrap_or_default()}</td>
                                        </tr>
                                    }
                                })
                                .collect_view()}
                </DataTable>
            }
                .into_any()
        }}
        <p class="pager">
            {before.is_some().then(|| view! {
                <a class="button button--secondary" href=newest.clone()>"Newest"</a>
            })}
            {next_before
                .map(|seq| {
                    view! {
                        <a class="button button--secondary" href=older(seq)>
                            "Older events"
                        </a>
                    }
                })}
        </p>
    }
}

/// The break-glass grants on the organization: a warning while one is
/// live, and the recent ones with who opened them and why.
#[component]
fn BreakGlassGrants(grants: Vec<BreakGlassGrantView>) -> impl IntoView {
    if grants.is_empty() {
        return ().into_any();
    }
    let live = grants.iter().filter(|g| g.active).count();
    view! {
        <section class="panel" aria-labelledby="break-glass-heading" data-testid="break-glass-grants">
            <h2 id="break-glass-heading">"Break-glass access by platform administrators"</h2>
            {(live > 0)
                .then(|| {
                    view! {
                        <p class="notice notice--warning" role="status">
                            {if live == 1 {
                                "A platform administrator can read your referrals right now.".to_owned()
                            } else {
                                format!("{live} platform administrators can read your referrals right now.")
                            }}
                        </p>
                    }
                })}
            <ul class="list">
                {grants
                    .into_iter()
                    .map(|g| {
                        let state = if g.active { "open" } else { "ended" };
                        view! {
                            <li data-state=state>
                                <strong>{g.admin_name}</strong>
                                {format!(
                                    " · opened {} · {} {} · ",
                                    format_datetime(g.opened_at),
                                    if g.active { "until" } else { "expired" },
                                    format_datetime(g.expires_at),
                                )}
                                {format!("Reason: {}", g.reason)}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
    .into_any()
}
