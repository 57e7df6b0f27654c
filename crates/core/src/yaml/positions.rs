//! Where each node of a YAML document is: its line and column by JSON Pointer
//! (`/scenarios/0/steps/1/expect`). Kept compact — 16 bytes per node: a hash of the pointer and
//! both places packed in one word, no pointer strings — so a file of ten thousand scenarios
//! costs about ten megabytes.

use std::hash::{DefaultHasher, Hash, Hasher};

/// A 1-based (line, column).
pub type Place = (u32, u32);

/// The places of a document's nodes.
#[derive(Debug, Clone, Default)]
pub struct Positions {
    /// Sorted by hash once the document is read.
    entries: Vec<Entry>,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    hash: u64,
    /// Both places, packed by [`pack`].
    places: u64,
}

/// Lines up to 2^24 − 1 and columns up to 4095 are exact; beyond, they are held at the
/// largest (no spec file of 16 MiB has 16 million lines, and a column past 4095 is shown as 4095).
const LINE_BITS: u32 = 24;
const COL_BITS: u32 = 12;
const DELTA_BITS: u32 = 8;

/// `key` and `value`: the key's line and column, how many lines the value starts below the key
/// (values more than 255 lines below their keys are shown at the key), and the value's column.
fn pack(key: Place, value: Place) -> u64 {
    let clamp = |v: u32, bits: u32| u64::from(v.min((1 << bits) - 1));
    let delta = value
        .0
        .checked_sub(key.0)
        .filter(|d| *d < (1 << DELTA_BITS));
    let (delta, value_col) = match delta {
        Some(d) => (d, value.1),
        None => (0, key.1),
    };
    clamp(key.0, LINE_BITS)
        | clamp(key.1, COL_BITS) << LINE_BITS
        | clamp(delta, DELTA_BITS) << (LINE_BITS + COL_BITS)
        | clamp(value_col, COL_BITS) << (LINE_BITS + COL_BITS + DELTA_BITS)
}

fn unpack(places: u64) -> (Place, Place) {
    let field = |shift: u32, bits: u32| ((places >> shift) & ((1 << bits) - 1)) as u32;
    let key = (field(0, LINE_BITS), field(LINE_BITS, COL_BITS));
    let delta = field(LINE_BITS + COL_BITS, DELTA_BITS);
    let value_col = field(LINE_BITS + COL_BITS + DELTA_BITS, COL_BITS);
    (key, (key.0 + delta, value_col))
}

fn hash(pointer: &str) -> u64 {
    let mut h = DefaultHasher::new();
    pointer.hash(&mut h);
    h.finish()
}

impl Positions {
    /// Records the node at `pointer`; `key` is where its key is, for a mapping value.
    pub(crate) fn record(&mut self, pointer: &str, key: Option<Place>, value: Place) {
        self.entries.push(Entry {
            hash: hash(pointer),
            places: pack(key.unwrap_or(value), value),
        });
    }

    /// Makes the recorded places searchable; called once the whole document is read.
    pub(crate) fn finish(&mut self) {
        self.entries.sort_unstable_by_key(|e| e.hash);
    }

    fn entry(&self, pointer: &str) -> Option<&Entry> {
        let h = hash(pointer);
        self.entries
            .binary_search_by_key(&h, |e| e.hash)
            .ok()
            .map(|i| &self.entries[i])
    }

    /// Where the node at `pointer` is: at its key when it is a mapping value (where people look
    /// for it), at the node otherwise.
    pub fn get(&self, pointer: &str) -> Option<Place> {
        self.entry(pointer).map(|e| unpack(e.places).0)
    }

    /// Where the node at `pointer` itself starts (its value, past any key).
    pub(crate) fn value_at(&self, pointer: &str) -> Option<Place> {
        self.entry(pointer).map(|e| unpack(e.places).1)
    }

    /// [`Positions::get`] of the node at `pointer`, or of its nearest ancestor that is known.
    pub fn nearest(&self, pointer: &str) -> Option<Place> {
        let mut at = pointer;
        loop {
            if let Some(p) = self.get(at) {
                return Some(p);
            }
            at = &at[..at.rfind('/')?];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_nodes_keys_and_the_nearest_ancestor() {
        let mut p = Positions::default();
        p.record("", None, (1, 1));
        p.record("/scenarios", Some((2, 1)), (3, 3));
        p.record("/scenarios/0", None, (3, 5));
        p.finish();
        assert_eq!(p.get("/scenarios"), Some((2, 1)));
        assert_eq!(p.value_at("/scenarios"), Some((3, 3)));
        assert_eq!(p.get("/scenarios/0"), Some((3, 5)));
        assert_eq!(p.get("/nothing"), None);
        assert_eq!(p.nearest("/scenarios/0/steps/2"), Some((3, 5)));
        assert_eq!(p.nearest("/other"), Some((1, 1)));
        assert_eq!(Positions::default().nearest("/a/b"), None);
    }

    #[test]
    fn places_pack_into_one_word() {
        for (key, value) in [
            ((1, 1), (1, 1)),
            ((7, 3), (8, 5)),
            ((16_777_215, 4095), (16_777_215, 4095)),
            ((100, 9), (355, 11)),
        ] {
            assert_eq!(unpack(pack(key, value)), (key, value));
        }
        // Far values are shown at their key; huge columns at the largest.
        assert_eq!(unpack(pack((1, 1), (900, 4))), ((1, 1), (1, 1)));
        assert_eq!(unpack(pack((2, 9000), (2, 9000))).0, (2, 4095));
    }
}
