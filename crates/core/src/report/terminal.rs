//! The terminal report: a line per scenario as results arrive, then the failures grouped by
//! cause (each cause in full once, with the scenarios it stopped), coverage, and at the very
//! end the list of causes and the totals.

use super::causes::Cause;
use super::collect::Slowest;
use super::coverage::{CaseVerdict, Coverage};
use super::format::human;
use super::rules::{RuleCoverage, RuleVerdict};
use super::text::{self, Palette};
use crate::outcome::{
    Outcome, RunReport, ScenarioReport, SnapshotWriteKind, SuiteHead, Totals, Verdict,
};
use colored::Color;
use gigcheck_base::text::plural;
use std::fmt::Write as _;
use std::time::Duration;

/// Prints the terminal report: a line per scenario as results arrive, then the sections at the
/// end.
pub struct Terminal {
    /// Colours on or off.
    pub palette: Palette,
    /// `--verbose`: every step of every scenario, and coverage lists in full.
    pub verbose: bool,
    /// Whether times are printed (off in tests, so output is stable).
    pub timings: bool,
    last_suite: Option<String>,
}

impl Terminal {
    /// A printer with times shown and no suite heading printed yet.
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
            Outcome::Blocked => format!(
                "  {} {} {}{}",
                p.paint("⊘", Color::Magenta),
                p.paint(&s.title(), Color::Magenta),
                p.paint("blocked", Color::Magenta),
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

    /// Each cause in full once — the failing step with its checks and traffic — then the
    /// scenarios it failed or blocked, one line each.
    pub fn failures(&self, causes: &[Cause]) -> String {
        let p = self.palette;
        let mut out = String::new();
        if causes.is_empty() {
            return out;
        }
        let n = causes.len();
        let _ = writeln!(
            out,
            "\n{}",
            p.paint(
                &p.bold(&format!("Failures: {n} {}", plural(n, "cause"))),
                Color::Red
            )
        );
        for cause in causes {
            let color = if cause.only_blocked() {
                Color::Magenta
            } else {
                Color::Red
            };
            let _ = writeln!(out, "\n{} {}", p.paint("──", color), p.bold(&cause.title()));
            text::step_details(&mut out, &cause.example, p, true);
            for m in &cause.members {
                let mark = match m.outcome {
                    Outcome::Blocked => p.paint("⊘", Color::Magenta),
                    _ => p.paint("✗", Color::Red),
                };
                let _ = writeln!(out, "    {mark} {}  {}", m.title, p.dim(&m.loc.to_string()));
                for also in &m.also {
                    let _ = writeln!(out, "        {} {also}", p.dim("also:"));
                }
            }
        }
        out
    }

    /// The readiness table: what the target has and lacks, before anything is tested.
    pub fn readiness(&self, target: &str, r: &crate::readiness::Readiness) -> String {
        use crate::readiness::Status;
        let p = self.palette;
        let mut out = format!("{} {target}\n", p.bold("Readiness of"));
        let width = r.rows.iter().map(|row| row.name.len()).max().unwrap_or(0);
        for row in &r.rows {
            let mark = match row.status {
                Status::Ok => p.paint("✓", Color::Green),
                Status::Note => p.paint("-", Color::Yellow),
                Status::Fail => p.paint("✗", Color::Red),
            };
            let _ = writeln!(out, "  {mark} {:<width$}  {}", row.name, row.detail);
        }
        out
    }

    /// The closing list of causes, worst first: what a reader of a red run acts on.
    pub fn causes(&self, causes: &[Cause]) -> String {
        let p = self.palette;
        let mut out = String::new();
        if causes.is_empty() {
            return out;
        }
        let _ = writeln!(out, "\n{}", p.bold("Causes, worst first"));
        let width = causes.iter().map(|c| c.tally().len()).max().unwrap_or(0);
        for c in causes {
            let color = if c.only_blocked() {
                Color::Magenta
            } else {
                Color::Red
            };
            let _ = writeln!(
                out,
                "  {}  {}  {}",
                p.paint(&format!("{:<width$}", c.tally()), color),
                c.headline,
                p.dim(&c.loc.to_string())
            );
        }
        out
    }

    /// The redirects the run followed, each way once: a backend that redirects its own routes
    /// costs every client a round trip, and a wrong method would hide behind it.
    pub fn redirects(&self, redirects: &indexmap::IndexMap<String, usize>) -> String {
        if redirects.is_empty() {
            return String::new();
        }
        let p = self.palette;
        let mut out = format!(
            "\n{} {}\n",
            p.bold("Redirects followed"),
            p.dim("(as a browser follows them; --no-follow-redirects to check them instead)")
        );
        for (line, n) in redirects {
            let _ = writeln!(out, "  {line}, {n}×");
        }
        out
    }

    /// The plan coverage table, the contract's route × status pairs seen and not seen, and
    /// what the run tells of the contract's rules.
    pub fn coverage(&self, coverage: &Coverage) -> String {
        let cases = &coverage.plan;
        let contract = coverage.contract.as_ref();
        let p = self.palette;
        let mut out = String::new();
        if !cases.is_empty() {
            let _ = writeln!(out, "\n{}", p.bold("Plan coverage"));
            // Cases the run has no scenario for are one line when there are many (a run of one
            // file): the run's own cases are what its reader is after.
            let without: Vec<&str> = cases
                .iter()
                .filter(|c| c.verdict() == CaseVerdict::NoScenario)
                .map(|c| c.id.as_str())
                .collect();
            let fold = !self.verbose && without.len() > FOLD_CASES;
            for case in cases {
                let verdict = case.verdict();
                if fold && verdict == CaseVerdict::NoScenario {
                    continue;
                }
                let (mark, color) = match verdict {
                    CaseVerdict::Passed => ("✓", Color::Green),
                    CaseVerdict::Failed => ("✗", Color::Red),
                    CaseVerdict::Blocked => ("⊘", Color::Magenta),
                    CaseVerdict::Skipped | CaseVerdict::NoScenario => ("-", Color::Yellow),
                };
                let mut counts = Vec::new();
                for (n, what) in [
                    (case.passed, "passed"),
                    (case.failed, "failed"),
                    (case.blocked, "blocked"),
                    (case.skipped, "skipped"),
                ] {
                    if n > 0 {
                        counts.push(format!("{n} {what}"));
                    }
                }
                let counts = if counts.is_empty() {
                    String::new()
                } else {
                    p.dim(&format!(" ({})", counts.join(", ")))
                };
                let title = case.title.as_deref().unwrap_or("");
                let _ = writeln!(
                    out,
                    "  {} {:<5} {:<15} {title}{counts}",
                    p.paint(mark, color),
                    case.id,
                    p.paint(verdict.label(), color),
                );
            }
            if fold {
                let _ = writeln!(
                    out,
                    "  {} {}",
                    p.paint("-", Color::Yellow),
                    p.dim(&format!(
                        "{} cases with no scenario in this run: {}",
                        without.len(),
                        self.some_of(&without)
                    ))
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
                    self.some_of(&c.missing)
                );
            }
        }
        if let Some(rules) = &coverage.rules {
            out.push_str(&self.rules(rules));
        }
        out
    }

    /// A list as one line of bounded length: all of it with `--verbose`, else the first
    /// [`LIST_AT_MOST`] and how many more (every report file lists them all).
    fn some_of<T: AsRef<str>>(&self, items: &[T]) -> String {
        let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
        if self.verbose || items.len() <= LIST_AT_MOST {
            return items.join(", ");
        }
        format!(
            "{}, … and {} more (--verbose lists them)",
            items[..LIST_AT_MOST].join(", "),
            items.len() - LIST_AT_MOST
        )
    }

    /// `Rule coverage: 142/150 observable contract rules checked`, then the broken rules with
    /// the scenarios that broke them, then the rules no check decided, by why.
    fn rules(&self, rules: &RuleCoverage) -> String {
        let p = self.palette;
        let mut out = String::new();
        let mut tail = vec![format!(
            "{} held, {} broken",
            rules.count(RuleVerdict::Held),
            rules.count(RuleVerdict::Broken)
        )];
        let unobservable = rules.count(RuleVerdict::Unobservable);
        if unobservable > 0 {
            tail.push(format!("{unobservable} more not observable"));
        }
        let _ = writeln!(
            out,
            "\n{} {} ({})",
            p.bold("Rule coverage:"),
            rules.headline(),
            tail.join("; ")
        );
        for r in rules.with(RuleVerdict::Broken) {
            let by = if r.broken_by.is_empty() {
                String::new()
            } else {
                p.dim(&format!(" (by {})", r.broken_by.join("; ")))
            };
            let _ = writeln!(
                out,
                "  {} {} {}{by}",
                p.paint("✗", Color::Red),
                p.paint(&r.id, Color::Red),
                r.text
            );
        }
        // Listed by id; rules only left out by the selection are one line below, and the
        // unobservable ones are counted in the headline.
        for verdict in RuleVerdict::UNDECIDED
            .into_iter()
            .filter(|v| !matches!(v, RuleVerdict::NotRun | RuleVerdict::Unobservable))
        {
            let ids: Vec<&str> = rules.ids(verdict).collect();
            if !ids.is_empty() {
                let _ = writeln!(
                    out,
                    "  {} {}",
                    p.dim(&format!("{} {}:", ids.len(), verdict.label())),
                    self.some_of(&ids)
                );
            }
        }
        // A partial run: what it could not reach is one line, not a list.
        let elsewhere = rules.count(RuleVerdict::NotRun);
        if elsewhere > 0 {
            let _ = writeln!(
                out,
                "  {}",
                p.dim(&format!(
                    "{elsewhere} {} {} by scenarios outside this run",
                    gigcheck_base::text::plural(elsewhere, "rule"),
                    if elsewhere == 1 {
                        "is checked only"
                    } else {
                        "are checked only"
                    }
                ))
            );
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
    /// The last lines: snapshots and reports written (`reports`: each report's path, or why
    /// it could not be written), then the run's verdict and totals.
    pub fn summary(
        &self,
        report: &RunReport,
        t: Totals,
        verdict: Verdict,
        reports: &[Result<String, String>],
    ) -> String {
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
        for path in reports.iter().flatten() {
            let _ = writeln!(out, "report: {path}");
        }
        let unwritten = reports.iter().filter(|r| r.is_err()).count();
        if report.run.insecure {
            let _ = writeln!(
                out,
                "{} {}",
                p.paint(&p.bold("warning:"), Color::Yellow),
                crate::outcome::INSECURE
            );
        }
        let passed = p.paint(&format!("{} passed", t.passed), Color::Green);
        let failed_text = format!("{} failed", t.failed);
        let failed = if t.failed > 0 {
            p.paint(&failed_text, Color::Red)
        } else {
            failed_text
        };
        let blocked_text = format!("{} blocked", t.blocked);
        let blocked = if t.blocked > 0 {
            p.paint(&blocked_text, Color::Magenta)
        } else {
            blocked_text
        };
        let skipped_text = format!("{} skipped", t.skipped);
        let skipped = if t.skipped > 0 {
            p.paint(&skipped_text, Color::Yellow)
        } else {
            skipped_text
        };
        let color = match verdict {
            Verdict::Passed => Color::Green,
            Verdict::Failed => Color::Red,
            Verdict::NothingRan | Verdict::Interrupted => Color::Yellow,
        };
        let headline = p.paint(&p.bold(verdict.word()), color);
        let time = if self.timings {
            format!(" in {}", human(report.run.duration))
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "\n{headline} {} {}: {passed}, {failed}, {blocked}, {skipped}{time}",
            t.total(),
            plural(t.total(), "scenario")
        );
        if unwritten > 0 {
            let _ = writeln!(
                out,
                "{} could not be written (why is said above), so the run fails",
                gigcheck_base::text::count(unwritten, "report")
            );
        }
        match verdict {
            Verdict::NothingRan => {
                let _ = writeln!(
                    out,
                    "nothing was checked: every scenario was skipped (each one's reason is above); a run in which nothing passed is not a pass"
                );
            }
            Verdict::Failed if t.failures() == 0 && t.skipped > 0 && report.run.fail_on_skip => {
                let _ = writeln!(
                    out,
                    "--fail-on-skip: {} skipped {} {} the run",
                    t.skipped,
                    plural(t.skipped, "scenario"),
                    if t.skipped == 1 { "fails" } else { "fail" }
                );
            }
            _ => {}
        }
        out
    }
}

/// Plan cases without a scenario listed one per line up to this many; more are one line.
const FOLD_CASES: usize = 5;

/// Items of a coverage list shown without `--verbose`.
const LIST_AT_MOST: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_under_a_millisecond_keep_a_decimal() {
        assert_eq!(human(Duration::from_micros(420)), "0.4 ms");
        assert_eq!(human(Duration::from_millis(12)), "12 ms");
        assert_eq!(human(Duration::from_millis(1500)), "1.50 s");
    }

    #[test]
    fn long_lists_are_one_bounded_line_unless_verbose() {
        let items: Vec<String> = (1..=20).map(|i| format!("r{i}")).collect();
        let quiet = Terminal::new(Palette { color: false }, false);
        assert_eq!(
            quiet.some_of(&items),
            "r1, r2, r3, r4, r5, r6, r7, r8, … and 12 more (--verbose lists them)"
        );
        assert_eq!(quiet.some_of(&items[..3]), "r1, r2, r3");
        let verbose = Terminal::new(Palette { color: false }, true);
        assert_eq!(verbose.some_of(&items), items.join(", "));
    }
}
