//! Runs loaded suites against a target and produces the [`RunReport`].
//!
//! Scenarios are independent (own variables, own cookie jar) and run concurrently up to `jobs`;
//! a `serial: true` suite runs its scenarios in order as one unit. Results are handed to the
//! caller in spec order as soon as everything before them is done, so output is deterministic
//! whatever the concurrency.

pub mod concurrent;
pub mod hooks;
pub mod http;
pub mod request;
pub mod scenario;
pub mod scope;
pub mod step;
pub mod webhook;

use crate::checks::snapshot::{SnapshotMode, Snapshots};
use crate::environment::Environment;
use crate::loader::Project;
use crate::redact::Redactor;
use crate::report::model::{Outcome, RunReport, ScenarioReport, SuiteReport};
use scope::GetEnv;
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::{Semaphore, mpsc};

/// Longest body (request or response) kept in reports.
pub const SHOWN_BODY_CHARS: usize = 4000;

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

pub struct RunOptions {
    pub base_url: Option<url::Url>,
    pub jobs: usize,
    pub timeout: Duration,
    pub fail_fast: bool,
    pub snapshot_mode: SnapshotMode,
    /// `(suite index, scenario index)` pairs to run, in order.
    pub selected: Vec<(usize, usize)>,
    pub getenv: GetEnv,
    /// Told of every request just before it is sent, with what redacts it (`--curl`).
    pub on_send: Option<OnSend>,
}

/// A watcher of outgoing requests.
pub type OnSend = Arc<dyn Fn(&http::Outgoing, &Redactor) + Send + Sync>;

/// What every scenario of a run shares.
pub struct Shared {
    pub http: http::Http,
    pub project: Arc<Project>,
    pub env: Environment,
    /// Variables the runner provides (`base_url`).
    pub builtins: Vec<(String, Value)>,
    pub snapshots: Snapshots,
    pub redactor: Redactor,
    pub getenv: GetEnv,
    pub base_url: Option<url::Url>,
    pub timeout: Duration,
    /// How long a hook (a shell command, a built-in call) may take.
    pub hook_timeout: Duration,
    /// Held shared by every running scenario, exclusively by an `exclusive: true` one.
    alone: tokio::sync::RwLock<()>,
    stop: AtomicBool,
    fail_fast: bool,
    on_send: Option<OnSend>,
}

impl Shared {
    /// Tells the watcher, if any, that `req` is about to leave.
    pub fn sending(&self, req: &http::Outgoing, redactor: &Redactor) {
        if let Some(watch) = &self.on_send {
            watch(req, redactor);
        }
    }
}

/// Variables every run defines, whatever the specs say.
pub const BUILTIN_VARS: &[&str] = &["base_url"];

/// A unit of scheduling: one scenario, or a whole serial suite.
struct Unit {
    suite: usize,
    scenarios: Vec<usize>,
}

pub async fn run(
    project: Arc<Project>,
    env: Environment,
    opts: RunOptions,
    mut on_result: impl FnMut(&SuiteReport, &ScenarioReport),
) -> Result<RunReport, String> {
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
        http: http::Http::new()?,
        project: project.clone(),
        env,
        builtins,
        snapshots: Snapshots::new(opts.snapshot_mode),
        redactor,
        getenv: opts.getenv.clone(),
        base_url: opts.base_url.clone(),
        timeout: opts.timeout,
        hook_timeout: opts.timeout.max(Duration::from_secs(60)),
        alone: tokio::sync::RwLock::new(()),
        stop: AtomicBool::new(false),
        fail_fast: opts.fail_fast,
        on_send: opts.on_send.clone(),
    });

    // Slots in report order; `position` maps (suite, scenario) to its slot.
    let mut suites: Vec<SuiteReport> = Vec::new();
    let mut position = std::collections::HashMap::new();
    let mut order = Vec::new();
    let mut units: Vec<Unit> = Vec::new();
    for &(si, ci) in &opts.selected {
        let loaded = &project.suites[si];
        if suites
            .last()
            .is_none_or(|s: &SuiteReport| s.file != loaded.doc.display)
        {
            suites.push(SuiteReport {
                name: loaded.name.clone(),
                file: loaded.doc.display.clone(),
                scenarios: Vec::new(),
            });
        }
        position.insert((si, ci), order.len());
        order.push((suites.len() - 1, si));
        match units.last_mut() {
            Some(u) if loaded.suite.serial && u.suite == si => u.scenarios.push(ci),
            _ => units.push(Unit {
                suite: si,
                scenarios: vec![ci],
            }),
        }
    }

    let (tx, mut rx) = mpsc::unbounded_channel::<((usize, usize), ScenarioReport)>();
    let permits = Arc::new(Semaphore::new(opts.jobs.max(1)));
    for unit in units {
        let tx = tx.clone();
        let shared = shared.clone();
        let permits = permits.clone();
        tokio::spawn(async move {
            let Ok(_permit) = permits.acquire_owned().await else {
                return;
            };
            for ci in unit.scenarios {
                let suite = &shared.project.suites[unit.suite];
                let report = if shared.stop.load(Ordering::SeqCst) {
                    not_run(suite, ci)
                } else if suite.suite.scenarios[ci].exclusive {
                    let _alone = shared.alone.write().await;
                    scenario::run(&shared, suite, ci).await
                } else {
                    let _shared = shared.alone.read().await;
                    scenario::run(&shared, suite, ci).await
                };
                if report.outcome == Outcome::Failed && shared.fail_fast {
                    shared.stop.store(true, Ordering::SeqCst);
                }
                if tx.send(((unit.suite, ci), report)).is_err() {
                    return;
                }
            }
        });
    }
    drop(tx);

    let mut slots: Vec<Option<ScenarioReport>> = vec![None; order.len()];
    let mut next = 0;
    while let Some((key, report)) = rx.recv().await {
        if let Some(&slot) = position.get(&key) {
            slots[slot] = Some(report);
        }
        while next < slots.len() {
            let Some(report) = slots[next].take() else {
                break;
            };
            let suite = &mut suites[order[next].0];
            on_result(suite, &report);
            suite.scenarios.push(report);
            next += 1;
        }
    }
    if next < order.len() {
        return Err("a scenario task ended without reporting (this is a gigcheck bug)".into());
    }
    Ok(RunReport {
        suites,
        target: opts.base_url.map(|u| u.to_string()),
        duration: started.elapsed(),
        started_at: Some(started_at),
        snapshot_writes: shared.snapshots.writes(),
        stripe_url: None,
        interrupted: false,
    })
}

fn not_run(suite: &crate::loader::LoadedSuite, index: usize) -> ScenarioReport {
    let scenario = &suite.suite.scenarios[index];
    ScenarioReport {
        id: scenario.id.clone(),
        name: scenario.name.clone(),
        tags: scenario.tags.clone(),
        loc: scenario.src.loc(),
        outcome: Outcome::Skipped("not run: --fail-fast stopped the run after a failure".into()),
        steps: Vec::new(),
        duration: Duration::ZERO,
    }
}
