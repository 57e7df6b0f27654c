//! What a QA engineer hits in daily use: pipes that close early, report paths that cannot be
//! written, files saved by Windows editors, unquoted plan ids, runs in which nothing ran, and
//! steps that check nothing.

use crate::common;
use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use common::*;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A target with `/ok` (200, JSON), `/broken` (500) and `/picky` (415), counting requests.
fn target() -> (Served, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = |hits: Arc<AtomicUsize>, status: StatusCode| {
        move || {
            hits.fetch_add(1, Ordering::SeqCst);
            async move { (status, axum::Json(serde_json::json!({ "status": "ok" }))) }
        }
    };
    let app = Router::new()
        .route("/ok", get(counted(hits.clone(), StatusCode::OK)))
        .route(
            "/broken",
            get(counted(hits.clone(), StatusCode::INTERNAL_SERVER_ERROR)),
        )
        .route(
            "/picky",
            get(counted(hits.clone(), StatusCode::UNSUPPORTED_MEDIA_TYPE)),
        );
    (serve(app), hits)
}

const ONE_PASSING: &str = r#"
scenarios:
  - id: "1.1"
    name: The answer is fine
    steps:
      - request: { method: GET, url: /ok }
        expect: { status: 200 }
"#;

/// Runs the binary with its stdout closed before it writes anything.
fn with_stdout_closed(p: &Project, args: &[&str]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_gigcheck"))
        .args(args)
        .current_dir(p.dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_ends_the_output_quietly_and_the_run_still_reports() {
    let (server, _) = target();
    let p = Project::new();
    p.write("specs/a.yaml", ONE_PASSING);
    let (code, stderr) = with_stdout_closed(
        &p,
        &[
            "run",
            "--base-url",
            &server.url,
            "--report",
            "json=reports/run.json",
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(p.read("reports/run.json").contains("\"passed\": 1"));
    assert!(p.exists("reports/junit.xml"));

    // A failing run keeps its exit code.
    p.write(
        "specs/a.yaml",
        &ONE_PASSING.replace("url: /ok", "url: /broken"),
    );
    let (code, stderr) = with_stdout_closed(&p, &["run", "--base-url", &server.url]);
    assert_eq!(code, 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // And so does every other command that prints.
    let url = format!("{}/ok", server.url);
    for args in [
        vec!["request", "GET", url.as_str()],
        vec!["list"],
        vec!["validate"],
        vec!["schema"],
    ] {
        let (code, stderr) = with_stdout_closed(&p, &args);
        assert_eq!(code, 0, "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_report_path_that_cannot_be_written_is_refused_before_anything_is_sent() {
    let (server, hits) = target();
    let p = Project::new();
    p.write("specs/a.yaml", ONE_PASSING);
    p.write("out", "a file where a folder should be");
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--report",
        "html=out/x.html",
    ]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr
            .contains("cannot write out/x.html: out is a file, not a folder"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("nothing was sent"), "{}", out.stderr);
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--junit", "out/j.xml"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[test]
fn a_spec_saved_with_a_byte_order_mark_loads() {
    let (server, _) = target();
    let p = Project::new();
    p.write(
        "specs/a.yaml",
        &format!("\u{feff}{}", ONE_PASSING.trim_start()),
    );
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 0, "{}", out.all());
    // An environment file from the same editor too.
    p.write("env.yaml", &format!("\u{feff}base_url: {}\n", server.url));
    let out = p.gigcheck(&["run", "--env", "env.yaml"]);
    assert_eq!(out.code, 0, "{}", out.all());
}

#[test]
fn validate_warns_about_a_step_that_checks_nothing() {
    let p = Project::new();
    p.write(
        "specs/a.yaml",
        "scenarios:\n  - name: s\n    steps:\n      - request: { method: GET, url: /ok }\n",
    );
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 0, "a warning, not an error: {}", out.all());
    assert!(
        out.stderr.contains(
            "warning: this step checks nothing but that the answer is not a server error (5xx)"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("specs/a.yaml:4:9"), "{}", out.stderr);
    // A status is enough to quiet it.
    p.write(
        "specs/a.yaml",
        "scenarios:\n  - name: s\n    steps:\n      - request: { method: GET, url: /ok }\n        expect: { status: 200 }\n",
    );
    let out = p.gigcheck(&["validate"]);
    assert!(!out.stderr.contains("checks nothing"), "{}", out.stderr);
}

#[test]
fn an_unquoted_numeric_id_is_an_error_that_says_to_quote_it() {
    let (server, hits) = target();
    let p = Project::new();
    p.write(
        "specs/a.yaml",
        &ONE_PASSING.replace("id: \"1.1\"", "id: 4.10"),
    );
    for args in [vec!["validate"], vec!["run", "--base-url", &server.url]] {
        let out = p.gigcheck(&args);
        assert_eq!(out.code, 2, "{}", out.all());
        assert!(out.stderr.contains("specs/a.yaml:3:"), "{}", out.stderr);
        assert!(out.stderr.contains("4.10 becomes 4.1"), "{}", out.stderr);
        assert!(
            out.stderr.contains("quote it, as in id: \"4.10\""),
            "{}",
            out.stderr
        );
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[test]
fn a_run_in_which_everything_was_skipped_is_not_a_pass() {
    let (server, _) = target();
    let p = Project::new();
    let skipped = ONE_PASSING.replace(
        "url: /ok",
        "url: \"/ok?k={{env.GIGCHECK_NOT_SET_ANYWHERE}}\"",
    );
    p.write("specs/a.yaml", &skipped);
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains("NOTHING RAN 1 scenario: 0 passed, 0 failed, 0 blocked, 1 skipped"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("every scenario was skipped"),
        "{}",
        out.stdout
    );

    // One passing and one skipped: a pass, unless skips are refused.
    p.write("specs/b.yaml", ONE_PASSING);
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 0, "{}", out.all());
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--fail-on-skip",
        "--report",
        "json=reports/run.json",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains("FAILED 2 scenarios: 1 passed, 0 failed, 0 blocked, 1 skipped"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("--fail-on-skip: 1 skipped scenario fails the run"),
        "{}",
        out.stdout
    );
    assert!(
        p.read("reports/run.json")
            .contains("\"fail_on_skip\": true")
    );
}

#[test]
fn curl_lines_are_printed_under_their_own_scenario() {
    let (server, _) = target();
    let p = Project::new();
    let scenario = |name: &str| {
        format!(
            "  - name: {name}\n    steps:\n{}",
            "      - request: { method: GET, url: \"/ok?from=NAME\" }\n        expect: { status: 200 }\n"
                .repeat(3)
                .replace("NAME", name)
        )
    };
    p.write(
        "specs/a.yaml",
        &format!("scenarios:\n{}{}", scenario("alpha"), scenario("beta")),
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--curl", "-j", "2"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let lines: Vec<&str> = out.stdout.lines().collect();
    for name in ["alpha", "beta"] {
        let at = lines
            .iter()
            .position(|l| l.contains(&format!("✓ {name}")))
            .unwrap_or_else(|| panic!("{}", out.stdout));
        let under: Vec<&&str> = lines[at + 1..=at + 3].iter().collect();
        assert!(
            under
                .iter()
                .all(|l| l.trim_start().starts_with("curl ") && l.contains(&format!("from={name}"))),
            "{}",
            out.stdout
        );
    }
}

#[test]
fn merge_keys_and_x_keys_reuse_yaml_as_yaml_users_expect() {
    let (server, hits) = target();
    let p = Project::new();
    p.write(
        "specs/a.yaml",
        r#"x-get-ok: &get-ok
  request: { method: GET, url: /ok }
  expect: { status: 200 }
x-picky: &picky { method: GET, url: /picky }
scenarios:
  - name: reused
    steps:
      - <<: *get-ok
        name: first
      - <<: *get-ok
        name: second
      - name: merged into a request
        request: { <<: *picky, headers: { X-Seen: "yes" } }
        expect: { status: 415 }
"#,
    );
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(hits.load(Ordering::SeqCst), 3);

    // A mistake in a file that merges still names its place.
    p.write(
        "specs/a.yaml",
        "x-base: &base { method: GET, url: /ok }\nscenarios:\n  - name: s\n    steps:\n      - request: { <<: *base }\n        expct: { status: 200 }\n",
    );
    let out = p.gigcheck(&["validate"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("unknown field `expct`"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("specs/a.yaml:6:9"), "{}", out.stderr);
    assert!(
        out.stderr.contains("did you mean `expect`?"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_misspelt_field_gets_a_did_you_mean() {
    let (server, _) = target();
    let p = Project::new();
    p.write(
        "specs/a.yaml",
        "scenarios:\n  - name: s\n    steps:\n      - request: { method: GET, url: /ok }\n        expect: { status: 200, body: { $.stauts: ok } }\n        capture: { s: $.statsu }\n",
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains("the body has no $.stauts; did you mean $.status?"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("$.statsu matched nothing; did you mean $.status?"),
        "{}",
        out.stdout
    );
}

/// A report that fails while being written (a full disk) fails a run that passed, and the
/// verdict says so: never PASSED with exit code 1.
#[cfg(target_os = "linux")]
#[test]
fn a_report_that_cannot_be_written_fails_the_run_in_its_verdict() {
    let (server, _) = target();
    let p = Project::new();
    p.write("specs/a.yaml", ONE_PASSING);
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--report",
        "json=/dev/full",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("cannot write report /dev/full"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout
            .contains("FAILED 1 scenario: 1 passed, 0 failed, 0 blocked, 0 skipped"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("1 report could not be written (why is said above), so the run fails"),
        "{}",
        out.stdout
    );
}
