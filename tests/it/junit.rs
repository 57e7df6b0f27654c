//! The JUnit report is what GitLab, Jenkins and GitHub reporters read: well-formed XML with the
//! usual elements and attributes, counts that add up, plan ids in test names, logs in system-out.

use crate::common;
use common::*;

const SPEC: &str = r#"
name: Order history
scenarios:
  - id: "3.1"
    name: passes
    steps:
      - request: { method: GET, url: /api/echo }
        expect: { status: 200 }
  - id: "3.2"
    name: fails
    steps:
      - request: { method: GET, url: /api/echo }
        expect: { status: 201, body: { $.body: "x" } }
  - id: "6.1"
    name: needs a secret
    steps:
      - request: { method: GET, url: /api/echo, headers: { X-Key: "{{env.GIGCHECK_TEST_UNSET}}" } }
"#;

#[test]
fn junit_is_well_formed_and_counts_add_up() {
    let server = start();
    let p = Project::new();
    p.write("specs/history.yaml", SPEC);
    p.write(
        "specs/more.yaml",
        "scenarios:\n  - name: plain\n    steps: [{ request: { method: GET, url: /api/echo } }]\n",
    );
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--junit",
        "out/results.xml",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    let xml = p.read("out/results.xml");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(suites.len(), 2, "one testsuite per spec file");

    let history = suites[0];
    assert_eq!(history.attribute("name"), Some("Order history"));
    let cases: Vec<_> = history
        .children()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    let count = |tag: &str| {
        cases
            .iter()
            .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
            .count()
    };
    assert_eq!(
        history.attribute("tests"),
        Some(cases.len().to_string().as_str())
    );
    assert_eq!(
        history.attribute("failures"),
        Some(count("failure").to_string().as_str())
    );
    assert_eq!(history.attribute("errors"), Some("0"));
    assert_eq!((cases.len(), count("failure"), count("skipped")), (3, 1, 1));
    assert_eq!(history.attribute("skipped"), Some("1"));
    assert_eq!(suites[1].attribute("skipped"), Some("0"));
    assert!(history.attribute("timestamp").is_some() && history.attribute("time").is_some());
    // The root carries the run's totals (what GitLab's and Jenkins' summaries read).
    assert_eq!(root.attribute("tests"), Some("4"));
    assert_eq!(root.attribute("failures"), Some("1"));
    assert_eq!(root.attribute("errors"), Some("0"));
    assert_eq!(root.attribute("skipped"), Some("1"));
    assert!(
        root.attribute("time")
            .is_some_and(|t| t.parse::<f64>().is_ok())
    );
    assert!(root.attribute("timestamp").is_some());

    let lines: Vec<_> = cases.iter().filter_map(|c| c.attribute("line")).collect();
    assert_eq!(lines, ["4", "9", "14"], "each scenario's line in its spec");
    let names: Vec<_> = cases.iter().filter_map(|c| c.attribute("name")).collect();
    assert_eq!(
        names,
        ["[3.1] passes", "[3.2] fails", "[6.1] needs a secret"]
    );
    for c in &cases {
        assert_eq!(c.attribute("classname"), Some("Order history"));
        assert_eq!(c.attribute("file"), Some("specs/history.yaml"));
        assert!(c.attribute("line").is_some(), "annotators need the line");
        let time: f64 = c.attribute("time").unwrap().parse().unwrap();
        assert!(time >= 0.0);
    }
    let failure = cases[1]
        .children()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(failure.attribute("message").unwrap().contains("status"));
    let detail = failure.text().unwrap();
    assert!(
        detail.contains("expected: 201") && detail.contains("actual:   200"),
        "{detail}"
    );
    // The body check after a wrong status is not evaluated, and said so once.
    assert!(
        detail.contains("and 1 body check not evaluated: the status is 200"),
        "{detail}"
    );
    let system_out = cases[1]
        .children()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    assert!(
        system_out
            .text()
            .unwrap()
            .contains("> GET http://127.0.0.1:")
    );
    let skipped = cases[2]
        .children()
        .find(|n| n.has_tag_name("skipped"))
        .unwrap();
    assert!(
        skipped
            .attribute("message")
            .unwrap()
            .contains("GIGCHECK_TEST_UNSET")
    );
}

#[test]
fn junit_survives_hostile_text() {
    let server = start();
    let p = Project::new();
    p.write(
        "specs/x.yaml",
        "scenarios:\n  - name: \"<&]]> \\\" \\u0001 odd\"\n    steps: [{ request: { method: POST, url: /api/echo, body: \"]]> \\u0002 <b>\" }, expect: { status: 500 } }]\n",
    );
    let out = p.gigcheck(&["run", "--base-url", &server.url]);
    assert_eq!(out.code, 1, "{}", out.all());
    let xml = p.read("reports/junit.xml");
    let doc = roxmltree::Document::parse(&xml).expect("well-formed XML");
    assert!(
        doc.descendants()
            .any(|n| n.attribute("name").is_some_and(|a| a.contains("<&]]>")))
    );
    let out = doc
        .descendants()
        .find(|n| n.has_tag_name("system-out"))
        .unwrap();
    let text: String = out.children().filter_map(|c| c.text()).collect();
    assert!(text.contains("> ]]>  <b>"), "{text}");
}

#[test]
fn junit_content_is_pinned() {
    let server = start();
    let p = Project::new();
    p.write("specs/history.yaml", SPEC);
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--jobs", "1"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let xml = p.read("reports/junit.xml");
    let volatile = regex::Regex::new(r#"(timestamp|time)="[^"]*""#).unwrap();
    let date = regex::Regex::new(r"(?m)^(\s*< date: ).*$").unwrap();
    let xml = volatile.replace_all(&xml, r#"$1="[…]""#);
    let xml = date.replace_all(&xml, "${1}[date]");
    insta::assert_snapshot!(stable(&xml.replace("><", ">\n<"), Some(&server)));
}
