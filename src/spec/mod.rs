//! The spec model: what a YAML scenario file means, as typed Rust values.
//!
//! A spec file is a [`Suite`] (a JUnit testsuite) of [`Scenario`]s (testcases), each an ordered
//! list of [`Step`]s. Deserializing validates every value that can be validated alone (status
//! patterns, durations, regexes, JSONPaths, template syntax) and rejects unknown keys; checks that
//! need more context (variables defined before use, schema files, includes) live in
//! [`crate::loader`]. Nothing here performs I/O.

pub mod assertion;
pub mod json_template;
pub mod source;
pub mod template;
pub mod unique;
pub mod values;

use assertion::{JsonType, ValueAssertion};
use indexmap::IndexMap;
use json_template::JsonTemplate;
use serde::Deserialize;
use serde::de::{self, Deserializer};
pub use source::{Loc, SourceRef};
use std::fmt;
use std::sync::Arc;
use template::Template;
use values::{BodyPath, Pattern, SpecDuration, StatusExpectation};

/// Variables defined in a spec: name → value (templates allowed).
pub type Vars = IndexMap<String, JsonTemplate>;

/// One spec file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suite {
    /// Defaults to the file name.
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Run this suite's scenarios one after another, in file order.
    #[serde(default)]
    pub serial: bool,
    /// Fixture files (in the `fixtures/` folder) whose top-level keys become variables, before
    /// `vars`: shared test data such as users, addresses and carts.
    #[serde(default)]
    pub fixtures: Vec<String>,
    /// Evaluated afresh for every scenario, so `{{unique_email}}` differs between scenarios.
    #[serde(default, deserialize_with = "unique::map")]
    pub vars: Vars,
    /// Steps run before each scenario, in that scenario's variables and cookie jar.
    #[serde(default)]
    pub setup: Vec<Step>,
    /// Steps run after each scenario, even when it failed.
    #[serde(default)]
    pub teardown: Vec<Step>,
    /// Checks every error response (4xx/5xx) from the target must pass too, whatever the step:
    /// e.g. the error body's schema and "no internals in the message".
    pub error_responses: Option<Expect>,
    pub scenarios: Vec<Scenario>,
}

/// One test case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The test plan's number, e.g. `"4.1"`. Several scenarios may share one id.
    #[serde(default, deserialize_with = "plan_id")]
    pub id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Run with nothing else running: for scenarios that change what every scenario shares
    /// (a database outage, faults at the payment provider).
    #[serde(default)]
    pub exclusive: bool,
    #[serde(default, deserialize_with = "unique::map")]
    pub vars: Vars,
    pub steps: Vec<Step>,
    /// Runs after the scenario's steps (before the suite's teardown), even when a step failed.
    #[serde(default)]
    pub teardown: Vec<Step>,
    #[serde(skip)]
    pub src: SourceRef,
}

impl Scenario {
    /// `[4.1] Cancel a pending order`, or just the name without an id.
    pub fn title(&self) -> String {
        match &self.id {
            Some(id) => format!("[{id}] {}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Accepts `id: "4.1"` and the unquoted `id: 4.1` (which YAML reads as a number).
fn plan_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl de::Visitor<'_> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a plan id such as \"4.1\"")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
    }
    d.deserialize_any(V)
}

/// One step of a scenario.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawStep")]
pub struct Step {
    pub name: Option<String>,
    pub action: Action,
    pub src: SourceRef,
}

#[derive(Debug, Clone)]
pub enum Action {
    Http(Box<HttpStep>),
    Include(Include),
    /// Run a named hook of the environment (`db_down`, `db_up`…).
    Hook(String),
    /// Send several requests at the same moment and count the answers.
    Concurrent(Box<ConcurrentStep>),
}

/// Requests sent all at once, for races: "10 cancels of one order → exactly one 200".
#[derive(Debug, Clone)]
pub struct ConcurrentStep {
    pub requests: Vec<Request>,
    /// Written as one `request` sent `times` times (rather than a list of `requests`).
    pub repeated: bool,
    /// How many answers of each status are expected: `{ 200: 1, 400: 9 }` (classes like `4xx`
    /// allowed). Statuses not listed must not occur.
    pub statuses: IndexMap<String, usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConcurrent {
    /// Send `request` this many times at once…
    times: Option<usize>,
    request: Option<Request>,
    /// …or these requests at once.
    requests: Option<Vec<Request>>,
}

/// What an HTTP step sends.
#[derive(Debug, Clone)]
pub enum Call {
    Request(Box<Request>),
    /// A Stripe event, signed as Stripe signs, sent to the backend's webhook.
    Webhook(Box<Webhook>),
}

/// Send a request, check the response, capture values.
#[derive(Debug, Clone)]
pub struct HttpStep {
    pub call: Call,
    pub expect: Expect,
    pub capture: IndexMap<String, Capture>,
    pub retry: Option<Retry>,
}

/// Run a fragment's steps with parameters.
#[derive(Debug, Clone)]
pub struct Include {
    /// As written, relative to the including file.
    pub path: String,
    pub with: Vars,
    /// Filled in by the loader.
    pub fragment: Option<Arc<Fragment>>,
}

/// A reusable list of steps (`specs/_fragments/*.yaml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fragment {
    pub description: Option<String>,
    /// Names the includer must pass with `with:`; they are variables inside the fragment.
    #[serde(default)]
    pub params: Vec<String>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: Option<String>,
    request: Option<Request>,
    webhook: Option<Webhook>,
    hook: Option<String>,
    concurrent: Option<RawConcurrent>,
    include: Option<String>,
    #[serde(default, deserialize_with = "unique::opt_map")]
    with: Option<Vars>,
    expect: Option<Expect>,
    #[serde(default, deserialize_with = "unique::map")]
    capture: IndexMap<String, Capture>,
    retry: Option<Retry>,
}

impl TryFrom<RawStep> for Step {
    type Error = String;

    fn try_from(raw: RawStep) -> Result<Step, String> {
        let has_checks = raw.expect.is_some() || !raw.capture.is_empty() || raw.retry.is_some();
        let actions = [
            raw.request.is_some(),
            raw.webhook.is_some(),
            raw.hook.is_some(),
            raw.concurrent.is_some(),
            raw.include.is_some(),
        ];
        match actions.iter().filter(|a| **a).count() {
            0 => return Err(
                "a step needs one of `request` (send an HTTP request), `webhook` (send a signed Stripe event), `hook` (run a named hook) or `include` (run a fragment)".into(),
            ),
            1 => {}
            _ => return Err("a step does one thing: `request`, `webhook`, `hook` or `include`".into()),
        }
        if raw.with.is_some() && raw.include.is_none() {
            return Err("`with` only goes with `include`".into());
        }
        let http = |call| {
            Action::Http(Box::new(HttpStep {
                call,
                expect: raw.expect.clone().unwrap_or_default(),
                capture: raw.capture.clone(),
                retry: raw.retry,
            }))
        };
        let action = if let Some(concurrent) = raw.concurrent.clone() {
            concurrent_step(concurrent, &raw)?
        } else if let Some(request) = raw.request.clone() {
            http(Call::Request(Box::new(request)))
        } else if let Some(webhook) = raw.webhook.clone() {
            http(Call::Webhook(Box::new(webhook)))
        } else if let Some(hook) = raw.hook.clone() {
            if has_checks {
                return Err(
                    "a `hook` step takes only `name`; it passes when the hook succeeds".into(),
                );
            }
            Action::Hook(hook)
        } else {
            if has_checks {
                return Err("an `include` step takes only `name` and `with`; put `expect`, `capture` and `retry` on the fragment's own steps".into());
            }
            Action::Include(Include {
                path: raw.include.clone().unwrap_or_default(),
                with: raw.with.clone().unwrap_or_default(),
                fragment: None,
            })
        };
        Ok(Step {
            name: raw.name,
            action,
            src: SourceRef::default(),
        })
    }
}

fn concurrent_step(raw: RawConcurrent, step: &RawStep) -> Result<Action, String> {
    let repeated = raw.request.is_some();
    let requests = match (raw.times, raw.request, raw.requests) {
        (Some(times), Some(request), None) if (2..=1000).contains(&times) => vec![request; times],
        (Some(_), Some(_), None) => return Err("`times` is between 2 and 1000".into()),
        (None, None, Some(requests)) if requests.len() >= 2 => requests,
        _ => {
            return Err(
                "`concurrent` takes `times` with `request` (the same request N times), or `requests` (a list of at least 2)".into(),
            );
        }
    };
    if !step.capture.is_empty() || step.retry.is_some() {
        return Err("a `concurrent` step takes no `capture` or `retry`".into());
    }
    let Some(expect) = &step.expect else {
        return Err("a `concurrent` step needs `expect: { statuses: { 200: 1, 409: 4 } }`".into());
    };
    if expect.status.is_some()
        || !expect.headers.is_empty()
        || !expect.body.is_empty()
        || expect.text.is_some()
        || expect.schema.is_some()
        || expect.snapshot.is_some()
        || expect.faster_than.is_some()
    {
        return Err(
            "a `concurrent` step checks only `statuses` (how many answers of each status)".into(),
        );
    }
    let statuses = expect.statuses.clone().unwrap_or_default();
    if statuses.is_empty() {
        return Err("a `concurrent` step needs `expect: { statuses: { 200: 1, 409: 4 } }`".into());
    }
    for key in statuses.keys() {
        values::StatusPattern::parse(key)?;
    }
    Ok(Action::Concurrent(Box::new(ConcurrentStep {
        requests,
        repeated,
        statuses,
    })))
}

impl Step {
    /// A name for output: the given name, else the request line or the fragment.
    pub fn display_name(&self) -> String {
        if let Some(name) = &self.name {
            return name.clone();
        }
        match &self.action {
            Action::Http(h) => match &h.call {
                Call::Request(r) => format!("{} {}", r.method, r.url.raw()),
                Call::Webhook(w) => format!("webhook {}", w.event_type),
            },
            Action::Include(i) => format!("include {}", i.path),
            Action::Hook(h) => format!("hook {h}"),
            Action::Concurrent(c) => format!(
                "{} requests at once: {} {}",
                c.requests.len(),
                c.requests[0].method,
                c.requests[0].url.raw()
            ),
        }
    }
}

/// The HTTP methods a request may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
            Method::Head => "HEAD",
            Method::Options => "OPTIONS",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP request. `url` is relative to `base_url` unless it is absolute.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub method: Method,
    pub url: Template,
    #[serde(default, deserialize_with = "unique::map")]
    pub query: IndexMap<String, Template>,
    #[serde(default, deserialize_with = "unique::map")]
    pub headers: IndexMap<String, Template>,
    /// Shorthand for `Authorization: Bearer <token>`.
    pub bearer: Option<Template>,
    /// A JSON body (sets `Content-Type: application/json` unless a header says otherwise).
    pub json: Option<JsonTemplate>,
    /// A form body (`application/x-www-form-urlencoded`).
    #[serde(default, deserialize_with = "unique::opt_map")]
    pub form: Option<IndexMap<String, Template>>,
    /// A raw text body, sent as written.
    pub body: Option<Template>,
    /// Overrides `--timeout` for this request.
    pub timeout: Option<SpecDuration>,
}

/// A Stripe event sent to the backend's webhook endpoint, signed like Stripe signs
/// (`Stripe-Signature: t=…,v1=…`), or deliberately signed wrong.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// The event type, e.g. `payment_intent.succeeded`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// `data.object` of the event.
    pub object: JsonTemplate,
    /// The event id; default a fresh `evt_…`. Send the same id twice to test idempotency.
    pub id: Option<Template>,
    /// Where to send it, relative to the base URL.
    #[serde(default = "default_webhook_url")]
    pub url: Template,
    /// The signing secret; default the `webhook_secret` variable.
    pub secret: Option<Template>,
    /// `valid` (default), or a way of getting it wrong.
    #[serde(default)]
    pub signature: SignatureMode,
}

fn default_webhook_url() -> Template {
    Template::literal("/api/payment/webhook")
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureMode {
    #[default]
    Valid,
    /// Signed with a secret that is not the backend's.
    WrongSecret,
    /// Signed correctly, but the timestamp is 10 minutes old (past Stripe's 300 s tolerance).
    Stale,
    /// Signed correctly, then the body is changed.
    Tampered,
    /// No `Stripe-Signature` header at all.
    Missing,
}

/// What the response must look like.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub status: Option<StatusExpectation>,
    /// Header name (any case) → expected value or operators.
    #[serde(default, deserialize_with = "unique::map")]
    pub headers: IndexMap<String, ValueAssertion>,
    /// JSONPath → expected value or operators.
    #[serde(default, deserialize_with = "unique::map")]
    pub body: IndexMap<String, ValueAssertion>,
    /// Assertions on the raw body text (`contains`, `matches`, …).
    pub text: Option<ValueAssertion>,
    /// A JSON Schema file in the schemas folder.
    pub schema: Option<String>,
    pub snapshot: Option<SnapshotSpec>,
    /// The response must arrive within this time.
    pub faster_than: Option<SpecDuration>,
    /// Only for `concurrent` steps: how many answers of each status.
    #[serde(default, deserialize_with = "unique::opt_map")]
    pub statuses: Option<IndexMap<String, usize>>,
}

/// Where a captured value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Capture {
    /// A JSONPath into the response body; the JSON type is kept.
    Body(BodyPath),
    /// A response header's value.
    Header(String),
    /// A regex over the raw body; `group` 1 by default (0 is the whole match).
    Regex { pattern: Pattern, group: usize },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCapture {
    jsonpath: Option<BodyPath>,
    header: Option<String>,
    regex: Option<Pattern>,
    group: Option<usize>,
}

impl<'de> Deserialize<'de> for Capture {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Capture;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a JSONPath such as `$.token`, or `{ header: Name }`, or `{ regex: '…' }`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Capture, E> {
                BodyPath::parse(v).map(Capture::Body).map_err(E::custom)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Capture, A::Error> {
                let raw = RawCapture::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (raw.jsonpath, raw.header, raw.regex) {
                    (Some(p), None, None) if raw.group.is_none() => Ok(Capture::Body(p)),
                    (None, Some(h), None) if raw.group.is_none() => Ok(Capture::Header(h)),
                    (None, None, Some(pattern)) => {
                        let group = raw.group.unwrap_or(1);
                        if group > pattern.0.captures_len() - 1 {
                            return Err(de::Error::custom(format!(
                                "the regex has {} group(s); `group: {group}` does not exist",
                                pattern.0.captures_len() - 1
                            )));
                        }
                        Ok(Capture::Regex { pattern, group })
                    }
                    _ => Err(de::Error::custom(
                        "a capture takes exactly one of `jsonpath`, `header` or `regex` (`group` only with `regex`)",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Repeat a step until its checks pass.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Total tries, the first included.
    pub attempts: u32,
    /// Wait between tries.
    #[serde(default = "default_retry_delay")]
    pub delay: SpecDuration,
}

fn default_retry_delay() -> SpecDuration {
    SpecDuration(std::time::Duration::from_millis(200))
}

/// Compare the response body with a stored snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotSpec {
    pub name: String,
    /// JSONPath → placeholder, applied before comparing.
    pub redact: IndexMap<String, Redaction>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redaction {
    /// Replaces the value, e.g. `"[id]"`.
    pub with: String,
    /// If set, the value must have this type before it is replaced.
    #[serde(rename = "type")]
    pub type_: Option<JsonType>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSnapshot {
    name: String,
    #[serde(default, deserialize_with = "unique::map")]
    redact: IndexMap<String, RawRedaction>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawRedaction {
    Placeholder(String),
    Full(Redaction),
}

impl<'de> Deserialize<'de> for SnapshotSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = SnapshotSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a snapshot name, or `{ name: …, redact: { $.path: \"[placeholder]\" } }`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SnapshotSpec, E> {
                Ok(SnapshotSpec {
                    name: v.to_string(),
                    redact: IndexMap::new(),
                })
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<SnapshotSpec, A::Error> {
                let raw = RawSnapshot::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let redact = raw
                    .redact
                    .into_iter()
                    .map(|(path, r)| {
                        let r = match r {
                            RawRedaction::Placeholder(with) => Redaction { with, type_: None },
                            RawRedaction::Full(r) => r,
                        };
                        (path, r)
                    })
                    .collect();
                Ok(SnapshotSpec {
                    name: raw.name,
                    redact,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUITE: &str = r#"
name: Orders
tags: [orders]
vars:
  password: "S3cure!pass"
scenarios:
  - id: 4.1
    name: Cancel a pending order
    steps:
      - name: Create
        request:
          method: POST
          url: /api/orders
          bearer: "{{token}}"
          json: { items: [{ product_id: 1, quantity: 1 }] }
        expect:
          status: 201
          headers:
            content-type: { matches: "^application/json" }
          body:
            $.order.status: pending
            $.order.id: { type: integer }
          schema: created-order.json
          snapshot:
            name: created-order
            redact:
              $.order.id: "[id]"
              $.order.order_date: { with: "[date]", type: string }
          faster_than: 2s
        capture:
          order_id: $.order.id
          request_id: { header: X-Request-Id }
          word: { regex: "cancel(\\w+)" }
        retry: { attempts: 3, delay: 100ms }
      - include: _fragments/login.yaml
        with: { email: a@b.c }
"#;

    #[test]
    fn a_full_suite_parses() {
        let suite: Suite = serde_yaml::from_str(SUITE).unwrap();
        let sc = &suite.scenarios[0];
        assert_eq!(sc.id.as_deref(), Some("4.1"));
        assert_eq!(sc.title(), "[4.1] Cancel a pending order");
        let Action::Http(h) = &sc.steps[0].action else {
            panic!("expected an http step")
        };
        let Call::Request(request) = &h.call else {
            panic!("expected a request")
        };
        assert_eq!(request.method, Method::Post);
        assert_eq!(h.expect.body.len(), 2);
        assert_eq!(h.capture.len(), 3);
        assert_eq!(h.retry.unwrap().attempts, 3);
        let snap = h.expect.snapshot.as_ref().unwrap();
        assert_eq!(
            snap.redact["$.order.order_date"].type_,
            Some(JsonType::String)
        );
        assert!(matches!(sc.steps[1].action, Action::Include(_)));
        assert_eq!(sc.steps[1].display_name(), "include _fragments/login.yaml");
    }

    #[test]
    fn unknown_keys_are_rejected_with_a_location() {
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - request: { method: GET, url: / }\n        expct: { status: 200 }\n";
        let err = serde_yaml::from_str::<Suite>(yaml).unwrap_err();
        assert!(err.to_string().contains("unknown field `expct`"), "{err}");
        assert!(err.location().is_some());
    }

    #[test]
    fn a_step_needs_exactly_one_action() {
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - name: nothing\n";
        let err = serde_yaml::from_str::<Suite>(yaml).unwrap_err().to_string();
        assert!(err.contains("needs one of `request`"), "{err}");
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - hook: db_down\n        request: { method: GET, url: / }\n";
        assert!(serde_yaml::from_str::<Suite>(yaml).is_err());
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - hook: db_down\n        expect: { status: 200 }\n";
        assert!(serde_yaml::from_str::<Suite>(yaml).is_err());
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - include: a.yaml\n        expect: { status: 200 }\n";
        assert!(serde_yaml::from_str::<Suite>(yaml).is_err());
    }

    #[test]
    fn webhook_and_hook_steps() {
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - webhook: { type: payment_intent.succeeded, object: { id: pi_1 }, signature: stale }\n        expect: { status: 400 }\n      - hook: db_down\n";
        let suite: Suite = serde_yaml::from_str(yaml).unwrap();
        let Action::Http(h) = &suite.scenarios[0].steps[0].action else {
            panic!()
        };
        let Call::Webhook(w) = &h.call else { panic!() };
        assert_eq!(
            (w.event_type.as_str(), w.signature, w.url.raw()),
            (
                "payment_intent.succeeded",
                SignatureMode::Stale,
                "/api/payment/webhook"
            )
        );
        assert!(matches!(&suite.scenarios[0].steps[1].action, Action::Hook(h) if h == "db_down"));
        assert_eq!(suite.scenarios[0].steps[1].display_name(), "hook db_down");
    }

    #[test]
    fn capture_forms() {
        assert!(serde_yaml::from_str::<Capture>("token").is_err());
        assert!(serde_yaml::from_str::<Capture>("{ regex: 'a', group: 1 }").is_err());
        assert!(matches!(
            serde_yaml::from_str::<Capture>("{ regex: 'id=(\\d+)' }").unwrap(),
            Capture::Regex { group: 1, .. }
        ));
        assert!(serde_yaml::from_str::<Capture>("{ header: A, jsonpath: $.a }").is_err());
    }

    #[test]
    fn methods_are_uppercase() {
        assert!(serde_yaml::from_str::<Method>("GET").is_ok());
        assert!(serde_yaml::from_str::<Method>("FETCH").is_err());
    }
}
