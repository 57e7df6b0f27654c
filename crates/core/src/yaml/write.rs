//! The YAML writer, for the specs gigcheck generates (`import`, `request --save`): block
//! mappings and sequences, comments before any entry or item, and strings quoted whenever a
//! plain scalar could be read back as anything else.

use serde_json::Value;

/// A YAML value with room for comments.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number as written (JSON number syntax).
    Number(String),
    /// A string: plain when that reads back as the same string, else double-quoted.
    Str(String),
    /// A block sequence, one `- item` per line; `[]` when empty.
    Seq(Vec<Item>),
    /// A block mapping, one `key: value` per line in this order; `{}` when empty.
    Map(Vec<Entry>),
}

/// A mapping entry, with comment lines written before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Comment lines, without the `#`; line breaks and control characters become spaces.
    pub comments: Vec<String>,
    /// The key, quoted on output when it needs to be.
    pub key: String,
    /// The value, after `key:` or on the lines below it.
    pub value: Node,
}

/// A sequence item, with comment lines written before it.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    /// Comment lines, without the `#`; line breaks and control characters become spaces.
    pub comments: Vec<String>,
    /// The value, after the `- `.
    pub value: Node,
}

impl Node {
    /// A string scalar, quoted on output when it needs to be.
    pub fn str(s: impl Into<String>) -> Node {
        Node::Str(s.into())
    }

    /// A mapping from entries without comments.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Node)>) -> Node {
        Node::Map(entries.into_iter().map(|(k, v)| Entry::new(k, v)).collect())
    }

    /// A sequence from items without comments.
    pub fn seq(items: impl IntoIterator<Item = Node>) -> Node {
        Node::Seq(
            items
                .into_iter()
                .map(|value| Item {
                    comments: Vec::new(),
                    value,
                })
                .collect(),
        )
    }

    /// A JSON value as YAML, keys in their order.
    pub fn from_json(value: &Value) -> Node {
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::Number(n.to_string()),
            Value::String(s) => Node::Str(s.clone()),
            Value::Array(items) => Node::seq(items.iter().map(Node::from_json)),
            Value::Object(o) => Node::map(o.iter().map(|(k, v)| (k.clone(), Node::from_json(v)))),
        }
    }

    /// Every string in the value (not the keys), in document order.
    pub fn strings(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_strings(&mut out);
        out
    }

    fn collect_strings<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Node::Str(s) => out.push(s),
            Node::Seq(items) => items.iter().for_each(|i| i.value.collect_strings(out)),
            Node::Map(entries) => entries.iter().for_each(|e| e.value.collect_strings(out)),
            _ => {}
        }
    }
}

impl Entry {
    /// An entry without comments.
    pub fn new(key: impl Into<String>, value: Node) -> Entry {
        Entry {
            comments: Vec::new(),
            key: key.into(),
            value,
        }
    }

    /// The entry with these comment lines before it, replacing any it had.
    pub fn with_comments(mut self, comments: Vec<String>) -> Entry {
        self.comments = comments;
        self
    }
}

/// The document: header comments, then the root mapping.
pub fn render(header: &[String], root: &[Entry]) -> String {
    let mut out = String::new();
    for line in header {
        push_comment(&mut out, 0, line);
    }
    for entry in root {
        render_entry(&mut out, 0, entry);
    }
    out
}

/// A JSON value as block YAML: a mapping's entries or a list's items, one per line, or a
/// scalar on its own line.
pub fn block(value: &Value) -> String {
    let mut out = String::new();
    match Node::from_json(value) {
        Node::Map(entries) if !entries.is_empty() => {
            entries.iter().for_each(|e| render_entry(&mut out, 0, e));
        }
        Node::Seq(items) if !items.is_empty() => {
            items.iter().for_each(|i| render_item(&mut out, 0, i));
        }
        other => {
            out.push_str(&inline(&other));
            out.push('\n');
        }
    }
    out
}

fn push_comment(out: &mut String, indent: usize, text: &str) {
    let text = comment_text(text);
    out.push_str(&" ".repeat(indent));
    if text.is_empty() {
        out.push_str("#\n");
    } else {
        out.push_str("# ");
        out.push_str(&text);
        out.push('\n');
    }
}

/// Comment text on one line: line breaks and other control characters become spaces.
pub fn comment_text(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if is_break_or_control(c) { ' ' } else { c })
        .collect();
    flat.trim_end().to_string()
}

fn is_break_or_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

fn render_entry(out: &mut String, indent: usize, entry: &Entry) {
    for c in &entry.comments {
        push_comment(out, indent, c);
    }
    out.push_str(&" ".repeat(indent));
    out.push_str(&scalar(&entry.key));
    out.push(':');
    render_value_after_key(out, indent, &entry.value);
}

fn render_value_after_key(out: &mut String, indent: usize, value: &Node) {
    match value {
        Node::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            entries
                .iter()
                .for_each(|e| render_entry(out, indent + 2, e));
        }
        Node::Seq(items) if !items.is_empty() => {
            out.push('\n');
            items.iter().for_each(|i| render_item(out, indent + 2, i));
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

fn render_item(out: &mut String, indent: usize, item: &Item) {
    for c in &item.comments {
        push_comment(out, indent, c);
    }
    let pad = " ".repeat(indent);
    match &item.value {
        Node::Map(entries) if !entries.is_empty() => {
            for c in &entries[0].comments {
                push_comment(out, indent, c);
            }
            let first = Entry {
                comments: Vec::new(),
                ..entries[0].clone()
            };
            let mut nested = String::new();
            render_entry(&mut nested, indent + 2, &first);
            out.push_str(&pad);
            out.push_str("- ");
            out.push_str(&nested[indent + 2..]);
            entries[1..]
                .iter()
                .for_each(|e| render_entry(out, indent + 2, e));
        }
        Node::Seq(items) if !items.is_empty() => {
            out.push_str(&pad);
            out.push_str("-\n");
            items.iter().for_each(|i| render_item(out, indent + 2, i));
        }
        other => {
            out.push_str(&pad);
            out.push_str("- ");
            out.push_str(&inline(other));
            out.push('\n');
        }
    }
}

/// A scalar or an empty collection on one line.
fn inline(node: &Node) -> String {
    match node {
        Node::Null => "null".to_string(),
        Node::Bool(b) => b.to_string(),
        Node::Number(n) => n.clone(),
        Node::Str(s) => scalar(s),
        Node::Seq(_) => "[]".to_string(),
        Node::Map(_) => "{}".to_string(),
    }
}

/// Words YAML 1.1 or 1.2 read as booleans or null when unquoted.
const SPECIAL_WORDS: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", ".inf", "-.inf", "+.inf",
    ".nan", "=", "<<",
];

/// A string as a YAML scalar: plain when that reads back as the same string, else double-quoted.
pub fn scalar(s: &str) -> String {
    if plain_is_safe(s) {
        s.to_string()
    } else {
        double_quoted(s)
    }
}

fn plain_is_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    let looks_numeric = first.is_ascii_digit()
        || (matches!(first, '+' | '-' | '.')
            && s.chars()
                .nth(1)
                .is_some_and(|c| c.is_ascii_digit() || c == '.'));
    let allowed_char = |c: char| (' '..='~').contains(&c) || (!c.is_ascii() && c.is_alphanumeric());
    !looks_numeric
        && !"-?:,[]{}#&*!|>'\"%@`<=".contains(first)
        && s.trim() == s
        && !SPECIAL_WORDS.contains(&s.to_ascii_lowercase().as_str())
        && s.chars().all(allowed_char)
        && !s.chars().any(|c| "[]{},".contains(c))
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.ends_with(':')
}

fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_break_or_control(c) || c == '\u{85}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads_back(s: &str) {
        let doc = format!("k: {}\n{}: v\n- {}\n", scalar(s), scalar(s), scalar(s));
        let map_part = doc.lines().take(2).collect::<Vec<_>>().join("\n");
        let (v, _) = crate::yaml::to_value(&map_part)
            .unwrap_or_else(|e| panic!("{s:?} as {:?}: {e}", scalar(s)));
        assert_eq!(v["k"], Value::String(s.to_string()), "{s:?}");
        assert!(v.as_object().unwrap().contains_key(s), "key {s:?}");
        let seq: Vec<String> = crate::yaml::from_str(&format!("- {}\n", scalar(s))).unwrap();
        assert_eq!(seq, [s]);
    }

    #[test]
    fn tricky_strings_read_back_unchanged() {
        for s in [
            "",
            " ",
            "plain",
            "two words",
            "true",
            "False",
            "yes",
            "NO",
            "on",
            "y",
            "null",
            "~",
            "123",
            "1.5",
            "-1",
            "+1",
            ".5",
            "1e3",
            "0x1F",
            "0o17",
            "1_000",
            "12:30",
            "2026-11-25",
            ".inf",
            ".NaN",
            "-",
            "- x",
            "?",
            "? x",
            ":",
            "a: b",
            "a:b",
            "a #b",
            "a#b",
            "#x",
            "{{token}}",
            "Bearer {{token}}",
            "/api/orders/{{order_id}}",
            "$.orders[0].id",
            "$.a['b c']",
            "[x]",
            "x, y",
            "*alias",
            "&anchor",
            "!tag",
            "|",
            ">",
            "'single'",
            "\"double\"",
            "it's",
            "%percent",
            "@at",
            "`tick",
            "back\\slash",
            "line\nbreak",
            "tab\there",
            "trailing ",
            " leading",
            "ends with colon:",
            "<<",
            "=",
            "unicode é ü ✓",
            "nel\u{85}x",
            "ls\u{2028}x",
            "bom\u{feff}",
            "bell\u{7}",
            "del\u{7f}",
        ] {
            reads_back(s);
        }
    }

    #[test]
    fn generated_strings_read_back_unchanged() {
        let alphabet: Vec<char> = "a1 -:#[]{},'\"\\?!&*|>%@`.\n\t~yY0eE+x".chars().collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 6) as usize;
            for i in 0..len {
                let idx = ((state >> (i * 8)) % alphabet.len() as u64) as usize;
                s.push(alphabet[idx]);
            }
            reads_back(&s);
        }
    }

    #[test]
    fn documents_with_comments_render_and_parse() {
        let step = Node::Map(vec![
            Entry::new("name", Node::str("Create")).with_comments(vec!["first".into()]),
            Entry::new(
                "request",
                Node::map([
                    ("method", Node::str("POST")),
                    (
                        "json",
                        Node::from_json(&serde_json::json!({"a": [1, [2], {}], "b": {"c": null}})),
                    ),
                ]),
            ),
        ]);
        let root = vec![
            Entry::new("name", Node::str("Suite: one")),
            Entry::new(
                "steps",
                Node::Seq(vec![Item {
                    comments: vec!["postman: pm.test(\"x\")\nsecond line".into()],
                    value: step,
                }]),
            ),
            Entry::new("empty", Node::Seq(vec![])),
        ];
        let text = render(&["header".into()], &root);
        assert_eq!(
            text,
            "# header\nname: \"Suite: one\"\nsteps:\n  # postman: pm.test(\"x\") second line\n  # first\n  - name: Create\n    request:\n      method: POST\n      json:\n        a:\n          - 1\n          -\n            - 2\n          - {}\n        b:\n          c: null\nempty: []\n"
        );
        let (v, _) = crate::yaml::to_value(&text).unwrap();
        assert_eq!(v["steps"][0]["request"]["json"]["a"][1][0], 2);
    }
}
