//! `gigcheck stripe`: serve the Stripe emulator in the foreground until Ctrl-C.

use crate::cli::{Exit, StripeArgs};
use gigcheck_servers::stripe::{StripeConfig, router};
use gigcheck_servers::{Running, bind};
use std::time::Duration;

/// How long Ctrl-C waits for requests in flight (a `hang` fault may hold one for minutes).
const STOP_GRACE: Duration = Duration::from_secs(3);

pub fn serve(args: StripeArgs) -> Exit {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return Exit::Usage;
        }
    };
    // A secret the user chose is never printed; a generated one is, once, so it can be
    // configured in the backend.
    let (webhook_secret, generated) = match args.webhook_secret {
        Some(secret) => (secret, false),
        None => (format!("whsec_{}", uuid::Uuid::new_v4().simple()), true),
    };
    let config = StripeConfig {
        webhook_url: args.webhook_url.clone(),
        webhook_secret: webhook_secret.clone(),
        log_requests: true,
        ..StripeConfig::default()
    };
    runtime.block_on(async move {
        let listener = match bind(args.port).await {
            Ok(listener) => listener,
            Err(message) => {
                errln!("error: {message}");
                return Exit::Usage;
            }
        };
        let running = match Running::spawn(listener, router(config)) {
            Ok(running) => running,
            Err(message) => {
                errln!("error: {message}");
                return Exit::Usage;
            }
        };
        let webhooks = match (&args.webhook_url, generated) {
            (None, true) => {
                format!("no webhook endpoint; webhook secret (generated): {webhook_secret}")
            }
            (None, false) => "no webhook endpoint".to_string(),
            (Some(url), true) => {
                format!("webhooks to {url}, signed with generated secret {webhook_secret}")
            }
            (Some(url), false) => format!("webhooks to {url}, signed with the given secret"),
        };
        outln!(
            "Stripe emulator listening on {} ({webhooks}); Ctrl-C to stop",
            running.url
        );
        if let Err(e) = tokio::signal::ctrl_c().await {
            errln!("error: cannot wait for Ctrl-C: {e}");
        }
        if tokio::time::timeout(STOP_GRACE, running.stop())
            .await
            .is_err()
        {
            errln!("stopped without waiting for requests still in flight");
        }
        Exit::Passed
    })
}
