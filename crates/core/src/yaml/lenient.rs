//! Reads the model from a JSON value the way YAML people expect: a plain scalar is text where
//! text is wanted (`name: 2026`, `X-Count: 5`, `tags: [smoke, 1]`), since YAML only guessed
//! that it was a number or a boolean. Everything else is as `serde_json::Value` reads.

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, Deserializer, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::Value;

/// A JSON value that hands scalars over as text when text is asked for.
pub(super) struct Lenient(pub Value);

type Error = serde_json::Error;

impl<'de> IntoDeserializer<'de, Error> for Lenient {
    type Deserializer = Lenient;
    fn into_deserializer(self) -> Lenient {
        self
    }
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl<'de> Deserializer<'de> for Lenient {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter().map(Lenient));
                let out = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(out)
            }
            Value::Object(entries) => {
                let mut map = MapDeserializer::new(
                    entries
                        .into_iter()
                        .map(|(k, v)| (Lenient(Value::String(k)), Lenient(v))),
                );
                let out = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(out)
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match text(&self.0) {
            Some(s) => visitor.visit_string(s),
            None => self.deserialize_any(visitor),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(Lenient(other)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        match self.0 {
            Value::Object(entries) if entries.len() == 1 => {
                let Some((variant, value)) = entries.into_iter().next() else {
                    return Err(de::Error::custom("an enum needs exactly one key"));
                };
                visitor.visit_enum(Enum { variant, value })
            }
            Value::Object(_) => Err(de::Error::invalid_value(
                de::Unexpected::Map,
                &"a mapping with a single key",
            )),
            other => match text(&other) {
                Some(s) => visitor.visit_enum(de::value::StringDeserializer::<Error>::new(s)),
                None => other.deserialize_any(visitor),
            },
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

/// `{variant: value}`.
struct Enum {
    variant: String,
    value: Value,
}

impl<'de> de::EnumAccess<'de> for Enum {
    type Error = Error;
    type Variant = Lenient;

    fn variant_seed<S: de::DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Lenient), Error> {
        let variant = seed.deserialize(Lenient(Value::String(self.variant)))?;
        Ok((variant, Lenient(self.value)))
    }
}

impl<'de> de::VariantAccess<'de> for Lenient {
    type Error = Error;

    fn unit_variant(self) -> Result<(), Error> {
        match self.0 {
            Value::Null => Ok(()),
            other => Err(de::Error::invalid_type(unexpected(&other), &"nothing")),
        }
    }
    fn newtype_variant_seed<S: de::DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, Error> {
        seed.deserialize(self)
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_any(visitor)
    }
}

fn unexpected(value: &Value) -> de::Unexpected<'_> {
    match value {
        Value::Null => de::Unexpected::Unit,
        Value::Bool(b) => de::Unexpected::Bool(*b),
        Value::Number(_) => de::Unexpected::Other("a number"),
        Value::String(s) => de::Unexpected::Str(s),
        Value::Array(_) => de::Unexpected::Seq,
        Value::Object(_) => de::Unexpected::Map,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        name: String,
        tags: Vec<String>,
        count: Option<u32>,
        kind: Kind,
        other: Option<Kind>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Plain,
        With(String),
    }

    #[test]
    fn scalars_are_text_where_text_is_wanted() {
        let v = json!({"name": 2026, "tags": ["a", 1, true], "count": 3, "kind": "plain",
                       "other": {"with": 7}});
        let doc: Doc = serde::Deserialize::deserialize(Lenient(v)).unwrap();
        assert_eq!(doc.name, "2026");
        assert_eq!(doc.tags, ["a", "1", "true"]);
        assert_eq!(doc.count, Some(3));
        assert_eq!(
            (doc.kind, doc.other),
            (Kind::Plain, Some(Kind::With("7".into())))
        );
    }

    #[test]
    fn what_is_not_a_scalar_is_still_refused() {
        let v = json!({"name": [1], "tags": [], "kind": "plain", "other": null});
        let err = Doc::deserialize(Lenient(v)).unwrap_err().to_string();
        assert!(
            err.contains("invalid type: sequence, expected a string"),
            "{err}"
        );
        let v = json!({"name": "a", "tags": [], "kind": "plain", "typo": 1});
        let err = Doc::deserialize(Lenient(v)).unwrap_err().to_string();
        assert!(err.starts_with("unknown field `typo`"), "{err}");
    }
}
