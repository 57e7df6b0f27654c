//! Ctrl-C (SIGINT) and SIGTERM in the middle of a run: nothing new is sent, the request waiting
//! for its answer is abandoned, the running scenario tears down and undoes the hook that took the database down, the reports are written
//! with what ran and say the run was interrupted, and gigcheck exits 130. With the embedded
//! default, the undo reaches the embedded sandbox before the servers stop.

use crate::common;
use common::*;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering::SeqCst;
use std::time::{Duration, Instant};

const SPEC: &str = r#"name: Interrupted
scenarios:
  - name: takes the database down
    steps:
      - hook: db_down
      - request: { method: GET, url: /api/slow }
        expect: { status: 200 }
      - name: never sent
        request: { method: GET, url: /api/echo }
        expect: { status: 200 }
    teardown:
      - hook: mark_teardown
  - name: later one
    steps:
      - request: { method: GET, url: /api/slow }
        expect: { status: 200 }
  - name: later two
    steps:
      - request: { method: GET, url: /api/slow }
        expect: { status: 200 }
"#;

const ENV: &str = "hooks:\n  db_down: touch db-is-down\n  db_up: rm db-is-down\n  mark_teardown: touch teardown-ran\n";

/// `gigcheck run --jobs 1 --report json=reports/run.json <extra>` in the project, output piped.
fn spawn_run(p: &Project, extra: &[&str]) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_gigcheck"))
        .args(["run", "--jobs", "1", "--report", "json=reports/run.json"])
        .args(extra)
        .current_dir(p.dir.path())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits (at most 30 s) until `done` holds.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let waited = Instant::now();
    while !done() {
        assert!(
            waited.elapsed() < Duration::from_secs(30),
            "{what} never happened"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Sends `signal` to gigcheck and waits (at most 30 s) for it to exit 130; its stdout and stderr.
fn signal_and_wait(child: std::process::Child, signal: &str) -> (String, String) {
    // The shell's own `kill` (no procps needed).
    let sent = Command::new("sh")
        .args(["-c", &format!("kill {signal} {}", child.id())])
        .status()
        .unwrap();
    assert!(sent.success());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("gigcheck stops after the signal")
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(130), "{stdout}{stderr}");
    (stdout, stderr)
}

fn interrupted_run(signal: &str) {
    let server = start();
    let p = Project::new();
    p.write("specs/interrupted.yaml", SPEC)
        .write("env.yaml", ENV);
    let child = spawn_run(&p, &["--env", "env.yaml", "--base-url", &server.url]);
    // The first scenario has taken the database down and is waiting on its slow request (the
    // server has it: hooks here are shell commands, so it is the first request).
    wait_until("the db_down hook and the slow request", || {
        p.exists("db-is-down") && server.shop.requests.load(SeqCst) > 0
    });
    let (stdout, stderr) = signal_and_wait(child, signal);
    assert!(
        !p.exists("db-is-down"),
        "db_up undid db_down: {stdout}{stderr}"
    );
    assert!(p.exists("teardown-ran"), "the teardown ran: {stdout}");
    assert!(
        stdout.contains("interrupted: starting nothing new"),
        "{stdout}"
    );
    assert!(
        stdout.contains("INTERRUPTED 3 scenarios: 0 passed, 0 failed, 0 blocked, 3 skipped"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            r#"interrupted during step "GET /api/slow", whose answer was abandoned; teardown ran"#
        ),
        "{stdout}"
    );
    assert_eq!(
        stdout.matches("not run: the run was interrupted").count(),
        2,
        "{stdout}"
    );

    let report =
        gigcheck_core::report::json::JsonReport::load(&p.path("reports/run.json")).unwrap();
    assert!(
        report.interrupted,
        "the JSON report says it was interrupted"
    );
    assert_eq!(report.totals.skipped, 3);
    let first = &report.suites[0].scenarios[0];
    let sent: Vec<&str> = first.steps.iter().map(|s| s.name.as_str()).collect();
    assert!(!sent.contains(&"never sent"), "{sent:?}");
    let abandoned = first
        .steps
        .iter()
        .find(|s| s.name == "GET /api/slow")
        .unwrap_or_else(|| panic!("the abandoned request is in the report: {sent:?}"));
    assert!(!abandoned.passed);
    assert!(
        abandoned
            .error
            .as_deref()
            .unwrap_or("")
            .contains("abandoned"),
        "{abandoned:?}"
    );
    let junit = p.read("reports/junit.xml");
    let doc = roxmltree::Document::parse(&junit).expect("a whole JUnit report");
    let skipped = doc
        .descendants()
        .filter(|n| n.has_tag_name("skipped"))
        .count();
    assert_eq!(skipped, 3, "{junit}");
}

#[test]
fn ctrl_c_tears_down_writes_partial_reports_and_exits_130() {
    interrupted_run("-INT");
}

#[test]
fn sigterm_from_ci_is_handled_the_same_way() {
    interrupted_run("-TERM");
}

/// With the embedded default the hooks are requests to the embedded sandbox: they must still
/// reach it after the signal, so the servers stop only once the scenario has torn down.
#[test]
fn ctrl_c_with_the_embedded_default_undoes_db_down_before_the_servers_stop() {
    let slow = start();
    let p = Project::new();
    p.write(
        "specs/embedded.yaml",
        r#"name: Embedded
scenarios:
  - name: takes the sandbox's database down
    steps:
      - hook: db_down
      - name: waits on another server
        request: { method: GET, url: "{{slow}}" }
        expect: { status: 200 }
      - name: never sent
        request: { method: GET, url: /api/products }
  - name: later
    steps:
      - request: { method: GET, url: /api/products }
"#,
    );
    let child = spawn_run(&p, &["--var", &format!("slow={}/api/slow", slow.url)]);
    // The slow request is in flight once the server has seen it.
    wait_until("the slow request", || slow.shop.requests.load(SeqCst) > 0);
    let (stdout, _) = signal_and_wait(child, "-INT");

    let report =
        gigcheck_core::report::json::JsonReport::load(&p.path("reports/run.json")).unwrap();
    assert!(report.interrupted);
    let steps = &report.suites[0].scenarios[0].steps;
    let undo = steps
        .iter()
        .find(|s| s.name.contains("db_up"))
        .unwrap_or_else(|| panic!("no db_up step: {steps:?}"));
    assert!(
        undo.passed,
        "the embedded sandbox took db_up after the signal: {undo:?}"
    );
    assert!(!steps.iter().any(|s| s.name == "never sent"), "{stdout}");

    // And then the embedded servers are gone: their port refuses connections.
    let sandbox = stdout
        .split("the embedded sandbox (")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("the sandbox's address: {stdout}"));
    let address = sandbox.trim_start_matches("http://");
    assert!(
        std::net::TcpStream::connect(address).is_err(),
        "{address} still answers"
    );
}
