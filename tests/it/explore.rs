//! `gigcheck explore` against the embedded sandbox: nothing found on the clean sandbox (with and
//! without its legitimate variations), one seed sends the same requests, and planted defects are
//! found under the check that names their cause.

use crate::common;
use common::*;

fn project() -> Project {
    let p = Project::new();
    copy_project_fixtures(&p);
    p
}

/// `gigcheck explore` with seed 7, at most `requests`, against the embedded sandbox with
/// `defect` on, and `extra` arguments.
fn explore_defect(p: &Project, defect: &str, requests: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "explore",
        "--seed",
        "7",
        "--max-requests",
        requests,
        "--sandbox-defect",
        defect,
    ];
    args.extend_from_slice(extra);
    p.gigcheck(&args)
}

#[test]
fn the_clean_sandbox_gives_no_finding_with_or_without_its_variations() {
    let p = project();
    for extra in [&[][..], &["--sandbox-variation", "all"][..]] {
        let mut args = vec!["explore", "--seed", "11", "--max-requests", "1500"];
        args.extend_from_slice(extra);
        let out = p.gigcheck(&args);
        assert_eq!(out.code, 0, "{extra:?}:\n{}", out.all());
        assert!(
            out.stdout.contains("NOTHING FOUND in 1500 requests"),
            "{}",
            out.stdout
        );
        assert!(
            out.stderr.contains("with seed 11 (replay with --seed 11)"),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn one_seed_sends_the_same_requests() {
    let p = project();
    let requests = |seed: &str| {
        let out = p.gigcheck(&[
            "explore",
            "--seed",
            seed,
            "--max-requests",
            "120",
            "-j",
            "1",
            "-v",
        ]);
        assert_eq!(out.code, 0, "{}", out.all());
        // Each run signs up customers of its own (their emails and passwords carry the run's
        // tag), and the payment intents' ids are the emulator's.
        let own =
            regex::Regex::new(r"\+[0-9a-f]{8}@|Expl0re![0-9a-f]{8}|pi_[0-9a-f]{1,24}").unwrap();
        let lines: Vec<String> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with(['G', 'P', 'D']))
            .map(|l| own.replace_all(l, "<own>").into_owned())
            .collect();
        assert_eq!(lines.len(), 120, "{}", out.stdout);
        lines
    };
    let first = requests("5");
    assert_eq!(first, requests("5"));
    assert_ne!(first, requests("6"));
}

#[test]
fn planted_defects_are_found_under_the_check_that_names_them() {
    let p = project();
    for (defect, check, route) in [
        (
            "orders.detail.not-found",
            "another customer's data told apart from missing",
            "GET /api/orders/{id}",
        ),
        (
            "payment.webhook.bad-signature",
            "invalid data accepted",
            "POST /api/payment/webhook",
        ),
        (
            "orders.list.page-not-numeric",
            "server error",
            "GET /api/orders",
        ),
        ("errors.json", "not JSON", "routes ("),
        (
            "orders.list.per-page-cap",
            "response schema",
            "GET /api/orders",
        ),
    ] {
        let out = explore_defect(&p, defect, "800", &[]);
        assert_eq!(out.code, 1, "{defect}:\n{}", out.all());
        // One line per cause: its check, then where (a route, or several routes).
        let head = format!("  {check}  ");
        assert!(
            out.stdout
                .lines()
                .any(|l| l.starts_with(&head) && l.contains(route)),
            "{defect}: no `{check}` cause on {route} in\n{}",
            out.stdout
        );
        assert!(out.stdout.contains("FOUND "), "{}", out.stdout);
    }
}

#[test]
fn the_lifecycle_walks_find_what_single_requests_cannot() {
    let p = project();
    // (defect, a rule it breaks, how many rules it breaks: one cause each)
    for (defect, rule, rules) in [
        (
            "orders.cancel.restock",
            "a cancel gives the units back to the stock",
            1,
        ),
        (
            "stripe.refund-full-amount",
            "a paid order's cancel refunds its full amount",
            1,
        ),
        // The intent is taken as paid without being read: neither its outcome nor its amount.
        (
            "orders.create.intent-not-succeeded",
            "with a payment that did not succeed is refused with 402",
            2,
        ),
        (
            "orders.create.intent-must-match",
            "an order paid for another amount than its total is refused",
            1,
        ),
        (
            "orders.status.from-delivered",
            "a delivered order stays delivered",
            1,
        ),
        (
            "orders.create.total-sum",
            "the catalogue's price times the quantity",
            1,
        ),
    ] {
        let out = explore_defect(&p, defect, "400", &[]);
        assert_eq!(out.code, 1, "{defect}:\n{}", out.all());
        let causes: Vec<&str> = out
            .stdout
            .lines()
            .filter(|l| l.starts_with("  lifecycle rule broken  "))
            .collect();
        // Said once: one rule, one cause, however many walks broke it.
        assert_eq!(causes.len(), rules, "{defect}:\n{}", out.stdout);
        assert!(
            out.stdout.contains(rule),
            "{defect}: no `{rule}` in\n{}",
            out.stdout
        );
    }
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let p = Project::new();
    let out = p.gigcheck(&["explore"]);
    assert_eq!(out.code, 2, "{}", out.all());
    assert!(
        out.stderr.contains("no fixtures/contract.yaml"),
        "{}",
        out.stderr
    );
    let p = project();
    let out = p.gigcheck(&["explore", "--max-requests", "0"]);
    assert_eq!(out.code, 2, "{}", out.all());
    let out = p.gigcheck(&[
        "explore",
        "--base-url",
        "http://127.0.0.1:9",
        "--sandbox-defect",
        "errors.json",
    ]);
    assert_eq!(out.code, 2, "{}", out.all());
    let out = p.gigcheck(&["explore", "--base-url", &dead_url(), "--max-requests", "5"]);
    assert_eq!(out.code, 3, "{}", out.all());
    assert_eq!(
        out.stderr.trim().lines().count(),
        1,
        "one line: {}",
        out.stderr
    );
}

#[test]
fn a_saved_finding_fails_under_run_while_the_defect_is_on_and_passes_once_it_is_off() {
    let p = project();
    for defect in [
        "orders.list.page-not-numeric",
        "orders.detail.not-found",
        "errors.json",
        "orders.list.per-page-cap",
        "auth.token.expired",
        "routes.unknown-404",
        // Found by the walks: their specs make the walk's calls up to the broken rule.
        "orders.cancel.restock",
        "orders.create.refused-no-order",
    ] {
        let dir = format!("specs/found-{defect}");
        let out = explore_defect(&p, defect, "400", &["--save-findings", &dir]);
        assert_eq!(out.code, 1, "{defect}:\n{}", out.all());
        assert!(
            out.stdout.contains(&format!("saved: {dir}/")),
            "{}",
            out.stdout
        );
        let with_defect = p.gigcheck(&["run", &dir, "--sandbox-defect", defect]);
        assert_eq!(
            with_defect.code,
            1,
            "{defect}: the saved specs pass with the defect on:\n{}",
            with_defect.all()
        );
        let clean = p.gigcheck(&["run", &dir]);
        assert_eq!(
            clean.code,
            0,
            "{defect}: the saved specs fail on the clean sandbox:\n{}",
            clean.all()
        );
    }
}

#[test]
fn every_report_format_holds_the_causes() {
    let p = project();
    let out = p.gigcheck(&[
        "explore",
        "--seed",
        "7",
        "--max-requests",
        "800",
        "--sandbox-defect",
        "orders.list.page-not-numeric",
        "--report",
        "junit=reports/explore.xml",
        "--report",
        "json=reports/explore.json",
        "--report",
        "markdown=reports/explore.md",
        "--report",
        "html=reports/explore.html",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    let xml = p.read("reports/explore.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let failures: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("failure"))
        .filter_map(|n| n.attribute("type"))
        .collect();
    assert!(failures.contains(&"server error"), "{xml}");
    let json: serde_json::Value = serde_json::from_str(&p.read("reports/explore.json")).unwrap();
    assert_eq!(json["seed"], 7);
    assert!(
        json["causes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["check"] == "server error" && c["route"] == "GET /api/orders")
    );
    assert!(
        p.read("reports/explore.md")
            .contains("| server error | GET /api/orders |")
    );
    assert!(
        p.read("reports/explore.html")
            .contains("<td>server error</td>")
    );

    let clean = p.gigcheck(&[
        "explore",
        "--seed",
        "7",
        "--max-requests",
        "200",
        "--report",
        "junit=reports/clean.xml",
    ]);
    assert_eq!(clean.code, 0, "{}", clean.all());
    let xml = p.read("reports/clean.xml");
    assert!(
        xml.contains("NOTHING FOUND in 200 requests (seed 7)") && !xml.contains("<failure"),
        "{xml}"
    );
}

#[test]
fn an_example_is_shrunk_to_what_breaks_the_check() {
    let p = project();
    let out = p.gigcheck(&[
        "explore",
        "--seed",
        "7",
        "--max-requests",
        "800",
        "--sandbox-defect",
        "payment.webhook.bad-signature",
        "--report",
        "json=reports/explore.json",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    let report: serde_json::Value = serde_json::from_str(&p.read("reports/explore.json")).unwrap();
    let cause = report["causes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["route"] == "POST /api/payment/webhook")
        .expect("the webhook cause");
    // The field the example changed stays as it was; every other text is cut to one character.
    let what = cause["example"]["what"].as_str().unwrap();
    let changed = what
        .trim_start_matches('/')
        .split(['/', ':'])
        .next()
        .unwrap();
    let body: serde_json::Value =
        serde_json::from_str(cause["example"]["body"].as_str().unwrap()).unwrap();
    for (key, value) in body.as_object().unwrap() {
        if key != changed
            && let Some(text) = value.as_str()
        {
            assert!(
                text.chars().count() <= 1,
                "{key} = {text:?} was not shrunk: {body}"
            );
        }
    }
}
