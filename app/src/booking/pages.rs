//! `/clinician/availability`: the clinician's weekly hours, days off and
//! rates, and the open slots families will see. Every change is a plain
//! form (it works without JavaScript); the page shows the result.

use super::slots::{clock, WEEKDAYS};
use super::{
    get_availability, AddDayOff, AddHours, Availability, RemoveDayOff, RemoveHours, SetRates,
};
use crate::ui::{action_error, field_error, ErrorSummary, Loaded, SelectField, TextField};
use leptos::prelude::*;
use leptos_meta::Title;

/// "Monday 2026-11-30 · 09:00–10:00 UTC".
fn opening(t: time::OffsetDateTime) -> String {
    let start = u16::from(t.hour()) * 60 + u16::from(t.minute());
    let minutes = super::VISIT_MINUTES as u16;
    format!(
        "{} {} · {}–{} UTC",
        WEEKDAYS[usize::from(t.weekday().number_days_from_monday())],
        t.date(),
        clock(start),
        clock(start + minutes)
    )
}

#[derive(Clone, Copy)]
struct Actions {
    add_hours: ServerAction<AddHours>,
    remove_hours: ServerAction<RemoveHours>,
    add_day_off: ServerAction<AddDayOff>,
    remove_day_off: ServerAction<RemoveDayOff>,
    set_rates: ServerAction<SetRates>,
}

#[component]
pub fn AvailabilityPage() -> impl IntoView {
    let a = Actions {
        add_hours: crate::ui::server_action::<AddHours>(),
        remove_hours: crate::ui::server_action::<RemoveHours>(),
        add_day_off: crate::ui::server_action::<AddDayOff>(),
        remove_day_off: crate::ui::server_action::<RemoveDayOff>(),
        set_rates: crate::ui::server_action::<SetRates>(),
    };
    let data = Resource::new(|| (), |_| get_availability());
    view! {
        <Title text="Availability and rates · Carethread"/>
        <div class="page page--narrow">
            <h1>"Availability and rates"</h1>
            <p class="lede">
                "Families book one-hour visits inside your weekly hours, never on a day off or over a visit you already have in any clinic. Times are UTC."
            </p>
            <Loaded resource=data loading="Loading your availability…" ok=move |d| view(d, a)/>
        </div>
    }
}

fn view(d: Availability, a: Actions) -> impl IntoView {
    let hours_error = action_error(a.add_hours.value());
    let day_error = action_error(a.add_day_off.value());
    let rates_error = action_error(a.set_rates.value());
    let remove_error = action_error(a.remove_hours.value());
    let today = d.today.to_string();
    view! {
        <section class="section" aria-labelledby="hours-heading">
            <h2 id="hours-heading">"Weekly hours"</h2>
            <ErrorSummary error=remove_error title="Those hours were not removed"/>
            {if d.hours.is_empty() {
                view! { <p class="empty" data-testid="no-hours">"No hours yet: families cannot book you until you add some."</p> }.into_any()
            } else {
                view! {
                    <ul class="list" role="list" data-testid="hours">
                        {d.hours.into_iter().map(|h| {
                            let label = format!("{} {}–{}", WEEKDAYS[usize::from(h.hours.weekday)], clock(h.hours.start_minute), clock(h.hours.end_minute));
                            let id = h.id.to_string();
                            view! {
                                <li class="list__item">
                                    <span>{label.clone()}</span>
                                    <crate::ui::Form action=a.remove_hours instance=format!("remove-{id}") attr:class="inline-form">
                                        <input type="hidden" name="id" value=id.clone()/>
                                        <button type="submit" class="button button--secondary" aria-label=format!("Remove {label}")>"Remove"</button>
                                    </crate::ui::Form>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <crate::ui::Form action=a.add_hours attr:class="form" attr:novalidate=true>
                <ErrorSummary error=hours_error title="Those hours were not added"/>
                <SelectField
                    name="weekday"
                    label="Day"
                    required=true
                    options=vec![("0", "Monday"), ("1", "Tuesday"), ("2", "Wednesday"), ("3", "Thursday"), ("4", "Friday"), ("5", "Saturday"), ("6", "Sunday")]
                    error=field_error(hours_error, "weekday")
                />
                <TextField name="start" label="From (UTC)" input_type="time" required=true error=field_error(hours_error, "start")/>
                <TextField name="end" label="Until (UTC)" input_type="time" hint="00:00 means midnight." required=true error=field_error(hours_error, "end")/>
                <button type="submit" class="button">"Add these hours"</button>
            </crate::ui::Form>
        </section>

        <section class="section" aria-labelledby="off-heading">
            <h2 id="off-heading">"Days off"</h2>
            <ErrorSummary error=action_error(a.remove_day_off.value()) title="That day off was not removed"/>
            {if d.days_off.is_empty() {
                view! { <p class="empty">"No days off ahead."</p> }.into_any()
            } else {
                view! {
                    <ul class="list" role="list" data-testid="days-off">
                        {d.days_off.into_iter().map(|day| {
                            let day = day.to_string();
                            view! {
                                <li class="list__item">
                                    <span>{day.clone()}</span>
                                    <crate::ui::Form action=a.remove_day_off instance=format!("off-{day}") attr:class="inline-form">
                                        <input type="hidden" name="day" value=day.clone()/>
                                        <button type="submit" class="button button--secondary" aria-label=format!("Remove the day off {day}")>"Remove"</button>
                                    </crate::ui::Form>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <crate::ui::Form action=a.add_day_off attr:class="form" attr:novalidate=true>
                <ErrorSummary error=day_error title="The day off was not added"/>
                <div class="field" class:field--invalid=move || field_error(day_error, "day").with(Option::is_some)>
                    <label for="day">"Day off" <span class="field__required">" (required)"</span></label>
                    {move || field_error(day_error, "day").get().map(|m| view! { <p class="field__error" id="day-error"><span class="visually-hidden">"Error: "</span>{m}</p> })}
                    <input
                        type="date"
                        id="day"
                        name="day"
                        min=today
                        value=crate::ui::submitted("day")
                        aria-required="true"
                        aria-invalid=move || field_error(day_error, "day").with(Option::is_some).then_some("true")
                        aria-describedby=move || field_error(day_error, "day").with(Option::is_some).then_some("day-error")
                    />
                </div>
                <button type="submit" class="button">"Add the day off"</button>
            </crate::ui::Form>
        </section>

        <section class="section" aria-labelledby="rates-heading">
            <h2 id="rates-heading">"Rates per visit"</h2>
            {d.rates.is_empty().then(|| view! {
                <p class="empty">"Your profile offers no service yet: add the care you give on "<a href="/clinician/profile">"your profile"</a>"."</p>
            })}
            <crate::ui::Form action=a.set_rates attr:class="form" attr:novalidate=true>
                <ErrorSummary error=rates_error title="The rates were not saved"/>
                {d.rates.into_iter().map(|(service, cents)| {
                    let field = format!("rate_{}", service.as_str());
                    let name = format!("rates[{}]", service.as_str());
                    let id = field.clone();
                    let error_id = format!("{field}-error");
                    let message = {
                        let field = field.clone();
                        move || rates_error.with(|e| e.as_ref().and_then(|e| e.field_message(&field)).map(str::to_owned))
                    };
                    let invalid = message.clone();
                    let described = message.clone();
                    let described_id = error_id.clone();
                    let value = crate::ui::submitted(&name).or(cents.map(|c| format!("{}.{:02}", c.0 / 100, c.0 % 100)));
                    view! {
                        <div class="field">
                            <label for=id.clone()>{format!("{} (US dollars, empty for none)", service.label())}</label>
                            {move || message().map(|m| view! { <p class="field__error" id=error_id.clone()><span class="visually-hidden">"Error: "</span>{m}</p> })}
                            <input
                                id=id
                                name=name
                                inputmode="decimal"
                                value=value
                                aria-invalid=move || invalid().is_some().then_some("true")
                                aria-describedby=move || described().is_some().then(|| described_id.clone())
                            />
                        </div>
                    }
                }).collect_view()}
                <button type="submit" class="button">"Save the rates"</button>
            </crate::ui::Form>
        </section>

        <section class="section" aria-labelledby="openings-heading">
            <h2 id="openings-heading">"Your next openings"</h2>
            {if d.openings.is_empty() {
                view! { <p class="empty" data-testid="no-openings">"None in the next two weeks."</p> }.into_any()
            } else {
                view! {
                    <ul class="list" role="list" data-testid="openings">
                        {d.openings.into_iter().map(|t| view! { <li class="list__item">{opening(t)}</li> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// "Mon 2026-11-30, 09:00 UTC" for an opening in a list of a few.
fn short_opening(t: time::OffsetDateTime) -> String {
    let start = u16::from(t.hour()) * 60 + u16::from(t.minute());
    format!(
        "{} {}, {} UTC",
        &WEEKDAYS[usize::from(t.weekday().number_days_from_monday())][..3],
        t.date(),
        clock(start)
    )
}

fn licenses_view(licenses: Vec<super::LicenseBadge>) -> impl IntoView {
    view! {
        <ul class="badges" role="list" data-testid="licenses">
            {licenses.into_iter().map(|l| {
                let text = match l.verified_at {
                    Some(at) => format!("{} license verified {}, valid until {}", l.state, at.date(), l.expires_on),
                    None => format!("{} license not verified", l.state),
                };
                let class = if l.verified_at.is_some() { "badge badge--ok" } else { "badge badge--planned" };
                view! { <li class=class>{text}</li> }
            }).collect_view()}
        </ul>
    }
}

fn card_view(c: super::ClinicianCard) -> impl IntoView {
    let languages = c
        .languages
        .iter()
        .map(|l| super::search::language_name(l).to_owned())
        .collect::<Vec<_>>()
        .join(", ");
    let rate = c
        .rates
        .first()
        .map(|(_, cents)| format!("{cents} a visit"))
        .unwrap_or_else(|| "No rate yet: not bookable for this care".to_owned());
    let miles = c
        .miles
        .map(|m| format!(" · {m:.1} miles"))
        .unwrap_or_default();
    let href = format!("/family/clinicians/{}", c.id);
    view! {
        <li class="card" data-testid="clinician-card">
            <h3><a href=href>{c.name.clone()}</a></h3>
            <p class="muted">{format!("{}{miles} · speaks {languages}", c.discipline.label())}</p>
            {licenses_view(c.licenses)}
            <p data-testid="rate">{rate}</p>
            {if c.openings.is_empty() {
                view! { <p class="muted">"No openings in the next two weeks."</p> }.into_any()
            } else {
                view! {
                    <p>"Next openings: " {c.openings.into_iter().map(short_opening).collect::<Vec<_>>().join(" · ")}</p>
                }.into_any()
            }}
        </li>
    }
}

/// `/family/find`: a plain GET form (it works without JavaScript; the
/// address is the search, so it can be bookmarked or shared within the
/// family) and the clinicians it finds.
#[component]
pub fn FindClinicianPage() -> impl IntoView {
    use leptos_router::hooks::use_query_map;
    let form = use_query_map().with_untracked(|q| {
        let text = |name: &str| q.get(name).unwrap_or_default();
        super::SearchForm {
            for_id: text("for"),
            zip: text("zip"),
            care_type: text("care_type"),
            diagnosis: text("diagnosis"),
            language: text("language"),
            date: text("date"),
        }
    });
    let results = Resource::new(
        move || form.clone(),
        |f| {
            super::find_clinicians(
                f.for_id,
                f.zip,
                f.care_type,
                f.diagnosis,
                f.language,
                f.date,
            )
        },
    );
    view! {
        <Title text="Find a clinician · Carethread"/>
        <div class="page">
            <p><a href="/family">"← Your family"</a></p>
            <h1>"Find a clinician"</h1>
            <p class="lede">"Verified clinicians who serve the ZIP code, with the date each license was verified, their rate and their next openings."</p>
            <Loaded resource=results loading="Searching…" ok=find_view/>
        </div>
    }
}

fn find_view(r: super::SearchResults) -> impl IntoView {
    let f = r.form.clone();
    // The person's details fill the form, shown but not sent: the address
    // carries only which person, never their ZIP or diagnosis.
    let person = r
        .recipients
        .iter()
        .find(|(id, _)| id.to_string() == f.for_id)
        .map(|(_, name)| name.clone());
    let from_person = person.is_some();
    let problem = |field: &str| {
        r.problems
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.clone())
    };
    let text_field = |name: &'static str,
                      label: &'static str,
                      value: String,
                      hint: &'static str,
                      input_type: &'static str,
                      locked: bool| {
        let message = problem(name);
        let invalid = message.is_some();
        let error_id = format!("{name}-error");
        let hint_id = format!("{name}-hint");
        let described = if invalid {
            format!("{hint_id} {error_id}")
        } else {
            hint_id.clone()
        };
        view! {
            <div class="field" class:field--invalid=invalid>
                <label for=name>{label}</label>
                <p class="field__hint" id=hint_id>{hint}</p>
                {message.map(|m| view! { <p class="field__error" id=error_id><span class="visually-hidden">"Error: "</span>{m}</p> })}
                <input id=name name=name type=input_type value=value disabled=locked aria-invalid=invalid.then_some("true") aria-describedby=described/>
            </div>
        }
    };
    let care_problem = problem("care_type");
    let care_invalid = care_problem.is_some();
    let language_problem = problem("language");
    let language_invalid = language_problem.is_some();
    view! {
        <form class="form" method="get" action="/family/find" aria-label="Search for clinicians">
            {(!r.problems.is_empty()).then(|| view! {
                <div class="error-summary" role="alert" tabindex="-1">
                    <h3 class="error-summary__title">"Please correct the highlighted fields"</h3>
                    <ul>{r.problems.iter().map(|p| view! { <li><a href=format!("#{}", p.field)>{p.message.clone()}</a></li> }).collect_view()}</ul>
                </div>
            })}
            {(!r.recipients.is_empty()).then(|| {
                let chosen = f.for_id.clone();
                view! {
                    <div class="field">
                        <label for="for">"For"</label>
                        <select id="for" name="for">
                            <option value="">"Nobody in particular"</option>
                            {r.recipients.iter().map(|(id, name)| {
                                let id = id.to_string();
                                let selected = id == chosen;
                                view! { <option value=id selected=selected>{name.clone()}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                }
            })}
            {person.clone().map(|name| view! {
                <p class="notice" data-testid="using-person">{format!("Searching with {name}'s ZIP code, care, diagnosis and language. Choose “Nobody in particular” to enter your own.")}</p>
            })}
            {text_field("zip", "ZIP code", f.zip.clone(), "Where the visits take place.", "text", from_person)}
            <div class="field" class:field--invalid=care_invalid>
                <label for="care_type">"Care needed"</label>
                {care_problem.map(|m| view! { <p class="field__error" id="care_type-error"><span class="visually-hidden">"Error: "</span>{m}</p> })}
                <select
                    id="care_type"
                    name="care_type"
                    disabled=from_person
                    aria-invalid=care_invalid.then_some("true")
                    aria-describedby=care_invalid.then_some("care_type-error")
                >
                    <option value="">"Choose one…"</option>
                    {crate::referrals::CareType::ALL.iter().map(|c| view! {
                        <option value=c.as_str() selected=f.care_type == c.as_str()>{c.label()}</option>
                    }).collect_view()}
                </select>
            </div>
            {text_field("diagnosis", "Diagnosis (optional)", f.diagnosis.clone(), "An ICD-10-CM code, like I50.9: clinicians who have cared for it.", "text", from_person)}
            <div class="field" class:field--invalid=language_invalid>
                <label for="language">"Language (optional)"</label>
                {language_problem.map(|m| view! { <p class="field__error" id="language-error"><span class="visually-hidden">"Error: "</span>{m}</p> })}
                <select
                    id="language"
                    name="language"
                    disabled=from_person
                    aria-invalid=language_invalid.then_some("true")
                    aria-describedby=language_invalid.then_some("language-error")
                >
                    <option value="">"Any"</option>
                    {super::search::LANGUAGES.iter().map(|(code, name)| view! {
                        <option value=*code selected=f.language == *code>{*name}</option>
                    }).collect_view()}
                </select>
            </div>
            {text_field("date", "Day (optional)", f.date.clone(), "Only clinicians with an opening that day (UTC).", "date", false)}
            <button type="submit" class="button">"Search"</button>
        </form>
        {r.searched.then(|| {
            if !r.problems.is_empty() {
                ().into_any()
            } else if r.results.is_empty() {
                view! { <p class="empty" data-testid="no-clinicians">"No verified clinician serves that ZIP code for this care yet. Try without the diagnosis, the language or the day."</p> }.into_any()
            } else {
                view! {
                    <section class="section" aria-labelledby="results-heading">
                        <h2 id="results-heading">{match r.results.len() { 1 => "1 clinician".to_owned(), n => format!("{n} clinicians") }}</h2>
                        <ul class="cards" role="list" data-testid="clinicians">{r.results.into_iter().map(card_view).collect_view()}</ul>
                    </section>
                }.into_any()
            }
        })}
    }
}

/// `/family/clinicians/:id`: a verified clinician as families see them.
#[component]
pub fn ClinicianForFamilyPage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let card = Resource::new(
        move || params.with(|p| p.get("id").unwrap_or_default()),
        |id| async move {
            let id = id.parse().map_err(|_| crate::error::AppError::NotFound)?;
            super::get_clinician_for_family(id).await
        },
    );
    view! {
        <Title text="A clinician · Carethread"/>
        <div class="page page--narrow">
            <p><a href="/family/find">"← Find a clinician"</a></p>
            <Loaded resource=card loading="Loading…" ok=clinician_view/>
        </div>
    }
}

fn clinician_view(c: super::ClinicianCard) -> impl IntoView {
    let languages = c
        .languages
        .iter()
        .map(|l| super::search::language_name(l).to_owned())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <h1 data-testid="clinician-name">{c.name.clone()}</h1>
        <p class="lede">{c.discipline.label()}</p>
        <dl class="facts">
            <div><dt>"Profile verified"</dt><dd>{c.verified_at.map(|t| t.date().to_string()).unwrap_or_else(|| "—".to_owned())}</dd></div>
            <div><dt>"Languages"</dt><dd>{languages}</dd></div>
        </dl>
        <h2>"Licenses"</h2>
        {licenses_view(c.licenses)}
        <h2>"Rates"</h2>
        {if c.rates.is_empty() {
            view! { <p class="empty">"No rates yet: this clinician cannot be booked."</p> }.into_any()
        } else {
            view! {
                <ul class="list" role="list" data-testid="rates">
                    {c.rates.into_iter().map(|(s, cents)| view! { <li class="list__item">{format!("{}: {cents} a visit", s.label())}</li> }).collect_view()}
                </ul>
            }.into_any()
        }}
        <h2>"Openings in the next two weeks"</h2>
        {if c.openings.is_empty() {
            view! { <p class="empty">"None."</p> }.into_any()
        } else {
            view! {
                <ul class="list" role="list" data-testid="openings">
                    {c.openings.into_iter().map(|t| {
                        let starts = t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
                        let href = format!("/family/book?clinician={}&starts={}", c.id, starts.replace('+', "%2B"));
                        view! { <li class="list__item"><span>{opening(t)}</span><a class="button button--secondary" href=href aria-label=format!("Book {}", opening(t))>"Book"</a></li> }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}
