//! Loads spec files into the model: discovery, YAML parsing with positions, `include` resolution,
//! and the cross-checks that need the whole picture (see [`crosscheck`]).
//!
//! Loading never stops at the first problem: every diagnostic is collected so `gigcheck validate`
//! can report them all in one pass.

pub mod crosscheck;
pub mod diagnostic;
pub mod discover;
pub mod positions;

use crate::checks::schema::SchemaStore;
use crate::spec::source::SourceDoc;
use crate::spec::{Action, Fragment, Loc, SourceRef, Step, Suite};
use diagnostic::Diagnostic;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A parsed spec file.
#[derive(Debug)]
pub struct LoadedSuite {
    pub doc: Arc<SourceDoc>,
    pub suite: Suite,
    /// The suite's name, or the file name without extension.
    pub name: String,
    /// Where this suite's snapshots live (`<spec folder>/__snapshots__`).
    pub snapshot_dir: PathBuf,
    /// Per scenario, what it needs from outside (for skipping when not configured).
    pub requirements: Vec<crosscheck::Requirements>,
    /// Variables from the suite's `fixtures` files, in order.
    pub fixture_vars: crate::spec::Vars,
}

impl LoadedSuite {
    /// The prefix of this suite's snapshot files: `orders` for `specs/orders.yaml`.
    pub fn file_stem(&self) -> String {
        self.doc
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Everything a run or `validate` needs, plus what went wrong while loading.
pub struct Project {
    pub suites: Vec<LoadedSuite>,
    /// The `fixtures/` folder the specs use (test data, schemas, the contract's route list).
    pub fixtures_dir: PathBuf,
    pub schemas: SchemaStore,
    pub diagnostics: Vec<Diagnostic>,
}

impl Project {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }
}

#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--schemas`; by default `fixtures/schemas` in the nearest folder above the specs that has one.
    pub schemas_dir: Option<PathBuf>,
    /// Variables defined outside the specs: built-ins, environment file, `--var`.
    pub external_vars: Vec<String>,
}

pub fn load(paths: &[PathBuf], opts: &LoadOptions) -> Project {
    let mut diagnostics = Vec::new();
    let files = match discover::spec_files(paths) {
        Ok(files) => files,
        Err(message) => {
            diagnostics.push(Diagnostic::error(Loc::default(), message));
            Vec::new()
        }
    };
    if files.is_empty() && diagnostics.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        diagnostics.push(
            Diagnostic::error(
                Loc { file: shown.join(", "), ..Loc::default() },
                "no spec files found",
            )
            .with_hint("spec files end in .yaml or .yml; names starting with `_` are fragments, not suites"),
        );
    }
    let fixtures_dir = files
        .first()
        .and_then(|f| find_fixtures_dir(f))
        .unwrap_or_else(|| PathBuf::from("fixtures"));
    let schemas_dir = opts
        .schemas_dir
        .clone()
        .unwrap_or_else(|| fixtures_dir.join("schemas"));
    let mut schemas = SchemaStore::new(schemas_dir);
    let mut fragments = FragmentCache::default();
    let mut suites = Vec::new();
    for file in files {
        match parse_suite(&file, &mut fragments, &mut diagnostics) {
            Some(mut loaded) => {
                loaded.fixture_vars = load_fixtures(&loaded, &fixtures_dir, &mut diagnostics);
                loaded.requirements =
                    crosscheck::check_suite(&loaded, opts, &mut schemas, &mut diagnostics);
                suites.push(loaded);
            }
            None => continue,
        }
    }
    for loaded in &suites {
        crosscheck::unused_snapshots(loaded, &mut diagnostics);
    }
    dedup(&mut diagnostics);
    attach_source_lines(&mut diagnostics);
    Project {
        suites,
        fixtures_dir,
        schemas,
        diagnostics,
    }
}

/// The nearest `fixtures` folder at or above the spec file's folder.
fn find_fixtures_dir(spec: &Path) -> Option<PathBuf> {
    let start = std::path::absolute(spec).ok()?;
    start
        .ancestors()
        .skip(1)
        .map(|dir| dir.join("fixtures"))
        .find(|dir| dir.is_dir())
}

/// Reads the suite's fixture files (mappings of variables) in order.
fn load_fixtures(
    loaded: &LoadedSuite,
    dir: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> crate::spec::Vars {
    let mut vars = crate::spec::Vars::new();
    for (i, name) in loaded.suite.fixtures.iter().enumerate() {
        let loc =
            SourceRef::new(loaded.doc.clone(), String::new()).loc_of(&["fixtures", &i.to_string()]);
        let path = dir.join(name);
        if !path.is_file() {
            diagnostics.push(
                Diagnostic::error(
                    loc,
                    format!(
                        "fixture file {} does not exist",
                        discover::display_path(&path)
                    ),
                )
                .with_hint("fixture names are relative to the fixtures/ folder"),
            );
            continue;
        }
        if let Some((file, _)) = parse_file::<FixtureFile>(&path, diagnostics) {
            vars.extend(file.0);
        }
    }
    vars
}

/// A fixture file: variable name → value.
#[derive(serde::Deserialize)]
struct FixtureFile(#[serde(deserialize_with = "crate::spec::unique::map")] crate::spec::Vars);

/// Files from this size on are indexed on a second thread while serde_yaml parses them.
const PARALLEL_INDEX_BYTES: usize = 32 * 1024;

/// Reads a YAML file into `T` and indexes its positions. Errors become diagnostics.
fn parse_file<T: serde::de::DeserializeOwned>(
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(T, Arc<SourceDoc>)> {
    let display = discover::display_path(path);
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            diagnostics.push(Diagnostic::error(
                Loc {
                    file: display,
                    ..Loc::default()
                },
                format!("cannot read file: {e}"),
            ));
            return None;
        }
    };
    // The position index is a second, independent parse of the same text: on a big file it
    // runs beside serde_yaml's, on another core.
    let (parsed, positions) = if text.len() >= PARALLEL_INDEX_BYTES {
        std::thread::scope(|scope| {
            let index = scope.spawn(|| positions::index(&text));
            let parsed = serde_yaml::from_str::<T>(&text);
            (parsed, index.join().ok())
        })
    } else {
        (serde_yaml::from_str::<T>(&text), None)
    };
    match parsed {
        Ok(value) => {
            let doc = Arc::new(SourceDoc {
                path: path.to_path_buf(),
                display,
                positions: positions.unwrap_or_else(|| positions::index(&text)),
            });
            Some((value, doc))
        }
        Err(e) => {
            diagnostics.push(diagnostic::from_yaml_error(&e, &display, &text));
            None
        }
    }
}

fn parse_suite(
    path: &Path,
    fragments: &mut FragmentCache,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<LoadedSuite> {
    let (mut suite, doc): (Suite, _) = parse_file(path, diagnostics)?;
    let root = SourceRef::new(doc.clone(), String::new());
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut stack = vec![path.to_path_buf()];
    for (i, scenario) in suite.scenarios.iter_mut().enumerate() {
        let src = root.child("scenarios").child(i);
        prepare_steps(
            &mut scenario.steps,
            &src.child("steps"),
            dir,
            fragments,
            &mut stack,
            diagnostics,
        );
        prepare_steps(
            &mut scenario.teardown,
            &src.child("teardown"),
            dir,
            fragments,
            &mut stack,
            diagnostics,
        );
        scenario.src = src;
    }
    prepare_steps(
        &mut suite.setup,
        &root.child("setup"),
        dir,
        fragments,
        &mut stack,
        diagnostics,
    );
    prepare_steps(
        &mut suite.teardown,
        &root.child("teardown"),
        dir,
        fragments,
        &mut stack,
        diagnostics,
    );
    let name = suite.name.clone().unwrap_or_else(|| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    });
    Some(LoadedSuite {
        snapshot_dir: dir.join("__snapshots__"),
        doc,
        suite,
        name,
        requirements: Vec::new(),
        fixture_vars: crate::spec::Vars::new(),
    })
}

/// Fragments by canonical path; `None` marks one that failed to load (reported once).
#[derive(Default)]
struct FragmentCache(HashMap<PathBuf, Option<Arc<Fragment>>>);

/// Gives each step its source reference and resolves its `include`s.
fn prepare_steps(
    steps: &mut [Step],
    base: &SourceRef,
    dir: &Path,
    fragments: &mut FragmentCache,
    stack: &mut Vec<PathBuf>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    for (i, step) in steps.iter_mut().enumerate() {
        step.src = base.child(i);
        if let Action::Include(include) = &mut step.action {
            let path = dir.join(&include.path);
            let loc = step.src.loc_of(&["include"]);
            include.fragment = load_fragment(&path, loc, fragments, stack, diagnostics);
        }
    }
}

fn load_fragment(
    path: &Path,
    loc: Loc,
    fragments: &mut FragmentCache,
    stack: &mut Vec<PathBuf>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Arc<Fragment>> {
    let Ok(canonical) = path.canonicalize() else {
        diagnostics.push(
            Diagnostic::error(
                loc,
                format!("included file {} does not exist", path.display()),
            )
            .with_hint("`include` paths are relative to the file that includes them"),
        );
        return None;
    };
    if stack.contains(&canonical) {
        diagnostics.push(Diagnostic::error(
            loc,
            format!(
                "{} includes itself (through a chain of includes)",
                path.display()
            ),
        ));
        return None;
    }
    if let Some(cached) = fragments.0.get(&canonical) {
        return cached.clone();
    }
    let loaded = parse_file::<Fragment>(&canonical, diagnostics).map(|(mut fragment, doc)| {
        let dir = canonical.parent().unwrap_or(Path::new(".")).to_path_buf();
        stack.push(canonical.clone());
        let base = SourceRef::new(doc, String::new()).child("steps");
        prepare_steps(
            &mut fragment.steps,
            &base,
            &dir,
            fragments,
            stack,
            diagnostics,
        );
        stack.pop();
        Arc::new(fragment)
    });
    fragments.0.insert(canonical, loaded.clone());
    loaded
}

/// Shows the offending line under each diagnostic that points into a file.
fn attach_source_lines(diagnostics: &mut [Diagnostic]) {
    let mut files: HashMap<String, Option<String>> = HashMap::new();
    for d in diagnostics
        .iter_mut()
        .filter(|d| d.source_line.is_none() && d.loc.line > 0)
    {
        let text = files
            .entry(d.loc.file.clone())
            .or_insert_with(|| std::fs::read_to_string(&d.loc.file).ok());
        if let Some(text) = text {
            *d = d.clone().with_source(text);
        }
    }
}

/// Setup steps are checked once per scenario; report each problem once.
fn dedup(diagnostics: &mut Vec<Diagnostic>) {
    let mut seen = std::collections::HashSet::new();
    diagnostics.retain(|d| seen.insert((d.loc.clone(), d.message.clone())));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_big_file_indexed_beside_its_parse_has_every_position() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("name: Big\nscenarios:\n");
        for i in 0..600 {
            text.push_str(&format!(
                "  - name: s{i}\n    steps:\n      - request: {{ method: GET, url: 'http://h/{i}' }}\n"
            ));
        }
        assert!(
            text.len() >= PARALLEL_INDEX_BYTES,
            "the test must take the parallel path"
        );
        let path = dir.path().join("big.yaml");
        std::fs::write(&path, &text).unwrap();
        let mut diagnostics = Vec::new();
        let (suite, doc): (Suite, _) = parse_file(&path, &mut diagnostics).unwrap();
        assert!(diagnostics.is_empty());
        assert_eq!(suite.scenarios.len(), 600);
        assert_eq!(doc.positions.get("/scenarios/599"), Some(&(1800, 5)));
        assert_eq!(
            doc.positions.get("/scenarios/599/steps/0/request/url"),
            Some(&(1802, 33))
        );
    }
}
