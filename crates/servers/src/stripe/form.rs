//! The form-body parser: `application/x-www-form-urlencoded` text with Stripe's nested keys,
//! turned into a tree.
//!
//! - `amount=2000` → `{amount: "2000"}`
//! - `metadata[order_id]=12` → `{metadata: {order_id: "12"}}`
//! - `payment_method_types[0]=card` → `{payment_method_types: {"0": "card"}}`: an index is kept
//!   as a map key (so `metadata[0]=x` stays a map); [`FormValue::as_list`] reads a map whose
//!   keys are all indexes as a list, in index order.
//! - `a[]=x&a[]=y` → `{a: ["x", "y"]}`
//!
//! A repeated scalar key keeps the last value. A key that is used both as a scalar and as a
//! container, a malformed key (`a[b`, `a]`, `[a]`, `a[b]c`), `[]` anywhere but at the end, or
//! more than [`MAX_DEPTH`] brackets is an error. [`parse`] is a pure function and never panics.

use indexmap::IndexMap;

/// The most brackets one key may have (`a[b][c]` has 2). Stripe's deepest parameters have 4.
pub const MAX_DEPTH: usize = 16;

/// The parameters of one request, in the order they were first given.
pub type FormMap = IndexMap<String, FormValue>;

/// One node of a parsed form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormValue {
    Text(String),
    Map(FormMap),
    /// Only from `a[]=` keys; indexed keys (`a[0]=`) make a [`FormValue::Map`].
    List(Vec<FormValue>),
}

/// Why a form body could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    #[error("a parameter has an empty name")]
    EmptyName,
    #[error("invalid parameter name '{0}': brackets must be balanced, as in a[b][c]")]
    MalformedKey(String),
    #[error("invalid parameter name '{0}': '[]' may only end a name")]
    AppendNotLast(String),
    #[error("invalid parameter name '{0}': more than {MAX_DEPTH} levels of brackets")]
    TooDeep(String),
    #[error("parameter '{0}' is given both as a value and as a hash or array")]
    Conflict(String),
}

/// One bracketed part of a key.
#[derive(Debug, PartialEq, Eq)]
enum Segment<'a> {
    /// `[name]` or `[0]`.
    Key(&'a str),
    /// `[]`.
    Append,
}

/// The tree written back as a form body: `key=value` pairs with bracketed keys
/// (`a[b]=1&c[]=2`), percent-encoded — what [`parse`] reads.
pub fn encode(map: &FormMap) -> String {
    fn pairs(key: &str, value: &FormValue, out: &mut form_urlencoded::Serializer<String>) {
        match value {
            FormValue::Text(text) => {
                out.append_pair(key, text);
            }
            FormValue::Map(map) => {
                for (name, inner) in map {
                    pairs(&format!("{key}[{name}]"), inner, out);
                }
            }
            FormValue::List(items) => {
                for item in items {
                    pairs(&format!("{key}[]"), item, out);
                }
            }
        }
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in map {
        pairs(name, value, &mut out);
    }
    out.finish()
}

/// Parses a form body (or a query string) into a tree. Never panics.
pub fn parse(input: &str) -> Result<FormMap, FormError> {
    let mut root = FormMap::new();
    for (key, value) in form_urlencoded::parse(input.as_bytes()) {
        let (name, segments) = split_key(&key)?;
        insert(&mut root, name, &segments, value.into_owned(), &key)?;
    }
    Ok(root)
}

/// `a[b][]` → (`a`, [Key(b), Append]).
fn split_key(key: &str) -> Result<(&str, Vec<Segment<'_>>), FormError> {
    let (name, mut rest) = match key.find('[') {
        Some(at) => (&key[..at], &key[at..]),
        None => (key, ""),
    };
    if name.is_empty() {
        return Err(FormError::EmptyName);
    }
    if name.contains(']') {
        return Err(FormError::MalformedKey(key.to_string()));
    }
    let mut segments = Vec::new();
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            return Err(FormError::MalformedKey(key.to_string()));
        };
        let Some(close) = inner.find(']') else {
            return Err(FormError::MalformedKey(key.to_string()));
        };
        let content = &inner[..close];
        if content.contains('[') {
            return Err(FormError::MalformedKey(key.to_string()));
        }
        if segments.len() == MAX_DEPTH {
            return Err(FormError::TooDeep(key.to_string()));
        }
        segments.push(if content.is_empty() {
            Segment::Append
        } else {
            Segment::Key(content)
        });
        rest = &inner[close + 1..];
    }
    if let Some(position) = segments.iter().position(|s| *s == Segment::Append)
        && position + 1 != segments.len()
    {
        return Err(FormError::AppendNotLast(key.to_string()));
    }
    Ok((name, segments))
}

/// Puts `value` at `name` + `segments` under `map`, creating containers on the way.
fn insert(
    map: &mut FormMap,
    name: &str,
    segments: &[Segment<'_>],
    value: String,
    key: &str,
) -> Result<(), FormError> {
    let conflict = || FormError::Conflict(key.to_string());
    match segments.split_first() {
        None => {
            if matches!(map.get(name), Some(FormValue::Map(_) | FormValue::List(_))) {
                return Err(conflict());
            }
            map.insert(name.to_string(), FormValue::Text(value));
            Ok(())
        }
        Some((Segment::Append, _)) => {
            // `[]` is always last (checked by `split_key`).
            let slot = map
                .entry(name.to_string())
                .or_insert_with(|| FormValue::List(Vec::new()));
            match slot {
                FormValue::List(items) => {
                    items.push(FormValue::Text(value));
                    Ok(())
                }
                _ => Err(conflict()),
            }
        }
        Some((Segment::Key(child), rest)) => {
            let slot = map
                .entry(name.to_string())
                .or_insert_with(|| FormValue::Map(FormMap::new()));
            match slot {
                FormValue::Map(inner) => insert(inner, child, rest, value, key),
                _ => Err(conflict()),
            }
        }
    }
}

impl FormValue {
    /// The text of a scalar.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FormValue::Text(text) => Some(text),
            _ => None,
        }
    }

    /// The entries of a hash.
    pub fn as_map(&self) -> Option<&FormMap> {
        match self {
            FormValue::Map(map) => Some(map),
            _ => None,
        }
    }

    /// The items of an array: `a[]=` lists as given, `a[0]=…&a[1]=…` maps in index order.
    /// `None` when this is a scalar or a map with a key that is not an index.
    pub fn as_list(&self) -> Option<Vec<&FormValue>> {
        match self {
            FormValue::List(items) => Some(items.iter().collect()),
            FormValue::Map(map) => {
                let mut indexed = Vec::with_capacity(map.len());
                for (key, value) in map {
                    let index: u64 = key.parse().ok()?;
                    indexed.push((index, value));
                }
                indexed.sort_by_key(|(index, _)| *index);
                Some(indexed.into_iter().map(|(_, value)| value).collect())
            }
            FormValue::Text(_) => None,
        }
    }

    /// A JSON rendering, for error messages and echoing hashes back.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            FormValue::Text(text) => serde_json::Value::String(text.clone()),
            FormValue::Map(map) => serde_json::Value::Object(
                map.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
            ),
            FormValue::List(items) => {
                serde_json::Value::Array(items.iter().map(FormValue::to_json).collect())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> FormValue {
        FormValue::Text(s.to_string())
    }

    fn json(input: &str) -> serde_json::Value {
        match parse(input) {
            Ok(map) => FormValue::Map(map).to_json(),
            Err(e) => panic!("{input}: {e}"),
        }
    }

    #[test]
    fn flat_keys_keep_order_and_decode() {
        let map = parse("amount=2000&currency=usd&description=a+b%26c").unwrap();
        let keys: Vec<_> = map.keys().cloned().collect();
        assert_eq!(keys, ["amount", "currency", "description"]);
        assert_eq!(map["description"], text("a b&c"));
    }

    #[test]
    fn nested_hashes() {
        assert_eq!(
            json("metadata[order_id]=12&metadata[user]=7&payment_method_data[card][number]=4242"),
            serde_json::json!({
                "metadata": {"order_id": "12", "user": "7"},
                "payment_method_data": {"card": {"number": "4242"}}
            })
        );
    }

    #[test]
    fn indexed_arrays_read_as_lists_in_index_order() {
        let map = parse("t[1]=b&t[0]=a&t[10]=c").unwrap();
        let items: Vec<_> = map["t"].as_list().unwrap().into_iter().cloned().collect();
        assert_eq!(items, [text("a"), text("b"), text("c")]);
        // An index under metadata stays a map key.
        let map = parse("metadata[0]=x").unwrap();
        assert_eq!(map["metadata"].as_map().unwrap()["0"], text("x"));
        // A map with a non-index key is not a list.
        assert!(parse("t[0]=a&t[x]=b").unwrap()["t"].as_list().is_none());
    }

    #[test]
    fn empty_brackets_append() {
        assert_eq!(
            json("a[]=x&a[]=y&b[c][]=z"),
            serde_json::json!({"a": ["x", "y"], "b": {"c": ["z"]}})
        );
    }

    #[test]
    fn encode_writes_back_what_parse_read() {
        let map = parse("a[b]=1&c[]=2&c[]=x%20y").unwrap();
        let body = encode(&map);
        assert_eq!(body, "a%5Bb%5D=1&c%5B%5D=2&c%5B%5D=x+y");
        assert_eq!(parse(&body).unwrap(), map);
    }

    #[test]
    fn encoded_brackets_are_brackets() {
        assert_eq!(
            json("metadata%5Border%5D=1"),
            serde_json::json!({"metadata": {"order": "1"}})
        );
    }

    #[test]
    fn last_scalar_wins_and_empty_values_are_kept() {
        assert_eq!(
            json("a=1&a=2&b=&c"),
            serde_json::json!({"a": "2", "b": "", "c": ""})
        );
    }

    #[test]
    fn empty_input_and_stray_ampersands() {
        assert!(parse("").unwrap().is_empty());
        assert_eq!(json("&&a=1&&"), serde_json::json!({"a": "1"}));
    }

    #[test]
    fn malformed_keys_are_errors() {
        for bad in [
            "a[b=1",
            "a]=1",
            "a[b]c=1",
            "a[b[c]]=1",
            "a[b]]=1",
            "a[=1",
            "a][=1",
        ] {
            assert!(
                matches!(parse(bad), Err(FormError::MalformedKey(_))),
                "{bad}"
            );
        }
        for bad in ["=1", "[a]=1", "[]=1"] {
            assert_eq!(parse(bad), Err(FormError::EmptyName), "{bad}");
        }
        assert!(matches!(
            parse("a[][b]=1"),
            Err(FormError::AppendNotLast(_))
        ));
    }

    #[test]
    fn conflicting_shapes_are_errors() {
        for bad in [
            "a=1&a[b]=2",
            "a[b]=2&a=1",
            "a[]=1&a[0]=2",
            "a[0]=1&a[]=2",
            "a[]=1&a=2",
            "a[b]=1&a[b][c]=2",
        ] {
            assert!(matches!(parse(bad), Err(FormError::Conflict(_))), "{bad}");
        }
    }

    #[test]
    fn depth_is_limited() {
        let ok = format!("a{}=1", "[x]".repeat(MAX_DEPTH));
        assert!(parse(&ok).is_ok());
        let deep = format!("a{}=1", "[x]".repeat(MAX_DEPTH + 1));
        assert!(matches!(parse(&deep), Err(FormError::TooDeep(_))));
        let very_deep = format!("a{}=1", "[x]".repeat(100_000));
        assert!(matches!(parse(&very_deep), Err(FormError::TooDeep(_))));
    }

    #[test]
    fn nasty_inputs_never_panic() {
        let nasty = [
            "%",
            "%%",
            "%zz=%zz",
            "%ff%fe=%c3%28",
            "a[%5D=1",
            "a%5B=1",
            "\u{0}=\u{0}",
            "a[\u{1F600}]=\u{1F600}",
            "==",
            "a==b",
            "a[]]=1",
            "[[[]]]",
            "]]]=1",
            "a[0][]=1",
            "a[99999999999999999999999]=1",
            "a[-1]=1",
            "a[ ]=1",
            "a[]",
            "+[+]=+",
            "a[b]&a[b][c]",
            "a&a[]",
            "a[]&a",
        ];
        for input in nasty {
            let _ = parse(input);
        }
        // A brute-force sweep over short strings of the interesting characters.
        let alphabet = ['a', '[', ']', '=', '&', '%', '0', '+'];
        let mut input = String::new();
        for n in 0..(alphabet.len().pow(5)) {
            input.clear();
            let mut rest = n;
            for _ in 0..5 {
                input.push(alphabet[rest % alphabet.len()]);
                rest /= alphabet.len();
            }
            let _ = parse(&input);
        }
    }

    #[test]
    fn index_lists_ignore_huge_or_negative_indexes_gracefully() {
        let map = parse("a[99999999999999999999999]=1").unwrap();
        assert!(map["a"].as_list().is_none());
        let map = parse("a[18446744073709551615]=1&a[0]=0").unwrap();
        assert_eq!(map["a"].as_list().unwrap().len(), 2);
    }
}
