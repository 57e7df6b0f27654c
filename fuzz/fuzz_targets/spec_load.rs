//! Fuzz target `spec_load`: arbitrary bytes as the text of a spec file, checked as
//! `gigcheck validate` checks a file (YAML → model → includes, fixtures, cross-checks) through
//! [`gigcheck_core::loader::check_text`]. Nothing may panic, and every diagnostic must render.
//!
//! The input stands for a file in the project's own `specs/` folder, so its `include`s reach the
//! real fragments and its `schema`s the real `fixtures/schemas`.

#![no_main]

use gigcheck_core::loader::{LoadOptions, check_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // An include or schema naming a device (`/dev/zero`, `/proc/self/fd/0`) reads forever or
    // blocks: that is the file system's behaviour, not the loader's, so such inputs are skipped.
    if ["/dev", "/proc", "/sys"].iter().any(|d| text.contains(d)) {
        return;
    }
    let display = concat!(env!("CARGO_MANIFEST_DIR"), "/../specs/fuzz-input.yaml");
    let opts = LoadOptions {
        external_vars: vec!["base_url".into(), "stripe_url".into()],
        ..LoadOptions::default()
    };
    for diagnostic in check_text(display, &text, &opts) {
        let _ = diagnostic.render();
        let _ = diagnostic.one_line();
    }
});
