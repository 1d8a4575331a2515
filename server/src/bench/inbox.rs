//! `server bench-inbox`: the clinic inbox's first page written by hand, as
//! an askama template, for `scripts/bench/inbox-vs-askama.sh` to hold the
//! Leptos server-rendered page against (SPEC §6: the SSR page reaches at
//! least 70% of this).
//!
//! What is the same as the real page, so that the difference is Leptos's
//! rendering and nothing else:
//! - the layers: the session layer and every layer of `http::with_layers`
//!   (request id, trace, client address, cross-site check, security
//!   headers), on the same runtime;
//! - the queries: the session record, then the two principal transactions
//!   the page's two resources open (who is signed in, for the header; the
//!   inbox page through `referrals::service::list`, with its audit event),
//!   here one after the other where Leptos runs them at once; the
//!   benchmark script compares the statements each page sends;
//! - the HTML: the same header, filter form, table, pager and footer, the
//!   same nonce-bearing content security policy.
//!
//! What is left out: Leptos's hydration markers and its inline bootstrap
//! script (a plain module import stands in: a hand-written page with one
//! island would load its script the same way), and filters and paging
//! (the benchmark reads the first page with no filter). It serves only
//! `GET /clinic/inbox` and is never part of `serve`.

use crate::http;
use app::auth::session;
use app::auth::RequestMeta;
use app::error::AppError;
use app::referrals::{
    format_age, service, CareType, InboxFilter, Priority, ReferralPage, ReferralStatus,
};
use app::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use tower_sessions::Session;

/// Serves the hand-written inbox on `bind` until the process is stopped.
pub async fn serve(state: AppState, bind: std::net::SocketAddr) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// `GET /clinic/inbox` inside the same layers as the application's router.
pub fn router(state: AppState) -> Router {
    let settings = state.settings.clone();
    let sessions = crate::sessions::layer(state.pool.clone(), &settings);
    let router = Router::new()
        .route("/clinic/inbox", get(inbox))
        .with_state(state)
        .layer(sessions);
    http::with_layers(router, settings)
}

#[derive(Template)]
#[template(path = "bench_inbox.html")]
struct InboxPage {
    nonce: String,
    links: Vec<(&'static str, &'static str)>,
    display_name: String,
    org_name: String,
    role: &'static str,
    can_switch: bool,
    statuses: Vec<(&'static str, &'static str)>,
    priorities: Vec<(&'static str, &'static str)>,
    care_types: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    older: Option<String>,
}

/// One referral's row, its words already chosen.
struct Row {
    id: String,
    reference: String,
    initials: String,
    diagnosis: String,
    care: &'static str,
    priority: &'static str,
    status: &'static str,
    status_label: &'static str,
    status_css: &'static str,
    matched: Option<String>,
    from: String,
    waiting: String,
}

async fn inbox(
    State(state): State<AppState>,
    session: Session,
    parts: axum::http::request::Parts,
) -> Result<Response, AppError> {
    let meta = RequestMeta::from_parts(&parts);
    // The header's resource: who is signed in (its own transaction, as the
    // page's `get_current_user`).
    let tx = session::current(&state, &session)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let who = tx.principal();
    let (display_name, org_name, role, can_switch) = (
        who.display_name.clone(),
        who.org_name.clone(),
        who.role,
        who.can_switch,
    );
    tx.commit().await?;
    // The list's resource: the same domain operation as `list_referrals`.
    let tx = session::current(&state, &session)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let ReferralPage { items, next_cursor } =
        service::list(tx, &InboxFilter::default(), None, &meta).await?;

    let page = InboxPage {
        nonce: uuid::Uuid::new_v4().simple().to_string(),
        links: app::ui::role_links(role),
        display_name,
        org_name,
        role: role.label(),
        can_switch,
        statuses: ReferralStatus::ALL
            .iter()
            .map(|s| (s.as_str(), s.label()))
            .collect(),
        priorities: Priority::ALL
            .iter()
            .map(|p| (p.as_str(), p.label()))
            .collect(),
        care_types: CareType::ALL
            .iter()
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        rows: items
            .into_iter()
            .map(|r| Row {
                id: r.id.to_string(),
                reference: r.reference,
                initials: r.patient_initials,
                diagnosis: r.diagnosis,
                care: r.care_type.label(),
                priority: r.priority.label(),
                status: r.status.as_str(),
                status_label: r.status.label(),
                status_css: r.status.css(),
                matched: (r.matches > 0).then(|| format!(" · {} matched", r.matches)),
                from: r.counterpart.unwrap_or_else(|| "Not routed yet".to_owned()),
                waiting: format_age(r.age_minutes),
            })
            .collect(),
        older: next_cursor,
    };
    let html = page.render().map_err(|error| {
        tracing::error!(%error, "the inbox template failed");
        AppError::Internal
    })?;
    let policy = axum::http::HeaderValue::from_str(&app::csp::page_policy(&page.nonce))
        .map_err(|_| AppError::Internal)?;
    Ok((
        [(axum::http::header::CONTENT_SECURITY_POLICY, policy)],
        Html(html),
    )
        .into_response())
}
