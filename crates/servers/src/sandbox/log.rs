//! The outermost layer: one log line per request (`sandbox: METHOD /path STATUS 12ms`, to
//! stderr, when the config asks for it), and two last lines of defence: a panic in a handler
//! becomes a generic 500 JSON answer instead of a dropped connection, and an error that did not
//! come from our own error type (say, axum rejecting a path that is not UTF-8) is rewritten as
//! `{"error": "<reason>"}`, so that every error body is JSON — except with the
//! `html-error-pages` defect, whose HTML pages are the point ([`super::defects`]).

use super::defects::Defect;
use super::errors::ApiError;
use super::state::AppState;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

pub async fn layer(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let response = match CatchUnwind(Box::pin(next.run(req))).await {
        Ok(response) => response,
        Err(()) => {
            ApiError::internal(format!("a handler panicked on {method} {path}")).into_response()
        }
    };
    let response = if state.defects.has(Defect::HtmlErrorPages) {
        response
    } else {
        json_errors_only(response)
    };
    let response = super::answers::rewrite(&state, &path, response).await;
    if state.log_requests {
        errln!(
            "sandbox: {method} {path} {} {}ms",
            response.status().as_u16(),
            started.elapsed().as_millis()
        );
    }
    response
}

/// An error answer that is not JSON becomes `{"error": "<the status's reason>"}`.
fn json_errors_only(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if is_json || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let reason = status.canonical_reason().unwrap_or("Request failed");
    (status, Json(serde_json::json!({ "error": reason }))).into_response()
}

/// Polls a future, turning a panic into `Err(())`.
struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}
