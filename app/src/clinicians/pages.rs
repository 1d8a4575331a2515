//! `/clinician/profile` (a clinician's own profile: create, edit, see the
//! verification of the profile and of each license) and `/admin/clinicians`
//! (the verification queue: profiles, and each license as it reads now).

use super::{
    days_label, get_own_profile, verification_queue, ClinicianProfile, License, SaveOwnProfile,
    SetLicenseVerification, SetVerification, Verification, WEEKDAYS,
};
use crate::referrals::{CareType, Discipline};
use crate::ui::Loaded;
use crate::ui::{
    action_error, field_error, format_datetime, DataTable, ErrorSummary, SelectField, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ClinicianProfilePage() -> impl IntoView {
    let save = crate::ui::server_action::<SaveOwnProfile>();
    let profile = Resource::new(|| (), |_| get_own_profile());
    view! {
        <Title text="Your clinician profile · Carethread"/>
        <div class="page">
            <h1>"Your clinician profile"</h1>
            <Loaded resource=profile loading="Loading…" ok=move |profile| view! { <Profile profile save/> }/>
        </div>
    }
}

/// The profile's status, licenses, and the form.
#[component]
fn Profile(profile: Option<ClinicianProfile>, save: ServerAction<SaveOwnProfile>) -> impl IntoView {
    let summary = profile.clone().map(|p| {
        let verified = p
            .verified_at
            .map(|at| format!(" on {}", format_datetime(at)))
            .unwrap_or_default();
        view! {
            <div class="panel">
                <p>
                    <span class=p.verification.css() data-testid="verification">{p.verification.label()}</span>
                    {verified}
                </p>
                <p class="muted">
                    {match p.verification {
                        Verification::Verified => "You are matched to referrals in the states where your license is verified and current.",
                        Verification::Pending => "A platform administrator checks your NPI and license before you are matched to referrals.",
                        _ => "You are not matched to referrals. Contact the platform administrator.",
                    }}
                </p>
                <ul class="list" role="list" data-testid="licenses">
                    {p.licenses.into_iter().map(|l| {
                        let verification = license_verification(&l);
                        view! {
                            <li class="list__item" data-license-status=l.verification.as_str()>
                                <span>{format!("{} license {}", l.state, l.number)}</span>
                                {if l.expired {
                                    view! { <span class="badge badge--planned">{format!("Expired {} · not matched in {}", l.expires_on, l.state)}</span> }.into_any()
                                } else {
                                    view! { <span class="muted">{format!("Valid until {}", l.expires_on)}</span> }.into_any()
                                }}
                                {verification}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        }
    });
    let error = action_error(save.value());
    let saved = move || save.value().with(|v| matches!(v, Some(Ok(()))));
    let p = profile;
    let license = p.as_ref().and_then(|p| p.licenses.first().cloned());
    let mask = p.as_ref().map_or(0b001_1111, |p| p.available_days);
    let discipline = p.as_ref().map(|p| p.discipline.as_str());
    let care = p
        .as_ref()
        .and_then(|p| p.care_types.first().map(|c| c.as_str()));
    view! {
        {summary}
        <section class="section" aria-labelledby="profile-form-heading">
            <h2 id="profile-form-heading">
                {if p.is_some() { "Update your profile" } else { "Create your profile" }}
            </h2>
            <Show when=saved>
                <p class="notice notice--success" role="status" data-testid="profile-saved">"Saved."</p>
            </Show>
            <crate::ui::Form action=save attr:class="form form--wide" attr:novalidate=true>
                <ErrorSummary error title="Your profile was not saved"/>
                <fieldset class="fieldset">
                    <legend>"Who you are"</legend>
                    <TextField name="name" label="Your name as licensed" required=true value=p.as_ref().map(|p| p.display_name.clone()) error=field_error(error, "name")/>
                    <SelectField
                        name="discipline"
                        label="Discipline"
                        required=true
                        options=Discipline::ALL.iter().map(|d| (d.as_str(), d.label())).collect()
                        selected=discipline.unwrap_or("")
                        error=field_error(error, "discipline")
                    />
                    <TextField name="npi" label="NPI" inputmode="numeric" required=true value=p.as_ref().map(|p| p.npi.clone()) error=field_error(error, "npi")/>
                </fieldset>
                <fieldset class="fieldset">
                    <legend>"License"</legend>
                    <TextField name="license_state" label="State" hint="Two letters, like OH." required=true value=license.as_ref().map(|l| l.state.clone()) error=field_error(error, "license_state")/>
                    <TextField name="license_number" label="License number" required=true value=license.as_ref().map(|l| l.number.clone()) error=field_error(error, "license_number")/>
                    <TextField name="license_expires" label="Expires on" input_type="date" required=true value=license.as_ref().map(|l| l.expires_on.to_string()) error=field_error(error, "license_expires")/>
                </fieldset>
                <fieldset class="fieldset">
                    <legend>"Where and what"</legend>
                    <TextField name="zip" label="ZIP code you travel from" inputmode="numeric" required=true value=p.as_ref().map(|p| p.home_zip.clone()) error=field_error(error, "zip")/>
                    <TextField name="radius" label="How far you travel (miles)" inputmode="numeric" required=true value=p.as_ref().map(|p| p.service_radius_miles.to_string()) error=field_error(error, "radius")/>
                    <SelectField
                        name="care_type"
                        label="Care you provide"
                        required=true
                        options=CareType::ALL.iter().map(|c| (c.as_str(), c.label())).collect()
                        selected=care.unwrap_or("")
                        error=field_error(error, "care_type")
                    />
                    <TextField
                        name="categories"
                        label="Diagnosis experience"
                        hint="ICD-10-CM categories, comma-separated: I50 heart failure, E11 type 2 diabetes, J44 COPD…"
                        required=true
                        value=p.as_ref().map(|p| p.diagnosis_categories.join(", "))
                        error=field_error(error, "categories")
                    />
                    <TextField name="languages" label="Languages" hint="Two-letter codes: en, es, zh…" value=p.as_ref().map(|p| p.languages.join(", ")) error=field_error(error, "languages")/>
                </fieldset>
                <fieldset class="fieldset">
                    <legend>"Availability"</legend>
                    <div class="days">
                        {WEEKDAYS.iter().enumerate().map(|(i, day)| {
                            let name = format!("day_{}", day.to_lowercase());
                            let label_for = name.clone();
                            let input_id = name.clone();
                            // As submitted after a rejected save, else as saved.
                            let on = crate::ui::checked(&name, mask & (1 << i) != 0);
                            view! {
                                <label class="check" for=label_for>
                                    <input type="checkbox" id=input_id name=name checked=on/>
                                    {*day}
                                </label>
                            }
                        }).collect_view()}
                    </div>
                    <TextField name="slots" label="New patients you can take now" inputmode="numeric" required=true value=p.as_ref().map(|p| p.open_slots.to_string()) error=field_error(error, "slots")/>
                </fieldset>
                <button type="submit" class="button">"Save profile"</button>
            </crate::ui::Form>
        </section>
    }
}

/// A license's verification as its clinician reads it: when it was
/// verified, or that they are not matched in its state until it is.
fn license_verification(l: &License) -> impl IntoView {
    match l.verification {
        Verification::Verified => view! {
            <span class="muted">
                {l.verified_at.map_or_else(|| "Verified".to_owned(), |at| format!("Verified on {}", format_datetime(at)))}
            </span>
        }
        .into_any(),
        Verification::Pending => view! {
            <span class="badge badge--progress" data-testid="license-pending">
                {format!("Awaiting verification · not matched in {} until a platform administrator verifies this license", l.state)}
            </span>
        }
        .into_any(),
        _ => view! {
            <span class="badge badge--planned">
                {format!("Not verified · not matched in {}", l.state)}
            </span>
        }
        .into_any(),
    }
}

#[component]
pub fn VerificationQueuePage() -> impl IntoView {
    let verify = crate::ui::server_action::<SetVerification>();
    let verify_license = crate::ui::server_action::<SetLicenseVerification>();
    let queue = Resource::new(|| (), |_| verification_queue());
    let error = action_error(verify.value());
    let license_error = action_error(verify_license.value());
    view! {
        <Title text="Clinician verification · Carethread"/>
        <div class="page">
            <h1>"Clinician verification"</h1>
            <p class="lede">"Check each NPI and each state license before the clinician is matched to referrals: a clinician is matched only in states where their license is verified. Those waiting come first."</p>
            <ErrorSummary error title="That change was not made"/>
            <ErrorSummary error=license_error title="That license was not decided"/>
            <Loaded resource=queue loading="Loading…" ok=move |list| view! { <Queue list verify verify_license/> }/>
        </div>
    }
}

#[component]
fn Queue(
    list: Vec<ClinicianProfile>,
    verify: ServerAction<SetVerification>,
    verify_license: ServerAction<SetLicenseVerification>,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty">"No clinicians yet."</p> }.into_any();
    }
    view! {
        <DataTable label="Clinicians" testid="clinicians" columns=["Clinician", "NPI", "Licenses", "Area", "Status", "Decide"]>
                    {list.into_iter().map(|c| {
                        let id = c.id.to_string();
                        let licenses = c.licenses.into_iter().map(|l| {
                            view! { <LicenseDecision clinician=id.clone() license=l verify_license/> }
                        }).collect_view();
                        let actions: Vec<(&'static str, &'static str)> = match c.verification {
                            Verification::Verified => vec![("suspended", "Suspend")],
                            Verification::Pending => vec![("verified", "Verify"), ("rejected", "Reject")],
                            _ => vec![("verified", "Verify")],
                        };
                        view! {
                            <tr data-status=c.verification.as_str()>
                                <th scope="row">{c.display_name}<span class="muted">{format!(" · {}", c.discipline.label())}</span></th>
                                <td>{c.npi}</td>
                                <td><ul class="license-list" role="list">{licenses}</ul></td>
                                <td>{format!("{} · {} mi · {}", c.home_zip, c.service_radius_miles, days_label(c.available_days))}</td>
                                <td>
                                    <span class=c.verification.css()>{c.verification.label()}</span>
                                    {c.verified_at.map(|at| view! { <span class="muted">{format!(" {}", format_datetime(at))}</span> })}
                                </td>
                                <td class="actions">
                                    {actions.into_iter().map(|(status, label)| {
                                        let id = id.clone();
                                        view! {
                                            <crate::ui::Form action=verify attr:class="inline-form">
                                                <input type="hidden" name="id" value=id/>
                                                <input type="hidden" name="status" value=status/>
                                                <button type="submit" class="button button--secondary">{label}</button>
                                            </crate::ui::Form>
                                        }
                                    }).collect_view()}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
        </DataTable>
    }
    .into_any()
}

/// One license in the queue: what it reads now, its verification, and the
/// decisions left. The form sends back the state, number and expiry shown,
/// so a license changed since is not decided unseen.
#[component]
fn LicenseDecision(
    clinician: String,
    license: License,
    verify_license: ServerAction<SetLicenseVerification>,
) -> impl IntoView {
    let l = license;
    let actions: Vec<(&'static str, String)> = match l.verification {
        Verification::Pending => vec![
            ("verified", format!("Verify {} license", l.state)),
            ("rejected", format!("Reject {} license", l.state)),
        ],
        Verification::Verified => vec![("rejected", format!("Withdraw {} license", l.state))],
        _ => vec![("verified", format!("Verify {} license", l.state))],
    };
    let expires_on = l.expires_on.to_string();
    view! {
        <li class="license-list__item" data-license-status=l.verification.as_str()>
            {format!("{} {} (until {}{})", l.state, l.number, l.expires_on, if l.expired { ", expired" } else { "" })}
            " "
            <span class=l.verification.css()>{l.verification.label()}</span>
            {l.verified_at.map(|at| view! { <span class="muted">{format!(" {}", format_datetime(at))}</span> })}
            {actions.into_iter().map(|(status, label)| {
                let (id, state, number, expires_on) =
                    (clinician.clone(), l.state.clone(), l.number.clone(), expires_on.clone());
                view! {
                    <crate::ui::Form action=verify_license attr:class="inline-form">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="state" value=state/>
                        <input type="hidden" name="number" value=number/>
                        <input type="hidden" name="expires_on" value=expires_on/>
                        <input type="hidden" name="status" value=status/>
                        <button type="submit" class="button button--secondary">{label}</button>
                    </crate::ui::Form>
                }
            }).collect_view()}
        </li>
    }
}
