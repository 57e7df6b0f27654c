//! SIGKILL at any moment never leaves a truncated or half-written report or snapshot: gigcheck is
//! killed again and again while it writes both, and after every kill each file is either the
//! complete old one, the complete new one, or (the first time) absent.

use crate::common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc::Receiver;
use std::time::Duration;

const SCENARIOS: usize = 150;

/// Every scenario snapshots a response that differs on every run (a fresh uuid), so every run
/// rewrites every snapshot with `--update-snapshots`; big bodies make the writes take time.
fn spec() -> String {
    let pad = "x".repeat(4000);
    let mut s = String::from("name: Kill while writing\nscenarios:\n");
    for i in 0..SCENARIOS {
        s.push_str(&format!(
            "  - name: s{i}\n    steps:\n      - request: {{ method: POST, url: /api/echo, json: {{ run: \"{{{{uuid}}}}\", pad: {pad} }} }}\n        expect: {{ status: 200, snapshot: echo-{i} }}\n"
        ));
    }
    s
}

fn args(server: &Server) -> Vec<String> {
    [
        "run",
        "--base-url",
        &server.url,
        "--update-snapshots",
        "--report",
        "json=reports/run.json",
        "--report",
        "html=reports/run.html",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Whether every file that exists is whole.
fn check_files(p: &Project, round: usize) {
    if p.exists("reports/junit.xml") {
        let xml = p.read("reports/junit.xml");
        let doc = roxmltree::Document::parse(&xml)
            .unwrap_or_else(|e| panic!("round {round}: JUnit report is not whole: {e}"));
        let cases = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count();
        assert_eq!(cases, SCENARIOS, "round {round}: JUnit report is partial");
    }
    if p.exists("reports/run.json") {
        let report = gigcheck_core::report::json::JsonReport::load(&p.path("reports/run.json"))
            .unwrap_or_else(|e| panic!("round {round}: JSON report is not whole: {e}"));
        assert_eq!(report.totals.scenarios, SCENARIOS, "round {round}");
    }
    if p.exists("reports/run.html") {
        let html = p.read("reports/run.html");
        assert!(
            html.trim_end().ends_with("</html>"),
            "round {round}: HTML report is cut off"
        );
    }
    let dir = p.path("specs/__snapshots__");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue; // a temporary file the kill left: never read as a snapshot
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let body = text
            .splitn(3, "---\n")
            .nth(2)
            .unwrap_or_else(|| panic!("round {round}: {name} has no header: {text:?}"));
        let json: serde_json::Value = serde_json::from_str(body)
            .unwrap_or_else(|e| panic!("round {round}: {name} is cut off: {e}"));
        let echoed = json["body"].as_str().map_or(0, str::len);
        assert!(
            echoed > 4000,
            "round {round}: {name} holds {echoed} bytes of body"
        );
    }
}

/// Snapshot file → its text.
fn snapshots(p: &Project) -> std::collections::BTreeMap<String, String> {
    std::fs::read_dir(p.path("specs/__snapshots__"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|path| path.extension().is_some_and(|x| x == "snap"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path.display().to_string(), text)
        })
        .collect()
}

#[test]
fn sigkill_during_report_and_snapshot_writes_never_leaves_a_half_written_file() {
    let server = start();
    let p = Project::new();
    p.write("specs/kill.yaml", &spec());
    // A whole run first: it creates every file.
    let whole = p.gigcheck(&args(&server).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(whole.code, 0, "{}", whole.all());
    check_files(&p, 0);

    // Kill at moments spread over a run, found from its output rather than a clock (a loaded
    // machine stretches a run): after the k-th scenario's line for most rounds — snapshots are
    // written as scenarios finish, the JUnit report as suites finish — and, for the last rounds,
    // just after the last one, while the JSON and HTML reports are written.
    let rounds = 16;
    let mut mid_write = 0;
    for round in 1..=rounds {
        let before = snapshots(&p);
        let mut child = Command::new(env!("CARGO_BIN_EXE_gigcheck"))
            .args(args(&server))
            .current_dir(p.dir.path())
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let finished = scenario_lines(child.stdout.take().unwrap());
        let (kill_after, then_wait) = if round <= 12 {
            (round * SCENARIOS / 13, 0)
        } else {
            (SCENARIOS, 3 * (round as u64 - 13))
        };
        for _ in 0..kill_after {
            if finished.recv_timeout(Duration::from_secs(60)).is_err() {
                break; // the run ended (or stalled): kill what is left of it
            }
        }
        std::thread::sleep(Duration::from_millis(then_wait));
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        check_files(&p, round);
        let after = snapshots(&p);
        let changed = before
            .iter()
            .filter(|(k, v)| after.get(*k) != Some(*v))
            .count();
        if changed > 0 && changed < SCENARIOS {
            mid_write += 1;
        }
    }
    assert!(
        mid_write >= 2,
        "only {mid_write} kill(s) landed while snapshots were being written"
    );
    // And a run that is left alone still ends whole and green.
    let last = p.gigcheck(&args(&server).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(last.code, 0, "{}", last.all());
    check_files(&p, rounds + 1);
    // The killed runs left temporary files; the whole run removed them.
    let left = leftovers(p.dir.path());
    assert!(left.is_empty(), "temporary files left: {left:?}");
}

/// One message per scenario line gigcheck prints (`  ✓ s12 …`), as it prints them.
fn scenario_lines(stdout: std::process::ChildStdout) -> Receiver<()> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let names_a_scenario = line.split_whitespace().any(|word| {
                word.strip_prefix('s')
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            });
            if names_a_scenario && tx.send(()).is_err() {
                return;
            }
        }
    });
    rx
}

/// `.gigcheck-*.tmp` files anywhere under `dir`.
fn leftovers(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            found.extend(leftovers(&path));
        } else if name.starts_with(".gigcheck-") && name.ends_with(".tmp") {
            found.push(path);
        }
    }
    found
}
