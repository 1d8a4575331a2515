//! The staff sign-in log (`/clinic/sign-ins`, `/admin/sign-ins`): every
//! attempt to sign in to an account of the reader's organization, success
//! and failure, with address and browser. Row-level security on
//! `login_attempts` decides whose attempts a clinic administrator sees
//! (their members'); a platform administrator sees all. Reading it is
//! audited (`security.login_log_viewed`).

use crate::error::AppError;
use crate::ui::{format_datetime, DataTable, Loaded};
use app_macros::rpc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// One sign-in attempt as the log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAttemptView {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub attempted_at: OffsetDateTime,
    pub email: String,
    /// The stored outcome (`success`, `bad_password`, …).
    pub outcome: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl LoginAttemptView {
    pub fn outcome_label(&self) -> &'static str {
        match self.outcome.as_str() {
            "success" => "Signed in",
            "bad_password" => "Wrong password",
            "unknown_account" => "No such account",
            "locked" => "Refused: locked after failures",
            "disabled" => "Refused: account disabled",
            "password_reset" => "Password reset",
            "pending" => "In progress",
            _ => "Other",
        }
    }

    pub fn failed(&self) -> bool {
        !matches!(
            self.outcome.as_str(),
            "success" | "password_reset" | "pending"
        )
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginLog {
    pub organization: String,
    pub attempts: Vec<LoginAttemptView>,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<i64>,
}

/// A page of the log, newest first.
#[rpc(prefix = "/rpc", endpoint = "audit/sign-ins")]
pub async fn get_login_log(#[server(default)] before: Option<i64>) -> Result<LoginLog, AppError> {
    use super::repo::{record, Entry};
    const PAGE: i64 = 50;
    let mut tx = crate::auth::require(&super::AUDIT_READERS).await?;
    let organization = tx.principal().org_name.clone();
    type Row = (
        i64,
        OffsetDateTime,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, attempted_at, email, outcome::text, host(ip), user_agent
         FROM login_attempts
         WHERE ($1::bigint IS NULL OR id < $1)
         ORDER BY id DESC
         LIMIT $2",
    )
    .bind(before)
    .bind(PAGE)
    .fetch_all(tx.conn())
    .await?;
    record(
        &mut tx,
        Entry::new(super::AuditAction::LoginLogViewed)
            .ip(crate::auth::RequestMeta::current().ip)
            .details(serde_json::json!({ "rows": rows.len() })),
    )
    .await?;
    tx.commit().await?;
    let attempts: Vec<LoginAttemptView> = rows
        .into_iter()
        .map(
            |(id, attempted_at, email, outcome, ip, user_agent)| LoginAttemptView {
                id,
                attempted_at,
                email,
                outcome,
                ip,
                user_agent,
            },
        )
        .collect();
    let next_before = (attempts.len() as i64 == PAGE)
        .then(|| attempts.last().map(|a| a.id))
        .flatten();
    Ok(LoginLog {
        organization,
        attempts,
        next_before,
    })
}

#[component]
pub fn LoginLogPage() -> impl IntoView {
    let before =
        use_query_map().with_untracked(|q| q.get("before").and_then(|v| v.parse::<i64>().ok()));
    let path = use_location().pathname.get_untracked();
    let log = Resource::new(move || before, get_login_log);
    view! {
        <Title text="Sign-in log · Carethread"/>
        <div class="page">
            <h1>"Sign-in log"</h1>
            <Loaded resource=log loading="Loading the sign-in log…" ok=move |log| login_log_view(log, path.clone())/>
        </div>
    }
}

fn login_log_view(log: LoginLog, path: String) -> impl IntoView {
    let LoginLog {
        organization,
        attempts,
        next_before,
    } = log;
    let failures = attempts.iter().filter(|a| a.failed()).count();
    view! {
        <p class="lede">
            {format!("Every attempt to sign in to an account of {organization}: successes and failures, with the address and browser they came from.")}
        </p>
        <p><a class="text-link" href=path.replace("sign-ins", "audit")>"The audit log"</a></p>
        {if attempts.is_empty() {
            view! { <p class="empty">"No sign-in attempts yet."</p> }.into_any()
        } else {
            view! {
                <p class="meta" role="status">{format!("{} attempts on this page, {failures} failed.", attempts.len())}</p>
                <DataTable label="Sign-in attempts" testid="sign-ins" columns=["When", "Account", "Outcome", "From", "Browser"]>
                    {attempts.into_iter().map(|a| {
                        let label = a.outcome_label();
                        let failed = a.failed();
                        view! {
                            <tr data-outcome=a.outcome.clone()>
                                <td>{format_datetime(a.attempted_at)}</td>
                                <td>{a.email}</td>
                                <td class:text-danger=failed>{label}</td>
                                <td>{a.ip.unwrap_or_default()}</td>
                                <td class="cell--wrap">{a.user_agent.unwrap_or_default()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </DataTable>
            }.into_any()
        }}
        {next_before.map(|id| view! {
            <p class="pager"><a class="button button--secondary" href=format!("{path}?before={id}")>"Older attempts"</a></p>
        })}
    }
}
