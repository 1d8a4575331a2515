//! `/clinic/settings`: the clinic's profile and service area, its live
//! API keys, and its webhook endpoints with their delivery log and resend,
//! all through the signed-in session. Plain forms: they work without
//! JavaScript.

use super::api::{get_clinic_profile, SaveClinicProfile};
use super::model::*;
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
    view! {
        <Title text="Settings · Carethread"/>
        <div class="page">
            <h1>"Settings"</h1>
            {saved.map(|_| view! { <p class="notice notice--ok" role="status" data-testid="settings-saved">"Saved."</p> })}
            <Loaded resource=profile loading="Loading the clinic's profile…" ok=|p| view! { <ProfileForm profile=p/> }/>
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
