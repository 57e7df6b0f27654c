//! `gigcheck run`: load, select, pick the target (an external backend, or the embedded sandbox
//! and Stripe emulator), run, report.

use crate::checks::snapshot::SnapshotMode;
use crate::cli::{Exit, RunArgs};
use crate::engine::{self, RunOptions};
use crate::environment::Environment;
use crate::report::{self, junit, terminal::Terminal, text::Palette};
use crate::servers::embedded::{self, Embedded};
use crate::servers::{Running, bind, stripe};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// Servers this run started, stopped when it ends.
#[derive(Default)]
struct Started {
    embedded: Option<Embedded>,
    emulator: Option<Running>,
}

impl Started {
    async fn stop(self) {
        if let Some(e) = self.embedded {
            e.stop().await;
        }
        if let Some(r) = self.emulator {
            r.stop().await;
        }
    }
}

pub fn run(args: RunArgs, color: bool) -> Exit {
    let (mut env, project) = match super::load(&args.specs) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    super::print_diagnostics(&project.diagnostics);
    if project.has_errors() {
        eprintln!("error: the specs have errors (above); nothing was sent");
        return Exit::Usage;
    }
    let external = match args.base_url.clone().or_else(|| env.base_url.clone()) {
        Some(base) => match url::Url::parse(&base) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u),
            Ok(_) | Err(_) => {
                eprintln!(
                    "error: base URL `{base}` is not an http(s) URL, e.g. http://127.0.0.1:5000"
                );
                return Exit::Usage;
            }
        },
        None => None,
    };
    if external.is_none() && args.stripe_emulator.is_some() {
        eprintln!(
            "error: --stripe-emulator is for an external backend: pass --base-url too (the embedded default has its own emulator)"
        );
        return Exit::Usage;
    }
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
    let palette = Palette { color };
    let (base_url, started, what) =
        match runtime.block_on(target(external, args.stripe_emulator, &mut env, timeout)) {
            Ok(t) => t,
            Err((message, exit)) => {
                eprintln!("error: {message}");
                return exit;
            }
        };
    let mode = if args.ci {
        SnapshotMode::Ci
    } else if args.update_snapshots {
        SnapshotMode::Update
    } else {
        SnapshotMode::Normal
    };
    let total = selected.len();
    let opts = RunOptions {
        base_url: Some(base_url),
        jobs,
        timeout,
        fail_fast: args.fail_fast,
        snapshot_mode: mode,
        selected,
        getenv: Arc::new(|name| std::env::var(name).ok()),
    };
    let mut term = Terminal::new(palette, args.verbose);
    println!(
        "{} {total} scenario(s) against {what} with {jobs} job(s)",
        palette.bold("gigcheck")
    );
    let result = runtime.block_on(async {
        let report = engine::run(Arc::new(project), env, opts, |suite, scenario| {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(term.scenario(suite, scenario).as_bytes());
            let _ = out.flush();
        })
        .await;
        started.stop().await;
        report
    });
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

/// Decides what the run talks to, starting servers when needed. Returns the base URL, what was
/// started, and how to name the target in the banner.
async fn target(
    external: Option<url::Url>,
    emulator_port: Option<u16>,
    env: &mut Environment,
    timeout: Duration,
) -> Result<(url::Url, Started, String), (String, Exit)> {
    let mut started = Started::default();
    let Some(base) = external else {
        let servers = Embedded::start().await.map_err(|e| {
            (
                format!("cannot start the embedded sandbox: {e}"),
                Exit::Usage,
            )
        })?;
        servers.provide(env);
        let url =
            url::Url::parse(&servers.sandbox.url).map_err(|e| (e.to_string(), Exit::Usage))?;
        let what = format!("the embedded sandbox ({})", servers.sandbox.url);
        started.embedded = Some(servers);
        return Ok((url, started, what));
    };
    engine::http::probe(&base, timeout.min(Duration::from_secs(5)))
        .await
        .map_err(|message| (message, Exit::Unreachable))?;
    if let Some(port) = emulator_port {
        let listener = bind(port).await.map_err(|e| (e, Exit::Usage))?;
        let secret = match env.vars.get("webhook_secret").and_then(|v| v.as_str()) {
            Some(s) => s.to_string(),
            None => {
                let s = embedded::generate_secret("whsec_");
                eprintln!(
                    "note: no GIGCHECK_WEBHOOK_SECRET set; the emulator signs with {s} (configure the backend with it)"
                );
                env.set_secret("webhook_secret", s.clone());
                s
            }
        };
        let config = stripe::StripeConfig {
            webhook_url: Some(format!(
                "{}{}",
                base.as_str().trim_end_matches('/'),
                embedded::WEBHOOK_PATH
            )),
            webhook_secret: secret,
            ..stripe::StripeConfig::default()
        };
        let running =
            Running::spawn(listener, stripe::router(config)).map_err(|e| (e, Exit::Usage))?;
        env.vars.insert(
            "stripe_url".into(),
            serde_json::Value::String(running.url.clone()),
        );
        env.missing.shift_remove("stripe_url");
        started.emulator = Some(running);
    }
    Ok((base.clone(), started, base.to_string()))
}
