//! The README's main command: the whole plan in `specs/` against the embedded sandbox and Stripe
//! emulator passes, in CI mode (snapshots must exist), and the JUnit report names every plan case.

use std::process::Command;

#[test]
fn the_whole_plan_passes_against_the_embedded_default() {
    let root = env!("CARGO_MANIFEST_DIR");
    let junit = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("plan-junit.xml");
    let out = Command::new(env!("CARGO_BIN_EXE_gigcheck"))
        .args(["run", "--ci", "--no-color", "--junit"])
        .arg(&junit)
        .current_dir(root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(stdout.contains(" 0 failed, 0 skipped"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).unwrap();
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

#[test]
fn the_plan_catches_every_planted_defect() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(env!("CARGO_BIN_EXE_gigcheck"))
        .args(["mutants", "--no-color"])
        .current_dir(root)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    let last = stdout.lines().last().unwrap_or_default();
    let (caught, total) = last
        .strip_prefix("caught ")
        .and_then(|s| s.split_once('/'))
        .unwrap_or_else(|| panic!("no score line:\n{stdout}"));
    assert_eq!(caught, total, "{stdout}");
    assert!(total.parse::<usize>().unwrap() >= 15, "{stdout}");
}
