//! Fuzz target `jsonpath`: JSONPath selection and captures on arbitrary JSON, as a step's
//! `expect.body` and `capture` evaluate them ([`gigcheck_core::checks::body`],
//! [`gigcheck_core::checks::capture`], [`gigcheck_core::checks::assert`]).
//!
//! The input is three parts, one per line: a JSONPath (or any capture written as YAML), an
//! assertion written as YAML (`{ type: array, length: 2 }`), and the response body (JSON or
//! not). Besides "nothing panics", it checks that a path gigcheck treats as singular (one value,
//! not a list) never selects more than one node, and that selecting and capturing agree.

#![no_main]

use gigcheck_core::checks::assert::check;
use gigcheck_core::checks::body::select;
use gigcheck_core::checks::capture::{ResponseParts, capture};
use gigcheck_core::spec::Capture;
use gigcheck_core::spec::assertion::ValueAssertion;
use gigcheck_core::spec::template::Lookup;
use gigcheck_core::spec::values::{BodyPath, is_singular_path};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};

/// Variables a templated path or expected value may use.
struct Vars(Value);

impl Lookup for Vars {
    fn var(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
    fn env(&self, _: &str) -> Option<String> {
        None
    }
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut lines = text.splitn(3, '\n');
    let path = lines.next().unwrap_or_default();
    let assertion = lines.next().unwrap_or_default();
    let body = lines.next().unwrap_or_default();
    let vars = Vars(json!({"id": 1, "name": "a", "key": "status", "n": -1, "list": [0, "x"]}));
    let parsed_body = serde_json::from_str::<Value>(body);
    let headers = vec![("Location".to_string(), "/api/orders/7".to_string())];
    let parts = ResponseParts {
        headers: &headers,
        text: body,
        json: parsed_body.as_ref().map_err(|_| body),
    };
    if let Ok(c) = gigcheck_core::yaml::from_str::<Capture>(path) {
        let _ = capture(&c, &parts, &vars);
    }
    let Ok(json) = &parsed_body else {
        return;
    };
    let Ok(body_path) = BodyPath::parse(path) else {
        return;
    };
    let selected = select(&body_path, json, &vars);
    let captured = capture(&Capture::Body(body_path.clone()), &parts, &vars);
    if let Some(query) = &body_path.parsed {
        let nodes: Vec<Value> = query.query(json).all().into_iter().cloned().collect();
        let selected = selected.as_ref().ok().cloned().flatten();
        if is_singular_path(path) {
            assert!(
                nodes.len() <= 1,
                "{path} is taken as singular but selects {} nodes",
                nodes.len()
            );
            assert_eq!(selected, nodes.first().cloned());
        } else {
            assert_eq!(selected, Some(Value::Array(nodes.clone())));
        }
        match nodes.as_slice() {
            [] => assert!(captured.is_err()),
            [one] => assert_eq!(captured.as_ref().ok(), Some(one)),
            _ => assert_eq!(captured.ok(), Some(Value::Array(nodes))),
        }
    }
    if let Ok(assertions) = gigcheck_core::yaml::from_str::<ValueAssertion>(assertion) {
        let actual = selected.ok().flatten();
        for a in &assertions.0 {
            let _ = check(a, actual.as_ref(), &vars);
        }
    }
});
