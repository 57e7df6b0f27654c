//! The collection's and the environment's variables: their values, which are secrets, which one
//! is the base URL, how each is written in the specs, and keeping secret values out of the output.

use super::names::{self, Names, Reference};
use super::postman::{Collection, Environment, value_text};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A Postman variable with a value, from the collection or the environment (which wins).
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PostmanVar {
    pub name: String,
    pub value: Value,
    pub secret: bool,
    /// Made up by the importer for a literal credential (a bearer token typed into the auth tab).
    pub synthetic: bool,
}

/// All variables, in the collection's order, then the environment's new ones.
#[derive(Debug, Clone, Default)]
pub(super) struct VarTable {
    pub vars: Vec<PostmanVar>,
}

impl VarTable {
    pub(super) fn new(collection: &Collection, environment: Option<&Environment>) -> VarTable {
        let mut table = VarTable::default();
        for v in collection.variable.iter().filter(|v| !v.disabled) {
            let Some(name) = v.key.as_deref().filter(|k| !k.trim().is_empty()) else {
                continue;
            };
            let secret = v.kind.as_deref() == Some("secret");
            table.set(name, v.value.clone().unwrap_or(Value::Null), secret);
        }
        for v in environment.iter().flat_map(|e| &e.values) {
            if v.enabled && !v.key.trim().is_empty() {
                let secret = v.kind.as_deref() == Some("secret");
                table.set(&v.key, v.value.clone().unwrap_or(Value::Null), secret);
            }
        }
        table
    }

    fn set(&mut self, name: &str, value: Value, marked_secret: bool) {
        let secret = marked_secret || names::is_secret_name(name);
        match self.vars.iter_mut().find(|v| v.name == name) {
            Some(v) => {
                v.value = value;
                v.secret |= secret;
            }
            None => self.vars.push(PostmanVar {
                name: name.to_string(),
                value,
                secret,
                synthetic: false,
            }),
        }
    }

    pub(super) fn get(&self, name: &str) -> Option<&PostmanVar> {
        self.vars.iter().find(|v| v.name == name)
    }

    /// A secret variable for a credential written literally in the collection (e.g. a bearer
    /// token in the auth tab), so the value itself is never written: `bearer_token`, or
    /// `bearer_token_2` for a second, different value. Returns the variable's name.
    pub(super) fn literal_secret(&mut self, base: &str, value: &str) -> String {
        let existing = self
            .vars
            .iter()
            .find(|v| v.synthetic && v.value.as_str() == Some(value));
        if let Some(v) = existing {
            return v.name.clone();
        }
        let mut name = base.to_string();
        let mut n = 1;
        while self.get(&name).is_some() {
            n += 1;
            name = format!("{base}_{n}");
        }
        self.vars.push(PostmanVar {
            name: name.clone(),
            value: Value::String(value.to_string()),
            secret: true,
            synthetic: true,
        });
        name
    }

    /// The texts of every secret value (for keeping them out of the output).
    pub(super) fn secret_values(&self) -> Vec<(String, String)> {
        self.vars
            .iter()
            .filter(|v| v.secret)
            .map(|v| (v.name.clone(), value_text(&v.value)))
            .filter(|(_, value)| !value.is_empty())
            .collect()
    }
}

/// The variable that request URLs start with (`{{baseUrl}}/api/orders`), and the path its value
/// carries (`http://localhost:5000/api` → `/api`), which relative URLs keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BaseUrl {
    pub name: String,
    pub prefix: String,
}

/// The `{{name}}` a URL starts with, when a `/`, `?` or the end follows it.
pub(super) fn leading_var(url: &str) -> Option<&str> {
    let rest = url.trim_start().strip_prefix("{{")?;
    let end = rest.find("}}")?;
    let after = &rest[end + 2..];
    (after.is_empty() || after.starts_with('/') || after.starts_with('?'))
        .then(|| rest[..end].trim())
        .filter(|n| !n.is_empty() && !n.starts_with('$'))
}

/// The base URL variable: the most common leading variable whose value is an http(s) URL, or,
/// without a value, whose name says it is one (`baseUrl`, `host`, `api_url`…).
pub(super) fn detect_base(urls: &[String], table: &VarTable) -> Option<BaseUrl> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for url in urls {
        if let Some(name) = leading_var(url) {
            *counts.entry(name).or_default() += 1;
        }
    }
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by_key(|(_, count)| std::cmp::Reverse(*count));
    ranked.into_iter().find_map(|(name, _)| {
        let value = table
            .get(name)
            .map(|v| value_text(&v.value))
            .unwrap_or_default();
        let is_url = value.starts_with("http://") || value.starts_with("https://");
        let named_like = ["url", "host", "server", "endpoint", "base", "domain", "api"]
            .iter()
            .any(|w| name.to_lowercase().contains(w));
        (is_url || (value.is_empty() && named_like)).then(|| BaseUrl {
            name: name.to_string(),
            prefix: path_prefix(&value),
        })
    })
}

/// The path part of a base URL value, without a trailing `/`: `http://h:5000/api/` → `/api`.
fn path_prefix(value: &str) -> String {
    if value.contains("{{") {
        return String::new();
    }
    match url::Url::parse(value) {
        Ok(u) => u.path().trim_end_matches('/').to_string(),
        Err(_) => String::new(),
    }
}

/// Decides how every Postman variable is written: the base URL variable as `{{base_url}}`,
/// variables the runner provides (`adminPassword` → `{{admin_password}}`) as those, the rest
/// under a valid gigcheck name. Captured variables always keep their own name.
pub(super) fn build_names(
    table: &VarTable,
    referenced: &BTreeSet<String>,
    captured: &BTreeSet<String>,
    base: Option<&BaseUrl>,
    typed: &BTreeSet<String>,
) -> Names {
    let mut out = Names::default();
    let all = referenced
        .iter()
        .chain(captured)
        .chain(table.vars.iter().map(|v| &v.name));
    for name in all {
        let reference = if captured.contains(name) {
            Reference::Var(names::gigcheck_name(name))
        } else if base.is_some_and(|b| b.name == *name) {
            Reference::BaseUrl
        } else if let Some(provided) = names::provided_variable(name) {
            Reference::Provided(provided)
        } else {
            Reference::Var(names::gigcheck_name(name))
        };
        out.refs.insert(name.clone(), reference);
    }
    for name in captured {
        out.untyped.insert(names::gigcheck_name(name));
    }
    for v in &table.vars {
        let non_string = !v.value.is_string() && !v.value.is_null();
        if (non_string || typed.contains(&v.name)) && !v.secret {
            out.untyped.insert(names::gigcheck_name(&v.name));
        }
    }
    out
}

/// The value a variable gets in a spec's `vars`: secrets read from the environment
/// (`{{env.POSTMAN_…}}`), numbers and booleans kept typed when the collection uses them unquoted
/// in JSON bodies, text otherwise (its own `{{…}}` rewritten).
pub(super) fn spec_value(var: &PostmanVar, names: &Names, typed: &BTreeSet<String>) -> Value {
    if var.secret {
        return Value::String(format!("{{{{env.{}}}}}", names::env_name(&var.name)));
    }
    match &var.value {
        Value::String(s) => {
            let parsed = serde_json::from_str::<Value>(s.trim()).ok();
            match parsed {
                Some(v @ (Value::Number(_) | Value::Bool(_))) if typed.contains(&var.name) => v,
                _ => Value::String(names.template(s, names::Context::Text)),
            }
        }
        Value::Null => Value::String(String::new()),
        other => other.clone(),
    }
}

/// Keeps secret values out of what is written: in request content a secret's literal value is
/// replaced by a reference to its variable, anywhere else (names, comments) by `[redacted]`.
/// Values shorter than [`Secrets::MIN_LEN`] are not searched for (they would match everywhere).
#[derive(Debug, Clone, Default)]
pub(super) struct Secrets {
    /// (value, gigcheck variable name), longest value first.
    values: Vec<(String, String)>,
}

impl Secrets {
    pub(super) const MIN_LEN: usize = 4;

    pub(super) fn new(table: &VarTable, names: &Names) -> Secrets {
        let mut values: Vec<(String, String)> = table
            .secret_values()
            .into_iter()
            .filter(|(_, value)| value.chars().count() >= Self::MIN_LEN)
            .map(|(name, value)| (value, names.reference(&name)))
            .collect();
        values.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        Secrets { values }
    }

    /// Request content: a literal secret becomes `{{its variable}}`.
    /// Text inside `{{…}}` is left alone.
    pub(super) fn protect(&self, text: &str) -> (String, BTreeSet<String>) {
        let mut used = BTreeSet::new();
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        loop {
            let (plain, template) = match rest.find("{{") {
                Some(start) => match rest[start..].find("}}") {
                    Some(len) => (&rest[..start], &rest[start..start + len + 2]),
                    None => (rest, ""),
                },
                None => (rest, ""),
            };
            out.push_str(&self.replace_in(plain, &mut used));
            out.push_str(template);
            rest = &rest[plain.len() + template.len()..];
            if rest.is_empty() {
                return (out, used);
            }
        }
    }

    fn replace_in(&self, plain: &str, used: &mut BTreeSet<String>) -> String {
        let mut out = plain.to_string();
        for (value, var) in &self.values {
            if out.contains(value.as_str()) {
                out = out.replace(value.as_str(), &format!("{{{{{var}}}}}"));
                used.insert(var.clone());
            }
        }
        out
    }

    /// Names, descriptions, comments: a literal secret becomes `[redacted]`.
    pub(super) fn scrub(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (value, _) in &self.values {
            out = out.replace(value.as_str(), "[redacted]");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::postman::{parse_collection, parse_environment};

    fn table() -> VarTable {
        let c = parse_collection(
            r#"{"info": {"name": "C", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
                "variable": [{"key": "baseUrl", "value": "http://localhost:5000/api/"},
                             {"key": "productId", "value": "2"},
                             {"key": "apiKey", "value": "k-123456"},
                             {"key": "off", "value": "x", "disabled": true}]}"#,
        )
        .unwrap();
        let e = parse_environment(
            r#"{"values": [{"key": "adminPassword", "value": "Adm1n!secret", "type": "secret"},
                           {"key": "productId", "value": "3"},
                           {"key": "pin", "value": "000", "type": "secret"},
                           {"key": "unused", "value": "u", "enabled": false}]}"#,
        )
        .unwrap();
        VarTable::new(&c, Some(&e))
    }

    #[test]
    fn environment_values_win_and_secrets_are_marked() {
        let t = table();
        let names: Vec<&str> = t.vars.iter().map(|v| v.name.as_str()).collect();
        assert_eq!(
            names,
            ["baseUrl", "productId", "apiKey", "adminPassword", "pin"]
        );
        assert_eq!(t.get("productId").unwrap().value, "3");
        assert!(t.get("apiKey").unwrap().secret);
        assert!(t.get("pin").unwrap().secret);
        assert!(!t.get("baseUrl").unwrap().secret);
    }

    #[test]
    fn the_base_url_variable_and_its_path() {
        let t = table();
        let urls = vec![
            "{{baseUrl}}/orders".to_string(),
            "{{baseUrl}}".to_string(),
            "{{other}}/x".to_string(),
            "https://example.com/{{baseUrl}}".to_string(),
        ];
        let base = detect_base(&urls, &t).unwrap();
        assert_eq!(
            base,
            BaseUrl {
                name: "baseUrl".into(),
                prefix: "/api".into()
            }
        );
        assert_eq!(leading_var("{{host}}?a=1"), Some("host"));
        assert_eq!(leading_var("{{host}}:8080/x"), None);
        assert_eq!(leading_var("{{$guid}}/x"), None);
        let unnamed = vec!["{{server}}/x".to_string()];
        assert_eq!(
            detect_base(&unnamed, &VarTable::default()).unwrap().prefix,
            ""
        );
        let not_url = vec!["{{productId}}/x".to_string()];
        assert_eq!(detect_base(&not_url, &t), None);
    }

    #[test]
    fn references_and_values() {
        let t = table();
        let base = detect_base(&["{{baseUrl}}/x".to_string()], &t);
        let referenced: BTreeSet<String> = ["baseUrl", "adminPassword", "productId", "token"]
            .map(String::from)
            .into();
        let captured: BTreeSet<String> = ["token".to_string()].into();
        let typed: BTreeSet<String> = ["productId".to_string()].into();
        let names = build_names(&t, &referenced, &captured, base.as_ref(), &typed);
        assert_eq!(names.refs["baseUrl"], Reference::BaseUrl);
        assert_eq!(
            names.refs["adminPassword"],
            Reference::Provided("admin_password")
        );
        assert_eq!(names.refs["token"], Reference::Var("token".into()));
        assert!(names.untyped.contains("token") && names.untyped.contains("productId"));
        let value = |n: &str| spec_value(t.get(n).unwrap(), &names, &typed);
        assert_eq!(value("productId"), serde_json::json!(3));
        assert_eq!(value("apiKey"), "{{env.POSTMAN_API_KEY}}");
        assert_eq!(value("baseUrl"), "http://localhost:5000/api/");
    }

    #[test]
    fn literal_secrets_get_numbered_variables() {
        let mut t = table();
        assert_eq!(t.literal_secret("bearer_token", "abc"), "bearer_token");
        assert_eq!(t.literal_secret("bearer_token", "abc"), "bearer_token");
        assert_eq!(t.literal_secret("bearer_token", "def"), "bearer_token_2");
        assert!(t.get("bearer_token_2").unwrap().secret);
    }

    #[test]
    fn secrets_are_protected_or_scrubbed() {
        let t = table();
        let names = build_names(
            &t,
            &BTreeSet::new(),
            &BTreeSet::new(),
            None,
            &BTreeSet::new(),
        );
        let s = Secrets::new(&t, &names);
        let (text, used) = s.protect("{\"password\": \"Adm1n!secret\"}");
        assert_eq!(text, "{\"password\": \"{{admin_password}}\"}");
        assert!(used.contains("admin_password"));
        assert_eq!(
            s.scrub("key k-123456 and pin 000"),
            "key [redacted] and pin 000"
        );
        assert_eq!(
            s.protect("{{k-123456}} k-123456").0,
            "{{k-123456}} {{apiKey}}"
        );
    }
}
