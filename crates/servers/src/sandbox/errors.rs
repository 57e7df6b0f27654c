//! One error type for every route: each variant is a status code plus a message for a person,
//! rendered as `{"error": "..."}`. Payment routes wrap it in [`PaymentError`], which adds
//! `"success": false`. A 500 never shows its cause: the cause goes to stderr, the client gets
//! a generic sentence. Database failures become 503, as the contract asks. The exceptions are
//! [`ApiError::Leaked`] and [`ApiError::HtmlPage`], which only deliberate defects build
//! ([`super::defects`]). A 429 ([`ApiError::TooManyRequests`], only with the `rate-limits`
//! variation) carries `Retry-After` and `X-RateLimit-*` headers and says when to come back.

use super::notes::note;
use axum::Json;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The message of every 503 while the database is unavailable.
pub const UNAVAILABLE: &str = "Service temporarily unavailable, please try again later";
/// The message of every 502 caused by Stripe.
pub const PROVIDER_UNAVAILABLE: &str = "Payment provider unavailable, please try again";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("Admin privileges required")]
    Forbidden,
    #[error("{0}")]
    NotFound(String),
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    PaymentRequired(String),
    #[error("Request body too large (limit 1 MiB)")]
    PayloadTooLarge,
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// Stripe failed, timed out or could not be reached; the payload is the cause, for the log.
    #[error("{PROVIDER_UNAVAILABLE}")]
    BadGateway(String),
    /// Any status with a message of its own (only defects build it: the contract's answer with
    /// other words).
    #[error("{message}")]
    Worded { status: u16, message: String },
    #[error("{UNAVAILABLE}")]
    Unavailable,
    /// A rate limit was hit (the `rate-limits` variation): `max` requests `per` (`"10 per 1 hour"`).
    #[error("Too many requests")]
    TooManyRequests {
        max: usize,
        per: &'static str,
        /// Seconds until a slot frees.
        retry_after: u64,
        /// When that is, in Unix seconds.
        reset_at: u64,
    },
    /// Something that should not happen; the payload is the cause, for the log only.
    #[error("Internal server error")]
    Internal(String),
    /// What a buggy backend answers when it hands a failure to the client as it is: the
    /// failure's own text and, if there is one, its stack trace. Only defects build it.
    #[error("{message}")]
    Leaked {
        status: u16,
        message: String,
        trace: Option<String>,
    },
    /// Werkzeug's HTML error page for this status instead of JSON: what a Flask backend
    /// without JSON error handlers answers. Only the `html-error-pages` defect builds it.
    #[error("HTML error page {0}")]
    HtmlPage(u16),
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest(message.into())
    }

    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(cause.to_string())
    }

    /// The same status with other words.
    pub fn with_message(self, message: &str) -> ApiError {
        ApiError::Worded {
            status: self.status().as_u16(),
            message: message.to_string(),
        }
    }

    /// The error every missing or foreign order answers with.
    pub fn order_not_found() -> ApiError {
        ApiError::NotFound("Order not found or access denied".into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PaymentRequired(_) => StatusCode::PAYMENT_REQUIRED,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Leaked { status, .. }
            | ApiError::HtmlPage(status)
            | ApiError::Worded { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
    }

    /// The headers of a 429, as Flask-Limiter sends them.
    fn limit_headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        let ApiError::TooManyRequests {
            max,
            retry_after,
            reset_at,
            ..
        } = self
        else {
            return Vec::new();
        };
        vec![
            (
                HeaderName::from_static("retry-after"),
                (*retry_after).into(),
            ),
            (HeaderName::from_static("x-ratelimit-limit"), (*max).into()),
            (
                HeaderName::from_static("x-ratelimit-remaining"),
                HeaderValue::from_static("0"),
            ),
            (
                HeaderName::from_static("x-ratelimit-reset"),
                (*reset_at).into(),
            ),
        ]
    }

    /// Logs what the client must not see.
    fn log_cause(&self) {
        match self {
            ApiError::Internal(cause) => note(format_args!("internal error: {cause}")),
            ApiError::BadGateway(cause) => note(format_args!("Stripe call failed: {cause}")),
            _ => {}
        }
    }

    fn into_response_with(self, success_flag: bool) -> Response {
        self.log_cause();
        if let ApiError::HtmlPage(_) = self {
            return super::html::error_page(self.status());
        }
        let mut body = if success_flag {
            json!({ "success": false, "error": self.to_string() })
        } else {
            json!({ "error": self.to_string() })
        };
        if let ApiError::Leaked {
            trace: Some(trace), ..
        } = &self
        {
            body["trace"] = json!(trace);
        }
        if let ApiError::TooManyRequests {
            retry_after, per, ..
        } = &self
        {
            body["retry_after"] = json!(retry_after);
            body["message"] = json!(format!("Rate limit exceeded: {per}"));
            body["limit"] = json!(per);
        }
        let mut response = (self.status(), Json(body)).into_response();
        response.headers_mut().extend(self.limit_headers());
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.into_response_with(false)
    }
}

/// Database failures: a busy, locked, unreadable or missing database is an outage (503);
/// anything else is a bug (500). The driver's text only goes to the log.
impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> ApiError {
        use rusqlite::ErrorCode as C;
        match e.sqlite_error_code() {
            Some(
                C::DatabaseBusy
                | C::DatabaseLocked
                | C::CannotOpen
                | C::SystemIoFailure
                | C::NotADatabase
                | C::DatabaseCorrupt
                | C::DiskFull
                | C::ReadOnly,
            ) => {
                note(format_args!("database unavailable: {e}"));
                ApiError::Unavailable
            }
            _ => ApiError::Internal(format!("database: {e}")),
        }
    }
}

/// An error of a payment route: the same as [`ApiError`] plus `"success": false`.
#[derive(Debug)]
pub struct PaymentError(pub ApiError);

impl From<ApiError> for PaymentError {
    fn from(e: ApiError) -> PaymentError {
        PaymentError(e)
    }
}

impl From<rusqlite::Error> for PaymentError {
    fn from(e: rusqlite::Error) -> PaymentError {
        PaymentError(e.into())
    }
}

impl IntoResponse for PaymentError {
    fn into_response(self) -> Response {
        self.0.into_response_with(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(r: Response) -> serde_json::Value {
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        serde_json::from_slice(&bytes).unwrap()
    }

    #[tokio::test]
    async fn internal_errors_hide_their_cause() {
        let r =
            ApiError::internal("SELECT * FROM users: no such table at /tmp/x.db").into_response();
        assert_eq!(r.status(), 500);
        assert_eq!(body_of(r).await, json!({"error": "Internal server error"}));
    }

    #[tokio::test]
    async fn payment_errors_carry_success_false() {
        let r = PaymentError(ApiError::BadGateway("connection refused".into())).into_response();
        assert_eq!(r.status(), 502);
        assert_eq!(
            body_of(r).await,
            json!({"success": false, "error": PROVIDER_UNAVAILABLE})
        );
    }

    #[tokio::test]
    async fn rate_limited_answers_say_when_to_come_back() {
        let r = ApiError::TooManyRequests {
            max: 5,
            per: "5 per 1 minute",
            retry_after: 42,
            reset_at: 1_800_000_042,
        }
        .into_response();
        assert_eq!(r.status(), 429);
        let header = |name: &str| r.headers()[name].to_str().unwrap().to_string();
        assert_eq!(header("retry-after"), "42");
        assert_eq!(header("x-ratelimit-limit"), "5");
        assert_eq!(header("x-ratelimit-remaining"), "0");
        assert_eq!(header("x-ratelimit-reset"), "1800000042");
        assert_eq!(
            body_of(r).await,
            json!({"error": "Too many requests", "retry_after": 42,
                   "message": "Rate limit exceeded: 5 per 1 minute", "limit": "5 per 1 minute"})
        );
    }

    #[tokio::test]
    async fn html_pages_are_html() {
        let r = ApiError::HtmlPage(405).into_response();
        assert_eq!(r.status(), 405);
        assert_eq!(r.headers()["content-type"], "text/html; charset=utf-8");
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap();
        assert!(String::from_utf8_lossy(&bytes).contains("<title>405 Method Not Allowed</title>"));
    }

    #[test]
    fn a_busy_database_is_an_outage() {
        let e = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        );
        assert_eq!(ApiError::from(e), ApiError::Unavailable);
    }
}
