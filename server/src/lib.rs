//! Carethread's server: configuration, the embedded development database,
//! start-up (roles, migrations), the HTTP stack (security headers, request
//! ids, tracing), the REST API under `/api/v1`, and background tasks.
//!
//! Product behaviour lives in the `app` crate; this crate wires it to the
//! outside world. The binary (`main.rs`) only calls [`cli::run`].

#![recursion_limit = "256"]

pub mod api;
pub mod cli;
pub mod config;
pub mod db;
pub mod embedded_pg;
pub mod health;
pub mod http;
pub mod probe;
pub mod routes;
pub mod telemetry;
