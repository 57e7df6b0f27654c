//! `gigcheck sandbox`: serve the reference GigGatek backend in the foreground until Ctrl-C,
//! optionally with deliberate defects (`--defect NAME`, repeatable) or legitimate variations
//! (`--variation NAME`, repeatable, `all` for every one) switched on.

use crate::cli::{Exit, SandboxArgs};
use gigcheck_servers::sandbox::{
    self, DEFAULT_ADMIN_EMAIL, Defect, Defects, SandboxConfig, Variation, Variations,
};
use gigcheck_servers::{Running, bind};

pub fn serve(args: SandboxArgs) -> Exit {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return Exit::Usage;
        }
    };
    runtime.block_on(run(args))
}

async fn run(args: SandboxArgs) -> Exit {
    // Generated secrets are printed (the user needs them); given ones never are.
    let password_given = args.admin_password.is_some();
    let secret_given = args.webhook_secret.is_some();
    let admin_email = args
        .admin_email
        .unwrap_or_else(|| DEFAULT_ADMIN_EMAIL.to_string());
    let admin_password = args
        .admin_password
        .unwrap_or_else(sandbox::generate_password);
    let webhook_secret = args
        .webhook_secret
        .unwrap_or_else(sandbox::generate_webhook_secret);
    if admin_password.is_empty() {
        errln!(
            "error: the admin password is empty; pass one with --admin-password or leave it out to generate one"
        );
        return Exit::Usage;
    }
    let variations: Variations = args.variations.iter().copied().collect();
    let config = SandboxConfig {
        db: args.db.clone(),
        stripe_api: args.stripe_api.clone(),
        stripe_secret_key: args.stripe_secret_key,
        webhook_secret: webhook_secret.clone(),
        admin_email: admin_email.clone(),
        admin_password: admin_password.clone(),
        log_requests: true,
        defects: args.defects.clone(),
        variations: variations.iter().collect(),
        ..SandboxConfig::default()
    };
    let app = match sandbox::router(config) {
        Ok(app) => app,
        Err(e) => {
            errln!("error: {e}");
            return Exit::Usage;
        }
    };
    let listener = match bind(args.port).await {
        Ok(l) => l,
        Err(e) => {
            errln!("error: {e}");
            return Exit::Usage;
        }
    };
    let running = match Running::spawn(listener, app) {
        Ok(r) => r,
        Err(e) => {
            errln!("error: {e}");
            return Exit::Usage;
        }
    };

    outln!("GigGatek sandbox listening on {}", running.url);
    match &args.db {
        Some(path) => outln!("  database:       {} (kept)", path.display()),
        None => outln!("  database:       temporary (deleted at exit; keep data with --db PATH)"),
    }
    outln!("  Stripe API:     {}", args.stripe_api);
    if password_given {
        outln!("  admin:          {admin_email} (password as given)");
    } else {
        outln!("  admin:          {admin_email} / {admin_password}");
    }
    if secret_given {
        outln!("  webhook secret: as given");
    } else {
        outln!(
            "  webhook secret: {webhook_secret} (give the same to `gigcheck stripe --webhook-secret`)"
        );
    }
    outln!("  webhook URL:    {}/api/payment/webhook", running.url);
    outln!(
        "  DB outage:      POST {}/__sandbox/db {{\"available\": false}}",
        running.url
    );
    outln!("  auth counts:    GET {}/__sandbox/stats", running.url);
    let defects: Defects = args.defects.iter().copied().collect();
    if !defects.is_empty() {
        outln!("  DEFECTS ON:     {defects} (deliberate bugs; not the reference behaviour)");
        for d in defects.iter() {
            outln!("                  {d}: {}", Defect::summary(d));
        }
    }
    if !variations.is_empty() {
        outln!("  variations:     {variations} (legitimate; the contract allows each)");
        for v in variations.iter() {
            outln!("                  {v}: {}", Variation::summary(v));
        }
    }
    outln!("Press Ctrl-C to stop.");

    if let Err(e) = tokio::signal::ctrl_c().await {
        errln!("error: cannot wait for Ctrl-C: {e}; stopping");
    }
    running.stop().await;
    outln!("sandbox stopped");
    Exit::Passed
}
