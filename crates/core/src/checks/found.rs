//! What a forbidden pattern (`not_matches`, the leak checks) found, told so that a person can act
//! on it: the matched text, where it is in a JSON body (a JSONPath), which alternative of the
//! pattern matched, and the text around it — never the whole pattern.

use regex::Regex;
use serde_json::Value;

/// The longest matched text or context shown.
const SHOWN: usize = 80;
/// How much text is shown on each side of a match.
const CONTEXT: usize = 30;

/// A forbidden match, described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Found {
    /// `"Traceback" at $.error (alternative `traceback`)`.
    pub what: String,
    /// The text around the match, when there is more than the match.
    pub context: Option<String>,
}

/// Describes the first match of `pattern` in `value` (as text: strings as they are, anything
/// else as JSON), or `None` when there is none.
pub(super) fn describe(pattern: &Regex, value: &Value) -> Option<Found> {
    // A text check sees the raw body: look inside it when it is JSON.
    let parsed;
    let json = match value {
        Value::String(s) if s.trim_start().starts_with(['{', '[']) => {
            parsed = serde_json::from_str::<Value>(s).ok();
            parsed.as_ref()
        }
        Value::Object(_) | Value::Array(_) => Some(value),
        _ => None,
    };
    let located = json.and_then(|j| locate(pattern, j, "$"));
    let (text, at) = match located {
        Some((path, leaf)) => (leaf, Some(path)),
        None => (as_text(value), None),
    };
    let m = pattern.find(&text)?;
    let mut what = format!("\"{}\"", cut(m.as_str(), SHOWN));
    if let Some(path) = at {
        what.push_str(&format!(" at {path}"));
    }
    if let Some(alt) = alternative(pattern, &text, m.start()) {
        what.push_str(&format!(" (alternative `{}`)", cut(&alt, SHOWN)));
    }
    let context = (m.as_str().len() < text.len()).then(|| around(&text, m.start(), m.end()));
    Some(Found { what, context })
}

/// The first string (or key, or other scalar) in `json` that `pattern` matches: its JSONPath
/// and its text.
fn locate(pattern: &Regex, json: &Value, path: &str) -> Option<(String, String)> {
    match json {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let child = child_path(path, k);
            if pattern.is_match(k) {
                return Some((format!("{child} (the key)"), k.clone()));
            }
            locate(pattern, v, &child)
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| locate(pattern, v, &format!("{path}[{i}]"))),
        other => {
            let text = as_text(other);
            pattern.is_match(&text).then(|| (path.to_string(), text))
        }
    }
}

fn child_path(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !key.starts_with(|c: char| c.is_ascii_digit());
    if plain {
        format!("{path}.{key}")
    } else {
        format!(
            "{path}['{}']",
            key.replace('\\', "\\\\").replace('\'', "\\'")
        )
    }
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Which top-level alternative (`a|b|c`) of the pattern matched at `start`, when it has several.
/// Leading flags (`(?i)`) apply to every alternative.
fn alternative(pattern: &Regex, text: &str, start: usize) -> Option<String> {
    let source = pattern.as_str();
    let (flags, body) = leading_flags(source);
    let alternatives = split_alternatives(body);
    if alternatives.len() < 2 {
        return None;
    }
    alternatives.into_iter().find_map(|alt| {
        let re = Regex::new(&format!("{flags}(?:{alt})")).ok()?;
        re.find_at(text, start)
            .is_some_and(|m| m.start() == start)
            .then(|| alt.to_string())
    })
}

/// `(?i)rest` → (`(?i)`, `rest`): flags written alone at the start of a pattern.
fn leading_flags(pattern: &str) -> (&str, &str) {
    if let Some(rest) = pattern.strip_prefix("(?")
        && let Some(end) = rest.find(')')
        && rest[..end]
            .chars()
            .all(|c| c.is_ascii_alphabetic() || c == '-')
    {
        let cut = end + 3;
        return (&pattern[..cut], &pattern[cut..]);
    }
    ("", pattern)
}

/// The pattern's alternatives at the top level: `|` outside groups and classes.
fn split_alternatives(pattern: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut class, mut escaped, mut start) = (0usize, 0usize, false, 0);
    for (i, c) in pattern.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '[' => class += 1,
            ']' if class > 0 => class -= 1,
            '(' if class == 0 => depth += 1,
            ')' if class == 0 => depth = depth.saturating_sub(1),
            '|' if class == 0 && depth == 0 => {
                out.push(&pattern[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&pattern[start..]);
    out
}

/// The text around `start..end`, on one line.
fn around(text: &str, start: usize, end: usize) -> String {
    let before: String = text[..start]
        .chars()
        .rev()
        .take(CONTEXT)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[end..].chars().take(CONTEXT).collect();
    let lead = if before.len() < start { "…" } else { "" };
    let tail = if end + after.len() < text.len() {
        "…"
    } else {
        ""
    };
    let line = format!(
        "{lead}{before}{}{after}{tail}",
        cut(&text[start..end], SHOWN)
    );
    line.replace(['\n', '\r'], " ")
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max).collect();
    format!("{kept}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The leak pattern the plan's specs check every error answer with, read from a spec so
    /// that these tests hold for the pattern really in use.
    fn leaks() -> Regex {
        let spec: serde_json::Value =
            crate::yaml::from_str(include_str!("../../../../specs/06-errors.yaml")).unwrap();
        let pattern = spec["error_responses"]["text"]["not_matches"]
            .as_str()
            .unwrap();
        Regex::new(pattern).unwrap()
    }

    #[test]
    fn a_leak_names_the_match_the_place_and_the_alternative() {
        let body = json!({"success": false, "error": "Internal error", "detail": {"trace": "Traceback (most recent call last):\n  File \"/app/payment/routes.py\", line 88"}});
        let found = describe(&leaks(), &Value::String(body.to_string())).unwrap();
        assert_eq!(
            found.what,
            "\"Traceback\" at $.detail.trace (alternative `traceback`)"
        );
        assert_eq!(
            found.context.as_deref(),
            Some("Traceback (most recent call last):   Fi…")
        );
        let found = describe(&leaks(), &json!("boom at src/x.rs:12:5")).unwrap();
        assert_eq!(found.what, "\".rs:1\" (alternative `\\.rs:\\d`)");
    }

    #[test]
    fn a_stripe_url_path_in_a_message_is_not_a_leak() {
        let body = json!({"success": false, "error": "Unrecognized request URL (POST: /v1/payment_intents/pi_123/confirmx). Please see https://stripe.com/docs or we can help at https://support.stripe.com/."});
        assert_eq!(describe(&leaks(), &Value::String(body.to_string())), None);
        let sql = json!({"error": "1054 (42S22): Unknown column 'o.id' in 'field list' SELECT o.id FROM orders o"});
        let found = describe(&leaks(), &sql).unwrap();
        assert_eq!(
            found.what,
            r#""1054 (42S22)" at $.error (alternative `\b\d{4} \([0-9A-Z]{5}\)`)"#
        );
        let sql = json!({"error": "bad query: SELECT id FROM users"});
        let found = describe(&leaks(), &sql).unwrap();
        assert!(
            found.what.starts_with("\"SELECT id FROM\" at $.error"),
            "{found:?}"
        );
    }

    #[test]
    fn alternatives_split_only_at_the_top_level() {
        assert_eq!(
            split_alternatives(r"a(b|c)|[|]|\||d"),
            ["a(b|c)", "[|]", r"\|", "d"]
        );
        assert_eq!(leading_flags("(?i)a|b"), ("(?i)", "a|b"));
        assert_eq!(leading_flags("(?:a)|b"), ("", "(?:a)|b"));
        let re = Regex::new("(?i)x|(?P<sql>select .* from)").unwrap();
        assert_eq!(
            alternative(&re, "a SELECT 1 FROM t", 2).as_deref(),
            Some("(?P<sql>select .* from)")
        );
        assert_eq!(alternative(&Regex::new("abc").unwrap(), "abc", 0), None);
    }

    #[test]
    fn keys_and_odd_paths_are_named() {
        let found = describe(
            &Regex::new("secret").unwrap(),
            &json!({"a b": [{"secret_key": 1}]}),
        )
        .unwrap();
        assert_eq!(found.what, "\"secret\" at $['a b'][0].secret_key (the key)");
    }
}
