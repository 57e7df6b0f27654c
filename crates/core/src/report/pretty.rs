//! A response shown to a person (`gigcheck request`): the status line, headers, and the body —
//! JSON indented and coloured like an API client shows it, anything else as text.

use super::format::human;
use super::text::Palette;
use colored::Color;
use serde_json::Value;
use std::fmt::Write as _;
use std::time::Duration;

/// The status line: `HTTP 201 Created  (12 ms, 345 bytes)`, coloured by class.
pub fn status_line(status: u16, elapsed: Duration, bytes: usize, p: Palette) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let color = match status {
        200..=299 => Color::Green,
        300..=399 => Color::Cyan,
        400..=499 => Color::Yellow,
        _ => Color::Red,
    };
    format!(
        "{}  {}",
        p.paint(&p.bold(&format!("HTTP {status} {reason}")), color),
        p.dim(&format!("({}, {bytes} bytes)", human(elapsed)))
    )
}

/// Header lines, names dimmed.
pub fn headers(headers: &[(String, String)], p: Palette) -> String {
    let mut out = String::new();
    for (k, v) in headers {
        let _ = writeln!(out, "{} {v}", p.dim(&format!("{k}:")));
    }
    out
}

/// The body: coloured, indented JSON when it parses, the text as is otherwise.
pub fn body(text: &str, p: Palette) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(v) => {
            let mut out = String::new();
            json(&mut out, &v, 0, p);
            out.push('\n');
            out
        }
        Err(_) if text.is_empty() => String::new(),
        Err(_) if text.ends_with('\n') => text.to_string(),
        Err(_) => format!("{text}\n"),
    }
}

fn json(out: &mut String, v: &Value, depth: usize, p: Palette) {
    let pad = |d: usize| "  ".repeat(d);
    match v {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (i, (k, item)) in map.iter().enumerate() {
                let key = serde_json::to_string(k).unwrap_or_default();
                let _ = write!(out, "{}{}: ", pad(depth + 1), p.paint(&key, Color::Blue));
                json(out, item, depth + 1, p);
                out.push_str(if i + 1 < map.len() { ",\n" } else { "\n" });
            }
            let _ = write!(out, "{}}}", pad(depth));
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad(depth + 1));
                json(out, item, depth + 1, p);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            let _ = write!(out, "{}]", pad(depth));
        }
        Value::String(_) => out.push_str(&p.paint(&v.to_string(), Color::Green)),
        Value::Number(_) => out.push_str(&p.paint(&v.to_string(), Color::Cyan)),
        Value::Bool(_) | Value::Null => out.push_str(&p.paint(&v.to_string(), Color::Magenta)),
        _ => out.push_str(&v.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_indented_and_other_text_kept() {
        assert_eq!(
            body(r#"{"a":[1,{"b":null}],"c":{},"d":"x"}"#, Palette::PLAIN),
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": null\n    }\n  ],\n  \"c\": {},\n  \"d\": \"x\"\n}\n"
        );
        assert_eq!(body("plain", Palette::PLAIN), "plain\n");
        assert_eq!(body("", Palette::PLAIN), "");
    }

    #[test]
    fn the_status_line_names_the_status() {
        assert_eq!(
            status_line(404, Duration::from_millis(3), 10, Palette::PLAIN),
            "HTTP 404 Not Found  (3 ms, 10 bytes)"
        );
    }
}
