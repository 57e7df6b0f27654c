//! Reports over one result model ([`model`]), gathered as a run goes ([`collect`]): the terminal
//! ([`terminal`]) with its live progress line ([`live`]), JUnit XML ([`junit`]), JSON ([`json`]),
//! HTML ([`html`]) and Markdown ([`markdown`]), plus traceability to the plan and the contract
//! ([`coverage`]) and traffic as sequence diagrams ([`sequence`]), requests as curl commands
//! ([`curl`]), a single response for people ([`pretty`]), comparing two JSON reports ([`diff`])
//! and joining shards' reports ([`merge`]). Each format is a small module that only renders;
//! [`render`] picks one and [`write`] writes files.

pub mod collect;
pub mod coverage;
pub mod curl;
pub mod diff;
pub mod html;
pub mod json;
pub mod junit;
pub mod live;
pub mod markdown;
pub mod merge;
pub mod model;
pub mod pretty;
pub mod sequence;
pub mod svg;
pub mod terminal;
pub mod text;

use crate::cli::ReportKind;
use coverage::ContractCoverage;
use model::RunReport;
use std::path::Path;

/// A report file's contents.
pub fn render(
    kind: ReportKind,
    report: &RunReport,
    contract: Option<&ContractCoverage>,
) -> Result<Vec<u8>, String> {
    match kind {
        ReportKind::Junit => junit::render(report),
        ReportKind::Json => json::JsonReport::of(report, contract).render(),
        ReportKind::Html => Ok(html::render(report, contract).into_bytes()),
        ReportKind::Markdown => Ok(markdown::render(report, contract).into_bytes()),
    }
}

/// Writes a rendered report atomically.
pub fn write(path: &Path, contents: &[u8]) -> Result<(), String> {
    crate::atomic::write(path, contents)
        .map_err(|e| format!("cannot write report {}: {e}", path.display()))
}
