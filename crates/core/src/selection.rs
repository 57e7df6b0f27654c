//! Which scenarios a run takes: `--tag` and `--filter`, then `--shard K/N` for splitting one
//! suite over the N machines of a CI matrix.
//!
//! A shard is chosen by a stable hash of each scenario's file and title (not by position, so
//! editing one spec does not reshuffle everything), and filled greedily so the N slices differ
//! by at most one scenario — except that a `serial: true` suite is never split, because its
//! scenarios are meant to run in order on one backend. Every machine computes the same split
//! from the same specs, so the N slices together run every selected scenario exactly once.

use crate::loader::Project;
use std::fmt;
use std::str::FromStr;

/// The selected scenarios, as `(suite index, scenario index)` in spec order.
pub type Selection = Vec<(usize, usize)>;

/// What to take, as given on the command line.
#[derive(Debug, Clone, Default)]
pub struct Criteria {
    /// Scenarios with any of these tags (on the scenario or its suite); empty: all.
    pub tags: Vec<String>,
    /// Scenarios whose title contains this text, case-insensitively.
    pub filter: Option<String>,
}

/// Slice `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which slice this machine runs, from 1 to `count`.
    pub index: usize,
    /// How many slices the suite is split into (at least 1).
    pub count: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || {
            format!(
                "`{text}` is not a shard: write K/N with 1 ≤ K ≤ N, e.g. 2/4 for the second of four slices"
            )
        };
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The scenarios matching `criteria`, in spec order.
pub fn matching(project: &Project, criteria: &Criteria) -> Selection {
    let needle = criteria.filter.as_ref().map(|f| f.to_lowercase());
    let mut out = Vec::new();
    for (si, suite) in project.suites.iter().enumerate() {
        for (ci, scenario) in suite.scenarios.iter().enumerate() {
            let tagged = criteria.tags.is_empty()
                || criteria
                    .tags
                    .iter()
                    .any(|t| scenario.tags.contains(t) || suite.tags.contains(t));
            let matched = needle
                .as_ref()
                .is_none_or(|n| scenario.title().to_lowercase().contains(n));
            if tagged && matched {
                out.push((si, ci));
            }
        }
    }
    out
}

/// A group of scenarios that goes to one shard: a single scenario, or a whole serial suite.
struct Unit {
    key: u64,
    members: Vec<(usize, usize)>,
}

/// The part of `selected` that belongs to `shard`, still in spec order.
pub fn shard(project: &Project, selected: &[(usize, usize)], shard: Shard) -> Selection {
    let mut units: Vec<Unit> = Vec::new();
    for &(si, ci) in selected {
        let suite = &project.suites[si];
        let file = &suite.file;
        if suite.serial {
            let key = fnv1a(file.as_bytes());
            match units.iter_mut().find(|u| u.members[0].0 == si) {
                Some(unit) => unit.members.push((si, ci)),
                None => units.push(Unit {
                    key,
                    members: vec![(si, ci)],
                }),
            }
        } else {
            let title = suite.scenarios[ci].title();
            let key = fnv1a(format!("{file}\0{title}").as_bytes());
            units.push(Unit {
                key,
                members: vec![(si, ci)],
            });
        }
    }
    // Biggest first, then by hash: the greedy fill below then keeps slices within one
    // scenario of each other whenever units allow it.
    units.sort_by(|a, b| {
        b.members
            .len()
            .cmp(&a.members.len())
            .then(a.key.cmp(&b.key))
    });
    let mut load = vec![0usize; shard.count];
    let mut mine = Vec::new();
    for unit in units {
        let lightest = (0..shard.count).min_by_key(|&i| (load[i], i)).unwrap_or(0);
        load[lightest] += unit.members.len();
        if lightest + 1 == shard.index {
            mine.extend(unit.members);
        }
    }
    mine.sort_unstable();
    mine
}

/// FNV-1a, 64 bits: a hash that is the same on every machine and every Rust version.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loader::{LoadOptions, load};

    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let p = load(&[dir.path().to_path_buf()], &LoadOptions::default());
        assert!(!p.has_errors(), "{:?}", p.diagnostics);
        (dir, p)
    }

    fn suite(count: usize, serial: bool) -> String {
        let mut s = format!("serial: {serial}\nscenarios:\n");
        for i in 0..count {
            s.push_str(&format!(
                "  - name: s{i}\n    steps: [{{ request: {{ method: GET, url: 'http://h/{i}' }} }}]\n"
            ));
        }
        s
    }

    #[test]
    fn parses_k_of_n() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["0/4", "5/4", "1/0", "x/2", "3", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn slices_cover_everything_once_evenly_and_keep_serial_suites_whole() {
        let (_dir, p) = project(&[
            ("a.yaml", &suite(23, false)),
            ("b.yaml", &suite(4, true)),
            ("c.yaml", &suite(6, false)),
        ]);
        let all = matching(&p, &Criteria::default());
        assert_eq!(all.len(), 33);
        for count in 1..=7 {
            let slices: Vec<Selection> = (1..=count)
                .map(|index| shard(&p, &all, Shard { index, count }))
                .collect();
            let mut union: Selection = slices.iter().flatten().copied().collect();
            union.sort_unstable();
            assert_eq!(union, all, "{count} slices run everything exactly once");
            let sizes: Vec<usize> = slices.iter().map(Vec::len).collect();
            let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
            assert!(max - min <= 1, "{count}: {sizes:?}");
            let serial_in = slices
                .iter()
                .filter(|s| s.iter().any(|&(si, _)| p.suites[si].serial))
                .count();
            assert_eq!(serial_in, 1, "the serial suite stays in one slice");
            // The same input gives the same split.
            assert_eq!(shard(&p, &all, Shard { index: 1, count }), slices[0]);
        }
    }
}
