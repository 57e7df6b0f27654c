//! Reports over the run's outcome ([`crate::outcome`]), gathered as a run goes ([`collect`]):
//! the terminal ([`terminal`]) with its live progress line ([`live`]), JUnit XML (`junit`),
//! JSON ([`json`]), HTML (`html`) and Markdown (`markdown`); failures grouped by their root
//! cause ([`causes`]); traceability to the plan and the contract ([`coverage`]); traffic as
//! sequence diagrams (`sequence`); a single response for people ([`pretty`]); comparing two
//! JSON reports ([`diff`]) and joining shards' reports ([`merge`]). Each format is a small module
//! that only renders; [`render`] picks one and [`write()`] writes files. Reports read the outcome,
//! never the engine that wrote it.

pub mod causes;
pub mod collect;
pub mod coverage;
pub mod diff;
pub mod explore;
mod format;
mod html;
pub mod json;
mod junit;
pub mod live;
mod markdown;
pub mod merge;
pub mod pretty;
pub mod rules;
mod sequence;
mod svg;
pub mod terminal;
pub mod text;

use crate::outcome::RunReport;
use coverage::Coverage;
use std::path::{Path, PathBuf};

/// The report formats `--report` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// JUnit XML, one `<testsuite>` per spec file, for CI test reporters.
    Junit,
    /// The versioned JSON report ([`json::JsonReport`]), for machines and `gigcheck report diff`.
    Json,
    /// One self-contained HTML page, for people.
    Html,
    /// Markdown for CI job summaries (`$GITHUB_STEP_SUMMARY`, GitLab).
    Markdown,
}

impl ReportKind {
    /// The kind named `name` (any case), as `--report KIND=PATH` spells it.
    pub fn parse(name: &str) -> Option<ReportKind> {
        match name.to_ascii_lowercase().as_str() {
            "junit" => Some(ReportKind::Junit),
            "json" => Some(ReportKind::Json),
            "html" => Some(ReportKind::Html),
            "markdown" => Some(ReportKind::Markdown),
            _ => None,
        }
    }
}

/// One report to write: its format and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    /// The format to write.
    pub kind: ReportKind,
    /// The file to write it to.
    pub path: PathBuf,
}

/// A report file's contents.
pub fn render(
    kind: ReportKind,
    report: &RunReport,
    coverage: &Coverage,
) -> Result<Vec<u8>, String> {
    match kind {
        ReportKind::Junit => junit::render(report, coverage.rules.as_ref()),
        ReportKind::Json => json::JsonReport::of(report, coverage).render(),
        ReportKind::Html => Ok(html::render(report, coverage).into_bytes()),
        ReportKind::Markdown => Ok(markdown::render(report, coverage).into_bytes()),
    }
}

/// Writes a rendered report atomically.
pub fn write(path: &Path, contents: &[u8]) -> Result<(), String> {
    crate::atomic::write(path, contents)
        .map_err(|e| format!("cannot write report {}: {e}", path.display()))
}
