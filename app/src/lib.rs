//! Carethread's product crate: routes, pages, components, server functions
//! and the domain types shared by the server and the browser.
//!
//! Layout mirrors the product: one module per area (`trust`, `auth`, and
//! later `referrals`, `intake`, …), each holding its pages, its server
//! functions and, behind the `ssr` feature, its data access. `ui` holds the
//! shared page frame and form controls; `domain` the validated values.
//!
//! Feature policy: `default = []`; `ssr` adds every server-only dependency
//! (sqlx, axum, tokio) and `hydrate` the browser side, so nothing
//! server-only enters the wasm graph.

#![recursion_limit = "256"]

pub mod auth;
pub mod domain;
pub mod error;
mod pages;
pub mod trust;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod csp;
#[cfg(feature = "ssr")]
pub mod state;

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
                <HydrationScripts options/>
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
            <ui::SiteHeader/>
            <main id="main" tabindex="-1" class="site-main">
                <Routes fallback=pages::NotFound>
                    <Route path=path!("") view=pages::HomePage/>
                    <Route path=path!("/trust") view=trust::TrustPage ssr=SsrMode::Async/>
                </Routes>
            </main>
            <ui::SiteFooter/>
        </Router>
    }
}
