//! `/admin/organizations`: every organization with its numbers, and the
//! form that creates one and invites its first member.

use crate::orgs::{list_organizations, CreateOrganization, OrgSummary};
use crate::ui::Loaded;
use crate::ui::{
    action_error, field_error, format_datetime, DataTable, ErrorSummary, SelectField, TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OrganizationsPage() -> impl IntoView {
    let create = crate::ui::server_action::<CreateOrganization>();
    let orgs = Resource::new(|| (), |_| list_organizations());
    let error = action_error(create.value());
    let created = move || create.value().with(|v| matches!(v, Some(Ok(_))));
    view! {
        <Title text="Organizations · Carethread"/>
        <div class="page">
            <h1>"Organizations"</h1>
            <Loaded resource=orgs loading="Loading…" ok=move |orgs| view! { <OrgTable orgs/> }/>
            <section class="section panel" aria-labelledby="create-heading">
                <h2 id="create-heading">"Add an organization"</h2>
                <Show when=created>
                    <p class="notice notice--success" role="status" data-testid="org-created">
                        "Organization created, and its first member invited."
                    </p>
                </Show>
                <crate::ui::Form action=create attr:class="form" attr:novalidate=true>
                    <ErrorSummary error/>
                    <TextField name="name" label="Name" required=true error=field_error(error, "name")/>
                    <SelectField
                        name="kind"
                        label="Kind"
                        required=true
                        options=vec![
                            ("clinic", "Clinic (home-health agency or practice)"),
                            ("referrer", "Referring organization (hospital discharge planning)"),
                        ]
                        error=field_error(error, "kind")
                    />
                    <TextField
                        name="email"
                        label="First member's email"
                        input_type="email"
                        hint="A clinic's first member is its administrator; a referring organization's is a discharge planner."
                        required=true
                        error=field_error(error, "email")
                    />
                    <button type="submit" class="button">
                        "Create and invite"
                    </button>
                </crate::ui::Form>
            </section>
        </div>
    }
}

#[component]
fn OrgTable(orgs: Vec<OrgSummary>) -> impl IntoView {
    view! {
        <DataTable label="Organizations" testid="organizations" columns=["Name", "Kind", "Members", "Open invitations", "Since"]>
                    {orgs
                        .into_iter()
                        .map(|o| {
                            view! {
                                <tr>
                                    <th scope="row">{o.name}</th>
                                    <td>{o.kind.label()}</td>
                                    <td>{o.members}</td>
                                    <td>{o.open_invitations}</td>
                                    <td>{format_datetime(o.created_at)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
    }
}
