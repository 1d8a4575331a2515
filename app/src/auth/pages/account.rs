//! `/account` (who you are, password, sessions, sign-in history) and
//! `/switch` (choose the organization to act for).

use crate::auth::{
    get_account, list_my_organizations, AccountView, ChangePassword, Logout, RevokeSession,
    SwitchOrganization,
};
use crate::ui::Loaded;
use crate::ui::{action_error, field_error, format_datetime, DataTable, ErrorSummary, TextField};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn AccountPage() -> impl IntoView {
    let revoke = crate::ui::server_action::<RevokeSession>();
    let change = crate::ui::server_action::<ChangePassword>();
    let account = Resource::new(|| (), |_| get_account());
    view! {
        <Title text="Your account · Carethread"/>
        <div class="page">
            <Loaded resource=account loading="Loading your account…" ok=move |view| view! { <AccountDetails view revoke change/> }/>
        </div>
    }
}

#[component]
fn AccountDetails(
    view: AccountView,
    revoke: ServerAction<RevokeSession>,
    change: ServerAction<ChangePassword>,
) -> impl IntoView {
    let AccountView {
        user,
        sessions,
        attempts,
    } = view;
    let logout = crate::ui::server_action::<Logout>();
    let change_error = action_error(change.value());
    let changed = move || change.value().with(|v| matches!(v, Some(Ok(_))));
    let ended = move || {
        change
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok().copied()))
    };
    view! {
        <h1>"Your account"</h1>
        <dl class="facts">
            <div>
                <dt>"Name"</dt>
                <dd>{user.display_name}</dd>
            </div>
            <div>
                <dt>"Email"</dt>
                <dd>{user.email}</dd>
            </div>
            <div>
                <dt>"Acting for"</dt>
                <dd>{user.org_name} " · " {user.role.label()}</dd>
            </div>
        </dl>
        <crate::ui::Form action=logout attr:class="inline-form">
            <button type="submit" class="button button--secondary">"Sign out"</button>
        </crate::ui::Form>

        <section class="section" aria-labelledby="password-heading">
            <h2 id="password-heading">"Change your password"</h2>
            <Show when=changed>
                <p class="notice notice--success" role="status" data-testid="password-changed">
                    {move || format!(
                        "Your password has been changed. {} other session(s) were signed out.",
                        ended().unwrap_or(0)
                    )}
                </p>
            </Show>
            <crate::ui::Form action=change attr:class="form" attr:novalidate=true>
                <ErrorSummary error=change_error/>
                <TextField
                    name="current_password"
                    label="Current password"
                    input_type="password"
                    autocomplete="current-password"
                    required=true
                    error=field_error(change_error, "current_password")
                />
                <TextField
                    name="new_password"
                    label="New password"
                    input_type="password"
                    autocomplete="new-password"
                    hint="At least 12 characters."
                    required=true
                    error=field_error(change_error, "new_password")
                />
                <TextField
                    name="confirm"
                    label="The new password again"
                    input_type="password"
                    autocomplete="new-password"
                    required=true
                    error=field_error(change_error, "confirm")
                />
                <button type="submit" class="button">
                    "Change password"
                </button>
            </crate::ui::Form>
        </section>

        <section class="section" aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Where you are signed in"</h2>
            <ul class="list" role="list" data-testid="sessions">
                {sessions
                    .into_iter()
                    .map(|s| {
                        let id = s.id.to_string();
                        let device = s.user_agent.unwrap_or_else(|| "Unknown browser".to_owned());
                        view! {
                            <li class="list__item">
                                <div>
                                    <strong>{device}</strong>
                                    <p class="muted">
                                        {format!(
                                            "Signed in {} · last active {}{}",
                                            format_datetime(s.created_at),
                                            format_datetime(s.last_seen_at),
                                            s.ip.map(|ip| format!(" · from {ip}")).unwrap_or_default(),
                                        )}
                                    </p>
                                </div>
                                {if s.current {
                                    view! { <span class="badge badge--ok">"This device"</span> }.into_any()
                                } else {
                                    view! {
                                        <crate::ui::Form action=revoke attr:class="inline-form">
                                            <input type="hidden" name="id" value=id/>
                                            <button type="submit" class="button button--secondary">
                                                "Sign out this session"
                                            </button>
                                        </crate::ui::Form>
                                    }
                                        .into_any()
                                }}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>

        <section class="section" aria-labelledby="attempts-heading">
            <h2 id="attempts-heading">"Recent sign-in activity"</h2>
            <DataTable labelledby="attempts-heading" columns=["When", "What", "From"]>
                        {attempts
                            .into_iter()
                            .map(|a| {
                                view! {
                                    <tr>
                                        <td>{format_datetime(a.attempted_at)}</td>
                                        <td>{a.outcome}</td>
                                        <td>{a.ip.unwrap_or_default()}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
            </DataTable>
        </section>
    }
}

#[component]
pub fn SwitchOrganizationPage() -> impl IntoView {
    let choices = Resource::new(|| (), |_| list_my_organizations());
    let switch = crate::ui::server_action::<SwitchOrganization>();
    view! {
        <Title text="Switch organization · Carethread"/>
        <div class="page page--narrow">
            <h1>"Act for another organization"</h1>
            <Loaded resource=choices loading="Loading…" ok=move |choices| view! {
                                    <ul class="list" role="list">
                                        {choices
                                            .into_iter()
                                            .map(|c| {
                                                view! {
                                                    <li class="list__item">
                                                        <div>
                                                            <strong>{c.org_name}</strong>
                                                            <p class="muted">{c.role.label()}</p>
                                                        </div>
                                                        {if c.current {
                                                            view! { <span class="badge badge--ok">"Current"</span> }
                                                                .into_any()
                                                        } else {
                                                            view! {
                                                                <crate::ui::Form action=switch attr:class="inline-form">
                                                                    <input type="hidden" name="org_id" value=c.org_id.to_string()/>
                                                                    <button type="submit" class="button">"Switch"</button>
                                                                </crate::ui::Form>
                                                            }
                                                                .into_any()
                                                        }}
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }/>
        </div>
    }
}
