//! A request as a curl command line, to reproduce it outside gigcheck: `--curl` on `run` and
//! `request`. Secrets are replaced unless the caller shows them on purpose.

use crate::engine::http::Outgoing;
use crate::redact::Redactor;

/// The request as one shell-safe `curl` command; with a redactor, credentials and secret values
/// are replaced the way reports replace them.
pub fn command(req: &Outgoing, redactor: Option<&Redactor>) -> String {
    let mut parts = vec!["curl".to_string()];
    if req.method != reqwest::Method::GET || req.body.is_some() {
        parts.push("-X".into());
        parts.push(req.method.to_string());
    }
    let url = req.url.as_str();
    parts.push(quote(
        &redactor.map_or_else(|| url.to_string(), |r| r.text(url)),
    ));
    let mut is_form = false;
    for (name, value) in &req.headers {
        if name.eq_ignore_ascii_case("content-type") {
            is_form = value.starts_with("application/x-www-form-urlencoded");
        }
        let shown = redactor.map_or_else(|| value.clone(), |r| r.header(name, value));
        parts.push("-H".into());
        parts.push(quote(&format!("{name}: {shown}")));
    }
    if let Some(body) = &req.body {
        let text = String::from_utf8_lossy(body);
        let shown = match redactor {
            None => text.into_owned(),
            Some(r) if is_form => r.form(&text),
            Some(r) => match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => serde_json::to_string(&r.json(&v)).unwrap_or_else(|_| r.text(&text)),
                Err(_) => r.text(&text),
            },
        };
        parts.push("--data-raw".into());
        parts.push(quote(&shown));
    }
    parts.join(" ")
}

/// Single-quotes for POSIX shells, unless the word needs none.
fn quote(word: &str) -> String {
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
            r#"curl -X POST 'http://127.0.0.1:5000/api/auth/login?next=a&b=c' -H 'Content-Type: application/json' -H 'Authorization: [redacted]' --data-raw '{"email":"o'\''neil@x.test","password":"[redacted]"}'"#
        );
        let shown = command(&request(), None);
        assert!(shown.contains("Bearer abc.def.ghi") && shown.contains("hunter22"));
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
