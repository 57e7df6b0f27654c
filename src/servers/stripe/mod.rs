//! A stateful Stripe API emulator (a subset of API v1). Being written; see issue 3.

/// Settings of the emulator.
#[derive(Debug, Clone, Default)]
pub struct StripeConfig {
    /// Where events are delivered (`None`: events are only logged).
    pub webhook_url: Option<String>,
    /// The endpoint secret deliveries are signed with (`whsec_…`).
    pub webhook_secret: String,
}

/// The emulator's router.
pub fn router(_config: StripeConfig) -> axum::Router {
    axum::Router::new()
}
