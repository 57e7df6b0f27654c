//! Bad input: every mistake is reported with `file:line:column`, what was expected and a hint;
//! `validate` reports them all in one pass; `run` exits 2 and sends nothing.

use crate::common;
use common::*;

fn bad_project() -> Project {
    let p = Project::shop();
    p.write("fixtures/schemas/broken.json", "{ \"type\": ");
    p.write("fixtures/schemas/invalid.json", "{ \"type\": 5 }");
    p.write(
        "specs/a_malformed.yaml",
        "scenarios:\n  - name: indentation\n    steps:\n     - request: { method: GET, url: / }\n    - oops\n",
    );
    p.write(
        "specs/b_typo.yaml",
        "scenarios:\n  - name: typo\n    steps:\n      - request: { method: GET, url: / }\n        expct: { status: 200 }\n",
    );
    p.write(
        "specs/c_types.yaml",
        "scenarios:\n  - name: wrong types\n    steps:\n      - request: { method: GET, url: / }\n        expect: { status: ok }\n",
    );
    p.write(
        "specs/d_crosschecks.yaml",
        r#"
scenarios:
  - name: many mistakes at once
    steps:
      - request: { method: POST, url: /api/orders, json: { a: 1 } }
        capture: { order_id: $.order.id }
      - request: { method: GET, url: "/api/orders/{{ordr_id}}" }
        expect:
          schema: missing.json
      - request: { method: GET, url: / }
        expect: { schema: broken.json }
      - request: { method: GET, url: / }
        expect: { schema: invalid.json }
      - include: _fragments/login.yaml
        with: { email: a@b.example, pasword: x }
      - include: _fragments/nope.yaml
"#,
    );
    p.write(
        "specs/e_values.yaml",
        "scenarios:\n  - name: values\n    steps:\n      - request: { method: GET, url: / }\n        expect:\n          body:\n            $.order[: 1\n",
    );
    p.write(
        "specs/f_operators.yaml",
        "scenarios:\n  - name: operators\n    steps:\n      - request: { method: GET, url: / }\n        expect:\n          body:\n            $.total: { gte: 1, eqals: 2 }\n",
    );
    p.write(
        "specs/g_duplicates.yaml",
        "scenarios:\n  - name: duplicate keys\n    steps:\n      - request: { method: GET, url: / }\n        expect:\n          body:\n            $.a: 1\n            $.a: 2\n",
    );
    p
}

#[test]
fn validate_reports_every_problem_in_one_pass() {
    let p = bad_project();
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 2, "{}", out.all());
    insta::assert_snapshot!(out.stderr);
}

#[test]
fn run_refuses_bad_specs_and_sends_nothing() {
    let server = start();
    let p = bad_project();
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("nothing was sent"), "{}", out.stderr);
    assert_eq!(
        server
            .shop
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    assert!(!p.exists("reports/junit.xml"));
}

#[test]
fn each_mistake_names_its_place() {
    let p = bad_project();
    let out = p.gigcheck(&["validate"]);
    for expected in [
        "specs/a_malformed.yaml:5:7",
        "specs/b_typo.yaml:5:9",
        "did you mean `expect`?",
        "specs/c_types.yaml:5:27",
        "`ok` is not a status",
        "specs/d_crosschecks.yaml:7:33",
        "variable `ordr_id` is used before it is defined",
        "did you mean `order_id`?",
        "cannot read schema `missing.json`",
        "schema `broken.json` is not valid JSON",
        "schema `invalid.json` does not compile",
        "`_fragments/login.yaml` needs parameter `password`",
        "has no parameter `pasword`",
        "did you mean `password`?",
        "included file",
        "invalid JSONPath `$.order[`",
        "unknown field `eqals`",
        "duplicate key `$.a`",
    ] {
        assert!(
            out.stderr.contains(expected),
            "missing `{expected}` in:\n{}",
            out.stderr
        );
    }
}

#[test]
fn a_clean_project_validates() {
    let p = Project::shop();
    p.write(
        "specs/ok.yaml",
        "vars: { password: x }\nsetup:\n  - include: _fragments/login.yaml\n    with: { email: a@b.example, password: \"{{password}}\" }\nscenarios:\n  - id: \"2.1\"\n    name: fine\n    tags: [admin]\n    steps:\n      - request: { method: GET, url: /api/orders, bearer: \"{{token}}\" }\n        expect: { schema: order.json }\n",
    );
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(out.stdout.trim(), "valid: 1 spec file, 1 scenario");

    let out = p.gigcheck(&["list"]);
    assert_eq!(out.code, 0, "{}", out.all());
    insta::assert_snapshot!(out.stdout, @r"
    ID   NAME  TAGS   WHERE
    2.1  fine  admin  specs/ok.yaml:6:5
    ");
}

#[test]
fn a_bad_environment_file_is_a_usage_error() {
    let p = Project::shop();
    p.write(
        "specs/ok.yaml",
        "scenarios:\n  - name: fine\n    steps: [{ request: { method: GET, url: / } }]\n",
    );
    p.write(
        "env.yaml",
        "base_url: http://127.0.0.1:1\nsecret: { a: B }\n",
    );
    let out = p.gigcheck(&["run", "--env", "env.yaml"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(out.stderr.contains("env.yaml:2:1"), "{}", out.stderr);
    assert!(
        out.stderr.contains("did you mean `secrets`?"),
        "{}",
        out.stderr
    );
    let out = p.gigcheck(&["run", "--env", "missing.yaml"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("cannot read environment file"),
        "{}",
        out.stderr
    );
}
