//! `/clinic/exports`: ask for an export (which data, CSV or JSON), watch
//! its progress, download its files and manifest. A plain form and plain
//! links: it works without JavaScript, and while an export is being
//! written the page asks the browser to load it again every few seconds
//! (a `refresh` header in the page's head), so progress shows either way.

use super::api::{get_exports, RequestExport};
use super::model::*;
use crate::ui::{
    action_error, field_error, format_datetime, server_action, DataTable, ErrorSummary, Form,
    Loaded,
};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_query_map;

#[component]
pub fn ExportsPage() -> impl IntoView {
    let requested = use_query_map().with_untracked(|q| q.get("requested"));
    let exports = Resource::new(|| (), |_| get_exports());
    view! {
        <Title text="Exports · Carethread"/>
        <div class="page">
            <h1>"Exports"</h1>
            <p class="section__intro">
                "Your clinic's data as CSV or JSON files, with a manifest listing each file's rows and SHA-256. Files can be downloaded for 24 hours; every export and download is written to the audit log."
            </p>
            {requested.map(|_| view! {
                <p class="notice notice--ok" role="status" data-testid="export-requested">"Export requested. It is written in the background; this page shows its progress."</p>
            })}
            <RequestForm/>
            <section class="section" aria-labelledby="exports-heading">
                <h2 id="exports-heading">"Recent exports"</h2>
                <Loaded resource=exports loading="Loading exports…" ok=exports_view/>
            </section>
        </div>
    }
}

#[component]
fn RequestForm() -> impl IntoView {
    let request = server_action::<RequestExport>();
    let error = action_error(request.value());
    let datasets_error = field_error(error, "datasets");
    view! {
        <section class="section panel" aria-labelledby="new-export-heading">
            <h2 id="new-export-heading">"New export"</h2>
            <ErrorSummary error title="The export was not requested"/>
            <Form action=request attr:class="form">
                <fieldset class="field" class:field--invalid=move || datasets_error.with(Option::is_some) id="datasets" tabindex="-1">
                    <legend>"Data to export" <span class="field__required">" (required)"</span></legend>
                    {move || datasets_error.get().map(|m| view! { <p class="field__error" id="datasets-error"><span class="visually-hidden">"Error: "</span>{m}</p> })}
                    {Dataset::ALL.iter().enumerate().map(|(i, d)| {
                        let id = format!("dataset-{}", d.key());
                        let on = crate::ui::checked(&format!("datasets[{i}]"), false);
                        view! {
                            <div class="checkbox">
                                <input type="checkbox" id=id.clone() name=format!("datasets[{i}]") value=d.key() checked=on/>
                                <label for=id>{d.label()}</label>
                            </div>
                        }
                    }).collect_view()}
                </fieldset>
                <fieldset class="field">
                    <legend>"Format"</legend>
                    <div class="checkbox">
                        <input type="radio" id="format-csv" name="format" value="csv" checked=true/>
                        <label for="format-csv">"CSV (spreadsheets)"</label>
                    </div>
                    <div class="checkbox">
                        <input type="radio" id="format-json" name="format" value="json"/>
                        <label for="format-json">"JSON"</label>
                    </div>
                </fieldset>
                <button type="submit" class="button">"Start the export"</button>
            </Form>
        </section>
    }
}

fn exports_view(centre: ExportCentre) -> impl IntoView {
    if centre.exports.is_empty() {
        return view! { <p class="empty">"No exports yet."</p> }.into_any();
    }
    let waiting = centre.exports.iter().any(ExportView::in_progress);
    view! {
        {waiting.then(|| view! { <Meta http_equiv="refresh" content="3"/> })}
        <ul class="list" role="list" data-testid="exports">
            {centre.exports.into_iter().map(export_item).collect_view()}
        </ul>
    }
    .into_any()
}

fn export_item(e: ExportView) -> impl IntoView {
    let labels: Vec<&str> = e
        .datasets
        .iter()
        .filter_map(|d| Dataset::parse(d).map(Dataset::label))
        .collect();
    let title = format!("{} · {}", labels.join(", "), e.format.key().to_uppercase());
    let progress = e.progress();
    let bar = match (e.state.as_str(), e.rows_total) {
        ("running", Some(total)) if total > 0 => Some(view! {
            <progress max=total.to_string() value=e.rows_done.to_string() aria-label="Rows written">{progress.clone()}</progress>
        }),
        _ => None,
    };
    let files = match (&e.state[..], &e.manifest) {
        ("ready", Some(m)) => {
            let id = e.id;
            let rows = m.files.clone();
            Some(view! {
                <DataTable labelledby="exports-heading" testid="export-files" columns=["File", "Rows", "SHA-256"]>
                    {rows.into_iter().map(|f| view! {
                        <tr>
                            <td><a href=format!("/clinic/exports/{id}/files/{}", f.name) download="">{f.name.clone()}</a></td>
                            <td>{f.rows}</td>
                            <td><code class="hash">{f.sha256.clone()}</code></td>
                        </tr>
                    }).collect_view()}
                </DataTable>
                <p>
                    <a href=format!("/clinic/exports/{id}/files/manifest.json") download="" data-testid="manifest-link">"Manifest (JSON)"</a>
                    {e.manifest_sha256.clone().map(|h| view! { <span class="muted">" · SHA-256 "<code class="hash">{h}</code></span> })}
                </p>
            })
        }
        _ => None,
    };
    view! {
        <li class="list__item" data-state=e.state.clone() data-testid="export">
            <h3>{title}</h3>
            <p class="meta">
                {format!("Requested by {} · {}", e.requested_by, format_datetime(e.requested_at))}
                {e.expires_at.filter(|_| e.state == "ready").map(|t| format!(" · files until {}", format_datetime(t)))}
            </p>
            <p role="status" data-testid="export-progress">{progress}</p>
            {bar}
            {e.error.clone().map(|m| view! { <p class="field__error">{m}</p> })}
            {files}
        </li>
    }
}
