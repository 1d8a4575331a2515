//! Carethread's product crate: routes, pages, components, server functions
//! and the domain types shared by the server and the browser.
//!
//! Layout mirrors the product: one module per area (`trust`, `auth`,
//! `orgs`, `audit`, `dashboard`, `referrals`, `clinicians`, `developer`,
//! `break_glass`, `jobs`, and later `intake`, …), each holding its pages,
//! its server functions (declared with `#[rpc]`, which answers with the
//! error's HTTP status) and, behind the `ssr` feature, its data access.
//! Under them, base layers that import nothing above them
//! (`server/tests/shape.rs`): `error`; `domain`, the validated values and
//! the vocabularies; `identity`, roles, ids and the principal; `db`, the
//! scoped transactions every request goes through; `vault`, the
//! application-level encryption of PHI fields. `ui` holds the shared
//! page frame, form controls, the data table and `Loaded`; `mail` the
//! outgoing-mail templates.
//!
//! Feature policy: `default = []`; `ssr` adds every server-only dependency
//! (sqlx, axum, tokio) and `hydrate` the browser side, so nothing
//! server-only enters the wasm graph.

#![recursion_limit = "256"]

pub mod audit;
pub mod auth;
pub mod booking;
pub mod break_glass;
pub mod clinicians;
pub mod dashboard;
pub mod data_rights;
pub mod developer;
pub mod domain;
pub mod error;
pub mod exports;
pub mod families;
pub mod identity;
pub mod intake;
pub mod jobs;
pub mod orgs;
mod pages;
pub mod patients;
pub mod payments;
pub mod referrals;
pub mod settings;
pub mod trust;
pub mod ui;
pub mod visits;

#[cfg(feature = "ssr")]
pub mod csp;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod mail;
#[cfg(feature = "ssr")]
pub mod pdf;
#[cfg(feature = "ssr")]
pub mod state;
#[cfg(feature = "ssr")]
pub mod vault;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The HTML document around the app. Runs only on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    csp::apply_to_page();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="theme-color" content="#0b5560"/>
                <link rel="manifest" href="/manifest.webmanifest"/>
                <link rel="icon" href="/icons/logo.svg" type="image/svg+xml"/>
                <link rel="apple-touch-icon" href="/icons/icon-192.png"/>
                <script src="/sw-register.js" defer nonce=leptos::nonce::use_nonce()></script>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The application: page frame and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="carethread" href="/pkg/carethread.css"/>
        <Title formatter=|title: String| {
            if title.is_empty() { "Carethread".to_owned() } else { title }
        }/>
        <Router>
            <ui::CurrentUserProvider>
                <ui::SiteHeader/>
                <main id="main" tabindex="-1" class="site-main">
                    <Routes fallback=pages::NotFound>
                        <Route path=path!("") view=pages::HomePage ssr=SsrMode::Async/>
                        <Route path=path!("/trust") view=trust::TrustPage ssr=SsrMode::Async/>
                        <Route
                            path=path!("/developers")
                            view=developer::DeveloperPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/login") view=auth::LoginPage ssr=SsrMode::Async/>
                        <Route path=path!("/register") view=auth::RegisterPage ssr=SsrMode::Async/>
                        <Route path=path!("/forgot-password") view=auth::ForgotPasswordPage ssr=SsrMode::Async/>
                        <Route
                            path=path!("/reset-password")
                            view=auth::ResetPasswordPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/account") view=auth::AccountPage ssr=SsrMode::Async/>
                        <Route
                            path=path!("/switch")
                            view=auth::SwitchOrganizationPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/invite") view=orgs::AcceptInvitationPage ssr=SsrMode::Async/>
                        <Route
                            path=path!("/clinic")
                            view=dashboard::ClinicDashboardPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/clinic/team") view=orgs::TeamPage ssr=SsrMode::Async/>
                        <Route path=path!("/clinic/audit") view=audit::AuditLogPage ssr=SsrMode::Async/>
                        <Route path=path!("/clinic/sign-ins") view=audit::LoginLogPage ssr=SsrMode::Async/>
                        <Route path=path!("/clinic/data") view=data_rights::DataRightsPage ssr=SsrMode::Async/>
                        <Route path=path!("/clinic/data/deletions/:id") view=data_rights::DeletionPage ssr=SsrMode::Async/>
                        <Route path=path!("/clinic/exports") view=exports::ExportsPage ssr=SsrMode::Async/>
                        <Route path=path!("/clinic/settings") view=settings::SettingsPage ssr=SsrMode::Async/>
                        <Route
                            path=path!("/clinic/inbox")
                            view=|| view! { <referrals::ReferralListPage inbox=true/> }
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/clinic/inbox/:id")
                            view=referrals::ReferralDetailPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/referrer")
                            view=|| view! { <referrals::ReferralListPage inbox=false/> }
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/referrer/referrals/new")
                            view=referrals::NewReferralPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/referrer/referrals/:id")
                            view=referrals::ReferralDetailPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/clinician")
                            view=visits::ClinicianDayPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/clinician/visits/:id")
                            view=visits::VisitPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/clinic/visits/:id") view=visits::VisitPage ssr=SsrMode::Async/>
                        <Route
                            path=path!("/clinic/schedule")
                            view=visits::ClinicSchedulePage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/clinic/patients/:id")
                            view=patients::PatientPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/clinician/profile")
                            view=clinicians::ClinicianProfilePage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/clinician/availability")
                            view=booking::AvailabilityPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/clinician/earnings")
                            view=booking::EarningsPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/admin/clinicians")
                            view=clinicians::VerificationQueuePage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/family")
                            view=families::FamilyHomePage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/family/find")
                            view=booking::FindClinicianPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/family/clinicians/:id")
                            view=booking::ClinicianForFamilyPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/family/members")
                            view=orgs::TeamPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/family/book")
                            view=booking::BookPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/family/visits/:id")
                            view=booking::FamilyVisitPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/family/recipients/new")
                            view=families::NewRecipientPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/family/recipients/:id")
                            view=families::RecipientPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/admin")
                            view=dashboard::AdminDashboardPage
                            ssr=SsrMode::Async
                        />
                        <Route
                            path=path!("/admin/organizations")
                            view=orgs::OrganizationsPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/admin/audit") view=audit::AuditLogPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/sign-ins") view=audit::LoginLogPage ssr=SsrMode::Async/>
                        <Route
                            path=path!("/admin/break-glass")
                            view=break_glass::BreakGlassPage
                            ssr=SsrMode::Async
                        />
                        <Route path=path!("/admin/jobs") view=jobs::JobsPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/payments") view=booking::PaymentsAdminPage ssr=SsrMode::Async/>
                        <Route path=path!("/admin/trust") view=trust::TrustAdminPage ssr=SsrMode::Async/>
                        <Route path=path!("/clinic/forms") view=intake::FormsPage ssr=SsrMode::Async/>
                        <Route path=path!("/clinic/forms/:id") view=intake::FormPage ssr=SsrMode::Async/>
                        <Route path=path!("/clinic/intake/:id") view=intake::SubmissionPage ssr=SsrMode::Async/>
                        <Route path=path!("/intake") view=intake::FillPage ssr=SsrMode::Async/>
                        <Route path=path!("/verify") view=intake::VerifyPage ssr=SsrMode::Async/>
                    </Routes>
                </main>
                <ui::SiteFooter/>
            </ui::CurrentUserProvider>
        </Router>
    }
}
