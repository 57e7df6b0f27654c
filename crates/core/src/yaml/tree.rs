//! A YAML node as serde-saphyr reads it, with where it starts, and its translation into a JSON
//! value while its places are recorded. The model is then read from the JSON value; the tree
//! lives only as long as one top-level entry (or one streamed item) takes to translate.

use super::YamlError;
use super::positions::{Place, Positions};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;
use std::fmt;

/// A node of the document.
pub(super) enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Placed>),
    /// Each key with where it is.
    Map(Vec<(Key, Place, Placed)>),
}

/// A node and where it starts.
pub(super) type Placed = (Node, Place);

/// A node as serde-saphyr reads it, with its place.
pub(super) fn placed(node: Spanned<Node>) -> Placed {
    let at = place(&node.referenced);
    (node.value, at)
}

/// A mapping key as text, whatever scalar it was written as (`200:` is the key "200").
pub(super) struct Key(pub String);

pub(super) fn place(s: &serde_saphyr::Location) -> Place {
    (
        u32::try_from(s.line()).unwrap_or(u32::MAX),
        u32::try_from(s.column()).unwrap_or(u32::MAX),
    )
}

/// Reads any YAML value into a [`Node`].
pub(super) struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }
    fn visit_i128<E>(self, v: i128) -> Result<Node, E> {
        Ok(Node::Float(v as f64))
    }
    fn visit_u128<E>(self, v: u128) -> Result<Node, E> {
        Ok(Node::Float(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Node, E> {
        Ok(Node::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(placed(item));
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Key>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((key.value, place(&key.referenced), placed(value)));
        }
        Ok(Node::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

impl Key {
    /// The key a scalar node stands for; `None` for a list or a mapping.
    pub(super) fn of(node: Node) -> Option<Key> {
        let text = match node {
            Node::Null => "null".to_string(),
            Node::Bool(b) => b.to_string(),
            Node::Int(n) => n.to_string(),
            Node::UInt(n) => n.to_string(),
            Node::Float(n) => n.to_string(),
            Node::Str(s) => s,
            Node::Seq(_) | Node::Map(_) => return None,
        };
        Some(Key(text))
    }
}

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Key, D::Error> {
        Key::of(Node::deserialize(d)?)
            .ok_or_else(|| de::Error::custom("a mapping key must be text, not a list or a mapping"))
    }
}

/// Translates nodes into JSON values, recording where each one is.
pub(super) struct Translator<'a> {
    pub(super) positions: &'a mut Positions,
    /// The JSON Pointer of the node being translated.
    pub(super) pointer: String,
    /// The same place as a path people read (`scenarios[0].steps[1]`), for messages.
    pub(super) path: String,
}

/// Where a node is below its parent: an item of a list, or the value of a mapping's key.
enum Below<'a> {
    Item(usize),
    Key(&'a str),
}

impl Translator<'_> {
    /// The JSON value of `node`, which starts at `at` and whose key (when it is a mapping
    /// value) is at `key`.
    pub(super) fn value(
        &mut self,
        node: Node,
        at: Place,
        key: Option<Place>,
    ) -> Result<Value, YamlError> {
        self.positions.record(&self.pointer, key, at);
        Ok(match node {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(b),
            Node::Int(n) => Value::from(n),
            Node::UInt(n) => Value::from(n),
            Node::Float(n) => match Number::from_f64(n) {
                Some(n) => Value::Number(n),
                None => {
                    return Err(self.error(
                        at,
                        format!("{n} is not a number JSON can hold; quote it if it is text"),
                    ));
                }
            },
            Node::Str(s) => Value::String(s),
            Node::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.into_iter().enumerate() {
                    let (node, at) = item;
                    out.push(self.nested(Below::Item(i), |t| t.value(node, at, None))?);
                }
                Value::Array(out)
            }
            Node::Map(entries) => {
                let mut out = Map::with_capacity(entries.len());
                for (Key(name), key_at, (value, at)) in entries {
                    if out.contains_key(&name) {
                        return Err(self.error(
                            key_at,
                            format!(
                                "duplicate key `{name}`: write it once (several operators go in \
                                 one mapping, e.g. `{{ type: integer, gt: 0 }}`)"
                            ),
                        ));
                    }
                    let v = self.nested(Below::Key(&name), |t| t.value(value, at, Some(key_at)))?;
                    out.insert(name, v);
                }
                Value::Object(out)
            }
        })
    }

    /// Runs `f` one level down, at `below`: its segment added to the pointer and to the path
    /// shown. Keys are written without the formatting machinery: most nodes are mapping values,
    /// and formatting their places was a tenth of reading a file.
    fn nested<T>(
        &mut self,
        below: Below<'_>,
        f: impl FnOnce(&mut Self) -> Result<T, YamlError>,
    ) -> Result<T, YamlError> {
        use std::fmt::Write;
        let (pointer_len, path_len) = (self.pointer.len(), self.path.len());
        match below {
            Below::Item(index) => {
                // Writing to a String cannot fail.
                let _ = write!(self.pointer, "/{index}");
                let _ = write!(self.path, "[{index}]");
            }
            Below::Key(name) => {
                self.pointer.push('/');
                self.pointer.push_str(&super::escape(name));
                if !self.path.is_empty() {
                    self.path.push('.');
                }
                self.path.push_str(name);
            }
        }
        let out = f(self);
        self.pointer.truncate(pointer_len);
        self.path.truncate(path_len);
        out
    }

    /// An error at `at`, its message prefixed by the path of the node being translated.
    pub(super) fn error(&self, at: Place, message: String) -> YamlError {
        YamlError {
            line: at.0,
            col: at.1,
            message: if self.path.is_empty() {
                message
            } else {
                format!("{}: {message}", self.path)
            },
        }
    }
}
