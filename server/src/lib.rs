//! Carethread's server: configuration, the embedded development database,
//! start-up (roles, migrations), the HTTP stack (security headers, request
//! ids, tracing, sessions), the REST API under `/api/v1`, background work
//! on the one job runner ([`jobs`], assembled in [`background`]: the
//! domain-event fan-out, mail, webhooks, uptime probes, housekeeping,
//! signed audit checkpoints), the development SMTP sink, demo data and the
//! operator's commands.
//!
//! Product behaviour lives in the `app` crate; this crate wires it to the
//! outside world. The binary (`main.rs`) only calls [`cli::run`].

#![recursion_limit = "256"]

pub mod api;
pub mod attachments;
pub mod audit_anchor;
pub mod background;
pub mod backup;
pub mod bench;
pub mod cli;
pub mod config;
pub mod data_rights;
pub mod db;
pub mod demo;
pub mod embedded_pg;
pub mod events;
pub mod exports;
pub mod forms;
pub mod health;
pub mod housekeeping;
pub mod http;
pub mod intake;
pub mod jobs;
pub mod mail;
pub mod operator;
pub mod payments;
pub mod probe;
pub mod reference;
pub mod routes;
pub mod secret;
pub mod sessions;
pub mod telemetry;
pub mod webhooks;
