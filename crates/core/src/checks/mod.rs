//! Checks a response against a step's `expect`: status, headers, body values, raw text,
//! JSON Schema, snapshot and response time. Each check yields a [`CheckReport`], passed or not.
//!
//! One cause is told once: when the status is wrong, the other checks of the block are not
//! evaluated (they would only repeat it), and a body that is not JSON fails the first JSON check
//! with the body shown while the rest are counted as not evaluated ([`Unevaluated`]).

pub mod assert;
pub mod body;
pub mod capture;
mod found;
pub mod schema;
pub mod snapshot;

use crate::outcome::{CheckKind, CheckReport, Unevaluated};
use crate::redact::Redactor;
use crate::spec::template::Lookup;
use crate::spec::values::BodyPath;
use crate::spec::{Expect, SourceRef};
use assert::Mismatch;
use serde_json::Value;
use std::time::Duration;

/// A response as the checks see it.
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers as `(name, value)`, one entry per value.
    pub headers: Vec<(String, String)>,
    /// The body as text, invalid UTF-8 replaced.
    pub text: String,
    /// The body parsed as JSON, or why it is not JSON.
    pub json: Result<Value, String>,
    /// How long the answer took, to its last body byte; what `faster_than` compares.
    pub elapsed: Duration,
}

impl Response {
    /// A response from what came over the wire; an empty or whitespace-only body counts as not
    /// JSON.
    pub fn new(
        status: u16,
        headers: Vec<(String, String)>,
        body: &[u8],
        elapsed: Duration,
    ) -> Response {
        let text = String::from_utf8_lossy(body).into_owned();
        let json = if body.iter().all(u8::is_ascii_whitespace) {
            Err("the body is empty".to_string())
        } else {
            serde_json::from_slice(body).map_err(|e| format!("the body is not valid JSON: {e}"))
        };
        Response {
            status,
            headers,
            text,
            json,
            elapsed,
        }
    }

    /// The parts captures read, borrowed from this response.
    pub fn parts(&self) -> capture::ResponseParts<'_> {
        capture::ResponseParts {
            headers: &self.headers,
            text: &self.text,
            json: self.json.as_ref().map_err(String::as_str),
        }
    }
}

/// What the checks need besides the response.
pub(crate) struct CheckContext<'a> {
    pub schemas: &'a schema::SchemaStore,
    pub(crate) snapshots: &'a snapshot::Snapshots,
    pub place: snapshot::SnapshotPlace<'a>,
    pub redactor: &'a Redactor,
    pub(crate) lookup: &'a dyn Lookup,
}

/// The step's snapshot check, if it has one. Kept apart from [`run`] because it writes files:
/// a step runs it once its other checks pass, so retries leave no `.snap.new` for states that
/// were still changing.
pub(crate) fn snapshot(
    expect: &Expect,
    response: &Response,
    src: &SourceRef,
    ctx: &CheckContext,
) -> Option<CheckReport> {
    let spec = expect.snapshot.as_ref()?;
    let redacted = response.json.as_ref().ok().map(|j| ctx.redactor.json(j));
    Some(ctx.snapshots.check(
        spec,
        redacted.as_ref(),
        &ctx.place,
        src.loc_of(&["expect", "snapshot"]),
    ))
}

/// The checks a block ran, and those it left out.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    pub checks: Vec<CheckReport>,
    pub(crate) unevaluated: Option<Unevaluated>,
    /// A check has already said that the body is not JSON.
    pub(crate) told_not_json: bool,
}

impl Checked {
    /// Counts checks as not evaluated, for `reason` unless one is already given.
    pub(crate) fn skip(&mut self, kinds: impl IntoIterator<Item = CheckKind>, reason: &str) {
        let mut kinds = kinds.into_iter().peekable();
        if kinds.peek().is_none() {
            return;
        }
        let u = self.unevaluated.get_or_insert_with(|| Unevaluated {
            kinds: Vec::new(),
            reason: reason.to_string(),
        });
        u.kinds.extend(kinds);
    }

    pub(crate) fn passed(&self) -> bool {
        self.checks.iter().all(|c| c.passed)
    }

    /// Whether the status check ran and failed: nothing else about the answer is worth checking.
    pub(crate) fn wrong_status(&self) -> bool {
        self.checks
            .iter()
            .any(|c| c.kind == CheckKind::Status && !c.passed)
    }
}

/// The kind of every check an `expect` block holds, snapshot included (status excluded).
pub fn kinds(expect: &Expect) -> Vec<CheckKind> {
    let mut kinds = Vec::new();
    for a in expect.headers.values() {
        kinds.extend(a.0.iter().map(|_| CheckKind::Header));
    }
    for a in expect.body.values() {
        kinds.extend(a.0.iter().map(|_| CheckKind::Body));
    }
    if let Some(a) = &expect.text {
        kinds.extend(a.0.iter().map(|_| CheckKind::Text));
    }
    kinds.extend(expect.schema.iter().map(|_| CheckKind::Schema));
    kinds.extend(expect.snapshot.iter().map(|_| CheckKind::Snapshot));
    kinds.extend(expect.faster_than.iter().map(|_| CheckKind::Time));
    kinds
}

/// Why the checks after a failed status check were left out: `the status is 308, text/html`.
pub(crate) fn after_wrong_status(response: &Response) -> String {
    match crate::outcome::other_media(&response.headers) {
        Some(m) => format!("the status is {}, {m}", response.status),
        None => format!("the status is {}", response.status),
    }
}

/// The checks of a step's `expect` (found under `src`'s `expect` key), all but the snapshot.
/// A step that names no status still fails on a server error: whatever else it checks (or
/// nothing), a 5xx is never what a step without a status was written for.
pub(crate) fn run(
    expect: &Expect,
    response: &Response,
    src: &SourceRef,
    ctx: &CheckContext,
) -> Checked {
    let esrc = src.child("expect");
    let status = match &expect.status {
        Some(status) => StatusCheck::of(status, response, &esrc),
        None => StatusCheck {
            holds: response.status < 500,
            expected: NO_SERVER_ERROR.to_string(),
            loc: src.loc_of(&["expect"]),
        },
    };
    checks_after(Some(status), expect, response, &esrc, ctx)
}

/// What a step without `expect.status` expects of the status.
pub(crate) const NO_SERVER_ERROR: &str = "not a server error (5xx); the step names no status";

/// The checks of an `expect`-shaped block written at `esrc`.
pub(crate) fn run_block(
    expect: &Expect,
    response: &Response,
    esrc: &SourceRef,
    ctx: &CheckContext,
) -> Checked {
    let status = expect
        .status
        .as_ref()
        .map(|s| StatusCheck::of(s, response, esrc));
    checks_after(status, expect, response, esrc, ctx)
}

/// The status check a block starts with.
struct StatusCheck {
    holds: bool,
    expected: String,
    loc: crate::spec::Loc,
}

impl StatusCheck {
    fn of(
        status: &crate::spec::values::StatusExpectation,
        response: &Response,
        esrc: &SourceRef,
    ) -> Self {
        StatusCheck {
            holds: status.matches(response.status),
            expected: status.to_string(),
            loc: esrc.loc_of(&["status"]),
        }
    }
}

/// The status check, if any, then the block's other checks — unless the status is wrong, which
/// leaves them unevaluated (they would only repeat it).
fn checks_after(
    status: Option<StatusCheck>,
    expect: &Expect,
    response: &Response,
    esrc: &SourceRef,
    ctx: &CheckContext,
) -> Checked {
    let mut checked = Checked::default();
    if let Some(status) = status {
        let mut r = CheckReport::new(CheckKind::Status, "", "", status.loc);
        if !status.holds {
            r.passed = false;
            r.expected = Some(status.expected);
            r.actual = Some(response.status.to_string());
        }
        checked.checks.push(r);
        if !status.holds {
            let left: Vec<CheckKind> = kinds(expect)
                .into_iter()
                .filter(|k| *k != CheckKind::Snapshot)
                .collect();
            checked.skip(left, &after_wrong_status(response));
            return checked;
        }
    }
    let out = &mut checked.checks;
    // A body that is not JSON is said once, by the first check that needs JSON.
    let mut not_json_told = false;
    let mut not_json_left = Vec::new();
    for (name, assertion) in &expect.headers {
        let actual = capture::header(&response.headers, name).map(Value::String);
        let loc = esrc.loc_of(&["headers", name]);
        for (operator, result) in each(assertion, actual.as_ref(), ctx.lookup) {
            out.push(report(
                CheckKind::Header,
                name,
                operator,
                loc.clone(),
                result,
                ctx.redactor,
            ));
        }
    }
    for (path, assertion) in &expect.body {
        let loc = esrc.loc_of(&["body", path]);
        if response.json.is_err() && not_json_told {
            not_json_left.extend(assertion.0.iter().map(|_| CheckKind::Body));
            continue;
        }
        not_json_told |= response.json.is_err();
        let selected = match (&response.json, BodyPath::parse(path)) {
            (Ok(json), Ok(bp)) => body::select(&bp, json, ctx.lookup),
            (Err(e), _) => Err(not_json(e, response, ctx.redactor)),
            (_, Err(e)) => Err(e),
        };
        match selected {
            Ok(actual) => {
                // A path that finds nothing is most often a typo: name the field that is there.
                let hint = match (&actual, &response.json) {
                    (None, Ok(json)) => body::near_miss(path, json)
                        .map(|p| format!("the body has no {path}; did you mean {p}?")),
                    _ => None,
                };
                for (operator, result) in each(assertion, actual.as_ref(), ctx.lookup) {
                    let mut r = report(
                        CheckKind::Body,
                        path,
                        operator,
                        loc.clone(),
                        result,
                        ctx.redactor,
                    );
                    if !r.passed && r.message.is_none() {
                        r.message.clone_from(&hint);
                    }
                    out.push(r);
                }
            }
            Err(message) => {
                let mut r = CheckReport::new(CheckKind::Body, path, "", loc);
                r.passed = false;
                r.message = Some(message);
                out.push(r);
            }
        }
    }
    if let Some(assertion) = &expect.text {
        let actual = Value::String(response.text.clone());
        for (operator, result) in each(assertion, Some(&actual), ctx.lookup) {
            out.push(report(
                CheckKind::Text,
                "",
                operator,
                esrc.loc_of(&["text"]),
                result,
                ctx.redactor,
            ));
        }
    }
    if let Some(name) = &expect.schema
        && !(response.json.is_err() && not_json_told)
    {
        not_json_told |= response.json.is_err();
        let mut r = CheckReport::new(CheckKind::Schema, name, "valid", esrc.loc_of(&["schema"]));
        match (&response.json, ctx.schemas.get(name)) {
            (Ok(json), Some(validator)) => {
                let violations = schema::violations(&validator, json);
                if !violations.is_empty() {
                    r.passed = false;
                    r.message = Some(format!(
                        "{} of {name}",
                        gigcheck_base::text::count(violations.len(), "violation")
                    ));
                    r.details = violations
                        .iter()
                        .map(|v| {
                            let at = if v.instance_path.is_empty() {
                                "(root)"
                            } else {
                                &v.instance_path
                            };
                            ctx.redactor.text(&format!(
                                "at {at}: {} [schema {}]",
                                v.message, v.schema_path
                            ))
                        })
                        .collect();
                }
            }
            (Err(e), _) => {
                r.passed = false;
                r.message = Some(not_json(e, response, ctx.redactor));
            }
            (_, None) => {
                r.passed = false;
                r.message = Some(format!("schema `{name}` was not loaded"));
            }
        }
        out.push(r);
    }
    if let Some(limit) = expect.faster_than {
        let mut r = CheckReport::new(
            CheckKind::Time,
            "",
            "faster than",
            esrc.loc_of(&["faster_than"]),
        );
        if response.elapsed > limit.0 {
            r.passed = false;
            r.expected = Some(format!("under {} ms", limit.0.as_millis()));
            r.actual = Some(format!("{} ms", response.elapsed.as_millis()));
        }
        out.push(r);
    }
    if expect.schema.is_some()
        && response.json.is_err()
        && !out.iter().any(|c| c.kind == CheckKind::Schema)
    {
        not_json_left.push(CheckKind::Schema);
    }
    checked.told_not_json = not_json_told;
    checked.skip(not_json_left, NOT_JSON_SAID);
    checked
}

/// Why JSON checks after the first were left out.
pub(crate) const NOT_JSON_SAID: &str = "the body is not JSON (said above)";

fn each<'a>(
    assertion: &'a crate::spec::assertion::ValueAssertion,
    actual: Option<&'a Value>,
    lookup: &'a dyn Lookup,
) -> impl Iterator<Item = (&'static str, Result<(), Mismatch>)> + 'a {
    assertion
        .0
        .iter()
        .map(move |a| (a.operator(), assert::check(a, actual, lookup)))
}

fn report(
    kind: CheckKind,
    subject: &str,
    operator: &str,
    loc: crate::spec::Loc,
    result: Result<(), Mismatch>,
    redactor: &Redactor,
) -> CheckReport {
    let mut r = CheckReport::new(kind, subject, operator, loc);
    if let Err(m) = result {
        r.passed = false;
        r.expected = Some(redactor.text(&m.expected));
        r.actual = Some(redactor.text(&m.actual));
        r.message = m.message.map(|s| redactor.text(&s));
    }
    r
}

/// The message for a JSON check on a non-JSON body: why, and the start of the body.
fn not_json(reason: &str, response: &Response, redactor: &Redactor) -> String {
    let shown: String = response.text.chars().take(200).collect();
    let more = if response.text.chars().count() > 200 {
        "…"
    } else {
        ""
    };
    let content_type =
        capture::header(&response.headers, "content-type").unwrap_or_else(|| "none".into());
    format!(
        "{reason} (Content-Type: {content_type}); body: {}{more}",
        redactor.text(&shown)
    )
}
