//! Loads spec files into the model: discovery, YAML parsing with positions, `include` resolution,
//! and the cross-checks that need the whole picture (see [`crosscheck`]).
//!
//! Loading never stops at the first problem: every diagnostic is collected so `gigcheck validate`
//! can report them all in one pass.

pub mod crosscheck;
pub mod discover;
pub mod positions;

use crate::checks::schema::SchemaStore;
use crate::contract::Contract;
use crate::diagnostic::{self, BOM, Diagnostic};
use crate::spec::roles::Roles;
use crate::spec::source::SourceDoc;
use crate::spec::{Action, Fragment, Loc, SourceRef, Step, Suite};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

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
///
/// Every spec file is parsed and checked up front, but only an outline of each (names, tags,
/// places) is kept, plus the whole model of the first suites while they are small: a run with
/// thousands of scenarios loads each suite again when its turn comes ([`Project::suite`]) and
/// drops it after, so memory does not grow with the number of scenarios.
pub struct Project {
    pub suites: Vec<SuiteOutline>,
    /// The `fixtures/` folder the specs use (test data, schemas, the contract's route list).
    pub fixtures_dir: PathBuf,
    pub schemas: SchemaStore,
    /// The catalogue roles the run finds in the target (`fixtures/roles.yaml`), if any.
    pub roles: Option<Roles>,
    /// The contract's routes and rules (`fixtures/contract.yaml`), if the project has it.
    pub contract: Option<Arc<Contract>>,
    pub diagnostics: Vec<Diagnostic>,
    opts: LoadOptions,
    /// Fragments already read, shared by every later load.
    fragments: Mutex<FragmentCache>,
}

/// What selection, listing and scheduling need to know of a suite without its steps.
#[derive(Debug)]
pub struct SuiteOutline {
    pub path: PathBuf,
    /// The file as shown to people.
    pub file: String,
    /// The suite's name, or the file name without extension.
    pub name: String,
    pub tags: Vec<String>,
    pub serial: bool,
    pub scenarios: Vec<ScenarioOutline>,
    /// The whole suite, kept from the first load while the kept total is small.
    kept: Option<Arc<LoadedSuite>>,
}

#[derive(Debug, Clone)]
pub struct ScenarioOutline {
    pub id: Option<String>,
    pub name: String,
    pub tags: Vec<String>,
    pub loc: Loc,
    /// The contract rules the scenario as a whole verifies.
    pub verifies: Vec<String>,
    /// The contract rules its steps verify (the suite's setup and teardown and every included
    /// fragment's steps too), sorted.
    pub step_rules: Vec<String>,
}

impl ScenarioOutline {
    pub fn title(&self) -> String {
        crate::spec::title(self.id.as_deref(), &self.name)
    }
}

/// Suites are kept whole after loading until they hold this many scenarios in all; later ones
/// are loaded again when they run. (About 15 KiB of model per scenario.)
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

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn has_errors(&self) -> bool {
        self.errors().next().is_some()
    }

    /// Suite `index`, whole: the kept one, or loaded again from its file. Loading again fails
    /// only if the file changed since it was checked and is no longer valid.
    pub fn suite(&self, index: usize) -> Result<Arc<LoadedSuite>, String> {
        let outline = self
            .suites
            .get(index)
            .ok_or_else(|| format!("no suite number {index} (this is a gigcheck bug)"))?;
        if let Some(kept) = &outline.kept {
            return Ok(kept.clone());
        }
        let mut diagnostics = Vec::new();
        let loaded = {
            let mut fragments = self
                .fragments
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let ctx = Context {
                fixtures_dir: &self.fixtures_dir,
                schemas: &self.schemas,
                contract: self.contract.as_deref(),
            };
            load_suite(
                &outline.path,
                &self.opts,
                &ctx,
                &mut fragments,
                &mut diagnostics,
            )
        };
        let first_error = diagnostics.iter().find(|d| d.is_error());
        match (loaded, first_error) {
            (Some(loaded), None) if loaded.suite.scenarios.len() == outline.scenarios.len() => {
                Ok(Arc::new(loaded))
            }
            (_, error) => Err(format!(
                "{} changed while gigcheck was running{}; run again",
                outline.file,
                error
                    .map(|d| format!(" ({}: {})", d.loc, d.message))
                    .unwrap_or_default()
            )),
        }
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
    let mut kept_scenarios = 0;
    for file in files {
        let Some(loaded) = load_suite(&file, opts, &ctx, &mut fragments, &mut diagnostics) else {
            continue;
        };
        crosscheck::unused_snapshots(&loaded, &mut snapshot_warnings);
        let mut outline = outline(&loaded);
        kept_scenarios += outline.scenarios.len();
        if kept_scenarios <= KEEP_LOADED_SCENARIOS {
            outline.kept = Some(Arc::new(loaded));
        }
        suites.push(outline);
    }
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
        opts: opts.clone(),
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
    if let Some(loaded) = load_suite_text(path, text, opts, &ctx, &mut fragments, &mut diagnostics)
    {
        crosscheck::unused_snapshots(&loaded, &mut diagnostics);
    }
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
            serde_yaml::from_str(text.trim_start_matches(BOM))
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

/// Reads one spec file and checks it: fixtures, cross-checks, requirements.
fn load_suite(
    path: &Path,
    opts: &LoadOptions,
    ctx: &Context,
    fragments: &mut FragmentCache,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<LoadedSuite> {
    let text = read_file(path, diagnostics)?;
    load_suite_text(path, &text, opts, ctx, fragments, diagnostics)
}

/// What every suite of a project is checked against.
pub(crate) struct Context<'a> {
    pub fixtures_dir: &'a Path,
    pub schemas: &'a SchemaStore,
    /// The contract whose rule ids `verifies:` may name, if the project has one.
    pub contract: Option<&'a Contract>,
}

/// Parses the text of the spec file at `path` and checks it: fixtures, cross-checks,
/// requirements.
fn load_suite_text(
    path: &Path,
    text: &str,
    opts: &LoadOptions,
    ctx: &Context,
    fragments: &mut FragmentCache,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<LoadedSuite> {
    let mut loaded = parse_suite(path, text, fragments, diagnostics)?;
    loaded.fixture_vars = load_fixtures(&loaded, ctx.fixtures_dir, diagnostics);
    loaded.requirements = crosscheck::check_suite(&loaded, opts, ctx, diagnostics);
    Some(loaded)
}

fn outline(loaded: &LoadedSuite) -> SuiteOutline {
    SuiteOutline {
        path: loaded.doc.path.clone(),
        file: loaded.doc.display.clone(),
        name: loaded.name.clone(),
        tags: loaded.suite.tags.clone(),
        serial: loaded.suite.serial,
        scenarios: loaded
            .suite
            .scenarios
            .iter()
            .map(|s| ScenarioOutline {
                id: s.id.clone(),
                name: s.name.clone(),
                tags: s.tags.clone(),
                loc: s.src.loc(),
                verifies: s.verifies.clone(),
                step_rules: loaded.suite.step_rules(s),
            })
            .collect(),
        kept: None,
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

/// Files from this size on are indexed on a second thread while serde_yaml parses them.
const PARALLEL_INDEX_BYTES: usize = 32 * 1024;

/// Reads a YAML file into `T` and indexes its positions. Errors become diagnostics.
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

/// Parses the text of the YAML file at `path` into `T` and indexes its positions. Errors become
/// diagnostics.
fn parse_text<T: serde::de::DeserializeOwned>(
    path: &Path,
    text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(T, Arc<SourceDoc>)> {
    let display = crate::diagnostic::display_path(path);
    if reuses_nodes(text) {
        let positions = positions::index(text);
        return match merged::<T>(text) {
            Ok(value) => Some((
                value,
                Arc::new(SourceDoc {
                    path: path.to_path_buf(),
                    display,
                    positions,
                }),
            )),
            Err(MergedError::Yaml(e)) => {
                diagnostics.push(diagnostic::from_yaml_error(&e, &display, text));
                None
            }
            Err(MergedError::At { pointer, message }) => {
                let (line, col) = nearest(&positions, &pointer);
                let loc = Loc {
                    file: display,
                    line,
                    col,
                };
                diagnostics.push(diagnostic::from_yaml_message(message, loc, text));
                None
            }
        };
    }
    // The position index is a second, independent parse of the same text: on a big file it
    // runs beside serde_yaml's, on another core.
    let (parsed, positions) = if text.len() >= PARALLEL_INDEX_BYTES {
        std::thread::scope(|scope| {
            let index = scope.spawn(|| positions::index(text));
            let parsed = serde_yaml::from_str::<T>(text);
            (parsed, index.join().ok())
        })
    } else {
        (serde_yaml::from_str::<T>(text), None)
    };
    match parsed {
        Ok(value) => {
            let doc = Arc::new(SourceDoc {
                path: path.to_path_buf(),
                display,
                positions: positions.unwrap_or_else(|| positions::index(text)),
            });
            Some((value, doc))
        }
        Err(e) => {
            diagnostics.push(diagnostic::from_yaml_error(&e, &display, text));
            None
        }
    }
}

/// Whether a file uses YAML's merge keys (`<<: *base`) or top-level `x-…` keys (a home for
/// anchors), which serde_yaml does not resolve while reading into the model.
fn reuses_nodes(text: &str) -> bool {
    text.contains("<<") || text.lines().any(|l| l.starts_with("x-"))
}

/// Why [`merged`] failed: the YAML itself, or the model at a node.
enum MergedError {
    Yaml(serde_yaml::Error),
    /// At the node with this JSON Pointer (`/scenarios/0/steps/1`).
    At {
        pointer: String,
        message: String,
    },
}

/// Reads `text` as YAML, resolves merge keys, drops top-level `x-…` keys, then reads the model.
fn merged<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, MergedError> {
    let mut value: serde_yaml::Value = serde_yaml::from_str(text).map_err(MergedError::Yaml)?;
    value.apply_merge().map_err(MergedError::Yaml)?;
    if let serde_yaml::Value::Mapping(top) = &mut value {
        top.retain(|k, _| !k.as_str().is_some_and(|k| k.starts_with("x-")));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let mut pointer = String::new();
        for segment in e.path().iter() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    pointer.push_str(&format!("/{index}"));
                }
                serde_path_to_error::Segment::Map { key } => {
                    pointer.push('/');
                    pointer.push_str(&crate::spec::source::escape(key));
                }
                _ => {}
            }
        }
        let message = match e.path().to_string().as_str() {
            "." => e.inner().to_string(),
            path => format!("{path}: {}", e.inner()),
        };
        MergedError::At { pointer, message }
    })
}

/// The position of the node at `pointer`, or of its nearest ancestor the index has.
fn nearest(positions: &std::collections::HashMap<String, (u32, u32)>, pointer: &str) -> (u32, u32) {
    let mut at = pointer;
    loop {
        if let Some(p) = positions.get(at) {
            return *p;
        }
        match at.rfind('/') {
            Some(i) => at = &at[..i],
            None => return (1, 1),
        }
    }
}

fn parse_suite(
    path: &Path,
    text: &str,
    fragments: &mut FragmentCache,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<LoadedSuite> {
    let (mut suite, doc): (Suite, _) = parse_text(path, text, diagnostics)?;
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
    fn suites_past_the_kept_budget_are_loaded_again_and_a_changed_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let per_file = 100;
        let files = KEEP_LOADED_SCENARIOS / per_file + 2;
        for f in 0..files {
            let path = dir.path().join(format!("s{f:02}.yaml"));
            std::fs::write(&path, suite_file(per_file, "http://h/")).unwrap();
        }
        let project = load(&[dir.path().to_path_buf()], &LoadOptions::default());
        assert!(!project.has_errors());
        let kept = project.suites.iter().filter(|s| s.kept.is_some()).count();
        assert_eq!(
            kept,
            KEEP_LOADED_SCENARIOS / per_file,
            "the first suites stay whole"
        );
        let last = files - 1;
        assert!(project.suites[last].kept.is_none());
        let again = project.suite(last).unwrap();
        assert_eq!(again.suite.scenarios.len(), per_file);
        assert_eq!(again.suite.scenarios[7].src.loc().line, 30);
        assert_eq!(project.suites[last].scenarios[7].loc.line, 30);

        std::fs::write(
            &project.suites[last].path,
            suite_file(per_file, "{{undefined}}"),
        )
        .unwrap();
        let err = project.suite(last).unwrap_err();
        assert!(
            err.contains("changed while gigcheck was running") && err.contains("undefined"),
            "{err}"
        );
        std::fs::write(&project.suites[last].path, suite_file(3, "http://h/")).unwrap();
        assert!(
            project.suite(last).is_err(),
            "other scenarios than were selected"
        );
        assert!(project.suite(0).is_ok(), "a kept suite is not read again");
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
