//! Reports over one result model ([`model`]): the terminal ([`terminal`]) and JUnit XML
//! ([`junit`]), plus traceability to the plan and the contract ([`coverage`]). Each format is a small module that only renders; writing files is [`write`].

pub mod coverage;
pub mod junit;
pub mod model;
pub mod terminal;
pub mod text;

use std::path::Path;

/// Writes a rendered report atomically.
pub fn write(path: &Path, contents: &[u8]) -> Result<(), String> {
    crate::atomic::write(path, contents)
        .map_err(|e| format!("cannot write report {}: {e}", path.display()))
}
