//! The dependencies, audited offline as `cargo audit` would: every package of Cargo.lock against
//! the RustSec advisories (a snapshot in `.ci/advisories/db.json`, refreshed by
//! `.ci/advisories/refresh.py` from a clone of the database, since CI has no network), and
//! against the crates this project chose to be rid of; and the dev profile's list of crates only
//! the build runs, which Cargo.toml keeps by hand.

use semver::{Version, VersionReq};
use serde_json::Value;
use std::path::Path;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Crates that must not come back, and why.
const BANNED: &[(&str, &str)] = &[
    (
        "rsa",
        "RSA code for HS256 tokens, with RUSTSEC-2023-0071 (tokens are signed by gigcheck-base's jwt module)",
    ),
    (
        "jsonwebtoken",
        "brings RSA and ECDSA for HS256 tokens (gigcheck-base's jwt module signs them)",
    ),
    (
        "serde_yaml",
        "deprecated and archived upstream (serde-saphyr reads YAML)",
    ),
    (
        "yaml-rust2",
        "a second YAML parser (serde-saphyr gives positions)",
    ),
];

/// Advisories accepted after reading them, and why. Empty: none is.
const ACCEPTED: &[(&str, &str)] = &[];

/// (name, version) of every package in Cargo.lock.
fn locked() -> Vec<(String, String)> {
    let lock = std::fs::read_to_string(Path::new(ROOT).join("Cargo.lock")).expect("Cargo.lock");
    let mut out = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if line == "[[package]]" {
            name = None;
        } else if let Some(n) = line.strip_prefix("name = ") {
            name = Some(n.trim_matches('"').to_string());
        } else if let (Some(v), Some(n)) = (line.strip_prefix("version = "), name.take()) {
            out.push((n, v.trim_matches('"').to_string()));
        }
    }
    out
}

fn db() -> Value {
    let text = std::fs::read_to_string(Path::new(ROOT).join(".ci/advisories/db.json"))
        .expect(".ci/advisories/db.json");
    serde_json::from_str(&text).expect("the advisory snapshot is JSON")
}

/// Whether `version` matches one of the requirements (`>= 1.2.3`, `^0.4`, `>= 1, < 2`).
fn matches_any(version: &Version, requirements: &Value) -> bool {
    requirements
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .any(|r| VersionReq::parse(r).is_ok_and(|req| req.matches(version)))
}

/// The advisories that apply to `name` at `version`: not withdrawn, and the version neither
/// patched nor unaffected.
fn applying<'a>(db: &'a Value, name: &str, version: &str) -> Vec<&'a Value> {
    let Ok(version) = Version::parse(version) else {
        return Vec::new();
    };
    db["advisories"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|a| a["package"] == name && a["withdrawn"] == false)
        .filter(|a| {
            !matches_any(&version, &a["patched"]) && !matches_any(&version, &a["unaffected"])
        })
        .collect()
}

#[test]
fn no_locked_package_has_an_advisory() {
    let db = db();
    let packages = locked();
    assert!(
        packages.len() > 100,
        "Cargo.lock read: {} packages",
        packages.len()
    );
    let mut found = Vec::new();
    for (name, version) in &packages {
        for advisory in applying(&db, name, version) {
            let id = advisory["id"].as_str().unwrap_or_default();
            if ACCEPTED.iter().any(|(accepted, _)| *accepted == id) {
                continue;
            }
            found.push(format!(
                "{name} {version}: {id} ({}): {}",
                advisory["kind"].as_str().unwrap_or_default(),
                advisory["title"].as_str().unwrap_or_default()
            ));
        }
    }
    assert!(
        found.is_empty(),
        "advisories as of {} (update the crate, or accept the advisory with a reason in ACCEPTED):\n{}",
        db["date"].as_str().unwrap_or("?"),
        found.join("\n")
    );
}

#[test]
fn no_banned_crate_is_locked() {
    let packages = locked();
    let banned: Vec<String> = BANNED
        .iter()
        .filter(|(name, _)| packages.iter().any(|(p, _)| p == name))
        .map(|(name, why)| format!("{name}: {why}"))
        .collect();
    assert!(banned.is_empty(), "{}", banned.join("\n"));
}

#[test]
fn the_audit_sees_an_advisory_when_there_is_one() {
    let db = db();
    // ring before 0.17.12 has RUSTSEC-2025-0009; 0.16 is also unmaintained (RUSTSEC-2025-0010);
    // RUSTSEC-2025-0007 was withdrawn and never counts.
    let ids = |version: &str| -> Vec<String> {
        applying(&db, "ring", version)
            .iter()
            .filter_map(|a| a["id"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(ids("0.17.5"), ["RUSTSEC-2025-0009"]);
    assert_eq!(ids("0.16.20"), ["RUSTSEC-2025-0009", "RUSTSEC-2025-0010"]);
    assert!(ids("0.17.14").is_empty());
    assert!(matches_any(
        &Version::new(0, 100, 5),
        &serde_json::json!([">= 0.100.2, < 0.101.0"])
    ));
}

/// The packages `[profile.dev.package]` in Cargo.toml builds unoptimised.
fn unoptimised_in_dev() -> std::collections::BTreeSet<String> {
    let manifest = std::fs::read_to_string(Path::new(ROOT).join("Cargo.toml")).expect("Cargo.toml");
    manifest
        .lines()
        .skip_while(|l| l.trim() != "[profile.dev.package]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter_map(|l| l.strip_suffix(" = { opt-level = 0 }"))
        .map(str::to_string)
        .collect()
}

/// The packages this platform's build only runs (proc macros, build scripts, and what only they
/// use), from `cargo metadata`: what no workspace member reaches through normal or dev
/// dependencies without passing a proc macro.
fn build_only() -> std::collections::BTreeSet<String> {
    let rustc = std::process::Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    let host = String::from_utf8_lossy(&rustc.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
        .expect("rustc -vV names the host");
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host])
        .current_dir(ROOT)
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let name = |id: &str| {
        meta["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .map(|p| p["name"].as_str().unwrap().to_string())
            .unwrap()
    };
    let proc_macro = |id: &str| {
        meta["packages"].as_array().unwrap().iter().any(|p| {
            p["id"] == id
                && p["targets"].as_array().unwrap().iter().any(|t| {
                    t["kind"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|k| k == "proc-macro")
                })
        })
    };
    let nodes = meta["resolve"]["nodes"].as_array().unwrap();
    let mut runtime = std::collections::BTreeSet::new();
    let mut stack: Vec<String> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    while let Some(id) = stack.pop() {
        if !runtime.insert(id.clone()) {
            continue;
        }
        let node = nodes.iter().find(|n| n["id"] == id.as_str()).unwrap();
        for dep in node["deps"].as_array().unwrap() {
            let pkg = dep["pkg"].as_str().unwrap();
            let build = dep["dep_kinds"]
                .as_array()
                .unwrap()
                .iter()
                .all(|k| k["kind"] == "build");
            if !build && !proc_macro(pkg) {
                stack.push(pkg.to_string());
            }
        }
    }
    let runtime_names: std::collections::BTreeSet<String> =
        runtime.iter().map(|id| name(id)).collect();
    nodes
        .iter()
        .map(|n| name(n["id"].as_str().unwrap()))
        .filter(|n| !runtime_names.contains(n))
        .collect()
}

#[test]
fn the_dev_profile_leaves_exactly_the_build_only_crates_unoptimised() {
    let mut listed = unoptimised_in_dev();
    // Not build-only: the largest crate of the build, left unoptimised on purpose (Cargo.toml).
    assert!(listed.remove("jsonschema"), "{listed:?}");
    let wanted = build_only();
    let missing: Vec<&String> = wanted.difference(&listed).collect();
    let stale: Vec<&String> = listed.difference(&wanted).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "Cargo.toml's [profile.dev.package]: add `NAME = {{ opt-level = 0 }}` for {missing:?} (only the build runs them), remove {stale:?} (no longer build-only here)"
    );
}
