//! The values `gigcheck request --capture` takes from an answer and keeps between calls, as
//! Postman keeps environment values: a JSON object (name → value, JSON types kept) in
//! `.gigcheck/request-vars.json` under the folder gigcheck runs in. Every later
//! `gigcheck request` there reads it (an explicit `--var` wins), and `--forget` removes it.
//!
//! The file may hold tokens: it is written atomically, readable by its owner only, and the folder
//! gets a `.gitignore` so it is never committed by accident.

use gigcheck_core::engine::http::Incoming;
use gigcheck_core::engine::scope::Scope;
use gigcheck_core::redact::{REDACTED, Redactor};
use gigcheck_core::spec::Capture;
use gigcheck_core::spec::values::BodyPath;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};

/// Where the values are kept, relative to the current folder.
pub const PATH: &str = ".gigcheck/request-vars.json";

/// Stored values, in the order they were first captured.
pub type Stored = Map<String, Value>;

pub fn path() -> PathBuf {
    PathBuf::from(PATH)
}

/// The values `--capture` found, each printed (secrets hidden unless shown on purpose); `None`
/// when one found nothing, all of which are printed as errors and none is kept.
pub fn capture(
    captures: &[(String, BodyPath)],
    incoming: &Incoming,
    scope: &Scope,
    show_secrets: bool,
) -> Option<Stored> {
    let response = gigcheck_core::checks::Response::new(
        incoming.status,
        incoming.headers.clone(),
        &incoming.body,
        incoming.elapsed,
    );
    let mut found = Stored::new();
    let mut missed = false;
    for (name, path) in captures {
        let capture = Capture::Body(path.clone());
        match gigcheck_core::checks::capture::capture(&capture, &response.parts(), scope) {
            Ok(value) => {
                found.insert(name.clone(), value);
            }
            Err(e) => {
                errln!("error: --capture {name}={}: {e}", path.as_str());
                missed = true;
            }
        }
    }
    if missed {
        if !found.is_empty() {
            errln!("nothing was kept: every --capture must find its value");
        }
        return None;
    }
    for (name, value) in &found {
        let text = value.to_string();
        let shown = if show_secrets {
            text
        } else if Redactor::is_secret_field(name) {
            REDACTED.to_string()
        } else {
            scope.redactor().text(&text)
        };
        errln!("captured: {name} = {shown}");
    }
    Some(found)
}

/// The stored values; none when nothing was ever stored.
pub fn load(path: &Path) -> Result<Stored, String> {
    let afresh = "`gigcheck request --forget` starts afresh";
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        // `.gigcheck` a file: not gigcheck's, so nothing stored (writing there is refused).
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(Stored::new());
        }
        Err(e) => {
            return Err(format!(
                "cannot read the stored values in {}: {}; {afresh}",
                path.display(),
                gigcheck_core::diagnostic::io_reason(&e)
            ));
        }
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(values)) => Ok(values),
        Ok(_) => Err(format!(
            "{} is not a JSON object of stored values; {afresh}",
            path.display()
        )),
        Err(e) => Err(format!(
            "{}:{}:{}: the stored values are not JSON ({e}); {afresh}",
            path.display(),
            e.line(),
            e.column()
        )),
    }
}

/// Replaces the stored values with `values`.
pub fn store(path: &Path, values: &Stored) -> Result<(), String> {
    let cannot = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    let mut text = serde_json::to_string_pretty(values).map_err(|e| e.to_string())?;
    text.push('\n');
    gigcheck_core::atomic::write_private(path, text.as_bytes()).map_err(cannot)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let ignore = dir.join(".gitignore");
        if !ignore.exists() {
            gigcheck_core::atomic::write(&ignore, b"# Written by gigcheck: values kept between `gigcheck request` calls, tokens included.\n*\n")
                .map_err(|e| format!("cannot write {}: {e}", ignore.display()))?;
        }
    }
    Ok(())
}

/// Removes the stored values; how many there were.
pub fn forget(path: &Path) -> Result<usize, String> {
    let count = load(path).map_or(0, |values| values.len());
    match std::fs::remove_file(path) {
        Ok(()) => Ok(count),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(0)
        }
        Err(e) => Err(format!(
            "cannot remove {}: {}",
            path.display(),
            gigcheck_core::diagnostic::io_reason(&e)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_round_trip_privately_and_are_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".gigcheck/request-vars.json");
        assert!(load(&path).unwrap().is_empty());
        let mut values = Stored::new();
        values.insert("order_id".into(), json!(1000));
        values.insert("token".into(), json!("abc"));
        store(&path, &values).unwrap();
        assert_eq!(load(&path).unwrap(), values);
        assert!(
            std::fs::read_to_string(dir.path().join(".gigcheck/.gitignore"))
                .unwrap()
                .ends_with("*\n")
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(forget(&path).unwrap(), 2);
        assert!(!path.exists());
        assert_eq!(forget(&path).unwrap(), 0);
    }

    #[test]
    fn a_broken_file_says_how_to_start_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v.json");
        std::fs::write(&path, "[1]").unwrap();
        assert!(load(&path).unwrap_err().contains("--forget"));
        std::fs::write(&path, "{").unwrap();
        assert!(load(&path).unwrap_err().contains("not JSON"));
    }
}
