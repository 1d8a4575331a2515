//! Form controls with labels, hints and inline errors wired for assistive
//! technology. Errors come from the server's [`crate::error::AppError`]
//! (the action's value, set from a rejected post's outcome), and a control
//! refills from what was submitted with its form (`super::submitted`), so
//! nothing typed is lost.

use super::outcome::submitted;
use crate::error::AppError;
use leptos::prelude::*;

/// The error of an action's last result, when it failed.
pub fn action_error<T, S>(value: S) -> Signal<Option<AppError>>
where
    S: With<Value = Option<Result<T, AppError>>> + Clone + Send + Sync + 'static,
    T: 'static,
{
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err().cloned())))
}

/// The message for the input named `name` in `error`, for a control's
/// `error` prop.
pub fn field_error(error: Signal<Option<AppError>>, name: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || {
        error.with(|e| {
            e.as_ref()
                .and_then(|e| e.field_message(name))
                .map(str::to_owned)
        })
    })
}

fn described_by(id: &str, has_hint: bool, has_error: bool) -> Option<String> {
    let mut ids = Vec::new();
    if has_hint {
        ids.push(format!("{id}-hint"));
    }
    if has_error {
        ids.push(format!("{id}-error"));
    }
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// The control's label; `id` is the control's element id.
#[component]
fn FieldLabel(id: &'static str, label: &'static str, required: bool) -> impl IntoView {
    view! {
        <label for=id>
            {label}
            {required.then(|| view! { <span class="field__required">" (required)"</span> })}
        </label>
    }
}

/// The hint and the error under a label, their ids derived from the
/// control's `id` (what `aria-describedby` names).
#[component]
fn FieldMessages(
    id: &'static str,
    hint: Option<&'static str>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        {hint.map(|h| view! { <p class="field__hint" id=format!("{id}-hint")>{h}</p> })}
        {move || {
            error
                .get()
                .map(|message| {
                    view! {
                        <p class="field__error" id=format!("{id}-error")>
                            <span class="visually-hidden">"Error: "</span>
                            {message}
                        </p>
                    }
                })
        }}
    }
}

/// A single-line input.
#[component]
pub fn TextField(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(into)] error: Signal<Option<String>>,
    /// A `<datalist>` of suggestions.
    #[prop(optional)]
    list: Option<&'static str>,
    /// Called with the value as it is typed.
    #[prop(optional, into)]
    on_input: Option<Callback<String>>,
    #[prop(optional)] inputmode: Option<&'static str>,
    /// A status line under the input, announced politely (a ZIP's city).
    #[prop(optional, into)]
    status: Option<Signal<Option<String>>>,
    /// The value it starts with (editing something saved).
    #[prop(default = None)]
    value: Option<String>,
) -> impl IntoView {
    let invalid = move || error.with(Option::is_some);
    let status_id = format!("{name}-status");
    // After a rejected plain post, what was typed wins over what was saved
    // (never a password).
    let value = (input_type != "password")
        .then(|| submitted(name))
        .flatten()
        .or(value);
    view! {
        <div class="field" class:field--invalid=invalid>
            <FieldLabel id=name label required/>
            <FieldMessages id=name hint error/>
            <input
                id=name
                name=name
                type=input_type
                autocomplete=autocomplete
                list=list
                inputmode=inputmode
                value=value
                aria-required=required.then_some("true")
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=move || described_by(name, hint.is_some(), invalid())
                on:input=move |ev| {
                    if let Some(callback) = on_input {
                        callback.run(event_target_value(&ev));
                    }
                }
            />
            {status
                .map(|status| {
                    view! {
                        <p class="field__status" id=status_id aria-live="polite">
                            {move || status.get().unwrap_or_default()}
                        </p>
                    }
                })}
        </div>
    }
}

/// A multi-line input.
#[component]
pub fn TextArea(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = 4)] rows: u32,
    #[prop(into)] error: Signal<Option<String>>,
    /// The text it starts with (editing something saved).
    #[prop(default = None)]
    value: Option<String>,
) -> impl IntoView {
    let invalid = move || error.with(Option::is_some);
    let value = submitted(name).or(value);
    view! {
        <div class="field" class:field--invalid=invalid>
            <FieldLabel id=name label required=false/>
            <FieldMessages id=name hint error/>
            <textarea
                id=name
                name=name
                rows=rows
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=move || described_by(name, hint.is_some(), invalid())
            >
                {value}
            </textarea>
        </div>
    }
}

/// A single choice from a short list. The first option is an empty prompt,
/// so "nothing chosen" is a visible, reportable state.
#[component]
pub fn SelectField(
    name: &'static str,
    label: &'static str,
    /// `(value, label)` pairs.
    options: Vec<(&'static str, &'static str)>,
    #[prop(optional)] required: bool,
    #[prop(into)] error: Signal<Option<String>>,
    /// The value chosen to begin with.
    #[prop(default = None, into)]
    selected: Option<&'static str>,
    /// The element id, when one page holds two forms with this field (the
    /// name otherwise); pair it with [`ErrorSummary`]'s `prefix`.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let invalid = move || error.with(Option::is_some);
    let selected = submitted(name).or(selected.map(str::to_owned));
    let id = id.unwrap_or(name);
    view! {
        <div class="field" class:field--invalid=invalid>
            <FieldLabel id label required/>
            <FieldMessages id hint=None error/>
            <select
                id=id
                name=name
                aria-required=required.then_some("true")
                aria-invalid=move || invalid().then_some("true")
                aria-describedby=move || described_by(id, false, invalid())
            >
                <option value="">"Choose one…"</option>
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let chosen = selected.as_deref() == Some(value);
                        view! {
                            <option value=value selected=chosen>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

/// One choice among a few, shown all at once (radio buttons in a fieldset).
#[component]
pub fn RadioGroup(
    name: &'static str,
    legend: &'static str,
    /// `(value, label, hint)` triples.
    options: Vec<(&'static str, &'static str, &'static str)>,
    #[prop(optional)] required: bool,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let invalid = move || error.with(Option::is_some);
    let chosen = submitted(name);
    view! {
        <fieldset
            class="field field--radios"
            class:field--invalid=invalid
            id=name
            tabindex="-1"
            aria-describedby=move || described_by(name, false, invalid())
        >
            <legend>
                {legend}
                {required.then(|| view! { <span class="field__required">" (required)"</span> })}
            </legend>
            <FieldMessages id=name hint=None error/>
            {options
                .into_iter()
                .map(|(value, label, hint)| {
                    let id = format!("{name}-{value}");
                    let hint_id = format!("{id}-hint");
                    view! {
                        <div class="radio">
                            <input
                                type="radio"
                                id=id.clone()
                                name=name
                                value=value
                                checked=chosen.as_deref() == Some(value)
                                aria-describedby=hint_id.clone()
                            />
                            <label for=id>{label}</label>
                            <p class="radio__hint" id=hint_id>{hint}</p>
                        </div>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// The summary above a form after a rejected submission: announced to
/// screen readers, with links to each field in error.
#[component]
pub fn ErrorSummary(
    #[prop(into)] error: Signal<Option<AppError>>,
    /// The heading for errors that are not about fields.
    #[prop(default = "Your request was not sent")]
    title: &'static str,
    /// Put before a field's name to make the id its link goes to (see
    /// [`SelectField`]'s `id`).
    #[prop(default = "")]
    prefix: &'static str,
) -> impl IntoView {
    move || {
        error.get().map(|error| {
            let items = match &error {
                AppError::Validation { fields } => fields
                    .iter()
                    .map(|f| {
                        let href = format!("#{prefix}{}", f.field);
                        let message = f.message.clone();
                        view! {
                            <li>
                                <a href=href>{message}</a>
                            </li>
                        }
                    })
                    .collect_view()
                    .into_any(),
                other => view! { <li>{other.to_string()}</li> }.into_any(),
            };
            let title = match &error {
                AppError::Validation { .. } => "Please correct the highlighted fields",
                _ => title,
            };
            view! {
                <div class="error-summary" role="alert" tabindex="-1">
                    <h3 class="error-summary__title">{title}</h3>
                    <ul>{items}</ul>
                </div>
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::described_by;

    #[test]
    fn describedby_lists_hint_then_error() {
        assert_eq!(described_by("email", false, false), None);
        assert_eq!(
            described_by("email", true, false).as_deref(),
            Some("email-hint")
        );
        assert_eq!(
            described_by("email", true, true).as_deref(),
            Some("email-hint email-error")
        );
    }
}
