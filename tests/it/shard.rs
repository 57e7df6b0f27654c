//! `--shard K/N` and `gigcheck report merge`: N slices of a run, each on its own, together run
//! every scenario exactly once, and their merged reports say what one whole run says.

use crate::common;
use common::*;
use gigcheck_core::report::json::JsonReport;
use std::collections::BTreeMap;

fn suite(name: &str, count: usize, serial: bool, failing: usize) -> String {
    let mut s = format!("name: {name}\nserial: {serial}\nscenarios:\n");
    for i in 0..count {
        let status = if i < failing { 201 } else { 200 };
        s.push_str(&format!(
            "  - id: \"{name}.{i}\"\n    name: {name} scenario {i}\n    steps:\n      - request: {{ method: GET, url: /api/echo }}\n        expect: {{ status: {status} }}\n"
        ));
    }
    s
}

fn project() -> Project {
    let p = Project::new();
    p.write("specs/a.yaml", &suite("A", 9, false, 1))
        .write("specs/b.yaml", &suite("B", 3, true, 0))
        .write("specs/c.yaml", &suite("C", 5, false, 1));
    p
}

/// Scenario title → how many times it ran, from a JSON report.
fn ran(report: &JsonReport) -> BTreeMap<String, usize> {
    let mut seen = BTreeMap::new();
    for s in report.suites.iter().flat_map(|s| &s.scenarios) {
        *seen.entry(s.title.clone()).or_default() += 1;
    }
    seen
}

#[test]
fn slices_run_everything_once_and_merge_into_the_whole_run() {
    let server = start();
    let p = project();
    let whole = p.gigcheck(&[
        "run",
        "--base-url",
        &server.url,
        "--report",
        "json=whole.json",
        "--junit",
        "whole.xml",
    ]);
    assert_eq!(whole.code, 1, "{}", whole.all());
    let whole = JsonReport::load(&p.path("whole.json")).unwrap();
    assert_eq!(whole.totals.scenarios, 17);

    let n = 3;
    let mut jsons = Vec::new();
    let mut xmls = Vec::new();
    let mut sizes = Vec::new();
    for k in 1..=n {
        let json = format!("slice-{k}.json");
        let xml = format!("slice-{k}.xml");
        let out = p.gigcheck(&[
            "run",
            "--base-url",
            &server.url,
            "--shard",
            &format!("{k}/{n}"),
            "--report",
            &format!("json={json}"),
            "--junit",
            &xml,
        ]);
        assert!(out.code == 0 || out.code == 1, "{}", out.all());
        let slice = JsonReport::load(&p.path(&json)).unwrap();
        sizes.push(slice.totals.scenarios);
        let serial = slice
            .suites
            .iter()
            .find(|s| s.file.ends_with("b.yaml"))
            .map_or(0, |s| s.scenarios.len());
        assert!(
            serial == 0 || serial == 3,
            "the serial suite is never split"
        );
        jsons.push(json);
        xmls.push(xml);
    }
    assert_eq!(sizes.iter().sum::<usize>(), 17, "{sizes:?}");
    assert!(
        sizes.iter().max().unwrap() - sizes.iter().min().unwrap() <= 1,
        "{sizes:?}"
    );

    let mut args = vec!["report", "merge", "merged.json"];
    args.extend(jsons.iter().map(String::as_str));
    let out = p.gigcheck(&args);
    assert_eq!(out.code, 0, "{}", out.all());
    let merged = JsonReport::load(&p.path("merged.json")).unwrap();
    let counts = ran(&merged);
    assert_eq!(counts, ran(&whole), "same scenarios as the whole run");
    assert!(
        counts.values().all(|&n| n == 1),
        "each exactly once: {counts:?}"
    );
    assert_eq!(merged.totals, whole.totals);
    assert_eq!(merged.plan.len(), whole.plan.len());

    let mut args = vec!["report", "merge", "merged.xml"];
    args.extend(xmls.iter().map(String::as_str));
    let out = p.gigcheck(&args);
    assert_eq!(out.code, 0, "{}", out.all());
    let xml = p.read("merged.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("tests"), Some("17"));
    assert_eq!(root.attribute("failures"), Some("2"));
    let suites: Vec<&str> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .filter_map(|n| n.attribute("name"))
        .collect();
    assert_eq!(suites.len(), 3, "one suite per spec file again: {suites:?}");
}

#[test]
fn list_shows_each_slice_and_the_real_plan_splits_cleanly() {
    let plan = Project {
        dir: tempfile::tempdir().unwrap(),
    };
    let specs = concat!(env!("CARGO_MANIFEST_DIR"), "/specs");
    let rows = |shard: Option<&str>| -> Vec<String> {
        let mut args = vec!["list", specs];
        if let Some(s) = shard {
            args.extend(["--shard", s]);
        }
        let out = plan.gigcheck(&args);
        assert_eq!(out.code, 0, "{}", out.all());
        // Columns are padded per table: compare the words.
        out.stdout
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect()
    };
    let mut all = rows(None);
    let mut union = Vec::new();
    for k in 1..=4 {
        union.extend(rows(Some(&format!("{k}/4"))));
    }
    all.sort();
    union.sort();
    assert_eq!(union, all);
}

#[test]
fn bad_shards_and_merges_are_usage_errors() {
    let p = project();
    let out = p.gigcheck(&["list", "--shard", "4/3"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("is not a shard: write K/N"),
        "{}",
        out.stderr
    );
    let out = p.gigcheck(&["report", "merge", "out.txt", "a.json"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("name the merged report .xml"),
        "{}",
        out.stderr
    );
    let out = p.gigcheck(&["report", "merge", "out.xml", "missing.xml"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("error: cannot read missing.xml"),
        "{}",
        out.stderr
    );
    assert!(!p.exists("out.xml"));
}

#[test]
fn a_slice_with_nothing_to_do_passes_with_an_empty_report() {
    let server = start();
    let p = project();
    let out = p.gigcheck(&["run", "--base-url", &server.url, "--shard", "20/20"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.stderr.contains("note: shard 20/20 has no scenarios"),
        "{}",
        out.stderr
    );
    let xml = p.read("reports/junit.xml");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(
        doc.descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .count(),
        0
    );
}
