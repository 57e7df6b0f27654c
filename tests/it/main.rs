//! gigcheck's integration tests, built as one binary: every module drives the real
//! `gigcheck` binary (or the embedded servers) over HTTP on 127.0.0.1. One binary links once,
//! which is most of a clean `cargo test`; the modules share the harnesses below.

// A test binary exports nothing: `pub` in its modules only shares between them.
#![allow(unreachable_pub)]

// Harnesses.
mod common;
mod sandbox_support;

// Tests, one module per area.
mod architecture;
mod bad_input;
mod bad_input_catalogue;
mod causes;
mod daily_use;
mod dependencies;
mod explore;
mod failures;
mod hostile;
mod html_report;
mod import_postman;
mod interrupt;
mod junit;
mod kill_writes;
mod mutants;
mod openapi;
mod plan;
mod properties;
mod readiness;
mod readme;
mod real_deployment;
mod redirects_and_limits;
mod reports;
mod request;
mod rules;
mod run;
mod sandbox_api;
mod sandbox_defects;
mod sandbox_emulator;
mod sandbox_load;
mod sandbox_payments;
mod sandbox_variations;
mod scale;
mod schemas;
mod shard;
mod snapshot_files;
mod spec_schema;
mod steps;
mod stripe_emulator;
mod stripe_python;
mod tls;
