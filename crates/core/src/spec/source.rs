//! Where spec items were written: a document's positions by JSON Pointer, and references into it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

/// One loaded YAML file and the position of every node in it.
#[derive(Debug, Default)]
pub(crate) struct SourceDoc {
    pub path: PathBuf,
    /// The path as shown to people (relative to the working directory when possible).
    pub display: String,
    /// JSON Pointer (`/scenarios/0/steps/1/expect`) → 1-based (line, column) of the node, or of its
    /// key when the node is a mapping value.
    pub positions: crate::yaml::Positions,
}

impl SourceDoc {
    /// Where the node at `pointer` is, or its nearest ancestor that is known (line 0: none).
    fn loc(&self, pointer: &str) -> Loc {
        let (line, col) = self.positions.nearest(pointer).unwrap_or((0, 0));
        Loc {
            file: self.display.clone(),
            line,
            col,
        }
    }
}

/// A file, line and column, printed `file:line:column`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Loc {
    /// The file as shown to people; empty when the problem is in no file.
    pub file: String,
    /// 1-based line; 0 when the place in the file is unknown (only the file is shown).
    pub line: u32,
    /// 1-based column; not shown when `line` is 0.
    pub col: u32,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.file)
        } else {
            write!(f, "{}:{}:{}", self.file, self.line, self.col)
        }
    }
}

/// A node of a [`SourceDoc`], by its JSON Pointer.
#[derive(Debug, Clone, Default)]
pub(crate) struct SourceRef {
    pub doc: Arc<SourceDoc>,
    pub pointer: String,
}

impl SourceRef {
    pub(crate) fn new(doc: Arc<SourceDoc>, pointer: String) -> SourceRef {
        SourceRef { doc, pointer }
    }

    /// The node at `segment` below this one.
    pub(crate) fn child(&self, segment: impl fmt::Display) -> SourceRef {
        use fmt::Write;
        // Written in place, escaped only when it must be: loading asks for a child for every
        // step, request and check, and formatting a copy of each was a twentieth of loading.
        let mut pointer = String::with_capacity(self.pointer.len() + 16);
        pointer.push_str(&self.pointer);
        pointer.push('/');
        let start = pointer.len();
        // Writing to a String cannot fail.
        let _ = write!(pointer, "{segment}");
        let escaped = match escape(&pointer[start..]) {
            std::borrow::Cow::Owned(escaped) => Some(escaped),
            std::borrow::Cow::Borrowed(_) => None,
        };
        if let Some(escaped) = escaped {
            pointer.truncate(start);
            pointer.push_str(&escaped);
        }
        SourceRef {
            doc: self.doc.clone(),
            pointer,
        }
    }

    /// The node's location; falls back to the nearest ancestor that has one (line 0: none).
    pub(crate) fn loc(&self) -> Loc {
        self.doc.loc(&self.pointer)
    }

    /// `self.child(a).child(b)….loc()`, with one pointer built rather than a reference for each
    /// segment: every check of every step asks for its place.
    pub(crate) fn loc_of(&self, segments: &[&str]) -> Loc {
        let mut pointer = self.pointer.clone();
        for segment in segments {
            pointer.push('/');
            pointer.push_str(&escape(segment));
        }
        self.doc.loc(&pointer)
    }
}

pub(crate) use crate::yaml::escape;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn falls_back_to_the_nearest_ancestor() {
        let doc = Arc::new(SourceDoc {
            path: "a.yaml".into(),
            display: "a.yaml".into(),
            positions: {
                let mut p = crate::yaml::Positions::default();
                p.record("/scenarios/0", None, (3, 5));
                p.record("/scenarios/0/a~1b", None, (4, 2));
                p.finish();
                p
            },
        });
        let r = SourceRef::new(doc, "/scenarios/0".into());
        assert_eq!(r.child("steps").child(2).loc().to_string(), "a.yaml:3:5");
        assert_eq!(r.child("a/b").pointer, "/scenarios/0/a~1b");
        for segments in [&["a/b"][..], &["a/b", "c"], &["steps", "2"], &[]] {
            let chained = segments.iter().fold(r.clone(), |r, s| r.child(s)).loc();
            assert_eq!(r.loc_of(segments), chained, "{segments:?}");
        }
        assert_eq!(r.loc_of(&["a/b", "c"]).to_string(), "a.yaml:4:2");
    }
}
