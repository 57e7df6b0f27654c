//! Loads spec files into the model: discovery, YAML parsing with positions, `include` resolution,
//! and the cross-checks that need the whole picture (see `crosscheck`).
//!
//! Loading never stops at the first problem: every diagnostic is collected so `gigcheck validate`
//! can report them all in one pass.

mod crosscheck;
mod discover;

use crate::checks::schema::SchemaStore;
use crate::contract::Contract;
use crate::diagnostic::{self, BOM, Diagnostic};
use crate::spec::roles::Roles;
use crate::spec::source::SourceDoc;
use crate::spec::{Action, Fragment, Loc, Scenario, SourceRef, Step, Suite};
use crate::yaml;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A parsed spec file.
#[derive(Debug)]
pub(crate) struct LoadedSuite {
    pub doc: Arc<SourceDoc>,
    /// The suite without its scenarios (`suite.scenarios` is empty): they are had one at a
    /// time from [`Project::scenario`].
    pub suite: Suite,
    /// The suite's name, or the file name without extension.
    pub name: String,
    /// Where this suite's snapshots live (`<spec folder>/__snapshots__`).
    pub(crate) snapshot_dir: PathBuf,
    /// Per scenario, what it needs from outside (for skipping when not configured).
    pub requirements: Vec<crosscheck::Requirements>,
    /// Variables from the suite's `fixtures` files, in order.
    pub(crate) fixture_vars: crate::spec::Vars,
    scenarios: Vec<Slot>,
}

/// What a scenario's model is read from: its tree, or its checked compact JSON (see [`Slot`]).
/// A reader thread hands over trees for about the first 500 of a project, which are then read
/// into their models without a detour, and compact JSON after that, which takes a few hundred
/// bytes while it waits to be checked ([`read_suite`]: `Source<Box<str>>`); a slot's JSON is
/// read again borrowed (`Source<&str>`).
#[derive(Debug)]
enum Source<Json> {
    Tree(serde_json::Value),
    Json(Json),
}

/// A scenario of a loaded suite: its model while the project keeps few, else the checked
/// scenario as compact JSON (a few hundred bytes instead of ~12 KiB of model), read into the
/// model again when it runs.
#[derive(Debug)]
enum Slot {
    Model(Arc<Scenario>),
    Compact(Box<str>),
}

impl LoadedSuite {
    /// The prefix of this suite's snapshot files: `orders` for `specs/orders.yaml`.
    pub(crate) fn file_stem(&self) -> String {
        self.doc
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// Everything a run or `validate` needs, plus what went wrong while loading.
///
/// Every spec file is parsed once and checked up front, one scenario at a time. What is kept of
/// each scenario is an outline (names, tags, places) and, past the first few hundred, the
/// checked scenario as compact JSON instead of its model (`Project::scenario` reads it back):
/// memory does not grow with a model per scenario, however the scenarios are spread over files.
pub struct Project {
    /// The suites that loaded, in discovery order; a suite with a scenario that could not be
    /// read is left out (its diagnostics say why).
    pub suites: Vec<SuiteOutline>,
    /// The `fixtures/` folder the specs use (test data, schemas, the contract's route list).
    pub fixtures_dir: PathBuf,
    /// The schemas the specs name, compiled while loading.
    pub schemas: SchemaStore,
    /// The catalogue roles the run finds in the target (`fixtures/roles.yaml`), if any.
    pub roles: Option<Roles>,
    /// The contract's routes and rules (`fixtures/contract.yaml`), if the project has it.
    pub contract: Option<Arc<Contract>>,
    /// Every error and warning found while loading, deduplicated, with source lines attached.
    pub diagnostics: Vec<Diagnostic>,
    /// Fragments already read, shared by every later load.
    fragments: Mutex<FragmentCache>,
}

/// What selection, listing and scheduling need to know of a suite without its steps.
#[derive(Debug)]
pub struct SuiteOutline {
    /// The spec file's path as found.
    pub path: PathBuf,
    /// The file as shown to people.
    pub file: String,
    /// The suite's name, or the file name without extension.
    pub name: String,
    /// The suite's tags, which every scenario in it has for `--tag`.
    pub tags: Vec<String>,
    /// `serial: true`: the scenarios run in order, one at a time, and are never split over shards.
    pub serial: bool,
    /// The suite's scenarios, in file order.
    pub scenarios: Vec<ScenarioOutline>,
    loaded: Arc<LoadedSuite>,
}

/// What selection, listing and reports need to know of a scenario without its steps.
#[derive(Debug, Clone)]
pub struct ScenarioOutline {
    /// The test-plan id (`4.1`); `None` if the scenario has none.
    pub id: Option<String>,
    /// The scenario's name.
    pub name: String,
    /// The scenario's own tags (its suite's are on the [`SuiteOutline`]).
    pub tags: Vec<String>,
    /// Where the scenario starts in its spec file.
    pub loc: Loc,
    /// The contract rules the scenario as a whole verifies.
    pub verifies: Vec<String>,
    /// The contract rules its steps verify (the suite's setup and teardown and every included
    /// fragment's steps too), sorted.
    pub step_rules: Vec<String>,
    /// Runs while no other scenario does.
    pub exclusive: bool,
}

impl ScenarioOutline {
    /// The scenario as people see it: `[4.1] Cancel a pending order`, or the name alone.
    pub fn title(&self) -> String {
        crate::spec::title(self.id.as_deref(), &self.name)
    }
}

/// The first this many scenarios of a project keep their model after loading; the others are
/// kept as compact JSON (see [`Slot`]), so memory does not grow with a model per scenario.
const KEEP_LOADED_SCENARIOS: usize = 500;

impl Project {
    /// Every contract rule some scenario of the project names (in `verifies:` of the scenario
    /// or of a step it runs), whether or not a run selects it.
    pub fn named_rules(&self) -> std::collections::BTreeSet<String> {
        self.suites
            .iter()
            .flat_map(|s| &s.scenarios)
            .flat_map(|s| s.verifies.iter().chain(&s.step_rules))
            .cloned()
            .collect()
    }

    /// The diagnostics that are errors, not warnings.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    /// Whether loading found any error, so the project must not run.
    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Suite `index`, without its scenarios (see [`Project::scenario`]).
    pub(crate) fn suite(&self, index: usize) -> Option<Arc<LoadedSuite>> {
        self.suites.get(index).map(|outline| outline.loaded.clone())
    }

    /// Scenario `index` of `suite`, as a model: the kept one, or read from its compact form
    /// (its includes come from the fragments read while loading). Fails only on a gigcheck bug.
    pub(crate) fn scenario(
        &self,
        suite: &LoadedSuite,
        index: usize,
    ) -> Result<Arc<Scenario>, String> {
        match suite.scenarios.get(index) {
            Some(Slot::Model(model)) => Ok(model.clone()),
            Some(Slot::Compact(json)) => {
                let mut fragments = self
                    .fragments
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let mut diagnostics = Vec::new();
                let dir = suite.doc.path.parent().unwrap_or(Path::new("."));
                materialize(
                    Source::Json(json),
                    index,
                    &suite.doc,
                    "",
                    dir,
                    &mut fragments,
                    &mut diagnostics,
                )
                .map(Arc::new)
                .ok_or_else(|| {
                    let why = diagnostics
                        .first()
                        .map(|d| format!("{}: {}", d.loc, d.message))
                        .unwrap_or_default();
                    format!(
                        "scenario {index} of {} cannot be read again: {why}",
                        suite.doc.display
                    )
                })
            }
            None => Err(format!(
                "no scenario number {index} in {} (this is a gigcheck bug)",
                suite.doc.display
            )),
        }
    }
}

/// What loading needs from the command line.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--schemas`; by default `fixtures/schemas` in the nearest folder above the specs that has one.
    pub schemas_dir: Option<PathBuf>,
    /// Variables defined outside the specs: built-ins, environment file, `--var`.
    pub external_vars: Vec<String>,
}

/// Loads every spec file under `paths` (files or folders) and checks it. Never fails: what went
/// wrong is in [`Project::diagnostics`]. The fixtures folder is the nearest one above the first
/// spec file.
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
    let (fixtures_dir, schemas) = fixtures_and_schemas(files.first().map(PathBuf::as_path), opts);
    // Catalogue roles are variables the run provides: specs use them without defining them.
    let roles = load_roles(&fixtures_dir, &mut diagnostics);
    let mut with_roles;
    let opts = match &roles {
        Some(roles) => {
            with_roles = opts.clone();
            with_roles
                .external_vars
                .extend(roles.names().map(str::to_string));
            &with_roles
        }
        None => opts,
    };
    let contract = load_contract(&fixtures_dir, &mut diagnostics).map(Arc::new);
    let ctx = Context {
        fixtures_dir: &fixtures_dir,
        schemas: &schemas,
        contract: contract.as_deref(),
    };
    let mut fragments = FragmentCache::default();
    let mut suites = Vec::new();
    let mut snapshot_warnings = Vec::new();
    let mut models_left = KEEP_LOADED_SCENARIOS;
    let mut check = |parsed: ParsedFile, diagnostics: &mut Vec<Diagnostic>| {
        let ParsedFile {
            path,
            text,
            suite,
            diagnostics: mut found,
        } = parsed;
        diagnostics.append(&mut found);
        let (Some(text), Some(suite)) = (text, suite) else {
            return;
        };
        let mut load = SuiteLoad {
            opts,
            ctx: &ctx,
            fragments: &mut fragments,
            diagnostics,
            models_left: &mut models_left,
        };
        if let Some(outline) = load.suite(&path, &text, suite, &mut snapshot_warnings) {
            suites.push(outline);
        }
    };
    // Reading and parsing (two thirds of the work) runs ahead of checking on two threads, which
    // take the files in turns, so on two cores loading is not held up by one thread parsing.
    // Each hands over one file at a time, so memory stays that of a few files whatever their
    // number, and files are checked (and their diagnostics said) in order.
    const READERS: usize = 2;
    let count = files.len();
    let trees = &AtomicUsize::new(KEEP_LOADED_SCENARIOS);
    std::thread::scope(|scope| {
        let mut readers = Vec::with_capacity(READERS);
        for first in 0..READERS {
            let (tx, rx) = std::sync::mpsc::sync_channel(1);
            let turns: Vec<PathBuf> = files.iter().skip(first).step_by(READERS).cloned().collect();
            scope.spawn(move || {
                for file in turns {
                    if tx.send(parse_file_ahead(file, trees)).is_err() {
                        return;
                    }
                }
            });
            readers.push(rx);
        }
        for turn in 0..count {
            // A reader stops early only by panicking, which the scope then reports.
            let Ok(parsed) = readers[turn % READERS].recv() else {
                break;
            };
            check(parsed, &mut diagnostics);
        }
    });
    diagnostics.append(&mut snapshot_warnings);
    dedup(&mut diagnostics);
    attach_source_lines(&mut diagnostics, None);
    Project {
        suites,
        fixtures_dir,
        schemas,
        roles,
        contract,
        diagnostics,
        fragments: Mutex::new(fragments),
    }
}

/// Checks one spec file given as text, as [`load`] checks a file on disk (the same YAML parse,
/// includes, fixtures, cross-checks and unused-snapshot warnings), and returns every diagnostic.
/// `display` stands for the file's path: diagnostics name it (as they name files, relative to
/// the working directory when inside it), and includes, fixtures and snapshots are looked up
/// relative to it. For callers that hold a spec in memory: the fuzz
/// targets (`fuzz/`) and the property tests (`tests/it/properties.rs`).
pub fn check_text(display: &str, text: &str, opts: &LoadOptions) -> Vec<Diagnostic> {
    let path = Path::new(display);
    let (fixtures_dir, schemas) = fixtures_and_schemas(Some(path), opts);
    let mut fragments = FragmentCache::default();
    let mut diagnostics = Vec::new();
    let contract = load_contract(&fixtures_dir, &mut diagnostics);
    let ctx = Context {
        fixtures_dir: &fixtures_dir,
        schemas: &schemas,
        contract: contract.as_ref(),
    };
    let mut models_left = 0;
    let mut warnings = Vec::new();
    // Everything compact, as past the kept few of a big project: that is the path a fuzzer and
    // the property tests should reach.
    if let Some(parsed) = read_suite(path, text, &mut diagnostics, &AtomicUsize::new(0)) {
        SuiteLoad {
            opts,
            ctx: &ctx,
            fragments: &mut fragments,
            diagnostics: &mut diagnostics,
            models_left: &mut models_left,
        }
        .suite(path, text, parsed, &mut warnings);
    }
    diagnostics.append(&mut warnings);
    dedup(&mut diagnostics);
    let shown = crate::diagnostic::display_path(path);
    attach_source_lines(&mut diagnostics, Some((&shown, text)));
    diagnostics
}

/// `fixtures/contract.yaml`, when there is one; a broken one is an error that names it.
fn load_contract(fixtures: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<Contract> {
    let path = fixtures.join("contract.yaml");
    if !path.is_file() {
        return None;
    }
    match Contract::load(&path) {
        Ok(contract) => Some(contract),
        Err(message) => {
            let loc = Loc {
                file: crate::diagnostic::display_path(&path),
                ..Loc::default()
            };
            diagnostics.push(Diagnostic::error(loc, message).with_hint(
                "routes: { \"GET /api/orders\": [200, 401] } and rules: { orders.list.own: One line of text }",
            ));
            None
        }
    }
}

/// `fixtures/roles.yaml`, when there is one; a broken one is an error that names it.
fn load_roles(fixtures: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<Roles> {
    let path = fixtures.join("roles.yaml");
    if !path.is_file() {
        return None;
    }
    let read = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))
        .and_then(|text| {
            yaml::from_str(text.trim_start_matches(BOM))
                .map_err(|e| format!("{}: {e}", path.display()))
        });
    match read {
        Ok(roles) => Some(roles),
        Err(message) => {
            let loc = Loc {
                file: crate::diagnostic::display_path(&path),
                ..Loc::default()
            };
            diagnostics.push(
                Diagnostic::error(loc, message)
                    .with_hint("roles: { name: { stock_quantity: { gte: 10 } } }: a product field and what it must be"),
            );
            None
        }
    }
}

/// The `fixtures/` folder for specs starting at `first_spec`, and the schema store
/// (`--schemas`, or `fixtures/schemas`).
fn fixtures_and_schemas(first_spec: Option<&Path>, opts: &LoadOptions) -> (PathBuf, SchemaStore) {
    let fixtures_dir = first_spec
        .and_then(find_fixtures_dir)
        .unwrap_or_else(|| PathBuf::from("fixtures"));
    let schemas_dir = opts
        .schemas_dir
        .clone()
        .unwrap_or_else(|| fixtures_dir.join("schemas"));
    (fixtures_dir, SchemaStore::new(schemas_dir))
}

/// What every suite of a project is checked against.
pub(crate) struct Context<'a> {
    pub fixtures_dir: &'a Path,
    pub schemas: &'a SchemaStore,
    /// The contract whose rule ids `verifies:` may name, if the project has one.
    pub contract: Option<&'a Contract>,
}

/// Loading one suite file into the project.
struct SuiteLoad<'a> {
    opts: &'a LoadOptions,
    ctx: &'a Context<'a>,
    fragments: &'a mut FragmentCache,
    diagnostics: &'a mut Vec<Diagnostic>,
    /// How many more scenarios keep their model.
    models_left: &'a mut usize,
}

impl SuiteLoad<'_> {
    /// Checks the spec file at `path` (its `text`, parsed by [`read_suite`]) one scenario at a
    /// time: fixtures, includes, cross-checks, requirements; unused snapshot files go to
    /// `warnings`.
    fn suite(
        &mut self,
        path: &Path,
        text: &str,
        ReadSuite {
            mut head,
            scenarios: reads,
            doc,
        }: ReadSuite,
        warnings: &mut Vec<Diagnostic>,
    ) -> Option<SuiteOutline> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let root = SourceRef::new(doc.clone(), String::new());
        let mut stack = vec![path.to_path_buf()];
        for (steps, key) in [(&mut head.setup, "setup"), (&mut head.teardown, "teardown")] {
            let base = root.child(key);
            prepare_steps(
                steps,
                &base,
                dir,
                self.fragments,
                &mut stack,
                self.diagnostics,
            );
        }
        let name = head.name.clone().unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        let mut loaded = LoadedSuite {
            snapshot_dir: dir.join("__snapshots__"),
            doc,
            suite: head,
            name,
            requirements: Vec::new(),
            fixture_vars: crate::spec::Vars::new(),
            scenarios: Vec::new(),
        };
        loaded.fixture_vars = load_fixtures(&loaded, self.ctx.fixtures_dir, self.diagnostics);
        let mut snapshots = std::collections::HashSet::new();
        crosscheck::snapshot_names(&loaded.suite.setup, &mut snapshots);
        crosscheck::snapshot_names(&loaded.suite.teardown, &mut snapshots);
        let mut outlines = Vec::with_capacity(reads.len());
        let mut requirements = Vec::with_capacity(reads.len());
        let mut slots = Vec::with_capacity(reads.len());
        let in_file = reads.len();
        let mut checker = crosscheck::SuiteChecker::new(&loaded, self.opts, self.ctx);
        for (i, read) in reads.into_iter().enumerate() {
            let doc = &loaded.doc;
            let keep = *self.models_left > 0;
            let mut model_of =
                |source| materialize(source, i, doc, text, dir, self.fragments, self.diagnostics);
            // The model, and the compact JSON kept instead of it once the project keeps no more
            // models, whatever the reader handed over.
            let (read, compact) = match read {
                Source::Tree(tree) => {
                    let json = (!keep).then(|| tree.to_string().into_boxed_str());
                    (model_of(Source::Tree(tree)), json)
                }
                Source::Json(json) => {
                    let read = model_of(Source::Json(&json));
                    (read, (!keep).then_some(json))
                }
            };
            let Some(scenario) = read else {
                continue;
            };
            requirements.push(checker.scenario(&scenario, self.diagnostics));
            crosscheck::snapshot_names(&scenario.steps, &mut snapshots);
            crosscheck::snapshot_names(&scenario.teardown, &mut snapshots);
            outlines.push(ScenarioOutline {
                id: scenario.id.clone(),
                name: scenario.name.clone(),
                tags: scenario.tags.clone(),
                loc: scenario.src.loc(),
                verifies: scenario.verifies.clone(),
                step_rules: loaded.suite.step_rules(&scenario),
                exclusive: scenario.exclusive,
            });
            slots.push(match compact {
                Some(json) => Slot::Compact(json),
                None => {
                    *self.models_left -= 1;
                    Slot::Model(Arc::new(scenario))
                }
            });
        }
        if in_file == 0 {
            crosscheck::no_scenarios(&loaded, self.diagnostics);
        }
        if outlines.len() < in_file {
            // Some scenario does not fit the model: the suite cannot run, and says why above.
            return None;
        }
        crosscheck::unused_snapshots(&loaded, &snapshots, warnings);
        loaded.requirements = requirements;
        loaded.scenarios = slots;
        Some(SuiteOutline {
            path: loaded.doc.path.clone(),
            file: loaded.doc.display.clone(),
            name: loaded.name.clone(),
            tags: loaded.suite.tags.clone(),
            serial: loaded.suite.serial,
            scenarios: outlines,
            loaded: Arc::new(loaded),
        })
    }
}

/// Scenario `index` of a suite from its tree or compact JSON: the model, with its place in the
/// file (`doc`; `text` shows in errors) and its includes resolved.
fn materialize(
    source: Source<&str>,
    index: usize,
    doc: &Arc<SourceDoc>,
    text: &str,
    dir: &Path,
    fragments: &mut FragmentCache,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<Scenario> {
    let pointer = format!("/scenarios/{index}");
    let path = format!("scenarios[{index}]");
    let read = match source {
        Source::Json(json) => yaml::deserialize_json::<Scenario>(json, &pointer, &path)?,
        Source::Tree(tree) => match yaml::deserialize_untracked::<Scenario>(tree) {
            Some(scenario) => Ok(scenario),
            // Where a misfit is takes the tree again, tracked: only a spec error pays for it.
            None => match misfit_in_file(text, index, &pointer, &path) {
                Some(misfit) => Err(misfit),
                None => {
                    let loc = SourceRef::new(doc.clone(), pointer.clone()).loc();
                    diagnostics.push(Diagnostic::error(
                        loc,
                        format!(
                            "{path} does not fit the model, and reads differently a second time \
                             (was the file changed while it was read?)"
                        ),
                    ));
                    return None;
                }
            },
        },
    };
    let mut scenario = match read {
        Ok(scenario) => scenario,
        Err(misfit) => {
            let error = doc.positions.place(&misfit);
            diagnostics.push(diagnostic::from_yaml_error(&error, &doc.display, text));
            return None;
        }
    };
    let src = SourceRef::new(doc.clone(), pointer);
    let mut stack = vec![doc.path.clone()];
    for (steps, key) in [
        (&mut scenario.steps, "steps"),
        (&mut scenario.teardown, "teardown"),
    ] {
        prepare_steps(
            steps,
            &src.child(key),
            dir,
            fragments,
            &mut stack,
            diagnostics,
        );
    }
    scenario.src = src;
    Some(scenario)
}

/// Why scenario `index` of the suite file `text` does not fit the model, read again from the
/// file with every value's place tracked; `None` if it fits this time.
fn misfit_in_file(text: &str, index: usize, pointer: &str, path: &str) -> Option<yaml::Misfit> {
    let mut item = None;
    let _ = yaml::read_streaming(text, "scenarios", &mut |i, value| {
        if i == index {
            item = Some(value);
        }
    });
    yaml::deserialize::<Scenario>(item?, pointer, path).err()
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
                        crate::diagnostic::display_path(&path)
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

/// Reads a YAML file into `T` with the places of its nodes. Errors become diagnostics.
fn parse_file<T: serde::de::DeserializeOwned>(
    path: &Path,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(T, Arc<SourceDoc>)> {
    let text = read_file(path, diagnostics)?;
    parse_text(path, &text, diagnostics)
}

/// The largest spec, include or fixture file gigcheck reads. Real ones are a few KiB; the cap
/// keeps a mistaken include (a log, a disk image) from eating memory.
const MAX_SOURCE_BYTES: u64 = 16 * 1024 * 1024;

/// A file's text; an error becomes a diagnostic.
fn read_file(path: &Path, diagnostics: &mut Vec<Diagnostic>) -> Option<String> {
    read_source(path)
        .map_err(|reason| {
            diagnostics.push(Diagnostic::error(
                Loc {
                    file: crate::diagnostic::display_path(path),
                    ..Loc::default()
                },
                format!("cannot read file: {reason}"),
            ));
        })
        .ok()
}

/// Reads a spec source: a regular file (not a device or pipe, which could be endless) of at
/// most [`MAX_SOURCE_BYTES`], as UTF-8.
fn read_source(path: &Path) -> Result<String, String> {
    use std::io::Read;
    // Looked at before opening: opening a named pipe waits for a writer.
    let meta = std::fs::metadata(path).map_err(|e| crate::diagnostic::io_reason(&e))?;
    if !meta.is_file() {
        return Err("not a regular file (a folder, device or pipe); \
                    specs, includes and fixtures must be plain files"
            .to_string());
    }
    let too_big = || {
        format!(
            "larger than {} MiB; specs, includes and fixtures must be smaller",
            MAX_SOURCE_BYTES / (1024 * 1024)
        )
    };
    if meta.len() > MAX_SOURCE_BYTES {
        return Err(too_big());
    }
    let file = std::fs::File::open(path).map_err(|e| crate::diagnostic::io_reason(&e))?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // The file may grow while it is read: read one byte past the cap to notice.
    file.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::diagnostic::io_reason(&e))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(too_big());
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {}); save the file as UTF-8",
            e.utf8_error().valid_up_to()
        )
    })?;
    // Windows editors start UTF-8 files with a byte order mark, which is not YAML.
    if text.starts_with(BOM) {
        text.drain(..BOM.len_utf8());
    }
    Ok(text)
}

/// A suite as [`read_suite`] reads it: its suite-level keys, its scenarios as read, and the
/// places of the file's nodes.
struct ReadSuite {
    head: Suite,
    scenarios: Vec<Source<Box<str>>>,
    doc: Arc<SourceDoc>,
}

/// A spec file read and parsed ([`read_suite`]), not yet checked; what went wrong so far is
/// in `diagnostics`.
struct ParsedFile {
    path: PathBuf,
    text: Option<String>,
    suite: Option<ReadSuite>,
    diagnostics: Vec<Diagnostic>,
}

/// Reads and parses the spec file at `path`: the part of loading that needs nothing from the
/// other files, so it can run ahead of them.
fn parse_file_ahead(path: PathBuf, trees: &AtomicUsize) -> ParsedFile {
    let mut diagnostics = Vec::new();
    let text = read_file(&path, &mut diagnostics);
    let suite = text
        .as_deref()
        .and_then(|text| read_suite(&path, text, &mut diagnostics, trees));
    ParsedFile {
        path,
        text,
        suite,
        diagnostics,
    }
}

/// Parses the text of the YAML file at `path` into `T` with the places of its nodes. Errors
/// become diagnostics.
fn parse_text<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(T, Arc<SourceDoc>)> {
    let display = crate::diagnostic::display_path(path);
    let parsed = yaml::to_value(text).and_then(|(mut value, positions)| {
        drop_extension_keys(&mut value);
        match yaml::deserialize::<T>(value, "", "") {
            Ok(model) => Ok((model, positions)),
            Err(misfit) => Err(positions.place(&misfit)),
        }
    });
    match parsed {
        Ok((model, positions)) => Some((
            model,
            Arc::new(SourceDoc {
                path: path.to_path_buf(),
                display,
                positions,
            }),
        )),
        Err(e) => {
            diagnostics.push(diagnostic::from_yaml_error(&e, &display, text));
            None
        }
    }
}

/// Top-level keys that start with `x-` are a home for YAML anchors, not part of the model.
fn drop_extension_keys(value: &mut serde_json::Value) {
    if let serde_json::Value::Object(top) = value {
        top.retain(|k, _| !k.starts_with("x-"));
    }
}

/// A suite file, read one scenario at a time: each scenario stays a tree while `trees` (shared
/// by the reader threads) has some left, and is compact JSON after that ([`Source`]).
/// Returns the suite without its scenarios, each scenario as read, and the file's places; a file
/// that is not YAML, or whose suite-level keys do not fit the model, is a diagnostic instead.
fn read_suite(
    path: &Path,
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
    trees: &AtomicUsize,
) -> Option<ReadSuite> {
    let display = crate::diagnostic::display_path(path);
    let mut reads = Vec::new();
    let streamed = yaml::read_streaming(text, "scenarios", &mut |_, value| {
        // About as many as the project keeps as models come as trees (see [`Source`]).
        let tree = trees
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok();
        reads.push(if tree {
            Source::Tree(value)
        } else {
            Source::Json(value.to_string().into_boxed_str())
        });
    });
    let mut fail = |e: &yaml::YamlError| {
        diagnostics.push(diagnostic::from_yaml_error(e, &display, text));
    };
    let yaml::Streamed {
        mut head,
        positions,
        item_errors,
    } = match streamed {
        Ok(streamed) => streamed,
        Err(e) => {
            fail(&e);
            return None;
        }
    };
    drop_extension_keys(&mut head);
    let suite = yaml::deserialize::<Suite>(head, "", "");
    let mut errors = item_errors;
    if let Err(misfit) = &suite {
        errors.push(positions.place(misfit));
    }
    errors.sort_by_key(|e| (e.line, e.col));
    errors.iter().for_each(&mut fail);
    let suite = suite.ok().filter(|_| errors.is_empty())?;
    let doc = Arc::new(SourceDoc {
        path: path.to_path_buf(),
        display,
        positions,
    });
    Some(ReadSuite {
        head: suite,
        scenarios: reads,
        doc,
    })
}

/// Fragments by canonical path; `None` marks one that failed to load (reported once).
#[derive(Default)]
struct FragmentCache {
    /// Each fragment read so far; `None` when it was broken (its errors were reported once).
    loaded: HashMap<PathBuf, Option<Arc<Fragment>>>,
    /// Why a fragment could not be read: said again at every step that includes it.
    unreadable: HashMap<PathBuf, String>,
}

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
                crate::diagnostic::display_path(path)
            ),
        ));
        return None;
    }
    if let Some(reason) = fragments.unreadable.get(&canonical) {
        diagnostics.push(Diagnostic::error(loc, reason.clone()));
        return None;
    }
    if let Some(cached) = fragments.loaded.get(&canonical) {
        return cached.clone();
    }
    // A fragment that cannot be read is the including step's problem: point there.
    let text = match read_source(&canonical) {
        Ok(text) => text,
        Err(reason) => {
            let message = format!(
                "cannot read included file {}: {reason}",
                crate::diagnostic::display_path(path)
            );
            diagnostics.push(Diagnostic::error(loc, message.clone()));
            fragments.unreadable.insert(canonical, message);
            return None;
        }
    };
    let parsed = parse_text::<Fragment>(&canonical, &text, diagnostics);
    let loaded = parsed.map(|(mut fragment, doc)| {
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
    fragments.loaded.insert(canonical, loaded.clone());
    loaded
}

/// Shows the offending line under each diagnostic that points into a file. `in_memory`:
/// a file (as displayed) whose text is at hand, not to be read from disk.
fn attach_source_lines(diagnostics: &mut [Diagnostic], in_memory: Option<(&str, &str)>) {
    let mut files: HashMap<String, Option<String>> = in_memory
        .map(|(file, text)| (file.to_string(), Some(text.to_string())))
        .into_iter()
        .collect();
    for d in diagnostics
        .iter_mut()
        .filter(|d| d.source_line.is_none() && d.loc.line > 0)
    {
        let text = files
            .entry(d.loc.file.clone())
            .or_insert_with(|| read_source(Path::new(&d.loc.file)).ok());
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
    fn every_step_including_an_unreadable_file_is_told() {
        let text = "scenarios:\n  - name: s\n    steps:\n      - include: /dev/zero\n      - include: /dev/zero\n";
        let lines: Vec<u32> = check_text("a.yaml", text, &LoadOptions::default())
            .iter()
            .filter(|d| d.message.starts_with("cannot read included file /dev/zero"))
            .map(|d| d.loc.line)
            .collect();
        assert_eq!(lines, [4, 5]);
    }

    #[test]
    fn sources_must_be_small_regular_utf8_files() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        assert!(
            read_source(d)
                .unwrap_err()
                .starts_with("not a regular file")
        );
        // A named pipe is refused without waiting for a writer.
        let fifo = d.join("pipe.yaml");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success(), "mkfifo (coreutils)");
        let refused = read_source(&fifo).unwrap_err();
        assert!(refused.starts_with("not a regular file"), "{refused}");
        std::fs::write(d.join("latin1.yaml"), b"name: caf\xe9\n").unwrap();
        assert_eq!(
            read_source(&d.join("latin1.yaml")).unwrap_err(),
            "not UTF-8 text (invalid byte at offset 9); save the file as UTF-8"
        );
        let big = std::fs::File::create(d.join("big.yaml")).unwrap();
        big.set_len(MAX_SOURCE_BYTES + 1).unwrap();
        assert!(
            read_source(&d.join("big.yaml"))
                .unwrap_err()
                .starts_with("larger than 16 MiB")
        );
        assert_eq!(
            read_source(&d.join("nope.yaml")).unwrap_err(),
            "no such file or directory"
        );
        std::fs::write(d.join("ok.yaml"), "name: café\n").unwrap();
        assert_eq!(read_source(&d.join("ok.yaml")).unwrap(), "name: café\n");
    }

    #[test]
    fn files_parsed_ahead_are_checked_and_reported_in_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let broken = [1, 4];
        for f in 0..6 {
            let text = if broken.contains(&f) {
                format!("name: f{f}\nscenarios: [\n")
            } else {
                format!("name: f{f}\n{}", suite_file(3, "http://h/"))
            };
            std::fs::write(dir.path().join(format!("s{f}.yaml")), text).unwrap();
        }
        let project = load(&[dir.path().to_path_buf()], &LoadOptions::default());
        let names: Vec<&str> = project.suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["f0", "f2", "f3", "f5"]);
        let failed: Vec<&str> = project.errors().map(|d| d.loc.file.as_str()).collect();
        assert_eq!(failed.len(), 2, "{failed:?}");
        assert!(
            failed[0].ends_with("s1.yaml") && failed[1].ends_with("s4.yaml"),
            "{failed:?}"
        );
    }

    fn suite_file(scenarios: usize, url: &str) -> String {
        let mut text = String::from("scenarios:\n");
        for i in 0..scenarios {
            text.push_str(&format!(
                "  - name: s{i}\n    steps:\n      - request: {{ method: GET, url: '{url}' }}\n        expect: {{ status: 200 }}\n"
            ));
        }
        text
    }

    #[test]
    fn scenarios_past_the_kept_budget_are_read_back_from_compact_json_never_from_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let per_file = 100;
        let files = KEEP_LOADED_SCENARIOS / per_file + 2;
        for f in 0..files {
            let path = dir.path().join(format!("s{f:02}.yaml"));
            std::fs::write(&path, suite_file(per_file, "http://h/")).unwrap();
        }
        let project = load(&[dir.path().to_path_buf()], &LoadOptions::default());
        assert!(!project.has_errors());
        let models = |suite: &LoadedSuite| {
            suite
                .scenarios
                .iter()
                .filter(|s| matches!(s, Slot::Model(_)))
                .count()
        };
        let kept: usize = (0..files).map(|i| models(&project.suite(i).unwrap())).sum();
        assert_eq!(
            kept, KEEP_LOADED_SCENARIOS,
            "the first scenarios keep their model"
        );
        let last = files - 1;
        let suite = project.suite(last).unwrap();
        assert_eq!(models(&suite), 0);
        // The file changes on disk: what runs is what was checked.
        std::fs::write(&suite.doc.path, "not: [a spec").unwrap();
        let scenario = project.scenario(&suite, 7).unwrap();
        assert_eq!(scenario.name, "s7");
        assert_eq!(scenario.src.loc().line, 30);
        assert_eq!(scenario.steps[0].src.loc().line, 32);
        assert_eq!(project.suites[last].scenarios[7].loc.line, 30);
        assert!(project.scenario(&suite, per_file).is_err());
    }

    #[test]
    fn a_single_file_holds_one_model_at_a_time_past_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let count = KEEP_LOADED_SCENARIOS + 50;
        // The last scenario includes a fragment: read back, its include is resolved again.
        let mut text = suite_file(count - 1, "http://h/");
        text.push_str("  - name: with an include\n    steps:\n      - include: _f.yaml\n");
        std::fs::write(dir.path().join("all.yaml"), text).unwrap();
        std::fs::write(
            dir.path().join("_f.yaml"),
            "steps:\n  - request: { method: GET, url: 'http://h/f' }\n",
        )
        .unwrap();
        let project = load(&[dir.path().to_path_buf()], &LoadOptions::default());
        assert!(!project.has_errors(), "{:?}", project.diagnostics);
        let suite = project.suite(0).unwrap();
        assert_eq!(suite.scenarios.len(), count);
        assert!(matches!(suite.scenarios[count - 1], Slot::Compact(_)));
        let last = project.scenario(&suite, count - 1).unwrap();
        assert_eq!(last.name, "with an include");
        let Action::Include(include) = &last.steps[0].action else {
            panic!("an include step");
        };
        assert_eq!(include.fragment.as_ref().map(|f| f.steps.len()), Some(1));
        assert_eq!(last.steps[0].src.loc().line, 2 + 4 * (count as u32 - 1) + 2);
    }

    #[test]
    fn spec_text_is_checked_like_a_file() {
        let opts = LoadOptions::default();
        let valid = suite_file(2, "http://h/");
        assert!(check_text("mem.yaml", &valid, &opts).is_empty());

        let undefined = suite_file(1, "{{nope}}");
        let diagnostics = check_text("mem.yaml", &undefined, &opts);
        let error = diagnostics.iter().find(|d| d.is_error()).unwrap();
        assert!(error.message.contains("nope"), "{}", error.message);
        assert_eq!((error.loc.file.as_str(), error.loc.line), ("mem.yaml", 4));
        assert_eq!(
            error.source_line.as_deref(),
            Some("      - request: { method: GET, url: '{{nope}}' }"),
            "the source line comes from the text, not from disk"
        );

        let broken = check_text("mem.yaml", "scenarios: [", &opts);
        assert!(broken.iter().any(|d| d.is_error() && d.loc.line > 0));
    }

    #[test]
    fn a_tree_that_does_not_fit_while_its_file_now_does_is_said_plainly() {
        // The file changed between the two reads: no misfit to place, so the scenario says so.
        let doc = Arc::new(SourceDoc {
            path: "a.yaml".into(),
            display: "a.yaml".into(),
            positions: yaml::Positions::default(),
        });
        let tree = serde_json::json!({"name": "s", "steps": [], "retries": 1});
        let text = suite_file(1, "http://h/");
        let mut diagnostics = Vec::new();
        let read = materialize(
            Source::Tree(tree),
            0,
            &doc,
            &text,
            Path::new("."),
            &mut FragmentCache::default(),
            &mut diagnostics,
        );
        assert!(read.is_none());
        assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
        assert!(
            diagnostics[0]
                .message
                .contains("reads differently a second time"),
            "{}",
            diagnostics[0].message
        );
    }

    #[test]
    fn a_misfit_is_said_the_same_whether_read_from_its_tree_or_from_compact_json() {
        // `load` hands the first scenarios over as trees, `check_text` everything as compact
        // JSON: a scenario that does not fit must be told at the same place in the same words.
        let dir = tempfile::tempdir().unwrap();
        let mut text = suite_file(3, "http://h/");
        text.push_str("  - name: typo\n    steps:\n      - request: { method: GET, url: /x }\n        expcet: { status: 200 }\n");
        text.push_str("  - name: wrong type\n    retries: [1]\n    steps: []\n");
        let path = dir.path().join("a.yaml");
        std::fs::write(&path, &text).unwrap();
        let said = |diagnostics: &[Diagnostic]| -> Vec<(u32, u32, String)> {
            diagnostics
                .iter()
                .filter(|d| d.is_error())
                .map(|d| (d.loc.line, d.loc.col, d.message.clone()))
                .collect()
        };
        let from_trees =
            said(&load(std::slice::from_ref(&path), &LoadOptions::default()).diagnostics);
        let display = crate::diagnostic::display_path(&path);
        let from_json = said(&check_text(&display, &text, &LoadOptions::default()));
        assert_eq!(from_trees, from_json);
        assert_eq!(from_trees.len(), 2, "{from_trees:?}");
        assert_eq!(
            (from_trees[0].0, from_trees[0].1),
            (17, 9),
            "{from_trees:?}"
        );
        assert!(
            from_trees[0].2.contains("unknown field `expcet`"),
            "{from_trees:?}"
        );
    }

    #[test]
    fn a_big_file_read_scenario_by_scenario_has_every_position() {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("name: Big\nscenarios:\n");
        for i in 0..600 {
            text.push_str(&format!(
                "  - name: s{i}\n    steps:\n      - request: {{ method: GET, url: 'http://h/{i}' }}\n"
            ));
        }
        let path = dir.path().join("big.yaml");
        std::fs::write(&path, &text).unwrap();
        let mut diagnostics = Vec::new();
        let ReadSuite { scenarios, doc, .. } =
            read_suite(&path, &text, &mut diagnostics, &AtomicUsize::new(0)).unwrap();
        assert!(diagnostics.is_empty());
        assert_eq!(scenarios.len(), 600);
        assert_eq!(doc.positions.get("/scenarios/599"), Some((1800, 5)));
        assert_eq!(
            doc.positions.get("/scenarios/599/steps/0/request/url"),
            Some((1802, 33))
        );
    }
}
