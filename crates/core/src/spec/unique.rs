//! Mappings that reject duplicate keys. YAML parsers keep the last of two equal keys, which
//! silently drops an assertion or a variable; a spec author wants to hear about it instead.

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserialize, Deserializer, MapAccess};
use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

struct UniqueVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> de::Visitor<'de> for UniqueVisitor<V> {
    type Value = IndexMap<String, V>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a mapping")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = IndexMap::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(format!(
                    "duplicate key `{key}`: write it once (several operators go in one mapping, e.g. `{{ type: integer, gt: 0 }}`)"
                )));
            }
            let value = map.next_value()?;
            out.insert(key, value);
        }
        Ok(out)
    }
}

/// `#[serde(default, deserialize_with = "unique::map")]`
pub(crate) fn map<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
    d: D,
) -> Result<IndexMap<String, V>, D::Error> {
    d.deserialize_map(UniqueVisitor(PhantomData))
}

/// `#[serde(default, deserialize_with = "unique::opt_map")]`
pub(crate) fn opt_map<'de, D: Deserializer<'de>, V: Deserialize<'de>>(
    d: D,
) -> Result<Option<IndexMap<String, V>>, D::Error> {
    map(d).map(Some)
}

/// The JSON Schema of a mapping read with [`map`] or [`opt_map`], for
/// `#[schemars(with = "unique::Map<V>")]` on such a field: an object of `V`s. Not `null`: serde
/// reads an empty YAML value as an empty mapping but rejects `~`/`null`, and both become JSON
/// `null`, so the schema takes the stricter side. Duplicate keys cannot be seen in JSON; editors
/// flag them as YAML errors.
pub(crate) struct Map<V>(PhantomData<V>);

impl<V: JsonSchema> JsonSchema for Map<V> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> Cow<'static, str> {
        format!("MapOf{}", V::schema_name()).into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("gigcheck::spec::unique::Map<{}>", V::schema_id()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "additionalProperties": generator.subschema_for::<V>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use indexmap::IndexMap;

    #[derive(serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "super::map")]
        m: IndexMap<String, u8>,
    }

    #[test]
    fn duplicates_are_errors() {
        let err = crate::yaml::from_str::<T>("m:\n  a: 1\n  a: 2\n")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("duplicate key `a`"), "{err}");
        assert_eq!(
            crate::yaml::from_str::<T>("m: {a: 1, b: 2}")
                .unwrap()
                .m
                .len(),
            2
        );
        assert!(crate::yaml::from_str::<T>("{}").unwrap().m.is_empty());
    }
}
