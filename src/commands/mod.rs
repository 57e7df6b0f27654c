//! One module per subcommand; each turns parsed arguments into work and an [`Exit`] code.

pub mod curl;
pub mod doctor;
pub mod explore;
pub mod import;
pub mod list;
pub mod mutants;
pub mod openapi;
pub mod report;
pub mod request;
pub mod run;
pub mod sandbox;
pub mod schema;
pub mod stripe;
pub mod validate;

use crate::cli::{Cli, Command, Exit, ImportCommand, ReportCommand, SelectArgs, SpecArgs};
use gigcheck_core::diagnostic::Diagnostic;
use gigcheck_core::environment::{EnvFile, Environment};
use gigcheck_core::loader::{LoadOptions, Project};
use gigcheck_core::selection::{self, Selection};
use std::io::IsTerminal;
use std::path::PathBuf;

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
        Command::Openapi(args) => openapi::openapi(args),
        Command::Explore(args) => explore::explore(args, color),
        Command::Report(ReportCommand::Diff(args)) => report::diff(args, color),
        Command::Report(ReportCommand::Merge(args)) => report::merge(args),
    }
}

/// Checks that every file a command will write can be written, before anything is sent: a
/// run that finds out at the end would have done all its work for nothing.
fn check_outputs<'a>(paths: impl IntoIterator<Item = &'a std::path::Path>) -> Result<(), Exit> {
    for path in paths {
        if let Err(why) = gigcheck_core::atomic::writable(path) {
            errln!(
                "error: cannot write {}: {why}; nothing was sent",
                path.display()
            );
            return Err(Exit::Usage);
        }
    }
    Ok(())
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
                err!("{}", d.render());
                return Err(Exit::Usage);
            }
        },
        None => None,
    };
    Ok(Environment::resolve(file, vars, &|name| {
        std::env::var(name).ok()
    }))
}

/// The project folder (`--project`, else this folder when it has `specs/`, else the nearest
/// folder above with one), and the spec paths made to point into it when none were given. A
/// path given on the command line stays as given, relative to where gigcheck was started.
fn locate_project(specs: &SpecArgs) -> Result<(PathBuf, Vec<PathBuf>), Exit> {
    let defaulted = specs.paths == [PathBuf::from(crate::cli::DEFAULT_SPECS)];
    let root = match &specs.project {
        Some(dir) => {
            if !dir.join(crate::cli::DEFAULT_SPECS).is_dir() {
                errln!(
                    "error: --project {}: there is no specs/ folder in it; give the folder that holds specs/, fixtures/ and reports/",
                    dir.display()
                );
                return Err(Exit::Usage);
            }
            dir.clone()
        }
        None if defaulted => std::env::current_dir()
            .ok()
            .and_then(|here| {
                here.ancestors()
                    .find(|dir| dir.join(crate::cli::DEFAULT_SPECS).is_dir())
                    .map(std::path::Path::to_path_buf)
            })
            .map(|found| relative_to_here(&found))
            .unwrap_or_else(|| PathBuf::from(".")),
        None => PathBuf::from("."),
    };
    let paths = if defaulted && root != std::path::Path::new(".") {
        vec![root.join(crate::cli::DEFAULT_SPECS)]
    } else if defaulted {
        vec![PathBuf::from(crate::cli::DEFAULT_SPECS)]
    } else {
        specs.paths.clone()
    };
    Ok((root, paths))
}

/// `path` (a default, relative to the project) placed in the project found from `specs`; as it
/// is when the project is this folder or cannot be found.
fn in_project(specs: &SpecArgs, path: &std::path::Path) -> PathBuf {
    match locate_project(specs) {
        Ok((root, _)) if root != std::path::Path::new(".") => root.join(path),
        _ => path.to_path_buf(),
    }
}

/// `dir` as a path from the current folder when it is one of its ancestors (`..`, `../..`),
/// so that messages name files the way the user sees them.
fn relative_to_here(dir: &std::path::Path) -> PathBuf {
    let Ok(here) = std::env::current_dir() else {
        return dir.to_path_buf();
    };
    match here.strip_prefix(dir) {
        Ok(rest) if rest.as_os_str().is_empty() => PathBuf::from("."),
        Ok(rest) => rest.components().map(|_| "..").collect(),
        Err(_) => dir.to_path_buf(),
    }
}

/// Reads the environment file and `--var`s, then loads the specs.
fn load(specs: &SpecArgs) -> Result<(Environment, Project), Exit> {
    let (_root, paths) = locate_project(specs)?;
    let env = environment(specs.env.as_deref(), &specs.vars)?;
    let mut external_vars: Vec<String> = gigcheck_core::engine::BUILTIN_VARS
        .iter()
        .map(|s| s.to_string())
        .collect();
    external_vars.extend(env.vars.keys().cloned());
    external_vars.extend(env.missing.keys().cloned());
    let project = gigcheck_core::loader::load(
        &paths,
        &LoadOptions {
            schemas_dir: specs.schemas.clone(),
            external_vars,
        },
    );
    Ok((env, project))
}

/// What `run` and `mutants` start from: the environment, specs without errors (warnings are
/// printed), and the selected scenarios. Anything else is a usage error: nothing is sent.
fn load_runnable(
    specs: &SpecArgs,
    selection: &SelectArgs,
) -> Result<(Environment, Project, Selection), Exit> {
    let (env, project) = load(specs)?;
    print_diagnostics(&project.diagnostics);
    if project.has_errors() {
        errln!("error: the specs have errors (above); nothing was sent");
        return Err(Exit::Usage);
    }
    if selection::matching(&project, &criteria(selection)).is_empty() {
        errln!(
            "error: no scenario matches the --tag/--filter given; `gigcheck list` shows what there is"
        );
        return Err(Exit::Usage);
    }
    let selected = select(&project, selection);
    if let (true, Some(shard)) = (selected.is_empty(), selection.shard) {
        // More slices than scenarios: this one has nothing to do, which is not an error.
        errln!("note: shard {shard} has no scenarios; its reports will be empty");
    }
    Ok((env, project, selected))
}

fn print_diagnostics(diagnostics: &[Diagnostic]) {
    for d in diagnostics {
        err!("{}", d.render());
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
