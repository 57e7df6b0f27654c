//! `gigcheck request`: one request against a real server, shown in full; `--as` logs in first,
//! `--curl` prints the command, `--save` keeps the request as a step that then validates and
//! runs; `--query`, `--data`, `-o` and `--capture` (values kept between calls) as Postman and
//! curl users expect them.

use crate::common;
use common::*;

#[test]
fn a_request_shows_status_headers_and_a_pretty_body() {
    let server = start();
    let p = Project::new();
    let out = p.gigcheck(&[
        "request",
        "POST",
        "/api/echo",
        "--base-url",
        &server.url,
        "-H",
        "X-Trace: {{trace}}",
        "--var",
        "trace=t-42",
        "--json",
        r#"{"qty": 2, "note": "{{trace}}"}"#,
        "--curl",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    let date = regex::Regex::new(r"date: .*").unwrap();
    let shown = date.replace_all(&out.stdout, "date: [date]").into_owned();
    insta::assert_snapshot!(stable(&shown, Some(&server)));
}

#[test]
fn as_user_logs_in_first_and_the_token_stays_hidden() {
    let server = start();
    let p = Project::new();
    let login = [
        ("GIGCHECK_USER_EMAIL", "ada@example.test"),
        ("GIGCHECK_USER_PASSWORD", PASSWORD),
    ];
    let args = [
        "request",
        "GET",
        "/api/orders",
        "--base-url",
        &server.url,
        "--as",
        "user",
        "--curl",
        "--save",
        "specs/saved.yaml",
    ];
    let out = p.gigcheck_env(&args, &login);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("HTTP 200 OK"), "{}", out.stdout);
    assert!(out.stdout.contains("\"pagination\""), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(r#"-H "Authorization: Bearer ${GIGCHECK_TOKEN}""#),
        "{}",
        out.stdout
    );
    for secret in [TOKEN, PASSWORD] {
        assert!(!out.all().contains(secret), "{}", out.all());
    }
    assert!(
        out.stderr
            .contains("saved: created specs/saved.yaml (expects status 200)")
    );
    let saved = p.read("specs/saved.yaml");
    assert!(saved.contains("bearer: \"{{user_token}}\""), "{saved}");
    assert!(
        !saved.contains(PASSWORD) && !saved.contains(TOKEN),
        "{saved}"
    );

    // A second request goes to the same scenario, without a second login.
    let out = p.gigcheck_env(
        &[
            "request",
            "GET",
            "/api/orders/999",
            "--base-url",
            &server.url,
            "--as",
            "user",
            "--save",
            "specs/saved.yaml",
        ],
        &login,
    );
    assert_eq!(out.code, 0, "a 404 is an answer: {}", out.all());
    let saved = p.read("specs/saved.yaml");
    assert_eq!(saved.matches("Log in as user").count(), 1, "{saved}");
    assert!(saved.contains("status: 404"), "{saved}");

    // What was saved is a spec like any other: it validates and runs green.
    let check = p.gigcheck(&["validate"]);
    assert_eq!(check.code, 0, "{}", check.all());
    let run = p.gigcheck_env(&["run", "--base-url", &server.url], &login);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("1 passed"), "{}", run.stdout);
}

#[test]
fn show_secrets_prints_them_on_purpose() {
    let server = start();
    let p = Project::new();
    let out = p.gigcheck_env(
        &[
            "request",
            "GET",
            "/api/orders",
            "--base-url",
            &server.url,
            "--as",
            "user",
            "--curl",
            "--show-secrets",
        ],
        &[
            ("GIGCHECK_USER_EMAIL", "ada@example.test"),
            ("GIGCHECK_USER_PASSWORD", PASSWORD),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains(&format!("Bearer {TOKEN}")),
        "{}",
        out.stdout
    );
}

#[test]
fn bad_input_and_dead_targets_get_one_line_and_their_exit_code() {
    let p = Project::new();
    let dead = dead_url();
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (
            vec!["request", "GET", "/api/orders", "--base-url", &dead],
            3,
            "error: cannot connect to",
        ),
        (
            vec!["request", "GET", "/api/orders"],
            2,
            "error: `/api/orders` is a relative URL and there is no base URL",
        ),
        (
            vec![
                "request",
                "POST",
                "http://127.0.0.1:9/x",
                "--json",
                "{\"a\": }",
            ],
            2,
            "error: --json:1:7: not JSON",
        ),
        (
            vec![
                "request",
                "POST",
                "http://127.0.0.1:9/x",
                "--json",
                "@missing.json",
            ],
            2,
            "error: --json @missing.json: cannot read it",
        ),
        (
            vec!["request", "GET", "http://127.0.0.1:9/x", "-H", "NoColon"],
            2,
            "error: -H `NoColon` is not NAME: VALUE",
        ),
        (
            vec![
                "request",
                "GET",
                "/api/orders/{{order_id}}",
                "--base-url",
                &dead,
            ],
            2,
            "error: url: variable `order_id` is not defined",
        ),
        (
            vec!["request", "GET", "/x", "--base-url", &dead, "--as", "admin"],
            2,
            "error: --as admin needs admin_email and admin_password",
        ),
    ];
    for (args, code, start) in cases {
        let out = p.gigcheck_env(
            &args,
            &[
                ("GIGCHECK_ADMIN_EMAIL", ""),
                ("GIGCHECK_ADMIN_PASSWORD", ""),
            ],
        );
        assert_eq!(out.code, code, "{args:?}: {}", out.all());
        assert!(out.stderr.starts_with(start), "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{args:?}: {}", out.stderr);
    }
}

/// The JSON `-o` wrote.
fn written(p: &Project, rel: &str) -> serde_json::Value {
    serde_json::from_str(&p.read(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn query_parameters_are_encoded_and_added_to_the_query_the_url_has() {
    let app = axum::Router::new().route(
        "/q",
        axum::routing::get(
            |axum::extract::RawQuery(q): axum::extract::RawQuery| async move {
                axum::Json(serde_json::json!({ "query": q }))
            },
        ),
    );
    let served = serve(app);
    let p = Project::new();
    let out = p.gigcheck(&[
        "request",
        "GET",
        "/q?page=1",
        "--base-url",
        &served.url,
        "--query",
        "q=a b&c=d",
        "--query",
        "who={{name}}",
        "--var",
        "name=Zoë",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout
            .contains(r#""query": "page=1&q=a+b%26c%3Dd&who=Zo%C3%AB""#),
        "{}",
        out.stdout
    );
}

#[test]
fn data_is_sent_byte_for_byte_with_curls_content_type_unless_a_header_gives_one() {
    let server = start();
    let p = Project::new();
    let inline = r#"{"a": 1,   "b": "{{not_a_var}}"}"#;
    let out = p.gigcheck(&[
        "request",
        "POST",
        "/api/echo",
        "--base-url",
        &server.url,
        "--data",
        inline,
        "-o",
        "inline.json",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    let echo = written(&p, "inline.json");
    assert_eq!(echo["body"], inline);
    assert_eq!(
        echo["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );

    let file = "line one\r\n{{ not a template\n\ttabbed";
    p.write("payload.txt", file);
    let out = p.gigcheck(&[
        "request",
        "POST",
        "/api/echo",
        "--base-url",
        &server.url,
        "--data",
        "@payload.txt",
        "-H",
        "Content-Type: text/plain",
        "-o",
        "file.json",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    let echo = written(&p, "file.json");
    assert_eq!(echo["body"], file);
    assert_eq!(echo["headers"]["content-type"], "text/plain");
}

#[test]
fn a_data_file_that_is_missing_or_a_second_body_is_refused_before_sending() {
    let server = start();
    let p = Project::new();
    let out = p.gigcheck(&[
        "request",
        "POST",
        "/api/echo",
        "--base-url",
        &server.url,
        "--data",
        "@missing.txt",
    ]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert_eq!(
        out.stderr,
        "error: --data @missing.txt: cannot read it: no such file or directory\n"
    );
    for other in [["--json", "{}"], ["--form", "a=b"]] {
        let out = p.gigcheck(&[
            "request",
            "POST",
            "/api/echo",
            "--base-url",
            &server.url,
            "--data",
            "x",
            other[0],
            other[1],
        ]);
        assert_eq!(out.code, 2, "{}", out.all());
        assert!(out.stderr.contains("cannot be used with"), "{}", out.stderr);
    }
    assert_eq!(sent(&server), 0, "nothing may be sent");
}

#[test]
fn output_writes_the_body_as_received_and_prints_only_status_and_headers() {
    let server = start();
    let p = Project::new();
    let out = p.gigcheck(&[
        "request",
        "POST",
        "/api/auth/login",
        "--base-url",
        &server.url,
        "--json",
        &format!(r#"{{"email": "ada@example.test", "password": "{PASSWORD}"}}"#),
        "-o",
        "answers/login.json",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.starts_with("HTTP 200 OK"), "{}", out.stdout);
    assert!(
        out.stdout.contains("content-type: application/json"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("Login successful"), "{}", out.stdout);
    assert!(!out.all().contains(TOKEN), "{}", out.all());
    let body = p.read("answers/login.json");
    assert!(
        out.stderr.contains(&format!(
            "body: {} bytes written to answers/login.json",
            body.len()
        )),
        "{}",
        out.stderr
    );
    assert_eq!(written(&p, "answers/login.json")["token"], TOKEN);
}

#[test]
fn unwritable_files_stop_the_request_before_anything_is_sent() {
    let server = start();
    let p = Project::new();
    p.write("blocker", "a file, not a folder")
        .write("specs/other.yaml", "name: A\nscenarios:\n  - name: S\n    steps:\n      - request: { method: GET, url: /a }\nteardown: []\n");
    let cases: [(&[&str], &str); 4] = [
        (
            &["-o", "blocker/body.json"],
            "error: cannot write blocker/body.json",
        ),
        (
            &["--save", "blocker/saved.yaml"],
            "error: cannot write blocker/saved.yaml",
        ),
        (
            &["--save", "specs/other.yaml"],
            "error: specs/other.yaml: its last scenario's `steps` is not the end of the file",
        ),
        (
            &["--capture", "id=$.id"],
            "error: cannot write .gigcheck/request-vars.json",
        ),
    ];
    for (extra, start) in cases {
        if extra[0] == "--capture" {
            p.write(".gigcheck", "a file, not a folder");
        }
        let mut args = vec!["request", "GET", "/api/echo", "--base-url", &server.url];
        args.extend_from_slice(extra);
        let out = p.gigcheck(&args);
        assert_eq!(out.code, 2, "{extra:?}: {}", out.all());
        assert!(out.stderr.starts_with(start), "{extra:?}: {}", out.stderr);
    }
    assert_eq!(sent(&server), 0, "nothing may be sent");
}

#[test]
fn a_capture_is_kept_and_the_next_request_uses_it_without_showing_it() {
    let server = start();
    let p = Project::new();
    let out = p.gigcheck(&[
        "request",
        "POST",
        "/api/auth/login",
        "--base-url",
        &server.url,
        "--json",
        &format!(r#"{{"email": "ada@example.test", "password": "{PASSWORD}"}}"#),
        "--capture",
        "token=$.token",
        "--capture",
        "user_id=$.user.id",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr.contains("captured: token = [redacted]\n"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("captured: user_id = 7\n"),
        "{}",
        out.stderr
    );
    assert!(!out.all().contains(TOKEN), "{}", out.all());
    let stored: serde_json::Value =
        serde_json::from_str(&p.read(".gigcheck/request-vars.json")).unwrap();
    assert_eq!(stored, serde_json::json!({ "token": TOKEN, "user_id": 7 }));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(p.path(".gigcheck/request-vars.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // The next call, a separate process, reads it.
    let out = p.gigcheck(&[
        "request",
        "GET",
        "/api/orders",
        "--base-url",
        &server.url,
        "-H",
        "Authorization: Bearer {{token}}",
        "--curl",
    ]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(out.stdout.contains("HTTP 200 OK"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(r#"-H "Authorization: Bearer ${GIGCHECK_TOKEN}""#),
        "{}",
        out.stdout
    );
    assert!(!out.all().contains(TOKEN), "{}", out.all());
}

#[test]
fn a_var_given_on_the_command_line_wins_over_a_stored_value() {
    let server = start();
    let p = Project::new();
    p.write(".gigcheck/request-vars.json", r#"{"trace": "stored"}"#);
    let echo = |extra: &[&str]| {
        let mut args = vec![
            "request",
            "GET",
            "/api/echo",
            "--base-url",
            &server.url,
            "-H",
            "X-Trace: {{trace}}",
            "-o",
            "echo.json",
        ];
        args.extend_from_slice(extra);
        let out = p.gigcheck(&args);
        assert_eq!(out.code, 0, "{}", out.all());
        written(&p, "echo.json")["headers"]["x-trace"].clone()
    };
    assert_eq!(echo(&[]), "stored");
    assert_eq!(echo(&["--var", "trace=typed"]), "typed");
}

#[test]
fn forget_clears_the_stored_values() {
    let server = start();
    let p = Project::new();
    p.write(".gigcheck/request-vars.json", r#"{"trace": "stored"}"#);
    let out = p.gigcheck(&["request", "--forget"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(
        out.stderr,
        "forgot 1 stored value (.gigcheck/request-vars.json)\n"
    );
    assert!(!p.exists(".gigcheck/request-vars.json"));
    let out = p.gigcheck(&[
        "request",
        "GET",
        "/api/echo",
        "--base-url",
        &server.url,
        "-H",
        "X-Trace: {{trace}}",
    ]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr
            .starts_with("error: X-Trace: variable `trace` is not defined"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_capture_that_finds_nothing_exits_1_after_the_answer_and_keeps_nothing() {
    let server = start();
    let p = Project::new();
    let out = p.gigcheck(&[
        "request",
        "GET",
        "/api/echo",
        "--base-url",
        &server.url,
        "--capture",
        "body=$.body",
        "--capture",
        "id=$.order.id",
        "--save",
        "specs/saved.yaml",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stdout.contains("HTTP 200 OK"), "{}", out.stdout);
    assert!(out.stdout.contains("\"headers\""), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("error: --capture id=$.order.id: $.order.id matched nothing"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("nothing was kept: every --capture must find its value"),
        "{}",
        out.stderr
    );
    assert!(!p.exists(".gigcheck/request-vars.json"));
    assert!(!p.exists("specs/saved.yaml"));
}

#[test]
fn save_keeps_the_vars_and_captures_so_the_saved_spec_runs_alone() {
    let server = start();
    let p = Project::new();
    let login = [
        ("GIGCHECK_USER_EMAIL", "ada@example.test"),
        ("GIGCHECK_USER_PASSWORD", PASSWORD),
    ];
    let out = p.gigcheck_env(
        &[
            "request",
            "POST",
            "/api/orders",
            "--base-url",
            &server.url,
            "--as",
            "user",
            "--json",
            r#"{"items": [{"sku": "{{sku}}", "quantity": 1}]}"#,
            "--var",
            "sku=GPU-3080",
            "--capture",
            "order_id=$.order.id",
            "--save",
            "specs/flow.yaml",
        ],
        &login,
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let out = p.gigcheck_env(
        &[
            "request",
            "GET",
            "/api/orders/{{order_id}}",
            "--base-url",
            &server.url,
            "--as",
            "user",
            "--save",
            "specs/flow.yaml",
        ],
        &login,
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains("\"sku\": \"GPU-3080\""),
        "{}",
        out.stdout
    );
    let saved = p.read("specs/flow.yaml");
    assert!(
        saved.contains("    vars:\n      sku: GPU-3080\n"),
        "{saved}"
    );
    assert!(
        saved.contains("capture:\n          order_id: $.order.id\n"),
        "{saved}"
    );
    let run = p.gigcheck_env(&["run", "--base-url", &server.url], &login);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("1 passed"), "{}", run.stdout);
}

#[test]
fn a_postman_environment_is_refused_with_the_command_that_converts_it() {
    let server = start();
    let p = Project::new();
    p.write(
        "local.postman_environment.json",
        r#"{"id": "5d1c", "name": "Local", "values": [{"key": "baseUrl", "value": "http://127.0.0.1:5000", "enabled": true}], "_postman_variable_scope": "environment"}"#,
    );
    for args in [
        vec![
            "request",
            "GET",
            "/api/orders",
            "--base-url",
            &server.url,
            "--env",
            "local.postman_environment.json",
        ],
        vec![
            "run",
            "--base-url",
            &server.url,
            "--env",
            "local.postman_environment.json",
        ],
    ] {
        let out = p.gigcheck(&args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.all());
        assert!(
            out.stderr.starts_with(
                "error: this is a Postman environment export, not a gigcheck environment file"
            ),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.contains(
                "gigcheck import postman COLLECTION.json --environment local.postman_environment.json"
            ),
            "{}",
            out.stderr
        );
    }
    assert_eq!(sent(&server), 0, "nothing may be sent");
}

#[test]
fn a_timeout_is_nothing_answered() {
    let server = start();
    let p = Project::new();
    let out = p.gigcheck(&[
        "request",
        "GET",
        "/api/slow",
        "--base-url",
        &server.url,
        "--timeout",
        "0.2",
    ]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert_eq!(out.stderr, "error: no response within 200 ms (timeout)\n");
}

#[test]
fn an_undefined_variable_stops_the_request_before_the_as_login_is_sent() {
    let server = start();
    let p = Project::new();
    let out = p.gigcheck_env(
        &[
            "request",
            "GET",
            "/api/orders/{{order_id}}",
            "--base-url",
            &server.url,
            "--as",
            "user",
        ],
        &[
            ("GIGCHECK_USER_EMAIL", "ada@example.test"),
            ("GIGCHECK_USER_PASSWORD", PASSWORD),
        ],
    );
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr
            .starts_with("error: url: variable `order_id` is not defined"),
        "{}",
        out.stderr
    );
    assert_eq!(sent(&server), 0, "nothing may be sent");
}

/// Requests the shop has answered so far.
fn sent(server: &Server) -> usize {
    server
        .shop
        .requests
        .load(std::sync::atomic::Ordering::SeqCst)
}
