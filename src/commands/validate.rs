//! `gigcheck validate`: load and cross-check every spec, report every problem, send nothing.

use crate::cli::{Exit, ValidateArgs};
use colored::Colorize;

pub fn validate(args: ValidateArgs) -> Exit {
    let (_env, project) = match super::load(&args.specs) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    super::print_diagnostics(&project.diagnostics);
    let scenarios: usize = project.suites.iter().map(|s| s.scenarios.len()).sum();
    let errors = project.errors().count();
    if errors > 0 {
        eprintln!(
            "{} {errors} error(s) in the specs; nothing was sent",
            "invalid:".red().bold()
        );
        Exit::Usage
    } else {
        println!(
            "{} {} spec file(s), {scenarios} scenario(s)",
            "valid:".green().bold(),
            project.suites.len()
        );
        Exit::Passed
    }
}
