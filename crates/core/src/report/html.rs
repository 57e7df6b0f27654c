//! The HTML report: one self-contained page for people (`--report html=PATH`).
//!
//! This module owns the page: the header with the verdict and totals, plan and contract
//! coverage, then the scenarios — failed ones first and open, with their failed checks, a
//! sequence diagram ([`super::svg`]) and every step's request and response, then passed and
//! skipped ones collapsed. Everything from the model goes through [`escape`]. The page loads
//! nothing: inline CSS, one tiny inline script (expand/collapse all, optional), and a
//! Content-Security-Policy that allows only that script (by hash) and inline styles.

use super::causes;
use super::coverage::{CaseVerdict, ContractCoverage, Coverage, PlanCase};
use super::format::{escape, human};
use super::rules::{RuleCoverage, RuleLine, RuleVerdict};
use super::{sequence, svg};
use crate::outcome::{
    CheckReport, Exchange, Outcome, RequestLog, ResponseLog, RunReport, ScenarioReport,
    SnapshotWriteKind, StepReport, StepStatus, SuiteReport, Verdict,
};
use base64::Engine as _;
use sha2::Digest as _;
use std::fmt::Write as _;

/// The whole page.
pub(super) fn render(report: &RunReport, coverage: &Coverage) -> String {
    let mut out = String::new();
    head(&mut out, report);
    header(&mut out, report);
    out.push_str("<main class=\"wrap\">\n");
    if report.run.insecure {
        let _ = writeln!(
            out,
            "<p class=\"banner\">{}</p>",
            escape(crate::outcome::INSECURE)
        );
    }
    if report.run.interrupted {
        out.push_str("<p class=\"banner\">The run was interrupted: scenarios after that point are missing or were not run.</p>\n");
    }
    causes_card(&mut out, report);
    overview(&mut out, report, coverage);
    let groups = [Group::Failed, Group::Blocked, Group::Passed, Group::Skipped];
    for group in groups {
        scenario_group(&mut out, report, group);
    }
    snapshot_writes(&mut out, report);
    out.push_str("</main>\n");
    let _ = write!(
        out,
        "<footer class=\"wrap\">gigcheck {} · this page loads nothing from the network</footer>\n<script>{SCRIPT}</script>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// Shows the expand/collapse buttons and makes them work; without JavaScript they stay hidden.
const SCRIPT: &str = "for(const b of document.querySelectorAll('button[data-open]')){b.hidden=false;b.addEventListener('click',()=>{for(const d of document.querySelectorAll('details.scenario'))d.open=b.dataset.open==='1'})}";

fn script_hash() -> String {
    let digest = sha2::Sha256::digest(SCRIPT.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest)
}

fn head(out: &mut String, report: &RunReport) {
    let t = report.totals();
    let title = format!(
        "gigcheck {}: {} passed, {} failed, {} blocked, {} skipped",
        verdict(report).0,
        t.passed,
        t.failed,
        t.blocked,
        t.skipped
    );
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{hash}'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        hash = script_hash(),
        title = escape(&title),
    );
}

/// The verdict's word and its CSS class.
fn verdict(report: &RunReport) -> (&'static str, &'static str) {
    let verdict = report.verdict();
    let class = match verdict {
        Verdict::Passed => "pass",
        Verdict::Failed => "fail",
        Verdict::NothingRan | Verdict::Interrupted => "warn",
    };
    (verdict.word(), class)
}

fn header(out: &mut String, report: &RunReport) {
    let t = report.totals();
    let (word, class) = verdict(report);
    let _ = write!(
        out,
        "<header class=\"top {class}\"><div class=\"wrap\">\n<div class=\"title\"><span class=\"verdict {class}\">{word}</span><h1>gigcheck run report</h1></div>\n<dl class=\"meta\">"
    );
    meta(
        out,
        "Target",
        report.run.target.as_deref().unwrap_or("—"),
        true,
    );
    if let Some(stripe) = &report.run.stripe_url {
        meta(out, "Stripe API", stripe, true);
    }
    let started = report
        .run
        .started_at
        .and_then(|at| at.format(START_FORMAT).ok())
        .unwrap_or_else(|| "—".to_string());
    meta(out, "Started", &started, false);
    meta(out, "Duration", &human(report.run.duration), false);
    out.push_str("</dl>\n<div class=\"totals\">");
    stat(out, "total", "Scenarios", t.total(), "");
    stat(out, "pass", "Passed", t.passed, "#passed");
    stat(out, "fail", "Failed", t.failed, "#failed");
    stat(out, "block", "Blocked", t.blocked, "#blocked");
    stat(out, "skip", "Skipped", t.skipped, "#skipped");
    out.push_str(
        "<div class=\"tools\"><button type=\"button\" data-open=\"1\" hidden>Expand all</button><button type=\"button\" data-open=\"0\" hidden>Collapse all</button></div>",
    );
    out.push_str("</div>\n</div></header>\n");
}

const START_FORMAT: &[time::format_description::FormatItem<'static>] = time::macros::format_description!(
    "[year]-[month]-[day] [hour]:[minute]:[second] UTC[offset_hour sign:mandatory]:[offset_minute]"
);

fn meta(out: &mut String, name: &str, value: &str, code: bool) {
    let value = if code {
        format!("<code>{}</code>", escape(value))
    } else {
        escape(value)
    };
    let _ = write!(out, "<div><dt>{name}</dt><dd>{value}</dd></div>");
}

fn stat(out: &mut String, class: &str, label: &str, n: usize, anchor: &str) {
    let zero = if n == 0 { " zero" } else { "" };
    let (open, close) = if anchor.is_empty() || n == 0 {
        ("<div", "</div>")
    } else {
        ("<a", "</a>")
    };
    let href = if open == "<a" {
        format!(" href=\"{anchor}\"")
    } else {
        String::new()
    };
    let _ = write!(
        out,
        "{open} class=\"stat {class}{zero}\"{href}><b>{n}</b><span>{label}</span>{close}"
    );
}

/// What a reader of a red run acts on first: each cause once, worst first, with the scenarios
/// it stopped.
fn causes_card(out: &mut String, report: &RunReport) {
    let causes = causes::group(report);
    if causes.is_empty() {
        return;
    }
    let anchors: std::collections::HashMap<(String, String), String> = anchored(report)
        .map(|(anchor, suite, s)| ((suite.file.clone(), s.title()), anchor))
        .collect();
    let _ = writeln!(
        out,
        "<section class=\"card causes\"><h2>Causes, worst first <span class=\"count\">{}</span></h2>\n<ol>",
        causes.len()
    );
    for c in &causes {
        let class = if c.only_blocked() { "block" } else { "fail" };
        let _ = write!(
            out,
            "<li class=\"{class}\"><details><summary><span class=\"badge {class}\">{}</span> <code>{}</code> <span class=\"muted\">{}</span></summary><ul>",
            escape(&c.tally()),
            escape(&c.headline),
            escape(&c.loc.to_string())
        );
        for m in &c.members {
            let anchor = anchors
                .get(&(m.file.clone(), m.title.clone()))
                .cloned()
                .unwrap_or_default();
            let _ = write!(
                out,
                "<li><a href=\"#{anchor}\">{}</a> <span class=\"muted\">{}</span></li>",
                escape(&m.title),
                escape(&m.file)
            );
        }
        out.push_str("</ul></details></li>\n");
    }
    out.push_str("</ol></section>\n");
}

/// Plan coverage and contract coverage, side by side on wide screens.
fn overview(out: &mut String, report: &RunReport, coverage: &Coverage) {
    let cases = &coverage.plan;
    if cases.is_empty() && coverage.contract.is_none() && coverage.rules.is_none() {
        return;
    }
    out.push_str("<div class=\"overview\">\n");
    if !cases.is_empty() {
        plan_table(out, report, cases);
    }
    if let Some(c) = &coverage.contract {
        contract_card(out, c);
    }
    if let Some(r) = &coverage.rules {
        rules_card(out, r);
    }
    out.push_str("</div>\n");
}

/// Rule coverage: the headline and a bar, the broken rules, then every rule no check decided,
/// by why; the rules that held folded away.
fn rules_card(out: &mut String, r: &RuleCoverage) {
    let observable = r.observable();
    let percent = (r.checked() * 100).checked_div(observable).unwrap_or(100);
    let class = if r.count(RuleVerdict::Broken) > 0 {
        "fail"
    } else if r.checked() == observable {
        "pass"
    } else {
        "warn"
    };
    let _ = write!(
        out,
        "<section class=\"card rules\"><h2>Rule coverage</h2>\n<p class=\"ratio {class}\"><b>{}/{observable}</b> observable contract rules checked <span class=\"muted\">({percent}%; {} held, {} broken, {} not observable)</span></p>\n<div class=\"bar\"><span class=\"{class}\" style=\"width:{percent}%\"></span></div>\n",
        r.checked(),
        r.count(RuleVerdict::Held),
        r.count(RuleVerdict::Broken),
        r.count(RuleVerdict::Unobservable),
    );
    for verdict in RuleVerdict::ALL {
        let lines: Vec<&RuleLine> = r.with(verdict).collect();
        if lines.is_empty() {
            continue;
        }
        let folded = matches!(verdict, RuleVerdict::Held | RuleVerdict::Unobservable);
        let heading = format!("{} ({})", capitalized(verdict.label()), lines.len());
        if folded {
            let _ = write!(
                out,
                "<details class=\"pairs-box\"><summary>{}</summary>",
                escape(&heading)
            );
        } else {
            let _ = write!(out, "<h3>{}</h3>", escape(&heading));
        }
        let _ = write!(out, "<ul class=\"rules {}\">", verdict.key());
        for l in lines {
            let why = match (&l.unobservable, l.broken_by.is_empty()) {
                (Some(reason), _) => format!(" <span class=\"muted\">— {}</span>", escape(reason)),
                (None, false) => format!(
                    " <span class=\"muted\">— broken by {}</span>",
                    escape(&l.broken_by.join("; "))
                ),
                (None, true) => String::new(),
            };
            let _ = write!(
                out,
                "<li><code>{}</code> {}{why}</li>",
                escape(&l.id),
                escape(&l.text)
            );
        }
        out.push_str("</ul>");
        if folded {
            out.push_str("</details>");
        }
        out.push('\n');
    }
    out.push_str("</section>\n");
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn plan_table(out: &mut String, report: &RunReport, cases: &[PlanCase]) {
    out.push_str("<section class=\"card plan\"><h2>Plan coverage</h2>\n<table class=\"grid\"><thead><tr><th>Case</th><th>Scenarios</th><th class=\"n\">Passed</th><th class=\"n\">Failed</th><th class=\"n\">Blocked</th><th class=\"n\">Skipped</th><th>Verdict</th></tr></thead><tbody>\n");
    for case in cases {
        let (badge, class) = match case.verdict() {
            CaseVerdict::Failed => ("✗ failed", "fail"),
            CaseVerdict::Blocked => ("⊘ blocked", "block"),
            CaseVerdict::Passed => ("✓ tested, passed", "pass"),
            CaseVerdict::Skipped => ("– skipped", "skip"),
            CaseVerdict::NoScenario => ("– no scenario", "skip"),
        };
        let members: Vec<(String, &ScenarioReport)> = scenarios(report)
            .filter(|(_, s)| s.id.as_deref() == Some(case.id.as_str()))
            .collect();
        let _ = writeln!(
            out,
            "<tr class=\"{class}\"><td class=\"case\">{}{}</td><td class=\"names\">{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td><span class=\"badge {class}\">{badge}</span></td></tr>",
            escape(&case.id),
            case.title.as_deref().map_or_else(String::new, |t| format!(
                "<div class=\"muted\">{}</div>",
                escape(t)
            )),
            case_scenarios(&members),
            case.passed,
            if case.failed > 0 { " bad" } else { "" },
            case.failed,
            case.blocked,
            case.skipped,
        );
    }
    out.push_str("</tbody></table></section>\n");
}

/// A plan case's scenarios: a numbered pip each (linked, named in its tooltip), and the names
/// of those that did not pass.
fn case_scenarios(members: &[(String, &ScenarioReport)]) -> String {
    let mut out = String::from("<span class=\"pips\">");
    for (n, (anchor, s)) in members.iter().enumerate() {
        let _ = write!(
            out,
            "<a class=\"pip {}\" href=\"#{anchor}\" title=\"{}\">{}</a>",
            outcome_class(&s.outcome),
            escape(&s.name),
            n + 1
        );
    }
    out.push_str("</span>");
    for (anchor, s) in members.iter().filter(|(_, s)| s.outcome != Outcome::Passed) {
        let _ = write!(
            out,
            "<a class=\"why {}\" href=\"#{anchor}\">{}</a>",
            outcome_class(&s.outcome),
            escape(&s.name)
        );
    }
    out
}

fn contract_card(out: &mut String, c: &ContractCoverage) {
    let total = c.exercised.len() + c.missing.len();
    let percent = (c.exercised.len() * 100).checked_div(total).unwrap_or(100);
    let class = if c.missing.is_empty() { "pass" } else { "warn" };
    let _ = write!(
        out,
        "<section class=\"card contract\"><h2>Contract coverage</h2>\n<p class=\"ratio {class}\"><b>{}/{total}</b> documented route × status pairs exercised <span class=\"muted\">({percent}%)</span></p>\n<div class=\"bar\"><span class=\"{class}\" style=\"width:{percent}%\"></span></div>\n",
        c.exercised.len()
    );
    if c.missing.is_empty() {
        out.push_str("<p class=\"muted\">Every documented pair was exercised.</p>\n");
    } else {
        out.push_str("<h3>Never exercised</h3>\n");
        pair_list(out, &c.missing, "missing");
    }
    if !c.exercised.is_empty() {
        let _ = write!(
            out,
            "<details class=\"pairs-box\"><summary>Exercised ({})</summary>",
            c.exercised.len()
        );
        pair_list(out, &c.exercised, "seen");
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

fn pair_list(out: &mut String, pairs: &[String], class: &str) {
    let _ = write!(out, "<ul class=\"pairs {class}\">");
    for p in pairs {
        let _ = write!(out, "<li><code>{}</code></li>", escape(p));
    }
    out.push_str("</ul>\n");
}

/// Every scenario with its anchor and suite, in run order.
fn anchored(report: &RunReport) -> impl Iterator<Item = (String, &SuiteReport, &ScenarioReport)> {
    report.suites.iter().enumerate().flat_map(|(i, suite)| {
        suite
            .scenarios
            .iter()
            .enumerate()
            .map(move |(j, s)| (format!("s-{i}-{j}"), suite, s))
    })
}

/// Every scenario with its anchor, in run order.
fn scenarios(report: &RunReport) -> impl Iterator<Item = (String, &ScenarioReport)> {
    anchored(report).map(|(anchor, _, s)| (anchor, s))
}

fn outcome_class(o: &Outcome) -> &'static str {
    match o {
        Outcome::Passed => "pass",
        Outcome::Failed => "fail",
        Outcome::Blocked => "block",
        Outcome::Skipped(_) => "skip",
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Group {
    Failed,
    Blocked,
    Passed,
    Skipped,
}

impl Group {
    fn of(o: &Outcome) -> Group {
        match o {
            Outcome::Passed => Group::Passed,
            Outcome::Failed => Group::Failed,
            Outcome::Blocked => Group::Blocked,
            Outcome::Skipped(_) => Group::Skipped,
        }
    }

    /// Section id, heading and CSS class.
    fn names(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Group::Failed => ("failed", "Failed", "fail"),
            Group::Blocked => ("blocked", "Blocked: checks never reached", "block"),
            Group::Passed => ("passed", "Passed", "pass"),
            Group::Skipped => ("skipped", "Skipped", "skip"),
        }
    }
}

fn scenario_group(out: &mut String, report: &RunReport, group: Group) {
    let members: Vec<(String, &SuiteReport, &ScenarioReport)> = anchored(report)
        .filter(|(_, _, s)| Group::of(&s.outcome) == group)
        .collect();
    if members.is_empty() {
        return;
    }
    let (id, heading, class) = group.names();
    let _ = writeln!(
        out,
        "<section class=\"group\" id=\"{id}\"><h2 class=\"{class}\">{heading} <span class=\"count\">{}</span></h2>",
        members.len()
    );
    for (anchor, suite, s) in members {
        scenario(out, report, suite, s, &anchor);
    }
    out.push_str("</section>\n");
}

fn scenario(
    out: &mut String,
    report: &RunReport,
    suite: &SuiteReport,
    s: &ScenarioReport,
    anchor: &str,
) {
    let class = outcome_class(&s.outcome);
    let open = if s.outcome.is_failure() { " open" } else { "" };
    let mark = match s.outcome {
        Outcome::Passed => "✓",
        Outcome::Failed => "✗",
        Outcome::Blocked => "⊘",
        Outcome::Skipped(_) => "–",
    };
    let id =
        s.id.as_deref()
            .map(|id| format!("<span class=\"sid\">{}</span>", escape(id)))
            .unwrap_or_default();
    let _ = write!(
        out,
        "<details class=\"scenario {class}\" id=\"{anchor}\"{open}><summary><span class=\"mark\">{mark}</span>{id}<span class=\"sname\">{}</span><span class=\"grow\"></span><span class=\"sfile\">{}</span>{}</summary>\n<div class=\"content\">\n",
        escape(&s.name),
        escape(&suite.file),
        summary_end(s),
    );
    scenario_info(out, suite, s);
    if let Outcome::Skipped(reason) = &s.outcome {
        let _ = writeln!(out, "<p class=\"skipped\">Skipped: {}</p>", escape(reason));
    }
    for step in s.failed_steps() {
        failure(out, step);
    }
    let diagram = sequence::diagram(report, s);
    if !diagram.messages.is_empty() {
        let _ = writeln!(
            out,
            "<details class=\"seq\"{open}><summary>Sequence diagram <span class=\"muted\">· {}</span></summary><div class=\"svgbox\">{}</div></details>",
            gigcheck_base::text::count(diagram.messages.len(), "request"),
            svg::render(&diagram)
        );
    }
    if !s.steps.is_empty() {
        out.push_str("<h3>Steps</h3>\n<div class=\"steps\">\n");
        for step in &s.steps {
            step_block(out, step);
        }
        out.push_str("</div>\n");
    }
    out.push_str("</div></details>\n");
}

/// The end of a scenario's summary line: its duration, or why it was skipped.
fn summary_end(s: &ScenarioReport) -> String {
    match &s.outcome {
        Outcome::Skipped(reason) => format!(
            "<span class=\"skipwhy\" title=\"{0}\">{0}</span>",
            escape(reason)
        ),
        _ => format!("<span class=\"dur\">{}</span>", human(s.duration)),
    }
}

fn scenario_info(out: &mut String, suite: &SuiteReport, s: &ScenarioReport) {
    let _ = write!(
        out,
        "<div class=\"info\"><span><span class=\"k\">location</span> <code>{}</code></span><span><span class=\"k\">suite</span> {}</span>",
        escape(&s.loc.to_string()),
        escape(&suite.name)
    );
    if !s.tags.is_empty() {
        out.push_str("<span><span class=\"k\">tags</span> ");
        for tag in &s.tags {
            let _ = write!(out, "<span class=\"tag\">{}</span>", escape(tag));
        }
        out.push_str("</span>");
    }
    out.push_str("</div>\n");
}

/// A failed step's story: its error and each failed check in full.
fn failure(out: &mut String, step: &StepReport) {
    let _ = writeln!(
        out,
        "<div class=\"failure\"><div class=\"ftitle\"><span class=\"mark\">✗</span> {}</div>",
        step_title(step)
    );
    if let Some(error) = &step.error {
        let _ = writeln!(out, "<pre class=\"error\">{}</pre>", escape(error));
    }
    for check in step.checks.iter().filter(|c| !c.passed) {
        failed_check(out, check);
    }
    if let Some(u) = &step.unevaluated {
        let _ = writeln!(out, "<p class=\"muted\">{}</p>", escape(&u.summary()));
    }
    out.push_str("</div>\n");
}

fn step_title(step: &StepReport) -> String {
    let attempts = if step.attempts > 1 {
        format!(" <span class=\"muted\">· {} attempts</span>", step.attempts)
    } else {
        String::new()
    };
    format!(
        "<span class=\"phase\">{} {}</span> <span class=\"stname\">{}</span> <code class=\"loc\">{}</code>{attempts}",
        step.phase.label(),
        step.number,
        escape(&step.name),
        escape(&step.loc.to_string()),
    )
}

fn failed_check(out: &mut String, check: &CheckReport) {
    let _ = writeln!(
        out,
        "<div class=\"check\"><div class=\"chead\"><span class=\"kind\">{}</span> <code>{}</code> <span class=\"op\">{}</span> <code class=\"loc\">{}</code></div>",
        check.kind.label(),
        escape(&check.subject),
        escape(&check.operator),
        escape(&check.loc.to_string())
    );
    if check.expected.is_some() || check.actual.is_some() {
        out.push_str("<dl class=\"ea\">");
        if let Some(e) = &check.expected {
            let _ = write!(
                out,
                "<dt>expected</dt><dd class=\"exp\"><pre>{}</pre></dd>",
                escape(e)
            );
        }
        if let Some(a) = &check.actual {
            let _ = write!(
                out,
                "<dt>actual</dt><dd class=\"act\"><pre>{}</pre></dd>",
                escape(a)
            );
        }
        out.push_str("</dl>\n");
    }
    if let Some(m) = &check.message {
        let _ = writeln!(out, "<p class=\"msg\">{}</p>", escape(m));
    }
    if !check.details.is_empty() {
        out.push_str("<ul class=\"violations\">");
        for d in &check.details {
            let _ = write!(out, "<li>{}</li>", escape(d));
        }
        out.push_str("</ul>\n");
    }
    if let Some(diff) = &check.diff {
        diff_block(out, diff);
    }
    out.push_str("</div>\n");
}

/// A unified diff, a coloured line each.
fn diff_block(out: &mut String, diff: &str) {
    out.push_str("<pre class=\"diff\">");
    for line in diff.lines() {
        let class = if line.starts_with("+++") || line.starts_with("---") {
            "hdr"
        } else if line.starts_with('+') {
            "add"
        } else if line.starts_with('-') {
            "del"
        } else if line.starts_with("@@") {
            "hunk"
        } else {
            "ctx"
        };
        let text = if line.is_empty() { " " } else { line };
        let _ = write!(out, "<span class=\"{class}\">{}</span>", escape(text));
    }
    out.push_str("</pre>\n");
}

/// One step, collapsible: checks in a line each, then the request and the response.
fn step_block(out: &mut String, step: &StepReport) {
    let failed = step.status == StepStatus::Failed;
    let (class, mark, open) = if failed {
        ("fail", "✗", " open")
    } else {
        ("pass", "✓", "")
    };
    let request = step
        .exchange
        .as_ref()
        .map(exchange_summary)
        .unwrap_or_default();
    let _ = write!(
        out,
        "<details class=\"step {class}\"{open}><summary><span class=\"mark\">{mark}</span> {}{request}<span class=\"grow\"></span><span class=\"dur\">{}</span></summary>\n<div class=\"sbody\">",
        step_title(step),
        human(step.duration)
    );
    if let Some(error) = &step.error {
        let _ = writeln!(out, "<pre class=\"error\">{}</pre>", escape(error));
    }
    if !step.checks.is_empty() {
        out.push_str("<ul class=\"checks\">");
        for c in &step.checks {
            let (cls, m) = if c.passed {
                ("pass", "✓")
            } else {
                ("fail", "✗")
            };
            let _ = write!(
                out,
                "<li class=\"{cls}\"><span class=\"mark\">{m}</span> {}</li>",
                escape(&c.summary())
            );
        }
        out.push_str("</ul>\n");
    }
    match &step.exchange {
        Some(x) => exchange(out, x),
        None => out.push_str("<p class=\"muted\">No request was sent.</p>\n"),
    }
    out.push_str("</div></details>\n");
}

/// `POST /api/orders → 201` for a step's summary line.
fn exchange_summary(x: &Exchange) -> String {
    let status = match &x.response {
        Some(r) => format!(
            "<span class=\"status {}\">{}</span>",
            status_class(r.status),
            r.status
        ),
        None => "<span class=\"status s5\">no answer</span>".to_string(),
    };
    format!(
        " <code class=\"req\">{} {}</code> {status}",
        escape(&x.request.method),
        escape(&sequence::path_of(&x.request.url))
    )
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "s2",
        300..=399 => "s3",
        400..=499 => "s4",
        _ => "s5",
    }
}

fn exchange(out: &mut String, x: &Exchange) {
    out.push_str("<div class=\"exchange\">");
    request(out, &x.request);
    match &x.response {
        Some(r) => response(out, r),
        None => out.push_str(
            "<div class=\"http res\"><div class=\"hhead\"><span class=\"dir\">Response</span> <span class=\"status s5\">no answer</span></div></div>",
        ),
    }
    out.push_str("</div>\n");
}

fn request(out: &mut String, r: &RequestLog) {
    let _ = write!(
        out,
        "<div class=\"http req\"><div class=\"hhead\"><span class=\"dir\">Request</span> <b>{}</b> <code class=\"url\">{}</code></div>",
        escape(&r.method),
        escape(&r.url)
    );
    headers(out, &r.headers);
    if let Some(body) = &r.body {
        body_block(out, body);
    }
    out.push_str("</div>");
}

fn response(out: &mut String, r: &ResponseLog) {
    let _ = write!(
        out,
        "<div class=\"http res\"><div class=\"hhead\"><span class=\"dir\">Response</span> <span class=\"status {}\">{}</span> <span class=\"muted\">{} ms · {} bytes</span></div>",
        status_class(r.status),
        r.status,
        r.duration.as_millis(),
        r.body_bytes
    );
    headers(out, &r.headers);
    if !r.body.is_empty() {
        body_block(out, &r.body);
    }
    out.push_str("</div>");
}

fn headers(out: &mut String, headers: &[(String, String)]) {
    if headers.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<details class=\"headers\"><summary>Headers ({})</summary><table>",
        headers.len()
    );
    for (k, v) in headers {
        let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
    }
    out.push_str("</table></details>");
}

fn body_block(out: &mut String, body: &str) {
    let _ = write!(out, "<pre class=\"body\">{}</pre>", escape(&pretty(body)));
}

/// A compact JSON body indented for reading, when that changes nothing but whitespace;
/// anything else as it is.
fn pretty(body: &str) -> String {
    let trimmed = body.trim();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return body.to_string();
    }
    let Ok(value) = serde_json::from_str::<serde_json::Value>(trimmed) else {
        return body.to_string();
    };
    match (
        serde_json::to_string(&value),
        serde_json::to_string_pretty(&value),
    ) {
        (Ok(compact), Ok(pretty)) if compact == minify(trimmed) => pretty,
        _ => body.to_string(),
    }
}

/// JSON text without the whitespace between tokens.
fn minify(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in json.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

fn snapshot_writes(out: &mut String, report: &RunReport) {
    if report.run.snapshot_writes.is_empty() {
        return;
    }
    out.push_str("<section class=\"card snapshots\"><h2>Snapshot files</h2><ul>");
    for w in &report.run.snapshot_writes {
        let (what, class) = match w.kind {
            SnapshotWriteKind::Created => ("created", "pass"),
            SnapshotWriteKind::Updated => ("updated", "pass"),
            SnapshotWriteKind::Pending => ("to review", "warn"),
        };
        let _ = write!(
            out,
            "<li><span class=\"badge {class}\">{what}</span> <code>{}</code></li>",
            escape(&w.path)
        );
    }
    out.push_str("</ul></section>\n");
}

/// The report's style sheet, kept in its own file where editors treat it as CSS.
const CSS: &str = include_str!("html.css");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::*;
    use crate::spec::Loc;
    use std::time::Duration;

    fn loc(line: u32) -> Loc {
        Loc {
            file: "specs/a.yaml".into(),
            line,
            col: 5,
        }
    }

    fn exchange(body: &str, status: u16) -> Exchange {
        Exchange {
            request: RequestLog {
                method: "POST".into(),
                url: "http://127.0.0.1:9/api/orders?q=<b>".into(),
                headers: vec![("content-type".into(), "application/json".into())],
                body: Some(r#"{"note":"</script><script>alert(1)</script>"}"#.into()),
            },
            response: Some(ResponseLog {
                status,
                headers: vec![("x-test".into(), "\"quoted\" & <tag>".into())],
                body: body.into(),
                body_bytes: body.len(),
                duration: Duration::from_millis(12),
            }),
        }
    }

    fn step(status: StepStatus, checks: Vec<CheckReport>, x: Exchange) -> StepReport {
        let traffic = vec![Traffic {
            method: x.request.method.clone(),
            url: x.request.url.clone(),
            status: x.response.as_ref().map(|r| r.status),
            webhook: false,
        }];
        StepReport {
            phase: Phase::Main,
            number: 1,
            name: "Place <an> order".into(),
            loc: loc(8),
            status,
            precondition: false,
            unevaluated: None,
            redirects: Vec::new(),
            notes: Vec::new(),
            error: None,
            checks,
            exchange: Some(x),
            traffic,
            attempts: 1,
            duration: Duration::from_millis(15),
            verifies: Vec::new(),
        }
    }

    fn scenario(id: &str, name: &str, outcome: Outcome, steps: Vec<StepReport>) -> ScenarioReport {
        ScenarioReport {
            id: Some(id.into()),
            name: name.into(),
            tags: vec!["orders".into()],
            loc: loc(4),
            outcome,
            steps,
            duration: Duration::from_millis(20),
            started_at: None,
            rules: Default::default(),
        }
    }

    fn failing_check() -> CheckReport {
        let mut c = CheckReport::new(CheckKind::Body, "$.order.status", "equals", loc(12));
        c.passed = false;
        c.expected = Some("\"pending\"".into());
        c.actual = Some("\"<img src=x onerror=alert(1)>\"".into());
        c.details = vec!["/order/total: \"x\" is not of type \"number\"".into()];
        c.diff = Some(
            "--- old\n+++ new\n@@ -1,2 +1,2 @@\n   \"a\": 1,\n-  \"b\": 2\n+  \"b\": 3\n".into(),
        );
        c
    }

    fn report() -> RunReport {
        let body = r#"{"order":{"id":7,"status":"</script><script>alert(1)</script>"}}"#;
        let passed = scenario(
            "1.1",
            "passes first in the file",
            Outcome::Passed,
            vec![step(StepStatus::Passed, vec![], exchange(body, 201))],
        );
        let failed = scenario(
            "1.2",
            "fails <second>",
            Outcome::Failed,
            vec![step(
                StepStatus::Failed,
                vec![failing_check()],
                exchange(body, 500),
            )],
        );
        let skipped = scenario(
            "1.3",
            "skipped",
            Outcome::Skipped("not run: --fail-fast".into()),
            vec![],
        );
        RunReport {
            suites: vec![SuiteReport {
                name: "Orders".into(),
                file: "specs/a.yaml".into(),
                scenarios: vec![passed, failed, skipped],
            }],
            run: RunInfo {
                target: Some("http://127.0.0.1:9".into()),
                duration: Duration::from_millis(1234),
                ..Default::default()
            },
        }
    }

    fn with_contract(r: &RunReport) -> Coverage {
        Coverage {
            plan: crate::report::coverage::PlanTally::of(r).cases(None),
            contract: Some(contract()),
            rules: None,
        }
    }

    fn contract() -> ContractCoverage {
        ContractCoverage {
            exercised: vec!["POST /api/orders 201".into()],
            missing: vec!["GET /api/orders/{id} 404".into()],
        }
    }

    #[test]
    fn escape_makes_text_inert() {
        assert_eq!(
            escape(r#"</script><script>alert('1')</script> & "x""#),
            "&lt;/script&gt;&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; &quot;x&quot;"
        );
        assert_eq!(escape("plain é ✓"), "plain é ✓");
        assert_eq!(escape("&amp;"), "&amp;amp;");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn nothing_from_the_model_gets_through_unescaped() {
        let page = render(&report(), &with_contract(&report()));
        assert_eq!(
            page.matches("<script").count(),
            1,
            "only the page's own script"
        );
        assert!(!page.contains("<img"));
        assert!(!page.contains("<an>") && !page.contains("<second>") && !page.contains("<tag>"));
        assert!(page.contains("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(page.contains("fails &lt;second&gt;"));
        assert!(page.contains("&quot;quoted&quot; &amp; &lt;tag&gt;"));
        assert!(page.contains("/api/orders?q=&lt;b&gt;"));
    }

    #[test]
    fn the_page_loads_nothing_from_outside() {
        let page = render(&report(), &with_contract(&report()));
        let refs = regex::Regex::new(
            r#"(?i)(src|href|action|srcset|poster|data)\s*=\s*["']?\s*([a-z]+:|//)"#,
        )
        .expect("valid regex");
        assert!(refs.find(&page).is_none(), "{:?}", refs.find(&page));
        let css =
            regex::Regex::new(r"(?i)url\(\s*['\x22]?\s*(https?:|//)|@import").expect("valid regex");
        assert!(css.find(&page).is_none());
        assert!(!page.contains("<link") && !page.contains("<iframe"));
        // URLs appear as text, and that is fine.
        assert!(page.contains("http://127.0.0.1:9/api/orders"));
        assert!(page.contains("default-src 'none'"));
    }

    #[test]
    fn the_csp_hash_matches_the_script() {
        let page = render(&report(), &Coverage::default());
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(page.contains(&format!("'sha256-{}'", script_hash())));
        assert_eq!(script_hash().len(), 44);
    }

    #[test]
    fn failures_come_first_and_open_passes_and_skips_collapsed() {
        let page = render(&report(), &with_contract(&report()));
        let failed = page.find(r#"<details class="scenario fail" id="s-0-1" open>"#);
        let passed = page.find(r#"<details class="scenario pass" id="s-0-0">"#);
        let skipped = page.find(r#"<details class="scenario skip" id="s-0-2">"#);
        assert!(page.contains(r#"<span class="skipwhy" title="not run: --fail-fast">not run: --fail-fast</span></summary>"#));
        let (Some(f), Some(p), Some(s)) = (failed, passed, skipped) else {
            panic!("scenario cards missing:\n{page}");
        };
        assert!(f < p && p < s);
        assert!(page.find("id=\"failed\"") < page.find("id=\"passed\""));
    }

    #[test]
    fn a_failure_shows_expected_actual_details_diff_and_the_exchange() {
        let page = render(&report(), &with_contract(&report()));
        assert!(
            page.contains("<dt>expected</dt><dd class=\"exp\"><pre>&quot;pending&quot;</pre></dd>")
        );
        assert!(page.contains("<dt>actual</dt><dd class=\"act\">"));
        assert!(page.contains("<ul class=\"violations\"><li>/order/total:"));
        assert!(page.contains("<span class=\"del\">-  &quot;b&quot;: 2</span>"));
        assert!(page.contains("<span class=\"add\">+  &quot;b&quot;: 3</span>"));
        assert!(page.contains("<span class=\"hunk\">@@ -1,2 +1,2 @@</span>"));
        assert!(page.contains("<code class=\"loc\">specs/a.yaml:12:5</code>"));
        assert!(page.contains("<code>specs/a.yaml:4:5</code>"));
        assert!(page.contains("<span class=\"tag\">orders</span>"));
        assert!(page.contains("<span class=\"status s5\">500</span>"));
        // The JSON body is indented for reading.
        assert!(page.contains("{\n  &quot;order&quot;: {\n    &quot;id&quot;: 7,"));
        // One diagram per scenario with traffic, with the failing step in red.
        assert_eq!(page.matches("<svg class=\"sequence\"").count(), 2);
        assert!(page.contains("class=\"message error failed-step\""));
    }

    #[test]
    fn header_and_coverage() {
        let page = render(&report(), &with_contract(&report()));
        assert!(page.contains("<span class=\"verdict fail\">FAILED</span>"));
        assert!(page.contains("<b>1/2</b> documented route × status pairs exercised"));
        assert!(page.contains("<code>GET /api/orders/{id} 404</code>"));
        assert!(page.contains("<td class=\"case\">1.2</td>"));
        assert!(page.contains(
            "<a class=\"pip fail\" href=\"#s-0-1\" title=\"fails &lt;second&gt;\">1</a>"
        ));
        assert!(page.contains("<a class=\"why fail\" href=\"#s-0-1\">fails &lt;second&gt;</a>"));
        assert!(page.contains("<dd>1.23 s</dd>"));
        let mut all_good = report();
        all_good.suites[0].scenarios.remove(1);
        let page = render(&all_good, &Coverage::default());
        assert!(page.contains("<span class=\"verdict pass\">PASSED</span>"));
        assert!(!page.contains("Contract coverage"));
        all_good.run.interrupted = true;
        assert!(render(&all_good, &Coverage::default()).contains("INTERRUPTED"));
    }

    #[test]
    fn json_bodies_are_indented_only_when_nothing_but_whitespace_changes() {
        assert_eq!(
            pretty(r#"{"a":[1,2]}"#),
            "{\n  \"a\": [\n    1,\n    2\n  ]\n}"
        );
        assert_eq!(pretty(r#"{"a": "b c"}"#), "{\n  \"a\": \"b c\"\n}");
        // A number serde_json would rewrite, an escape it would change, text that is not JSON.
        for body in [
            r#"{"big":123456789012345678901234567890}"#,
            r#"{"e":"\u00e9"}"#,
            "{not json",
            "plain",
        ] {
            assert_eq!(pretty(body), body);
        }
        assert_eq!(
            minify("{ \"a b\" : [ 1 , \"\\\" x\" ] }"),
            "{\"a b\":[1,\"\\\" x\"]}"
        );
    }

    #[test]
    fn an_empty_run_still_renders() {
        let page = render(&RunReport::default(), &Coverage::default());
        assert!(page.starts_with("<!doctype html>"));
        assert!(page.ends_with("</html>\n"));
        assert!(page.contains("PASSED"));
    }
}
