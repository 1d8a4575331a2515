//! The frame around every page: skip link, header with brand and primary
//! navigation, and the footer with the platform's disclaimers.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn SiteHeader() -> impl IntoView {
    view! {
        <a class="skip-link" href="#main">"Skip to main content"</a>
        <header class="site-header">
            <div class="site-header__inner">
                <a class="brand" href="/" aria-label="Carethread home">
                    <img src="/icons/logo.svg" alt="" width="28" height="28"/>
                    <span class="brand__name">"Carethread"</span>
                </a>
                <nav aria-label="Primary" class="primary-nav">
                    <ul>
                        <li>
                            <A href="/">"Home"</A>
                        </li>
                        <li>
                            <A href="/trust">"Trust"</A>
                        </li>
                    </ul>
                </nav>
            </div>
        </header>
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
