//! The page's key sections: a sandbox key by email for anyone, and the
//! live keys of the signed-in administrator's organization (all of them for
//! a platform administrator), made and revoked here.

use super::AskFirst;
use crate::auth::ErrorNotice;
use crate::developer::{CreateKey, KeysView, RequestSandboxKey, RevokeKey};
use crate::ui::{
    action_error, field_error, format_datetime, Column, DataTable, ErrorSummary, TextField,
};
use leptos::prelude::*;

#[component]
pub(super) fn SandboxKey() -> impl IntoView {
    let request = crate::ui::server_action::<RequestSandboxKey>();
    let error = action_error(request.value());
    let sent = move || request.value().with(|v| matches!(v, Some(Ok(()))));
    view! {
        <section class="section" aria-labelledby="sandbox-heading">
            <h2 id="sandbox-heading">"Get a sandbox key"</h2>
            <p>
                "Sandbox keys see de-identified demo data, keep their referrals in a sandbox, "
                "and allow 60 requests a minute and 5,000 a day. We email the key; it is not shown here."
            </p>
            <Show when=sent>
                <p class="notice notice--success" role="status" data-testid="sandbox-sent">
                    "Your sandbox key is on its way. Check your inbox."
                </p>
            </Show>
            <crate::ui::Form action=request attr:class="form form--inline" attr:novalidate=true>
                <ErrorSummary error title="No key was sent"/>
                <TextField
                    name="email"
                    label="Email address"
                    input_type="email"
                    autocomplete="email"
                    required=true
                    error=field_error(error, "email")
                />
                <button type="submit" class="button">
                    "Email me a sandbox key"
                </button>
            </crate::ui::Form>
        </section>
    }
}

/// Live keys, for administrators signed in; nothing for anyone else.
#[component]
pub(crate) fn LiveKeys() -> impl IntoView {
    let create = crate::ui::server_action::<CreateKey>();
    let revoke = crate::ui::server_action::<RevokeKey>();
    let keys = Resource::new(|| (), |_| crate::developer::get_keys());
    view! {
        <Suspense fallback=|| ()>
            {move || {
                keys.get()
                    .map(|result| match result {
                        Ok(Some(view)) => view! { <KeyManager view create revoke/> }.into_any(),
                        Ok(None) => {
                            view! {
                                <section class="section" aria-labelledby="live-heading">
                                    <h2 id="live-heading">"Live keys"</h2>
                                    <p>
                                        "Live keys write real referrals and receive real events. "
                                        "Clinic administrators create them here after "
                                        <a href="/login">"signing in"</a>
                                        "; a hospital's keys are made by the platform's operators."
                                    </p>
                                </section>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn KeyManager(
    view: KeysView,
    create: ServerAction<CreateKey>,
    revoke: ServerAction<RevokeKey>,
) -> impl IntoView {
    let error = action_error(create.value());
    let revoke_error = action_error(revoke.value());
    let made = move || {
        create
            .value()
            .with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned())
    };
    let KeysView {
        organization,
        platform,
        keys,
    } = view;
    let scope = if platform {
        "Keys of every organization. Platform administrators do not make keys for an organization: its administrators do, and a referring organization's come from the operator's command.".to_owned()
    } else {
        format!("Keys that act for {organization}.")
    };
    view! {
        <section class="section" aria-labelledby="live-heading">
            <h2 id="live-heading">"Live keys"</h2>
            <p>{scope} " A key is shown once, when it is made; we keep only a hash."</p>
            {move || {
                made()
                    .map(|text| {
                        view! {
                            <div class="notice notice--success" role="status" data-testid="new-key">
                                <p><strong>"Copy this key now. It will not be shown again."</strong></p>
                                <p><code class="secret">{text}</code></p>
                            </div>
                        }
                    })
            }}
            {(!platform)
                .then(|| {
                    view! {
                        <crate::ui::Form action=create attr:class="form form--inline" attr:novalidate=true>
                            <ErrorSummary error title="No key was made"/>
                            <TextField
                                name="name"
                                label="Key name"
                                hint="What uses it, like “Epic interface engine”."
                                required=true
                                error=field_error(error, "name")
                            />
                            <button type="submit" class="button">
                                "Create live key"
                            </button>
                        </crate::ui::Form>
                    }
                })}
            <ErrorSummary error=revoke_error title="The key was not revoked"/>
            {if keys.is_empty() {
                view! { <p class="empty">"No live keys yet."</p> }.into_any()
            } else {
                view! {
                    <DataTable label="Live keys" testid="live-keys" columns=[Column::from("Name"), Column::from("Key"), Column::when(platform, "Organization"), Column::from("Created"), Column::from("Last used"), Column::from("Status")]>
                                {keys
                                    .into_iter()
                                    .map(|k| {
                                        let id = k.id.to_string();
                                        view! {
                                            <tr>
                                                <th scope="row">{k.name}</th>
                                                <td><code>{format!("{}_…", k.prefix)}</code></td>
                                                {platform.then(|| view! { <td>{k.organization}</td> })}
                                                <td>{format_datetime(k.created_at)}</td>
                                                <td>{k.last_used_at.map_or_else(|| "Never".to_owned(), format_datetime)}</td>
                                                <td>
                                                    {match k.revoked_at {
                                                        Some(at) => view! { <span class="muted">{format!("Revoked {}", format_datetime(at))}</span> }.into_any(),
                                                        None => view! {
                                                            <AskFirst label="Revoke" question="Integrations using this key stop working at once.">
                                                                <crate::ui::Form action=revoke attr:class="inline-form" clone:id>
                                                                    <input type="hidden" name="id" value=id.clone()/>
                                                                    <button type="submit" class="button button--danger">"Revoke key"</button>
                                                                </crate::ui::Form>
                                                            </AskFirst>
                                                        }.into_any(),
                                                    }}
                                                </td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                    </DataTable>
                }
                    .into_any()
            }}
        </section>
    }
}
