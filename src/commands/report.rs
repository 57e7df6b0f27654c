//! `gigcheck report …`: works on saved JSON reports.

use crate::cli::{DiffArgs, Exit};
use crate::report::diff::{self, Slower};
use crate::report::json::JsonReport;
use crate::report::text::Palette;
use std::time::Duration;

/// `gigcheck report diff OLD NEW`: exits 1 when something newly fails.
pub fn diff(args: DiffArgs, color: bool) -> Exit {
    if !(args.slower_factor.is_finite() && args.slower_factor >= 1.0) {
        eprintln!(
            "error: --slower-factor {} must be a number of at least 1, e.g. 1.5",
            args.slower_factor
        );
        return Exit::Usage;
    }
    let load = |path: &std::path::Path| {
        JsonReport::load(path).map_err(|message| {
            eprintln!("error: {message}");
            Exit::Usage
        })
    };
    let (old, new) = match (load(&args.old), load(&args.new)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(exit), _) | (_, Err(exit)) => return exit,
    };
    let slower = Slower {
        factor: args.slower_factor,
        by: Duration::from_millis(args.slower_by_ms),
    };
    let d = diff::diff(&old, &new, slower);
    println!(
        "gigcheck report diff: {} → {}",
        args.old.display(),
        args.new.display()
    );
    print!("{}", d.render(Palette { color }));
    if d.regressed() {
        Exit::Failed
    } else {
        Exit::Passed
    }
}
