//! Fuzz target `postman_import`: arbitrary bytes as a Postman collection export, read
//! ([`gigcheck::import::postman::parse_collection`]) and converted to spec files
//! ([`gigcheck::import::convert::convert`]), with and without an environment that has a secret.
//!
//! Besides "nothing panics", it checks the importer's own promise: it never reports that it wrote
//! a file it cannot read back (that error means a bug in the importer), and every spec file it
//! writes goes through the loader's checks without a panic.

#![no_main]

use gigcheck::import::convert::{Input, convert};
use gigcheck::import::postman::{parse_collection, parse_environment};
use gigcheck_core::loader::{LoadOptions, check_text};
use libfuzzer_sys::fuzz_target;

const ENVIRONMENT: &str = r#"{"name": "fuzz", "values": [
  {"key": "base_url", "value": "http://localhost:5000", "enabled": true},
  {"key": "token", "value": "fuzz-secret-token-value", "type": "secret", "enabled": true}
]}"#;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = parse_environment(&text);
    let Ok(collection) = parse_collection(&text) else {
        return;
    };
    let environment = parse_environment(ENVIRONMENT).expect("the fixed environment reads");
    for environment in [None, Some(&environment)] {
        let input = Input {
            collection: &collection,
            environment,
            collection_file: "fuzz.postman_collection.json",
            environment_file: environment.map(|_| "fuzz.postman_environment.json"),
        };
        match convert(&input) {
            Ok(out) => {
                let _ = out.summary("out");
                for file in out.files.iter().filter(|f| !f.fragment) {
                    let display = format!("/nonexistent-gigcheck-fuzz/{}", file.path);
                    let _ = check_text(&display, &file.text, &LoadOptions::default());
                }
            }
            Err(message) => assert!(
                !message.contains("cannot read back"),
                "the importer wrote a file it cannot read: {message}"
            ),
        }
    }
});
