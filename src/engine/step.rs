//! Runs one HTTP step: render, send, check, capture — again while `retry` allows.

use super::Shared;
use super::http::SendError;
use super::request;
use super::scope::Scope;
use crate::checks::{self, CheckContext, Response};
use crate::loader::LoadedSuite;
use crate::report::model::{CheckKind, CheckReport, Exchange, ResponseLog, StepStatus, Traffic};
use crate::spec::{Call, HttpStep, SourceRef};
use reqwest::cookie::Jar;
use std::time::Duration;

/// The outcome of a step that sends requests, before it is placed in a scenario's report.
pub struct StepOutcome {
    pub status: StepStatus,
    pub error: Option<String>,
    pub checks: Vec<CheckReport>,
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
        if let Some(shared_checks) = &suite.suite.error_responses
            && response.status >= 400
            && from_target(&outgoing.url, shared.base_url.as_ref())
        {
            let root = SourceRef::new(suite.doc.clone(), String::new());
            results.extend(checks::run_block(
                shared_checks,
                &response,
                &root.child("error_responses"),
                &ctx,
            ));
        }
        let mut captured = Vec::new();
        for (name, capture) in &step.capture {
            let mut r =
                CheckReport::new(CheckKind::Capture, name, "", src.loc_of(&["capture", name]));
            match checks::capture::capture(capture, &response.parts(), scope) {
                Ok(value) => captured.push((name.clone(), value)),
                Err(message) => {
                    r.passed = false;
                    r.message = Some(scope.redactor().text(&message));
                }
            }
            results.push(r);
        }
        let passed = results.iter().all(|c| c.passed);
        if passed || attempt == attempts {
            if passed {
                results.extend(checks::snapshot(&step.expect, &response, src, &ctx));
            }
            let passed = results.iter().all(|c| c.passed);
            if passed {
                for (name, value) in captured {
                    scope.set(&name, value);
                }
                outcome.status = StepStatus::Passed;
            }
            outcome.checks = results;
            return outcome;
        }
        outcome.checks = results;
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
