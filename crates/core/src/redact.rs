//! Keeps secrets out of every output: terminal, JUnit, snapshots.
//!
//! Three nets, applied together: headers that carry credentials, JSON fields whose names say
//! they hold one (`password`, `token`, `secret`…), and every known secret value wherever it
//! appears (values from `{{env.…}}`, environment-file secrets, captured tokens, JWTs).

use regex::Regex;
use serde_json::Value;
use std::sync::{Arc, LazyLock, Mutex};

/// The text that stands in for a redacted value in every output.
pub const REDACTED: &str = "[redacted]";

const SECRET_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "stripe-signature",
];

static SECRET_FIELD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(password|passwd|token|secret|api[_-]?key|authorization|cookie|signature)")
        .expect("constant regex")
});

static JWT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*").expect("constant regex")
});

static STRIPE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(sk|rk)_(test|live)_[A-Za-z0-9]+|\bwhsec_[A-Za-z0-9]+").expect("constant regex")
});

/// `text` with every one of `secrets` (longest first), JWTs and Stripe keys replaced.
fn redact_text(secrets: &[String], text: &str) -> String {
    let mut out = std::borrow::Cow::Borrowed(text);
    for secret in secrets {
        if out.contains(secret.as_str()) {
            out = std::borrow::Cow::Owned(out.replace(secret.as_str(), REDACTED));
        }
    }
    if JWT.is_match(&out) {
        out = std::borrow::Cow::Owned(JWT.replace_all(&out, REDACTED).into_owned());
    }
    if STRIPE_KEY.is_match(&out) {
        out = std::borrow::Cow::Owned(STRIPE_KEY.replace_all(&out, REDACTED).into_owned());
    }
    out.into_owned()
}

/// Whether `text` holds nothing [`redact_text`] would replace.
fn text_is_clean(secrets: &[String], text: &str) -> bool {
    !secrets.iter().any(|secret| text.contains(secret.as_str()))
        && !JWT.is_match(text)
        && !STRIPE_KEY.is_match(text)
}

/// Whether `value` holds nothing [`redact_json`] would change: most bodies, which are then
/// shown without being copied first.
fn json_is_clean(secrets: &[String], value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().all(|(k, v)| {
            (v.is_null() || !Redactor::is_secret_field(k)) && json_is_clean(secrets, v)
        }),
        Value::Array(items) => items.iter().all(|v| json_is_clean(secrets, v)),
        Value::String(s) => text_is_clean(secrets, s),
        _ => true,
    }
}

/// `value` with secret-named fields blanked and `secrets` replaced in its text.
fn redact_json(secrets: &[String], value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if Redactor::is_secret_field(k) && !v.is_null() {
                        Value::String(REDACTED.to_string())
                    } else {
                        redact_json(secrets, v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| redact_json(secrets, v)).collect())
        }
        Value::String(s) => Value::String(redact_text(secrets, s)),
        other => other.clone(),
    }
}

/// A set of secret values, shared by everything that renders output for one run or scenario.
#[derive(Clone, Default)]
pub struct Redactor {
    values: Arc<Mutex<Vec<String>>>,
}

impl Redactor {
    /// A redactor that knows this one's secrets now and learns new ones separately.
    pub(crate) fn fork(&self) -> Redactor {
        Redactor {
            values: Arc::new(Mutex::new(self.secrets().clone())),
        }
    }

    /// Remembers a secret value. Very short values are ignored: redacting `1` everywhere
    /// would destroy the output while protecting nothing.
    pub fn add(&self, secret: &str) {
        if secret.len() < 4 {
            return;
        }
        let mut values = self.secrets();
        if !values.iter().any(|v| v == secret) {
            values.push(secret.to_string());
            // Longest first, so a secret containing another is replaced whole.
            values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// The known secret values, longest first. A poisoned lock still holds them: output is never
    /// shown unredacted because a thread panicked.
    fn secrets(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.values
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Whether a header carries credentials (`Authorization`, `Cookie`, `X-Api-Key`…), by name,
    /// case-insensitively; its whole value is then hidden.
    pub fn is_secret_header(name: &str) -> bool {
        SECRET_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(name))
    }

    /// Whether a JSON or form field name says it holds a secret: it contains `password`,
    /// `token`, `secret`, `api_key`, `authorization`, `cookie` or `signature`, in any case.
    pub fn is_secret_field(name: &str) -> bool {
        SECRET_FIELD.is_match(name)
    }

    /// Whether a value is a credential by its look alone: a JWT or a Stripe key.
    pub fn looks_secret(value: &str) -> bool {
        JWT.is_match(value) || STRIPE_KEY.is_match(value)
    }

    /// Replaces known secret values, JWTs and Stripe keys in free text.
    pub fn text(&self, text: &str) -> String {
        redact_text(&self.secrets(), text)
    }

    /// A header value as it may be shown.
    pub fn header(&self, name: &str, value: &str) -> String {
        if Self::is_secret_header(name) {
            REDACTED.to_string()
        } else {
            self.text(value)
        }
    }

    /// A JSON value with secret-named fields blanked and secret values replaced.
    pub fn json(&self, value: &Value) -> Value {
        redact_json(&self.secrets(), value)
    }

    /// A body as it may be shown: JSON is redacted by field, anything else as text.
    pub fn body(&self, body: &str) -> String {
        self.body_of(body, serde_json::from_str::<Value>(body).ok().as_ref())
    }

    /// [`Redactor::body`] of a body already parsed (`json`, when it is JSON).
    pub fn body_of(&self, body: &str, json: Option<&Value>) -> String {
        let secrets = self.secrets();
        match json {
            Some(v @ (Value::Object(_) | Value::Array(_))) => {
                let shown = if json_is_clean(&secrets, v) {
                    serde_json::to_string_pretty(v)
                } else {
                    serde_json::to_string_pretty(&redact_json(&secrets, v))
                };
                shown.unwrap_or_else(|_| redact_text(&secrets, body))
            }
            _ => redact_text(&secrets, body),
        }
    }

    /// The environment variable a secret named `field` is read from when it is not written
    /// down: `Authorization` → `GIGCHECK_AUTHORIZATION`, `api-key` → `GIGCHECK_API_KEY`.
    pub fn env_name(field: &str) -> String {
        let cleaned: String = field
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("GIGCHECK_{cleaned}")
    }

    /// A form body (`a=1&password=x`) with secret-named fields blanked. Every other byte stays
    /// as it was sent: a body that is not really a form (a JSON body under the form's
    /// Content-Type, as curl's `--data` sends) must not come out re-encoded.
    pub fn form(&self, body: &str) -> String {
        body.split('&')
            .map(|piece| {
                let (raw_key, _) = piece.split_once('=').unwrap_or((piece, ""));
                let key: String = form_urlencoded::parse(raw_key.as_bytes())
                    .map(|(k, _)| k.into_owned())
                    .next()
                    .unwrap_or_default();
                if Self::is_secret_field(&key) {
                    format!("{raw_key}={REDACTED}")
                } else {
                    self.text(piece)
                }
            })
            .collect::<Vec<_>>()
            .join("&")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_values_jwts_and_keys_are_replaced() {
        let r = Redactor::default();
        r.add("hunter2hunter2");
        r.add("ab"); // too short to matter
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl";
        let text = format!("pw=hunter2hunter2 jwt={jwt} key=sk_test_abc123 ab");
        assert_eq!(
            r.text(&text),
            "pw=[redacted] jwt=[redacted] key=[redacted] ab"
        );
    }

    #[test]
    fn json_fields_named_like_secrets() {
        let r = Redactor::default();
        let v = json!({"user": {"email": "a@b.c", "password": "x"}, "token": "t", "access_token": null, "items": [{"client_secret": "pi_1_secret_2"}]});
        assert_eq!(
            r.json(&v),
            json!({"user": {"email": "a@b.c", "password": "[redacted]"}, "token": "[redacted]", "access_token": null, "items": [{"client_secret": "[redacted]"}]})
        );
    }

    #[test]
    fn a_body_is_called_clean_exactly_when_redaction_would_leave_it_as_it_is() {
        let secrets = vec!["hunter2hunter2".to_string()];
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoxfQ.c2lnbmF0dXJl";
        let bodies = [
            json!({"orders": [{"id": 1, "status": "pending"}], "pagination": {"total": 1}}),
            json!({"access_token": null, "note": "no secret here"}),
            json!({"user": {"password": "x"}}),
            json!({"items": [{"client_secret": 5}]}),
            json!([{"message": "your pw is hunter2hunter2"}]),
            json!({"deep": [[{"jwt": jwt}]]}),
            json!({"key": "sk_test_abc123"}),
            json!([1, true, null, "plain"]),
        ];
        for body in &bodies {
            assert_eq!(
                json_is_clean(&secrets, body),
                redact_json(&secrets, body) == *body,
                "{body}"
            );
        }
        let r = Redactor::default();
        r.add("hunter2hunter2");
        let text = bodies[4].to_string();
        assert_eq!(
            r.body_of(&text, Some(&bodies[4])),
            "[\n  {\n    \"message\": \"your pw is [redacted]\"\n  }\n]"
        );
        let clean = bodies[0].to_string();
        assert_eq!(
            r.body_of(&clean, Some(&bodies[0])),
            serde_json::to_string_pretty(&bodies[0]).unwrap()
        );
    }

    #[test]
    fn headers_and_forms() {
        let r = Redactor::default();
        assert_eq!(r.header("Authorization", "Bearer x"), REDACTED);
        assert_eq!(r.header("Content-Type", "text/plain"), "text/plain");
        assert_eq!(
            r.form("email=a%40b&password=b"),
            "email=a%40b&password=[redacted]"
        );
        // Not a form at all: left as it was sent.
        assert_eq!(r.form(r#"{"a": 1}"#), r#"{"a": 1}"#);
    }

    #[test]
    fn a_poisoned_lock_still_redacts_and_learns() {
        let redactor = Redactor::default();
        redactor.add("first-secret");
        let held = redactor.clone();
        let _ = std::thread::spawn(move || {
            let _guard = held.secrets();
            panic!("a thread dies holding the secrets");
        })
        .join();
        assert!(redactor.values.is_poisoned());
        redactor.add("second-secret");
        assert_eq!(
            redactor.text("first-secret second-secret"),
            format!("{REDACTED} {REDACTED}")
        );
    }

    #[test]
    fn forks_learn_separately() {
        let base = Redactor::default();
        base.add("global-secret");
        let scenario = base.fork();
        scenario.add("scenario-secret");
        assert_eq!(
            scenario.text("global-secret scenario-secret"),
            "[redacted] [redacted]"
        );
        assert_eq!(base.text("scenario-secret"), "scenario-secret");
    }
}
