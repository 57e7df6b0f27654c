//! Readiness before testing: `gigcheck doctor` on the embedded default (all ready), on a backend
//! whose Stripe client calls another Stripe than the run's emulator, and with an "admin" that is
//! not one; and `gigcheck run` against the Stripe-miswired backend, where the payment scenarios
//! are blocked by that one cause instead of failing for reasons they do not test.

use crate::common;

use common::{Output, stable};
use gigcheck::embedded::Embedded;
use gigcheck_servers::stripe::{StripeConfig, router};
use gigcheck_servers::{Running, bind};
use std::path::Path;

fn gigcheck(args: &[&str], env: &[(&str, &str)]) -> Output {
    common::gigcheck_in(Path::new(env!("CARGO_MANIFEST_DIR")), args, env)
}

/// Ports and times out of the way.
fn steady(text: &str) -> String {
    let ports = regex::Regex::new(r"127\.0\.0\.1:\d+").unwrap();
    let intents = regex::Regex::new(r"\bpi_[0-9a-f]{8,}").unwrap();
    let text = ports.replace_all(text, "127.0.0.1:[port]");
    stable(&intents.replace_all(&text, "pi_[id]"), None)
}

#[test]
fn doctor_on_the_embedded_default_finds_everything_ready() {
    let out = gigcheck(&["doctor"], &[]);
    assert_eq!(out.code, 0, "{}", out.all());
    insta::assert_snapshot!("doctor_embedded", steady(&out.stdout));
}

struct Miswired {
    servers: Embedded,
    /// An emulator nobody calls: the one the run is told about.
    other: Running,
    runtime: tokio::runtime::Runtime,
}

fn miswired() -> Miswired {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let servers = runtime.block_on(Embedded::start_with(&[], &[])).unwrap();
    let other = runtime
        .block_on(async {
            let listener = bind(0).await?;
            Running::spawn(listener, router(StripeConfig::default()))
        })
        .unwrap();
    Miswired {
        servers,
        other,
        runtime,
    }
}

impl Miswired {
    fn env(&self, admin_email: &str, admin_password: &str) -> Vec<(&'static str, String)> {
        vec![
            ("GIGCHECK_STRIPE_URL", self.other.url.clone()),
            (
                "GIGCHECK_WEBHOOK_SECRET",
                self.servers.webhook_secret.clone(),
            ),
            ("GIGCHECK_ADMIN_EMAIL", admin_email.to_string()),
            ("GIGCHECK_ADMIN_PASSWORD", admin_password.to_string()),
        ]
    }
}

fn run_with(args: &[&str], env: &[(&'static str, String)]) -> Output {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    gigcheck(args, &env)
}

#[test]
fn a_backend_that_calls_another_stripe_is_named_once_with_the_fix() {
    let m = miswired();
    let s = &m.servers;
    let env = m.env(&s.admin_email, &s.admin_password);
    let out = run_with(&["doctor", "--base-url", &s.sandbox.url], &env);
    assert_eq!(out.code, 1, "{}", out.all());
    insta::assert_snapshot!("doctor_miswired_stripe", steady(&out.stdout));

    let reports = tempfile::tempdir().unwrap();
    let junit = reports.path().join("junit.xml");
    // The plan: every payment scenario blocked by that one cause, the rest run.
    let out = run_with(
        &[
            "run",
            "--base-url",
            &s.sandbox.url,
            "--junit",
            junit.to_str().unwrap(),
        ],
        &env,
    );
    assert_eq!(out.code, 1, "{}", out.all());
    let causes = out
        .stdout
        .split("\nCauses, worst first\n")
        .nth(1)
        .unwrap_or_default();
    let lines: Vec<&str> = causes.lines().take_while(|l| l.starts_with("  ")).collect();
    assert_eq!(lines.len(), 1, "one cause:\n{}", out.stdout);
    assert!(
        lines[0].contains("blocked")
            && lines[0].contains("GET Stripe /v1/payment_intents/{id} → 404, expected 200"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("point the backend's stripe.api_base, e.g. STRIPE_API_BASE, at"),
        "the fix is named:\n{}",
        out.stdout
    );
    assert!(out.stdout.contains("Readiness of"), "{}", out.stdout);
}

#[test]
fn an_admin_account_that_is_not_an_admin_is_told() {
    let m = miswired();
    let s = &m.servers;
    // A customer's credentials where the admin's should be.
    let email = format!("not-admin-{}@gigcheck.example.com", std::process::id());
    let password = "Qa!Passw0rd-2026";
    let url = format!("{}/api/auth/register", s.sandbox.url);
    let body = serde_json::json!({"email": email, "password": password, "first_name": "Not", "last_name": "Admin"});
    let status = m.runtime.block_on(async {
        reqwest::Client::new()
            .post(&url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 201);
    let env = m.env(&email, password);
    let out = run_with(&["doctor", "--base-url", &s.sandbox.url], &env);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains("✗ admin           logs in, but is not an admin (is_admin: false): give an admin account in GIGCHECK_ADMIN_EMAIL"),
        "{}",
        out.stdout
    );
}
