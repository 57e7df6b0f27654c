//! Assertions on one value (a JSONPath result, a header, the raw body): `equals`, `exists`,
//! `type`, `matches`, `contains`, `length`, numeric comparisons, `one_of`…
//!
//! In YAML a plain value means "equals"; a mapping lists operators:
//! `$.total: 399.99` or `$.orders: { type: array, length: 2 }`.

use super::json_template::JsonTemplate;
use super::template::{TEMPLATE_PATTERN_MESSAGE, syntax_regex};
use super::values::Pattern;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::{self, Deserializer, IntoDeserializer, MapAccess, SeqAccess};
use std::borrow::Cow;
use std::fmt;

/// The JSON types `type:` accepts. `number` accepts integers too; write `"null"` quoted (a bare
/// `null` is YAML's null, which means no `type` check at all).
// The options' descriptions are plain comments: documented, schemars would describe the type
// as a `oneOf` of constants, and editors would then list every option instead of saying
// "not one of".
#[allow(missing_docs)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum JsonType {
    // Text, e.g. `"pending"`.
    String,
    // Any number, whole or not: `399.99`, `2`.
    Number,
    // A whole number such as `42` (`42.0` is a `number`, not an `integer`).
    Integer,
    // `true` or `false`.
    Boolean,
    // A list, e.g. `[1, 2]`.
    Array,
    // A mapping of keys to values, e.g. `{ "id": 1 }`.
    Object,
    // `null` itself; write `type: "null"` quoted.
    Null,
}

impl JsonType {
    /// The type of a JSON value: a whole number is an `Integer`, any other number a `Number`.
    pub fn of(value: &serde_json::Value) -> JsonType {
        use serde_json::Value;
        match value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Boolean,
            Value::Number(n) if n.is_i64() || n.is_u64() => JsonType::Integer,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }

    /// `number` accepts integers too.
    pub fn accepts(self, value: &serde_json::Value) -> bool {
        let actual = JsonType::of(value);
        actual == self || (self == JsonType::Number && actual == JsonType::Integer)
    }

    /// The type's name as written after `type:` in specs.
    pub fn name(self) -> &'static str {
        match self {
            JsonType::String => "string",
            JsonType::Number => "number",
            JsonType::Integer => "integer",
            JsonType::Boolean => "boolean",
            JsonType::Array => "array",
            JsonType::Object => "object",
            JsonType::Null => "null",
        }
    }
}

/// How `gt`, `gte`, `lt` and `lte` compare the actual value with the expected one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `gt`: greater than.
    Gt,
    /// `gte`: greater than or equal to.
    Gte,
    /// `lt`: less than.
    Lt,
    /// `lte`: less than or equal to.
    Lte,
}

impl Comparison {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Comparison::Gt => ">",
            Comparison::Gte => ">=",
            Comparison::Lt => "<",
            Comparison::Lte => "<=",
        }
    }

    /// Whether `actual` compares with `expected` this way, as numbers.
    pub fn holds(self, actual: f64, expected: f64) -> bool {
        match self {
            Comparison::Gt => actual > expected,
            Comparison::Gte => actual >= expected,
            Comparison::Lt => actual < expected,
            Comparison::Lte => actual <= expected,
        }
    }
}

/// One operator applied to one value.
#[derive(Debug, Clone, PartialEq)]
pub enum Assertion {
    /// `equals`, or a plain value: equal to this value (`1` equals `1.0`).
    Equals(JsonTemplate),
    /// `not_equals`: not equal to this value.
    NotEquals(JsonTemplate),
    /// `exists: true` / `absent: false` is `Exists(true)`.
    Exists(bool),
    /// `type`: the value has this JSON type.
    Type(JsonType),
    /// `matches`: the value matches this regular expression (non-strings as JSON text).
    Matches(Pattern),
    /// `not_matches`: the value does not match this regular expression.
    NotMatches(Pattern),
    /// `contains`: a string contains this substring, an array this element, an object this key.
    Contains(JsonTemplate),
    /// `not_contains`: the opposite of `contains`.
    NotContains(JsonTemplate),
    /// `length`: this many characters (string), elements (array) or keys (object).
    Length(usize),
    /// `gt`, `gte`, `lt` or `lte`: compared with this value, as numbers or as strings.
    Compare(Comparison, JsonTemplate),
    /// `one_of`: equal to one of these values.
    OneOf(Vec<JsonTemplate>),
}

impl Assertion {
    /// The operator's name as written in specs.
    pub fn operator(&self) -> &'static str {
        match self {
            Assertion::Equals(_) => "equals",
            Assertion::NotEquals(_) => "not_equals",
            Assertion::Exists(true) => "exists",
            Assertion::Exists(false) => "absent",
            Assertion::Type(_) => "type",
            Assertion::Matches(_) => "matches",
            Assertion::NotMatches(_) => "not_matches",
            Assertion::Contains(_) => "contains",
            Assertion::NotContains(_) => "not_contains",
            Assertion::Length(_) => "length",
            Assertion::Compare(Comparison::Gt, _) => "gt",
            Assertion::Compare(Comparison::Gte, _) => "gte",
            Assertion::Compare(Comparison::Lt, _) => "lt",
            Assertion::Compare(Comparison::Lte, _) => "lte",
            Assertion::OneOf(_) => "one_of",
        }
    }

    /// Templates this assertion renders before comparing.
    pub fn templates(&self) -> Vec<&JsonTemplate> {
        match self {
            Assertion::Equals(t)
            | Assertion::NotEquals(t)
            | Assertion::Contains(t)
            | Assertion::NotContains(t)
            | Assertion::Compare(_, t) => vec![t],
            Assertion::OneOf(ts) => ts.iter().collect(),
            _ => Vec::new(),
        }
    }
}

/// All assertions on one value, in the order written.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueAssertion(pub Vec<Assertion>);

/// Deserializes `null` as `Some(Null)` so `equals: null` means "equals null".
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<JsonTemplate>, D::Error> {
    JsonTemplate::deserialize(d).map(Some)
}

/// Operators on one value; all of them must hold. A `null` operator value counts as not written,
/// except for `equals`, `not_equals`, `contains` and `not_contains`, where it is the value.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Operators")]
struct Operators {
    /// Equal to this JSON value (numbers compare by value: `1` equals `1.0`).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "JsonTemplate")]
    equals: Option<JsonTemplate>,
    /// Not equal to this JSON value.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "JsonTemplate")]
    not_equals: Option<JsonTemplate>,
    /// `true`: the value is present (`null` counts as present); `false`: it is missing.
    exists: Option<bool>,
    /// `true`: the value is missing (for headers: not sent); `false`: it is present.
    absent: Option<bool>,
    /// The value's JSON type.
    #[serde(rename = "type")]
    type_: Option<JsonType>,
    /// Matches this regular expression (non-strings are matched as JSON text).
    matches: Option<Pattern>,
    /// Does not match this regular expression.
    not_matches: Option<Pattern>,
    /// A string contains this substring, an array this element, an object this key.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "JsonTemplate")]
    contains: Option<JsonTemplate>,
    /// The opposite of `contains`.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "JsonTemplate")]
    not_contains: Option<JsonTemplate>,
    /// Has this many characters (string), elements (array) or keys (object).
    length: Option<usize>,
    /// Greater than, as a number, or as a string (which orders RFC 3339 timestamps).
    gt: Option<JsonTemplate>,
    /// Greater than or equal to, as a number or as a string.
    gte: Option<JsonTemplate>,
    /// Less than, as a number or as a string.
    lt: Option<JsonTemplate>,
    /// Less than or equal to, as a number or as a string.
    lte: Option<JsonTemplate>,
    /// Equal to one of these values.
    one_of: Option<Vec<JsonTemplate>>,
}

impl Operators {
    fn into_assertions(self) -> Vec<Assertion> {
        let mut out = Vec::new();
        if let Some(e) = self.exists {
            out.push(Assertion::Exists(e));
        }
        if let Some(a) = self.absent {
            out.push(Assertion::Exists(!a));
        }
        out.extend(self.type_.map(Assertion::Type));
        out.extend(self.equals.map(Assertion::Equals));
        out.extend(self.not_equals.map(Assertion::NotEquals));
        out.extend(self.one_of.map(Assertion::OneOf));
        out.extend(self.matches.map(Assertion::Matches));
        out.extend(self.not_matches.map(Assertion::NotMatches));
        out.extend(self.contains.map(Assertion::Contains));
        out.extend(self.not_contains.map(Assertion::NotContains));
        out.extend(self.length.map(Assertion::Length));
        for (cmp, v) in [
            (Comparison::Gt, self.gt),
            (Comparison::Gte, self.gte),
            (Comparison::Lt, self.lt),
            (Comparison::Lte, self.lte),
        ] {
            out.extend(v.map(|v| Assertion::Compare(cmp, v)));
        }
        out
    }
}

impl JsonSchema for ValueAssertion {
    fn schema_name() -> Cow<'static, str> {
        "Assertion".into()
    }

    /// Mirrors `AssertionVisitor`: any value but a mapping means "equals" (the
    /// [`JsonTemplate`] schema without objects); a mapping is
    /// `Operators`, at least one of them given (a `null` counts as given only for the four
    /// operators that take any value).
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let value = generator.subschema_for::<JsonTemplate>();
        let mut operators = generator.subschema_for::<Operators>();
        let unset = serde_json::json!({ "type": "null" });
        operators.insert("minProperties".into(), 1.into());
        operators.insert(
            "not".into(),
            serde_json::json!({
                "description": "only operators without a value (`null`), which check nothing",
                "additionalProperties": false,
                "properties": {
                    "equals": false, "not_equals": false, "contains": false, "not_contains": false,
                    "exists": unset, "absent": unset, "type": unset, "matches": unset,
                    "not_matches": unset, "length": unset, "gt": unset, "gte": unset,
                    "lt": unset, "lte": unset, "one_of": unset,
                },
            }),
        );
        json_schema!({
            "description": "The expected value (equals), or a mapping of operators that must all hold: `{ type: integer, gt: 0 }`, `{ exists: true }`, `{ matches: \"^pi_\" }`.",
            "anyOf": [
                // Operators first: editors report the first of equally bad branches, and a
                // mapping with a typo is better told "property … is not allowed".
                operators,
                {
                    "description": "Equals this value (`1` equals `1.0`). To expect an object, write `equals: {…}`.",
                    "type": ["null", "boolean", "number", "string", "array"],
                    "pattern": format!("^{}$", syntax_regex()),
                    "patternErrorMessage": TEMPLATE_PATTERN_MESSAGE,
                    "items": value,
                }
            ],
        })
    }
}

impl<'de> Deserialize<'de> for ValueAssertion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(AssertionVisitor)
    }
}

struct AssertionVisitor;

fn equals(t: JsonTemplate) -> ValueAssertion {
    ValueAssertion(vec![Assertion::Equals(t)])
}

impl<'de> de::Visitor<'de> for AssertionVisitor {
    type Value = ValueAssertion;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an expected value, or a mapping of operators such as `{ exists: true }`")
    }
    fn visit_unit<E>(self) -> Result<ValueAssertion, E> {
        Ok(equals(JsonTemplate::Null))
    }
    fn visit_bool<E>(self, v: bool) -> Result<ValueAssertion, E> {
        Ok(equals(JsonTemplate::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<ValueAssertion, E> {
        Ok(equals(JsonTemplate::Number(v.into())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<ValueAssertion, E> {
        Ok(equals(JsonTemplate::Number(v.into())))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<ValueAssertion, E> {
        JsonTemplate::deserialize(v.into_deserializer()).map(equals)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<ValueAssertion, E> {
        JsonTemplate::deserialize(v.into_deserializer()).map(equals)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ValueAssertion, A::Error> {
        JsonTemplate::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(equals)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ValueAssertion, A::Error> {
        let ops = Operators::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let assertions = ops.into_assertions();
        if assertions.is_empty() {
            return Err(de::Error::custom(
                "empty operator mapping; to expect an empty object write `equals: {}`",
            ));
        }
        Ok(ValueAssertion(assertions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(yaml: &str) -> Result<ValueAssertion, crate::yaml::YamlError> {
        crate::yaml::from_str(yaml)
    }

    #[test]
    fn plain_value_means_equals() {
        let a = parse("399.99").unwrap();
        assert_eq!(a.0.len(), 1);
        assert_eq!(a.0[0].operator(), "equals");
        assert_eq!(parse("[1, 2]").unwrap().0[0].operator(), "equals");
        assert_eq!(
            parse("~").unwrap().0,
            vec![Assertion::Equals(JsonTemplate::Null)]
        );
    }

    #[test]
    fn operator_mapping() {
        let a = parse("{ type: array, length: 2, exists: true }").unwrap();
        let ops: Vec<_> = a.0.iter().map(Assertion::operator).collect();
        assert_eq!(ops, ["exists", "type", "length"]);
        assert_eq!(
            parse("{ absent: true }").unwrap().0,
            vec![Assertion::Exists(false)]
        );
        assert_eq!(
            parse("{ equals: null }").unwrap().0,
            vec![Assertion::Equals(JsonTemplate::Null)]
        );
    }

    #[test]
    fn unknown_operator_is_rejected_with_the_list() {
        let err = parse("{ eqals: 1 }").unwrap_err().to_string();
        assert!(err.contains("unknown field `eqals`"), "{err}");
        assert!(err.contains("equals"), "{err}");
    }

    #[test]
    fn bad_regex_and_type() {
        assert!(
            parse("{ matches: '(' }")
                .unwrap_err()
                .to_string()
                .contains("regular expression")
        );
        assert!(parse("{ type: text }").is_err());
        assert!(parse("{}").is_err());
    }

    #[test]
    fn json_types() {
        use serde_json::json;
        assert!(JsonType::Number.accepts(&json!(3)));
        assert!(!JsonType::Integer.accepts(&json!(3.5)));
        assert_eq!(JsonType::of(&json!("x")).name(), "string");
    }
}
