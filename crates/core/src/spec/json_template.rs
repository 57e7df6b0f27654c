//! JSON-shaped spec values whose strings are templates: request bodies, variables, expected values.

use super::template::{
    Lookup, Placeholder, RenderError, TEMPLATE_PATTERN_MESSAGE, Template, syntax_regex,
};
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::fmt;

/// A JSON value from a spec; every string in it is a [`Template`].
#[derive(Debug, Clone, PartialEq)]
pub enum JsonTemplate {
    /// `null` (in YAML also `~`, or nothing after the key).
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number; YAML's `.nan` and `.inf` are refused, JSON has no such numbers.
    Number(Number),
    /// A string; its `{{…}}` placeholders are filled in when the value is rendered.
    String(Template),
    /// A list of values.
    Array(Vec<JsonTemplate>),
    /// A mapping, in written order; keys are plain text (not templates), each at most once.
    Object(Vec<(String, JsonTemplate)>),
}

impl JsonTemplate {
    /// The JSON value with every placeholder filled in from `lookup`; a string that is one
    /// placeholder alone keeps the JSON type of what it names.
    pub fn render(&self, lookup: &dyn Lookup) -> Result<Value, RenderError> {
        Ok(match self {
            JsonTemplate::Null => Value::Null,
            JsonTemplate::Bool(b) => Value::Bool(*b),
            JsonTemplate::Number(n) => Value::Number(n.clone()),
            JsonTemplate::String(t) => t.render_value(lookup)?,
            JsonTemplate::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| i.render(lookup))
                    .collect::<Result<_, _>>()?,
            ),
            JsonTemplate::Object(fields) => {
                let mut map = Map::with_capacity(fields.len());
                for (k, v) in fields {
                    map.insert(k.clone(), v.render(lookup)?);
                }
                Value::Object(map)
            }
        })
    }

    /// Every placeholder in the value, in document order.
    pub fn placeholders(&self) -> Vec<&Placeholder> {
        let mut out = Vec::new();
        self.collect_placeholders(&mut out);
        out
    }

    fn collect_placeholders<'a>(&'a self, out: &mut Vec<&'a Placeholder>) {
        match self {
            JsonTemplate::String(t) => out.extend(t.placeholders()),
            JsonTemplate::Array(items) => items.iter().for_each(|i| i.collect_placeholders(out)),
            JsonTemplate::Object(fields) => {
                fields.iter().for_each(|(_, v)| v.collect_placeholders(out))
            }
            _ => {}
        }
    }

    /// The value as plain JSON when it holds no placeholders.
    pub fn as_literal(&self) -> Option<Value> {
        if self.placeholders().is_empty() {
            self.render(&super::template::NoVars).ok()
        } else {
            None
        }
    }
}

impl From<Value> for JsonTemplate {
    fn from(v: Value) -> Self {
        match v {
            Value::Null => JsonTemplate::Null,
            Value::Bool(b) => JsonTemplate::Bool(b),
            Value::Number(n) => JsonTemplate::Number(n),
            Value::String(s) => JsonTemplate::String(Template::literal(&s)),
            Value::Array(a) => JsonTemplate::Array(a.into_iter().map(Into::into).collect()),
            Value::Object(o) => {
                JsonTemplate::Object(o.into_iter().map(|(k, v)| (k, v.into())).collect())
            }
        }
    }
}

impl JsonSchema for JsonTemplate {
    fn schema_name() -> Cow<'static, str> {
        "JsonTemplate".into()
    }

    /// Mirrors the [`Deserialize`] impl below: any JSON value, every string in it (not the keys) a
    /// template.
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let itself = generator.subschema_for::<JsonTemplate>();
        json_schema!({
            "description": "Any JSON value; every string in it may hold `{{…}}` templates, and a string that is exactly one placeholder keeps the value's JSON type.",
            "type": ["null", "boolean", "number", "string", "array", "object"],
            "pattern": format!("^{}$", syntax_regex()),
            "patternErrorMessage": TEMPLATE_PATTERN_MESSAGE,
            "items": itself,
            "additionalProperties": itself,
        })
    }
}

impl<'de> Deserialize<'de> for JsonTemplate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonTemplateVisitor)
    }
}

struct JsonTemplateVisitor;

impl<'de> de::Visitor<'de> for JsonTemplateVisitor {
    type Value = JsonTemplate;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON-compatible value")
    }
    fn visit_unit<E>(self) -> Result<JsonTemplate, E> {
        Ok(JsonTemplate::Null)
    }
    fn visit_none<E>(self) -> Result<JsonTemplate, E> {
        Ok(JsonTemplate::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<JsonTemplate, D::Error> {
        JsonTemplate::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<JsonTemplate, E> {
        Ok(JsonTemplate::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<JsonTemplate, E> {
        Ok(JsonTemplate::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<JsonTemplate, E> {
        Ok(JsonTemplate::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<JsonTemplate, E> {
        Number::from_f64(v)
            .map(JsonTemplate::Number)
            .ok_or_else(|| E::custom("NaN and infinity are not JSON numbers"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<JsonTemplate, E> {
        Template::parse(v)
            .map(JsonTemplate::String)
            .map_err(E::custom)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonTemplate, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JsonTemplate::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonTemplate, A::Error> {
        let mut fields: Vec<(String, JsonTemplate)> = Vec::new();
        while let Some(key) = map.next_key::<KeyString>()? {
            let value = map.next_value()?;
            if fields.iter().any(|(k, _)| *k == key.0) {
                return Err(de::Error::custom(format!("duplicate key `{}`", key.0)));
            }
            fields.push((key.0, value));
        }
        Ok(JsonTemplate::Object(fields))
    }
}

/// A mapping key; YAML allows numbers and booleans as keys, JSON wants strings.
struct KeyString(String);

impl<'de> Deserialize<'de> for KeyString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = KeyString;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyString, E> {
                Ok(KeyString(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct One;
    impl Lookup for One {
        fn var(&self, name: &str) -> Option<&Value> {
            static ID: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
            (name == "id").then(|| ID.get_or_init(|| json!(42)))
        }
        fn env(&self, _: &str) -> Option<String> {
            None
        }
    }

    #[test]
    fn renders_nested_yaml_with_types_kept() {
        let t: JsonTemplate = crate::yaml::from_str(
            "items: [{product_id: '{{id}}', quantity: 2}]\nnote: 'order {{id}}'\nok: true\nx: null",
        )
        .unwrap();
        assert_eq!(
            t.render(&One).unwrap(),
            json!({"items": [{"product_id": 42, "quantity": 2}], "note": "order 42", "ok": true, "x": null})
        );
        assert_eq!(t.placeholders().len(), 2);
        assert_eq!(t.as_literal(), None);
    }

    #[test]
    fn literal_values() {
        let t: JsonTemplate = crate::yaml::from_str("[1, 2.5, 'a']").unwrap();
        assert_eq!(t.as_literal(), Some(json!([1, 2.5, "a"])));
    }
}
