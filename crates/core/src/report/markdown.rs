//! The Markdown report, for CI job summaries (`$GITHUB_STEP_SUMMARY`, GitLab): the verdict and
//! totals, the causes of failure worst first, plan and contract coverage, and each cause once
//! with its checks, diffs, the exchange, a Mermaid `sequenceDiagram` of its traffic and the
//! scenarios it stopped.
//!
//! GitHub renders Mermaid code blocks and `<details>`; other readers still get plain text.

use super::causes::{self, Cause};
use super::coverage::{CaseVerdict, ContractCoverage, Coverage};
use super::format::human;
use super::rules::{RuleCoverage, RuleVerdict};
use super::sequence::{self, Diagram, Lane};
use super::text::{self, Palette};
use crate::outcome::{Outcome, RunReport, ScenarioReport, Verdict};
use gigcheck_base::text::plural;
use std::fmt::Write as _;

pub(super) fn render(report: &RunReport, coverage: &Coverage) -> String {
    let mut out = String::new();
    heading(&mut out, report);
    let causes = causes::group(report);
    cause_list(&mut out, &causes);
    plan(&mut out, coverage);
    if let Some(c) = &coverage.contract {
        contract_coverage(&mut out, c);
    }
    if let Some(r) = &coverage.rules {
        rule_coverage(&mut out, r);
    }
    failures(&mut out, report, &causes);
    skipped(&mut out, report);
    out
}

/// The causes, worst first: one line each.
fn cause_list(out: &mut String, causes: &[Cause]) {
    if causes.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Causes, worst first\n");
    for c in causes {
        let _ = writeln!(
            out,
            "1. **{}** `{}` — `{}`",
            c.tally(),
            inline_code(&c.headline),
            inline_code(&c.loc.to_string())
        );
    }
    out.push('\n');
}

fn heading(out: &mut String, report: &RunReport) {
    let t = report.totals();
    let verdict = match report.verdict() {
        Verdict::Interrupted => "⚠️ gigcheck: interrupted",
        Verdict::NothingRan => "⚠️ gigcheck: nothing ran",
        Verdict::Failed => "❌ gigcheck: failed",
        Verdict::Passed => "✅ gigcheck: passed",
    };
    let _ = writeln!(out, "## {verdict}\n");
    if report.run.insecure {
        let _ = writeln!(out, "> ⚠️ {}\n", crate::outcome::INSECURE);
    }
    let _ = writeln!(
        out,
        "**{} scenarios**: {} passed, {} failed, {} blocked, {} skipped in {}",
        t.total(),
        t.passed,
        t.failed,
        t.blocked,
        t.skipped,
        human(report.run.duration)
    );
    if let Some(target) = &report.run.target {
        let _ = writeln!(out, "against `{}`", inline_code(target));
    }
    out.push('\n');
}

fn plan(out: &mut String, coverage: &Coverage) {
    if coverage.plan.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Plan coverage\n");
    let _ = writeln!(
        out,
        "| Case | Title | Scenarios | Passed | Failed | Blocked | Skipped | Verdict |"
    );
    let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|---|");
    for c in &coverage.plan {
        let verdict = match c.verdict() {
            CaseVerdict::Failed => "❌ failed",
            CaseVerdict::Blocked => "⛔ blocked",
            CaseVerdict::Passed => "✅ tested, passed",
            CaseVerdict::Skipped => "➖ skipped",
            CaseVerdict::NoScenario => "➖ no scenario",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {verdict} |",
            escape(&c.id),
            escape(c.title.as_deref().unwrap_or("")),
            c.scenarios(),
            c.passed,
            c.failed,
            c.blocked,
            c.skipped
        );
    }
    out.push('\n');
}

fn contract_coverage(out: &mut String, c: &ContractCoverage) {
    let total = c.exercised.len() + c.missing.len();
    let _ = writeln!(
        out,
        "### Contract coverage\n\n{}/{total} documented route × status pairs exercised.\n",
        c.exercised.len()
    );
    if !c.missing.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>Never exercised ({})</summary>\n",
            c.missing.len()
        );
        for m in &c.missing {
            let _ = writeln!(out, "- `{}`", inline_code(m));
        }
        let _ = writeln!(out, "\n</details>\n");
    }
}

/// The headline and counts, the broken rules with who broke them, then the rules no check
/// decided (folded).
fn rule_coverage(out: &mut String, r: &RuleCoverage) {
    let _ = writeln!(
        out,
        "### Rule coverage\n\n{} ({} held, {} broken; {} not observable).\n",
        r.headline(),
        r.count(RuleVerdict::Held),
        r.count(RuleVerdict::Broken),
        r.count(RuleVerdict::Unobservable)
    );
    let broken: Vec<_> = r.with(RuleVerdict::Broken).collect();
    if !broken.is_empty() {
        let _ = writeln!(
            out,
            "| Broken rule | What it says | Broken by |\n|---|---|---|"
        );
        for l in broken {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                inline_code(&l.id),
                escape(&l.text),
                escape(&l.broken_by.join("; "))
            );
        }
        out.push('\n');
    }
    for verdict in RuleVerdict::UNDECIDED {
        let lines: Vec<_> = r.with(verdict).collect();
        if lines.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "<details><summary>{} {} ({})</summary>\n",
            plural(lines.len(), "Rule"),
            verdict.label(),
            lines.len()
        );
        for l in lines {
            let _ = writeln!(out, "- `{}` {}", inline_code(&l.id), escape(&l.text));
        }
        let _ = writeln!(out, "\n</details>\n");
    }
}

/// Each cause once: the failing step's checks, its exchange and traffic, then the scenarios.
fn failures(out: &mut String, report: &RunReport, causes: &[Cause]) {
    if causes.is_empty() {
        return;
    }
    let _ = writeln!(out, "### Failures by cause\n");
    for c in causes {
        let mark = if c.only_blocked() { "⛔" } else { "❌" };
        let _ = writeln!(
            out,
            "#### {mark} {}\n\n`{}`\n",
            escape(&c.title()),
            inline_code(&c.loc.to_string())
        );
        let step = &c.example;
        let _ = writeln!(out, "- **{}**", escape(&text::step_heading(step)));
        if let Some(e) = &step.error {
            let _ = writeln!(out, "  - {}", escape(e));
        }
        for check in step.checks.iter().filter(|c| !c.passed) {
            let _ = writeln!(out, "  - {}", escape(&check.summary()));
            for d in &check.details {
                let _ = writeln!(out, "    - {}", escape(d));
            }
        }
        if let Some(u) = &step.unevaluated {
            let _ = writeln!(out, "  - {}", escape(&u.summary()));
        }
        for diff in step.checks.iter().filter_map(|c| c.diff.as_deref()) {
            out.push('\n');
            code_block(out, "diff", diff);
        }
        if let Some(exchange) = &step.exchange {
            let mut details = String::new();
            text::exchange_details(&mut details, exchange, Palette::PLAIN);
            let _ = writeln!(out, "\n<details><summary>Request and response</summary>\n");
            code_block(out, "text", &details);
            let _ = writeln!(out, "</details>");
        }
        let first = c.members.first().and_then(|m| {
            report
                .suites
                .iter()
                .filter(|s| s.file == m.file)
                .flat_map(|s| &s.scenarios)
                .find(|s| s.title() == m.title)
        });
        if let Some(s) = first {
            let diagram = sequence::diagram(report, s);
            if !diagram.messages.is_empty() {
                out.push('\n');
                code_block(out, "mermaid", &mermaid(&diagram));
            }
        }
        out.push('\n');
        for m in &c.members {
            let _ = writeln!(
                out,
                "- {} {} · `{}`",
                m.outcome.label(),
                escape(&m.title),
                inline_code(&m.loc.to_string())
            );
            for also in &m.also {
                let _ = writeln!(out, "  - also: {}", escape(also));
            }
        }
        out.push('\n');
    }
}

fn skipped(out: &mut String, report: &RunReport) {
    let skipped: Vec<(&ScenarioReport, &str)> = report
        .suites
        .iter()
        .flat_map(|s| &s.scenarios)
        .filter_map(|s| match &s.outcome {
            Outcome::Skipped(reason) => Some((s, reason.as_str())),
            _ => None,
        })
        .collect();
    if skipped.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Skipped ({})</summary>\n",
        skipped.len()
    );
    for (s, reason) in skipped {
        let _ = writeln!(out, "- {}: {}", escape(&s.title()), escape(reason));
    }
    let _ = writeln!(out, "\n</details>\n");
}

/// A Mermaid `sequenceDiagram` of one scenario's traffic.
pub(crate) fn mermaid(d: &Diagram) -> String {
    let mut out = String::from("sequenceDiagram\n");
    let id = |lane: &Lane| {
        let i = d.lanes.iter().position(|l| l == lane).unwrap_or(0);
        format!("P{i}")
    };
    for lane in &d.lanes {
        let _ = writeln!(
            out,
            "    participant {} as {}",
            id(lane),
            mermaid_text(lane.label())
        );
    }
    let mut last_step = None;
    for m in &d.messages {
        if last_step != Some(&m.step) {
            let mark = if m.failed_step { " ✗" } else { "" };
            let _ = writeln!(
                out,
                "    Note over {},{}: {}{mark}",
                id(&Lane::Client),
                id(d.lanes.last().unwrap_or(&Lane::Client)),
                mermaid_text(&m.step)
            );
            last_step = Some(&m.step);
        }
        let (from, to) = (id(&m.from), id(&m.to));
        let _ = writeln!(out, "    {from}->>{to}: {}", mermaid_text(&m.request));
        let answer = if m.error {
            format!("{} ✗", m.answer)
        } else {
            m.answer.clone()
        };
        let _ = writeln!(out, "    {to}-->>{from}: {}", mermaid_text(&answer));
    }
    out
}

/// Text Mermaid shows as is: `#` and `;` start entities and statements there.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            ';' => out.push_str("#59;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A fenced block whose fence is longer than any backtick run inside it.
fn code_block(out: &mut String, lang: &str, body: &str) {
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let _ = writeln!(out, "{fence}{lang}\n{}\n{fence}", body.trim_end());
}

/// Text inside single backticks: backticks in it would end the code span.
fn inline_code(text: &str) -> String {
    text.replace('`', "'")
}

/// Markdown and HTML that a summary would otherwise interpret (also safe in a table cell).
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sequence::Message;

    #[test]
    fn code_fences_outgrow_backticks_in_the_body() {
        let mut out = String::new();
        code_block(&mut out, "text", "a ```` b");
        assert!(out.starts_with("`````text\n"), "{out}");
        assert!(out.trim_end().ends_with("`````"));
    }

    #[test]
    fn text_cannot_break_out_of_its_place() {
        assert_eq!(
            escape("<script>|x|*y*\n`z`"),
            "&lt;script&gt;\\|x\\|\\*y\\* \\`z\\`"
        );
        assert_eq!(mermaid_text("GET /a?x=1;b#c"), "GET /a?x=1#59;b#35;c");
    }

    #[test]
    fn mermaid_draws_requests_and_answers() {
        let d = Diagram {
            lanes: vec![Lane::Client, Lane::Backend, Lane::Webhooks],
            messages: vec![
                Message {
                    from: Lane::Client,
                    to: Lane::Backend,
                    request: "POST /api/orders".into(),
                    answer: "201".into(),
                    error: false,
                    step: "step 1".into(),
                    failed_step: false,
                },
                Message {
                    from: Lane::Webhooks,
                    to: Lane::Backend,
                    request: "POST /api/payment/webhook".into(),
                    answer: "400".into(),
                    error: true,
                    step: "step 2".into(),
                    failed_step: true,
                },
            ],
        };
        insta::assert_snapshot!(mermaid(&d), @r"
        sequenceDiagram
            participant P0 as gigcheck
            participant P1 as backend
            participant P2 as Stripe webhooks
            Note over P0,P2: step 1
            P0->>P1: POST /api/orders
            P1-->>P0: 201
            Note over P0,P2: step 2 ✗
            P2->>P1: POST /api/payment/webhook
            P1-->>P2: 400 ✗
        ");
    }
}
