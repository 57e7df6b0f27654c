//! `gigcheck explore`: sends requests drawn from the contract's schemas to a backend (the
//! embedded default or `--base-url`) and prints what broke the contract, one line per cause,
//! with the smallest request that showed it. The exploration itself is
//! [`gigcheck_core::explore`].

use super::run::{RunError, Started, default_jobs, runtime, start, target};
use crate::cli::{Exit, ExploreArgs};
use colored::Colorize;
use gigcheck_core::explore::found::Exploration;
use gigcheck_core::explore::run::{Options, Payment, explore as run_exploration};
use std::sync::Arc;
use std::time::Duration;

pub fn explore(args: ExploreArgs, color: bool) -> Exit {
    let (contract, doc) =
        match super::openapi::document(args.project.as_ref(), None, &Default::default()) {
            Ok(loaded) => loaded,
            Err(exit) => return exit,
        };
    let mut env = match super::environment(args.env.as_deref(), &args.vars) {
        Ok(env) => env,
        Err(exit) => return exit,
    };
    let target = match env
        .target(args.base_url.as_deref())
        .and_then(|base| target(base, &args.sandbox_defects, &args.sandbox_variations, None))
    {
        Ok(target) => target,
        Err(message) => {
            errln!("error: {message}");
            return Exit::Usage;
        }
    };
    if matches!(target, super::run::Target::Embedded { .. }) {
        // As in `run`: the embedded sandbox's notes would interleave with the findings.
        gigcheck_servers::sandbox::notes::silence_notes();
    }
    if let Some(dir) = &args.save_findings
        && let Err(e) = std::fs::create_dir_all(dir)
    {
        errln!(
            "error: --save-findings {}: cannot create the folder: {e}",
            dir.display()
        );
        return Exit::Usage;
    }
    if let Err(exit) = super::check_outputs(args.reports.iter().map(|t| t.path.as_path())) {
        return exit;
    }
    let seed = args.seed.unwrap_or_else(|| fastrand::u64(..));
    let runtime = match runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let timeout = Duration::from_secs_f64(args.timeout);
    let result = runtime.block_on(async {
        let http =
            gigcheck_core::engine::http::Http::new().map_err(|e| RunError::new(e, Exit::Usage))?;
        let (base, started, what) = start(target, &mut env, &http, timeout).await?;
        errln!("exploring {what} with seed {seed} (replay with --seed {seed})");
        let redactor = gigcheck_core::redact::Redactor::default();
        for secret in &env.secret_values {
            redactor.add(secret);
        }
        let text = |name: &str| {
            env.vars
                .get(name)
                .and_then(|v| v.as_str())
                .map(String::from)
        };
        let admin = text("admin_email").zip(text("admin_password"));
        let payment = payment(&text, args.project.as_ref());
        if let Some(key) = payment.as_ref().and_then(|p| p.audit_key.as_ref()) {
            redactor.add(key);
        }
        let log: Option<Arc<dyn Fn(String) + Send + Sync>> = args.verbose.then(|| {
            Arc::new(|line: String| out!("{line}\n")) as Arc<dyn Fn(String) + Send + Sync>
        });
        let opts = Options {
            redactor,
            base,
            seed,
            max_requests: args.max_requests,
            time: args.time.map(Duration::from_secs_f64),
            jobs: args.jobs.map_or_else(default_jobs, usize::from),
            timeout,
            admin,
            jwt_secret: text("jwt_secret"),
            log,
            payment,
        };
        let found = run_exploration(Arc::new(doc), &contract, http, opts).await;
        stop(started).await;
        found.map_err(|e| RunError::new(format!("cannot explore: {e}"), Exit::Failed))
    });
    match result {
        Ok(exploration) => {
            print(&exploration, seed, color);
            if let Some(dir) = &args.save_findings {
                save(&exploration, seed, dir);
            }
            for target in &args.reports {
                let text = gigcheck_core::report::explore::render(target.kind, &exploration, seed);
                match gigcheck_core::atomic::write(&target.path, text.as_bytes()) {
                    Ok(()) => out!("report: {}\n", target.path.display()),
                    Err(e) => errln!("error: cannot write {}: {e}", target.path.display()),
                }
            }
            if exploration.causes.is_empty() {
                Exit::Passed
            } else {
                Exit::Failed
            }
        }
        Err(e) => {
            errln!("error: {}", e.message);
            e.exit
        }
    }
}

/// How the lifecycle walks pay: Stripe's URL from the environment (`stripe_url`), the key and
/// cards from it or from the project's `fixtures/stripe.yaml`, as the plan's checkout uses them.
fn payment(
    text: &dyn Fn(&str) -> Option<String>,
    project: Option<&std::path::PathBuf>,
) -> Option<Payment> {
    let fixtures: serde_json::Value = super::openapi::project_root(project)
        .and_then(|root| std::fs::read_to_string(root.join("fixtures/stripe.yaml")).ok())
        .and_then(|yaml| gigcheck_core::yaml::from_str(&yaml).ok())
        .unwrap_or_default();
    let value = |name: &str| {
        text(name).or_else(|| {
            fixtures
                .get(name)
                .and_then(|v| v.as_str())
                .map(String::from)
        })
    };
    let mut stripe_api = url::Url::parse(&text("stripe_url")?).ok()?;
    if !stripe_api.path().ends_with('/') {
        let path = format!("{}/", stripe_api.path());
        stripe_api.set_path(&path);
    }
    Some(Payment {
        stripe_api,
        publishable_key: value("stripe_publishable_key")?,
        card: value("card_ok").unwrap_or_else(|| "pm_card_visa".into()),
        declined_card: value("card_declined"),
        audit_key: value("stripe_audit_key"),
    })
}

async fn stop(started: Started) {
    started.stop().await;
}

/// The causes, worst check first, each with its smallest example; then the verdict line.
fn print(e: &Exploration, seed: u64, color: bool) {
    let paint = |text: &str, red: bool| {
        if !color {
            text.to_string()
        } else if red {
            text.red().bold().to_string()
        } else {
            text.green().bold().to_string()
        }
    };
    if !e.causes.is_empty() {
        out!("\nFindings, by cause\n");
    }
    for cause in &e.causes {
        let times = if cause.count == 1 {
            String::new()
        } else {
            format!(" ({}×)", cause.count)
        };
        let place = match cause.routes.len() {
            1 => cause.route.clone(),
            n => {
                let some: Vec<&str> = cause.routes.iter().take(3).map(String::as_str).collect();
                let more = if n > 3 { ", …" } else { "" };
                format!("{n} routes ({}{more})", some.join(", "))
            }
        };
        out!(
            "  {}  {place}{times}: {}\n",
            paint(cause.check.name(), true),
            cause.example.message
        );
        out!("      {}: {}\n", cause.example.what, cause.example.request);
        if let Some(body) = &cause.example.body {
            out!("      body: {body}\n");
        }
    }
    for note in &e.notes {
        out!("\nnote: {note}");
    }
    if !e.notes.is_empty() {
        out!("\n");
    }
    let secs = e.elapsed.as_secs_f64();
    if e.causes.is_empty() {
        out!(
            "\n{} in {} requests in {secs:.1} s (seed {seed})\n",
            paint("NOTHING FOUND", false),
            e.requests
        );
    } else {
        let n = e.causes.len();
        out!(
            "\n{} in {} requests in {secs:.1} s (seed {seed})\n",
            paint(
                &format!("FOUND {n} cause{}", if n == 1 { "" } else { "s" }),
                true
            ),
            e.requests
        );
    }
}

/// Writes each cause a request shows as a spec in `dir`, and says where.
fn save(e: &Exploration, seed: u64, dir: &std::path::Path) {
    let mut taken = std::collections::BTreeSet::new();
    for cause in &e.causes {
        let Some((file, text)) = gigcheck_core::explore::reproduce::spec(cause, seed) else {
            continue;
        };
        // Two causes may share a check and an example route (a 404 and a 405 page, say).
        let stem = file.trim_end_matches(".yaml").to_string();
        let file = (1..)
            .map(|n| match n {
                1 => format!("{stem}.yaml"),
                n => format!("{stem}-{n}.yaml"),
            })
            .find(|name| taken.insert(name.clone()))
            .unwrap_or(file);
        let path = dir.join(file);
        match gigcheck_core::atomic::write(&path, text.as_bytes()) {
            Ok(()) => out!("saved: {}\n", path.display()),
            Err(e) => errln!("error: cannot write {}: {e}", path.display()),
        }
    }
}
