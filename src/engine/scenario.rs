//! Runs one scenario: its variables, the suite's setup, its steps, then every teardown —
//! teardowns run even when something before them failed, and their failures count.

use super::Shared;
use super::scope::Scope;
use super::step;
use crate::loader::LoadedSuite;
use crate::report::model::{Outcome, Phase, ScenarioReport, StepReport, StepStatus};
use crate::spec::{Action, SourceRef, Step, Vars};
use reqwest::cookie::Jar;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

struct Run<'a> {
    shared: &'a Shared,
    suite: &'a LoadedSuite,
    jar: Jar,
    scope: Scope,
    reports: Vec<StepReport>,
}

pub async fn run(shared: &Shared, suite: &LoadedSuite, index: usize) -> ScenarioReport {
    let scenario = &suite.suite.scenarios[index];
    let started = Instant::now();
    let mut report = ScenarioReport {
        id: scenario.id.clone(),
        name: scenario.name.clone(),
        tags: scenario.tags.clone(),
        loc: scenario.src.loc(),
        outcome: Outcome::Passed,
        steps: Vec::new(),
        duration: Default::default(),
    };
    if let Some(reason) = missing_configuration(shared, suite, index) {
        report.outcome = Outcome::Skipped(reason);
        return report;
    }
    let mut run = Run {
        shared,
        suite,
        jar: Jar::default(),
        scope: Scope::new(shared.redactor.fork(), shared.getenv.clone()),
        reports: Vec::new(),
    };
    for (name, value) in &shared.env.vars {
        run.scope.set(name, value.clone());
    }
    for (name, value) in &shared.builtins {
        run.scope.set(name, value.clone());
    }
    let root = SourceRef::new(suite.doc.clone(), String::new());
    let mut ok = run.define(&suite.suite.vars, &root.child("vars"))
        && run.define(&scenario.vars, &scenario.src.child("vars"));
    ok = ok && run.steps(&suite.suite.setup, Phase::Setup, "").await;
    ok = ok && run.steps(&scenario.steps, Phase::Main, "").await;
    let scenario_teardown = run.steps(&scenario.teardown, Phase::Teardown, "").await;
    let suite_teardown = run.steps(&suite.suite.teardown, Phase::Teardown, "").await;
    if !(ok && scenario_teardown && suite_teardown) {
        report.outcome = Outcome::Failed;
    }
    report.steps = run.reports;
    report.duration = started.elapsed();
    report
}

/// Why the scenario cannot run here, if it needs secrets or environment variables that are
/// not set. Such a scenario is skipped with the reason, never passed.
fn missing_configuration(shared: &Shared, suite: &LoadedSuite, index: usize) -> Option<String> {
    let needs = suite.requirements.get(index)?;
    let mut missing = Vec::new();
    for var in &needs.external_vars {
        if let Some(env_name) = shared.env.missing_secrets.get(var) {
            missing.push(format!("`{var}` (set {env_name})"));
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
    /// Evaluates `vars` in order; a failure becomes a failed setup step.
    fn define(&mut self, vars: &Vars, src: &SourceRef) -> bool {
        for (name, template) in vars {
            match template.render(&self.scope) {
                Ok(value) => self.scope.set(name, value),
                Err(e) => {
                    let loc = src.child(name).loc();
                    self.reports.push(StepReport {
                        phase: Phase::Setup,
                        number: 0,
                        name: format!("vars.{name}"),
                        loc,
                        status: StepStatus::Failed,
                        error: Some(self.scope.redactor().text(&e.to_string())),
                        checks: Vec::new(),
                        exchange: None,
                        attempts: 0,
                        duration: Default::default(),
                    });
                    return false;
                }
            }
        }
        true
    }

    /// Runs steps in order, stopping at the first failure. Returns whether all passed.
    fn steps<'s>(
        &'s mut self,
        steps: &'s [Step],
        phase: Phase,
        prefix: &'s str,
    ) -> Pin<Box<dyn Future<Output = bool> + Send + 's>> {
        Box::pin(async move {
            for step in steps {
                if !self.step(step, phase, prefix).await {
                    return false;
                }
            }
            true
        })
    }

    async fn step(&mut self, step: &Step, phase: Phase, prefix: &str) -> bool {
        let name = format!("{prefix}{}", step.display_name());
        let number = self.reports.iter().filter(|r| r.phase == phase).count() + 1;
        let started = Instant::now();
        match &step.action {
            Action::Http(http) => {
                let outcome = step::run(
                    self.shared,
                    self.suite,
                    http,
                    &step.src,
                    &mut self.scope,
                    &self.jar,
                )
                .await;
                let passed = outcome.status == StepStatus::Passed;
                self.reports.push(StepReport {
                    phase,
                    number,
                    name,
                    loc: step.src.loc(),
                    status: outcome.status,
                    error: outcome.error,
                    checks: outcome.checks,
                    exchange: outcome.exchange,
                    attempts: outcome.attempts,
                    duration: started.elapsed(),
                });
                passed
            }
            Action::Include(include) => {
                let Some(fragment) = include.fragment.clone() else {
                    return false;
                };
                // Parameters are variables inside the fragment; names they shadow come back after.
                let mut shadowed = Vec::new();
                for (param, template) in &include.with {
                    match template.render(&self.scope) {
                        Ok(value) => {
                            shadowed.push((param.clone(), self.scope.take(param)));
                            self.scope.set(param, value);
                        }
                        Err(e) => {
                            self.reports.push(StepReport {
                                phase,
                                number,
                                name,
                                loc: step.src.loc_of(&["with", param]),
                                status: StepStatus::Failed,
                                error: Some(
                                    self.scope.redactor().text(&format!("with.{param}: {e}")),
                                ),
                                checks: Vec::new(),
                                exchange: None,
                                attempts: 0,
                                duration: started.elapsed(),
                            });
                            return false;
                        }
                    }
                }
                let inner_prefix = format!("{name} › ");
                let passed = self.steps(&fragment.steps, phase, &inner_prefix).await;
                for (param, old) in shadowed {
                    self.scope.take(&param);
                    if let Some(old) = old {
                        self.scope.set(&param, old);
                    }
                }
                passed
            }
        }
    }
}
