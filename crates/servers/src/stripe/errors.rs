//! Stripe's error object (`{"error": {type, code, decline_code, message, param, …}}`) with the
//! HTTP status that makes stripe-python raise the same exception class as Stripe does: 400/404 →
//! `InvalidRequestError` (`IdempotencyError` for `type: idempotency_error`), 401 →
//! `AuthenticationError`, 402 → `CardError`, 403 → `PermissionError`, 409/5xx → `APIError`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

/// Marks a response the idempotency layer must not keep for its key: Stripe saves a result only
/// once the endpoint began executing, so authentication failures and parameter validation errors
/// are not replayed (see [`super::idempotency`]).
#[derive(Debug, Clone, Copy)]
pub(super) struct NotStored;

/// An error answer.
#[derive(Debug, Clone)]
pub(super) struct ApiError {
    pub status: StatusCode,
    /// The members of the inner `error` object.
    pub fields: Map<String, Value>,
    /// Whether an `Idempotency-Key` may keep this answer for replay.
    pub stored: bool,
}

pub(super) type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn new(status: StatusCode, kind: &str, message: impl Into<String>) -> ApiError {
        let mut fields = Map::new();
        fields.insert("type".into(), kind.into());
        fields.insert("message".into(), Value::String(message.into()));
        ApiError {
            status,
            fields,
            stored: true,
        }
    }

    /// 400 `invalid_request_error`.
    pub(super) fn invalid_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    /// 400 about one parameter, found before the endpoint ran (not stored for idempotency).
    pub(super) fn invalid_param(param: &str, code: &str, message: impl Into<String>) -> ApiError {
        let mut error = ApiError::invalid_request(message).param(param).code(code);
        error.stored = false;
        error
    }

    /// 400 about the value of `param`, without a code, found before the endpoint ran.
    pub(super) fn bad_value(param: &str, message: impl Into<String>) -> ApiError {
        let mut error = ApiError::invalid_request(message).param(param);
        error.stored = false;
        error
    }

    /// 400 `parameter_missing`.
    pub(super) fn missing_param(param: &str) -> ApiError {
        ApiError::invalid_param(
            param,
            "parameter_missing",
            format!("Missing required param: {param}."),
        )
    }

    /// 404 `resource_missing` for an id in the URL: "No such payment_intent: 'pi_x'".
    pub(super) fn no_such(kind: &str, id: &str, param: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "invalid_request_error",
            format!("No such {kind}: '{id}'"),
        )
        .code("resource_missing")
        .param(param)
    }

    /// 400 `resource_missing` for an id given as a parameter.
    pub(super) fn no_such_param(kind: &str, id: &str, param: &str) -> ApiError {
        ApiError::invalid_request(format!("No such {kind}: '{id}'"))
            .code("resource_missing")
            .param(param)
    }

    /// 400 `payment_intent_unexpected_state`, carrying the intent as it is.
    pub(super) fn unexpected_state(message: impl Into<String>, intent: Value) -> ApiError {
        ApiError::invalid_request(message)
            .code("payment_intent_unexpected_state")
            .with("payment_intent", intent)
    }

    /// 402 `card_error`.
    pub(super) fn card(code: &str, decline_code: Option<&str>, message: &str) -> ApiError {
        let error = ApiError::new(StatusCode::PAYMENT_REQUIRED, "card_error", message).code(code);
        match decline_code {
            Some(decline) => error.with("decline_code", decline.into()),
            None => error,
        }
    }

    /// 401: no key, or not a key this emulator accepts.
    pub(super) fn authentication(message: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(StatusCode::UNAUTHORIZED, "invalid_request_error", message);
        error.stored = false;
        error
    }

    /// 403: a publishable key where a secret key is needed.
    pub(super) fn permission(message: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(StatusCode::FORBIDDEN, "invalid_request_error", message);
        error.stored = false;
        error
    }

    /// `idempotency_error` with the given status (400 mismatch, 409 in flight).
    pub(super) fn idempotency(status: StatusCode, message: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(status, "idempotency_error", message);
        error.stored = false;
        error
    }

    /// `api_error`: Stripe failing on its side.
    pub(super) fn server_error(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError::new(status, "api_error", message)
    }

    /// Sets `code` (and the matching `doc_url`).
    pub(super) fn code(mut self, code: &str) -> ApiError {
        self.fields.insert("code".into(), code.into());
        self.fields.insert(
            "doc_url".into(),
            format!(
                "https://stripe.com/docs/error-codes/{}",
                code.replace('_', "-")
            )
            .into(),
        );
        self
    }

    /// Sets `param`.
    pub(super) fn param(self, param: &str) -> ApiError {
        self.with("param", param.into())
    }

    /// Sets any other member (`payment_intent`, `charge`, `payment_method`, …).
    pub(super) fn with(mut self, key: &str, value: Value) -> ApiError {
        self.fields.insert(key.to_string(), value);
        self
    }

    /// The `error` object's `code`, if any.
    #[cfg(test)]
    pub(super) fn code_str(&self) -> Option<&str> {
        self.fields.get("code").and_then(Value::as_str)
    }

    /// The whole body: `{"error": {…}}`, members in alphabetical order like Stripe's.
    pub(super) fn body(&self) -> Value {
        let mut members: Vec<_> = self.fields.iter().collect();
        members.sort_by(|a, b| a.0.cmp(b.0));
        let inner: Map<String, Value> = members
            .into_iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        serde_json::json!({ "error": inner })
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if !self.stored {
            response.extensions_mut().insert(NotStored);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_found_matches_stripe_wording() {
        let error = ApiError::no_such("payment_intent", "pi_x", "intent");
        assert_eq!(error.status, StatusCode::NOT_FOUND);
        let body = error.body();
        assert_eq!(body["error"]["message"], "No such payment_intent: 'pi_x'");
        assert_eq!(body["error"]["code"], "resource_missing");
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(
            body["error"]["doc_url"],
            "https://stripe.com/docs/error-codes/resource-missing"
        );
    }

    #[test]
    fn card_errors_are_402_with_decline_code() {
        let error = ApiError::card(
            "card_declined",
            Some("insufficient_funds"),
            "Your card has insufficient funds.",
        );
        assert_eq!(error.status, StatusCode::PAYMENT_REQUIRED);
        assert_eq!(error.body()["error"]["decline_code"], "insufficient_funds");
        assert_eq!(error.body()["error"]["type"], "card_error");
        assert!(error.stored);
    }

    #[test]
    fn validation_and_auth_errors_are_not_stored() {
        assert!(!ApiError::missing_param("amount").stored);
        assert!(!ApiError::authentication("no").stored);
        let response = ApiError::missing_param("amount").into_response();
        assert!(response.extensions().get::<NotStored>().is_some());
    }
}
