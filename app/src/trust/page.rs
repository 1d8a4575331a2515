//! The `/trust` page. Server-rendered in full (the route is `SsrMode::Async`)
//! so reviewers without JavaScript see every figure; hydration adds the
//! subprocessor filter and the in-place vendor-packet form.

use super::api::{get_trust_portal, RequestVendorPacket};
use super::model::{format_date, Certification, Subprocessor, TrustPortal, Uptime};
use super::packet::PacketKind;
use crate::error::AppError;
use crate::ui::{
    action_error, field_error, DataTable, ErrorSummary, SelectField, TextArea, TextField,
};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};

#[component]
pub fn TrustPage() -> impl IntoView {
    let portal = Resource::new(|| (), |_| get_trust_portal());
    view! {
        <Title text="Trust portal · Carethread"/>
        <Meta
            name="description"
            content="Carethread's certifications, subprocessors, BAA chain, data principles and measured uptime."
        />
        <div class="page">
            <header class="hero">
                <p class="eyebrow">"Procurement diligence"</p>
                <h1>"Trust portal"</h1>
                <p class="lede">
                    "Every certification, Business Associate Agreement and subprocessor Carethread relies on. "
                    "The counts below are computed from the subprocessor table each time this page is served. "
                    "If a row says “scheduled”, the date is real and the work is funded; we do not claim what we do not have."
                </p>
                <p>
                    <a class="button button--secondary" href="#vendor-packet">
                        "Request the vendor packet"
                    </a>
                    " "
                    <a class="text-link" href="/trust.json">
                        "Machine-readable version (JSON)"
                    </a>
                </p>
            </header>
            <Suspense fallback=|| {
                view! {
                    <p class="loading" role="status">
                        "Loading the trust portal…"
                    </p>
                }
            }>
                {move || Suspend::new(async move {
                    match portal.await {
                        Ok(portal) => view! { <PortalBody portal/> }.into_any(),
                        Err(error) => view! { <LoadError error/> }.into_any(),
                    }
                })}
            </Suspense>
            <VendorPacketSection/>
            <aside class="panel panel--quiet" aria-labelledby="dull-heading">
                <h2 id="dull-heading">"Why this page is plain"</h2>
                <p>
                    "There are no customer logos or “trusted by” badges here. What there is: an honest BAA chain, "
                    "statuses that say exactly where each engagement stands, and figures a reviewer can check against "
                    "the machine-readable version."
                </p>
            </aside>
        </div>
    }
}

#[component]
fn LoadError(error: AppError) -> impl IntoView {
    view! {
        <div class="notice notice--error" role="alert">
            <h2>"The trust portal could not be loaded"</h2>
            <p>{error.to_string()}</p>
        </div>
    }
}

#[component]
fn PortalBody(portal: TrustPortal) -> impl IntoView {
    let TrustPortal {
        last_reviewed,
        counts,
        uptime,
        certifications,
        subprocessors,
        principles,
        changes,
        retention,
    } = portal;
    view! {
        <section class="section" aria-labelledby="chain-heading">
            <h2 id="chain-heading">"Live BAA chain"</h2>
            <dl class="stats">
                <div class="stat">
                    <dt>"Subprocessors"</dt>
                    <dd data-testid="count-subprocessors">{counts.subprocessors}</dd>
                </div>
                <div class="stat">
                    <dt>"BAAs signed"</dt>
                    <dd data-testid="count-baas">{counts.baas_signed}</dd>
                </div>
                <div class="stat">
                    <dt>"Touch PHI"</dt>
                    <dd data-testid="count-phi">{counts.phi_touching}</dd>
                </div>
                <UptimeStat uptime/>
            </dl>
            <p class="meta">
                "Last reviewed "
                <time datetime=last_reviewed.to_string() data-testid="last-reviewed">
                    {format_date(last_reviewed)}
                </time>
                ". Customers under contract are told 30 days before a new subprocessor is added."
            </p>
        </section>

        <section class="section" aria-labelledby="cert-heading">
            <h2 id="cert-heading">"Certifications and posture"</h2>
            <p class="section__intro">
                "“Operational” means evidence in hand. “Audit engaged”, “scheduled” and “planned” do not imply certification."
            </p>
            <ul class="cards" role="list">
                {certifications
                    .into_iter()
                    .map(|certification| view! { <CertificationCard certification/> })
                    .collect_view()}
            </ul>
        </section>

        <section class="section" aria-labelledby="principles-heading">
            <h2 id="principles-heading">"How we handle data"</h2>
            <ul class="cards cards--plain" role="list">
                {principles
                    .into_iter()
                    .map(|p| {
                        view! {
                            <li class="card">
                                <h3>{p.title}</h3>
                                <p>{p.body}</p>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>

        <SubprocessorTable rows=subprocessors/>

        <section class="section" aria-labelledby="retention-heading">
            <h2 id="retention-heading">"How long data is kept"</h2>
            <p class="section__intro">
                "The defaults below are the ones the daily purge applies. A clinic may keep data longer, never shorter than the legal minimum; "
                "a patient under a legal hold is never purged. Deletion on request removes everything the law allows and issues a certificate of destruction."
            </p>
            <DataTable labelledby="retention-heading" testid="retention-categories" columns=["Category", "What it holds", "Default", "Legal minimum"]>
                {retention
                    .into_iter()
                    .map(|c| {
                        let default = if c.purged {
                            crate::data_rights::format_days(c.default_days)
                        } else {
                            format!("{} (never purged)", crate::data_rights::format_days(c.default_days))
                        };
                        view! {
                            <tr>
                                <th scope="row">{c.label}</th>
                                <td>{c.holds}</td>
                                <td>{default}</td>
                                <td>{crate::data_rights::format_days(c.legal_min_days)}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </DataTable>
        </section>

        <section class="section" aria-labelledby="changes-heading">
            <h2 id="changes-heading">"Recent changes"</h2>
            <p class="section__intro">
                "Every edit of this page is announced here, in "
                <a class="text-link" href="/trust/feed.atom">"an Atom feed"</a>
                " and in the JSON version. New subprocessors appear 30 days before they receive data."
            </p>
            <ul class="list" role="list" data-testid="trust-changes">
                {changes
                    .into_iter()
                    .map(|c| {
                        view! {
                            <li>
                                <time datetime=c.occurred_at.date().to_string()>{format_date(c.occurred_at.date())}</time>
                                " · "
                                {c.summary}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn UptimeStat(uptime: Uptime) -> impl IntoView {
    let window_minutes = i64::from(uptime.window_days) * 24 * 60;
    let since = uptime
        .measured_since
        .filter(|_| uptime.measured_minutes < window_minutes)
        .map(|since| format!("measured since {}", format_date(since.date())));
    let target = super::model::format_percent(uptime.target_percent);
    view! {
        <div class="stat">
            <dt>{format!("Uptime · last {} days", uptime.window_days)}</dt>
            <dd data-testid="uptime">{uptime.display()}</dd>
            <dd class="stat__note">
                {format!("Target {target}%")}
                {since.map(|s| format!(" · {s}"))}
            </dd>
        </div>
    }
}

#[component]
fn CertificationCard(certification: Certification) -> impl IntoView {
    let Certification {
        name,
        scope,
        status,
        status_date,
        detail,
        ..
    } = certification;
    let date = status_date.map(|d| {
        view! {
            " · "
            <time datetime=d.to_string()>{format_date(d)}</time>
        }
    });
    view! {
        <li class="card">
            <h3>{name}</h3>
            <p class="card__status">
                <span class=status.css()>{status.label()}</span>
                {date}
            </p>
            <p>{scope}</p>
            <p class="card__detail">{detail}</p>
        </li>
    }
}

/// The subprocessor table with its "only PHI" filter. The filter is the
/// stylesheet's (`:has(#phi-only:checked)` hides the other rows and swaps
/// the count), so it is live without a byte of script; the count is a
/// status region, so the change is announced.
#[component]
fn SubprocessorTable(rows: Vec<Subprocessor>) -> impl IntoView {
    let total = rows.len();
    let phi = rows.iter().filter(|s| s.touches_phi).count();
    view! {
        <section class="section subprocessors" aria-labelledby="subs-heading">
            <h2 id="subs-heading">"Subprocessors"</h2>
            <p class="section__intro">
                "Every vendor that may receive Carethread data. We sign a BAA with every vendor that may receive PHI; "
                "vendors that handle no PHI are listed too, so the whole chain can be audited."
            </p>
            <div class="table-tools">
                <label class="check">
                    <input type="checkbox" id="phi-only"/>
                    "Show only vendors that touch PHI"
                </label>
                <p class="table-tools__count" role="status" data-testid="subprocessor-count">
                    <span class="subprocessors__all">{format!("Showing {total} of {total} vendors")}</span>
                    <span class="subprocessors__phi">{format!("Showing {phi} of {total} vendors")}</span>
                </p>
            </div>
            <DataTable labelledby="subs-heading" columns=["Vendor", "Purpose", "Region", "BAA", "Touches PHI?"]>
                {rows.into_iter().map(|s| view! { <SubprocessorRow s/> }).collect_view()}
            </DataTable>
        </section>
    }
}

#[component]
fn SubprocessorRow(s: Subprocessor) -> impl IntoView {
    let baa = match (s.baa_signed, s.baa_note) {
        (true, Some(note)) => format!("Yes ({note})"),
        (true, None) => "Yes".to_owned(),
        (false, Some(note)) => note,
        (false, None) => "No".to_owned(),
    };
    let phi = match (s.touches_phi, s.phi_note) {
        (true, Some(note)) => format!("Yes: {note}"),
        (true, None) => "Yes".to_owned(),
        (false, Some(note)) => format!("No: {note}"),
        (false, None) => "No".to_owned(),
    };
    // Announced ahead of its start: say so, with the day.
    let upcoming = (s.starts_on > time::OffsetDateTime::now_utc().date()).then(|| {
        view! {
            <span class="badge badge--scheduled">
                "Starts " <time datetime=s.starts_on.to_string()>{format_date(s.starts_on)}</time>
            </span>
        }
    });
    view! {
        <tr data-phi=s.touches_phi.to_string()>
            <th scope="row">{s.vendor} " " {upcoming}</th>
            <td>{s.purpose}</td>
            <td>{s.region}</td>
            <td>{baa}</td>
            <td>{phi}</td>
        </tr>
    }
}

#[component]
fn VendorPacketSection() -> impl IntoView {
    let action = crate::ui::server_action::<RequestVendorPacket>();
    let value = action.value();
    let error = action_error(value);
    let receipt = Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.clone().ok())));
    let field_error = move |name: &'static str| field_error(error, name);

    view! {
        <section id="vendor-packet" class="section panel" aria-labelledby="packet-heading">
            <h2 id="packet-heading">"Request the vendor packet"</h2>
            <p>
                "Sample BAA, completed security questionnaire, penetration-test summary, SBOM and network diagram. "
                "We answer within two business days."
            </p>
            <Show
                when=move || receipt.with(Option::is_some)
                fallback=move || {
                    view! {
                        <crate::ui::Form action=action attr:class="form" attr:novalidate=true>
                            <ErrorSummary error/>
                            <TextField
                                name="name"
                                label="Your name"
                                autocomplete="name"
                                required=true
                                error=field_error("name")
                            />
                            <TextField
                                name="email"
                                label="Work email"
                                input_type="email"
                                autocomplete="email"
                                required=true
                                error=field_error("email")
                            />
                            <TextField
                                name="organization"
                                label="Organization"
                                autocomplete="organization"
                                required=true
                                error=field_error("organization")
                            />
                            <SelectField
                                name="packet"
                                label="What should we send?"
                                options=PacketKind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
                                required=true
                                error=field_error("packet")
                            />
                            <TextArea
                                name="message"
                                label="Anything else we should know? (optional)"
                                hint="Please do not include patient information."
                                error=field_error("message")
                            />
                            <button type="submit" class="button">
                                "Request the packet"
                            </button>
                        </crate::ui::Form>
                    }
                }
            >
                {move || {
                    receipt
                        .get()
                        .map(|r| {
                            view! {
                                <div class="notice notice--success" role="status">
                                    <h3>"Request received"</h3>
                                    <p>
                                        "Your reference is "
                                        <strong data-testid="packet-reference">{r.reference}</strong>
                                        ". We will email " {r.email} " within " {r.response_days}
                                        " business days."
                                    </p>
                                </div>
                            }
                        })
                }}
            </Show>
        </section>
    }
}
