//! The README's main command: the whole plan in `specs/` against the embedded sandbox and Stripe
//! emulator passes, in CI mode (snapshots must exist), and the JUnit report names every plan case.
//! Run with every output switched on, it shows none of the secrets the embedded servers made up
//! (admin password, webhook secret, Stripe key) nor any token it captured.

use std::process::Command;

#[test]
fn the_whole_plan_passes_against_the_embedded_default() {
    let root = env!("CARGO_MANIFEST_DIR");
    let tmp = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let junit = tmp.join("plan-junit.xml");
    let reports: Vec<String> = ["json", "html", "markdown"]
        .iter()
        .map(|kind| format!("{kind}={}", tmp.join(format!("plan.{kind}")).display()))
        .collect();
    let out = Command::new(env!("CARGO_BIN_EXE_gigcheck"))
        .args([
            "run",
            "--ci",
            "--no-color",
            "--verbose",
            "--curl",
            "--junit",
        ])
        .arg(&junit)
        .args(reports.iter().flat_map(|r| ["--report", r.as_str()]))
        .current_dir(root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains(" 0 failed, 0 blocked, 0 skipped"),
        "{stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    // The embedded servers' secrets have a known shape; a captured token is a JWT.
    let secret = regex::Regex::new(
        r"Adm1n![A-Za-z0-9]{4}|whsec_[A-Za-z0-9]{4}|\b(sk|rk)_(test|live)_[A-Za-z0-9]{4}|eyJ[A-Za-z0-9_-]{4,}\.eyJ",
    )
    .unwrap();
    let mut channels = vec![
        ("terminal".to_string(), format!("{stdout}{stderr}")),
        ("junit".to_string(), xml.clone()),
    ];
    for kind in ["json", "html", "markdown"] {
        let text = std::fs::read_to_string(tmp.join(format!("plan.{kind}"))).unwrap();
        channels.push((kind.to_string(), text));
    }
    for (name, text) in &channels {
        if let Some(found) = secret.find(text) {
            panic!("the {name} output shows a secret: {}", found.as_str());
        }
    }
    assert!(
        stdout.contains("curl ") && stdout.contains("[redacted]"),
        "the verbose, --curl run did show requests"
    );
    // Every observable rule of the contract is checked, the README says what the run says, and
    // every report format agrees.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("Rule coverage:"))
        .unwrap_or_else(|| panic!("no rule coverage in:\n{stdout}"));
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    assert!(
        readme.contains(line),
        "README.md should show the plan's rule coverage as the run prints it:\n{line}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.join("plan.json")).unwrap()).unwrap();
    let (checked, observable) = (&json["rules"]["checked"], &json["rules"]["observable"]);
    assert_eq!(checked, observable, "{}", json["rules"]);
    let headline = format!("{checked}/{observable} observable contract rules checked");
    assert!(line.contains(&headline), "{line} / {headline}");
    assert!(xml.contains(&format!(
        r#"<property name="gigcheck.rules.headline" value="{headline}"/>"#
    )));
    for kind in ["html", "markdown"] {
        let text = std::fs::read_to_string(tmp.join(format!("plan.{kind}"))).unwrap();
        let shown = text.replace("<b>", "").replace("</b>", "");
        assert!(shown.contains(&headline), "{kind} lacks {headline}");
    }
    for id in [
        "1.1", "1.2", "1.3", "2.1", "2.2", "3.1", "3.2", "4.1", "4.2", "5.1", "5.2", "5.3", "6.1",
        "6.2",
    ] {
        assert!(
            xml.contains(&format!("name=\"[{id}] ")),
            "plan case {id} has no scenario"
        );
    }
}

/// `gigcheck mutants --verifying-only` with these extra arguments: every defect must be caught by
/// a scenario that says it verifies the rule the defect breaks. Returns stdout.
fn every_defect_is_caught(extra: &[&str]) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(env!("CARGO_BIN_EXE_gigcheck"))
        .args(["mutants", "--no-color", "--verifying-only"])
        .args(extra)
        .current_dir(root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let (caught, total) = stdout
        .lines()
        .find_map(|l| l.strip_prefix("caught "))
        .and_then(|s| s.split_once('/'))
        .unwrap_or_else(|| panic!("no score line:\n{stdout}"));
    assert_eq!(caught, total, "{stdout}");
    assert!(total.parse::<usize>().unwrap() >= 19, "{stdout}");
    stdout
}

/// What README.md holds between two marker lines.
fn readme_between(start: &str, end: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let from = readme
        .find(start)
        .unwrap_or_else(|| panic!("README.md has no line `{start}`"))
        + start.len();
    let to = readme[from..]
        .find(end)
        .unwrap_or_else(|| panic!("README.md has no line `{end}` after `{start}`"));
    readme[from..from + to].trim().to_string()
}

/// The defects, and README's table of them, which `gigcheck mutants --markdown` writes: the test
/// fails when the README shows something a fresh run does not say.
#[test]
fn the_plan_catches_every_planted_defect() {
    let dir = tempfile::tempdir().unwrap();
    let table = dir.path().join("mutants.md");
    let stdout = every_defect_is_caught(&["--markdown", table.to_str().unwrap()]);
    let written = std::fs::read_to_string(&table).unwrap();
    let shown = readme_between(
        "<!-- mutants table: `gigcheck mutants --markdown FILE` writes it; tests/it/plan.rs checks it -->",
        "<!-- end of the mutants table -->",
    );
    // Each row's defect, what it breaks and whether it was caught; which scenarios catch a race
    // (two cancels, the last unit) may differ from run to run on a busy machine.
    let rows = |table: &str| -> Vec<(String, String, bool)> {
        table
            .lines()
            .filter(|l| l.starts_with("| `"))
            .map(|l| {
                let cells: Vec<&str> = l.split(" | ").collect();
                let caught = !l.contains("**escaped**") && !l.contains("**error**");
                (cells[0].to_string(), cells[1].to_string(), caught)
            })
            .collect()
    };
    assert_eq!(
        rows(&shown),
        rows(&written),
        "README.md's mutants table is not what a fresh run writes: paste {} into it\n{stdout}",
        table.display()
    );
    assert_eq!(
        shown.lines().last(),
        written.trim().lines().last(),
        "the score line"
    );
    // Every defect breaks a rule of the contract, by name.
    let rules = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/contract.yaml"
    ))
    .unwrap();
    for line in written.lines().filter_map(|l| l.strip_prefix("| `")) {
        let name = line.split('`').next().unwrap();
        assert!(
            rules.contains(&format!("\n  {name}:")),
            "`{name}` is no rule of fixtures/contract.yaml"
        );
    }
}

/// Variations are what a correct backend may do: with all of them on, defects are still defects.
#[test]
fn the_plan_catches_every_planted_defect_with_every_variation_on() {
    every_defect_is_caught(&["--sandbox-variation", "all"]);
}

/// Each legitimate variation alone, and all of them at once: the whole plan passes.
#[test]
fn the_whole_plan_passes_with_each_variation_and_with_all_of_them() {
    let root = env!("CARGO_MANIFEST_DIR");
    let variations = [
        "trailing-slash",
        "rate-limits",
        "string-money",
        "http-dates",
        "extra-fields",
        "lean-answers",
        "stock-400",
        "other-catalogue",
        "admin-as-int",
        "created-by-strings",
        "all",
    ];
    for variation in variations {
        let out = Command::new(env!("CARGO_BIN_EXE_gigcheck"))
            .args([
                "run",
                "--ci",
                "--no-color",
                "--sandbox-variation",
                variation,
                "--junit",
            ])
            .arg(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("variation-junit.xml"))
            .current_dir(root)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{variation}:\n{stdout}");
        assert!(
            stdout.contains(" 0 failed, 0 blocked, 0 skipped"),
            "{variation}:\n{stdout}"
        );
    }
}
