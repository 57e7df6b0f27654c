//! Small renderings every report shares: a duration for people (`0.4 ms`, `12 ms`, `1.25 s`)
//! and text escaped for XML and HTML.

use std::time::Duration;

/// A duration as people read it: `0.4 ms`, `12 ms`, `1.25 s`.
pub(super) fn human(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.1} ms", d.as_secs_f64() * 1000.0)
    } else if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// Text made safe for HTML element content and quoted attribute values.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
