//! The few Stripe API calls the sandbox makes, as stripe-python would make them: form-encoded
//! bodies to the configured API base, `Authorization: Bearer <secret key>`, an
//! `Idempotency-Key` on every POST, and a short timeout so a hung Stripe turns into a quick 502.
//! No retries: a failed call is reported and the caller changes nothing.

use super::errors::ApiError;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

pub struct StripeClient {
    http: reqwest::Client,
    base: String,
    secret_key: String,
}

/// What went wrong with a Stripe call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripeError {
    /// Stripe answered 4xx with an error object.
    Api {
        status: u16,
        kind: String,
        code: Option<String>,
        message: String,
    },
    /// Unreachable, timed out, 5xx, or an answer that is not Stripe's.
    Unavailable(String),
}

impl StripeError {
    /// The usual mapping to an answer: a card error → 402 with Stripe's message, an invalid
    /// request → 400 with Stripe's message, everything else → 502.
    pub fn into_api_error(self) -> ApiError {
        match self {
            StripeError::Api {
                status: 402,
                message,
                ..
            } => ApiError::PaymentRequired(safe_message(&message)),
            StripeError::Api {
                status: 400,
                ref kind,
                ref message,
                ..
            } if kind == "invalid_request_error" => ApiError::BadRequest(safe_message(message)),
            other => ApiError::BadGateway(other.cause()),
        }
    }

    /// What happened, for the log.
    pub fn cause(&self) -> String {
        match self {
            StripeError::Api {
                status,
                kind,
                message,
                ..
            } => format!("Stripe answered {status} {kind}: {message}"),
            StripeError::Unavailable(cause) => cause.clone(),
        }
    }

    pub fn code(&self) -> Option<&str> {
        match self {
            StripeError::Api { code, .. } => code.as_deref(),
            StripeError::Unavailable(_) => None,
        }
    }
}

/// Stripe's message for a person, unless it mentions a key.
fn safe_message(message: &str) -> String {
    let leaky = ["sk_", "rk_", "pk_", "whsec_"]
        .iter()
        .any(|p| message.contains(p));
    if message.trim().is_empty() || leaky {
        "The payment provider declined the request".into()
    } else {
        message.to_string()
    }
}

/// `pi_` followed by letters, digits and underscores: safe to put in a URL path.
pub fn is_intent_id(id: &str) -> bool {
    id.len() > 3
        && id.len() <= 255
        && id.starts_with("pi_")
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl StripeClient {
    /// The secret key it authenticates with (only the `errors.no-secret` defect shows it).
    pub fn secret_key(&self) -> &str {
        &self.secret_key
    }

    /// The Stripe API base URL it calls.
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn new(base: &str, secret_key: &str, timeout: Duration) -> Result<StripeClient, String> {
        // One crypto provider for the process (for an https base); `Err` means already done.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let builder = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("gigcheck-sandbox/", env!("CARGO_PKG_VERSION")));
        let http = gigcheck_base::http_client::roots_only_for_https(builder, Some(base))
            .build()
            .map_err(|e| format!("cannot set up the Stripe client: {e}"))?;
        Ok(StripeClient {
            http,
            base: base.trim_end_matches('/').to_string(),
            secret_key: secret_key.to_string(),
        })
    }

    /// `POST /v1/payment_intents`
    pub async fn create_payment_intent(
        &self,
        params: &[(String, String)],
    ) -> Result<Value, StripeError> {
        self.post("/v1/payment_intents", params).await
    }

    /// `GET /v1/payment_intents/{id}`
    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<Value, StripeError> {
        if !is_intent_id(id) {
            return Err(not_found(id));
        }
        self.send(
            self.http
                .get(format!("{}/v1/payment_intents/{id}", self.base)),
        )
        .await
    }

    /// `POST /v1/payment_intents/{id}/confirm`
    pub async fn confirm_payment_intent(
        &self,
        id: &str,
        payment_method: Option<&str>,
    ) -> Result<Value, StripeError> {
        if !is_intent_id(id) {
            return Err(not_found(id));
        }
        let mut params = Vec::new();
        if let Some(pm) = payment_method {
            params.push(("payment_method".to_string(), pm.to_string()));
        }
        self.post(&format!("/v1/payment_intents/{id}/confirm"), &params)
            .await
    }

    /// `POST /v1/refunds` of `amount` cents of an intent's charge.
    pub async fn refund(
        &self,
        payment_intent: &str,
        amount: i64,
        order_id: i64,
    ) -> Result<Value, StripeError> {
        let params = [
            ("payment_intent".to_string(), payment_intent.to_string()),
            ("amount".to_string(), amount.to_string()),
            ("reason".to_string(), "requested_by_customer".to_string()),
            ("metadata[order_id]".to_string(), order_id.to_string()),
        ];
        self.post("/v1/refunds", &params).await
    }

    async fn post(&self, path: &str, params: &[(String, String)]) -> Result<Value, StripeError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .body(body);
        self.send(request).await
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, StripeError> {
        let response = request
            .bearer_auth(&self.secret_key)
            .header("stripe-version", "2024-06-20")
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    StripeError::Unavailable("Stripe did not answer in time".into())
                } else {
                    StripeError::Unavailable(format!("cannot reach Stripe: {e}"))
                }
            })?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| StripeError::Unavailable(format!("cannot read Stripe's answer: {e}")))?;
        let body: Option<Value> = serde_json::from_slice(&bytes).ok();
        interpret(status, body)
    }
}

fn not_found(id: &str) -> StripeError {
    StripeError::Api {
        status: 404,
        kind: "invalid_request_error".into(),
        code: Some("resource_missing".into()),
        message: format!("No such payment_intent: '{id}'"),
    }
}

/// Stripe's answer → an object or an error.
fn interpret(status: StatusCode, body: Option<Value>) -> Result<Value, StripeError> {
    match body {
        Some(v) if status.is_success() && v.is_object() => Ok(v),
        Some(v) if status.is_client_error() && v["error"].is_object() => {
            let e = &v["error"];
            Err(StripeError::Api {
                status: status.as_u16(),
                kind: e["type"].as_str().unwrap_or("api_error").to_string(),
                code: e["code"].as_str().map(str::to_string),
                message: e["message"].as_str().unwrap_or("").to_string(),
            })
        }
        _ => Err(StripeError::Unavailable(format!(
            "Stripe answered {status}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers() {
        assert!(interpret(StatusCode::OK, Some(json!({"id": "pi_1"}))).is_ok());
        let declined = interpret(
            StatusCode::PAYMENT_REQUIRED,
            Some(json!({"error": {"type": "card_error", "code": "card_declined", "message": "Your card was declined."}})),
        )
        .unwrap_err();
        assert_eq!(declined.code(), Some("card_declined"));
        assert_eq!(
            declined.into_api_error(),
            ApiError::PaymentRequired("Your card was declined.".into())
        );
        let e = interpret(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(json!({"error": {}})),
        )
        .unwrap_err();
        assert!(matches!(e.into_api_error(), ApiError::BadGateway(_)));
        let e = interpret(StatusCode::OK, None).unwrap_err();
        assert!(matches!(e, StripeError::Unavailable(_)));
        let auth = interpret(
            StatusCode::UNAUTHORIZED,
            Some(json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided: sk_test_123"}})),
        )
        .unwrap_err();
        assert!(matches!(auth.into_api_error(), ApiError::BadGateway(_)));
    }

    #[test]
    fn keys_never_reach_a_client() {
        let e = StripeError::Api {
            status: 400,
            kind: "invalid_request_error".into(),
            code: None,
            message: "Bad key sk_test_abc".into(),
        };
        assert_eq!(
            e.into_api_error(),
            ApiError::BadRequest("The payment provider declined the request".into())
        );
    }

    #[test]
    fn intent_ids() {
        assert!(is_intent_id("pi_3MtwBwLkdIwHu7ix28a3tqPa"));
        for bad in ["", "pi_", "ch_1", "pi_1/../refunds", "pi_1?x=1", "pi 1"] {
            assert!(!is_intent_id(bad), "{bad}");
        }
    }
}
