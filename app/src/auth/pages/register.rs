//! `/register`: families and clinicians create their own accounts.

use crate::auth::Register;
use crate::ui::{action_error, field_error, ErrorSummary, RadioGroup, TextField};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = crate::ui::server_action::<Register>();
    let error = action_error(action.value());
    let sent_to = move || action.value().get().and_then(Result::ok);
    view! {
        <Title text="Create an account · Carethread"/>
        <div class="page page--narrow">
            <h1>"Create an account"</h1>
            <p class="lede">
                "For families arranging home care and for independent clinicians. Clinic staff and discharge planners are invited by their organization."
            </p>
            <Show when=move || sent_to().is_some()>
                <div class="notice notice--success" role="status" data-testid="registered">
                    <p>
                        "Thank you. We have sent a message to "
                        <strong>{move || sent_to().unwrap_or_default()}</strong>
                        ". Follow it to sign in."
                    </p>
                    <p><a href="/login">"Sign in"</a></p>
                </div>
            </Show>
            <crate::ui::Form action=action attr:class="form" attr:novalidate=true>
                <ErrorSummary error title="Your account was not created"/>
                <RadioGroup
                    name="role"
                    legend="I am"
                    required=true
                    options=vec![
                        ("family", "Arranging care for a family member", "Book visits from verified clinicians and follow each visit."),
                        ("clinician", "A licensed clinician", "RN, LPN, PT, OT, SLP, HHA or MSW: offer visits and record them on your phone."),
                    ]
                    error=field_error(error, "role")
                />
                <TextField
                    name="name"
                    label="Your name"
                    autocomplete="name"
                    required=true
                    error=field_error(error, "name")
                />
                <TextField
                    name="email"
                    label="Email address"
                    input_type="email"
                    autocomplete="email"
                    required=true
                    error=field_error(error, "email")
                />
                <TextField
                    name="password"
                    label="Password"
                    input_type="password"
                    autocomplete="new-password"
                    hint="At least 12 characters. A few unrelated words make a strong password that is easy to remember."
                    required=true
                    error=field_error(error, "password")
                />
                <button type="submit" class="button">
                    "Create account"
                </button>
            </crate::ui::Form>
            <p>
                "Already have an account? "
                <a href="/login">"Sign in"</a>
            </p>
        </div>
    }
}
