//! What a run found: a run → suites → scenarios → steps → checks. The engine and the checks
//! write it; every report format only reads it.
//!
//! Everything here is already redacted; reporters never see a secret.

use crate::spec::Loc;
use gigcheck_base::text::plural;
use std::time::Duration;

/// Everything a run found, spec file by spec file: what every report renders. A run that keeps
/// only what the terminal needs holds just its failed and blocked scenarios.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// What is known of the run besides its scenarios' results.
    pub run: RunInfo,
    /// Each spec file's results, in spec order.
    pub suites: Vec<SuiteReport>,
}

/// What is known of a run besides its scenarios' results.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// The backend's base URL the run checked; `None` when it had none.
    pub target: Option<String>,
    /// Wall-clock time the whole run took.
    pub duration: Duration,
    /// When the run started, in UTC; `None` when not known.
    pub started_at: Option<time::OffsetDateTime>,
    /// Snapshot files created, updated, or written as `.snap.new`.
    pub snapshot_writes: Vec<SnapshotWrite>,
    /// Base URL of the Stripe API the run used (the emulator), when it had one: sequence
    /// diagrams draw requests to it as their own lane.
    pub stripe_url: Option<String>,
    /// The run stopped early (Ctrl-C): scenarios after that point are missing or not run.
    pub interrupted: bool,
    /// A skipped scenario fails the run (`--fail-on-skip`).
    pub fail_on_skip: bool,
    /// TLS certificates were not checked (`--insecure`).
    pub insecure: bool,
}

/// What every report says of a run made with `--insecure`.
pub const INSECURE: &str = "--insecure: the backend's TLS certificate was not checked, so anyone could have been answering";

impl RunReport {
    /// A report from what is known of the run and its suites' results.
    pub fn new(run: RunInfo, suites: Vec<SuiteReport>) -> RunReport {
        RunReport { run, suites }
    }
}

/// A snapshot file the run wrote, as the reports list it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotWrite {
    /// The file, relative to the current directory when under it; for a pending write, the
    /// `.snap.new` file.
    pub path: String,
    /// Whether it was created, updated, or left for review.
    pub kind: SnapshotWriteKind,
}

/// What the run did to a snapshot file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotWriteKind {
    /// No snapshot existed: the response became the new one.
    Created,
    /// A differing snapshot was replaced by the response (`--update-snapshots`).
    Updated,
    /// A mismatch, written beside the accepted snapshot for review.
    Pending,
}

/// The suite a scenario's result belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuiteHead {
    /// The suite's name: the spec's `name:`, or the file name without its extension.
    pub name: String,
    /// The spec file as shown to people.
    pub file: String,
}

/// One spec file's results.
#[derive(Debug, Clone, Default)]
pub struct SuiteReport {
    /// The suite's name: the spec's `name:`, or the file name without its extension.
    pub name: String,
    /// The spec file as shown to people.
    pub file: String,
    /// Its scenarios' results, in spec order (only the failed and blocked ones when the run kept no
    /// others).
    pub scenarios: Vec<ScenarioReport>,
}

/// How a scenario ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It ran to the end and nothing failed.
    Passed,
    /// The scenario's own checks ran and one did not hold.
    Failed,
    /// Something before its own checks failed (setup, an included fragment, a precondition
    /// step, a hook), so its case was never tested.
    Blocked,
    /// It did not run, for this reason (e.g. `not configured: needs environment variable …`), or
    /// it was interrupted with nothing failed.
    Skipped(String),
}

impl Outcome {
    /// Failed or blocked: what makes a run fail.
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed | Outcome::Blocked)
    }

    /// `passed`, `failed`, `blocked` or `skipped`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "failed",
            Outcome::Blocked => "blocked",
            Outcome::Skipped(_) => "skipped",
        }
    }
}

/// One scenario's result: how it ended and what each of its steps did.
#[derive(Debug, Clone)]
pub struct ScenarioReport {
    /// The plan's test case id (`4.2`), when the scenario has one.
    pub id: Option<String>,
    /// What the scenario checks, as the spec names it.
    pub name: String,
    /// The scenario's own tags (not its suite's).
    pub tags: Vec<String>,
    /// Where the scenario is written in its spec file.
    pub loc: Loc,
    /// How it ended.
    pub outcome: Outcome,
    /// Each step it ran, in order: setup, its own steps, then teardown; empty for one that never
    /// ran.
    pub steps: Vec<StepReport>,
    /// Wall-clock time from its start to the end of its teardown; zero for one that never ran.
    pub duration: Duration,
    /// When it started; `None` for one that never ran.
    pub started_at: Option<time::OffsetDateTime>,
    /// The contract rules it names.
    pub rules: RuleNames,
}

/// The contract rules a scenario names (`verifies:`), whether or not its steps got to them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleNames {
    /// Verified by the scenario as a whole: they hold when it passes.
    pub scenario: Vec<String>,
    /// Verified by one of its steps (see [`StepReport::verifies`]), sorted.
    pub steps: Vec<String>,
}

/// How a contract rule fared in one scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleResult {
    /// A check that verifies it ran and held.
    Held,
    /// A check that verifies it failed.
    Broken,
    /// The scenario stopped before its checks (or the step could not get an answer).
    Blocked,
    /// The scenario was skipped.
    Skipped,
}

impl StepReport {
    /// A step that failed before sending anything (a template, a file, a condition), for
    /// this reason.
    pub fn unsent(
        phase: Phase,
        number: usize,
        name: String,
        loc: Loc,
        error: String,
    ) -> StepReport {
        StepReport {
            phase,
            number,
            name,
            loc,
            status: StepStatus::Failed,
            precondition: true,
            error: Some(error),
            checks: Vec::new(),
            unevaluated: None,
            redirects: Vec::new(),
            notes: Vec::new(),
            exchange: None,
            traffic: Vec::new(),
            attempts: 0,
            duration: Duration::ZERO,
            verifies: Vec::new(),
        }
    }
}

impl ScenarioReport {
    /// `[id] name`, or the name alone without an id: how every report names the scenario.
    pub fn title(&self) -> String {
        crate::spec::title(self.id.as_deref(), &self.name)
    }

    /// Its failed steps, in the order they ran.
    pub fn failed_steps(&self) -> impl Iterator<Item = &StepReport> {
        self.steps.iter().filter(|s| s.status == StepStatus::Failed)
    }

    /// The step whose failure decided the outcome: the first that failed.
    pub fn first_failure(&self) -> Option<&StepReport> {
        self.failed_steps().next()
    }

    /// How each rule the scenario names fared: a scenario-wide rule as the scenario ended; a
    /// step's rule broken when a step verifying it failed a check, held when such steps ran and
    /// passed, and otherwise blocked (or skipped) with the scenario. A step's rule that a
    /// passing scenario never reached (a `when` that did not hold, a `once` fragment run by
    /// another scenario) is left out: this scenario says nothing of it.
    pub fn rule_results(&self) -> Vec<(&str, RuleResult)> {
        let whole = match self.outcome {
            Outcome::Passed => RuleResult::Held,
            Outcome::Failed => RuleResult::Broken,
            Outcome::Blocked => RuleResult::Blocked,
            Outcome::Skipped(_) => RuleResult::Skipped,
        };
        let mut out: Vec<(&str, RuleResult)> = self
            .rules
            .scenario
            .iter()
            .map(|id| (id.as_str(), whole))
            .collect();
        for id in &self.rules.steps {
            let verifying = self
                .steps
                .iter()
                .filter(|s| s.verifies.iter().any(|v| v == id));
            let mut result = None;
            for step in verifying {
                let this = match step.status {
                    StepStatus::Passed => RuleResult::Held,
                    StepStatus::Failed if step.checks.iter().any(|c| !c.passed) => {
                        RuleResult::Broken
                    }
                    StepStatus::Failed => RuleResult::Blocked,
                };
                // Broken beats blocked beats held: the worst a check said.
                result = Some(match result {
                    None => this,
                    Some(r) => rank(r).max(rank(this)).1,
                });
            }
            let result = result.or(match self.outcome {
                Outcome::Passed => None,
                Outcome::Skipped(_) => Some(RuleResult::Skipped),
                Outcome::Failed | Outcome::Blocked => Some(RuleResult::Blocked),
            });
            if let Some(result) = result {
                out.push((id.as_str(), result));
            }
        }
        out
    }
}

/// Orders results by how much they say is wrong: held < blocked < broken.
fn rank(r: RuleResult) -> (u8, RuleResult) {
    match r {
        RuleResult::Skipped => (0, r),
        RuleResult::Held => (1, r),
        RuleResult::Blocked => (2, r),
        RuleResult::Broken => (3, r),
    }
}

/// Which part of a scenario a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Before the scenario's own steps: the suite's `setup:` (and a `vars` entry that could not be
    /// worked out).
    Setup,
    /// The scenario's own `steps:`.
    Main,
    /// After them, even when they failed: the scenario's `teardown:`, then the suite's, then hooks
    /// that undo what the scenario took down.
    Teardown,
}

impl Phase {
    /// `setup`, `step` or `teardown`: how reports name the phase before a step's number.
    pub fn label(self) -> &'static str {
        match self {
            Phase::Setup => "setup",
            Phase::Main => "step",
            Phase::Teardown => "teardown",
        }
    }
}

/// Whether a step passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// It did what it was meant to and every check held.
    Passed,
    /// It could not do its work (see [`StepReport::error`]) or a check did not hold.
    Failed,
}

/// What one step did: its checks, the last request and response, and every request it sent.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// Which part of the scenario it belongs to.
    pub phase: Phase,
    /// 1-based position within its phase.
    pub number: usize,
    /// What the step does, as the spec names it, or its request line (or hook, or fragment) when
    /// the spec gives it no name.
    pub name: String,
    /// Where the step is written.
    pub loc: Loc,
    /// Whether it passed.
    pub status: StepStatus,
    /// Whether the step only prepared the scenario's own checks (setup, a fragment, a hook,
    /// a step marked `precondition`): its failure blocks the scenario rather than failing it.
    pub precondition: bool,
    /// Why the step could not run its checks (template error, connection refused…).
    pub error: Option<String>,
    /// Each check it evaluated, passed or failed.
    pub checks: Vec<CheckReport>,
    /// Checks left out because an earlier one made them meaningless (a wrong status, a body
    /// that is not JSON), told in one line instead of one failure each.
    pub unevaluated: Option<Unevaluated>,
    /// Redirects followed on the way to the answer the checks saw.
    pub redirects: Vec<Redirect>,
    /// What is worth knowing that is neither an error nor a check: a redirect not followed, a
    /// rate limit waited out.
    pub notes: Vec<String>,
    /// The last attempt's request and response.
    pub exchange: Option<Exchange>,
    /// Every request the step sent (all attempts, all concurrent requests), for coverage.
    pub traffic: Vec<Traffic>,
    /// How many times it was sent (more than 1 under `retry:`); 0 when nothing was sent.
    pub attempts: u32,
    /// Wall-clock time the step took, every attempt included.
    pub duration: Duration,
    /// The contract rules the step's checks verify.
    pub verifies: Vec<String>,
}

/// A redirect followed: `POST http://…/api/orders` → 308 → `http://…/api/orders/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    /// The method of the request that was redirected.
    pub method: String,
    /// The URL that answered with the redirect.
    pub from: String,
    /// The redirect status, e.g. 308.
    pub status: u16,
    /// Where the redirect pointed, as a full URL.
    pub to: String,
}

/// Checks of a step that were not evaluated, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unevaluated {
    /// The kind of each check left out.
    pub kinds: Vec<CheckKind>,
    /// Why, e.g. `the answer is 404 text/html`.
    pub reason: String,
}

impl Unevaluated {
    /// `and 6 body checks not evaluated: the answer is text/html`.
    pub fn summary(&self) -> String {
        let n = self.kinds.len();
        let what = match self.kinds.first() {
            Some(first) if self.kinds.iter().all(|k| k == first) => {
                format!("{} {}", first.label(), plural(n, "check"))
            }
            _ => plural(n, "check").to_string(),
        };
        format!("and {n} {what} not evaluated: {}", self.reason)
    }
}

/// The media type a response names (`text/html`, parameters left out) when it is not JSON
/// (`application/json`, `…+json`): what a person needs to hear about an answer's body.
pub fn other_media(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .and_then(|(_, v)| v.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase())
        .filter(|m| !(m.is_empty() || m == "application/json" || m.ends_with("+json")))
}

/// One request sent and the status it got (`None`: no answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traffic {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The full URL the request went to.
    pub url: String,
    /// The response's status; `None` when no answer came (timeout, refused connection…).
    pub status: Option<u16>,
    /// Sent as a webhook delivery (signed the way Stripe signs), not as a client call.
    pub webhook: bool,
}

/// What a check looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckKind {
    /// The response status (`expect.status`).
    Status,
    /// A response header (`expect.headers`).
    Header,
    /// A value at a JSONPath in the JSON body (`expect.body`).
    Body,
    /// The whole body as text (`expect.text`).
    Text,
    /// The body against a JSON Schema file (`expect.schema`).
    Schema,
    /// The body against its stored snapshot (`expect.snapshot`).
    Snapshot,
    /// The response time against a limit (`expect.faster_than`).
    Time,
    /// A value saved for later steps (`capture:`): it fails when the value cannot be taken.
    Capture,
}

impl CheckKind {
    /// `status`, `header`, `body`, …: how reports name the kind.
    pub fn label(self) -> &'static str {
        match self {
            CheckKind::Status => "status",
            CheckKind::Header => "header",
            CheckKind::Body => "body",
            CheckKind::Text => "text",
            CheckKind::Schema => "schema",
            CheckKind::Snapshot => "snapshot",
            CheckKind::Time => "time",
            CheckKind::Capture => "capture",
        }
    }
}

/// One check of a step, passed or failed, with what was expected and what came back.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// What the check looks at.
    pub kind: CheckKind,
    /// What was checked: a JSONPath, a header name, a schema file…
    pub subject: String,
    /// The operator, e.g. `equals`.
    pub operator: String,
    /// Where the check is written in the spec.
    pub loc: Loc,
    /// Whether the check held.
    pub passed: bool,
    /// What the check wanted, as people read it (`201`, `"pending"`, `under 500 ms`); `None`
    /// when the message says it instead.
    pub expected: Option<String>,
    /// What the response had, in the same form; `None` when there is no single value to show.
    pub actual: Option<String>,
    /// A one-line explanation when expected/actual do not say it all.
    pub message: Option<String>,
    /// Schema violations, one per line.
    pub details: Vec<String>,
    /// A unified diff (snapshots), without colour.
    pub diff: Option<String>,
}

impl CheckReport {
    /// A passing check of this kind on `subject` with `operator`, written at `loc`; the caller
    /// records the result.
    pub fn new(
        kind: CheckKind,
        subject: impl Into<String>,
        operator: impl Into<String>,
        loc: Loc,
    ) -> CheckReport {
        CheckReport {
            kind,
            subject: subject.into(),
            operator: operator.into(),
            loc,
            passed: true,
            expected: None,
            actual: None,
            message: None,
            details: Vec::new(),
            diff: None,
        }
    }

    /// One line: the headline with expected and actual, or the message.
    pub fn summary(&self) -> String {
        match (&self.expected, &self.actual, &self.message) {
            (Some(e), Some(a), _) => format!("{}: expected {e}, actual {a}", self.headline()),
            (_, _, Some(m)) => format!("{}: {m}", self.headline()),
            _ => self.headline(),
        }
    }

    /// `kind subject operator`, e.g. `body $.status equals`: the check's name in reports.
    pub fn headline(&self) -> String {
        let mut s = self.kind.label().to_string();
        if !self.subject.is_empty() {
            s.push(' ');
            s.push_str(&self.subject);
        }
        if !self.operator.is_empty() {
            s.push(' ');
            s.push_str(&self.operator);
        }
        s
    }
}

/// The last request a step sent and the response it got, as reports show them.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The request as sent.
    pub request: RequestLog,
    /// The answer; `None` when none came (timeout, refused connection…).
    pub response: Option<ResponseLog>,
}

/// A request as reports show it: secrets redacted, the body cut to a readable size.
#[derive(Debug, Clone)]
pub struct RequestLog {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The full URL, secrets redacted.
    pub url: String,
    /// Headers in the order sent, as `(name, value)`, secret values redacted.
    pub headers: Vec<(String, String)>,
    /// The body as text, redacted and cut to a readable size; `None` for a request without one.
    pub body: Option<String>,
}

/// A response as reports show it: secrets redacted, the body cut to a readable size.
#[derive(Debug, Clone)]
pub struct ResponseLog {
    /// The HTTP status code.
    pub status: u16,
    /// Headers in the order received, as `(name, value)`, secret values redacted.
    pub headers: Vec<(String, String)>,
    /// Shown body, cut to a readable size.
    pub body: String,
    /// The size of the whole body as received, in bytes (before redaction and cutting).
    pub body_bytes: usize,
    /// Time from sending the request until the whole body had arrived.
    pub duration: Duration,
}

/// Totals over a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Scenarios that ran to the end with nothing failing.
    pub passed: usize,
    /// Scenarios whose own checks found something wrong.
    pub failed: usize,
    /// Scenarios stopped before their own checks (setup, a fragment or a hook failed).
    pub blocked: usize,
    /// Scenarios that did not run.
    pub skipped: usize,
}

impl Totals {
    /// Every scenario counted, whatever its outcome.
    pub fn total(&self) -> usize {
        self.passed + self.failed + self.blocked + self.skipped
    }

    /// Counts one more scenario.
    pub fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Blocked => self.blocked += 1,
            Outcome::Skipped(_) => self.skipped += 1,
        }
    }

    /// Failed or blocked scenarios.
    pub fn failures(&self) -> usize {
        self.failed + self.blocked
    }

    /// How a run with these totals ended.
    pub fn verdict(&self, interrupted: bool, fail_on_skip: bool) -> Verdict {
        if interrupted {
            Verdict::Interrupted
        } else if self.failures() > 0 || (fail_on_skip && self.skipped > 0) {
            Verdict::Failed
        } else if self.passed == 0 && self.skipped > 0 {
            Verdict::NothingRan
        } else {
            Verdict::Passed
        }
    }
}

/// How a run ended, as every report states it. Only `Passed` is a pass: a run in which every
/// scenario was skipped (a CI job whose secrets are not set) checked nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No scenario failed or was blocked, and at least one passed (or there were none to run).
    Passed,
    /// A scenario failed or was blocked, or (with `--fail-on-skip`) was skipped.
    Failed,
    /// Nothing passed and nothing failed: every scenario was skipped. (A shard's slice with no
    /// scenario at all is a pass: it had nothing to do.)
    NothingRan,
    /// Stopped early (Ctrl-C).
    Interrupted,
}

impl Verdict {
    /// The verdict as a report's headline says it.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Passed => "PASSED",
            Verdict::Failed => "FAILED",
            Verdict::NothingRan => "NOTHING RAN",
            Verdict::Interrupted => "INTERRUPTED",
        }
    }
}

impl RunReport {
    /// The scenarios this report holds, counted by outcome.
    pub fn totals(&self) -> Totals {
        let mut t = Totals::default();
        for s in self.suites.iter().flat_map(|s| &s.scenarios) {
            t.add(&s.outcome);
        }
        t
    }

    /// The verdict over the scenarios this report holds (all of them, unless the run kept
    /// only the ones that did not pass: then it is the run's [`Totals::verdict`] that counts).
    pub fn verdict(&self) -> Verdict {
        self.totals()
            .verdict(self.run.interrupted, self.run.fail_on_skip)
    }

    /// Every scenario of the run, in spec order.
    pub fn scenarios(&self) -> impl Iterator<Item = &ScenarioReport> {
        self.suites.iter().flat_map(|s| &s.scenarios)
    }
}
