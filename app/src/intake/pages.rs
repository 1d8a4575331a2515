//! The intake pages, each plain forms that work without JavaScript:
//! the clinic's forms (`/clinic/forms`), one form's builder with its
//! preview, sending, links and submissions (`/clinic/forms/:id`), a signed
//! submission (`/clinic/intake/:id`, which prints as its own print view),
//! the patient's fill, review, sign and receipt (`/intake?token=…`), and
//! the public hash check (`/verify`).

use super::form::{Field, FieldKind, FormDefinition};
use super::model::*;
use super::{
    get_intake_form_page, get_intake_submission, list_intake_forms, open_intake, verify_hash,
    AddIntakeField, CreateIntakeForm, PublishIntakeForm, RemoveIntakeField, ReviewIntakeSubmission,
    RevokeIntakeLink, SaveIntakeStep, SendIntakeForm, SignIntake,
};
use crate::error::AppError;
use crate::ui::{action_error, field_error, format_datetime, ErrorSummary, Loaded, TextField};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;

/// The starter templates offered when creating a form.
const TEMPLATES: [(&str, &str); 5] = [
    ("", "Empty form"),
    ("admission_consent", "Admission consent"),
    ("medical_history", "Medical history"),
    ("hipaa_acknowledgement", "HIPAA acknowledgement"),
    ("emergency_contacts", "Emergency contacts"),
];

/// The field kinds the builder offers.
const KINDS: [(&str, &str); 12] = [
    ("text", "Short text"),
    ("long_text", "Long text"),
    ("number", "Number"),
    ("date", "Date"),
    ("single_choice", "Single choice"),
    ("multiple_choice", "Multiple choice"),
    ("yes_no", "Yes / no"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("address", "Address"),
    ("signature", "Signature (typed or drawn)"),
    ("consent", "Consent (a box to tick)"),
];

/// `/clinic/forms`: the clinic's forms, and a new one.
#[component]
pub fn FormsPage() -> impl IntoView {
    let forms = Resource::new(|| (), |_| list_intake_forms());
    let create = crate::ui::server_action::<CreateIntakeForm>();
    let error = action_error(create.value());
    view! {
        <Title text="Intake forms · Carethread"/>
        <div class="page">
            <p><a href="/clinic">"← Clinic"</a></p>
            <h1>"Intake forms"</h1>
            <Loaded resource=forms loading="Loading forms…" ok=forms_view/>
            <section class="section" aria-labelledby="new-form-heading">
                <h2 id="new-form-heading">"New form"</h2>
                <crate::ui::Form action=create attr:class="form" attr:novalidate=true>
                    <ErrorSummary error=error title="The form was not created"/>
                    <TextField name="title" label="Title" required=true error=field_error(error, "title")/>
                    <crate::ui::SelectField name="template" label="Start from" options=TEMPLATES.to_vec() error=field_error(error, "template")/>
                    <button type="submit" class="button">"Create the form"</button>
                </crate::ui::Form>
            </section>
        </div>
    }
}

fn forms_view(forms: Vec<FormSummary>) -> impl IntoView {
    if forms.is_empty() {
        return view! { <p class="empty">"No forms yet. Create one from a template below."</p> }
            .into_any();
    }
    view! {
        <ul class="list" role="list" data-testid="intake-forms">
            {forms.into_iter().map(|f| {
                let state = match (f.published_version, f.has_draft) {
                    (Some(v), true) => format!("Version {v} published · draft being edited"),
                    (Some(v), false) => format!("Version {v} published"),
                    (None, _) => "Draft, not published".to_owned(),
                };
                view! {
                    <li class="list__item">
                        <a href=format!("/clinic/forms/{}", f.id)>{f.title.clone()}</a>
                        <span class="muted">{state}</span>
                        <span>{format!("{} signed · {} to review", f.submissions, f.unreviewed)}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[derive(Clone, Copy)]
struct FormActions {
    add: ServerAction<AddIntakeField>,
    remove: ServerAction<RemoveIntakeField>,
    publish: ServerAction<PublishIntakeForm>,
    send: ServerAction<SendIntakeForm>,
    revoke: ServerAction<RevokeIntakeLink>,
}

/// `/clinic/forms/:id`: the builder, its preview, sending, links sent and
/// submissions.
#[component]
pub fn FormPage() -> impl IntoView {
    let id: Option<uuid::Uuid> = use_params_map()
        .with_untracked(|p| p.get("id"))
        .and_then(|id| id.parse().ok());
    let page = Resource::new(
        || (),
        move |_| async move {
            match id {
                Some(id) => get_intake_form_page(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let a = FormActions {
        add: crate::ui::server_action::<AddIntakeField>(),
        remove: crate::ui::server_action::<RemoveIntakeField>(),
        publish: crate::ui::server_action::<PublishIntakeForm>(),
        send: crate::ui::server_action::<SendIntakeForm>(),
        revoke: crate::ui::server_action::<RevokeIntakeLink>(),
    };
    view! {
        <Title text="Intake form · Carethread"/>
        <div class="page">
            <p><a href="/clinic/forms">"← Intake forms"</a></p>
            <Loaded resource=page loading="Loading the form…" ok=move |p| form_page_view(p, a)/>
        </div>
    }
}

fn form_page_view(p: FormPageData, a: FormActions) -> impl IntoView {
    let id = p.form.id.to_string();
    let published = p.form.published().cloned();
    let editing = p.form.versions.last().cloned();
    let has_draft = p.form.draft().is_some();
    let publish_error = action_error(a.publish.value());
    let published_now = move || a.publish.value().with(|v| matches!(v, Some(Ok(_))));
    view! {
        <h1>{p.form.title.clone()}</h1>
        {published.as_ref().map(|v| view! {
            <p class="lede" data-testid="published-version">
                {format!("Version {} published {}", v.version, v.published_at.map(format_datetime).unwrap_or_default())}
            </p>
            <p class="muted">"SHA-256 of the published definition: " <code class="hash" data-testid="form-hash">{v.sha256.clone()}</code></p>
        })}
        {published_now().then(|| view! { <p class="notice" role="status">"Published. The version is frozen; edits now make the next version's draft."</p> })}
        <div class="split">
            <section class="section" aria-labelledby="builder-heading">
                <h2 id="builder-heading">{if has_draft { "Draft" } else { "Edit (makes the next version's draft)" }}</h2>
                {editing.clone().map(|v| builder_view(&id, &v.definition, a))}
                {has_draft.then(|| {
                    let id = id.clone();
                    view! {
                    <crate::ui::Form action=a.publish attr:class="form">
                        <ErrorSummary error=publish_error title="The form was not published"/>
                        <input type="hidden" name="id" value=id/>
                        <button type="submit" class="button">"Publish this version"</button>
                    </crate::ui::Form>
                }})}
            </section>
            <section class="section preview" aria-labelledby="preview-heading">
                <h2 id="preview-heading">"Preview"</h2>
                <p class="muted">"What a patient sees, section by section."</p>
                {editing.map(|v| preview_view(&v.definition))}
            </section>
        </div>
        {published.is_some().then(|| send_view(&id, &p.patients, a))}
        {links_view(&p.links, a)}
        {submissions_view(&p.submissions)}
    }
}

fn kind_label(kind: FieldKind) -> &'static str {
    let raw = serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    KINDS
        .iter()
        .find(|(k, _)| *k == raw)
        .map_or("Field", |(_, l)| l)
}

fn builder_view(id: &str, d: &FormDefinition, a: FormActions) -> impl IntoView {
    let add_error = action_error(a.add.value());
    let remove_error = action_error(a.remove.value());
    let add_id = id.to_owned();
    view! {
        <ErrorSummary error=remove_error title="The field was not removed"/>
        {d.sections.iter().map(|s| view! {
            <h3>{s.title.clone()}</h3>
            <ul class="list" role="list">
                {s.fields.iter().map(|f| {
                    let (form, key) = (id.to_owned(), f.key.clone());
                    let condition = f.enable_when.first().map(|w| format!(" · shown when {} = {}", w.question, w.answer));
                    view! {
                        <li class="list__item" data-field=f.key.clone()>
                            <span>{f.label.clone()}{f.required.then_some(" (required)")}</span>
                            <span class="muted">{format!("{} · key {}", kind_label(f.kind), f.key)}{condition}</span>
                            <crate::ui::Form action=a.remove instance=format!("remove-{}", f.key) attr:class="inline-form">
                                <input type="hidden" name="id" value=form/>
                                <input type="hidden" name="key" value=key/>
                                <button type="submit" class="button button--secondary button--small">"Remove"</button>
                            </crate::ui::Form>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }).collect_view()}
        <details class="details" open=add_error.with_untracked(Option::is_some)>
            <summary>"Add a field"</summary>
            <crate::ui::Form action=a.add attr:class="form" attr:novalidate=true attr:data-live-preview-form=true>
                <ErrorSummary error=add_error title="The field was not added"/>
                <input type="hidden" name="id" value=add_id/>
                <TextField name="section" label="Section" hint="A section of that title is made if there is none." error=field_error(add_error, "section")/>
                <TextField name="label" label="Question" required=true error=field_error(add_error, "label")/>
                <crate::ui::SelectField name="kind" label="Kind" options=KINDS.to_vec() required=true error=field_error(add_error, "kind")/>
                <div class="field field--check">
                    <input type="checkbox" id="required" name="required" value="on"/>
                    <label for="required">"Required"</label>
                </div>
                <TextField name="help" label="Help text" error=field_error(add_error, "help")/>
                <crate::ui::TextArea name="options" label="Choices (one per line)" hint="For single and multiple choice." rows=3 error=field_error(add_error, "options")/>
                <TextField name="when_key" label="Show only when the question with key…" hint="Leave empty to always show it." error=field_error(add_error, "when_key")/>
                <TextField name="when_value" label="…has the answer" hint="For yes/no: true or false." error=field_error(add_error, "when_value")/>
                // Filled by /form-preview.js as the field is described.
                <div class="preview__body" data-live-preview data-testid="live-preview" aria-live="polite" hidden=true></div>
                <button type="submit" class="button">"Add the field"</button>
            </crate::ui::Form>
        </details>
        <script src="/form-preview.js" defer=true></script>
    }
}

/// The form as a patient sees it, read-only.
fn preview_view(d: &FormDefinition) -> impl IntoView {
    let none = BTreeMap::new();
    view! {
        <div class="preview__body" data-testid="preview">
            {d.sections.iter().enumerate().map(|(i, s)| view! {
                <fieldset class="fieldset" disabled=true>
                    <legend>{format!("{} of {}: {}", i + 1, d.sections.len(), s.title)}</legend>
                    {s.fields.iter().map(|f| field_input(f, &none, None)).collect_view()}
                </fieldset>
            }).collect_view()}
        </div>
    }
}

fn send_view(id: &str, patients: &[PatientChoice], a: FormActions) -> impl IntoView {
    let error = action_error(a.send.value());
    let sent = move || a.send.value().get().and_then(Result::ok);
    let patients: Vec<(String, String)> = std::iter::once((String::new(), "Choose…".to_owned()))
        .chain(patients.iter().map(|p| (p.id.to_string(), p.label.clone())))
        .collect();
    let id = id.to_owned();
    view! {
        <section class="section" aria-labelledby="send-heading">
            <h2 id="send-heading">"Send to a patient"</h2>
            {move || sent().map(|s| view! {
                <div class="notice" role="status" data-testid="sent-link">
                    {match s.url.clone() {
                        Some(url) => view! {
                            <p>"Copy this link and give it to the patient. It is shown only now:"</p>
                            <p><code class="hash">{url}</code></p>
                        }.into_any(),
                        None => view! { <p>"Sent by email. Only the patient receives the link."</p> }.into_any(),
                    }}
                </div>
            })}
            <crate::ui::Form action=a.send attr:class="form" attr:novalidate=true>
                <ErrorSummary error=error title="The form was not sent"/>
                <input type="hidden" name="id" value=id/>
                <div class="field">
                    <label for="patient">"Patient" <span class="field__required">" (required)"</span></label>
                    {move || field_error(error, "patient").get().map(|m| view! { <p class="field__error" id="patient-error">{m}</p> })}
                    <select id="patient" name="patient" aria-required="true">
                        {patients.iter().map(|(v, l)| view! { <option value=v.clone()>{l.clone()}</option> }).collect_view()}
                    </select>
                </div>
                <crate::ui::SelectField name="recipient" label="Who fills it in" options=vec![("patient", "The patient"), ("family", "A family contact")] error=field_error(error, "recipient")/>
                <TextField name="email" label="Their email" input_type="email" hint="Leave empty to copy the link instead." error=field_error(error, "email")/>
                <button type="submit" class="button">"Send the form"</button>
            </crate::ui::Form>
        </section>
    }
}

fn links_view(links: &[LinkView], a: FormActions) -> impl IntoView {
    let error = action_error(a.revoke.value());
    view! {
        <section class="section" aria-labelledby="links-heading">
            <h2 id="links-heading">"Sent"</h2>
            <ErrorSummary error=error title="The link was not withdrawn"/>
            {if links.is_empty() {
                view! { <p class="empty">"Not sent to anyone yet."</p> }.into_any()
            } else {
                view! {
                    <table class="table">
                        <thead><tr><th scope="col">"Patient"</th><th scope="col">"Sent"</th><th scope="col">"How"</th><th scope="col">"State"</th><th scope="col"><span class="visually-hidden">"Action"</span></th></tr></thead>
                        <tbody>
                            {links.iter().map(|l| {
                                let how = format!("{} · {}{}", if l.emailed { "email" } else { "link" }, l.recipient, if l.reminders > 0 { " · reminded" } else { "" });
                                let state = match l.state.as_str() {
                                    "open" => format!("Open until {}", format_datetime(l.expires_at)),
                                    "spent" => "Signed".to_owned(),
                                    "revoked" => "Withdrawn".to_owned(),
                                    _ => "Expired".to_owned(),
                                };
                                let open = l.state == "open";
                                let link = l.id.to_string();
                                view! {
                                    <tr data-link-state=l.state.clone()>
                                        <td>{l.patient_initials.clone()}</td>
                                        <td>{format_datetime(l.created_at)}</td>
                                        <td>{how}</td>
                                        <td>{state}</td>
                                        <td>{open.then(|| view! {
                                            <crate::ui::Form action=a.revoke instance=format!("revoke-{link}") attr:class="inline-form">
                                                <input type="hidden" name="link" value=link.clone()/>
                                                <button type="submit" class="button button--secondary button--small">"Withdraw"</button>
                                            </crate::ui::Form>
                                        })}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// Signed submissions (of a form, or a patient's).
pub fn submissions_view(list: &[SubmissionSummary]) -> impl IntoView {
    view! {
        <section class="section" aria-labelledby="submissions-heading">
            <h2 id="submissions-heading">"Signed"</h2>
            {if list.is_empty() {
                view! { <p class="empty">"Nothing signed yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="list" role="list" data-testid="submissions">
                        {list.iter().map(|s| view! {
                            <li class="list__item">
                                <a href=format!("/clinic/intake/{}", s.id)>{format!("{} · {} · version {}", s.form_title, s.patient_initials, s.version)}</a>
                                <span class="muted">{format!("Signed {}", format_datetime(s.submitted_at))}</span>
                                <span>{if s.reviewed_at.is_some() { "Reviewed" } else { "To review" }}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// `/clinic/intake/:id`: one signed submission; it prints as its own
/// print view (the site's frame is left off on paper).
#[component]
pub fn SubmissionPage() -> impl IntoView {
    let id: Option<uuid::Uuid> = use_params_map()
        .with_untracked(|p| p.get("id"))
        .and_then(|id| id.parse().ok());
    let submission = Resource::new(
        || (),
        move |_| async move {
            match id {
                Some(id) => get_intake_submission(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let review = crate::ui::server_action::<ReviewIntakeSubmission>();
    view! {
        <Title text="Signed intake form · Carethread"/>
        <div class="page page--narrow">
            <p class="no-print"><a href="/clinic/forms">"← Intake forms"</a></p>
            <Loaded resource=submission loading="Loading the submission…" ok=move |s| submission_view(s, review)/>
        </div>
    }
}

fn submission_view(
    s: SubmissionView,
    review: ServerAction<ReviewIntakeSubmission>,
) -> impl IntoView {
    let id = s.summary.id.to_string();
    let error = action_error(review.value());
    let reviewed = s.summary.reviewed_at.is_some()
        || review.value().with_untracked(|v| matches!(v, Some(Ok(_))));
    view! {
        <h1>{s.summary.form_title.clone()}</h1>
        {(!s.intact).then(|| view! {
            <p class="notice notice--warn" role="alert" data-testid="tampered">
                "This document no longer matches the hash recorded when it was signed: it was changed in the database. Report it to your administrator."
            </p>
        })}
        <p class="lede">{format!("Version {} · signed {} · patient {}", s.summary.version, format_datetime(s.summary.submitted_at), s.summary.patient_initials)}</p>
        <p class="no-print">
            <a class="button" href=format!("/clinic/intake/{id}/pdf") download="">"Download the PDF"</a>
            " "
            <span class="muted">"To print, use your browser's Print: this page prints without the site around it."</span>
        </p>
        {s.sections.iter().map(|sec| view! {
            <section class="section">
                <h2>{sec.title.clone()}</h2>
                <dl class="facts">
                    {sec.answers.iter().map(|a| view! { <div><dt>{a.label.clone()}</dt><dd>{a.value.clone()}</dd></div> }).collect_view()}
                </dl>
            </section>
        }).collect_view()}
        <section class="section" aria-labelledby="sig-heading">
            <h2 id="sig-heading">"Signature"</h2>
            <p class="muted">{s.consent_text.clone()}</p>
            <p data-testid="signed-by">{format!("Signed by {}", s.signature_name)}</p>
            {s.signature_path.clone().map(|d| view! {
                <svg class="signature" viewBox="0 0 300 120" width="300" height="120" role="img" aria-label="Drawn signature">
                    <path d=d fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>
                </svg>
            })}
        </section>
        <section class="section" aria-labelledby="proof-heading">
            <h2 id="proof-heading">"Proof"</h2>
            <dl class="facts">
                <div><dt>"Document SHA-256"</dt><dd><code class="hash" data-testid="submission-hash">{s.summary.sha256.clone()}</code></dd></div>
                <div><dt>"Form version SHA-256"</dt><dd><code class="hash">{s.form_sha256.clone()}</code></dd></div>
                <div><dt>"Consent text SHA-256"</dt><dd><code class="hash">{s.consent_sha256.clone()}</code></dd></div>
                <div><dt>"Signed from"</dt><dd>{s.ip.clone().unwrap_or_else(|| "Unknown".to_owned())}</dd></div>
                <div><dt>"Browser"</dt><dd>{s.user_agent.clone().unwrap_or_else(|| "Unknown".to_owned())}</dd></div>
                <div><dt>"Verify"</dt><dd><a href=s.verify_url.clone()>{s.verify_url.clone()}</a></dd></div>
            </dl>
        </section>
        {if reviewed {
            view! { <p class="notice" data-testid="reviewed">"Reviewed."</p> }.into_any()
        } else {
            view! {
                <crate::ui::Form action=review attr:class="form no-print">
                    <ErrorSummary error=error title="Not marked reviewed"/>
                    <input type="hidden" name="id" value=id.clone()/>
                    <button type="submit" class="button">"Mark reviewed"</button>
                </crate::ui::Form>
            }.into_any()
        }}
    }
}

/// One field as an input named `answers[key][]`, filled from `values`.
fn field_input(
    f: &Field,
    values: &BTreeMap<String, Vec<String>>,
    error: Option<String>,
) -> impl IntoView {
    let id = format!("q-{}", f.key);
    let name = format!("answers[{}][]", f.key);
    let mine: Vec<String> = values.get(&f.key).cloned().unwrap_or_default();
    let first = mine.first().cloned().unwrap_or_default();
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described = [
        f.help.as_ref().map(|_| hint_id.clone()),
        error.as_ref().map(|_| error_id.clone()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let described = (!described.is_empty()).then_some(described);
    let invalid = error.is_some().then_some("true");
    let label = view! {
        <span>{f.label.clone()}{f.required.then(|| view! { <span class="field__required">" (required)"</span> })}</span>
    };
    let messages = view! {
        {f.help.clone().map(|h| view! { <p class="field__hint" id=hint_id.clone()>{h}</p> })}
        {error.clone().map(|m| view! { <p class="field__error" id=error_id.clone()><span class="visually-hidden">"Error: "</span>{m}</p> })}
    };
    let control = match f.kind {
        FieldKind::LongText => view! {
            <label for=id.clone()>{label}</label>
            {messages}
            <textarea id=id.clone() name=name rows="4" aria-invalid=invalid aria-describedby=described>{first}</textarea>
        }
        .into_any(),
        FieldKind::SingleChoice | FieldKind::MultipleChoice | FieldKind::YesNo => {
            let multiple = f.kind == FieldKind::MultipleChoice;
            let options: Vec<(String, String)> = if f.kind == FieldKind::YesNo {
                vec![("true".into(), "Yes".into()), ("false".into(), "No".into())]
            } else {
                f.options.iter().map(|o| (o.clone(), o.clone())).collect()
            };
            view! {
                <fieldset class="field--radios" id=id.clone() aria-describedby=described>
                    <legend>{label}</legend>
                    {messages}
                    {options.into_iter().enumerate().map(|(i, (value, text))| {
                        let oid = format!("{id}-{i}");
                        let checked = mine.iter().any(|m| *m == value || (f.kind == FieldKind::YesNo && ((value == "true" && m == "yes") || (value == "false" && m == "no"))));
                        view! {
                            <div class="choice">
                                <input type=if multiple { "checkbox" } else { "radio" } id=oid.clone() name=name.clone() value=value checked=checked/>
                                <label for=oid>{text}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
            }
            .into_any()
        }
        FieldKind::Consent => {
            let checked = !mine.is_empty();
            view! {
                {messages}
                <div class="choice">
                    <input type="checkbox" id=id.clone() name=name value="on" checked=checked aria-invalid=invalid aria-describedby=described/>
                    <label for=id.clone()>{label}</label>
                </div>
            }
            .into_any()
        }
        kind => {
            let (input_type, autocomplete, inputmode) = match kind {
                FieldKind::Number => ("text", None, Some("decimal")),
                FieldKind::Date => ("date", None, None),
                FieldKind::Phone => ("tel", Some("tel"), None),
                FieldKind::Email => ("email", Some("email"), None),
                FieldKind::Address => ("text", Some("street-address"), None),
                FieldKind::Signature => ("text", Some("name"), None),
                _ => ("text", None, None),
            };
            view! {
                <label for=id.clone()>{label}</label>
                {messages}
                <input type=input_type id=id.clone() name=name value=first autocomplete=autocomplete inputmode=inputmode aria-invalid=invalid aria-describedby=described/>
            }
            .into_any()
        }
    };
    view! {
        <div class="field" class:field--invalid=error.is_some()>{control}</div>
    }
}

/// `/intake?token=…&step=…`: the patient fills the form section by
/// section, reviews, signs, and sees the receipt. No account, no script
/// needed (drawing the signature is the one thing a script adds).
#[component]
pub fn FillPage() -> impl IntoView {
    let (token, step, reviewed) = use_query_map().with_untracked(|q| {
        (
            q.get("token").unwrap_or_default(),
            q.get("step").unwrap_or_default(),
            q.get("reviewed").unwrap_or_default(),
        )
    });
    let t = token.clone();
    let view_data = Resource::new(|| (), move |_| open_intake(t.clone()));
    let save = crate::ui::server_action::<SaveIntakeStep>();
    let sign = crate::ui::server_action::<SignIntake>();
    view! {
        <Title text="Your form · Carethread"/>
        <div class="page page--narrow">
            <Loaded resource=view_data loading="Loading your form…" ok=move |v| fill_view(v, &token, &step, &reviewed, save, sign)/>
        </div>
    }
}

fn fill_view(
    v: FillView,
    token: &str,
    step: &str,
    reviewed: &str,
    save: ServerAction<SaveIntakeStep>,
    sign: ServerAction<SignIntake>,
) -> AnyView {
    if let Some(r) = v.receipt.clone() {
        return receipt_view(&v, r, token).into_any();
    }
    let Some(definition) = v.definition.clone() else {
        let message = match v.state.as_str() {
            "revoked" => "The clinic withdrew this link. Ask them for a new one.",
            _ => "This link has expired. Ask the clinic for a new one.",
        };
        return view! {
            <h1>{v.form_title.clone()}</h1>
            <p class="notice" data-testid="link-closed">{message}</p>
        }
        .into_any();
    };
    let steps = v.steps.clone();
    let header = view! {
        <p class="muted">{format!("From {} · open until {}", v.clinic, format_datetime(v.expires_at))}</p>
        <h1>{v.form_title.clone()}</h1>
    };
    match step {
        "review" => view! { {header} {review_view(&v, token, &steps)} }.into_any(),
        // Signing goes with the digest of the answers the review showed:
        // answers changed since (on another device) are not signed unseen.
        "sign" if !reviewed.is_empty() => {
            view! { {header} {sign_view(&v, token, reviewed, sign)} }.into_any()
        }
        "sign" => view! { {header} {review_view(&v, token, &steps)} }.into_any(),
        raw => {
            let index = raw.parse::<usize>().unwrap_or(0);
            // Past the last section: the review.
            if !steps.contains(&index) {
                return match steps.iter().find(|s| **s > index) {
                    Some(next) => view! { {header} {section_view(&v, &definition, token, *next, &steps, save)} }.into_any(),
                    None => view! { {header} {review_view(&v, token, &steps)} }.into_any(),
                };
            }
            view! { {header} {section_view(&v, &definition, token, index, &steps, save)} }
                .into_any()
        }
    }
}

fn section_view(
    v: &FillView,
    d: &FormDefinition,
    token: &str,
    index: usize,
    steps: &[usize],
    save: ServerAction<SaveIntakeStep>,
) -> impl IntoView {
    let section = &d.sections[index];
    let position = steps.iter().position(|s| *s == index).unwrap_or(0);
    let error = action_error(save.value());
    let error_for = move |key: &str| {
        error.with_untracked(|e| {
            e.as_ref()
                .and_then(|e| e.field_message(key))
                .map(str::to_owned)
        })
    };
    let fields: Vec<_> = section
        .fields
        .iter()
        .filter(|f| f.kind != FieldKind::Signature && v.shown.contains(&f.key))
        .map(|f| field_input(f, &v.draft, error_for(&f.key)))
        .collect();
    let hidden_conditional = section.fields.iter().any(|f| !v.shown.contains(&f.key));
    let (title, token) = (section.title.clone(), token.to_owned());
    view! {
        <p class="progress" data-testid="step">{format!("Step {} of {}: {}", position + 1, steps.len() + 2, section.title)}</p>
        <crate::ui::Form action=save attr:class="form" attr:novalidate=true>
            <ErrorSummary error=error title="Some answers need a change" prefix="q-"/>
            <input type="hidden" name="token" value=token/>
            <input type="hidden" name="step" value=index.to_string()/>
            <h2>{title}</h2>
            {fields}
            {hidden_conditional.then(|| view! { <p class="muted">"Some questions appear depending on your answers: saving shows them."</p> })}
            <div class="actions">
                // Saving comes first: Enter in a field presses the first button.
                <button type="submit" class="button">"Save and continue"</button>
                {(position > 0).then(|| view! { <button type="submit" name="back" value="1" class="button button--secondary">"Back"</button> })}
            </div>
            <p class="muted">"Your answers are kept as you go: you can come back to this link on any device until it expires."</p>
        </crate::ui::Form>
    }
}

fn review_view(v: &FillView, token: &str, steps: &[usize]) -> impl IntoView {
    let ready = v.problems.is_empty();
    view! {
        <p class="progress" data-testid="step">{format!("Step {} of {}: Review", steps.len() + 1, steps.len() + 2)}</p>
        <h2>"Check your answers"</h2>
        {(!ready).then(|| view! {
            <div class="error-summary" role="alert">
                <h2>"Some answers need attention"</h2>
                <ul>
                    {v.problems.iter().map(|(i, m)| view! { <li><a href=format!("/intake?token={token}&step={i}")>{m.clone()}</a></li> }).collect_view()}
                </ul>
            </div>
        })}
        {v.review.iter().zip(steps.iter()).map(|(s, i)| view! {
            <section class="section">
                <h3>{s.title.clone()}</h3>
                <dl class="facts">
                    {s.answers.iter().map(|a| view! { <div><dt>{a.label.clone()}</dt><dd>{a.value.clone()}</dd></div> }).collect_view()}
                </dl>
                <p><a href=format!("/intake?token={token}&step={i}")>{format!("Change “{}”", s.title)}</a></p>
            </section>
        }).collect_view()}
        {ready.then(|| view! { <p><a class="button" href=format!("/intake?token={token}&step=sign&reviewed={}", v.digest)>"Continue to sign"</a></p> })}
    }
}

fn sign_view(
    v: &FillView,
    token: &str,
    reviewed: &str,
    sign: ServerAction<SignIntake>,
) -> impl IntoView {
    let error = action_error(sign.value());
    let (token, consent, reviewed) = (
        token.to_owned(),
        v.consent_text.clone(),
        reviewed.to_owned(),
    );
    let agreed = crate::ui::checked("consent", false);
    view! {
        <p class="progress" data-testid="step">"Last step: Sign"</p>
        <crate::ui::Form action=sign attr:class="form" attr:novalidate=true>
            <ErrorSummary error=error title="The form was not signed"/>
            <input type="hidden" name="token" value=token/>
            <input type="hidden" name="reviewed" value=reviewed/>
            <div class="signature-pad" data-signature="strokes">
                <input type="hidden" name="strokes" value=crate::ui::submitted("strokes")/>
                // Shown by /signature-pad.js: drawing needs a script; the
                // typed name below is the signature without one.
                <div class="signature-pad__area" hidden=true>
                    <p class="field__hint" id="pad-hint">"Sign with your finger (optional), then type your name below."</p>
                    <canvas width="300" height="120" role="img" aria-label="Signature drawing area" aria-describedby="pad-hint"></canvas>
                    <button type="button" class="button button--secondary" data-clear>"Clear the drawing"</button>
                </div>
            </div>
            <TextField name="name" label="Type your full name to sign" autocomplete="name" required=true error=field_error(error, "name")/>
            <div class="field field--check" class:field--invalid=move || field_error(error, "consent").with(Option::is_some)>
                {move || field_error(error, "consent").get().map(|m| view! { <p class="field__error" id="consent-error">{m}</p> })}
                <input type="checkbox" id="consent" name="consent" value="on" checked=agreed/>
                <label for="consent">{consent}</label>
            </div>
            <button type="submit" class="button button--block">"Sign and send"</button>
        </crate::ui::Form>
        <script src="/signature-pad.js" defer=true></script>
    }
}

fn receipt_view(v: &FillView, r: Receipt, token: &str) -> impl IntoView {
    let copy = format!("/intake/copy?token={}", token.trim());
    view! {
        <h1>"Signed. Thank you."</h1>
        <p class="lede">{format!("{} received your “{}” on {}.", v.clinic, v.form_title, format_datetime(r.signed_at))}</p>
        <section class="section" aria-labelledby="receipt-heading">
            <h2 id="receipt-heading">"Your receipt"</h2>
            <p>"This fingerprint (SHA-256) identifies exactly what you signed. Anyone can check it later:"</p>
            <p><code class="hash" data-testid="receipt-hash">{r.sha256.clone()}</code></p>
            <p><a href=r.verify_url.clone() data-testid="verify-link">"Check it on the verify page"</a></p>
            <div class="qr" inner_html=r.qr_svg.clone() role="img" aria-label="QR code of the verify link"></div>
            <p><a class="button" href=copy download="" data-testid="signed-copy">"Download your signed copy (PDF)"</a></p>
            <p class="muted">"This link cannot be used again. Keep this page or the fingerprint if you want a record."</p>
        </section>
    }
}

/// `/verify?hash=…`: is there a document with this hash? Only the date and
/// the clinic are ever said.
#[component]
pub fn VerifyPage() -> impl IntoView {
    let hash = use_query_map().with_untracked(|q| q.get("hash").unwrap_or_default());
    let asked = !hash.trim().is_empty();
    let h = hash.clone();
    let answer = Resource::new(
        || (),
        move |_| {
            let h = h.clone();
            async move {
                if h.trim().is_empty() {
                    Ok(None)
                } else {
                    verify_hash(h).await.map(Some)
                }
            }
        },
    );
    view! {
        <Title text="Verify a signed document · Carethread"/>
        <div class="page page--narrow">
            <h1>"Verify a signed document"</h1>
            <p class="lede">"Enter the SHA-256 fingerprint from a Carethread receipt or PDF. We say only whether a document with it was signed, when, and for which clinic."</p>
            <form method="get" action="/verify" class="form">
                <div class="field">
                    <label for="hash">"Fingerprint (64 characters)"</label>
                    <input id="hash" name="hash" value=hash.clone() autocomplete="off" spellcheck="false" inputmode="text"/>
                </div>
                <button type="submit" class="button">"Check"</button>
            </form>
            {asked.then(|| view! { <Loaded resource=answer loading="Checking…" ok=verify_answer_view/> })}
        </div>
    }
}

fn verify_answer_view(answer: Option<VerifyAnswer>) -> AnyView {
    match answer {
        Some(VerifyAnswer::Match { signed_on, clinic }) => view! {
            <p class="notice notice--ok" role="status" data-testid="verify-answer">
                {format!("A document with this hash was signed on {signed_on} for {clinic}.")}
            </p>
        }
        .into_any(),
        Some(VerifyAnswer::NoMatch) => view! {
            <p class="notice notice--warn" role="status" data-testid="verify-answer">
                "No match: no document with this hash was signed on Carethread (or it has been changed since)."
            </p>
        }
        .into_any(),
        None => ().into_any(),
    }
}
