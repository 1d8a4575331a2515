//! The frame around every page: skip link, header with brand, navigation
//! and who is signed in (for which organization), and the footer with the
//! platform's disclaimers.

use crate::auth::{get_current_user, CurrentUser, Logout, Role};
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

/// The signed-in person, refetched on every navigation (a sign-in, a
/// sign-out or a switch changes it), for the header and pages.
pub type CurrentUserResource = Resource<Result<Option<CurrentUser>, AppError>>;

/// Provides [`CurrentUserResource`] to everything inside.
#[component]
pub fn CurrentUserProvider(children: Children) -> impl IntoView {
    let location = use_location();
    let user: CurrentUserResource =
        Resource::new(move || location.pathname.get(), |_| get_current_user());
    provide_context(user);
    children()
}

/// The current user resource (inside [`CurrentUserProvider`]).
pub fn use_current_user() -> Option<CurrentUserResource> {
    use_context::<CurrentUserResource>()
}

/// The navigation links of each role's area.
pub fn role_links(role: Role) -> Vec<(&'static str, &'static str)> {
    match role {
        Role::PlatformAdmin => vec![
            ("/admin", "Dashboard"),
            ("/admin/organizations", "Organizations"),
            ("/admin/clinicians", "Clinicians"),
            ("/admin/audit", "Audit log"),
            ("/admin/jobs", "Jobs"),
            ("/admin/payments", "Payments"),
            ("/admin/trust", "Trust portal"),
            ("/developers", "API"),
        ],
        Role::ClinicAdmin => vec![
            ("/clinic", "Dashboard"),
            ("/clinic/inbox", "Referral inbox"),
            ("/clinic/team", "Team"),
            ("/clinic/audit", "Audit log"),
            ("/clinic/sign-ins", "Sign-ins"),
            ("/clinic/data", "Data rights"),
            ("/clinic/exports", "Exports"),
            ("/clinic/settings", "Settings"),
            ("/developers", "API"),
        ],
        Role::ClinicStaff => vec![
            ("/clinic", "Dashboard"),
            ("/clinic/inbox", "Referral inbox"),
            ("/clinic/team", "Team"),
        ],
        Role::Referrer => vec![
            ("/referrer", "Referrals"),
            ("/referrer/referrals/new", "New referral"),
        ],
        Role::Clinician => vec![
            ("/clinician", "Dashboard"),
            ("/clinician/profile", "Profile"),
            ("/clinician/availability", "Availability"),
            ("/clinician/earnings", "Earnings"),
        ],
        Role::Family => vec![
            ("/family", "Dashboard"),
            ("/family/find", "Find a clinician"),
            ("/family/members", "Family members"),
        ],
        Role::FamilyViewer => vec![
            ("/family", "Dashboard"),
            ("/family/members", "Family members"),
        ],
    }
}

#[component]
pub fn SiteHeader() -> impl IntoView {
    let user = use_current_user();
    let signed_in = move || user.and_then(|u| u.get()).and_then(|r| r.ok()).flatten();
    view! {
        <a class="skip-link" href="#main">"Skip to main content"</a>
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/" aria-label="Carethread home">
                    <img src="/icons/logo.svg" alt="" width="28" height="28"/>
                    <span class="brand__name">"Carethread"</span>
                </a>
                <Suspense fallback=|| view! { <PublicNav/> }>
                    {move || match signed_in() {
                        Some(user) => view! { <MemberNav user/> }.into_any(),
                        None => view! { <PublicNav/> }.into_any(),
                    }}
                </Suspense>
            </div>
        </header>
    }
}

#[component]
fn PublicNav() -> impl IntoView {
    view! {
        <nav aria-label="Primary" class="primary-nav">
            <ul>
                <li>
                    <A href="/">"Home"</A>
                </li>
                <li>
                    <A href="/trust">"Trust"</A>
                </li>
                <li>
                    <A href="/developers">"Developers"</A>
                </li>
                <li>
                    <A href="/login">"Sign in"</A>
                </li>
            </ul>
        </nav>
    }
}

#[component]
fn MemberNav(user: CurrentUser) -> impl IntoView {
    let logout = crate::ui::server_action::<Logout>();
    let links = role_links(user.role);
    view! {
        <nav aria-label="Primary" class="primary-nav">
            <ul>
                {links
                    .into_iter()
                    .map(|(href, label)| {
                        // Dashboards are prefixes of their area's pages:
                        // only an exact match is "this page".
                        view! {
                            <li>
                                <A href=href exact=true>{label}</A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
        <div class="who" data-testid="who">
            <p class="who__name">
                <A href="/account">{user.display_name}</A>
            </p>
            <p class="who__org">
                <span data-testid="who-org">{user.org_name}</span>
                " · "
                <span data-testid="who-role">{user.role.label()}</span>
                {user.can_switch.then(|| view! { " · " <A href="/switch">"Switch"</A> })}
            </p>
            <crate::ui::Form action=logout attr:class="inline-form">
                <button type="submit" class="button button--link">"Sign out"</button>
            </crate::ui::Form>
        </div>
    }
}

#[component]
pub fn SiteFooter() -> impl IntoView {
    view! {
        <footer class="site-footer">
            <div class="site-footer__inner">
                <p class="site-footer__brand">
                    <strong>"Carethread"</strong>
                    " · Hospital to home, one continuous record."
                </p>
                <p>
                    "Carethread is care-coordination software, not a healthcare provider, staffing agency or employer of clinicians. "
                    "Clinicians are independent licensed professionals; we verify identity and licenses at onboarding and monitor them, but no screening is exhaustive."
                </p>
                <p>
                    "Payments are authorized at booking and released to the clinician only after the visit log is signed; Carethread is not a bank, escrow agent or money transmitter."
                </p>
                <p>
                    <strong>"In a medical emergency, call 911."</strong>
                </p>
                <p class="site-footer__small">
                    "Open source under the AGPL-3.0. © Carethread contributors."
                </p>
            </div>
        </footer>
    }
}
