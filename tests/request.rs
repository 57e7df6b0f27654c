//! `gigcheck request`: one request against a real server, shown in full; `--as` logs in first,
//! `--curl` prints the command, `--save` keeps the request as a step that then validates and
//! runs.

mod common;
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
    assert!(saved.contains("bearer: '{{user_token}}'"), "{saved}");
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
