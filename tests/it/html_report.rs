//! The HTML report through the real binary: a run with one passing and two failing scenarios
//! (a body mismatch with a schema violation; a snapshot diff; both on a hostile body) written with
//! `--report html=…`, checked as text and then in headless Chromium: hostile text stays inert,
//! the failure is visible, the page's own script runs under its CSP, and a screenshot is kept at
//! `reports/html-report-screenshot.png` for people to look at.
//!
//! Chromium is `$CHROMIUM` when set, else `/usr/bin/chromium` or `chromium` on `PATH` (`.ci/run`
//! installs it). Without it the browser test fails on CI (`CI` set) and elsewhere is skipped with
//! a note on stderr.

use crate::common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HOSTILE: &str = "</script><script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">";

const SPEC: &str = r#"
name: HTML report
serial: true
vars:
  email: ada@shop.example
scenarios:
  - id: "H.1"
    name: A customer sees their orders
    tags: [orders, smoke]
    steps:
      - include: _fragments/login.yaml
        with: { email: "{{email}}", password: "{{env.SHOP_PASSWORD}}" }
      - name: List orders
        request: { method: GET, url: /api/orders, bearer: "{{token}}" }
        expect:
          status: 200
          body:
            $.pagination.page: 1
  - id: "H.2"
    name: The echo matches its snapshot
    tags: [echo, snapshot]
    steps:
      - name: Echo it again
        request: { method: POST, url: /api/echo, body: "HOSTILE" }
        expect:
          snapshot:
            name: echo
            redact:
              $.headers: "[headers]"
  - id: "H.3"
    name: "An echo keeps its <b>shape</b>"
    tags: [echo]
    steps:
      - include: _fragments/login.yaml
        with: { email: "{{email}}", password: "{{env.SHOP_PASSWORD}}" }
      - name: Place an order
        request:
          method: POST
          url: /api/orders
          bearer: "{{token}}"
          json: { items: [{ product_id: 1, quantity: 1 }] }
        expect: { status: 201 }
      - name: Echo a hostile body
        request: { method: POST, url: /api/echo, body: "HOSTILE" }
        expect:
          body:
            $.body: harmless
          schema: order.json
"#;

const SNAPSHOT: &str = "---\nsource: specs/html.yaml\nexpression: echo\n---\n{\n  \"body\": \"harmless\",\n  \"headers\": \"[headers]\"\n}\n";

const CONTRACT: &str = "routes:\n  POST /api/auth/login: [200, 401]\n  GET /api/orders: [200]\n  POST /api/orders: [201, 400]\n";

/// Runs the spec and returns the project and the report's text.
fn run_report(server: &Server) -> (Project, String) {
    let p = Project::shop();
    let spec = SPEC.replace("HOSTILE", &HOSTILE.replace('"', "\\\""));
    p.write("specs/html.yaml", &spec)
        .write("specs/__snapshots__/html__echo.snap", SNAPSHOT)
        .write("fixtures/contract.yaml", CONTRACT);
    let out = p.gigcheck_env(
        &[
            "run",
            "--base-url",
            &server.url,
            "--report",
            "html=reports/run.html",
        ],
        &[("SHOP_PASSWORD", PASSWORD)],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("report: reports/run.html"),
        "{}",
        out.all()
    );
    let html = p.read("reports/run.html");
    (p, html)
}

#[test]
fn the_html_report_is_safe_complete_and_puts_failures_first() {
    let server = start();
    let (_p, html) = run_report(&server);

    // Hostile text is escaped wherever it shows: only the page's own script is a script.
    assert_eq!(html.matches("<script").count(), 1, "{html}");
    assert!(!html.contains("<img"), "{html}");
    assert!(html.contains("&lt;/script&gt;&lt;script&gt;document.title=&#39;pwned&#39;"));
    assert!(html.contains("An echo keeps its &lt;b&gt;shape&lt;/b&gt;"));
    // Secrets were redacted in the model and stay that way.
    assert!(!html.contains(PASSWORD) && !html.contains(TOKEN));

    // The failing scenarios come first, open; the passing one after, collapsed.
    let snap_fail = html
        .find("<details class=\"scenario fail\" id=\"s-0-1\" open>")
        .expect("the failing scenario with the snapshot diff, open");
    let body_fail = html
        .find("<details class=\"scenario fail\" id=\"s-0-2\" open>")
        .expect("the failing scenario with the body mismatch, open");
    let passed = html
        .find("<details class=\"scenario pass\" id=\"s-0-0\">")
        .expect("the passing scenario, collapsed");
    assert!(snap_fail < body_fail && body_fail < passed);

    // A failure in full: expected vs actual, schema violations, location, tags, traffic.
    let failure = &html[body_fail..passed];
    assert!(failure.contains("<span class=\"kind\">body</span> <code>$.body</code>"));
    assert!(failure.contains("<dt>expected</dt><dd class=\"exp\"><pre>&quot;harmless&quot;</pre>"));
    assert!(failure.contains("<dd class=\"act\"><pre>&quot;&lt;/script&gt;&lt;script&gt;"));
    assert!(
        failure.contains(
            "<ul class=\"violations\"><li>at (root): &quot;id&quot; is a required property"
        )
    );
    assert!(
        failure.contains("<code>specs/html.yaml:30:5</code>"),
        "location"
    );
    assert!(failure.contains("<span class=\"tag\">echo</span>"));
    // Its traffic as a sequence diagram: gigcheck and the backend, three requests, the last
    // one from the failing step.
    assert!(failure.contains("<svg class=\"sequence\""));
    assert_eq!(failure.matches("<g class=\"lane\">").count(), 2);
    assert_eq!(failure.matches("class=\"arrow request\"").count(), 3);
    assert_eq!(failure.matches("class=\"arrow answer\"").count(), 3);
    assert_eq!(
        failure.matches("<g class=\"message failed-step\">").count(),
        1
    );

    // The snapshot mismatch as a coloured unified diff.
    let snapshot = &html[snap_fail..body_fail];
    assert!(snapshot.contains("<pre class=\"diff\">"));
    assert!(
        snapshot.contains("<span class=\"del\">-  &quot;body&quot;: &quot;harmless&quot;,</span>")
    );
    assert!(
        snapshot.contains(
            "<span class=\"add\">+  &quot;body&quot;: &quot;&lt;/script&gt;&lt;script&gt;"
        )
    );

    // Header and coverage.
    assert!(html.contains("<span class=\"verdict fail\">FAILED</span>"));
    assert!(html.contains(&format!("<dd><code>{}/</code></dd>", server.url)));
    assert!(html.contains("<td class=\"case\">H.1</td>"));
    assert!(html.contains("<b>3/5</b> documented route × status pairs exercised"));
    assert!(html.contains("<li><code>POST /api/auth/login 401</code></li>"));
}

#[test]
fn the_html_report_in_headless_chromium() {
    let Some(chromium) = find_chromium() else {
        let why = "headless Chromium not found ($CHROMIUM, /usr/bin/chromium, PATH); install Debian's chromium or set CHROMIUM";
        if std::env::var_os("CI").is_some() {
            panic!("{why}: CI must install it (.ci/run does)");
        }
        eprintln!("NOTE: the_html_report_in_headless_chromium did NOT run: {why}");
        return;
    };
    let server = start();
    let (p, html) = run_report(&server);

    // The report as it is: its own script runs under its CSP (the buttons appear), nothing
    // hostile does.
    let report = p.path("reports/run.html");
    let dom = dump_dom(&chromium, &report);
    assert!(
        dom.contains("<title>gigcheck FAILED: 1 passed, 2 failed, 0 blocked, 0 skipped</title>"),
        "{dom}"
    );
    assert!(!dom.contains("pwned</title>"), "{dom}");
    assert!(
        dom.contains("<button type=\"button\" data-open=\"1\">Expand all</button>"),
        "the page's script did not run under its CSP:\n{dom}"
    );

    // A copy without the CSP and with a probe that writes what it sees into the DOM.
    let csp = regex::Regex::new(r#"<meta http-equiv="Content-Security-Policy"[^>]*>"#).unwrap();
    let probed = format!("{}{PROBE}", csp.replace(&html, ""));
    let probe = p.path("reports/probe.html");
    std::fs::write(&probe, probed).unwrap();
    let dom = dump_dom(&chromium, &probe);
    for (key, want) in [
        ("data-diff-visible", "true"),
        ("data-expected-visible", "true"),
        ("data-diagram-visible", "true"),
        ("data-failed-first", "true"),
        ("data-passed-steps-visible", "false"),
        ("data-hostile-elements", "0"),
        (
            "data-title",
            "gigcheck FAILED: 1 passed, 2 failed, 0 blocked, 0 skipped",
        ),
    ] {
        assert!(
            dom.contains(&format!("{key}=\"{want}\"")),
            "{key} should be {want}:\n{}",
            body_tag(&dom)
        );
    }

    // A screenshot of the report for people, kept in reports/ (ignored by git).
    let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("reports/html-report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let mut cmd = chromium_command(&chromium);
    cmd.0
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1280,2000")
        .arg(file_url(&report));
    run_with_timeout(cmd, None);
    let size = std::fs::metadata(&shot).map(|m| m.len()).unwrap_or(0);
    assert!(
        size > 20_000,
        "screenshot {} is {size} bytes",
        shot.display()
    );
}

/// Writes what the browser sees onto `<body>` as data attributes.
const PROBE: &str = r#"<script>
const b = document.body;
const seen = el => !!el && el.checkVisibility() && el.getBoundingClientRect().width > 0 && el.getBoundingClientRect().height > 0;
b.dataset.diffVisible = seen(document.querySelector('#failed details.scenario.fail pre.diff'));
b.dataset.expectedVisible = seen(document.querySelector('#failed details.scenario.fail dl.ea dd.act'));
b.dataset.diagramVisible = seen(document.querySelector('#failed details.scenario.fail svg.sequence'));
const cards = [...document.querySelectorAll('details.scenario')].map(d => d.classList[1]).join(',');
b.dataset.failedFirst = cards === 'fail,fail,pass';
b.dataset.passedStepsVisible = seen(document.querySelector('details.scenario.pass .steps'));
// Anything the hostile body could have become: images, handlers, scripts beyond the page's and this one.
b.dataset.hostileElements = document.querySelectorAll('img, [onerror]').length + document.scripts.length - 2;
b.dataset.title = document.title;
</script>
"#;

fn find_chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let default = PathBuf::from("/usr/bin/chromium");
    if default.exists() {
        return Some(default);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|candidate| candidate.is_file())
}

fn chromium_command(chromium: &Path) -> (Command, tempfile::TempDir) {
    let profile = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(chromium);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()));
    (cmd, profile)
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// `chromium --dump-dom` of a file.
fn dump_dom(chromium: &Path, page: &Path) -> String {
    let out = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = chromium_command(chromium);
    cmd.0.arg("--dump-dom").arg(file_url(page));
    run_with_timeout(cmd, Some(out.path()));
    std::fs::read_to_string(out.path()).unwrap()
}

/// Runs Chromium, stdout to `stdout` (if given), and kills it after 60 s.
fn run_with_timeout((mut cmd, _profile): (Command, tempfile::TempDir), stdout: Option<&Path>) {
    let stderr = tempfile::NamedTempFile::new().unwrap();
    cmd.stdin(Stdio::null())
        .stderr(Stdio::from(stderr.reopen().unwrap()));
    match stdout {
        Some(path) => cmd.stdout(Stdio::from(std::fs::File::create(path).unwrap())),
        None => cmd.stdout(Stdio::null()),
    };
    let mut child = cmd.spawn().expect("chromium starts");
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let log = std::fs::read_to_string(stderr.path()).unwrap_or_default();
            assert!(status.success(), "chromium failed ({status}):\n{log}");
            return;
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            let log = std::fs::read_to_string(stderr.path()).unwrap_or_default();
            panic!("chromium did not finish in 60 s:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The `<body …>` tag of a dumped DOM, for messages.
fn body_tag(dom: &str) -> &str {
    let start = dom.find("<body").unwrap_or(0);
    let end = dom[start..].find('>').map_or(dom.len(), |e| start + e + 1);
    &dom[start..end]
}
