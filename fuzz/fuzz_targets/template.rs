//! Fuzz target `template`: arbitrary text parsed as a `{{…}}` template (and as a YAML value whose
//! strings are templates), rendered against arbitrary variables.
//!
//! Besides "nothing panics", it checks: a parsed template keeps its text; a template without
//! placeholders renders to its own text; `render_value` of anything but one lone placeholder is
//! `render`'s text; and the parser accepts exactly what the spec schema's template `pattern`
//! accepts (the pattern editors use must agree with the loader).

#![no_main]

use arbitrary::Arbitrary;
use gigcheck_core::spec::json_template::JsonTemplate;
use gigcheck_core::spec::template::{Lookup, Placeholder, Template};
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value};
use std::sync::OnceLock;

#[derive(Arbitrary, Debug)]
struct Input {
    template: String,
    vars: Vec<(String, Var)>,
}

/// A variable's value: any JSON, a few levels deep.
#[derive(Arbitrary, Debug)]
enum Var {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<Leaf>),
    Object(Vec<(String, Leaf)>),
}

#[derive(Arbitrary, Debug)]
enum Leaf {
    Int(i64),
    Float(f64),
    Text(String),
    List(Vec<String>),
}

impl Var {
    fn json(&self) -> Value {
        match self {
            Var::Null => Value::Null,
            Var::Bool(b) => Value::Bool(*b),
            Var::Int(i) => Value::from(*i),
            Var::Float(f) => float(*f),
            Var::Text(s) => Value::from(s.as_str()),
            Var::List(items) => Value::Array(items.iter().map(Leaf::json).collect()),
            Var::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| (k.clone(), v.json()))
                    .collect::<Map<_, _>>(),
            ),
        }
    }
}

impl Leaf {
    fn json(&self) -> Value {
        match self {
            Leaf::Int(i) => Value::from(*i),
            Leaf::Float(f) => float(*f),
            Leaf::Text(s) => Value::from(s.as_str()),
            Leaf::List(items) => Value::from(items.clone()),
        }
    }
}

/// JSON has no NaN or infinity: those become `null`, as serde_json makes them.
fn float(f: f64) -> Value {
    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
}

struct Vars(Map<String, Value>);

impl Lookup for Vars {
    fn var(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
    fn env(&self, name: &str) -> Option<String> {
        name.starts_with('S').then(|| format!("secret-{name}"))
    }
}

/// The spec schema's `pattern` for templates, compiled once.
fn schema_pattern() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let schema = gigcheck_core::spec::schema::spec_file_schema();
        let pattern = schema["$defs"]["Template"]["pattern"].clone();
        jsonschema::validator_for(&serde_json::json!({ "type": "string", "pattern": pattern }))
            .expect("the spec schema's template pattern compiles")
    })
}

fuzz_target!(|input: Input| {
    let vars = Vars(
        input
            .vars
            .iter()
            .map(|(k, v)| (k.clone(), v.json()))
            .collect(),
    );
    let text = input.template.as_str();
    let parsed = Template::parse(text);
    assert_eq!(
        parsed.is_ok(),
        schema_pattern().is_valid(&Value::from(text)),
        "the parser and the schema's pattern disagree on {text:?}: {parsed:?}"
    );
    if let Ok(template) = &parsed {
        assert_eq!(template.raw(), text);
        let rendered = template.render(&vars);
        if template.is_literal() {
            // Text renders to itself; a quoted literal (`{{"{{"}}`) to what it quotes.
            let literal = template.literal_text();
            assert_eq!(rendered.as_deref().ok(), literal.as_deref(), "a literal renders to its text");
            if !text.contains("{{") {
                assert_eq!(rendered.as_deref(), Ok(text), "plain text renders to itself");
            }
        }
        let fresh = template
            .placeholders()
            .any(|p| matches!(p, Placeholder::Generator(_)));
        // A superset of "exactly one placeholder and no text", where the value keeps its type.
        let lone =
            text.starts_with("{{") && text.ends_with("}}") && template.placeholders().count() == 1;
        if !fresh && !lone {
            assert_eq!(
                template
                    .render_value(&vars)
                    .map(|v| v.as_str().map(str::to_string)),
                rendered.map(Some),
                "render_value of {text:?} is render's text"
            );
        } else {
            let _ = template.render_value(&vars);
        }
    }
    if let Ok(value) = gigcheck_core::yaml::from_str::<JsonTemplate>(text) {
        let _ = value.placeholders();
        let rendered = value.render(&vars);
        if let Some(literal) = value.as_literal() {
            assert_eq!(rendered, Ok(literal));
        }
    }
});
