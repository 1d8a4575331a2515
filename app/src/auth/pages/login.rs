//! `/login`: sign in with an email address and a password.

use crate::auth::Login;
use crate::ui::{action_error, field_error, ErrorSummary, TextField};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    // Read once (see the reset page): the page is made anew per address.
    let (next, signed_out, reset_done) = use_query_map().with_untracked(|q| {
        (
            q.get("next").unwrap_or_default(),
            q.get("signed_out").is_some(),
            q.get("reset").is_some(),
        )
    });
    let action = crate::ui::server_action::<Login>();
    let error = action_error(action.value());
    view! {
        <Title text="Sign in · Carethread"/>
        <div class="page page--narrow">
            <h1>"Sign in"</h1>
            {signed_out
                .then(|| {
                    view! {
                        <p class="notice notice--success" role="status">"You have signed out."</p>
                    }
                })}
            {reset_done
                .then(|| {
                    view! {
                        <p class="notice notice--success" role="status">
                            "Your password has been changed and every session was signed out. Sign in with the new one."
                        </p>
                    }
                })}
            <crate::ui::Form action=action attr:class="form" attr:novalidate=true>
                <ErrorSummary error title="Sign-in failed"/>
                <input type="hidden" name="next" value=next/>
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
                <button type="submit" class="button">
                    "Sign in"
                </button>
            </crate::ui::Form>
            <p class="link-line">
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
