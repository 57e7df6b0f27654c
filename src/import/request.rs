//! One Postman request → one spec step. Reading ([`RequestIr::read`]) keeps Postman's syntax and
//! notes what cannot be carried over; writing ([`step`]) rewrites variables for gigcheck and lays
//! out `request`, `expect` and `capture`, with everything not translated as `# postman:`
//! comments above the step.

use super::names::{Context, Names};
use super::postman::{Auth, Body, RequestOrUrl, Url, UrlParts, value_text};
use super::script::{self, CaptureSource, Checks, Ops, StatusPat, Translation};
use super::vars::{BaseUrl, Secrets, VarTable};
use gigcheck_core::redact::Redactor;
use gigcheck_core::spec::template::{LITERAL_BRACES, Template};
use gigcheck_core::yaml::write::{Entry, Item, Node};
use serde_json::Value;
use std::collections::BTreeSet;

/// The methods a spec may use.
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Marks a `{{var}}` written without quotes in a JSON body (`"id": {{orderId}}`), so it keeps the
/// variable's JSON type.
const UNQUOTED: char = '\u{e000}';

/// A request as read from the collection, still in Postman's syntax.
#[derive(Debug, Clone)]
pub(super) struct RequestIr {
    /// Nested folders included: `Refunds / Full refund`.
    pub name: String,
    pub method: String,
    pub url: String,
    pub query: Query,
    pub headers: Vec<(String, String)>,
    pub auth: AuthIr,
    pub body: BodyIr,
    pub test: Translation,
    pub prerequest: Vec<String>,
    /// What reading found it could not carry over.
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Query {
    None,
    /// Unique keys with values: written as `query:`.
    Map(Vec<(String, String)>),
    /// Kept in the URL as written (repeated keys, keys without values, encoded values).
    InUrl(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum AuthIr {
    None,
    /// The token (Postman syntax).
    Bearer(String),
    Header(String, String),
    Query(String, String),
    /// An auth type gigcheck does not translate.
    Unsupported(String),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum BodyIr {
    None,
    /// Parsed JSON; strings starting with [`UNQUOTED`] were unquoted `{{var}}`s.
    Json(Value),
    Text {
        text: String,
        /// The Content-Type Postman would add, when the request sets none.
        content_type: Option<&'static str>,
    },
    Form(Vec<(String, String)>),
    Untranslated(String),
}

impl RequestIr {
    /// Reads a request; `auth` is the one inherited from its folders when it has none.
    pub(super) fn read(
        name: String,
        request: &RequestOrUrl,
        inherited: Option<&Auth>,
        scripts: (Vec<String>, Vec<String>),
        table: &mut VarTable,
    ) -> RequestIr {
        let (test, prerequest) = scripts;
        let mut problems = Vec::new();
        let (method, url, headers, body, own_auth) = match request {
            RequestOrUrl::Url(u) => (None, Some(Url::Raw(u.clone())), Vec::new(), None, None),
            RequestOrUrl::Request(r) => (
                r.method.clone(),
                r.url.clone(),
                r.header.as_ref().map(|h| h.pairs()).unwrap_or_default(),
                r.body.clone(),
                r.auth.clone(),
            ),
        };
        let (url, query) = match &url {
            Some(u) => read_url(u, &mut problems),
            None => {
                problems.push("the request has no URL".into());
                (String::new(), Query::None)
            }
        };
        let own_auth = own_auth.filter(|a| a.kind != "inherit");
        let auth = read_auth(own_auth.as_ref().or(inherited), table);
        let mut body = read_body(body.as_ref(), &headers);
        let headers = protect_headers(headers, table);
        protect_body(&mut body, table);
        RequestIr {
            name,
            method: method.unwrap_or_else(|| "GET".into()).trim().to_uppercase(),
            url,
            query,
            headers,
            auth,
            body,
            test: script::translate(&test),
            prerequest: script::code_lines(&prerequest),
            problems,
        }
    }

    /// Postman variables written without quotes in the JSON body.
    pub(super) fn unquoted_vars(&self) -> Vec<String> {
        let BodyIr::Json(v) = &self.body else {
            return Vec::new();
        };
        let mut out = Vec::new();
        collect_unquoted(v, &mut out);
        out
    }

    /// Every piece of Postman text in the request (for finding the variables it uses).
    pub(super) fn texts(&self) -> Vec<String> {
        let mut out = vec![self.url.clone()];
        match &self.query {
            Query::Map(pairs) => out.extend(pairs.iter().flat_map(|(k, v)| [k.clone(), v.clone()])),
            Query::InUrl(q) => out.push(q.clone()),
            Query::None => {}
        }
        out.extend(self.headers.iter().map(|(_, v)| v.clone()));
        match &self.auth {
            AuthIr::Bearer(t) => out.push(t.clone()),
            AuthIr::Header(_, v) | AuthIr::Query(_, v) => out.push(v.clone()),
            _ => {}
        }
        match &self.body {
            BodyIr::Json(v) => collect_strings(v, &mut out),
            BodyIr::Text { text, .. } => out.push(text.clone()),
            BodyIr::Form(pairs) => out.extend(pairs.iter().map(|(_, v)| v.clone())),
            _ => {}
        }
        for ops in self
            .test
            .checks
            .body
            .values()
            .chain(self.test.checks.headers.values())
        {
            ops.values().for_each(|v| collect_strings(v, &mut out));
        }
        self.test
            .checks
            .text
            .values()
            .for_each(|v| collect_strings(v, &mut out));
        out
    }
}

fn collect_unquoted(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => {
            if let Some(t) = s.strip_prefix(UNQUOTED) {
                out.extend(super::names::referenced(t));
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_unquoted(i, out)),
        Value::Object(o) => o.values().for_each(|i| collect_unquoted(i, out)),
        _ => {}
    }
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.trim_start_matches(UNQUOTED).to_string()),
        Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        Value::Object(o) => o.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// The URL without query and fragment (path variables filled in), and its query.
fn read_url(url: &Url, problems: &mut Vec<String>) -> (String, Query) {
    let (raw, parts) = match url {
        Url::Raw(s) => (s.clone(), None),
        Url::Parts(p) => (p.raw.clone().unwrap_or_else(|| build_url(p)), Some(&**p)),
    };
    let without_hash = raw.split('#').next().unwrap_or_default();
    let (base, raw_query) = match without_hash.split_once('?') {
        Some((b, q)) => (b.to_string(), Some(q)),
        None => (without_hash.to_string(), None),
    };
    let entries: Vec<(String, Option<String>)> = match parts.and_then(|p| p.query.as_ref()) {
        Some(list) => list
            .iter()
            .filter(|q| !q.disabled && !q.key.is_empty())
            .map(|q| (q.key.clone(), q.value.as_ref().map(value_text)))
            .collect(),
        None => raw_query.map(parse_query).unwrap_or_default(),
    };
    let mut base = base;
    for var in parts.iter().flat_map(|p| &p.variable) {
        let value = var.text();
        if value.is_empty() {
            problems.push(format!(
                "path variable `:{}` has no value; it was left in the URL",
                var.key
            ));
        } else {
            base = fill_path_variable(&base, &var.key, &value);
        }
    }
    (base.trim().to_string(), query(entries))
}

fn build_url(p: &UrlParts) -> String {
    let mut out = String::new();
    if let Some(protocol) = p.protocol.as_deref().filter(|s| !s.is_empty()) {
        out.push_str(protocol);
        out.push_str("://");
    }
    if let Some(host) = &p.host {
        out.push_str(&host.segments().join("."));
    }
    if let Some(port) = p.port.as_ref().map(value_text).filter(|s| !s.is_empty()) {
        out.push(':');
        out.push_str(&port);
    }
    if let Some(path) = &p.path {
        for seg in path.segments() {
            out.push('/');
            out.push_str(&seg);
        }
    }
    out
}

fn parse_query(q: &str) -> Vec<(String, Option<String>)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (p.to_string(), None),
        })
        .collect()
}

/// A `query:` map when every key is unique, has a value and nothing is percent-encoded; else
/// the query stays in the URL as written.
fn query(entries: Vec<(String, Option<String>)>) -> Query {
    if entries.is_empty() {
        return Query::None;
    }
    let keys: BTreeSet<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
    let simple = keys.len() == entries.len()
        && entries
            .iter()
            .all(|(k, v)| v.as_ref().is_some_and(|v| !v.contains('%')) && !k.contains('%'));
    if simple {
        Query::Map(
            entries
                .into_iter()
                .map(|(k, v)| (k, v.unwrap_or_default()))
                .collect(),
        )
    } else {
        let text: Vec<String> = entries
            .into_iter()
            .map(|(k, v)| match v {
                Some(v) => format!("{k}={v}"),
                None => k,
            })
            .collect();
        Query::InUrl(text.join("&"))
    }
}

/// Replaces the path segment `:key` with `value`.
fn fill_path_variable(url: &str, key: &str, value: &str) -> String {
    let needle = format!("/:{key}");
    let mut out = String::new();
    let mut rest = url;
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        out.push_str(&rest[..i]);
        if after.is_empty() || after.starts_with('/') {
            out.push('/');
            out.push_str(value);
        } else {
            out.push_str(&needle);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A credential written literally in the collection, as a reference to a secret variable made
/// for it (the value itself is never written); templates are left alone.
fn literal_credential(name: &str, value: &str, table: &mut VarTable) -> Option<String> {
    if value.contains("{{") || value.is_empty() {
        return None;
    }
    let base: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let base = base.trim_matches('_');
    let base = if base.is_empty() { "secret" } else { base };
    Some(format!("{{{{{}}}}}", table.literal_secret(base, value)))
}

/// Headers that carry credentials (`Cookie`, `X-Api-Key`, a JWT, a Stripe key) by reference.
fn protect_headers(headers: Vec<(String, String)>, table: &mut VarTable) -> Vec<(String, String)> {
    headers
        .into_iter()
        .map(|(k, v)| {
            let secret = Redactor::is_secret_header(&k) || Redactor::looks_secret(&v);
            match secret.then(|| literal_credential(&k, &v, table)).flatten() {
                Some(reference) => (k, reference),
                None => (k, v),
            }
        })
        .collect()
}

/// Body fields named like credentials (`password`, `api_key`…) and values that look like one,
/// by reference.
fn protect_body(body: &mut BodyIr, table: &mut VarTable) {
    fn walk(key: &str, value: &mut Value, table: &mut VarTable) {
        match value {
            Value::String(s) if Redactor::is_secret_field(key) || Redactor::looks_secret(s) => {
                if let Some(reference) = literal_credential(key, s, table) {
                    *s = reference;
                }
            }
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    walk(k, v, table);
                }
            }
            Value::Array(items) => {
                for v in items {
                    walk(key, v, table);
                }
            }
            _ => {}
        }
    }
    match body {
        BodyIr::Json(value) => walk("", value, table),
        BodyIr::Form(pairs) => {
            for (k, v) in pairs.iter_mut() {
                if (Redactor::is_secret_field(k) || Redactor::looks_secret(v))
                    && let Some(reference) = literal_credential(k, v, table)
                {
                    *v = reference;
                }
            }
        }
        BodyIr::None | BodyIr::Text { .. } | BodyIr::Untranslated(_) => {}
    }
}

fn read_auth(auth: Option<&Auth>, table: &mut VarTable) -> AuthIr {
    let Some(auth) = auth else {
        return AuthIr::None;
    };
    let setting = |name| auth.setting(name).unwrap_or_default();
    let mut credential = |base: &str, value: String| {
        if value.contains("{{") {
            value
        } else {
            format!("{{{{{}}}}}", table.literal_secret(base, &value))
        }
    };
    match auth.kind.as_str() {
        "" | "noauth" | "inherit" => AuthIr::None,
        "bearer" if !setting("token").is_empty() => {
            AuthIr::Bearer(credential("bearer_token", setting("token")))
        }
        "oauth2"
            if !setting("accessToken").is_empty() && setting("addTokenTo") != "queryParams" =>
        {
            let token = credential("access_token", setting("accessToken"));
            match auth.setting("headerPrefix").filter(|p| !p.is_empty()) {
                Some(prefix) if prefix != "Bearer" => {
                    AuthIr::Header("Authorization".into(), format!("{prefix} {token}"))
                }
                _ => AuthIr::Bearer(token),
            }
        }
        "apikey" if !setting("key").is_empty() => {
            let value = credential("api_key", setting("value"));
            if setting("in") == "query" {
                AuthIr::Query(setting("key"), value)
            } else {
                AuthIr::Header(setting("key"), value)
            }
        }
        other => AuthIr::Unsupported(other.to_string()),
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn read_body(body: Option<&Body>, headers: &[(String, String)]) -> BodyIr {
    let Some(body) = body.filter(|b| !b.disabled) else {
        return BodyIr::None;
    };
    match body.mode.as_deref().unwrap_or("raw") {
        "raw" => raw_body(body, headers),
        "urlencoded" => {
            let pairs: Vec<(String, String)> = body
                .urlencoded
                .iter()
                .filter(|f| !f.disabled && !f.key.is_empty())
                .map(|f| (f.key.clone(), f.text()))
                .collect();
            if pairs.is_empty() {
                BodyIr::None
            } else {
                BodyIr::Form(pairs)
            }
        }
        "formdata" => {
            let fields: Vec<String> = body
                .formdata
                .iter()
                .filter(|f| !f.disabled && !f.key.is_empty())
                .map(|f| match f.kind.as_deref() {
                    Some("file") => format!("{} (file)", f.key),
                    _ => f.key.clone(),
                })
                .collect();
            if fields.is_empty() {
                return BodyIr::None;
            }
            BodyIr::Untranslated(format!(
                "multipart/form-data body (fields: {}); gigcheck sends JSON, url-encoded or raw bodies",
                fields.join(", ")
            ))
        }
        "file" => BodyIr::Untranslated(format!(
            "file body ({}); gigcheck does not send files",
            body.file
                .as_ref()
                .and_then(|f| f.get("src"))
                .map(value_text)
                .unwrap_or_default()
        )),
        "graphql" => graphql_body(body),
        other => BodyIr::Untranslated(format!("body mode `{other}`")),
    }
}

fn raw_body(body: &Body, headers: &[(String, String)]) -> BodyIr {
    let text = body.raw.clone().unwrap_or_default();
    if text.trim().is_empty() {
        return BodyIr::None;
    }
    let content_type = header(headers, "content-type").map(str::to_ascii_lowercase);
    let language = body.raw_language();
    let trimmed = text.trim_start();
    let jsonish = content_type.as_deref().is_some_and(|c| c.contains("json"))
        || language == Some("json")
        || (content_type.is_none()
            && language.is_none()
            && (trimmed.starts_with('{') || trimmed.starts_with('[')));
    if jsonish && let Some(v) = parse_json_body(&text) {
        return BodyIr::Json(v);
    }
    let added = match (&content_type, language) {
        (Some(_), _) => None,
        (None, Some("json")) => Some("application/json"),
        (None, Some("javascript")) => Some("application/javascript"),
        (None, Some("html")) => Some("text/html"),
        (None, Some("xml")) => Some("application/xml"),
        (None, _) => Some("text/plain"),
    };
    BodyIr::Text {
        text,
        content_type: added,
    }
}

fn graphql_body(body: &Body) -> BodyIr {
    let Some(g) = &body.graphql else {
        return BodyIr::None;
    };
    let query = g.get("query").map(value_text).unwrap_or_default();
    let variables = match g.get("variables") {
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => match parse_json_body(s) {
            Some(v) => Some(v),
            None => return BodyIr::Untranslated("GraphQL variables that are not JSON".into()),
        },
        Some(Value::Null) | None => None,
        Some(other) => Some(other.clone()),
    };
    let mut obj = serde_json::Map::new();
    obj.insert("query".into(), Value::String(query));
    if let Some(v) = variables {
        obj.insert("variables".into(), v);
    }
    BodyIr::Json(Value::Object(obj))
}

/// Parses a raw JSON body in which `{{var}}` may stand unquoted for a value
/// (`{"id": {{orderId}}}`); such a placeholder becomes a string marked with [`UNQUOTED`].
pub(super) fn parse_json_body(text: &str) -> Option<Value> {
    let mut out = String::with_capacity(text.len() + 16);
    let mut in_string = false;
    let mut escaped = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            in_string = c != '"' || escaped;
            escaped = c == '\\' && !escaped;
        } else if c == '"' {
            in_string = true;
        } else if rest.starts_with("{{")
            && let Some(end) = rest.find("}}")
        {
            out.push('"');
            out.push(UNQUOTED);
            out.push_str(&rest[..end + 2].replace('\\', "\\\\").replace('"', "\\\""));
            out.push('"');
            rest = &rest[end + 2..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    serde_json::from_str(&out).ok()
}

// ---------------------------------------------------------------------------------------------
// Writing

/// What writing needs besides the request.
pub(super) struct Ctx<'a> {
    pub names: &'a Names,
    pub base: Option<&'a BaseUrl>,
    pub secrets: &'a Secrets,
}

/// A written step.
#[derive(Debug, Clone)]
pub(super) struct StepOut {
    /// `None` when the request cannot be a step at all (an unsupported method).
    pub item: Option<Item>,
    /// What was not translated, for the summary.
    pub notes: Vec<String>,
    /// Comment lines to write where the step is (or would be).
    pub comments: Vec<String>,
    /// gigcheck variables the step reads.
    pub uses: BTreeSet<String>,
    /// gigcheck variables the step captures.
    pub captures: Vec<String>,
}

/// Collects what was not translated, as comments and summary notes.
#[derive(Default)]
struct Kept {
    comments: Vec<String>,
    notes: Vec<String>,
}

impl Kept {
    fn group(&mut self, title: &str, label: &str, lines: &[String], secrets: &Secrets) {
        if lines.is_empty() {
            return;
        }
        self.comments.push(title.to_string());
        for line in lines {
            let line = secrets.scrub(line);
            self.comments.push(format!("postman: {line}"));
            self.notes.push(format!("{label}{line}"));
        }
    }
}

/// Writes a request as a step.
pub(super) fn step(ir: &RequestIr, ctx: &Ctx) -> StepOut {
    let mut problems = ir.problems.clone();
    let name = ctx.secrets.scrub(&ir.name);
    let method_ok = METHODS.contains(&ir.method.as_str());
    let mut entries = Vec::new();
    let mut captures = Vec::new();
    if method_ok {
        entries.push(Entry::new("name", Node::str(name.clone())));
        entries.push(Entry::new("request", request_node(ir, ctx, &mut problems)));
        let expect = expect_node(&ir.test.checks, ctx, &mut problems);
        let capture = capture_node(&ir.test.checks, ctx);
        if expect.is_none() && capture.is_none() {
            problems.push(
                "no test of this request was translated, so the step checks only that the answer is not a server error; add `expect: { status: … }`".to_string(),
            );
        }
        if let Some(expect) = expect {
            entries.push(Entry::new("expect", expect));
        }
        if let Some((node, names)) = capture {
            entries.push(Entry::new("capture", node));
            captures = names;
        }
    } else {
        problems.push(format!(
            "method {} is not supported by gigcheck ({}); the request was not written: {} {}",
            ir.method,
            METHODS.join(", "),
            ir.method,
            ir.url
        ));
    }
    let mut kept = Kept::default();
    kept.group(
        "Pre-request script (gigcheck does not run scripts):",
        "pre-request script: ",
        &ir.prerequest,
        ctx.secrets,
    );
    kept.group(
        "Test script lines not translated:",
        "test script: ",
        &ir.test.untranslated,
        ctx.secrets,
    );
    kept.group(
        "Not translated from the request:",
        "",
        &problems,
        ctx.secrets,
    );
    let node = Node::Map(entries);
    let uses = if method_ok {
        uses(&node)
    } else {
        BTreeSet::new()
    };
    StepOut {
        item: method_ok.then(|| Item {
            comments: kept.comments.clone(),
            value: node,
        }),
        notes: kept.notes,
        comments: kept.comments,
        uses,
        captures,
    }
}

/// The gigcheck variables a written node reads.
pub(super) fn uses(node: &Node) -> BTreeSet<String> {
    use gigcheck_core::spec::template::{Placeholder, Template};
    let mut out = BTreeSet::new();
    for s in node.strings() {
        let Ok(t) = Template::parse(s) else { continue };
        for p in t.placeholders() {
            if let Placeholder::Var { name, .. } = p {
                out.insert(name.clone());
            }
        }
    }
    out
}

/// Rewrites Postman text as a gigcheck template, literal secrets replaced by their variables.
fn text(s: &str, context: Context, ctx: &Ctx, problems: &mut Vec<String>) -> String {
    let t = ctx.names.template(s, context);
    let t = readable(t, problems);
    ctx.secrets.protect(&t).0
}

/// Text a spec can hold: a `{{` that opens no variable (`{{{`, `{{ a b }}`) would make the spec
/// unreadable, so it is written as the literal `{{"{{"}}`, which sends the same bytes, and said.
fn readable(text: String, problems: &mut Vec<String>) -> String {
    if Template::parse(&text).is_ok() {
        return text;
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text.as_str();
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let at = &rest[start..];
        let placeholder = at[2..]
            .find("}}")
            .map(|end| &at[..end + 4])
            .filter(|p| Template::parse(p).is_ok());
        let (written, used) = match placeholder {
            Some(p) => (p, p.len()),
            None => (LITERAL_BRACES, 2),
        };
        out.push_str(written);
        rest = &at[used..];
    }
    out.push_str(rest);
    problems.push(format!(
        "`{}` has a `{{{{` that opens no variable; it is written `{LITERAL_BRACES}`, which sends `{{{{` as it is",
        text.chars().take(60).collect::<String>()
    ));
    out
}

fn request_node(ir: &RequestIr, ctx: &Ctx, problems: &mut Vec<String>) -> Node {
    let mut entries = vec![
        Entry::new("method", Node::str(ir.method.clone())),
        Entry::new("url", Node::str(url(ir, ctx, problems))),
    ];
    let mut query = match &ir.query {
        Query::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| (k.clone(), text(v, Context::Text, ctx, problems)))
            .collect(),
        _ => Vec::new(),
    };
    let (mut headers, mut bearer) = headers(ir, ctx, problems);
    apply_auth(ir, ctx, problems, &mut headers, &mut query, &mut bearer);
    if let BodyIr::Text {
        content_type: Some(ct),
        ..
    } = &ir.body
        && header(&headers, "content-type").is_none()
    {
        headers.push(("Content-Type".into(), ct.to_string()));
    }
    let pairs =
        |list: Vec<(String, String)>| Node::map(list.into_iter().map(|(k, v)| (k, Node::Str(v))));
    if !query.is_empty() {
        entries.push(Entry::new("query", pairs(query)));
    }
    if !headers.is_empty() {
        entries.push(Entry::new("headers", pairs(headers)));
    }
    if let Some(b) = bearer {
        entries.push(Entry::new("bearer", Node::Str(b)));
    }
    if let Some(body) = body_entry(&ir.body, ctx, problems) {
        entries.push(body);
    }
    Node::Map(entries)
}

/// The URL: relative when it starts with the base URL variable, `http://` added when it has
/// no scheme (as Postman does), the query appended when it stays in the URL.
fn url(ir: &RequestIr, ctx: &Ctx, problems: &mut Vec<String>) -> String {
    let mut url = ir.url.clone();
    if let Some(base) = ctx.base {
        let lead = format!("{{{{{}}}}}", base.name);
        if let Some(rest) = url.trim_start().strip_prefix(&lead) {
            url = match rest.trim_start_matches('/') {
                "" if base.prefix.is_empty() => "/".to_string(),
                "" => base.prefix.clone(),
                rest => format!("{}/{rest}", base.prefix),
            };
        }
    }
    let has_scheme = url.contains("://");
    if !has_scheme && !url.starts_with('/') && !url.starts_with("{{") && !url.is_empty() {
        url = format!("http://{url}");
    }
    if let Query::InUrl(q) = &ir.query {
        url = format!("{url}?{q}");
    }
    if url.is_empty() {
        url = "/".into();
    }
    text(&url, Context::Text, ctx, problems)
}

/// Headers (first of each name), and an `Authorization: Bearer …` header as `bearer`.
fn headers(
    ir: &RequestIr,
    ctx: &Ctx,
    problems: &mut Vec<String>,
) -> (Vec<(String, String)>, Option<String>) {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut bearer = None;
    for (k, v) in &ir.headers {
        let value = text(v, Context::Text, ctx, problems);
        if header(&out, k).is_some()
            || (k.eq_ignore_ascii_case("authorization") && bearer.is_some())
        {
            problems.push(format!(
                "repeated header `{k}: {v}` (a spec sends each header once)"
            ));
        } else if k.eq_ignore_ascii_case("authorization") && value.starts_with("Bearer ") {
            bearer = Some(value["Bearer ".len()..].trim().to_string());
        } else {
            out.push((k.clone(), value));
        }
    }
    (out, bearer)
}

fn apply_auth(
    ir: &RequestIr,
    ctx: &Ctx,
    problems: &mut Vec<String>,
    headers: &mut Vec<(String, String)>,
    query: &mut Vec<(String, String)>,
    bearer: &mut Option<String>,
) {
    let has_authorization = bearer.is_some() || header(headers, "authorization").is_some();
    match &ir.auth {
        AuthIr::None => {}
        AuthIr::Bearer(_) | AuthIr::Header(..) if has_authorization => problems.push(
            "the auth tab's credentials were not applied: the request sets its own Authorization header"
                .into(),
        ),
        AuthIr::Bearer(token) => *bearer = Some(text(token, Context::Text, ctx, problems)),
        AuthIr::Header(k, v) => {
            if header(headers, k).is_some() {
                problems.push(format!("API key header `{k}` not applied: the request sets it"));
            } else {
                headers.push((k.clone(), text(v, Context::Text, ctx, problems)));
            }
        }
        AuthIr::Query(k, v) => {
            if matches!(ir.query, Query::InUrl(_)) || query.iter().any(|(q, _)| q == k) {
                problems.push(format!("API key query parameter `{k}` not applied"));
            } else {
                query.push((k.clone(), text(v, Context::Text, ctx, problems)));
            }
        }
        AuthIr::Unsupported(kind) if has_authorization => problems.push(format!(
            "{kind} auth is not translated (its settings are not written here); the request's own Authorization header is sent"
        )),
        AuthIr::Unsupported(kind) => problems.push(format!(
            "{kind} auth is not translated (its settings are not written here); add the header it needs"
        )),
    }
}

fn body_entry(body: &BodyIr, ctx: &Ctx, problems: &mut Vec<String>) -> Option<Entry> {
    match body {
        BodyIr::None => None,
        BodyIr::Json(v) => Some(Entry::new("json", json_node(v, ctx, problems))),
        BodyIr::Text { text: t, .. } => Some(Entry::new(
            "body",
            Node::Str(text(t, Context::Text, ctx, problems)),
        )),
        BodyIr::Form(pairs) => {
            let mut seen = BTreeSet::new();
            let mut entries = Vec::new();
            for (k, v) in pairs {
                if seen.insert(k.clone()) {
                    entries.push(Entry::new(
                        k.clone(),
                        Node::Str(text(v, Context::Text, ctx, problems)),
                    ));
                } else {
                    problems.push(format!(
                        "repeated form field `{k}` (a spec sends each field once)"
                    ));
                }
            }
            Some(Entry::new("form", Node::Map(entries)))
        }
        BodyIr::Untranslated(what) => {
            problems.push(what.clone());
            None
        }
    }
}

fn json_node(v: &Value, ctx: &Ctx, problems: &mut Vec<String>) -> Node {
    match v {
        Value::String(s) => match s.strip_prefix(UNQUOTED) {
            Some(t) => Node::Str(text(t, Context::Text, ctx, problems)),
            None => Node::Str(text(s, Context::QuotedJson, ctx, problems)),
        },
        Value::Array(items) => Node::seq(items.iter().map(|i| json_node(i, ctx, problems))),
        Value::Object(o) => Node::Map(
            o.iter()
                .map(|(k, v)| {
                    if k.contains("{{") {
                        problems.push(format!(
                            "JSON key `{k}`: gigcheck does not fill variables in keys; it is sent as written"
                        ));
                    }
                    Entry::new(k.clone(), json_node(v, ctx, problems))
                })
                .collect(),
        ),
        other => Node::from_json(other),
    }
}

fn expect_node(checks: &Checks, ctx: &Ctx, problems: &mut Vec<String>) -> Option<Node> {
    let mut entries = Vec::new();
    if let Some(status) = &checks.status {
        entries.push(Entry::new("status", status_node(status)));
    }
    let ops_map = |map: &indexmap::IndexMap<String, Ops>, problems: &mut Vec<String>| {
        Node::Map(
            map.iter()
                .filter(|(_, ops)| !ops.is_empty())
                .map(|(k, ops)| Entry::new(k.clone(), ops_node(ops, ctx, problems)))
                .collect(),
        )
    };
    if !checks.headers.is_empty() {
        entries.push(Entry::new("headers", ops_map(&checks.headers, problems)));
    }
    if !checks.body.is_empty() {
        entries.push(Entry::new("body", ops_map(&checks.body, problems)));
    }
    if !checks.text.is_empty() {
        entries.push(Entry::new("text", ops_node(&checks.text, ctx, problems)));
    }
    if let Some(ms) = checks.faster_than_ms {
        entries.push(Entry::new("faster_than", Node::str(format!("{ms}ms"))));
    }
    (!entries.is_empty()).then_some(Node::Map(entries))
}

fn status_node(status: &[StatusPat]) -> Node {
    let one = |p: &StatusPat| match p {
        StatusPat::Exact(code) => Node::Number(code.to_string()),
        StatusPat::Class(c) => Node::str(format!("{c}xx")),
    };
    match status {
        [single] => one(single),
        many => Node::seq(many.iter().map(one)),
    }
}

/// Operators as written in a spec: a lone `equals` of a scalar as the plain value.
fn ops_node(ops: &Ops, ctx: &Ctx, problems: &mut Vec<String>) -> Node {
    if let (1, Some(v)) = (ops.len(), ops.get("equals"))
        && !v.is_array()
        && !v.is_object()
    {
        return expected(v, ctx, problems);
    }
    Node::Map(
        ops.iter()
            .map(|(op, v)| {
                let node = match op.as_str() {
                    "matches" | "not_matches" | "type" | "length" | "exists" | "absent" => {
                        Node::from_json(v)
                    }
                    _ => expected(v, ctx, problems),
                };
                Entry::new(op.clone(), node)
            })
            .collect(),
    )
}

/// An expected value, its strings rewritten as templates.
fn expected(v: &Value, ctx: &Ctx, problems: &mut Vec<String>) -> Node {
    match v {
        Value::String(s) => Node::Str(text(s, Context::Text, ctx, problems)),
        Value::Array(items) => Node::seq(items.iter().map(|i| expected(i, ctx, problems))),
        Value::Object(o) => Node::Map(
            o.iter()
                .map(|(k, v)| Entry::new(k.clone(), expected(v, ctx, problems)))
                .collect(),
        ),
        other => Node::from_json(other),
    }
}

fn capture_node(checks: &Checks, ctx: &Ctx) -> Option<(Node, Vec<String>)> {
    if checks.captures.is_empty() {
        return None;
    }
    let mut names = Vec::new();
    let entries = checks
        .captures
        .iter()
        .map(|(postman, source)| {
            let name = ctx.names.reference(postman);
            names.push(name.clone());
            let node = match source {
                CaptureSource::Path(p) => Node::str(p.clone()),
                CaptureSource::Header(h) => Node::map([("header", Node::str(h.clone()))]),
            };
            Entry::new(name, node)
        })
        .collect();
    Some((Node::Map(entries), names))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::names::Reference;
    use crate::import::postman::Request;
    use serde_json::json;

    #[test]
    fn json_bodies_with_unquoted_placeholders() {
        let v = parse_json_body(
            r#"{"id": {{orderId}}, "name": "{{name}}", "n": [ {{a}} ], "s": "x{{y}}\"{{z}}"}"#,
        )
        .unwrap();
        assert_eq!(v["id"], format!("{UNQUOTED}{{{{orderId}}}}"));
        assert_eq!(v["name"], "{{name}}");
        assert_eq!(v["n"][0], format!("{UNQUOTED}{{{{a}}}}"));
        assert_eq!(v["s"], "x{{y}}\"{{z}}");
        assert!(parse_json_body(r#"{"a": {{x}}00}"#).is_none());
        assert!(parse_json_body("not json").is_none());
    }

    #[test]
    fn urls_queries_and_path_variables() {
        let url: Url = serde_json::from_value(json!({
            "raw": "{{baseUrl}}/api/orders/:orderId?page=1&per_page=10#top",
            "query": [{"key": "page", "value": "1"}, {"key": "per_page", "value": "10"},
                      {"key": "off", "value": "1", "disabled": true}],
            "variable": [{"key": "orderId", "value": "{{orderId}}"}]
        }))
        .unwrap();
        let mut problems = Vec::new();
        let (base, q) = read_url(&url, &mut problems);
        assert_eq!(base, "{{baseUrl}}/api/orders/{{orderId}}");
        assert_eq!(
            q,
            Query::Map(vec![
                ("page".into(), "1".into()),
                ("per_page".into(), "10".into())
            ])
        );
        assert!(problems.is_empty());
        let (base, q) = read_url(&Url::Raw("https://x.io/a?k&k=2".into()), &mut problems);
        assert_eq!(
            (base.as_str(), q),
            ("https://x.io/a", Query::InUrl("k&k=2".into()))
        );
        let parts: Url = serde_json::from_value(json!({
            "host": ["postman-echo", "com"], "path": ["get"], "protocol": "https", "port": "8443"
        }))
        .unwrap();
        assert_eq!(
            read_url(&parts, &mut problems).0,
            "https://postman-echo.com:8443/get"
        );
        assert_eq!(
            fill_path_variable("/a/:id/b/:idx", "id", "7"),
            "/a/7/b/:idx"
        );
    }

    fn names() -> Names {
        let mut n = Names::default();
        n.refs.insert("baseUrl".into(), Reference::BaseUrl);
        n.refs
            .insert("token".into(), Reference::Var("token".into()));
        n.refs
            .insert("orderId".into(), Reference::Var("orderId".into()));
        n.untyped.insert("orderId".into());
        n
    }

    fn written(request: serde_json::Value, test: &str) -> (String, StepOut) {
        let mut table = VarTable::default();
        let request: Request = serde_json::from_value(request).unwrap();
        let ir = RequestIr::read(
            "Create order".into(),
            &RequestOrUrl::Request(Box::new(request)),
            None,
            (
                test.lines().map(String::from).collect(),
                vec!["console.log(1)".into()],
            ),
            &mut table,
        );
        let names = names();
        let base = BaseUrl {
            name: "baseUrl".into(),
            prefix: "/api".into(),
        };
        let secrets = Secrets::default();
        let ctx = Ctx {
            names: &names,
            base: Some(&base),
            secrets: &secrets,
        };
        let out = step(&ir, &ctx);
        let items: Vec<Item> = out.item.clone().into_iter().collect();
        let text =
            gigcheck_core::yaml::write::render(&[], &[Entry::new("steps", Node::Seq(items))]);
        (text, out)
    }

    #[test]
    fn a_request_becomes_a_step() {
        let (text, out) = written(
            json!({
                "method": "post",
                "url": "{{baseUrl}}/orders/{{orderId}}/notes?x=1",
                "header": [{"key": "Authorization", "value": "Bearer {{token}}"},
                           {"key": "X-Trace", "value": "a"}, {"key": "x-trace", "value": "b"}],
                "body": {"mode": "raw", "raw": "{\"order\": {{orderId}}, \"ref\": \"{{orderId}}\"}",
                         "options": {"raw": {"language": "json"}}}
            }),
            "pm.response.to.have.status(201);\nvar j = pm.response.json();\npm.expect(j.note.id).to.be.a('number');\npm.environment.set(\"noteId\", j.note.id);\nfoo();",
        );
        assert_eq!(
            text,
            r#"steps:
  # Pre-request script (gigcheck does not run scripts):
  # postman: console.log(1)
  # Test script lines not translated:
  # postman: foo();
  # Not translated from the request:
  # postman: repeated header `x-trace: b` (a spec sends each header once)
  - name: Create order
    request:
      method: POST
      url: "/api/orders/{{orderId}}/notes"
      query:
        x: "1"
      headers:
        X-Trace: a
      bearer: "{{token}}"
      json:
        order: "{{orderId}}"
        ref: "{{orderId | string}}"
    expect:
      status: 201
      body:
        $.note.id:
          type: number
    capture:
      noteId: $.note.id
"#
        );
        assert_eq!(
            out.notes,
            [
                "pre-request script: console.log(1)",
                "test script: foo();",
                "repeated header `x-trace: b` (a spec sends each header once)"
            ]
        );
        assert_eq!(out.uses, ["orderId", "token"].map(String::from).into());
        assert_eq!(out.captures, ["noteId"]);
    }

    #[test]
    fn bodies_auth_and_methods_that_are_not_translated() {
        let (_, out) = written(
            json!({"method": "GET", "url": "https://echo/x",
                   "auth": {"type": "basic", "basic": [{"key": "password", "value": "hunter22"}]},
                   "body": {"mode": "formdata", "formdata": [{"key": "a", "value": "1"},
                            {"key": "f", "type": "file", "src": "/tmp/x"}]}}),
            "",
        );
        assert_eq!(
            out.notes,
            [
                "pre-request script: console.log(1)",
                "basic auth is not translated (its settings are not written here); add the header it needs",
                "multipart/form-data body (fields: a, f (file)); gigcheck sends JSON, url-encoded or raw bodies",
                "no test of this request was translated, so the step checks only that the answer is not a server error; add `expect: { status: … }`"
            ]
        );
        assert!(!format!("{out:?}").contains("hunter22"));
        let (_, out) = written(json!({"method": "PURGE", "url": "{{baseUrl}}/cache"}), "");
        assert!(out.item.is_none());
        assert!(
            out.notes[1].starts_with("method PURGE is not supported"),
            "{:?}",
            out.notes
        );
    }

    #[test]
    fn literal_credentials_become_secret_variables() {
        let mut table = VarTable::default();
        let auth: Auth = serde_json::from_value(
            json!({"type": "bearer", "bearer": [{"key": "token", "value": "s3cr3t-token"}]}),
        )
        .unwrap();
        assert_eq!(
            read_auth(Some(&auth), &mut table),
            AuthIr::Bearer("{{bearer_token}}".into())
        );
        let auth: Auth = serde_json::from_value(json!({"type": "apikey", "apikey": [
            {"key": "key", "value": "X-Api-Key"}, {"key": "value", "value": "{{apiKey}}"}, {"key": "in", "value": "header"}]}))
        .unwrap();
        assert_eq!(
            read_auth(Some(&auth), &mut table),
            AuthIr::Header("X-Api-Key".into(), "{{apiKey}}".into())
        );
        assert!(table.get("bearer_token").unwrap().secret);
    }

    #[test]
    fn braces_that_open_no_variable_are_written_literally_and_said() {
        let mut problems = Vec::new();
        assert_eq!(readable("{{{".into(), &mut problems), r#"{{"{{"}}{"#);
        assert_eq!(
            readable("{{a b}} {{ok}}".into(), &mut problems),
            r#"{{"{{"}}a b}} {{ok}}"#
        );
        assert_eq!(problems.len(), 2);
        assert_eq!(readable("{{ok}} {x}".into(), &mut problems), "{{ok}} {x}");
        assert_eq!(problems.len(), 2, "a variable is left alone");
        for text in ["{{{", "a {{b", "{{a b}} }}", "{{{{", "{{\"}}"] {
            let written = readable(text.into(), &mut problems);
            let template = Template::parse(&written).unwrap();
            assert_eq!(
                template.literal_text().as_deref(),
                Some(text),
                "sends the same bytes"
            );
        }
    }

    #[test]
    fn credentials_in_headers_and_bodies_become_secret_variables() {
        let mut table = VarTable::default();
        let headers = protect_headers(
            vec![
                ("Cookie".into(), "session=abc123".into()),
                ("X-Api-Key".into(), "{{apiKey}}".into()),
                ("X-Stripe".into(), "sk_test_51Planted".into()),
                ("Accept".into(), "application/json".into()),
            ],
            &mut table,
        );
        assert_eq!(
            headers,
            [
                ("Cookie".to_string(), "{{cookie}}".to_string()),
                ("X-Api-Key".into(), "{{apiKey}}".into()),
                ("X-Stripe".into(), "{{x_stripe}}".into()),
                ("Accept".into(), "application/json".into()),
            ]
        );
        let mut body = BodyIr::Json(json!({
            "email": "ada@example.test",
            "password": "Sup3r",
            "nested": [{ "client_secret": "pi_1_secret_2" }],
            "note": "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoxfQ.sig",
        }));
        protect_body(&mut body, &mut table);
        assert_eq!(
            body,
            BodyIr::Json(json!({
                "email": "ada@example.test",
                "password": "{{password}}",
                "nested": [{ "client_secret": "{{client_secret}}" }],
                "note": "{{note}}",
            }))
        );
        let mut form = BodyIr::Form(vec![("api_key".into(), "k-1".into())]);
        protect_body(&mut form, &mut table);
        assert_eq!(
            form,
            BodyIr::Form(vec![("api_key".into(), "{{api_key}}".into())])
        );
        assert!(table.get("password").unwrap().secret);
    }

    #[test]
    fn raw_text_bodies_get_the_content_type_postman_adds() {
        let h = Vec::new();
        let body: Body =
            serde_json::from_value(json!({"mode": "raw", "raw": "plain words"})).unwrap();
        assert_eq!(
            read_body(Some(&body), &h),
            BodyIr::Text {
                text: "plain words".into(),
                content_type: Some("text/plain")
            }
        );
        let body: Body = serde_json::from_value(
            json!({"mode": "graphql", "graphql": {"query": "{ a }", "variables": "{\"x\": 1}"}}),
        )
        .unwrap();
        assert_eq!(
            read_body(Some(&body), &h),
            BodyIr::Json(json!({"query": "{ a }", "variables": {"x": 1}}))
        );
    }
}
