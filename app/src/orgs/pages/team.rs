//! `/clinic/team`: the clinic's members and open invitations; its
//! administrators invite, change roles, remove and revoke here.

use crate::auth::Role;
use crate::orgs::{
    get_team, ChangeMemberRole, InviteMember, RemoveMember, RevokeInvitation, TeamView,
};
use crate::ui::Loaded;
use crate::ui::{
    action_error, field_error, format_datetime, Column, DataTable, ErrorSummary, SelectField,
    TextField,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn TeamPage() -> impl IntoView {
    let invite = crate::ui::server_action::<InviteMember>();
    let revoke = crate::ui::server_action::<RevokeInvitation>();
    let change = crate::ui::server_action::<ChangeMemberRole>();
    let remove = crate::ui::server_action::<RemoveMember>();
    let team = Resource::new(|| (), |_| get_team());
    let actions = Actions {
        invite,
        revoke,
        change,
        remove,
    };
    view! {
        <Title text="Team · Carethread"/>
        <div class="page">
            <Loaded resource=team loading="Loading the team…" ok=move |view| view! { <Team view actions/> }/>
        </div>
    }
}

#[derive(Clone, Copy)]
struct Actions {
    invite: ServerAction<InviteMember>,
    revoke: ServerAction<RevokeInvitation>,
    change: ServerAction<ChangeMemberRole>,
    remove: ServerAction<RemoveMember>,
}

#[component]
fn Team(view: TeamView, actions: Actions) -> impl IntoView {
    let TeamView {
        organization,
        family,
        can_manage,
        members,
        invitations,
    } = view;
    // Owners invite, revoke and remove in a family (moving people between
    // roles is a clinic administrator's tool: it offers itself only for
    // clinic roles).
    let can_change = can_manage;
    let problem = Signal::derive(move || {
        action_error(actions.change.value())
            .get()
            .or_else(|| action_error(actions.remove.value()).get())
            .or_else(|| action_error(actions.revoke.value()).get())
    });
    view! {
        <h1>{if family { "Family members" } else { "Team" }}</h1>
        <p class="lede">{format!("The people of {organization} on Carethread.")}</p>
        <ErrorSummary error=problem title="That change was not made"/>
        <DataTable label="Members" testid="members" columns=[Column::from("Name"), Column::from("Email"), Column::from("Role"), Column::from("Member since"), Column::when(can_change, "Manage")]>
                    {members
                        .into_iter()
                        .map(|m| {
                            let id = m.user_id.to_string();
                            let toggle = matches!(m.role, Role::ClinicAdmin | Role::ClinicStaff)
                                .then(|| {
                                    if m.role == Role::ClinicAdmin {
                                        (Role::ClinicStaff, "Make staff")
                                    } else {
                                        (Role::ClinicAdmin, "Make administrator")
                                    }
                                });
                            let manage = (can_change && !m.is_me).then(|| {
                                let toggle_id = id.clone();
                                view! {
                                    <td class="actions">
                                        {toggle.map(|(role, label)| view! {
                                            <crate::ui::Form action=actions.change attr:class="inline-form">
                                                <input type="hidden" name="user_id" value=toggle_id/>
                                                <input type="hidden" name="role" value=role.as_str()/>
                                                <button type="submit" class="button button--secondary">{label}</button>
                                            </crate::ui::Form>
                                        })}
                                        <crate::ui::Form action=actions.remove attr:class="inline-form">
                                            <input type="hidden" name="user_id" value=id/>
                                            <button type="submit" class="button button--danger">"Remove"</button>
                                        </crate::ui::Form>
                                    </td>
                                }
                            });
                            let blank = (can_change && manage.is_none()).then(|| view! { <td></td> });
                            view! {
                                <tr>
                                    <th scope="row">{m.name}{m.is_me.then_some(" (you)")}</th>
                                    <td>{m.email}</td>
                                    <td>{m.role.label()}</td>
                                    <td>{format_datetime(m.since)}</td>
                                    {manage}
                                    {blank}
                                </tr>
                            }
                        })
                        .collect_view()}
        </DataTable>
        {can_manage.then(|| view! { <Invitations invitations actions family/> })}
    }
}

#[component]
fn Invitations(
    invitations: Vec<super::super::InvitationView>,
    actions: Actions,
    family: bool,
) -> impl IntoView {
    let error = action_error(actions.invite.value());
    let sent = move || actions.invite.value().with(|v| matches!(v, Some(Ok(()))));
    view! {
        <section class="section" aria-labelledby="invite-heading">
            <h2 id="invite-heading">"Invite someone"</h2>
            <Show when=sent>
                <p class="notice notice--success" role="status" data-testid="invite-sent">
                    "Invitation sent. It stays open for 7 days."
                </p>
            </Show>
            <crate::ui::Form action=actions.invite attr:class="form" attr:novalidate=true>
                <ErrorSummary error/>
                <TextField
                    name="email"
                    label="Email address"
                    input_type="email"
                    required=true
                    error=field_error(error, "email")
                />
                <SelectField
                    name="role"
                    label="Role"
                    required=true
                    options=if family {
                        vec![
                            ("family_viewer", "Viewer: sees your people and their visits, changes nothing"),
                            ("family", "Owner: also books, pays, confirms and disputes visits"),
                        ]
                    } else {
                        vec![
                            ("clinic_staff", "Clinic staff: referral inbox, patients, schedule"),
                            ("clinic_admin", "Clinic administrator: also team, settings, audit log"),
                            ("clinician", "Affiliated clinician"),
                        ]
                    }
                    error=field_error(error, "role")
                />
                <button type="submit" class="button">
                    "Send invitation"
                </button>
            </crate::ui::Form>
            <h3>"Waiting to be accepted"</h3>
            {if invitations.is_empty() {
                view! { <p class="empty">"No open invitations."</p> }.into_any()
            } else {
                view! {
                    <ul class="list" role="list" data-testid="open-invitations">
                        {invitations
                            .into_iter()
                            .map(|i| {
                                view! {
                                    <li class="list__item">
                                        <div>
                                            <strong>{i.email}</strong>
                                            <p class="muted">
                                                {format!("{} · expires {}", i.role.label(), format_datetime(i.expires_at))}
                                            </p>
                                        </div>
                                        <crate::ui::Form action=actions.revoke attr:class="inline-form">
                                            <input type="hidden" name="id" value=i.id.to_string()/>
                                            <button type="submit" class="button button--secondary">"Revoke"</button>
                                        </crate::ui::Form>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}
