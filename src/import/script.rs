//! Postman test scripts → gigcheck checks and captures, one source line at a time.
//!
//! On the statements [`super::js`] reads, this recognises the usual forms:
//! `pm.response.to.have.status(201)`, `pm.expect(jsonData.a.b).to.eql(v)` and the other chai
//! assertions, `pm.environment.set("k", jsonData.x)`, and the legacy
//! `tests["…"] = responseCode.code === 200`. `pm.test(…, function () {` wrappers, `try`/`catch`
//! and closing braces are structure. A line is translated whole or not at all; what is not
//! translated is returned, so the caller keeps it as a comment and lists it.

use indexmap::IndexMap;
use serde_json::Value;
use std::collections::HashMap;

use super::js::{Expr, Stmt, read_line};

/// A status code or a class (`Class(4)` is `4xx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StatusPat {
    Exact(u16),
    Class(u8),
}

impl StatusPat {
    fn within(self, other: StatusPat) -> bool {
        match (self, other) {
            (StatusPat::Exact(a), StatusPat::Exact(b)) => a == b,
            (StatusPat::Exact(a), StatusPat::Class(c)) => a / 100 == u16::from(c),
            (StatusPat::Class(a), StatusPat::Class(b)) => a == b,
            (StatusPat::Class(_), StatusPat::Exact(_)) => false,
        }
    }
}

/// Operators on one value, as spec keys (`equals`, `contains`…) → expected value. Strings may
/// hold Postman `{{var}}` references, rewritten later.
pub(super) type Ops = IndexMap<String, Value>;

/// Where a captured variable comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum CaptureSource {
    /// A JSONPath into the body.
    Path(String),
    Header(String),
}

/// What a test script checks and captures, in spec terms.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Checks {
    pub status: Option<Vec<StatusPat>>,
    pub headers: IndexMap<String, Ops>,
    /// JSONPath → operators.
    pub body: IndexMap<String, Ops>,
    pub text: Ops,
    pub faster_than_ms: Option<u64>,
    /// Postman variable name → source.
    pub captures: IndexMap<String, CaptureSource>,
}

/// The result of translating a script.
#[derive(Debug, Clone, Default)]
pub(super) struct Translation {
    pub checks: Checks,
    /// Original lines that were not translated, trimmed, in order.
    pub untranslated: Vec<String>,
}

/// Translates the lines of a test script.
pub(super) fn translate(lines: &[String]) -> Translation {
    let mut t = Translator::default();
    let mut out = Translation::default();
    for line in lines {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("//") {
            continue;
        }
        if !t.line(trimmed) {
            out.untranslated.push(trimmed.to_string());
        }
    }
    out.checks = t.checks;
    out
}

/// The lines of a script gigcheck does not run (pre-request scripts), without blanks and
/// `//` comments.
pub(super) fn code_lines(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.trim())
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(str::to_string)
        .collect()
}

/// What an expression refers to in the response.
#[derive(Debug, Clone, PartialEq)]
enum Subject {
    Status,
    /// The JSON body at this path.
    Body(Vec<Seg>),
    /// `.length` of the value at this path.
    BodyLength(Vec<Seg>),
    Text,
    Header(String),
    Time,
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(u64),
}

/// A JSONPath from segments: `$.order.items[0]['first-name']`.
fn json_path(segs: &[Seg]) -> String {
    let mut out = String::from("$");
    for s in segs {
        match s {
            Seg::Key(k) if is_plain_key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Key(k) => push_bracket_key(&mut out, k),
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

fn is_plain_key(k: &str) -> bool {
    let mut chars = k.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// One assertion on a subject.
#[derive(Debug, Clone, PartialEq)]
enum Op {
    Equals(Value),
    NotEquals(Value),
    Type(String),
    Contains(Value),
    NotContains(Value),
    Exists(bool),
    Length(u64),
    Compare(&'static str, Value),
    Matches(String),
    NotMatches(String),
    OneOf(Vec<Value>),
}

impl Op {
    fn negate(self) -> Option<Op> {
        Some(match self {
            Op::Equals(v) => Op::NotEquals(v),
            Op::NotEquals(v) => Op::Equals(v),
            Op::Contains(v) => Op::NotContains(v),
            Op::NotContains(v) => Op::Contains(v),
            Op::Exists(b) => Op::Exists(!b),
            Op::Matches(p) => Op::NotMatches(p),
            Op::NotMatches(p) => Op::Matches(p),
            _ => return None,
        })
    }

    /// The spec operator and its value.
    fn spec(&self) -> (&'static str, Value) {
        match self {
            Op::Equals(v) => ("equals", v.clone()),
            Op::NotEquals(v) => ("not_equals", v.clone()),
            Op::Type(t) => ("type", Value::String(t.clone())),
            Op::Contains(v) => ("contains", v.clone()),
            Op::NotContains(v) => ("not_contains", v.clone()),
            Op::Exists(true) => ("exists", Value::Bool(true)),
            Op::Exists(false) => ("absent", Value::Bool(true)),
            Op::Length(n) => ("length", Value::from(*n)),
            Op::Compare(op, v) => (op, v.clone()),
            Op::Matches(p) => ("matches", Value::String(p.clone())),
            Op::NotMatches(p) => ("not_matches", Value::String(p.clone())),
            Op::OneOf(list) => ("one_of", Value::Array(list.clone())),
        }
    }
}

/// A change a translated statement makes; a line's effects are applied together or not at all.
#[derive(Debug, Clone, PartialEq)]
enum Effect {
    Status(Vec<StatusPat>),
    Check(Subject, Op),
    Capture(String, CaptureSource),
    Alias(String, Option<Subject>),
}

#[derive(Default)]
struct Translator {
    checks: Checks,
    aliases: HashMap<String, Subject>,
}

/// Chai words that only make assertions read well.
const LANGUAGE: &[&str] = &[
    "to", "be", "been", "is", "that", "which", "and", "has", "have", "with", "at", "of", "same",
    "but", "does", "still", "also", "deep", "own", "nested", "itself",
];

/// A member/call chain flattened: `pm.expect(x).to.eql(1)` → `pm`, [.expect, (x), .to, .eql, (1)].
#[derive(Debug, Clone, PartialEq)]
enum Link {
    Prop(String),
    Call(Vec<Expr>),
    Index(Expr),
}

fn flatten(e: &Expr) -> Option<(String, Vec<Link>)> {
    match e {
        Expr::Ident(name) => Some((name.clone(), Vec::new())),
        Expr::Member(base, name) => {
            let (root, mut links) = flatten(base)?;
            links.push(Link::Prop(name.clone()));
            Some((root, links))
        }
        Expr::Call(base, args) => {
            let (root, mut links) = flatten(base)?;
            links.push(Link::Call(args.clone()));
            Some((root, links))
        }
        Expr::Index(base, index) => {
            let (root, mut links) = flatten(base)?;
            links.push(Link::Index((**index).clone()));
            Some((root, links))
        }
        _ => None,
    }
}

fn prop(link: Option<&Link>) -> Option<&str> {
    match link {
        Some(Link::Prop(p)) => Some(p),
        _ => None,
    }
}

fn string_arg(args: &[Expr], i: usize) -> Option<String> {
    match args.get(i) {
        Some(Expr::Lit(Value::String(s))) => Some(s.clone()),
        _ => None,
    }
}

/// `pm.response.to.be.<name>` properties that are status checks.
fn status_property(name: &str) -> Option<Vec<StatusPat>> {
    use StatusPat::{Class, Exact};
    Some(match name {
        "ok" => vec![Exact(200)],
        "info" => vec![Class(1)],
        "success" => vec![Class(2)],
        "redirection" => vec![Class(3)],
        "clientError" => vec![Class(4)],
        "serverError" => vec![Class(5)],
        "error" => vec![Class(4), Class(5)],
        "accepted" => vec![Exact(202)],
        "withoutContent" => vec![Exact(204)],
        "badRequest" => vec![Exact(400)],
        "unauthorised" | "unauthorized" => vec![Exact(401)],
        "forbidden" => vec![Exact(403)],
        "notFound" => vec![Exact(404)],
        "notAcceptable" => vec![Exact(406)],
        "rateLimited" => vec![Exact(429)],
        _ => return None,
    })
}

/// A reason phrase as its status code: `status("Created")`.
fn reason_code(reason: &str) -> Option<u16> {
    Some(match reason.to_ascii_lowercase().as_str() {
        "ok" => 200,
        "created" => 201,
        "accepted" => 202,
        "no content" => 204,
        "moved permanently" => 301,
        "found" => 302,
        "not modified" => 304,
        "bad request" => 400,
        "unauthorized" | "unauthorised" => 401,
        "payment required" => 402,
        "forbidden" => 403,
        "not found" => 404,
        "method not allowed" => 405,
        "conflict" => 409,
        "unprocessable entity" => 422,
        "too many requests" => 429,
        "internal server error" => 500,
        "bad gateway" => 502,
        "service unavailable" => 503,
        _ => return None,
    })
}

fn status_code(v: &Value) -> Option<StatusPat> {
    let n = v.as_u64().or_else(|| v.as_str()?.parse().ok())?;
    (100..=599)
        .contains(&n)
        .then_some(StatusPat::Exact(n as u16))
}

/// A JavaScript regex literal as a Rust regex (flags `i`, `m`, `s` become inline flags).
fn regex(pattern: &str, flags: &str) -> Option<String> {
    let inline: String = flags.chars().filter(|f| "ims".contains(*f)).collect();
    if flags.chars().any(|f| !"imsgyu".contains(f)) {
        return None;
    }
    let text = if inline.is_empty() {
        pattern.to_string()
    } else {
        format!("(?{inline}){pattern}")
    };
    regex::Regex::new(&text).ok().map(|_| text)
}

impl Translator {
    fn line(&mut self, line: &str) -> bool {
        let Some(stmts) = read_line(line) else {
            return false;
        };
        let mut effects = Vec::new();
        for stmt in stmts {
            match self.statement(&stmt) {
                Some(mut e) => effects.append(&mut e),
                None => return false,
            }
        }
        self.apply(effects)
    }

    /// Applies every effect, or none when one conflicts with what is already there.
    fn apply(&mut self, effects: Vec<Effect>) -> bool {
        let mut checks = self.checks.clone();
        let mut aliases = self.aliases.clone();
        for effect in effects {
            let ok = match effect {
                Effect::Status(pats) => merge_status(&mut checks.status, pats),
                Effect::Check(subject, op) => check(&mut checks, subject, op),
                Effect::Capture(name, source) => {
                    checks.captures.insert(name, source);
                    true
                }
                Effect::Alias(name, Some(subject)) => {
                    aliases.insert(name, subject);
                    true
                }
                Effect::Alias(name, None) => {
                    aliases.remove(&name);
                    true
                }
            };
            if !ok {
                return false;
            }
        }
        self.checks = checks;
        self.aliases = aliases;
        true
    }

    fn statement(&self, stmt: &Stmt) -> Option<Vec<Effect>> {
        match stmt {
            Stmt::Declare(decls) => decls
                .iter()
                .map(|(name, init)| match init {
                    None => Some(Effect::Alias(name.clone(), None)),
                    Some(e) => Some(Effect::Alias(name.clone(), Some(self.subject(e)?))),
                })
                .collect(),
            Stmt::Assign(Expr::Index(target, _), value)
                if **target == Expr::Ident("tests".into()) =>
            {
                self.boolean(value, false)
            }
            Stmt::Assign(Expr::Ident(name), value) => Some(vec![Effect::Alias(
                name.clone(),
                Some(self.subject(value)?),
            )]),
            Stmt::Assign(..) => None,
            Stmt::Expr(e) => self.expression(e),
        }
    }

    fn expression(&self, e: &Expr) -> Option<Vec<Effect>> {
        let (root, links) = flatten(e)?;
        match (root.as_str(), prop(links.first())) {
            ("pm", Some("response")) if prop(links.get(1)) == Some("to") => {
                self.response_assertion(&links[2..])
            }
            ("pm", Some("expect")) => match links.get(1) {
                Some(Link::Call(args)) if args.len() == 1 => {
                    self.expect_assertion(&args[0], &links[2..])
                }
                _ => None,
            },
            ("pm", Some("environment" | "collectionVariables" | "globals" | "variables")) => {
                match (prop(links.get(1)), links.get(2)) {
                    (Some("set"), Some(Link::Call(args))) if links.len() == 3 => self.capture(args),
                    _ => None,
                }
            }
            ("postman", Some(setter))
                if setter.starts_with("set") && setter.ends_with("Variable") =>
            {
                match links.get(1) {
                    Some(Link::Call(args)) if links.len() == 2 => self.capture(args),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    fn capture(&self, args: &[Expr]) -> Option<Vec<Effect>> {
        let [Expr::Lit(Value::String(name)), value] = args else {
            return None;
        };
        let source = match self.subject(value)? {
            Subject::Body(segs) => CaptureSource::Path(json_path(&segs)),
            Subject::Header(h) => CaptureSource::Header(h),
            _ => return None,
        };
        Some(vec![Effect::Capture(name.clone(), source)])
    }

    /// `pm.response.to.…` after `to`.
    fn response_assertion(&self, links: &[Link]) -> Option<Vec<Effect>> {
        let mut negated = false;
        let mut i = 0;
        while let Some(word) = prop(links.get(i)) {
            if word == "not" {
                negated = !negated;
            } else if !LANGUAGE.contains(&word) || matches!(links.get(i + 1), Some(Link::Call(_))) {
                break;
            }
            i += 1;
        }
        let name = prop(links.get(i))?;
        let args = match links.get(i + 1) {
            Some(Link::Call(args)) => Some(args.as_slice()),
            None => None,
            _ => return None,
        };
        let rest = if args.is_some() { i + 2 } else { i + 1 };
        if rest != links.len() {
            return None;
        }
        let effect = match (name, args) {
            ("status" | "statusCode", Some([arg])) if !negated => {
                let v = self.literal(arg)?;
                let pat = match v.as_str().and_then(reason_code) {
                    Some(code) => StatusPat::Exact(code),
                    None => status_code(&v)?,
                };
                Effect::Status(vec![pat])
            }
            ("header", Some([h])) => Effect::Check(
                Subject::Header(string_arg(std::slice::from_ref(h), 0)?),
                Op::Exists(!negated),
            ),
            ("header", Some([h, v])) => {
                let op = Op::Equals(self.literal(v)?);
                let op = if negated { op.negate()? } else { op };
                Effect::Check(Subject::Header(string_arg(std::slice::from_ref(h), 0)?), op)
            }
            ("body", Some([v])) if !negated => match self.literal(v)? {
                Value::String(s) => Effect::Check(Subject::Text, Op::Equals(Value::String(s))),
                other => Effect::Check(Subject::Body(Vec::new()), Op::Equals(other)),
            },
            ("jsonBody", Some(args)) if !negated && !args.is_empty() && args.len() <= 2 => {
                let segs = lodash_path(&string_arg(args, 0)?)?;
                let op = match args.get(1) {
                    Some(v) => Op::Equals(self.literal(v)?),
                    None => Op::Exists(true),
                };
                Effect::Check(Subject::Body(segs), op)
            }
            ("json", None) if !negated => {
                Effect::Check(Subject::Body(Vec::new()), Op::Exists(true))
            }
            ("withBody", None) if !negated => {
                Effect::Check(Subject::Text, Op::Matches("(?s).".into()))
            }
            (property, None) if !negated => Effect::Status(status_property(property)?),
            _ => return None,
        };
        Some(vec![effect])
    }

    /// `pm.expect(x)` followed by `links`.
    fn expect_assertion(&self, x: &Expr, links: &[Link]) -> Option<Vec<Effect>> {
        let (negated, name, args) = chai(links)?;
        if let Some(subject) = self.subject(x) {
            let (subject, op) = self.chai_op(subject, name, args)?;
            let op = if negated { op.negate()? } else { op };
            return Some(vec![effect_for(subject, op)?]);
        }
        // `pm.expect(a === b).to.be.true` and the like: a condition.
        let holds = match (name, args) {
            ("true" | "ok", None) => true,
            ("false", None) => false,
            _ => return None,
        };
        self.boolean(x, negated == holds)
    }

    /// The operator a chai method or property stands for, on `subject`.
    fn chai_op(
        &self,
        subject: Subject,
        name: &str,
        args: Option<&[Expr]>,
    ) -> Option<(Subject, Op)> {
        let one = |args: Option<&[Expr]>| match args {
            Some([a]) => self.literal(a),
            _ => None,
        };
        let op = match name {
            "eql" | "equal" | "equals" | "eq" => Op::Equals(one(args)?),
            "a" | "an" => match one(args)?.as_str()? {
                "undefined" => Op::Exists(false),
                t @ ("string" | "number" | "boolean" | "object" | "array" | "null") => {
                    Op::Type(t.to_string())
                }
                _ => return None,
            },
            "include" | "includes" | "contain" | "contains" | "string" => Op::Contains(one(args)?),
            "lengthOf" | "length" => Op::Length(one(args)?.as_u64()?),
            "above" | "gt" | "greaterThan" => Op::Compare("gt", number_arg(one(args)?)?),
            "least" | "gte" => Op::Compare("gte", number_arg(one(args)?)?),
            "below" | "lt" | "lessThan" => Op::Compare("lt", number_arg(one(args)?)?),
            "most" | "lte" => Op::Compare("lte", number_arg(one(args)?)?),
            "match" => match args {
                Some([Expr::Regex(p, f)]) => Op::Matches(regex(p, f)?),
                _ => return None,
            },
            "oneOf" => match one(args)? {
                Value::Array(list) => Op::OneOf(list),
                _ => return None,
            },
            "property" => return self.property(subject, args?),
            _ if args.is_some() => return None,
            "exist" | "exists" => Op::Exists(true),
            "undefined" => Op::Exists(false),
            "null" => Op::Equals(Value::Null),
            "true" => Op::Equals(Value::Bool(true)),
            "false" => Op::Equals(Value::Bool(false)),
            "empty" => Op::Length(0),
            _ => return None,
        };
        Some((subject, op))
    }

    /// `.to.have.property("k")` / `.property("k", v)` on a body value.
    fn property(&self, subject: Subject, args: &[Expr]) -> Option<(Subject, Op)> {
        let Subject::Body(mut segs) = subject else {
            return None;
        };
        segs.push(Seg::Key(string_arg(args, 0)?));
        let op = match args {
            [_] => Op::Exists(true),
            [_, v] => Op::Equals(self.literal(v)?),
            _ => return None,
        };
        Some((Subject::Body(segs), op))
    }

    /// A boolean expression that must hold (or, `negated`, must not).
    fn boolean(&self, e: &Expr, negated: bool) -> Option<Vec<Effect>> {
        match e {
            Expr::Not(inner) => self.boolean(inner, !negated),
            Expr::Bin("&&", a, b) if !negated => {
                let mut effects = self.boolean(a, false)?;
                effects.append(&mut self.boolean(b, false)?);
                Some(effects)
            }
            Expr::Bin(op @ ("===" | "==" | "!==" | "!="), a, b) => {
                let (subject, value, _) = self.comparison(a, b)?;
                let equal = matches!(*op, "===" | "==") != negated;
                let op = if equal {
                    Op::Equals(value)
                } else {
                    Op::NotEquals(value)
                };
                Some(vec![effect_for(subject, op)?])
            }
            Expr::Bin(op @ ("<" | ">" | "<=" | ">="), a, b) if !negated => {
                let (subject, value, flipped) = self.comparison(a, b)?;
                let op = Op::Compare(compare_name(op, flipped), number_arg(value)?);
                Some(vec![effect_for(subject, op)?])
            }
            Expr::Bin("in", key, container) => {
                let key = self.literal(key)?;
                let op = if negated {
                    Op::NotContains(key)
                } else {
                    Op::Contains(key)
                };
                Some(vec![effect_for(self.subject(container)?, op)?])
            }
            Expr::Call(callee, args) => self
                .boolean_call(callee, args, negated)
                .or_else(|| self.truthy(e, negated)),
            other => self.truthy(other, negated),
        }
    }

    /// A value used as a condition: only a header has a meaning (it was sent).
    fn truthy(&self, e: &Expr, negated: bool) -> Option<Vec<Effect>> {
        match self.subject(e)? {
            Subject::Header(h) => Some(vec![Effect::Check(
                Subject::Header(h),
                Op::Exists(!negated),
            )]),
            _ => None,
        }
    }

    /// `responseBody.has("x")`, `pm.response.text().includes("x")`, `/re/.test(x)`,
    /// `_.has(obj, "key")`.
    fn boolean_call(&self, callee: &Expr, args: &[Expr], negated: bool) -> Option<Vec<Effect>> {
        let Expr::Member(base, method) = callee else {
            return None;
        };
        let maybe_negate = |op: Op| if negated { op.negate() } else { Some(op) };
        let effect = match (&**base, method.as_str(), args) {
            (Expr::Regex(p, f), "test", [x]) => {
                effect_for(self.subject(x)?, maybe_negate(Op::Matches(regex(p, f)?))?)?
            }
            (Expr::Ident(lodash), "has", [obj, _]) if lodash == "_" => {
                let Subject::Body(mut segs) = self.subject(obj)? else {
                    return None;
                };
                segs.push(Seg::Key(string_arg(args, 1)?));
                Effect::Check(Subject::Body(segs), Op::Exists(!negated))
            }
            (base, "has" | "includes", [needle]) => effect_for(
                self.subject(base)?,
                maybe_negate(Op::Contains(self.literal(needle)?))?,
            )?,
            _ => return None,
        };
        Some(vec![effect])
    }

    /// A subject on one side and a literal on the other; `true` when the subject is on the right.
    fn comparison(&self, a: &Expr, b: &Expr) -> Option<(Subject, Value, bool)> {
        match self.subject(a) {
            Some(s) => Some((s, self.literal(b)?, false)),
            None => Some((self.subject(b)?, self.literal(a)?, true)),
        }
    }

    /// What part of the response an expression refers to, if any.
    fn subject(&self, e: &Expr) -> Option<Subject> {
        match e {
            Expr::Ident(name) => self.aliases.get(name).cloned().or(match name.as_str() {
                "responseBody" => Some(Subject::Text),
                "responseTime" => Some(Subject::Time),
                _ => None,
            }),
            Expr::Member(base, name) => self.member(base, name),
            Expr::Index(base, index) => self.index(base, index),
            Expr::Call(callee, args) => self.call_subject(callee, args),
            _ => None,
        }
    }

    fn member(&self, base: &Expr, name: &str) -> Option<Subject> {
        if let Expr::Ident(root) = base
            && !self.aliases.contains_key(root)
        {
            match root.as_str() {
                "responseCode" if name == "code" => return Some(Subject::Status),
                "responseHeaders" => return Some(Subject::Header(name.to_string())),
                _ => {}
            }
        }
        if is_pm_response(base) {
            return match name {
                "code" => Some(Subject::Status),
                "responseTime" => Some(Subject::Time),
                _ => None,
            };
        }
        match self.subject(base)? {
            Subject::Body(segs) if name == "length" => Some(Subject::BodyLength(segs)),
            Subject::Body(mut segs) => {
                segs.push(Seg::Key(name.to_string()));
                Some(Subject::Body(segs))
            }
            _ => None,
        }
    }

    fn index(&self, base: &Expr, index: &Expr) -> Option<Subject> {
        let seg = match index {
            Expr::Lit(Value::String(k)) => Seg::Key(k.clone()),
            Expr::Lit(Value::Number(n)) => Seg::Index(n.as_u64()?),
            _ => return None,
        };
        if matches!(base, Expr::Ident(h) if h == "responseHeaders") {
            return match seg {
                Seg::Key(k) => Some(Subject::Header(k)),
                Seg::Index(_) => None,
            };
        }
        match self.subject(base)? {
            Subject::Body(mut segs) => {
                segs.push(seg);
                Some(Subject::Body(segs))
            }
            _ => None,
        }
    }

    fn call_subject(&self, callee: &Expr, args: &[Expr]) -> Option<Subject> {
        let Expr::Member(base, method) = callee else {
            return None;
        };
        match (method.as_str(), args) {
            ("json", []) if is_pm_response(base) => Some(Subject::Body(Vec::new())),
            ("text", []) if is_pm_response(base) => Some(Subject::Text),
            ("get", [_]) if matches!(&**base, Expr::Member(r, h) if h == "headers" && is_pm_response(r)) => {
                Some(Subject::Header(string_arg(args, 0)?))
            }
            ("getResponseHeader", [_]) if matches!(&**base, Expr::Ident(p) if p == "postman") => {
                Some(Subject::Header(string_arg(args, 0)?))
            }
            ("parse", [x]) if matches!(&**base, Expr::Ident(j) if j == "JSON") => {
                (self.subject(x)? == Subject::Text).then(|| Subject::Body(Vec::new()))
            }
            _ => None,
        }
    }

    /// A value known without running anything: literals, and Postman variables
    /// (`pm.environment.get("x")` → `"{{x}}"`).
    fn literal(&self, e: &Expr) -> Option<Value> {
        match e {
            Expr::Lit(v) => Some(v.clone()),
            Expr::Array(items) => items
                .iter()
                .map(|i| self.literal(i))
                .collect::<Option<Vec<_>>>()
                .map(Value::Array),
            Expr::Object(fields) => fields
                .iter()
                .map(|(k, v)| Some((k.clone(), self.literal(v)?)))
                .collect::<Option<serde_json::Map<_, _>>>()
                .map(Value::Object),
            _ => variable_read(e).map(|name| Value::String(format!("{{{{{name}}}}}"))),
        }
    }
}

fn is_pm_response(e: &Expr) -> bool {
    matches!(e, Expr::Member(pm, r) if r == "response" && **pm == Expr::Ident("pm".into()))
}

/// The Postman variable an expression reads: `pm.environment.get("x")`,
/// `postman.getEnvironmentVariable("x")`, `environment.x`, `globals["x"]`.
fn variable_read(e: &Expr) -> Option<String> {
    let (root, links) = flatten(e)?;
    let scopes = [
        "environment",
        "collectionVariables",
        "globals",
        "variables",
        "iterationData",
    ];
    match (root.as_str(), links.as_slice()) {
        ("pm", [Link::Prop(scope), Link::Prop(get), Link::Call(args)])
            if scopes.contains(&scope.as_str()) && get == "get" =>
        {
            string_arg(args, 0)
        }
        ("postman", [Link::Prop(getter), Link::Call(args)])
            if getter.starts_with("get") && getter.ends_with("Variable") =>
        {
            string_arg(args, 0)
        }
        ("environment" | "globals", [Link::Prop(name)]) => Some(name.clone()),
        ("environment" | "globals", [Link::Index(Expr::Lit(Value::String(name)))]) => {
            Some(name.clone())
        }
        _ => None,
    }
}

/// The chai chain after `pm.expect(x)`: whether it is negated, the assertion's name, its
/// arguments (`None` for a property such as `.to.exist`).
fn chai(links: &[Link]) -> Option<(bool, &str, Option<&[Expr]>)> {
    let mut negated = false;
    let mut i = 0;
    while let Some(word) = prop(links.get(i)) {
        let called = matches!(links.get(i + 1), Some(Link::Call(_)));
        if word == "not" {
            negated = !negated;
        } else if called || !LANGUAGE.contains(&word) {
            break;
        }
        i += 1;
    }
    let name = prop(links.get(i))?;
    let (args, rest) = match links.get(i + 1) {
        Some(Link::Call(a)) => (Some(a.as_slice()), i + 2),
        _ => (None, i + 1),
    };
    (rest == links.len()).then_some((negated, name, args))
}

fn compare_name(op: &str, flipped: bool) -> &'static str {
    match (op, flipped) {
        (">", false) | ("<", true) => "gt",
        (">=", false) | ("<=", true) => "gte",
        ("<", false) | (">", true) => "lt",
        _ => "lte",
    }
}

fn number_arg(v: Value) -> Option<Value> {
    v.is_number().then_some(v)
}

/// A lodash path as used by `jsonBody("a.b[0]")`.
fn lodash_path(path: &str) -> Option<Vec<Seg>> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (name, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !name.is_empty() {
            segs.push(Seg::Key(name.to_string()));
        } else if rest.is_empty() {
            return None;
        }
        while let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            segs.push(Seg::Index(r[..end].parse().ok()?));
            rest = &r[end + 1..];
        }
        if !rest.is_empty() {
            return None;
        }
    }
    Some(segs)
}

/// The effect of asserting `op` on `subject`, when gigcheck can express it.
fn effect_for(subject: Subject, op: Op) -> Option<Effect> {
    let check = |s: Subject, o: Op| Some(Effect::Check(s, o));
    match (subject, op) {
        (Subject::Status, Op::Equals(v)) => Some(Effect::Status(vec![status_code(&v)?])),
        (Subject::Status, Op::OneOf(list)) => list
            .iter()
            .map(status_code)
            .collect::<Option<Vec<_>>>()
            .map(Effect::Status),
        (Subject::BodyLength(segs), Op::Equals(v)) => {
            check(Subject::Body(segs), Op::Length(v.as_u64()?))
        }
        (
            Subject::Text,
            op @ (Op::Equals(Value::String(_))
            | Op::NotEquals(Value::String(_))
            | Op::Contains(Value::String(_))
            | Op::NotContains(Value::String(_))
            | Op::Matches(_)
            | Op::NotMatches(_)),
        ) => check(Subject::Text, op),
        (
            Subject::Header(h),
            op @ (Op::Equals(_)
            | Op::NotEquals(_)
            | Op::Contains(_)
            | Op::NotContains(_)
            | Op::Exists(_)
            | Op::Matches(_)
            | Op::NotMatches(_)
            | Op::OneOf(_)),
        ) => check(Subject::Header(h), op),
        (Subject::Time, op @ Op::Compare("lt" | "lte", _)) => check(Subject::Time, op),
        (Subject::Body(segs), op) => check(Subject::Body(segs), op),
        _ => None,
    }
}

/// Adds one check; `false` when there is no room for it. An operator can appear once per value,
/// so a second one of the same kind goes to another spelling of the same thing: the bracket form
/// of a JSONPath (`$['a']['b']` for `$.a.b`), or for the body text a `matches` with the escaped
/// text instead of `contains`.
fn check(checks: &mut Checks, subject: Subject, op: Op) -> bool {
    if let (Subject::Time, Op::Compare(_, v)) = (&subject, &op) {
        let Some(ms) = v.as_f64() else { return false };
        let ms = ms.max(0.0).ceil() as u64;
        checks.faster_than_ms = Some(checks.faster_than_ms.map_or(ms, |m| m.min(ms)));
        return true;
    }
    let (name, value) = op.spec();
    match subject {
        Subject::Body(segs) => {
            let mut paths = vec![json_path(&segs)];
            let bracket = bracket_path(&segs);
            if bracket != paths[0] {
                paths.push(bracket);
            }
            fill_body(&mut checks.body, &paths, name, value)
        }
        Subject::Header(h) => {
            let key = checks
                .headers
                .keys()
                .find(|k| k.eq_ignore_ascii_case(&h))
                .cloned()
                .unwrap_or(h);
            fill(
                checks.headers.entry(key).or_default(),
                vec![(name.to_string(), value)],
            )
        }
        Subject::Text => {
            let mut candidates = vec![(name.to_string(), value.clone())];
            if let Value::String(s) = &value {
                let escaped = Value::String(regex::escape(s));
                match name {
                    "contains" => candidates.push(("matches".into(), escaped)),
                    "not_contains" => candidates.push(("not_matches".into(), escaped)),
                    _ => {}
                }
            }
            fill(&mut checks.text, candidates)
        }
        _ => false,
    }
}

/// Puts one of the candidate `(operator, value)` pairs into `ops`: `true` if one is already
/// there with the same value or a candidate's operator is free.
fn fill(ops: &mut Ops, candidates: Vec<(String, Value)>) -> bool {
    if candidates.iter().any(|(n, v)| ops.get(n) == Some(v)) {
        return true;
    }
    match candidates.into_iter().find(|(n, _)| !ops.contains_key(n)) {
        Some((n, v)) => {
            ops.insert(n, v);
            true
        }
        None => false,
    }
}

/// Like [`fill`] for `name: value`, over several JSONPath spellings of one value.
fn fill_body(body: &mut IndexMap<String, Ops>, paths: &[String], name: &str, value: Value) -> bool {
    let at = |p: &String| body.get(p).and_then(|ops| ops.get(name));
    if paths.iter().any(|p| at(p) == Some(&value)) {
        return true;
    }
    match paths.iter().find(|p| at(p).is_none()) {
        Some(p) => {
            body.entry(p.clone())
                .or_default()
                .insert(name.to_string(), value);
            true
        }
        None => false,
    }
}

/// `['key']`, with quotes and backslashes escaped.
fn push_bracket_key(out: &mut String, key: &str) {
    out.push_str("['");
    out.push_str(&key.replace('\\', "\\\\").replace('\'', "\\'"));
    out.push_str("']");
}

/// The bracket spelling of a JSONPath: `$['order']['items'][0]`.
fn bracket_path(segs: &[Seg]) -> String {
    let mut out = String::from("$");
    for s in segs {
        match s {
            Seg::Key(k) => push_bracket_key(&mut out, k),
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Combines two status checks that must both hold: the narrower one, or a conflict.
fn merge_status(current: &mut Option<Vec<StatusPat>>, new: Vec<StatusPat>) -> bool {
    let within =
        |a: &[StatusPat], b: &[StatusPat]| a.iter().all(|x| b.iter().any(|y| x.within(*y)));
    match current {
        None => {
            *current = Some(new);
            true
        }
        Some(cur) if within(cur, &new) => true,
        Some(cur) if within(&new, cur) => {
            *cur = new;
            true
        }
        Some(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(script: &str) -> Translation {
        let lines: Vec<String> = script.lines().map(str::to_string).collect();
        translate(&lines)
    }

    fn ops(pairs: &[(&str, Value)]) -> Ops {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn status_forms() {
        use StatusPat::*;
        let cases: &[(&str, Vec<StatusPat>)] = &[
            ("pm.response.to.have.status(201);", vec![Exact(201)]),
            ("pm.response.to.have.status(\"Created\");", vec![Exact(201)]),
            ("pm.expect(pm.response.code).to.eql(200);", vec![Exact(200)]),
            (
                "pm.expect(pm.response.code).to.equal(404);",
                vec![Exact(404)],
            ),
            (
                "pm.expect(pm.response.code).to.be.oneOf([200, 201]);",
                vec![Exact(200), Exact(201)],
            ),
            ("pm.response.to.be.ok;", vec![Exact(200)]),
            ("pm.response.to.be.success;", vec![Class(2)]),
            ("pm.response.to.be.error", vec![Class(4), Class(5)]),
            ("pm.response.to.be.notFound;", vec![Exact(404)]),
            (
                "tests[\"Status code is 200\"] = responseCode.code === 200;",
                vec![Exact(200)],
            ),
            ("tests['x'] = 200 == responseCode.code", vec![Exact(200)]),
            (
                "pm.test(\"s\", () => pm.response.to.have.status(202));",
                vec![Exact(202)],
            ),
            (
                "pm.test('s', function () { pm.response.to.have.status(409); });",
                vec![Exact(409)],
            ),
        ];
        for (line, expected) in cases {
            let t = run(line);
            assert!(t.untranslated.is_empty(), "{line}: {:?}", t.untranslated);
            assert_eq!(t.checks.status.as_ref(), Some(expected), "{line}");
        }
    }

    #[test]
    fn a_multi_line_pm_test_with_a_json_alias() {
        let t = run(r#"
pm.test("Status code is 201", function () {
    pm.response.to.have.status(201);
});
var jsonData = pm.response.json();
pm.test("Order created", function () {
    pm.expect(jsonData.order.status).to.eql("pending");
    pm.expect(jsonData.order.items).to.have.lengthOf(2);
    pm.expect(jsonData.order.total).to.be.a("number");
    pm.expect(jsonData.order.total).to.be.above(0);
    pm.expect(pm.response.json().order.user.name).to.equal("x");
    pm.expect(jsonData.orders[0]["first-name"]).to.eql(null);
});
pm.environment.set("orderId", jsonData.order.id);
pm.collectionVariables.set("first", jsonData.orders[0].id);
pm.globals.set("requestId", pm.response.headers.get("X-Request-Id"));
"#);
        assert!(t.untranslated.is_empty(), "{:?}", t.untranslated);
        let c = &t.checks;
        assert_eq!(c.status, Some(vec![StatusPat::Exact(201)]));
        assert_eq!(
            c.body["$.order.status"],
            ops(&[("equals", json!("pending"))])
        );
        assert_eq!(c.body["$.order.items"], ops(&[("length", json!(2))]));
        assert_eq!(
            c.body["$.order.total"],
            ops(&[("type", json!("number")), ("gt", json!(0))])
        );
        assert_eq!(c.body["$.order.user.name"], ops(&[("equals", json!("x"))]));
        assert_eq!(
            c.body["$.orders[0]['first-name']"],
            ops(&[("equals", json!(null))])
        );
        assert_eq!(
            c.captures["orderId"],
            CaptureSource::Path("$.order.id".into())
        );
        assert_eq!(
            c.captures["first"],
            CaptureSource::Path("$.orders[0].id".into())
        );
        assert_eq!(
            c.captures["requestId"],
            CaptureSource::Header("X-Request-Id".into())
        );
    }

    #[test]
    fn chai_assertions_on_body_values() {
        let t = run(r#"
const body = pm.response.json();
const order = body.order;
pm.expect(order.notes).to.include("gift");
pm.expect(order.tags).to.not.include("test");
pm.expect(order.id).to.exist;
pm.expect(order.deleted_at).to.be.undefined;
pm.expect(order.paid).to.be.true;
pm.expect(order.items.length).to.eql(3);
pm.expect(order.status).to.be.oneOf(["pending", "paid"]);
pm.expect(order.sku).to.match(/^SKU-\d+$/i);
pm.expect(order).to.have.property("total");
pm.expect(order).to.have.property("currency", "usd");
pm.expect(order.count).to.be.at.least(1);
pm.expect(order.count).to.be.below(100);
pm.expect(order.status).to.not.eql("cancelled");
pm.expect(order.id).to.eql(pm.environment.get("orderId"));
"#);
        assert!(t.untranslated.is_empty(), "{:?}", t.untranslated);
        let b = &t.checks.body;
        assert_eq!(b["$.order.notes"], ops(&[("contains", json!("gift"))]));
        assert_eq!(b["$.order.tags"], ops(&[("not_contains", json!("test"))]));
        assert_eq!(
            b["$.order.id"],
            ops(&[("exists", json!(true)), ("equals", json!("{{orderId}}"))])
        );
        assert_eq!(b["$.order.deleted_at"], ops(&[("absent", json!(true))]));
        assert_eq!(b["$.order.paid"], ops(&[("equals", json!(true))]));
        assert_eq!(b["$.order.items"], ops(&[("length", json!(3))]));
        assert_eq!(
            b["$.order.status"],
            ops(&[
                ("one_of", json!(["pending", "paid"])),
                ("not_equals", json!("cancelled"))
            ])
        );
        assert_eq!(
            b["$.order.sku"],
            ops(&[("matches", json!("(?i)^SKU-\\d+$"))])
        );
        assert_eq!(b["$.order.total"], ops(&[("exists", json!(true))]));
        assert_eq!(b["$.order.currency"], ops(&[("equals", json!("usd"))]));
        assert_eq!(
            b["$.order.count"],
            ops(&[("gte", json!(1)), ("lt", json!(100))])
        );
    }

    #[test]
    fn headers_text_and_time() {
        let t = run(r#"
pm.response.to.have.header("Content-Type");
pm.response.to.have.header("X-Api", "v2");
pm.response.to.not.have.header("X-Debug");
pm.expect(pm.response.headers.get("content-type")).to.include("application/json");
pm.expect(pm.response.text()).to.include("order");
tests["Body matches string"] = responseBody.has("string");
pm.expect(pm.response.responseTime).to.be.below(500);
pm.response.to.be.json;
"#);
        assert!(t.untranslated.is_empty(), "{:?}", t.untranslated);
        let c = &t.checks;
        assert_eq!(
            c.headers["Content-Type"],
            ops(&[
                ("exists", json!(true)),
                ("contains", json!("application/json"))
            ])
        );
        assert_eq!(c.headers["X-Api"], ops(&[("equals", json!("v2"))]));
        assert_eq!(c.headers["X-Debug"], ops(&[("absent", json!(true))]));
        assert_eq!(
            c.text,
            ops(&[("contains", json!("order")), ("matches", json!("string"))])
        );
        assert_eq!(c.faster_than_ms, Some(500));
        assert_eq!(c.body["$"], ops(&[("exists", json!(true))]));
    }

    #[test]
    fn legacy_tests_assignments() {
        let t = run(r#"
var responseJSON;
try {
    tests["Body contains cookies"] = responseBody.has("cookies");
    responseJSON = JSON.parse(responseBody);
    tests["Body contains cookie foo1"] = 'foo1' in responseJSON.cookies;
    tests["no foo2"] = !('foo2' in responseJSON.cookies);
}
catch (e) { }
tests["status"] = body_missing === 1;
tests["Valid"] = /^[a-f0-9]+$/.test(responseJSON.ip);
tests["pass"] = responseJSON["status"] == "pass"
tests['has form'] = _.has(responseJSON, 'form');
tests["header"] = postman.getResponseHeader('test') == 'response_headers'
tests["has auth header"] = (postman.getResponseHeader('WWW-Authenticate'));
"#);
        assert_eq!(t.untranslated, ["tests[\"status\"] = body_missing === 1;"]);
        let c = &t.checks;
        assert_eq!(
            c.body["$.cookies"],
            ops(&[("contains", json!("foo1")), ("not_contains", json!("foo2"))])
        );
        assert_eq!(c.body["$.ip"], ops(&[("matches", json!("^[a-f0-9]+$"))]));
        assert_eq!(c.body["$.status"], ops(&[("equals", json!("pass"))]));
        assert_eq!(c.body["$.form"], ops(&[("exists", json!(true))]));
        assert_eq!(
            c.headers["test"],
            ops(&[("equals", json!("response_headers"))])
        );
        assert_eq!(
            c.headers["WWW-Authenticate"],
            ops(&[("exists", json!(true))])
        );
    }

    #[test]
    fn what_cannot_be_translated_is_returned_whole() {
        let t = run(r#"
pm.test("every order is mine", function () {
    pm.expect(jsonData.orders.every(o => o.user_id === 1)).to.be.true;
    console.log("checked");
    pm.expect(pm.response.json().orders).to.not.be.empty;
});
if (pm.response.code === 201) {
pm.environment.set("label", "fixed text");
pm.environment.unset("token");
var x = 1, y = responseBody;
const tpl = `a${b}`;
pm.response.to.have.status(200); pm.response.to.have.status(201);
"#);
        assert_eq!(
            t.untranslated,
            [
                "pm.expect(jsonData.orders.every(o => o.user_id === 1)).to.be.true;",
                "console.log(\"checked\");",
                "pm.expect(pm.response.json().orders).to.not.be.empty;",
                "if (pm.response.code === 201) {",
                "pm.environment.set(\"label\", \"fixed text\");",
                "pm.environment.unset(\"token\");",
                "var x = 1, y = responseBody;",
                "const tpl = `a${b}`;",
                "pm.response.to.have.status(200); pm.response.to.have.status(201);",
            ]
        );
        assert_eq!(t.checks, Checks::default());
    }

    #[test]
    fn status_checks_narrow_or_conflict() {
        let t = run(
            "pm.response.to.be.success;\npm.response.to.have.status(201);\npm.response.to.have.status(204);",
        );
        assert_eq!(t.checks.status, Some(vec![StatusPat::Exact(201)]));
        assert_eq!(t.untranslated, ["pm.response.to.have.status(204);"]);
        let t = run(
            "pm.expect(jsonData.a).to.eql(1);\nvar jsonData = pm.response.json();\npm.expect(jsonData.a).to.eql(1);\npm.expect(jsonData.a).to.eql(2);\npm.expect(jsonData.a).to.eql(3);",
        );
        assert_eq!(
            t.untranslated,
            [
                "pm.expect(jsonData.a).to.eql(1);",
                "pm.expect(jsonData.a).to.eql(3);"
            ]
        );
        assert_eq!(t.checks.body["$.a"], ops(&[("equals", json!(1))]));
        assert_eq!(t.checks.body["$['a']"], ops(&[("equals", json!(2))]));
    }

    #[test]
    fn json_body_paths_and_pre_request_lines() {
        let t = run("pm.response.to.have.jsonBody(\"order.items[0].id\", 7);");
        assert_eq!(
            t.checks.body["$.order.items[0].id"],
            ops(&[("equals", json!(7))])
        );
        let lines: Vec<String> = ["", "  // note", "  console.log(1);"]
            .map(String::from)
            .to_vec();
        assert_eq!(code_lines(&lines), ["console.log(1);"]);
    }

    #[test]
    fn conditions_inside_expect() {
        let t = run(
            "var j = pm.response.json();\npm.expect(j.a === 1).to.be.true;\npm.expect(j.b == 'x').to.be.false;\npm.expect(j.c).to.be.ok;",
        );
        assert_eq!(t.checks.body["$.a"], ops(&[("equals", json!(1))]));
        assert_eq!(t.checks.body["$.b"], ops(&[("not_equals", json!("x"))]));
        assert_eq!(t.untranslated, ["pm.expect(j.c).to.be.ok;"]);
    }

    #[test]
    fn deep_or_long_lines_are_not_read() {
        let deep = format!(
            "tests['x'] = {}1{} === 1;",
            "(".repeat(5000),
            ")".repeat(5000)
        );
        let nots = format!("tests['x'] = {}responseBody.has('a');", "!".repeat(5000));
        let long = format!("pm.expect([{}]).to.eql(1);", "1,".repeat(5000));
        let t = run(&[deep.as_str(), &nots, &long].join("\n"));
        assert_eq!(t.untranslated.len(), 3);
        let t = run("tests['x'] = !!(responseBody.has('a'));");
        assert_eq!(t.checks.text, ops(&[("contains", json!("a"))]));
    }

    #[test]
    fn json_paths_quote_odd_keys() {
        let segs = vec![
            Seg::Key("a".into()),
            Seg::Key("b c".into()),
            Seg::Index(2),
            Seg::Key("it's".into()),
        ];
        assert_eq!(json_path(&segs), "$.a['b c'][2]['it\\'s']");
        assert!(gigcheck_core::spec::values::BodyPath::parse(&json_path(&segs)).is_ok());
    }
}
