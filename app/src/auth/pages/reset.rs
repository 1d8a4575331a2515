//! `/forgot-password` and `/reset-password`: a reset link by email, then a
//! new password. The request page says the same whether or not the address
//! has an account.

use crate::auth::{check_reset_link, RequestPasswordReset, ResetPassword};
use crate::ui::{action_error, field_error, ErrorSummary, TextField};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = crate::ui::server_action::<RequestPasswordReset>();
    let value = action.value();
    let error = action_error(value);
    let sent = move || value.with(|v| matches!(v, Some(Ok(()))));
    view! {
        <Title text="Reset your password · Carethread"/>
        <div class="page page--narrow">
            <h1>"Reset your password"</h1>
            <Show
                when=sent
                fallback=move || {
                    view! {
                        <p>"Enter the email address you sign in with. We will send you a link to choose a new password."</p>
                        <crate::ui::Form action=action attr:class="form" attr:novalidate=true>
                            <ErrorSummary error/>
                            <TextField
                                name="email"
                                label="Email address"
                                input_type="email"
                                autocomplete="username"
                                required=true
                                error=field_error(error, "email")
                            />
                            <button type="submit" class="button">
                                "Send the link"
                            </button>
                        </crate::ui::Form>
                    }
                }
            >
                <div class="notice notice--success" role="status" data-testid="reset-sent">
                    <h2>"Check your email"</h2>
                    <p>
                        "If an account exists for that address, we have sent it a link to choose a new password. The link works once and expires in an hour."
                    </p>
                </div>
            </Show>
            <p>
                <a href="/login">"Back to sign in"</a>
            </p>
        </div>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    // Read once: the page is made anew for another link, and a reactive
    // read would re-run this page's effects while navigation tears it down.
    let token = use_query_map().with_untracked(|q| q.get("token").unwrap_or_default());
    let token = StoredValue::new(token);
    let check = Resource::new(|| (), move |_| check_reset_link(token.get_value()));
    view! {
        <Title text="Choose a new password · Carethread"/>
        <div class="page page--narrow">
            <h1>"Choose a new password"</h1>
            <Suspense fallback=|| view! { <p>"Checking the link…"</p> }>
                {move || {
                    check
                        .get()
                        .map(|checked| match checked {
                            Ok(()) => view! { <NewPasswordForm token=token.get_value()/> }.into_any(),
                            Err(e) => {
                                let message = e
                                    .field_message("token")
                                    .map(str::to_owned)
                                    .unwrap_or_else(|| e.to_string());
                                view! {
                                    <div class="notice notice--warning" role="alert">
                                        <p>{message}</p>
                                        <p>
                                            <a href="/forgot-password">"Ask for a new link"</a>
                                        </p>
                                    </div>
                                }
                                    .into_any()
                            }
                        })
                }}
            </Suspense>
        </div>
    }
}

/// The new-password form; on success the server sends the browser to the
/// sign-in page, which says the password was changed.
#[component]
fn NewPasswordForm(token: String) -> impl IntoView {
    let action = crate::ui::server_action::<ResetPassword>();
    let error = action_error(action.value());
    view! {
        <crate::ui::Form action=action attr:class="form" attr:novalidate=true>
            <ErrorSummary error/>
            <input type="hidden" name="token" value=token/>
            <TextField
                name="password"
                label="New password"
                input_type="password"
                autocomplete="new-password"
                hint="At least 12 characters. A few unrelated words make a strong password that is easy to remember."
                required=true
                error=field_error(error, "password")
            />
            <TextField
                name="confirm"
                label="The new password again"
                input_type="password"
                autocomplete="new-password"
                required=true
                error=field_error(error, "confirm")
            />
            <button type="submit" class="button">
                "Set the new password"
            </button>
        </crate::ui::Form>
    }
}
