//! The embedded default target: the Stripe emulator and the sandbox started in this process on
//! ephemeral 127.0.0.1 ports and wired together — the sandbox calls the emulator's API, the
//! emulator delivers events to the sandbox's webhook, both share one generated webhook secret.
//! The sandbox may be started with deliberate defects ([`sandbox::defects`]) and legitimate
//! variations ([`sandbox::variations`]).

use gigcheck_core::environment::{Environment, Hook};
use gigcheck_servers::sandbox::{self, Defect, SandboxConfig, Variation};
use gigcheck_servers::stripe::{self, StripeConfig};
use gigcheck_servers::{Running, bind};
use serde_json::{Value, json};

/// The sandbox's webhook route, as the contract names it.
pub const WEBHOOK_PATH: &str = "/api/payment/webhook";

pub struct Embedded {
    pub sandbox: Running,
    pub stripe: Running,
    pub webhook_secret: String,
    pub admin_email: String,
    pub admin_password: String,
    /// The sandbox's JWT signing key, so that specs can mint tokens it must refuse.
    pub jwt_secret: String,
}

/// How long the embedded sandbox waits for the emulator before it answers 502. The emulator,
/// in the same process, answers in about a millisecond, so a short limit changes nothing the
/// plan proves, and the "Stripe hangs" scenario (which runs alone, as it counts orders) waits
/// only this long: most of the whole plan's wall time at 250 ms. A debug build, which `cargo
/// test` runs on busy machines and which is many times slower, keeps a wide margin.
const STRIPE_TIMEOUT: std::time::Duration = if cfg!(debug_assertions) {
    std::time::Duration::from_millis(250)
} else {
    std::time::Duration::from_millis(100)
};

/// A random secret with a recognisable prefix.
pub fn generate_secret(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

impl Embedded {
    /// The servers, with the reference sandbox.
    pub async fn start() -> Result<Embedded, String> {
        Embedded::start_with(&[], &[]).await
    }

    /// The servers, with these defects and variations switched on in the sandbox.
    pub async fn start_with(
        defects: &[Defect],
        variations: &[Variation],
    ) -> Result<Embedded, String> {
        let stripe_listener = bind(0).await?;
        let sandbox_listener = bind(0).await?;
        let address = |l: &tokio::net::TcpListener| {
            l.local_addr()
                .map(|a| format!("http://{a}"))
                .map_err(|e| format!("cannot read the listening address: {e}"))
        };
        let stripe_url = address(&stripe_listener)?;
        let sandbox_url = address(&sandbox_listener)?;
        let webhook_secret = generate_secret("whsec_");
        let admin_email = "admin@giggatek.test".to_string();
        let admin_password = format!("Adm1n!{}", &generate_secret("")[..16]);
        let jwt_secret = generate_secret("jwt_");
        let stripe = Running::spawn(
            stripe_listener,
            stripe::router(StripeConfig {
                webhook_url: Some(format!("{sandbox_url}{WEBHOOK_PATH}")),
                webhook_secret: webhook_secret.clone(),
                ..StripeConfig::default()
            }),
        )?;
        let app = sandbox::router(SandboxConfig {
            db: None,
            stripe_api: stripe_url,
            stripe_secret_key: generate_secret("sk_test_"),
            webhook_secret: webhook_secret.clone(),
            admin_email: admin_email.clone(),
            admin_password: admin_password.clone(),
            defects: defects.to_vec(),
            variations: variations.to_vec(),
            stripe_timeout: STRIPE_TIMEOUT,
            jwt_secret: Some(jwt_secret.clone()),
            ..SandboxConfig::default()
        })?;
        let sandbox = Running::spawn(sandbox_listener, app)?;
        Ok(Embedded {
            sandbox,
            stripe,
            webhook_secret,
            admin_email,
            admin_password,
            jwt_secret,
        })
    }

    /// Makes the servers' addresses, credentials and hooks available to specs.
    pub fn provide(&self, env: &mut Environment) {
        env.vars
            .insert("stripe_url".into(), Value::String(self.stripe.url.clone()));
        env.vars.insert(
            "admin_email".into(),
            Value::String(self.admin_email.clone()),
        );
        env.set_secret("admin_password", self.admin_password.clone());
        env.set_secret("jwt_secret", self.jwt_secret.clone());
        env.set_secret("webhook_secret", self.webhook_secret.clone());
        env.missing.shift_remove("stripe_url");
        env.missing.shift_remove("admin_email");
        let db = format!("{}/__sandbox/db", self.sandbox.url);
        env.hooks.insert(
            "db_down".into(),
            Hook::Post {
                url: db.clone(),
                body: json!({ "available": false }),
            },
        );
        env.hooks.insert(
            "db_up".into(),
            Hook::Post {
                url: db,
                body: json!({ "available": true }),
            },
        );
    }

    pub async fn stop(self) {
        self.sandbox.stop().await;
        self.stripe.stop().await;
    }
}
