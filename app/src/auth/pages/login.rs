//! `/login`: sign in with an email address and a password.

use crate::auth::Login;
use crate::ui::{action_error, field_error, ErrorSummary, TextField};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next")).unwrap_or_default();
    let signed_out = move || query.with(|q| q.get("signed_out").is_some());
    let reset_done = move || query.with(|q| q.get("reset").is_some());
    let action = ServerAction::<Login>::new();
    let pending = action.pending();
    let error = action_error(action.value());
    view! {
        <Title text="Sign in · Carethread"/>
        <div class="page page--narrow">
            <h1>"Sign in"</h1>
            <Show when=signed_out>
                <p class="notice notice--success" role="status">"You have signed out."</p>
            </Show>
            <Show when=reset_done>
                <p class="notice notice--success" role="status">
                    "Your password has been changed. Sign in with the new one."
                </p>
            </Show>
            <ActionForm action=action attr:class="form" attr:novalidate=true>
                <ErrorSummary error title="Sign-in failed"/>
                <input type="hidden" name="next" prop:value=next/>
                <TextField
                    name="email"
                    label="Email address"
                    input_type="email"
                    autocomplete="username"
                    required=true
                    error=field_error(error, "email")
                />
                <TextField
                    name="password"
                    label="Password"
                    input_type="password"
                    autocomplete="current-password"
                    required=true
                    error=field_error(error, "password")
                />
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || if pending.get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
            <p>
                <a href="/forgot-password">"Forgotten your password?"</a>
            </p>
            <p>
                "New here? "
                <a href="/register">"Create an account"</a>
                " (families and clinicians). Clinic staff and discharge planners join by invitation from their administrator."
            </p>
        </div>
    }
}
