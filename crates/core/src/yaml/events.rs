//! The short way through a document: nodes built straight from the events of granit-parser, the
//! parser serde-saphyr itself runs on, for the documents specs are made of — one document, no
//! anchors, aliases, tags or merge keys, and scalars whose type is certain.
//!
//! Anything else makes this reader step aside ([`StepAside`]) and the caller reads the document
//! through serde-saphyr, which resolves what this one does not and words every error. Both give
//! the same nodes at the same places for the documents this one accepts (tested on every spec
//! of the project and a catalogue of scalars); this one skips serde-saphyr's recording and
//! replaying of every key, which made reading a spec file more than twice as slow.

use super::tree::{Key, Node, Placed};
use super::{Place, Positions, YamlError};
use granit_parser::{Event, Parser, ScalarStyle, Span, StrInput};
use serde_json::Value;

/// The document needs serde-saphyr: it is not plain, or the parser with its own options refuses
/// it (serde-saphyr's are more lenient in places, such as `[` in a plain key of a flow mapping;
/// it reads such a document, or says why it cannot, in its words).
#[derive(Debug)]
pub(super) struct StepAside;

/// Nesting at which serde-saphyr's depth budget (64) comes near: deeper documents are left to
/// it, so that what it refuses is refused the same way.
const MAX_DEPTH: usize = 48;

/// The whole document, when it is plain.
pub(super) fn document(text: &str) -> Result<Placed, StepAside> {
    let mut reader = Reader::new(text);
    let (event, span) = reader.start()?.ok_or(StepAside)?;
    let root = reader.node(event, span, 0)?;
    reader.end()?;
    Ok(root)
}

/// [`super::read_streaming`] of a plain document: each item of the mapping's list `key` is
/// handed to `each` as soon as it is read; the root is returned with that list standing as an
/// empty one, as serde-saphyr's reading leaves it.
pub(super) fn streaming(
    text: &str,
    key: &str,
    each: &mut dyn FnMut(usize, Value),
    positions: &mut Positions,
    item_errors: &mut Vec<YamlError>,
) -> Result<Node, StepAside> {
    let mut reader = Reader::new(text);
    let Some((event, span)) = reader.start()? else {
        return Ok(Node::Null);
    };
    let Event::MappingStart(_, 0, None) = event else {
        let (root, _) = reader.node(event, span, 0)?;
        reader.end()?;
        return Ok(root);
    };
    let mut entries = Vec::new();
    while let Some((name, key_at)) = reader.key()? {
        let (event, span) = reader.next()?;
        let value = if name.0 != key {
            reader.node(event, span, 1)?
        } else if let Event::SequenceStart(_, 0, None) = event {
            let mut index = 0;
            loop {
                let (event, span) = reader.next()?;
                if matches!(event, Event::SequenceEnd) {
                    break;
                }
                let item = reader.node(event, span, 2)?;
                super::hand_on(item, key, index, each, positions, item_errors);
                index += 1;
            }
            (Node::Seq(Vec::new()), key_at)
        } else {
            // Not a list: kept at its key, as serde-saphyr's reading keeps it.
            (reader.node(event, span, 1)?.0, key_at)
        };
        entries.push((name, key_at, value));
    }
    reader.end()?;
    Ok(Node::Map(entries))
}

/// Reads events into nodes.
struct Reader<'a> {
    parser: Parser<'a, StrInput<'a>>,
    nodes: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Reader<'a> {
        Reader {
            parser: Parser::new_from_str(text),
            nodes: 0,
        }
    }

    /// The next event; a parser error steps aside.
    fn next(&mut self) -> Result<(Event<'a>, Span), StepAside> {
        match self.parser.next_event() {
            Some(Ok(event)) => Ok(event),
            Some(Err(_)) | None => Err(StepAside),
        }
    }

    /// Reads the stream's start and the document's: the root's first event, or `None` when
    /// there is no document at all (an empty text, or only comments).
    fn start(&mut self) -> Result<Option<(Event<'a>, Span)>, StepAside> {
        if !matches!(self.next()?.0, Event::StreamStart) {
            return Err(StepAside);
        }
        match self.next()?.0 {
            Event::StreamEnd => return Ok(None),
            Event::DocumentStart(_, None) => {}
            _ => return Err(StepAside),
        }
        self.next().map(Some)
    }

    /// Reads the end of the one document and of the stream.
    fn end(&mut self) -> Result<(), StepAside> {
        match (self.next()?.0, self.next()?.0) {
            (Event::DocumentEnd, Event::StreamEnd) => Ok(()),
            _ => Err(StepAside),
        }
    }

    /// The node that starts with `event` (at `span`), `depth` collections deep.
    fn node(&mut self, event: Event<'a>, span: Span, depth: usize) -> Result<Placed, StepAside> {
        self.nodes += 1;
        if depth > MAX_DEPTH || self.nodes > super::MAX_NODES {
            return Err(StepAside);
        }
        let at = place(&span);
        let node = match event {
            Event::Scalar(text, style, 0, None) => scalar(&text, style).ok_or(StepAside)?,
            Event::SequenceStart(_, 0, None) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.next()?;
                    if matches!(event, Event::SequenceEnd) {
                        break;
                    }
                    items.push(self.node(event, span, depth + 1)?);
                }
                Node::Seq(items)
            }
            Event::MappingStart(_, 0, None) => {
                let mut entries = Vec::new();
                while let Some((key, key_at)) = self.key()? {
                    let (event, span) = self.next()?;
                    entries.push((key, key_at, self.node(event, span, depth + 1)?));
                }
                Node::Map(entries)
            }
            _ => return Err(StepAside),
        };
        Ok((node, at))
    }

    /// The next key of the mapping being read and where it is; `None` at the mapping's end.
    fn key(&mut self) -> Result<Option<(Key, Place)>, StepAside> {
        let (event, span) = self.next()?;
        match event {
            Event::MappingEnd => Ok(None),
            Event::Scalar(text, style, 0, None) => {
                if style == ScalarStyle::Plain && text == "<<" {
                    return Err(StepAside);
                }
                let key = scalar(&text, style).and_then(Key::of).ok_or(StepAside)?;
                Ok(Some((key, place(&span))))
            }
            _ => Err(StepAside),
        }
    }
}

/// Where an event starts, 1-based, as serde-saphyr places it.
fn place(span: &Span) -> Place {
    let line = u32::try_from(span.start.line()).unwrap_or(u32::MAX);
    let col = u32::try_from(span.start.col() + 1).unwrap_or(u32::MAX);
    (line, col)
}

/// A scalar's node, or `None` when its type is not certain here: serde-saphyr's YAML 1.2 core
/// schema (strict booleans) decides those.
fn scalar(text: &str, style: ScalarStyle) -> Option<Node> {
    if style != ScalarStyle::Plain {
        return Some(Node::Str(text.to_string()));
    }
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Node::Null),
        "true" | "True" | "TRUE" => return Some(Node::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Node::Bool(false)),
        _ => {}
    }
    // serde-saphyr trims these before reading a type: text with them is left to it.
    if text.starts_with([' ', '\t', '\r', '\n']) || text.ends_with([' ', '\t', '\r', '\n']) {
        return None;
    }
    if !may_be_number(text) {
        return Some(Node::Str(text.to_string()));
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let decimal = |s: &str| {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) && (s == "0" || !s.starts_with('0'))
    };
    if decimal(digits) && digits.len() <= 18 && digits != "0" {
        return if negative {
            text.parse().ok().map(Node::Int)
        } else {
            digits.parse().ok().map(Node::UInt)
        };
    }
    if digits == "0" && !negative {
        return Some(Node::UInt(0));
    }
    let (whole, fraction) = digits.split_once('.')?;
    let fraction_is_digits = !fraction.is_empty() && fraction.bytes().all(|b| b.is_ascii_digit());
    if decimal(whole) && fraction_is_digits && digits.len() <= 17 {
        return text.parse().ok().map(Node::Float);
    }
    None
}

/// Whether a plain scalar could read as a number in some YAML spelling (signs, radix prefixes,
/// underscores, exponents, `.inf`, `.nan`); text that cannot (`4xx`, `50ms`, `2026-12-07`) is
/// certainly text.
fn may_be_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let bytes = unsigned.as_bytes();
    match bytes {
        [b'0', b'x' | b'X' | b'o' | b'O' | b'b' | b'B', ..] => true,
        [b'0'..=b'9' | b'.', ..] => {
            let numeral = bytes.iter().enumerate().all(|(i, &b)| {
                b.is_ascii_digit()
                    || matches!(b, b'_' | b'.' | b'e' | b'E')
                    || (matches!(b, b'+' | b'-') && i > 0 && matches!(bytes[i - 1], b'e' | b'E'))
            });
            numeral
                || unsigned.eq_ignore_ascii_case(".inf")
                || unsigned.eq_ignore_ascii_case(".nan")
        }
        _ => unsigned
            .get(..3)
            .is_some_and(|s| s.eq_ignore_ascii_case("inf") || s.eq_ignore_ascii_case("nan")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_certain_scalars_are_typed_here() {
        let plain = |s| scalar(s, ScalarStyle::Plain);
        assert!(matches!(plain("42"), Some(Node::UInt(42))));
        assert!(matches!(plain("-7"), Some(Node::Int(-7))));
        assert!(matches!(plain("0"), Some(Node::UInt(0))));
        assert!(matches!(plain("1.25"), Some(Node::Float(f)) if f == 1.25));
        assert!(matches!(plain("pending"), Some(Node::Str(s)) if s == "pending"));
        for text in [
            "2026-12-07T10:00:00Z",
            "2026-12-07",
            "4xx",
            "50ms",
            "1 2",
            ".x",
        ] {
            assert!(
                matches!(plain(text), Some(Node::Str(s)) if s == text),
                "{text}"
            );
        }
        assert!(matches!(plain("~"), Some(Node::Null)));
        assert!(matches!(plain("TRUE"), Some(Node::Bool(true))));
        for unsure in [
            "007", "-0", "+1", "1e3", "0x1F", "1_000", ".5", "1.", ".inf", "nan",
        ] {
            assert!(plain(unsure).is_none(), "{unsure}");
        }
        assert!(matches!(
            scalar("42", ScalarStyle::DoubleQuoted),
            Some(Node::Str(s)) if s == "42"
        ));
    }
}
