//! The JUnit XML report: one `<testsuite>` per spec file, one `<testcase>` per scenario (its name
//! carries the plan id), the failure with its full detail, and the scenario's traffic in
//! `<system-out>` (in full for a failure, in brief for a pass) — the shape GitLab, Jenkins and
//! GitHub test reporters read.
//!
//! A failed scenario is a `<failure>`; a blocked one (its checks never reached) is an
//! `<error type="blocked">`, which test reporters count apart, as they count errors in setup.

use super::causes::what_failed;
use super::format::escape;
use super::rules::{RuleCoverage, RuleVerdict};
use super::text::{self, Palette};
use crate::outcome::{Outcome, RunReport, ScenarioReport, SuiteReport, Totals};
use junit_report::{ReportBuilder, TestCase, TestCaseBuilder, TestSuiteBuilder};
use std::io::{Seek, SeekFrom, Write};

/// The whole report at once.
pub(super) fn render(report: &RunReport, rules: Option<&RuleCoverage>) -> Result<Vec<u8>, String> {
    let mut writer = Writer::new(Vec::new(), report.run.started_at)?;
    for suite in &report.suites {
        writer.suite(suite)?;
    }
    writer.finish(rules, report.run.duration)
}

/// Writes the report one test case at a time, as scenarios finish, so that a run of thousands
/// of scenarios never holds the report in memory, however many a suite has.
///
/// junit-report renders a report only whole: each test case is rendered as a report of its own
/// and its `<testcase>` element kept in the suite's temporary file; when the suite ends, its
/// `<testsuite>` element (rendered by junit-report empty, then given the suite's counts and time)
/// goes around them into the temporary file of suites. The root carries the run's totals, known
/// only at the end, so the suites wait there until then. What junit-report does not write —
/// `skipped` on a suite, `line` on a test case (read by GitHub's and GitLab's annotators) — is
/// added to its elements here.
pub(super) struct Writer<W: Write> {
    out: W,
    suites: std::io::BufWriter<std::fs::File>,
    started_at: Option<time::OffsetDateTime>,
    totals: Totals,
    count: usize,
    open: Option<OpenSuite>,
}

/// The suite whose test cases are being written.
struct OpenSuite {
    name: String,
    file: String,
    cases: std::io::BufWriter<std::fs::File>,
    totals: Totals,
    time: time::Duration,
    started: Option<time::OffsetDateTime>,
}

/// What junit-report writes around a single suite.
const DECLARATION: &str = r#"<?xml version="1.0" encoding="utf-8"?>"#;
const ROOT_OPEN: &str = "<testsuites>";
const ROOT_CLOSE: &str = "</testsuites>";
const FIRST_SUITE: &str = r#"<testsuite id="0" "#;
const SUITE_CLOSE: &str = "</testsuite>";
/// The counts and time of a suite rendered without test cases.
const NO_COUNTS: &str = r#" tests="0" errors="0" failures="0" hostname="#;
const NO_TIME_EMPTY: &str = r#" time="0"/>"#;

impl<W: Write> Writer<W> {
    pub(super) fn new(
        out: W,
        started_at: Option<time::OffsetDateTime>,
    ) -> Result<Writer<W>, String> {
        let spill = tempfile::tempfile().map_err(write_error)?;
        Ok(Writer {
            out,
            suites: std::io::BufWriter::new(spill),
            started_at,
            totals: Totals::default(),
            count: 0,
            open: None,
        })
    }

    /// A whole suite.
    pub(super) fn suite(&mut self, suite: &SuiteReport) -> Result<(), String> {
        self.open_suite(&suite.name, &suite.file)?;
        for s in &suite.scenarios {
            self.case(&suite.name, &suite.file, s)?;
        }
        self.end_suite()
    }

    /// Makes the suite named `suite` (spec file `file`) the open one, ending the one before.
    fn open_suite(&mut self, suite: &str, file: &str) -> Result<(), String> {
        if self
            .open
            .as_ref()
            .is_some_and(|o| o.file != file || o.name != suite)
        {
            self.end_suite()?;
        }
        if self.open.is_none() {
            self.open = Some(OpenSuite {
                name: suite.to_string(),
                file: file.to_string(),
                cases: std::io::BufWriter::new(tempfile::tempfile().map_err(write_error)?),
                totals: Totals::default(),
                time: time::Duration::ZERO,
                started: None,
            });
        }
        Ok(())
    }

    /// One scenario of the suite named `suite` (spec file `file`); a new suite ends the one
    /// before it.
    pub(super) fn case(
        &mut self,
        suite: &str,
        file: &str,
        s: &ScenarioReport,
    ) -> Result<(), String> {
        self.open_suite(suite, file)?;
        let Some(open) = self.open.as_mut() else {
            return Ok(());
        };
        let case = case(suite, file, s);
        open.time += case.time;
        open.totals.add(&s.outcome);
        self.totals.add(&s.outcome);
        open.started = match (open.started, s.started_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut ts = TestSuiteBuilder::new("");
        ts.add_testcase(case);
        let element = render_suite(ts)?;
        // The test case is what lies between the suite's start tag and its end tag.
        let inner = element
            .split_once('>')
            .and_then(|(_, rest)| rest.strip_suffix(SUITE_CLOSE))
            .ok_or("junit-report wrote an unexpected shape (this is a gigcheck bug)")?;
        open.cases
            .write_all(with_lines(inner, &[s.loc.line]).as_bytes())
            .map_err(write_error)
    }

    /// Writes the open suite, if any, around its test cases.
    pub(crate) fn end_suite(&mut self) -> Result<(), String> {
        let Some(open) = self.open.take() else {
            return Ok(());
        };
        let mut ts = TestSuiteBuilder::new(&clean(&open.name));
        // A suite's own start: its first scenario's, else the run's.
        if let Some(at) = open.started.or(self.started_at) {
            ts.set_timestamp(at);
        }
        let t = open.totals;
        let empty = render_suite(ts)?;
        let start = empty
            .replacen(
                NO_COUNTS,
                &format!(
                    r#" tests="{}" errors="{}" failures="{}" hostname="#,
                    t.total(),
                    t.blocked,
                    t.failed
                ),
                1,
            )
            .strip_suffix(NO_TIME_EMPTY)
            .map(|head| format!(r#"{head} time="{}">"#, open.time.as_seconds_f64()))
            .ok_or("junit-report wrote an unexpected shape (this is a gigcheck bug)")?;
        write!(
            self.suites,
            r#"<testsuite id="{}" skipped="{}" {start}"#,
            self.count, t.skipped
        )
        .map_err(write_error)?;
        append_spill(open.cases, &mut self.suites)?;
        write!(self.suites, "{SUITE_CLOSE}").map_err(write_error)?;
        self.count += 1;
        Ok(())
    }

    /// Writes the report: the root with the run's totals and `duration`, the suites, and, with
    /// rule coverage, an empty `<testsuite>` whose properties carry its counts
    /// (`gigcheck.rules.*`), where CI tools that read properties find them.
    pub(super) fn finish(
        mut self,
        rules: Option<&RuleCoverage>,
        duration: std::time::Duration,
    ) -> Result<W, String> {
        self.end_suite()?;
        let t = self.totals;
        let timestamp = self
            .started_at
            .and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .map(|at| format!(r#" timestamp="{at}""#))
            .unwrap_or_default();
        write!(
            self.out,
            r#"{DECLARATION}<testsuites name="gigcheck" tests="{}" failures="{}" errors="{}" skipped="{}" time="{}"{timestamp}>"#,
            t.total(),
            t.failed,
            t.blocked,
            t.skipped,
            duration.as_secs_f64()
        )
        .map_err(write_error)?;
        append_spill(self.suites, &mut self.out)?;
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
                self.count
            )
            .map_err(write_error)?;
        }
        write!(self.out, "{ROOT_CLOSE}").map_err(write_error)?;
        self.out.flush().map_err(write_error)?;
        Ok(self.out)
    }
}

/// A suite rendered alone by junit-report, without the declaration and root around it and
/// without its `id` (the writer numbers suites itself).
fn render_suite(ts: TestSuiteBuilder) -> Result<String, String> {
    let mut one = ReportBuilder::new();
    one.add_testsuite(ts.build());
    let mut xml = Vec::new();
    one.build()
        .write_xml(&mut xml)
        .map_err(|e| format!("cannot render the JUnit report: {e}"))?;
    let xml = String::from_utf8(xml).map_err(|e| e.to_string())?;
    xml.strip_prefix(DECLARATION)
        .and_then(|x| x.strip_prefix(ROOT_OPEN))
        .and_then(|x| x.strip_suffix(ROOT_CLOSE))
        .and_then(|x| x.strip_prefix(FIRST_SUITE))
        .map(str::to_string)
        .ok_or_else(|| "junit-report wrote an unexpected shape (this is a gigcheck bug)".into())
}

/// Adds `line="N"` to each `<testcase>` start tag of a suite's XML, in order; text inside CDATA
/// sections (the traffic, which may hold anything) is passed over.
fn with_lines(xml: &str, lines: &[u32]) -> String {
    const CASE: &str = "<testcase ";
    const CDATA_OPEN: &str = "<![CDATA[";
    const CDATA_CLOSE: &str = "]]>";
    let mut out = String::with_capacity(xml.len() + lines.len() * 12);
    let mut lines = lines.iter();
    let mut rest = xml;
    loop {
        let case = rest.find(CASE);
        let cdata = rest.find(CDATA_OPEN);
        match (case, cdata) {
            (Some(c), d) if d.is_none_or(|d| c < d) => {
                // Attribute values are escaped, so the tag ends at the first `>`.
                let tag_end = rest[c..].find('>').map_or(rest.len(), |e| c + e);
                let cut = if rest[..tag_end].ends_with('/') {
                    tag_end - 1
                } else {
                    tag_end
                };
                out.push_str(&rest[..cut]);
                if let Some(line) = lines.next().filter(|l| **l > 0) {
                    out.push_str(&format!(r#" line="{line}""#));
                }
                rest = &rest[cut..];
            }
            (_, Some(d)) => {
                let end = rest[d..]
                    .find(CDATA_CLOSE)
                    .map_or(rest.len(), |e| d + e + CDATA_CLOSE.len());
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            }
            _ => {
                out.push_str(rest);
                return out;
            }
        }
    }
}

/// The name of the suite that carries the rule coverage.
pub(crate) const RULES_SUITE: &str = "gigcheck contract rule coverage";

/// The rule coverage as JUnit properties: the headline, a count per verdict, and the ids of the
/// rules broken and of those no scenario verifies.
pub(crate) fn rule_properties(rules: &RuleCoverage) -> Vec<(String, String)> {
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

/// Copies what was spilled to a temporary file (a suite's cases, the finished suites) onto `out`.
fn append_spill(
    spill: std::io::BufWriter<std::fs::File>,
    out: &mut impl Write,
) -> Result<(), String> {
    let mut file = spill
        .into_inner()
        .map_err(|e| write_error(e.into_error()))?;
    file.seek(SeekFrom::Start(0)).map_err(write_error)?;
    std::io::copy(&mut file, out).map_err(write_error)?;
    Ok(())
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
    // A failure's traffic in full; a pass's in brief (the JSON and HTML reports keep it all):
    // CI pages stay readable, and the report small.
    let log = match s.outcome {
        Outcome::Passed => text::request_summary(s),
        _ => text::request_log(s),
    };
    if !log.is_empty() {
        case.set_system_out(&cdata(&log));
    }
    case
}

/// XML 1.0 cannot carry most control characters.
pub(super) fn clean(text: &str) -> String {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    // Nearly all text is already clean: copy it whole rather than char by char (ASCII text,
    // most of it, checked a byte at a time).
    let is_clean = if text.is_ascii() {
        text.bytes()
            .all(|b| b >= b' ' || matches!(b, b'\t' | b'\n' | b'\r'))
    } else {
        text.chars().all(allowed)
    };
    if is_clean {
        return text.to_string();
    }
    text.chars().filter(|&c| allowed(c)).collect()
}

/// Text for a CDATA section, which cannot contain `]]>`: split it across two sections.
fn cdata(text: &str) -> String {
    clean(text).replace("]]>", "]]]]><![CDATA[>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Loc;
    use std::time::Duration;

    fn scenario(name: &str, outcome: Outcome, line: u32) -> ScenarioReport {
        ScenarioReport {
            id: None,
            name: name.into(),
            tags: Vec::new(),
            loc: Loc {
                file: "specs/a.yaml".into(),
                line,
                col: 5,
            },
            outcome,
            steps: Vec::new(),
            duration: Duration::from_millis(250),
            started_at: None,
            rules: Default::default(),
        }
    }

    #[test]
    fn text_keeps_what_xml_can_carry_and_loses_the_rest() {
        assert_eq!(clean("GET /api\tok\r\n"), "GET /api\tok\r\n");
        assert_eq!(clean("a\u{0}b\u{1b}[31mc\u{7f}"), "ab[31mc\u{7f}");
        assert_eq!(clean("café\u{8}ü\u{FFFE}\u{FFFF}!"), "caféü!");
        assert_eq!(clean(""), "");
    }

    #[test]
    fn cases_written_one_at_a_time_make_whole_suites() {
        let mut w = Writer::new(Vec::new(), None).unwrap();
        w.case("A", "a.yaml", &scenario("one", Outcome::Passed, 3))
            .unwrap();
        w.case("A", "a.yaml", &scenario("two", Outcome::Failed, 9))
            .unwrap();
        w.case(
            "B",
            "b.yaml",
            &scenario("three", Outcome::Skipped("no".into()), 4),
        )
        .unwrap();
        let xml = String::from_utf8(w.finish(None, Duration::from_secs(1)).unwrap()).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suites: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testsuite"))
            .map(|n| {
                let a = |k| n.attribute(k).unwrap_or_default().to_string();
                (
                    a("id"),
                    a("name"),
                    a("tests"),
                    a("failures"),
                    a("skipped"),
                    a("time"),
                )
            })
            .collect();
        let s = |v: [&str; 6]| v.map(String::from);
        let want = [
            s(["0", "A", "2", "1", "0", "0.5"]),
            s(["1", "B", "1", "0", "1", "0"]),
        ];
        assert_eq!(suites, want.map(|[a, b, c, d, e, f]| (a, b, c, d, e, f)));
        let lines: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .map(|n| n.attribute("line").unwrap_or_default())
            .collect();
        assert_eq!(lines, ["3", "9", "4"]);
        assert!(xml.contains(r#"<testsuites name="gigcheck" tests="3" failures="1""#));
    }

    #[test]
    fn lines_go_on_test_case_tags_only() {
        let xml = r#"<testcase name="a" file="f"><system-out><![CDATA[<testcase name="x">]]></system-out></testcase><testcase name="b"/>"#;
        assert_eq!(
            with_lines(xml, &[3, 9]),
            r#"<testcase name="a" file="f" line="3"><system-out><![CDATA[<testcase name="x">]]></system-out></testcase><testcase name="b" line="9"/>"#
        );
        // A scenario without a known line gets none.
        assert_eq!(
            with_lines(r#"<testcase name="a">"#, &[0]),
            r#"<testcase name="a">"#
        );
    }
}
