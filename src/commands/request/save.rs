//! `gigcheck request --save FILE`: keeps an ad-hoc request as a spec step, with the status it
//! got as the expectation. A new file becomes a suite with one scenario; an existing one gets
//! the step appended to its last scenario, as text, so its comments and layout survive.
//!
//! What is saved is what the user typed (templates stay templates), never a secret: literal
//! credentials become `{{env.…}}` references that the user is told to set.

use crate::loader::positions;
use crate::redact::Redactor;
use serde_json::{Map, Value};
use std::path::Path;

/// What the user typed, before templates were rendered: sent as a request, saved as a step.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub json: Option<Value>,
    pub form: Vec<(String, String)>,
    /// `admin` or `user` when `--as` was given.
    pub login_as: Option<String>,
}

/// Where the step went, and the environment variables the saved step needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub created: bool,
    pub needs_env: Vec<String>,
}

/// Appends the request (and, for `--as`, the login it needs) to `path`.
pub fn save(path: &Path, typed: &Typed, status: u16) -> Result<Saved, String> {
    let shown = path.display();
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(format!(
                "cannot read {shown}: {}",
                crate::loader::discover::io_reason(&e)
            ));
        }
    };
    let mut needs_env = Vec::new();
    let mut steps = Vec::new();
    let token_var = typed.login_as.as_ref().map(|who| format!("{who}_token"));
    if let (Some(who), Some(var)) = (&typed.login_as, &token_var) {
        let already = existing
            .as_deref()
            .is_some_and(|t| t.contains(&format!("{var}:")));
        if !already {
            steps.push(login_step(who, var, &mut needs_env));
        }
    }
    steps.push(request_step(
        typed,
        token_var.as_deref(),
        status,
        &mut needs_env,
    ));
    let (text, created) = match existing {
        None => (new_file(path, &steps), true),
        Some(text) => (
            append(&text, &steps).map_err(|e| format!("{shown}: {e}"))?,
            false,
        ),
    };
    crate::atomic::write(path, text.as_bytes())
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    Ok(Saved { created, needs_env })
}

/// The login `--as` did. The admin's credentials are variables every target provides
/// (`admin_email`, `admin_password`); a user's come from `GIGCHECK_USER_*` variables.
fn login_step(who: &str, token_var: &str, needs_env: &mut Vec<String>) -> Value {
    let (email, password) = if who == "admin" {
        (
            "{{admin_email}}".to_string(),
            "{{admin_password}}".to_string(),
        )
    } else {
        let upper = who.to_uppercase();
        let vars = [
            format!("GIGCHECK_{upper}_EMAIL"),
            format!("GIGCHECK_{upper}_PASSWORD"),
        ];
        needs_env.extend(vars.iter().cloned());
        (
            format!("{{{{env.{}}}}}", vars[0]),
            format!("{{{{env.{}}}}}", vars[1]),
        )
    };
    serde_json::json!({
        "name": format!("Log in as {who}"),
        "request": {
            "method": "POST",
            "url": "/api/auth/login",
            "json": { "email": email, "password": password }
        },
        "expect": { "status": 200 },
        "capture": { token_var: "$.token" }
    })
}

/// The step for the request: secrets typed in clear become `{{env.…}}` references.
fn request_step(
    typed: &Typed,
    token_var: Option<&str>,
    status: u16,
    needs_env: &mut Vec<String>,
) -> Value {
    let mut secret = |name: &str, value: &str| -> String {
        if value.contains("{{") {
            return value.to_string();
        }
        let var = env_name(name);
        if !needs_env.contains(&var) {
            needs_env.push(var.clone());
        }
        format!("{{{{env.{var}}}}}")
    };
    let mut request = Map::new();
    request.insert("method".into(), Value::String(typed.method.to_uppercase()));
    request.insert("url".into(), Value::String(typed.url.clone()));
    if let Some(var) = token_var {
        request.insert("bearer".into(), Value::String(format!("{{{{{var}}}}}")));
    }
    if !typed.headers.is_empty() {
        let mut headers = Map::new();
        for (name, value) in &typed.headers {
            let value = if Redactor::is_secret_header(name) {
                secret(name, value)
            } else {
                value.clone()
            };
            headers.insert(name.clone(), Value::String(value));
        }
        request.insert("headers".into(), Value::Object(headers));
    }
    if let Some(json) = &typed.json {
        request.insert("json".into(), hide_secret_fields(json, &mut secret));
    }
    if !typed.form.is_empty() {
        let mut form = Map::new();
        for (k, v) in &typed.form {
            let v = if Redactor::is_secret_field(k) {
                secret(k, v)
            } else {
                v.clone()
            };
            form.insert(k.clone(), Value::String(v));
        }
        request.insert("form".into(), Value::Object(form));
    }
    serde_json::json!({
        "name": format!("{} {}", typed.method.to_uppercase(), typed.url),
        "request": request,
        "expect": { "status": status },
    })
}

fn hide_secret_fields(value: &Value, secret: &mut impl FnMut(&str, &str) -> String) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) if Redactor::is_secret_field(k) => {
                            Value::String(secret(k, s))
                        }
                        Value::Number(n) if Redactor::is_secret_field(k) => {
                            Value::String(secret(k, &n.to_string()))
                        }
                        other => hide_secret_fields(other, secret),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| hide_secret_fields(v, secret))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// `Authorization` → `GIGCHECK_AUTHORIZATION`, `api-key` → `GIGCHECK_API_KEY`.
fn env_name(name: &str) -> String {
    let cleaned: String = name
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

/// Block YAML for `value`, every line indented by `indent` spaces, the first one as a list item.
fn list_item(value: &Value, indent: usize) -> String {
    let yaml = serde_yaml::to_string(value).unwrap_or_default();
    let pad = " ".repeat(indent);
    let mut out = String::new();
    for (i, line) in yaml.lines().enumerate() {
        let mark = if i == 0 { "- " } else { "  " };
        out.push_str(&pad);
        out.push_str(mark);
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn new_file(path: &Path, steps: &[Value]) -> String {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().replace(['-', '_'], " "))
        .unwrap_or_else(|| "Saved requests".into());
    let mut out = String::from(
        "# Requests saved with `gigcheck request --save`; each ran once and got the status it expects.\n",
    );
    out.push_str(&format!(
        "name: {}\nscenarios:\n  - name: Saved requests\n    steps:\n",
        serde_json::to_string(&name).unwrap_or_default()
    ));
    for step in steps {
        out.push_str(&list_item(step, 6));
    }
    out
}

/// Adds steps at the end of the last scenario, which must be the last thing in the file
/// (as in files this command writes); anything else is refused rather than guessed at.
fn append(text: &str, steps: &[Value]) -> Result<String, String> {
    let doc: serde_yaml::Value =
        serde_yaml::from_str(text).map_err(|e| format!("is not valid YAML ({e}); fix it first"))?;
    let refuse = || {
        "its last scenario's `steps` is not the end of the file, so gigcheck cannot tell where \
         to append; save to a new file, or move the scenario to the end"
            .to_string()
    };
    let map = doc.as_mapping().ok_or_else(refuse)?;
    let last_key = map.iter().last().and_then(|(k, _)| k.as_str());
    if last_key != Some("scenarios") {
        return Err(refuse());
    }
    let scenarios = map
        .get("scenarios")
        .and_then(|s| s.as_sequence())
        .filter(|s| !s.is_empty())
        .ok_or_else(refuse)?;
    let last = scenarios.len() - 1;
    let scenario = scenarios[last].as_mapping().ok_or_else(refuse)?;
    if scenario.iter().last().and_then(|(k, _)| k.as_str()) != Some("steps") {
        return Err(refuse());
    }
    let count = scenario
        .get("steps")
        .and_then(|s| s.as_sequence())
        .map_or(0, |s| s.len());
    if count == 0 {
        return Err(refuse());
    }
    let index = positions::index(text);
    let pointer = format!("/scenarios/{last}/steps/{}", count - 1);
    let &(_, col) = index.get(&pointer).ok_or_else(refuse)?;
    // The position is the item's first key; its `- ` is two columns before.
    let indent = (col as usize).saturating_sub(3);
    let mut out = text.to_string();
    if !out.ends_with('\n') {
        out.push('\n');
    }
    for step in steps {
        out.push_str(&list_item(step, indent));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed() -> Typed {
        Typed {
            method: "post".into(),
            url: "/api/auth/login".into(),
            headers: vec![
                ("X-Trace".into(), "abc".into()),
                ("Authorization".into(), "Bearer abc.def.ghi".into()),
            ],
            json: Some(serde_json::json!({"email": "a@b.test", "password": "hunter22"})),
            ..Typed::default()
        }
    }

    #[test]
    fn a_new_file_is_a_suite_and_secrets_become_env_references() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("my-checks.yaml");
        let saved = save(&path, &typed(), 200).unwrap();
        assert!(saved.created);
        assert_eq!(
            saved.needs_env,
            ["GIGCHECK_AUTHORIZATION", "GIGCHECK_PASSWORD"]
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            !text.contains("hunter22") && !text.contains("abc.def.ghi"),
            "{text}"
        );
        insta::assert_snapshot!(text, @r#"
        # Requests saved with `gigcheck request --save`; each ran once and got the status it expects.
        name: "my checks"
        scenarios:
          - name: Saved requests
            steps:
              - name: POST /api/auth/login
                request:
                  method: POST
                  url: /api/auth/login
                  headers:
                    X-Trace: abc
                    Authorization: '{{env.GIGCHECK_AUTHORIZATION}}'
                  json:
                    email: a@b.test
                    password: '{{env.GIGCHECK_PASSWORD}}'
                expect:
                  status: 200
        "#);
    }

    #[test]
    fn appending_keeps_the_file_and_logs_in_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        std::fs::write(
            &path,
            "# mine\nname: A\nscenarios:\n- name: S\n  steps:\n  - name: one\n    request: { method: GET, url: /a }\n",
        )
        .unwrap();
        let admin = Typed {
            method: "GET".into(),
            url: "/api/admin/orders".into(),
            login_as: Some("admin".into()),
            ..Typed::default()
        };
        assert!(!save(&path, &admin, 200).unwrap().created);
        save(&path, &admin, 403).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("# mine\n"));
        assert_eq!(text.matches("Log in as admin").count(), 1, "{text}");
        assert!(text.contains("\n  - name: GET /api/admin/orders\n    request:\n"));
        assert!(text.contains("bearer: '{{admin_token}}'"));
        let doc: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(doc["scenarios"][0]["steps"].as_sequence().unwrap().len(), 4);
        assert_eq!(doc["scenarios"][0]["steps"][3]["expect"]["status"], 403);
    }

    #[test]
    fn a_file_that_does_not_end_with_steps_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        let original = "name: A\nscenarios:\n  - name: S\n    steps:\n      - request: { method: GET, url: /a }\nteardown: []\n";
        std::fs::write(&path, original).unwrap();
        let err = save(&path, &typed(), 200).unwrap_err();
        assert!(err.contains("cannot tell where to append"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), original);
    }
}
