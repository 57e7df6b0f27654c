//! gigcheck's runner: black-box contract checks for GigGatek's order-management and payment API.
//!
//! The pipeline, one module per stage, each importing only the ones before it:
//! [`spec`] (the model) → [`loader`] (YAML files → model, with positions and cross-checks) →
//! [`selection`] (tags, filter, shards) → [`engine`] (HTTP, scenarios, concurrency) and [`checks`]
//! (status, values, schemas, snapshots) → [`outcome`] (what happened, written by the engine) →
//! [`report`] (terminal, JUnit, JSON, HTML, Markdown, coverage, causes), which only reads it.
//!
//! Beside the pipeline: [`diagnostic`] (input errors with their place), [`contract`] (the
//! contract's routes and rules) and [`openapi`] (the contract as an OpenAPI document), [`environment`] (what a target provides: variables, secrets,
//! hooks), [`readiness`] (is the target ready to be tested), [`redact`] (secrets out of every
//! output) and [`atomic`] (file writes). The command line that drives all this is the `gigcheck`
//! crate; the servers it can embed are `gigcheck-servers`.

#![warn(missing_docs)]

#[macro_use]
extern crate gigcheck_base;

pub mod atomic;
pub mod checks;
pub mod contract;
pub mod diagnostic;
pub mod engine;
pub mod environment;
pub mod explore;
pub mod loader;
pub mod openapi;
pub mod outcome;
pub mod readiness;
pub mod redact;
pub mod report;
pub mod selection;
pub mod spec;
pub mod yaml;
