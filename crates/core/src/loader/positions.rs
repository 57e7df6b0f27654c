//! Builds a [`SourceDoc`]'s position index: the line and column of every YAML node by JSON Pointer.
//!
//! serde_yaml reports positions only for its own errors; checks that run after deserializing
//! (undefined variables, missing schema files, …) need to point at the offending line too.

use crate::spec::source::escape;
use std::collections::HashMap;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

enum Frame {
    /// `first_key_of`: a mapping that is a sequence item is located at its first key, because
    /// the parser marks a block mapping's start at the first `:`.
    Map {
        key: Option<(String, Marker)>,
        first_key_of: Option<String>,
    },
    Seq {
        index: usize,
    },
}

struct Indexer {
    stack: Vec<(Frame, String)>,
    positions: HashMap<String, (u32, u32)>,
}

impl Indexer {
    /// Records a node starting at `mark`; returns its pointer when it is a value (not a key).
    fn node(&mut self, mark: Marker, scalar: Option<&str>) -> Option<String> {
        let Some((frame, base)) = self.stack.last_mut() else {
            self.positions.insert(String::new(), pos(mark));
            return Some(String::new());
        };
        match frame {
            Frame::Seq { index } => {
                let pointer = format!("{base}/{index}");
                *index += 1;
                self.positions.insert(pointer.clone(), pos(mark));
                Some(pointer)
            }
            Frame::Map { key, first_key_of } => match key.take() {
                None => {
                    if let Some(pointer) = first_key_of.take() {
                        self.positions.insert(pointer, pos(mark));
                    }
                    // A key: remember it; the value that follows is recorded at the key's place.
                    *key = Some((scalar.unwrap_or_default().to_string(), mark));
                    None
                }
                Some((k, key_mark)) => {
                    let pointer = format!("{base}/{}", escape(&k));
                    self.positions.insert(pointer.clone(), pos(key_mark));
                    Some(pointer)
                }
            },
        }
    }
}

fn pos(mark: Marker) -> (u32, u32) {
    // yaml-rust2 counts lines from 1 and columns from 0.
    (mark.line() as u32, mark.col() as u32 + 1)
}

impl MarkedEventReceiver for Indexer {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        match ev {
            Event::Scalar(value, ..) => {
                self.node(mark, Some(&value));
            }
            Event::Alias(_) => {
                self.node(mark, Some(""));
            }
            Event::MappingStart(..) => {
                let in_seq = matches!(self.stack.last(), Some((Frame::Seq { .. }, _)));
                let pointer = self.node(mark, None).unwrap_or_default();
                let first_key_of = in_seq.then(|| pointer.clone());
                self.stack.push((
                    Frame::Map {
                        key: None,
                        first_key_of,
                    },
                    pointer,
                ));
            }
            Event::SequenceStart(..) => {
                let pointer = self.node(mark, None).unwrap_or_default();
                self.stack.push((Frame::Seq { index: 0 }, pointer));
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.stack.pop();
            }
            _ => {}
        }
    }
}

/// The position of every node of the first document in `source`. A document that does not
/// parse yields what was indexed before the error (serde_yaml reports the error itself).
pub fn index(source: &str) -> HashMap<String, (u32, u32)> {
    let mut indexer = Indexer {
        stack: Vec::new(),
        positions: HashMap::new(),
    };
    let _ = Parser::new_from_str(source).load(&mut indexer, false);
    indexer.positions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_keys_and_items() {
        let src = "name: x\nscenarios:\n  - id: '1'\n    steps:\n      - request: {method: GET}\n        expect:\n          body:\n            $.a/b: 1\n";
        let p = index(src);
        assert_eq!(p["/name"], (1, 1));
        assert_eq!(p["/scenarios"], (2, 1));
        assert_eq!(p["/scenarios/0"], (3, 5));
        assert_eq!(p["/scenarios/0/steps/0"], (5, 9));
        assert_eq!(p["/scenarios/0/steps/0/request/method"], (5, 19));
        assert_eq!(p["/scenarios/0/steps/0/expect"], (6, 9));
        assert_eq!(p["/scenarios/0/steps/0/expect/body/$.a~1b"], (8, 13));
    }

    #[test]
    fn broken_yaml_does_not_panic() {
        let p = index("a: [1, 2\nb: }");
        assert!(p.contains_key("/a"));
    }
}
