//! `gigcheck validate`: load and cross-check every spec, report every problem, send nothing.

use crate::cli::{Exit, ValidateArgs};
use colored::Colorize;
use gigcheck_base::text::count;

pub fn validate(args: ValidateArgs) -> Exit {
    let (_env, project) = match super::load(&args.specs) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    super::print_diagnostics(&project.diagnostics);
    let scenarios: usize = project.suites.iter().map(|s| s.scenarios.len()).sum();
    let errors = project.errors().count();
    if errors > 0 {
        errln!(
            "{} {} in the specs; nothing was sent",
            "invalid:".red().bold(),
            count(errors, "error")
        );
        Exit::Usage
    } else {
        outln!(
            "{} {}, {}",
            "valid:".green().bold(),
            count(project.suites.len(), "spec file"),
            count(scenarios, "scenario")
        );
        Exit::Passed
    }
}
