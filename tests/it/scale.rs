//! A run bigger than what the loader keeps whole: suites are loaded again as their turn comes
//! and results are streamed to the JUnit report, yet every scenario runs once, in spec order,
//! and every report and total is complete.

use crate::common;
use common::*;
use gigcheck_core::report::json::JsonReport;

const FILES: usize = 7;
const PER_FILE: usize = 100;

/// `FILES` suites of `PER_FILE` scenarios; the third is serial; one scenario of the second and
/// one of the last fail.
fn project() -> Project {
    let p = Project::new();
    for f in 0..FILES {
        let mut s = format!("name: Suite {f}\nserial: {}\nscenarios:\n", f == 2);
        for i in 0..PER_FILE {
            let status = if (f == 1 || f == FILES - 1) && i == 42 {
                201
            } else {
                200
            };
            s.push_str(&format!(
                "  - id: \"{f}.{i}\"\n    name: scenario {f}-{i}\n    steps:\n      - request: {{ method: GET, url: /api/echo }}\n        expect: {{ status: {status} }}\n"
            ));
        }
        p.write(&format!("specs/s{f}.yaml"), &s);
    }
    p
}

/// Test case names in document order, from a JUnit file.
fn junit_cases(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).expect("well-formed JUnit");
    doc.descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .map(|n| n.attribute("name").unwrap_or_default().to_string())
        .collect()
}

fn expected_titles() -> Vec<String> {
    (0..FILES)
        .flat_map(|f| (0..PER_FILE).map(move |i| format!("[{f}.{i}] scenario {f}-{i}")))
        .collect()
}

#[test]
fn a_large_run_reports_every_scenario_once_in_order() {
    let server = start();
    let p = project();
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--junit",
        "reports/junit.xml",
        "--jobs",
        "4",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    let total = FILES * PER_FILE;
    assert!(
        out.stdout.contains(&format!(
            "FAILED {total} scenarios: {} passed, 2 failed, 0 blocked, 0 skipped",
            total - 2
        )),
        "{}",
        out.stdout
    );
    // Both failures are printed at the end, though passed scenarios were not kept: one cause,
    // shown once, with both scenarios under it.
    let failures = out
        .stdout
        .split("\nFailures: 1 cause\n")
        .nth(1)
        .unwrap_or_default();
    assert!(
        failures.contains("── 2 scenarios failed at GET /api/echo → 200, expected 201"),
        "{failures}"
    );
    assert!(failures.contains("[1.42] scenario 1-42"), "{failures}");
    assert!(failures.contains(&format!("[{0}.42] scenario {0}-42", FILES - 1)));
    assert!(failures.contains("expected: 201"), "{failures}");
    // The per-scenario lines came in spec order.
    let progress = out.stdout.split("\nFailures: ").next().unwrap_or_default();
    let lines: Vec<&str> = progress
        .lines()
        .filter_map(|l| {
            l.trim_start()
                .strip_prefix("✓ ")
                .or(l.trim_start().strip_prefix("✗ "))
        })
        .collect();
    let titles: Vec<String> = lines
        .iter()
        .map(|l| l.split(" (").next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(titles, expected_titles());

    let xml = p.read("reports/junit.xml");
    assert_eq!(junit_cases(&xml), expected_titles());
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let suites: Vec<(String, String)> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testsuite"))
        .map(|n| {
            (
                n.attribute("id").unwrap_or_default().to_string(),
                n.attribute("failures").unwrap_or_default().to_string(),
            )
        })
        .collect();
    let ids: Vec<String> = (0..FILES).map(|i| i.to_string()).collect();
    assert_eq!(suites.iter().map(|s| s.0.clone()).collect::<Vec<_>>(), ids);
    let failed: usize = suites.iter().map(|s| s.1.parse::<usize>().unwrap()).sum();
    assert_eq!(failed, 2);
    assert_eq!(
        std::fs::read_dir(p.path("reports")).unwrap().count(),
        1,
        "no temporary file is left beside the report"
    );
}

#[test]
fn a_report_of_every_scenario_keeps_them_all() {
    let server = start();
    let p = project();
    let out = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--report",
        "json=reports/run.json",
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    let report = JsonReport::load(&p.path("reports/run.json")).unwrap();
    let titles: Vec<String> = report
        .suites
        .iter()
        .flat_map(|s| &s.scenarios)
        .map(|s| s.title.clone())
        .collect();
    assert_eq!(titles, expected_titles());
    assert_eq!(report.totals.scenarios, FILES * PER_FILE);
    assert_eq!(report.totals.failed, 2);
    assert_eq!(junit_cases(&p.read("reports/junit.xml")), expected_titles());
}
