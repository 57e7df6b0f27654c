//! A scenario's traffic as a sequence diagram: who sent what to whom, in order. The HTML report
//! draws it as SVG and the Markdown report as Mermaid; both start from [`Diagram`].
//!
//! Lanes come from where each request went: the backend under test, the Stripe API (the
//! emulator), or another host. Webhook steps are drawn from a Stripe lane of their own, because
//! gigcheck plays Stripe when it sends them. Identical requests of one step in a row (a
//! `concurrent` step's burst) become one arrow with a count.

use crate::outcome::{RunReport, ScenarioReport, Traffic};

/// A participant of the diagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Lane {
    /// gigcheck itself, as the client.
    Client,
    /// The backend under test.
    Backend,
    /// The Stripe API the run was given (the emulator).
    Stripe,
    /// Stripe's webhook deliveries, which gigcheck signs and sends.
    Webhooks,
    /// Any other host, by its origin.
    Other(String),
}

impl Lane {
    pub(super) fn label(&self) -> &str {
        match self {
            Lane::Client => "gigcheck",
            Lane::Backend => "backend",
            Lane::Stripe => "Stripe API",
            Lane::Webhooks => "Stripe webhooks",
            Lane::Other(origin) => origin,
        }
    }
}

/// One arrow: a request and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub from: Lane,
    pub to: Lane,
    /// `POST /api/orders`, with `10× ` in front for a burst.
    pub request: String,
    /// `201`, `200 ×1, 409 ×9`, or `no answer`.
    pub answer: String,
    /// Whether any answer was missing or an error status (4xx/5xx).
    pub error: bool,
    /// The step that sent it: `step 2`, `setup 1`…
    pub step: String,
    /// Whether that step failed.
    pub(crate) failed_step: bool,
}

/// Lanes in first-use order (the client first) and the messages in the order they were sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Diagram {
    pub(crate) lanes: Vec<Lane>,
    pub messages: Vec<Message>,
}

/// The diagram of one scenario of `report`.
pub(super) fn diagram(report: &RunReport, scenario: &ScenarioReport) -> Diagram {
    let backend = report.run.target.as_deref().and_then(origin_of);
    let stripe = report.run.stripe_url.as_deref().and_then(origin_of);
    let mut d = Diagram {
        lanes: vec![Lane::Client],
        messages: Vec::new(),
    };
    for step in &scenario.steps {
        let step_label = format!("{} {}", step.phase.label(), step.number);
        let failed = step.status == crate::outcome::StepStatus::Failed;
        let mut i = 0;
        while i < step.traffic.len() {
            let first = &step.traffic[i];
            let burst = step.traffic[i..]
                .iter()
                .take_while(|t| {
                    t.method == first.method && t.url == first.url && t.webhook == first.webhook
                })
                .count();
            let group = &step.traffic[i..i + burst];
            i += burst;
            let to = lane_of(first, backend.as_deref(), stripe.as_deref());
            let from = if first.webhook {
                Lane::Webhooks
            } else {
                Lane::Client
            };
            for lane in [&from, &to] {
                if !d.lanes.contains(lane) {
                    d.lanes.push(lane.clone());
                }
            }
            let count = if burst > 1 {
                format!("{burst}× ")
            } else {
                String::new()
            };
            d.messages.push(Message {
                from,
                to,
                request: format!("{count}{} {}", first.method, path_of(&first.url)),
                answer: answers(group),
                error: group.iter().any(|t| t.status.is_none_or(|s| s >= 400)),
                step: step_label.clone(),
                failed_step: failed,
            });
        }
    }
    d
}

fn origin_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
}

fn lane_of(t: &Traffic, backend: Option<&str>, stripe: Option<&str>) -> Lane {
    let Some(origin) = origin_of(&t.url) else {
        return Lane::Other(t.url.clone());
    };
    if Some(origin.as_str()) == backend {
        Lane::Backend
    } else if Some(origin.as_str()) == stripe {
        Lane::Stripe
    } else {
        Lane::Other(origin)
    }
}

/// The path and query of a URL (the lane already says which host).
pub(super) fn path_of(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => match u.query() {
            Some(q) => format!("{}?{q}", u.path()),
            None => u.path().to_string(),
        },
        Err(_) => url.to_string(),
    }
}

/// `201`, or counts by status for a burst: `200 ×1, 409 ×9`.
fn answers(group: &[Traffic]) -> String {
    let show = |s: Option<u16>| s.map_or_else(|| "no answer".to_string(), |s| s.to_string());
    if let [one] = group {
        return show(one.status);
    }
    let mut counts: Vec<(String, usize)> = Vec::new();
    for t in group {
        let key = show(t.status);
        match counts.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => counts.push((key, 1)),
        }
    }
    counts.sort();
    counts
        .iter()
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::*;

    fn traffic(method: &str, url: &str, status: Option<u16>, webhook: bool) -> Traffic {
        Traffic {
            method: method.into(),
            url: url.into(),
            status,
            webhook,
        }
    }

    fn step(number: usize, status: StepStatus, traffic: Vec<Traffic>) -> StepReport {
        StepReport {
            phase: Phase::Main,
            number,
            name: format!("s{number}"),
            loc: Default::default(),
            status,
            precondition: false,
            unevaluated: None,
            redirects: Vec::new(),
            notes: Vec::new(),
            error: None,
            checks: Vec::new(),
            exchange: None,
            traffic,
            attempts: 1,
            duration: Default::default(),
            verifies: Vec::new(),
        }
    }

    fn scenario(steps: Vec<StepReport>) -> ScenarioReport {
        ScenarioReport {
            id: Some("1.1".into()),
            name: "x".into(),
            tags: Vec::new(),
            loc: Default::default(),
            outcome: Outcome::Passed,
            steps,
            duration: Default::default(),
            started_at: None,
            rules: Default::default(),
        }
    }

    #[test]
    fn lanes_follow_the_hosts_and_webhooks_come_from_stripe() {
        let report = RunReport {
            run: RunInfo {
                target: Some("http://127.0.0.1:5000/".into()),
                stripe_url: Some("http://127.0.0.1:12111".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let s = scenario(vec![
            step(
                1,
                StepStatus::Passed,
                vec![traffic(
                    "POST",
                    "http://127.0.0.1:5000/api/orders?x=1",
                    Some(201),
                    false,
                )],
            ),
            step(
                2,
                StepStatus::Passed,
                vec![traffic(
                    "POST",
                    "http://127.0.0.1:12111/v1/payment_intents/pi_1/confirm",
                    Some(200),
                    false,
                )],
            ),
            step(
                3,
                StepStatus::Failed,
                vec![traffic(
                    "POST",
                    "http://127.0.0.1:5000/api/payment/webhook",
                    None,
                    true,
                )],
            ),
            step(
                4,
                StepStatus::Passed,
                vec![traffic("GET", "http://example.test/x", Some(404), false)],
            ),
        ]);
        let d = diagram(&report, &s);
        assert_eq!(
            d.lanes,
            [
                Lane::Client,
                Lane::Backend,
                Lane::Stripe,
                Lane::Webhooks,
                Lane::Other("http://example.test".into())
            ]
        );
        assert_eq!(d.messages[0].request, "POST /api/orders?x=1");
        assert_eq!(d.messages[0].answer, "201");
        assert!(!d.messages[0].error);
        assert_eq!(d.messages[1].to, Lane::Stripe);
        assert_eq!(d.messages[2].from, Lane::Webhooks);
        assert_eq!(d.messages[2].answer, "no answer");
        assert!(d.messages[2].error && d.messages[2].failed_step);
        assert_eq!(d.messages[3].step, "step 4");
        assert!(d.messages[3].error);
    }

    #[test]
    fn a_burst_of_one_step_is_one_arrow_with_counts() {
        let report = RunReport {
            run: RunInfo {
                target: Some("http://h:1".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let cancel = |s| traffic("POST", "http://h:1/api/orders/7/cancel", Some(s), false);
        let s = scenario(vec![step(
            1,
            StepStatus::Passed,
            vec![cancel(409), cancel(200), cancel(409)],
        )]);
        let d = diagram(&report, &s);
        assert_eq!(d.messages.len(), 1);
        assert_eq!(d.messages[0].request, "3× POST /api/orders/7/cancel");
        assert_eq!(d.messages[0].answer, "200 ×1, 409 ×2");
    }
}
