//! Runs one scenario: its variables, the suite's setup, its steps, then every teardown —
//! teardowns run even when something before them failed, and their failures count.

use super::Shared;
use super::hooks;
use super::scope::Scope;
use super::step;
use crate::engine::http::CookieJar;
use crate::loader::LoadedSuite;
use crate::outcome::{Outcome, Phase, RuleNames, ScenarioReport, StepReport, StepStatus};
use crate::spec::{Action, Fragment, Include, Scenario, SourceRef, Step, Vars};
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

struct Run<'a> {
    shared: &'a std::sync::Arc<Shared>,
    suite: &'a LoadedSuite,
    jar: std::sync::Arc<CookieJar>,
    scope: Scope,
    reports: Vec<StepReport>,
    /// `_up` hooks owed for `_down` hooks that ran; run at the end whatever happened.
    undo: Vec<String>,
    /// Where the run was interrupted (Ctrl-C), if it was: `before step "x"`, or during one.
    interrupted: Option<String>,
    /// The report of the step whose answer the interrupt abandoned, if one was.
    abandoned: Option<usize>,
    /// `[id] name` of the scenario, for what it shares with others (`once` includes).
    title: String,
}

/// Runs one scenario; the requests it sends are told to be its own (see [`super::OnSend`]).
pub(super) async fn run(
    shared: &std::sync::Arc<Shared>,
    suite: &LoadedSuite,
    scenario: &Scenario,
    index: usize,
) -> ScenarioReport {
    let loc = scenario.src.loc();
    super::as_scenario(loc, run_here(shared, suite, scenario, index)).await
}

async fn run_here(
    shared: &std::sync::Arc<Shared>,
    suite: &LoadedSuite,
    scenario: &Scenario,
    index: usize,
) -> ScenarioReport {
    let started = Instant::now();
    let mut report = ScenarioReport {
        id: scenario.id.clone(),
        name: scenario.name.clone(),
        tags: scenario.tags.clone(),
        loc: scenario.src.loc(),
        outcome: Outcome::Passed,
        steps: Vec::new(),
        duration: Default::default(),
        started_at: Some(time::OffsetDateTime::now_utc()),
        rules: RuleNames {
            scenario: scenario.verifies.clone(),
            steps: suite.suite.step_rules(scenario),
        },
    };
    if let Some(reason) = missing_configuration(shared, suite, index) {
        report.outcome = Outcome::Skipped(reason);
        return report;
    }
    let mut run = Run {
        shared,
        suite,
        jar: std::sync::Arc::new(CookieJar::default()),
        scope: Scope::new(shared.redactor.fork(), shared.getenv.clone()),
        reports: Vec::new(),
        undo: Vec::new(),
        interrupted: None,
        abandoned: None,
        title: report.title(),
    };
    for (name, value) in &shared.env.vars {
        run.scope.set(name, value.clone());
    }
    for (name, value) in &shared.builtins {
        run.scope.set(name, value.clone());
    }
    let root = SourceRef::new(suite.doc.clone(), String::new());
    let mut ok = run.define(&suite.fixture_vars, &root.child("fixtures"))
        && run.define(&suite.suite.vars, &root.child("vars"))
        && run.define(&scenario.vars, &scenario.src.child("vars"));
    ok = ok && run.steps(&suite.suite.setup, Phase::Setup, "", true).await;
    ok = ok && run.steps(&scenario.steps, Phase::Main, "", false).await;
    let scenario_teardown = run
        .steps(&scenario.teardown, Phase::Teardown, "", false)
        .await;
    let suite_teardown = run
        .steps(&suite.suite.teardown, Phase::Teardown, "", false)
        .await;
    let undone = run.undo_hooks().await;
    if !(ok && scenario_teardown && suite_teardown && undone) {
        report.outcome = match run.interrupted.take() {
            // Stopped by Ctrl-C with nothing failed: not a pass, not a failure.
            Some(place) if scenario_teardown && suite_teardown && undone && !run.any_failed() => {
                Outcome::Skipped(format!("interrupted {place}; teardown ran"))
            }
            _ => run.verdict(),
        };
    }
    report.steps = run.reports;
    report.duration = started.elapsed();
    report
}

/// Why an abandoned step has no answer.
const ABANDONED: &str = "the run was interrupted while this request waited for its answer; it was abandoned (the server may have acted on it)";

/// Runs a sending step; outside teardown, an interrupt abandons it (`None`): a CI runner that
/// cancels a job sends SIGKILL after a grace period, which a slow answer could outlast.
async fn abandonable<F: Future>(shared: &Shared, phase: Phase, sending: F) -> Option<F::Output> {
    if phase == Phase::Teardown {
        return Some(sending.await);
    }
    tokio::select! {
        // An answer that is already in wins over an interrupt that arrived with it.
        biased;
        outcome = sending => Some(outcome),
        () = shared.interruption() => None,
    }
}

/// Why the scenario cannot run here, if it needs secrets or environment variables that are
/// not set. Such a scenario is skipped with the reason, never passed.
fn missing_configuration(shared: &Shared, suite: &LoadedSuite, index: usize) -> Option<String> {
    let needs = suite.requirements.get(index)?;
    let mut missing = Vec::new();
    for var in &needs.external_vars {
        if let Some(env_name) = shared.env.missing.get(var) {
            missing.push(format!("`{var}` (set {env_name})"));
        }
    }
    for hook in &needs.hooks {
        let mut wanted = vec![hook.clone()];
        wanted.extend(hooks::undo_of(hook));
        for name in wanted {
            if !shared.env.hooks.contains_key(&name)
                && !missing.iter().any(|m| m.contains(&format!("`{name}`")))
            {
                let env_name = crate::environment::WELL_KNOWN_HOOKS
                    .iter()
                    .find(|(h, _)| *h == name)
                    .map_or(String::new(), |(_, e)| format!("{e} or "));
                missing.push(format!(
                    "hook `{name}` (set {env_name}hooks.{name} in the --env file)"
                ));
            }
        }
    }
    for name in &needs.env_vars {
        if (shared.getenv)(name).is_none_or(|v| v.is_empty()) {
            missing.push(format!("environment variable {name}"));
        }
    }
    (!missing.is_empty()).then(|| format!("not configured: needs {}", missing.join(", ")))
}

impl Run<'_> {
    /// Adds a sending step's report (`None`: an interrupt abandoned it, which is noted); returns
    /// whether it passed.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        step: &Step,
        phase: Phase,
        number: usize,
        name: String,
        precondition: bool,
        started: Instant,
        outcome: Option<step::StepOutcome>,
    ) -> bool {
        let outcome = outcome.unwrap_or_else(|| {
            self.interrupted.get_or_insert_with(|| {
                format!(
                    "during {} \"{name}\", whose answer was abandoned",
                    phase.label()
                )
            });
            // Kept in the report: the request may have reached the server.
            self.abandoned = Some(self.reports.len());
            step::StepOutcome::failed(ABANDONED.to_string())
        });
        let passed = outcome.status == StepStatus::Passed;
        self.reports.push(StepReport {
            phase,
            number,
            name,
            loc: step.src.loc(),
            status: outcome.status,
            precondition: precondition || outcome.blocks,
            error: outcome.error,
            checks: outcome.checks,
            unevaluated: outcome.unevaluated,
            redirects: outcome.redirects,
            notes: outcome.notes,
            exchange: outcome.exchange,
            traffic: outcome.traffic,
            attempts: outcome.attempts,
            duration: started.elapsed(),
            verifies: step.verifies.clone(),
        });
        passed
    }

    /// Runs the `_up` hooks owed for `_down` hooks the scenario ran and did not undo.
    async fn undo_hooks(&mut self) -> bool {
        let mut ok = true;
        while let Some(name) = self.undo.pop() {
            ok &= self
                .hook(
                    &name,
                    &format!("{name} (undoing what the scenario took down)"),
                    Phase::Teardown,
                    false,
                    None,
                )
                .await;
        }
        ok
    }

    async fn hook(
        &mut self,
        name: &str,
        label: &str,
        phase: Phase,
        precondition: bool,
        src: Option<&SourceRef>,
    ) -> bool {
        let number = self.reports.iter().filter(|r| r.phase == phase).count() + 1;
        let started = Instant::now();
        let result = match self.shared.env.hooks.get(name) {
            Some(hook) => hooks::run(hook, &self.shared.http, self.shared.hook_timeout).await,
            None => Err(format!("hook `{name}` is not configured")),
        };
        if result.is_ok() {
            if let Some(up) = hooks::undo_of(name) {
                self.undo.push(up);
            } else {
                self.undo.retain(|owed| owed != name);
            }
        }
        let loc = src.map_or_else(
            || SourceRef::new(self.suite.doc.clone(), String::new()).loc(),
            SourceRef::loc,
        );
        self.reports.push(StepReport {
            phase,
            number,
            name: format!("hook {label}"),
            loc,
            status: if result.is_ok() {
                StepStatus::Passed
            } else {
                StepStatus::Failed
            },
            precondition,
            error: result.as_ref().err().map(|e| self.scope.redactor().text(e)),
            checks: Vec::new(),
            unevaluated: None,
            redirects: Vec::new(),
            notes: Vec::new(),
            exchange: None,
            traffic: Vec::new(),
            attempts: 1,
            duration: started.elapsed(),
            verifies: Vec::new(),
        });
        result.is_ok()
    }

    /// Evaluates `vars` in order; a failure becomes a failed setup step. Variables given from
    /// outside (environment file, `--var`, the runner) win over the specs' defaults.
    fn define(&mut self, vars: &Vars, src: &SourceRef) -> bool {
        for (name, template) in vars {
            if self.shared.env.vars.contains_key(name)
                || self.shared.builtins.iter().any(|(b, _)| b == name)
            {
                continue;
            }
            match template.render(&self.scope) {
                Ok(value) => self.scope.set(name, value),
                Err(e) => {
                    self.reports.push(StepReport::unsent(
                        Phase::Setup,
                        0,
                        format!("vars.{name}"),
                        src.child(name).loc(),
                        self.scope.redactor().text(&e.to_string()),
                    ));
                    return false;
                }
            }
        }
        true
    }

    /// Whether a step's `when` and `unless` let it run; why not, if they cannot be rendered.
    fn wanted(&self, step: &Step) -> Result<bool, String> {
        let holds = |t: &crate::spec::template::Template, key: &str| {
            t.render_value(&self.scope)
                .map(|v| truthy(&v))
                .map_err(|e| self.scope.redactor().text(&format!("{key}: {e}")))
        };
        if let Some(t) = &step.when
            && !holds(t, "when")?
        {
            return Ok(false);
        }
        if let Some(t) = &step.unless
            && holds(t, "unless")?
        {
            return Ok(false);
        }
        Ok(true)
    }

    /// Failed or blocked, by the first step that failed: a precondition's failure means the
    /// scenario's own checks were never reached.
    fn verdict(&self) -> Outcome {
        match self.reports.iter().find(|r| r.status == StepStatus::Failed) {
            Some(first) if first.precondition => Outcome::Blocked,
            _ => Outcome::Failed,
        }
    }

    /// Whether a step failed (a step the interrupt abandoned is not a failure of the backend).
    fn any_failed(&self) -> bool {
        self.reports
            .iter()
            .enumerate()
            .any(|(i, r)| r.status == StepStatus::Failed && Some(i) != self.abandoned)
    }

    /// Runs steps in order, stopping at the first failure. Returns whether all passed. Once the
    /// run is interrupted, setup and main steps stop; teardown steps still run. `precondition`:
    /// the steps only prepare the scenario's checks (setup, a fragment that is a precondition).
    fn steps<'s>(
        &'s mut self,
        steps: &'s [Step],
        phase: Phase,
        prefix: &'s str,
        precondition: bool,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 's>> {
        Box::pin(async move {
            for step in steps {
                if phase != Phase::Teardown && self.shared.interrupted() {
                    self.interrupted.get_or_insert_with(|| {
                        format!(
                            "before {} \"{prefix}{}\"",
                            phase.label(),
                            step.display_name()
                        )
                    });
                    return false;
                }
                let precondition =
                    precondition || (phase != Phase::Teardown && step.is_precondition());
                if !self.define(&step.vars, &step.src.child("vars")) {
                    return false;
                }
                match self.wanted(step) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(error) => {
                        let number = self.reports.iter().filter(|r| r.phase == phase).count() + 1;
                        let name = format!("{prefix}{}", step.display_name());
                        let here = Here {
                            step,
                            phase,
                            number,
                            name: &name,
                            precondition: true,
                            started: Instant::now(),
                        };
                        self.reports.push(here.failed(error));
                        return false;
                    }
                }
                if !self.step(step, phase, prefix, precondition).await {
                    return false;
                }
            }
            true
        })
    }

    async fn step(&mut self, step: &Step, phase: Phase, prefix: &str, precondition: bool) -> bool {
        let name = format!("{prefix}{}", step.display_name());
        let number = self.reports.iter().filter(|r| r.phase == phase).count() + 1;
        let started = Instant::now();
        let shared = self.shared;
        match &step.action {
            Action::Http(http) => {
                let sending = step::run(
                    shared,
                    self.suite,
                    http,
                    step.redirects,
                    &step.src,
                    &mut self.scope,
                    &self.jar,
                );
                let outcome = abandonable(shared, phase, sending).await;
                self.record(step, phase, number, name, precondition, started, outcome)
            }
            Action::Concurrent(concurrent) => {
                let follow = step::follow_redirects(shared, self.suite, step.redirects);
                let sending = super::concurrent::run(
                    shared,
                    concurrent,
                    follow,
                    &step.src,
                    &self.scope,
                    &self.jar,
                );
                let outcome = abandonable(shared, phase, sending).await;
                self.record(step, phase, number, name, precondition, started, outcome)
            }
            Action::Hook(hook) => {
                let label = match &step.name {
                    Some(n) => format!("{hook} ({n})"),
                    None => hook.clone(),
                };
                let label = format!("{prefix}{label}");
                self.hook(hook, &label, phase, precondition, Some(&step.src))
                    .await
            }
            Action::Include(include) => {
                let Some(fragment) = include.fragment.clone() else {
                    return false;
                };
                let here = Here {
                    step,
                    phase,
                    number,
                    name: &name,
                    precondition,
                    started,
                };
                if step.once
                    && let Some(key) = once_key(&fragment, include, &self.scope)
                {
                    return self.include_once(key, &here, include, &fragment).await;
                }
                self.include(&here, include, &fragment).await
            }
        }
    }

    /// Runs a fragment with its parameters; names they shadow come back after.
    async fn include(&mut self, here: &Here<'_>, include: &Include, fragment: &Fragment) -> bool {
        let mut shadowed = Vec::new();
        for (param, template) in &include.with {
            match template.render(&self.scope) {
                Ok(value) => {
                    shadowed.push((param.clone(), self.scope.take(param)));
                    self.scope.set(param, value);
                }
                Err(e) => {
                    let error = self.scope.redactor().text(&format!("with.{param}: {e}"));
                    let mut report = here.failed(error);
                    report.loc = here.step.src.loc_of(&["with", param]);
                    self.reports.push(report);
                    return false;
                }
            }
        }
        let inner_prefix = format!("{} › ", here.name);
        let passed = self
            .steps(
                &fragment.steps,
                here.phase,
                &inner_prefix,
                here.precondition,
            )
            .await;
        for (param, old) in shadowed {
            self.scope.take(&param);
            if let Some(old) = old {
                self.scope.set(&param, old);
            }
        }
        passed
    }

    /// A `once` include: the first scenario to get here runs it and keeps what it captured (or
    /// how it failed) for the run; every other scenario takes that instead of sending again.
    async fn include_once(
        &mut self,
        key: String,
        here: &Here<'_>,
        include: &Include,
        fragment: &Fragment,
    ) -> bool {
        let cell = self.shared.once_cell(key);
        let before = self.reports.len();
        let outcome = cell
            .get_or_init(|| async {
                let vars_before = self.scope.snapshot();
                let passed = self.include(here, include, fragment).await;
                let vars = self
                    .scope
                    .snapshot()
                    .into_iter()
                    .filter(|(k, v)| vars_before.get(k) != Some(v))
                    .collect();
                let failure = (!passed)
                    .then(|| {
                        self.reports[before..]
                            .iter()
                            .find(|r| r.status == StepStatus::Failed)
                            .cloned()
                    })
                    .flatten();
                super::OnceOutcome {
                    passed,
                    vars,
                    failure,
                    first: self.title.clone(),
                }
            })
            .await
            .clone();
        if self.reports.len() > before {
            // This scenario ran it.
            return outcome.passed;
        }
        let shared_from = format!("run once for the whole run, by {}", outcome.first);
        if outcome.passed {
            for (name, value) in outcome.vars {
                self.scope.set(&name, value);
            }
            let mut report = here.failed(String::new());
            // Nothing was sent for it here: it passed where it ran.
            report.status = StepStatus::Passed;
            report.error = None;
            report.notes.push(shared_from);
            self.reports.push(report);
            return true;
        }
        let mut report = match outcome.failure {
            Some(failed) => StepReport {
                phase: here.phase,
                number: here.number,
                name: failed.name.clone(),
                // Kept as it was, so that the scenarios it blocks share one cause.
                ..failed
            },
            None => here.failed("failed".into()),
        };
        report.precondition = true;
        report.traffic.clear();
        report.notes.push(format!(
            "{shared_from}; it failed there and is not sent again"
        ));
        self.reports.push(report);
        false
    }
}

/// Where a step stands in its scenario, for the reports it makes.
struct Here<'a> {
    step: &'a Step,
    phase: Phase,
    number: usize,
    name: &'a str,
    precondition: bool,
    started: Instant,
}

impl Here<'_> {
    /// A failed report of this step that sent nothing.
    fn failed(&self, error: String) -> StepReport {
        let mut report = StepReport::unsent(
            self.phase,
            self.number,
            self.name.to_string(),
            self.step.src.loc(),
            error,
        );
        report.precondition = self.precondition;
        report.duration = self.started.elapsed();
        report
    }
}

/// What identifies a `once` include within a run: the fragment's file and its parameters'
/// values. `None` when a parameter does not render (the include then runs, and says why).
fn once_key(fragment: &Fragment, include: &Include, scope: &Scope) -> Option<String> {
    let file = fragment.steps.first()?.src.loc().file;
    let mut with = serde_json::Map::new();
    for (param, template) in &include.with {
        with.insert(param.clone(), template.render(scope).ok()?);
    }
    Some(format!("{file} {}", serde_json::Value::Object(with)))
}

/// Whether a condition's value counts as "something": not `null`, `false`, `0`, `""`, `[]`
/// or `{}`.
fn truthy(value: &serde_json::Value) -> bool {
    use serde_json::Value;
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.trim().is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn conditions_are_true_for_something_and_false_for_nothing() {
        for nothing in [
            json!(null),
            json!(false),
            json!(0),
            json!(""),
            json!("  "),
            json!([]),
            json!({}),
        ] {
            assert!(!truthy(&nothing), "{nothing}");
        }
        for something in [
            json!(true),
            json!(1),
            json!("a@b.c"),
            json!([0]),
            json!({"a": 1}),
        ] {
            assert!(truthy(&something), "{something}");
        }
    }
}
