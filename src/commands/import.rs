//! `gigcheck import postman`: reads a Postman collection (and environment), converts it with
//! [`crate::import::convert`], writes the spec files (never over existing ones) and prints what
//! was written and what was not translated.

use crate::cli::{Exit, PostmanArgs};
use crate::import::convert::{self, Input};
use crate::import::postman::{self, LoadError};
use gigcheck_core::diagnostic::{display_path, io_reason};
use std::path::{Path, PathBuf};

pub fn postman(args: PostmanArgs) -> Exit {
    match import(&args) {
        Ok(summary) => {
            out!("{summary}");
            Exit::Passed
        }
        Err(message) => {
            errln!("error: {message}");
            Exit::Usage
        }
    }
}

fn import(args: &PostmanArgs) -> Result<String, String> {
    let collection = read(&args.collection, postman::parse_collection)?;
    let environment = match &args.environment {
        Some(path) => Some(read(path, postman::parse_environment)?),
        None => None,
    };
    let environment_file = args.environment.as_deref().map(file_name);
    let out = convert::convert(&Input {
        collection: &collection,
        environment: environment.as_ref(),
        collection_file: &file_name(&args.collection),
        environment_file: environment_file.as_deref(),
    })
    .map_err(|e| format!("cannot import {}: {e}", display_path(&args.collection)))?;
    if out.files.is_empty() {
        return Err(format!(
            "{} has no requests: nothing to import (nothing was written)",
            display_path(&args.collection)
        ));
    }
    let targets: Vec<(PathBuf, &str)> = out
        .files
        .iter()
        .map(|f| (args.out.join(&f.path), f.text.as_str()))
        .collect();
    refuse_overwrites(&args.out, &targets)?;
    for (path, text) in &targets {
        let text = match schema_line(path) {
            Some(line) => format!("{line}\n{text}"),
            None => text.to_string(),
        };
        gigcheck_core::atomic::write(path, text.as_bytes())
            .map_err(|e| format!("cannot write {}: {}", display_path(path), io_reason(&e)))?;
    }
    Ok(out.summary(&display_path(&args.out)))
}

/// Reads and parses an export; errors name the file, and the line and column for JSON errors.
fn read<T>(path: &Path, parse: fn(&str) -> Result<T, LoadError>) -> Result<T, String> {
    let shown = display_path(path);
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {shown}: {}; check the path", io_reason(&e)))?;
    parse(&text).map_err(|e| match e.at {
        Some((line, column)) => format!("{shown}:{line}:{column}: {}; {}", e.message, e.hint),
        None => format!("{shown}: {}; {}", e.message, e.hint),
    })
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Nothing is written when `--out` is a file or any target already exists.
fn refuse_overwrites(out: &Path, targets: &[(PathBuf, &str)]) -> Result<(), String> {
    if out.exists() && !out.is_dir() {
        return Err(format!(
            "--out {} is a file; give a folder (it is created if needed)",
            display_path(out)
        ));
    }
    let existing: Vec<String> = targets
        .iter()
        .filter(|(p, _)| p.exists())
        .map(|(p, _)| display_path(p))
        .collect();
    match existing.as_slice() {
        [] => Ok(()),
        [first, ..] => Err(format!(
            "{first} already exists{}; `gigcheck import` never overwrites files: choose another --out, or delete the old files and import again (nothing was written)",
            if existing.len() > 1 {
                format!(" (and {} more)", existing.len() - 1)
            } else {
                String::new()
            }
        )),
    }
}

/// The name of the spec format's schema file (`gigcheck schema` writes it; specs/ has one).
const SCHEMA_FILE: &str = "gigcheck.schema.json";

/// `# yaml-language-server: $schema=…` pointing at the nearest spec schema in a folder above
/// `spec` (within a few levels), as the project's own specs have, so editors check imported
/// specs too.
fn schema_line(spec: &Path) -> Option<String> {
    let mut dir = spec.parent()?;
    let mut up = String::new();
    for _ in 0..4 {
        let here = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if here.join(SCHEMA_FILE).is_file() {
            return Some(format!("# yaml-language-server: $schema={up}{SCHEMA_FILE}"));
        }
        dir = dir.parent()?;
        up.push_str("../");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imported_specs_point_at_the_nearest_spec_schema() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("specs/imported")).unwrap();
        std::fs::write(dir.path().join("specs/gigcheck.schema.json"), "{}").unwrap();
        assert_eq!(
            schema_line(&dir.path().join("specs/imported/01-auth.yaml")).as_deref(),
            Some("# yaml-language-server: $schema=../gigcheck.schema.json")
        );
        assert_eq!(
            schema_line(&dir.path().join("specs/a.yaml")).as_deref(),
            Some("# yaml-language-server: $schema=gigcheck.schema.json")
        );
        assert_eq!(
            schema_line(&dir.path().join("elsewhere/x/y/z/w/a.yaml")),
            None
        );
    }
}
