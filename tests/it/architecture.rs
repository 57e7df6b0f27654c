//! The architecture, checked: the workspace's crates depend on each other one way only
//! (base ← core, base ← servers, all ← the command line), and inside every crate no two
//! modules import each other, directly or round a loop. A module's imports are the paths it
//! names (`crate::…`, `super::…`, `self::…`) outside comments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The crates of the workspace: name, source folder, and the gigcheck crates it may use.
const CRATES: &[(&str, &str, &[&str])] = &[
    ("gigcheck-base", "crates/base", &[]),
    ("gigcheck-core", "crates/core", &["gigcheck-base"]),
    ("gigcheck-servers", "crates/servers", &["gigcheck-base"]),
    (
        "gigcheck",
        ".",
        &["gigcheck-base", "gigcheck-core", "gigcheck-servers"],
    ),
];

#[test]
fn crates_depend_on_each_other_one_way() {
    for (name, folder, allowed) in CRATES {
        let manifest = std::fs::read_to_string(Path::new(ROOT).join(folder).join("Cargo.toml"))
            .expect("a manifest");
        let used: BTreeSet<&str> = CRATES
            .iter()
            .map(|(other, _, _)| *other)
            .filter(|other| other != name)
            .filter(|other| {
                manifest
                    .lines()
                    .any(|l| l.trim_start().starts_with(&format!("{other} =")))
            })
            .collect();
        let allowed: BTreeSet<&str> = allowed.iter().copied().collect();
        assert!(
            used.is_subset(&allowed),
            "{name} uses {used:?}; it may use only {allowed:?}"
        );
    }
}

#[test]
fn no_module_imports_another_that_imports_it_back() {
    let mut loops = BTreeSet::new();
    for (name, folder, _) in CRATES {
        let src = Path::new(ROOT).join(folder).join("src");
        assert!(
            rust_files(&src).len() > 2,
            "{name}: no modules in {}",
            src.display()
        );
        for (parent, edges) in module_graph(&src) {
            for cycle in cycles(&edges) {
                loops.insert(format!("{name}: in `{parent}`: {}", cycle.join(" → ")));
            }
        }
    }
    assert!(loops.is_empty(), "import cycles: {loops:#?}");
}

#[test]
fn the_checker_sees_a_cycle() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("engine")).unwrap();
    std::fs::write(src.join("lib.rs"), "pub mod engine;\npub mod report;\n").unwrap();
    std::fs::write(src.join("engine/mod.rs"), "pub mod a;\npub mod b;\n").unwrap();
    std::fs::write(src.join("engine/a.rs"), "use super::b::X;\n").unwrap();
    // A comment naming crate::report is no import.
    std::fs::write(
        src.join("engine/b.rs"),
        "use crate::engine::a::Y; // crate::report\n",
    )
    .unwrap();
    std::fs::write(src.join("report.rs"), "use crate::engine::a::Y;\n").unwrap();
    let graph = module_graph(src);
    assert_eq!(cycles(&graph["engine"]), vec![vec!["a", "b", "a"]]);
    assert!(cycles(&graph["crate"]).is_empty());
    // A group spread over lines names each of its members.
    std::fs::write(
        src.join("engine/mod.rs"),
        "pub mod a;\npub mod b;\nuse crate::{\n    report::Z,\n    outcome::{self, W},\n};\n",
    )
    .unwrap();
    std::fs::write(src.join("report.rs"), "fn f() { crate::engine::g() }\n").unwrap();
    let graph = module_graph(src);
    assert_eq!(
        cycles(&graph["crate"]),
        vec![vec!["engine", "report", "engine"]]
    );
}

/// Parent module → (child → the siblings it imports).
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn module_graph(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let module = module_path(src, &file);
        let text = std::fs::read_to_string(&file).expect("readable source");
        for target in imports(&text, &module) {
            // The first place the two paths part: two siblings under a common parent.
            let common = module
                .iter()
                .zip(&target)
                .take_while(|(a, b)| a == b)
                .count();
            if common < module.len() && common < target.len() {
                let parent = if common == 0 {
                    "crate".to_string()
                } else {
                    module[..common].join("::")
                };
                graph
                    .entry(parent)
                    .or_default()
                    .entry(module[common].clone())
                    .or_default()
                    .insert(target[common].clone());
            }
        }
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                todo.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// `engine/step.rs` → `[engine, step]`; `engine/mod.rs` → `[engine]`; `lib.rs` → `[]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("inside src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(
        parts.last().map(String::as_str),
        Some("mod" | "lib" | "main")
    ) {
        parts.pop();
    }
    parts
}

/// The absolute module paths a file names, outside comments: `crate::a::b`, `super::x`,
/// `self::y`, and each member of a `{…}` group after one.
fn imports(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = ["crate::", "super::", "self::"]
        .iter()
        .filter_map(|k| find_word(rest, k))
        .min()
    {
        let tail = &rest[at..];
        let path_len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(tail.len());
        let named: Vec<&str> = tail[..path_len].split("::").collect();
        let absolute = |parts: &[&str]| -> Option<Vec<String>> {
            let (mut base, tail): (Vec<String>, &[&str]) = match *parts.first()? {
                "crate" => (Vec::new(), &parts[1..]),
                "self" => (module.to_vec(), &parts[1..]),
                _ => {
                    let ups = parts.iter().take_while(|p| **p == "super").count();
                    (
                        module[..module.len().saturating_sub(ups)].to_vec(),
                        &parts[ups..],
                    )
                }
            };
            base.extend(tail.iter().filter(|p| !p.is_empty()).map(|p| p.to_string()));
            Some(base)
        };
        if let Some(prefix) = absolute(&named) {
            let after = &tail[path_len..];
            if named.last() == Some(&"") && after.starts_with('{') {
                for member in group_members(after) {
                    let mut target = prefix.clone();
                    if member != "self" && member != "*" {
                        target.push(member);
                    }
                    out.push(target);
                }
            } else {
                out.push(prefix);
            }
        }
        rest = &tail[path_len.max(1)..];
    }
    out
}

/// Where `word` starts in `text` at the start of a path (not inside another name).
fn find_word(text: &str, word: &str) -> Option<usize> {
    text.match_indices(word).map(|(i, _)| i).find(|&i| {
        !text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    })
}

/// The first name of each member of the `{…}` group `text` starts with.
fn group_members(text: &str) -> Vec<String> {
    let mut members = Vec::new();
    let mut depth = 0;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    continue;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    members.push(std::mem::take(&mut current));
                    break;
                }
            }
            ',' if depth == 1 => {
                members.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        if depth >= 1 {
            current.push(c);
        }
    }
    members
        .iter()
        .filter_map(|m| {
            let name = m.trim().split("::").next()?.trim().to_string();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// Every loop in a graph, each once, as the path round it (`a → b → a`).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let mut found: Vec<Vec<String>> = Vec::new();
    let mut seen_sets: BTreeSet<BTreeSet<String>> = BTreeSet::new();
    for start in edges.keys() {
        // Depth-first from each node, looking for a way back to it.
        let mut stack = vec![(start.clone(), vec![start.clone()])];
        let mut visited = BTreeSet::new();
        while let Some((node, path)) = stack.pop() {
            for next in edges.get(&node).into_iter().flatten() {
                if next == start {
                    let members: BTreeSet<String> = path.iter().cloned().collect();
                    if seen_sets.insert(members) {
                        let mut round = path.clone();
                        round.push(start.clone());
                        found.push(round);
                    }
                } else if visited.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    found
}
