//! Snapshot checks: the response body, redacted and normalised, compared with a stored file.
//!
//! Files live in `__snapshots__/` beside the spec, one per snapshot, named
//! `<spec file stem>__<snapshot name>.snap` in insta's format (a small YAML header between `---`
//! lines, then the content), so `cargo insta`-style tooling can read them. JSON is stored
//! pretty-printed with sorted keys. A mismatch writes `<name>.snap.new` for review.

use crate::outcome::{CheckKind, CheckReport, SnapshotWrite, SnapshotWriteKind};
use crate::spec::assertion::JsonType;
use crate::spec::{Loc, SnapshotSpec};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What a run may do with snapshot files: the default, `--update-snapshots` or `--ci`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SnapshotMode {
    /// Create missing snapshots; on mismatch fail and write `.snap.new`.
    #[default]
    Normal,
    /// Accept whatever the response is now.
    Update,
    /// Never write; a missing snapshot fails.
    Ci,
}

/// Snapshot settings for a run, and the files the run wrote.
#[derive(Debug, Default)]
pub(crate) struct Snapshots {
    pub mode: SnapshotMode,
    writes: Mutex<Vec<SnapshotWrite>>,
}

/// Where one suite's snapshots are.
pub(crate) struct SnapshotPlace<'a> {
    pub dir: &'a Path,
    pub file_stem: &'a str,
    pub source: &'a str,
}

impl Snapshots {
    pub(crate) fn new(mode: SnapshotMode) -> Snapshots {
        Snapshots {
            mode,
            writes: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn writes(&self) -> Vec<SnapshotWrite> {
        let mut w = self.writes.lock().map(|w| w.clone()).unwrap_or_default();
        w.sort_by(|a, b| a.path.cmp(&b.path));
        w
    }

    fn record(&self, path: &Path, kind: SnapshotWriteKind) {
        if let Ok(mut w) = self.writes.lock() {
            w.push(SnapshotWrite {
                path: crate::diagnostic::display_path(path),
                kind,
            });
        }
    }

    /// Compares `body` (already redacted of secrets) with the stored snapshot.
    pub(crate) fn check(
        &self,
        spec: &SnapshotSpec,
        body: Option<&Value>,
        place: &SnapshotPlace,
        loc: Loc,
    ) -> CheckReport {
        let mut report = CheckReport::new(CheckKind::Snapshot, &spec.name, "matches", loc);
        let Some(body) = body else {
            report.passed = false;
            report.message = Some(
                "the response body is not JSON, so it cannot be compared with a JSON snapshot"
                    .into(),
            );
            return report;
        };
        let content = match normalise(body, spec) {
            Ok(c) => c,
            Err(message) => {
                report.passed = false;
                report.message = Some(message);
                return report;
            }
        };
        let path = place
            .dir
            .join(format!("{}__{}.snap", place.file_stem, spec.name));
        let pending = pending_path(&path);
        let stored = std::fs::read_to_string(&path).ok().map(|t| contents_of(&t));
        let content = match (&stored, spec.ignore_extra_fields) {
            (Some(stored), true) => known_fields_only(&content, stored),
            _ => content,
        };
        let file = format_snap(place.source, &spec.name, &content);
        let shown = crate::diagnostic::display_path(&path);
        match (stored, self.mode) {
            (None, SnapshotMode::Ci) => {
                report.passed = false;
                report.message = Some(format!(
                    "snapshot {shown} does not exist; --ci never creates snapshots: run without --ci and commit the file"
                ));
            }
            (None, _) => match crate::atomic::write(&path, file.as_bytes()) {
                Ok(()) => {
                    let _ = std::fs::remove_file(&pending);
                    report.message = Some(format!("created {shown}"));
                    self.record(&path, SnapshotWriteKind::Created);
                }
                Err(e) => {
                    report.passed = false;
                    report.message = Some(format!("cannot write {shown}: {e}"));
                }
            },
            (Some(old), mode) if old.trim_end() == content.trim_end() => {
                if mode != SnapshotMode::Ci {
                    let _ = std::fs::remove_file(&pending);
                }
            }
            (Some(old), SnapshotMode::Update) => match crate::atomic::write(&path, file.as_bytes())
            {
                Ok(()) => {
                    let _ = std::fs::remove_file(&pending);
                    report.message = Some(format!("updated {shown}"));
                    report.diff = Some(diff(&old, &content));
                    self.record(&path, SnapshotWriteKind::Updated);
                }
                Err(e) => {
                    report.passed = false;
                    report.message = Some(format!("cannot write {shown}: {e}"));
                }
            },
            (Some(old), mode) => {
                report.passed = false;
                report.diff = Some(diff(&old, &content));
                if mode == SnapshotMode::Ci {
                    report.message = Some(format!("the response differs from {shown}"));
                } else {
                    let new_shown = crate::diagnostic::display_path(&pending);
                    match crate::atomic::write(&pending, file.as_bytes()) {
                        Ok(()) => {
                            self.record(&pending, SnapshotWriteKind::Pending);
                            report.message = Some(format!(
                                "the response differs from {shown}; wrote {new_shown} — review it, then accept with --update-snapshots"
                            ));
                        }
                        Err(e) => {
                            report.message = Some(format!(
                                "the response differs from {shown} (and {new_shown} could not be written: {e})"
                            ));
                        }
                    }
                }
            }
        }
        report
    }
}

fn pending_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".new");
    PathBuf::from(p)
}

/// Applies the spec's redactions, sorts keys and pretty-prints.
fn normalise(body: &Value, spec: &SnapshotSpec) -> Result<String, String> {
    let mut value = body.clone();
    for (path, redaction) in &spec.redact {
        let query = crate::spec::values::parse_json_path(path)?;
        let pointers: Vec<(String, Option<JsonType>)> = query
            .query_located(&value)
            .iter()
            .map(|node| {
                let ok_type = redaction.type_.filter(|t| !t.accepts(node.node()));
                (node.location().to_json_pointer(), ok_type)
            })
            .collect();
        for (pointer, wrong_type) in pointers {
            if let Some(expected) = wrong_type {
                let actual = value
                    .pointer(&pointer)
                    .map(JsonType::of)
                    .map_or("missing", JsonType::name);
                return Err(format!(
                    "redaction {path}: the value at {pointer} should be of type {} but is {actual}",
                    expected.name()
                ));
            }
            if let Some(slot) = value.pointer_mut(&pointer) {
                *slot = Value::String(redaction.with.clone());
            }
        }
    }
    Ok(serde_json::to_string_pretty(&sorted(&value)).unwrap_or_default())
}

/// `content` without the fields `stored` does not have (both pretty JSON), for snapshots that
/// ignore extra fields. Arrays are matched element by element.
fn known_fields_only(content: &str, stored: &str) -> String {
    let (Ok(actual), Ok(known)) = (
        serde_json::from_str::<Value>(content),
        serde_json::from_str::<Value>(stored.trim_end()),
    ) else {
        return content.to_string();
    };
    serde_json::to_string_pretty(&sorted(&prune(&actual, &known))).unwrap_or_default()
}

fn prune(actual: &Value, known: &Value) -> Value {
    match (actual, known) {
        (Value::Object(a), Value::Object(k)) => Value::Object(
            a.iter()
                .filter_map(|(key, v)| k.get(key).map(|kv| (key.clone(), prune(v, kv))))
                .collect(),
        ),
        (Value::Array(a), Value::Array(k)) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, v)| match k.get(i).or(k.first()) {
                    Some(kv) => prune(v, kv),
                    None => v.clone(),
                })
                .collect(),
        ),
        _ => actual.clone(),
    }
}

fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// insta's `.snap` layout.
fn format_snap(source: &str, name: &str, content: &str) -> String {
    format!("---\nsource: {source}\nexpression: {name}\n---\n{content}\n")
}

/// The content part of a `.snap` file (everything after the header).
fn contents_of(file: &str) -> String {
    let body = file
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n").map(|(_, c)| c));
    body.unwrap_or(file).to_string()
}

/// A unified diff, stored snapshot first.
pub fn diff(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old.trim_end(), new.trim_end())
        .unified_diff()
        .context_radius(3)
        .header("snapshot", "response")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> SnapshotSpec {
        crate::yaml::from_str("name: order\nredact:\n  $.id: '[id]'\n  $.items[*].at: { with: '[date]', type: string }\n").unwrap()
    }

    fn place(dir: &Path) -> SnapshotPlace<'_> {
        SnapshotPlace {
            dir,
            file_stem: "orders",
            source: "specs/orders.yaml",
        }
    }

    #[test]
    fn extra_fields_can_be_left_out_but_known_ones_still_count() {
        let stored = "{\n  \"id\": 1,\n  \"items\": [\n    {\n      \"price\": 2\n    }\n  ]\n}";
        let with_extra =
            r#"{"id": 1, "tracking_number": null, "items": [{"price": 2, "image_url": "x"}]}"#;
        assert_eq!(known_fields_only(with_extra, stored), stored);
        let changed = r#"{"id": 1, "items": [{"price": 3}]}"#;
        assert_ne!(known_fields_only(changed, stored), stored);
        let missing = r#"{"items": [{"price": 2}]}"#;
        assert_ne!(known_fields_only(missing, stored), stored);
    }

    #[test]
    fn normalises_with_redactions_and_sorted_keys() {
        let out = normalise(
            &json!({"z": 1, "id": 9, "items": [{"at": "2026-01-01", "b": 2}]}),
            &spec(),
        )
        .unwrap();
        assert_eq!(
            out,
            "{\n  \"id\": \"[id]\",\n  \"items\": [\n    {\n      \"at\": \"[date]\",\n      \"b\": 2\n    }\n  ],\n  \"z\": 1\n}"
        );
        let err = normalise(&json!({"items": [{"at": 5}]}), &spec()).unwrap_err();
        assert!(err.contains("should be of type string"), "{err}");
    }

    #[test]
    fn create_match_mismatch_update_and_ci() {
        let dir = tempfile::tempdir().unwrap();
        let snap = dir.path().join("orders__order.snap");
        let new = dir.path().join("orders__order.snap.new");

        let ci = Snapshots::new(SnapshotMode::Ci);
        assert!(
            !ci.check(
                &spec(),
                Some(&json!({"a": 1})),
                &place(dir.path()),
                Loc::default()
            )
            .passed
        );
        assert!(!snap.exists());

        let normal = Snapshots::new(SnapshotMode::Normal);
        assert!(
            normal
                .check(
                    &spec(),
                    Some(&json!({"a": 1})),
                    &place(dir.path()),
                    Loc::default()
                )
                .passed
        );
        let text = std::fs::read_to_string(&snap).unwrap();
        assert!(
            text.starts_with("---\nsource: specs/orders.yaml\nexpression: order\n---\n{"),
            "{text}"
        );
        assert!(
            normal
                .check(
                    &spec(),
                    Some(&json!({"a": 1})),
                    &place(dir.path()),
                    Loc::default()
                )
                .passed
        );

        let r = normal.check(
            &spec(),
            Some(&json!({"a": 2})),
            &place(dir.path()),
            Loc::default(),
        );
        assert!(!r.passed);
        assert!(r.diff.unwrap().contains("-  \"a\": 1\n+  \"a\": 2"));
        assert!(new.exists());

        let r = ci.check(
            &spec(),
            Some(&json!({"a": 3})),
            &place(dir.path()),
            Loc::default(),
        );
        assert!(!r.passed);
        assert!(
            std::fs::read_to_string(&new).unwrap().contains("\"a\": 2"),
            "--ci must not write"
        );

        let update = Snapshots::new(SnapshotMode::Update);
        assert!(
            update
                .check(
                    &spec(),
                    Some(&json!({"a": 2})),
                    &place(dir.path()),
                    Loc::default()
                )
                .passed
        );
        assert!(!new.exists());
        assert!(std::fs::read_to_string(&snap).unwrap().contains("\"a\": 2"));
        assert_eq!(update.writes()[0].kind, SnapshotWriteKind::Updated);
    }

    #[test]
    fn non_json_body_fails() {
        let dir = tempfile::tempdir().unwrap();
        let r = Snapshots::default().check(&spec(), None, &place(dir.path()), Loc::default());
        assert!(!r.passed);
    }
}
