//! JSON Schema checks. Every schema a run uses is compiled once, up front, from the schemas folder;
//! `$ref`s between files in that folder resolve relative to the referring file.

use crate::diagnostic::{display_path, io_reason};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, PoisonError, RwLock};

/// Compiled schemas by the name specs use (`order-detail.json`). Shared by a running suite's
/// checks and by the loader, which may load a suite again while others run (see
/// `crate::loader::Project::suite`): a schema is still compiled only once.
#[derive(Default)]
pub struct SchemaStore {
    dir: PathBuf,
    compiled: RwLock<HashMap<String, Arc<jsonschema::Validator>>>,
}

/// One way the instance breaks the schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the response (`/order/items/0/price`; empty for the root).
    pub instance_path: String,
    /// Which schema keyword failed (`/properties/order/required`).
    pub schema_path: String,
    /// What is wrong, in the validator's words (a forbidden `pattern` said as what matched).
    pub message: String,
}

impl SchemaStore {
    /// An empty store that reads schema files from `dir` (the `--schemas` folder).
    pub fn new(dir: impl Into<PathBuf>) -> SchemaStore {
        SchemaStore {
            dir: dir.into(),
            compiled: RwLock::default(),
        }
    }

    /// The folder schema names are resolved in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Loads and compiles `name` unless already done. The error says what to fix.
    pub fn compile(&self, name: &str) -> Result<(), String> {
        if self.get(name).is_some() {
            return Ok(());
        }
        let path = self.dir.join(name);
        let shown = display_path(&path);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            format!(
                "cannot read schema `{name}` ({shown}): {}; schemas live in {} (change with --schemas)",
                io_reason(&e),
                display_path(&self.dir)
            )
        })?;
        let schema: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            let reason = e.to_string();
            let reason = reason
                .split(" at line ")
                .next()
                .unwrap_or_default()
                .to_string();
            format!(
                "schema `{name}` is not valid JSON ({shown}:{}:{}): {reason}",
                e.line(),
                e.column()
            )
        })?;
        let absolute = std::path::absolute(&path).unwrap_or(path.clone());
        let base = url::Url::from_file_path(&absolute).map_err(|()| {
            format!(
                "schema path {} cannot be turned into a file URL",
                absolute.display()
            )
        })?;
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft202012)
            .with_base_uri(base.to_string())
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| {
                let at = e.instance_path().to_string();
                let at = if at.is_empty() {
                    String::new()
                } else {
                    format!(" at {at}")
                };
                format!("schema `{name}` does not compile{at}: {e}")
            })?;
        self.compiled
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string(), Arc::new(validator));
        Ok(())
    }

    /// The compiled schema `name`; `None` if [`SchemaStore::compile`] has not succeeded for it.
    pub fn get(&self, name: &str) -> Option<Arc<jsonschema::Validator>> {
        self.compiled
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }
}

/// Every violation of `schema` by `instance`, in the validator's order.
pub fn violations(schema: &jsonschema::Validator, instance: &serde_json::Value) -> Vec<Violation> {
    schema
        .iter_errors(instance)
        .map(|e| Violation {
            instance_path: e.instance_path().to_string(),
            schema_path: e.schema_path().to_string(),
            message: match e.kind() {
                jsonschema::error::ValidationErrorKind::Not { schema } => {
                    forbidden(schema, e.instance()).unwrap_or_else(|| e.to_string())
                }
                _ => e.to_string(),
            },
        })
        .collect()
}

/// A `not: { pattern }` violation (the schemas' leak checks) said as what matched and which
/// alternative, rather than as the whole pattern and the whole value.
fn forbidden(not: &serde_json::Value, instance: &serde_json::Value) -> Option<String> {
    let pattern = not.get("pattern")?.as_str()?;
    let Ok(re) = regex::Regex::new(pattern) else {
        return Some("the value matches a pattern the schema forbids".into());
    };
    let found = super::found::describe(&re, instance)?;
    Some(match found.context {
        Some(context) => format!("forbidden text {} in: {context}", found.what),
        None => format!("forbidden text {}", found.what),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn store() -> (tempfile::TempDir, SchemaStore) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("common.json"),
            r#"{"$defs": {"status": {"enum": ["pending", "paid"]}}}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("order.json"),
            r#"{"type": "object", "required": ["id", "status"], "additionalProperties": false,
                "properties": {"id": {"type": "integer"}, "status": {"$ref": "common.json#/$defs/status"},
                "created_at": {"type": "string", "format": "date-time"}}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("broken.json"), "{").unwrap();
        let store = SchemaStore::new(dir.path());
        (dir, store)
    }

    #[test]
    fn refs_between_files_resolve_and_every_violation_is_listed() {
        let (_dir, store) = store();
        store.compile("order.json").unwrap();
        let schema = store.get("order.json").unwrap();
        assert!(violations(&schema, &json!({"id": 1, "status": "paid"})).is_empty());
        let v = violations(
            &schema,
            &json!({"id": "x", "status": "lost", "extra": 1, "created_at": "yesterday"}),
        );
        assert_eq!(v.len(), 4, "{v:?}");
        assert!(v.iter().any(|v| v.instance_path == "/status"));
        assert!(v.iter().any(|v| v.instance_path == "/created_at"));
    }

    #[test]
    fn missing_and_broken_schemas_say_what_to_fix() {
        let (_dir, store) = store();
        assert!(
            store
                .compile("nope.json")
                .unwrap_err()
                .contains("cannot read schema `nope.json`")
        );
        assert!(
            store
                .compile("broken.json")
                .unwrap_err()
                .contains("not valid JSON")
        );
    }
}
