//! Gathers a run's results as they arrive (in spec order), keeping only what the reports need.
//!
//! JUnit reports are written suite by suite as suites finish; totals, plan and contract
//! coverage and the slowest scenarios are counted on the way. The scenarios themselves are kept
//! only when a report that shows every one of them (JSON, HTML, Markdown) was asked for;
//! otherwise only the failed and blocked ones, which the terminal prints at the end. So a plain run's
//! memory does not grow with the number of scenarios.

use super::coverage::{ContractTally, PlanTally};
use super::junit;
use super::rules::RuleTally;
use crate::outcome::{Outcome, RunInfo, RunReport, ScenarioReport, SuiteHead, SuiteReport, Totals};
use crate::spec::Loc;
use std::path::PathBuf;
use std::time::Duration;

/// How many of the slowest scenarios are remembered.
pub(crate) const SLOWEST: usize = 5;

/// Takes each scenario's result as the run goes: writes it to the JUnit reports, counts it, and
/// keeps it when a report will show it.
pub struct Collector {
    keep_passed: bool,
    /// The suite being filled: every scenario of it, until the next suite starts.
    current: Option<SuiteReport>,
    kept: Vec<SuiteReport>,
    tally: Tally,
    junit: Vec<JunitFile>,
}

/// A JUnit report being written, or why it cannot be.
struct JunitFile {
    path: PathBuf,
    writer: Result<junit::Writer<crate::atomic::File>, String>,
}

/// What is counted over every scenario, whatever is kept.
#[derive(Debug, Default)]
pub struct Tally {
    /// Scenarios by outcome, every one counted whether kept or not.
    pub totals: Totals,
    /// Scenarios counted under their plan case ids.
    pub plan: PlanTally,
    /// Present when the project has a contract route list.
    pub contract: Option<ContractTally>,
    /// Present when the project's contract has rules.
    pub rules: Option<RuleTally>,
    /// The slowest scenarios, for the terminal's list at the end.
    pub slowest: Slowest,
    /// Redirects followed, each way once with how often: `POST /api/orders → 308 → /api/orders/`.
    pub redirects: indexmap::IndexMap<String, usize>,
}

/// The slowest scenarios that ran, slowest first.
#[derive(Debug, Default)]
pub struct Slowest {
    /// Scenarios that ran (not skipped).
    pub ran: usize,
    /// At most five, slowest first; among equal times, the one that came first.
    pub top: Vec<Timed>,
}

/// A scenario as the slowest list shows it.
#[derive(Debug, Clone)]
pub struct Timed {
    /// `[id] name`.
    pub title: String,
    /// Where the scenario is written.
    pub loc: Loc,
    /// How long it took, setup and teardown included.
    pub duration: Duration,
}

impl Slowest {
    fn add(&mut self, s: &ScenarioReport) {
        if matches!(s.outcome, Outcome::Skipped(_)) {
            return;
        }
        self.ran += 1;
        if self.top.len() == SLOWEST && self.top.last().is_some_and(|t| t.duration >= s.duration) {
            return;
        }
        let at = self.top.partition_point(|t| t.duration >= s.duration);
        self.top.insert(
            at,
            Timed {
                title: s.title(),
                loc: s.loc.clone(),
                duration: s.duration,
            },
        );
        self.top.truncate(SLOWEST);
    }
}

/// What a finished run left.
pub struct Collected {
    /// Every scenario when passed ones were kept, else only the failed and blocked ones.
    pub report: RunReport,
    /// What was counted over every scenario, kept or not.
    pub tally: Tally,
    /// Each JUnit report's path, and whether it was written.
    pub junit: Vec<(PathBuf, Result<(), String>)>,
    /// What the run tells of each contract rule, when the contract has rules.
    pub rules: Option<super::rules::RuleCoverage>,
}

impl Collector {
    /// `keep_passed`: keep every scenario, for reports that show them all. `junit`: where the
    /// JUnit reports go (created now, in place when the run ends).
    pub fn new(
        keep_passed: bool,
        junit: &[PathBuf],
        started_at: Option<time::OffsetDateTime>,
    ) -> Collector {
        let junit = junit
            .iter()
            .map(|path| JunitFile {
                path: path.clone(),
                writer: crate::atomic::File::create(path)
                    .map_err(|e| format!("cannot write report {}: {e}", path.display()))
                    .and_then(|file| junit::Writer::new(file, started_at)),
            })
            .collect();
        Collector {
            keep_passed,
            current: None,
            kept: Vec::new(),
            tally: Tally::default(),
            junit,
        }
    }

    /// Counts the contract's route × status pairs the scenarios exercise from now on.
    pub fn cover(&mut self, contract: ContractTally) {
        self.tally.contract = Some(contract);
    }

    /// Counts what the scenarios say of the contract's rules from now on.
    pub fn cover_rules(&mut self, rules: RuleTally) {
        self.tally.rules = Some(rules);
    }

    /// One scenario's result; results come in spec order, so a new file means the suite
    /// before it is complete.
    pub fn add(&mut self, suite: &SuiteHead, s: ScenarioReport) {
        let t = &mut self.tally;
        t.totals.add(&s.outcome);
        t.plan.add(&s);
        if let Some(contract) = &mut t.contract {
            contract.add(&s);
        }
        if let Some(rules) = &mut t.rules {
            rules.add(&s);
        }
        t.slowest.add(&s);
        for r in s.steps.iter().flat_map(|step| &step.redirects) {
            *t.redirects
                .entry(super::causes::redirect_line(r))
                .or_default() += 1;
        }
        if self.current.as_ref().is_some_and(|c| c.file != suite.file) {
            self.close_suite();
        }
        // Each result goes to the JUnit reports at once; only what other reports need is kept.
        for file in &mut self.junit {
            if let Ok(writer) = &mut file.writer
                && let Err(e) = writer.case(&suite.name, &suite.file, &s)
            {
                file.writer = Err(e);
            }
        }
        let current = self.current.get_or_insert_with(|| SuiteReport {
            name: suite.name.clone(),
            file: suite.file.clone(),
            scenarios: Vec::new(),
        });
        if self.keep_passed || s.outcome.is_failure() {
            current.scenarios.push(s);
        }
    }

    /// Ends the finished suite in the JUnit reports and keeps what is to be kept of it.
    fn close_suite(&mut self) {
        let Some(suite) = self.current.take() else {
            return;
        };
        for file in &mut self.junit {
            if let Ok(writer) = &mut file.writer
                && let Err(e) = writer.end_suite()
            {
                file.writer = Err(e);
            }
        }
        self.kept.push(suite);
    }

    /// Completes the JUnit reports (with the rule coverage as properties) and hands over the rest.
    pub fn finish(mut self, info: RunInfo) -> Collected {
        self.close_suite();
        let rules = self.tally.rules.as_ref().map(RuleTally::coverage);
        let junit = self
            .junit
            .into_iter()
            .map(|file| {
                let shown = file.path.display().to_string();
                let written = file
                    .writer
                    .and_then(|w| w.finish(rules.as_ref(), info.duration))
                    .and_then(|f| {
                        f.commit()
                            .map_err(|e| format!("cannot write report {shown}: {e}"))
                    });
                (file.path, written)
            })
            .collect();
        Collected {
            rules,
            report: RunReport::new(info, self.kept),
            tally: self.tally,
            junit,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str, outcome: Outcome, ms: u64) -> ScenarioReport {
        ScenarioReport {
            id: Some("1.1".into()),
            name: name.into(),
            tags: Vec::new(),
            loc: Loc::default(),
            outcome,
            steps: Vec::new(),
            duration: Duration::from_millis(ms),
            started_at: None,
            rules: Default::default(),
        }
    }

    fn head(file: &str) -> SuiteHead {
        SuiteHead {
            name: file.into(),
            file: file.into(),
        }
    }

    #[test]
    fn counts_everything_keeps_failures_and_streams_junit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junit.xml");
        let mut c = Collector::new(false, std::slice::from_ref(&path), None);
        for i in 0..8u64 {
            let outcome = if i == 3 {
                Outcome::Failed
            } else {
                Outcome::Passed
            };
            c.add(&head("a.yaml"), scenario(&format!("a{i}"), outcome, i));
        }
        c.add(
            &head("b.yaml"),
            scenario("b", Outcome::Skipped("x".into()), 99),
        );
        assert!(
            !path.exists(),
            "the report appears only when the run is over"
        );
        let done = c.finish(RunInfo::default());
        assert_eq!(
            done.tally.totals,
            Totals {
                passed: 7,
                failed: 1,
                blocked: 0,
                skipped: 1
            }
        );
        assert_eq!(done.tally.plan.cases(None)[0].passed, 7);
        let kept: Vec<usize> = done
            .report
            .suites
            .iter()
            .map(|s| s.scenarios.len())
            .collect();
        assert_eq!(kept, [1, 0], "only the failure is kept");
        assert_eq!(done.tally.slowest.ran, 8);
        let top: Vec<&str> = done
            .tally
            .slowest
            .top
            .iter()
            .map(|t| &t.title[6..])
            .collect();
        assert_eq!(top, ["a7", "a6", "a5", "a4", "a3"]);
        assert!(done.junit[0].1.is_ok());
        let xml = std::fs::read_to_string(&path).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let suites: Vec<_> = doc
            .root_element()
            .children()
            .filter(|n| n.has_tag_name("testsuite"))
            .map(|n| {
                (
                    n.attribute("id"),
                    n.attribute("tests"),
                    n.attribute("failures"),
                )
            })
            .collect();
        assert_eq!(
            suites,
            [
                (Some("0"), Some("8"), Some("1")),
                (Some("1"), Some("1"), Some("0"))
            ]
        );
    }

    #[test]
    fn keeps_every_scenario_when_asked_and_reports_an_unwritable_junit_path() {
        let dir = tempfile::tempdir().unwrap();
        let blocked = dir.path().join("file");
        std::fs::write(&blocked, "").unwrap();
        let mut c = Collector::new(true, &[blocked.join("junit.xml")], None);
        c.add(&head("a.yaml"), scenario("a", Outcome::Passed, 1));
        let done = c.finish(RunInfo::default());
        assert_eq!(done.report.suites[0].scenarios.len(), 1);
        let err = done.junit[0].1.clone().unwrap_err();
        assert!(err.starts_with("cannot write report "), "{err}");
    }
}
