//! A red run says what is wrong once. Against a Flask-like backend — one route a shared
//! fragment needs is missing (an HTML 404), one answer is wrong, one collection answers an HTML
//! 308 — gigcheck counts blocked and failed scenarios apart in every report format, groups them
//! by cause, does not cascade a wrong status into the checks after it (a step that checks the
//! 308 itself), follows the 308 as a browser does elsewhere, and names what a leak check found
//! (while a Stripe message that names `/v1/payment_intents` is no leak).

use crate::common;

use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use common::{EVERY_REPORT, Project, python, run_ok, stable};
use serde_json::{Value, json};
use std::process::Command;

const HTML_404: &str = "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>The requested URL was not found on the server.</p>\n";

fn html(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn json_answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// What a Flask deployment without an addresses route, with a wrong order total and with
/// `/api/orders/` as its collection, answers.
fn flask_like() -> Router {
    Router::new()
        .route(
            "/api/auth/login",
            post(|| async { json_answer(StatusCode::OK, json!({"token": "t0k3n", "user": {"id": 7}})) }),
        )
        .route(
            "/api/orders",
            post(|| async {
                (
                    StatusCode::PERMANENT_REDIRECT,
                    [
                        (header::LOCATION, "/api/orders/"),
                        (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                    ],
                    "<!doctype html>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n",
                )
                    .into_response()
            }),
        )
        .route(
            "/api/orders/",
            post(|body: axum::Json<Value>| async move {
                json_answer(
                    StatusCode::CREATED,
                    json!({"message": "Order created successfully", "order": {"id": 2, "status": "pending", "items": body.0["items"]}}),
                )
            }),
        )
        .route(
            "/api/orders/{id}",
            get(|| async {
                json_answer(
                    StatusCode::OK,
                    json!({"order": {"id": 1, "total": 199.99, "items": [{"price": 199.99, "quantity": 2}]}}),
                )
            }),
        )
        .route(
            "/api/payment/confirm-payment-intent",
            post(|| async {
                json_answer(
                    StatusCode::BAD_REQUEST,
                    json!({"success": false, "error": "Unrecognized request URL (POST: /v1/payment_intents/pi_123/confirmx). Please see https://stripe.com/docs."}),
                )
            }),
        )
        .route(
            "/api/orders/stats",
            get(|| async {
                json_answer(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"error": "Internal error", "detail": "Traceback (most recent call last):\n  File \"/srv/app/orders/routes.py\", line 88, in stats"}),
                )
            }),
        )
        .fallback(|| async { html(StatusCode::NOT_FOUND, HTML_404) })
}

const ADDRESS_FRAGMENT: &str = r#"
description: Add a shipping address (the scenarios that order need one)
steps:
  - name: Add a shipping address
    request: { method: POST, url: /api/addresses, bearer: "{{token}}", json: { city: Austin } }
    expect:
      status: 201
      body:
        $.address.id: { type: integer }
        $.address.city: Austin
    capture:
      address_id: $.address.id
"#;

const SPEC: &str = r#"
name: Orders against a Flask-like backend
serial: true
setup:
  - name: Log in
    request: { method: POST, url: /api/auth/login, json: { email: a@b.example, password: pw } }
    expect: { status: 200 }
    capture: { token: $.token }
error_responses:
  text: { not_matches: "(?i)traceback|File \"[^\"]+\", line \\d+|\\bselect\\b.+\\bfrom\\b|\\.py\\b" }
scenarios:
  - id: "1.1"
    name: An order ships to the saved address
    steps:
      - include: _fragments/address.yaml
      - request: { method: GET, url: /api/orders/1, bearer: "{{token}}" }
        expect: { status: 200 }
  - id: "1.2"
    name: An order needs a shipping method
    steps:
      - include: _fragments/address.yaml
      - request: { method: GET, url: /api/orders/1, bearer: "{{token}}" }
        expect: { status: 200 }
  - id: "3.2"
    name: The total counts every unit
    steps:
      - request: { method: GET, url: /api/orders/1, bearer: "{{token}}" }
        expect:
          status: 200
          body:
            $.order.total: 399.98
  - id: "1.3"
    name: Placing an order answers 201 with the order
    steps:
      - request: { method: POST, url: /api/orders, bearer: "{{token}}", json: { items: [] } }
        redirects: none
        expect:
          status: 201
          schema: order.json
          body:
            $.order.id: { type: integer }
            $.order.status: pending
            $.order.payment_status: pending
        capture:
          order_id: $.order.id
  - id: "1.3"
    name: The collection's 308 is followed with the method and the body
    steps:
      - request: { method: POST, url: /api/orders, bearer: "{{token}}", json: { items: [{ product_id: 1 }] } }
        expect:
          status: 201
          body:
            $.order.items[0].product_id: 1
  - id: "5.2"
    name: A Stripe message that names an API path is not a leak
    steps:
      - request: { method: POST, url: /api/payment/confirm-payment-intent, bearer: "{{token}}", json: { payment_intent_id: pi_123 } }
        expect: { status: 400 }
  - id: "6.2"
    name: A server error carries no traceback
    steps:
      - request: { method: GET, url: /api/orders/stats, bearer: "{{token}}" }
        expect: { status: 500 }
"#;

const ORDER_SCHEMA: &str = r#"{ "type": "object", "required": ["order"] }"#;

fn project() -> Project {
    let p = Project::new();
    p.write("specs/orders.yaml", SPEC)
        .write("specs/_fragments/address.yaml", ADDRESS_FRAGMENT)
        .write("fixtures/schemas/order.json", ORDER_SCHEMA)
        .write(
            "fixtures/plan.yaml",
            "cases:\n  \"1.1\": Order with payment\n  \"1.2\": Invalid order data\n  \"1.3\": Failed payment\n  \"3.2\": Order detail\n  \"4.1\": Cancel an order\n  \"5.2\": Declined payment\n  \"6.2\": Error messages\n",
        );
    p
}

fn serve() -> common::Served {
    common::serve(flask_like())
}

/// Ports, times and dates that change between runs.
fn steady(text: &str, url: &str) -> String {
    let text = text
        .replace(url, "http://127.0.0.1:[port]")
        .replace(url.trim_start_matches("http://"), "127.0.0.1:[port]");
    let date = regex::Regex::new(r"(?m)^(\s*< date:) .*$").unwrap();
    stable(&date.replace_all(&text, "$1 [date]"), None)
}

#[test]
fn failures_are_grouped_by_cause_and_blocked_is_told_apart_in_every_report() {
    let target = serve();
    let p = project();
    let out = p.gigcheck(&[&["run", "--base-url", &target.url][..], EVERY_REPORT].concat());
    assert_eq!(out.code, 1, "{}", out.all());
    insta::assert_snapshot!("terminal", steady(&out.stdout, &target.url));
    insta::assert_snapshot!("markdown", steady(&p.read("reports/run.md"), &target.url));

    // JSON: the totals, each scenario's outcome and the causes agree with the terminal.
    let report: Value = serde_json::from_str(&p.read("reports/run.json")).unwrap();
    assert_eq!(
        report["totals"],
        json!({"scenarios": 7, "passed": 2, "failed": 3, "blocked": 2, "skipped": 0})
    );
    let outcomes: Vec<&str> = report["suites"][0]["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        [
            "blocked", "blocked", "failed", "failed", "passed", "passed", "failed"
        ]
    );
    let causes: Vec<(&str, u64, u64)> = report["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["headline"].as_str().unwrap(),
                c["failed"].as_u64().unwrap(),
                c["blocked"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(causes.len(), 4, "{causes:?}");
    assert_eq!(
        causes[0],
        ("POST /api/addresses → 404 (text/html), expected 201", 0, 2)
    );
    let plan: Vec<(&str, &str)> = report["plan"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap(), c["verdict"].as_str().unwrap()))
        .collect();
    assert_eq!(
        plan,
        [
            ("1.1", "blocked"),
            ("1.2", "blocked"),
            ("1.3", "failed"),
            ("3.2", "failed"),
            ("4.1", "no-scenario"),
            ("5.2", "passed"),
            ("6.2", "failed"),
        ]
    );
    // The report validates against the schema `gigcheck schema --report` prints.
    let schema = p.gigcheck(&["schema", "--report"]);
    let schema: Value = serde_json::from_str(&schema.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    // HTML: blocked has its own count and section, and the page opens with the causes.
    let page = p.read("reports/run.html");
    assert!(
        page.contains("<title>gigcheck FAILED: 2 passed, 3 failed, 2 blocked, 0 skipped</title>")
    );
    assert!(
        page.contains("class=\"stat block\" href=\"#blocked\"><b>2</b><span>Blocked</span>"),
        "{page}"
    );
    assert!(page.contains("id=\"blocked\""));
    let causes_at = page.find("<section class=\"card causes\">").unwrap();
    assert!(causes_at < page.find("Plan coverage").unwrap());
    assert!(page.contains("<code>POST /api/addresses → 404 (text/html), expected 201</code>"));

    // JUnit, read by our own XML reader: errors for blocked, failures for failed.
    let junit = p.read("reports/junit.xml");
    let doc = roxmltree::Document::parse(&junit).unwrap();
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(
        (
            suite.attribute("tests"),
            suite.attribute("failures"),
            suite.attribute("errors")
        ),
        (Some("7"), Some("3"), Some("2"))
    );
    let blocked = doc.descendants().find(|n| n.has_tag_name("error")).unwrap();
    assert_eq!(blocked.attribute("type"), Some("blocked"));
    assert!(
        blocked.attribute("message").unwrap().contains("setup")
            || blocked.attribute("message").unwrap().contains("step"),
        "{junit}"
    );
}

#[test]
fn junit_readers_count_blocked_as_errors_and_failed_as_failures() {
    let target = serve();
    let p = project();
    let out = p.gigcheck(&["run", "--base-url", &target.url]);
    assert_eq!(out.code, 1, "{}", out.all());
    let reader =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python/read_junit.py");
    let counted = run_ok(
        Command::new(python())
            .arg(reader)
            .arg(p.path("reports/junit.xml")),
        "read_junit.py",
    );
    let counted: Value = serde_json::from_str(&counted).unwrap();
    assert_eq!(
        counted,
        json!({
            "junitparser": {
                "counted": {"tests": 7, "failures": 3, "errors": 2, "skipped": 0, "error_types": ["blocked", "blocked"]},
                "declared": {"tests": 7, "failures": 3, "errors": 2, "skipped": 0},
            },
            "xunitparser": {"tests": 7, "failures": 3, "errors": 2, "skipped": 0},
        })
    );
}
