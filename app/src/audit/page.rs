//! The audit-log page for administrators (`/clinic/audit`, `/admin/audit`):
//! the newest events of their own organization's chain, older pages on
//! request, a check of the whole chain that names the first broken
//! link, and, above them, every break-glass grant a platform administrator
//! opened on the organization (live ones first in view).

use super::{AuditPage, BreakGlassGrantView, ChainStatus};
use crate::auth::Role;
use crate::error::AppError;
use crate::ui::Loaded;
use crate::ui::{format_datetime, DataTable};
use app_macros::rpc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

/// Who may read an organization's audit log.
pub const AUDIT_READERS: [Role; 2] = [Role::ClinicAdmin, Role::PlatformAdmin];

/// A page of the principal's organization's log, newest first.
#[rpc(prefix = "/rpc", endpoint = "audit/log")]
pub async fn get_audit_log(#[server(default)] before: Option<i64>) -> Result<AuditPage, AppError> {
    const PAGE: i64 = 50;
    let mut tx = crate::auth::require(&AUDIT_READERS).await?;
    let organization = tx.principal().org_name.clone();
    let events = super::repo::recent(&mut tx, before, PAGE).await?;
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
    // The page in the address (`?before=seq`): older pages are plain links.
    let before =
        use_query_map().with_untracked(|q| q.get("before").and_then(|v| v.parse::<i64>().ok()));
    let path = use_location().pathname.get_untracked();
    let log = Resource::new(move || before, get_audit_log);
    let verify = crate::ui::server_action::<VerifyAuditChain>();
    view! {
        <Title text="Audit log · Carethread"/>
        <div class="page">
            <Loaded resource=log loading="Loading the audit log…" ok=move |page| view! { <AuditLog page before path=path.clone() verify/> }/>
        </div>
    }
}

#[component]
fn AuditLog(
    page: AuditPage,
    before: Option<i64>,
    path: String,
    verify: ServerAction<VerifyAuditChain>,
) -> impl IntoView {
    let AuditPage {
        organization,
        break_glass,
        events,
        next_before,
    } = page;
    let status = verify.value();
    view! {
        <h1>"Audit log"</h1>
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
            view! { <p class="empty">"No events yet."</p> }.into_any()
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
                <a class="button button--secondary" href=path.clone()>"Newest"</a>
            })}
            {next_before
                .map(|seq| {
                    view! {
                        <a class="button button--secondary" href=format!("{path}?before={seq}")>
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
