//! Server-side application state: built once by the `server` crate at
//! start-up and handed to Axum handlers (as router state) and to server
//! functions (as Leptos context). No globals, no per-request config reads.

use crate::error::AppError;
use axum::extract::FromRef;
use leptos::prelude::*;
use sqlx::PgPool;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    /// Connections as the application role (no ownership, no RLS bypass).
    /// Until tenant data exists this serves only public platform tables;
    /// tenant reads will go through a principal-bound transaction type.
    pub pool: PgPool,
    pub settings: Arc<Settings>,
}

/// The parts of the configuration pages and handlers need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where users reach this instance, e.g. `https://care.example.org`.
    pub public_url: String,
    /// Production mode: stricter defaults (HSTS, secure cookies, SSRF rules).
    pub production: bool,
}

impl Settings {
    pub fn served_over_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// The state from a server function's context.
pub fn app_state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server-function context");
        AppError::Internal
    })
}
