//! Checks a response against a step's `expect`: status, headers, body values, raw text,
//! JSON Schema, snapshot and response time. Each check yields a [`CheckReport`], passed or not;
//! a response that is not JSON fails the JSON checks with the body shown, it never aborts.

pub mod assert;
pub mod body;
pub mod capture;
pub mod schema;
pub mod snapshot;

use crate::redact::Redactor;
use crate::report::model::{CheckKind, CheckReport};
use crate::spec::template::Lookup;
use crate::spec::values::BodyPath;
use crate::spec::{Expect, SourceRef};
use assert::Mismatch;
use serde_json::Value;
use std::time::Duration;

/// A response as the checks see it.
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub text: String,
    /// The body parsed as JSON, or why it is not JSON.
    pub json: Result<Value, String>,
    pub elapsed: Duration,
}

impl Response {
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

    pub fn parts(&self) -> capture::ResponseParts<'_> {
        capture::ResponseParts {
            headers: &self.headers,
            text: &self.text,
            json: self.json.as_ref().map_err(String::as_str),
        }
    }
}

/// What the checks need besides the response.
pub struct CheckContext<'a> {
    pub schemas: &'a schema::SchemaStore,
    pub snapshots: &'a snapshot::Snapshots,
    pub place: snapshot::SnapshotPlace<'a>,
    pub redactor: &'a Redactor,
    pub lookup: &'a dyn Lookup,
}

/// The step's snapshot check, if it has one. Kept apart from [`run`] because it writes files:
/// a step runs it once its other checks pass, so retries leave no `.snap.new` for states that
/// were still changing.
pub fn snapshot(
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

/// The checks of a step's `expect` (found under `src`'s `expect` key), all but the snapshot.
pub fn run(
    expect: &Expect,
    response: &Response,
    src: &SourceRef,
    ctx: &CheckContext,
) -> Vec<CheckReport> {
    run_block(expect, response, &src.child("expect"), ctx)
}

/// The checks of an `expect`-shaped block written at `esrc`.
pub fn run_block(
    expect: &Expect,
    response: &Response,
    esrc: &SourceRef,
    ctx: &CheckContext,
) -> Vec<CheckReport> {
    let mut out = Vec::new();
    if let Some(status) = &expect.status {
        let mut r = CheckReport::new(CheckKind::Status, "", "", esrc.loc_of(&["status"]));
        if !status.matches(response.status) {
            r.passed = false;
            r.expected = Some(status.to_string());
            r.actual = Some(response.status.to_string());
        }
        out.push(r);
    }
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
        let selected = match (&response.json, BodyPath::parse(path)) {
            (Ok(json), Ok(bp)) => body::select(&bp, json, ctx.lookup),
            (Err(e), _) => Err(not_json(e, response, ctx.redactor)),
            (_, Err(e)) => Err(e),
        };
        match selected {
            Ok(actual) => {
                for (operator, result) in each(assertion, actual.as_ref(), ctx.lookup) {
                    out.push(report(
                        CheckKind::Body,
                        path,
                        operator,
                        loc.clone(),
                        result,
                        ctx.redactor,
                    ));
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
    if let Some(name) = &expect.schema {
        let mut r = CheckReport::new(CheckKind::Schema, name, "valid", esrc.loc_of(&["schema"]));
        match (&response.json, ctx.schemas.get(name)) {
            (Ok(json), Some(validator)) => {
                let violations = schema::violations(&validator, json);
                if !violations.is_empty() {
                    r.passed = false;
                    r.message = Some(format!("{} violation(s) of {name}", violations.len()));
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
    out
}

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
