//! Misbehaving servers on 127.0.0.1: whatever a backend does wrong on the wire — refuse, reset,
//! hang, dawdle, flood, send broken bytes, redirect forever or elsewhere, compress a bomb, speak
//! plain HTTP to TLS — gigcheck reports a failed step with a one-line cause and goes on. It never
//! panics, never hangs past its timeout, and never reads more than its body limit.

use crate::common;
use common::*;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A server that answers each path in its own wrong way. Runs on its own thread.
struct Hostile {
    url: String,
    /// Requests the "other host" received (redirect target).
    stolen: Arc<AtomicUsize>,
    other_url: String,
}

const MIB: usize = 1024 * 1024;

fn gzip_bomb() -> Vec<u8> {
    // 256 MiB of zeros compress to about 250 KiB.
    let mut gz = std::process::Command::new("gzip")
        .args(["-c", "-1"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("gzip is installed");
    let mut stdin = gz.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        let zeros = vec![0u8; MIB];
        for _ in 0..256 {
            stdin.write_all(&zeros).unwrap();
        }
    });
    let out = gz.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    out.stdout
}

/// The request's path, once its head is read. Like any HTTP server, answers 400 and closes
/// when the bytes are not HTTP (a TLS handshake).
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).await.ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
        if !head[0].is_ascii_uppercase() {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\ncontent-length: 0\r\n\r\n",
                )
                .await;
            return None;
        }
    }
    let text = String::from_utf8_lossy(&head).into_owned();
    text.split_whitespace().nth(1).map(str::to_string)
}

async fn answer(mut stream: TcpStream, path: String, other: String, bomb: Arc<Vec<u8>>) {
    let json = |body: &[u8], extra: &str| {
        let mut out = format!(
            "HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: {}\r\n{extra}\r\n",
            body.len()
        )
        .into_bytes();
        out.extend_from_slice(body);
        out
    };
    match path.as_str() {
        "/reset" => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"a\":")
                .await;
            let _ = stream.set_zero_linger();
            drop(stream);
        }
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            drop(stream);
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            let _ = stream
                .write_all(&json(b"{}", "content-type: application/json\r\n"))
                .await;
        }
        "/huge" => {
            let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", 100 * MIB);
            let _ = stream.write_all(head.as_bytes()).await;
            let chunk = vec![b' '; MIB];
            for _ in 0..100 {
                if stream.write_all(&chunk).await.is_err() {
                    return;
                }
            }
        }
        "/invalid-utf8" => {
            let _ = stream
                .write_all(&json(
                    b"{\"a\": \"\xff\xfe\xfd\"}",
                    "content-type: application/json\r\n",
                ))
                .await;
        }
        "/wrong-type" => {
            let _ = stream
                .write_all(&json(
                    b"<html>not json</html>",
                    "content-type: text/html\r\n",
                ))
                .await;
        }
        "/truncated-chunked" => {
            let _ = stream
                .write_all(
                    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n10\r\n{\"a\": 1, \"b\": \r\n",
                )
                .await;
            drop(stream);
        }
        "/loop" => {
            let _ = stream
                .write_all(b"HTTP/1.1 302 Found\r\nlocation: /loop\r\nconnection: close\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
        "/elsewhere" => {
            let head = format!(
                "HTTP/1.1 307 Temporary Redirect\r\nlocation: {other}/steal\r\nconnection: close\r\ncontent-length: 0\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes()).await;
        }
        "/gzip-bomb" => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\nconnection: close\r\ncontent-length: {}\r\n\r\n",
                bomb.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(&bomb).await;
        }
        _ => {
            let _ = stream
                .write_all(&json(
                    b"{\"ok\": true}",
                    "content-type: application/json\r\n",
                ))
                .await;
        }
    }
    // Let the client read everything before the socket goes.
    tokio::time::sleep(Duration::from_millis(200)).await;
}

fn start_hostile() -> Hostile {
    let bomb = Arc::new(gzip_bomb());
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let other = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    other.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let other_url = format!("http://{}", other.local_addr().unwrap());
    let stolen = Arc::new(AtomicUsize::new(0));
    let (stolen2, other_url2) = (stolen.clone(), other_url.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(listener).unwrap();
            let other = TcpListener::from_std(other).unwrap();
            tokio::spawn(async move {
                while let Ok((mut s, _)) = other.accept().await {
                    let stolen = stolen2.clone();
                    tokio::spawn(async move {
                        if read_head(&mut s).await.is_some() {
                            stolen.fetch_add(1, Ordering::SeqCst);
                        }
                    });
                }
            });
            while let Ok((mut s, _)) = listener.accept().await {
                let (other, bomb) = (other_url2.clone(), bomb.clone());
                tokio::spawn(async move {
                    if let Some(path) = read_head(&mut s).await {
                        answer(s, path, other, bomb).await;
                    }
                });
            }
        });
    });
    Hostile {
        url,
        stolen,
        other_url,
    }
}

/// One scenario per hostile behaviour; each expects what a healthy server would send.
fn spec(h: &Hostile, dead: &str) -> String {
    let tls_url = h.url.replacen("http://", "https://", 1);
    let cases: Vec<(&str, String, &str)> = vec![
        ("connection refused", format!("{dead}/x"), ""),
        ("reset mid-response", format!("{}/reset", h.url), ""),
        ("accepts and never answers", format!("{}/hang", h.url), ""),
        (
            "slower than its own timeout",
            format!("{}/slow", h.url),
            ", timeout: 1s",
        ),
        ("a 100 MiB body", format!("{}/huge", h.url), ""),
        ("invalid UTF-8", format!("{}/invalid-utf8", h.url), ""),
        ("wrong content type", format!("{}/wrong-type", h.url), ""),
        (
            "truncated chunked encoding",
            format!("{}/truncated-chunked", h.url),
            "",
        ),
        ("a redirect loop", format!("{}/loop", h.url), ""),
        (
            "a redirect to another host",
            format!("{}/elsewhere", h.url),
            "",
        ),
        ("a gzip bomb", format!("{}/gzip-bomb", h.url), ""),
        ("TLS to a plain-HTTP port", format!("{tls_url}/tls"), ""),
        ("a healthy answer", format!("{}/fine", h.url), ""),
    ];
    let mut s = String::from("name: Hostile\nscenarios:\n");
    for (name, url, extra) in cases {
        s.push_str(&format!(
            "  - name: {name}\n    steps:\n      - request: {{ method: GET, url: \"{url}\", bearer: \"{{{{env.HOSTILE_TOKEN}}}}\"{extra} }}\n        expect: {{ status: 200, body: {{ $.ok: true }} }}\n"
        ));
    }
    s
}

#[test]
fn every_hostile_answer_is_a_failed_step_with_a_one_line_cause() {
    let h = start_hostile();
    let dead = dead_url();
    let p = Project::new();
    p.write("specs/hostile.yaml", &spec(&h, &dead));
    let started = Instant::now();
    let out = p.gigcheck_env(
        &[
            "run",
            "--base-url",
            &h.url,
            "--timeout",
            "2",
            "--jobs",
            "4",
            "--report",
            "json=reports/run.json",
        ],
        &[("HOSTILE_TOKEN", "hostile-bearer-token-0123456789")],
    );
    let took = started.elapsed();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(!out.all().contains("panicked"), "{}", out.all());
    // 13 scenarios of one step, 4 at a time, 2 s timeout: a hang would take the 120 s the server
    // sleeps. (A bound on behaviour, not a speed target.)
    assert!(took < Duration::from_secs(60), "took {took:?}");
    assert!(
        out.stdout
            .contains("FAILED 13 scenarios: 1 passed, 12 failed, 0 blocked, 0 skipped"),
        "{}",
        out.stdout
    );
    assert!(
        !out.all().contains("hostile-bearer-token-0123456789"),
        "the token is never printed"
    );
    assert_eq!(
        h.stolen.load(Ordering::SeqCst),
        0,
        "nothing (and so no Authorization) reached {}",
        h.other_url
    );

    // Each failure's cause, one line each, from the JSON report.
    let report =
        gigcheck_core::report::json::JsonReport::load(&p.path("reports/run.json")).unwrap();
    let mut causes = String::new();
    for s in report.suites.iter().flat_map(|s| &s.scenarios) {
        let step = &s.steps[0];
        if step.passed {
            continue;
        }
        let cause = step.error.clone().unwrap_or_else(|| {
            step.checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| {
                    format!(
                        "{} {}: expected {}, actual {}{}",
                        c.kind,
                        c.subject,
                        c.expected.as_deref().unwrap_or("-"),
                        c.actual.as_deref().unwrap_or("-"),
                        c.message
                            .as_deref()
                            .map(|m| format!(" ({m})"))
                            .unwrap_or_default()
                    )
                })
                .collect::<Vec<_>>()
                .join("; ")
        });
        assert!(!cause.contains('\n'), "{}: {cause}", s.title);
        causes.push_str(&format!("{}: {cause}\n", s.title));
    }
    let causes = causes
        .replace(&dead, "http://127.0.0.1:[dead]")
        .replace(&h.url, "http://127.0.0.1:[port]")
        .replace(h.url.trim_start_matches("http://"), "127.0.0.1:[port]");
    insta::assert_snapshot!(causes);
}

#[test]
fn a_run_with_a_hanging_step_finishes_within_its_timeout_and_reports_the_rest() {
    let h = start_hostile();
    let p = Project::new();
    let mut s = String::from("name: One hangs\nscenarios:\n");
    for (name, path) in [("before", "/fine"), ("hangs", "/hang"), ("after", "/fine")] {
        s.push_str(&format!(
            "  - name: {name}\n    steps:\n      - request: {{ method: GET, url: {path} }}\n        expect: {{ status: 200 }}\n      - request: {{ method: GET, url: /fine }}\n        expect: {{ status: 200 }}\n"
        ));
    }
    p.write("specs/hang.yaml", &s);
    let started = Instant::now();
    let out = p.gigcheck(&["run", "--base-url", &h.url, "--timeout", "1", "--jobs", "1"]);
    let took = started.elapsed();
    assert_eq!(out.code, 1, "{}", out.all());
    // Six steps at --timeout 1 s: at most 6 s of waiting, plus start-up.
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(
        out.stdout
            .contains("FAILED 3 scenarios: 2 passed, 1 failed, 0 blocked, 0 skipped"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("no response within 1000 ms (timeout)"),
        "{}",
        out.stdout
    );
}
