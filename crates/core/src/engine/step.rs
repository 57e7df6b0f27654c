//! Runs one HTTP step: render, send, check, capture — again while `retry` allows.

use super::Shared;
use super::http::{Outgoing, SendError};
use super::redirect::{self, Followed};
use super::request;
use super::scope::Scope;
use crate::checks::{self, CheckContext, Response};
use crate::engine::http::CookieJar;
use crate::loader::LoadedSuite;
use crate::outcome::{
    CheckKind, CheckReport, Exchange, Redirect, ResponseLog, StepStatus, Traffic, Unevaluated,
};
use crate::redact::Redactor;
use crate::spec::{Call, Capture, HttpStep, Redirects, SourceRef};
use std::time::Duration;

/// The outcome of a step that sends requests, before it is placed in a scenario's report.
pub(crate) struct StepOutcome {
    pub status: StepStatus,
    pub error: Option<String>,
    pub checks: Vec<CheckReport>,
    pub(crate) unevaluated: Option<Unevaluated>,
    pub exchange: Option<Exchange>,
    pub traffic: Vec<Traffic>,
    pub attempts: u32,
    pub redirects: Vec<Redirect>,
    pub notes: Vec<String>,
    /// Whatever the step's role, its failure means the scenario's case was not tested (a rate
    /// limit stopped it): the scenario is blocked.
    pub blocks: bool,
}

impl StepOutcome {
    /// A step that failed before any check could run, for this reason.
    pub(super) fn failed(error: String) -> StepOutcome {
        StepOutcome {
            status: StepStatus::Failed,
            error: Some(error),
            checks: Vec::new(),
            unevaluated: None,
            exchange: None,
            traffic: Vec::new(),
            attempts: 1,
            redirects: Vec::new(),
            notes: Vec::new(),
            blocks: false,
        }
    }
}

pub(super) async fn run(
    shared: &Shared,
    suite: &LoadedSuite,
    step: &HttpStep,
    redirects: Option<Redirects>,
    src: &SourceRef,
    scope: &mut Scope,
    jar: &CookieJar,
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
        redirects: Vec::new(),
        notes: Vec::new(),
        blocks: false,
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
        let webhook = matches!(step.call, Call::Webhook(_));
        let follow = follow_redirects(shared, suite, redirects);
        let (followed, limited) =
            send_within_limits(shared, jar, outgoing, follow, &step.expect, scope).await;
        outcome.notes.clear();
        outcome.redirects.clear();
        record_hops(&mut outcome, &followed, webhook, scope.redactor());
        if let Some(note) = limited.note {
            outcome.notes.push(note);
        }
        let outgoing = followed.request;
        let request_log = request::log(&outgoing, scope.redactor());
        let sent = followed.result;
        outcome.traffic.push(traffic(
            outgoing.method.to_string(),
            &outgoing.url,
            sent.as_ref().ok().map(|i| i.status),
            webhook,
            scope.redactor(),
        ));
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
        if let Some(error) = limited.blocked {
            // The backend refused to serve us at all: the step's checks would only repeat that.
            outcome.error = Some(error);
            outcome.blocks = true;
            outcome.checks.clear();
            outcome.unevaluated = None;
            outcome.exchange = Some(Exchange {
                request: request_log,
                response: Some(incoming_log(&incoming, scope)),
            });
            return outcome;
        }
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

/// Whether redirects are followed for a step: as the step says, else as its suite says, else as
/// the run says (`--no-follow-redirects`).
pub(super) fn follow_redirects(
    shared: &Shared,
    suite: &LoadedSuite,
    step: Option<Redirects>,
) -> bool {
    match step.or(suite.suite.redirects) {
        Some(policy) => policy == Redirects::Follow,
        None => shared.follow_redirects,
    }
}

/// One request as traffic. Its URL is redacted like every other output: a token in a query
/// string stays hidden.
pub(crate) fn traffic(
    method: String,
    url: &url::Url,
    status: Option<u16>,
    webhook: bool,
    redactor: &Redactor,
) -> Traffic {
    Traffic {
        method,
        url: redactor.text(url.as_str()),
        status,
        webhook,
    }
}

/// Notes the redirects a request went through, as traffic and as the step's redirects (their
/// URLs redacted).
pub(crate) fn record_hops(
    outcome: &mut StepOutcome,
    followed: &Followed,
    webhook: bool,
    redactor: &Redactor,
) {
    for hop in &followed.hops {
        outcome.traffic.push(traffic(
            hop.method.clone(),
            &hop.from,
            Some(hop.status),
            webhook,
            redactor,
        ));
        outcome.redirects.push(Redirect {
            method: hop.method.clone(),
            from: redactor.text(hop.from.as_str()),
            status: hop.status,
            to: redactor.text(hop.to.as_str()),
        });
    }
    if let Some(why) = &followed.stopped {
        outcome.notes.push(format!("redirect {why}"));
    }
}

/// What a rate limit did to a request.
#[derive(Default)]
struct Limited {
    /// Said on the step: the wait and the retry.
    note: Option<String>,
    /// The step's error when the limit stopped it: the scenario is then blocked.
    blocked: Option<String>,
}

/// The longest `Retry-After` waited out before sending a rate-limited request once more.
pub(crate) const LONGEST_RATE_LIMIT_WAIT: Duration = Duration::from_secs(5);

/// Sends a request (following redirects); a 429 the step does not expect is waited out once
/// when `Retry-After` asks for at most [`LONGEST_RATE_LIMIT_WAIT`], else it blocks the step.
async fn send_within_limits(
    shared: &Shared,
    jar: &CookieJar,
    outgoing: Outgoing,
    follow: bool,
    expect: &crate::spec::Expect,
    scope: &Scope,
) -> (Followed, Limited) {
    let send = |req: Outgoing| {
        redirect::send(&shared.http, jar, req, follow, |r| {
            shared.sending(r, scope.redactor())
        })
    };
    let first = send(outgoing.clone()).await;
    let expects_429 = expect.status.as_ref().is_some_and(|s| s.matches(429));
    let Some(answer) = first
        .result
        .as_ref()
        .ok()
        .filter(|a| a.status == 429 && !expects_429)
    else {
        return (first, Limited::default());
    };
    let header = |name: &str| checks::capture::header(&answer.headers, name);
    let wait = header("retry-after").and_then(|v| retry_after(&v));
    let announced = [
        "retry-after",
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ]
    .iter()
    .filter_map(|h| header(h).map(|v| format!("{h}: {v}")))
    .collect::<Vec<_>>()
    .join(", ");
    let limit = header("x-ratelimit-limit")
        .map_or_else(String::new, |l| format!(" (X-RateLimit-Limit: {l})"));
    let blocked = |note: String| Limited {
        note: Some(note),
        blocked: Some(format!("rate limited{limit}: the backend answered 429")),
    };
    match wait {
        Some(wait) if wait <= LONGEST_RATE_LIMIT_WAIT => {
            tokio::time::sleep(wait).await;
            let again = send(outgoing).await;
            let still = again.result.as_ref().is_ok_and(|a| a.status == 429);
            let waited = format!(
                "rate limited ({announced}); waited {} ms and sent it again",
                wait.as_millis()
            );
            if still {
                (again, blocked(format!("{waited}: 429 again")))
            } else {
                (
                    again,
                    Limited {
                        note: Some(waited),
                        blocked: None,
                    },
                )
            }
        }
        _ => {
            let note = if announced.is_empty() {
                "rate limited: 429 without Retry-After".to_string()
            } else {
                format!(
                    "rate limited ({announced}): longer than gigcheck waits ({} s)",
                    LONGEST_RATE_LIMIT_WAIT.as_secs()
                )
            };
            (first, blocked(note))
        }
    }
}

/// A `Retry-After` value: seconds, or an HTTP-date.
fn retry_after(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Whether a request went to the backend under test (not, say, to the Stripe API).
fn from_target(url: &url::Url, base: Option<&url::Url>) -> bool {
    base.is_some_and(|b| url.origin() == b.origin())
}

/// The shown form of a raw response (used where no checks ran on it).
pub(crate) fn incoming_log(incoming: &super::http::Incoming, scope: &Scope) -> ResponseLog {
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
        body: super::shorten(&redactor.body_of(&response.text, response.json.as_ref().ok())),
        body_bytes: bytes,
        duration: response.elapsed,
    }
}
