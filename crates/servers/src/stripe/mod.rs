//! A stateful Stripe API emulator: the subset of API v1 GigGatek's backend uses, as the official
//! client libraries call it (`stripe.api_base = "http://127.0.0.1:12111"` in stripe-python).
//!
//! What a request goes through, outermost first, one module each:
//! `request_id.rs` (`Request-Id`, log line) → `faults.rs` (injected failures) → `auth.rs` (API
//! key, 401) → `idempotency.rs` (`Idempotency-Key` replay) → a handler (`payment_intents.rs`,
//! `payment_methods.rs`, `refunds.rs`, `events.rs`). Handlers read `params.rs` (bodies parsed
//! by [`form`]), change the objects of `objects.rs` kept in `state.rs` by the rules of
//! `status_machine.rs` and the test cards of `cards.rs`, answer errors shaped by `errors.rs`,
//! and hand the events they cause to `webhooks.rs` for delivery. `lists.rs` pages lists.
//!
//! Routes:
//!
//! | | |
//! |---|---|
//! | `POST /v1/payment_intents`, `GET /v1/payment_intents` | create, list |
//! | `GET`/`POST /v1/payment_intents/{id}` | retrieve, update |
//! | `POST /v1/payment_intents/{id}/confirm` · `/cancel` · `/capture` | the status machine |
//! | `POST /v1/payment_intents/{id}/_authenticate` | complete 3-D Secure (see `payment_intents.rs`) |
//! | `POST /v1/payment_methods`, `GET /v1/payment_methods/{id}` | card payment methods |
//! | `POST /v1/refunds`, `GET /v1/refunds`, `GET`/`POST /v1/refunds/{id}` | refunds |
//! | `GET /v1/charges/{id}` | charges |
//! | `GET /v1/events`, `GET /v1/events/{id}` | the event log |
//! | `GET`/`POST`/`DELETE /__emulator/faults` | fault injection (see `faults.rs`) |
//! | `GET /__emulator/deliveries` | webhook delivery log (see `webhooks.rs`) |
//! | `GET /__emulator/health` | `{"status": "ok"}` |

mod auth;
mod cards;
mod errors;
mod event_batch;
mod events;
mod faults;
pub mod form;
mod idempotency;
mod lists;
mod objects;
mod params;
mod payment_intents;
mod payment_methods;
mod refunds;
mod request_id;
mod state;
mod status_machine;
mod webhooks;

use axum::Router;
use axum::http::{Method, Uri};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};
use axum::{Json, response::IntoResponse, response::Response};
use errors::ApiError;
use serde_json::json;
use state::Emulator;
use std::sync::Arc;
use std::time::Duration;

/// Settings of the emulator. Its `Debug` output hides the webhook secret.
#[derive(Clone)]
pub struct StripeConfig {
    /// Where events are delivered (`None`: events are only logged).
    pub webhook_url: Option<String>,
    /// The endpoint secret deliveries are signed with (`whsec_…`), used exactly as given.
    pub webhook_secret: String,
    /// Delivery attempts per event, the first included (default 5).
    pub webhook_attempts: u32,
    /// Wait before the first retry; doubles after each (default 100 ms).
    pub webhook_backoff: Duration,
    /// How long one delivery attempt may take (default 5 s).
    pub webhook_timeout: Duration,
    /// Log one line per request to stderr (default off).
    pub log_requests: bool,
}

impl Default for StripeConfig {
    fn default() -> StripeConfig {
        StripeConfig {
            webhook_url: None,
            webhook_secret: String::new(),
            webhook_attempts: 5,
            webhook_backoff: Duration::from_millis(100),
            webhook_timeout: Duration::from_secs(5),
            log_requests: false,
        }
    }
}

impl std::fmt::Debug for StripeConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConfig")
            .field("webhook_url", &self.webhook_url)
            .field("webhook_secret", &"<redacted>")
            .field("webhook_attempts", &self.webhook_attempts)
            .field("webhook_backoff", &self.webhook_backoff)
            .field("webhook_timeout", &self.webhook_timeout)
            .field("log_requests", &self.log_requests)
            .finish()
    }
}

/// The emulator's router, with fresh state.
pub fn router(config: StripeConfig) -> Router {
    let emulator = Arc::new(Emulator::new(config));

    let api = Router::new()
        .route(
            "/v1/payment_intents",
            get(payment_intents::list).post(payment_intents::create),
        )
        .route(
            "/v1/payment_intents/{id}",
            get(payment_intents::retrieve).post(payment_intents::update),
        )
        .route(
            "/v1/payment_intents/{id}/confirm",
            post(payment_intents::confirm),
        )
        .route(
            "/v1/payment_intents/{id}/cancel",
            post(payment_intents::cancel),
        )
        .route(
            "/v1/payment_intents/{id}/capture",
            post(payment_intents::capture),
        )
        .route(
            "/v1/payment_intents/{id}/_authenticate",
            post(payment_intents::authenticate),
        )
        .route("/v1/payment_methods", post(payment_methods::create))
        .route("/v1/payment_methods/{id}", get(payment_methods::retrieve))
        .route("/v1/refunds", get(refunds::list).post(refunds::create))
        .route(
            "/v1/refunds/{id}",
            get(refunds::retrieve).post(refunds::update),
        )
        .route("/v1/charges/{id}", get(refunds::retrieve_charge))
        .route("/v1/events", get(events::list))
        .route("/v1/events/{id}", get(events::retrieve))
        .fallback(unrecognized_url)
        .method_not_allowed_fallback(unrecognized_url)
        .layer(from_fn_with_state(
            emulator.clone(),
            idempotency::replay_or_record,
        ))
        .layer(from_fn(auth::authenticate));

    let control = Router::new()
        .route("/__emulator/health", get(health))
        .route(
            "/__emulator/faults",
            get(faults::list).post(faults::add).delete(faults::clear),
        )
        .route("/__emulator/deliveries", get(webhooks::deliveries));

    control
        .merge(api)
        .layer(from_fn_with_state(emulator.clone(), faults::inject))
        .layer(from_fn_with_state(
            request_id::LogRequests(emulator.config.log_requests),
            request_id::tag_and_log,
        ))
        .with_state(emulator)
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// Stripe's answer to a path or method it does not have.
async fn unrecognized_url(method: Method, uri: Uri) -> Response {
    let mut error = ApiError::invalid_request(format!(
        "Unrecognized request URL ({method}: {}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
        uri.path()
    ));
    error.status = axum::http::StatusCode::NOT_FOUND;
    error.stored = false;
    error.into_response()
}
