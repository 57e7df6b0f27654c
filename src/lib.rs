//! gigcheck: black-box contract checks for GigGatek's order-management and payment API.
//!
//! The pipeline, one module per stage:
//! [`spec`] (the model) → [`loader`] (YAML files → model, with positions and cross-checks) →
//! [`selection`] (tags, filter, shards) → [`engine`] (HTTP, scenarios, concurrency) and [`checks`]
//! (status, values, schemas, snapshots) → [`outcome`] (what happened, written by the engine) →
//! [`report`] (terminal, JUnit, JSON, HTML, Markdown, coverage, causes), which only reads it.
//! [`cli`] and [`commands`] tie them to the command line.
//!
//! Beside the pipeline: [`servers`] (the embedded GigGatek sandbox and Stripe emulator),
//! [`environment`] (what a target provides: variables, secrets, hooks), [`redact`] (secrets out
//! of every output), [`webhook_signature`] (Stripe's signing scheme) and [`atomic`] (file writes).

#[macro_use]
pub mod console;

pub mod atomic;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod contract;
pub mod engine;
pub mod environment;
pub mod import;
pub mod jwt;
pub mod loader;
pub mod outcome;
pub mod readiness;
pub mod redact;
pub mod report;
pub mod roles;
pub mod selection;
pub mod servers;
pub mod spec;
pub mod webhook_signature;
