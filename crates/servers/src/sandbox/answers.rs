//! Defects that show only in how answers are written, whatever the route: applied by the
//! outermost layer ([`super::log::layer`]) to every answer after its handler. The reference
//! sandbox writes answers the contract's way; each defect here changes one thing about them, as
//! a backend does that serialises its answers by hand.

use super::defects::Defect;
use super::state::AppState;
use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde_json::Value;

/// The largest answer body rewritten (the sandbox's own answers are far smaller).
const LIMIT: usize = 4 << 20;

/// The answer with the answer-level defects that are on.
pub async fn rewrite(state: &AppState, path: &str, response: Response) -> Response {
    let d = state.defects;
    let status = response.status();
    let payment = path.starts_with("/api/payment/");
    if status.is_success() && d.has(Defect::SuccessNotJson) {
        let mut response = response;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return response;
    }
    let rewrites_error = d.has(Defect::ErrorWithoutMessage)
        || (payment && d.has(Defect::PaymentErrorWithoutSuccessFlag))
        || (status.as_u16() == 502 && d.has(Defect::StripeKeyInError));
    if !(status.is_client_error() || status.is_server_error()) || !rewrites_error {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, LIMIT).await else {
        return Response::from_parts(parts, Body::empty());
    };
    let Ok(Value::Object(mut map)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if d.has(Defect::ErrorWithoutMessage) && map.contains_key("error") {
        // `{"error": true}`: a flag where a person's sentence belongs.
        map.insert("error".into(), Value::Bool(true));
    }
    if payment && d.has(Defect::PaymentErrorWithoutSuccessFlag) {
        map.remove("success");
    }
    if status.as_u16() == 502 && d.has(Defect::StripeKeyInError) {
        map.insert(
            "detail".into(),
            Value::String(format!(
                "stripe.api_key={} stripe.api_base={}",
                state.stripe.secret_key(),
                state.stripe.base()
            )),
        );
    }
    let bytes = serde_json::to_vec(&Value::Object(map)).unwrap_or_default();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}
