//! The JUnit XML report: one `<testsuite>` per spec file, one `<testcase>` per scenario (its name
//! carries the plan id), the failure with its full detail, and the scenario's traffic in
//! `<system-out>` — the shape GitLab, Jenkins and GitHub test reporters read.

use super::model::{Outcome, RunReport};
use super::text::{self, Palette};
use junit_report::{ReportBuilder, TestCase, TestCaseBuilder, TestSuiteBuilder};

pub fn render(report: &RunReport) -> Result<Vec<u8>, String> {
    let mut builder = ReportBuilder::new();
    for suite in &report.suites {
        let mut ts = TestSuiteBuilder::new(&clean(&suite.name));
        if let Some(at) = report.started_at {
            ts.set_timestamp(at);
        }
        for s in &suite.scenarios {
            let time = time::Duration::try_from(s.duration).unwrap_or(time::Duration::ZERO);
            let name = clean(&s.title());
            let mut case = match &s.outcome {
                Outcome::Passed => TestCase::success(&name, time),
                Outcome::Failed => {
                    let first = s
                        .failed_steps()
                        .next()
                        .map(|step| {
                            let what = step
                                .checks
                                .iter()
                                .find(|c| !c.passed)
                                .map(|c| c.summary())
                                .or_else(|| step.error.clone())
                                .unwrap_or_else(|| "failed".into());
                            format!("{} \"{}\": {what}", step.phase.label(), step.name)
                        })
                        .unwrap_or_else(|| "failed".into());
                    let detail = text::failure_details(s, Palette::PLAIN, false);
                    // The cause is written as the failure element's text (CDATA).
                    TestCaseBuilder::failure(&name, time, "check failed", &clean(&first))
                        .set_trace(&cdata(&format!("{}\n{detail}", s.loc)))
                        .build()
                }
                Outcome::Skipped(reason) => {
                    TestCase::skipped_with_cause(&name, "skipped", &clean(reason))
                }
            };
            case.set_classname(&clean(&suite.name));
            case.set_filepath(&suite.file);
            let log = text::request_log(s);
            if !log.is_empty() {
                case.set_system_out(&cdata(&log));
            }
            ts.add_testcase(case);
        }
        builder.add_testsuite(ts.build());
    }
    let mut out = Vec::new();
    builder
        .build()
        .write_xml(&mut out)
        .map_err(|e| format!("cannot render the JUnit report: {e}"))?;
    Ok(out)
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
