//! Postman's export formats as typed serde values: Collection v2.1 (folders, requests, auth,
//! scripts, variables) and environment exports. Only what the importer reads is modelled; every
//! other key is ignored, and `null` is accepted wherever Postman writes it.

use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Why an export could not be read. `at` is the 1-based line and column for JSON errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    pub message: String,
    pub at: Option<(usize, usize)>,
    /// What the user can do about it.
    pub hint: String,
}

/// A `null` or missing value as the type's default (Postman writes `"auth": null`, `"item": null`).
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// A collection export.
#[derive(Debug, Clone, Deserialize)]
pub struct Collection {
    pub info: Info,
    #[serde(default, deserialize_with = "nullable")]
    pub item: Vec<Item>,
    #[serde(default, deserialize_with = "nullable")]
    pub variable: Vec<Variable>,
    #[serde(default)]
    pub auth: Option<Auth>,
    #[serde(default, deserialize_with = "nullable")]
    pub event: Vec<Event>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Info {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default, deserialize_with = "nullable")]
    pub schema: String,
    #[serde(default)]
    pub description: Option<Description>,
}

/// Postman writes descriptions as a string or as `{ content, type }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Description {
    Text(String),
    Object {
        #[serde(default)]
        content: Option<String>,
    },
}

impl Description {
    pub fn text(&self) -> &str {
        match self {
            Description::Text(t) => t,
            Description::Object { content } => content.as_deref().unwrap_or(""),
        }
    }
}

/// A folder (has `item`) or a request (has `request`).
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    #[serde(default)]
    pub description: Option<Description>,
    #[serde(default)]
    pub item: Option<Vec<Item>>,
    #[serde(default)]
    pub request: Option<RequestOrUrl>,
    #[serde(default, deserialize_with = "nullable")]
    pub event: Vec<Event>,
    /// A folder's auth; a request's is inside `request`.
    #[serde(default)]
    pub auth: Option<Auth>,
}

impl Item {
    pub fn is_folder(&self) -> bool {
        self.item.is_some() && self.request.is_none()
    }

    /// The lines of this item's scripts for `listen` (`test` or `prerequest`), enabled ones only.
    pub fn script(&self, listen: &str) -> Vec<String> {
        script_lines(&self.event, listen)
    }
}

/// The lines of the enabled scripts listening to `listen`.
pub fn script_lines(events: &[Event], listen: &str) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.listen == listen && !e.disabled)
        .filter_map(|e| e.script.as_ref())
        .flat_map(|s| s.exec.lines())
        .collect()
}

/// `request` may be just a URL string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum RequestOrUrl {
    Url(String),
    Request(Box<Request>),
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Request {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub url: Option<Url>,
    #[serde(default)]
    pub header: Option<Headers>,
    #[serde(default)]
    pub body: Option<Body>,
    #[serde(default)]
    pub auth: Option<Auth>,
}

/// Headers as a list, or (rarely) as one raw `Name: value` text.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Headers {
    List(Vec<KeyValue>),
    Raw(String),
}

impl Headers {
    /// The enabled headers as (name, value) pairs.
    pub fn pairs(&self) -> Vec<(String, String)> {
        match self {
            Headers::List(list) => list
                .iter()
                .filter(|h| !h.disabled && !h.key.trim().is_empty())
                .map(|h| (h.key.trim().to_string(), h.text()))
                .collect(),
            Headers::Raw(text) => text
                .lines()
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                .collect(),
        }
    }
}

/// A `{ key, value, disabled }` entry: headers, query parameters, url-encoded fields, path
/// variables.
#[derive(Debug, Clone, Deserialize)]
pub struct KeyValue {
    #[serde(default, deserialize_with = "nullable")]
    pub key: String,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub disabled: bool,
    /// `text` or `file` for form-data fields.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl KeyValue {
    /// The value as text: strings as they are, other JSON as JSON, `null` as empty.
    pub fn text(&self) -> String {
        self.value.as_ref().map(value_text).unwrap_or_default()
    }
}

/// A JSON value as Postman would substitute it: strings as they are, the rest as JSON.
pub fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A URL as a string, or as Postman's parts.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Url {
    Raw(String),
    Parts(Box<UrlParts>),
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UrlParts {
    #[serde(default)]
    pub raw: Option<String>,
    #[serde(default)]
    pub protocol: Option<String>,
    #[serde(default)]
    pub host: Option<StringOrList>,
    #[serde(default)]
    pub port: Option<Value>,
    #[serde(default)]
    pub path: Option<StringOrList>,
    /// `None` when the export has no `query` key: then the raw URL's query is used.
    #[serde(default)]
    pub query: Option<Vec<KeyValue>>,
    /// Path variables: `:id` in the path, with their values.
    #[serde(default, deserialize_with = "nullable")]
    pub variable: Vec<KeyValue>,
}

/// A host or path: one string, or a list of segments (strings or `{ value }` objects).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StringOrList {
    One(String),
    List(Vec<Value>),
}

impl StringOrList {
    pub fn segments(&self) -> Vec<String> {
        match self {
            StringOrList::One(s) => vec![s.clone()],
            StringOrList::List(items) => items
                .iter()
                .map(|v| match v {
                    Value::Object(o) => o.get("value").map(value_text).unwrap_or_default(),
                    other => value_text(other),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Body {
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub raw: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub urlencoded: Vec<KeyValue>,
    #[serde(default, deserialize_with = "nullable")]
    pub formdata: Vec<KeyValue>,
    #[serde(default)]
    pub file: Option<Value>,
    #[serde(default)]
    pub graphql: Option<Value>,
    /// `{ raw: { language: "json" } }`.
    #[serde(default)]
    pub options: Option<Value>,
    #[serde(default, deserialize_with = "nullable")]
    pub disabled: bool,
}

impl Body {
    /// The language chosen for a raw body (`json`, `text`, `xml`…), if any.
    pub fn raw_language(&self) -> Option<&str> {
        self.options.as_ref()?.get("raw")?.get("language")?.as_str()
    }
}

/// An auth helper: `{ type: "bearer", bearer: [{ key: "token", value: "…" }] }`.
#[derive(Debug, Clone, Deserialize)]
pub struct Auth {
    #[serde(rename = "type", default, deserialize_with = "nullable")]
    pub kind: String,
    #[serde(flatten)]
    pub settings: serde_json::Map<String, Value>,
}

impl Auth {
    /// A setting of this auth type: from v2.1's `[{ key, value }]` list or v2.0's object.
    pub fn setting(&self, name: &str) -> Option<String> {
        match self.settings.get(&self.kind)? {
            Value::Array(list) => list
                .iter()
                .find(|e| e.get("key").and_then(Value::as_str) == Some(name))
                .and_then(|e| e.get("value"))
                .map(value_text),
            Value::Object(o) => o.get(name).map(value_text),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    #[serde(default, deserialize_with = "nullable")]
    pub listen: String,
    #[serde(default)]
    pub script: Option<Script>,
    #[serde(default, deserialize_with = "nullable")]
    pub disabled: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Script {
    #[serde(default)]
    pub exec: Exec,
}

/// Script source: a list of lines, or one string.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Exec {
    Lines(Vec<String>),
    Text(String),
    #[default]
    None,
}

impl Exec {
    /// One entry per source line (a list entry may itself hold several lines).
    pub fn lines(&self) -> Vec<String> {
        let joined = match self {
            Exec::Lines(lines) => lines.join("\n"),
            Exec::Text(t) => t.clone(),
            Exec::None => String::new(),
        };
        joined.lines().map(str::to_string).collect()
    }
}

/// A collection variable.
#[derive(Debug, Clone, Deserialize)]
pub struct Variable {
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    pub disabled: bool,
}

/// An environment export.
#[derive(Debug, Clone, Deserialize)]
pub struct Environment {
    #[serde(default, deserialize_with = "nullable")]
    pub name: String,
    pub values: Vec<EnvValue>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EnvValue {
    #[serde(default, deserialize_with = "nullable")]
    pub key: String,
    #[serde(default)]
    pub value: Option<Value>,
    /// `default` or `secret`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

const EXPORT_AGAIN: &str =
    "export it again from Postman: the collection's ⋯ menu › Export › Collection v2.1";

/// Reads a collection export, refusing anything that is not Collection v2.1.
pub fn parse_collection(text: &str) -> Result<Collection, LoadError> {
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(&e, EXPORT_AGAIN))?;
    check_collection_shape(&value)?;
    serde_json::from_str(text).map_err(|e| shape_error(&e, "a Postman Collection v2.1"))
}

fn check_collection_shape(value: &Value) -> Result<(), LoadError> {
    let fail = |message: String| LoadError {
        message,
        at: None,
        hint: EXPORT_AGAIN.to_string(),
    };
    let Some(obj) = value.as_object() else {
        return Err(fail(
            "not a Postman collection: the file is not a JSON object".into(),
        ));
    };
    if obj.contains_key("requests") && !obj.contains_key("info") {
        return Err(fail(
            "this is a Postman Collection v1 export; gigcheck reads Collection v2.1".into(),
        ));
    }
    if obj.contains_key("values") && !obj.contains_key("info") {
        return Err(LoadError {
            message: "this is a Postman environment, not a collection".into(),
            at: None,
            hint: "pass the collection first and the environment with --environment".into(),
        });
    }
    let schema = obj
        .get("info")
        .and_then(|i| i.get("schema"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if schema.contains("/v2.1") {
        return Ok(());
    }
    let message = if schema.contains("/v2.0") {
        "this is a Postman Collection v2.0 export; gigcheck reads Collection v2.1".to_string()
    } else if schema.is_empty() {
        "not a Postman Collection v2.1: `info.schema` is missing".to_string()
    } else {
        format!("not a Postman Collection v2.1: `info.schema` is {schema}")
    };
    Err(fail(message))
}

/// Reads an environment export.
pub fn parse_environment(text: &str) -> Result<Environment, LoadError> {
    let hint = "export it again from Postman: Environments › ⋯ › Export";
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(&e, hint))?;
    if value.get("info").is_some() || value.get("item").is_some() {
        return Err(LoadError {
            message: "this is a Postman collection, not an environment".into(),
            at: None,
            hint: "pass the environment export (with `values`) to --environment".into(),
        });
    }
    if value.get("values").is_none_or(|v| !v.is_array()) {
        return Err(LoadError {
            message: "not a Postman environment: it has no `values` list".into(),
            at: None,
            hint: hint.into(),
        });
    }
    serde_json::from_str(text).map_err(|e| shape_error(&e, "a Postman environment"))
}

/// serde_json's message without its " at line L column C" tail (the position is kept apart).
fn bare_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

fn position(e: &serde_json::Error) -> Option<(usize, usize)> {
    (e.line() > 0).then_some((e.line(), e.column()))
}

fn json_error(e: &serde_json::Error, hint: &str) -> LoadError {
    LoadError {
        message: format!("not valid JSON: {}", bare_message(e)),
        at: position(e),
        hint: hint.to_string(),
    }
}

fn shape_error(e: &serde_json::Error, what: &str) -> LoadError {
    LoadError {
        message: format!("does not have the shape of {what}: {}", bare_message(e)),
        at: position(e),
        hint: EXPORT_AGAIN.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V21: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

    #[test]
    fn a_minimal_collection_with_nulls_parses() {
        let text = format!(
            r#"{{"info": {{"name": "C", "schema": "{V21}"}}, "auth": null, "event": null,
              "item": [{{"name": "F", "item": [{{"name": "R", "request": "https://x/y"}}]}}]}}"#
        );
        let c = parse_collection(&text).unwrap();
        assert!(c.item[0].is_folder());
        assert!(matches!(
            c.item[0].item.as_ref().unwrap()[0].request,
            Some(RequestOrUrl::Url(_))
        ));
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let err = parse_collection("{\n  \"info\": {,\n}").unwrap_err();
        assert_eq!(err.at, Some((2, 12)));
        assert!(
            err.message.starts_with("not valid JSON: "),
            "{}",
            err.message
        );
        assert!(!err.message.contains("at line"));
    }

    #[test]
    fn other_versions_and_files_are_named() {
        let v20 = r#"{"info": {"name": "C", "schema": "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"}, "item": []}"#;
        assert!(parse_collection(v20).unwrap_err().message.contains("v2.0"));
        let v1 = r#"{"id": "x", "name": "C", "requests": []}"#;
        assert!(parse_collection(v1).unwrap_err().message.contains("v1"));
        let env = r#"{"name": "E", "values": []}"#;
        assert!(
            parse_collection(env)
                .unwrap_err()
                .message
                .contains("environment")
        );
        assert!(
            parse_collection("[1]")
                .unwrap_err()
                .message
                .contains("not a JSON object")
        );
    }

    #[test]
    fn wrong_shapes_are_errors_with_a_position() {
        let text = format!(r#"{{"info": {{"name": "C", "schema": "{V21}"}}, "item": 5}}"#);
        let err = parse_collection(&text).unwrap_err();
        assert!(err.message.contains("shape"), "{}", err.message);
        assert!(err.at.is_some());
    }

    #[test]
    fn auth_settings_in_both_layouts() {
        let v21: Auth = serde_json::from_str(
            r#"{"type": "bearer", "bearer": [{"key": "token", "value": "{{t}}"}]}"#,
        )
        .unwrap();
        assert_eq!(v21.setting("token").as_deref(), Some("{{t}}"));
        let v20: Auth =
            serde_json::from_str(r#"{"type": "apikey", "apikey": {"key": "X-Key"}}"#).unwrap();
        assert_eq!(v20.setting("key").as_deref(), Some("X-Key"));
        assert_eq!(v20.setting("value"), None);
    }

    #[test]
    fn environments_parse_and_default_to_enabled() {
        let env = parse_environment(
            r#"{"name": "Local", "values": [{"key": "pw", "value": "s", "type": "secret"}]}"#,
        )
        .unwrap();
        assert!(env.values[0].enabled);
        assert_eq!(env.values[0].kind.as_deref(), Some("secret"));
        assert!(parse_environment(r#"{"name": "x"}"#).is_err());
    }

    #[test]
    fn exec_lines_split_embedded_newlines() {
        let e: Exec = serde_json::from_str(r#"["a", "b\nc"]"#).unwrap();
        assert_eq!(e.lines(), ["a", "b", "c"]);
        let e: Exec = serde_json::from_str(r#""x\ny""#).unwrap();
        assert_eq!(e.lines(), ["x", "y"]);
    }

    #[test]
    fn headers_list_and_raw() {
        let h: Headers = serde_json::from_str(
            r#"[{"key": "A", "value": "1"}, {"key": "B", "value": "2", "disabled": true}]"#,
        )
        .unwrap();
        assert_eq!(h.pairs(), [("A".to_string(), "1".to_string())]);
        let h: Headers = serde_json::from_str(r#""A: 1\nB: two""#).unwrap();
        assert_eq!(h.pairs().len(), 2);
    }
}
