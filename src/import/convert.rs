//! A Postman collection → spec files, as text (no I/O here).
//!
//! Each top-level folder becomes one spec file with one scenario, its requests (nested folders
//! flattened, `Sub / Request`) the steps in order, so captures flow from request to request as
//! in a Postman run. Requests at the top level share one file named after the collection. When
//! a folder uses what an earlier folder captured (the token from "Auth"), the earlier folder's
//! steps move to `_fragments/` and every spec that needs them includes them in `setup`, so each
//! file still runs alone and in parallel. Variables become `vars`; secrets are read from the
//! environment (`{{env.POSTMAN_…}}`), never written.

use super::names::{self, Names};
use super::postman::{Auth, Collection, Environment, Item, RequestOrUrl, script_lines};
use super::request::{self, Ctx, RequestIr, StepOut};
use super::vars::{self, BaseUrl, Secrets, VarTable};
use gigcheck_core::environment::WELL_KNOWN_VARS;
use gigcheck_core::yaml::write::{self as yaml, Entry, Item as YamlItem, Node};
use std::collections::{BTreeMap, BTreeSet};

/// What to convert, and how to name it in the files' headers.
pub struct Input<'a> {
    pub collection: &'a Collection,
    pub environment: Option<&'a Environment>,
    pub collection_file: &'a str,
    pub environment_file: Option<&'a str>,
}

/// The converted collection.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub collection: String,
    pub files: Vec<OutFile>,
    /// Everything not translated.
    pub notes: Vec<Note>,
    /// How each secret variable gets its value.
    pub secrets: Vec<SecretNote>,
    /// Folders with no requests (no file written).
    pub empty_folders: Vec<String>,
    pub requests: usize,
    /// Secret variables whose values are too short to search the output for.
    pub short_secrets: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct OutFile {
    /// Relative to the output folder, `/`-separated: `02-orders.yaml`, `_fragments/01-auth.yaml`.
    pub path: String,
    pub text: String,
    pub fragment: bool,
    pub title: String,
    pub steps: usize,
}

/// Something not translated: where it is kept as a comment, for which request, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub file: String,
    pub request: String,
    pub what: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretNote {
    pub name: String,
    pub how: String,
}

/// One future spec file: a top-level folder, or the top-level requests.
struct Unit {
    title: String,
    description: Option<String>,
    requests: Vec<RequestIr>,
    /// Scripts on the folder and its sub-folders: (folder, kind, lines).
    scripts: Vec<(String, &'static str, Vec<String>)>,
}

impl Unit {
    fn new(title: &str, description: Option<String>) -> Unit {
        Unit {
            title: if title.trim().is_empty() {
                "Untitled".to_string()
            } else {
                title.trim().to_string()
            },
            description,
            requests: Vec::new(),
            scripts: Vec::new(),
        }
    }
}

/// Converts; `Err` only when the output would be wrong (a secret value that could not be kept
/// out, or a generated file gigcheck itself would not read), which the message explains.
pub fn convert(input: &Input) -> Result<Output, String> {
    let mut table = VarTable::new(input.collection, input.environment);
    let (units, empty_folders) = read_units(input.collection, &mut table);
    let analysis = analyse(&units, &table);
    let secrets = Secrets::new(&table, &analysis.names);
    let ctx = Ctx {
        names: &analysis.names,
        base: analysis.base.as_ref(),
        secrets: &secrets,
    };
    let steps: Vec<Vec<StepOut>> = units
        .iter()
        .map(|u| u.requests.iter().map(|r| request::step(r, &ctx)).collect())
        .collect();
    let mut writer = Writer {
        input,
        table: &table,
        analysis: &analysis,
        secrets: &secrets,
        units: &units,
        steps: &steps,
        collection_scripts: collection_scripts(input.collection, &secrets),
        out: Output {
            collection: secrets.scrub(&input.collection.info.name),
            empty_folders: empty_folders.iter().map(|f| secrets.scrub(f)).collect(),
            requests: units.iter().map(|u| u.requests.len()).sum(),
            ..Output::default()
        },
    };
    writer.files();
    writer.secret_notes();
    let mut out = writer.out;
    let (short, long): (Vec<_>, Vec<_>) = table
        .secret_values()
        .into_iter()
        .partition(|(_, v)| v.chars().count() < Secrets::MIN_LEN);
    out.short_secrets = short.into_iter().map(|(n, _)| n).collect();
    verify(&out, &long)?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Reading the tree

fn read_units(collection: &Collection, table: &mut VarTable) -> (Vec<Unit>, Vec<String>) {
    let top_auth = collection.auth.as_ref();
    let mut units = Vec::new();
    let mut empty = Vec::new();
    let mut loose: Option<Unit> = None;
    for item in &collection.item {
        if item.is_folder() {
            units.extend(loose.take());
            let mut unit = Unit::new(&item.name, description(item));
            read_folder(
                item,
                None,
                effective(item.auth.as_ref(), top_auth),
                &mut unit,
                table,
            );
            if unit.requests.is_empty() && unit.scripts.is_empty() {
                empty.push(unit.title);
            } else {
                units.push(unit);
            }
        } else if let Some(request) = &item.request {
            loose
                .get_or_insert_with(|| Unit::new(&collection.info.name, None))
                .requests
                .push(read_request(item, request, "", top_auth, table));
        }
    }
    units.extend(loose);
    number_repeated_titles(&mut units);
    (units, empty)
}

/// `Orders`, `Orders (2)`: every suite gets its own name.
fn number_repeated_titles(units: &mut [Unit]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for unit in units {
        let n = seen.entry(unit.title.clone()).or_default();
        *n += 1;
        if *n > 1 {
            unit.title = format!("{} ({n})", unit.title);
        }
    }
}

fn description(item: &Item) -> Option<String> {
    item.description
        .as_ref()
        .map(|d| d.text().trim().to_string())
        .filter(|d| !d.is_empty())
}

/// An item's own auth, unless it inherits (none, or `inherit`).
fn effective<'a>(own: Option<&'a Auth>, inherited: Option<&'a Auth>) -> Option<&'a Auth> {
    own.filter(|a| a.kind != "inherit").or(inherited)
}

/// Reads a folder's requests into `unit`; `path` is the names of the folders between the
/// top-level folder and this one (`None` for the top-level folder itself).
fn read_folder(
    folder: &Item,
    path: Option<&str>,
    auth: Option<&Auth>,
    unit: &mut Unit,
    table: &mut VarTable,
) {
    let name = folder.name.trim();
    let label = match path {
        None => name.to_string(),
        Some(p) => format!("{p}{name}"),
    };
    for (listen, kind) in [
        ("prerequest", "pre-request script"),
        ("test", "test script"),
    ] {
        let lines = super::script::code_lines(&folder.script(listen));
        if !lines.is_empty() {
            unit.scripts.push((label.clone(), kind, lines));
        }
    }
    let prefix = match path {
        None => String::new(),
        Some(_) => format!("{label} / "),
    };
    for child in folder.item.iter().flatten() {
        if child.is_folder() {
            let auth = effective(child.auth.as_ref(), auth);
            read_folder(child, Some(&prefix), auth, unit, table);
        } else if let Some(request) = &child.request {
            unit.requests
                .push(read_request(child, request, &prefix, auth, table));
        }
    }
}

fn read_request(
    item: &Item,
    request: &RequestOrUrl,
    prefix: &str,
    auth: Option<&Auth>,
    table: &mut VarTable,
) -> RequestIr {
    let name = if item.name.trim().is_empty() {
        "Untitled request"
    } else {
        item.name.trim()
    };
    RequestIr::read(
        format!("{prefix}{name}"),
        request,
        auth,
        (item.script("test"), item.script("prerequest")),
        table,
    )
}

fn collection_scripts(collection: &Collection, secrets: &Secrets) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (listen, kind) in [
        ("prerequest", "pre-request script"),
        ("test", "test script"),
    ] {
        for line in super::script::code_lines(&script_lines(&collection.event, listen)) {
            out.push((kind.to_string(), secrets.scrub(&line)));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Analysis: names, base URL, types

struct Analysis {
    names: Names,
    base: Option<BaseUrl>,
    /// Postman variables used unquoted in JSON bodies (their numbers stay numbers).
    typed: BTreeSet<String>,
    /// gigcheck names standing for Postman dynamic variables with no generator.
    dynamic: BTreeSet<String>,
}

fn analyse(units: &[Unit], table: &VarTable) -> Analysis {
    let requests: Vec<&RequestIr> = units.iter().flat_map(|u| &u.requests).collect();
    let urls: Vec<String> = requests.iter().map(|r| r.url.clone()).collect();
    let base = vars::detect_base(&urls, table);
    let captured: BTreeSet<String> = requests
        .iter()
        .flat_map(|r| r.test.checks.captures.keys().cloned())
        .collect();
    let texts: Vec<String> = requests
        .iter()
        .flat_map(|r| r.texts())
        .chain(
            table
                .vars
                .iter()
                .map(|v| super::postman::value_text(&v.value)),
        )
        .collect();
    let referenced: BTreeSet<String> = texts.iter().flat_map(|t| names::referenced(t)).collect();
    let typed: BTreeSet<String> = requests.iter().flat_map(|r| r.unquoted_vars()).collect();
    let dynamic = texts.iter().flat_map(|t| dynamic_vars(t)).collect();
    Analysis {
        names: vars::build_names(table, &referenced, &captured, base.as_ref(), &typed),
        base,
        typed,
        dynamic,
    }
}

/// `{{$name}}` placeholders with no gigcheck generator, as the variables standing for them.
fn dynamic_vars(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{$") {
        let after = &rest[start + 3..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if names::dynamic_generator(name).is_none() {
            out.push(names::dynamic_var(name));
        }
        rest = &after[end + 2..];
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Writing the files

struct Writer<'a> {
    input: &'a Input<'a>,
    table: &'a VarTable,
    analysis: &'a Analysis,
    secrets: &'a Secrets,
    units: &'a [Unit],
    steps: &'a [Vec<StepOut>],
    collection_scripts: Vec<(String, String)>,
    out: Output,
}

/// Variables gigcheck's runner provides; specs may use them without defining them.
fn provided(name: &str) -> bool {
    gigcheck_core::engine::BUILTIN_VARS.contains(&name)
        || WELL_KNOWN_VARS.iter().any(|(v, _, _)| *v == name)
}

impl Writer<'_> {
    fn files(&mut self) {
        let deps = self.dependencies();
        let shared: BTreeSet<usize> = deps.iter().flatten().copied().collect();
        let width = if self.units.len() >= 100 { 3 } else { 2 };
        let stems: Vec<String> = self
            .units
            .iter()
            .enumerate()
            .map(|(i, u)| format!("{:0width$}-{}", i + 1, slug(&u.title)))
            .collect();
        for (i, unit) in self.units.iter().enumerate() {
            let suite_path = format!("{}.yaml", stems[i]);
            let fragment_path = format!("_fragments/{}.yaml", stems[i]);
            let home = if shared.contains(&i) {
                fragment_path.clone()
            } else {
                suite_path.clone()
            };
            let (own_steps, notes, orphans) = self.own_steps(i);
            for (request, what) in notes {
                self.note(&home, &request, what);
            }
            let own = if shared.contains(&i) {
                let users: Vec<&str> = (0..self.units.len())
                    .filter(|u| deps[*u].contains(&i))
                    .map(|u| self.units[u].title.as_str())
                    .collect();
                self.fragment(&fragment_path, unit, own_steps, &users);
                vec![include_step(&format!("{}.yaml", stems[i]))]
            } else {
                own_steps
            };
            let includes: Vec<String> = deps[i]
                .iter()
                .map(|d| format!("{}.yaml", stems[*d]))
                .collect();
            self.suite(&suite_path, i, (own, orphans), &includes, &deps[i]);
        }
        self.collection_notes();
    }

    /// For each unit, the earlier units whose captures it needs (directly or through them).
    fn dependencies(&self) -> Vec<BTreeSet<usize>> {
        let captures: Vec<BTreeSet<String>> = self
            .steps
            .iter()
            .map(|steps| {
                steps
                    .iter()
                    .flat_map(|s| s.captures.iter().cloned())
                    .collect()
            })
            .collect();
        let mut deps: Vec<BTreeSet<usize>> = Vec::new();
        for (u, steps) in self.steps.iter().enumerate() {
            let mut mine = BTreeSet::new();
            for need in needs(steps.iter()) {
                if let Some(w) = (0..u).rev().find(|w| captures[*w].contains(&need)) {
                    mine.insert(w);
                    mine.extend(deps[w].iter().copied());
                }
            }
            deps.push(mine);
        }
        deps
    }

    /// A unit's steps as sequence items, its notes as (request, what), and the comments of
    /// requests that could not be written when no step is left to carry them.
    fn own_steps(&self, unit: usize) -> (Vec<YamlItem>, Vec<(String, String)>, Vec<String>) {
        let mut items: Vec<YamlItem> = Vec::new();
        let mut notes = Vec::new();
        let mut pending = Vec::new();
        for (ir, out) in self.units[unit].requests.iter().zip(&self.steps[unit]) {
            let request = self.secrets.scrub(&ir.name);
            notes.extend(out.notes.iter().map(|n| (request.clone(), n.clone())));
            match &out.item {
                Some(item) => {
                    let mut item = item.clone();
                    item.comments.splice(0..0, pending.drain(..));
                    items.push(item);
                }
                None => {
                    pending.push(format!("Request \"{request}\" was not written:"));
                    pending.extend(out.comments.iter().cloned());
                }
            }
        }
        match items.last_mut() {
            Some(last) => {
                last.comments.append(&mut pending);
                (items, notes, Vec::new())
            }
            None => (items, notes, pending),
        }
    }

    fn note(&mut self, file: &str, request: &str, what: String) {
        self.out.notes.push(Note {
            file: file.to_string(),
            request: request.to_string(),
            what,
        });
    }

    fn header(&self, title: &str) -> Vec<String> {
        let mut lines = vec![format!(
            "Imported from the Postman collection \"{}\" ({}) by `gigcheck import postman`.",
            self.out.collection, self.input.collection_file
        )];
        if let Some(env) = self.input.environment_file {
            lines.push(format!(
                "Variables also from the Postman environment {env}."
            ));
        }
        lines.push(format!("Postman folder: {}", self.secrets.scrub(title)));
        lines
    }

    fn fragment(&mut self, path: &str, unit: &Unit, steps: Vec<YamlItem>, users: &[&str]) {
        let mut header = self.header(&unit.title);
        header.push(format!(
            "Shared steps: the specs of {} include them in `setup`, because they use what these steps capture.",
            users.join(", ")
        ));
        let count = steps.len();
        let root = vec![
            Entry::new(
                "description",
                Node::str(format!(
                    "Postman folder {}",
                    self.secrets.scrub(&unit.title)
                )),
            ),
            Entry::new("steps", Node::Seq(steps)),
        ];
        self.push_file(path, true, &unit.title, yaml::render(&header, &root), count);
    }

    fn suite(
        &mut self,
        path: &str,
        unit: usize,
        (steps, orphans): (Vec<YamlItem>, Vec<String>),
        includes: &[String],
        deps: &BTreeSet<usize>,
    ) {
        let u = &self.units[unit];
        let mut header = self.header(&u.title);
        if !self.collection_scripts.is_empty() {
            header.push("Collection scripts (gigcheck does not run scripts):".into());
            header.extend(
                self.collection_scripts
                    .iter()
                    .map(|(_, l)| format!("postman: {l}")),
            );
        }
        let mut root = vec![Entry::new("name", Node::str(self.secrets.scrub(&u.title)))];
        if let Some(d) = &u.description {
            root.push(Entry::new("description", Node::str(self.secrets.scrub(d))));
        }
        let sequence: Vec<&StepOut> = deps
            .iter()
            .chain(std::iter::once(&unit))
            .flat_map(|i| &self.steps[*i])
            .collect();
        let (vars, var_notes) = self.vars(needs(sequence.into_iter()));
        for what in var_notes {
            self.note(path, "(variables)", what);
        }
        if !vars.is_empty() {
            root.push(Entry::new("vars", Node::Map(vars)));
        }
        if !includes.is_empty() {
            root.push(Entry::new(
                "setup",
                Node::Seq(includes.iter().map(|f| include_step(f)).collect()),
            ));
        }
        let steps_count = steps.len();
        let mut comments = self.folder_script_comments(unit, path);
        comments.extend(orphans);
        let scenario = YamlItem {
            comments,
            value: Node::map([
                ("name", Node::str(self.secrets.scrub(&u.title))),
                ("steps", Node::Seq(steps)),
            ]),
        };
        root.push(Entry::new("scenarios", Node::Seq(vec![scenario])));
        let title = u.title.clone();
        self.push_file(
            path,
            false,
            &title,
            yaml::render(&header, &root),
            steps_count,
        );
    }

    fn folder_script_comments(&mut self, unit: usize, path: &str) -> Vec<String> {
        let mut comments = Vec::new();
        for (folder, kind, lines) in &self.units[unit].scripts {
            let folder = self.secrets.scrub(folder);
            comments.push(format!(
                "Folder \"{folder}\" {kind} (gigcheck does not run scripts):"
            ));
            for line in lines {
                let line = self.secrets.scrub(line);
                comments.push(format!("postman: {line}"));
                self.out.notes.push(Note {
                    file: path.to_string(),
                    request: format!("(folder {folder})"),
                    what: format!("{kind}: {line}"),
                });
            }
        }
        comments
    }

    fn collection_notes(&mut self) {
        let notes: Vec<Note> = self
            .collection_scripts
            .iter()
            .map(|(kind, line)| Note {
                file: "(every spec file)".into(),
                request: "(collection)".into(),
                what: format!("{kind}: {line}"),
            })
            .collect();
        self.out.notes.extend(notes);
    }

    fn push_file(&mut self, path: &str, fragment: bool, title: &str, text: String, steps: usize) {
        self.out.files.push(OutFile {
            path: path.to_string(),
            text,
            fragment,
            title: self.secrets.scrub(title),
            steps,
        });
    }

    /// `vars` for the variables a spec reads before capturing them, in order of first use,
    /// each after the variables its value refers to.
    fn vars(&self, needed: Vec<String>) -> (Vec<Entry>, Vec<String>) {
        let mut entries = Vec::new();
        let mut notes = Vec::new();
        let mut done = BTreeSet::new();
        for name in needed {
            self.define(&name, &mut entries, &mut notes, &mut done);
        }
        (entries, notes)
    }

    fn define(
        &self,
        name: &str,
        entries: &mut Vec<Entry>,
        notes: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if provided(name) || !done.insert(name.to_string()) {
            return;
        }
        let names = &self.analysis.names;
        let var = self
            .table
            .vars
            .iter()
            .find(|v| names.reference(&v.name) == name && !v.value.is_null());
        let (value, comments) = match var {
            Some(var) => {
                let value = vars::spec_value(var, names, &self.analysis.typed);
                let node = Node::from_json(&value);
                for dep in request::uses(&node) {
                    self.define(&dep, entries, notes, done);
                }
                let comment = var.secret.then(|| {
                    format!(
                        "Secret: set the environment variable {} (the value is not written here).",
                        names::env_name(&var.name)
                    )
                });
                (node, comment.into_iter().collect())
            }
            None => {
                let why = if self.analysis.dynamic.contains(name) {
                    format!(
                        "`{name}` stands for a Postman dynamic variable gigcheck has no generator for; give it a value"
                    )
                } else {
                    format!(
                        "`{name}` is used before anything sets it (no value in the collection or environment, no earlier capture); give it a value"
                    )
                };
                notes.push(why.clone());
                (Node::str(""), vec![format!("postman: {why}")])
            }
        };
        entries.push(Entry::new(name, value).with_comments(comments));
    }

    fn secret_notes(&mut self) {
        for v in self.table.vars.iter().filter(|v| v.secret) {
            let how = match self.analysis.names.refs.get(&v.name) {
                Some(names::Reference::Provided(p)) => {
                    let env = WELL_KNOWN_VARS
                        .iter()
                        .find(|(n, _, _)| n == p)
                        .map_or("", |(_, e, _)| *e);
                    format!("{{{{{p}}}}}, which gigcheck provides: {env}, or the embedded sandbox")
                }
                _ if self
                    .steps
                    .iter()
                    .flatten()
                    .any(|s| s.captures.contains(&self.analysis.names.reference(&v.name))) =>
                {
                    format!(
                        "captured by a request; where it is needed earlier, from {}",
                        names::env_name(&v.name)
                    )
                }
                _ => format!("environment variable {}", names::env_name(&v.name)),
            };
            self.out.secrets.push(SecretNote {
                name: self.secrets.scrub(&v.name),
                how,
            });
        }
    }
}

/// The variables steps read before any of them captured them, in order of first use.
fn needs<'a>(steps: impl Iterator<Item = &'a StepOut>) -> Vec<String> {
    let mut captured = BTreeSet::new();
    let mut out: Vec<String> = Vec::new();
    for step in steps {
        for u in &step.uses {
            if !captured.contains(u) && !provided(u) && !out.contains(u) {
                out.push(u.clone());
            }
        }
        captured.extend(step.captures.iter().cloned());
    }
    out
}

fn include_step(path: &str) -> YamlItem {
    YamlItem {
        comments: Vec::new(),
        value: Node::map([("include", Node::str(format!("_fragments/{path}")))]),
    }
}

/// A file name from a title: lowercase ASCII letters and digits joined by `-`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out: String = out.trim_end_matches('-').chars().take(50).collect();
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "folder".into() } else { out }
}

/// The last line of defence: no secret value in any file or note, and every file reads as a
/// spec (or fragment).
fn verify(out: &Output, secrets: &[(String, String)]) -> Result<(), String> {
    let printed: Vec<String> = out
        .files
        .iter()
        .map(|f| f.text.clone())
        .chain(std::iter::once(out.summary(".")))
        .collect();
    for (name, value) in secrets {
        if printed.iter().any(|t| t.contains(value.as_str())) {
            return Err(format!(
                "the value of the secret variable `{name}` appears in the collection where gigcheck cannot replace it (e.g. as a JSON key or in a URL's host); nothing was written. Change that place in Postman to use {{{{{name}}}}}, then import again"
            ));
        }
    }
    for f in &out.files {
        let parsed = if f.fragment {
            gigcheck_core::yaml::from_str::<gigcheck_core::spec::Fragment>(&f.text).map(|_| ())
        } else {
            gigcheck_core::yaml::from_str::<gigcheck_core::spec::Suite>(&f.text).map(|_| ())
        };
        parsed.map_err(|e| {
            format!(
                "gigcheck wrote {} in a form it cannot read back ({e}); this is a bug in `gigcheck import postman`, please report it with the collection",
                f.path
            )
        })?;
    }
    Ok(())
}

impl Output {
    /// The summary printed after writing: files, secrets, and everything not translated.
    pub fn summary(&self, out_dir: &str) -> String {
        let mut s = format!(
            "Imported \"{}\": {} into {} in {out_dir}\n",
            self.collection,
            gigcheck_base::text::count(self.requests, "request"),
            gigcheck_base::text::count(self.files.len(), "file")
        );
        for f in &self.files {
            let kind = if f.fragment { "shared steps" } else { "spec" };
            s.push_str(&format!(
                "  {out_dir}/{}  ({kind}: {}, {})\n",
                f.path,
                f.title,
                gigcheck_base::text::count(f.steps, "step")
            ));
        }
        for folder in &self.empty_folders {
            s.push_str(&format!(
                "  (folder \"{folder}\" has no requests: no file)\n"
            ));
        }
        if !self.secrets.is_empty() {
            s.push_str("\nSecrets (values not written anywhere):\n");
            for secret in &self.secrets {
                s.push_str(&format!("  {} → {}\n", secret.name, secret.how));
            }
        }
        for name in &self.short_secrets {
            s.push_str(&format!(
                "  note: the value of secret `{name}` is shorter than {} characters; gigcheck did not search the output for it\n",
                Secrets::MIN_LEN
            ));
        }
        s.push_str(&self.notes_summary(out_dir));
        s.push_str(&format!("\nNext: gigcheck validate {out_dir}\n"));
        s
    }

    fn notes_summary(&self, out_dir: &str) -> String {
        if self.notes.is_empty() {
            return "\nEverything was translated.\n".to_string();
        }
        let mut s = format!(
            "\nNot translated ({}, kept as `# postman:` comments beside their steps):\n",
            gigcheck_base::text::count(self.notes.len(), "item")
        );
        let mut by_file: BTreeMap<&str, Vec<&Note>> = BTreeMap::new();
        for n in &self.notes {
            by_file.entry(n.file.as_str()).or_default().push(n);
        }
        for (file, notes) in by_file {
            let shown = if file.starts_with('(') {
                file.to_string()
            } else {
                format!("{out_dir}/{file}")
            };
            s.push_str(&format!("  {shown}\n"));
            for n in notes {
                s.push_str(&format!(
                    "    {}: {}\n",
                    n.request,
                    shorten(&yaml::comment_text(&n.what), 140)
                ));
            }
        }
        s
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max - 1).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::postman::{parse_collection, parse_environment};

    const SCHEMA: &str = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

    fn convert_text(collection: &str, env: Option<&str>) -> Output {
        let c = parse_collection(collection).unwrap();
        let e = env.map(|e| parse_environment(e).unwrap());
        convert(&Input {
            collection: &c,
            environment: e.as_ref(),
            collection_file: "c.json",
            environment_file: env.map(|_| "e.json"),
        })
        .unwrap()
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Orders & Payments"), "orders-payments");
        assert_eq!(slug("  --  "), "folder");
        assert_eq!(slug("Ünïcode 2"), "n-code-2");
    }

    #[test]
    fn a_folder_that_needs_another_folders_capture_includes_it() {
        let c = format!(
            r#"{{"info": {{"name": "Shop", "schema": "{SCHEMA}"}},
              "variable": [{{"key": "baseUrl", "value": "http://localhost:5000"}}],
              "auth": {{"type": "bearer", "bearer": [{{"key": "token", "value": "{{{{token}}}}"}}]}},
              "item": [
                {{"name": "Auth", "item": [{{"name": "Log in", "request": {{"method": "POST", "url": "{{{{baseUrl}}}}/api/auth/login",
                   "auth": {{"type": "noauth"}}, "body": {{"mode": "raw", "raw": "{{\"password\": \"{{{{password}}}}\"}}"}}}},
                   "event": [{{"listen": "test", "script": {{"exec": ["pm.environment.set('token', pm.response.json().token);"]}}}}]}}]}},
                {{"name": "Orders", "item": [{{"name": "List", "request": {{"method": "GET", "url": "{{{{baseUrl}}}}/api/orders"}}}}]}},
                {{"name": "Empty", "item": []}}
              ]}}"#
        );
        let env = r#"{"values": [{"key": "password", "value": "Very$ecret1", "type": "secret"}]}"#;
        let out = convert_text(&c, Some(env));
        let paths: Vec<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["_fragments/01-auth.yaml", "01-auth.yaml", "02-orders.yaml"]
        );
        assert_eq!(out.empty_folders, ["Empty"]);
        let orders = &out.files[2].text;
        assert!(
            orders.contains("setup:\n  - include: _fragments/01-auth.yaml\n"),
            "{orders}"
        );
        assert!(
            orders.contains("password: \"{{env.POSTMAN_PASSWORD}}\""),
            "{orders}"
        );
        assert!(orders.contains("bearer: \"{{token}}\""), "{orders}");
        for f in &out.files {
            assert!(!f.text.contains("Very$ecret1"));
        }
        assert_eq!(out.secrets[0].how, "environment variable POSTMAN_PASSWORD");
    }

    #[test]
    fn a_secret_value_that_cannot_be_replaced_stops_the_import() {
        let c = format!(
            r#"{{"info": {{"name": "C", "schema": "{SCHEMA}"}},
              "item": [{{"name": "R", "request": {{"method": "POST", "url": "https://x/y",
                 "body": {{"mode": "raw", "raw": "{{\"Hunter2-pass\": 1}}"}}}}}}]}}"#
        );
        let env = r#"{"values": [{"key": "apiSecret", "value": "Hunter2-pass"}]}"#;
        let col = parse_collection(&c).unwrap();
        let env = parse_environment(env).unwrap();
        let err = convert(&Input {
            collection: &col,
            environment: Some(&env),
            collection_file: "c.json",
            environment_file: None,
        })
        .unwrap_err();
        assert!(
            err.contains("`apiSecret`") && !err.contains("Hunter2-pass"),
            "{err}"
        );
    }

    #[test]
    fn short_secrets_are_named_in_the_summary() {
        let c = format!(
            r#"{{"info": {{"name": "C", "schema": "{SCHEMA}"}},
              "item": [{{"name": "R", "request": {{"method": "GET", "url": "https://x/?pin={{{{pin}}}}"}}}}]}}"#
        );
        let out = convert_text(
            &c,
            Some(r#"{"values": [{"key": "pin", "value": "007", "type": "secret"}]}"#),
        );
        assert_eq!(out.short_secrets, ["pin"]);
        let summary = out.summary("specs/imported");
        assert!(
            summary.contains("the value of secret `pin` is shorter than 4 characters"),
            "{summary}"
        );
        assert!(out.files[0].text.contains("pin: \"{{env.POSTMAN_PIN}}\""));
    }

    #[test]
    fn undefined_variables_are_given_empty_values_and_listed() {
        let c = format!(
            r#"{{"info": {{"name": "C", "schema": "{SCHEMA}"}},
              "item": [{{"name": "R", "request": {{"method": "GET", "url": "https://x/{{{{missing}}}}/{{{{$randomInt}}}}"}}}}]}}"#
        );
        let out = convert_text(&c, None);
        let text = &out.files[0].text;
        assert!(text.contains("  missing: \"\"\n"), "{text}");
        assert!(text.contains("  postman_randomInt: \"\"\n"), "{text}");
        // Two variables, and a request with no test.
        assert_eq!(out.notes.len(), 3);
        let about_variables = out.notes.iter().filter(|n| n.request == "(variables)");
        assert_eq!(about_variables.count(), 2);
    }
}
