//! The HTML report: one self-contained page (no external resources) for people.

use super::coverage::ContractCoverage;
use super::model::RunReport;

pub fn render(_report: &RunReport, _contract: Option<&ContractCoverage>) -> String {
    String::from("<!doctype html><title>gigcheck</title><p>The HTML report is not built yet.</p>\n")
}
