//! The family's pages: `/family` (their people, or how to add the first),
//! `/family/recipients/new` (one form) and `/family/recipients/:id`.

use super::{get_family_home, get_recipient, AddRecipient, FamilyHome, Recipient};
use crate::identity::RecipientId;
use crate::referrals::CareType;
use crate::ui::{action_error, field_error, ErrorSummary, Loaded, TextArea, TextField};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn FamilyHomePage() -> impl IntoView {
    let home = Resource::new(|| (), |_| get_family_home());
    view! {
        <Title text="Your family · Carethread"/>
        <div class="page">
            <Loaded resource=home loading="Loading…" ok=home_view/>
        </div>
    }
}

fn care_list(care: &[CareType]) -> String {
    care.iter()
        .map(|c| c.label())
        .collect::<Vec<_>>()
        .join(", ")
}

fn home_view(h: FamilyHome) -> impl IntoView {
    let FamilyHome {
        name,
        family,
        can_add,
        owner,
        recipients,
    } = h;
    let empty = recipients.is_empty();
    view! {
        <h1>{format!("Welcome, {name}")}</h1>
        <p class="lede">{family}</p>
        <section class="section" aria-labelledby="people-heading">
            <h2 id="people-heading">"The people you arrange care for"</h2>
            {if empty {
                view! {
                    <p class="empty" data-testid="no-recipients">
                        "No one yet. Add the person you arrange care for: their address and needs are what clinicians are matched on."
                    </p>
                }
                .into_any()
            } else {
                view! {
                    <ul class="list" role="list" data-testid="recipients">
                        {recipients.into_iter().map(|r| view! {
                            <li class="list__item">
                                <a href=format!("/family/recipients/{}", r.id)>{r.full_name.clone()}</a>
                                <span class="muted">{format!(" · {} · {}", r.place, care_list(&r.care_types))}</span>
                                {owner.then(|| view! {
                                    " "
                                    <a href=format!("/family/find?for={}", r.id)>{format!("Find a clinician for {}", r.full_name)}</a>
                                })}
                            </li>
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            {if can_add && owner {
                view! { <p><a class="button" href="/family/recipients/new">"Add a person"</a></p> }.into_any()
            } else if can_add {
                view! { <p class="muted">"You can see your family's people and visits; an owner adds people and books."</p> }.into_any()
            } else {
                view! {
                    <p class="notice">
                        "This account was made before families had a space of their own. Register again as a family (with another address) to add people."
                    </p>
                }
                .into_any()
            }}
        </section>
        {can_add.then(|| view! { <crate::booking::FamilyVisits/> })}
        <ul class="tiles" role="list">
            <li class="tile">
                <a href="/account">"Your account"</a>
                <p>"Password, sessions and sign-in history."</p>
            </li>
        </ul>
    }
}

#[component]
pub fn NewRecipientPage() -> impl IntoView {
    let action = crate::ui::server_action::<AddRecipient>();
    let error = action_error(action.value());
    let care_error = field_error(error, "care_types");
    view! {
        <Title text="Add a person · Carethread"/>
        <div class="page page--narrow">
            <p><a href="/family">"← Your family"</a></p>
            <h1>"Add a person you arrange care for"</h1>
            <p class="lede">
                "Only your family sees this. Their name, birth date, address and notes are stored encrypted; clinicians are matched on the ZIP code, the care needed, diagnoses and language."
            </p>
            <crate::ui::Form action attr:class="form" attr:novalidate=true>
                <ErrorSummary error title="The person was not added"/>
                <TextField name="full_name" label="Full name" autocomplete="off" required=true error=field_error(error, "full_name")/>
                <TextField name="birth_date" label="Date of birth" input_type="date" required=true error=field_error(error, "birth_date")/>
                <TextField name="address" label="Street address" hint="Where the visits take place." required=true error=field_error(error, "address")/>
                <TextField name="zip" label="ZIP code" inputmode="numeric" required=true error=field_error(error, "zip")/>
                <fieldset class="field" class:field--invalid=move || care_error.with(Option::is_some) id="care_types" tabindex="-1">
                    <legend>"Care needed" <span class="field__required">" (required)"</span></legend>
                    {move || care_error.get().map(|m| view! { <p class="field__error" id="care_types-error"><span class="visually-hidden">"Error: "</span>{m}</p> })}
                    {CareType::ALL.iter().enumerate().map(|(i, c)| {
                        let id = format!("care-{}", c.as_str());
                        let on = crate::ui::checked(&format!("care_types[{i}]"), false);
                        view! {
                            <div class="checkbox">
                                <input type="checkbox" id=id.clone() name=format!("care_types[{i}]") value=c.as_str() checked=on/>
                                <label for=id>{c.label()}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <TextField name="diagnoses" label="Diagnoses (optional)" hint="ICD-10-CM codes or names, separated by semicolons (commas between codes are fine), like I50.9, E11.9." error=field_error(error, "diagnoses")/>
                <TextField name="language" label="Language (optional)" hint="English if left empty." error=field_error(error, "language")/>
                <TextArea name="notes" label="Notes for the clinician (optional)" rows=3 error=field_error(error, "notes")/>
                <button type="submit" class="button">"Add this person"</button>
            </crate::ui::Form>
        </div>
    }
}

#[component]
pub fn RecipientPage() -> impl IntoView {
    let params = use_params_map();
    let recipient = Resource::new(
        move || params.with(|p| p.get("id").unwrap_or_default()),
        |id| async move {
            let id: RecipientId = id.parse().map_err(|_| crate::error::AppError::NotFound)?;
            get_recipient(id).await
        },
    );
    view! {
        <Title text="A person you care for · Carethread"/>
        <div class="page page--narrow">
            <p><a href="/family">"← Your family"</a></p>
            <Loaded resource=recipient loading="Loading…" ok=recipient_view/>
        </div>
    }
}

fn recipient_view(r: Recipient) -> impl IntoView {
    let diagnoses = if r.diagnoses.is_empty() {
        "None listed".to_owned()
    } else {
        r.diagnoses
            .iter()
            .map(|(code, text)| format!("{code} {text}"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    view! {
        <h1 data-testid="recipient-name">{r.details.full_name.clone()}</h1>
        <dl class="facts" data-testid="recipient">
            <div><dt>"Date of birth"</dt><dd>{r.details.birth_date.to_string()}</dd></div>
            <div><dt>"Address"</dt><dd>{format!("{}, {} {}", r.details.address, r.place, r.zip)}</dd></div>
            <div><dt>"Care needed"</dt><dd>{care_list(&r.care_types)}</dd></div>
            <div><dt>"Diagnoses"</dt><dd data-testid="recipient-diagnoses">{diagnoses}</dd></div>
            <div><dt>"Language"</dt><dd>{r.language.clone()}</dd></div>
            {r.details.notes.clone().map(|n| view! { <div><dt>"Notes"</dt><dd>{n}</dd></div> })}
        </dl>
    }
}
