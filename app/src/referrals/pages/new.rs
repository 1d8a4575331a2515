//! `/referrer/referrals/new`: a discharge referral in one form. The
//! diagnosis field suggests ICD-10-CM codes as you type; the ZIP field says
//! which city it is; errors are named per field and nothing is saved until
//! everything is right.

use crate::referrals::{
    lookup_zip, referral_form_options, search_diagnoses, CareType, CreateReferral, Priority,
};
use crate::ui::Loaded;
use crate::ui::{
    action_error, field_error, submitted, ErrorSummary, SelectField, TextArea, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NewReferralPage() -> impl IntoView {
    let options = Resource::new(|| (), |_| referral_form_options());
    view! {
        <Title text="New referral · Carethread"/>
        <div class="page">
            <h1>"New discharge referral"</h1>
            <p class="lede">
                "Send only what the clinic needs to decide: initials, ZIP, primary diagnosis and the care asked for. "
                "Matching verified clinicians are ranked as soon as you send it."
            </p>
            <Loaded resource=options loading="Loading…" ok=move |options| view! { <ReferralForm clinics=options.clinics today=options.today/> }/>
        </div>
    }
}

#[component]
fn ReferralForm(
    clinics: Vec<(crate::identity::OrganizationId, String)>,
    today: time::Date,
) -> impl IntoView {
    let action = crate::ui::server_action::<CreateReferral>();
    let error = action_error(action.value());

    let start_error = field_error(error, "requested_start");
    let clinic_error = field_error(error, "clinic_id");
    // The server's date: the browser's clock is not consulted.
    let today = today.to_string();
    let chosen_clinic = submitted("clinic_id").unwrap_or_default();
    let clinic_options: Vec<(String, String)> = clinics
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();

    view! {
        <crate::ui::Form action=action attr:class="form form--wide" attr:novalidate=true>
            <ErrorSummary error title="The referral was not sent"/>
            <fieldset class="fieldset">
                <legend>"Patient"</legend>
                <TextField
                    name="patient_initials"
                    label="Initials"
                    hint="Two or three letters, like J.D. No full names."
                    required=true
                    error=field_error(error, "patient_initials")
                />
                <TextField
                    name="patient_birth_year"
                    label="Year of birth (optional)"
                    inputmode="numeric"
                    error=field_error(error, "patient_birth_year")
                />
                <ZipField
                    error=field_error(error, "zip").get_untracked()
                    value=submitted("zip")
                />
            </fieldset>
            <fieldset class="fieldset">
                <legend>"Care"</legend>
                <DiagnosisField
                    error=field_error(error, "diagnosis").get_untracked()
                    value=submitted("diagnosis")
                />
                <SelectField
                    name="care_type"
                    label="Type of care"
                    required=true
                    options=CareType::ALL.iter().map(|c| (c.as_str(), c.label())).collect()
                    error=field_error(error, "care_type")
                />
                <SelectField
                    name="priority"
                    label="Priority"
                    required=true
                    options=Priority::ALL.iter().map(|p| (p.as_str(), p.label())).collect()
                    error=field_error(error, "priority")
                />
                <div class="field" class:field--invalid=move || start_error.with(Option::is_some)>
                    <label for="requested_start">
                        "Requested start" <span class="field__required">" (required)"</span>
                    </label>
                    {move || {
                        start_error
                            .get()
                            .map(|m| {
                                view! {
                                    <p class="field__error" id="requested_start-error">
                                        <span class="visually-hidden">"Error: "</span>
                                        {m}
                                    </p>
                                }
                            })
                    }}
                    <input
                        type="date"
                        id="requested_start"
                        name="requested_start"
                        min=today.clone()
                        value=submitted("requested_start").unwrap_or(today)
                        aria-required="true"
                        aria-invalid=move || start_error.with(Option::is_some).then_some("true")
                        aria-describedby=move || start_error.with(Option::is_some).then_some("requested_start-error")
                    />
                </div>
                <div class="field" class:field--invalid=move || clinic_error.with(Option::is_some)>
                    <label for="clinic_id">"Send to (optional)"</label>
                    <p class="field__hint" id="clinic_id-hint">
                        "Leave this to route the referral to the clinic of the best-matching clinician."
                    </p>
                    <select id="clinic_id" name="clinic_id" aria-describedby="clinic_id-hint">
                        <option value="">"The clinic of the best match"</option>
                        {clinic_options
                            .into_iter()
                            .map(|(id, name)| {
                                let selected = id == chosen_clinic;
                                view! { <option value=id selected=selected>{name}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
                <TextArea
                    name="notes"
                    label="Notes for the clinic (optional)"
                    hint="Services needed, equipment, who to call. Keep identifying details out."
                    error=field_error(error, "notes")
                />
            </fieldset>
            <fieldset class="fieldset">
                <legend>"Patient packet"</legend>
                <p class="muted">
                    "Encrypted, and released only to the clinic that accepts the referral. "
                    "Leave it empty to send the details later."
                </p>
                <TextField name="packet_full_name" label="Full name" autocomplete="off" error=field_error(error, "packet_full_name")/>
                <TextField name="packet_birth_date" label="Date of birth" input_type="date" error=field_error(error, "packet_birth_date")/>
                <TextField name="packet_address" label="Street address" autocomplete="off" error=field_error(error, "packet_address")/>
                <TextField name="packet_phone" label="Phone" input_type="tel" error=field_error(error, "packet_phone")/>
                <SelectField
                    name="packet_payer"
                    label="Payer"
                    options=crate::patients::PayerKind::ALL.iter().map(|p| (p.as_str(), p.label())).collect()
                    error=field_error(error, "packet_payer")
                />
                <TextField name="packet_member_id" label="Member id (not for private pay)" autocomplete="off" error=field_error(error, "packet_member_id")/>
                <TextField name="packet_emergency_name" label="Emergency contact" autocomplete="off" error=field_error(error, "packet_emergency_name")/>
                <TextField name="packet_emergency_phone" label="Emergency contact's phone" input_type="tel" error=field_error(error, "packet_emergency_phone")/>
            </fieldset>
            <button type="submit" class="button">
                "Send the referral"
            </button>
        </crate::ui::Form>
    }
}

/// The home's ZIP code; with JavaScript it names the city once five digits
/// are typed (the server checks the ZIP either way). Calls the server
/// function from the input handler, not through a `Resource`: an island
/// ships as wasm, and async resources with their suspense machinery cost
/// it tens of kilobytes.
#[island]
fn ZipField(error: Option<String>, value: Option<String>) -> impl IntoView {
    let status = RwSignal::new(None::<String>);
    let on_input = Callback::new(move |zip: String| {
        let zip = zip.trim().to_owned();
        if zip.len() != 5 {
            status.set(None);
            return;
        }
        leptos::task::spawn_local(async move {
            let line = match lookup_zip(zip).await {
                Ok(Some(p)) => Some(format!("{}, {}", p.city, p.state)),
                Ok(None) => Some("We do not know this ZIP code.".to_owned()),
                Err(_) => None,
            };
            status.set(line);
        });
    });
    view! {
        <TextField
            name="zip"
            label="ZIP code of the home"
            inputmode="numeric"
            autocomplete="postal-code"
            required=true
            error=Signal::stored(error)
            value=value
            on_input=on_input
            status=Signal::derive(move || status.get())
        />
    }
}

/// The primary diagnosis; with JavaScript it suggests ICD-10-CM codes as
/// the person types (two or more characters) through a native
/// `<datalist>`. Without it, the code or its words are typed and the
/// server resolves them. The newest answer wins: an older search that
/// comes back late is dropped.
#[island]
fn DiagnosisField(error: Option<String>, value: Option<String>) -> impl IntoView {
    let suggestions = RwSignal::new(Vec::<String>::new());
    let latest = RwSignal::new(0u32);
    let on_input = Callback::new(move |query: String| {
        let ticket = latest.get_untracked().wrapping_add(1);
        latest.set(ticket);
        if query.trim().chars().count() < 2 {
            suggestions.set(Vec::new());
            return;
        }
        leptos::task::spawn_local(async move {
            let found = search_diagnoses(query).await.unwrap_or_default();
            if latest.get_untracked() == ticket {
                suggestions.set(
                    found
                        .into_iter()
                        .map(|d| format!("{} {}", d.display, d.description))
                        .collect(),
                );
            }
        });
    });
    view! {
        <TextField
            name="diagnosis"
            label="Primary diagnosis"
            hint="Type the condition or the ICD-10-CM code, then choose from the suggestions."
            required=true
            list="diagnosis-options"
            error=Signal::stored(error)
            value=value
            on_input=on_input
        />
        <datalist id="diagnosis-options">
            {move || {
                suggestions
                    .get()
                    .into_iter()
                    .map(|value| view! { <option value=value></option> })
                    .collect_view()
            }}
        </datalist>
        <p class="visually-hidden" aria-live="polite">
            {move || match suggestions.with(Vec::len) {
                0 => String::new(),
                n => format!("{n} diagnoses suggested"),
            }}
        </p>
    }
}
