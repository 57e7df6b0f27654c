//! The reference GigGatek backend: every route of `docs/giggatek-api-contract.md`, with the
//! contract's status codes and messages, on SQLite, paying through the Stripe API it is given.
//!
//! | route | module |
//! |---|---|
//! | `POST /api/auth/register`, `POST /api/auth/login`, `GET /api/auth/me` | [`auth`] |
//! | `GET /api/products`, `GET /api/products/<id>` | [`products`] |
//! | `GET`/`POST /api/addresses` | [`addresses`] |
//! | `GET /api/orders`, `GET /api/orders/<id>`, `GET /api/orders/stats` | [`orders`] |
//! | `POST /api/orders` | [`checkout`] |
//! | `POST /api/orders/<id>/cancel`, `PUT /api/orders/<id>/status` | [`cancel`] |
//! | `POST /api/payment/create-payment-intent`, `…/confirm-payment-intent` | [`payments`] |
//! | `POST /api/payment/webhook` | [`webhook`] |
//! | `GET`/`POST /__sandbox/db` (not in the contract: the database outage switch) | [`control`] |
//! | `GET /__sandbox/stats` (not in the contract: sign-ups and logins served) | [`control`] |
//!
//! The order list and create routes answer with and without a trailing slash (with the
//! `trailing-slash` variation, `/api/orders` answers 308 to `/api/orders/`). Business rules
//! live in [`rules`]. Unknown routes answer 404 JSON, wrong methods 405 JSON.
//!
//! **Outage switch** for test runners (plan case 6.1, "DB down"): `POST /__sandbox/db` with
//! `{"available": false}` makes every route that needs the database answer 503
//! `{"error":"Service temporarily unavailable, please try again later"}` (payment routes add
//! `"success": false`) and write nothing; `{"available": true}` brings it back with every
//! earlier row. `GET /__sandbox/db` answers `{"available": true|false}`.
//!
//! Choices the contract leaves open: product list `limit` defaults to 20 (at most 100); a
//! cancellation's `refund.amount` is Stripe's, in cents; the JWT secret is kept in the database, so tokens survive a restart on a
//! kept `--db` file; the admin account gets the configured (or generated) password at every start.
//!
//! **Defects**: [`SandboxConfig::defects`] switches on deliberate bugs ([`defects`]), one rule
//! each, so that a spec suite can be shown to catch them (`gigcheck mutants`). Empty by default.
//!
//! **Variations**: [`SandboxConfig::variations`] switches on legitimate differences
//! ([`variations`]) — trailing-slash redirects, rate limits, money as strings, HTTP-dates, extra
//! fields, lean answers, 400 for short stock, another catalogue, `is_admin` as 1/0, `created_by`
//! as a name — so that a spec suite can be shown to pass on every conforming backend, not only
//! this one. Empty by default.

pub mod addresses;
pub mod answers;
pub mod auth;
pub mod cancel;
pub mod checkout;
pub mod control;
pub mod db;
pub mod defects;
pub mod errors;
pub mod extract;
pub mod html;
pub mod limits;
pub mod log;
pub mod notes;
pub mod orders;
pub mod payments;
pub mod products;
pub mod rules;
pub mod state;
pub mod stripe_client;
pub mod tokens;
pub mod variations;
pub mod webhook;

pub use defects::{Defect, Defects};
pub use variations::{Variation, Variations};

use axum::Router;
use axum::routing::{any, get, post, put};
use std::sync::Arc;
use std::time::Duration;

/// The admin account's email when none is configured.
pub const DEFAULT_ADMIN_EMAIL: &str = "admin@giggatek.test";

/// Settings of the sandbox.
#[derive(Clone)]
pub struct SandboxConfig {
    /// SQLite file; `None` for a temporary one, removed when the router is dropped.
    pub db: Option<std::path::PathBuf>,
    /// Base URL of the Stripe API the sandbox calls (the emulator, or Stripe test mode).
    pub stripe_api: String,
    pub stripe_secret_key: String,
    /// The webhook endpoint secret (`whsec_…`); empty → a random one nobody knows.
    pub webhook_secret: String,
    /// Empty → [`DEFAULT_ADMIN_EMAIL`].
    pub admin_email: String,
    /// Empty → a random one nobody knows; see [`generate_password`] to make one you can print.
    pub admin_password: String,
    /// One line per request to stderr.
    pub log_requests: bool,
    /// How long a Stripe call may take before the route answers 502.
    pub stripe_timeout: Duration,
    /// The HS256 key of tokens; `None` → one generated and kept in the database.
    pub jwt_secret: Option<String>,
    /// Deliberate bugs to switch on (see [`defects`]); empty for the reference behaviour.
    pub defects: Vec<Defect>,
    /// Legitimate differences to switch on (see [`variations`]); empty for the reference
    /// behaviour.
    pub variations: Vec<Variation>,
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        SandboxConfig {
            db: None,
            stripe_api: "http://127.0.0.1:12111".into(),
            stripe_secret_key: "sk_test_gigcheck_sandbox".into(),
            webhook_secret: String::new(),
            admin_email: String::new(),
            admin_password: String::new(),
            log_requests: false,
            stripe_timeout: Duration::from_secs(5),
            jwt_secret: None,
            defects: Vec::new(),
            variations: Vec::new(),
        }
    }
}

impl std::fmt::Debug for SandboxConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hidden = |s: &str| if s.is_empty() { "" } else { "[hidden]" };
        f.debug_struct("SandboxConfig")
            .field("db", &self.db)
            .field("stripe_api", &self.stripe_api)
            .field("stripe_secret_key", &hidden(&self.stripe_secret_key))
            .field("webhook_secret", &hidden(&self.webhook_secret))
            .field("admin_email", &self.admin_email)
            .field("admin_password", &hidden(&self.admin_password))
            .field("log_requests", &self.log_requests)
            .field("stripe_timeout", &self.stripe_timeout)
            .field("jwt_secret", &self.jwt_secret.as_deref().map(hidden))
            .field("defects", &self.defects)
            .field("variations", &self.variations)
            .finish()
    }
}

fn random_hex(len: usize) -> String {
    let mut out = String::new();
    while out.len() < len {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(len);
    out
}

/// A strong random password that meets the registration rules (upper, lower, digit, special).
pub fn generate_password() -> String {
    format!("Gg7!{}", random_hex(20))
}

/// A random webhook endpoint secret, `whsec_…`.
pub fn generate_webhook_secret() -> String {
    format!("whsec_{}", random_hex(32))
}

fn check_config(config: &SandboxConfig) -> Result<(), String> {
    let url_ok = url::Url::parse(&config.stripe_api)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    if !url_ok {
        return Err(format!(
            "the Stripe API URL '{}' is not an http(s) URL; pass one like --stripe-api http://127.0.0.1:12111",
            config.stripe_api
        ));
    }
    if config.stripe_secret_key.trim().is_empty() {
        return Err("the Stripe secret key is empty; pass one with --stripe-secret-key".into());
    }
    if config.stripe_timeout.is_zero() {
        return Err("the Stripe timeout must be more than zero".into());
    }
    if !config.admin_email.is_empty() && !auth::email_is_valid(&config.admin_email) {
        return Err(format!(
            "the admin email '{}' is not an email address; pass one like --admin-email admin@giggatek.test",
            config.admin_email
        ));
    }
    Ok(())
}

/// The sandbox's router: opens (or creates) the database, seeds it if empty, makes sure the
/// admin account exists with the configured password. `Err` says what to change.
pub fn router(config: SandboxConfig) -> Result<Router, String> {
    check_config(&config)?;
    let admin_email = if config.admin_email.is_empty() {
        DEFAULT_ADMIN_EMAIL.to_string()
    } else {
        config.admin_email.to_lowercase()
    };
    let admin_password = if config.admin_password.is_empty() {
        generate_password()
    } else {
        config.admin_password.clone()
    };
    let admin_hash = auth::hash_password(&admin_password)
        .map_err(|e| format!("cannot hash the admin password: {e}"))?;
    let webhook_secret = if config.webhook_secret.is_empty() {
        generate_webhook_secret()
    } else {
        config.webhook_secret.clone()
    };

    let defects: Defects = config.defects.iter().copied().collect();
    let variations: Variations = config.variations.iter().copied().collect();
    let db = db::Db::open(config.db.as_deref())?.with_defects(defects);
    let stored_jwt_secret = db.write_now(|tx| {
        db::seed_catalogue(tx, variations)?;
        db::upsert_admin(tx, &admin_email, &admin_hash)?;
        db::meta_value(tx, "jwt_secret", || random_hex(64))
    })?;
    let jwt_secret = config.jwt_secret.clone().unwrap_or(stored_jwt_secret);
    let stripe_timeout = if defects.has(Defect::NoStripeTimeout) {
        // stripe-python's own default is 80 s; "no timeout" in practice.
        std::time::Duration::from_secs(3600)
    } else {
        config.stripe_timeout
    };
    let stripe = stripe_client::StripeClient::new(
        &config.stripe_api,
        &config.stripe_secret_key,
        stripe_timeout,
    )?;

    let state: state::AppState = Arc::new(state::State {
        db,
        jwt: tokens::JwtKeys::new(jwt_secret.as_bytes(), defects),
        stripe,
        webhook_secret,
        log_requests: config.log_requests,
        order_locks: state::OrderLocks::default(),
        defects,
        variations,
        limiter: limits::RateLimiter::default(),
        counts: state::Counts::default(),
    });

    let routes = Router::new()
        .route("/api/auth/register", post(auth::register))
        .route("/api/auth/login", post(auth::login))
        .route("/api/auth/me", get(auth::me))
        .route("/api/products", get(products::list))
        .route("/api/products/{id}", get(products::get));
    let routes = orders_collection(addresses_routes(routes, defects), variations);
    Ok(routes
        .route("/api/orders/stats", get(orders::stats))
        .route("/api/orders/{id}", get(orders::get))
        .route("/api/orders/{id}/cancel", post(cancel::cancel))
        .route("/api/orders/{id}/status", put(cancel::update_status))
        .route(
            "/api/payment/create-payment-intent",
            post(payments::create_intent),
        )
        .route(
            "/api/payment/confirm-payment-intent",
            post(payments::confirm_intent),
        )
        .route("/api/payment/webhook", post(webhook::receive))
        .route(
            "/__sandbox/db",
            get(control::db_status).post(control::set_db),
        )
        .route("/__sandbox/stats", get(control::stats))
        .fallback(extract::not_found)
        .method_not_allowed_fallback(extract::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            log::layer,
        ))
        .with_state(state))
}

/// `GET`/`POST /api/addresses`, with and without a trailing slash; none with the
/// `no-addresses-route` defect (the public tree has the table but never routes it), so that
/// they answer as unknown routes do.
fn addresses_routes(routes: Router<state::AppState>, defects: Defects) -> Router<state::AppState> {
    if defects.has(Defect::NoAddressesRoute) {
        return routes;
    }
    let both = get(addresses::list).post(addresses::create);
    routes
        .route("/api/addresses", both.clone())
        .route("/api/addresses/", both)
}

/// `GET`/`POST /api/orders` (list and create): answered with and without the trailing slash,
/// or with `trailing-slash` at `/api/orders/` only, `/api/orders` redirecting there (308) the
/// way Flask's strict slashes do.
fn orders_collection(
    routes: Router<state::AppState>,
    variations: Variations,
) -> Router<state::AppState> {
    let both = get(orders::list).post(checkout::create);
    if variations.has(Variation::TrailingSlash) {
        return routes
            .route("/api/orders/", both)
            .route("/api/orders", any(html::redirect_to_slash));
    }
    routes
        .route("/api/orders", both.clone())
        .route("/api/orders/", both)
}
