//! Real-client compatibility: the official stripe-python library, pointed at the emulator,
//! behaves as it does against Stripe. The Python side is `tests/python/`; the tests' virtualenv
//! (`common::python`, packages pinned in requirements.txt) runs it with pytest.

use crate::common;

use std::path::Path;
use std::process::Command;

#[test]
fn stripe_python_works_against_the_emulator() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    common::run_ok(
        Command::new(common::python())
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
            .arg(root.join("tests/python"))
            .env("GIGCHECK_BIN", env!("CARGO_BIN_EXE_gigcheck"))
            .current_dir(root),
        "pytest tests/python",
    );
}
