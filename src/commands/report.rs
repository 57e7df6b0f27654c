//! `gigcheck report …`: works on saved reports: `diff` compares two JSON reports, `merge`
//! joins the slices of a sharded run.

use crate::cli::{DiffArgs, Exit, MergeArgs};
use gigcheck_core::report::diff::{self, Slower};
use gigcheck_core::report::json::JsonReport;
use gigcheck_core::report::merge::{self, Input};
use gigcheck_core::report::text::Palette;
use std::time::Duration;

/// `gigcheck report diff OLD NEW`: exits 1 when something newly fails.
pub fn diff(args: DiffArgs, color: bool) -> Exit {
    if !(args.slower_factor.is_finite() && args.slower_factor >= 1.0) {
        errln!(
            "error: --slower-factor {} must be a number of at least 1, e.g. 1.5",
            args.slower_factor
        );
        return Exit::Usage;
    }
    let load = |path: &std::path::Path| {
        JsonReport::load(path).map_err(|message| {
            errln!("error: {message}");
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
    outln!(
        "gigcheck report diff: {} → {}",
        args.old.display(),
        args.new.display()
    );
    out!("{}", d.render(Palette { color }));
    if d.regressed() {
        Exit::Failed
    } else {
        Exit::Passed
    }
}

/// `gigcheck report merge OUT IN...`: exits 0 when the merged report was written.
pub fn merge(args: MergeArgs) -> Exit {
    match merged(&args).and_then(|bytes| gigcheck_core::report::write(&args.out, &bytes)) {
        Ok(()) => {
            outln!(
                "merged {} into {}",
                gigcheck_base::text::count(args.inputs.len(), "report"),
                args.out.display()
            );
            Exit::Passed
        }
        Err(message) => {
            errln!("error: {message}");
            Exit::Usage
        }
    }
}

fn merged(args: &MergeArgs) -> Result<Vec<u8>, String> {
    match args.out.extension().and_then(|e| e.to_str()) {
        Some("xml") => {
            let mut inputs = Vec::new();
            for path in &args.inputs {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    format!(
                        "cannot read {}: {}",
                        path.display(),
                        gigcheck_core::diagnostic::io_reason(&e)
                    )
                })?;
                inputs.push(Input {
                    name: path.display().to_string(),
                    text,
                });
            }
            merge::junit(&inputs).map(String::into_bytes)
        }
        Some("json") => {
            let reports = args
                .inputs
                .iter()
                .map(|p| JsonReport::load(p))
                .collect::<Result<Vec<_>, _>>()?;
            merge::json(reports)?.render()
        }
        _ => Err(format!(
            "{}: name the merged report .xml (JUnit) or .json, so gigcheck knows which kind to merge",
            args.out.display()
        )),
    }
}
