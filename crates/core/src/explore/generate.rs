//! Values from JSON Schemas, for exploring a backend: [`Generator::valid`] makes a value the
//! schema accepts, and [`Generator::mutations`] takes a valid one apart field by field into
//! values it must refuse (a required field missing, a wrong type, a null, an empty string, a
//! number past a bound, a value outside an enumeration) and into odd values it accepts (long,
//! quoted, control and non-Latin text) that a backend must still handle without a 5xx.
//!
//! Schemas are read from one document (the OpenAPI document of `crate::openapi`), which their
//! `$ref`s point into. Everything is drawn from a seeded generator: one seed, one sequence.

use serde_json::{Map, Value, json};

/// What a backend must do with a generated value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The schema refuses it: the answer must be a 4xx.
    Refused,
    /// The schema accepts it, oddly shaped: any answer but a 5xx or a leak.
    Handled,
}

/// One value derived from a valid one.
#[derive(Debug, Clone, PartialEq)]
pub struct Mutation {
    /// What was changed, for a person (`items/0/quantity: 0, below the minimum 1`).
    pub what: String,
    /// The whole value, changed.
    pub value: Value,
    /// Where it was changed (a JSON Pointer; empty for the whole value).
    pub pointer: String,
    /// What is there now; `None`: the field was left out.
    pub replacement: Option<Value>,
    /// What the backend must do with it.
    pub expect: Expect,
}

/// Draws values for the schemas of one document.
pub struct Generator<'a> {
    doc: &'a Value,
    rng: fastrand::Rng,
}

/// How deep `$ref`s and nesting are followed before a value is cut short.
const MAX_DEPTH: usize = 12;

/// Text a backend should store or refuse cleanly: quotes, SQL, markup, control characters,
/// non-Latin scripts, a lone emoji.
const ODD_TEXT: &[&str] = &[
    "O'Brien \"quoted\"",
    "'; DROP TABLE orders; --",
    "<script>alert(1)</script>",
    "tab\tnew\nline\u{0}nul",
    "Łódź – Zürich – 東京 – القاهرة",
    "🙂",
    "%s%n{{7*7}}${7*7}",
];

impl<'a> Generator<'a> {
    /// A generator over the schemas of `doc`, drawing from `seed`.
    pub fn new(doc: &'a Value, seed: u64) -> Generator<'a> {
        Generator {
            doc,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The schema a `$ref` points to (`#/components/schemas/…`), if it is in the document.
    pub fn resolve<'s>(&self, schema: &'s Value) -> &'s Value
    where
        'a: 's,
    {
        let mut schema = schema;
        for _ in 0..MAX_DEPTH {
            match schema.get("$ref").and_then(Value::as_str) {
                Some(r) => match r.strip_prefix('#').and_then(|p| self.doc.pointer(p)) {
                    Some(target) => schema = target,
                    None => return &Value::Null,
                },
                None => return schema,
            }
        }
        schema
    }

    /// The generator's random source, for choices beyond values.
    pub fn rng(&mut self) -> &mut fastrand::Rng {
        &mut self.rng
    }

    /// A value `schema` accepts.
    pub fn valid(&mut self, schema: &Value) -> Value {
        self.valid_at(schema, 0)
    }

    fn valid_at(&mut self, schema: &Value, depth: usize) -> Value {
        let schema = self.resolve(schema);
        if depth > MAX_DEPTH {
            return Value::Null;
        }
        if let Some(c) = schema.get("const") {
            return c.clone();
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && !options.is_empty()
        {
            return options[self.rng.usize(..options.len())].clone();
        }
        for key in ["anyOf", "oneOf"] {
            if let Some(options) = schema.get(key).and_then(Value::as_array)
                && !options.is_empty()
            {
                let pick = &options[self.rng.usize(..options.len())];
                return self.valid_at(pick, depth + 1);
            }
        }
        match self.type_of(schema) {
            "object" => self.object(schema, depth),
            "array" => {
                // Nested arrays multiply: few items each, whatever the schema asks.
                let min = usize_of(schema, "minItems").unwrap_or(0).min(MAX_ITEMS);
                let max = usize_of(schema, "maxItems").unwrap_or(min + 2).max(min);
                let n = self.rng.usize(min..=max.min(min + 2));
                let items = schema.get("items").unwrap_or(&Value::Null);
                Value::Array((0..n).map(|_| self.valid_at(items, depth + 1)).collect())
            }
            "integer" => {
                let (lo, hi) = bounds(schema);
                json!(self.rng.i64(lo..=hi.min(lo.saturating_add(1000))))
            }
            "number" => {
                let (lo, hi) = bounds(schema);
                let whole = self.rng.i64(lo..=hi.min(lo.saturating_add(1000)));
                json!(whole as f64 + if whole < hi { 0.5 } else { 0.0 })
            }
            "boolean" => json!(self.rng.bool()),
            "null" => Value::Null,
            _ => Value::String(self.string(schema)),
        }
    }

    /// The type to generate: the schema's (one of them if it lists several, never `null` when
    /// another is allowed), else guessed from its keywords.
    fn type_of(&mut self, schema: &Value) -> &'static str {
        let named = match schema.get("type") {
            Some(Value::String(t)) => Some(t.as_str()),
            Some(Value::Array(types)) => {
                let types: Vec<&str> = types
                    .iter()
                    .filter_map(Value::as_str)
                    .filter(|t| *t != "null")
                    .collect();
                (!types.is_empty()).then(|| types[self.rng.usize(..types.len())])
            }
            _ => None,
        };
        match named {
            Some("object") => "object",
            Some("array") => "array",
            Some("integer") => "integer",
            Some("number") => "number",
            Some("boolean") => "boolean",
            Some("null") => "null",
            Some(_) => "string",
            None if schema.get("properties").is_some() => "object",
            None if schema.get("items").is_some() => "array",
            None if schema.get("minimum").is_some() => "integer",
            None => "string",
        }
    }

    fn object(&mut self, schema: &Value, depth: usize) -> Value {
        let required = required(schema);
        let mut out = Map::new();
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, property) in properties {
                if required.contains(&name.as_str()) || self.rng.bool() {
                    out.insert(name.clone(), self.valid_at(property, depth + 1));
                }
            }
        }
        Value::Object(out)
    }

    fn string(&mut self, schema: &Value) -> String {
        if schema.get("format").and_then(Value::as_str) == Some("email") {
            return format!("explore.{:08x}@example.com", self.rng.u32(..));
        }
        let min = usize_of(schema, "minLength").unwrap_or(0);
        let mut text = match schema.get("pattern").and_then(Value::as_str) {
            Some(p) => from_pattern(p, &mut self.rng).unwrap_or_default(),
            None => String::new(),
        };
        // allOf of patterns (a password's classes): one character of each.
        if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
            for part in parts {
                if let Some(p) = part.get("pattern").and_then(Value::as_str)
                    && let Some(piece) = from_pattern(p, &mut self.rng)
                {
                    text.push_str(&piece);
                }
            }
        }
        let anchored = schema
            .get("pattern")
            .and_then(Value::as_str)
            .is_some_and(|p| p.ends_with('$'));
        if !anchored {
            let target = min.max(text.chars().count()) + self.rng.usize(1..=6);
            while text.chars().count() < target {
                text.push(self.rng.alphanumeric());
            }
        }
        text
    }

    /// Values derived from `valid` (a value of `schema`): each field changed one way at a time.
    pub fn mutations(&mut self, schema: &Value, valid: &Value) -> Vec<Mutation> {
        let mut out = Vec::new();
        self.mutate(schema, valid, "", &mut |pointer, value, what, expect| {
            let mut whole = valid.clone();
            let replaced = if pointer.is_empty() {
                whole = value.clone();
                true
            } else {
                match whole.pointer_mut(pointer) {
                    Some(slot) => {
                        *slot = value.clone();
                        true
                    }
                    None => false,
                }
            };
            if replaced {
                out.push(Mutation {
                    what,
                    value: whole,
                    pointer: pointer.to_string(),
                    replacement: Some(value.clone()),
                    expect,
                });
            }
        });
        out.extend(self.removals(schema, valid, ""));
        out
    }

    /// Every required field left out, one at a time, at any depth.
    fn removals(&self, schema: &Value, valid: &Value, at: &str) -> Vec<Mutation> {
        let schema = self.resolve(schema);
        let mut out = Vec::new();
        if let (Some(object), Some(properties)) = (
            valid.as_object(),
            schema.get("properties").and_then(Value::as_object),
        ) {
            for name in required(schema) {
                if object.contains_key(name) {
                    let mut whole = object.clone();
                    whole.remove(name);
                    out.push(Mutation {
                        what: format!("{at}/{name}: left out (required)"),
                        value: Value::Object(whole),
                        pointer: format!("{at}/{}", escape(name)),
                        replacement: None,
                        expect: Expect::Refused,
                    });
                }
            }
            for (name, property) in properties {
                if let Some(child) = object.get(name) {
                    for m in self.removals(property, child, &format!("{at}/{}", escape(name))) {
                        let mut whole = object.clone();
                        whole.insert(name.clone(), m.value);
                        out.push(Mutation {
                            value: Value::Object(whole),
                            ..m
                        });
                    }
                }
            }
        }
        if let (Some(items), Some(item_schema)) = (valid.as_array(), schema.get("items"))
            && let Some(first) = items.first()
        {
            for m in self.removals(item_schema, first, &format!("{at}/0")) {
                let mut whole = items.clone();
                whole[0] = m.value;
                out.push(Mutation {
                    value: Value::Array(whole),
                    ..m
                });
            }
        }
        out
    }

    /// Calls `emit(pointer, value, what, expect)` for each changed value of the node at `at`.
    fn mutate(
        &mut self,
        schema: &Value,
        valid: &Value,
        at: &str,
        emit: &mut dyn FnMut(&str, &Value, String, Expect),
    ) {
        let schema = self.resolve(schema);
        let name = if at.is_empty() { "the body" } else { at };
        let types = allowed_types(self, schema);
        let accepts = |t: &str| types.is_empty() || types.iter().any(|a| a == t);
        // A wrong type: each JSON type the schema does not allow, one of each.
        for (kind, sample) in [
            ("string", json!("not-a-number")),
            ("integer", json!(12345)),
            ("boolean", json!(true)),
            ("array", json!([])),
            ("object", json!({})),
            ("null", Value::Null),
        ] {
            let ok = accepts(kind) || (kind == "integer" && accepts("number"));
            if !ok && !types.is_empty() && !matches!(schema.get("const"), Some(c) if *c == sample) {
                emit(
                    at,
                    &sample,
                    format!(
                        "{name}: {} instead of {}",
                        describe(&sample),
                        types.join(" or ")
                    ),
                    Expect::Refused,
                );
            }
        }
        if accepts("integer") || accepts("number") {
            if let Some(min) = schema.get("minimum").and_then(Value::as_i64) {
                // Zero and a negative, where the bound is above them: the classic slips.
                for n in [0, -1].into_iter().filter(|n| *n < min.saturating_sub(1)) {
                    emit(
                        at,
                        &json!(n),
                        format!("{name}: {n}, below the minimum {min}"),
                        Expect::Refused,
                    );
                }
                let below = json!(min.saturating_sub(1));
                emit(
                    at,
                    &below,
                    format!("{name}: {below}, below the minimum {min}"),
                    Expect::Refused,
                );
            }
            if let Some(max) = schema.get("maximum").and_then(Value::as_i64) {
                let above = json!(max.saturating_add(1));
                emit(
                    at,
                    &above,
                    format!("{name}: {above}, above the maximum {max}"),
                    Expect::Refused,
                );
            }
            if accepts("integer") && !accepts("number") {
                emit(
                    at,
                    &json!(1.5),
                    format!("{name}: 1.5, not a whole number"),
                    Expect::Refused,
                );
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array)
            && options.iter().all(Value::is_string)
        {
            let outside = json!("not-one-of-them");
            emit(
                at,
                &outside,
                format!("{name}: a value outside the enumeration"),
                Expect::Refused,
            );
        }
        if accepts("string") && schema.get("enum").is_none() && schema.get("const").is_none() {
            let min = usize_of(schema, "minLength").unwrap_or(0);
            let constrained = schema.get("pattern").is_some()
                || schema.get("allOf").is_some()
                || schema.get("format").is_some();
            if min > 0 {
                emit(at, &json!(""), format!("{name}: empty"), Expect::Refused);
            }
            if min > 1 {
                let short = "a".repeat(min - 1);
                emit(
                    at,
                    &json!(short),
                    format!("{name}: {} characters, fewer than {min}", min - 1),
                    Expect::Refused,
                );
            }
            if schema.get("format").and_then(Value::as_str) == Some("email") {
                emit(
                    at,
                    &json!("not-an-email"),
                    format!("{name}: not an email address"),
                    Expect::Refused,
                );
            }
            // Text of the right length that breaks the pattern (or one of several).
            let patterns: Vec<&str> = std::iter::once(schema.get("pattern"))
                .chain(
                    schema
                        .get("allOf")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                        .map(|part| part.get("pattern")),
                )
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let length = min.max(10);
            let breaking = ["a", "A", "1", "!", " "]
                .into_iter()
                .map(|c| c.repeat(length))
                .find(|text| {
                    patterns
                        .iter()
                        .any(|p| regex::Regex::new(p).is_ok_and(|re| !re.is_match(text)))
                });
            if let Some(text) = breaking {
                emit(
                    at,
                    &json!(text),
                    format!("{name}: {text:?}, against its pattern"),
                    Expect::Refused,
                );
            }
            let long = "x".repeat(10_000);
            emit(
                at,
                &json!(long),
                format!("{name}: 10 000 characters"),
                if constrained {
                    Expect::Refused
                } else {
                    Expect::Handled
                },
            );
            if !constrained {
                let odd = ODD_TEXT[self.rng.usize(..ODD_TEXT.len())];
                emit(
                    at,
                    &json!(odd),
                    format!("{name}: odd text {odd:?}"),
                    Expect::Handled,
                );
            }
        }
        if let (Some(object), Some(properties)) = (
            valid.as_object(),
            schema.get("properties").and_then(Value::as_object),
        ) {
            for (key, property) in properties {
                if let Some(child) = object.get(key) {
                    let pointer = format!("{at}/{}", escape(key));
                    self.mutate(property, child, &pointer, emit);
                }
            }
        }
        if let (Some(items), Some(item_schema)) = (valid.as_array(), schema.get("items")) {
            if let Some(first) = items.first() {
                self.mutate(item_schema, first, &format!("{at}/0"), emit);
            }
            if let Some(min) = usize_of(schema, "minItems").filter(|m| *m > 0) {
                let fewer = Value::Array(items.iter().take(min - 1).cloned().collect());
                emit(
                    at,
                    &fewer,
                    format!("{name}: fewer than {min} items"),
                    Expect::Refused,
                );
            }
        }
    }
}

/// The JSON types `schema` allows (empty: any), looking through `anyOf`/`oneOf` branches.
fn allowed_types(g: &Generator<'_>, schema: &Value) -> Vec<String> {
    let mut out: Vec<String> = match schema.get("type") {
        Some(Value::String(t)) => vec![t.clone()],
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect(),
        _ => Vec::new(),
    };
    if let Some(c) = schema.get("const") {
        out.push(json_type(c).into());
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        out.extend(options.iter().map(|o| json_type(o).to_string()));
    }
    for key in ["anyOf", "oneOf"] {
        if let Some(branches) = schema.get(key).and_then(Value::as_array) {
            for b in branches {
                let more = allowed_types(g, g.resolve(b));
                if more.is_empty() {
                    return Vec::new();
                }
                out.extend(more);
            }
        }
    }
    if out.is_empty() && schema.get("properties").is_some() {
        out.push("object".into());
    }
    out.sort();
    out.dedup();
    out
}

/// A member name as a JSON Pointer segment.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// `value` with `m` applied: the field at its pointer replaced or left out. `None` when the
/// pointer is not in `value` (a field the filled value does not have).
pub fn apply(value: &Value, m: &Mutation) -> Option<Value> {
    let Some((parent, last)) = m.pointer.rsplit_once('/') else {
        return m.replacement.clone();
    };
    let name = last.replace("~1", "/").replace("~0", "~");
    let mut out = value.clone();
    let container = out.pointer_mut(parent)?;
    match (&m.replacement, container) {
        (Some(replacement), Value::Object(map)) => {
            map.insert(name, replacement.clone());
        }
        (Some(replacement), Value::Array(items)) => {
            *items.get_mut(name.parse::<usize>().ok()?)? = replacement.clone();
        }
        (None, Value::Object(map)) => {
            map.remove(&name);
        }
        _ => return None,
    }
    Some(out)
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "an object".into(),
        other => format!("{other}"),
    }
}

fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A length or count bound of the schema, capped: a schema asking for a billion characters or
/// items gets a value as long as the cap (which it refuses) rather than exhausting memory.
fn usize_of(schema: &Value, key: &str) -> Option<usize> {
    schema
        .get(key)
        .and_then(Value::as_u64)
        .map(|n| usize::try_from(n).unwrap_or(usize::MAX).min(MAX_SIZE))
}

/// The most characters or items a generated value gets from a bound.
const MAX_SIZE: usize = 20_000;

/// The most items a generated array gets.
const MAX_ITEMS: usize = 8;

/// `minimum`..=`maximum` (exclusive bounds moved in by one), defaulting to 0..=1000.
fn bounds(schema: &Value) -> (i64, i64) {
    let lo = schema
        .get("minimum")
        .and_then(Value::as_i64)
        .or_else(|| {
            schema
                .get("exclusiveMinimum")
                .and_then(Value::as_i64)
                .map(|n| n.saturating_add(1))
        })
        .unwrap_or(0);
    let hi = schema
        .get("maximum")
        .and_then(Value::as_i64)
        .or_else(|| {
            schema
                .get("exclusiveMaximum")
                .and_then(Value::as_i64)
                .map(|n| n.saturating_sub(1))
        })
        .unwrap_or(lo.saturating_add(1000));
    (lo, hi.max(lo))
}

/// A string matching a simple pattern: literals, `[…]` classes with ranges, `\d`/`\w`, the
/// quantifiers `+ * ? {n} {n,m}`, and `^`/`$`. `None` for anything else (alternation, groups).
fn from_pattern(pattern: &str, rng: &mut fastrand::Rng) -> Option<String> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let choices: Vec<char> = match chars[i] {
            '^' | '$' => {
                i += 1;
                continue;
            }
            '[' => {
                let end = chars[i + 1..].iter().position(|&c| c == ']')? + i + 1;
                let class = class_chars(&chars[i + 1..end])?;
                i = end + 1;
                class
            }
            '\\' => {
                let c = *chars.get(i + 1)?;
                i += 2;
                match c {
                    'd' => ('0'..='9').collect(),
                    'w' => ('a'..='z').chain('0'..='9').chain(['_']).collect(),
                    c if c.is_ascii_punctuation() => vec![c],
                    _ => return None,
                }
            }
            '(' | ')' | '|' | '.' => return None,
            c => {
                i += 1;
                vec![c]
            }
        };
        let (min, max, used) = quantifier(&chars[i..])?;
        i += used;
        let n = rng.usize(min..=max);
        for _ in 0..n {
            out.push(choices[rng.usize(..choices.len())]);
        }
    }
    Some(out)
}

/// The characters of a class body (`A-Za-z0-9_`, `!@#`); a negated class is not supported.
fn class_chars(body: &[char]) -> Option<Vec<char>> {
    if body.first() == Some(&'^') || body.is_empty() {
        return None;
    }
    let mut out = Vec::new();
    let mut j = 0;
    while j < body.len() {
        let c = if body[j] == '\\' {
            j += 1;
            *body.get(j)?
        } else {
            body[j]
        };
        if body.get(j + 1) == Some(&'-') && j + 2 < body.len() {
            out.extend(c..=body[j + 2]);
            j += 3;
        } else {
            out.push(c);
            j += 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `(min, max, characters used)` of the quantifier at the start of `rest` (none: exactly one).
fn quantifier(rest: &[char]) -> Option<(usize, usize, usize)> {
    match rest.first() {
        Some('+') => Some((1, 8, 1)),
        Some('*') => Some((0, 8, 1)),
        Some('?') => Some((0, 1, 1)),
        Some('{') => {
            let end = rest.iter().position(|&c| c == '}')?;
            let body: String = rest[1..end].iter().collect();
            let (lo, hi): (usize, usize) = match body.split_once(',') {
                Some((lo, "")) => (
                    lo.parse().ok()?,
                    lo.parse::<usize>().ok()?.saturating_add(8),
                ),
                Some((lo, hi)) => (lo.parse().ok()?, hi.parse().ok()?),
                None => (body.parse().ok()?, body.parse().ok()?),
            };
            // An impossible or enormous repetition is left to the caller's fallback.
            (lo <= hi && hi <= 1000).then_some((lo, hi, end + 1))
        }
        _ => Some((1, 1, 0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The project's request schemas in one document, as `gigcheck openapi` bundles them.
    fn document() -> Value {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let contract =
            crate::contract::Contract::load(&root.join("fixtures/contract.yaml")).unwrap();
        crate::openapi::document(
            &contract,
            &root.join("fixtures/schemas"),
            &crate::openapi::Info::default(),
        )
        .unwrap()
    }

    fn validator(doc: &Value, component: &str) -> jsonschema::Validator {
        let mut schema = doc.clone();
        schema["$ref"] = json!(format!("#/components/schemas/{component}"));
        jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .should_validate_formats(true)
            .build(&schema)
            .unwrap()
    }

    const REQUESTS: &[&str] = &[
        "requests.register",
        "requests.login",
        "requests.address",
        "requests.order",
        "requests.status-update",
        "requests.payment-intent",
        "requests.confirm-payment",
        "requests.stripe-event",
    ];

    #[test]
    fn valid_values_pass_their_schema_and_mutations_to_refuse_fail_it() {
        let doc = document();
        for component in REQUESTS {
            let check = validator(&doc, component);
            let schema = &doc["components"]["schemas"][component];
            for seed in 0..40 {
                let mut g = Generator::new(&doc, seed);
                let value = g.valid(schema);
                let errors: Vec<String> =
                    check.iter_errors(&value).map(|e| e.to_string()).collect();
                assert!(
                    errors.is_empty(),
                    "{component} seed {seed}: {value} is refused: {errors:?}"
                );
                for m in g.mutations(schema, &value) {
                    let accepted = check.is_valid(&m.value);
                    match m.expect {
                        Expect::Refused => {
                            assert!(!accepted, "{component}: {} ({}) passes", m.what, m.value)
                        }
                        Expect::Handled => {
                            assert!(accepted, "{component}: {} ({}) fails", m.what, m.value)
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn one_seed_one_sequence() {
        let doc = document();
        let schema = &doc["components"]["schemas"]["requests.order"];
        let draw = |seed| {
            let mut g = Generator::new(&doc, seed);
            let v = g.valid(schema);
            let m: Vec<String> = g
                .mutations(schema, &v)
                .into_iter()
                .map(|m| m.what)
                .collect();
            (v, m)
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7).0, draw(8).0);
    }

    #[test]
    fn mutations_cover_each_kind_of_invalid_field() {
        let doc = document();
        let schema = &doc["components"]["schemas"]["requests.order"];
        let mut g = Generator::new(&doc, 1);
        let valid = g.valid(schema);
        let what: Vec<String> = g
            .mutations(schema, &valid)
            .into_iter()
            .map(|m| m.what)
            .collect();
        for expected in [
            "/items/0/quantity: 0, below the minimum 1",
            "/items/0/quantity: 1.5, not a whole number",
            "/items/0/product_id: \"not-a-number\" instead of integer",
            "/items: fewer than 1 items",
            "/shipping_method: empty",
            "/billing_address_id: left out (required)",
            "/items/0/quantity: left out (required)",
            "the body: an array instead of object",
        ] {
            assert!(
                what.iter().any(|w| w == expected),
                "{expected} missing from {what:#?}"
            );
        }
    }

    #[test]
    fn patterns_give_matching_text() {
        let mut rng = fastrand::Rng::with_seed(3);
        for (pattern, check) in [
            ("^pi_[A-Za-z0-9_]+$", "^pi_[A-Za-z0-9_]+$"),
            ("^[a-z]{3}$", "^[a-z]{3}$"),
            ("[!@#$%^&*(),.?\":{}|<>]", "[!@#$%^&*(),.?\":{}|<>]"),
        ] {
            let text = from_pattern(pattern, &mut rng).unwrap();
            assert!(
                regex::Regex::new(check).unwrap().is_match(&text),
                "{pattern}: {text}"
            );
        }
        for unsupported in ["(a|b)", "a{3,1}", "[", "[^a]", "a{99999}", "\\"] {
            assert_eq!(from_pattern(unsupported, &mut rng), None, "{unsupported}");
        }
    }
}
