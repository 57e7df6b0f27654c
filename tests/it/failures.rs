//! Every kind of failed check, as a person sees it: the terminal output is pinned with insta.

use crate::common;
use common::*;

const FAILING: &str = r#"
name: Every kind of failure
serial: true
scenarios:
  - id: "F1"
    name: wrong status
    steps:
      - request: { method: POST, url: /api/orders, json: { items: [] } }
        expect: { status: [200, 201] }
  - id: "F2"
    name: headers
    steps:
      - request: { method: GET, url: /api/echo }
        expect:
          headers:
            content-type: text/plain
            x-missing: { exists: true }
            content-length: { absent: true }
  - id: "F3"
    name: body values
    steps:
      - request: { method: POST, url: /api/auth/login, json: { email: a@b.example, password: "Sup3r$ecretPass" } }
        expect:
          body:
            $.user.id: { type: string, lt: 5 }
            $.user.first_name: Grace
            $.user.nope: { exists: true }
            $.message: { matches: "^Welcome" }
            $.user: { length: 2 }
  - id: "F4"
    name: not JSON
    steps:
      - request: { method: GET, url: /api/html }
        expect:
          status: 500
          body:
            $.error: { exists: true }
          schema: order.json
  - id: "F5"
    name: schema violations
    steps:
      - request: { method: POST, url: /api/auth/login, json: { email: a@b.example, password: "Sup3r$ecretPass" } }
        expect:
          schema: order.json
  - id: "F6"
    name: too slow, and a timeout
    steps:
      - request: { method: GET, url: /api/slow }
        expect: { faster_than: 100ms }
  - id: "F7"
    name: request timeout
    steps:
      - request: { method: GET, url: /api/slow, timeout: 200ms }
  - id: "F8"
    name: capture finds nothing
    steps:
      - request: { method: GET, url: /api/echo }
        capture: { order_id: $.order.id }
  - id: "F9"
    name: raw text
    steps:
      - request: { method: GET, url: /api/html }
        expect:
          status: 500
          text: { not_contains: Traceback }
  - id: "F10"
    name: a server error where the step names no status
    steps:
      - request: { method: GET, url: /api/html }
"#;

fn stable_output(text: &str, server: &Server) -> String {
    let date = regex::Regex::new(r"(?m)^(\s*< date: ).*$").unwrap();
    stable(&date.replace_all(text, "${1}[date]"), Some(server))
}

#[test]
fn every_failure_kind_says_where_what_and_why() {
    let server = start();
    let p = Project::shop();
    p.write("specs/failing.yaml", FAILING);
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 1, "{}", out.all());
    insta::assert_snapshot!(stable_output(&out.stdout, &server));
}

#[test]
fn a_teardown_failure_fails_the_scenario_and_teardown_runs_after_a_failure() {
    let server = start();
    let p = Project::new();
    p.write(
        "specs/teardown.yaml",
        r#"
teardown:
  - name: suite teardown
    request: { method: GET, url: /api/echo }
    expect: { status: 201 }
scenarios:
  - name: step fails, teardowns still run
    steps:
      - request: { method: GET, url: /api/echo }
        expect: { status: 500 }
      - name: never sent
        request: { method: GET, url: /api/echo }
    teardown:
      - name: scenario teardown
        request: { method: GET, url: /api/echo }
"#,
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 1);
    // step 1, scenario teardown, suite teardown; "never sent" is not sent.
    assert_eq!(
        server
            .shop
            .requests
            .load(std::sync::atomic::Ordering::SeqCst),
        3
    );
    assert!(
        out.stdout
            .contains("also: teardown 2 \"suite teardown\": status: expected 201, actual 200"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("never sent\" ("), "{}", out.stdout);
}
