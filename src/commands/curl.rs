//! A request as a curl command line, to reproduce it outside gigcheck: `--curl` on `run` and
//! `request`. Unless the caller shows secrets on purpose, each secret becomes a shell variable
//! named after what it is (`Authorization: Bearer $GIGCHECK_TOKEN`, `"password": "$GIGCHECK_PASSWORD"`),
//! so the line can be pasted into a shell that sets them.

use gigcheck_core::engine::http::Outgoing;
use gigcheck_core::redact::{REDACTED, Redactor};
use serde_json::Value;

/// Marks a shell variable inside a word until the word is quoted: `\u{E000}NAME\u{E001}`.
const VAR_OPEN: char = '\u{E000}';
const VAR_CLOSE: char = '\u{E001}';

/// The request as one shell-safe `curl` command; with a redactor, credentials and secret values
/// are shell variables.
pub fn command(req: &Outgoing, redactor: Option<&Redactor>) -> String {
    let mut parts = vec!["curl".to_string()];
    if req.method != reqwest::Method::GET || req.body.is_some() {
        parts.push("-X".into());
        parts.push(req.method.to_string());
    }
    let url = req.url.as_str();
    parts.push(quote(&redactor.map_or_else(
        || url.to_string(),
        |r| as_variables(&r.text(url), "secret"),
    )));
    let mut is_form = false;
    for (name, value) in &req.headers {
        if name.eq_ignore_ascii_case("content-type") {
            is_form = value.starts_with("application/x-www-form-urlencoded");
        }
        let shown = match redactor {
            None => value.clone(),
            Some(r) => header_value(r, name, value),
        };
        parts.push("-H".into());
        parts.push(quote(&format!("{name}: {shown}")));
    }
    if let Some(body) = &req.body {
        let text = String::from_utf8_lossy(body);
        let shown = match redactor {
            None => text.into_owned(),
            Some(r) if is_form => as_variables(&r.form(&text), "secret"),
            Some(r) => match serde_json::from_str::<Value>(&text) {
                Ok(v) => serde_json::to_string(&json_variables(r.json(&v), None))
                    .unwrap_or_else(|_| as_variables(&r.text(&text), "secret")),
                Err(_) => as_variables(&r.text(&text), "secret"),
            },
        };
        parts.push("--data-raw".into());
        parts.push(quote(&shown));
    }
    parts.join(" ")
}

/// A header's value with its secret as a variable: a bearer token is `Bearer $GIGCHECK_TOKEN`.
fn header_value(r: &Redactor, name: &str, value: &str) -> String {
    let shown = r.header(name, value);
    if shown != REDACTED {
        return as_variables(&shown, "secret");
    }
    match value.split_once(' ') {
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("bearer") => {
            format!("{scheme} {}", variable("token"))
        }
        _ => variable(name),
    }
}

/// Every secret left in a JSON value as a variable named after its key.
fn json_variables(value: Value, key: Option<&str>) -> Value {
    match value {
        Value::String(s) if s == REDACTED => Value::String(variable(key.unwrap_or("secret"))),
        Value::String(s) => Value::String(as_variables(&s, "secret")),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| json_variables(v, key)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = json_variables(v, Some(&k));
                    (k, v)
                })
                .collect(),
        ),
        other => other,
    }
}

/// `[redacted]` in a text, as the variable for `name`.
fn as_variables(text: &str, name: &str) -> String {
    text.replace(REDACTED, &variable(name))
}

/// The shell variable for a secret named `field` (see [`Redactor::env_name`]).
fn variable(field: &str) -> String {
    format!("{VAR_OPEN}{}{VAR_CLOSE}", Redactor::env_name(field))
}

/// Quotes a word for POSIX shells: none when it needs none, single quotes when it holds no
/// variable, double quotes (with `\`, `"`, `$` and `` ` `` escaped) around the variables it holds.
fn quote(word: &str) -> String {
    if word.contains(VAR_OPEN) {
        let mut out = String::from("\"");
        let mut in_var = false;
        for c in word.chars() {
            match c {
                VAR_OPEN => {
                    in_var = true;
                    out.push_str("${");
                }
                VAR_CLOSE => {
                    in_var = false;
                    out.push('}');
                }
                '\\' | '"' | '$' | '`' if !in_var => {
                    out.push('\\');
                    out.push(c);
                }
                c => out.push(c),
            }
        }
        out.push('"');
        return out;
    }
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@=%+,".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn request() -> Outgoing {
        Outgoing {
            method: reqwest::Method::POST,
            url: url::Url::parse("http://127.0.0.1:5000/api/auth/login?next=a&b=c").unwrap(),
            headers: vec![
                ("Content-Type".into(), "application/json".into()),
                ("Authorization".into(), "Bearer abc.def.ghi".into()),
            ],
            body: Some(br#"{"email":"o'neil@x.test","password":"hunter22"}"#.to_vec()),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn secrets_are_replaced_unless_shown() {
        let redacted = command(&request(), Some(&Redactor::default()));
        assert_eq!(
            redacted,
            r#"curl -X POST 'http://127.0.0.1:5000/api/auth/login?next=a&b=c' -H 'Content-Type: application/json' -H "Authorization: Bearer ${GIGCHECK_TOKEN}" --data-raw "{\"email\":\"o'neil@x.test\",\"password\":\"${GIGCHECK_PASSWORD}\"}""#
        );
        let shown = command(&request(), None);
        assert!(shown.contains("Bearer abc.def.ghi") && shown.contains("hunter22"));
    }

    /// What a shell makes of the line: the secrets come from the variables.
    #[test]
    fn the_line_pastes_into_a_shell() {
        let line = command(&request(), Some(&Redactor::default()));
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("curl() {{ printf '%s\\n' \"$@\"; }}; {line}"))
            .env("GIGCHECK_TOKEN", "tok")
            .env("GIGCHECK_PASSWORD", "pw$`\\")
            .output()
            .unwrap();
        let words = String::from_utf8(out.stdout).unwrap();
        assert!(words.contains("Authorization: Bearer tok\n"), "{words}");
        assert!(
            words.contains(r#"{"email":"o'neil@x.test","password":"pw$`\"}"#),
            "{words}"
        );
    }

    #[test]
    fn a_plain_get_is_short() {
        let req = Outgoing {
            method: reqwest::Method::GET,
            url: url::Url::parse("http://h:1/api/products").unwrap(),
            headers: Vec::new(),
            body: None,
            timeout: Duration::from_secs(1),
        };
        assert_eq!(command(&req, None), "curl http://h:1/api/products");
    }
}
