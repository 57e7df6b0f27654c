//! `{{…}}` templates: parsed once when a spec loads, rendered against a scenario's variables.
//!
//! A template is literal text with placeholders. A placeholder names a variable (`{{token}}`,
//! `{{order.id}}` for a field of a captured object), an environment variable (`{{env.NAME}}`,
//! always treated as a secret) or a generator (`{{uuid}}`, `{{unique_email}}`, `{{now}}`).
//! A string that is exactly one placeholder keeps the variable's JSON type, so
//! `quantity: "{{qty}}"` sends a number when `qty` holds one. Filters convert a value:
//! `{{total | cents}}` (dollars → integer cents, for Stripe amounts), `{{id | string}}`,
//! `{{count | int}}`. A quoted placeholder is literal text: `{{"{{"}}` writes `{{`, the one
//! thing plain text cannot hold.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer};
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;

/// A parsed template string.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    raw: String,
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Placeholder(Placeholder, Vec<Filter>),
}

/// A conversion applied to a placeholder's value: `{{total | cents}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Filter {
    /// The value as text, repeated N times: `{{filler | repeat(1100000)}}` for an oversize body.
    Repeat(usize),
    /// A decimal amount of dollars as integer cents: `399.99` → `39999`.
    Cents,
    /// A number or numeric string as an integer.
    Int,
    /// Any value as a string (JSON text for non-strings).
    String,
    /// A number plus (`plus(2)`), minus (`minus(1)`), times (`times(2)`) or divided by (`div(2)`) a number, for
    /// expected values that follow from captured ones: `{{orders_before | plus(2)}}`.
    Arithmetic(Operation, Operand),
    /// Claims (an object) as a JWT signed HS256 with the `jwt_secret` variable — the
    /// deployment's own key (`GIGCHECK_JWT_SECRET`), to mint expired or `exp`-less tokens.
    Jwt,
    /// The same, signed with another variable's value: `jwt(public_key)`, e.g. a key that was
    /// published and must be refused.
    JwtWith(String),
    /// A JWT's claims (its payload, decoded, not verified), to check what a backend issues.
    JwtClaims,
    /// A JWT's header, decoded (`alg`, `typ`).
    JwtHeader,
    /// A number rounded up to a whole number (`{{total | div(2) | ceil}}`: pages of 2).
    Ceil,
    /// A number rounded down to a whole number.
    Floor,
}

/// The variable the `jwt` filter signs with.
pub(crate) const JWT_SECRET_VAR: &str = "jwt_secret";

/// What an arithmetic filter does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Operation {
    Plus,
    Minus,
    Times,
    /// `div(2)`: divided by (a whole number that is not 0, or a variable).
    Div,
}

impl Operation {
    const ALL: [(&'static str, Operation); 4] = [
        ("plus", Operation::Plus),
        ("minus", Operation::Minus),
        ("times", Operation::Times),
        ("div", Operation::Div),
    ];
}

/// What an arithmetic filter adds, takes away or multiplies by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Operand {
    /// A whole number written in the filter: `plus(2)`.
    Number(i64),
    /// A variable's value (a number or a decimal string): `plus(price)`.
    Var(String),
}

/// The largest operand an arithmetic filter takes (nine digits keep every result exact in f64).
const MAX_OPERAND: i64 = 999_999_999;

/// The most text `repeat(N)` may make: N is at most 64 Mi, and so is N times the value's length
/// (filters chain, so `repeat` after `repeat` would otherwise multiply past any memory).
const MAX_REPEAT_BYTES: usize = 64 << 20;

impl Filter {
    pub(crate) const ALL: [(&'static str, Filter); 8] = [
        ("cents", Filter::Cents),
        ("int", Filter::Int),
        ("string", Filter::String),
        ("jwt", Filter::Jwt),
        ("jwt_claims", Filter::JwtClaims),
        ("jwt_header", Filter::JwtHeader),
        ("ceil", Filter::Ceil),
        ("floor", Filter::Floor),
    ];

    /// `cents`, `int`, `string`, `repeat(N)` with N at most 64 Mi, or `plus(N)`, `minus(N)`,
    /// `times(N)` with a whole N of at most nine digits.
    fn parse(text: &str) -> Option<Filter> {
        for (name, op) in Operation::ALL {
            if let Some(n) = text
                .strip_prefix(name)
                .and_then(|r| r.strip_prefix('('))
                .and_then(|r| r.strip_suffix(')'))
            {
                let n = trim_space(n);
                let is_name = n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if is_name {
                    return Some(Filter::Arithmetic(op, Operand::Var(n.to_string())));
                }
                let digits = n.strip_prefix('-').unwrap_or(n);
                if digits.is_empty()
                    || digits.len() > 9
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                return n
                    .parse::<i64>()
                    .ok()
                    .filter(|n| n.abs() <= MAX_OPERAND)
                    .map(|n| Filter::Arithmetic(op, Operand::Number(n)));
            }
        }
        if let Some(name) = text
            .strip_prefix("jwt(")
            .and_then(|r| r.strip_suffix(')'))
            .map(trim_space)
            .filter(|n| {
                n.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            })
        {
            return Some(Filter::JwtWith(name.to_string()));
        }
        if let Some(n) = text
            .strip_prefix("repeat(")
            .and_then(|r| r.strip_suffix(')'))
        {
            return trim_space(n)
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 64 << 20)
                .map(Filter::Repeat);
        }
        Self::ALL
            .iter()
            .find(|(n, _)| *n == text)
            .map(|(_, f)| f.clone())
    }

    fn apply(&self, value: Value, shown: &str, lookup: &dyn Lookup) -> Result<Value, RenderError> {
        let number = |v: &Value| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        let fail = || RenderError::Filter {
            placeholder: shown.to_string(),
            message: format!("`{}` needs a number, got {value}", self.name()),
        };
        match self {
            Filter::Cents => {
                let n = number(&value).ok_or_else(fail)?;
                Ok(Value::from((n * 100.0).round() as i64))
            }
            Filter::Ceil | Filter::Floor => {
                let n = number(&value).ok_or_else(fail)?;
                let whole = if *self == Filter::Ceil {
                    n.ceil()
                } else {
                    n.floor()
                };
                Ok(number_value(whole))
            }
            Filter::Int => {
                let n = number(&value).ok_or_else(fail)?;
                if n.fract() != 0.0 {
                    return Err(RenderError::Filter {
                        placeholder: shown.to_string(),
                        message: format!("`int` needs a whole number, got {value}"),
                    });
                }
                Ok(Value::from(n as i64))
            }
            Filter::Repeat(n) => {
                let n = *n;
                let text = match value {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                if text.len().saturating_mul(n) > MAX_REPEAT_BYTES {
                    return Err(RenderError::Filter {
                        placeholder: shown.to_string(),
                        message: format!(
                            "`repeat({n})` of {} bytes would make more than 64 MiB",
                            text.len()
                        ),
                    });
                }
                Ok(Value::String(text.repeat(n)))
            }
            Filter::String => Ok(match value {
                Value::String(s) => Value::String(s),
                other => Value::String(other.to_string()),
            }),
            Filter::JwtClaims | Filter::JwtHeader => {
                let part = usize::from(*self == Filter::JwtClaims);
                let decoded = value
                    .as_str()
                    .and_then(|t| gigcheck_base::jwt::parts(t.trim()).ok())
                    .map(|(header, claims)| if part == 1 { claims } else { header });
                decoded.ok_or_else(|| RenderError::Filter {
                    placeholder: shown.to_string(),
                    message: format!(
                        "`{}` needs a JWT (three base64url parts), got {value}",
                        self.name()
                    ),
                })
            }
            Filter::Jwt | Filter::JwtWith(_) => {
                let var = match self {
                    Filter::JwtWith(name) => name.as_str(),
                    _ => JWT_SECRET_VAR,
                };
                let secret = lookup
                    .var(var)
                    .and_then(Value::as_str)
                    .ok_or_else(|| RenderError::Filter {
                        placeholder: shown.to_string(),
                        message: if var == JWT_SECRET_VAR {
                            format!(
                                "`jwt` signs with the `{JWT_SECRET_VAR}` variable, which is not set (GIGCHECK_JWT_SECRET)"
                            )
                        } else {
                            format!("`jwt({var})` signs with `{var}`, which is not a string")
                        },
                    })?;
                if !value.is_object() {
                    return Err(RenderError::Filter {
                        placeholder: shown.to_string(),
                        message: format!("`jwt` needs an object of claims, got {value}"),
                    });
                }
                let token = gigcheck_base::jwt::sign(&value, secret.as_bytes()).map_err(|e| {
                    RenderError::Filter {
                        placeholder: shown.to_string(),
                        message: format!("cannot sign the claims: {e}"),
                    }
                })?;
                lookup.note_secret(&token);
                Ok(Value::String(token))
            }
            Filter::Arithmetic(op, operand) => {
                let x = number(&value).ok_or_else(fail)?;
                let n = match operand {
                    Operand::Number(n) => *n as f64,
                    Operand::Var(name) => {
                        lookup
                            .var(name)
                            .and_then(number)
                            .ok_or_else(|| RenderError::Filter {
                                placeholder: shown.to_string(),
                                message: format!(
                                    "`{}({name})`: `{name}` is not a number ({})",
                                    self.name(),
                                    lookup
                                        .var(name)
                                        .map_or("not set".to_string(), Value::to_string)
                                ),
                            })?
                    }
                };
                let result = match op {
                    Operation::Plus => x + n,
                    Operation::Minus => x - n,
                    Operation::Times => x * n,
                    Operation::Div if n == 0.0 => {
                        return Err(RenderError::Filter {
                            placeholder: shown.to_string(),
                            message: "`div` by 0".into(),
                        });
                    }
                    Operation::Div => x / n,
                };
                Ok(number_value(result))
            }
        }
    }

    fn name(&self) -> &'static str {
        if let Filter::JwtWith(_) = self {
            return "jwt";
        }
        if let Filter::Arithmetic(op, _) = self {
            return Operation::ALL
                .iter()
                .find(|(_, o)| o == op)
                .map_or("?", |(n, _)| n);
        }
        Self::ALL
            .iter()
            .find(|(_, f)| f == self)
            .map_or("?", |(n, _)| n)
    }
}

/// A computed number as JSON: whole numbers as integers, others rounded to nine decimals so that
/// `0.1 + 0.2` reads `0.3` (money has two).
fn number_value(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 {
        return Value::from(x as i64);
    }
    let rounded = (x * 1e9).round() / 1e9;
    serde_json::Number::from_f64(rounded).map_or(Value::Null, Value::Number)
}

/// What a `{{…}}` refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placeholder {
    /// A spec, environment or captured variable, optionally with a field path (`order.id`).
    Var {
        /// The variable's name: `order` in `{{order.id}}`.
        name: String,
        /// The path into its value, one segment each (a number indexes an array); empty for the
        /// whole value.
        fields: Vec<String>,
    },
    /// `{{env.NAME}}`: read from the process environment; its value is a secret.
    Env(String),
    /// A value made fresh at each use.
    Generator(Generator),
}

/// A placeholder that makes a fresh value each time it is rendered: `{{uuid}}`,
/// `{{unique_email}}`, `{{now}}`, `{{unix_time}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generator {
    /// `{{uuid}}`: a random UUID (version 4).
    Uuid,
    /// `{{unique_email}}`: an address no one has used, `qa+<16 hex digits>@gigcheck.example.com`.
    UniqueEmail,
    /// `{{now}}`: the current time in UTC, as RFC 3339 text.
    Now,
    /// Seconds since 1970, as JWT `exp` claims count them.
    UnixTime,
}

impl Generator {
    /// Every generator, with the name a placeholder calls it by.
    pub const ALL: [(&'static str, Generator); 4] = [
        ("uuid", Generator::Uuid),
        ("unique_email", Generator::UniqueEmail),
        ("now", Generator::Now),
        ("unix_time", Generator::UnixTime),
    ];

    fn from_name(name: &str) -> Option<Generator> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, g)| *g)
    }

    /// A fresh value, as text.
    pub fn generate(self) -> String {
        match self {
            Generator::Uuid => uuid::Uuid::new_v4().to_string(),
            Generator::UniqueEmail => {
                let id = uuid::Uuid::new_v4().simple().to_string();
                format!("qa+{}@gigcheck.example.com", &id[..16])
            }
            Generator::Now => time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            Generator::UnixTime => time::OffsetDateTime::now_utc().unix_timestamp().to_string(),
        }
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Placeholder::Var { name, fields } => {
                write!(f, "{name}")?;
                for field in fields {
                    write!(f, ".{field}")?;
                }
                Ok(())
            }
            Placeholder::Env(name) => write!(f, "env.{name}"),
            Placeholder::Generator(g) => {
                let name = Generator::ALL
                    .iter()
                    .find(|(_, x)| x == g)
                    .map_or("?", |(n, _)| n);
                write!(f, "{name}")
            }
        }
    }
}

/// Why a template could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateSyntaxError {
    #[error(
        "`{{{{` at byte {0} is never closed with `}}}}` (for a literal `{{{{`, write `{{{{\"{{{{\"}}}}`)"
    )]
    /// A `{{` with no `}}` after it, at this byte offset.
    Unclosed(usize),
    #[error("empty placeholder `{{{{}}}}` at byte {0}")]
    /// A placeholder with nothing inside (`{{ }}`), at this byte offset.
    Empty(usize),
    #[error(
        "`{{{{{0}}}}}` is not a valid placeholder: use letters, digits, `_` and `.` (e.g. `{{{{order.id}}}}`)"
    )]
    /// A name (the text inside the braces) with other characters than letters, digits, `_`,
    /// `-` and `.`, an empty segment, or `env` without exactly one name after it.
    BadName(String),
    #[error(
        "unknown filter `{0}`; filters are `cents`, `int`, `string`, `ceil`, `floor`, `jwt`, `jwt(key_var)`, `jwt_claims`, `jwt_header`, `repeat(N)`, `plus(N)`, `minus(N)`, `times(N)` and `div(N)`"
    )]
    /// A filter, as written, that does not exist or has a bad argument.
    BadFilter(String),
    #[error(
        "`{{{{{0}}}}}` is not a valid literal: quoted text holds no `\"` and takes no filters (e.g. `{{{{\"{{{{\"}}}}`)"
    )]
    /// A quoted literal (the text inside the braces) with a `"` inside it, or with filters.
    BadLiteral(String),
}

/// Looks values up while rendering.
pub trait Lookup {
    /// A variable's value, or `None` when it is not defined.
    fn var(&self, name: &str) -> Option<&Value>;
    /// An environment variable's value (a secret).
    fn env(&self, name: &str) -> Option<String>;
    /// Called with every secret value used while rendering, so it can be redacted later.
    fn note_secret(&self, _value: &str) {}
}

/// A lookup with nothing in it: for values that hold only literals.
pub(crate) struct NoVars;

impl Lookup for NoVars {
    fn var(&self, _: &str) -> Option<&Value> {
        None
    }
    fn env(&self, _: &str) -> Option<String> {
        None
    }
}

/// Why rendering failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// No variable has this name, or not yet (a capture exists once its step has run).
    #[error("variable `{0}` is not defined")]
    Undefined(String),
    /// `{{env.NAME}}` names an environment variable that is not set.
    #[error("environment variable `{0}` is not set")]
    EnvUnset(String),
    /// The path of a placeholder leads to a field (or array index) the value does not have.
    #[error("`{placeholder}`: field `{field}` does not exist")]
    NoField {
        /// The placeholder, without braces or filters: `order.id`.
        placeholder: String,
        /// The first segment of its path that is missing.
        field: String,
    },
    /// A filter cannot convert the value it got, e.g. `int` of `"abc"`.
    #[error("`{placeholder}`: {message}")]
    Filter {
        /// The placeholder, without braces or filters: `order.total`.
        placeholder: String,
        /// What the filter needed and got.
        message: String,
    },
}

impl Template {
    /// Reads template text, refusing what could never render: an unclosed `{{`, a bad name, an
    /// unknown filter.
    pub fn parse(raw: &str) -> Result<Template, TemplateSyntaxError> {
        let mut parts = Vec::new();
        let mut rest = raw;
        let mut offset = 0;
        while let Some(start) = rest.find("{{") {
            push_text(&mut parts, &rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or(TemplateSyntaxError::Unclosed(offset + start))?;
            let inner = trim_space(&after[..end]);
            if inner.is_empty() {
                return Err(TemplateSyntaxError::Empty(offset + start));
            }
            let consumed = start + 2 + end + 2;
            if inner.starts_with('"') {
                let literal = inner
                    .strip_prefix('"')
                    .and_then(|i| i.strip_suffix('"'))
                    .filter(|text| !text.contains('"'))
                    .ok_or_else(|| TemplateSyntaxError::BadLiteral(inner.to_string()))?;
                push_text(&mut parts, literal);
                offset += consumed;
                rest = &rest[consumed..];
                continue;
            }
            let mut pieces = inner.split('|').map(trim_space);
            let placeholder = parse_placeholder(pieces.next().unwrap_or_default())?;
            let filters = pieces
                .map(|name| {
                    Filter::parse(name)
                        .ok_or_else(|| TemplateSyntaxError::BadFilter(name.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            parts.push(Part::Placeholder(placeholder, filters));
            offset += consumed;
            rest = &rest[consumed..];
        }
        push_text(&mut parts, rest);
        Ok(Template {
            raw: raw.to_string(),
            parts,
        })
    }

    /// A template with no placeholders.
    pub fn literal(text: &str) -> Template {
        Template {
            raw: text.to_string(),
            parts: if text.is_empty() {
                Vec::new()
            } else {
                vec![Part::Text(text.to_string())]
            },
        }
    }

    /// The template as written in the spec.
    pub fn raw(&self) -> &str {
        &self.raw
    }

    /// Whether it has no placeholders (a quoted `{{"{{"}}` is text, not a placeholder).
    pub fn is_literal(&self) -> bool {
        self.placeholders().next().is_none()
    }

    /// The text of a template with no placeholders (`{{"{{"}}` read as `{{`).
    pub fn literal_text(&self) -> Option<String> {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                Part::Placeholder(..) => None,
            })
            .collect()
    }

    /// The variables arithmetic filters take as operands (`plus(price)`): the template uses them.
    pub(crate) fn operand_vars(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().flat_map(|p| match p {
            Part::Placeholder(_, filters) => filters
                .iter()
                .filter_map(|f| match f {
                    Filter::Arithmetic(_, Operand::Var(name)) | Filter::JwtWith(name) => {
                        Some(name.as_str())
                    }
                    _ => None,
                })
                .collect::<Vec<_>>(),
            Part::Text(_) => Vec::new(),
        })
    }

    /// Whether a `jwt` filter signs something here (and so the template needs `jwt_secret`).
    pub(crate) fn signs_jwt(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p, Part::Placeholder(_, filters) if filters.contains(&Filter::Jwt)))
    }

    /// Its placeholders, in the order written (without their filters).
    pub fn placeholders(&self) -> impl Iterator<Item = &Placeholder> {
        self.parts.iter().filter_map(|p| match p {
            Part::Placeholder(ph, _) => Some(ph),
            Part::Text(_) => None,
        })
    }

    /// Renders to text; non-string values are written as JSON.
    pub fn render(&self, lookup: &dyn Lookup) -> Result<String, RenderError> {
        let mut out = String::with_capacity(self.raw.len());
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Placeholder(ph, filters) => match resolve_filtered(ph, filters, lookup)? {
                    Value::String(s) => out.push_str(&s),
                    other => out.push_str(&other.to_string()),
                },
            }
        }
        Ok(out)
    }

    /// Renders to a JSON value: a lone placeholder keeps its type, anything else is a string.
    pub fn render_value(&self, lookup: &dyn Lookup) -> Result<Value, RenderError> {
        match self.parts.as_slice() {
            [Part::Placeholder(ph, filters)] => resolve_filtered(ph, filters, lookup),
            _ => self.render(lookup).map(Value::String),
        }
    }
}

/// The whitespace allowed inside braces: the same few characters in every regex dialect.
const SPACE_CHARS: [char; 4] = [' ', '\t', '\r', '\n'];

fn trim_space(text: &str) -> &str {
    text.trim_matches(SPACE_CHARS)
}

/// Appends text, joining it to text just before (a literal `{{"{{"}}` between two runs of
/// text makes one run).
fn push_text(parts: &mut Vec<Part>, text: &str) {
    if text.is_empty() {
        return;
    }
    match parts.last_mut() {
        Some(Part::Text(t)) => t.push_str(text),
        _ => parts.push(Part::Text(text.to_string())),
    }
}

/// The template for a literal `{{`, which text cannot hold otherwise.
pub const LITERAL_BRACES: &str = r#"{{"{{"}}"#;

fn parse_placeholder(inner: &str) -> Result<Placeholder, TemplateSyntaxError> {
    let valid = inner.split('.').all(|seg| {
        !seg.is_empty()
            && seg
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    });
    if !valid {
        return Err(TemplateSyntaxError::BadName(inner.to_string()));
    }
    let mut segs = inner.split('.').map(str::to_string);
    let first = segs.next().unwrap_or_default();
    let fields: Vec<String> = segs.collect();
    if first == "env" {
        return match fields.as_slice() {
            [name] => Ok(Placeholder::Env(name.clone())),
            _ => Err(TemplateSyntaxError::BadName(inner.to_string())),
        };
    }
    if fields.is_empty()
        && let Some(g) = Generator::from_name(&first)
    {
        return Ok(Placeholder::Generator(g));
    }
    Ok(Placeholder::Var {
        name: first,
        fields,
    })
}

fn resolve_filtered(
    ph: &Placeholder,
    filters: &[Filter],
    lookup: &dyn Lookup,
) -> Result<Value, RenderError> {
    let mut value = resolve(ph, lookup)?;
    for filter in filters {
        value = filter.apply(value, &ph.to_string(), lookup)?;
    }
    Ok(value)
}

fn resolve(ph: &Placeholder, lookup: &dyn Lookup) -> Result<Value, RenderError> {
    match ph {
        Placeholder::Generator(g) => Ok(Value::String(g.generate())),
        Placeholder::Env(name) => {
            let value = lookup
                .env(name)
                .ok_or_else(|| RenderError::EnvUnset(name.clone()))?;
            lookup.note_secret(&value);
            Ok(Value::String(value))
        }
        Placeholder::Var { name, fields } => {
            let mut value = lookup
                .var(name)
                .ok_or_else(|| RenderError::Undefined(name.clone()))?;
            for field in fields {
                let next = match value {
                    Value::Object(map) => map.get(field),
                    Value::Array(items) => field.parse::<usize>().ok().and_then(|i| items.get(i)),
                    _ => None,
                };
                value = next.ok_or_else(|| RenderError::NoField {
                    placeholder: ph.to_string(),
                    field: field.clone(),
                })?;
            }
            Ok(value.clone())
        }
    }
}

/// What [`Template::parse`] accepts, as a regular expression over the whole string (without the
/// `^…$` anchors): text without `{{`, and placeholders `{{ name.field | filter }}`. Written in the
/// dialect JSON Schema's `pattern` uses (ECMA-262 with the `u` flag), which editors and the
/// `jsonschema` crate both understand. Names are Unicode letters and digits, `_` and `-`
/// (`char::is_alphanumeric`); `env` takes exactly one field; `repeat(N)` takes N up to 64 Mi.
pub(crate) fn syntax_regex() -> String {
    // Spelt out: `\s` means different characters to JavaScript (editors) and to Rust.
    const SPACE: &str = r"[ \t\r\n]";
    const NAME_CHAR: &str = r"[\p{Alphabetic}\p{N}_-]";
    // 0 ..= 67108864 (64 Mi), leading zeros and a `+` allowed as `usize::from_str` allows them.
    const REPEAT_COUNT: &str = r"\+?0*(?:[0-9]{1,7}|[1-5][0-9]{7}|6[0-6][0-9]{6}|670[0-9]{5}|6710[0-7][0-9]{3}|67108[0-7][0-9]{2}|671088[0-5][0-9]|6710886[0-4])";
    let seg = format!("{NAME_CHAR}+");
    // `env.NAME`, or any dotted name whose first segment is not exactly `env`.
    let name = format!(r"(?:env\.{seg}|(?!env(?!{NAME_CHAR})){seg}(?:\.{seg})*)");
    let filter = format!(
        r"(?:cents|int|string|ceil|floor|jwt_claims|jwt_header|jwt\({SPACE}*[A-Za-z_][A-Za-z0-9_]*{SPACE}*\)|jwt|repeat\({SPACE}*{REPEAT_COUNT}{SPACE}*\)|(?:plus|minus|times|div)\({SPACE}*(?:-?[0-9]{{1,9}}|[A-Za-z_][A-Za-z0-9_]*){SPACE}*\))"
    );
    let placeholder = format!(r"\{{\{{{SPACE}*{name}{SPACE}*(?:\|{SPACE}*{filter}{SPACE}*)*\}}\}}");
    // `{{"text"}}`: no `"` inside, and no `}}` (the parser ends a placeholder at the first one).
    let literal = format!(r#"\{{\{{{SPACE}*"(?:[^"}}]|\}}(?!\}}))*"{SPACE}*\}}\}}"#);
    // Text: any character but `{`, a `{` followed by something else, or a `{` at the very end.
    format!(r"(?:[^\{{]|\{{[^\{{]|\{{$|{placeholder}|{literal})*")
}

impl JsonSchema for Template {
    fn schema_name() -> Cow<'static, str> {
        "Template".into()
    }

    /// Mirrors the [`Deserialize`] impl below: a string in template syntax, or a number or a
    /// boolean taken as its text.
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Text; `{{name}}`, `{{order.id}}`, `{{env.NAME}}`, `{{uuid}}`, `{{unique_email}}`, `{{now}}` and `{{unix_time}}` are replaced when the step runs, and filters convert a value: `{{total | cents}}`, `{{id | string}}`, `{{n | int}}`, `{{text | repeat(N)}}`, `{{count | plus(2)}}` (also `minus(N)`, `times(N)`, `div(N)`, then `ceil` or `floor`), `{{claims | jwt}}` (or `jwt(key_var)`), `{{token | jwt_claims}}`, `{{token | jwt_header}}`. A string that is exactly one placeholder keeps the value's JSON type. Numbers and booleans are taken as text.",
            "type": ["string", "number", "boolean"],
            "pattern": format!("^{}$", syntax_regex()),
            "patternErrorMessage": TEMPLATE_PATTERN_MESSAGE,
        })
    }
}

/// What an editor says when a string is not a valid template (`patternErrorMessage` is the
/// VS Code / yaml-language-server extension keyword for a readable `pattern` failure).
pub(crate) const TEMPLATE_PATTERN_MESSAGE: &str = "not a valid template: every `{{` needs a closing `}}` around a name of letters, digits, `_`, `-` and `.` (`{{order.id}}`, `{{env.NAME}}`), optionally with filters `cents`, `int`, `string`, `repeat(N)`, `plus(N)`, `minus(N)`, `times(N)`, `div(N)`, `ceil`, `floor`, `jwt`, `jwt(key_var)`, `jwt_claims` or `jwt_header`; `{{\"{{\"}}` writes a literal `{{`";

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Template;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string (templates such as {{token}} allowed)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Template, E> {
                Template::parse(v).map_err(E::custom)
            }
            // Numbers and booleans are accepted where text is expected (`page: 2`).
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Template, E> {
                Ok(Template::literal(&v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Template, E> {
                Ok(Template::literal(&v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Template, E> {
                Ok(Template::literal(&v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Template, E> {
                Ok(Template::literal(&v.to_string()))
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    struct Vars(HashMap<String, Value>);
    impl Lookup for Vars {
        fn var(&self, name: &str) -> Option<&Value> {
            self.0.get(name)
        }
        fn env(&self, name: &str) -> Option<String> {
            (name == "SECRET").then(|| "s3cr3t".to_string())
        }
    }

    fn vars() -> Vars {
        Vars(HashMap::from([
            ("token".to_string(), json!("abc")),
            ("qty".to_string(), json!(3)),
            (
                "order".to_string(),
                json!({"id": 7, "items": [{"sku": "GPU-1"}]}),
            ),
        ]))
    }

    #[test]
    fn division_and_rounding() {
        let t =
            Template::parse("{{qty | div(2) | ceil}} {{qty | div(2) | floor}} {{qty | div(4)}}")
                .unwrap();
        assert_eq!(t.render(&vars()).unwrap(), "2 1 0.75");
        let err = Template::parse("{{qty | div(0)}}")
            .unwrap()
            .render(&vars())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`div` by 0"), "{err}");
    }

    #[test]
    fn jwt_filters_sign_with_a_named_key_and_read_tokens_back() {
        let mut v = vars();
        v.0.insert("published".into(), json!("public-key"));
        v.0.insert("claims".into(), json!({"user_id": 7, "exp": 99}));
        let t = Template::parse("{{claims | jwt(published)}}").unwrap();
        let token = t.render_value(&v).unwrap();
        let decoded = gigcheck_base::jwt::verify(token.as_str().unwrap(), b"public-key").unwrap();
        assert_eq!(decoded, json!({"user_id": 7, "exp": 99}));
        v.0.insert("token".into(), token);
        let claims = Template::parse("{{token | jwt_claims}}").unwrap();
        assert_eq!(claims.render_value(&v).unwrap()["user_id"], json!(7));
        let header = Template::parse("{{token | jwt_header}}").unwrap();
        assert_eq!(header.render_value(&v).unwrap()["alg"], json!("HS256"));
        assert!(claims.operand_vars().next().is_none());
        assert_eq!(t.operand_vars().collect::<Vec<_>>(), ["published"]);
        v.0.insert("token".into(), json!("not-a-jwt"));
        let err = claims.render_value(&v).unwrap_err().to_string();
        assert!(err.contains("`jwt_claims` needs a JWT"), "{err}");
        let missing = Template::parse("{{claims | jwt(nope)}}").unwrap();
        assert!(missing.render_value(&v).is_err());
    }

    #[test]
    fn renders_text_and_variables() {
        let t = Template::parse("Bearer {{token}} x{{ qty }}").unwrap();
        assert_eq!(t.render(&vars()).unwrap(), "Bearer abc x3");
    }

    #[test]
    fn lone_placeholder_keeps_json_type() {
        let t = Template::parse("{{qty}}").unwrap();
        assert_eq!(t.render_value(&vars()).unwrap(), json!(3));
        let t = Template::parse("{{order.items.0.sku}}").unwrap();
        assert_eq!(t.render_value(&vars()).unwrap(), json!("GPU-1"));
    }

    #[test]
    fn undefined_variable_is_an_error_not_empty() {
        let t = Template::parse("/api/orders/{{order_id}}").unwrap();
        assert_eq!(
            t.render(&vars()),
            Err(RenderError::Undefined("order_id".into()))
        );
        let t = Template::parse("{{order.nope}}").unwrap();
        assert!(matches!(
            t.render(&vars()),
            Err(RenderError::NoField { .. })
        ));
    }

    #[test]
    fn env_and_generators() {
        let t = Template::parse("{{env.SECRET}}").unwrap();
        assert_eq!(t.render(&vars()).unwrap(), "s3cr3t");
        assert_eq!(
            Template::parse("{{env.MISSING}}").unwrap().render(&vars()),
            Err(RenderError::EnvUnset("MISSING".into()))
        );
        let a = Template::parse("{{unique_email}}")
            .unwrap()
            .render(&vars())
            .unwrap();
        let b = Template::parse("{{unique_email}}")
            .unwrap()
            .render(&vars())
            .unwrap();
        assert_ne!(a, b);
        assert!(a.contains('@'));
        assert_eq!(
            Template::parse("{{uuid}}")
                .unwrap()
                .render(&vars())
                .unwrap()
                .len(),
            36
        );
        assert!(
            Template::parse("{{now}}")
                .unwrap()
                .render(&vars())
                .unwrap()
                .ends_with('Z')
        );
    }

    #[test]
    fn syntax_errors() {
        assert_eq!(
            Template::parse("a {{b"),
            Err(TemplateSyntaxError::Unclosed(2))
        );
        assert_eq!(Template::parse("{{ }}"), Err(TemplateSyntaxError::Empty(0)));
        assert!(matches!(
            Template::parse("{{a b}}"),
            Err(TemplateSyntaxError::BadName(_))
        ));
        assert!(matches!(
            Template::parse("{{env}}"),
            Err(TemplateSyntaxError::BadName(_))
        ));
        assert!(matches!(
            Template::parse("{{env.a.b}}"),
            Err(TemplateSyntaxError::BadName(_))
        ));
    }

    #[test]
    fn filters_convert_values() {
        let mut v = vars();
        v.0.insert("total".into(), json!(399.99));
        v.0.insert("n".into(), json!("12"));
        let r = |t: &str| Template::parse(t).unwrap().render_value(&v);
        assert_eq!(r("{{total | cents}}").unwrap(), json!(39999));
        assert_eq!(r("{{n|int}}").unwrap(), json!(12));
        assert_eq!(r("{{qty | string}}").unwrap(), json!("3"));
        assert_eq!(r("{{qty | repeat(3)}}").unwrap(), json!("333"));
        assert!(Template::parse("{{qty | repeat(x)}}").is_err());
        assert!(matches!(
            r("{{token | cents}}"),
            Err(RenderError::Filter { .. })
        ));
        assert_eq!(
            Template::parse("{{a | nope}}"),
            Err(TemplateSyntaxError::BadFilter("nope".into()))
        );
    }

    #[test]
    fn repeat_that_would_exceed_the_limit_is_an_error_not_a_crash() {
        // `repeat` after `repeat` multiplies: 64 Mi × 64 Mi bytes overflowed `str::repeat`.
        let mut v = vars();
        v.0.insert("x".into(), json!("ab"));
        let r = |t: &str| Template::parse(t).unwrap().render(&v);
        assert!(matches!(
            r("{{x | repeat(67108864) | repeat(67108864)}}"),
            Err(RenderError::Filter { .. })
        ));
        assert!(matches!(
            r("{{x | repeat(33554433)}}"),
            Err(RenderError::Filter { .. })
        ));
        assert_eq!(r("{{x | repeat(2) | repeat(3)}}").unwrap(), "ab".repeat(6));
    }

    #[test]
    fn quoted_text_is_literal() {
        let t = Template::parse(r#"{{"{{"}}{ {{ "x}" }}{{qty}}"#).unwrap();
        assert_eq!(t.render(&vars()).unwrap(), "{{{ x}3");
        let t = Template::parse(r#"a{{"{{"}}b"#).unwrap();
        assert_eq!(t.literal_text().as_deref(), Some("a{{b"));
        assert!(t.is_literal());
        assert_eq!(t.render_value(&vars()).unwrap(), json!("a{{b"));
        assert_eq!(
            Template::parse(LITERAL_BRACES)
                .unwrap()
                .literal_text()
                .unwrap(),
            "{{"
        );
        assert_eq!(
            Template::parse(r#"{{""}}"#)
                .unwrap()
                .literal_text()
                .unwrap(),
            ""
        );
        for bad in [
            r#"{{"a"b"}}"#,
            r#"{{"a" | int}}"#,
            r#"{{"}}"#,
            r#"{{"x}}"}}"#,
        ] {
            assert!(
                matches!(
                    Template::parse(bad),
                    Err(TemplateSyntaxError::BadLiteral(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn literal_has_no_placeholders() {
        let t = Template::parse("plain").unwrap();
        assert!(t.is_literal());
        assert_eq!(t.raw(), "plain");
    }
}
