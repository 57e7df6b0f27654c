//! Failures grouped by root cause, so that a red run says what is wrong once.
//!
//! A failed or blocked scenario's cause is its first failing step: the request (method and
//! route, ids folded to `{id}`), the answer's status and the first check that did not hold —
//! or, with no answer, the transport error. Scenarios with the same cause are one group, shown
//! with one example step (its checks and traffic) and the list of scenarios it stopped.

use crate::outcome::{Outcome, RunReport, ScenarioReport, StepReport};
use crate::spec::Loc;
use gigcheck_base::text::plural;
use indexmap::IndexMap;

/// Scenarios that stopped for the same reason.
#[derive(Debug, Clone)]
pub struct Cause {
    /// `POST /api/addresses → 404 (text/html), expected 201`.
    pub headline: String,
    /// Where the failing step is written (the first scenario's).
    pub loc: Loc,
    /// The first scenario's failing step, shown once for the whole group.
    pub example: StepReport,
    /// Every scenario it stopped, in spec order.
    pub members: Vec<Member>,
}

/// A scenario a cause stopped.
#[derive(Debug, Clone)]
pub struct Member {
    /// The spec file it belongs to.
    pub file: String,
    /// `[id] name`.
    pub title: String,
    /// Where the scenario is written.
    pub loc: Loc,
    /// Failed or blocked.
    pub outcome: Outcome,
    /// Its other failed steps (a teardown that failed after the cause), one line each.
    pub also: Vec<String>,
}

impl Cause {
    /// How many of its scenarios failed (their own checks found something wrong).
    pub fn failed(&self) -> usize {
        self.count(&Outcome::Failed)
    }

    /// How many of its scenarios were blocked (they never reached their own checks).
    pub fn blocked(&self) -> usize {
        self.count(&Outcome::Blocked)
    }

    fn count(&self, outcome: &Outcome) -> usize {
        self.members
            .iter()
            .filter(|m| &m.outcome == outcome)
            .count()
    }

    /// Blocked only (the cause kept every one of its scenarios from its checks).
    pub(crate) fn only_blocked(&self) -> bool {
        self.failed() == 0
    }

    /// `17 scenarios blocked by`, `1 scenario failed at`, `3 scenarios (1 failed, 2 blocked) at`.
    pub(crate) fn count_phrase(&self) -> String {
        let n = self.members.len();
        let what = format!("{n} {}", plural(n, "scenario"));
        match (self.failed(), self.blocked()) {
            (0, _) => format!("{what} blocked by"),
            (_, 0) => format!("{what} failed at"),
            (f, b) => format!("{what} ({f} failed, {b} blocked) at"),
        }
    }

    /// The group's one-line title: count phrase and headline.
    pub fn title(&self) -> String {
        format!("{} {}", self.count_phrase(), self.headline)
    }

    /// `17 blocked` or `2 failed, 1 blocked`: for lists of causes.
    pub fn tally(&self) -> String {
        match (self.failed(), self.blocked()) {
            (0, b) => format!("{b} blocked"),
            (f, 0) => format!("{f} failed"),
            (f, b) => format!("{f} failed, {b} blocked"),
        }
    }
}

/// The causes of a run's failed and blocked scenarios, worst (most scenarios) first; ties keep
/// the order in which they first appeared.
pub fn group(report: &RunReport) -> Vec<Cause> {
    let target = report.run.target.as_deref();
    let stripe = report.run.stripe_url.as_deref();
    let mut groups: IndexMap<String, Cause> = IndexMap::new();
    for (file, s) in report
        .suites
        .iter()
        .flat_map(|suite| suite.scenarios.iter().map(move |s| (&suite.file, s)))
        .filter(|(_, s)| s.outcome.is_failure())
    {
        let Some(first) = s.first_failure() else {
            continue;
        };
        let (key, headline) = cause_of(first, target, stripe);
        let member = Member {
            file: file.clone(),
            title: s.title(),
            loc: s.loc.clone(),
            outcome: s.outcome.clone(),
            also: also(s, first),
        };
        groups
            .entry(key)
            .or_insert_with(|| Cause {
                headline,
                loc: first.loc.clone(),
                example: first.clone(),
                members: Vec::new(),
            })
            .members
            .push(member);
    }
    let mut causes: Vec<Cause> = groups.into_values().collect();
    // A stable sort keeps first appearance among equals.
    causes.sort_by_key(|c| std::cmp::Reverse(c.members.len()));
    causes
}

/// The scenario's other failed steps, one line each.
fn also(s: &ScenarioReport, first: &StepReport) -> Vec<String> {
    s.failed_steps()
        .filter(|step| !std::ptr::eq(*step, first))
        .map(|step| {
            format!(
                "{} {} \"{}\": {}",
                step.phase.label(),
                step.number,
                step.name,
                what_failed(step)
            )
        })
        .collect()
}

/// The first failed check's line, or the step's error.
pub(crate) fn what_failed(step: &StepReport) -> String {
    step.checks
        .iter()
        .find(|c| !c.passed)
        .map(|c| c.summary())
        .or_else(|| step.error.clone())
        .unwrap_or_else(|| "failed".into())
}

/// The grouping key and the headline of a failing step.
fn cause_of(step: &StepReport, target: Option<&str>, stripe: Option<&str>) -> (String, String) {
    let first_check = step.checks.iter().find(|c| !c.passed);
    let Some(exchange) = &step.exchange else {
        // Nothing was sent: a hook, a variable, a template, a file that could not be loaded.
        let what = first_check
            .map(|c| c.headline())
            .or_else(|| step.error.clone())
            .unwrap_or_else(|| "failed".into());
        let headline = format!("{} \"{}\": {what}", step.phase.label(), step.name);
        return (headline.clone(), headline);
    };
    let request = format!(
        "{} {}",
        exchange.request.method,
        route(&exchange.request.url, target, stripe)
    );
    let Some(response) = &exchange.response else {
        let error = step.error.clone().unwrap_or_else(|| "no answer".into());
        let headline = format!("{request} → no answer: {error}");
        return (headline.clone(), headline);
    };
    let media = crate::outcome::other_media(&response.headers)
        .map_or_else(String::new, |m| format!(" ({m})"));
    let answer = format!("{request} → {}{media}", response.status);
    match first_check {
        Some(c) if c.kind == crate::outcome::CheckKind::Status => {
            let expected = c.expected.as_deref().unwrap_or("another status");
            let headline = format!("{answer}, expected {expected}");
            (headline.clone(), headline)
        }
        Some(c) => {
            let key = format!("{answer}: {}", c.headline());
            // Values make a headline clearer while they are short; the detail has them all.
            let short = |v: &String| v.chars().count() <= VALUE_IN_HEADLINE;
            let headline = match (&c.expected, &c.actual, &c.message) {
                // A forbidden pattern's finding is short by construction and is the news.
                (_, Some(a), _) if c.operator == "not_matches" => format!("{key}: found {a}"),
                (Some(e), Some(a), _) if short(e) && short(a) => {
                    format!("{key}: expected {e}, actual {a}")
                }
                (None, None, Some(m)) if m.starts_with(NOT_JSON) || m.starts_with(EMPTY) => {
                    let what = if m.starts_with(EMPTY) {
                        EMPTY
                    } else {
                        "the body is not JSON"
                    };
                    format!("{key}: {what}")
                }
                _ => key.clone(),
            };
            (key, headline)
        }
        None => {
            let error = step.error.clone().unwrap_or_else(|| "failed".into());
            let headline = format!("{answer}: {error}");
            (headline.clone(), headline)
        }
    }
}

/// A followed redirect as one line, ids folded: `POST /api/orders → 308 → /api/orders/`.
pub(crate) fn redirect_line(r: &crate::outcome::Redirect) -> String {
    let path =
        |url: &str| url::Url::parse(url).map_or_else(|_| url.to_string(), |u| fold_ids(u.path()));
    format!(
        "{} {} → {} → {}",
        r.method,
        path(&r.from),
        r.status,
        path(&r.to)
    )
}

/// A path with the segments that name one object written `{id}`.
pub(crate) fn fold_ids(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if looks_like_id(segment) {
                "{id}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The longest expected or actual value a headline shows.
const VALUE_IN_HEADLINE: usize = 40;
/// How the checks say that a body is not JSON (see `checks`).
const NOT_JSON: &str = "the body is not valid JSON";
const EMPTY: &str = "the body is empty";

/// A request's route as people read it: the path under the target (ids folded to `{id}`),
/// `Stripe /v1/…` for the Stripe API, the whole origin for anything else.
pub fn route(url: &str, target: Option<&str>, stripe: Option<&str>) -> String {
    let Ok(parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    let under = |base: Option<&str>| {
        let base = url::Url::parse(base?).ok()?;
        (base.origin() == parsed.origin()).then(|| {
            let prefix = base.path().trim_end_matches('/');
            parsed
                .path()
                .strip_prefix(prefix)
                .unwrap_or(parsed.path())
                .to_string()
        })
    };
    let (label, path) = if let Some(path) = under(target) {
        ("", path)
    } else if let Some(path) = under(stripe) {
        ("Stripe ", path)
    } else {
        (
            "",
            format!("{}{}", parsed.origin().ascii_serialization(), parsed.path()),
        )
    };
    format!("{label}{}", fold_ids(&path))
}

/// A path segment that names one object rather than a route: a number, a UUID, a Stripe-style
/// id (`pi_3Nx…`).
fn looks_like_id(segment: &str) -> bool {
    if segment.is_empty() {
        return false;
    }
    if segment.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    segment.len() >= 8
        && segment.bytes().any(|b| b.is_ascii_digit())
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::*;
    use std::time::Duration;

    fn failing_step(url: &str, status: Option<u16>, check: Option<CheckReport>) -> StepReport {
        StepReport {
            phase: Phase::Setup,
            number: 1,
            name: "Add a shipping address".into(),
            loc: Loc {
                file: "specs/_fragments/customer.yaml".into(),
                line: 24,
                col: 5,
            },
            status: StepStatus::Failed,
            precondition: true,
            error: status.is_none().then(|| "connection refused".to_string()),
            checks: check.into_iter().collect(),
            unevaluated: None,
            redirects: Vec::new(),
            notes: Vec::new(),
            exchange: Some(Exchange {
                request: RequestLog {
                    method: "POST".into(),
                    url: url.into(),
                    headers: Vec::new(),
                    body: None,
                },
                response: status.map(|status| ResponseLog {
                    status,
                    headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
                    body: "<!doctype html>".into(),
                    body_bytes: 15,
                    duration: Duration::ZERO,
                }),
            }),
            traffic: Vec::new(),
            attempts: 1,
            duration: Duration::ZERO,
            verifies: Vec::new(),
        }
    }

    fn status_check(expected: &str, actual: &str) -> CheckReport {
        let mut c = CheckReport::new(CheckKind::Status, "", "", Loc::default());
        c.passed = false;
        c.expected = Some(expected.into());
        c.actual = Some(actual.into());
        c
    }

    fn scenario(name: &str, outcome: Outcome, step: StepReport) -> ScenarioReport {
        ScenarioReport {
            id: Some("1.1".into()),
            name: name.into(),
            tags: Vec::new(),
            loc: Loc::default(),
            outcome,
            steps: vec![step],
            duration: Duration::ZERO,
            started_at: None,
            rules: Default::default(),
        }
    }

    #[test]
    fn scenarios_with_one_cause_are_one_group_worst_first() {
        let missing = |id: u32| {
            failing_step(
                &format!("http://127.0.0.1:5000/api/addresses?user={id}"),
                Some(404),
                Some(status_check("201", "404")),
            )
        };
        let mut wrong =
            CheckReport::new(CheckKind::Body, "$.order.total", "equals", Loc::default());
        wrong.passed = false;
        wrong.expected = Some("399.99".into());
        wrong.actual = Some("199.99".into());
        let mut total = failing_step(
            "http://127.0.0.1:5000/api/orders/17",
            Some(200),
            Some(wrong),
        );
        total
            .exchange
            .as_mut()
            .unwrap()
            .response
            .as_mut()
            .unwrap()
            .headers
            .clear();
        let report = RunReport {
            run: RunInfo {
                target: Some("http://127.0.0.1:5000/".into()),
                ..Default::default()
            },
            suites: vec![SuiteReport {
                name: "s".into(),
                file: "specs/a.yaml".into(),
                scenarios: vec![
                    scenario("total", Outcome::Failed, total),
                    scenario("a", Outcome::Blocked, missing(1)),
                    scenario("ok", Outcome::Passed, missing(9)),
                    scenario("b", Outcome::Blocked, missing(2)),
                ],
            }],
        };
        let causes = group(&report);
        let titles: Vec<String> = causes.iter().map(Cause::title).collect();
        assert_eq!(
            titles,
            [
                "2 scenarios blocked by POST /api/addresses → 404 (text/html), expected 201",
                "1 scenario failed at POST /api/orders/{id} → 200: body $.order.total equals: expected 399.99, actual 199.99",
            ]
        );
        assert_eq!(causes[0].members.len(), 2);
        assert_eq!(causes[0].tally(), "2 blocked");
    }

    #[test]
    fn routes_fold_ids_and_name_stripe() {
        let target = Some("http://h:1/base/");
        let stripe = Some("http://s:2");
        assert_eq!(
            route("http://h:1/base/api/orders/42/cancel", target, stripe),
            "/api/orders/{id}/cancel"
        );
        assert_eq!(
            route("http://h:1/base/api/orders/stats", target, stripe),
            "/api/orders/stats"
        );
        assert_eq!(
            route(
                "http://s:2/v1/payment_intents/pi_3NxAbC12/confirm",
                target,
                stripe
            ),
            "Stripe /v1/payment_intents/{id}/confirm"
        );
        assert_eq!(route("http://x:3/a/7", target, stripe), "http://x:3/a/{id}");
    }

    #[test]
    fn a_transport_error_is_its_own_cause() {
        let step = failing_step("http://h:1/api/orders", None, None);
        let (_, headline) = cause_of(&step, Some("http://h:1"), None);
        assert_eq!(headline, "POST /api/orders → no answer: connection refused");
    }
}
