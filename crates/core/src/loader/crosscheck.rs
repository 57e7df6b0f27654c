//! Checks that need more than one value at a time: every variable is defined before it is used,
//! schema files exist and compile, snapshot names are valid and unique, includes get their
//! parameters, a request has at most one body. Also records what each scenario needs from the
//! environment, so a run can skip a scenario whose secrets are not configured.

use super::{Context, LoadOptions, LoadedSuite};
use crate::checks::schema::SchemaStore;
use crate::contract::Contract;
use crate::diagnostic::Diagnostic;
use crate::spec::json_template::JsonTemplate;
use crate::spec::template::{Placeholder, Template};
use crate::spec::{
    Action, Call, Expect, HttpStep, Request, Scenario, SourceRef, Step, Vars, Webhook,
};
use gigcheck_base::text::closest;
use std::collections::{BTreeSet, HashMap};

/// What a scenario uses from outside the specs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Requirements {
    /// Environment variables read with `{{env.NAME}}`.
    pub(crate) env_vars: BTreeSet<String>,
    /// Variables the scenario reads that no spec defines (they must come from outside).
    pub external_vars: BTreeSet<String>,
    /// Hooks it calls.
    pub hooks: BTreeSet<String>,
}

struct Checker<'a> {
    schemas: &'a SchemaStore,
    contract: Option<&'a Contract>,
    /// Whether this suite was told that there is no contract to check `verifies` against.
    told_no_contract: bool,
    diagnostics: &'a mut Vec<Diagnostic>,
    /// Snapshot name → where it was first used.
    snapshots: HashMap<String, String>,
}

/// Variables defined at this point of a scenario.
#[derive(Clone)]
struct Scope {
    defined: Vec<String>,
    external: Vec<String>,
    needs: Requirements,
}

impl Scope {
    fn define(&mut self, name: &str) {
        if !self.defined.iter().any(|d| d == name) {
            self.defined.push(name.to_string());
        }
    }
}

/// Checks a suite's scenarios one at a time, against the suite they belong to.
pub(crate) struct SuiteChecker<'a> {
    loaded: &'a LoadedSuite,
    opts: &'a LoadOptions,
    schemas: &'a SchemaStore,
    contract: Option<&'a Contract>,
    /// Whether this suite was told that there is no contract to check `verifies` against.
    told_no_contract: bool,
    /// Snapshot name → where it was first used.
    snapshots: HashMap<String, String>,
}

impl<'a> SuiteChecker<'a> {
    pub(crate) fn new(
        loaded: &'a LoadedSuite,
        opts: &'a LoadOptions,
        ctx: &Context<'a>,
    ) -> SuiteChecker<'a> {
        SuiteChecker {
            loaded,
            opts,
            schemas: ctx.schemas,
            contract: ctx.contract,
            told_no_contract: false,
            snapshots: HashMap::new(),
        }
    }

    /// Checks one scenario of the suite; returns what it needs from outside.
    pub(crate) fn scenario(
        &mut self,
        scenario: &Scenario,
        diagnostics: &mut Vec<Diagnostic>,
    ) -> Requirements {
        let mut checker = Checker {
            schemas: self.schemas,
            contract: self.contract,
            told_no_contract: self.told_no_contract,
            diagnostics,
            snapshots: std::mem::take(&mut self.snapshots),
        };
        let suite = &self.loaded.suite;
        let root = SourceRef::new(self.loaded.doc.clone(), String::new());
        let mut scope = Scope {
            defined: Vec::new(),
            external: self.opts.external_vars.clone(),
            needs: Requirements::default(),
        };
        for name in self.loaded.fixture_vars.keys() {
            scope.define(name);
        }
        checker.vars(&suite.vars, &root.child("vars"), &mut scope);
        checker.vars(&scenario.vars, &scenario.src.child("vars"), &mut scope);
        checker.rules(&scenario.verifies, &scenario.src);
        if let Some(expect) = &suite.error_responses {
            if expect.snapshot.is_some() {
                checker.diagnostics.push(Diagnostic::error(
                    root.loc_of(&["error_responses", "snapshot"]),
                    "`error_responses` cannot take a snapshot: it applies to many responses",
                ));
            }
            checker.checks(expect, &root.child("error_responses"), &mut scope.clone());
        }
        checker.steps(&suite.setup, &mut scope);
        checker.steps(&scenario.steps, &mut scope);
        checker.steps(&scenario.teardown, &mut scope);
        checker.steps(&suite.teardown, &mut scope);
        self.told_no_contract = checker.told_no_contract;
        self.snapshots = checker.snapshots;
        scope.needs
    }
}

/// Warns about a suite file without scenarios.
pub(crate) fn no_scenarios(loaded: &LoadedSuite, diagnostics: &mut Vec<Diagnostic>) {
    let root = SourceRef::new(loaded.doc.clone(), String::new());
    diagnostics.push(Diagnostic::warning(
        root.loc_of(&["scenarios"]),
        "this suite has no scenarios",
    ));
}

impl Checker<'_> {
    /// Every id of a `verifies` list is a rule of the contract.
    fn rules(&mut self, ids: &[String], src: &SourceRef) {
        if ids.is_empty() {
            return;
        }
        let at = src.child("verifies");
        let Some(contract) = self.contract else {
            if !self.told_no_contract {
                self.told_no_contract = true;
                self.diagnostics.push(
                    Diagnostic::warning(
                        at.loc(),
                        "`verifies` names contract rules, but this project has no fixtures/contract.yaml: the ids are not checked and no rule coverage is reported",
                    )
                    .with_hint("list the rules in fixtures/contract.yaml under `rules:`"),
                );
            }
            return;
        };
        let known: Vec<&str> = contract.rule_ids().collect();
        for (i, id) in ids.iter().enumerate() {
            if contract.rules.contains_key(id) {
                continue;
            }
            let mut d = Diagnostic::error(
                at.child(i).loc(),
                format!("`{id}` is not a rule of the contract (fixtures/contract.yaml)"),
            );
            d = match closest(id, &known) {
                Some(c) => d.with_hint(format!("did you mean `{c}`?")),
                None => {
                    let prefix = id.split('.').next().unwrap_or_default();
                    let family: Vec<&str> = known
                        .iter()
                        .copied()
                        .filter(|k| k.split('.').next() == Some(prefix))
                        .collect();
                    if family.is_empty() {
                        d.with_hint("`gigcheck list --rules` lists the contract's rules")
                    } else {
                        d.with_hint(format!("the `{prefix}` rules are: {}", family.join(", ")))
                    }
                }
            };
            self.diagnostics.push(d);
        }
        for (i, id) in ids.iter().enumerate() {
            if ids[..i].contains(id) {
                self.diagnostics.push(Diagnostic::warning(
                    at.child(i).loc(),
                    format!("`{id}` is named twice"),
                ));
            }
        }
    }

    fn vars(&mut self, vars: &Vars, src: &SourceRef, scope: &mut Scope) {
        for (name, value) in vars {
            self.json(value, &src.child(name), scope);
            scope.define(name);
        }
    }

    fn steps(&mut self, steps: &[Step], scope: &mut Scope) {
        for step in steps {
            self.rules(&step.verifies, &step.src);
            self.vars(&step.vars, &step.src.child("vars"), scope);
            for (key, condition) in [("when", &step.when), ("unless", &step.unless)] {
                if let Some(t) = condition {
                    self.template(t, &step.src.child(key), scope);
                }
            }
            match &step.action {
                Action::Http(http) => self.http(http, &step.src, scope),
                Action::Hook(name) => {
                    scope.needs.hooks.insert(name.clone());
                }
                Action::Concurrent(c) => {
                    let at = step.src.child("concurrent");
                    if c.repeated {
                        self.request(&c.requests[0], &at.child("request"), scope);
                    } else {
                        for (i, req) in c.requests.iter().enumerate() {
                            self.request(req, &at.child("requests").child(i), scope);
                        }
                    }
                }
                Action::Include(include) => {
                    let with = step.src.child("with");
                    for (name, value) in &include.with {
                        self.json(value, &with.child(name), scope);
                    }
                    let Some(fragment) = &include.fragment else {
                        continue;
                    };
                    for param in &fragment.params {
                        if !include.with.contains_key(param) {
                            self.diagnostics.push(
                                Diagnostic::error(
                                    step.src.loc_of(&["include"]),
                                    format!("`{}` needs parameter `{param}`", include.path),
                                )
                                .with_hint(format!("add `with: {{ {param}: … }}` to this step")),
                            );
                        }
                    }
                    for name in include.with.keys() {
                        if !fragment.params.contains(name) {
                            let known: Vec<&str> =
                                fragment.params.iter().map(String::as_str).collect();
                            let mut d = Diagnostic::error(
                                with.loc_of(&[name]),
                                format!("`{}` has no parameter `{name}`", include.path),
                            );
                            d = match closest(name, &known) {
                                Some(c) => d.with_hint(format!("did you mean `{c}`?")),
                                None => {
                                    d.with_hint(format!("its parameters are: {}", known.join(", ")))
                                }
                            };
                            self.diagnostics.push(d);
                        }
                    }
                    for param in &fragment.params {
                        scope.define(param);
                    }
                    self.steps(&fragment.steps, scope);
                }
            }
        }
    }

    fn http(&mut self, step: &HttpStep, src: &SourceRef, scope: &mut Scope) {
        match &step.call {
            Call::Request(req) => self.request(req, &src.child("request"), scope),
            Call::Webhook(hook) => self.webhook(hook, &src.child("webhook"), scope),
        }
        self.expect(step, src, scope);
        if step.expect.is_empty() && step.capture.is_empty() {
            self.diagnostics.push(
                Diagnostic::warning(
                    src.loc(),
                    "this step checks nothing but that the answer is not a server error (5xx)",
                )
                .with_hint("add `expect: { status: … }` with the status the step is written for"),
            );
        }
    }

    fn webhook(&mut self, hook: &Webhook, src: &SourceRef, scope: &mut Scope) {
        self.json(&hook.object, &src.child("object"), scope);
        self.template(&hook.url, &src.child("url"), scope);
        if let Some(id) = &hook.id {
            self.template(id, &src.child("id"), scope);
        }
        match &hook.secret {
            Some(secret) => self.template(secret, &src.child("secret"), scope),
            None => {
                let implicit = Placeholder::Var {
                    name: "webhook_secret".into(),
                    fields: Vec::new(),
                };
                self.placeholder(&implicit, src, scope);
            }
        }
    }

    fn request(&mut self, req: &Request, rsrc: &SourceRef, scope: &mut Scope) {
        self.template(&req.url, &rsrc.child("url"), scope);
        for (k, v) in &req.query {
            self.template(v, &rsrc.child("query").child(k), scope);
        }
        for (k, v) in &req.headers {
            self.template(v, &rsrc.child("headers").child(k), scope);
        }
        if let Some(b) = &req.bearer {
            self.template(b, &rsrc.child("bearer"), scope);
        }
        if let Some(j) = &req.json {
            self.json(j, &rsrc.child("json"), scope);
        }
        if let Some(form) = &req.form {
            for (k, v) in form {
                self.template(v, &rsrc.child("form").child(k), scope);
            }
        }
        if let Some(b) = &req.body {
            self.template(b, &rsrc.child("body"), scope);
        }
        let bodies = [req.json.is_some(), req.form.is_some(), req.body.is_some()];
        if bodies.iter().filter(|b| **b).count() > 1 {
            self.diagnostics.push(
                Diagnostic::error(
                    rsrc.loc(),
                    "a request has one body: `json`, `form` or `body`",
                )
                .with_hint("remove all but one of them"),
            );
        }
    }

    fn expect(&mut self, step: &HttpStep, src: &SourceRef, scope: &mut Scope) {
        self.checks(&step.expect, &src.child("expect"), scope);
        if let Some(retry) = &step.retry
            && retry.attempts == 0
        {
            self.diagnostics.push(Diagnostic::error(
                src.loc_of(&["retry", "attempts"]),
                "`attempts` counts every try, so it must be at least 1",
            ));
        }
        for name in step.capture.keys() {
            scope.define(name);
        }
    }

    /// An `expect` block: templates, schema, snapshot.
    fn checks(&mut self, expect: &Expect, esrc: &SourceRef, scope: &mut Scope) {
        if expect.statuses.is_some() {
            self.diagnostics.push(
                Diagnostic::error(
                    esrc.loc_of(&["statuses"]),
                    "`statuses` counts the answers of a `concurrent` step",
                )
                .with_hint("for one request use `status`"),
            );
        }
        for (path, assertion) in &expect.body {
            let at = esrc.child("body").child(path);
            match crate::spec::values::BodyPath::parse(path) {
                Ok(p) => self.template(&p.template, &at, scope),
                Err(e) => self.diagnostics.push(Diagnostic::error(at.loc(), e)),
            }
            for t in assertion.0.iter().flat_map(|a| a.templates()) {
                self.json(t, &at, scope);
            }
        }
        for (name, assertion) in &expect.headers {
            for t in assertion.0.iter().flat_map(|a| a.templates()) {
                self.json(t, &esrc.child("headers").child(name), scope);
            }
        }
        if let Some(text) = &expect.text {
            for t in text.0.iter().flat_map(|a| a.templates()) {
                self.json(t, &esrc.child("text"), scope);
            }
        }
        if let Some(schema) = &expect.schema
            && let Err(message) = self.schemas.compile(schema)
        {
            self.diagnostics
                .push(Diagnostic::error(esrc.loc_of(&["schema"]), message));
        }
        if let Some(snapshot) = &expect.snapshot {
            let at = esrc.child("snapshot");
            let valid = !snapshot.name.is_empty()
                && snapshot
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !valid {
                self.diagnostics.push(
                    Diagnostic::error(
                        at.loc(),
                        format!("snapshot name `{}` cannot be a file name", snapshot.name),
                    )
                    .with_hint("use letters, digits, `-`, `_` and `.`"),
                );
            }
            let here = at.loc().to_string();
            if let Some(first) = self.snapshots.get(&snapshot.name) {
                if *first != here {
                    self.diagnostics.push(
                        Diagnostic::error(
                            at.loc(),
                            format!("snapshot `{}` is already used at {first}", snapshot.name),
                        )
                        .with_hint("each snapshot needs its own name"),
                    );
                }
            } else {
                self.snapshots.insert(snapshot.name.clone(), here);
            }
            for path in snapshot.redact.keys() {
                if let Err(e) = crate::spec::values::parse_json_path(path) {
                    self.diagnostics
                        .push(Diagnostic::error(at.loc_of(&["redact", path]), e));
                }
            }
        }
    }

    fn json(&mut self, value: &JsonTemplate, src: &SourceRef, scope: &mut Scope) {
        for ph in value.placeholders() {
            self.placeholder(ph, src, scope);
        }
    }

    fn template(&mut self, t: &Template, src: &SourceRef, scope: &mut Scope) {
        for ph in t.placeholders() {
            self.placeholder(ph, src, scope);
        }
        for name in t.operand_vars() {
            let operand = Placeholder::Var {
                name: name.to_string(),
                fields: Vec::new(),
            };
            self.placeholder(&operand, src, scope);
        }
        if t.signs_jwt() {
            let key = Placeholder::Var {
                name: crate::spec::template::JWT_SECRET_VAR.into(),
                fields: Vec::new(),
            };
            self.placeholder(&key, src, scope);
        }
    }

    fn placeholder(&mut self, ph: &Placeholder, src: &SourceRef, scope: &mut Scope) {
        match ph {
            Placeholder::Env(name) => {
                scope.needs.env_vars.insert(name.clone());
            }
            Placeholder::Generator(_) => {}
            Placeholder::Var { name, .. } => {
                if scope.defined.contains(name) {
                    return;
                }
                if scope.external.contains(name) {
                    scope.needs.external_vars.insert(name.clone());
                    return;
                }
                let candidates: Vec<&str> = scope
                    .defined
                    .iter()
                    .chain(&scope.external)
                    .map(String::as_str)
                    .collect();
                let mut d = Diagnostic::error(
                    src.loc(),
                    format!("variable `{name}` is used before it is defined"),
                );
                d = match closest(name, &candidates) {
                    Some(c) => d.with_hint(format!("did you mean `{c}`?")),
                    None => d.with_hint(format!(
                        "define it in `vars`, capture it in an earlier step, or pass `--var {name}=…`"
                    )),
                };
                self.diagnostics.push(d);
            }
        }
    }
}

/// Warns about `.snap` files of this suite that no step uses any more.
/// `used`: the snapshot names of every step of the suite ([`snapshot_names`]).
pub(crate) fn unused_snapshots(
    loaded: &LoadedSuite,
    used: &std::collections::HashSet<String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let Ok(entries) = std::fs::read_dir(&loaded.snapshot_dir) else {
        return;
    };
    let prefix = format!("{}__", loaded.file_stem());
    let mut unused: Vec<String> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| {
            let snapshot = name
                .strip_prefix(&prefix)?
                .strip_suffix(".snap")?
                .to_string();
            (!used.contains(&snapshot)).then_some(name)
        })
        .collect();
    unused.sort();
    for name in unused {
        let path = loaded.snapshot_dir.join(&name);
        diagnostics.push(
            Diagnostic::warning(
                crate::spec::Loc {
                    file: crate::diagnostic::display_path(&path),
                    ..Default::default()
                },
                format!(
                    "snapshot file {name} is not used by any step of {}",
                    loaded.doc.display
                ),
            )
            .with_hint("delete it if the step that used it is gone"),
        );
    }
}

/// Adds the snapshot names `steps` use (included fragments' too) to `out`.
pub(crate) fn snapshot_names(steps: &[Step], out: &mut std::collections::HashSet<String>) {
    for step in steps {
        match &step.action {
            Action::Http(h) => {
                if let Some(s) = &h.expect.snapshot {
                    out.insert(s.name.clone());
                }
            }
            Action::Include(i) => {
                if let Some(f) = &i.fragment {
                    snapshot_names(&f.steps, out);
                }
            }
            Action::Hook(_) | Action::Concurrent(_) => {}
        }
    }
}
