//! `gigcheck run`: load, select, pick the target (an external backend, or the embedded sandbox
//! and Stripe emulator), run, report.
//!
//! The middle of it — start the target, run the scenarios, stop what was started — is
//! [`execute`], which prints nothing, so that other commands (`gigcheck mutants`) run suites
//! the same way; what a caller wants to hear along the way comes through [`Progress`].

use crate::cli::{Exit, RunArgs};
use crate::commands::curl;
use crate::embedded::{self, Embedded};
use gigcheck_base::text::count;
use gigcheck_core::checks::snapshot::SnapshotMode;
use gigcheck_core::contract::Contract;
use gigcheck_core::engine::{self, RunOptions};
use gigcheck_core::environment::Environment;
use gigcheck_core::loader::Project;
use gigcheck_core::outcome::{RunInfo, RunReport, ScenarioReport, SuiteHead, Verdict};
use gigcheck_core::readiness::{self, Readiness};
use gigcheck_core::report::causes;
use gigcheck_core::report::collect::Collector;
use gigcheck_core::report::coverage::{ContractTally, Coverage, Plan};
use gigcheck_core::report::live::{self, Live};
use gigcheck_core::report::rules::RuleTally;
use gigcheck_core::report::{self, terminal::Terminal, text::Palette};
use gigcheck_core::report::{ReportKind, ReportTarget};
use gigcheck_core::spec::Loc;
use gigcheck_servers::sandbox::{Defect, Defects, Variation, Variations};
use gigcheck_servers::{Running, bind, stripe};
use std::sync::Arc;
use std::time::Duration;

/// What a run talks to.
#[derive(Debug, Clone)]
pub enum Target {
    /// A backend that is already running, and, if a port is given, the Stripe emulator started
    /// on it for that backend.
    External {
        base: url::Url,
        stripe_emulator: Option<u16>,
    },
    /// The embedded sandbox and Stripe emulator, started for the run, with these defects and
    /// variations on.
    Embedded {
        defects: Vec<Defect>,
        variations: Vec<Variation>,
    },
}

/// How a run goes, besides where.
#[derive(Clone)]
pub struct Settings {
    /// Scenarios at once.
    pub jobs: usize,
    pub timeout: Duration,
    pub fail_fast: bool,
    /// Follow same-origin redirects unless a suite or step says otherwise.
    pub follow_redirects: bool,
    pub snapshot_mode: SnapshotMode,
    /// `(suite index, scenario index)` pairs to run, in order.
    pub selected: Vec<(usize, usize)>,
    /// Told of every request before it is sent.
    pub on_send: Option<engine::OnSend>,
    /// Set to stop the run early (Ctrl-C).
    pub interrupt: engine::Interrupt,
    /// How HTTPS backends are trusted.
    pub tls: gigcheck_core::engine::http::Tls,
}

/// Why a run produced no report, and the exit code that says so.
#[derive(Debug, Clone)]
pub struct RunError {
    pub message: String,
    pub exit: Exit,
}

impl RunError {
    pub(super) fn new(message: impl Into<String>, exit: Exit) -> RunError {
        RunError {
            message: message.into(),
            exit,
        }
    }
}

/// What a caller hears while a run goes: the results go nowhere else.
pub trait Progress {
    /// The target is up at `base_url`; `what` names it for people.
    fn started(&mut self, _what: &str, _base_url: &url::Url) {}
    /// What an external target has and lacks, checked before the first scenario.
    fn ready(&mut self, _target: &str, _readiness: &Readiness) {}
    /// A scenario finished (called in spec order).
    fn scenario(&mut self, suite: &SuiteHead, scenario: ScenarioReport);
}

/// Results kept as they come, and nothing said.
impl Progress for Collector {
    fn scenario(&mut self, suite: &SuiteHead, scenario: ScenarioReport) {
        self.add(suite, scenario);
    }
}

/// Servers this run started, stopped when it ends.
#[derive(Default)]
pub(super) struct Started {
    embedded: Option<Embedded>,
    emulator: Option<Running>,
}

impl Started {
    pub(super) async fn stop(self) {
        if let Some(e) = self.embedded {
            e.stop().await;
        }
        if let Some(r) = self.emulator {
            r.stop().await;
        }
    }
}

/// Runs the selected scenarios of a loaded project against `target`: starts what the target
/// needs (filling `env` with what it provides), runs, stops what it started. Prints nothing;
/// the results go to `progress`.
pub async fn execute(
    project: Arc<Project>,
    mut env: Environment,
    target: Target,
    settings: Settings,
    progress: &mut impl Progress,
) -> Result<RunInfo, RunError> {
    let external = matches!(target, Target::External { .. });
    // One client for what is asked of the target before the run (its catalogue, readiness).
    let http = gigcheck_core::engine::http::Http::with_tls(settings.tls.clone())
        .map_err(|e| RunError::new(e, Exit::Usage))?;
    let (base_url, started, what) = start(target, &mut env, &http, settings.timeout).await?;
    find_roles(&project, &mut env, &http, &base_url, settings.timeout).await;
    progress.started(&what, &base_url);
    // Readiness speaks of the contract's target (its routes, accounts, Stripe): only for a
    // project that has the contract's route list.
    let routes = contract_routes(project.contract.as_deref());
    if external && !routes.is_empty() {
        let ready = readiness::quick(&readiness::Target {
            http: &http,
            base: &base_url,
            env: &env,
            routes: &routes,
            timeout: settings.timeout,
        })
        .await;
        progress.ready(base_url.as_str(), &ready);
    }
    let stripe_url = env
        .vars
        .get("stripe_url")
        .and_then(|v| v.as_str())
        .map(str::to_string);
    let opts = RunOptions {
        base_url: Some(base_url),
        jobs: settings.jobs,
        timeout: settings.timeout,
        fail_fast: settings.fail_fast,
        follow_redirects: settings.follow_redirects,
        snapshot_mode: settings.snapshot_mode,
        selected: settings.selected,
        getenv: Arc::new(|name| std::env::var(name).ok()),
        on_send: settings.on_send,
        interrupt: settings.interrupt,
        tls: settings.tls,
    };
    let report = engine::run(project, env, opts, |suite, scenario| {
        progress.scenario(suite, scenario)
    })
    .await;
    started.stop().await;
    report
        .map(|info| RunInfo { stripe_url, ..info })
        .map_err(|message| RunError::new(message, Exit::Failed))
}

/// Gives every catalogue role (`fixtures/roles.yaml`) not set from outside a product of the
/// target's catalogue; a role nothing matches, or a catalogue that cannot be read, leaves the
/// role unset with the reason, so the scenarios that need it are skipped saying why.
async fn find_roles(
    project: &Project,
    env: &mut Environment,
    http: &gigcheck_core::engine::http::Http,
    base: &url::Url,
    timeout: Duration,
) {
    let Some(roles) = &project.roles else {
        return;
    };
    let resolved = gigcheck_core::engine::roles::resolve(roles, http, base, timeout, |name| {
        env.vars.contains_key(name)
    })
    .await;
    match resolved {
        Ok(resolved) => {
            for (role, id) in resolved.found {
                env.missing.shift_remove(&role);
                env.vars.insert(role, id);
            }
            for (role, why) in resolved.unmatched {
                env.missing
                    .insert(role.clone(), format!("--var {role}=<product id>: {why}"));
            }
        }
        Err(why) => {
            for role in roles.names().filter(|r| !env.vars.contains_key(*r)) {
                env.missing.insert(
                    role.to_string(),
                    format!("--var {role}=<product id>: {why}"),
                );
            }
        }
    }
}

/// Prints the banner and each scenario's line as the run goes, under a live progress line at
/// a terminal, and hands each result to the collector.
struct Printer {
    term: Terminal,
    /// `--curl`: each scenario's requests as curl commands, printed under its line.
    curls: Option<Curls>,
    palette: Palette,
    live: Arc<Live>,
    total: usize,
    jobs: usize,
    collector: Collector,
    /// The contract's route list, counted against the target once it is known.
    contract: Option<Arc<Contract>>,
}

impl Progress for Printer {
    fn started(&mut self, what: &str, base_url: &url::Url) {
        if let Some(contract) = self.contract.take() {
            self.collector
                .cover(ContractTally::new(contract, base_url.as_str()));
        }
        self.live.print(&format!(
            "{} {} against {what} with {}\n",
            self.palette.bold("gigcheck"),
            count(self.total, "scenario"),
            count(self.jobs, "job")
        ));
    }

    fn ready(&mut self, target: &str, readiness: &Readiness) {
        self.live.print(&self.term.readiness(target, readiness));
    }

    fn scenario(&mut self, suite: &SuiteHead, scenario: ScenarioReport) {
        let mut text = self.term.scenario(suite, &scenario);
        if let Some(curls) = &self.curls {
            for line in curls.take(&scenario.loc) {
                text.push_str(&format!("      {}\n", self.palette.dim(&line)));
            }
        }
        self.live.print(&text);
        self.live.advance(scenario.outcome.is_failure());
        self.collector.add(suite, scenario);
    }
}

/// `--curl`: each request as a curl command, kept by scenario until the scenario's line is
/// printed (scenarios run in parallel: printed as they leave, they would interleave).
#[derive(Clone, Default)]
struct Curls(Arc<std::sync::Mutex<std::collections::HashMap<Loc, Vec<String>>>>);

impl Curls {
    /// The watcher that keeps them; a request outside any scenario is printed at once.
    fn watcher(&self, live: Arc<Live>, palette: Palette, show_secrets: bool) -> engine::OnSend {
        let kept = self.clone();
        Arc::new(move |scenario, req, redactor| {
            let line = curl::command(req, (!show_secrets).then_some(redactor));
            match scenario {
                Some(loc) => kept.lock().entry(loc.clone()).or_default().push(line),
                None => live.print(&format!("{}\n", palette.dim(&line))),
            }
        })
    }

    fn take(&self, scenario: &Loc) -> Vec<String> {
        self.lock().remove(scenario).unwrap_or_default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<Loc, Vec<String>>> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The number of scenarios at once when `--jobs` is not given. A scenario spends nearly all its
/// time waiting for the backend, so more scenarios than cores keep both sides busy: on 2 cores,
/// 2 000 requests took 0.6× the time with 8 at once as with 2.
pub const DEFAULT_JOBS: usize = 8;

/// The available parallelism: how many embedded sandboxes `mutants` runs at once (each is busy
/// on the CPU), and explore's requests at once.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get())
}

/// A multi-threaded runtime, or the message to print.
pub fn runtime() -> Result<tokio::runtime::Runtime, Exit> {
    built(tokio::runtime::Builder::new_multi_thread().enable_all())
}

/// The runtime a run needs: one thread when gigcheck only sends requests (waking another
/// thread for every answer cost a fifth of the CPU, with no gain in wall time), all cores
/// when a server runs in this process too (the embedded default, `--stripe-emulator`).
fn runtime_for(target: &Target) -> Result<tokio::runtime::Runtime, Exit> {
    match target {
        Target::External {
            stripe_emulator: None,
            ..
        } => built(tokio::runtime::Builder::new_current_thread().enable_all()),
        _ => runtime(),
    }
}

fn built(builder: &mut tokio::runtime::Builder) -> Result<tokio::runtime::Runtime, Exit> {
    builder.build().map_err(|e| {
        errln!("error: cannot start the async runtime: {e}");
        Exit::Usage
    })
}

pub fn run(args: RunArgs, color: bool) -> Exit {
    let (env, project, selected) = match super::load_runnable(&args.specs, &args.select) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    let target = match target_of(&args, &env) {
        Ok(target) => target,
        Err(message) => {
            errln!("error: {message}");
            return Exit::Usage;
        }
    };
    let tls = match args.tls.load() {
        Ok(tls) => tls,
        Err(message) => {
            errln!("error: {message}");
            return Exit::Usage;
        }
    };
    if tls.insecure {
        errln!("warning: {}", gigcheck_core::outcome::INSECURE);
    }
    let jobs = args.jobs.map_or(DEFAULT_JOBS, usize::from);
    let timeout = Duration::from_secs_f64(args.timeout);
    let runtime = match runtime_for(&target) {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let palette = Palette { color };
    let snapshot_mode = if args.ci {
        SnapshotMode::Ci
    } else if args.update_snapshots {
        SnapshotMode::Update
    } else {
        SnapshotMode::Normal
    };
    let live = Arc::new(Live::new(selected.len(), live::wanted()));
    let curls = args.curl.then(Curls::default);
    let on_send = curls
        .as_ref()
        .map(|c| c.watcher(live.clone(), palette, args.show_secrets));
    // The default JUnit report goes under the project, wherever gigcheck was started from.
    let junit = if args.junit == std::path::Path::new(crate::cli::DEFAULT_JUNIT) {
        super::in_project(&args.specs, &args.junit)
    } else {
        args.junit.clone()
    };
    let mut targets = vec![ReportTarget {
        kind: ReportKind::Junit,
        path: junit,
    }];
    targets.extend(args.reports.iter().cloned());
    if let Err(exit) = super::check_outputs(targets.iter().map(|t| t.path.as_path())) {
        return exit;
    }
    let junit_paths: Vec<_> = targets
        .iter()
        .filter(|t| t.kind == ReportKind::Junit)
        .map(|t| t.path.clone())
        .collect();
    // JUnit is written as suites finish; the other formats show every scenario, so they are
    // the only reason to keep the passed ones.
    let keep_passed = targets.iter().any(|t| t.kind != ReportKind::Junit);
    let started_at = time::OffsetDateTime::now_utc();
    let mut collector = Collector::new(keep_passed, &junit_paths, Some(started_at));
    if let Some(contract) = project.contract.as_ref().filter(|c| !c.rules.is_empty()) {
        collector.cover_rules(RuleTally::new(contract.clone(), project.named_rules()));
    }
    let mut printer = Printer {
        term: Terminal::new(palette, args.verbose),
        curls,
        palette,
        live: live.clone(),
        total: selected.len(),
        jobs,
        collector,
        contract: project.contract.clone(),
    };
    let plan = load_plan(&project.fixtures_dir);
    let interrupt = engine::Interrupt::default();
    let settings = Settings {
        jobs,
        timeout,
        fail_fast: args.fail_fast,
        follow_redirects: !args.no_follow_redirects,
        snapshot_mode,
        selected,
        on_send,
        interrupt: interrupt.clone(),
        tls,
    };
    if matches!(target, Target::Embedded { .. }) {
        // The embedded sandbox's notes ("webhook for an unknown order ignored") would interleave
        // with the results; the run's own report says what matters.
        gigcheck_servers::sandbox::notes::silence_notes();
    }
    runtime.spawn(stop_on_signal(interrupt, live.clone(), palette));
    let result = runtime.block_on(execute(
        Arc::new(project),
        env,
        target,
        settings,
        &mut printer,
    ));
    live.finish();
    let info = match result {
        Ok(info) => info,
        Err(e) => {
            errln!("error: {}", e.message);
            return e.exit;
        }
    };
    let term = printer.term;
    let done = printer.collector.finish(RunInfo {
        fail_on_skip: args.fail_on_skip,
        insecure: args.tls.insecure,
        ..info
    });
    let causes = causes::group(&done.report);
    out!("{}", term.failures(&causes));
    let coverage = Coverage {
        plan: done.tally.plan.cases(plan.as_ref()),
        contract: done.tally.contract.as_ref().map(ContractTally::coverage),
        rules: done.rules,
    };
    let written = write_reports(&targets, done.junit, &done.report, &coverage);
    // The run's totals, not the report's own: a run reported only as JUnit keeps no passed
    // scenario. A report that could not be written fails a run that passed.
    let verdict = match done
        .tally
        .totals
        .verdict(done.report.run.interrupted, args.fail_on_skip)
    {
        Verdict::Passed if written.iter().any(Result::is_err) => Verdict::Failed,
        verdict => verdict,
    };
    out!("{}", term.coverage(&coverage));
    out!("{}", term.slowest(&done.tally.slowest));
    out!("{}", term.redirects(&done.tally.redirects));
    out!("{}", term.causes(&causes));
    out!(
        "{}",
        term.summary(&done.report, done.tally.totals, verdict, &written)
    );
    match verdict {
        Verdict::Passed => Exit::Passed,
        Verdict::Interrupted => Exit::Interrupted,
        Verdict::Failed | Verdict::NothingRan => Exit::Failed,
    }
}

/// What `run` talks to, from its flags and the environment file.
fn target_of(args: &RunArgs, env: &Environment) -> Result<Target, String> {
    let base = env.target(args.base_url.as_deref())?;
    if base.is_none() && args.stripe_emulator.is_some() {
        return Err(
            "--stripe-emulator is for an external backend: pass --base-url too (the embedded default has its own emulator)".into(),
        );
    }
    target(
        base,
        &args.sandbox_defects,
        &args.sandbox_variations,
        args.stripe_emulator,
    )
}

/// The backend at `base`, else the embedded one with these defects and variations; asking for
/// defects or variations of a backend that is not the embedded one is an error.
pub(super) fn target(
    base: Option<url::Url>,
    defects: &[Defect],
    variations: &[Variations],
    stripe_emulator: Option<u16>,
) -> Result<Target, String> {
    match base {
        Some(base) if !defects.is_empty() => Err(format!(
            "--sandbox-defect is for the embedded sandbox, but this targets {base} (the --env file's base_url)"
        )),
        Some(base) if !variations.is_empty() => Err(format!(
            "--sandbox-variation is for the embedded sandbox, but this targets {base} (the --env file's base_url)"
        )),
        Some(base) => Ok(Target::External {
            base,
            stripe_emulator,
        }),
        None => Ok(Target::Embedded {
            defects: defects.to_vec(),
            variations: variations
                .iter()
                .copied()
                .collect::<Variations>()
                .iter()
                .collect(),
        }),
    }
}

/// Writes every report but the JUnit ones (already written as the run went), and says each
/// one's fate in `targets` order: where it went, or why it could not be written (printed too).
fn write_reports(
    targets: &[ReportTarget],
    junit: Vec<(std::path::PathBuf, Result<(), String>)>,
    report: &RunReport,
    coverage: &Coverage,
) -> Vec<Result<String, String>> {
    let mut junit = junit.into_iter();
    targets
        .iter()
        .map(|target| {
            let result = match target.kind {
                ReportKind::Junit => junit.next().map_or(
                    Err("the JUnit report was lost (this is a gigcheck bug)".into()),
                    |(_, r)| r,
                ),
                kind => report::render(kind, report, coverage)
                    .and_then(|bytes| report::write(&target.path, &bytes)),
            };
            result
                .map(|()| target.path.display().to_string())
                .inspect_err(|message| errln!("error: {message}"))
        })
        .collect()
}

/// On Ctrl-C (SIGINT) or SIGTERM (how CI cancels a job): sets `interrupt`, so the run starts
/// nothing new, abandons requests in flight (a CI runner sends SIGKILL after a grace period, so
/// waiting out a slow answer could cost the reports), lets running scenarios tear down, and
/// writes what it has. A second signal quits
/// at once (reports are written atomically, so none is left half-written).
async fn stop_on_signal(interrupt: engine::Interrupt, live: Arc<Live>, palette: Palette) {
    let mut signals = Signals::new();
    if !signals.next().await {
        return;
    }
    interrupt.trigger();
    live.print(&format!(
        "\n{} starting nothing new and abandoning requests in flight; running scenarios tear down, then the reports are written (again to quit at once)\n",
        palette.bold("interrupted:")
    ));
    if signals.next().await {
        live.finish();
        errln!("interrupted again: quitting without reports");
        std::process::exit(Exit::Interrupted as i32);
    }
}

/// SIGINT and SIGTERM as one stream.
struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Signals {
        Signals {
            #[cfg(unix)]
            term: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        }
    }

    /// Waits for the next signal; false when signals cannot be listened to.
    async fn next(&mut self) -> bool {
        #[cfg(unix)]
        if let Some(term) = &mut self.term {
            return tokio::select! {
                r = tokio::signal::ctrl_c() => r.is_ok(),
                r = term.recv() => r.is_some(),
            };
        }
        tokio::signal::ctrl_c().await.is_ok()
    }
}

/// The contract's routes (`METHOD /path`), for the readiness check.
pub fn contract_routes(contract: Option<&Contract>) -> Vec<String> {
    contract
        .map(|c| c.routes.keys().cloned().collect())
        .unwrap_or_default()
}

/// The plan's cases and titles (`fixtures/plan.yaml`), if the project has them.
fn load_plan(fixtures: &std::path::Path) -> Option<Plan> {
    load_fixture(
        fixtures,
        "plan.yaml",
        Plan::load,
        "plan coverage goes on without titles",
    )
}

/// An optional file of `fixtures/`: absent is fine, broken is a warning (the run goes on).
fn load_fixture<T>(
    fixtures: &std::path::Path,
    name: &str,
    load: impl FnOnce(&std::path::Path) -> Result<T, String>,
    without: &str,
) -> Option<T> {
    let path = fixtures.join(name);
    if !path.is_file() {
        return None;
    }
    load(&path)
        .inspect_err(|message| errln!("warning: {message}; {without}"))
        .ok()
}

/// Starts what `target` needs. Returns the base URL, what was started, and how to name the
/// target in the banner.
pub(super) async fn start(
    target: Target,
    env: &mut Environment,
    http: &gigcheck_core::engine::http::Http,
    timeout: Duration,
) -> Result<(url::Url, Started, String), RunError> {
    let mut started = Started::default();
    let (base, emulator_port) = match target {
        Target::Embedded {
            defects,
            variations,
        } => {
            let servers = Embedded::start_with(&defects, &variations)
                .await
                .map_err(|e| {
                    RunError::new(
                        format!("cannot start the embedded sandbox: {e}"),
                        Exit::Usage,
                    )
                })?;
            servers.provide(env);
            let url = url::Url::parse(&servers.sandbox.url)
                .map_err(|e| RunError::new(e.to_string(), Exit::Usage))?;
            let mut what = format!("the embedded sandbox ({})", servers.sandbox.url);
            let defects: Defects = defects.into_iter().collect();
            if !defects.is_empty() {
                what.push_str(&format!(" with defects: {defects}"));
            }
            let variations: Variations = variations.into_iter().collect();
            if !variations.is_empty() {
                let joint = if defects.is_empty() { "with" } else { "and" };
                what.push_str(&format!(" {joint} variations: {variations}"));
            }
            started.embedded = Some(servers);
            return Ok((url, started, what));
        }
        Target::External {
            base,
            stripe_emulator,
        } => (base, stripe_emulator),
    };
    engine::http::probe(http, &base, timeout.min(Duration::from_secs(5)))
        .await
        .map_err(|message| RunError::new(message, Exit::Unreachable))?;
    if let Some(port) = emulator_port {
        let listener = bind(port)
            .await
            .map_err(|e| RunError::new(e, Exit::Usage))?;
        let secret = match env.vars.get("webhook_secret").and_then(|v| v.as_str()) {
            Some(s) => s.to_string(),
            None => {
                let s = embedded::generate_secret("whsec_");
                errln!(
                    "note: no GIGCHECK_WEBHOOK_SECRET set; the emulator signs with {s} (configure the backend with it)"
                );
                env.set_secret("webhook_secret", s.clone());
                s
            }
        };
        let config = stripe::StripeConfig {
            webhook_url: Some(format!(
                "{}{}",
                base.as_str().trim_end_matches('/'),
                embedded::WEBHOOK_PATH
            )),
            webhook_secret: secret,
            ..stripe::StripeConfig::default()
        };
        let running = Running::spawn(listener, stripe::router(config))
            .map_err(|e| RunError::new(e, Exit::Usage))?;
        env.vars.insert(
            "stripe_url".into(),
            serde_json::Value::String(running.url.clone()),
        );
        env.missing.shift_remove("stripe_url");
        started.emulator = Some(running);
    }
    Ok((base.clone(), started, base.to_string()))
}
