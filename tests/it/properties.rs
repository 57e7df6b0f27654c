//! Property tests over the five entry points that take text from outside and that `fuzz/` fuzzes:
//! spec files ([`gigcheck_core::loader::check_text`]), templates, JSONPath selection and captures on
//! response bodies, the Stripe emulator's form bodies, and Postman collection import.
//!
//! They run in the normal `cargo test` (CI cannot run cargo fuzz). For each entry point one test
//! feeds it arbitrary input (nothing may panic) and others state a real property of it. Case
//! counts are set per test so the whole file stays within a few seconds in a debug build.

use gigcheck::import::convert::{Input, convert};
use gigcheck::import::postman::parse_collection;
use gigcheck_core::checks::body::select;
use gigcheck_core::checks::capture::{ResponseParts, capture};
use gigcheck_core::loader::{LoadOptions, check_text};
use gigcheck_core::spec::Capture;
use gigcheck_core::spec::json_template::JsonTemplate;
use gigcheck_core::spec::template::{Lookup, Template};
use gigcheck_core::spec::values::{BodyPath, is_singular_path};
use gigcheck_servers::stripe::form::{self, FormMap, FormValue};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Variables for rendering, from a JSON object.
struct Vars(Map<String, Value>);

impl Lookup for Vars {
    fn var(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
    fn env(&self, name: &str) -> Option<String> {
        (name == "SECRET").then(|| "s3cr3t".to_string())
    }
}

fn no_vars() -> Vars {
    Vars(Map::new())
}

/// Short text, mostly made of characters that mean something somewhere in gigcheck.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => "[a-z0-9 {}$.'\"\\\\\\[\\]*?,:@|=&%+#-]{0,10}",
        1 => "\\PC{0,10}",
    ]
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON numbers are finite", |f| {
            serde_json::Number::from_f64(f).map(Value::Number)
        }),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((text(), inner), 0..4)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

// ---------------------------------------------------------------------------------------------
// Spec files

/// Text assembled from pieces of the spec format, so it is often YAML and sometimes a spec.
fn spec_like_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("scenarios:\n".to_string()),
        Just("  - name: s\n".to_string()),
        Just("    steps:\n".to_string()),
        Just("      - request: { method: GET, url: 'http://h/{{id}}' }\n".to_string()),
        Just("        expect: { status: 200, body: { $.a: 1 } }\n".to_string()),
        Just("        capture: { id: $.id }\n".to_string()),
        Just("      - include: specs/_fragments/product.yaml\n".to_string()),
        Just("vars: { id: 1 }\n".to_string()),
        Just("tags: [a, b]\n".to_string()),
        Just("  ".to_string()),
        Just("\n".to_string()),
        Just(": ".to_string()),
        Just("- ".to_string()),
        Just("{{".to_string()),
        Just("[".to_string()),
        Just("&a *a ".to_string()),
        text(),
    ];
    prop::collection::vec(piece, 0..14).prop_map(|pieces| pieces.concat())
}

/// The shape of a generated spec (per scenario, per step: whether it also captures) and the name
/// of a variable no spec defines.
fn generated_spec() -> impl Strategy<Value = (Vec<Vec<bool>>, String)> {
    let scenarios = prop::collection::vec(prop::collection::vec(any::<bool>(), 1..4), 1..4);
    (scenarios, "[a-z][a-z0-9_]{0,6}")
}

proptest! {
    #![proptest_config(config(512))]

    /// Diagnostics point into the text they came from, and show the line they point at.
    #[test]
    fn spec_text_never_panics_and_diagnostics_point_into_it(text in spec_like_text()) {
        let display = "property-spec.yaml";
        let lines: Vec<&str> = text.lines().collect();
        for d in check_text(display, &text, &LoadOptions::default()) {
            if d.loc.file != display || d.loc.line == 0 {
                continue;
            }
            let line = d.loc.line as usize;
            prop_assert!(line <= lines.len() + 1, "{}: line {line} of {}", d.message, lines.len());
            prop_assert_eq!(d.source_line.as_deref(), lines.get(line - 1).copied(), "{}", d.message);
        }
    }

    /// A spec whose steps use defined variables is valid; one step using an undefined variable
    /// is the one error, at that step's line.
    #[test]
    fn only_the_step_with_an_undefined_variable_is_an_error(
        (scenarios, missing) in generated_spec(),
        pick in any::<prop::sample::Index>(),
    ) {
        // `base` is defined by the spec and `id` by its captures.
        prop_assume!(missing != "base" && missing != "id");
        let steps: usize = scenarios.iter().map(Vec::len).sum();
        let bad = pick.index(steps);
        let mut text = String::from("vars:\n  base: http://h\nscenarios:\n");
        let mut bad_line = 0;
        let mut n = 0;
        for (i, scenario) in scenarios.iter().enumerate() {
            text.push_str(&format!("  - name: s{i}\n    steps:\n"));
            for (j, captured) in scenario.iter().enumerate() {
                let var = if n == bad { missing.as_str() } else { "base" };
                if n == bad {
                    bad_line = text.lines().count() + 1;
                }
                text.push_str(&format!("      - request: {{ method: GET, url: '{{{{{var}}}}}/p{j}' }}\n"));
                if *captured {
                    text.push_str("        capture: { id: $.id }\n");
                }
                n += 1;
            }
        }
        let errors: Vec<_> = check_text("generated.yaml", &text, &LoadOptions::default())
            .into_iter()
            .filter(|d| d.is_error())
            .collect();
        prop_assert_eq!(errors.len(), 1, "{:#?}\n{}", errors, text);
        prop_assert!(errors[0].message.contains(&missing), "{}", errors[0].message);
        prop_assert_eq!(errors[0].loc.line as usize, bad_line, "{}", text);
    }
}

// ---------------------------------------------------------------------------------------------
// Templates

/// Text in which `{{` never occurs (single braces do).
fn text_without_placeholders() -> impl Strategy<Value = String> {
    "([^{]|\\{[^{]){0,20}\\{?"
}

/// Strings made of template syntax and near misses.
fn template_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{{"),
        Just("}}"),
        Just("{"),
        Just("}"),
        Just(" "),
        Just("|"),
        Just("."),
        Just("a"),
        Just("_"),
        Just("-"),
        Just("7"),
        Just("é"),
        Just("env"),
        Just("uuid"),
        Just("cents"),
        Just("int"),
        Just("string"),
        Just("repeat("),
        Just(")"),
        Just("+0"),
        Just("67108864"),
        Just("67108865"),
        Just("\n"),
        Just("\t"),
        Just("\""),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// The spec schema's `pattern` for template strings, as editors apply it.
fn template_pattern() -> jsonschema::Validator {
    let schema = gigcheck_core::spec::schema::spec_file_schema();
    let pattern = schema["$defs"]["Template"]["pattern"].clone();
    jsonschema::validator_for(&json!({ "type": "string", "pattern": pattern })).unwrap()
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn text_without_placeholders_renders_to_itself(text in text_without_placeholders()) {
        let template = Template::parse(&text).unwrap();
        prop_assert!(template.is_literal());
        prop_assert_eq!(template.render(&no_vars()).unwrap(), text.clone());
        prop_assert_eq!(template.render_value(&no_vars()).unwrap(), Value::String(text));
    }

    /// Any text, its every `{{` written as the literal `{{"{{"}}`, renders to itself.
    #[test]
    fn text_with_escaped_braces_renders_to_itself(text in "[a{}\" ]{0,24}") {
        let escaped = text.replace("{{", "\u{0}").replace('{', "{{\"{\"}}").replace('\u{0}', "{{\"{{\"}}");
        let template = Template::parse(&escaped);
        prop_assert!(template.is_ok(), "{escaped:?}: {template:?}");
        let template = template.unwrap();
        prop_assert!(template.is_literal());
        prop_assert_eq!(template.render(&no_vars()).unwrap(), text);
    }

    /// `a{{name}}b` renders as a, the variable's text, b; `{{name}}` alone keeps its JSON type.
    #[test]
    fn a_placeholder_renders_to_its_variable(
        // Text that would touch the placeholder's braces (`{{{name}}}`) is left out.
        before in text_without_placeholders().prop_map(|t| t.trim_end_matches('{').to_string()),
        after in text_without_placeholders().prop_map(|t| t.trim_start_matches('}').to_string()),
        name in "[a-z_][a-z0-9_]{0,8}",
        value in json_value(),
    ) {
        prop_assume!(!["env", "uuid", "unique_email", "now"].contains(&name.as_str()));
        let vars = Vars([(name.clone(), value.clone())].into_iter().collect());
        let shown = match &value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let template = Template::parse(&format!("{before}{{{{{name}}}}}{after}")).unwrap();
        prop_assert_eq!(template.render(&vars).unwrap(), format!("{before}{shown}{after}"));
        let lone = Template::parse(&format!("{{{{ {name} }}}}")).unwrap();
        prop_assert_eq!(lone.render_value(&vars).unwrap(), value);
    }

    /// What the loader accepts as a template is what editors accept (the schema's pattern), and
    /// rendering anything that parsed never panics.
    #[test]
    fn the_parser_accepts_exactly_what_the_schema_pattern_accepts(text in template_like()) {
        thread_local! {
            static PATTERN: jsonschema::Validator = template_pattern();
        }
        let parsed = Template::parse(&text);
        let valid = PATTERN.with(|p| p.is_valid(&Value::String(text.clone())));
        prop_assert_eq!(parsed.is_ok(), valid, "{:?}: {:?}", text, parsed);
        if let Ok(template) = parsed {
            let vars = Vars(json!({"a": 1.5, "a-7": "x", "é": [1]}).as_object().unwrap().clone());
            let _ = template.render(&vars);
            let _ = template.render_value(&vars);
        }
    }

    /// A JSON value taken as it is (not from a spec) is not a template: its `{{` stay text.
    #[test]
    fn literal_json_renders_to_itself(value in json_value()) {
        let template = JsonTemplate::from(value.clone());
        prop_assert_eq!(template.render(&no_vars()).unwrap(), value.clone());
        prop_assert_eq!(template.as_literal(), Some(value));
    }
}

// ---------------------------------------------------------------------------------------------
// JSONPath on response bodies

/// A member name as an RFC 9535 single-quoted string.
fn quoted(name: &str) -> String {
    let mut out = String::from("'");
    for c in name.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A member name that a JSONPath in a spec can spell (`{{` would start a placeholder).
fn member_name() -> impl Strategy<Value = String> {
    text().prop_filter("`{{` starts a placeholder", |n| !n.contains("{{"))
}

fn body_parts(body: &Value) -> ResponseParts<'_> {
    ResponseParts {
        headers: &[],
        text: "",
        json: Ok(body),
    }
}

proptest! {
    #![proptest_config(config(1024))]

    /// `$['outer']['key']` selects and captures the value stored at that key.
    #[test]
    fn a_path_to_an_existing_key_selects_its_value(
        outer in member_name(),
        fields in prop::collection::vec((member_name(), json_value()), 1..5),
        pick in any::<prop::sample::Index>(),
    ) {
        let inner: Map<String, Value> = fields.into_iter().collect();
        let (key, value) = inner.iter().nth(pick.index(inner.len())).unwrap();
        let body = json!({ outer.clone(): inner.clone() });
        let path = BodyPath::parse(&format!("$[{}][{}]", quoted(&outer), quoted(key))).unwrap();
        prop_assert_eq!(select(&path, &body, &no_vars()).unwrap(), Some(value.clone()));
        prop_assert_eq!(&capture(&Capture::Body(path), &body_parts(&body), &no_vars()).unwrap(), value);
    }

    /// `$['key'][*]` is a list query: it selects every item, whatever the key's characters.
    #[test]
    fn a_wildcard_selects_every_item(
        key in member_name(),
        items in prop::collection::vec(json_value(), 2..5),
    ) {
        let text = format!("$[{}][*]", quoted(&key));
        prop_assert!(!is_singular_path(&text), "{} is not singular", text);
        let path = BodyPath::parse(&text).unwrap();
        let body = json!({ key: items.clone() });
        prop_assert_eq!(select(&path, &body, &no_vars()).unwrap(), Some(Value::Array(items)));
    }

    /// Arbitrary paths on arbitrary bodies never panic, and a path taken as singular never
    /// selects more than one node.
    #[test]
    fn arbitrary_paths_never_panic_and_singular_paths_select_one_node(
        path in prop::collection::vec(
            prop_oneof![
                Just("."), Just(".."), Just("["), Just("]"), Just("*"), Just("'"), Just("\\"),
                Just("a"), Just("0"), Just("-1"), Just(":"), Just(","), Just("?@.a"), Just("=="),
                Just("{{id}}"), Just(" "), Just("\""), Just("length(@)"),
            ],
            0..10,
        ).prop_map(|pieces| format!("${}", pieces.concat())),
        body in json_value(),
    ) {
        let vars = Vars(json!({"id": 0}).as_object().unwrap().clone());
        if let Ok(path_value) = BodyPath::parse(&path) {
            let _ = select(&path_value, &body, &vars);
            let _ = capture(&Capture::Body(path_value.clone()), &body_parts(&body), &vars);
            if let (Some(query), true) = (&path_value.parsed, is_singular_path(&path)) {
                prop_assert!(query.query(&body).len() <= 1, "{} selects more than one node", path);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The Stripe emulator's form bodies

proptest! {
    #![proptest_config(config(1024))]

    /// Pairs encoded as a form body parse back: in order of first appearance, the last value of a
    /// repeated name winning.
    #[test]
    fn encoded_pairs_parse_back(
        pairs in prop::collection::vec(("[^\\[\\]]{1,8}", "\\PC{0,8}"), 0..8),
    ) {
        let mut body = form_urlencoded::Serializer::new(String::new());
        let mut expected = FormMap::new();
        for (name, value) in &pairs {
            body.append_pair(name, value);
            expected.insert(name.clone(), FormValue::Text(value.clone()));
        }
        let body = body.finish();
        prop_assert_eq!(form::parse(&body), Ok(expected), "{}", body);
    }

    /// Any body that parses, written back from its tree, parses to the same tree.
    #[test]
    fn a_parsed_form_written_back_parses_the_same(
        body in "[a-c\\[\\]=&%5BD0+]{0,24}",
    ) {
        if let Ok(map) = form::parse(&body) {
            let again = form::encode(&map);
            prop_assert_eq!(form::parse(&again), Ok(map), "{} → {}", body, again);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Postman collections

const V21: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

/// A request item with a name, method and URL; sometimes with a body, header, or test script.
fn postman_request() -> impl Strategy<Value = Value> {
    (
        "\\PC{1,12}",
        prop::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE"]),
        "[a-z0-9/._~-]{0,12}",
        prop::option::of(text()),
        any::<bool>(),
    )
        .prop_map(|(name, method, path, raw, status_test)| {
            let mut request = json!({
                "method": method,
                "url": format!("http://localhost:5000/{path}"),
                "header": [{"key": "Accept", "value": "application/json"}],
            });
            if let Some(raw) = raw {
                request["body"] = json!({"mode": "raw", "raw": raw});
            }
            let mut item = json!({ "name": name, "request": request });
            if status_test {
                item["event"] = json!([{"listen": "test", "script": {"exec": [
                    "pm.test('ok', function () { pm.response.to.have.status(200); });"
                ]}}]);
            }
            item
        })
}

fn collection(items: Vec<Value>) -> String {
    json!({"info": {"name": "Property", "schema": V21}, "item": items}).to_string()
}

fn import(text: &str) -> Result<gigcheck::import::convert::Output, String> {
    let collection = parse_collection(text).map_err(|e| e.message)?;
    convert(&Input {
        collection: &collection,
        environment: None,
        collection_file: "property.postman_collection.json",
        environment_file: None,
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// Every request becomes one step of a spec file that gigcheck checks without errors.
    #[test]
    fn every_request_becomes_one_step_of_a_valid_spec(
        top in prop::collection::vec(postman_request(), 0..3),
        folders in prop::collection::vec(("\\PC{1,10}", prop::collection::vec(postman_request(), 0..3)), 0..3),
    ) {
        let count = top.len() + folders.iter().map(|(_, items)| items.len()).sum::<usize>();
        let mut items = top;
        items.extend(folders.into_iter().map(|(name, items)| json!({"name": name, "item": items})));
        let text = collection(items);
        let out = import(&text).unwrap();
        prop_assert_eq!(out.requests, count);
        prop_assert_eq!(out.files.iter().map(|f| f.steps).sum::<usize>(), count);
        for file in &out.files {
            let errors: Vec<String> = check_text(&file.path, &file.text, &LoadOptions::default())
                .into_iter()
                .filter(|d| d.is_error())
                .map(|d| d.one_line())
                .collect();
            prop_assert!(errors.is_empty(), "{:?}\n{}", errors, file.text);
        }
    }

    /// Arbitrary JSON in the places of a collection never panics the importer, and it never
    /// writes a file it cannot read back.
    #[test]
    fn arbitrary_collections_never_panic(
        items in prop::collection::vec(json_value(), 0..4),
        variables in json_value(),
        auth in json_value(),
    ) {
        let mut value = json!({"info": {"name": "P", "schema": V21}, "item": items});
        value["variable"] = variables;
        value["auth"] = auth;
        if let Err(message) = import(&value.to_string()) {
            prop_assert!(!message.contains("cannot read back"), "{}", message);
        }
    }
}

/// The quoting the JSONPath properties rely on.
#[test]
fn member_names_are_quoted_as_rfc_9535_strings() {
    assert_eq!(quoted("a'b\\c\n"), "'a\\'b\\\\c\\u000a'");
    let body = json!({"a'b\\c\n": 1});
    let path = BodyPath::parse(&format!("$[{}]", quoted("a'b\\c\n"))).unwrap();
    assert_eq!(select(&path, &body, &no_vars()).unwrap(), Some(json!(1)));
}

// ---------------------------------------------------------------------------------------------
// Exploration: values drawn from schemas

/// A schema-like object: JSON Schema keywords with arbitrary values, nested in places.
fn schema_like() -> impl Strategy<Value = Value> {
    fn flat() -> impl Strategy<Value = Value> {
        let keyword = prop::sample::select(vec![
            "type",
            "properties",
            "required",
            "items",
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "minLength",
            "minItems",
            "maxItems",
            "enum",
            "const",
            "anyOf",
            "oneOf",
            "allOf",
            "pattern",
            "format",
            "$ref",
        ]);
        prop::collection::vec((keyword, json_value()), 0..6).prop_map(|pairs| {
            Value::Object(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
        })
    }
    (flat(), prop::collection::vec((text(), flat()), 0..3)).prop_map(|(mut root, children)| {
        root["properties"] = Value::Object(children.into_iter().collect());
        root
    })
}

proptest! {
    #![proptest_config(config(256))]

    /// Whatever a schema says, drawing values from it and taking them apart never panics.
    #[test]
    fn arbitrary_schemas_never_panic_the_generator(schema in schema_like(), seed in any::<u64>()) {
        let doc = json!({ "components": { "schemas": { "s": schema.clone() } } });
        let mut g = gigcheck_core::explore::generate::Generator::new(&doc, seed);
        let value = g.valid(&schema);
        let _ = g.mutations(&schema, &value);
    }
}
