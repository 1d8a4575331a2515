//! `/invite?token=…`: accept an invitation, by creating the invited account
//! or with the account already signed in.

use crate::orgs::{
    get_invitation, AcceptInvitation, AcceptInvitationNew, InviteInfo, InviteStatus,
};
use crate::ui::Loaded;
use crate::ui::{action_error, field_error, ErrorSummary, TextField};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AcceptInvitationPage() -> impl IntoView {
    // Read once (see the reset page): the page is made anew per link.
    let token = use_query_map().with_untracked(|q| q.get("token").unwrap_or_default());
    let info = {
        let token = token.clone();
        Resource::new(|| (), move |_| get_invitation(token.clone()))
    };
    view! {
        <Title text="Your invitation · Carethread"/>
        <div class="page page--narrow">
            <Loaded resource=info loading="Checking the invitation…" ok=move |info| view! { <Invitation info token=token.clone()/> }/>
        </div>
    }
}

#[component]
fn Invitation(info: InviteInfo, token: String) -> impl IntoView {
    let heading = format!("Join {} on Carethread", info.organization);
    let summary = format!(
        "You are invited as {} with the address {}.",
        info.role.label(),
        info.email
    );
    let body = match info.status {
        InviteStatus::Open => match (&info.signed_in_as, info.account_exists) {
            (Some(_), _) => view! { <AcceptSignedIn token/> }.into_any(),
            (None, true) => {
                let next = format!("/login?next=/invite%3Ftoken%3D{token}");
                view! {
                    <p>"You already have a Carethread account with this address. Sign in to accept."</p>
                    <p><a class="button" href=next>"Sign in to accept"</a></p>
                }
                    .into_any()
            }
            (None, false) => view! { <CreateAccount token/> }.into_any(),
        },
        other => {
            let message = match other {
                InviteStatus::Accepted => {
                    "This invitation has already been accepted. Sign in to continue."
                }
                InviteStatus::Revoked => {
                    "This invitation was withdrawn. Ask your administrator for a new one."
                }
                _ => "This invitation has expired. Ask your administrator for a new one.",
            };
            view! { <p class="notice notice--warning" role="alert">{message}</p> }.into_any()
        }
    };
    view! {
        <h1>{heading}</h1>
        <p class="lede">{summary}</p>
        {body}
    }
}

#[component]
fn AcceptSignedIn(token: String) -> impl IntoView {
    let action = crate::ui::server_action::<AcceptInvitation>();
    let error = action_error(action.value());
    view! {
        <crate::ui::Form action=action attr:class="form">
            <ErrorSummary error title="The invitation was not accepted"/>
            <input type="hidden" name="token" value=token/>
            <button type="submit" class="button">"Accept the invitation"</button>
        </crate::ui::Form>
    }
}

#[component]
fn CreateAccount(token: String) -> impl IntoView {
    let action = crate::ui::server_action::<AcceptInvitationNew>();
    let error = action_error(action.value());
    view! {
        <p>"Create your account to accept."</p>
        <crate::ui::Form action=action attr:class="form" attr:novalidate=true>
            <ErrorSummary error title="Your account was not created"/>
            <input type="hidden" name="token" value=token/>
            <TextField
                name="name"
                label="Your name"
                autocomplete="name"
                required=true
                error=field_error(error, "name")
            />
            <TextField
                name="password"
                label="Choose a password"
                input_type="password"
                autocomplete="new-password"
                hint="At least 12 characters. A few unrelated words make a strong password that is easy to remember."
                required=true
                error=field_error(error, "password")
            />
            <button type="submit" class="button">
                "Create account and join"
            </button>
        </crate::ui::Form>
    }
}
