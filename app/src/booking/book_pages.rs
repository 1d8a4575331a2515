//! The booking pages, each a plain form that works without JavaScript:
//! choosing an opening (`/family/book`), one booking with its payment,
//! signed log, invoice and receipt (`/family/visits/:id`), the family's
//! visits on their home page, the clinician's earnings
//! (`/clinician/earnings`) and the ledger check and disputes for platform
//! administrators (`/admin/payments`).

use super::bookings::*;
use super::{
    get_booking, get_booking_form, get_earnings, get_family_visits, get_payments_overview,
    CancelBooking, ConfirmBooking, CountersignBooking, DisputeBooking, HoldSlot, ResolveDispute,
};
use crate::identity::VisitId;
use crate::payments::PaymentState;
use crate::ui::{
    action_error, field_error, format_datetime, ErrorSummary, Loaded, TextArea, TextField,
};
use crate::visits::VisitStatus;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// A select whose options come from data (the shared `SelectField` takes
/// fixed ones).
#[component]
fn ChoiceField(
    name: &'static str,
    label: &'static str,
    options: Vec<(String, String)>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let chosen = crate::ui::submitted(name);
    let error_id = format!("{name}-error");
    let described = error_id.clone();
    view! {
        <div class="field" class:field--invalid=move || error.with(Option::is_some)>
            <label for=name>{label} <span class="field__required">" (required)"</span></label>
            {move || error.get().map(|m| view! { <p class="field__error" id=error_id.clone()><span class="visually-hidden">"Error: "</span>{m}</p> })}
            <select
                id=name
                name=name
                aria-required="true"
                aria-invalid=move || error.with(Option::is_some).then_some("true")
                aria-describedby=move || error.with(Option::is_some).then_some(described.clone())
            >
                {options.into_iter().map(|(value, text)| {
                    let selected = chosen.as_deref() == Some(value.as_str());
                    view! { <option value=value selected=selected>{text}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// `/family/book?clinician=…&starts=…`: who the visit is for, and which
/// service; submitting holds the time.
#[component]
pub fn BookPage() -> impl IntoView {
    let (clinician, starts) = use_query_map().with_untracked(|q| {
        (
            q.get("clinician").unwrap_or_default(),
            q.get("starts").unwrap_or_default(),
        )
    });
    let form = Resource::new(
        || (),
        move |_| {
            let (clinician, starts) = (clinician.clone(), starts.clone());
            async move {
                let id = clinician
                    .parse()
                    .map_err(|_| crate::error::AppError::NotFound)?;
                get_booking_form(id, starts).await
            }
        },
    );
    let hold = crate::ui::server_action::<HoldSlot>();
    view! {
        <Title text="Book a visit · Carethread"/>
        <div class="page page--narrow">
            <p><a href="/family/find">"← Find a clinician"</a></p>
            <h1>"Book a visit"</h1>
            <Loaded resource=form loading="Loading…" ok=move |f| book_view(f, hold)/>
        </div>
    }
}

fn book_view(f: BookingForm, hold: ServerAction<HoldSlot>) -> impl IntoView {
    let error = action_error(hold.value());
    let when = format!("{} for one hour", format_datetime(f.starts_at));
    if f.recipients.is_empty() {
        return view! {
            <p class="empty">"Add the person the visit is for first."</p>
            <p><a class="button" href="/family/recipients/new">"Add a person"</a></p>
        }
        .into_any();
    }
    let people: Vec<(String, String)> = f
        .recipients
        .iter()
        .map(|(id, name)| (id.to_string(), name.clone()))
        .collect();
    let services: Vec<(String, String)> = f
        .rates
        .iter()
        .map(|(s, c)| (s.as_str().to_owned(), format!("{} · {c}", s.label())))
        .collect();
    view! {
        <dl class="facts">
            <div><dt>"Clinician"</dt><dd data-testid="book-clinician">{f.clinician.clone()}</dd></div>
            <div><dt>"When"</dt><dd data-testid="book-when">{when}</dd></div>
        </dl>
        <crate::ui::Form action=hold attr:class="form" attr:novalidate=true>
            <ErrorSummary error=error title="The time was not held"/>
            <input type="hidden" name="clinician" value=f.clinician_id.to_string()/>
            <input type="hidden" name="starts" value=f.starts_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()/>
            <input type="hidden" name="key" value=f.key.to_string()/>
            <ChoiceField name="recipient" label="Who is the visit for?" options=people error=field_error(error, "recipient")/>
            <ChoiceField name="service" label="Service" options=services error=field_error(error, "service")/>
            <p class="muted">"We hold this time for you for a few minutes while you confirm and pay."</p>
            <button type="submit" class="button">"Hold this time"</button>
        </crate::ui::Form>
    }
    .into_any()
}

/// The family's visits, for their home page.
#[component]
pub fn FamilyVisits() -> impl IntoView {
    let visits = Resource::new(|| (), |_| get_family_visits());
    view! {
        <section class="section" aria-labelledby="visits-heading">
            <h2 id="visits-heading">"Visits"</h2>
            <Loaded resource=visits loading="Loading visits…" ok=visits_view/>
        </section>
    }
}

fn visits_view(visits: Vec<FamilyVisit>) -> impl IntoView {
    if visits.is_empty() {
        return view! { <p class="empty">"No visits yet. Find a clinician to book one."</p> }
            .into_any();
    }
    view! {
        <ul class="list" role="list" data-testid="family-visits">
            {visits.into_iter().map(|v| {
                let status = v.live_status();
                view! {
                    <li class="list__item">
                        <a href=format!("/family/visits/{}", v.id)>
                            {format!("{} · {} for {}", format_datetime(v.starts_at), v.clinician, v.initials)}
                        </a>
                        <span class=v.status.css()>{status}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[derive(Clone, Copy)]
struct BookingActions {
    confirm: ServerAction<ConfirmBooking>,
    cancel: ServerAction<CancelBooking>,
    countersign: ServerAction<CountersignBooking>,
    dispute: ServerAction<DisputeBooking>,
}

/// `/family/visits/:id`: one booking, what can be done with it now, and
/// its signed log, invoice and receipt.
#[component]
pub fn FamilyVisitPage() -> impl IntoView {
    let id: Option<VisitId> = use_params_map()
        .with_untracked(|p| p.get("id"))
        .and_then(|id| id.parse().ok());
    let booking = Resource::new(
        || (),
        move |_| async move {
            match id {
                Some(id) => get_booking(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    let a = BookingActions {
        confirm: crate::ui::server_action::<ConfirmBooking>(),
        cancel: crate::ui::server_action::<CancelBooking>(),
        countersign: crate::ui::server_action::<CountersignBooking>(),
        dispute: crate::ui::server_action::<DisputeBooking>(),
    };
    view! {
        <Title text="Visit · Carethread"/>
        <div class="page page--narrow">
            <p><a href="/family">"← Your family"</a></p>
            <Loaded resource=booking loading="Loading the visit…" ok=move |b| booking_view(b, a)/>
        </div>
    }
}

fn booking_view(b: Booking, a: BookingActions) -> impl IntoView {
    let v = b.visit.clone();
    let id = v.id.to_string();
    let cancel_error = action_error(a.cancel.value());
    view! {
        <h1>{format!("{} with {}", v.service.label(), v.clinician)}</h1>
        <p class="lede">{format!("{} · for {}", format_datetime(v.starts_at), v.initials)}</p>
        <p><span class=v.status.css() data-testid="visit-status">{v.live_status()}</span></p>
        {b.status_note.clone().map(|n| view! { <p class="muted">{n}</p> })}
        {(v.status == VisitStatus::Held && b.can_act).then(|| confirm_form(&b, a))}
        {payment_view(&b, a)}
        {b.log.clone().map(|log| view! {
            <crate::visits::SignedLogView log addenda=Vec::new()/>
        })}
        {invoice_view(&b)}
        {b.cancel_fee.filter(|_| v.status != VisitStatus::Held).map(|fee| {
            let note = if fee.is_positive() {
                format!("The visit is less than a day away: cancelling now costs a {fee} fee.")
            } else {
                "Cancelling now costs nothing: the hold on your card is released.".to_owned()
            };
            view! {
                <section class="section" aria-labelledby="cancel-heading">
                    <h2 id="cancel-heading">"Cancel"</h2>
                    <p class="muted">{note}</p>
                    <crate::ui::Form action=a.cancel attr:class="form">
                        <ErrorSummary error=cancel_error title="The visit was not cancelled"/>
                        <input type="hidden" name="id" value=id.clone()/>
                        <button type="submit" class="button button--secondary">"Cancel this visit"</button>
                    </crate::ui::Form>
                </section>
            }
        })}
    }
}

fn confirm_form(b: &Booking, a: BookingActions) -> impl IntoView {
    let error = action_error(a.confirm.value());
    let cancel_error = action_error(a.cancel.value());
    let id = b.visit.id.to_string();
    let id_confirm = id.clone();
    let until = b
        .hold_expires_at
        .map(|t| format!("Held for you until {}.", format_datetime(t)))
        .unwrap_or_default();
    view! {
        <section class="section" aria-labelledby="confirm-heading">
            <h2 id="confirm-heading">"Confirm and pay"</h2>
            <p data-testid="hold-until">{until}</p>
            <p>{format!("{} is held on your card now and charged only after the clinician signs the visit log (you then have time to review it).", b.visit.amount)}</p>
            <crate::ui::Form action=a.confirm attr:class="form" attr:novalidate=true>
                <ErrorSummary error=error title="The booking was not confirmed"/>
                <input type="hidden" name="id" value=id_confirm/>
                <TextField name="card" label="Card number" autocomplete="cc-number" hint="Demo and test: 4242 4242 4242 4242 is accepted; 4000 0000 0000 0002 is declined." required=true error=field_error(error, "card")/>
                <button type="submit" class="button">"Confirm and send the request"</button>
            </crate::ui::Form>
            <crate::ui::Form action=a.cancel attr:class="form">
                <ErrorSummary error=cancel_error title="The time was not released"/>
                <input type="hidden" name="id" value=id.clone()/>
                <button type="submit" class="button button--secondary">"Release this time"</button>
            </crate::ui::Form>
        </section>
    }
}

fn payment_view(b: &Booking, a: BookingActions) -> impl IntoView {
    let id = b.visit.id.to_string();
    let state = b.visit.payment?;
    let text = match state {
        PaymentState::Authorized => format!("{} is held on your card; nothing is charged until the visit log is signed.", b.visit.amount),
        PaymentState::Voiding | PaymentState::Voided => "The hold on your card was released: nothing was charged.".to_owned(),
        PaymentState::Scheduled => match (b.release_at, b.confirmed_at) {
            (_, Some(_)) => "You confirmed the visit: the clinician is being paid.".to_owned(),
            (Some(t), None) => format!("{} will be charged and paid to the clinician on {} unless you dispute the visit first.", b.capture.unwrap_or(b.visit.amount), format_datetime(t)),
            (None, None) => "Scheduled for payout.".to_owned(),
        },
        PaymentState::Frozen => "You disputed this visit: the payment is frozen until Carethread resolves it.".to_owned(),
        PaymentState::Paid => format!("Paid {} on {}.", b.capture.unwrap_or(b.visit.amount), b.paid_at.map(format_datetime).unwrap_or_default()),
    };
    let countersign_error = action_error(a.countersign.value());
    let dispute_error = action_error(a.dispute.value());
    Some(view! {
        <section class="section" aria-labelledby="payment-heading">
            <h2 id="payment-heading">"Payment"</h2>
            <p data-testid="payment-state">{text}</p>
            {b.dispute_reason.clone().map(|r| view! { <p class="muted">{format!("Your dispute: {r}")}</p> })}
            {b.resolution.clone().map(|r| view! { <p class="muted">{format!("Resolution: {r}")}</p> })}
            {b.can_review.then(|| {
                let id_dispute = id.clone();
                view! {
                <crate::ui::Form action=a.countersign attr:class="form">
                    <ErrorSummary error=countersign_error title="The visit was not confirmed"/>
                    <input type="hidden" name="id" value=id.clone()/>
                    <button type="submit" class="button">"Confirm the visit and pay now"</button>
                </crate::ui::Form>
                <crate::ui::Form action=a.dispute attr:class="form" attr:novalidate=true>
                    <ErrorSummary error=dispute_error title="The dispute was not sent"/>
                    <input type="hidden" name="id" value=id_dispute/>
                    <TextArea name="reason" label="Something wrong? Tell us what" error=field_error(dispute_error, "reason")/>
                    <button type="submit" class="button button--secondary">"Dispute this visit"</button>
                </crate::ui::Form>
            }})}
        </section>
    })
}

/// The invoice: one line per visit, linked to the signed log by its hash;
/// the receipt once paid.
/// The invoice: the signed visit, its line linked to the log's hash; or,
/// for a visit cancelled late, the fee charged for it. Nothing else is
/// ever charged.
fn invoice_view(b: &Booking) -> Option<impl IntoView> {
    let when = format_datetime(b.visit.starts_at);
    let (item, hash) = match (&b.log, b.capture) {
        (Some(log), _) => (
            format!("{} visit, {when}", b.visit.service.label()),
            Some(log.sha256.clone()),
        ),
        (None, Some(fee)) if b.visit.status == VisitStatus::Cancelled && fee.0 > 0 => (
            format!(
                "Late cancellation fee: {} visit, {when}, cancelled within the notice period",
                b.visit.service.label()
            ),
            None,
        ),
        _ => return None,
    };
    let amount = b.capture.unwrap_or(b.visit.amount);
    Some(view! {
        <section class="section" aria-labelledby="invoice-heading" data-testid="invoice">
            <h2 id="invoice-heading">"Invoice"</h2>
            <table class="table">
                <thead><tr><th scope="col">"Item"</th><th scope="col">"Amount"</th></tr></thead>
                <tbody>
                    <tr>
                        <td>
                            {item}
                            {hash.map(|h| view! { <br/><a href="#signed-heading" class="hash">"Signed log SHA-256 " <code>{h}</code></a> })}
                        </td>
                        <td>{amount.to_string()}</td>
                    </tr>
                </tbody>
            </table>
            {b.paid_at.map(|t| view! {
                <p data-testid="receipt">{format!("Receipt: {amount} paid on {}.", format_datetime(t))}</p>
            })}
        </section>
    })
}

/// `/clinician/earnings`: pending, scheduled, paid and frozen payouts.
#[component]
pub fn EarningsPage() -> impl IntoView {
    let earnings = Resource::new(|| (), |_| get_earnings());
    view! {
        <Title text="Earnings · Carethread"/>
        <div class="page page--narrow">
            <h1>"Earnings"</h1>
            <p class="lede">"Visits booked by families, and a clinic's visits at a per-visit rate (switch to that clinic to see them): paid once you sign an EVV-complete visit log and the review window has passed."</p>
            <Loaded resource=earnings loading="Loading your earnings…" ok=earnings_view/>
        </div>
    }
}

fn earnings_view(e: Earnings) -> impl IntoView {
    view! {
        <dl class="facts" data-testid="earnings-totals">
            {e.totals.into_iter().map(|(state, cents)| view! {
                <div><dt>{state.label()}</dt><dd data-testid=format!("total-{}", state.as_str())>{cents.to_string()}</dd></div>
            }).collect_view()}
        </dl>
        {if e.rows.is_empty() {
            view! { <p class="empty">"No booked visits yet."</p> }.into_any()
        } else {
            view! {
                <ul class="list" role="list" data-testid="earnings">
                    {e.rows.into_iter().map(|r| view! {
                        <li class="list__item">
                            <span>{format!("{} · {}", format_datetime(r.starts_at), r.service.label())}</span>
                            <span>{format!("{} · {}", r.amount, r.state.label())}
                                {r.paid_at.map(|t| format!(" {}", format_datetime(t)))}
                                {r.release_at.filter(|_| r.state == PaymentState::Scheduled).map(|t| format!(" from {}", format_datetime(t)))}
                            </span>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
    }
}

/// `/admin/payments`: the ledger check, and disputed payments with how
/// each is resolved.
#[component]
pub fn PaymentsAdminPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_payments_overview());
    let resolve = crate::ui::server_action::<ResolveDispute>();
    view! {
        <Title text="Payments · Carethread"/>
        <div class="page page--narrow">
            <h1>"Payments"</h1>
            <Loaded resource=overview loading="Loading payments…" ok=move |o| overview_view(o, resolve)/>
        </div>
    }
}

fn overview_view(o: PaymentsOverview, resolve: ServerAction<ResolveDispute>) -> impl IntoView {
    let l = o.ledger;
    let verdict = if l.unbalanced == 0 && l.book_total.0 == 0 {
        format!(
            "Balanced: {} transactions, each sums to zero, and the book sums to {}.",
            l.transactions, l.book_total
        )
    } else {
        format!(
            "Out of balance: {} of {} transactions do not sum to zero; the book sums to {}.",
            l.unbalanced, l.transactions, l.book_total
        )
    };
    view! {
        <section class="section" aria-labelledby="ledger-heading">
            <h2 id="ledger-heading">"Ledger"</h2>
            <p data-testid="ledger-check">{verdict}</p>
            <dl class="facts">
                {l.by_kind.into_iter().map(|(kind, cents)| view! {
                    <div><dt>{kind.label()}</dt><dd>{cents.to_string()}</dd></div>
                }).collect_view()}
            </dl>
        </section>
        <section class="section" aria-labelledby="disputes-heading">
            <h2 id="disputes-heading">"Disputes"</h2>
            {disputes_view(o.disputes, resolve)}
        </section>
    }
}

fn disputes_view(disputes: Vec<Dispute>, resolve: ServerAction<ResolveDispute>) -> impl IntoView {
    let error = action_error(resolve.value());
    if disputes.is_empty() {
        return view! { <p class="empty">"No disputes waiting."</p> }.into_any();
    }
    view! {
        <ErrorSummary error=error title="The dispute was not resolved"/>
        <ul class="list" role="list" data-testid="disputes">
            {disputes.into_iter().map(|d| {
                let id = d.visit_id.to_string();
                view! {
                    <li class="card">
                        <p><strong>{format!("{} · {} · {}", d.family, d.clinician, format_datetime(d.starts_at))}</strong></p>
                        <p>{format!("{} disputed on {}: {}", d.amount, format_datetime(d.disputed_at), d.reason)}</p>
                        <crate::ui::Form action=resolve instance=id.clone() attr:class="form">
                            <input type="hidden" name="id" value=id.clone()/>
                            <fieldset>
                                <legend>"Decision"</legend>
                                <label><input type="radio" name="decision" value="release"/>" Pay the clinician in full"</label>
                                <label><input type="radio" name="decision" value="partial"/>" Pay part (the rest is not charged)"</label>
                                <label><input type="radio" name="decision" value="refund"/>" Refund: charge nothing"</label>
                            </fieldset>
                            <label for=format!("partial-{id}")>"Partial amount (dollars)"</label>
                            <input id=format!("partial-{id}") name="partial" inputmode="decimal"/>
                            <label for=format!("note-{id}")>"Why"</label>
                            <textarea id=format!("note-{id}") name="note" rows="3"></textarea>
                            <button type="submit" class="button">"Resolve"</button>
                        </crate::ui::Form>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
