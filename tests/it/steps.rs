//! The `webhook` and `hook` steps, and skipping what is not configured.

use crate::common;
use common::*;

#[test]
fn webhook_steps_sign_like_stripe_or_get_it_wrong_on_purpose() {
    let server = start();
    let p = Project::new();
    p.write(
        "specs/webhooks.yaml",
        r#"
vars:
  object: { id: pi_123, object: payment_intent, status: succeeded, metadata: { order_id: "7" } }
scenarios:
  - id: "5.1"
    name: a signed event is accepted
    steps:
      - webhook: { type: payment_intent.succeeded, object: "{{object}}" }
        expect: { status: 200, body: { $.type: payment_intent.succeeded, $.object_id: pi_123 } }
  - id: "5.x"
    name: wrong signatures are refused
    steps:
      - webhook: { type: payment_intent.succeeded, object: "{{object}}", signature: wrong_secret }
        expect: { status: 400 }
      - webhook: { type: payment_intent.succeeded, object: "{{object}}", signature: stale }
        expect: { status: 400 }
      - webhook: { type: payment_intent.succeeded, object: "{{object}}", signature: tampered }
        expect: { status: 400 }
      - webhook: { type: payment_intent.succeeded, object: "{{object}}", signature: missing }
        expect: { status: 400 }
"#,
    );
    let out = p.gigcheck_env(
        &["run", "--base-url", &server.url, "-v"],
        &[("GIGCHECK_WEBHOOK_SECRET", WEBHOOK_SECRET)],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        !out.all().contains(WEBHOOK_SECRET),
        "the webhook secret leaked"
    );
    assert!(
        out.stdout.contains("Stripe-Signature: [redacted]"),
        "{}",
        out.stdout
    );

    // Without a webhook secret the scenarios cannot run: skipped, with what to set.
    let out = p.gigcheck_env(
        &["run", "--base-url", &server.url],
        &[("GIGCHECK_WEBHOOK_SECRET", "")],
    );
    // Everything was skipped: nothing was checked, which is not a pass.
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains(
            "skipped: not configured: needs `webhook_secret` (set GIGCHECK_WEBHOOK_SECRET)"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_down_hook_is_undone_even_when_the_scenario_fails() {
    let server = start();
    let p = Project::new();
    p.write(
        "env.yaml",
        &format!(
            "base_url: {}\nhooks:\n  db_down: touch db-is-down\n  db_up: rm db-is-down\n",
            server.url
        ),
    );
    p.write(
        "specs/outage.yaml",
        r#"
scenarios:
  - id: "6.1"
    name: database outage
    steps:
      - hook: db_down
      - name: the marker exists while down
        request: { method: GET, url: /api/echo }
        expect: { status: 503 }
"#,
    );
    let out = p.gigcheck(&["run", "--env", "env.yaml"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(!p.exists("db-is-down"), "db_up ran after the failure");
    assert!(out.stdout.contains("FAILED 1 scenario:"), "{}", out.stdout);

    // A scenario that brings it back itself owes nothing at the end.
    p.write(
        "specs/outage.yaml",
        "scenarios:\n  - name: down and up\n    steps:\n      - hook: db_down\n      - hook: db_up\n      - request: { method: GET, url: /api/echo }\n",
    );
    let out = p.gigcheck(&["run", "--env", "env.yaml", "-v"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(!out.stdout.contains("undoing"), "{}", out.stdout);

    // A failing hook fails the step with its message.
    p.write(
        "env.yaml",
        &format!(
            "base_url: {}\nhooks:\n  db_down: echo no permission >&2; exit 4\n  db_up: 'true'\n",
            server.url
        ),
    );
    let out = p.gigcheck(&["run", "--env", "env.yaml"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout
            .contains("failed (exit status: 4): no permission"),
        "{}",
        out.stdout
    );
}

#[test]
fn hooks_come_from_the_environment_or_the_scenario_is_skipped() {
    let server = start();
    let p = Project::new();
    p.write(
        "specs/outage.yaml",
        "scenarios:\n  - name: outage\n    steps:\n      - hook: db_down\n",
    );
    let out = p.gigcheck_env(
        &["run", "--base-url", &server.url],
        &[("GIGCHECK_DB_DOWN_CMD", ""), ("GIGCHECK_DB_UP_CMD", "")],
    );
    // Everything was skipped: nothing was checked, which is not a pass.
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("needs hook `db_down` (set GIGCHECK_DB_DOWN_CMD or hooks.db_down in the --env file), hook `db_up`"),
        "{}",
        out.stdout
    );
    let out = p.gigcheck_env(
        &["run", "--base-url", &server.url],
        &[
            ("GIGCHECK_DB_DOWN_CMD", "true"),
            ("GIGCHECK_DB_UP_CMD", "true"),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("1 passed"), "{}", out.stdout);
}

#[test]
fn stripe_emulator_runs_beside_an_external_backend() {
    let server = start();
    let p = Project::new();
    p.write(
        "specs/emulator.yaml",
        r#"
scenarios:
  - name: the emulator is there and signs for the backend's webhook route
    steps:
      - request: { method: GET, url: "{{stripe_url}}/__emulator/health" }
        expect: { status: 200, body: { $.status: ok } }
      - name: An intent the backend could create
        request:
          method: POST
          url: "{{stripe_url}}/v1/payment_intents"
          bearer: sk_test_gigcheck
          form: { amount: "1999", currency: usd, confirm: "true", payment_method: pm_card_visa }
        expect: { status: 200, body: { $.status: succeeded } }
      - name: Its events reach the backend's /api/payment/webhook, validly signed
        request:
          method: GET
          url: "{{stripe_url}}/__emulator/deliveries"
          query: { type: payment_intent.succeeded }
        expect:
          body:
            "$.data[0].attempts[0].status": 200
        retry: { attempts: 40, delay: 50ms }
"#,
    );
    let out = p.gigcheck_env(
        &["run", "--base-url", &server.url, "--stripe-emulator", "0"],
        &[
            ("GIGCHECK_WEBHOOK_SECRET", WEBHOOK_SECRET),
            ("GIGCHECK_STRIPE_URL", ""),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    // Without --stripe-emulator there is no stripe_url: skipped, with what to set.
    let out = p.gigcheck_env(
        &["run", "--base-url", &server.url],
        &[("GIGCHECK_STRIPE_URL", "")],
    );
    // Everything was skipped: nothing was checked, which is not a pass.
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains("needs `stripe_url` (set GIGCHECK_STRIPE_URL)"),
        "{}",
        out.stdout
    );
}

#[test]
fn concurrent_steps_send_at_once_and_count_the_answers() {
    let server = start();
    let p = Project::new();
    let spec = |count: &str| {
        format!(
            "scenarios:\n  - name: at once\n    steps:\n      - concurrent:\n          times: 6\n          request: {{ method: GET, url: /api/busy }}\n        expect:\n          statuses: {{ {count} }}\n"
        )
    };
    p.write("specs/c.yaml", &spec("200: 6"));
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        server
            .shop
            .max_in_flight
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 2,
        "sent together"
    );

    p.write("specs/c.yaml", &spec("200: 5, 4xx: 1"));
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("expected: 5× 200, 1× 4xx"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("actual:   6× 200"), "{}", out.stdout);

    // A mistake in one of several requests is pointed at precisely.
    p.write(
        "specs/c.yaml",
        "scenarios:\n  - name: at once\n    steps:\n      - concurrent:\n          requests:\n            - { method: GET, url: /api/busy }\n            - { method: GET, url: \"/api/{{nope}}\" }\n        expect: { statuses: { 200: 2 } }\n",
    );
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("specs/c.yaml:7:"), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("variable `nope` is used before it is defined"),
        "{}",
        out.stderr
    );
}

/// `once: true` includes run once per run and share what they captured; `when`/`unless` pick a
/// branch; a shared include that failed blocks every scenario that needs it, with one cause and
/// one request sent.
#[test]
fn once_includes_are_shared_by_the_run_and_conditions_pick_a_branch() {
    let server = start();
    let p = Project::shop();
    p.write(
        "specs/_fragments/account.yaml",
        r#"
steps:
  - name: Log in with the given password
    when: "{{given_password}}"
    request: { method: POST, url: /api/auth/login, json: { email: a@b.example, password: "{{given_password}}" } }
    expect: { status: 200 }
    capture: { token: $.token }
  - name: Log in with the default password
    unless: "{{given_password}}"
    request: { method: POST, url: /api/auth/login, json: { email: a@b.example, password: "Sup3r$ecretPass" } }
    expect: { status: 200 }
    capture: { token: $.token }
"#,
    );
    let spec = r#"
vars:
  given_password: ""
setup:
  - include: _fragments/account.yaml
    once: true
scenarios:
  - name: one
    steps:
      - request: { method: GET, url: /api/orders, bearer: "{{token}}" }
        expect: { status: 200 }
  - name: two
    steps:
      - request: { method: GET, url: /api/orders, bearer: "{{token}}" }
        expect: { status: 200 }
  - name: three
    steps:
      - request: { method: GET, url: /api/orders, bearer: "{{token}}" }
        expect: { status: 200 }
"#;
    p.write("specs/shared.yaml", spec);
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--jobs", "3", "-v"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let requests = server
        .shop
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        requests,
        1 + 3,
        "one login for the run, then one request per scenario"
    );
    assert_eq!(
        out.stdout
            .matches("run once for the whole run, by ")
            .count(),
        2,
        "{}",
        out.stdout
    );

    // A wrong password given from outside: the `when` branch runs, fails once, and blocks all.
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--jobs",
        "3",
        "--var",
        "given_password=wrong",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    let after = server
        .shop
        .requests
        .load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        after - requests,
        1,
        "the failed login is sent once, not once per scenario"
    );
    assert!(
        out.stdout
            .contains("FAILED 3 scenarios: 0 passed, 0 failed, 3 blocked, 0 skipped"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("── 3 scenarios blocked by POST /api/auth/login → 401, expected 200"),
        "{}",
        out.stdout
    );
}
