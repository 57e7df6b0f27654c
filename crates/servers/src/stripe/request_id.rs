//! The outermost middleware: gives every request a `Request-Id: req_…` (also on errors and
//! injected faults), remembers what events need to know about the request ([`RequestContext`]),
//! and logs one line per request to stderr when the config asks for it.

use super::objects::new_id;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// What the emulator knows about the request being served.
#[derive(Debug, Clone)]
pub(super) struct RequestContext {
    /// `req_…`, also sent back as `Request-Id`.
    pub id: String,
    pub idempotency_key: Option<String>,
    /// The `Stripe-Version` the client sent, if any.
    pub stripe_version: Option<String>,
}

/// Marks the answer of a `drop` fault, for the request log.
#[derive(Debug, Clone, Copy)]
pub(super) struct DroppedConnection;

/// Whether every request is logged (the config's `log_requests`).
#[derive(Debug, Clone, Copy)]
pub(super) struct LogRequests(pub bool);

pub(super) async fn tag_and_log(
    State(LogRequests(log)): State<LogRequests>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let context = RequestContext {
        id: new_id("req"),
        idempotency_key: header_text(&request, "idempotency-key"),
        stripe_version: header_text(&request, "stripe-version"),
    };
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let id = context.id.clone();
    request.extensions_mut().insert(context);

    let mut response = next.run(request).await;

    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("request-id", value);
    }
    if log {
        let outcome = if response.extensions().get::<DroppedConnection>().is_some() {
            "connection dropped (fault)".to_string()
        } else {
            response.status().as_u16().to_string()
        };
        errln!(
            "{method} {path} → {outcome} in {} ms ({id})",
            started.elapsed().as_millis()
        );
    }
    response
}

fn header_text(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}
