//! The terminal report: a line per scenario as results arrive, then each failure in full, then
//! the totals.

use super::collect::Slowest;
use super::coverage::{ContractCoverage, PlanCase};
use super::model::{Outcome, RunReport, ScenarioReport, SnapshotWriteKind, SuiteHead, Totals};
use super::text::{self, Palette};
use colored::Color;
use std::fmt::Write as _;
use std::time::Duration;

pub struct Terminal {
    pub palette: Palette,
    pub verbose: bool,
    /// Whether times are printed (off in tests, so output is stable).
    pub timings: bool,
    last_suite: Option<String>,
}

impl Terminal {
    pub fn new(palette: Palette, verbose: bool) -> Terminal {
        Terminal {
            palette,
            verbose,
            timings: true,
            last_suite: None,
        }
    }

    fn time(&self, d: Duration) -> String {
        if self.timings {
            self.palette.dim(&format!(" ({})", human(d)))
        } else {
            String::new()
        }
    }

    /// The line(s) for one finished scenario (and its suite's heading, the first time).
    pub fn scenario(&mut self, suite: &SuiteHead, s: &ScenarioReport) -> String {
        let p = self.palette;
        let mut out = String::new();
        if self.last_suite.as_deref() != Some(suite.file.as_str()) {
            let _ = writeln!(
                out,
                "\n{} {}",
                p.bold(&suite.file),
                p.dim(&format!("— {}", suite.name))
            );
            self.last_suite = Some(suite.file.clone());
        }
        let line = match &s.outcome {
            Outcome::Passed => format!(
                "  {} {}{}",
                p.paint("✓", Color::Green),
                s.title(),
                self.time(s.duration)
            ),
            Outcome::Failed => format!(
                "  {} {}{}",
                p.paint("✗", Color::Red),
                p.paint(&s.title(), Color::Red),
                self.time(s.duration)
            ),
            Outcome::Skipped(reason) => format!(
                "  {} {} {}",
                p.paint("-", Color::Yellow),
                s.title(),
                p.paint(&format!("skipped: {reason}"), Color::Yellow)
            ),
        };
        let _ = writeln!(out, "{line}");
        if self.verbose {
            for step in &s.steps {
                let mut block = String::new();
                text::step_details(&mut block, step, p, true);
                for l in block.lines() {
                    let _ = writeln!(out, "    {l}");
                }
            }
        }
        out
    }

    /// Every failed scenario in full.
    pub fn failures(&self, report: &RunReport) -> String {
        let p = self.palette;
        let mut out = String::new();
        let failed: Vec<&ScenarioReport> = report
            .suites
            .iter()
            .flat_map(|s| &s.scenarios)
            .filter(|s| s.outcome == Outcome::Failed)
            .collect();
        if failed.is_empty() {
            return out;
        }
        let _ = writeln!(out, "\n{}", p.paint(&p.bold("Failures"), Color::Red));
        for s in failed {
            let _ = writeln!(
                out,
                "\n{} {}  {}",
                p.paint("──", Color::Red),
                p.bold(&s.title()),
                p.dim(&s.loc.to_string())
            );
            out.push_str(&text::failure_details(s, p, true));
        }
        out
    }

    /// The plan coverage table, and the contract's route × status pairs seen and not seen.
    pub fn coverage(&self, cases: &[PlanCase], contract: Option<&ContractCoverage>) -> String {
        let p = self.palette;
        let mut out = String::new();
        if !cases.is_empty() {
            let _ = writeln!(out, "\n{}", p.bold("Plan coverage"));
            for case in cases {
                let total = case.passed + case.failed + case.skipped;
                let verdict = if case.failed > 0 {
                    p.paint(&format!("✗ {} failed", case.failed), Color::Red)
                } else if case.passed == 0 {
                    p.paint("- not run", Color::Yellow)
                } else {
                    p.paint("✓ passed", Color::Green)
                };
                let skipped = if case.skipped > 0 {
                    format!(", {} skipped", case.skipped)
                } else {
                    String::new()
                };
                let _ = writeln!(
                    out,
                    "  {:<6} {total:>2} scenario(s)  {verdict}{skipped}",
                    case.id
                );
            }
        }
        if let Some(c) = contract {
            let total = c.exercised.len() + c.missing.len();
            let _ = writeln!(
                out,
                "\n{} {}/{total} documented route × status pairs exercised",
                p.bold("Contract coverage:"),
                c.exercised.len()
            );
            if !c.missing.is_empty() {
                let _ = writeln!(
                    out,
                    "  {} {}",
                    p.dim("never exercised:"),
                    c.missing.join(", ")
                );
            }
        }
        out
    }

    /// The slowest scenarios that ran (nothing when times are off).
    pub fn slowest(&self, slowest: &Slowest) -> String {
        if !self.timings || slowest.ran < 2 {
            return String::new();
        }
        let p = self.palette;
        let mut out = format!("\n{}\n", p.bold("Slowest"));
        for s in &slowest.top {
            let _ = writeln!(
                out,
                "  {:>9}  {}  {}",
                human(s.duration),
                s.title,
                p.dim(&s.loc.to_string())
            );
        }
        out
    }

    /// Totals, snapshot files written, and where the reports went.
    /// `run` gives the run's facts (its scenarios may be only the failed ones); `t` counts every
    /// scenario.
    pub fn summary(&self, report: &RunReport, t: Totals, reports_written: &[String]) -> String {
        let p = self.palette;
        let mut out = String::new();
        for w in &report.run.snapshot_writes {
            let what = match w.kind {
                SnapshotWriteKind::Created => "created",
                SnapshotWriteKind::Updated => "updated",
                SnapshotWriteKind::Pending => "to review",
            };
            let _ = writeln!(out, "snapshot {what}: {}", w.path);
        }
        for path in reports_written {
            let _ = writeln!(out, "report: {path}");
        }
        let passed = p.paint(&format!("{} passed", t.passed), Color::Green);
        let failed_text = format!("{} failed", t.failed);
        let failed = if t.failed > 0 {
            p.paint(&failed_text, Color::Red)
        } else {
            failed_text
        };
        let skipped_text = format!("{} skipped", t.skipped);
        let skipped = if t.skipped > 0 {
            p.paint(&skipped_text, Color::Yellow)
        } else {
            skipped_text
        };
        let verdict = if report.run.interrupted {
            p.paint(&p.bold("INTERRUPTED"), Color::Yellow)
        } else if t.failed > 0 {
            p.paint(&p.bold("FAILED"), Color::Red)
        } else {
            p.paint(&p.bold("PASSED"), Color::Green)
        };
        let time = if self.timings {
            format!(" in {}", human(report.run.duration))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "\n{verdict} {} scenarios: {passed}, {failed}, {skipped}{time}",
            t.total()
        );
        out
    }
}

pub fn human(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}
