//! Exploring a backend from the contract alone, beyond what any scenario asks: requests drawn
//! from the OpenAPI document of [`crate::openapi`] — valid ones, invalid ones, and ones that cross
//! identities — each answer checked against what the contract allows, and every finding grouped
//! by its cause.
//!
//! [`operations`] reads the routes, [`generate`] draws values from their schemas, [`cases`]
//! decides each request from the seed and its index, [`world`] holds what the target told us (ids,
//! tokens) and follows the contract's links, [`verdict`] judges each answer, `send` sends one request and judges its answer,
//! [`lifecycle`] walks orders through their life checking each state (`script` writes a walk down
//! as a spec's steps), [`run`] drives it all, [`found`] holds what it found, `shrink` makes each finding's example smaller, and [`reproduce`] writes a finding as a spec
//! that `gigcheck run` fails on.

pub mod cases;
pub mod found;
pub mod generate;
pub mod lifecycle;
pub mod operations;
pub mod reproduce;
pub mod run;
mod script;
mod send;
mod shrink;
pub mod verdict;
pub mod world;
