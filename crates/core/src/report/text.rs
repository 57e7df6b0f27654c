//! Plain-text renderings shared by the terminal and JUnit reports: a failure's full story
//! (each failed check with expected and actual, diffs, the request and the response).

use crate::outcome::{CheckReport, Exchange, ScenarioReport, StepReport, StepStatus};
use colored::{Color, Colorize};
use std::fmt::Write as _;

/// Colours on or off, decided once per output.
#[derive(Debug, Clone, Copy)]
pub struct Palette {
    /// Whether to write ANSI colours and styles (off with `--no-color`, `NO_COLOR`, or when stdout
    /// is not a terminal).
    pub color: bool,
}

impl Palette {
    pub(crate) const PLAIN: Palette = Palette { color: false };

    /// `text` in `color`, or as it is without colours.
    pub fn paint(&self, text: &str, color: Color) -> String {
        if self.color {
            text.color(color).to_string()
        } else {
            text.to_string()
        }
    }

    /// `text` in bold, or as it is without colours.
    pub fn bold(&self, text: &str) -> String {
        if self.color {
            text.bold().to_string()
        } else {
            text.to_string()
        }
    }

    /// `text` dimmed, or as it is without colours.
    pub fn dim(&self, text: &str) -> String {
        if self.color {
            text.dimmed().to_string()
        } else {
            text.to_string()
        }
    }
}

/// Everything that went wrong in a scenario, step by step.
pub(crate) fn failure_details(
    scenario: &ScenarioReport,
    p: Palette,
    with_exchanges: bool,
) -> String {
    let mut out = String::new();
    for step in scenario.failed_steps() {
        step_details(&mut out, step, p, with_exchanges);
    }
    out
}

pub(crate) fn step_heading(step: &StepReport) -> String {
    let attempts = if step.attempts > 1 {
        format!(", {} attempts", step.attempts)
    } else {
        String::new()
    };
    format!(
        "{} {} \"{}\" ({}{attempts})",
        step.phase.label(),
        step.number,
        step.name,
        step.loc
    )
}

pub(crate) fn step_details(out: &mut String, step: &StepReport, p: Palette, with_exchange: bool) {
    let mark = match step.status {
        StepStatus::Passed => p.paint("✓", Color::Green),
        StepStatus::Failed => p.paint("✗", Color::Red),
    };
    let _ = writeln!(out, "  {mark} {}", p.bold(&step_heading(step)));
    if let Some(error) = &step.error {
        let _ = writeln!(out, "      {} {}", p.paint("error:", Color::Red), error);
    }
    for check in step.checks.iter().filter(|c| !c.passed) {
        check_details(out, check, p);
    }
    if let Some(u) = &step.unevaluated {
        let _ = writeln!(out, "      {}", p.dim(&u.summary()));
    }
    for r in &step.redirects {
        let _ = writeln!(
            out,
            "      {} {} {} → {} → {}",
            p.dim("redirect followed:"),
            r.method,
            r.from,
            r.status,
            r.to
        );
    }
    for note in &step.notes {
        let _ = writeln!(out, "      {} {note}", p.dim("note:"));
    }
    if with_exchange && let Some(exchange) = &step.exchange {
        exchange_details(out, exchange, p);
    }
}

/// Appends a failed check's lines: headline and place, expected and actual, message, schema
/// violations and the diff, coloured.
pub(crate) fn check_details(out: &mut String, check: &CheckReport, p: Palette) {
    let _ = writeln!(
        out,
        "      {} {}  {}",
        p.paint("✗", Color::Red),
        p.bold(&check.headline()),
        p.dim(&format!("({})", check.loc))
    );
    if let Some(expected) = &check.expected {
        let _ = writeln!(
            out,
            "          expected: {}",
            p.paint(expected, Color::Green)
        );
    }
    if let Some(actual) = &check.actual {
        let _ = writeln!(out, "          actual:   {}", p.paint(actual, Color::Red));
    }
    if let Some(message) = &check.message {
        let _ = writeln!(out, "          {message}");
    }
    for detail in &check.details {
        let _ = writeln!(out, "          - {detail}");
    }
    if let Some(diff) = &check.diff {
        for line in diff.lines() {
            let colored = if line.starts_with("+++") || line.starts_with("---") {
                p.bold(line)
            } else if line.starts_with('+') {
                p.paint(line, Color::Green)
            } else if line.starts_with('-') {
                p.paint(line, Color::Red)
            } else if line.starts_with("@@") {
                p.paint(line, Color::Cyan)
            } else {
                line.to_string()
            };
            let _ = writeln!(out, "          {colored}");
        }
    }
}

pub(crate) fn exchange_details(out: &mut String, exchange: &Exchange, p: Palette) {
    let req = &exchange.request;
    let _ = writeln!(out, "      {}", p.dim("request:"));
    let _ = writeln!(out, "        > {} {}", p.bold(&req.method), req.url);
    for (k, v) in &req.headers {
        let _ = writeln!(out, "        > {k}: {v}");
    }
    if let Some(body) = &req.body {
        let _ = writeln!(out, "        >");
        for line in body.lines() {
            let _ = writeln!(out, "        > {line}");
        }
    }
    match &exchange.response {
        None => {
            let _ = writeln!(out, "      {}", p.dim("response: none"));
        }
        Some(res) => {
            let _ = writeln!(out, "      {}", p.dim("response:"));
            let status = res.status.to_string();
            let status = match res.status {
                200..=299 => p.paint(&status, Color::Green),
                400..=599 => p.paint(&status, Color::Red),
                _ => p.paint(&status, Color::Yellow),
            };
            let _ = writeln!(
                out,
                "        < {status} ({} ms, {} bytes)",
                res.duration.as_millis(),
                res.body_bytes
            );
            for (k, v) in &res.headers {
                let _ = writeln!(out, "        < {k}: {v}");
            }
            if !res.body.is_empty() {
                let _ = writeln!(out, "        <");
                for line in res.body.lines() {
                    let _ = writeln!(out, "        < {line}");
                }
            }
        }
    }
}

/// A passed scenario's traffic in brief, for JUnit's system-out: each step's request line and
/// the answer's status, time and size.
pub(crate) fn request_summary(scenario: &ScenarioReport) -> String {
    let mut out = String::new();
    for step in &scenario.steps {
        let _ = writeln!(out, "{}", step_heading(step));
        let Some(exchange) = &step.exchange else {
            continue;
        };
        let _ = writeln!(
            out,
            "      > {} {}",
            exchange.request.method, exchange.request.url
        );
        match &exchange.response {
            Some(res) => {
                let _ = writeln!(
                    out,
                    "      < {} ({} ms, {} bytes)",
                    res.status,
                    res.duration.as_millis(),
                    res.body_bytes
                );
            }
            None => {
                let _ = writeln!(out, "      < no response");
            }
        }
    }
    out
}

/// A scenario's traffic in full, headers and bodies, for JUnit's system-out.
pub(crate) fn request_log(scenario: &ScenarioReport) -> String {
    let mut out = String::new();
    for step in &scenario.steps {
        let _ = writeln!(out, "{}", step_heading(step));
        if let Some(exchange) = &step.exchange {
            exchange_details(&mut out, exchange, Palette::PLAIN);
        }
    }
    out
}
