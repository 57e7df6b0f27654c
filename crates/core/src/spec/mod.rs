//! The spec model: what a YAML scenario file means, as typed Rust values.
//!
//! A spec file is a [`Suite`] (a JUnit testsuite) of [`Scenario`]s (testcases), each an ordered
//! list of [`Step`]s. Deserializing validates every value that can be validated alone (status
//! patterns, durations, regexes, JSONPaths, template syntax) and rejects unknown keys; checks that
//! need more context (variables defined before use, schema files, includes) live in
//! [`crate::loader`]. Nothing here performs I/O.
//!
//! Every type a spec file is read into also describes itself as JSON Schema ([`schemars`]);
//! [`schema`] puts them together for `gigcheck schema` and editors.

pub mod assertion;
pub mod json_template;
pub(crate) mod roles;
pub mod schema;
pub(crate) mod source;
pub mod template;
pub(crate) mod unique;
pub mod values;

use assertion::{JsonType, ValueAssertion};
use indexmap::IndexMap;
use json_template::JsonTemplate;
pub use roles::Roles;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer};
pub use source::Loc;
pub(crate) use source::SourceRef;
use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use template::Template;
use values::{BodyPath, Pattern, SpecDuration, StatusExpectation};

/// Variables defined in a spec: name → value (templates allowed).
pub type Vars = IndexMap<String, JsonTemplate>;

/// One spec file: a suite of scenarios, reported as one JUnit testsuite. Top-level keys that
/// start with `x-` are a home for YAML anchors and are not read.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Suite {
    /// The suite's name (the JUnit testsuite); defaults to the file name.
    pub name: Option<String>,
    /// What the suite covers.
    pub description: Option<String>,
    /// Tags for `--tag`; every scenario of the suite has them.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Run this suite's scenarios one after another, in file order.
    #[serde(default)]
    pub serial: bool,
    /// Fixture files (in the `fixtures/` folder) whose top-level keys become variables, before
    /// `vars`: shared test data such as users, addresses and carts.
    #[serde(default)]
    pub fixtures: Vec<String>,
    /// Variables: name → value (templates allowed). Evaluated afresh for every scenario, so
    /// `{{unique_email}}` differs between scenarios.
    #[serde(default, deserialize_with = "unique::map")]
    #[schemars(with = "unique::Map<JsonTemplate>")]
    pub vars: Vars,
    /// Steps run before each scenario, in that scenario's variables and cookie jar.
    #[serde(default)]
    pub setup: Vec<Step>,
    /// Steps run after each scenario, even when it failed.
    #[serde(default)]
    pub teardown: Vec<Step>,
    /// Checks every error response (4xx/5xx) from the target must pass too, whatever the step:
    /// e.g. the error body's schema and "no internals in the message". No `snapshot` (it applies
    /// to many responses) and no `statuses` (the loader rejects both).
    #[schemars(extend("properties" = { "snapshot": { "type": "null" }, "statuses": false }))]
    pub error_responses: Option<Expect>,
    /// `none`: check redirect answers themselves in this suite instead of following them.
    pub redirects: Option<Redirects>,
    /// The test cases; each runs with its own variables and cookie jar, in parallel unless the
    /// suite is `serial` or the scenario `exclusive`.
    pub scenarios: Vec<Scenario>,
}

/// One test case (a JUnit testcase).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The test plan's number, quoted: `"4.1"` (YAML would read `4.10` as the number 4.1).
    /// Several scenarios may share one id.
    #[serde(default, deserialize_with = "plan_id")]
    #[schemars(schema_with = "plan_id_schema", transform = without_default)]
    pub id: Option<String>,
    /// What the scenario checks, as the report shows it: `[4.1] <name>`.
    pub name: String,
    /// More about the scenario.
    pub description: Option<String>,
    /// Tags for `--tag`, besides the suite's.
    #[serde(default)]
    pub tags: Vec<String>,
    /// The contract rules (ids of `fixtures/contract.yaml`) this scenario as a whole verifies;
    /// rules one step decides go on that step.
    #[serde(default)]
    #[schemars(with = "Vec<RuleId>")]
    pub verifies: Vec<String>,
    /// Run with nothing else running: for scenarios that change what every scenario shares
    /// (a database outage, faults at the payment provider).
    #[serde(default)]
    pub exclusive: bool,
    /// Variables of this scenario, after the suite's: name → value (templates allowed).
    #[serde(default, deserialize_with = "unique::map")]
    #[schemars(with = "unique::Map<JsonTemplate>")]
    pub vars: Vars,
    /// The steps, in order; a failed step stops the scenario (teardown still runs).
    pub steps: Vec<Step>,
    /// Runs after the scenario's steps (before the suite's teardown), even when a step failed.
    #[serde(default)]
    pub teardown: Vec<Step>,
    #[serde(skip)]
    pub(crate) src: SourceRef,
}

impl Suite {
    /// The contract rules the steps a scenario runs verify: the suite's setup and teardown,
    /// the scenario's steps and teardown, and the steps of every fragment they include; sorted.
    pub fn step_rules(&self, scenario: &Scenario) -> Vec<String> {
        fn walk(steps: &[Step], out: &mut std::collections::BTreeSet<String>) {
            for step in steps {
                out.extend(step.verifies.iter().cloned());
                if let Action::Include(Include {
                    fragment: Some(f), ..
                }) = &step.action
                {
                    walk(&f.steps, out);
                }
            }
        }
        let mut out = std::collections::BTreeSet::new();
        for steps in [
            &self.setup,
            &scenario.steps,
            &scenario.teardown,
            &self.teardown,
        ] {
            walk(steps, &mut out);
        }
        out.into_iter().collect()
    }
}

impl Scenario {
    /// `[4.1] Cancel a pending order`, or just the name without an id.
    pub fn title(&self) -> String {
        title(self.id.as_deref(), &self.name)
    }
}

/// A scenario as people see it: `[4.1] Cancel a pending order`, or the name alone.
pub fn title(id: Option<&str>, name: &str) -> String {
    match id {
        Some(id) => format!("[{id}] {name}"),
        None => name.to_string(),
    }
}

/// Accepts `id: "4.1"`; refuses an unquoted number, which YAML has already changed
/// (`4.10` arrives as 4.1, `2.0` as 2) and would be counted under another plan case.
fn plan_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    struct V;
    impl V {
        fn number<E: de::Error>() -> Result<Option<String>, E> {
            Err(E::custom(
                "an unquoted id is a number to YAML, which drops trailing zeros (4.10 becomes 4.1): \
                 quote it, as in id: \"4.10\"",
            ))
        }
    }
    impl de::Visitor<'_> for V {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a quoted plan id such as \"4.1\"")
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            V::number()
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            V::number()
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            V::number()
        }
    }
    d.deserialize_any(V)
}

/// The schema of what [`plan_id`] accepts: a string.
fn plan_id_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "string" })
}

/// Drops the `default` schemars derives from `#[serde(default)]` where it would be `null`, a
/// value the field's schema rejects (absent is what stands for "none").
fn without_default(schema: &mut Schema) {
    schema.remove("default");
}

/// One step of a scenario: `name` plus exactly one of `request`, `webhook`, `hook`, `concurrent`
/// or `include`. `request` and `webhook` take `expect`, `capture` and `retry`; `concurrent` takes
/// `expect` with `statuses` only; `include` takes `with`; `hook` nothing more.
// Its JSON Schema is `RawStep`'s (the form it is read in) with this description.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(try_from = "RawStep")]
#[schemars(with = "RawStep")]
pub struct Step {
    /// What the step does, as the report shows it; `None`: the report shows the request line
    /// (or the hook, or the fragment) instead.
    pub name: Option<String>,
    /// Whether a failure here leaves the scenario's case untested (blocked) rather than failed;
    /// `None`: the default for its kind (see `Step::is_precondition`).
    pub precondition: Option<bool>,
    /// Whether redirects are followed; `None`: as the suite or the run says.
    pub redirects: Option<Redirects>,
    /// The step runs only when this renders to something (not empty, `null`, `false` or 0).
    pub when: Option<Template>,
    /// The step runs only when this renders to nothing (empty, `null`, `false` or 0).
    pub unless: Option<Template>,
    /// An `include` run once per run with these parameters: the first scenario to reach it runs
    /// it, every other one gets the variables it captured (or, if it failed, is blocked by it).
    pub once: bool,
    /// Variables set just before the step runs, from what earlier steps captured.
    pub vars: Vars,
    /// The contract rules this step's checks verify.
    pub verifies: Vec<String>,
    /// The one thing the step does: `request`, `webhook`, `hook`, `concurrent` or `include`.
    pub action: Action,
    pub(crate) src: SourceRef,
}

/// The one thing a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Send a `request` or a `webhook`, then check the response and capture from it.
    Http(Box<HttpStep>),
    /// Run a fragment's steps (`include`).
    Include(Include),
    /// Run a named hook of the environment (`db_down`, `db_up`…).
    Hook(String),
    /// Send several requests at the same moment and count the answers.
    Concurrent(Box<ConcurrentStep>),
}

/// Requests sent all at once, for races: "10 cancels of one order → exactly one 200".
#[derive(Debug, Clone)]
pub struct ConcurrentStep {
    /// The requests sent at once: `times` copies of `request`, or the `requests` list.
    pub requests: Vec<Request>,
    /// Written as one `request` sent `times` times (rather than a list of `requests`).
    pub repeated: bool,
    /// How many answers of each status are expected: `{ 200: 1, 400: 9 }` (classes like `4xx`
    /// allowed). Statuses not listed must not occur.
    pub statuses: IndexMap<String, usize>,
}

/// Requests sent at the same moment: `times` with `request` (the same request 2 to 1000 times),
/// or `requests` (a list of at least 2).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Concurrent", transform = concurrent_rules)]
struct RawConcurrent {
    /// Send `request` this many times at once (2 to 1000)…
    times: Option<usize>,
    /// The request to send `times` times.
    request: Option<Request>,
    /// …or these requests at once (at least 2).
    requests: Option<Vec<Request>>,
}

/// What [`concurrent_step`] requires of a [`RawConcurrent`], as schema keywords.
fn concurrent_rules(schema: &mut Schema) {
    schema.insert(
        "oneOf".into(),
        serde_json::json!([
            {
                "required": ["times", "request"],
                "properties": {
                    "times": { "type": "integer", "minimum": 2, "maximum": 1000 },
                    "request": { "type": "object" },
                    "requests": { "type": "null" },
                },
            },
            {
                "required": ["requests"],
                "properties": {
                    "requests": { "type": "array", "minItems": 2 },
                    "times": { "type": "null" },
                    "request": { "type": "null" },
                },
            }
        ]),
    );
}

/// What an HTTP step sends.
#[derive(Debug, Clone)]
pub enum Call {
    /// An HTTP request to the target (`request`).
    Request(Box<Request>),
    /// A Stripe event, signed as Stripe signs, sent to the backend's webhook.
    Webhook(Box<Webhook>),
}

/// Send a request, check the response, capture values.
#[derive(Debug, Clone)]
pub struct HttpStep {
    /// What is sent: a request or a webhook.
    pub call: Call,
    /// What the response must look like; empty when the step has no `expect`.
    pub expect: Expect,
    /// Variables to set from the response: name → where the value comes from, in written order.
    pub capture: IndexMap<String, Capture>,
    /// Tries the step again until its checks pass; `None`: it runs once.
    pub retry: Option<Retry>,
}

/// Run a fragment's steps with parameters.
#[derive(Debug, Clone)]
pub struct Include {
    /// As written, relative to the including file.
    pub path: String,
    /// The values of the fragment's parameters (`with`); empty when none are given.
    pub with: Vars,
    /// Filled in by the loader.
    pub fragment: Option<Arc<Fragment>>,
}

/// A reusable list of steps (`specs/_fragments/*.yaml`), run by a step's `include`. Variables
/// it captures are visible to the includer afterwards.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(extend("patternProperties" = { "^x-": {} }))]
pub struct Fragment {
    /// What the fragment does.
    pub description: Option<String>,
    /// Names the includer must pass with `with:`; they are variables inside the fragment.
    #[serde(default)]
    pub params: Vec<String>,
    /// The fragment's steps, run in the including scenario's variables and cookie jar.
    pub steps: Vec<Step>,
}

/// A step as written, before `TryFrom` checks that its keys make one action (see [`Step`]).
#[derive(Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Step", transform = step_rules)]
struct RawStep {
    /// What the step does, as the report shows it; defaults to the request line.
    name: Option<String>,
    /// Send an HTTP request.
    request: Option<Request>,
    /// Send a Stripe event to the backend's webhook, signed as Stripe signs (or deliberately not).
    webhook: Option<Webhook>,
    /// Run a named hook of the target, e.g. `db_down` / `db_up`.
    hook: Option<String>,
    /// Send requests at the same moment and count the answers' statuses (for races).
    concurrent: Option<RawConcurrent>,
    /// Run a fragment's steps: a file relative to this one, e.g. `_fragments/login.yaml`.
    include: Option<String>,
    /// With `include`: a value for every parameter the fragment declares.
    #[serde(default, deserialize_with = "unique::opt_map")]
    #[schemars(with = "unique::Map<JsonTemplate>")]
    with: Option<Vars>,
    /// What the response must look like.
    expect: Option<Expect>,
    /// Variables to set from the response: name → `$.json.path`, `{ header: Name }` or
    /// `{ regex: "…", group: 1 }`.
    #[serde(default, deserialize_with = "unique::map")]
    #[schemars(with = "unique::Map<Capture>")]
    capture: IndexMap<String, Capture>,
    /// Try the whole step again until it passes: `{ attempts: 5, delay: 200ms }`.
    retry: Option<Retry>,
    /// Whether this step only prepares the scenario's own checks: when it fails, the scenario
    /// is reported *blocked* (its case was never tested) rather than *failed*. Defaults to true
    /// for `include` and `hook` steps (and every step of a suite's `setup`), false otherwise.
    precondition: Option<bool>,
    /// `none` to check a redirect itself instead of following it (the default: `follow`, as a
    /// browser does, within the target's origin).
    redirects: Option<Redirects>,
    /// Run the step only when this renders to something: not empty, `null`, `false` or `0`
    /// (e.g. `"{{user_email}}"`: only when the environment gives a customer).
    when: Option<Template>,
    /// Run the step only when this renders to nothing (the other branch of a `when`).
    unless: Option<Template>,
    /// With `include`: run the fragment once per run (per set of `with` values) and share what it
    /// captures with every scenario that includes it, e.g. one sign-up for the whole run.
    #[serde(default)]
    once: bool,
    /// Variables set just before the step runs (unlike a scenario's `vars`, they may use what
    /// earlier steps captured), e.g. the claims of a token to sign.
    #[serde(default, deserialize_with = "unique::map")]
    #[schemars(with = "unique::Map<JsonTemplate>")]
    vars: Vars,
    /// The contract rules (ids of `fixtures/contract.yaml`) this step's checks verify: each
    /// check that would fail if the rule were broken.
    #[serde(default)]
    #[schemars(with = "Vec<RuleId>")]
    verifies: Vec<String>,
}

/// A contract rule's id, as `fixtures/contract.yaml` names it: dotted lower-case words.
#[derive(JsonSchema)]
#[schemars(transform = rule_id_pattern)]
#[allow(dead_code)]
struct RuleId(String);

fn rule_id_pattern(schema: &mut Schema) {
    schema.insert("pattern".into(), "^[a-z0-9-]+(\\.[a-z0-9-]+)+$".into());
}

/// What a request does with a redirect answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Redirects {
    /// Follow it as a browser does: same origin only; 307/308 keep the method and body.
    Follow,
    /// Check the 3xx answer itself.
    None,
}

/// What `TryFrom<RawStep> for Step` (and [`concurrent_step`], and the loader's check that
/// `statuses` belongs to `concurrent` steps) require of a [`RawStep`], as schema keywords: at
/// least one action, and for each action given, what may (not) go with it. `{ "enum": [null] }`
/// reads "absent or null", which serde treats alike (on keys whose schema never takes `null`:
/// "absent"). Written as `if`/`then` rather than a `oneOf` of forms so that editors
/// (yaml-language-server) point at the key that is wrong, with the loader's own words in
/// `errorMessage`.
/// What a step with more than one action is told, by `validate` and by the schema alike.
const ONE_ACTION: &str =
    "a step does one thing: `request`, `webhook`, `hook`, `concurrent` or `include`";

fn step_rules(schema: &mut Schema) {
    use serde_json::{Value, json};
    const ACTIONS: [&str; 5] = ["request", "webhook", "hook", "concurrent", "include"];
    let unset = |message: &str| json!({ "enum": [null], "errorMessage": message });
    let set = |action: &str| json!({ "required": [action], "properties": { action: { "not": { "type": "null" } } } });
    let one_action = ONE_ACTION;
    let no_checks = |message: &str| {
        json!({
            "expect": unset(message),
            "retry": unset(message),
            "verifies": { "maxItems": 0, "errorMessage": message },
            "capture": { "additionalProperties": false, "errorMessage": message },
        })
    };
    let no_statuses = json!({
        "expect": {
            "properties": {
                "statuses": unset("`statuses` counts the answers of a `concurrent` step; for one request use `status`"),
            },
        },
    });
    let concurrent_checks =
        "a `concurrent` step checks only `statuses` (how many answers of each status)";
    let concurrent_expect = "a `concurrent` step needs `expect: { statuses: { 200: 1, 409: 4 } }`";
    let concurrent = json!({
        "retry": unset("a `concurrent` step takes no `capture` or `retry`"),
        "capture": {
            "additionalProperties": false,
            "errorMessage": "a `concurrent` step takes no `capture` or `retry`",
        },
        "expect": {
            "type": "object",
            "required": ["statuses"],
            "errorMessage": concurrent_expect,
            "properties": {
                "statuses": {
                    "minProperties": 1,
                    "errorMessage": concurrent_expect,
                    "propertyNames": {
                        "pattern": values::STATUS_PATTERN_REGEX,
                        "patternErrorMessage": "not a status: write a code such as `201` or a class such as `4xx`",
                    },
                },
                "status": unset(concurrent_checks),
                "text": unset(concurrent_checks),
                "schema": unset(concurrent_checks),
                "snapshot": unset(concurrent_checks),
                "faster_than": unset(concurrent_checks),
                "headers": { "additionalProperties": false, "errorMessage": concurrent_checks },
                "body": { "additionalProperties": false, "errorMessage": concurrent_checks },
            },
        },
    });
    // What goes with each action, besides `name`.
    let rules = |action: &'static str| -> (Vec<&'static str>, Value) {
        match action {
            "request" | "webhook" => (vec![action], no_statuses.clone()),
            "hook" => (
                vec![action],
                no_checks("a `hook` step takes only `name`; it passes when the hook succeeds"),
            ),
            "include" => (
                vec![action],
                no_checks(
                    "an `include` step takes only `name` and `with`; put `expect`, `capture` and `retry` on the fragment's own steps",
                ),
            ),
            _ => (vec![action, "expect"], concurrent.clone()),
        }
    };
    let mut all = Vec::new();
    for action in ACTIONS {
        let (required, extra) = rules(action);
        let mut properties = serde_json::Map::new();
        for other in ACTIONS.iter().filter(|other| **other != action) {
            properties.insert((*other).into(), unset(one_action));
        }
        if action != "include" {
            properties.insert("with".into(), unset("`with` only goes with `include`"));
        }
        if let Value::Object(extra) = extra {
            properties.extend(extra);
        }
        let mut then = json!({ "required": required, "properties": properties });
        if action == "concurrent" {
            then["errorMessage"] = concurrent_expect.into();
        }
        all.push(json!({ "if": set(action), "then": then }));
    }
    let unset_all: serde_json::Map<String, Value> = ACTIONS
        .iter()
        .map(|a| ((*a).to_string(), json!({ "type": "null" })))
        .collect();
    all.push(json!({
        "if": { "properties": unset_all },
        "then": {
            "required": ["request"],
            "properties": { "request": { "not": { "type": "null" } } },
            "errorMessage": "a step needs one of `request` (send an HTTP request), `webhook` (send a signed Stripe event), `hook` (run a named hook), `concurrent` (send requests at once) or `include` (run a fragment)",
        },
    }));
    schema.insert("allOf".into(), Value::Array(all));
}

impl TryFrom<RawStep> for Step {
    type Error = String;

    fn try_from(raw: RawStep) -> Result<Step, String> {
        // Taken apart so that its parts move into the step: a scenario past the kept few is
        // read again for every run of it (loader::Slot), so copies would be paid each time.
        let RawStep {
            name,
            request,
            webhook,
            hook,
            concurrent,
            include,
            with,
            expect,
            capture,
            retry,
            precondition,
            redirects,
            when,
            unless,
            once,
            vars,
            verifies,
        } = raw;
        let has_checks = expect.is_some() || !capture.is_empty() || retry.is_some();
        let actions = [
            request.is_some(),
            webhook.is_some(),
            hook.is_some(),
            concurrent.is_some(),
            include.is_some(),
        ];
        match actions.iter().filter(|a| **a).count() {
            0 => return Err(
                "a step needs one of `request` (send an HTTP request), `webhook` (send a signed Stripe event), `hook` (run a named hook), `concurrent` (send requests at once) or `include` (run a fragment)".into(),
            ),
            1 => {}
            _ => return Err(ONE_ACTION.into()),
        }
        if with.is_some() && include.is_none() {
            return Err("`with` only goes with `include`".into());
        }
        if once && include.is_none() {
            return Err("`once` goes with `include`: put the steps to share in a fragment".into());
        }
        // At most one action is given (checked above).
        let call = match (request, webhook) {
            (Some(request), _) => Some(Call::Request(Box::new(request))),
            (None, Some(webhook)) => Some(Call::Webhook(Box::new(webhook))),
            (None, None) => None,
        };
        let action = if let Some(concurrent) = concurrent {
            concurrent_step(
                concurrent,
                expect.as_ref(),
                !capture.is_empty() || retry.is_some(),
            )?
        } else if let Some(call) = call {
            Action::Http(Box::new(HttpStep {
                call,
                expect: expect.unwrap_or_default(),
                capture,
                retry,
            }))
        } else if let Some(hook) = hook {
            if has_checks || !verifies.is_empty() {
                return Err(
                    "a `hook` step takes only `name`; it passes when the hook succeeds".into(),
                );
            }
            Action::Hook(hook)
        } else {
            if has_checks {
                return Err("an `include` step takes only `name` and `with`; put `expect`, `capture` and `retry` on the fragment's own steps".into());
            }
            if !verifies.is_empty() {
                return Err("an `include` step checks nothing itself: put `verifies` on the fragment's steps whose checks decide the rules, or on the scenario".into());
            }
            Action::Include(Include {
                path: include.unwrap_or_default(),
                with: with.unwrap_or_default(),
                fragment: None,
            })
        };
        Ok(Step {
            name,
            precondition,
            redirects,
            when,
            unless,
            once,
            vars,
            verifies,
            action,
            src: SourceRef::default(),
        })
    }
}

/// A `concurrent` step from its parts; `captures_or_retries`: the step has `capture` or `retry`,
/// which such a step cannot take.
fn concurrent_step(
    raw: RawConcurrent,
    expect: Option<&Expect>,
    captures_or_retries: bool,
) -> Result<Action, String> {
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
    if captures_or_retries {
        return Err("a `concurrent` step takes no `capture` or `retry`".into());
    }
    let Some(expect) = expect else {
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
    /// Whether a failure of this step blocks the scenario (its case untested) rather than
    /// failing it: as written, else true for `include` and `hook` steps.
    pub(crate) fn is_precondition(&self) -> bool {
        self.precondition
            .unwrap_or(matches!(self.action, Action::Include(_) | Action::Hook(_)))
    }

    /// A name for output: the given name, else the request line or the fragment.
    pub(crate) fn display_name(&self) -> String {
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
// The options' descriptions are plain comments: documented, schemars would describe the type
// as a `oneOf` of constants, and editors would then list every option instead of saying
// "not one of".
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    // Read a resource.
    Get,
    // Create a resource, or submit data.
    Post,
    // Replace a resource.
    Put,
    // Change part of a resource.
    Patch,
    // Remove a resource.
    Delete,
    // Like `GET`, but the response has no body.
    Head,
    // Ask which methods a URL allows (as a CORS preflight does).
    Options,
}

impl Method {
    /// The method's name as sent and as written in specs: `GET`, `POST`…
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
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = one_body)]
pub struct Request {
    /// The HTTP method.
    pub method: Method,
    /// Relative to the base URL (`/api/orders/{{order_id}}`), or absolute.
    pub url: Template,
    /// Query parameters: name → value.
    #[serde(default, deserialize_with = "unique::map")]
    #[schemars(with = "unique::Map<Template>")]
    pub query: IndexMap<String, Template>,
    /// Request headers: name → value.
    #[serde(default, deserialize_with = "unique::map")]
    #[schemars(with = "unique::Map<Template>")]
    pub headers: IndexMap<String, Template>,
    /// Shorthand for `Authorization: Bearer <token>`.
    pub bearer: Option<Template>,
    /// A JSON body (sets `Content-Type: application/json` unless a header says otherwise).
    pub json: Option<JsonTemplate>,
    /// A form body (`application/x-www-form-urlencoded`): field → value.
    #[serde(default, deserialize_with = "unique::opt_map")]
    #[schemars(with = "unique::Map<Template>")]
    pub form: Option<IndexMap<String, Template>>,
    /// A raw text body, sent as written.
    pub body: Option<Template>,
    /// Overrides `--timeout` for this request: `500ms`, `2s`, `1m`.
    pub timeout: Option<SpecDuration>,
}

/// The loader's rule that a request has at most one body (`json`, `form` or `body`; a `null`
/// `json` or `body` is none, a `form` is never `null`), as schema keywords.
fn one_body(schema: &mut Schema) {
    let set = serde_json::json!({ "not": { "type": "null" } });
    let none = serde_json::json!({
        "type": "null",
        "errorMessage": "a request has one body: `json`, `form` or `body`",
    });
    schema.insert(
        "allOf".into(),
        serde_json::json!([
            {
                "if": { "required": ["json"], "properties": { "json": set } },
                "then": { "properties": { "form": none, "body": none } },
            },
            {
                "if": { "required": ["form"] },
                "then": { "properties": { "body": none } },
            }
        ]),
    );
}

/// A Stripe event sent to the backend's webhook endpoint, signed like Stripe signs
/// (`Stripe-Signature: t=…,v1=…`), or deliberately signed wrong.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// The event type, e.g. `payment_intent.succeeded`.
    #[serde(rename = "type")]
    pub(crate) event_type: String,
    /// `data.object` of the event.
    pub object: JsonTemplate,
    /// The event id; default a fresh `evt_…`. Send the same id twice to test idempotency.
    pub id: Option<Template>,
    /// Where to send it, relative to the base URL.
    #[serde(default = "default_webhook_url")]
    #[schemars(extend("default" = "/api/payment/webhook"))]
    pub url: Template,
    /// The signing secret; default the `webhook_secret` variable.
    pub secret: Option<Template>,
    /// `valid` (default), or a way of getting it wrong.
    #[serde(default)]
    #[schemars(extend("default" = "valid"))]
    pub signature: SignatureMode,
}

fn default_webhook_url() -> Template {
    Template::literal("/api/payment/webhook")
}

/// How a webhook is signed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignatureMode {
    /// Signed as Stripe signs, with the right secret and a fresh timestamp.
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
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The expected status: `201`, a list `[200, 201]`, or a class `4xx`.
    pub status: Option<StatusExpectation>,
    /// Header name (any case) → expected value or operators; `{ absent: true }` for "not sent".
    #[serde(default, deserialize_with = "unique::map")]
    #[schemars(with = "unique::Map<ValueAssertion>")]
    pub headers: IndexMap<String, ValueAssertion>,
    /// JSONPath (`$.order.status`) → expected value or operators. A path that can select several
    /// nodes (`$.orders[*].id`) gives the array of them.
    #[serde(default, deserialize_with = "unique::map")]
    #[schemars(schema_with = "body_checks_schema")]
    pub body: IndexMap<String, ValueAssertion>,
    /// Assertions on the raw body text (`contains`, `matches`, …).
    pub text: Option<ValueAssertion>,
    /// A JSON Schema file in the schemas folder (`fixtures/schemas/`), e.g. `order.json`.
    pub schema: Option<String>,
    /// Compare the body with a stored snapshot: a name, or `{ name, redact }`.
    pub snapshot: Option<SnapshotSpec>,
    /// The response must arrive within this time: `500ms`, `2s`.
    pub faster_than: Option<SpecDuration>,
    /// Only for `concurrent` steps: how many answers of each status, e.g. `{ 200: 1, 409: 4 }`
    /// (classes like `4xx` allowed). Statuses not listed must not occur.
    #[serde(default, deserialize_with = "unique::opt_map")]
    #[schemars(with = "unique::Map<usize>")]
    pub statuses: Option<IndexMap<String, usize>>,
}

impl Expect {
    /// Whether the block checks nothing at all.
    pub fn is_empty(&self) -> bool {
        let Expect {
            status,
            headers,
            body,
            text,
            schema,
            snapshot,
            faster_than,
            statuses,
        } = self;
        status.is_none()
            && headers.is_empty()
            && body.is_empty()
            && text.is_none()
            && schema.is_none()
            && snapshot.is_none()
            && faster_than.is_none()
            && statuses.is_none()
    }
}

/// The schema of `expect.body`: a [`unique::Map`] whose keys the loader parses as JSONPaths.
fn body_checks_schema(generator: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "additionalProperties": generator.subschema_for::<ValueAssertion>(),
        "propertyNames": generator.subschema_for::<BodyPath>(),
    })
}

/// Where a captured value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Capture {
    /// A JSONPath into the response body; the JSON type is kept.
    Body(BodyPath),
    /// A response header's value.
    Header(String),
    /// A regex over the raw body; `group` 1 by default (0 is the whole match).
    Regex {
        /// The regular expression run over the raw body.
        pattern: Pattern,
        /// Which capture group's text is the value (0 is the whole match).
        group: usize,
    },
}

/// A capture written as a mapping: exactly one of `jsonpath`, `header` or `regex`.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CaptureMapping")]
struct RawCapture {
    /// A JSONPath into the response body; the JSON type is kept.
    jsonpath: Option<BodyPath>,
    /// A response header's value.
    header: Option<String>,
    /// A regular expression over the raw body.
    regex: Option<Pattern>,
    /// With `regex`: the capture group (default 1; 0 is the whole match).
    group: Option<usize>,
}

impl JsonSchema for Capture {
    fn schema_name() -> Cow<'static, str> {
        "Capture".into()
    }

    /// Mirrors the [`Deserialize`] impl below: a JSONPath string, or a `RawCapture` with exactly
    /// one source (a `null` one is none) and `group` only with `regex`. Whether `group` exists in
    /// the regex is checked when the spec loads.
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let path = generator.subschema_for::<BodyPath>();
        let raw = generator.subschema_for::<RawCapture>();
        let unset = serde_json::json!({ "type": "null" });
        let set = serde_json::json!({ "not": { "type": "null" } });
        json_schema!({
            "description": "Where a captured value comes from: a JSONPath (`$.order.id`, JSON type kept), `{ header: Name }`, or `{ regex: \"id=(\\\\d+)\", group: 1 }` on the raw body.",
            "anyOf": [
                path,
                {
                    "allOf": [raw],
                    "oneOf": [
                        {
                            "required": ["jsonpath"],
                            "properties": { "jsonpath": set, "header": unset, "regex": unset, "group": unset },
                        },
                        {
                            "required": ["header"],
                            "properties": { "header": set, "jsonpath": unset, "regex": unset, "group": unset },
                        },
                        {
                            "required": ["regex"],
                            "properties": { "regex": set, "jsonpath": unset, "header": unset },
                        }
                    ],
                }
            ],
        })
    }
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
                                "the regex has {}; `group: {group}` does not exist",
                                gigcheck_base::text::count(pattern.0.captures_len() - 1, "group")
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
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// Total tries, the first included (at least 1, which the loader checks).
    #[schemars(range(min = 1))]
    pub attempts: u32,
    /// Wait between tries: `200ms` (the default), `1s`.
    #[serde(default = "default_retry_delay")]
    #[schemars(extend("default" = "200ms"))]
    pub delay: SpecDuration,
}

fn default_retry_delay() -> SpecDuration {
    SpecDuration(std::time::Duration::from_millis(200))
}

/// Compare the response body with a stored snapshot.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotSpec {
    /// The snapshot's name; its file is `__snapshots__/<spec file>__<name>.snap`.
    pub name: String,
    /// JSONPath → placeholder, applied before comparing.
    pub redact: IndexMap<String, Redaction>,
    /// Fields the stored snapshot does not have are left out of the comparison (a backend may
    /// add data fields, the contract says); fields it has must still be there and equal.
    pub(crate) ignore_extra_fields: bool,
}

/// What a snapshot does with fields the stored one does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExtraFields {
    /// They are a difference (the default).
    Fail,
    /// They are left out of the comparison.
    Ignore,
}

/// A redaction with a type check.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Redaction {
    /// Replaces the value, e.g. `"[id]"`.
    pub with: String,
    /// If set, the value must have this type before it is replaced.
    #[serde(rename = "type")]
    pub type_: Option<JsonType>,
}

/// The loader's rule for snapshot names: they become file names.
const SNAPSHOT_NAME_REGEX: &str = "^[A-Za-z0-9._-]+$";
const SNAPSHOT_NAME_MESSAGE: &str =
    "a snapshot name becomes a file name: use letters, digits, `-`, `_` and `.`";

/// A snapshot written as a mapping.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SnapshotMapping")]
struct RawSnapshot {
    /// The snapshot's name; it becomes part of a file name (letters, digits, `-`, `_`, `.`).
    #[schemars(
        regex(pattern = SNAPSHOT_NAME_REGEX),
        extend("patternErrorMessage" = SNAPSHOT_NAME_MESSAGE)
    )]
    name: String,
    /// `ignore`: fields the stored snapshot does not have are left out of the comparison.
    extra_fields: Option<ExtraFields>,
    /// JSONPath (plain, no templates) → what replaces the value before comparing.
    #[serde(default, deserialize_with = "unique::map")]
    #[schemars(
        with = "unique::Map<RawRedaction>",
        extend("propertyNames" = { "pattern": "^\\$" })
    )]
    redact: IndexMap<String, RawRedaction>,
}

/// What replaces a redacted value: a placeholder such as `"[id]"`, or `{ with, type }`.
#[derive(Deserialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "RedactionOrPlaceholder")]
enum RawRedaction {
    /// Replaces the value, e.g. `"[id]"`.
    Placeholder(String),
    Full(Redaction),
}

impl JsonSchema for SnapshotSpec {
    fn schema_name() -> Cow<'static, str> {
        "Snapshot".into()
    }

    /// Mirrors the [`Deserialize`] impl below: a name, or a `RawSnapshot`; the name pattern is
    /// the loader's rule (snapshot names become file names).
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let raw = generator.subschema_for::<RawSnapshot>();
        json_schema!({
            "description": "Compare the response body with a stored snapshot (`__snapshots__/<spec file>__<name>.snap`): a name, or `{ name, redact: { <JSONPath>: \"[placeholder]\" } }`.",
            "anyOf": [
                {
                    "type": "string",
                    "pattern": SNAPSHOT_NAME_REGEX,
                    "patternErrorMessage": SNAPSHOT_NAME_MESSAGE,
                },
                raw
            ],
        })
    }
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
                    ignore_extra_fields: false,
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
                    ignore_extra_fields: raw.extra_fields == Some(ExtraFields::Ignore),
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
  - id: "4.1"
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
        let suite: Suite = crate::yaml::from_str(SUITE).unwrap();
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
        let err = crate::yaml::from_str::<Suite>(yaml).unwrap_err();
        assert!(err.to_string().contains("unknown field `expct`"), "{err}");
        assert_eq!((err.line, err.col), (5, 9));
    }

    #[test]
    fn a_step_needs_exactly_one_action() {
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - name: nothing\n";
        let err = crate::yaml::from_str::<Suite>(yaml)
            .unwrap_err()
            .to_string();
        assert!(err.contains("needs one of `request`"), "{err}");
        assert!(err.contains("`concurrent`"), "every action is named: {err}");
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - hook: db_down\n        request: { method: GET, url: / }\n";
        let err = crate::yaml::from_str::<Suite>(yaml)
            .unwrap_err()
            .to_string();
        assert!(err.contains(ONE_ACTION), "{err}");
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - hook: db_down\n        expect: { status: 200 }\n";
        assert!(crate::yaml::from_str::<Suite>(yaml).is_err());
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - include: a.yaml\n        expect: { status: 200 }\n";
        assert!(crate::yaml::from_str::<Suite>(yaml).is_err());
    }

    #[test]
    fn webhook_and_hook_steps() {
        let yaml = "scenarios:\n  - name: x\n    steps:\n      - webhook: { type: payment_intent.succeeded, object: { id: pi_1 }, signature: stale }\n        expect: { status: 400 }\n      - hook: db_down\n";
        let suite: Suite = crate::yaml::from_str(yaml).unwrap();
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
        assert!(crate::yaml::from_str::<Capture>("token").is_err());
        assert!(crate::yaml::from_str::<Capture>("{ regex: 'a', group: 1 }").is_err());
        assert!(matches!(
            crate::yaml::from_str::<Capture>("{ regex: 'id=(\\d+)' }").unwrap(),
            Capture::Regex { group: 1, .. }
        ));
        assert!(crate::yaml::from_str::<Capture>("{ header: A, jsonpath: $.a }").is_err());
    }

    #[test]
    fn methods_are_uppercase() {
        assert!(crate::yaml::from_str::<Method>("GET").is_ok());
        assert!(crate::yaml::from_str::<Method>("FETCH").is_err());
    }
}
