//! Small typed values of the spec format, each parsed (and so validated) as the YAML is read:
//! durations, status expectations, regular expressions and JSONPath queries.

use super::template::{Template, syntax_regex};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer, SeqAccess};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// A duration written `250ms`, `2s`, `1m`, or a bare number of milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecDuration(pub Duration);

impl SpecDuration {
    /// Reads `250ms`, `2s`, `1.5s`, `1m` (or `1min`) or a bare number of milliseconds, from 0
    /// to 24 hours.
    pub fn parse(text: &str) -> Result<SpecDuration, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (num, unit) = text.split_at(split);
        let value: f64 = num
            .parse()
            .map_err(|_| format!("`{text}` is not a duration; write e.g. `500ms`, `2s` or `1m`"))?;
        let millis = match unit.trim() {
            "" | "ms" => value,
            "s" => value * 1000.0,
            "m" | "min" => value * 60_000.0,
            other => {
                return Err(format!(
                    "unknown duration unit `{other}` in `{text}`; use `ms`, `s` or `m` (or `min`)"
                ));
            }
        };
        if !(0.0..=86_400_000.0).contains(&millis) {
            return Err(format!("duration `{text}` is out of range (0 to 24h)"));
        }
        Ok(SpecDuration(Duration::from_micros(
            (millis * 1000.0) as u64,
        )))
    }
}

impl<'de> Deserialize<'de> for SpecDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = SpecDuration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as `500ms`, `2s` or `1m`")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<SpecDuration, E> {
                SpecDuration::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<SpecDuration, E> {
                SpecDuration::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<SpecDuration, E> {
                SpecDuration::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<SpecDuration, E> {
                SpecDuration::parse(v).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for SpecDuration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    /// Mirrors [`SpecDuration::parse`]: a number of milliseconds, or digits with an optional unit.
    /// The 24-hour limit is checked for numbers only: `90000s` passes the schema and fails
    /// loading.
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        // One schema for both forms: `minimum`/`maximum` only apply to numbers and `pattern` only
        // to strings, and editors report the failing keyword rather than "incorrect type".
        json_schema!({
            "description": "A duration: `500ms`, `2s`, `1.5s`, `1m` (also `min`), or a bare number of milliseconds; at most 24 hours.",
            "type": ["number", "string"],
            "minimum": 0,
            "maximum": 86_400_000,
            "pattern": r"^\s*(?:[0-9]+\.?[0-9]*|\.[0-9]+)\s*(?:ms|s|m|min)?\s*$",
            "patternErrorMessage": "not a duration: write e.g. `500ms`, `2s` or `1m`",
            "examples": ["500ms", "2s"],
        })
    }
}

/// What status codes a step accepts: `201`, `[200, 201]` or a class such as `4xx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusExpectation(pub Vec<StatusPattern>);

/// One accepted status: a code such as `201`, or a class such as `4xx`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPattern {
    /// This code exactly, from 100 to 599.
    Exact(u16),
    /// `4xx` is `Class(4)`.
    Class(u8),
}

impl StatusPattern {
    /// Reads a code (`201`) or a class (`1xx` to `5xx`, any case); spaces around are allowed.
    pub fn parse(text: &str) -> Result<StatusPattern, String> {
        let t = text.trim().to_ascii_lowercase();
        if t.len() == 3 && t.ends_with("xx") {
            if let Ok(d @ 1..=5) = t[..1].parse::<u8>() {
                return Ok(StatusPattern::Class(d));
            }
        } else if let Ok(code) = t.parse::<u16>() {
            return Self::exact(code.into());
        }
        Err(format!(
            "`{text}` is not a status: write a code such as `201`, a list `[200, 201]` or a class such as `4xx`"
        ))
    }

    fn exact(code: u64) -> Result<StatusPattern, String> {
        if (100..=599).contains(&code) {
            Ok(StatusPattern::Exact(code as u16))
        } else {
            Err(format!("status {code} is outside 100..=599"))
        }
    }

    /// Whether `status` is this code, or is in this class.
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusPattern::Exact(code) => code == status,
            StatusPattern::Class(class) => status / 100 == class as u16,
        }
    }
}

impl fmt::Display for StatusPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusPattern::Exact(c) => write!(f, "{c}"),
            StatusPattern::Class(c) => write!(f, "{c}xx"),
        }
    }
}

impl StatusExpectation {
    /// Whether `status` matches any of the accepted codes and classes.
    pub fn matches(&self, status: u16) -> bool {
        self.0.iter().any(|p| p.matches(status))
    }
}

impl fmt::Display for StatusExpectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&parts.join(" or "))
    }
}

impl<'de> Deserialize<'de> for StatusExpectation {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = StatusExpectation;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a status code (`201`), a list (`[200, 201]`) or a class (`4xx`)")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusExpectation, E> {
                StatusPattern::exact(v)
                    .map(|p| StatusExpectation(vec![p]))
                    .map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusExpectation, E> {
                match u64::try_from(v) {
                    Ok(v) => self.visit_u64(v),
                    Err(_) => Err(E::custom(format!("status {v} is outside 100..=599"))),
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusExpectation, E> {
                StatusPattern::parse(v)
                    .map(|p| StatusExpectation(vec![p]))
                    .map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<StatusExpectation, A::Error> {
                let mut out = Vec::new();
                while let Some(one) = seq.next_element::<StatusExpectation>()? {
                    out.extend(one.0);
                }
                if out.is_empty() {
                    return Err(de::Error::custom("the status list is empty"));
                }
                Ok(StatusExpectation(out))
            }
        }
        d.deserialize_any(V)
    }
}

/// What [`StatusPattern::parse`] accepts in a string: a code from 100 to 599 (as `u16::from_str`
/// reads it: leading zeros and `+` allowed) or a class `1xx` … `5xx`, any case, spaces around.
pub(crate) const STATUS_PATTERN_REGEX: &str = r"^\s*(?:[1-5][xX][xX]|\+?0*[1-5][0-9][0-9])\s*$";

impl JsonSchema for StatusExpectation {
    fn schema_name() -> Cow<'static, str> {
        "Status".into()
    }

    /// Mirrors the [`Deserialize`] impl below, including its recursion: a list's items are read
    /// as statuses themselves, so `[[200], 201]` is accepted (and an empty inner list is not).
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let itself = generator.subschema_for::<StatusExpectation>();
        // One schema for the three forms, each keyword applying to one type only (as for
        // durations), so editors name the failing check.
        json_schema!({
            "description": "The expected status: a code (`201`), a class (`4xx`), or a list of them (`[200, 201]`) of which one must match.",
            "type": ["integer", "string", "array"],
            "minimum": 100,
            "maximum": 599,
            "pattern": STATUS_PATTERN_REGEX,
            "patternErrorMessage": "not a status: write a code such as `201` or a class such as `4xx`",
            "minItems": 1,
            "items": itself,
            "examples": [200, "4xx", [200, 201]],
        })
    }
}

/// A regular expression, compiled when the spec loads.
#[derive(Debug, Clone)]
pub struct Pattern(pub regex::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        thread_local! {
            static COMPILED: Memo<regex::Regex> = Memo::default();
        }
        let text = String::deserialize(d)?;
        memoized(&COMPILED, &text, |text| {
            regex::Regex::new(text).map_err(|e| regex_error(text, &e))
        })
        .map(Pattern)
        .map_err(de::Error::custom)
    }
}

impl JsonSchema for Pattern {
    fn schema_name() -> Cow<'static, str> {
        "Regex".into()
    }

    /// Mirrors the [`Deserialize`] impl above: a string. Its syntax is the `regex` crate's, which
    /// JSON Schema cannot check (`format: regex` means ECMA-262, which rejects `(?i)`).
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A regular expression (Rust `regex` syntax: `(?i)` for case-insensitive, `\\d`, `^…$`); it matches anywhere unless anchored.",
            "type": "string",
        })
    }
}

/// Parsed forms of texts by the text, kept per thread.
type Memo<T> = std::cell::RefCell<HashMap<String, T>>;

/// `parse(text)`, or its result kept from an earlier call. A project repeats the same patterns
/// and JSONPaths in every scenario (every suite's `error_responses` leak pattern, `$.order.id`),
/// and compiling them again cost more than reading the scenarios that hold them. At most 1 024
/// are kept: generated suites may hold one of their own per scenario.
fn memoized<T: Clone + 'static>(
    memo: &'static std::thread::LocalKey<Memo<T>>,
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, String> {
    if let Some(parsed) = memo.with_borrow(|kept| kept.get(text).cloned()) {
        return Ok(parsed);
    }
    let parsed = parse(text)?;
    memo.with_borrow_mut(|kept| {
        if kept.len() < 1024 {
            kept.insert(text.to_string(), parsed.clone());
        }
    });
    Ok(parsed)
}

/// A JSONPath query (RFC 9535). Parsed when the spec loads unless it holds a `{{placeholder}}`,
/// in which case it is parsed after rendering.
#[derive(Debug, Clone)]
pub struct BodyPath {
    /// The path as written; it may hold `{{placeholders}}`.
    pub template: Template,
    /// The parsed query; `None` when the path holds placeholders (it is parsed once rendered).
    pub parsed: Option<serde_json_path::JsonPath>,
}

impl PartialEq for BodyPath {
    fn eq(&self, other: &Self) -> bool {
        self.template == other.template
    }
}

impl BodyPath {
    /// Reads a JSONPath that starts with `$`, parsing it now unless it holds placeholders.
    pub fn parse(text: &str) -> Result<BodyPath, String> {
        let template = Template::parse(text).map_err(|e| e.to_string())?;
        if !text.starts_with('$') {
            return Err(format!(
                "`{text}` is not a JSONPath: it must start with `$` (e.g. `$.order.id`)"
            ));
        }
        let parsed = match template.literal_text() {
            Some(path) => Some(parse_json_path(&path)?),
            None => None,
        };
        Ok(BodyPath { template, parsed })
    }

    /// The path as written in the spec.
    pub fn as_str(&self) -> &str {
        self.template.raw()
    }
}

/// The regex crate's error in one line: its last line says what is wrong.
fn regex_error(text: &str, e: &regex::Error) -> String {
    let full = e.to_string();
    let reason = full
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(full.lines().last().unwrap_or_default().trim());
    format!("`{text}` is not a valid regular expression: {reason} (Rust regex syntax)")
}

pub(crate) fn parse_json_path(text: &str) -> Result<serde_json_path::JsonPath, String> {
    thread_local! {
        static PARSED: Memo<serde_json_path::JsonPath> = Memo::default();
    }
    memoized(&PARSED, text, |text| {
        serde_json_path::JsonPath::parse(text).map_err(|e| {
            format!(
                "invalid JSONPath `{text}`: {} (at character {}); write it like `$.order.items[0].price` or `$.orders[*].status`",
                e.message(),
                e.position()
            )
        })
    })
}

/// True when a JSONPath can select at most one node (RFC 9535 "singular query"): only
/// name and index selectors, no wildcards, slices, filters, unions or descendants.
pub fn is_singular_path(path: &str) -> bool {
    let mut in_quote: Option<char> = None;
    // Inside a quoted name: the previous character was a backslash that escapes this one.
    let mut escaped = false;
    let mut depth = 0;
    let mut prev = '\0';
    for c in path.chars() {
        if let Some(q) = in_quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                in_quote = None;
            }
        } else {
            match c {
                '\'' | '"' => in_quote = Some(c),
                '[' => depth += 1,
                ']' => depth -= 1,
                '*' | '?' => return false,
                '.' if prev == '.' => return false,
                ':' | ',' if depth > 0 => return false,
                _ => {}
            }
        }
        prev = c;
    }
    true
}

impl JsonSchema for BodyPath {
    fn schema_name() -> Cow<'static, str> {
        "JsonPath".into()
    }

    /// Mirrors [`BodyPath::parse`] as far as a pattern can: a template that starts with `$`. The
    /// JSONPath grammar itself (RFC 9535) is checked when the spec loads.
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A JSONPath (RFC 9535) into the response body, starting with `$`: `$.order.id`, `$.orders[0].status`, `$.orders[*].id`. May hold `{{…}}` templates.",
            "type": "string",
            "pattern": format!(r"^\${}$", syntax_regex()),
            "patternErrorMessage": "a JSONPath starts with `$`, e.g. `$.order.id` (and any `{{` needs its `}}`)",
        })
    }
}

impl<'de> Deserialize<'de> for BodyPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        BodyPath::parse(&text).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_pattern_is_the_same_and_a_bad_one_still_fails() {
        let read = |text: &str| serde_json::from_value::<Pattern>(serde_json::json!(text));
        let first = read("(?i)traceback|select .+ from").unwrap();
        let again = read("(?i)traceback|select .+ from").unwrap();
        assert_eq!(first, again);
        assert!(again.0.is_match("SELECT id FROM orders"));
        assert!(read("(unclosed").is_err());
        assert!(read("(unclosed").is_err(), "a bad pattern is never cached");
    }

    #[test]
    fn durations() {
        assert_eq!(
            SpecDuration::parse("250ms").unwrap().0,
            Duration::from_millis(250)
        );
        assert_eq!(SpecDuration::parse("2s").unwrap().0, Duration::from_secs(2));
        assert_eq!(
            SpecDuration::parse("1.5s").unwrap().0,
            Duration::from_millis(1500)
        );
        assert_eq!(
            SpecDuration::parse("100").unwrap().0,
            Duration::from_millis(100)
        );
        assert!(SpecDuration::parse("2h").is_err());
        assert!(SpecDuration::parse("soon").is_err());
    }

    #[test]
    fn statuses() {
        let s: StatusExpectation = crate::yaml::from_str("4xx").unwrap();
        assert!(s.matches(404) && !s.matches(500));
        let s: StatusExpectation = crate::yaml::from_str("[200, 201]").unwrap();
        assert!(s.matches(201) && !s.matches(204));
        assert_eq!(s.to_string(), "200 or 201");
        assert!(crate::yaml::from_str::<StatusExpectation>("700").is_err());
        assert!(crate::yaml::from_str::<StatusExpectation>("6xx").is_err());
        assert!(crate::yaml::from_str::<StatusExpectation>("ok").is_err());
        let negative = crate::yaml::from_str::<StatusExpectation>("-5").unwrap_err();
        assert!(
            negative.to_string().contains("status -5 is outside"),
            "{negative}"
        );
    }

    #[test]
    fn json_paths() {
        assert!(
            BodyPath::parse("$.order.items[0].sku")
                .unwrap()
                .parsed
                .is_some()
        );
        assert!(
            BodyPath::parse("$.orders[?@.id == {{id}}]")
                .unwrap()
                .parsed
                .is_none()
        );
        assert!(BodyPath::parse("order.id").is_err());
        assert!(BodyPath::parse("$.order[").is_err());
    }

    #[test]
    fn parsed_forms_are_kept_up_to_a_bound_and_errors_are_not_kept() {
        thread_local! {
            static KEPT: Memo<usize> = Memo::default();
        }
        let calls = std::cell::Cell::new(0);
        let parse = |text: &str| {
            calls.set(calls.get() + 1);
            text.parse::<usize>().map_err(|e| e.to_string())
        };
        assert_eq!(memoized(&KEPT, "7", parse), Ok(7));
        assert_eq!(memoized(&KEPT, "7", parse), Ok(7));
        assert_eq!(calls.get(), 1, "the second call used the kept form");
        assert!(memoized(&KEPT, "x", parse).is_err());
        assert!(memoized(&KEPT, "x", parse).is_err());
        assert_eq!(calls.get(), 3, "an error is parsed (and said) every time");
        for n in 0..2000 {
            assert_eq!(memoized(&KEPT, &n.to_string(), parse), Ok(n));
        }
        assert_eq!(KEPT.with_borrow(HashMap::len), 1024);
        // The same query and the same error, whether parsed or kept.
        let once = parse_json_path("$.orders[0].status").unwrap();
        assert_eq!(parse_json_path("$.orders[0].status").unwrap(), once);
        assert_eq!(
            parse_json_path("$.order[").unwrap_err(),
            parse_json_path("$.order[").unwrap_err()
        );
    }

    #[test]
    fn singular_paths() {
        assert!(is_singular_path("$.order.items[0].sku"));
        assert!(is_singular_path("$['a,b']"));
        assert!(!is_singular_path("$.orders[*].id"));
        assert!(!is_singular_path("$..id"));
        assert!(!is_singular_path("$.orders[0:2]"));
        assert!(!is_singular_path("$.orders[?@.status == 'paid']"));
    }

    #[test]
    fn a_name_ending_in_an_escaped_backslash_closes_its_quote() {
        // Found by tests/it/properties.rs: `\\'` is an escaped backslash, then the closing quote,
        // so the `[*]` after it is a wildcard and the query a list.
        assert!(!is_singular_path(r"$['\\'][*]"));
        assert!(!is_singular_path(r#"$["a\\"]['*'][0:1]"#));
        assert!(is_singular_path(r"$['\\']['*']"));
        assert!(is_singular_path(r"$['it\'s'][0]"));
    }
}
