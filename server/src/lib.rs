//! Carethread's server: configuration, the embedded development database,
//! start-up (roles, migrations), the HTTP stack (security headers, request
//! ids, tracing, sessions), the REST API under `/api/v1`, background tasks
//! (uptime probes, signed audit checkpoints, the mail worker, the webhook
//! worker), the development SMTP sink, demo data
//! and the operator's commands.
//!
//! Product behaviour lives in the `app` crate; this crate wires it to the
//! outside world. The binary (`main.rs`) only calls [`cli::run`].

#![recursion_limit = "256"]

pub mod api;
pub mod audit_anchor;
pub mod bench;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod embedded_pg;
pub mod health;
pub mod http;
pub mod mail;
pub mod operator;
pub mod probe;
pub mod reference;
pub mod routes;
pub mod sessions;
pub mod telemetry;
pub mod webhooks;
