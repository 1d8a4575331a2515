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
                <TextField name="end" label="Until (UTC)" input_type="time" required=true error=field_error(hours_error, "end")/>
                <button type="submit" class="button">"Add these hours"</button>
            </crate::ui::Form>
        </section>

        <section class="section" aria-labelledby="off-heading">
            <h2 id="off-heading">"Days off"</h2>
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
                    <label for="day">"Day off"</label>
                    {move || field_error(day_error, "day").get().map(|m| view! { <p class="field__error" id="day-error"><span class="visually-hidden">"Error: "</span>{m}</p> })}
                    <input type="date" id="day" name="day" min=today value=crate::ui::submitted("day")/>
                </div>
                <button type="submit" class="button">"Add the day off"</button>
            </crate::ui::Form>
        </section>

        <section class="section" aria-labelledby="rates-heading">
            <h2 id="rates-heading">"Rates per visit"</h2>
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
