//! The JSON report: the complete result of a run in a documented, versioned shape
//! ([`JsonReport`]), for machines — `gigcheck report diff` compares two of them.
//!
//! The shape is its own set of types rather than the internal model, so the model can change
//! without breaking readers; [`FORMAT`] and [`VERSION`] say what a file holds. Times are
//! milliseconds as numbers; locations are `file:line:column` strings.

use super::causes::{self, Cause};
use super::coverage::Coverage;
use super::rules::{RuleCoverage, RuleVerdict};
use crate::outcome::{
    CheckReport, Exchange, Outcome, RunReport, ScenarioReport, SnapshotWriteKind, StepReport,
    StepStatus,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The `format` field of every JSON report.
pub const FORMAT: &str = "gigcheck-report";
/// The version of the shape; a reader refuses versions it does not know. Version 2 added the
/// `blocked` outcome, `causes`, plan titles and verdicts, and steps' `precondition` and
/// `unevaluated`; version 3 the contract's `rules` and steps' `verifies`.
pub const VERSION: u32 = 3;
/// The oldest version read: version 1 files lack version 2's additions, which read as empty
/// (so `report diff` compares a new run with an old baseline).
pub const OLDEST_READ: u32 = 1;

/// A whole run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonReport {
    /// Always `gigcheck-report`.
    pub format: String,
    /// The shape's version: 3.
    pub version: u32,
    /// The backend's base URL.
    pub target: Option<String>,
    /// The Stripe API base URL the run used, if any.
    pub stripe_url: Option<String>,
    /// When the run started (RFC 3339).
    pub started_at: Option<String>,
    /// How long the whole run took, in milliseconds.
    pub duration_ms: f64,
    /// Whether the run was stopped before the end (Ctrl-C).
    pub interrupted: bool,
    /// Whether a skipped scenario failed the run (`--fail-on-skip`).
    #[serde(default)]
    pub fail_on_skip: bool,
    /// Whether the backend's TLS certificate went unchecked (`--insecure`).
    #[serde(default)]
    pub insecure: bool,
    /// How many scenarios ended each way.
    pub totals: JsonTotals,
    /// Why scenarios failed or were blocked, one entry per root cause, worst first.
    #[serde(default)]
    pub causes: Vec<JsonCause>,
    /// Plan cases in the plan's order (from `fixtures/plan.yaml`), then ids it does not know.
    pub plan: Vec<JsonPlanCase>,
    /// The contract's documented route × status pairs, exercised or not.
    pub contract: Option<JsonContract>,
    /// What the run tells of each of the contract's rules (`fixtures/contract.yaml`).
    #[serde(default)]
    pub rules: Option<JsonRules>,
    /// Snapshot files the run wrote.
    pub snapshots: Vec<JsonSnapshotWrite>,
    /// Each spec file of the run with every scenario's result, in spec order.
    pub suites: Vec<JsonSuite>,
}

/// How many scenarios the run had, by outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonTotals {
    /// Every scenario of the run: passed + failed + blocked + skipped.
    pub scenarios: usize,
    /// Scenarios that ran to the end with nothing failing.
    pub passed: usize,
    /// Scenarios whose own checks found something wrong.
    pub failed: usize,
    /// Scenarios that never reached their checks (setup, a fragment or a hook failed first).
    #[serde(default)]
    pub blocked: usize,
    /// Scenarios that did not run (missing configuration, a stopped run); each says why in
    /// `skip_reason`.
    pub skipped: usize,
}

/// One root cause and the scenarios it stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonCause {
    /// `POST /api/addresses → 404 (text/html), expected 201`.
    pub headline: String,
    /// `file:line:column` of the failing step.
    pub location: String,
    /// How many of the scenarios it stopped failed (their own checks found something wrong).
    pub failed: usize,
    /// How many of the scenarios it stopped were blocked (never reached their own checks).
    pub blocked: usize,
    /// Each scenario it stopped, as `file: [id] name`.
    pub scenarios: Vec<String>,
}

/// One test case of the plan and how the run's scenarios for it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonPlanCase {
    /// The plan's test case, e.g. `4.2`.
    pub id: String,
    /// The plan's title for it, when the plan file names it.
    #[serde(default)]
    pub title: Option<String>,
    /// `passed`, `failed`, `blocked`, `skipped` or `no-scenario`.
    #[serde(default)]
    pub verdict: String,
    /// Scenarios with this case id that passed.
    pub passed: usize,
    /// Scenarios with this case id whose own checks found something wrong.
    pub failed: usize,
    /// Scenarios with this case id that never reached their checks.
    #[serde(default)]
    pub blocked: usize,
    /// Scenarios with this case id that did not run.
    pub skipped: usize,
}

/// The contract's documented route × status pairs (`fixtures/contract.yaml`), split by whether
/// the run got that status from that route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonContract {
    /// `POST /api/orders 201`: documented and seen.
    pub exercised: Vec<String>,
    /// Documented, never seen.
    pub missing: Vec<String>,
}

/// Rule coverage: counts by verdict, then every rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonRules {
    /// `142/150 observable contract rules checked`.
    pub headline: String,
    /// Rules in the contract, observable or not.
    pub total: usize,
    /// Rules a black-box client can observe.
    pub observable: usize,
    /// Rules a check of the run decided: held + broken.
    pub checked: usize,
    /// Rules some check verified and none found broken.
    pub held: usize,
    /// Rules a check found broken.
    pub broken: usize,
    /// Rules no check decided because the scenarios that verify them were blocked.
    pub blocked: usize,
    /// Rules no check decided because the scenarios that verify them were skipped.
    pub skipped: usize,
    /// Rules named only by steps this run did not take.
    pub unreached: usize,
    /// Rules only scenarios outside this run verify.
    pub not_run: usize,
    /// Rules no scenario verifies.
    pub unchecked: usize,
    /// Rules no black-box client can observe (the contract says why).
    pub unobservable: usize,
    /// Every rule, in the contract's order.
    pub rules: Vec<JsonRule>,
}

/// One contract rule and what the run tells of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonRule {
    /// The rule's id in the contract, e.g. `orders.create.total`.
    pub id: String,
    /// The rule's statement, as the contract writes it.
    pub text: String,
    /// `held`, `broken`, `blocked`, `skipped`, `unreached`, `not-run`, `unchecked` or
    /// `unobservable`.
    pub verdict: String,
    /// Why no black-box client can observe it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unobservable: Option<String>,
    /// The first scenarios that found it broken.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub broken_by: Vec<String>,
}

/// A snapshot file the run wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonSnapshotWrite {
    /// The file, relative to the working directory when under it.
    pub path: String,
    /// `created`, `updated` or `pending` (a `.snap.new` to review).
    pub kind: String,
}

/// One spec file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonSuite {
    /// The suite's name: the spec's `name:`, or the file name without its extension.
    pub name: String,
    /// The spec file.
    pub file: String,
    /// Its scenarios, in spec order.
    pub scenarios: Vec<JsonScenario>,
}

/// How a scenario ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JsonOutcome {
    /// It ran to the end and nothing failed.
    Passed,
    /// Its own checks ran and one did not hold.
    Failed,
    /// Something before its own checks failed; its case was not tested.
    Blocked,
    /// It did not run; `skip_reason` says why.
    Skipped,
}

/// One scenario's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonScenario {
    /// The plan's test case id, if the scenario has one.
    pub id: Option<String>,
    /// What the scenario checks, as the spec names it.
    pub name: String,
    /// `[id] name`: what identifies the scenario within its file across runs.
    pub title: String,
    /// The scenario's own tags (not its suite's).
    pub tags: Vec<String>,
    /// `file:line:column` of the scenario.
    pub location: String,
    /// How it ended.
    pub outcome: JsonOutcome,
    /// Why it was skipped.
    pub skip_reason: Option<String>,
    /// How long it took in milliseconds, setup and teardown included.
    pub duration_ms: f64,
    /// Each step it ran, in order: setup, its own steps, then teardown.
    pub steps: Vec<JsonStep>,
}

/// One step of a scenario: its checks, the last request and response, and every request sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonStep {
    /// `setup`, `step` or `teardown`.
    pub phase: String,
    /// 1-based position within its phase.
    pub number: usize,
    /// What the step does, or its request line when the spec gives it no name.
    pub name: String,
    /// `file:line:column` of the step.
    pub location: String,
    /// Whether the step did its work and every check held.
    pub passed: bool,
    /// Whether the step only prepared the scenario's checks: its failure blocks the scenario.
    #[serde(default)]
    pub precondition: bool,
    /// Why the step could not run its checks (connection refused, template error…).
    pub error: Option<String>,
    /// How many times it was sent (more than 1 under `retry:`); 0 when nothing was sent.
    pub attempts: u32,
    /// How long the step took in milliseconds, every attempt included.
    pub duration_ms: f64,
    /// Each check it evaluated, passed or failed.
    pub checks: Vec<JsonCheck>,
    /// Checks not evaluated because an earlier one made them meaningless.
    #[serde(default)]
    pub unevaluated: Option<JsonUnevaluated>,
    /// Redirects followed on the way to the answer checked, as `METHOD URL → status → URL`.
    #[serde(default)]
    pub redirects: Vec<String>,
    /// What is worth knowing besides errors and checks (a redirect not followed, a rate limit).
    #[serde(default)]
    pub notes: Vec<String>,
    /// The last attempt's request and response, redacted.
    pub exchange: Option<JsonExchange>,
    /// Every request the step sent.
    pub traffic: Vec<JsonTraffic>,
    /// The contract rules the step's checks verify.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verifies: Vec<String>,
}

/// Checks of a step that were left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonUnevaluated {
    /// The kind of each check left out (`body`, `schema`, …).
    pub kinds: Vec<String>,
    /// Why, e.g. `the status is 404, text/html`.
    pub reason: String,
}

/// One check of a step and how it went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonCheck {
    /// status, header, body, text, schema, snapshot, time or capture.
    pub kind: String,
    /// What was checked: a JSONPath, a header name, a schema file…
    pub subject: String,
    /// The comparison, e.g. `equals`; empty when the kind has none.
    pub operator: String,
    /// `file:line:column` of the check.
    pub location: String,
    /// Whether the check held.
    pub passed: bool,
    /// What the check wanted, as people read it (`201`, `"pending"`, `under 500 ms`).
    pub expected: Option<String>,
    /// What the response had, in the same form, secrets redacted.
    pub actual: Option<String>,
    /// A one-line explanation when expected and actual do not say it all.
    pub message: Option<String>,
    /// Schema violations, one per entry.
    pub details: Vec<String>,
    /// A unified diff (snapshots).
    pub diff: Option<String>,
}

/// The last request a step sent and the response it got, secrets redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonExchange {
    /// The request as sent.
    pub request: JsonRequest,
    /// Absent when no answer came.
    pub response: Option<JsonResponse>,
}

/// A request as sent, secrets redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonRequest {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The full URL, secrets redacted.
    pub url: String,
    /// `[name, value]` pairs in the order sent.
    pub headers: Vec<(String, String)>,
    /// The body as text, cut to a readable size; null for a request without one.
    pub body: Option<String>,
}

/// A response as received, secrets redacted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonResponse {
    /// The HTTP status code.
    pub status: u16,
    /// `[name, value]` pairs in the order received.
    pub headers: Vec<(String, String)>,
    /// The body, cut to a readable size.
    pub body: String,
    /// The whole body's size.
    pub body_bytes: usize,
    /// Milliseconds from sending the request until the whole body had arrived.
    pub duration_ms: f64,
}

/// One request a step sent and the status it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JsonTraffic {
    /// The HTTP method, e.g. `POST`.
    pub method: String,
    /// The full URL requested.
    pub url: String,
    /// Absent when no answer came.
    pub status: Option<u16>,
    /// Sent as a signed webhook delivery.
    pub webhook: bool,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1_000_000.0).round() / 1000.0
}

impl JsonReport {
    /// The report of a finished run.
    pub fn of(report: &RunReport, coverage: &Coverage) -> JsonReport {
        let t = report.totals();
        JsonReport {
            format: FORMAT.into(),
            version: VERSION,
            target: report.run.target.clone(),
            stripe_url: report.run.stripe_url.clone(),
            started_at: report.run.started_at.and_then(|at| {
                at.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            }),
            duration_ms: ms(report.run.duration),
            interrupted: report.run.interrupted,
            fail_on_skip: report.run.fail_on_skip,
            insecure: report.run.insecure,
            totals: JsonTotals {
                scenarios: t.total(),
                passed: t.passed,
                failed: t.failed,
                blocked: t.blocked,
                skipped: t.skipped,
            },
            causes: causes::group(report).iter().map(cause).collect(),
            plan: coverage
                .plan
                .iter()
                .map(|c| JsonPlanCase {
                    id: c.id.clone(),
                    title: c.title.clone(),
                    verdict: c.verdict().key().into(),
                    passed: c.passed,
                    failed: c.failed,
                    blocked: c.blocked,
                    skipped: c.skipped,
                })
                .collect(),
            contract: coverage.contract.as_ref().map(|c| JsonContract {
                exercised: c.exercised.clone(),
                missing: c.missing.clone(),
            }),
            rules: coverage.rules.as_ref().map(rules),
            snapshots: report
                .run
                .snapshot_writes
                .iter()
                .map(|w| JsonSnapshotWrite {
                    path: w.path.clone(),
                    kind: match w.kind {
                        SnapshotWriteKind::Created => "created",
                        SnapshotWriteKind::Updated => "updated",
                        SnapshotWriteKind::Pending => "pending",
                    }
                    .into(),
                })
                .collect(),
            suites: report
                .suites
                .iter()
                .map(|s| JsonSuite {
                    name: s.name.clone(),
                    file: s.file.clone(),
                    scenarios: s.scenarios.iter().map(scenario).collect(),
                })
                .collect(),
        }
    }

    /// Pretty JSON, ending in a newline.
    pub fn render(&self) -> Result<Vec<u8>, String> {
        let mut out = serde_json::to_vec_pretty(self)
            .map_err(|e| format!("cannot render the JSON report: {e}"))?;
        out.push(b'\n');
        Ok(out)
    }

    /// Reads a JSON report written by gigcheck.
    pub fn load(path: &std::path::Path) -> Result<JsonReport, String> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read {}: {}",
                path.display(),
                crate::diagnostic::io_reason(&e)
            )
        })?;
        JsonReport::parse(&text).map_err(|e| format!("{}{e}", path.display()))
    }

    /// Parses a report; the error starts with `:line:column` when the JSON itself is broken.
    pub fn parse(text: &str) -> Result<JsonReport, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
            format!(
                ":{}:{}: not JSON: {e}; is this a file written by `gigcheck run --report json=…`?",
                e.line(),
                e.column()
            )
        })?;
        let format = value.get("format").and_then(|f| f.as_str());
        let version = value.get("version").and_then(|v| v.as_u64());
        if format != Some(FORMAT) {
            return Err(format!(
                ": not a gigcheck JSON report (no \"format\": \"{FORMAT}\"); write one with `gigcheck run --report json=PATH`"
            ));
        }
        if !version.is_some_and(|v| (u64::from(OLDEST_READ)..=u64::from(VERSION)).contains(&v)) {
            return Err(format!(
                ": report version {} is not one this gigcheck reads (it reads versions {OLDEST_READ} to {VERSION}); use the gigcheck that wrote it",
                version.map_or_else(|| "(none)".to_string(), |v| v.to_string())
            ));
        }
        serde_json::from_value(value).map_err(|e| format!(": not a valid gigcheck report: {e}"))
    }

    /// The JSON Schema of the report shape.
    pub fn schema() -> schemars::Schema {
        schemars::schema_for!(JsonReport)
    }
}

fn cause(c: &Cause) -> JsonCause {
    JsonCause {
        headline: c.headline.clone(),
        location: c.loc.to_string(),
        failed: c.failed(),
        blocked: c.blocked(),
        scenarios: c
            .members
            .iter()
            .map(|m| format!("{}: {}", m.file, m.title))
            .collect(),
    }
}

fn scenario(s: &ScenarioReport) -> JsonScenario {
    let (outcome, skip_reason) = match &s.outcome {
        Outcome::Passed => (JsonOutcome::Passed, None),
        Outcome::Failed => (JsonOutcome::Failed, None),
        Outcome::Blocked => (JsonOutcome::Blocked, None),
        Outcome::Skipped(reason) => (JsonOutcome::Skipped, Some(reason.clone())),
    };
    JsonScenario {
        id: s.id.clone(),
        name: s.name.clone(),
        title: s.title(),
        tags: s.tags.clone(),
        location: s.loc.to_string(),
        outcome,
        skip_reason,
        duration_ms: ms(s.duration),
        steps: s.steps.iter().map(step).collect(),
    }
}

fn rules(r: &RuleCoverage) -> JsonRules {
    JsonRules {
        headline: r.headline(),
        total: r.total(),
        observable: r.observable(),
        checked: r.checked(),
        held: r.count(RuleVerdict::Held),
        broken: r.count(RuleVerdict::Broken),
        blocked: r.count(RuleVerdict::Blocked),
        skipped: r.count(RuleVerdict::Skipped),
        unreached: r.count(RuleVerdict::Unreached),
        not_run: r.count(RuleVerdict::NotRun),
        unchecked: r.count(RuleVerdict::Unchecked),
        unobservable: r.count(RuleVerdict::Unobservable),
        rules: r
            .rules
            .iter()
            .map(|l| JsonRule {
                id: l.id.clone(),
                text: l.text.clone(),
                verdict: l.verdict.key().into(),
                unobservable: l.unobservable.clone(),
                broken_by: l.broken_by.clone(),
            })
            .collect(),
    }
}

fn step(s: &StepReport) -> JsonStep {
    JsonStep {
        phase: s.phase.label().into(),
        number: s.number,
        name: s.name.clone(),
        location: s.loc.to_string(),
        passed: s.status == StepStatus::Passed,
        precondition: s.precondition,
        error: s.error.clone(),
        attempts: s.attempts,
        duration_ms: ms(s.duration),
        checks: s.checks.iter().map(check).collect(),
        unevaluated: s.unevaluated.as_ref().map(|u| JsonUnevaluated {
            kinds: u.kinds.iter().map(|k| k.label().to_string()).collect(),
            reason: u.reason.clone(),
        }),
        redirects: s
            .redirects
            .iter()
            .map(|r| format!("{} {} → {} → {}", r.method, r.from, r.status, r.to))
            .collect(),
        notes: s.notes.clone(),
        verifies: s.verifies.clone(),
        exchange: s.exchange.as_ref().map(exchange),
        traffic: s
            .traffic
            .iter()
            .map(|t| JsonTraffic {
                method: t.method.clone(),
                url: t.url.clone(),
                status: t.status,
                webhook: t.webhook,
            })
            .collect(),
    }
}

fn check(c: &CheckReport) -> JsonCheck {
    JsonCheck {
        kind: c.kind.label().into(),
        subject: c.subject.clone(),
        operator: c.operator.clone(),
        location: c.loc.to_string(),
        passed: c.passed,
        expected: c.expected.clone(),
        actual: c.actual.clone(),
        message: c.message.clone(),
        details: c.details.clone(),
        diff: c.diff.clone(),
    }
}

fn exchange(e: &Exchange) -> JsonExchange {
    JsonExchange {
        request: JsonRequest {
            method: e.request.method.clone(),
            url: e.request.url.clone(),
            headers: e.request.headers.clone(),
            body: e.request.body.clone(),
        },
        response: e.response.as_ref().map(|r| JsonResponse {
            status: r.status,
            headers: r.headers.clone(),
            body: r.body.clone(),
            body_bytes: r.body_bytes,
            duration_ms: ms(r.duration),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::*;
    use crate::spec::Loc;

    fn sample() -> RunReport {
        let mut check = CheckReport::new(CheckKind::Body, "$.status", "equals", Loc::default());
        check.passed = false;
        check.expected = Some("\"pending\"".into());
        check.actual = Some("\"paid\"".into());
        RunReport {
            run: RunInfo {
                target: Some("http://127.0.0.1:5000/".into()),
                duration: Duration::from_micros(1500),
                ..Default::default()
            },
            suites: vec![SuiteReport {
                name: "Orders".into(),
                file: "specs/a.yaml".into(),
                scenarios: vec![ScenarioReport {
                    id: Some("1.1".into()),
                    name: "create".into(),
                    tags: vec!["orders".into()],
                    loc: Loc {
                        file: "specs/a.yaml".into(),
                        line: 3,
                        col: 5,
                    },
                    outcome: Outcome::Failed,
                    steps: vec![StepReport {
                        phase: Phase::Main,
                        number: 1,
                        name: "create".into(),
                        loc: Loc::default(),
                        status: StepStatus::Failed,
                        precondition: false,
                        unevaluated: None,
                        redirects: Vec::new(),
                        notes: Vec::new(),
                        error: None,
                        checks: vec![check],
                        exchange: None,
                        traffic: vec![Traffic {
                            method: "POST".into(),
                            url: "http://127.0.0.1:5000/api/orders".into(),
                            status: Some(201),
                            webhook: false,
                        }],
                        attempts: 1,
                        duration: Duration::from_millis(2),
                        verifies: Vec::new(),
                    }],
                    duration: Duration::from_millis(2),
                    started_at: None,
                    rules: Default::default(),
                }],
            }],
        }
    }

    #[test]
    fn a_report_survives_a_round_trip() {
        let json = JsonReport::of(&sample(), &Coverage::default());
        assert_eq!(json.totals.failed, 1);
        assert_eq!(json.duration_ms, 1.5);
        assert_eq!(json.suites[0].scenarios[0].title, "[1.1] create");
        assert_eq!(json.suites[0].scenarios[0].location, "specs/a.yaml:3:5");
        let text = String::from_utf8(json.render().unwrap()).unwrap();
        assert_eq!(JsonReport::parse(&text).unwrap(), json);
    }

    #[test]
    fn the_schema_accepts_what_is_written() {
        let json = serde_json::to_value(JsonReport::of(&sample(), &Coverage::default())).unwrap();
        let schema = serde_json::to_value(JsonReport::schema()).unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn a_version_1_report_is_still_read() {
        let v1 = serde_json::json!({
            "format": FORMAT, "version": 1, "target": null, "stripe_url": null,
            "started_at": null, "duration_ms": 1.0, "interrupted": false,
            "totals": {"scenarios": 1, "passed": 0, "failed": 1, "skipped": 0},
            "plan": [{"id": "1.1", "passed": 0, "failed": 1, "skipped": 0}],
            "contract": null, "snapshots": [],
            "suites": [{"name": "s", "file": "f.yaml", "scenarios": [{
                "id": "1.1", "name": "n", "title": "[1.1] n", "tags": [], "location": "f.yaml:1:1",
                "outcome": "failed", "skip_reason": null, "duration_ms": 1.0,
                "steps": [{"phase": "step", "number": 1, "name": "s", "location": "f.yaml:2:1",
                    "passed": false, "error": null, "attempts": 1, "duration_ms": 1.0,
                    "checks": [], "exchange": null, "traffic": []}]
            }]}]
        });
        let report = JsonReport::parse(&v1.to_string()).unwrap();
        assert_eq!(report.totals.blocked, 0);
        assert!(report.causes.is_empty());
        assert!(!report.suites[0].scenarios[0].steps[0].precondition);
    }

    #[test]
    fn foreign_files_are_refused_with_the_reason() {
        assert!(JsonReport::parse("{").unwrap_err().starts_with(":1:"));
        assert!(
            JsonReport::parse(r#"{"a":1}"#)
                .unwrap_err()
                .contains("not a gigcheck JSON report")
        );
        assert!(
            JsonReport::parse(r#"{"format":"gigcheck-report","version":9}"#)
                .unwrap_err()
                .contains("version 9")
        );
    }
}
