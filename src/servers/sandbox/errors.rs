//! One error type for every route: each variant is a status code plus a message for a person,
//! rendered as `{"error": "..."}`. Payment routes wrap it in [`PaymentError`], which adds
//! `"success": false`. A 500 never shows its cause: the cause goes to stderr, the client gets
//! a generic sentence. Database failures become 503, as the contract asks. The one exception is
//! [`ApiError::Leaked`], which only a deliberate defect builds ([`super::defects`]).

use super::log::note;
use axum::Json;
use axum::http::StatusCode;
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
    #[error("{UNAVAILABLE}")]
    Unavailable,
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
}

impl ApiError {
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::BadRequest(message.into())
    }

    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        ApiError::Internal(cause.to_string())
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
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Leaked { status, .. } => {
                StatusCode::from_u16(*status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
            }
        }
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
        (self.status(), Json(body)).into_response()
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

    #[test]
    fn a_busy_database_is_an_outage() {
        let e = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
            Some("database is locked".into()),
        );
        assert_eq!(ApiError::from(e), ApiError::Unavailable);
    }
}
