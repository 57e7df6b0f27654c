//! Runs loaded suites against a target, handing each scenario's result on as it is known.
//!
//! Scenarios are independent (own variables, own cookie jar) and run concurrently up to `jobs`;
//! a `serial: true` suite runs its scenarios in order as one unit. Results are handed to the
//! caller in spec order as soon as everything before them is done, so output is deterministic
//! whatever the concurrency. Suites are loaded as their turn comes (see
//! `Project::suite`), so a run of thousands of scenarios holds only the ones in flight.

mod concurrent;
mod hooks;
pub mod http;
pub(crate) mod redirect;
pub mod request;
pub mod roles;
mod scenario;
pub mod scope;
mod step;

use crate::checks::snapshot::{SnapshotMode, Snapshots};
use crate::environment::Environment;
use crate::loader::{LoadedSuite, Project, ScenarioOutline};
use crate::outcome::{Outcome, Phase, RunInfo, ScenarioReport, StepReport, SuiteHead};
use crate::redact::Redactor;
use crate::spec::Loc;
use scope::GetEnv;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};

/// Longest body (request or response) kept in reports.
pub(crate) const SHOWN_BODY_CHARS: usize = 4000;

/// Cuts long text for display, saying how much was left out.
pub fn shorten(text: &str) -> String {
    match text.char_indices().nth(SHOWN_BODY_CHARS) {
        Some((cut, _)) => format!(
            "{}\n… ({} more bytes not shown)",
            &text[..cut],
            text.len() - cut
        ),
        None => text.to_string(),
    }
}

/// How to run: the target, concurrency, limits, and what to tell the caller along the way.
pub struct RunOptions {
    /// The backend that relative request URLs resolve against, and `{{base_url}}`; `None`:
    /// specs must give absolute URLs.
    pub base_url: Option<url::Url>,
    /// How many scenarios (or serial suites) run at once; 0 counts as 1.
    pub jobs: usize,
    /// Each request's timeout, unless its step gives one; hooks get at least 60 seconds.
    pub timeout: Duration,
    /// After the first failed scenario, start no new ones (those left are reported not run).
    pub fail_fast: bool,
    /// What snapshot checks may write.
    pub snapshot_mode: SnapshotMode,
    /// `(suite index, scenario index)` pairs to run, in order.
    pub selected: Vec<(usize, usize)>,
    /// Reads the process environment for `{{env.…}}` (replaced in tests).
    pub getenv: GetEnv,
    /// Follow redirects (within the target's origin) unless a suite or step says otherwise.
    pub follow_redirects: bool,
    /// Told of every request just before it is sent, with what redacts it (`--curl`).
    pub on_send: Option<OnSend>,
    /// How HTTPS backends are trusted.
    pub tls: http::Tls,
    /// Set from outside (Ctrl-C) to stop the run: nothing new is sent, requests in flight are
    /// abandoned, running scenarios still run their teardowns and undo their hooks.
    pub interrupt: Interrupt,
}

/// What interrupts a run: set once from outside (a signal handler), read and awaited inside.
#[derive(Clone)]
pub struct Interrupt(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Interrupt {
    fn default() -> Interrupt {
        Interrupt(Arc::new(tokio::sync::watch::Sender::new(false)))
    }
}

impl Interrupt {
    /// Interrupts the run; callable from any thread.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }

    pub(crate) fn is_set(&self) -> bool {
        *self.0.borrow()
    }

    /// Resolves once the run is interrupted (at once if it already is).
    pub async fn wait(&self) {
        let mut seen = self.0.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = seen.wait_for(|set| *set).await;
    }
}

/// A watcher of outgoing requests, told which scenario sends each one (the scenario's place in
/// its spec; `None` outside any scenario).
pub type OnSend = Arc<dyn Fn(Option<&Loc>, &http::Outgoing, &Redactor) + Send + Sync>;

tokio::task_local! {
    /// The scenario a task works for: what [`OnSend`] watchers are told a request belongs to.
    static SCENARIO: Loc;
}

/// Runs `work` as the scenario at `loc` (see [`OnSend`]).
pub(crate) async fn as_scenario<F: std::future::Future>(loc: Loc, work: F) -> F::Output {
    SCENARIO.scope(loc, work).await
}

/// The scenario the current task works for, to hand on to tasks it spawns.
pub(crate) fn current_scenario() -> Option<Loc> {
    SCENARIO.try_with(Clone::clone).ok()
}

/// What every scenario of a run shares.
pub struct Shared {
    /// The one HTTP client of the run.
    pub http: http::Http,
    /// The loaded specs; suites are loaded from it as their turn comes.
    pub project: Arc<Project>,
    /// Variables, secrets and hooks from outside the specs.
    pub env: Environment,
    /// Variables the runner provides (`base_url`).
    pub(crate) builtins: Vec<(String, Value)>,
    pub(crate) snapshots: Snapshots,
    /// The run's secrets; each scenario forks it and adds the secrets it captures.
    pub redactor: Redactor,
    /// Reads the process environment for `{{env.…}}`.
    pub getenv: GetEnv,
    /// The backend relative request URLs resolve against; `None` if none was given.
    pub base_url: Option<url::Url>,
    /// Each request's timeout, unless its step gives one.
    pub timeout: Duration,
    /// How long a hook (a shell command, a built-in call) may take.
    pub(crate) hook_timeout: Duration,
    /// Redirects are followed unless a suite or a step says otherwise.
    pub follow_redirects: bool,
    /// Held shared by every running scenario, exclusively by an `exclusive: true` one.
    alone: tokio::sync::RwLock<()>,
    /// `once` includes of this run, by fragment and parameters.
    once: std::sync::Mutex<
        std::collections::HashMap<String, Arc<tokio::sync::OnceCell<OnceOutcome>>>,
    >,
    stop: AtomicBool,
    fail_fast: bool,
    on_send: Option<OnSend>,
    interrupt: Interrupt,
}

impl Shared {
    /// Whether the run was interrupted (Ctrl-C): no new scenario or step starts, teardowns run.
    pub fn interrupted(&self) -> bool {
        self.interrupt.is_set()
    }

    /// Resolves once the run is interrupted.
    pub(crate) async fn interruption(&self) {
        self.interrupt.wait().await
    }

    /// Why a scenario is not started now, if it is not.
    fn not_starting(&self) -> Option<&'static str> {
        if self.interrupted() {
            Some("not run: the run was interrupted")
        } else if self.stop.load(Ordering::SeqCst) {
            Some("not run: --fail-fast stopped the run after a failure")
        } else {
            None
        }
    }

    /// The place of a `once` include's outcome in this run (the first to ask fills it).
    pub(crate) fn once_cell(&self, key: String) -> Arc<tokio::sync::OnceCell<OnceOutcome>> {
        self.once
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone()
    }

    /// Tells the watcher, if any, that `req` is about to leave.
    pub fn sending(&self, req: &http::Outgoing, redactor: &Redactor) {
        if let Some(watch) = &self.on_send {
            watch(current_scenario().as_ref(), req, redactor);
        }
    }
}

/// What a `once` include left for the rest of the run.
#[derive(Debug, Clone)]
pub(crate) struct OnceOutcome {
    pub passed: bool,
    /// The variables it set (its captures), with their values.
    pub vars: Vec<(String, Value)>,
    /// Its failed step, when it failed: every scenario that includes it is blocked by it.
    pub failure: Option<StepReport>,
    /// `[id] name` of the scenario that ran it.
    pub first: String,
}

/// Variables every run defines, whatever the specs say.
pub const BUILTIN_VARS: &[&str] = &["base_url"];

/// A unit of scheduling: one scenario, or a whole serial suite, as the report slots (indexes
/// into the selection) of its scenarios.
struct Unit {
    suite: usize,
    slots: std::ops::Range<usize>,
}

/// Runs the selected scenarios. Each result goes to `on_result` in spec order as soon as
/// everything before it is done; the engine keeps none, so what a caller keeps (and so the
/// run's memory) is the caller's choice (gigcheck run keeps only what its reports need).
pub async fn run(
    project: Arc<Project>,
    env: Environment,
    opts: RunOptions,
    mut on_result: impl FnMut(&SuiteHead, ScenarioReport),
) -> Result<RunInfo, String> {
    let started = Instant::now();
    let started_at = time::OffsetDateTime::now_utc();
    let redactor = Redactor::default();
    for secret in &env.secret_values {
        redactor.add(secret);
    }
    let builtins = opts
        .base_url
        .iter()
        .map(|u| {
            (
                "base_url".to_string(),
                Value::String(u.as_str().trim_end_matches('/').to_string()),
            )
        })
        .collect();
    let shared = Arc::new(Shared {
        http: http::Http::with_tls(opts.tls.clone())?,
        project: project.clone(),
        env,
        builtins,
        snapshots: Snapshots::new(opts.snapshot_mode),
        redactor,
        getenv: opts.getenv.clone(),
        base_url: opts.base_url.clone(),
        timeout: opts.timeout,
        hook_timeout: opts.timeout.max(Duration::from_secs(60)),
        follow_redirects: opts.follow_redirects,
        alone: tokio::sync::RwLock::new(()),
        once: Default::default(),
        stop: AtomicBool::new(false),
        fail_fast: opts.fail_fast,
        on_send: opts.on_send.clone(),
        interrupt: opts.interrupt.clone(),
    });

    let selected = Arc::new(opts.selected);
    let mut units: Vec<Unit> = Vec::new();
    for (slot, &(si, _)) in selected.iter().enumerate() {
        match units.last_mut() {
            Some(u) if project.suites[si].serial && u.suite == si => u.slots.end = slot + 1,
            _ => units.push(Unit {
                suite: si,
                slots: slot..slot + 1,
            }),
        }
    }
    exclusive_first(&mut units, &project, &selected);
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, ScenarioReport)>();
    let dispatcher = tokio::spawn(dispatch(
        shared.clone(),
        selected.clone(),
        units,
        opts.jobs.max(1),
        tx,
    ));

    // Results arrive in any order; they leave in slot (spec) order.
    let mut waiting: BTreeMap<usize, ScenarioReport> = BTreeMap::new();
    let mut next = 0;
    let mut head: Option<(usize, SuiteHead)> = None;
    while let Some((slot, report)) = rx.recv().await {
        waiting.insert(slot, report);
        while let Some(report) = waiting.remove(&next) {
            let si = selected[next].0;
            if head.as_ref().is_none_or(|(i, _)| *i != si) {
                let suite = &project.suites[si];
                head = Some((
                    si,
                    SuiteHead {
                        name: suite.name.clone(),
                        file: suite.file.clone(),
                    },
                ));
            }
            if let Some((_, h)) = &head {
                on_result(h, report);
            }
            next += 1;
        }
    }
    let _ = dispatcher.await;
    if next < selected.len() {
        return Err("a scenario task ended without reporting (this is a gigcheck bug)".into());
    }
    Ok(RunInfo {
        target: opts.base_url.map(|u| u.to_string()),
        duration: started.elapsed(),
        started_at: Some(started_at),
        snapshot_writes: shared.snapshots.writes(),
        stripe_url: None,
        interrupted: shared.interrupted(),
        fail_on_skip: false,
        insecure: false,
    })
}

/// Within each suite, its `exclusive` scenarios start first, in spec order, then the others.
/// An exclusive scenario waits until every running one is done; spread over a suite, each of
/// them would empty the run again, while together they wait once, at the suite's start.
/// Results still leave in spec order.
fn exclusive_first(units: &mut [Unit], project: &Project, selected: &[(usize, usize)]) {
    let exclusive = |unit: &Unit| {
        let suite = &project.suites[unit.suite];
        !suite.serial
            && unit
                .slots
                .clone()
                .any(|slot| suite.scenarios[selected[slot].1].exclusive)
    };
    for suite_units in units.chunk_by_mut(|a, b| a.suite == b.suite) {
        suite_units.sort_by_key(|unit| !exclusive(unit));
    }
}

/// Starts each unit as soon as one of `jobs` places is free, in the order given; each scenario's model
/// is had from the project just before ([`Project::scenario`]) and dropped when it is done.
async fn dispatch(
    shared: Arc<Shared>,
    selected: Arc<Vec<(usize, usize)>>,
    units: Vec<Unit>,
    jobs: usize,
    tx: mpsc::UnboundedSender<(usize, ScenarioReport)>,
) {
    let permits = Arc::new(Semaphore::new(jobs));
    let mut current: Option<(usize, Arc<LoadedSuite>)> = None;
    for unit in units {
        if current.as_ref().is_none_or(|(i, _)| *i != unit.suite) {
            current = shared.project.suite(unit.suite).map(|s| (unit.suite, s));
        }
        let Some((_, suite)) = current.clone() else {
            return;
        };
        // A lone scenario's model is had while the running ones wait for their answers, not
        // after a place frees up.
        let ready = (unit.slots.len() == 1).then(|| {
            shared
                .project
                .scenario(&suite, selected[unit.slots.start].1)
        });
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let slots = unit.slots.clone();
        if let Some(reason) = shared.not_starting() {
            let outline = &shared.project.suites[unit.suite];
            for slot in slots {
                let ci = selected[slot].1;
                let report = unrun(&outline.scenarios[ci], reason);
                if tx.send((slot, report)).is_err() {
                    return;
                }
            }
            continue;
        }
        let (tx, shared, selected) = (tx.clone(), shared.clone(), selected.clone());
        tokio::spawn(async move {
            let _permit = permit;
            let mut ready = ready;
            for slot in slots {
                let ci = selected[slot].1;
                let outline = &shared.project.suites[unit.suite].scenarios[ci];
                let report = if let Some(reason) = shared.not_starting() {
                    unrun(outline, reason)
                } else {
                    let model = ready
                        .take()
                        .unwrap_or_else(|| shared.project.scenario(&suite, ci));
                    match model {
                        Err(message) => {
                            let mut report = unrun(outline, "");
                            report.outcome = Outcome::Blocked;
                            report.steps.push(cannot_run(outline, &message));
                            report
                        }
                        Ok(scenario) if scenario.exclusive => {
                            let _alone = shared.alone.write().await;
                            scenario::run(&shared, &suite, &scenario, ci).await
                        }
                        Ok(scenario) => {
                            let _shared = shared.alone.read().await;
                            scenario::run(&shared, &suite, &scenario, ci).await
                        }
                    }
                };
                if report.outcome.is_failure() && shared.fail_fast {
                    shared.stop.store(true, Ordering::SeqCst);
                }
                if tx.send((slot, report)).is_err() {
                    return;
                }
            }
        });
    }
}

/// A scenario that did not run, and why.
fn unrun(scenario: &ScenarioOutline, reason: &str) -> ScenarioReport {
    ScenarioReport {
        id: scenario.id.clone(),
        name: scenario.name.clone(),
        tags: scenario.tags.clone(),
        loc: scenario.loc.clone(),
        outcome: Outcome::Skipped(reason.to_string()),
        steps: Vec::new(),
        duration: Duration::ZERO,
        started_at: None,
        rules: crate::outcome::RuleNames {
            scenario: scenario.verifies.clone(),
            steps: scenario.step_rules.clone(),
        },
    }
}

/// The failed step of a scenario whose model could not be had.
fn cannot_run(scenario: &ScenarioOutline, message: &str) -> StepReport {
    StepReport::unsent(
        Phase::Setup,
        1,
        "load the spec file".into(),
        scenario.loc.clone(),
        message.to_string(),
    )
}
