//! An exploration's findings (`gigcheck explore --report KIND=PATH`) in every report format:
//! one entry per cause — the check, where, how often, and the smallest request that showed it.

use super::ReportKind;
use crate::explore::found::{Cause, Exploration};
use serde_json::json;

/// The exploration drawn from `seed` as a report of `kind`.
pub fn render(kind: ReportKind, e: &Exploration, seed: u64) -> String {
    match kind {
        ReportKind::Junit => junit(e, seed),
        ReportKind::Json => {
            let mut text = serde_json::to_string_pretty(&json_value(e, seed)).unwrap_or_default();
            text.push('\n');
            text
        }
        ReportKind::Markdown => markdown(e, seed),
        ReportKind::Html => html(e, seed),
    }
}

/// The verdict line every format opens with.
fn verdict(e: &Exploration, seed: u64) -> String {
    let found = match e.causes.len() {
        0 => "NOTHING FOUND".to_string(),
        1 => "FOUND 1 cause".to_string(),
        n => format!("FOUND {n} causes"),
    };
    format!("{found} in {} requests (seed {seed})", e.requests)
}

/// Where a cause was seen: its route, or how many routes and which.
fn place(cause: &Cause) -> String {
    match cause.routes.len() {
        0 | 1 => cause.route.clone(),
        n => format!(
            "{n} routes: {}",
            cause.routes.iter().cloned().collect::<Vec<_>>().join(", ")
        ),
    }
}

/// The example as lines: what it tried, the request, the body.
fn example(cause: &Cause) -> String {
    let mut text = format!("{}\n{}", cause.example.what, cause.example.request);
    if let Some(body) = &cause.example.body {
        text.push_str(&format!("\nbody: {body}"));
    }
    text
}

fn json_value(e: &Exploration, seed: u64) -> serde_json::Value {
    json!({
        "seed": seed,
        "requests": e.requests,
        "elapsed_ms": e.elapsed.as_millis() as u64,
        "verdict": verdict(e, seed),
        "causes": e.causes.iter().map(|c| json!({
            "check": c.check.name(),
            "route": c.route,
            "routes": c.routes,
            "count": c.count,
            "message": c.example.message,
            "example": {
                "what": c.example.what,
                "request": c.example.request,
                "body": c.example.body,
            },
        })).collect::<Vec<_>>(),
        "notes": e.notes,
    })
}

fn junit(e: &Exploration, seed: u64) -> String {
    use super::junit::clean;
    use junit_report::{Duration, ReportBuilder, TestCaseBuilder, TestSuiteBuilder};
    let mut suite = TestSuiteBuilder::new("gigcheck explore");
    if e.causes.is_empty() {
        let name = verdict(e, seed);
        suite.add_testcase(TestCaseBuilder::success(&name, Duration::ZERO).build());
    }
    for cause in &e.causes {
        let name = clean(&format!("{} on {}", cause.check.name(), place(cause)));
        let message = clean(&format!("{} ({}×)", cause.example.message, cause.count));
        let mut case =
            TestCaseBuilder::failure(&name, Duration::ZERO, cause.check.name(), &message);
        case.set_classname("explore");
        case.set_trace(&clean(&example(cause)));
        suite.add_testcase(case.build());
    }
    let mut report = ReportBuilder::new();
    report.add_testsuite(suite.build());
    let mut xml = Vec::new();
    if report.build().write_xml(&mut xml).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&xml).into_owned()
}

fn markdown(e: &Exploration, seed: u64) -> String {
    use super::markdown::escape;
    let mut out = format!("### gigcheck explore: {}\n\n", verdict(e, seed));
    if e.causes.is_empty() {
        return out;
    }
    out.push_str("| check | where | times | what it tried | request | what was wrong |\n");
    out.push_str("|---|---|---:|---|---|---|\n");
    for c in &e.causes {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            escape(c.check.name()),
            escape(&place(c)),
            c.count,
            escape(&c.example.what),
            escape(&c.example.request),
            escape(&c.example.message),
        ));
    }
    out
}

fn html(e: &Exploration, seed: u64) -> String {
    use super::format::escape;
    let mut rows = String::new();
    for c in &e.causes {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><pre>{}</pre></td></tr>\n",
            escape(c.check.name()),
            escape(&place(c)),
            c.count,
            escape(&c.example.message),
            escape(&example(c)),
        ));
    }
    let table = if rows.is_empty() {
        String::new()
    } else {
        format!(
            "<table><tr><th>check</th><th>where</th><th>times</th><th>what was wrong</th><th>smallest request</th></tr>\n{rows}</table>"
        )
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>gigcheck explore</title>\n<style>body{{font-family:system-ui,sans-serif;margin:2rem}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}}pre{{margin:0;white-space:pre-wrap}}</style></head>\n<body><h1>gigcheck explore</h1><p>{}</p>\n{table}\n</body></html>\n",
        escape(&verdict(e, seed))
    )
}
