//! `gigcheck mutants`: proves a spec suite catches bugs. The specs are loaded once, run against
//! the clean embedded sandbox, then once per deliberate defect ([`gigcheck_servers::sandbox::defects`]),
//! each run with its own sandbox and Stripe emulator, several at once within the `--jobs` budget.
//!
//! A defect is *caught* when at least one scenario that passed on the clean sandbox fails with
//! the defect on. The table says which scenarios caught each defect; the last line is the score,
//! `caught N/M`. Exit 0 only when the clean sandbox passes and every defect is caught.
//!
//! The clean run writes snapshots as `gigcheck run` does (a missing one is created); defect runs
//! never write any, so a defect's answers never end up as the accepted ones.
//!
//! `--sandbox-variation NAME` (repeatable, `all`) switches legitimate variations
//! ([`gigcheck_servers::sandbox::variations`]) on in every run, the clean one included: the proof
//! then holds for a backend that differs from the reference where the contract allows it.

use super::run::{self, RunError, Settings, Target};
use crate::cli::{Exit, MutantsArgs};
use colored::Color;
use gigcheck_base::text::count;
use gigcheck_core::checks::snapshot::SnapshotMode;
use gigcheck_core::environment::Environment;
use gigcheck_core::loader::Project;
use gigcheck_core::outcome::{Outcome, RunReport, ScenarioReport};
use gigcheck_core::report::collect::Collector;
use gigcheck_core::report::text::Palette;
use gigcheck_core::spec::Loc;
use gigcheck_servers::sandbox::{self, Defect, Variation, Variations};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// What one defect's run came to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    /// The scenarios that caught it, as people name them (see [`Labels`]), in spec order.
    Caught(Vec<String>),
    /// No scenario that passes on the clean sandbox failed.
    Escaped,
    /// The run itself failed (the sandbox did not start, …).
    Error(String),
}

/// How to share a budget of `jobs` scenarios at once among `runs` runs: (runs at once,
/// scenarios at once within each run).
fn split_jobs(jobs: usize, runs: usize) -> (usize, usize) {
    let jobs = jobs.max(1);
    let at_once = runs.clamp(1, jobs);
    (at_once, (jobs / at_once).max(1))
}

fn scenarios(report: &RunReport) -> impl Iterator<Item = &ScenarioReport> {
    report.suites.iter().flat_map(|s| &s.scenarios)
}

/// How scenarios are named in the table: by id when no other scenario of the run has it, else
/// (and when there is no id) by their whole title.
struct Labels {
    shared_ids: HashSet<String>,
}

impl Labels {
    fn of(report: &RunReport) -> Labels {
        let mut seen = HashSet::new();
        let shared_ids = scenarios(report)
            .filter_map(|s| s.id.clone())
            .filter(|id| !seen.insert(id.clone()))
            .collect();
        Labels { shared_ids }
    }

    fn label(&self, scenario: &ScenarioReport) -> String {
        match &scenario.id {
            Some(id) if !self.shared_ids.contains(id) => id.clone(),
            _ => scenario.title(),
        }
    }
}

/// The scenarios that failed in `run` but passed in `clean`.
fn caught_by(clean: &RunReport, run: &RunReport) -> Verdict {
    let labels = Labels::of(clean);
    let passed_clean: HashSet<&Loc> = scenarios(clean)
        .filter(|s| s.outcome == Outcome::Passed)
        .map(|s| &s.loc)
        .collect();
    let catchers: Vec<String> = scenarios(run)
        .filter(|s| s.outcome.is_failure() && passed_clean.contains(&s.loc))
        .map(|s| labels.label(s))
        .collect();
    if catchers.is_empty() {
        Verdict::Escaped
    } else {
        Verdict::Caught(catchers)
    }
}

/// How wide a table line may grow before the list of scenarios wraps.
const LINE_WIDTH: usize = 100;

/// `items` joined with ", ", wrapped to lines of at most `room` characters where possible.
fn wrap(items: &[String], room: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for item in items {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 2 + item.chars().count() <= room => {
                line.push_str(", ");
                line.push_str(item);
            }
            Some(line) => {
                line.push(',');
                lines.push(item.clone());
            }
            None => lines.push(item.clone()),
        }
    }
    lines
}

/// The table, the escapes and the score, as printed.
fn render(rows: &[(Defect, Verdict)], palette: Palette) -> String {
    let width = rows
        .iter()
        .map(|(d, _)| d.name().len())
        .max()
        .unwrap_or(0)
        .max("DEFECT".len());
    let mut out = format!("{:width$}  CAUGHT BY\n", "DEFECT");
    for (defect, verdict) in rows {
        let name = format!("{:width$}", defect.name());
        let line = match verdict {
            Verdict::Caught(by) => {
                let room = LINE_WIDTH.saturating_sub(width + 2).max(20);
                let indent = format!("\n{:width$}  ", "");
                format!("{}  {}", name, wrap(by, room).join(&indent))
            }
            Verdict::Escaped => format!(
                "{}  {}",
                palette.paint(&name, Color::Red),
                palette.paint("ESCAPED: no scenario failed with it on", Color::Red)
            ),
            Verdict::Error(message) => format!(
                "{}  {}",
                palette.paint(&name, Color::Red),
                palette.paint(&format!("ERROR: {message}"), Color::Red)
            ),
        };
        out.push_str(line.trim_end());
        out.push('\n');
    }
    let missed: Vec<&str> = rows
        .iter()
        .filter(|(_, v)| !matches!(v, Verdict::Caught(_)))
        .map(|(d, _)| d.name())
        .collect();
    if !missed.is_empty() {
        out.push_str(&format!(
            "escaped: {} (no spec notices {})\n",
            missed.join(", "),
            if missed.len() == 1 { "it" } else { "them" }
        ));
    }
    out.push_str(&format!(
        "caught {}/{}\n",
        rows.len() - missed.len(),
        rows.len()
    ));
    out
}

/// The defects asked for, each once, in the order given; all of them when none is given.
fn chosen(defects: &[Defect]) -> Vec<Defect> {
    if defects.is_empty() {
        return Defect::ALL.to_vec();
    }
    let mut seen = HashSet::new();
    defects
        .iter()
        .copied()
        .filter(|d| seen.insert(*d))
        .collect()
}

/// `--list`: every defect, its name and what it breaks.
fn list() -> Exit {
    let width = Defect::names().map(str::len).max().unwrap_or(0);
    for &d in Defect::ALL {
        outln!("{:width$}  {}", d.name(), d.summary());
    }
    Exit::Passed
}

/// The table as Markdown: each defect (the rule it breaks), what goes wrong, and the plan cases
/// of the scenarios that caught it (`3.1 (×2)`), the first few.
fn markdown(rows: &[(Defect, Verdict)]) -> String {
    const SHOWN: usize = 6;
    let cell = |text: &str| text.replace('|', "\\|");
    let mut out = String::from(
        "| defect (the rule it breaks) | what goes wrong | caught by |\n|---|---|---|\n",
    );
    for (defect, verdict) in rows {
        let by = match verdict {
            Verdict::Caught(by) => {
                let cases = case_counts(by);
                let mut shown = cases[..cases.len().min(SHOWN)].join(", ");
                if cases.len() > SHOWN {
                    shown.push_str(&format!(" and {} more", cases.len() - SHOWN));
                }
                shown
            }
            Verdict::Escaped => "**escaped**".into(),
            Verdict::Error(message) => format!("**error**: {message}"),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            defect.name(),
            cell(defect.summary()),
            cell(&by)
        ));
    }
    let caught = rows
        .iter()
        .filter(|(_, v)| matches!(v, Verdict::Caught(_)))
        .count();
    out.push_str(&format!("\nCaught {caught}/{}.\n", rows.len()));
    out
}

/// Scenario labels as their plan cases, each once with how many: `[3.1] Pages…` twice → `3.1 (×2)`.
fn case_counts(labels: &[String]) -> Vec<String> {
    let mut counts: indexmap::IndexMap<&str, usize> = indexmap::IndexMap::new();
    for label in labels {
        let case = label
            .strip_prefix('[')
            .and_then(|r| r.split_once(']'))
            .map_or(label.as_str(), |(id, _)| id);
        *counts.entry(case).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(case, n)| {
            if n == 1 {
                case.to_string()
            } else {
                format!("{case} (×{n})")
            }
        })
        .collect()
}

/// Which observable rules of the contract no defect breaks: the line after the table.
fn rule_coverage(project: &Project) -> Option<String> {
    let contract = project.contract.as_ref().filter(|c| !c.rules.is_empty())?;
    let broken: HashSet<&str> = Defect::names().collect();
    let observable: Vec<&str> = contract
        .rules
        .iter()
        .filter(|(_, r)| r.observable())
        .map(|(id, _)| id.as_str())
        .collect();
    let without: Vec<&str> = observable
        .iter()
        .copied()
        .filter(|id| !broken.contains(id))
        .collect();
    let mut line = format!(
        "defects break {}/{} observable contract rules",
        observable.len() - without.len(),
        observable.len()
    );
    if !without.is_empty() {
        line.push_str(&format!("; no defect yet for: {}", without.join(", ")));
    }
    Some(line + "\n")
}

pub fn mutants(args: MutantsArgs, color: bool) -> Exit {
    if args.list {
        return list();
    }
    if let Err(exit) = super::check_outputs(args.markdown.as_deref()) {
        return exit;
    }
    let (env, project, selected) = match super::load_runnable(&args.specs, &args.select) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    if let Some(base) = &env.base_url {
        errln!(
            "note: the --env file's base_url ({base}) is not used: mutants always runs the embedded sandbox"
        );
    }
    let defects = chosen(&args.defects);
    let variations: Variations = args.sandbox_variations.iter().copied().collect();
    sandbox::notes::silence_notes();
    // Scenarios mostly wait on HTTP, so twice the CPUs keeps them busy without crowding them.
    let jobs = args
        .jobs
        .map_or_else(|| 2 * run::default_jobs(), usize::from);
    let runtime = match run::runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let palette = Palette { color };
    let settings = Settings {
        on_send: None,
        interrupt: Default::default(),
        jobs,
        timeout: Duration::from_secs_f64(args.timeout),
        fail_fast: false,
        follow_redirects: true,
        snapshot_mode: SnapshotMode::Normal,
        selected,
        tls: Default::default(),
    };
    let with_variations = if variations.is_empty() {
        String::new()
    } else {
        format!(" (with variations: {variations})")
    };
    let against = if args.verifying_only {
        " (each against the scenarios that verify the rule it breaks)"
    } else {
        ""
    };
    outln!(
        "{} {} against the clean embedded sandbox{with_variations}, then with each of {}{against}; {} at once",
        palette.bold("gigcheck mutants:"),
        count(settings.selected.len(), "scenario"),
        count(defects.len(), "defect"),
        count(jobs, "job"),
    );
    let variations: Vec<Variation> = variations.iter().collect();
    let project = Arc::new(project);
    runtime.block_on(async {
        let clean = match everything(
            project.clone(),
            env.clone(),
            Target::Embedded {
                defects: Vec::new(),
                variations: variations.clone(),
            },
            settings.clone(),
        )
        .await
        {
            Ok(report) => report,
            Err(e) => {
                errln!("error: the clean run failed: {}", e.message);
                return e.exit;
            }
        };
        let clean_passed = report_clean(&clean, palette);
        let rows = run_defects(
            project.clone(),
            env,
            &defects,
            &variations,
            settings,
            &clean,
            args.verifying_only,
        )
        .await;
        out!("{}", render(&rows, palette));
        if let Some(line) = rule_coverage(&project) {
            out!("{line}");
        }
        let all_caught = rows.iter().all(|(_, v)| matches!(v, Verdict::Caught(_)));
        if let Some(path) = &args.markdown
            && let Err(e) = gigcheck_core::atomic::write(path, markdown(&rows).as_bytes())
        {
            errln!("error: cannot write {}: {e}", path.display());
            return Exit::Failed;
        }
        if clean_passed && all_caught {
            Exit::Passed
        } else {
            Exit::Failed
        }
    })
}

/// Runs the suite and keeps every result.
async fn everything(
    project: Arc<Project>,
    env: Environment,
    target: Target,
    settings: Settings,
) -> Result<RunReport, RunError> {
    let mut all = Collector::new(true, &[], None);
    let info = run::execute(project, env, target, settings, &mut all).await?;
    Ok(all.finish(info).report)
}

/// Prints the clean run's line (and its failures); whether it passed.
fn report_clean(clean: &RunReport, palette: Palette) -> bool {
    let totals = clean.totals();
    let mut line = format!("clean sandbox: {} passed", totals.passed);
    if totals.failed > 0 {
        line.push_str(&format!(", {} failed", totals.failed));
    }
    if totals.blocked > 0 {
        line.push_str(&format!(", {} blocked", totals.blocked));
    }
    if totals.skipped > 0 {
        line.push_str(&format!(", {} skipped", totals.skipped));
    }
    outln!("{line}");
    for s in scenarios(clean).filter(|s| s.outcome.is_failure()) {
        outln!(
            "  {} {} (fails on the clean sandbox, so it catches nothing; `gigcheck run` shows why)",
            palette.paint("✗", Color::Red),
            s.title()
        );
    }
    totals.failures() == 0
}

/// The scenarios of `selected` that say they verify `rule`: the scenario's own `verifies:` or a
/// step's (its suite's setup and teardown and the fragments it includes count too).
fn verifying(project: &Project, selected: &[(usize, usize)], rule: &str) -> Vec<(usize, usize)> {
    selected
        .iter()
        .copied()
        .filter(|&(suite, scenario)| {
            project
                .suites
                .get(suite)
                .and_then(|s| s.scenarios.get(scenario))
                .is_some_and(|o| o.verifies.iter().chain(&o.step_rules).any(|r| r == rule))
        })
        .collect()
}

/// Runs the suite once per defect (with `variations` on in each), several at once; the
/// verdicts in `defects` order. A line goes to stderr as each run ends. With `verifying_only`,
/// each defect's run holds only the scenarios that verify the rule it breaks.
async fn run_defects(
    project: Arc<Project>,
    env: Environment,
    defects: &[Defect],
    variations: &[Variation],
    settings: Settings,
    clean: &RunReport,
    verifying_only: bool,
) -> Vec<(Defect, Verdict)> {
    let (at_once, per_run) = split_jobs(settings.jobs, defects.len());
    let permits = Arc::new(Semaphore::new(at_once));
    let mut tasks: JoinSet<(usize, Result<RunReport, RunError>)> = JoinSet::new();
    for (index, defect) in defects.iter().copied().enumerate() {
        let (project, env, permits) = (project.clone(), env.clone(), permits.clone());
        let variations = variations.to_vec();
        let selected = if verifying_only {
            verifying(&project, &settings.selected, defect.name())
        } else {
            settings.selected.clone()
        };
        let settings = Settings {
            jobs: per_run,
            snapshot_mode: SnapshotMode::Ci,
            selected,
            ..settings.clone()
        };
        tasks.spawn(async move {
            let _permit = permits.acquire_owned().await;
            let target = Target::Embedded {
                defects: vec![defect],
                variations,
            };
            let report = everything(project, env, target, settings).await;
            (index, report)
        });
    }
    let mut verdicts: Vec<Option<Verdict>> = vec![None; defects.len()];
    let mut done = 0;
    while let Some(joined) = tasks.join_next().await {
        let (index, verdict) = match joined {
            Ok((index, Ok(report))) => (index, caught_by(clean, &report)),
            Ok((index, Err(e))) => (index, Verdict::Error(e.message)),
            Err(e) => {
                errln!("error: a defect run ended abnormally: {e}");
                continue;
            }
        };
        done += 1;
        let said = match &verdict {
            Verdict::Caught(by) => format!("caught by {}", count(by.len(), "scenario")),
            Verdict::Escaped => "escaped".to_string(),
            Verdict::Error(message) => format!("error: {message}"),
        };
        errln!("  [{done}/{}] {}: {said}", defects.len(), defects[index]);
        verdicts[index] = Some(verdict);
    }
    defects
        .iter()
        .copied()
        .zip(verdicts)
        .map(|(d, v)| {
            let verdict =
                v.unwrap_or_else(|| Verdict::Error("the run ended without a report".into()));
            (d, verdict)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use gigcheck_core::outcome::SuiteReport;

    #[test]
    fn every_defect_is_named_after_a_rule() {
        for &d in Defect::ALL {
            assert!(
                gigcheck_core::contract::is_rule_id(d.name()),
                "{d} is not a rule id"
            );
        }
    }

    fn scenario(id: &str, line: u32, outcome: Outcome) -> ScenarioReport {
        ScenarioReport {
            id: Some(id.chars().take_while(|c| *c != ' ').collect()),
            name: format!("scenario {id}"),
            tags: Vec::new(),
            loc: Loc {
                file: "specs/a.yaml".into(),
                line,
                col: 5,
            },
            outcome,
            steps: Vec::new(),
            duration: Duration::ZERO,
            started_at: None,
            rules: Default::default(),
        }
    }

    fn report(scenarios: Vec<ScenarioReport>) -> RunReport {
        RunReport {
            suites: vec![SuiteReport {
                name: "A".into(),
                file: "specs/a.yaml".into(),
                scenarios,
            }],
            ..RunReport::default()
        }
    }

    #[test]
    fn a_defect_is_caught_by_scenarios_that_passed_clean_and_fail_with_it() {
        let clean = report(vec![
            scenario("1", 1, Outcome::Passed),
            scenario("2", 2, Outcome::Failed),
            scenario("3", 3, Outcome::Passed),
            scenario("4", 4, Outcome::Skipped("no secret".into())),
            scenario("5 a", 5, Outcome::Passed),
            scenario("5 b", 6, Outcome::Passed),
        ]);
        let with_defect = report(vec![
            scenario("1", 1, Outcome::Passed),
            scenario("2", 2, Outcome::Failed),
            scenario("3", 3, Outcome::Failed),
            scenario("4", 4, Outcome::Failed),
            scenario("5 a", 5, Outcome::Failed),
            scenario("5 b", 6, Outcome::Passed),
        ]);
        assert_eq!(
            caught_by(&clean, &with_defect),
            Verdict::Caught(vec!["3".into(), "[5] scenario 5 a".into()])
        );
        let only_known_failures = report(vec![
            scenario("1", 1, Outcome::Passed),
            scenario("2", 2, Outcome::Failed),
        ]);
        assert_eq!(caught_by(&clean, &only_known_failures), Verdict::Escaped);
    }

    #[test]
    fn the_table_ends_with_the_score() {
        let rows = vec![
            (
                Defect::CancelWhenShipped,
                Verdict::Caught(vec!["4.3".into(), "Ship then cancel".into()]),
            ),
            (Defect::WebhookUnverified, Verdict::Escaped),
            (Defect::OversellRace, Verdict::Error("no port".into())),
        ];
        let text = render(&rows, Palette { color: false });
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "DEFECT                         CAUGHT BY");
        assert_eq!(
            lines[1],
            "orders.cancel.shipped-refused  4.3, Ship then cancel"
        );
        assert_eq!(
            lines[2],
            "payment.webhook.bad-signature  ESCAPED: no scenario failed with it on"
        );
        assert_eq!(lines[3], "orders.create.no-oversell      ERROR: no port");
        assert_eq!(
            lines[4],
            "escaped: payment.webhook.bad-signature, orders.create.no-oversell (no spec notices them)"
        );
        let md = markdown(&rows);
        assert!(md.starts_with("| defect (the rule it breaks) | what goes wrong | caught by |\n|---|---|---|\n| `orders.cancel.shipped-refused` | a customer may cancel a shipped order | 4.3, Ship then cancel |\n"), "{md}");
        assert!(
            md.contains("| **escaped** |") && md.ends_with("\nCaught 1/3.\n"),
            "{md}"
        );
        assert_eq!(lines[5], "caught 1/3");
        assert_eq!(lines.len(), 6);
    }

    #[test]
    fn long_lists_wrap() {
        let items: Vec<String> = [
            "[4.1] Cancelling a pending order restores the stock",
            "B.7",
            "5.3",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            wrap(&items, 60),
            [
                "[4.1] Cancelling a pending order restores the stock, B.7,",
                "5.3"
            ]
        );
        assert_eq!(wrap(&items[1..], 60), ["B.7, 5.3"]);
        let rows = vec![(Defect::NoRestockOnCancel, Verdict::Caught(items))];
        let text = render(&rows, Palette { color: false });
        assert!(text.contains("restores the stock, B.7, 5.3\n"), "{text}");
    }

    #[test]
    fn the_budget_is_shared() {
        assert_eq!(split_jobs(2, 17), (2, 1));
        assert_eq!(split_jobs(8, 3), (3, 2));
        assert_eq!(split_jobs(1, 5), (1, 1));
        assert_eq!(split_jobs(4, 1), (1, 4));
        assert_eq!(split_jobs(0, 0), (1, 1));
    }

    #[test]
    fn defects_are_each_run_once() {
        assert_eq!(chosen(&[]).len(), Defect::ALL.len());
        assert_eq!(
            chosen(&[
                Defect::OversellRace,
                Defect::NoAdminCheck,
                Defect::OversellRace
            ]),
            [Defect::OversellRace, Defect::NoAdminCheck]
        );
    }
}
