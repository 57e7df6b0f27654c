//! `gigcheck report …`: works on saved JSON reports.

use crate::cli::{DiffArgs, Exit};

pub fn diff(_args: DiffArgs, _color: bool) -> Exit {
    eprintln!("error: `gigcheck report diff` is not built yet");
    Exit::Usage
}
