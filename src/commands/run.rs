//! `gigcheck run`: load, select, check the target is reachable, run, report.

use crate::checks::snapshot::SnapshotMode;
use crate::cli::{Exit, RunArgs};
use crate::engine::{self, RunOptions};
use crate::report::{self, junit, terminal::Terminal, text::Palette};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

pub fn run(args: RunArgs, color: bool) -> Exit {
    let (env, project) = match super::load(&args.specs) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    super::print_diagnostics(&project.diagnostics);
    if project.has_errors() {
        eprintln!("error: the specs have errors (above); nothing was sent");
        return Exit::Usage;
    }
    let Some(base) = args.base_url.clone().or_else(|| env.base_url.clone()) else {
        eprintln!(
            "error: no target: pass --base-url URL (e.g. http://127.0.0.1:5000) or an --env file with base_url"
        );
        return Exit::Usage;
    };
    let base_url = match url::Url::parse(&base) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        Ok(_) | Err(_) => {
            eprintln!(
                "error: --base-url `{base}` is not an http(s) URL, e.g. http://127.0.0.1:5000"
            );
            return Exit::Usage;
        }
    };
    let selected = super::select(&project, &args.select);
    if selected.is_empty() {
        eprintln!(
            "error: no scenario matches the --tag/--filter given; `gigcheck list` shows what there is"
        );
        return Exit::Usage;
    }
    let jobs = args.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(4, |n| n.get()),
        usize::from,
    );
    let timeout = Duration::from_secs_f64(args.timeout);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return Exit::Usage;
        }
    };
    if let Err(message) = runtime.block_on(engine::http::probe(
        &base_url,
        timeout.min(Duration::from_secs(5)),
    )) {
        eprintln!("error: {message}");
        return Exit::Unreachable;
    }
    let mode = if args.ci {
        SnapshotMode::Ci
    } else if args.update_snapshots {
        SnapshotMode::Update
    } else {
        SnapshotMode::Normal
    };
    let total = selected.len();
    let opts = RunOptions {
        base_url: Some(base_url.clone()),
        jobs,
        timeout,
        fail_fast: args.fail_fast,
        snapshot_mode: mode,
        selected,
        getenv: Arc::new(|name| std::env::var(name).ok()),
    };
    let palette = Palette { color };
    let mut term = Terminal::new(palette, args.verbose);
    println!(
        "{} {total} scenario(s) against {base_url} with {jobs} job(s)",
        palette.bold("gigcheck")
    );
    let result = runtime.block_on(engine::run(
        Arc::new(project),
        env,
        opts,
        |suite, scenario| {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(term.scenario(suite, scenario).as_bytes());
            let _ = out.flush();
        },
    ));
    let report = match result {
        Ok(r) => r,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Failed;
        }
    };
    print!("{}", term.failures(&report));
    let mut written = Vec::new();
    let mut exit = if report.all_passed() {
        Exit::Passed
    } else {
        Exit::Failed
    };
    match junit::render(&report).and_then(|xml| report::write(&args.junit, &xml)) {
        Ok(()) => written.push(args.junit.display().to_string()),
        Err(message) => {
            eprintln!("error: {message}");
            exit = Exit::Failed;
        }
    }
    print!("{}", term.summary(&report, &written));
    exit
}
