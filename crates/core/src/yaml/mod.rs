//! The one way gigcheck reads and writes YAML.
//!
//! Reading: the text is parsed once, streaming, into short-lived positioned nodes (`tree`);
//! each becomes a JSON value while the line and column of every node are recorded
//! ([`Positions`]); the model is then read from the JSON value, and an error in it is placed at
//! the node it concerns. A suite's scenarios are read one at a time (`read_streaming`), so
//! memory does not depend on how many a file holds. One parser, two ways through it: a plain
//! document (what specs are) is built straight from granit-parser's events (`events`); one with
//! anchors, merge keys (`<<: *base`), tags, scalars of uncertain type, or an error is read by
//! serde-saphyr, the deserializer on top of the same parser, which resolves those and words
//! every error. A key written twice is an error.
//!
//! Writing: [`write`](mod@write) renders block YAML with comments, quoting every string that would
//! otherwise read back as something else.

mod events;
mod lenient;
mod positions;
mod tree;
pub mod write;

pub use positions::Place;
pub use positions::Positions;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;
use std::fmt;
use tree::{Key, Node, Placed, Translator};

/// YAML that could not be read, or a model that does not fit it: what and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based; 0 when the place is unknown.
    pub line: u32,
    /// 1-based column; 0 when the place is unknown.
    pub col: u32,
    /// What is wrong, without the place.
    pub message: String,
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(
                f,
                "{} at line {} column {}",
                self.message, self.line, self.col
            )
        }
    }
}

impl std::error::Error for YamlError {}

/// A model that does not fit its JSON value: the message, and the node it concerns, to be
/// placed once the document's [`Positions`] are complete ([`Positions::place`]).
#[derive(Debug, Clone)]
pub(crate) struct Misfit {
    pointer: String,
    message: String,
    /// `unknown field `x``: the key to point at.
    unknown_key: Option<String>,
}

impl Positions {
    /// Where a misfit is: at the unknown key it names, else at the node it concerns (or its
    /// nearest known ancestor).
    pub(crate) fn place(&self, misfit: &Misfit) -> YamlError {
        let at = misfit
            .unknown_key
            .as_ref()
            .and_then(|k| self.get(&format!("{}/{}", misfit.pointer, escape(k))))
            .or_else(|| self.value_at(&misfit.pointer))
            .or_else(|| self.nearest(&misfit.pointer))
            .unwrap_or((1, 1));
        YamlError {
            line: at.0,
            col: at.1,
            message: misfit.message.clone(),
        }
    }
}

/// The most events and nodes a document may have: about one per byte of the largest file the
/// loader reads (16 MiB). The parser's own defaults suit configuration files, not suites of
/// thousands of scenarios; its limits on anchors and aliases (which multiply) stay as they are.
const MAX_NODES: usize = 16 * 1024 * 1024;

fn options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_events: MAX_NODES,
            max_nodes: MAX_NODES,
        },
        // YAML 1.2: `yes`, `no`, `on` and `off` are text, as in JSON Schema's view of a spec.
        strict_booleans: true,
        // A key written twice reaches the translation, which says so with its path.
        duplicate_keys: serde_saphyr::DuplicateKeyPolicy::PassThrough,
    }
}

/// The message of a parser error, without the place (kept apart in [`YamlError`]).
fn parser_error(e: &serde_saphyr::Error) -> YamlError {
    struct Unplaced;
    impl serde_saphyr::Localizer for Unplaced {
        fn attach_location<'a>(
            &self,
            base: std::borrow::Cow<'a, str>,
            _: serde_saphyr::Location,
        ) -> std::borrow::Cow<'a, str> {
            base
        }
    }
    let formatter = serde_saphyr::DefaultMessageFormatter;
    let formatter = formatter.with_localizer(&Unplaced);
    let message = e.render_with_options(serde_saphyr::render_options! {
        formatter: &formatter,
        snippets: serde_saphyr::SnippetMode::Off,
    });
    let at = e.location().map(|l| tree::place(&l)).unwrap_or((0, 0));
    YamlError {
        line: at.0,
        col: at.1,
        message,
    }
}

/// JSON Pointer escaping (RFC 6901).
pub fn escape(segment: &str) -> std::borrow::Cow<'_, str> {
    if segment.contains(['~', '/']) {
        std::borrow::Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        std::borrow::Cow::Borrowed(segment)
    }
}

/// `text` as a JSON value, with the place of every node.
pub fn to_value(text: &str) -> Result<(Value, Positions), YamlError> {
    let root = match events::document(text) {
        Ok(root) => root,
        Err(events::StepAside) => saphyr_document(text)?,
    };
    translate(root)
}

/// The whole document through serde-saphyr, for documents [`events`] leaves to it.
fn saphyr_document(text: &str) -> Result<Placed, YamlError> {
    let node: Spanned<Node> =
        serde_saphyr::from_str_with_options(text, options()).map_err(|e| parser_error(&e))?;
    Ok(tree::placed(node))
}

/// A document's root as a JSON value, with the place of every node.
fn translate((node, at): Placed) -> Result<(Value, Positions), YamlError> {
    let mut positions = Positions::default();
    let value = Translator {
        positions: &mut positions,
        pointer: String::new(),
        path: String::new(),
    }
    .value(node, at, None)?;
    positions.finish();
    Ok((value, positions))
}

/// `text` read into `T`, with the place of every node. A document with nothing in it (only
/// comments, say) reads as an empty mapping.
pub(crate) fn read<T: DeserializeOwned>(text: &str) -> Result<(T, Positions), YamlError> {
    let (mut value, positions) = to_value(text)?;
    if value.is_null() && is_blank(text) {
        value = Value::Object(Map::new());
    }
    let model = deserialize(value, "", "").map_err(|m| positions.place(&m))?;
    Ok((model, positions))
}

/// `text` read into `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    read(text).map(|(model, _)| model)
}

/// Whether a document holds nothing but blank lines, comments and document markers.
fn is_blank(text: &str) -> bool {
    text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#') || l == "---" || l == "..."
    })
}

/// [`deserialize`] without tracking where each value is: what fits is read in a fraction of the
/// time; `None` when it does not fit, and the caller reads it again with [`deserialize`] to say
/// where.
pub(crate) fn deserialize_untracked<T: DeserializeOwned>(value: Value) -> Option<T> {
    T::deserialize(lenient::Lenient(value)).ok()
}

/// [`deserialize`] of the value written as compact JSON in `json` (what the loader keeps of a
/// checked scenario). A model that fits is read without tracking where each value is; only a
/// misfit is read again with tracking, to say where it is. `None`: `json` is not JSON.
pub(crate) fn deserialize_json<T: DeserializeOwned>(
    json: &str,
    pointer: &str,
    path: &str,
) -> Option<Result<T, Misfit>> {
    let value: Value = serde_json::from_str(json).ok()?;
    if let Some(model) = deserialize_untracked(value) {
        return Some(Ok(model));
    }
    let value: Value = serde_json::from_str(json).ok()?;
    Some(deserialize(value, pointer, path))
}

/// Reads the value at JSON Pointer `pointer` (shown to people as `path`) into `T`; a plain
/// scalar is read as text where the model wants text ([`lenient`]).
pub(crate) fn deserialize<T: DeserializeOwned>(
    value: Value,
    pointer: &str,
    path: &str,
) -> Result<T, Misfit> {
    serde_path_to_error::deserialize(lenient::Lenient(value)).map_err(|e| {
        let inner = e.inner().to_string();
        let unknown_key = inner
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split_once('`'))
            .map(|(key, _)| key.to_string());
        // The path of an unknown field ends at the field; the message is about its mapping.
        let mut segments: Vec<&serde_path_to_error::Segment> = e.path().iter().collect();
        if let (Some(key), Some(serde_path_to_error::Segment::Map { key: last })) =
            (&unknown_key, segments.last())
            && last == key
        {
            segments.pop();
        }
        let mut at = pointer.to_string();
        let mut relative = String::new();
        for segment in segments {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    at.push('/');
                    at.push_str(&index.to_string());
                    relative.push_str(&format!("[{index}]"));
                }
                serde_path_to_error::Segment::Map { key } => {
                    at.push('/');
                    at.push_str(&escape(key));
                    if !relative.is_empty() || !path.is_empty() {
                        relative.push('.');
                    }
                    relative.push_str(key);
                }
                _ => {}
            }
        }
        let shown = format!("{path}{relative}");
        Misfit {
            pointer: at,
            message: if shown.is_empty() {
                inner
            } else {
                format!("{shown}: {inner}")
            },
            unknown_key,
        }
    })
}

/// What [`read_streaming`] gives back: the document without the streamed items (the streamed
/// key holds an empty list), its positions, and errors in single items that did not stop the
/// rest from being read.
pub(crate) struct Streamed {
    pub head: Value,
    pub positions: Positions,
    pub(crate) item_errors: Vec<YamlError>,
}

/// Reads `text`, a mapping whose `key` is a list, handing each item of that list to `each` as
/// soon as it is read (with its index), so that only one item is ever held as a tree.
pub(crate) fn read_streaming(
    text: &str,
    key: &str,
    each: &mut dyn FnMut(usize, Value),
) -> Result<Streamed, YamlError> {
    let mut positions = Positions::default();
    let mut item_errors = Vec::new();
    let mut handed = 0;
    let plain = events::streaming(
        text,
        key,
        &mut |index, value| {
            handed += 1;
            each(index, value);
        },
        &mut positions,
        &mut item_errors,
    );
    let root = match plain {
        Ok(root) => root,
        Err(events::StepAside) => {
            // serde-saphyr hands on the same items in the same order: those already handed
            // on are not handed on again.
            positions = Positions::default();
            item_errors.clear();
            let mut skipped = 0;
            let mut rest = |index, value| {
                if skipped < handed {
                    skipped += 1;
                } else {
                    each(index, value);
                }
            };
            saphyr_streaming(text, key, &mut rest, &mut positions, &mut item_errors)?
        }
    };
    streamed(text, root, positions, item_errors)
}

/// [`read_streaming`] through serde-saphyr, for documents [`events`] leaves to it: the root,
/// with the streamed list standing as an empty one.
fn saphyr_streaming(
    text: &str,
    key: &str,
    each: &mut dyn FnMut(usize, Value),
    positions: &mut Positions,
    item_errors: &mut Vec<YamlError>,
) -> Result<Node, YamlError> {
    let seed = Root {
        key,
        each,
        positions,
        item_errors,
    };
    serde_saphyr::with_deserializer_from_str_with_options(text, options(), |d| seed.deserialize(d))
        .map_err(|e| parser_error(&e))
}

/// What [`read_streaming`] gives back once the document's root is read.
fn streamed(
    text: &str,
    root: Node,
    mut positions: Positions,
    item_errors: Vec<YamlError>,
) -> Result<Streamed, YamlError> {
    let head = Translator {
        positions: &mut positions,
        pointer: String::new(),
        path: String::new(),
    }
    .value(root, (1, 1), None)?;
    let head = if head.is_null() && is_blank(text) {
        Value::Object(Map::new())
    } else {
        head
    };
    positions.finish();
    Ok(Streamed {
        head,
        positions,
        item_errors,
    })
}

/// Translates item `index` of the streamed list `key` and hands it to `each`, or keeps its error.
fn hand_on(
    (node, at): Placed,
    key: &str,
    index: usize,
    each: &mut dyn FnMut(usize, Value),
    positions: &mut Positions,
    item_errors: &mut Vec<YamlError>,
) {
    let mut t = Translator {
        positions,
        pointer: format!("/{}/{index}", escape(key)),
        path: format!("{key}[{index}]"),
    };
    match t.value(node, at, None) {
        Ok(value) => each(index, value),
        Err(e) => item_errors.push(e),
    }
}

/// Reads the document's root: a mapping's streamed list goes item by item to `each` (and stands
/// in the root as an empty list); anything else is read whole.
struct Root<'a> {
    key: &'a str,
    each: &'a mut dyn FnMut(usize, Value),
    positions: &'a mut Positions,
    item_errors: &'a mut Vec<YamlError>,
}

impl<'de> DeserializeSeed<'de> for Root<'_> {
    type Value = Node;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        d.deserialize_any(self)
    }
}

/// A visitor's scalar `visit_*` methods: the node [`tree::NodeVisitor`] reads, passed through
/// the visitor's own `wrap`.
macro_rules! scalars_as_nodes {
    () => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            tree::NodeVisitor.visit_bool(v).map(|node| self.wrap(node))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            tree::NodeVisitor.visit_i64(v).map(|node| self.wrap(node))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            tree::NodeVisitor.visit_u64(v).map(|node| self.wrap(node))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            tree::NodeVisitor.visit_f64(v).map(|node| self.wrap(node))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            tree::NodeVisitor.visit_str(v).map(|node| self.wrap(node))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            tree::NodeVisitor.visit_unit().map(|node| self.wrap(node))
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            tree::NodeVisitor.visit_none().map(|node| self.wrap(node))
        }
    };
}

impl Root<'_> {
    fn wrap(&self, node: Node) -> Node {
        node
    }
}

impl<'de> Visitor<'de> for Root<'_> {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a mapping with `{}`", self.key)
    }
    scalars_as_nodes!();
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Node, A::Error> {
        tree::NodeVisitor.visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(k) = map.next_key::<Spanned<Key>>()? {
            let key_at = tree::place(&k.referenced);
            let value = if k.value.0 == self.key {
                let items = Items {
                    key: self.key,
                    key_at,
                    each: &mut *self.each,
                    positions: &mut *self.positions,
                    item_errors: &mut *self.item_errors,
                };
                // Not a list: kept, for the model to say what it should be.
                map.next_value_seed(items)?
                    .unwrap_or((Node::Seq(Vec::new()), key_at))
            } else {
                tree::placed(map.next_value::<Spanned<Node>>()?)
            };
            entries.push((k.value, key_at, value));
        }
        Ok(Node::Map(entries))
    }
}

/// The streamed list: each item translated and handed over as it is read; `None` then, or the
/// value itself when it is not a list after all.
struct Items<'a> {
    key: &'a str,
    key_at: Place,
    each: &'a mut dyn FnMut(usize, Value),
    positions: &'a mut Positions,
    item_errors: &'a mut Vec<YamlError>,
}

impl<'de> DeserializeSeed<'de> for Items<'_> {
    type Value = Option<Placed>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_> {
    type Value = Option<Placed>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a list of {}", self.key)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut index = 0;
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            let item = tree::placed(item);
            hand_on(
                item,
                self.key,
                index,
                self.each,
                self.positions,
                self.item_errors,
            );
            index += 1;
        }
        Ok(None)
    }
    // Anything but a list is kept as it is.
    scalars_as_nodes!();
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        tree::NodeVisitor.visit_map(map).map(|node| self.wrap(node))
    }
}

impl Items<'_> {
    fn wrap(&self, node: Node) -> Option<Placed> {
        Some((node, self.key_at))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        #[allow(dead_code)]
        name: String,
    }

    #[test]
    fn yaml_1_2_scalars_anchors_and_merge_keys() {
        let (v, p) = to_value("a: yes\nb: true\nbase: &b { x: 1 }\nc: { <<: *b, y: 2 }\n").unwrap();
        assert_eq!(
            v,
            json!({"a": "yes", "b": true, "base": {"x": 1}, "c": {"x": 1, "y": 2}})
        );
        assert_eq!(p.get("/c/y"), Some((4, 14)));
        assert_eq!(p.get("/c"), Some((4, 1)));
        assert_eq!(p.value_at("/c"), Some((4, 4)));
    }

    #[test]
    fn errors_name_their_path_and_place() {
        let e = to_value("a:\n  b: 1\n  b: 2\n").unwrap_err();
        assert_eq!((e.line, e.col), (3, 3));
        assert!(
            e.message.starts_with("a: duplicate key `b`"),
            "{}",
            e.message
        );
        let e = from_str::<Doc>("name: x\nnmae: y\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 1));
        assert!(
            e.message.starts_with("unknown field `nmae`"),
            "{}",
            e.message
        );
        let e = from_str::<Doc>("name: [1]\n").unwrap_err();
        assert_eq!(
            (e.line, e.col, e.message.as_str()),
            (1, 7, "name: invalid type: sequence, expected a string")
        );
        assert!(
            from_str::<Doc>("# nothing\n")
                .unwrap_err()
                .message
                .contains("missing field `name`")
        );
        assert!(
            from_str::<Doc>("name: 2026\n").is_ok(),
            "a plain number is text where text is wanted"
        );
    }

    #[test]
    fn streamed_items_come_one_at_a_time_and_errors_stay_in_their_item() {
        let text = "name: s\nitems:\n  - { a: 1 }\n  - { a: 1, a: 2 }\n  - { b: 3 }\nlast: 4\n";
        let mut seen = Vec::new();
        let s = read_streaming(text, "items", &mut |i, v| seen.push((i, v))).unwrap();
        assert_eq!(seen, vec![(0, json!({"a": 1})), (2, json!({"b": 3}))]);
        assert_eq!(s.head, json!({"name": "s", "items": [], "last": 4}));
        assert_eq!(s.item_errors.len(), 1);
        assert!(
            s.item_errors[0]
                .message
                .starts_with("items[1]: duplicate key `a`")
        );
        assert_eq!(s.positions.get("/items/2/b"), Some((5, 7)));
        assert_eq!(s.positions.get("/last"), Some((6, 1)));
        // Not a list: kept for the model to refuse.
        let s = read_streaming("items: 5\n", "items", &mut |_, _| unreachable!()).unwrap();
        assert_eq!(s.head, json!({"items": 5}));
        let s = read_streaming("", "items", &mut |_, _| unreachable!()).unwrap();
        assert_eq!(s.head, json!({}));
    }

    /// Every YAML file of the project (specs, fixtures, test data) and a catalogue of scalars
    /// read both ways, by [`events`] and by serde-saphyr: the same values at the same places.
    #[test]
    fn plain_documents_read_the_same_both_ways() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = Vec::new();
        let mut dirs: Vec<std::path::PathBuf> = ["specs", "fixtures", "tests", "fuzz/seeds"]
            .iter()
            .map(|d| root.join(d))
            .collect();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                    files.push(path);
                }
            }
        }
        assert!(files.len() >= 25, "found only {} YAML files", files.len());
        let mut aside = Vec::new();
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue;
            };
            if events::document(&text).is_err() {
                aside.extend(file.file_name().map(|n| n.to_string_lossy().into_owned()));
            }
            assert_same_both_ways(&text, &file.display().to_string());
        }
        aside.sort();
        // Left to serde-saphyr: the customer fragments, for their anchor (`&identity`), and the
        // fuzz seed, whose flow mapping has a plain key with `[` in it (`{ $.orders[0].id: … }`),
        // which the parser's own options refuse and serde-saphyr's accept.
        assert_eq!(
            aside,
            ["customer.yaml", "other-customer.yaml", "small.yaml"]
        );
        let shapes = [
            "---\nname: x\nscenarios:\n  - name: a\n    steps: []\n...\n",
            "# only a comment\n",
            "",
            "---\n",
            "scenarios: []\n",
            "scenarios:\n",
            "scenarios: 5\n",
            "scenarios: { a: 1 }\n",
            "scenarios:\n- - nested\n  - [1, {a: b}]\n- {}\n",
            "- a\n- b\n",
            "plain\n",
            "a: |\n  literal\n   kept\nb: >\n  folded\n  text\nc: \"d\\tq\"\n",
            "a:   # comment\n  b: 1   # more\n\n\n  c:\n    - x\n",
            "'quoted key': 1\n\"dq\": 2\n? complex\n: 3\n",
            "a: multi\n  line\n  plain\nb: [x,\n  y]\n",
            "scenarios:\n  - { a: 1, a: 2 }\n  - b: 1\n    b: 2\n  - c: 3\nscenarios:\n  - d: 4\n",
            "a: &x 1\nb: *x\n",
            "a: !tag 1\n",
            "a: [1, 2\n",
            "a: b: c\n",
            "first: 1\n---\nsecond: 2\n",
            "%YAML 1.2\n---\na: 1\n",
            "\u{feff}a: 1\n",
            "a:\n\t- tab\n",
            "'<<': quoted is a key\n\"scenarios\": [{ a: 1 }]\n",
            "scenarios: !!seq [{ a: 1 }]\n",
            "scenarios:\n  - a: 1\n  - *unknown\n",
        ];
        for shape in shapes {
            assert_same_both_ways(shape, shape);
        }
        let scalars = [
            "42",
            "-7",
            "0",
            "-0",
            "+1",
            "007",
            "1.5",
            "-1.25",
            "1.50",
            "0.1",
            "1e3",
            "1E3",
            "1.0e-3",
            "0x1F",
            "0X1F",
            "0o17",
            "0b101",
            "1_000",
            ".5",
            "1.",
            ".inf",
            "-.inf",
            "+.INF",
            ".nan",
            "-.nan",
            "nan",
            "inf",
            "infinity",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "yes",
            "no",
            "on",
            "off",
            "y",
            "null",
            "Null",
            "NULL",
            "nULL",
            "~",
            "",
            "pending",
            "10.0.0.1",
            "2026-12-07",
            "2026-12-07T10:00:00Z",
            "12:30",
            "deadbeef",
            "1 2",
            "4xx",
            "50ms",
            "20s",
            "1e",
            "1e+",
            "1-2",
            "1.2.3",
            "0xZZ",
            ".x",
            "-.x",
            "99999999999999999999",
            "-9223372036854775809",
            "18446744073709551615",
            "123456789012345678",
            "1234567890.1234567",
            "'q'",
            "\"42\"",
            "<<",
            "a b",
            "-",
            ".",
        ];
        for scalar in scalars {
            assert_same_both_ways(&format!("k: {scalar}\n"), scalar);
            assert_same_both_ways(&format!("{scalar}: v\n"), scalar);
            assert_same_both_ways(&format!("- {scalar}\n- [{scalar}]\n"), scalar);
        }
    }

    fn assert_same_both_ways(text: &str, what: &str) {
        let shown = |r: Result<(Value, Positions), YamlError>| match r {
            Ok((v, p)) => format!("{v:?} {p:?}"),
            Err(e) => format!("error {e}"),
        };
        assert_eq!(
            shown(to_value(text)),
            shown(saphyr_document(text).and_then(translate)),
            "{what} read as a whole"
        );
        let shown = |items: Vec<(usize, Value)>, read: Result<Streamed, YamlError>| match read {
            Ok(s) => format!(
                "{items:?} {:?} {:?} {:?}",
                s.head, s.positions, s.item_errors
            ),
            Err(e) => format!("{items:?} error {e}"),
        };
        let mut items = Vec::new();
        let read = read_streaming(text, "scenarios", &mut |i, v| items.push((i, v)));
        let either = shown(items, read);
        let (mut items, mut positions, mut errors) = (Vec::new(), Positions::default(), Vec::new());
        let read = saphyr_streaming(
            text,
            "scenarios",
            &mut |i, v| items.push((i, v)),
            &mut positions,
            &mut errors,
        )
        .and_then(|root| streamed(text, root, positions, errors));
        assert_eq!(either, shown(items, read), "{what} streamed");
    }

    #[test]
    fn a_document_left_to_serde_saphyr_midway_hands_on_each_item_once() {
        // The third item has an anchor: the short way hands on two items and steps aside.
        let text = "scenarios:\n  - a: 1\n  - b: 2\n  - &x c: 3\n  - d: 4\n";
        let mut seen = Vec::new();
        read_streaming(text, "scenarios", &mut |i, v| seen.push((i, v))).unwrap();
        assert_eq!(
            seen,
            vec![
                (0, json!({"a": 1})),
                (1, json!({"b": 2})),
                (2, json!({"c": 3})),
                (3, json!({"d": 4}))
            ]
        );
    }

    #[test]
    fn compact_json_reads_like_its_value_and_misfits_say_where() {
        let fits = deserialize_json::<Doc>(r#"{"name":2026}"#, "/x", "x").unwrap();
        assert!(fits.is_ok(), "a number is text where text is wanted");
        let misfit = deserialize_json::<Doc>(r#"{"name":[1]}"#, "/x", "x")
            .unwrap()
            .unwrap_err();
        let tracked = deserialize::<Doc>(json!({"name": [1]}), "/x", "x").unwrap_err();
        assert_eq!(
            (misfit.pointer.as_str(), misfit.message.as_str()),
            (
                "/x/name",
                "x.name: invalid type: sequence, expected a string"
            )
        );
        assert_eq!(misfit.message, tracked.message);
        assert!(deserialize_json::<Doc>("{not json", "", "").is_none());
    }

    #[test]
    fn big_documents_are_within_the_budget() {
        let text = format!("[{}]", vec!["1"; 300_000].join(","));
        assert_eq!(
            to_value(&text).unwrap().0.as_array().map(Vec::len),
            Some(300_000)
        );
    }
}
