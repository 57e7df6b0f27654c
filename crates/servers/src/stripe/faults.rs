//! Fault injection: make the next calls to a path fail, on demand, over HTTP.
//!
//! `POST /__emulator/faults` with a JSON body adds a fault and answers it (with its `id`):
//!
//! ```json
//! { "path": "/v1/payment_intents",  // required; matches every path that starts with it
//!   "method": "POST",               // optional; any method when absent
//!   "times": 1,                     // how many matching calls fail (default 1)
//!   "action": "status",             // "status" | "hang" | "drop" | "delay" (default "status")
//!   "status": 500,                  // status / hang: the status answered (default 500)
//!   "body": {"error": {…}},         // status / hang: the JSON answered (default: a Stripe
//!                                   //   error object fitting the status)
//!   "headers": {"Stripe-Should-Retry": "false"},  // status / hang: extra headers
//!   "hang_ms": 30000,               // hang: how long to hold the request before answering
//!   "delay_ms": 2000,               // delay: how long to wait before serving it normally
//!   "store": true }                 // see below
//! ```
//!
//! - `status`: answers at once with `status` and `body`; the request is not executed.
//! - `hang`: holds the connection `hang_ms` (default 30 s, at most 10 min), then answers like
//!   `status` — long enough for a client's timeout to fire first.
//! - `drop`: closes the connection without answering (the client sees a connection error).
//! - `delay`: waits `delay_ms` (default 2 s), then serves the request normally (a slow Stripe
//!   that still executes the call).
//!
//! `GET /__emulator/faults` lists the active faults with their `remaining` count;
//! `DELETE /__emulator/faults` clears them. Faults are checked in the order they were added,
//! before authentication and idempotency; a fault whose `remaining` reaches 0 is removed.
//! Paths under `/__emulator` are never faulted.
//!
//! **Faults and `Idempotency-Key`.** stripe-python retries 409s, 5xx and connection errors with
//! the same key. Stripe keeps the first answer for a key once the endpoint began executing,
//! including a 500, and replays it. So by default an injected answer with a **5xx status** is
//! kept under the request's key like Stripe's own 500 (the client's retries get the same 500
//! back, marked `Idempotent-Replayed: true`, and it raises `APIError`; the call was not
//! executed), while 4xx answers (a 429 from the rate limiter runs before the endpoint), drops and
//! hangs are not kept (the request never reached Stripe: a retry with the same key executes it
//! once). `"store": false` makes a 5xx transient — the client's automatic retry goes through —
//! and `"store": true` keeps any injected answer.

use super::errors::ApiError;
use super::idempotency::{self, Fingerprint, IdempotencyStore, SavedResponse};
use super::objects::new_id;
use super::params::MAX_BODY_BYTES;
use super::request_id::{DroppedConnection, RequestContext};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Paths under this prefix belong to the emulator's control plane and are never faulted.
pub(super) const CONTROL_PREFIX: &str = "/__emulator";

const MAX_WAIT_MS: u64 = 10 * 60 * 1000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum Action {
    #[default]
    Status,
    Hang,
    Drop,
    Delay,
}

/// A fault as posted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FaultRequest {
    path: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    times: Option<u32>,
    #[serde(default)]
    action: Action,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    headers: IndexMap<String, String>,
    #[serde(default)]
    hang_ms: Option<u64>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    store: Option<bool>,
}

/// An active fault.
#[derive(Debug, Clone, Serialize)]
pub(super) struct Fault {
    pub id: String,
    pub path: String,
    pub method: Option<String>,
    pub action: Action,
    pub status: u16,
    pub body: Value,
    pub headers: IndexMap<String, String>,
    pub hang_ms: u64,
    pub delay_ms: u64,
    pub store: bool,
    /// Calls this fault will still take.
    pub remaining: u32,
}

impl Fault {
    fn from_request(request: FaultRequest) -> Result<Fault, String> {
        if !request.path.starts_with('/') {
            return Err(format!("path must start with '/', got '{}'", request.path));
        }
        let method = match request.method {
            None => None,
            Some(m) => Some(
                Method::from_bytes(m.to_ascii_uppercase().as_bytes())
                    .map_err(|_| format!("'{m}' is not an HTTP method"))?
                    .to_string(),
            ),
        };
        let times = request.times.unwrap_or(1);
        if times == 0 {
            return Err("times must be at least 1".into());
        }
        let status = request.status.unwrap_or(500);
        let code = StatusCode::from_u16(status)
            .ok()
            .filter(|_| (200..=599).contains(&status))
            .ok_or_else(|| format!("status must be between 200 and 599, got {status}"))?;
        for (name, value) in &request.headers {
            HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("'{name}' is not a header name"))?;
            HeaderValue::from_str(value)
                .map_err(|_| format!("the value of header '{name}' is not valid"))?;
        }
        let hang_ms = request.hang_ms.unwrap_or(30_000);
        let delay_ms = request.delay_ms.unwrap_or(2_000);
        if hang_ms > MAX_WAIT_MS || delay_ms > MAX_WAIT_MS {
            return Err(format!("hang_ms and delay_ms may be at most {MAX_WAIT_MS}"));
        }
        let store = request
            .store
            .unwrap_or(request.action == Action::Status && code.is_server_error());
        Ok(Fault {
            id: new_id("flt"),
            path: request.path,
            method,
            action: request.action,
            status,
            body: request.body.unwrap_or_else(|| default_body(code)),
            headers: request.headers,
            hang_ms,
            delay_ms,
            store,
            remaining: times,
        })
    }

    fn matches(&self, method: &Method, path: &str) -> bool {
        path.starts_with(&self.path) && self.method.as_deref().is_none_or(|m| m == method.as_str())
    }

    /// The answer of a `status` or `hang` fault.
    fn answer(&self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.body.clone())).into_response();
        for (name, value) in &self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// A Stripe error object that fits the status.
fn default_body(status: StatusCode) -> Value {
    let error = if status == StatusCode::TOO_MANY_REQUESTS {
        ApiError::invalid_request(
            "Too many requests hit the API too quickly. We recommend an exponential backoff of your requests.",
        )
        .code("rate_limit")
    } else if status.is_server_error() {
        ApiError::server_error(
            status,
            "An unknown error occurred while processing your request (injected by the emulator).",
        )
    } else {
        ApiError::invalid_request("This request failed (injected by the emulator).")
    };
    error.body()
}

/// The active faults (a handle: clones share them).
#[derive(Debug, Default, Clone)]
pub(super) struct Faults {
    list: Arc<Mutex<Vec<Fault>>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, Vec<Fault>> {
        self.list
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The first fault matching the call, with one use taken from it.
    fn take(&self, method: &Method, path: &str) -> Option<Fault> {
        let mut list = self.lock();
        let index = list.iter().position(|f| f.matches(method, path))?;
        let fault = &mut list[index];
        fault.remaining = fault.remaining.saturating_sub(1);
        let taken = fault.clone();
        if taken.remaining == 0 {
            list.remove(index);
        }
        Some(taken)
    }
}

/// Middleware: applies the first matching fault, if any.
pub(super) async fn inject(
    State(faults): State<Faults>,
    State(idempotency): State<IdempotencyStore>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if path.starts_with(CONTROL_PREFIX) {
        return next.run(request).await;
    }
    let Some(fault) = faults.take(request.method(), path) else {
        return next.run(request).await;
    };
    match fault.action {
        Action::Delay => {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms)).await;
            next.run(request).await
        }
        Action::Drop => dropped_connection(),
        Action::Hang => {
            tokio::time::sleep(Duration::from_millis(fault.hang_ms)).await;
            answer(&idempotency, &fault, request).await
        }
        Action::Status => answer(&idempotency, &fault, request).await,
    }
}

/// Answers a `status`/`hang` fault, keeping the answer under the request's idempotency key when
/// the fault says so.
async fn answer(idempotency: &IdempotencyStore, fault: &Fault, request: Request) -> Response {
    let response = fault.answer();
    if !fault.store {
        return response;
    }
    let Some(key) = idempotency::key_of(&request) else {
        return response;
    };
    let request_id = request
        .extensions()
        .get::<RequestContext>()
        .map(|c| c.id.clone())
        .unwrap_or_default();
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .unwrap_or_default();
    let fingerprint = Fingerprint::of(&parts.method, parts.uri.path(), parts.uri.query(), &body);
    let (response_parts, response_body) = response.into_parts();
    let bytes = axum::body::to_bytes(response_body, usize::MAX)
        .await
        .unwrap_or_default();
    idempotency.save_if_absent(
        &key,
        fingerprint,
        SavedResponse {
            status: response_parts.status,
            content_type: response_parts.headers.get(header::CONTENT_TYPE).cloned(),
            body: bytes.clone(),
            request_id,
        },
    );
    Response::from_parts(response_parts, Body::from(bytes))
}

/// A response hyper refuses to write: a `Content-Length` followed by a `Transfer-Encoding`
/// header makes its HTTP/1 encoder cancel the message before any byte of it is sent and close
/// the connection, so the client sees the connection drop with no answer. (axum has no other way
/// to drop a connection from a handler; `tests/it/stripe_emulator.rs` checks that this holds.)
fn dropped_connection() -> Response {
    let mut response = Response::new(Body::from(Bytes::from_static(b"x")));
    response.extensions_mut().insert(DroppedConnection);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("1"));
    headers.insert(
        header::TRANSFER_ENCODING,
        HeaderValue::from_static("chunked"),
    );
    response
}

/// `POST /__emulator/faults`.
pub(super) async fn add(State(faults): State<Faults>, body: Bytes) -> Response {
    let fault = serde_json::from_slice::<FaultRequest>(&body)
        .map_err(|e| e.to_string())
        .and_then(Fault::from_request);
    match fault {
        Ok(fault) => {
            faults.lock().push(fault.clone());
            Json(fault).into_response()
        }
        Err(message) => {
            ApiError::invalid_request(format!("Invalid fault: {message}")).into_response()
        }
    }
}

/// `GET /__emulator/faults`.
pub(super) async fn list(State(faults): State<Faults>) -> Json<Value> {
    let faults = faults.lock().clone();
    Json(json!({ "object": "list", "data": faults }))
}

/// `DELETE /__emulator/faults`.
pub(super) async fn clear(State(faults): State<Faults>) -> Json<Value> {
    let mut faults = faults.lock();
    let cleared = faults.len();
    faults.clear();
    Json(json!({ "deleted": cleared }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault(json: Value) -> Result<Fault, String> {
        serde_json::from_value::<FaultRequest>(json)
            .map_err(|e| e.to_string())
            .and_then(Fault::from_request)
    }

    #[test]
    fn defaults() {
        let f = fault(json!({"path": "/v1/payment_intents"})).unwrap();
        assert_eq!(f.action, Action::Status);
        assert_eq!(f.status, 500);
        assert_eq!(f.remaining, 1);
        assert!(
            f.store,
            "a 500 is kept under its idempotency key by default"
        );
        assert_eq!(f.body["error"]["type"], "api_error");
        let f = fault(json!({"path": "/v1", "status": 429})).unwrap();
        assert!(!f.store);
        assert_eq!(f.body["error"]["code"], "rate_limit");
        let f = fault(json!({"path": "/v1", "action": "drop"})).unwrap();
        assert!(!f.store);
        let f = fault(json!({"path": "/v1", "status": 503, "store": false})).unwrap();
        assert!(!f.store);
    }

    #[test]
    fn bad_faults_are_refused() {
        for bad in [
            json!({}),
            json!({"path": "v1"}),
            json!({"path": "/v1", "times": 0}),
            json!({"path": "/v1", "status": 99}),
            json!({"path": "/v1", "status": 101}),
            json!({"path": "/v1", "status": 600}),
            json!({"path": "/v1", "action": "explode"}),
            json!({"path": "/v1", "method": "GE T"}),
            json!({"path": "/v1", "hang_ms": 700000}),
            json!({"path": "/v1", "headers": {"bad header": "x"}}),
            json!({"path": "/v1", "colour": "red"}),
        ] {
            assert!(fault(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn matching_by_prefix_and_method_and_count() {
        let faults = Faults::default();
        faults.lock().push(
            fault(json!({"path": "/v1/payment_intents", "method": "post", "times": 2})).unwrap(),
        );
        assert!(faults.take(&Method::GET, "/v1/payment_intents").is_none());
        assert!(faults.take(&Method::POST, "/v1/refunds").is_none());
        assert_eq!(
            faults
                .take(&Method::POST, "/v1/payment_intents/pi_1/confirm")
                .unwrap()
                .remaining,
            1
        );
        assert_eq!(
            faults
                .take(&Method::POST, "/v1/payment_intents")
                .unwrap()
                .remaining,
            0
        );
        assert!(faults.take(&Method::POST, "/v1/payment_intents").is_none());
        assert!(faults.lock().is_empty());
    }
}
