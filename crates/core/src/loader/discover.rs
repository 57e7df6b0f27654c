//! Finds spec files: the files given, and every `*.yaml`/`*.yml` under the folders given.
//! Names starting with `_` (fragments, `_fragments/`) and `__snapshots__` folders are not suites.

use std::path::{Path, PathBuf};

/// Spec files under `paths`, sorted within each folder so runs are reproducible.
pub(super) fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_file() {
            out.push(path.clone());
        } else if path.is_dir() {
            walk(path, &mut out)
                .map_err(|e| format!("cannot read folder {}: {e}", path.display()))?;
        } else {
            return Err(format!(
                "{} does not exist; pass spec files or folders, or --project DIR (default: specs/ here or in a folder above)",
                path.display()
            ));
        }
    }
    out.dedup();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('_') && !n.starts_with('.'))
        })
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_suites_and_skips_fragments_and_snapshots() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for f in [
            "b.yaml",
            "a.yml",
            "_partial.yaml",
            "notes.md",
            "sub/c.yaml",
            "_fragments/login.yaml",
            "__snapshots__/x.yaml",
        ] {
            let p = d.join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        let found: Vec<String> = spec_files(&[d.to_path_buf()])
            .unwrap()
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(found, ["a.yml", "b.yaml", "sub/c.yaml"]);
        assert!(
            spec_files(&[d.join("missing")])
                .unwrap_err()
                .contains("does not exist")
        );
    }
}
