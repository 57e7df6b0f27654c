//! Input errors people can act on: `file:line:column`, what was wrong, the source line, and a
//! hint; and how the files they name are shown (paths, I/O reasons, a leading BOM).

use crate::spec::Loc;
use colored::Colorize;
use gigcheck_base::text::closest;
use std::fmt::Write as _;
use std::path::Path;

/// The byte order mark some editors put at the start of a UTF-8 file.
pub(crate) const BOM: char = '\u{feff}';

/// A path as people should see it: relative to the working directory when inside it.
pub fn display_path(path: &Path) -> String {
    let shown = std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or_else(|| path.to_path_buf());
    shown.display().to_string()
}

/// An I/O error as a short reason: "no such file or directory", without the OS error number.
pub fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.find(" (os error") {
        Some(i) => text[..i].to_lowercase(),
        None => text,
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Severity {
    Error,
    Warning,
}

/// A problem found in an input file: where it is, what is wrong, and how to fix it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub(crate) severity: Severity,
    /// Where the problem is; an empty `file` means no place is shown.
    pub loc: Loc,
    /// What is wrong, in one sentence.
    pub message: String,
    /// How to fix it, shown after `= hint:`; `None` when there is no advice.
    pub hint: Option<String>,
    /// The offending source line, shown under the message.
    pub source_line: Option<String>,
}

impl Diagnostic {
    /// An error at `loc`, with no hint or source line yet.
    pub fn error(loc: Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            loc,
            message: message.into(),
            hint: None,
            source_line: None,
        }
    }

    /// A warning at `loc`: reported, but not counted among the errors.
    pub fn warning(loc: Loc, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(loc, message)
        }
    }

    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Diagnostic {
        self.hint = Some(hint.into());
        self
    }

    /// Whether this is an error rather than a warning.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Attaches the source line the location points at.
    pub(crate) fn with_source(mut self, source: &str) -> Diagnostic {
        if self.loc.line > 0 {
            self.source_line = source
                .lines()
                .nth(self.loc.line as usize - 1)
                .map(str::to_string);
        }
        self
    }

    /// Multi-line, rustc-style rendering.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let label = match self.severity {
            Severity::Error => "error".red().bold(),
            Severity::Warning => "warning".yellow().bold(),
        };
        let _ = writeln!(out, "{label}: {}", self.message.bold());
        if !self.loc.file.is_empty() {
            let _ = writeln!(out, "  {} {}", "-->".blue(), self.loc);
        }
        if let Some(line) = &self.source_line {
            let num = self.loc.line.to_string();
            let pad = " ".repeat(num.len());
            let caret = format!("{}^", " ".repeat(self.loc.col.saturating_sub(1) as usize));
            let _ = writeln!(out, "  {pad} {}", "|".blue());
            let _ = writeln!(out, "  {} {} {line}", num.blue(), "|".blue());
            let _ = writeln!(out, "  {pad} {} {}", "|".blue(), caret.red().bold());
        }
        if let Some(hint) = &self.hint {
            let _ = writeln!(out, "  {} {hint}", "= hint:".cyan());
        }
        out
    }

    /// One line: `file:line:col: error: message (hint)`, for JUnit and logs.
    pub fn one_line(&self) -> String {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.hint {
            Some(h) => format!("{}: {sev}: {} ({h})", self.loc, self.message),
            None => format!("{}: {sev}: {}", self.loc, self.message),
        }
    }
}

/// Turns a YAML error into a diagnostic with a "did you mean" hint where one fits.
pub(crate) fn from_yaml_error(
    err: &crate::yaml::YamlError,
    file: &str,
    source: &str,
) -> Diagnostic {
    from_yaml_message(
        err.message.clone(),
        Loc {
            file: file.to_string(),
            line: err.line,
            col: err.col,
        },
        source,
    )
}

/// A YAML reading error said at `loc`, with the hint that fits it.
pub(crate) fn from_yaml_message(message: String, loc: Loc, source: &str) -> Diagnostic {
    let (line, col) = (loc.line, loc.col);
    let mut diag = Diagnostic::error(loc, message.clone());
    // The parser points at the tab, or just past it.
    let tab_there = source
        .lines()
        .nth((line as usize).saturating_sub(1))
        .is_some_and(|l| {
            let col = col as usize;
            let mut near = l.chars().skip(col.saturating_sub(2)).take(2);
            near.any(|c| c == '\t')
        });
    if tab_there {
        diag = diag.with_hint("YAML indents with spaces, never tabs: replace the tab with spaces");
    } else if let Some(hint) = did_you_mean(&message) {
        diag = diag.with_hint(hint);
    } else if message.contains("while scanning an anchor or alias")
        || message.contains("unknown anchor")
        || message.contains("unclosed bracket")
        || message.contains("while parsing a flow")
    {
        diag = diag.with_hint(
            "inside `{ … }` or `[ … ]`, quote text with `[`, `]`, `*`, `{` or `,` — e.g. '$.orders[*].status' — or use one key per line",
        );
    } else if let Some(field) = message
        .split("missing field `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
    {
        diag = diag.with_hint(format!(
            "add `{field}:` here (README.md, \"Spec format\", shows every field)"
        ));
    } else if message.contains("did not find expected")
        || message.contains("mapping values are not allowed")
    {
        diag = diag.with_hint(
            "check the indentation and that `key: value` pairs have a space after the colon",
        );
    }
    diag.with_source(source)
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (and unknown variants), suggests
/// the closest expected name, or lists them.
pub(crate) fn did_you_mean(message: &str) -> Option<String> {
    let re = regex::Regex::new(r"unknown (?:field|variant) `([^`]*)`, expected (.*)").ok()?;
    let caps = re.captures(message)?;
    let unknown = caps.get(1)?.as_str();
    let expected: Vec<&str> = caps
        .get(2)?
        .as_str()
        .split('`')
        .skip(1)
        .step_by(2)
        .collect();
    match closest(unknown, &expected) {
        Some(best) => Some(format!("did you mean `{best}`?")),
        None => Some(format!("expected one of: {}", expected.join(", "))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_field() {
        let m = "scenarios[0]: unknown field `expct`, expected one of `name`, `request`, `expect`";
        assert_eq!(did_you_mean(m).unwrap(), "did you mean `expect`?");
        let m = "unknown variant `get`, expected one of `GET`, `POST`";
        assert_eq!(did_you_mean(m).unwrap(), "did you mean `GET`?");
        let m = "unknown field `zzz`, expected `name` or `steps`";
        assert_eq!(did_you_mean(m).unwrap(), "expected one of: name, steps");
    }

    #[test]
    fn yaml_error_has_location_and_source_line() {
        colored::control::set_override(false);
        let src = "scenarios:\n  - name: a\n    stepz: []\n";
        let err = crate::yaml::from_str::<crate::spec::Suite>(src).unwrap_err();
        let d = from_yaml_error(&err, "a.yaml", src);
        assert_eq!((d.loc.line, d.loc.col), (3, 5));
        assert_eq!(d.hint.as_deref(), Some("did you mean `steps`?"));
        assert!(d.render().contains("3 |     stepz: []"), "{}", d.render());
        assert!(
            d.one_line()
                .starts_with("a.yaml:3:5: error: scenarios[0]: unknown field `stepz`")
        );
    }
}
