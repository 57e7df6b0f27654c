//! The reference GigGatek backend. Being written; see issue 3.

/// Settings of the sandbox.
#[derive(Debug, Clone, Default)]
pub struct SandboxConfig {
    /// SQLite file; `None` for a temporary one.
    pub db: Option<std::path::PathBuf>,
    /// Base URL of the Stripe API the sandbox calls (the emulator, or Stripe test mode).
    pub stripe_api: String,
    pub stripe_secret_key: String,
    pub webhook_secret: String,
    pub admin_email: String,
    pub admin_password: String,
}

/// The sandbox's router.
pub fn router(_config: SandboxConfig) -> Result<axum::Router, String> {
    Ok(axum::Router::new())
}
