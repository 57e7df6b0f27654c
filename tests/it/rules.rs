//! Rule coverage: a project names the contract rules its steps verify; a run against a backend
//! that keeps some rules and breaks one says so in every report format, with the same counts:
//! the terminal (pinned), JSON, JUnit properties, HTML and Markdown (pinned). A rule a step in an
//! untaken `when` branch names is told apart from one no scenario names, and a partial run says
//! in one line how many rules only the scenarios it left out check.

use crate::common;

use axum::Router;
use axum::routing::get;
use common::{EVERY_REPORT, Project, stable};
use serde_json::{Value, json};

const CONTRACT: &str = r#"
routes:
  GET /api/products: [200]
rules:
  products.list.ok: The product list answers 200 with its products.
  products.list.limit: A page holds at most `limit` products.
  products.detail.ok: A product's detail answers 200.
  products.detail.not-found: An unknown product answers 404.
  products.list.cached:
    text: The list is served from a cache.
    unobservable: a cache is invisible from outside
"#;

const SPEC: &str = r#"
name: Catalogue
vars: { flag: "" }
scenarios:
  - id: "1.1"
    name: The list and its page size
    steps:
      - name: The list
        verifies: [products.list.ok]
        request: { method: GET, url: /api/products }
        expect: { status: 200 }
      - name: Two per page
        verifies: [products.list.limit]
        request: { method: GET, url: /api/products, query: { limit: 2 } }
        expect: { status: 200, body: { $.products: { length: 2 } } }
  - id: "1.2"
    name: Unknown products
    verifies: [products.detail.not-found]
    steps:
      - request: { method: GET, url: /api/products/999 }
        expect: { status: 404 }
      - name: Only when a flag is set
        when: "{{flag}}"
        verifies: [products.detail.ok]
        request: { method: GET, url: /api/products/1 }
        expect: { status: 200 }
"#;

/// A catalogue that ignores `limit` (three products, always) and answers 404 for unknowns.
fn catalogue() -> Router {
    Router::new()
        .route(
            "/api/products",
            get(|| async { axum::Json(json!({"products": [{"id": 1}, {"id": 2}, {"id": 3}]})) }),
        )
        .route(
            "/api/products/{id}",
            get(|| async {
                (
                    axum::http::StatusCode::NOT_FOUND,
                    axum::Json(json!({"error": "Product not found"})),
                )
            }),
        )
}

fn project() -> Project {
    let p = Project::new();
    p.write("fixtures/contract.yaml", CONTRACT);
    p.write("specs/catalogue.yaml", SPEC);
    p
}

#[test]
fn every_report_format_tells_the_same_rule_coverage() {
    let server = common::serve(catalogue());
    let p = project();
    let out = p.gigcheck(
        &[
            &["run", "--base-url", &server.url, "--var", "flag="][..],
            EVERY_REPORT,
        ]
        .concat(),
    );
    assert_eq!(out.code, 1, "{}", out.all());

    // Terminal: pinned.
    let from = out
        .stdout
        .find("Rule coverage")
        .expect("a rule coverage section");
    let to = out.stdout[from..]
        .find("\n\n")
        .map_or(out.stdout.len(), |n| from + n);
    insta::assert_snapshot!("rules_terminal", stable(&out.stdout[from..to], None));

    // JSON: the same counts and every rule with its verdict.
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(p.path("reports/run.json")).unwrap())
            .unwrap();
    let rules = &json["rules"];
    assert_eq!(
        (
            &rules["observable"],
            &rules["checked"],
            &rules["held"],
            &rules["broken"],
            &rules["unreached"],
            &rules["unchecked"],
            &rules["unobservable"]
        ),
        (
            &json!(4),
            &json!(3),
            &json!(2),
            &json!(1),
            &json!(1),
            &json!(0),
            &json!(1)
        ),
        "{rules:#}"
    );
    let verdicts: Vec<(String, String)> = rules["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_string(),
                r["verdict"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let verdict = |id: &str| verdicts.iter().find(|(i, _)| i == id).unwrap().1.clone();
    assert_eq!(verdict("products.list.ok"), "held");
    assert_eq!(verdict("products.list.limit"), "broken");
    assert_eq!(verdict("products.detail.not-found"), "held");
    assert_eq!(verdict("products.detail.ok"), "unreached");
    assert_eq!(verdict("products.list.cached"), "unobservable");

    // JUnit: the counts as properties of the last suite.
    let xml = std::fs::read_to_string(p.path("reports/junit.xml")).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let property = |name: &str| {
        doc.descendants()
            .find(|n| n.has_tag_name("property") && n.attribute("name") == Some(name))
            .and_then(|n| n.attribute("value"))
            .map(str::to_string)
    };
    assert_eq!(
        property("gigcheck.rules.headline").as_deref(),
        Some("3/4 observable contract rules checked")
    );
    assert_eq!(property("gigcheck.rules.broken").as_deref(), Some("1"));
    assert_eq!(property("gigcheck.rules.held").as_deref(), Some("2"));
    assert_eq!(
        property("gigcheck.rules.broken.ids").as_deref(),
        Some("products.list.limit")
    );
    let last_suite = doc
        .descendants()
        .rfind(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert_eq!(last_suite.attribute("tests"), Some("0"));

    // HTML: the headline and the broken rule.
    let html = std::fs::read_to_string(p.path("reports/run.html")).unwrap();
    assert!(
        html.contains("<b>3/4</b> observable contract rules checked"),
        "no headline in the HTML report"
    );
    assert!(html.contains("<code>products.list.limit</code>"));

    // Markdown: pinned.
    let md = std::fs::read_to_string(p.path("reports/run.md")).unwrap();
    let from = md
        .find("### Rule coverage")
        .expect("a rule coverage section");
    let to = md[from + 4..]
        .find("\n### ")
        .map_or(md.len(), |n| from + 4 + n);
    insta::assert_snapshot!("rules_markdown", &md[from..to]);
}

#[test]
fn a_partial_run_says_what_it_left_out_in_one_line() {
    let server = common::serve(catalogue());
    let p = project();
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--var",
        "flag=1",
        "--filter",
        "Unknown",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stdout
            .contains("2 rules are checked only by scenarios outside this run"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("products.list.ok"), "{}", out.stdout);
}

#[test]
fn list_rules_counts_the_scenarios_that_verify_each() {
    let p = project();
    let out = p.gigcheck(&["list", "--rules"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let lines: Vec<&str> = out.stdout.lines().map(str::trim_end).collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["RULE", "SCENARIOS", "TEXT"]
    );
    let row = |id: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(id))
            .map(|l| l.split_whitespace().nth(1).unwrap_or_default().to_string())
            .unwrap()
    };
    assert_eq!(row("products.list.ok"), "1");
    assert_eq!(row("products.detail.ok"), "1");
    assert_eq!(row("products.list.cached"), "-");
}
