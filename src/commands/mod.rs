//! One module per subcommand; each turns parsed arguments into work and an [`Exit`] code.

pub mod curl;
pub mod doctor;
pub mod import;
pub mod list;
pub mod mutants;
pub mod report;
pub mod request;
pub mod run;
pub mod sandbox;
pub mod schema;
pub mod stripe;
pub mod validate;

use crate::cli::{Cli, Command, Exit, ImportCommand, ReportCommand, SelectArgs, SpecArgs};
use crate::environment::{EnvFile, Environment};
use crate::loader::diagnostic::Diagnostic;
use crate::loader::{LoadOptions, Project};
use std::io::IsTerminal;

pub fn dispatch(cli: Cli) -> Exit {
    let color = !cli.no_color
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && (std::io::stdout().is_terminal()
            || std::env::var_os("CLICOLOR_FORCE").is_some_and(|v| v != "0"));
    colored::control::set_override(color);
    match cli.command {
        Command::Run(args) => run::run(args, color),
        Command::Validate(args) => validate::validate(args),
        Command::Doctor(args) => doctor::doctor(args, color),
        Command::List(args) => list::list(args),
        Command::Sandbox(args) => sandbox::serve(args),
        Command::Stripe(args) => stripe::serve(args),
        Command::Mutants(args) => mutants::mutants(args, color),
        Command::Request(args) => request::request(args, color),
        Command::Import(ImportCommand::Postman(args)) => import::postman(args),
        Command::Schema(args) => schema::schema(args),
        Command::Report(ReportCommand::Diff(args)) => report::diff(args, color),
        Command::Report(ReportCommand::Merge(args)) => report::merge(args),
    }
}

/// The environment file (if any) with `--var`s over it; a broken file is printed as a
/// diagnostic and is a usage error.
fn environment(
    path: Option<&std::path::Path>,
    vars: &[(String, String)],
) -> Result<Environment, Exit> {
    let file = match path {
        Some(path) => match EnvFile::load(path) {
            Ok(f) => Some(f),
            Err(d) => {
                eprint!("{}", d.render());
                return Err(Exit::Usage);
            }
        },
        None => None,
    };
    Ok(Environment::resolve(file, vars, &|name| {
        std::env::var(name).ok()
    }))
}

/// Reads the environment file and `--var`s, then loads the specs.
fn load(specs: &SpecArgs) -> Result<(Environment, Project), Exit> {
    let env = environment(specs.env.as_deref(), &specs.vars)?;
    let mut external_vars: Vec<String> = crate::engine::BUILTIN_VARS
        .iter()
        .map(|s| s.to_string())
        .collect();
    external_vars.extend(env.vars.keys().cloned());
    external_vars.extend(env.missing.keys().cloned());
    let project = crate::loader::load(
        &specs.paths,
        &LoadOptions {
            schemas_dir: specs.schemas.clone(),
            external_vars,
        },
    );
    Ok((env, project))
}

use crate::selection::{self, Selection};

/// What `run` and `mutants` start from: the environment, specs without errors (warnings are
/// printed), and the selected scenarios. Anything else is a usage error: nothing is sent.
fn load_runnable(
    specs: &SpecArgs,
    selection: &SelectArgs,
) -> Result<(Environment, Project, Selection), Exit> {
    let (env, project) = load(specs)?;
    print_diagnostics(&project.diagnostics);
    if project.has_errors() {
        eprintln!("error: the specs have errors (above); nothing was sent");
        return Err(Exit::Usage);
    }
    if selection::matching(&project, &criteria(selection)).is_empty() {
        eprintln!(
            "error: no scenario matches the --tag/--filter given; `gigcheck list` shows what there is"
        );
        return Err(Exit::Usage);
    }
    let selected = select(&project, selection);
    if let (true, Some(shard)) = (selected.is_empty(), selection.shard) {
        // More slices than scenarios: this one has nothing to do, which is not an error.
        eprintln!("note: shard {shard} has no scenarios; its reports will be empty");
    }
    Ok((env, project, selected))
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        eprint!("{}", d.render());
    }
}

/// The `(suite, scenario)` pairs matching `--tag` and `--filter`, in spec order, and of those
/// the ones in `--shard`, if given.
fn select(project: &Project, args: &SelectArgs) -> Selection {
    let all = selection::matching(project, &criteria(args));
    match args.shard {
        Some(shard) => selection::shard(project, &all, shard),
        None => all,
    }
}

fn criteria(args: &SelectArgs) -> selection::Criteria {
    selection::Criteria {
        tags: args.tags.clone(),
        filter: args.filter.clone(),
    }
}
