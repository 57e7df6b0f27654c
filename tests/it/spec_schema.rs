//! `gigcheck schema` prints the JSON Schema of spec files, generated from the spec model. Every
//! suite and fragment in `specs/` validates against it, the committed `specs/gigcheck.schema.json`
//! is exactly its output (so editors never see a stale one), and wrong specs are rejected by the
//! schema and by `gigcheck validate` alike.

use crate::common;
use common::Project;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const COMMITTED: &str = "specs/gigcheck.schema.json";

/// What `gigcheck schema` prints (it must succeed and say nothing else).
fn printed_schema() -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_gigcheck"))
        .arg("schema")
        .current_dir(ROOT)
        .output()
        .expect("run gigcheck schema");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(0),
        "gigcheck schema failed:\n{stderr}"
    );
    assert!(
        stderr.is_empty(),
        "gigcheck schema wrote to stderr:\n{stderr}"
    );
    String::from_utf8(out.stdout).expect("the schema is UTF-8")
}

fn compile(text: &str) -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(text).expect("the schema is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

/// A validator for one definition of the schema (`Suite`, `Fragment`), for explaining: the
/// root's only complaint is "not valid under any of the schemas listed in the 'anyOf' keyword".
fn definition(text: &str, name: &str) -> jsonschema::Validator {
    let mut schema: Value = serde_json::from_str(text).expect("the schema is JSON");
    if let Some(root) = schema.as_object_mut() {
        root.remove("anyOf");
        root.insert("$ref".into(), Value::from(format!("#/$defs/{name}")));
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

/// Every failed check, down to the branches of `anyOf`/`oneOf`: (instance location, message).
fn leaf_errors(schema: &jsonschema::Validator, instance: &Value) -> Vec<(String, String)> {
    let evaluation = schema.evaluate(instance);
    evaluation
        .iter_errors()
        .map(|e| (e.instance_location.to_string(), e.error.to_string()))
        .collect()
}

fn shown(errors: &[(String, String)]) -> String {
    errors
        .iter()
        .map(|(at, message)| format!("  {at}: {message}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// A YAML document as the schema sees it: the JSON value serde_yaml reads.
fn yaml_value(text: &str, shown: &str) -> Value {
    gigcheck_core::yaml::from_str(text).unwrap_or_else(|e| panic!("{shown} is not YAML: {e}"))
}

/// The suites in `specs/` and the fragments in `specs/_fragments/`.
fn spec_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["specs", "specs/_fragments"] {
        let dir = Path::new(ROOT).join(dir);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()));
        let mut yaml: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
            .collect();
        assert!(!yaml.is_empty(), "no spec files in {}", dir.display());
        yaml.sort();
        files.extend(yaml);
    }
    files
}

#[test]
fn the_printed_schema_is_a_draft_2020_12_schema_that_compiles() {
    let text = printed_schema();
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    if let Err(e) = jsonschema::draft202012::meta::validate(&schema) {
        panic!("not a valid draft 2020-12 schema: {e}");
    }
    compile(&text);
    assert!(text.ends_with("}\n"), "pretty JSON with a final newline");
    for definition in [
        "Suite",
        "Fragment",
        "Step",
        "Request",
        "Expect",
        "Assertion",
    ] {
        let description = schema["$defs"][definition]["description"].as_str();
        assert!(
            description.is_some_and(|d| !d.is_empty()),
            "{definition} has no description for editors to show"
        );
    }
}

#[test]
fn the_committed_schema_is_exactly_the_printed_one() {
    let committed = std::fs::read_to_string(Path::new(ROOT).join(COMMITTED))
        .unwrap_or_else(|e| panic!("cannot read {COMMITTED}: {e}"));
    assert!(
        committed == printed_schema(),
        "{COMMITTED} is not what `gigcheck schema` prints (the spec model changed); regenerate it:\n\n    cargo run -q -- schema > {COMMITTED}\n"
    );
}

#[test]
fn every_spec_and_fragment_validates_against_the_schema() {
    let text = printed_schema();
    let schema = compile(&text);
    let (suite, fragment) = (definition(&text, "Suite"), definition(&text, "Fragment"));
    let mut failures = Vec::new();
    let files = spec_files();
    for path in &files {
        let name = path
            .strip_prefix(ROOT)
            .unwrap_or(path)
            .display()
            .to_string();
        let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let is_fragment = name.contains("_fragments");
        let expected_first_line = if is_fragment {
            "# yaml-language-server: $schema=../gigcheck.schema.json"
        } else {
            "# yaml-language-server: $schema=gigcheck.schema.json"
        };
        if text.lines().next() != Some(expected_first_line) {
            failures.push(format!(
                "{name}: the first line should be `{expected_first_line}`"
            ));
        }
        let value = yaml_value(&text, &name);
        if !schema.is_valid(&value) {
            let kind = if is_fragment { &fragment } else { &suite };
            failures.push(format!(
                "{name} (as a {}):\n{}",
                if is_fragment { "fragment" } else { "suite" },
                shown(&leaf_errors(kind, &value))
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "spec files the schema rejects:\n{}",
        failures.join("\n")
    );
    assert!(files.len() >= 12, "{files:?}");
}

#[test]
fn the_readme_examples_validate_against_the_schema() {
    let schema = compile(&printed_schema());
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README.md");
    // The complete example: the first suite block and its login fragment after it.
    let all: Vec<&str> = readme.split("```yaml\n").skip(1).collect();
    let suite = all
        .iter()
        .position(|b| {
            b.split("```")
                .next()
                .unwrap_or_default()
                .contains("\nscenarios:")
        })
        .expect("a suite example");
    let blocks = &all[suite..suite + 2];
    for block in blocks {
        let text = block.split("```").next().unwrap_or_default();
        let value = yaml_value(text, "a README example");
        assert!(
            schema.is_valid(&value),
            "{text}\n{}",
            shown(&leaf_errors(&schema, &value))
        );
    }
}

/// A valid suite with one step; each wrong spec changes one piece of it.
const BASE: &str = "scenarios:
  - name: wrong on purpose
    steps:
      - name: one step
        request: { method: POST, url: /api/orders, json: { items: [] } }
        expect: { status: 201 }
        retry: { attempts: 2 }
";

const STEP: &str = "/scenarios/0/steps/0";

#[test]
fn wrong_specs_are_rejected_by_the_schema_and_by_validate() {
    let text = printed_schema();
    let schema = compile(&text);
    let suite = definition(&text, "Suite");
    let p = Project::new();
    let validate = |yaml: &str| {
        p.write("specs/spec.yaml", yaml);
        p.gigcheck(&["validate", "specs/spec.yaml"])
    };
    // The base is valid for both, so what fails below fails for the one change.
    let base = yaml_value(BASE, "BASE");
    assert!(
        schema.is_valid(&base),
        "{}",
        shown(&leaf_errors(&suite, &base))
    );
    let out = validate(BASE);
    assert_eq!(out.code, 0, "{}", out.all());

    // (what is wrong, the piece of BASE replaced and its replacement, where the schema
    // complains (below STEP), a piece of its complaint)
    let wrong = [
        (
            "an unknown key in a step",
            ("expect: { status: 201 }", "expct: { status: 201 }"),
            "",
            "'expct' was unexpected",
        ),
        (
            "an unknown key in an expectation",
            ("expect: { status: 201 }", "expect: { stauts: 201 }"),
            "/expect",
            "'stauts' was unexpected",
        ),
        (
            "a status of the wrong type",
            ("expect: { status: 201 }", "expect: { status: true }"),
            "/expect/status",
            "true is not of types (integer, string, array)",
        ),
        (
            "a status that is neither a code nor a class",
            ("expect: { status: 201 }", "expect: { status: created }"),
            "/expect/status",
            "\"created\" does not match",
        ),
        (
            "a status out of range",
            ("expect: { status: 201 }", "expect: { status: 700 }"),
            "/expect/status",
            "700 is greater than the maximum of 599",
        ),
        (
            "an unknown operator",
            (
                "expect: { status: 201 }",
                "expect: { body: { $.id: { eqals: 1 } } }",
            ),
            "/expect/body/$.id",
            "'eqals' was unexpected",
        ),
        (
            "an unknown HTTP method",
            ("method: POST", "method: FETCH"),
            "/request/method",
            "\"FETCH\" is not one of",
        ),
        (
            "a duration without a known unit",
            (
                "retry: { attempts: 2 }",
                "retry: { attempts: 2, delay: 2h }",
            ),
            "/retry/delay",
            "\"2h\" does not match",
        ),
        (
            "an unclosed template",
            ("url: /api/orders", "url: \"/api/orders/{{id\""),
            "/request/url",
            "does not match",
        ),
        (
            "two actions in one step",
            ("name: one step", "hook: db_down"),
            "/hook",
            "\"db_down\" is not one of null",
        ),
        (
            "two bodies in one request (a loader rule)",
            ("json: { items: [] }", "json: { items: [] }, body: text"),
            "/request/body",
            "\"text\" is not of type \"null\"",
        ),
        (
            "no tries at all (a loader rule)",
            ("retry: { attempts: 2 }", "retry: { attempts: 0 }"),
            "/retry/attempts",
            "0 is less than the minimum of 1",
        ),
    ];
    for (what, (from, to), under, complaint) in wrong {
        assert!(BASE.contains(from), "{what}: `{from}` is not in BASE");
        let yaml = BASE.replace(from, to);
        let value = yaml_value(&yaml, what);
        assert!(
            !schema.is_valid(&value),
            "the schema accepts {what}:\n{yaml}"
        );
        let errors = leaf_errors(&suite, &value);
        let at = format!("{STEP}{under}");
        assert!(
            errors
                .iter()
                .any(|(l, m)| *l == at && m.contains(complaint)),
            "{what}: no complaint at {at} says `{complaint}`:\n{}",
            shown(&errors)
        );
        let out = validate(&yaml);
        assert_eq!(
            out.code,
            2,
            "validate accepts {what}:\n{yaml}\n{}",
            out.all()
        );
    }

    // A fragment is checked as a fragment: `params` and `steps`, nothing of a suite.
    let fragment = "params: [email]\nsteps:\n  - hook: db_down\n";
    assert!(schema.is_valid(&yaml_value(fragment, "fragment")));
    let mixed = format!("{fragment}scenarios: []\n");
    assert!(!schema.is_valid(&yaml_value(&mixed, "mixed")));
}
