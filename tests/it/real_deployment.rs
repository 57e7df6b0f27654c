//! The plan against a deployment that is not gigcheck's own default: the sandbox started apart,
//! with every legitimate variation on (trailing-slash 308s, sign-up and login rate limits,
//! string money, HTTP-dates, extra fields, lean answers, another catalogue, …) and two real
//! defects of the public Flask code (no `/api/addresses`, HTML error pages), run through
//! `--base-url` as a QA engineer would run it against staging.
//!
//! What must come out: exactly those two defects, the scenarios that need an address blocked
//! under that one cause, everything else run to its own checks, no 429, and a run that stays
//! within the rate limits (at most 5 sign-ups and 5 logins, counted at the sandbox).

use crate::common;

use common::{Project, stable};
use gigcheck::embedded::Embedded;
use gigcheck_servers::sandbox::{Defect, Variation};
use std::path::Path;

struct Deployment {
    servers: Embedded,
    runtime: tokio::runtime::Runtime,
}

fn deploy(defects: &[Defect]) -> Deployment {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let servers = runtime
        .block_on(Embedded::start_with(defects, &Variation::ALL))
        .unwrap();
    Deployment { servers, runtime }
}

impl Deployment {
    /// Runs the repository's plan against the deployment, configured from the environment as a
    /// user configures an external target.
    fn run(&self, extra: &[&str]) -> common::Output {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let p = Project::new();
        let s = &self.servers;
        let junit = p.path("junit.xml");
        let mut args = vec!["run", "--base-url", &s.sandbox.url, "--junit"];
        args.push(junit.to_str().unwrap_or_default());
        args.extend(extra);
        let env = [
            ("GIGCHECK_STRIPE_URL", s.stripe.url.as_str()),
            ("GIGCHECK_WEBHOOK_SECRET", s.webhook_secret.as_str()),
            ("GIGCHECK_ADMIN_EMAIL", s.admin_email.as_str()),
            ("GIGCHECK_ADMIN_PASSWORD", s.admin_password.as_str()),
        ];
        common::gigcheck_in(root, &args, &env)
    }

    /// `(sign-ups, logins)` the sandbox has served.
    fn counts(&self) -> (u64, u64) {
        let url = format!("{}/__sandbox/stats", self.servers.sandbox.url);
        let stats: serde_json::Value = self
            .runtime
            .block_on(async { reqwest::get(&url).await.unwrap().json().await.unwrap() });
        (
            stats["signups"].as_u64().unwrap(),
            stats["logins"].as_u64().unwrap(),
        )
    }
}

/// The summary a QA engineer reads: from the list of causes to the totals.
fn summary(stdout: &str, d: &Deployment) -> String {
    let from = stdout
        .find("\nRedirects followed")
        .or_else(|| stdout.find("\nCauses, worst first"))
        .unwrap_or(0);
    let text = stdout[from..]
        .replace(&d.servers.sandbox.url, "http://127.0.0.1:[sandbox]")
        .replace(&d.servers.stripe.url, "http://127.0.0.1:[stripe]");
    let report = regex::Regex::new(r"(?m)^report: .*$").unwrap();
    let text = report.replace_all(&text, "report: [junit]");
    // The plan's own lines move as it grows; which file a cause is in is what matters.
    let place = regex::Regex::new(r"(specs/[\w/.-]+\.yaml):\d+:\d+").unwrap();
    stable(&place.replace_all(&text, "$1:[line]"), None)
}

#[test]
fn a_flask_like_deployment_shows_its_two_defects_once_each_within_the_rate_limits() {
    let d = deploy(&[Defect::NoAddressesRoute, Defect::HtmlErrorPages]);
    let out = d.run(&[]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        !out.all().contains("→ 429") && !out.all().contains("rate limited ("),
        "{}",
        out.all()
    );
    insta::assert_snapshot!("flask_like_summary", summary(&out.stdout, &d));
    let (signups, logins) = d.counts();
    assert!(signups <= 5 + 5, "sign-up attempts {signups}");
    assert!(logins <= 5, "logins {logins}");
}

#[test]
fn every_variation_at_once_passes_the_whole_plan_within_the_rate_limits() {
    let d = deploy(&[]);
    let out = d.run(&[]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.contains(" 0 failed, 0 blocked, "),
        "{}",
        out.stdout
    );
    let (signups, logins) = d.counts();
    assert!(signups <= 10, "sign-up attempts {signups}");
    assert!(logins <= 5, "logins {logins}");
}
