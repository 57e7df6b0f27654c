//! A sequence [`Diagram`] drawn as inline SVG, for the HTML report: a lifeline per lane, a solid
//! arrow per request with its label above, a dashed return arrow with the answer, and the step
//! that sent it in a left gutter. Error answers and the requests of failing steps are red.
//!
//! The drawing is sized from the number of lanes and messages; labels are measured in
//! characters (monospace), cut with `…` when they do not fit their arrow, and kept whole in a
//! `<title>` tooltip. All text is escaped.

use super::format::escape;
use super::sequence::{Diagram, Lane, Message};
use std::fmt::Write as _;

/// Width of one monospace character at the label size, in pixels (a little generous).
const CHAR_W: usize = 7;
/// Left gutter for step labels.
const GUTTER: usize = 78;
const MARGIN: usize = 12;
const HEAD_H: usize = 30;
const TOP: usize = MARGIN + HEAD_H + 18;
/// Vertical space per message (request arrow and answer arrow).
const ROW_H: usize = 50;
const MIN_COL: usize = 150;
const MAX_COL: usize = 300;

const RED: &str = "#cf222e";
const INK: &str = "#1f2328";
const MUTED: &str = "#59636e";
const LINE: &str = "#8c959f";

/// The diagram as an `<svg>` element.
pub(super) fn render(d: &Diagram) -> String {
    let geo = Geometry::of(d);
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg class="sequence" xmlns="http://www.w3.org/2000/svg" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="ui-monospace, SFMono-Regular, Menlo, Consolas, 'DejaVu Sans Mono', monospace" font-size="12">"#,
        w = geo.width,
        h = geo.height,
    );
    let _ = write!(
        out,
        "<title>Sequence diagram: {} lanes, {} messages</title>",
        d.lanes.len(),
        d.messages.len()
    );
    defs(&mut out);
    for (i, lane) in d.lanes.iter().enumerate() {
        lifeline(&mut out, &geo, i, lane);
    }
    for (i, m) in d.messages.iter().enumerate() {
        message(&mut out, d, &geo, i, m);
    }
    out.push_str("</svg>");
    out
}

/// Where things go.
struct Geometry {
    col: usize,
    width: usize,
    height: usize,
    bottom: usize,
}

impl Geometry {
    fn of(d: &Diagram) -> Geometry {
        let col = column_width(d);
        let lanes = d.lanes.len().max(1);
        let bottom = TOP + d.messages.len() * ROW_H + 6;
        Geometry {
            col,
            width: GUTTER + lanes * col + MARGIN,
            height: bottom + MARGIN,
            bottom,
        }
    }

    /// The x of lane `i`'s lifeline.
    fn x(&self, i: usize) -> usize {
        GUTTER + i * self.col + self.col / 2
    }
}

/// Wide enough for the longest lane name and most labels between neighbouring lanes.
fn column_width(d: &Diagram) -> usize {
    let lane = d
        .lanes
        .iter()
        .map(|l| l.label().chars().count())
        .max()
        .unwrap_or(0);
    let label = d
        .messages
        .iter()
        .map(|m| m.request.chars().count().max(m.answer.chars().count()))
        .max()
        .unwrap_or(0);
    (lane.max(label) * CHAR_W + 28).clamp(MIN_COL, MAX_COL)
}

fn defs(out: &mut String) {
    out.push_str("<defs>");
    for (id, color) in [("seq-head", INK), ("seq-head-err", RED)] {
        let _ = write!(
            out,
            r#"<marker id="{id}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>"#
        );
    }
    out.push_str("</defs>");
}

fn lifeline(out: &mut String, geo: &Geometry, i: usize, lane: &Lane) {
    let x = geo.x(i);
    let box_w = geo.col - 16;
    let label = fit(lane.label(), box_w.saturating_sub(12) / CHAR_W);
    let (fill, stroke) = match lane {
        Lane::Client => ("#ddf4ff", "#54aeff"),
        Lane::Backend => ("#dafbe1", "#4ac26b"),
        Lane::Stripe | Lane::Webhooks => ("#fbefff", "#c297ff"),
        Lane::Other(_) => ("#f6f8fa", "#afb8c1"),
    };
    let _ = write!(
        out,
        r#"<g class="lane"><title>{title}</title><line x1="{x}" y1="{y1}" x2="{x}" y2="{y2}" stroke="{LINE}" stroke-width="1" stroke-dasharray="2 4"/><rect x="{rx}" y="{MARGIN}" width="{box_w}" height="{HEAD_H}" rx="6" fill="{fill}" stroke="{stroke}"/><text x="{x}" y="{ty}" text-anchor="middle" font-weight="600" fill="{INK}">{label}</text></g>"#,
        title = escape(lane.label()),
        y1 = MARGIN + HEAD_H,
        y2 = geo.bottom,
        rx = x - box_w / 2,
        ty = MARGIN + HEAD_H / 2 + 4,
        label = escape(&label),
    );
}

fn message(out: &mut String, d: &Diagram, geo: &Geometry, i: usize, m: &Message) {
    let (Some(from), Some(to)) = (lane_index(d, &m.from), lane_index(d, &m.to)) else {
        return;
    };
    let (x1, x2) = (geo.x(from), geo.x(to));
    let y = TOP + i * ROW_H + 14;
    let y_back = y + 22;
    let span = x1.abs_diff(x2).max(geo.col);
    let room = span.saturating_sub(16) / CHAR_W;
    let mid = (x1 + x2) / 2;
    let mut class = String::from("message");
    if m.error {
        class.push_str(" error");
    }
    if m.failed_step {
        class.push_str(" failed-step");
    }
    let _ = write!(
        out,
        r#"<g class="{class}"><title>{step}: {req} → {ans}</title>"#,
        step = escape(&m.step),
        req = escape(&m.request),
        ans = escape(&m.answer),
    );
    // The step that sent it, in the gutter.
    let step_color = if m.failed_step { RED } else { MUTED };
    let weight = if m.failed_step { "600" } else { "400" };
    let _ = write!(
        out,
        r#"<text class="step" x="{MARGIN}" y="{ty}" fill="{step_color}" font-weight="{weight}" font-size="11">{step}</text>"#,
        ty = y + 4,
        step = escape(&fit(&m.step, (GUTTER - MARGIN - 4) / 6)),
    );
    let req_color = if m.failed_step { RED } else { INK };
    arrow(out, "request", (x1, x2, y), req_color, false);
    label(out, (mid, y - 6), req_color, &fit(&m.request, room));
    let ans_color = if m.error { RED } else { MUTED };
    arrow(out, "answer", (x2, x1, y_back), ans_color, true);
    label(out, (mid, y_back - 6), ans_color, &fit(&m.answer, room));
    out.push_str("</g>");
}

fn lane_index(d: &Diagram, lane: &Lane) -> Option<usize> {
    d.lanes.iter().position(|l| l == lane)
}

/// A horizontal arrow from `x1` to `x2` at `y` (a small loop when both are the same lane).
fn arrow(
    out: &mut String,
    kind: &str,
    (x1, x2, y): (usize, usize, usize),
    color: &str,
    dashed: bool,
) {
    let marker = if color == RED {
        "seq-head-err"
    } else {
        "seq-head"
    };
    let dash = if dashed {
        r#" stroke-dasharray="5 4""#
    } else {
        ""
    };
    let path = if x1 == x2 {
        format!("M{x1},{} h28 v10 h-28", y.saturating_sub(5))
    } else {
        format!("M{x1},{y} L{x2},{y}")
    };
    let _ = write!(
        out,
        r#"<path class="arrow {kind}" d="{path}" fill="none" stroke="{color}" stroke-width="1.5"{dash} marker-end="url(#{marker})"/>"#
    );
}

fn label(out: &mut String, (x, y): (usize, usize), color: &str, text: &str) {
    let _ = write!(
        out,
        r#"<text x="{x}" y="{y}" text-anchor="middle" fill="{color}">{}</text>"#,
        escape(text)
    );
}

/// `text` cut to `max` characters, ending in `…` when cut.
fn fit(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(to: Lane, request: &str, answer: &str, error: bool, failed_step: bool) -> Message {
        Message {
            from: Lane::Client,
            to,
            request: request.into(),
            answer: answer.into(),
            error,
            step: "step 1".into(),
            failed_step,
        }
    }

    fn small() -> Diagram {
        Diagram {
            lanes: vec![Lane::Client, Lane::Backend, Lane::Stripe],
            messages: vec![
                msg(Lane::Backend, "POST /api/orders", "201", false, false),
                msg(
                    Lane::Stripe,
                    "GET /v1/payment_intents/pi_1",
                    "200",
                    false,
                    false,
                ),
                msg(Lane::Backend, "GET /api/orders/<1>&x", "404", true, true),
            ],
        }
    }

    #[test]
    fn draws_a_lifeline_per_lane_and_two_arrows_per_message() {
        let svg = render(&small());
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches(r#"<g class="lane">"#).count(), 3);
        assert_eq!(svg.matches(r#"class="arrow request""#).count(), 3);
        assert_eq!(svg.matches(r#"class="arrow answer""#).count(), 3);
        assert_eq!(svg.matches("stroke-dasharray=\"5 4\"").count(), 3);
        for lane in ["gigcheck", "backend", "Stripe API"] {
            assert!(svg.contains(&format!(">{lane}</text>")), "{lane}");
        }
    }

    #[test]
    fn errors_and_failing_steps_are_red_and_others_are_not() {
        let svg = render(&small());
        let groups: Vec<&str> = svg.split(r#"<g class="message"#).skip(1).collect();
        assert_eq!(groups.len(), 3);
        assert!(!groups[0].contains(RED) && !groups[1].contains(RED));
        assert!(groups[2].starts_with(r#" error failed-step""#));
        assert!(groups[2].contains(r#"class="arrow answer" d="M"#));
        assert!(groups[2].contains(&format!(
            r##"stroke="{RED}" stroke-width="1.5" stroke-dasharray"##
        )));
        assert!(groups[2].contains("url(#seq-head-err)"));
    }

    #[test]
    fn text_is_escaped() {
        let svg = render(&small());
        assert!(svg.contains("GET /api/orders/&lt;1&gt;&amp;x"));
        assert!(!svg.contains("<1>"));
        let mut d = small();
        d.lanes
            .push(Lane::Other("http://x\"><script>alert(1)</script>".into()));
        d.messages[0].to = d.lanes[3].clone();
        let svg = render(&d);
        assert!(!svg.contains("<script>"));
    }

    #[test]
    fn size_follows_lanes_and_messages() {
        let size = |d: &Diagram| {
            let g = Geometry::of(d);
            (g.width, g.height)
        };
        let mut d = small();
        let (w, h) = size(&d);
        d.messages.push(d.messages[0].clone());
        assert_eq!(size(&d), (w, h + ROW_H));
        d.lanes.push(Lane::Webhooks);
        assert!(size(&d).0 > w);
        let svg = render(&d);
        assert!(svg.contains(&format!(r#"height="{}""#, h + ROW_H)));
    }

    #[test]
    fn long_labels_are_cut_but_kept_whole_in_the_tooltip() {
        let long = format!("GET /api/orders?{}", "q=1&".repeat(80));
        let mut d = small();
        d.messages[0].request = long.clone();
        let svg = render(&d);
        assert!(svg.contains('…'));
        assert!(svg.contains(&escape(&long)));
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }

    #[test]
    fn an_empty_diagram_still_draws_its_lanes() {
        let d = Diagram {
            lanes: vec![Lane::Client],
            messages: Vec::new(),
        };
        let svg = render(&d);
        assert_eq!(svg.matches(r#"<g class="lane">"#).count(), 1);
        assert!(!svg.contains("arrow"));
    }
}
