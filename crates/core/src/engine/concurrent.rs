//! Runs a `concurrent` step: every request rendered first, then all sent at the same moment,
//! and the answers counted by status — the way races (double cancels, oversells) are caught.

use super::Shared;
use super::redirect::Followed;
use super::request;
use super::scope::Scope;
use super::step::{StepOutcome, record_hops, traffic};
use crate::engine::http::CookieJar;
use crate::outcome::{CheckKind, CheckReport, Exchange, StepStatus};
use crate::spec::values::StatusPattern;
use crate::spec::{ConcurrentStep, SourceRef};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(super) async fn run(
    shared: &Arc<Shared>,
    step: &ConcurrentStep,
    follow: bool,
    src: &SourceRef,
    scope: &Scope,
    jar: &Arc<CookieJar>,
) -> StepOutcome {
    let mut outgoing = Vec::with_capacity(step.requests.len());
    for req in &step.requests {
        match request::build(req, scope, shared.base_url.as_ref(), shared.timeout) {
            Ok(o) => outgoing.push(o),
            Err(e) => {
                return StepOutcome::failed(scope.redactor().text(&e.to_string()));
            }
        }
    }
    // Everything is rendered before anything is sent, so the requests leave together.
    for req in &outgoing {
        shared.sending(req, scope.redactor());
    }
    let mut tasks = tokio::task::JoinSet::new();
    let here = super::current_scenario().unwrap_or_default();
    for (i, req) in outgoing.iter().cloned().enumerate() {
        let shared = shared.clone();
        let jar = jar.clone();
        let redactor = scope.redactor().clone();
        let here = here.clone();
        tasks.spawn(super::as_scenario(here, async move {
            let mut first = true;
            let followed = super::redirect::send(&shared.http, &jar, req, follow, |r| {
                // The first requests were announced together, above.
                if !std::mem::take(&mut first) {
                    shared.sending(r, &redactor);
                }
            })
            .await;
            (i, followed)
        }));
    }
    let mut followed: Vec<Option<Followed>> = (0..outgoing.len()).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, result)) = joined {
            followed[i] = Some(result);
        }
    }
    let mut on_the_way = StepOutcome::failed(String::new());
    let mut answers = Vec::with_capacity(followed.len());
    // Where each request ended up, after its redirects.
    let mut finals = Vec::with_capacity(followed.len());
    for (f, original) in followed.into_iter().zip(&outgoing) {
        let (last, answer) = match f {
            Some(f) => {
                record_hops(&mut on_the_way, &f, false, scope.redactor());
                (f.request, Some(f.result))
            }
            None => (original.clone(), None),
        };
        finals.push(last);
        answers.push(answer);
    }
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut first_error = None;
    for answer in &answers {
        let key = match answer {
            Some(Ok(incoming)) => incoming.status.to_string(),
            Some(Err(e)) => {
                first_error.get_or_insert_with(|| e.to_string());
                "no answer".to_string()
            }
            None => "no answer".to_string(),
        };
        *counts.entry(key).or_default() += 1;
    }
    let mut check = CheckReport::new(
        CheckKind::Status,
        "statuses",
        "counted",
        src.loc_of(&["expect", "statuses"]),
    );
    if !counts_match(&step.statuses, &counts) {
        check.passed = false;
        check.expected = Some(show(step.statuses.iter().map(|(k, v)| (k.as_str(), *v))));
        check.actual = Some(show(counts.iter().map(|(k, v)| (k.as_str(), *v))));
        check.message = first_error.map(|e| scope.redactor().text(&e));
    }
    // Show the first request, with the first answer whose status was not expected (or the first).
    let shown = answers
        .iter()
        .flatten()
        .flatten()
        .find(|a| {
            !step
                .statuses
                .keys()
                .any(|k| pattern(k).is_some_and(|p| p.matches(a.status)))
        })
        .or_else(|| answers.iter().flatten().flatten().next());
    let exchange = outgoing.first().map(|req| Exchange {
        request: request::log(req, scope.redactor()),
        response: shown.map(|a| super::step::incoming_log(a, scope)),
    });
    let mut sent = on_the_way.traffic;
    sent.extend(finals.iter().zip(&answers).map(|(req, answer)| {
        traffic(
            req.method.to_string(),
            &req.url,
            answer
                .as_ref()
                .and_then(|a| a.as_ref().ok())
                .map(|a| a.status),
            false,
            scope.redactor(),
        )
    }));
    StepOutcome {
        status: if check.passed {
            StepStatus::Passed
        } else {
            StepStatus::Failed
        },
        error: None,
        checks: vec![check],
        unevaluated: None,
        exchange,
        traffic: sent,
        attempts: 1,
        redirects: on_the_way.redirects,
        notes: on_the_way.notes,
        blocks: false,
    }
}

fn pattern(key: &str) -> Option<StatusPattern> {
    StatusPattern::parse(key).ok()
}

/// Each expected pattern got exactly its count, and nothing else arrived.
fn counts_match(
    expected: &indexmap::IndexMap<String, usize>,
    actual: &BTreeMap<String, usize>,
) -> bool {
    let mut remaining = actual.clone();
    for (key, want) in expected {
        let Some(p) = pattern(key) else { return false };
        let got: usize = remaining
            .iter()
            .filter(|(status, _)| status.parse::<u16>().is_ok_and(|s| p.matches(s)))
            .map(|(_, n)| *n)
            .sum();
        if got != *want {
            return false;
        }
        remaining.retain(|status, _| !status.parse::<u16>().is_ok_and(|s| p.matches(s)));
    }
    remaining.is_empty()
}

fn show<'a>(counts: impl Iterator<Item = (&'a str, usize)>) -> String {
    counts
        .map(|(k, n)| format!("{n}× {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_must_match_exactly() {
        let expected: indexmap::IndexMap<String, usize> =
            [("200".to_string(), 1), ("4xx".to_string(), 9)].into();
        let ok: BTreeMap<String, usize> = [
            ("200".to_string(), 1),
            ("400".to_string(), 5),
            ("409".to_string(), 4),
        ]
        .into();
        assert!(counts_match(&expected, &ok));
        let two: BTreeMap<String, usize> = [("200".to_string(), 2), ("400".to_string(), 8)].into();
        assert!(!counts_match(&expected, &two));
        let extra: BTreeMap<String, usize> = [
            ("200".to_string(), 1),
            ("400".to_string(), 9),
            ("500".to_string(), 1),
        ]
        .into();
        assert!(!counts_match(&expected, &extra));
        assert_eq!(
            show(ok.iter().map(|(k, v)| (k.as_str(), *v))),
            "1× 200, 5× 400, 4× 409"
        );
    }
}
