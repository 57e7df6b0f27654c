//! Joining the reports of a sharded run (`gigcheck report merge`): N JUnit files into one, or N
//! JSON reports into one, with totals that add up as if one machine had run everything.
//!
//! JUnit suites with the same name (a spec file split over slices) become one suite again;
//! each test case is copied as written, so nothing of its failure text or logs is lost.

use super::coverage::PlanCase;
use super::json::{
    JsonCause, JsonContract, JsonOutcome, JsonPlanCase, JsonReport, JsonSuite, JsonTotals,
};
use indexmap::IndexMap;
use std::fmt::Write as _;

/// One input: its name for messages, and its text.
pub struct Input {
    /// What messages call the input: its path as given.
    pub name: String,
    /// The file's contents: JUnit XML or a JSON report.
    pub text: String,
}

#[derive(Default)]
struct Suite {
    name: String,
    package: Option<String>,
    hostname: Option<String>,
    timestamp: Option<String>,
    time: f64,
    cases: Vec<String>,
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
}

/// Merged JUnit XML.
pub fn junit(inputs: &[Input]) -> Result<String, String> {
    let mut suites: IndexMap<String, Suite> = IndexMap::new();
    for input in inputs {
        let doc = roxmltree::Document::parse(&input.text).map_err(|e| {
            let pos = e.pos();
            format!(
                "{}:{}:{}: not well-formed XML: {e}; is it a JUnit report?",
                input.name, pos.row, pos.col
            )
        })?;
        let root = doc.root_element();
        let elements: Vec<roxmltree::Node> = match root.tag_name().name() {
            "testsuites" => root
                .children()
                .filter(|n| n.has_tag_name("testsuite"))
                .collect(),
            "testsuite" => vec![root],
            other => {
                return Err(format!(
                    "{}: the root element is <{other}>, not <testsuites> or <testsuite>; is it a JUnit report?",
                    input.name
                ));
            }
        };
        for element in elements {
            let name = element.attribute("name").unwrap_or("").to_string();
            let suite = suites.entry(name.clone()).or_insert_with(|| Suite {
                name,
                package: element.attribute("package").map(str::to_string),
                hostname: element.attribute("hostname").map(str::to_string),
                ..Suite::default()
            });
            if let Some(at) = element.attribute("timestamp")
                && suite.timestamp.as_deref().is_none_or(|t| at < t)
            {
                suite.timestamp = Some(at.to_string());
            }
            suite.time += element
                .attribute("time")
                .and_then(|t| t.parse::<f64>().ok())
                .unwrap_or(0.0);
            for child in element.children().filter(|n| n.is_element()) {
                if child.has_tag_name("testcase") {
                    suite.tests += 1;
                    let has = |tag: &str| child.children().any(|c| c.has_tag_name(tag));
                    suite.failures += usize::from(has("failure"));
                    suite.errors += usize::from(has("error"));
                    suite.skipped += usize::from(has("skipped"));
                }
                suite.cases.push(input.text[child.range()].to_string());
            }
        }
    }
    let total = |f: fn(&Suite) -> usize| suites.values().map(f).sum::<usize>();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"gigcheck\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\">",
        total(|s| s.tests),
        total(|s| s.failures),
        total(|s| s.errors),
        total(|s| s.skipped),
        suites.values().map(|s| s.time).sum::<f64>()
    );
    for (id, s) in suites.values().enumerate() {
        let _ = write!(
            out,
            "<testsuite id=\"{id}\" name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{}\"",
            attr(&s.name),
            s.tests,
            s.failures,
            s.errors,
            s.skipped,
            s.time
        );
        for (key, value) in [
            ("package", &s.package),
            ("hostname", &s.hostname),
            ("timestamp", &s.timestamp),
        ] {
            if let Some(v) = value {
                let _ = write!(out, " {key}=\"{}\"", attr(v));
            }
        }
        out.push_str(">\n");
        for case in &s.cases {
            out.push_str(case);
            out.push('\n');
        }
        out.push_str("</testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    Ok(out)
}

fn attr(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Merged JSON reports: suites joined by file, totals and plan coverage recomputed, contract
/// pairs exercised on any slice counted as exercised. The run's duration is the longest
/// slice's (they run side by side).
pub fn json(reports: Vec<JsonReport>) -> Result<JsonReport, String> {
    let mut reports = reports.into_iter();
    let mut merged = reports
        .next()
        .ok_or("nothing to merge: give at least one report")?;
    let mut by_file: IndexMap<String, JsonSuite> = IndexMap::new();
    let take = |by_file: &mut IndexMap<String, JsonSuite>, suites: Vec<JsonSuite>| {
        for suite in suites {
            match by_file.get_mut(&suite.file) {
                Some(s) => s.scenarios.extend(suite.scenarios),
                None => {
                    by_file.insert(suite.file.clone(), suite);
                }
            }
        }
    };
    take(&mut by_file, std::mem::take(&mut merged.suites));
    let mut plan: IndexMap<String, JsonPlanCase> = IndexMap::new();
    let mut add_plan = |cases: Vec<JsonPlanCase>| {
        for c in cases {
            let entry = plan.entry(c.id.clone()).or_insert(JsonPlanCase {
                id: c.id,
                title: None,
                verdict: String::new(),
                passed: 0,
                failed: 0,
                blocked: 0,
                skipped: 0,
            });
            entry.title = entry.title.take().or(c.title);
            entry.passed += c.passed;
            entry.failed += c.failed;
            entry.blocked += c.blocked;
            entry.skipped += c.skipped;
        }
    };
    add_plan(std::mem::take(&mut merged.plan));
    let mut causes: IndexMap<String, JsonCause> = IndexMap::new();
    let mut add_causes = |list: Vec<JsonCause>| {
        for c in list {
            match causes.get_mut(&c.headline) {
                Some(known) => {
                    known.failed += c.failed;
                    known.blocked += c.blocked;
                    known.scenarios.extend(c.scenarios);
                }
                None => {
                    causes.insert(c.headline.clone(), c);
                }
            }
        }
    };
    add_causes(std::mem::take(&mut merged.causes));
    for r in reports {
        if r.target != merged.target {
            merged.target = None;
        }
        merged.started_at = match (merged.started_at.take(), r.started_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        merged.duration_ms = merged.duration_ms.max(r.duration_ms);
        merged.interrupted |= r.interrupted;
        merged.fail_on_skip |= r.fail_on_skip;
        merged.insecure |= r.insecure;
        merged.snapshots.extend(r.snapshots);
        merged.contract = match (merged.contract.take(), r.contract) {
            (Some(a), Some(b)) => Some(union(a, b)),
            (a, b) => a.or(b),
        };
        add_plan(r.plan);
        add_causes(r.causes);
        take(&mut by_file, r.suites);
    }
    merged.suites = by_file.into_values().collect();
    merged.plan = plan
        .into_values()
        .map(|mut c| {
            let counts = PlanCase {
                id: String::new(),
                title: None,
                passed: c.passed,
                failed: c.failed,
                blocked: c.blocked,
                skipped: c.skipped,
            };
            c.verdict = counts.verdict().key().into();
            c
        })
        .collect();
    let mut causes: Vec<JsonCause> = causes.into_values().collect();
    causes.sort_by_key(|c| std::cmp::Reverse(c.failed + c.blocked));
    merged.causes = causes;
    let mut totals = JsonTotals {
        scenarios: 0,
        passed: 0,
        failed: 0,
        blocked: 0,
        skipped: 0,
    };
    for s in merged.suites.iter().flat_map(|s| &s.scenarios) {
        totals.scenarios += 1;
        match s.outcome {
            JsonOutcome::Passed => totals.passed += 1,
            JsonOutcome::Failed => totals.failed += 1,
            JsonOutcome::Blocked => totals.blocked += 1,
            JsonOutcome::Skipped => totals.skipped += 1,
        }
    }
    merged.totals = totals;
    Ok(merged)
}

fn union(a: JsonContract, b: JsonContract) -> JsonContract {
    let mut exercised = a.exercised;
    for pair in b.exercised {
        if !exercised.contains(&pair) {
            exercised.push(pair);
        }
    }
    let mut missing: Vec<String> = Vec::new();
    for pair in a.missing.into_iter().chain(b.missing) {
        if !exercised.contains(&pair) && !missing.contains(&pair) {
            missing.push(pair);
        }
    }
    JsonContract { exercised, missing }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, text: &str) -> Input {
        Input {
            name: name.into(),
            text: text.into(),
        }
    }

    #[test]
    fn junit_suites_of_the_same_name_become_one_with_summed_counts() {
        let a = r#"<?xml version="1.0"?><testsuites><testsuite id="0" name="A &amp; B" tests="2" errors="0" failures="1" timestamp="2026-01-02T00:00:00Z" time="0.5"><testcase name="one" time="0.1"/><testcase name="two" time="0.4"><failure message="x"><![CDATA[boom <here>]]></failure></testcase></testsuite></testsuites>"#;
        let b = r#"<testsuites><testsuite id="0" name="A &amp; B" tests="1" timestamp="2026-01-01T00:00:00Z" time="0.25"><testcase name="three"><skipped/></testcase></testsuite><testsuite name="C" time="1"><testcase name="four"/></testsuite></testsuites>"#;
        let merged = junit(&[input("a.xml", a), input("b.xml", b)]).unwrap();
        let doc = roxmltree::Document::parse(&merged).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("tests"), Some("4"));
        assert_eq!(root.attribute("failures"), Some("1"));
        assert_eq!(root.attribute("skipped"), Some("1"));
        let suites: Vec<_> = root.children().filter(|n| n.is_element()).collect();
        assert_eq!(suites.len(), 2);
        assert_eq!(suites[0].attribute("name"), Some("A & B"));
        assert_eq!(suites[0].attribute("tests"), Some("3"));
        assert_eq!(suites[0].attribute("time"), Some("0.75"));
        assert_eq!(
            suites[0].attribute("timestamp"),
            Some("2026-01-01T00:00:00Z")
        );
        assert!(merged.contains("<![CDATA[boom <here>]]>"));
    }

    #[test]
    fn junit_errors_name_the_file_and_place() {
        let err = junit(&[input("bad.xml", "<testsuites>\n<testsuite>")]).unwrap_err();
        assert!(err.starts_with("bad.xml:"), "{err}");
        let err = junit(&[input("html.xml", "<html/>")]).unwrap_err();
        assert!(err.contains("<html>"), "{err}");
    }
}
