//! `gigcheck run` end to end against a real server: passing runs, captures, includes, retries,
//! cookies, concurrency, selection, exit codes.

use crate::common;
use common::*;
use std::sync::atomic::Ordering;

const ORDERS: &str = r#"
name: Orders
tags: [orders]
vars:
  password: "Sup3r$ecretPass"
setup:
  - include: _fragments/login.yaml
    with: { email: "{{unique_email}}", password: "{{password}}" }
scenarios:
  - id: "1.1"
    name: Place an order and see it in the history
    tags: [smoke]
    steps:
      - name: Create an order
        request:
          method: POST
          url: /api/orders
          bearer: "{{token}}"
          json: { items: [{ product_id: 1, quantity: 1 }] }
        expect:
          status: 201
          headers:
            content-type: { matches: "^application/json" }
          body:
            $.message: Order created successfully
            $.order.status: { one_of: [pending, processing] }
            $.order.total: 399.99
            $.order.id: { type: integer, gt: 0 }
          schema: created-order.json
          faster_than: 5s
        capture:
          order_id: $.order.id
          order: $.order
      - name: See it in the history
        request: { method: GET, url: "/api/orders/{{order_id}}", bearer: "{{token}}" }
        expect:
          status: 200
          body:
            $.order.id: "{{order_id}}"
            $.order.total: "{{order.total}}"
            $.order.items: { type: array, length: 1 }
  - id: "4.2"
    name: Cannot cancel twice
    steps:
      - request: { method: POST, url: /api/orders, bearer: "{{token}}", json: { items: [{ product_id: 2, quantity: 1 }] } }
        capture: { order_id: $.order.id }
      - request: { method: POST, url: "/api/orders/{{order_id}}/cancel", bearer: "{{token}}" }
        expect: { status: 200, body: { $.message: { contains: cancelled } } }
      - request: { method: POST, url: "/api/orders/{{order_id}}/cancel", bearer: "{{token}}" }
        expect:
          status: 4xx
          body:
            $.error: "Cannot cancel order with status 'cancelled'"
"#;

#[test]
fn a_passing_run_exits_0_and_writes_junit() {
    let server = start();
    let p = Project::shop();
    p.write("specs/orders.yaml", ORDERS);
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout
            .contains("✓ [1.1] Place an order and see it in the history")
    );
    assert!(
        out.stdout
            .contains("PASSED 2 scenarios: 2 passed, 0 failed, 0 blocked, 0 skipped")
    );
    assert!(
        p.read("reports/junit.xml")
            .contains("[4.2] Cannot cancel twice")
    );
    // 2 scenarios × (login + their own steps)
    assert_eq!(server.shop.requests.load(Ordering::SeqCst), 2 + 2 + 3);
}

#[test]
fn captures_keep_json_types_across_steps() {
    let server = start();
    let p = Project::shop();
    p.write(
        "specs/types.yaml",
        r#"
scenarios:
  - name: numbers stay numbers
    steps:
      - request: { method: POST, url: /api/echo, json: { n: 5, list: [1, 2], obj: { a: true } } }
        capture: { body: $.body }
      - request: { method: POST, url: /api/echo, body: "{{body}}" }
        capture: { echoed: $.body }
      - request:
          method: POST
          url: /api/echo
          json: { n: 5, again: "{{echoed}}" }
        expect:
          body:
            $.body: { contains: '"again":"{\"n\":5' }
"#,
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 0, "{}", out.all());

    p.write(
        "specs/types.yaml",
        r#"
scenarios:
  - name: a captured number is sent as a number
    steps:
      - request: { method: POST, url: /api/orders, bearer: "{{token}}", json: { items: [{ product_id: 3, quantity: 1 }] } }
        capture: { id: $.order.id, items: $.order.items }
      - request: { method: POST, url: /api/echo, json: { id: "{{id}}", items: "{{items}}", text: "order {{id}}" } }
        expect:
          body:
            $.body: '{"id":1000,"items":[{"product_id":3,"quantity":1}],"text":"order 1000"}'
"#,
    );
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--var",
        &format!("token={TOKEN}"),
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
}

#[test]
fn retry_waits_for_an_effect_that_arrives_late() {
    let server = start();
    let p = Project::new();
    p.write(
        "specs/retry.yaml",
        r#"
scenarios:
  - name: payment becomes paid
    steps:
      - request: { method: GET, url: /api/eventually }
        expect: { body: { $.payment_status: paid } }
        retry: { attempts: 5, delay: 10ms }
"#,
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url, "-v"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(
        server.shop.polls.load(Ordering::SeqCst),
        3,
        "stops retrying once it passes"
    );
    assert!(out.stdout.contains("3 attempts"), "{}", out.stdout);

    // Too few attempts: fails, and says how many were made.
    let server = start();
    p.write(
        "specs/retry.yaml",
        &p.read("specs/retry.yaml")
            .replace("attempts: 5", "attempts: 2"),
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 1);
    assert!(out.stdout.contains("2 attempts"), "{}", out.stdout);
    assert!(out.stdout.contains("expected: \"paid\""), "{}", out.stdout);
}

#[test]
fn each_scenario_has_its_own_cookie_jar() {
    let server = start();
    let p = Project::new();
    p.write(
        "specs/cookies.yaml",
        r#"
scenarios:
  - name: the jar keeps cookies between steps
    steps:
      - request: { method: GET, url: /api/cookie }
      - request: { method: GET, url: /api/echo }
        expect: { body: { $.headers.cookie: session=s3ss10n-value } }
  - name: another scenario starts with an empty jar
    steps:
      - request: { method: GET, url: /api/echo }
        expect: { body: { $.headers.cookie: { absent: true } } }
"#,
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--jobs", "1"]);
    assert_eq!(out.code, 0, "{}", out.all());
}

fn busy_suite(serial: bool, n: usize) -> String {
    let mut s = format!("serial: {serial}\nscenarios:\n");
    for i in 0..n {
        s.push_str(&format!(
            "  - id: \"{i}\"\n    name: busy {i}\n    steps:\n      - request: {{ method: GET, url: /api/busy }}\n        expect: {{ status: 200 }}\n"
        ));
    }
    s
}

#[test]
fn scenarios_run_concurrently_up_to_jobs_and_report_in_order() {
    let server = start();
    let p = Project::new();
    p.write("specs/busy.yaml", &busy_suite(false, 8));
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--jobs", "4"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let max = server.shop.max_in_flight.load(Ordering::SeqCst);
    assert!((2..=4).contains(&max), "max in flight {max}");
    let order: Vec<&str> = out.stdout.lines().filter(|l| l.contains("✓ [")).collect();
    let expected: Vec<String> = (0..8).map(|i| format!("  ✓ [{i}] busy {i}")).collect();
    let stripped: Vec<String> = order
        .iter()
        .map(|l| l.split(" (").next().unwrap_or("").to_string())
        .collect();
    assert_eq!(stripped, expected);
}

#[test]
fn a_serial_suite_runs_one_scenario_at_a_time() {
    let server = start();
    let p = Project::new();
    p.write("specs/busy.yaml", &busy_suite(true, 4));
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--jobs", "4"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(server.shop.max_in_flight.load(Ordering::SeqCst), 1);
}

#[test]
fn an_exclusive_scenario_runs_with_nothing_else_running() {
    let server = start();
    let p = Project::new();
    let mut suite = busy_suite(false, 6);
    suite.push_str("  - name: alone\n    exclusive: true\n    steps:\n      - request: { method: GET, url: /api/alone }\n      - request: { method: GET, url: /api/alone }\n");
    suite.push_str(&busy_suite(false, 6).replace("serial: false\nscenarios:\n", ""));
    p.write("specs/busy.yaml", &suite);
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--jobs", "4"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        server.shop.max_in_flight.load(Ordering::SeqCst) >= 2,
        "others did run in parallel"
    );
    assert_eq!(server.shop.company_seen.load(Ordering::SeqCst), 0);
    // The exclusive scenario starts first (the run empties once), but is reported in its place.
    let order: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("specs/busy.yaml"))
        .skip(1)
        .take_while(|l| l.starts_with("  ✓ "))
        .collect();
    assert_eq!(order.len(), 13, "{}", out.stdout);
    assert!(order[6].contains("alone"), "{order:?}");
}

#[test]
fn fail_fast_stops_starting_scenarios() {
    let server = start();
    let p = Project::new();
    p.write(
        "specs/ff.yaml",
        r#"
serial: true
scenarios:
  - name: fails
    steps: [{ request: { method: GET, url: /api/echo }, expect: { status: 500 } }]
  - name: never runs
    steps: [{ request: { method: GET, url: /api/echo } }]
"#,
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--fail-fast"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("never runs skipped: not run: --fail-fast"),
        "{}",
        out.stdout
    );
    assert_eq!(server.shop.requests.load(Ordering::SeqCst), 1);
}

#[test]
fn tag_and_filter_select_scenarios() {
    let server = start();
    let p = Project::shop();
    p.write("specs/orders.yaml", ORDERS);
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--tag", "smoke"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains("1 scenario: 1 passed"),
        "{}",
        out.stdout
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--filter", "CANCEL"]);
    assert!(
        out.stdout.contains("[4.2]") && !out.stdout.contains("[1.1]"),
        "{}",
        out.stdout
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--tag", "nope"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no scenario matches"), "{}", out.stderr);
}

#[test]
fn an_unreachable_target_is_one_line_and_exit_3() {
    let p = Project::shop();
    p.write("specs/orders.yaml", ORDERS);
    let url = dead_url();
    let out = p.gigcheck(&["run", "--base-url", &url]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert_eq!(
        out.stderr.trim(),
        format!("error: cannot reach {url}/: connection refused")
    );
    assert!(
        !p.exists("reports/junit.xml"),
        "nothing ran, nothing to report"
    );
}

#[test]
fn usage_errors_exit_2_without_sending() {
    let server = start();
    let p = Project::shop();
    p.write("specs/orders.yaml", ORDERS);
    let out = p.gigcheck(&["run", "--base-url", "ftp://x"]);
    assert_eq!(out.code, 2);
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--ci",
        "--update-snapshots",
    ]);
    assert_eq!(out.code, 2);
    let out = p.gigcheck(&["run", "nowhere/", "--base-url", &server.url]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("nowhere/ does not exist"),
        "{}",
        out.stderr
    );
    assert_eq!(server.shop.requests.load(Ordering::SeqCst), 0);
}

#[test]
fn an_env_file_gives_target_variables_and_secrets() {
    let server = start();
    let p = Project::shop();
    p.write(
        "specs/orders.yaml",
        &ORDERS.replace("vars:\n  password: \"Sup3r$ecretPass\"\n", ""),
    );
    p.write(
        "env/local.yaml",
        &format!(
            "base_url: {}\nvars:\n  greeting: hi\nsecrets:\n  password: SHOP_PASSWORD\n",
            server.url
        ),
    );
    let out = p.gigcheck_env(
        &["run", "--env", "env/local.yaml"],
        &[("SHOP_PASSWORD", PASSWORD)],
    );
    assert_eq!(out.code, 0, "{}", out.all());

    // Without the secret in the environment, the scenarios that need it are skipped, not
    // failed; as nothing else ran, the run checked nothing, which is not a pass.
    let out = p.gigcheck_env(&["run", "--env", "env/local.yaml"], &[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains("skipped: not configured: needs `password` (set SHOP_PASSWORD)"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("0 passed, 0 failed, 0 blocked, 2 skipped"),
        "{}",
        out.stdout
    );
}

#[test]
fn secrets_never_reach_the_output_or_the_report() {
    let server = start();
    let p = Project::shop();
    p.write(
        "specs/secrets.yaml",
        r#"
scenarios:
  - name: leaks nothing even when failing
    steps:
      - include: _fragments/login.yaml
        with: { email: a@b.example, password: "{{env.SHOP_PASSWORD}}" }
      - request:
          method: POST
          url: /api/echo
          headers: { X-Api-Key: "{{env.SHOP_PASSWORD}}" }
          json: { note: "pw is {{env.SHOP_PASSWORD}}", bearer: "{{token}}" }
        expect: { status: 418 }
"#,
    );
    let out = p.gigcheck_env(
        &["run", "--base-url", &server.url, "-v"],
        &[("SHOP_PASSWORD", PASSWORD)],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let junit = p.read("reports/junit.xml");
    for text in [&out.stdout, &out.stderr, &junit] {
        assert!(!text.contains(PASSWORD), "password leaked:\n{text}");
        assert!(!text.contains(TOKEN), "token leaked:\n{text}");
    }
    assert!(out.stdout.contains("[redacted]"));
}

#[test]
fn fixtures_give_variables_and_outside_values_win() {
    let server = start();
    let p = Project::new();
    p.write(
        "fixtures/people.yaml",
        "greeting: hello\nperson: { name: Ada }\n",
    );
    p.write(
        "specs/f.yaml",
        r#"
fixtures: [people.yaml]
vars:
  farewell: bye
scenarios:
  - name: fixture and spec values reach the request
    steps:
      - request: { method: POST, url: /api/echo, json: { g: "{{greeting}}", n: "{{person.name}}", f: "{{farewell}}" } }
        expect:
          body:
            $.body: '{"g":"{{expected_greeting}}","n":"Ada","f":"{{expected_farewell}}"}'
"#,
    );
    let defaults = [
        "--var",
        "expected_greeting=hello",
        "--var",
        "expected_farewell=bye",
    ];
    let mut args = vec!["run", "--base-url", &server.url];
    args.extend(defaults);
    let out = p.gigcheck(&args);
    assert_eq!(out.code, 0, "{}", out.all());

    let overridden = [
        "run",
        "--base-url",
        &server.url,
        "--var",
        "greeting=hi",
        "--var",
        "farewell=ciao",
        "--var",
        "expected_greeting=hi",
        "--var",
        "expected_farewell=ciao",
    ];
    let out = p.gigcheck(&overridden);
    assert_eq!(
        out.code,
        0,
        "--var beats fixtures and spec vars: {}",
        out.all()
    );

    p.write(
        "specs/f.yaml",
        &p.read("specs/f.yaml").replace("people.yaml", "nobody.yaml"),
    );
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("fixture file fixtures/nobody.yaml does not exist"),
        "{}",
        out.stderr
    );
}

/// An installed gigcheck run from inside a project, or from anywhere with `--project`, finds the
/// project's specs and fixtures and writes its reports under it.
#[test]
fn the_project_is_found_from_a_subfolder_or_given_with_project() {
    let server = start();
    let p = Project::shop();
    p.write("specs/orders.yaml", ORDERS);
    let deep = p.path("notes/2026");
    std::fs::create_dir_all(&deep).unwrap();
    let run_in = |dir: &std::path::Path, args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_gigcheck"))
            .args(args)
            .current_dir(dir)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = run_in(&deep, &["validate"]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("valid: 1 spec file,"), "{stdout}");
    let (code, stdout, stderr) = run_in(&deep, &["run", "--base-url", &server.url]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("report: ../../reports/junit.xml"),
        "{stdout}"
    );
    assert!(p.exists("reports/junit.xml"));
    assert!(!deep.join("reports").exists());

    let elsewhere = tempfile::tempdir().unwrap();
    let project = p.dir.path().to_str().unwrap();
    let (code, stdout, stderr) = run_in(elsewhere.path(), &["list", "--project", project]);
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("1.1  Place an order"), "{stdout}");
    let (code, _, stderr) = run_in(elsewhere.path(), &["validate"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("or --project DIR"), "{stderr}");
}

/// A catalogue role no product of the target meets leaves the scenarios that need it skipped
/// with the rule as the reason (never another deployment's id); `--var` pins it instead.
#[test]
fn a_role_no_product_meets_skips_what_needs_it_and_var_pins_it() {
    let p = Project::new();
    p.write(
        "fixtures/roles.yaml",
        "roles:\n  warehouse_lot: { stock_quantity: { gte: 1000000 } }\n",
    );
    p.write(
        "specs/lot.yaml",
        "scenarios:\n  - name: needs the lot\n    steps:\n      - request: { method: GET, url: \"/api/products/{{warehouse_lot}}\" }\n        expect: { status: 200 }\n  - name: needs nothing\n    steps:\n      - request: { method: GET, url: /api/products }\n        expect: { status: 200 }\n",
    );
    let out = p.gigcheck(&["run"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains(
            "needs the lot skipped: not configured: needs `warehouse_lot` (set --var warehouse_lot=<product id>: no product has stock_quantity >= 1000000)"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("1 passed, 0 failed, 0 blocked, 1 skipped"),
        "{}",
        out.stdout
    );
    let out = p.gigcheck(&["run", "--var", "warehouse_lot=1"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout
            .contains("2 passed, 0 failed, 0 blocked, 0 skipped"),
        "{}",
        out.stdout
    );
}
