//! Runs one HTTP step: render, send, check, capture — again while `retry` allows.

use super::Shared;
use super::http::SendError;
use super::request;
use super::scope::Scope;
use crate::checks::{self, CheckContext, Response};
use crate::loader::LoadedSuite;
use crate::outcome::{
    CheckKind, CheckReport, Exchange, ResponseLog, StepStatus, Traffic, Unevaluated,
};
use crate::spec::{Call, Capture, HttpStep, SourceRef};
use reqwest::cookie::Jar;
use std::time::Duration;

/// The outcome of a step that sends requests, before it is placed in a scenario's report.
pub struct StepOutcome {
    pub status: StepStatus,
    pub error: Option<String>,
    pub checks: Vec<CheckReport>,
    pub unevaluated: Option<Unevaluated>,
    pub exchange: Option<Exchange>,
    pub traffic: Vec<Traffic>,
    pub attempts: u32,
}

impl StepOutcome {
    /// A step that failed before any check could run, for this reason.
    pub fn failed(error: String) -> StepOutcome {
        StepOutcome {
            status: StepStatus::Failed,
            error: Some(error),
            checks: Vec::new(),
            unevaluated: None,
            exchange: None,
            traffic: Vec::new(),
            attempts: 1,
        }
    }
}

pub async fn run(
    shared: &Shared,
    suite: &LoadedSuite,
    step: &HttpStep,
    src: &SourceRef,
    scope: &mut Scope,
    jar: &Jar,
) -> StepOutcome {
    let attempts = step.retry.map_or(1, |r| r.attempts.max(1));
    let delay = step.retry.map_or(Duration::ZERO, |r| r.delay.0);
    let mut outcome = StepOutcome {
        status: StepStatus::Failed,
        error: None,
        checks: Vec::new(),
        unevaluated: None,
        exchange: None,
        traffic: Vec::new(),
        attempts: 0,
    };
    for attempt in 1..=attempts {
        outcome.attempts = attempt;
        if attempt > 1 {
            tokio::time::sleep(delay).await;
        }
        let outgoing = match request::build_call(
            &step.call,
            scope,
            shared.base_url.as_ref(),
            shared.timeout,
        ) {
            Ok(o) => o,
            // Rendering fails the same way every time: no point retrying.
            Err(e) => {
                outcome.error = Some(scope.redactor().text(&e.to_string()));
                return outcome;
            }
        };
        let request_log = request::log(&outgoing, scope.redactor());
        shared.sending(&outgoing, scope.redactor());
        let sent = shared.http.send(jar, &outgoing).await;
        outcome.traffic.push(Traffic {
            method: outgoing.method.to_string(),
            url: outgoing.url.to_string(),
            status: sent.as_ref().ok().map(|i| i.status),
            webhook: matches!(step.call, Call::Webhook(_)),
        });
        let incoming = match sent {
            Ok(i) => i,
            Err(e) => {
                outcome.error = Some(scope.redactor().text(&e.to_string()));
                outcome.exchange = Some(Exchange {
                    request: request_log,
                    response: None,
                });
                outcome.checks.clear();
                outcome.unevaluated = None;
                if matches!(e, SendError::TooLarge) {
                    return outcome;
                }
                continue;
            }
        };
        outcome.error = None;
        let response = Response::new(
            incoming.status,
            incoming.headers,
            &incoming.body,
            incoming.elapsed,
        );
        outcome.exchange = Some(Exchange {
            request: request_log,
            response: Some(response_log(&response, incoming.body.len(), scope)),
        });
        let stem = suite.file_stem();
        let ctx = CheckContext {
            schemas: &shared.project.schemas,
            snapshots: &shared.snapshots,
            place: checks::snapshot::SnapshotPlace {
                dir: &suite.snapshot_dir,
                file_stem: &stem,
                source: &suite.doc.display,
            },
            redactor: scope.redactor(),
            lookup: scope,
        };
        let mut results = checks::run(&step.expect, &response, src, &ctx);
        let wrong_status = results.wrong_status();
        let wrong_status_reason = checks::after_wrong_status(&response);
        let error_checks = suite.suite.error_responses.as_ref().filter(|_| {
            response.status >= 400 && from_target(&outgoing.url, shared.base_url.as_ref())
        });
        if let Some(shared_checks) = error_checks {
            if wrong_status {
                let mut kinds = checks::kinds(shared_checks);
                kinds.extend(shared_checks.status.iter().map(|_| CheckKind::Status));
                results.skip(kinds, &wrong_status_reason);
            } else {
                let root = SourceRef::new(suite.doc.clone(), String::new());
                let more = checks::run_block(
                    shared_checks,
                    &response,
                    &root.child("error_responses"),
                    &ctx,
                );
                results.checks.extend(more.checks);
                results.told_not_json |= more.told_not_json;
                if let Some(u) = more.unevaluated {
                    results.skip(u.kinds, &u.reason);
                }
            }
        }
        let mut captured = Vec::new();
        for (name, capture) in &step.capture {
            let needs_json = matches!(capture, Capture::Body(_));
            if wrong_status {
                results.skip([CheckKind::Capture], &wrong_status_reason);
                continue;
            }
            if needs_json && response.json.is_err() && results.told_not_json {
                results.skip([CheckKind::Capture], checks::NOT_JSON_SAID);
                continue;
            }
            let mut r =
                CheckReport::new(CheckKind::Capture, name, "", src.loc_of(&["capture", name]));
            match checks::capture::capture(capture, &response.parts(), scope) {
                Ok(value) => captured.push((name.clone(), value)),
                Err(message) => {
                    r.passed = false;
                    r.message = Some(scope.redactor().text(&message));
                }
            }
            results.told_not_json |= needs_json && response.json.is_err();
            results.checks.push(r);
        }
        let passed = results.passed() && !wrong_status;
        if passed || attempt == attempts {
            if passed {
                results
                    .checks
                    .extend(checks::snapshot(&step.expect, &response, src, &ctx));
            } else {
                let reason = if wrong_status {
                    wrong_status_reason.as_str()
                } else {
                    "an earlier check failed"
                };
                results.skip(
                    step.expect.snapshot.iter().map(|_| CheckKind::Snapshot),
                    reason,
                );
            }
            if results.passed() {
                for (name, value) in captured {
                    scope.set(&name, value);
                }
                outcome.status = StepStatus::Passed;
            }
            outcome.checks = results.checks;
            outcome.unevaluated = results.unevaluated;
            return outcome;
        }
        outcome.checks = results.checks;
        outcome.unevaluated = results.unevaluated;
    }
    outcome
}

/// Whether a request went to the backend under test (not, say, to the Stripe API).
fn from_target(url: &url::Url, base: Option<&url::Url>) -> bool {
    base.is_some_and(|b| url.origin() == b.origin())
}

/// The shown form of a raw response (used where no checks ran on it).
pub fn incoming_log(incoming: &super::http::Incoming, scope: &Scope) -> ResponseLog {
    let response = Response::new(
        incoming.status,
        incoming.headers.clone(),
        &incoming.body,
        incoming.elapsed,
    );
    response_log(&response, incoming.body.len(), scope)
}

fn response_log(response: &Response, bytes: usize, scope: &Scope) -> ResponseLog {
    let redactor = scope.redactor();
    ResponseLog {
        status: response.status,
        headers: response
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), redactor.header(k, v)))
            .collect(),
        body: super::shorten(&redactor.body(&response.text)),
        body_bytes: bytes,
        duration: response.elapsed,
    }
}
