//! Comparing two JSON reports: what newly fails, what newly passes, what got slower, and which
//! scenarios came or went. Scenarios are matched by spec file and title (`[id] name`).

use super::format::human;
use super::json::{JsonOutcome, JsonReport, JsonScenario};
use super::text::Palette;
use colored::Color;
use indexmap::IndexMap;
use std::fmt::Write as _;
use std::time::Duration;

/// When a scenario counts as slower: `factor` times as long and at least `by` more.
#[derive(Debug, Clone, Copy)]
pub struct Slower {
    /// The new time must be more than this many times the old (`--slower-factor`).
    pub factor: f64,
    /// …and longer by at least this much (`--slower-by-ms`), so tiny times that double are not
    /// news.
    pub by: Duration,
}

/// One scenario in a comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The spec file, as the reports name it.
    pub file: String,
    /// `[id] name`: with the file, what matches a scenario across the two reports.
    pub title: String,
    /// The first failed check or step error (for newly failing scenarios).
    pub cause: Option<String>,
    pub(crate) old_ms: Option<f64>,
    pub(crate) new_ms: Option<f64>,
}

/// What changed from an old JSON report to a new one: see [`diff`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Diff {
    pub(crate) newly_failing: Vec<Entry>,
    pub(crate) newly_passing: Vec<Entry>,
    /// Scenarios that ran in both and took notably longer (see [`Slower`]), biggest ratio first.
    pub slower: Vec<Entry>,
    /// In the new report only.
    pub added: Vec<Entry>,
    /// In the old report only.
    pub removed: Vec<Entry>,
    pub(crate) old_totals: (usize, usize, usize, usize),
    pub(crate) new_totals: (usize, usize, usize, usize),
}

fn index(report: &JsonReport) -> IndexMap<(String, String), &JsonScenario> {
    report
        .suites
        .iter()
        .flat_map(|s| {
            s.scenarios
                .iter()
                .map(move |c| ((s.file.clone(), c.title.clone()), c))
        })
        .collect()
}

/// The first thing that went wrong in a scenario, in one line.
fn cause(s: &JsonScenario) -> Option<String> {
    s.steps.iter().filter(|st| !st.passed).find_map(|st| {
        let what = st.checks.iter().find(|c| !c.passed).map(|c| {
            let mut line = [c.kind.as_str(), c.subject.as_str(), c.operator.as_str()]
                .iter()
                .filter(|part| !part.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ");
            match (&c.expected, &c.actual, &c.message) {
                (Some(e), Some(a), _) => {
                    let _ = write!(line, ": expected {e}, actual {a}");
                }
                (_, _, Some(m)) => {
                    let _ = write!(line, ": {m}");
                }
                _ => {}
            }
            line
        });
        what.or_else(|| st.error.clone())
            .map(|w| format!("{} {} \"{}\": {w}", st.phase, st.number, st.name))
    })
}

/// Compares two reports: scenarios newly failing (failed or blocked now but not before, or new
/// and failing), newly passing, slower, added and removed.
pub fn diff(old: &JsonReport, new: &JsonReport, slower: Slower) -> Diff {
    let before = index(old);
    let after = index(new);
    let totals = |r: &JsonReport| {
        (
            r.totals.passed,
            r.totals.failed,
            r.totals.blocked,
            r.totals.skipped,
        )
    };
    let fails = |o: JsonOutcome| matches!(o, JsonOutcome::Failed | JsonOutcome::Blocked);
    let mut d = Diff {
        old_totals: totals(old),
        new_totals: totals(new),
        ..Diff::default()
    };
    let entry =
        |key: &(String, String), o: Option<&JsonScenario>, n: Option<&JsonScenario>| Entry {
            file: key.0.clone(),
            title: key.1.clone(),
            cause: n.and_then(cause),
            old_ms: o.map(|s| s.duration_ms),
            new_ms: n.map(|s| s.duration_ms),
        };
    for (key, n) in &after {
        let Some(o) = before.get(key) else {
            d.added.push(entry(key, None, Some(n)));
            if fails(n.outcome) {
                d.newly_failing.push(entry(key, None, Some(n)));
            }
            continue;
        };
        match (fails(o.outcome), fails(n.outcome)) {
            (false, true) => d.newly_failing.push(entry(key, Some(o), Some(n))),
            (true, false) if n.outcome == JsonOutcome::Passed => {
                d.newly_passing.push(entry(key, Some(o), Some(n)))
            }
            _ => {}
        }
        let ran = |s: &JsonScenario| s.outcome != JsonOutcome::Skipped;
        let extra_ms = slower.by.as_secs_f64() * 1000.0;
        if ran(o)
            && ran(n)
            && n.duration_ms > o.duration_ms * slower.factor
            && n.duration_ms - o.duration_ms >= extra_ms
        {
            d.slower.push(entry(key, Some(o), Some(n)));
        }
    }
    for (key, o) in &before {
        if !after.contains_key(key) {
            d.removed.push(entry(key, Some(o), None));
        }
    }
    d.slower.sort_by(|a, b| {
        let ratio = |e: &Entry| e.new_ms.unwrap_or(0.0) / e.old_ms.unwrap_or(1.0).max(0.001);
        ratio(b).total_cmp(&ratio(a))
    });
    d
}

fn duration(ms: Option<f64>) -> String {
    ms.map_or_else(
        || "-".to_string(),
        |ms| human(Duration::from_secs_f64(ms.max(0.0) / 1000.0)),
    )
}

impl Diff {
    /// Whether the new run fails something the old one did not.
    pub fn regressed(&self) -> bool {
        !self.newly_failing.is_empty()
    }

    /// The comparison as `gigcheck report diff` prints it: each non-empty list, then the totals
    /// before → after.
    pub fn render(&self, p: Palette) -> String {
        let mut out = String::new();
        let section = |out: &mut String, title: &str, entries: &[Entry], mark: &str, color| {
            if entries.is_empty() {
                return;
            }
            let _ = writeln!(
                out,
                "\n{}",
                p.paint(&p.bold(&format!("{title} ({})", entries.len())), color)
            );
            for e in entries {
                let _ = writeln!(
                    out,
                    "  {} {}  {}",
                    p.paint(mark, color),
                    e.title,
                    p.dim(&e.file)
                );
                if let Some(c) = &e.cause {
                    let _ = writeln!(out, "      {c}");
                }
            }
        };
        section(
            &mut out,
            "Newly failing",
            &self.newly_failing,
            "✗",
            Color::Red,
        );
        section(
            &mut out,
            "Newly passing",
            &self.newly_passing,
            "✓",
            Color::Green,
        );
        if !self.slower.is_empty() {
            let _ = writeln!(
                out,
                "\n{}",
                p.paint(
                    &p.bold(&format!("Slower ({})", self.slower.len())),
                    Color::Yellow
                )
            );
            for e in &self.slower {
                let ratio = e.new_ms.unwrap_or(0.0) / e.old_ms.unwrap_or(1.0).max(0.001);
                let _ = writeln!(
                    out,
                    "  {} {}  {}  {} → {} ({ratio:.1}×)",
                    p.paint("⏱", Color::Yellow),
                    e.title,
                    p.dim(&e.file),
                    duration(e.old_ms),
                    duration(e.new_ms)
                );
            }
        }
        let plain = |out: &mut String, title: &str, entries: &[Entry]| {
            if entries.is_empty() {
                return;
            }
            let _ = writeln!(out, "\n{}", p.bold(&format!("{title} ({})", entries.len())));
            for e in entries {
                let _ = writeln!(out, "  {}  {}", e.title, p.dim(&e.file));
            }
        };
        plain(&mut out, "Added", &self.added);
        plain(&mut out, "Removed", &self.removed);
        let (op, of, ob, os) = self.old_totals;
        let (np, nf, nb, ns) = self.new_totals;
        let _ = writeln!(
            out,
            "\npassed {op} → {np}, failed {of} → {nf}, blocked {ob} → {nb}, skipped {os} → {ns}"
        );
        if self.newly_failing.is_empty()
            && self.newly_passing.is_empty()
            && self.slower.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
        {
            let _ = writeln!(out, "no change in outcomes, and nothing got slower");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::json::*;

    fn scenario(title: &str, outcome: JsonOutcome, ms: f64) -> JsonScenario {
        JsonScenario {
            id: None,
            name: title.into(),
            title: title.into(),
            tags: Vec::new(),
            location: "a.yaml:1:1".into(),
            outcome,
            skip_reason: None,
            duration_ms: ms,
            steps: Vec::new(),
        }
    }

    fn report(scenarios: Vec<JsonScenario>) -> JsonReport {
        let mut r: JsonReport = serde_json::from_value(serde_json::json!({
            "format": FORMAT, "version": VERSION, "target": null, "stripe_url": null,
            "started_at": null, "duration_ms": 0.0, "interrupted": false,
            "totals": {"scenarios": 0, "passed": 0, "failed": 0, "blocked": 0, "skipped": 0},
            "causes": [], "plan": [], "contract": null, "snapshots": [], "suites": []
        }))
        .unwrap();
        r.suites.push(JsonSuite {
            name: "A".into(),
            file: "a.yaml".into(),
            scenarios,
        });
        r
    }

    #[test]
    fn outcomes_and_times_are_compared_per_scenario() {
        use JsonOutcome::*;
        let old = report(vec![
            scenario("stays green", Passed, 10.0),
            scenario("breaks", Passed, 10.0),
            scenario("heals", Failed, 10.0),
            scenario("slows", Passed, 10.0),
            scenario("slows a little", Passed, 10.0),
            scenario("goes away", Passed, 1.0),
        ]);
        let new = report(vec![
            scenario("stays green", Passed, 11.0),
            scenario("breaks", Failed, 10.0),
            scenario("heals", Passed, 10.0),
            scenario("slows", Passed, 200.0),
            scenario("slows a little", Passed, 40.0),
            scenario("is new", Failed, 1.0),
        ]);
        let slower = Slower {
            factor: 1.5,
            by: Duration::from_millis(50),
        };
        let d = diff(&old, &new, slower);
        let titles = |v: &[Entry]| v.iter().map(|e| e.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&d.newly_failing), ["breaks", "is new"]);
        assert_eq!(titles(&d.newly_passing), ["heals"]);
        assert_eq!(titles(&d.slower), ["slows"]);
        assert_eq!(titles(&d.added), ["is new"]);
        assert_eq!(titles(&d.removed), ["goes away"]);
        assert!(d.regressed());
        assert!(!diff(&old, &old, slower).regressed());
        let text = d.render(Palette::PLAIN);
        assert!(text.contains("Slower (1)\n  ⏱ slows  a.yaml  10 ms → 200 ms (20.0×)"));
    }
}
