//! Small pages that belong to no product area: the landing page and the
//! not-found page.

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Carethread · Hospital to home, one continuous record"/>
        <div class="page">
            <header class="hero">
                <p class="eyebrow">"Open-source care coordination for US home health"</p>
                <h1>"Hospital to home, one continuous record"</h1>
                <p class="lede">
                    "Discharge planners send one referral; Carethread matches verified clinicians, "
                    "clinics triage it in their inbox, families book visits, and clinicians record and "
                    "sign each visit on their phones."
                </p>
                <p>
                    <a class="button" href="/trust">
                        "See how we protect data"
                    </a>
                </p>
            </header>
            <section class="section" aria-labelledby="how-heading">
                <h2 id="how-heading">"How it fits together"</h2>
                <ol class="steps">
                    <li>
                        <strong>"Referral. "</strong>
                        "A hospital sends a discharge referral by web form, REST or FHIR."
                    </li>
                    <li>
                        <strong>"Match. "</strong>
                        "Verified clinicians are ranked by license, distance, skills and availability, with the reasons shown."
                    </li>
                    <li>
                        <strong>"Accept. "</strong>
                        "A clinic accepts it from its referral inbox and schedules the first visit."
                    </li>
                    <li>
                        <strong>"Visit. "</strong>
                        "The clinician checks in, records the visit log and signs it, which releases the held payment."
                    </li>
                </ol>
            </section>
        </div>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(options) = use_context::<leptos_axum::ResponseOptions>() {
        options.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found · Carethread"/>
        <div class="page">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. It may have moved, or the link may be mistyped."</p>
            <p>
                <a href="/">"Go to the home page"</a>
            </p>
        </div>
    }
}
