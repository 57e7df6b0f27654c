//! The Markdown report, for CI job summaries.

use super::coverage::ContractCoverage;
use super::model::RunReport;

pub fn render(_report: &RunReport, _contract: Option<&ContractCoverage>) -> String {
    String::from("The Markdown report is not built yet.\n")
}
