//! `gigcheck doctor`: whether a target is ready to be tested, and nothing else — the readiness
//! table with every check ([`gigcheck_core::readiness::thorough`]): it logs the admin in, and a customer
//! (the given one, or one signed up) to create one payment intent through the backend.

use super::run::{self, Target};
use crate::cli::{DoctorArgs, Exit};
use gigcheck_core::readiness;
use gigcheck_core::report::terminal::Terminal;
use gigcheck_core::report::text::Palette;
use std::time::Duration;

pub fn doctor(args: DoctorArgs, color: bool) -> Exit {
    // The specs say where the fixtures (the contract's routes) are; their own errors are
    // `validate`'s business, not the target's.
    let (mut env, project) = match super::load(&args.specs) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    let contract = project.contract.clone();
    let target = match env.target(args.base_url.as_deref()) {
        Ok(Some(base)) => Target::External {
            base,
            stripe_emulator: args.stripe_emulator,
        },
        Ok(None) if args.stripe_emulator.is_some() => {
            errln!(
                "error: --stripe-emulator is for an external backend: pass --base-url too (the embedded default has its own emulator)"
            );
            return Exit::Usage;
        }
        Ok(None) => Target::Embedded {
            defects: Vec::new(),
            variations: Vec::new(),
        },
        Err(message) => {
            errln!("error: {message}");
            return Exit::Usage;
        }
    };
    let timeout = Duration::from_secs_f64(args.timeout);
    let tls = match args.tls.load() {
        Ok(tls) => tls,
        Err(message) => {
            errln!("error: {message}");
            return Exit::Usage;
        }
    };
    let runtime = match run::runtime() {
        Ok(rt) => rt,
        Err(exit) => return exit,
    };
    let checked = runtime.block_on(async {
        let http = gigcheck_core::engine::http::Http::with_tls(tls)
            .map_err(|e| run::RunError::new(e, Exit::Usage))?;
        let (base, started, what) = run::start(target, &mut env, &http, timeout).await?;
        let routes = run::contract_routes(contract.as_deref());
        let ready = readiness::thorough(&readiness::Target {
            http: &http,
            base: &base,
            env: &env,
            routes: &routes,
            timeout,
        })
        .await;
        started.stop().await;
        Ok::<_, run::RunError>((what, ready))
    });
    match checked {
        Ok((what, ready)) => {
            let term = Terminal::new(Palette { color }, false);
            out!("{}", term.readiness(&what, &ready));
            if ready.failed() {
                Exit::Failed
            } else {
                Exit::Passed
            }
        }
        Err(e) => {
            errln!("error: {}", e.message);
            e.exit
        }
    }
}
