//! The JUnit XML report: one `<testsuite>` per spec file, one `<testcase>` per scenario (its name
//! carries the plan id), the failure with its full detail, and the scenario's traffic in
//! `<system-out>` — the shape GitLab, Jenkins and GitHub test reporters read.
//!
//! A failed scenario is a `<failure>`; a blocked one (its checks never reached) is an
//! `<error type="blocked">`, which test reporters count apart, as they count errors in setup.

use super::causes::what_failed;
use super::html::escape;
use super::rules::{RuleCoverage, RuleVerdict};
use super::text::{self, Palette};
use crate::outcome::{Outcome, RunReport, ScenarioReport, SuiteReport};
use junit_report::{ReportBuilder, TestCase, TestCaseBuilder, TestSuiteBuilder};
use std::io::Write;

/// The whole report at once.
pub fn render(report: &RunReport, rules: Option<&RuleCoverage>) -> Result<Vec<u8>, String> {
    let mut writer = Writer::new(Vec::new(), report.run.started_at)?;
    for suite in &report.suites {
        writer.suite(suite)?;
    }
    writer.finish(rules)
}

/// Writes the report one suite at a time, as suites finish, so that a run of thousands of
/// scenarios never holds the whole report in memory.
///
/// junit-report renders a report only whole; each suite is rendered as a report of its own and
/// its `<testsuite>` element moved under the one `<testsuites>` root written here.
pub struct Writer<W: Write> {
    out: W,
    started_at: Option<time::OffsetDateTime>,
    suites: usize,
}

/// What junit-report writes around a single suite.
const DECLARATION: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;
const ROOT_OPEN: &str = "<testsuites>";
const ROOT_CLOSE: &str = "</testsuites>";
const FIRST_SUITE: &str = r#"<testsuite id="0" "#;

impl<W: Write> Writer<W> {
    pub fn new(mut out: W, started_at: Option<time::OffsetDateTime>) -> Result<Writer<W>, String> {
        write!(out, "{DECLARATION}{ROOT_OPEN}").map_err(write_error)?;
        Ok(Writer {
            out,
            started_at,
            suites: 0,
        })
    }

    pub fn suite(&mut self, suite: &SuiteReport) -> Result<(), String> {
        let mut ts = TestSuiteBuilder::new(&clean(&suite.name));
        if let Some(at) = self.started_at {
            ts.set_timestamp(at);
        }
        for s in &suite.scenarios {
            ts.add_testcase(case(&suite.name, &suite.file, s));
        }
        let mut one = ReportBuilder::new();
        one.add_testsuite(ts.build());
        let mut xml = Vec::new();
        one.build()
            .write_xml(&mut xml)
            .map_err(|e| format!("cannot render the JUnit report: {e}"))?;
        let xml = String::from_utf8(xml).map_err(|e| e.to_string())?;
        let element = xml
            .strip_prefix(DECLARATION)
            .and_then(|x| x.strip_prefix(ROOT_OPEN))
            .and_then(|x| x.strip_suffix(ROOT_CLOSE))
            .and_then(|x| x.strip_prefix(FIRST_SUITE))
            .ok_or("junit-report wrote an unexpected shape (this is a gigcheck bug)")?;
        write!(self.out, r#"<testsuite id="{}" {element}"#, self.suites).map_err(write_error)?;
        self.suites += 1;
        Ok(())
    }

    /// Closes the report; with rule coverage, after an empty `<testsuite>` whose properties
    /// carry its counts (`gigcheck.rules.*`), where CI tools that read properties find them.
    pub fn finish(mut self, rules: Option<&RuleCoverage>) -> Result<W, String> {
        if let Some(rules) = rules {
            let properties = rule_properties(rules)
                .into_iter()
                .map(|(name, value)| {
                    format!(
                        r#"<property name="{}" value="{}"/>"#,
                        escape(&name),
                        escape(&clean(&value))
                    )
                })
                .collect::<String>();
            write!(
                self.out,
                r#"<testsuite id="{}" name="{RULES_SUITE}" package="{RULES_SUITE}" tests="0" errors="0" failures="0" skipped="0" time="0"><properties>{properties}</properties></testsuite>"#,
                self.suites
            )
            .map_err(write_error)?;
        }
        write!(self.out, "{ROOT_CLOSE}").map_err(write_error)?;
        self.out.flush().map_err(write_error)?;
        Ok(self.out)
    }
}

/// The name of the suite that carries the rule coverage.
pub const RULES_SUITE: &str = "gigcheck contract rule coverage";

/// The rule coverage as JUnit properties: the headline, a count per verdict, and the ids of the
/// rules broken and of those no scenario verifies.
pub fn rule_properties(rules: &RuleCoverage) -> Vec<(String, String)> {
    let mut out = vec![
        ("gigcheck.rules.headline".to_string(), rules.headline()),
        ("gigcheck.rules.total".into(), rules.total().to_string()),
        (
            "gigcheck.rules.observable".into(),
            rules.observable().to_string(),
        ),
        ("gigcheck.rules.checked".into(), rules.checked().to_string()),
    ];
    for (key, n) in rules.counts() {
        out.push((format!("gigcheck.rules.{key}"), n.to_string()));
    }
    for verdict in [RuleVerdict::Broken, RuleVerdict::Unchecked] {
        let ids: Vec<&str> = rules.ids(verdict).collect();
        if !ids.is_empty() {
            out.push((
                format!("gigcheck.rules.{}.ids", verdict.key()),
                ids.join(" "),
            ));
        }
    }
    out
}

fn write_error(e: std::io::Error) -> String {
    format!("cannot write the JUnit report: {e}")
}

/// One scenario as a test case: its failure in full, its traffic as output.
fn case(suite: &str, file: &str, s: &ScenarioReport) -> TestCase {
    let time = time::Duration::try_from(s.duration).unwrap_or(time::Duration::ZERO);
    let name = clean(&s.title());
    let first = || {
        s.first_failure()
            .map(|step| {
                format!(
                    "{} \"{}\": {}",
                    step.phase.label(),
                    step.name,
                    what_failed(step)
                )
            })
            .unwrap_or_else(|| "failed".into())
    };
    let trace = || {
        let detail = text::failure_details(s, Palette::PLAIN, false);
        cdata(&format!("{}\n{detail}", s.loc))
    };
    let mut case = match &s.outcome {
        Outcome::Passed => TestCase::success(&name, time),
        // The cause is written as the element's message; the detail as its text (CDATA).
        Outcome::Failed => TestCaseBuilder::failure(&name, time, "check failed", &clean(&first()))
            .set_trace(&trace())
            .build(),
        Outcome::Blocked => TestCaseBuilder::error(
            &name,
            time,
            "blocked",
            &clean(&format!("blocked: its checks never ran; {}", first())),
        )
        .set_trace(&trace())
        .build(),
        Outcome::Skipped(reason) => TestCase::skipped_with_cause(&name, "skipped", &clean(reason)),
    };
    case.set_classname(&clean(suite));
    case.set_filepath(file);
    let log = text::request_log(s);
    if !log.is_empty() {
        case.set_system_out(&cdata(&log));
    }
    case
}

/// XML 1.0 cannot carry most control characters.
fn clean(text: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    // Nearly all text is already clean: copy it whole rather than char by char.
    if text.chars().all(allowed) {
        return text.to_string();
    }
    text.chars().filter(|&c| allowed(c)).collect()
}

/// Text for a CDATA section, which cannot contain `]]>`: split it across two sections.
fn cdata(text: &str) -> String {
    clean(text).replace("]]>", "]]]]><![CDATA[>")
}
