//! Real-client compatibility: the official stripe-python library, pointed at the emulator,
//! behaves as it does against Stripe. The Python side is `tests/python/`; this test makes a
//! virtualenv under target/ (from PyPI, pinned in requirements.txt) and runs it with pytest.

use std::path::{Path, PathBuf};
use std::process::Command;

fn run(cmd: &mut Command, what: &str) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{what}: cannot start: {e}"));
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn stripe_python_works_against_the_emulator() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("stripe-python-venv");
    let python = venv.join("bin").join("python");
    if !python.exists() {
        run(
            Command::new("python3").args(["-m", "venv"]).arg(&venv),
            "python3 -m venv",
        );
    }
    run(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "-r",
            ])
            .arg(root.join("tests/python/requirements.txt")),
        "pip install -r tests/python/requirements.txt",
    );
    run(
        Command::new(&python)
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(root.join("tests/python"))
            .env("GIGCHECK_BIN", env!("CARGO_BIN_EXE_gigcheck"))
            .current_dir(root),
        "pytest tests/python",
    );
}
