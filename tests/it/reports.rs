//! `--report KIND=PATH`: the JSON and Markdown reports over a real run, `gigcheck report diff`
//! between two runs, `--curl`, and the rule that no report ever carries a secret.

use crate::common;
use common::*;
use gigcheck_core::report::json::JsonReport;

const SPEC: &str = r#"
name: Orders
scenarios:
  - id: "3.1"
    name: the history answers
    steps:
      - name: List
        request: { method: GET, url: /api/echo }
        expect: { status: 200 }
  - id: "3.2"
    name: the echo carries the mode
    steps:
      - name: Echo
        request: { method: POST, url: /api/echo, json: { mode: "{{mode}}" } }
        expect:
          status: 200
          body:
            $.body: { contains: "expected-mode" }
  - id: "6.1"
    name: needs a secret
    steps:
      - request: { method: GET, url: /api/echo, headers: { X-Key: "{{env.GIGCHECK_TEST_UNSET}}" } }
"#;

fn run(p: &Project, server: &Server, mode: &str, json: &str) -> Output {
    p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--var",
        &format!("mode={mode}"),
        "--report",
        &format!("json={json}"),
        "--report",
        "markdown=reports/summary.md",
        "--jobs",
        "1",
    ])
}

#[test]
fn json_report_holds_the_whole_result_in_its_documented_shape() {
    let server = start();
    let p = Project::new();
    p.write("specs/orders.yaml", SPEC);
    let out = run(&p, &server, "other", "reports/run.json");
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout.contains("report: reports/run.json"),
        "{}",
        out.stdout
    );
    let text = p.read("reports/run.json");
    let report = JsonReport::parse(&text).expect("gigcheck reads what it wrote");
    assert_eq!(
        (
            report.totals.passed,
            report.totals.failed,
            report.totals.skipped
        ),
        (1, 1, 1)
    );
    let ids: Vec<&str> = report.plan.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["3.1", "3.2", "6.1"]);
    let failed = &report.suites[0].scenarios[1];
    assert_eq!(failed.title, "[3.2] the echo carries the mode");
    assert_eq!(failed.location, "specs/orders.yaml:10:5");
    let check = failed.steps[0].checks.iter().find(|c| !c.passed).unwrap();
    assert_eq!(
        (check.kind.as_str(), check.subject.as_str()),
        ("body", "$.body")
    );
    assert!(
        check.actual.as_deref().unwrap().contains("other"),
        "{check:?}"
    );
    let exchange = failed.steps[0].exchange.as_ref().unwrap();
    assert_eq!(exchange.response.as_ref().unwrap().status, 200);
    assert_eq!(failed.steps[0].traffic[0].status, Some(200));
    assert!(
        report.suites[0].scenarios[2]
            .skip_reason
            .as_deref()
            .unwrap()
            .contains("GIGCHECK_TEST_UNSET")
    );
    // The written file satisfies the published schema (`gigcheck schema --report`).
    let printed = p.gigcheck(&["schema", "--report"]);
    assert_eq!(printed.code, 0, "{}", printed.all());
    let schema: serde_json::Value = serde_json::from_str(&printed.stdout).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&value)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn markdown_summary_shows_totals_plan_and_each_failure_with_its_traffic() {
    let server = start();
    let p = Project::new();
    p.write("specs/orders.yaml", SPEC);
    let out = run(&p, &server, "other", "reports/run.json");
    assert_eq!(out.code, 1, "{}", out.all());
    let md = p.read("reports/summary.md");
    let date = regex::Regex::new(r"< date: .*").unwrap();
    let md = date.replace_all(&md, "< date: [date]").into_owned();
    insta::assert_snapshot!(stable(&md, Some(&server)));
}

#[test]
fn report_diff_tells_what_newly_fails_and_what_newly_passes() {
    let server = start();
    let p = Project::new();
    p.write("specs/orders.yaml", SPEC);
    assert_eq!(run(&p, &server, "expected-mode", "old.json").code, 0);
    assert_eq!(run(&p, &server, "other", "new.json").code, 1);
    let worse = p.gigcheck(&["report", "diff", "old.json", "new.json"]);
    assert_eq!(worse.code, 1, "something newly fails: {}", worse.all());
    let better = p.gigcheck(&["report", "diff", "new.json", "old.json"]);
    assert_eq!(better.code, 0, "{}", better.all());
    insta::assert_snapshot!(format!(
        "{}\n---\n{}",
        stable(&worse.stdout, Some(&server)),
        stable(&better.stdout, Some(&server))
    ));
    let same = p.gigcheck(&["report", "diff", "old.json", "old.json"]);
    assert_eq!(same.code, 0);
    assert!(
        same.stdout.contains("no change in outcomes"),
        "{}",
        same.stdout
    );
}

#[test]
fn report_diff_refuses_files_that_are_not_reports() {
    let p = Project::new();
    p.write("junk.json", "{\n  \"a\": 1,\n}\n");
    p.write("other.json", "{\"a\": 1}");
    let out = p.gigcheck(&["report", "diff", "junk.json", "other.json"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("error: junk.json:3:1: not JSON"),
        "{}",
        out.stderr
    );
    let out = p.gigcheck(&["report", "diff", "other.json", "missing.json"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("other.json: not a gigcheck JSON report"),
        "{}",
        out.stderr
    );
    let bad_kind = p.gigcheck(&["run", "--report", "pdf=x.pdf"]);
    assert_eq!(bad_kind.code, 2);
    assert!(
        bad_kind.stderr.contains("`pdf` is not a report kind"),
        "{}",
        bad_kind.stderr
    );
}

const SECRET_SPEC: &str = r#"
name: Secrets
vars:
  password: "Sup3r$ecretPass"
setup:
  - include: _fragments/login.yaml
    with: { email: "ada@example.test", password: "{{password}}" }
scenarios:
  - id: "B.1"
    name: secrets travel in headers and bodies, and come back in the answer
    steps:
      - request:
          method: POST
          url: /api/echo
          bearer: "{{token}}"
          headers: { X-Api-Key: "{{env.SHOP_API_KEY}}", X-Stripe: "{{stripe_key}}" }
          json: { password: "{{password}}", note: "key {{env.SHOP_API_KEY}}" }
        expect:
          status: 200
          body:
            $.body: { contains: "never there" }
      - request: { method: GET, url: /api/cookie }
  - id: "B.2"
    name: secrets in snapshots, webhooks and query strings
    steps:
      - request: { method: GET, url: "/api/cookie?api_key={{env.SHOP_API_KEY}}" }
      - webhook:
          type: payment_intent.succeeded
          object: { id: pi_planted, object: payment_intent, amount: 100, status: succeeded }
        expect: { status: 200 }
      - request:
          method: POST
          url: /api/echo
          bearer: "{{token}}"
          headers: { X-Api-Key: "{{env.SHOP_API_KEY}}", X-Stripe: "{{stripe_key}}" }
          json: { run: "{{uuid}}", password: "{{password}}", secret: "{{webhook_secret}}" }
        expect:
          status: 200
          snapshot: echo
"#;

/// Imported from Postman with every kind of secret written in.
fn planted_collection() -> String {
    serde_json::json!({
        "info": { "name": "Planted", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json" },
        "item": [{
            "name": "Login",
            "request": {
                "method": "POST",
                "url": "http://127.0.0.1:1/api/auth/login",
                "auth": { "type": "bearer", "bearer": [{ "key": "token", "value": TOKEN, "type": "string" }] },
                "header": [
                    { "key": "X-Api-Key", "value": API_KEY },
                    { "key": "X-Stripe", "value": STRIPE_KEY },
                    { "key": "Cookie", "value": "session=s3ss10n-value" }
                ],
                "body": { "mode": "raw", "raw": format!("{{\"email\": \"ada@example.test\", \"password\": \"{PASSWORD}\"}}"),
                          "options": { "raw": { "language": "json" } } }
            }
        }]
    })
    .to_string()
}

const API_KEY: &str = "shop-api-key-0123456789";
const STRIPE_KEY: &str = "sk_test_51GigcheckPlantedKey0000";
const SECRET_ENV: &str = "secrets:\n  webhook_secret: SHOP_WEBHOOK_SECRET\n";

#[test]
fn no_report_terminal_line_or_curl_command_carries_a_secret() {
    let server = start();
    let p = Project::shop();
    p.write("specs/secrets.yaml", SECRET_SPEC)
        .write("env.yaml", SECRET_ENV)
        .write("planted.postman_collection.json", &planted_collection());
    let env = [
        ("SHOP_API_KEY", API_KEY),
        ("SHOP_WEBHOOK_SECRET", WEBHOOK_SECRET),
    ];
    let reports = [
        "--report",
        "json=reports/run.json",
        "--report",
        "markdown=reports/run.md",
        "--report",
        "html=reports/run.html",
        "--report",
        "junit=reports/extra.xml",
    ];
    let planted = [
        PASSWORD,
        TOKEN,
        API_KEY,
        STRIPE_KEY,
        "s3ss10n-value",
        WEBHOOK_SECRET,
    ];
    // The first run creates the snapshot, the second (its uuid differs) writes `.snap.new`.
    for verbosity in [&[][..], &["--verbose"][..]] {
        let mut args = vec![
            "run",
            "--env",
            "env.yaml",
            "--base-url",
            &server.url,
            "--curl",
            "--var",
            "stripe_key=sk_test_51GigcheckPlantedKey0000",
        ];
        args.extend(reports);
        args.extend(verbosity);
        let out = p.gigcheck_env(&args, &env);
        assert_eq!(out.code, 1, "{}", out.all());
        assert!(out.stdout.contains("curl -X POST"), "{}", out.stdout);
        assert!(
            out.stdout.contains("/api/payment/webhook -H"),
            "the webhook was sent: {}",
            out.stdout
        );
        let mut channels = vec![("terminal".to_string(), out.all())];
        for file in ["run.json", "run.md", "run.html", "extra.xml", "junit.xml"] {
            channels.push((file.to_string(), p.read(&format!("reports/{file}"))));
        }
        for snap in ["secrets__echo.snap", "secrets__echo.snap.new"] {
            let path = format!("specs/__snapshots__/{snap}");
            if p.exists(&path) {
                channels.push((snap.to_string(), p.read(&path)));
            }
        }
        for (name, text) in &channels {
            for secret in planted {
                assert!(
                    !text.contains(secret),
                    "{name} shows the secret {secret}:\n{text}"
                );
            }
        }
    }
    assert!(p.exists("specs/__snapshots__/secrets__echo.snap"));
    assert!(
        p.exists("specs/__snapshots__/secrets__echo.snap.new"),
        "the second run's snapshot differed"
    );
    // Imported specs name the secrets they need and never hold them.
    let import = p.gigcheck(&[
        "import",
        "postman",
        "planted.postman_collection.json",
        "--out",
        "imported",
    ]);
    assert_eq!(import.code, 0, "{}", import.all());
    let mut imported = 0;
    for entry in walk(&p.path("imported")) {
        let text = std::fs::read_to_string(&entry).unwrap();
        imported += 1;
        for secret in planted {
            assert!(
                !text.contains(secret),
                "{} holds {secret}:\n{text}",
                entry.display()
            );
        }
    }
    assert!(imported > 0, "the import wrote files");
    for secret in planted {
        assert!(
            !import.all().contains(secret),
            "import output shows {secret}"
        );
    }
    // --show-secrets opens the terminal (so this test can tell), and nothing else.
    let mut args = vec![
        "run",
        "--env",
        "env.yaml",
        "--base-url",
        &server.url,
        "--curl",
        "--show-secrets",
        "--var",
        "stripe_key=sk_test_51GigcheckPlantedKey0000",
    ];
    args.extend(reports);
    let out = p.gigcheck_env(&args, &env);
    assert!(
        out.stdout.contains(TOKEN) && out.stdout.contains(API_KEY),
        "{}",
        out.stdout
    );
    for file in ["run.json", "run.md", "run.html", "extra.xml"] {
        let text = p.read(&format!("reports/{file}"));
        for secret in planted {
            assert!(!text.contains(secret), "{file} shows {secret}");
        }
    }
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn output_to_a_pipe_has_no_progress_line() {
    let server = start();
    let p = Project::new();
    p.write("specs/orders.yaml", SPEC);
    let out = run(&p, &server, "expected-mode", "reports/run.json");
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(!out.all().contains('\r') && !out.all().contains('\u{1b}'));
    assert!(out.stdout.contains("\nSlowest\n"), "{}", out.stdout);
}

#[test]
fn a_terminal_gets_a_live_progress_line() {
    // `script` gives gigcheck a pseudo-terminal, as a person at a shell has.
    let server = start();
    let p = Project::new();
    p.write(
        "specs/slow.yaml",
        "scenarios:\n  - name: waits\n    steps: [{ request: { method: GET, url: /api/slow } }]\n  - name: quick\n    steps: [{ request: { method: GET, url: /api/echo } }]\n",
    );
    let command = format!(
        "{} run --base-url {} --jobs 1",
        env!("CARGO_BIN_EXE_gigcheck"),
        server.url
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(p.dir.path())
        .env_remove("CI")
        .env("NO_COLOR", "1")
        .output()
        .expect("`script` (util-linux) runs the command in a pseudo-terminal");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("0/2 scenarios"),
        "the line shows progress: {text}"
    );
    assert!(text.contains("0 failed"), "and failures so far: {text}");
    assert!(text.contains("2 passed"), "{text}");
}
