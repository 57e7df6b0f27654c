//! `Idempotency-Key` replay, as Stripe does it, for every `POST` under `/v1` that carries the
//! header (stripe-python sends one with every POST and reuses it on its retries):
//!
//! - the first request with a key runs, and its answer (status and body) is kept for 24 h —
//!   also a 402 decline or a 500;
//! - the same key with the same endpoint and parameters gets that answer again, with
//!   `Idempotent-Replayed: true` and `Original-Request: req_…` (the first request's id);
//! - the same key with other parameters → 400 `idempotency_error`; with another endpoint → 400
//!   `idempotency_error`; while the first request still runs → 409 `idempotency_error`
//!   (`idempotency_key_in_use`), which stripe-python retries;
//! - answers the endpoint gave before it began executing (401/403 key errors, parameter
//!   validation errors, marked [`NotStored`]) are not kept, as Stripe documents.
//!
//! Parameters are compared as decoded `key=value` pairs, in any order. Keys are not scoped per
//! API key (the emulator has one account). Injected faults run before this layer; see
//! [`super::faults`] for which of them are kept under the key.

use super::errors::{ApiError, NotStored};
use super::params::MAX_BODY_BYTES;
use super::request_id::RequestContext;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a key is remembered.
pub(super) const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// What makes two requests "the same": endpoint and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Fingerprint {
    /// `POST /v1/payment_intents`.
    endpoint: String,
    /// Decoded `(key, value)` pairs of query and body, sorted.
    params: Vec<(String, String)>,
}

impl Fingerprint {
    pub(super) fn of(method: &Method, path: &str, query: Option<&str>, body: &[u8]) -> Fingerprint {
        let mut params: Vec<(String, String)> =
            form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .chain(form_urlencoded::parse(body))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        params.sort();
        Fingerprint {
            endpoint: format!("{method} {path}"),
            params,
        }
    }
}

/// An answer kept for replay.
#[derive(Debug, Clone)]
pub(super) struct SavedResponse {
    pub status: StatusCode,
    pub content_type: Option<HeaderValue>,
    pub body: Bytes,
    /// The `Request-Id` of the request that produced it.
    pub request_id: String,
}

impl SavedResponse {
    fn replay(&self, key: &str) -> Response {
        let mut response = (self.status, self.body.clone()).into_response();
        let headers = response.headers_mut();
        if let Some(content_type) = &self.content_type {
            headers.insert(header::CONTENT_TYPE, content_type.clone());
        }
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
        if let Ok(value) = HeaderValue::from_str(&self.request_id) {
            headers.insert("original-request", value);
        }
        echo_key(&mut response, key);
        response
    }
}

#[derive(Debug)]
enum Entry {
    InFlight {
        fingerprint: Fingerprint,
    },
    Done {
        fingerprint: Fingerprint,
        saved: SavedResponse,
        at: Instant,
    },
}

/// The keys seen so far.
#[derive(Debug, Default, Clone)]
pub(super) struct IdempotencyStore {
    entries: Arc<Mutex<HashMap<String, Entry>>>,
}

/// What to do with a request that carries a key.
enum Lookup {
    /// First use: run it, then [`InFlight::finish`].
    Run(InFlight),
    Replay(Box<SavedResponse>),
    Refuse(ApiError),
}

/// A key whose request is running; dropping it unfinished (client gone, answer not stored)
/// forgets the key so a retry can run.
struct InFlight {
    store: IdempotencyStore,
    key: String,
    fingerprint: Option<Fingerprint>,
}

impl InFlight {
    fn finish(mut self, saved: SavedResponse) {
        if let Some(fingerprint) = self.fingerprint.take() {
            self.store.lock().insert(
                self.key.clone(),
                Entry::Done {
                    fingerprint,
                    saved,
                    at: Instant::now(),
                },
            );
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.fingerprint.is_some() {
            self.store.lock().remove(&self.key);
        }
    }
}

impl IdempotencyStore {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn begin(&self, key: &str, fingerprint: Fingerprint) -> Lookup {
        let mut entries = self.lock();
        entries.retain(
            |_, entry| !matches!(entry, Entry::Done { at, .. } if at.elapsed() > KEY_LIFETIME),
        );
        match entries.get(key) {
            None => {
                entries.insert(
                    key.to_string(),
                    Entry::InFlight {
                        fingerprint: fingerprint.clone(),
                    },
                );
                Lookup::Run(InFlight {
                    store: self.clone(),
                    key: key.to_string(),
                    fingerprint: Some(fingerprint),
                })
            }
            Some(Entry::InFlight { fingerprint: first }) => match mismatch(key, first, &fingerprint) {
                Some(error) => Lookup::Refuse(error),
                None => Lookup::Refuse(
                    ApiError::idempotency(
                        StatusCode::CONFLICT,
                        format!(
                            "There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): {key}. Please try again later."
                        ),
                    )
                    .code("idempotency_key_in_use"),
                ),
            },
            Some(Entry::Done {
                fingerprint: first,
                saved,
                ..
            }) => match mismatch(key, first, &fingerprint) {
                Some(error) => Lookup::Refuse(error),
                None => Lookup::Replay(Box::new(saved.clone())),
            },
        }
    }

    /// Keeps `saved` for `key` unless the key is already known (used by injected faults).
    pub(super) fn save_if_absent(&self, key: &str, fingerprint: Fingerprint, saved: SavedResponse) {
        self.lock().entry(key.to_string()).or_insert(Entry::Done {
            fingerprint,
            saved,
            at: Instant::now(),
        });
    }
}

fn mismatch(key: &str, first: &Fingerprint, now: &Fingerprint) -> Option<ApiError> {
    if first.endpoint != now.endpoint {
        return Some(ApiError::idempotency(
            StatusCode::BAD_REQUEST,
            format!(
                "Keys for idempotent requests can only be used for the same endpoint they were first used for ('{}' vs '{}'). Try using a key other than '{key}' if you meant to execute a different request.",
                first.endpoint, now.endpoint
            ),
        ));
    }
    if first.params != now.params {
        return Some(ApiError::idempotency(
            StatusCode::BAD_REQUEST,
            format!(
                "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '{key}' if you meant to execute a different request."
            ),
        ));
    }
    None
}

fn echo_key(response: &mut Response, key: &str) {
    if let Ok(value) = HeaderValue::from_str(key) {
        response.headers_mut().insert("idempotency-key", value);
    }
}

/// The key of a request, when it is a POST that carries one.
pub(super) fn key_of(request: &Request) -> Option<String> {
    if request.method() != Method::POST {
        return None;
    }
    request
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

/// Middleware: replays, refuses or runs and records, as the module doc says.
pub(super) async fn replay_or_record(
    State(store): State<IdempotencyStore>,
    request: Request,
    next: Next,
) -> Response {
    let Some(key) = key_of(&request) else {
        return next.run(request).await;
    };
    if key.chars().count() > 255 {
        return ApiError::bad_value(
            "Idempotency-Key",
            "Invalid Idempotency-Key: must be at most 255 characters long.",
        )
        .into_response();
    }
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY_BYTES).await else {
        return ApiError::bad_value(
            "",
            "Invalid request: the body could not be read (larger than 1 MiB?).",
        )
        .into_response();
    };
    let fingerprint = Fingerprint::of(&parts.method, parts.uri.path(), parts.uri.query(), &body);
    let request_id = parts
        .extensions
        .get::<RequestContext>()
        .map(|c| c.id.clone())
        .unwrap_or_default();

    let in_flight = match store.begin(&key, fingerprint) {
        Lookup::Replay(saved) => return saved.replay(&key),
        Lookup::Refuse(error) => return error.into_response(),
        Lookup::Run(in_flight) => in_flight,
    };
    let mut response = next.run(Request::from_parts(parts, Body::from(body))).await;
    echo_key(&mut response, &key);
    if response.extensions().get::<NotStored>().is_some() {
        return response; // `in_flight` drops: the key is forgotten.
    }
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return ApiError::server_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The response could not be recorded.",
        )
        .into_response();
    };
    in_flight.finish(SavedResponse {
        status: parts.status,
        content_type: parts.headers.get(header::CONTENT_TYPE).cloned(),
        body: bytes.clone(),
        request_id,
    });
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(path: &str, body: &str) -> Fingerprint {
        Fingerprint::of(&Method::POST, path, None, body.as_bytes())
    }

    fn saved() -> SavedResponse {
        SavedResponse {
            status: StatusCode::OK,
            content_type: None,
            body: Bytes::from_static(b"{}"),
            request_id: "req_1".into(),
        }
    }

    #[test]
    fn parameter_order_does_not_matter() {
        assert_eq!(fp("/v1/x", "a=1&b=2"), fp("/v1/x", "b=2&a=1"));
        assert_ne!(fp("/v1/x", "a=1"), fp("/v1/x", "a=2"));
        assert_ne!(fp("/v1/x", "a=1"), fp("/v1/y", "a=1"));
    }

    #[test]
    fn first_run_then_replay_then_mismatch() {
        let store = IdempotencyStore::default();
        let Lookup::Run(in_flight) = store.begin("k", fp("/v1/x", "a=1")) else {
            panic!("first use must run")
        };
        assert!(
            matches!(store.begin("k", fp("/v1/x", "a=1")), Lookup::Refuse(e) if e.status == StatusCode::CONFLICT)
        );
        in_flight.finish(saved());
        assert!(matches!(
            store.begin("k", fp("/v1/x", "a=1")),
            Lookup::Replay(_)
        ));
        assert!(
            matches!(store.begin("k", fp("/v1/x", "a=2")), Lookup::Refuse(e) if e.status == StatusCode::BAD_REQUEST)
        );
        assert!(
            matches!(store.begin("k", fp("/v1/y", "a=1")), Lookup::Refuse(e) if e.status == StatusCode::BAD_REQUEST)
        );
    }

    #[test]
    fn an_unfinished_run_forgets_the_key() {
        let store = IdempotencyStore::default();
        let Lookup::Run(in_flight) = store.begin("k", fp("/v1/x", "a=1")) else {
            panic!("first use must run")
        };
        drop(in_flight);
        assert!(matches!(
            store.begin("k", fp("/v1/x", "a=2")),
            Lookup::Run(_)
        ));
    }
}
