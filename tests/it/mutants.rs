//! `gigcheck mutants` and `gigcheck run --sandbox-defect`, end to end with the real binary and
//! the embedded sandbox: a small spec set that catches some defects and not others.

use crate::common;
use common::*;

const ORDER_RULES: &str = r#"
name: Order rules
setup:
  - name: Register a customer
    request:
      method: POST
      url: /api/auth/register
      json: { email: "{{unique_email}}", password: "Sup3r$ecretPass", first_name: Ada, last_name: Byte }
    expect: { status: 201 }
    capture: { token: $.token }
  - name: Add an address
    request:
      method: POST
      url: /api/addresses
      bearer: "{{token}}"
      json: { first_name: Ada, last_name: Byte, street_address: 1 Loop Rd, city: Austin, state: TX, zip_code: "78701", country: US }
    expect: { status: 201 }
    capture: { address_id: $.address.id }
  - name: Place an order
    request:
      method: POST
      url: /api/orders
      bearer: "{{token}}"
      json:
        items: [{ product_id: 1, quantity: 1 }]
        shipping_address_id: "{{address_id}}"
        billing_address_id: "{{address_id}}"
        shipping_method: standard
    expect: { status: 201 }
    capture: { order_id: $.order.id }
scenarios:
  - id: "4.3"
    name: A shipped order cannot be cancelled
    steps:
      - name: Log in as admin
        request: { method: POST, url: /api/auth/login, json: { email: "{{admin_email}}", password: "{{admin_password}}" } }
        expect: { status: 200 }
        capture: { admin_token: $.token }
      - name: Ship it
        request: { method: PUT, url: "/api/orders/{{order_id}}/status", bearer: "{{admin_token}}", json: { status: shipped } }
        expect: { status: 200 }
      - name: Try to cancel it
        request: { method: POST, url: "/api/orders/{{order_id}}/cancel", bearer: "{{token}}" }
        expect: { status: 400 }
  - id: "2.2"
    name: A customer cannot change an order's status
    steps:
      - request: { method: PUT, url: "/api/orders/{{order_id}}/status", bearer: "{{token}}", json: { status: shipped } }
        expect: { status: 403 }
  - id: "3.2"
    name: per_page is capped at 50
    steps:
      - request: { method: GET, url: /api/orders, bearer: "{{token}}", query: { per_page: "1000" } }
        expect: { status: 200, body: { $.pagination.per_page: 50 } }
"#;

fn project() -> Project {
    let p = Project::new();
    p.write("specs/orders.yaml", ORDER_RULES);
    p
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().map(str::trim_end).collect()
}

#[test]
fn every_defect_caught_exits_0_with_the_table() {
    let p = project();
    let out = p.gigcheck(&[
        "mutants",
        "--defect",
        "orders.cancel.shipped-refused",
        "--defect",
        "orders.status.non-admin",
        // The name it had before defects were named after rules.
        "--defect",
        "per-page-uncapped",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    let stdout = lines(&out.stdout);
    assert!(stdout.contains(&"clean sandbox: 3 passed"), "{}", out.all());
    let table = stdout
        .iter()
        .position(|l| l.starts_with("DEFECT"))
        .unwrap_or_else(|| panic!("no table in {}", out.all()));
    assert_eq!(
        &stdout[table..],
        [
            "DEFECT                         CAUGHT BY",
            "orders.cancel.shipped-refused  4.3",
            "orders.status.non-admin        2.2",
            "orders.list.per-page-cap       3.2",
            "caught 3/3",
        ],
        "{}",
        out.all()
    );
    // Nothing is written by a mutants run.
    assert!(!p.exists("reports/junit.xml"));
}

#[test]
fn an_escaped_defect_exits_1_and_is_named() {
    let p = project();
    let out = p.gigcheck(&[
        "mutants",
        "specs",
        "--defect",
        "orders.list.per-page-cap",
        "--defect",
        "payment.webhook.bad-signature",
        "--jobs",
        "1",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    let stdout = lines(&out.stdout);
    assert!(
        stdout.contains(&"payment.webhook.bad-signature  ESCAPED: no scenario failed with it on"),
        "{}",
        out.all()
    );
    assert!(
        stdout.contains(&"escaped: payment.webhook.bad-signature (no spec notices it)"),
        "{}",
        out.all()
    );
    assert_eq!(stdout.last(), Some(&"caught 1/2"), "{}", out.all());
}

#[test]
fn verifying_only_runs_each_defect_against_the_scenarios_that_claim_its_rule() {
    let p = project();
    // 4.3's last step claims the rule its defect breaks, and catches it; 2.2 claims the paging
    // cap but does not look at paging: only 3.2, which claims nothing, would notice.
    let claims = ORDER_RULES
        .replace(
            "      - name: Try to cancel it\n",
            "      - name: Try to cancel it\n        verifies: [orders.cancel.shipped-refused]\n",
        )
        .replace(
            "    name: A customer cannot change an order's status\n",
            "    name: A customer cannot change an order's status\n    verifies: [orders.list.per-page-cap]\n",
        );
    assert_ne!(claims, ORDER_RULES);
    p.write("specs/orders.yaml", &claims);
    let defects = [
        "--defect",
        "orders.cancel.shipped-refused",
        "--defect",
        "orders.list.per-page-cap",
    ];
    let mut args = vec!["mutants", "--verifying-only", "--jobs", "2"];
    args.extend(defects);
    let out = p.gigcheck(&args);
    assert_eq!(out.code, 1, "{}", out.all());
    let stdout = lines(&out.stdout);
    assert!(
        stdout.contains(&"orders.cancel.shipped-refused  4.3"),
        "{}",
        out.all()
    );
    assert!(
        stdout.contains(&"orders.list.per-page-cap       ESCAPED: no scenario failed with it on"),
        "{}",
        out.all()
    );
    // Every scenario against it, the cap's defect is caught, by the scenario that claims nothing.
    let mut args = vec!["mutants", "--jobs", "2"];
    args.extend(defects);
    let out = p.gigcheck(&args);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        lines(&out.stdout).contains(&"orders.list.per-page-cap       3.2"),
        "{}",
        out.all()
    );
}

#[test]
fn a_failing_clean_run_fails_mutants() {
    let p = project();
    p.write(
        "specs/teapot.yaml",
        r#"
name: Wrong expectation
scenarios:
  - id: "9.9"
    name: The catalogue is a teapot
    steps:
      - request: { method: GET, url: /api/products }
        expect: { status: 418 }
"#,
    );
    let out = p.gigcheck(&["mutants", "--defect", "per-page-uncapped"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("clean sandbox: 3 passed, 1 failed"),
        "{}",
        out.all()
    );
    assert!(out.stdout.contains("[9.9] The catalogue is a teapot"));
    assert_eq!(lines(&out.stdout).last(), Some(&"caught 1/1"));
}

#[test]
fn run_through_the_embedded_sandbox_with_a_defect() {
    let p = project();
    let clean = p.gigcheck(&["run"]);
    assert_eq!(clean.code, 0, "{}", clean.all());
    let broken = p.gigcheck(&["run", "--sandbox-defect", "orders.cancel.shipped-refused"]);
    assert_eq!(broken.code, 1, "{}", broken.all());
    assert!(
        broken
            .stdout
            .contains("with defects: orders.cancel.shipped-refused with"),
        "{}",
        broken.all()
    );
    assert!(
        broken
            .stdout
            .contains("✗ [4.3] A shipped order cannot be cancelled")
    );
    assert!(broken.stdout.contains("✓ [2.2]"));
}

#[test]
fn unknown_defects_and_conflicts_are_usage_errors() {
    let p = project();
    for args in [
        &["sandbox", "--defect", "nope"][..],
        &["run", "--sandbox-defect", "nope"],
        &["mutants", "--defect", "nope"],
    ] {
        let out = p.gigcheck(args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.all());
        assert!(
            out.stderr.contains("nope") && out.stderr.contains("gigcheck mutants --list"),
            "{args:?}: {}",
            out.stderr
        );
    }
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        "http://127.0.0.1:9",
        "--sandbox-defect",
        "oversell-race",
    ]);
    assert_eq!(out.code, 2, "{}", out.all());
    p.write("env.yaml", "base_url: http://127.0.0.1:9\n");
    let out = p.gigcheck(&[
        "run",
        "--env",
        "env.yaml",
        "--sandbox-defect",
        "oversell-race",
    ]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr
            .contains("--sandbox-defect is for the embedded sandbox")
    );
}
