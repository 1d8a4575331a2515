//! `/clinic/settings`: the clinic's profile and service area, its live
//! API keys, and its webhook endpoints with their delivery log and resend,
//! all through the signed-in session. Plain forms: they work without
//! JavaScript.

use super::api::{get_clinic_profile, SaveClinicProfile};
use super::branches::{get_branches, AddBranch, AssignBranch, Branches};
use super::model::*;
use crate::ui::server_action_in;
use crate::ui::{
    action_error, field_error, server_action, ErrorSummary, Form, Loaded, TextArea, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let saved = use_query_map().with_untracked(|q| q.get("saved"));
    let profile = Resource::new(|| (), |_| get_clinic_profile());
    let branches = Resource::new(|| (), |_| get_branches());
    view! {
        <Title text="Settings · Carethread"/>
        <div class="page">
            <h1>"Settings"</h1>
            {saved.map(|_| view! { <p class="notice notice--ok" role="status" data-testid="settings-saved">"Saved."</p> })}
            <Loaded resource=profile loading="Loading the clinic's profile…" ok=|p| view! { <ProfileForm profile=p/> }/>
            <section class="section" aria-labelledby="branches-heading">
                <h2 id="branches-heading">"Branches"</h2>
                <p class="section__intro">"Offices and the ZIP codes each serves. Staff assigned to a branch see its patients, visits and referrals only; staff with no branch, and administrators, see the whole clinic. New patients and referrals take the branch serving their ZIP."</p>
                <Loaded resource=branches loading="Loading branches…" ok=branches_view/>
            </section>
            <crate::developer::LiveKeys/>
            <section class="section" aria-labelledby="settings-webhooks-heading">
                <h2 id="settings-webhooks-heading">"Webhook endpoints"</h2>
                <p class="section__intro">"Events about your clinic's referrals and visits, signed and sent to your systems. Managed here with your sign-in; no API key is needed."</p>
                <crate::developer::Webhooks has_key=true via_session=true/>
            </section>
        </div>
    }
}

#[component]
fn ProfileForm(profile: ClinicProfile) -> impl IntoView {
    let save = server_action::<SaveClinicProfile>();
    let error = action_error(save.value());
    let area = if profile.service_zips.is_empty() {
        "No limit: referrals anywhere your clinicians travel.".to_owned()
    } else {
        format!("{} ZIP codes.", profile.service_zips.len())
    };
    view! {
        <section class="section panel" aria-labelledby="profile-heading">
            <h2 id="profile-heading">"Clinic profile"</h2>
            <p>
                <strong>{profile.name.clone()}</strong>
                <span class="muted">" · The clinic's legal name is changed by the platform's administrators, who check it."</span>
            </p>
            <ErrorSummary error title="The settings were not saved"/>
            <Form action=save attr:class="form" attr:novalidate=true>
                <TextField name="phone" label="Phone" input_type="tel" autocomplete="tel" inputmode="tel" error=field_error(error, "phone") value=Some(if profile.phone.is_empty() { String::new() } else { format_phone(&profile.phone) })/>
                <TextField name="street_address" label="Street address" autocomplete="street-address" error=field_error(error, "street_address") value=Some(profile.street_address.clone())/>
                <TextField name="zip" label="ZIP code" inputmode="numeric" autocomplete="postal-code" error=field_error(error, "zip") value=Some(profile.zip.clone())/>
                <TextField name="website" label="Website" input_type="url" hint="Starting with https://." error=field_error(error, "website") value=Some(profile.website.clone())/>
                <h3 id="service-area-heading">"Service area"</h3>
                <p class="section__intro" data-testid="service-area">{area}</p>
                <TextArea name="service_zips" label="ZIP codes you take patients in" hint="Separated by spaces, commas or new lines. Leave empty for no limit. Referrals from outside your area are routed to another clinic." rows=3 error=field_error(error, "service_zips") value=Some(profile.service_zips.join(" "))/>
                <button type="submit" class="button">"Save settings"</button>
            </Form>
        </section>
    }
}

fn branches_view(b: Branches) -> impl IntoView {
    let add = server_action::<AddBranch>();
    let error = action_error(add.value());
    let options = b.branches.clone();
    view! {
        {if b.branches.is_empty() {
            view! { <p class="empty">"No branches: everyone sees the whole clinic."</p> }.into_any()
        } else {
            view! {
                <ul class="list" role="list" data-testid="branches">
                    {b.branches.into_iter().map(|br| view! {
                        <li class="list__item">
                            <h3>{br.name.clone()}</h3>
                            <p class="meta">{format!("ZIP codes: {}", if br.zips.is_empty() { "none".to_owned() } else { br.zips.join(", ") })}</p>
                            <p class="meta">{format!("Staff: {}", if br.staff.is_empty() { "none yet".to_owned() } else { br.staff.join(", ") })}</p>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <details class="section" open=error.get_untracked().is_some()>
            <summary>"Add a branch"</summary>
            <Form action=add attr:class="form" attr:novalidate=true>
                <ErrorSummary error title="The branch was not added"/>
                <TextField name="branch_name" label="Branch name" required=true error=field_error(error, "branch_name")/>
                <TextArea name="zips" label="ZIP codes it serves" hint="Separated by spaces, commas or new lines." rows=2 error=field_error(error, "zips")/>
                <button type="submit" class="button button--secondary">"Add the branch"</button>
            </Form>
        </details>
        {(!b.staff.is_empty() && !options.is_empty()).then(|| view! {
            <h3 id="staff-branches-heading">"Who works where"</h3>
            <ul class="list" role="list" data-testid="staff-branches">
                {b.staff.into_iter().map(|m| staff_row(m, options.clone())).collect_view()}
            </ul>
        })}
    }
}

fn staff_row(
    m: super::branches::StaffBranch,
    branches: Vec<super::branches::BranchView>,
) -> impl IntoView {
    let key = m.user_id.to_string();
    let assign = server_action_in::<AssignBranch>(&key);
    let error = action_error(assign.value());
    let select_id = format!("branch-{key}");
    view! {
        <li class="list__item">
            <Form action=assign instance=key.clone() attr:class="form form--inline">
                <input type="hidden" name="user_id" value=key.clone()/>
                <div class="field" class:field--invalid=move || error.with(Option::is_some)>
                    <label for=select_id.clone()>{format!("{} ({})", m.name, m.email)}</label>
                    {move || error.get().map(|e| view! { <p class="field__error">{e.to_string()}</p> })}
                    <select id=select_id.clone() name="branch">
                        <option value="" selected=m.branch_id.is_none()>"Whole clinic"</option>
                        {branches.into_iter().map(|b| view! {
                            <option value=b.id.to_string() selected=m.branch_id == Some(b.id)>{b.name}</option>
                        }).collect_view()}
                    </select>
                </div>
                <button type="submit" class="button button--secondary">"Save"</button>
            </Form>
        </li>
    }
}
