//! `/admin/jobs`: the background work at a glance, and the dead jobs with a
//! retry button each (a plain form post, so it works without JavaScript).

use super::{load_jobs, DeadJob, JobsOverview, RetryJob};
use crate::ui::Loaded;
use crate::ui::{action_error, format_datetime, DataTable, ErrorSummary};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn JobsPage() -> impl IntoView {
    let retry = crate::ui::server_action::<RetryJob>();
    let overview = Resource::new(|| (), |_| load_jobs());
    let error = action_error(retry.value());
    view! {
        <Title text="Background jobs · Carethread"/>
        <div class="page">
            <h1>"Background jobs"</h1>
            <p class="lede">
                "Mail, webhook deliveries, event fan-out, health probes, housekeeping and audit "
                "checkpoints run as jobs. A job that keeps failing is retried with growing waits, "
                "then stops here as dead until you retry it."
            </p>
            <ErrorSummary error title="That job was not retried"/>
            <Loaded resource=overview loading="Loading…" ok=move |overview| view! { <Overview overview retry/> }/>
        </div>
    }
}

#[component]
fn Overview(overview: JobsOverview, retry: ServerAction<RetryJob>) -> impl IntoView {
    let JobsOverview {
        queued,
        running,
        dead,
        dead_total,
    } = overview;
    view! {
        <dl class="stats">
            <div class="stat"><dt>"Queued"</dt><dd>{queued}</dd></div>
            <div class="stat"><dt>"Running"</dt><dd>{running}</dd></div>
            <div class="stat"><dt>"Dead"</dt><dd data-testid="dead-total">{dead_total}</dd></div>
        </dl>
        <section class="section" aria-labelledby="dead-heading">
            <h2 id="dead-heading">"Dead jobs"</h2>
            {if dead.is_empty() {
                view! { <p class="empty">"No dead jobs: everything that failed was retried successfully."</p> }.into_any()
            } else {
                view! { <DeadTable dead retry/> }.into_any()
            }}
        </section>
    }
}

#[component]
fn DeadTable(dead: Vec<DeadJob>, retry: ServerAction<RetryJob>) -> impl IntoView {
    view! {
        <DataTable labelledby="dead-heading" testid="dead-jobs" columns=["Kind", "Attempts", "Last error", "Filed", "Died", "Retry"]>
                    {dead
                        .into_iter()
                        .map(|job| {
                            view! {
                                <tr data-job=job.id.to_string()>
                                    <th scope="row"><code>{job.kind}</code></th>
                                    <td>{job.attempts}</td>
                                    <td class="wrap">{job.last_error.unwrap_or_default()}</td>
                                    <td>{format_datetime(job.created_at)}</td>
                                    <td>{format_datetime(job.died_at)}</td>
                                    <td class="actions">
                                        <crate::ui::Form action=retry>
                                            <input type="hidden" name="id" value=job.id.to_string()/>
                                            <button type="submit" class="button button--secondary">"Retry"</button>
                                        </crate::ui::Form>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
    }
}
