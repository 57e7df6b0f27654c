//! `gigcheck request --save FILE`: keeps an ad-hoc request as a spec step, with the status it
//! got as the expectation. A new file becomes a suite with one scenario; an existing one gets
//! the step appended to its last scenario, as text, so its comments and layout survive.
//!
//! What is saved is what the user typed (templates stay templates; a `--data` body, which is
//! not one, is kept literal), never a secret: literal credentials become `{{env.…}}` references
//! that the user is told to set. The `--var`s go with the step so the saved spec runs on its own
//! (`gigcheck run --var` still wins over them), and `--capture`s become the step's `capture`.

use gigcheck_core::redact::Redactor;
use gigcheck_core::spec::template::LITERAL_BRACES;
use gigcheck_core::spec::values::BodyPath;
use gigcheck_core::yaml;
use serde_json::{Map, Value};
use std::path::Path;

/// The Content-Type a raw body (`--data`) is sent with when no `-H` gives one: curl's.
pub const DATA_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// What the user typed, before templates were rendered: sent as a request, saved as a step.
#[derive(Debug, Clone, Default)]
pub struct Typed {
    pub method: String,
    pub url: String,
    /// `--query` parameters, names unique.
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub json: Option<Value>,
    pub form: Vec<(String, String)>,
    /// A raw body (`--data`), sent byte for byte.
    pub data: Option<Vec<u8>>,
    /// `admin` or `user` when `--as` was given.
    pub login_as: Option<String>,
    /// The `--var`s, as typed: saved as variables so the saved spec runs on its own.
    pub vars: Vec<(String, String)>,
    /// `--capture NAME=PATH`, saved as the step's `capture`.
    pub captures: Vec<(String, BodyPath)>,
}

impl Typed {
    /// The Content-Type to add for a raw body: [`DATA_CONTENT_TYPE`] unless `-H` gave one.
    pub fn data_content_type(&self) -> Option<&'static str> {
        let given = self
            .headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        (self.data.is_some() && !given).then_some(DATA_CONTENT_TYPE)
    }
}

/// Where the step went, and the environment variables the saved step needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub created: bool,
    pub needs_env: Vec<String>,
}

/// What `path` holds now (`None` when it does not exist), checked to be a file a step can be
/// appended to. Called before sending too, so a file that cannot take the step stops the request.
pub fn check(path: &Path) -> Result<Option<String>, String> {
    let shown = path.display();
    match std::fs::read_to_string(path) {
        Ok(text) => {
            place(&text).map_err(|e| format!("{shown}: {e}"))?;
            Ok(Some(text))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!(
            "cannot read {shown}: {}",
            gigcheck_core::diagnostic::io_reason(&e)
        )),
    }
}

/// Appends the request (and, for `--as`, the login it needs) to `path`. The `--var`s become the
/// new scenario's `vars`; appended to an existing scenario, the step sets those the scenario
/// does not already set to the same value.
pub fn save(path: &Path, typed: &Typed, status: u16) -> Result<Saved, String> {
    let shown = path.display();
    let existing = check(path)?;
    let mut needs_env = Vec::new();
    let vars = saved_vars(&typed.vars, &mut needs_env);
    let place = existing.as_deref().map(place).transpose()?;
    let step_vars: Map<String, Value> = match &place {
        None => Map::new(),
        Some(place) => vars
            .iter()
            .filter(|(k, v)| {
                let set = place.defined.get(k.as_str());
                set != Some(v)
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
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
        step_vars,
        &mut needs_env,
    ));
    let (text, created) = match (existing, place) {
        (Some(mut text), Some(place)) => {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            for step in &steps {
                text.push_str(&list_item(step, place.indent));
            }
            (text, false)
        }
        _ => (new_file(path, &vars, &steps), true),
    };
    gigcheck_core::atomic::write(path, text.as_bytes())
        .map_err(|e| format!("cannot write {shown}: {e}"))?;
    Ok(Saved { created, needs_env })
}

/// The `--var`s as spec variables: `3` a number as at the command line, text that a template
/// would read (`{{`) kept literal, and a secret-named one as an `{{env.…}}` reference.
fn saved_vars(vars: &[(String, String)], needs_env: &mut Vec<String>) -> Map<String, Value> {
    vars.iter()
        .map(|(name, text)| {
            let value = if Redactor::is_secret_field(name) {
                Value::String(env_reference(name, needs_env))
            } else {
                match gigcheck_core::environment::parse_cli_value(text) {
                    Value::String(s) => Value::String(literal(&s)),
                    other => other,
                }
            };
            (name.clone(), value)
        })
        .collect()
}

/// Text as a template that renders to exactly that text.
fn literal(text: &str) -> String {
    text.replace("{{", LITERAL_BRACES)
}

/// `{{env.GIGCHECK_<NAME>}}`, noting the environment variable the saved spec needs.
fn env_reference(name: &str, needs_env: &mut Vec<String>) -> String {
    let var = gigcheck_core::redact::Redactor::env_name(name);
    if !needs_env.contains(&var) {
        needs_env.push(var.clone());
    }
    format!("{{{{env.{var}}}}}")
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
    vars: Map<String, Value>,
    needs_env: &mut Vec<String>,
) -> Value {
    let mut secret = |name: &str, value: &str| -> String {
        if value.contains("{{") {
            return value.to_string();
        }
        env_reference(name, needs_env)
    };
    let mut request = Map::new();
    request.insert("method".into(), Value::String(typed.method.to_uppercase()));
    request.insert("url".into(), Value::String(typed.url.clone()));
    if !typed.query.is_empty() {
        request.insert("query".into(), super::strings(&typed.query));
    }
    if let Some(var) = token_var {
        request.insert("bearer".into(), Value::String(format!("{{{{{var}}}}}")));
    }
    let content_type = typed
        .data_content_type()
        .map(|t| ("Content-Type".to_string(), t.to_string()));
    if !typed.headers.is_empty() || content_type.is_some() {
        let mut headers = Map::new();
        for (name, value) in typed.headers.iter().chain(&content_type) {
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
    if let Some(data) = &typed.data {
        let text = String::from_utf8_lossy(data);
        let body = if holds_secret(&text) {
            env_reference("body", needs_env)
        } else {
            literal(&text)
        };
        request.insert("body".into(), Value::String(body));
    }
    let mut step = Map::new();
    step.insert(
        "name".into(),
        Value::String(format!("{} {}", typed.method.to_uppercase(), typed.url)),
    );
    if !vars.is_empty() {
        step.insert("vars".into(), Value::Object(vars));
    }
    step.insert("request".into(), Value::Object(request));
    step.insert("expect".into(), serde_json::json!({ "status": status }));
    if !typed.captures.is_empty() {
        let capture: Map<String, Value> = typed
            .captures
            .iter()
            .map(|(name, path)| (name.clone(), Value::String(path.as_str().to_string())))
            .collect();
        step.insert("capture".into(), Value::Object(capture));
    }
    Value::Object(step)
}

/// Whether a raw body carries a credential the way reports see one: a JWT or key anywhere, a
/// secret-named JSON field, or a secret-named form field with a value.
fn holds_secret(text: &str) -> bool {
    let redactor = Redactor::default();
    if redactor.text(text) != text {
        return true;
    }
    if let Ok(json) = serde_json::from_str::<Value>(text) {
        return redactor.json(&json) != json;
    }
    form_urlencoded::parse(text.as_bytes())
        .any(|(k, v)| Redactor::is_secret_field(&k) && !v.is_empty())
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

/// Block YAML for `value`, every line indented by `indent` spaces, the first one as a list item.
fn list_item(value: &Value, indent: usize) -> String {
    indented(value, indent, "- ", "  ")
}

/// Block YAML for `value` with every line after `pad` spaces and `first` (then `rest`).
fn indented(value: &Value, pad: usize, first: &str, rest: &str) -> String {
    let yaml = yaml::write::block(value);
    let pad = " ".repeat(pad);
    let mut out = String::new();
    for (i, line) in yaml.lines().enumerate() {
        out.push_str(&pad);
        out.push_str(if i == 0 { first } else { rest });
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn new_file(path: &Path, vars: &Map<String, Value>, steps: &[Value]) -> String {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().replace(['-', '_'], " "))
        .unwrap_or_else(|| "Saved requests".into());
    let mut out = String::from(
        "# Requests saved with `gigcheck request --save`; each ran once and got the status it expects.\n",
    );
    out.push_str(&format!(
        "name: {}\nscenarios:\n  - name: Saved requests\n",
        serde_json::to_string(&name).unwrap_or_default()
    ));
    if !vars.is_empty() {
        out.push_str("    vars:\n");
        out.push_str(&indented(&Value::Object(vars.clone()), 6, "", ""));
    }
    out.push_str("    steps:\n");
    for step in steps {
        out.push_str(&list_item(step, 6));
    }
    out
}

/// Where steps are appended in a file: after the last scenario's last step.
struct Place {
    /// The column of the step items' `- `.
    indent: usize,
    /// The variables the scenario sets, and its steps after it, as they stand at its end.
    defined: Map<String, Value>,
}

/// The last scenario must be the last thing in the file (as in files this command writes), its
/// steps the last thing in it; anything else is refused rather than guessed at.
fn place(text: &str) -> Result<Place, String> {
    let (doc, index) =
        yaml::to_value(text).map_err(|e| format!("is not valid YAML ({e}); fix it first"))?;
    let refuse = || {
        "its last scenario's `steps` is not the end of the file, so gigcheck cannot tell where \
         to append; save to a new file, or move the scenario to the end"
            .to_string()
    };
    let map = doc.as_object().ok_or_else(refuse)?;
    let last_key = map.keys().next_back().map(String::as_str);
    if last_key != Some("scenarios") {
        return Err(refuse());
    }
    let scenarios = map
        .get("scenarios")
        .and_then(|s| s.as_array())
        .filter(|s| !s.is_empty())
        .ok_or_else(refuse)?;
    let last = scenarios.len() - 1;
    let scenario = scenarios[last].as_object().ok_or_else(refuse)?;
    if scenario.keys().next_back().map(String::as_str) != Some("steps") {
        return Err(refuse());
    }
    let steps = scenario
        .get("steps")
        .and_then(|s| s.as_array())
        .filter(|s| !s.is_empty())
        .ok_or_else(refuse)?;
    let pointer = format!("/scenarios/{last}/steps/{}", steps.len() - 1);
    let (_, col) = index.get(&pointer).ok_or_else(refuse)?;
    let mut defined = Map::new();
    let step_vars = steps.iter().map(|step| step.get("vars"));
    for vars in std::iter::once(scenario.get("vars"))
        .chain(step_vars)
        .flatten()
        .filter_map(|v| v.as_object())
    {
        for (k, v) in vars {
            defined.insert(k.clone(), v.clone());
        }
    }
    Ok(Place {
        // The position is the item's first key; its `- ` is two columns before.
        indent: (col as usize).saturating_sub(3),
        defined,
    })
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
                        Authorization: "{{env.GIGCHECK_AUTHORIZATION}}"
                      json:
                        email: a@b.test
                        password: "{{env.GIGCHECK_PASSWORD}}"
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
        assert!(text.contains("bearer: \"{{admin_token}}\""));
        let (doc, _) = yaml::to_value(&text).unwrap();
        assert_eq!(doc["scenarios"][0]["steps"].as_array().unwrap().len(), 4);
        assert_eq!(doc["scenarios"][0]["steps"][3]["expect"]["status"], 403);
    }

    #[test]
    fn vars_captures_query_and_raw_bodies_are_saved_so_the_spec_runs_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flow.yaml");
        let first = Typed {
            method: "GET".into(),
            url: "/api/products".into(),
            query: vec![("category".into(), "{{cat}}".into())],
            vars: vec![
                ("cat".into(), "gpu".into()),
                ("per_page".into(), "5".into()),
                ("api_key".into(), "k-123".into()),
            ],
            captures: vec![("pid".into(), BodyPath::parse("$.products[0].id").unwrap())],
            ..Typed::default()
        };
        let saved = save(&path, &first, 200).unwrap();
        assert_eq!(saved.needs_env, ["GIGCHECK_API_KEY"]);
        let second = Typed {
            method: "POST".into(),
            url: "/api/notes/{{pid}}".into(),
            data: Some(b"per {{pid}}: k=v".to_vec()),
            vars: vec![("cat".into(), "gpu".into()), ("note".into(), "a{{b".into())],
            ..Typed::default()
        };
        save(&path, &second, 201).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("k-123"), "{text}");
        insta::assert_snapshot!(text, @r#"
            # Requests saved with `gigcheck request --save`; each ran once and got the status it expects.
            name: "flow"
            scenarios:
              - name: Saved requests
                vars:
                  cat: gpu
                  per_page: 5
                  api_key: "{{env.GIGCHECK_API_KEY}}"
                steps:
                  - name: GET /api/products
                    request:
                      method: GET
                      url: /api/products
                      query:
                        category: "{{cat}}"
                    expect:
                      status: 200
                    capture:
                      pid: "$.products[0].id"
                  - name: "POST /api/notes/{{pid}}"
                    vars:
                      note: "a{{\"{{\"}}b"
                    request:
                      method: POST
                      url: "/api/notes/{{pid}}"
                      headers:
                        Content-Type: application/x-www-form-urlencoded
                      body: "per {{\"{{\"}}pid}}: k=v"
                    expect:
                      status: 201
            "#);
        let doc: gigcheck_core::spec::Suite = yaml::from_str(&text).unwrap();
        let scope = gigcheck_core::engine::scope::Scope::new(
            Redactor::default(),
            std::sync::Arc::new(|_| None),
        );
        let gigcheck_core::spec::Action::Http(step) = &doc.scenarios[0].steps[1].action else {
            panic!("an HTTP step");
        };
        let gigcheck_core::spec::Call::Request(req) = &step.call else {
            panic!("a request");
        };
        let body = req.body.as_ref().unwrap().render(&scope).unwrap();
        assert_eq!(body, "per {{pid}}: k=v");
    }

    #[test]
    fn a_raw_body_with_a_credential_is_saved_as_a_reference() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.yaml");
        let typed = Typed {
            method: "POST".into(),
            url: "/api/auth/login".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            data: Some(br#"{"email": "a@b.test", "password": "hunter22"}"#.to_vec()),
            ..Typed::default()
        };
        assert_eq!(
            save(&path, &typed, 200).unwrap().needs_env,
            ["GIGCHECK_BODY"]
        );
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("hunter22"), "{text}");
        assert!(text.contains("body: \"{{env.GIGCHECK_BODY}}\""), "{text}");
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
