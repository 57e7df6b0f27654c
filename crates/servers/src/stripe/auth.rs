//! API keys: the middleware that turns `Authorization: Bearer sk_test_…` (or Basic auth with the
//! key as user name) into an [`ApiKey`] or a 401, and the extractors handlers use to say which
//! keys they take. Secret (`sk_test_…`, restricted `rk_test_…`) keys may do everything; a
//! publishable key (`pk_test_…`) only what Stripe.js does in a browser: confirm, retrieve and
//! 3-D Secure-authenticate an intent whose `client_secret` it carries, and create payment methods.
//! Live keys are refused: this is a test-mode emulator.

use super::errors::ApiError;
use super::objects::PaymentIntent;
use super::params::Params;
use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// The key a request was made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ApiKey {
    Secret,
    Publishable,
}

/// Middleware: 401 unless the request carries a test-mode key; else puts the [`ApiKey`] in the
/// request's extensions.
pub(super) async fn authenticate(mut request: Request, next: Next) -> Response {
    match api_key(request.headers()) {
        Ok(key) => {
            request.extensions_mut().insert(key);
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

fn api_key(headers: &HeaderMap) -> Result<ApiKey, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::authentication(
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
        ));
    };
    let value = value.to_str().unwrap_or("").trim();
    let key = if let Some(token) = strip_scheme(value, "bearer") {
        token.trim().to_string()
    } else if let Some(encoded) = strip_scheme(value, "basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .unwrap_or_default();
        decoded.split(':').next().unwrap_or("").to_string()
    } else {
        return Err(ApiError::authentication(
            "Invalid Authorization header: use Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
        ));
    };
    classify(&key)
}

fn strip_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let (first, rest) = value.split_once(' ')?;
    first.eq_ignore_ascii_case(scheme).then_some(rest)
}

fn classify(key: &str) -> Result<ApiKey, ApiError> {
    let well_formed = |prefix: &str| {
        key.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        })
    };
    if well_formed("sk_test_") || well_formed("rk_test_") {
        return Ok(ApiKey::Secret);
    }
    if well_formed("pk_test_") {
        return Ok(ApiKey::Publishable);
    }
    if ["sk_live_", "rk_live_", "pk_live_"]
        .iter()
        .any(|p| key.starts_with(p))
    {
        return Err(ApiError::authentication(format!(
            "This is a test-mode Stripe emulator and does not take live keys: {}",
            redact(key)
        )));
    }
    Err(ApiError::authentication(format!(
        "Invalid API Key provided: {}",
        redact(key)
    )))
}

/// `sk_test_abcdefgh1234` → `sk_test_********1234`, as Stripe shows keys in errors.
fn redact(key: &str) -> String {
    let chars: Vec<char> = key.chars().collect();
    let prefix_len = chars
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == '_')
        .nth(1)
        .map_or(0, |(i, _)| (i + 1).min(8));
    let prefix: String = chars[..prefix_len].iter().collect();
    if chars.len() <= prefix_len + 4 {
        return format!("{prefix}****");
    }
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{prefix}{}{tail}", "*".repeat(chars.len() - prefix_len - 4))
}

impl<S: Send + Sync> FromRequestParts<S> for ApiKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<ApiKey, ApiError> {
        parts
            .extensions
            .get::<ApiKey>()
            .cloned()
            .ok_or_else(|| ApiError::authentication("You did not provide an API key."))
    }
}

/// Extractor for handlers only a secret key may call: 403 for a publishable key.
pub(super) struct SecretKey;

impl<S: Send + Sync> FromRequestParts<S> for SecretKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<SecretKey, ApiError> {
        match ApiKey::from_request_parts(parts, state).await? {
            ApiKey::Secret => Ok(SecretKey),
            ApiKey::Publishable => Err(ApiError::permission(
                "This API call cannot be made with a publishable API key. Please use a secret API key. You can find a list of your API keys at https://dashboard.stripe.com/account/apikeys.",
            )),
        }
    }
}

/// A publishable key may touch an intent only with its `client_secret`; a secret key always may.
pub(super) fn check_client_secret(
    key: &ApiKey,
    params: &Params,
    intent: &PaymentIntent,
) -> Result<(), ApiError> {
    if *key == ApiKey::Secret {
        return Ok(());
    }
    match params.text("client_secret")? {
        None | Some("") => Err(ApiError::missing_param("client_secret")),
        Some(secret) if secret == intent.client_secret => Ok(()),
        Some(_) => Err(ApiError::invalid_request(
            "The client_secret provided does not match the client_secret associated with the PaymentIntent.",
        )
        .param("client_secret")
        .code("payment_intent_invalid_parameter")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn key_of(authorization: Option<&str>) -> Result<ApiKey, u16> {
        let mut headers = HeaderMap::new();
        if let Some(value) = authorization {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        }
        api_key(&headers).map_err(|e| e.status.as_u16())
    }

    #[test]
    fn keys_are_classified() {
        assert_eq!(key_of(Some("Bearer sk_test_123")), Ok(ApiKey::Secret));
        assert_eq!(key_of(Some("bearer rk_test_abc")), Ok(ApiKey::Secret));
        assert_eq!(key_of(Some("Bearer pk_test_123")), Ok(ApiKey::Publishable));
        let basic = base64::engine::general_purpose::STANDARD.encode("sk_test_123:");
        assert_eq!(key_of(Some(&format!("Basic {basic}"))), Ok(ApiKey::Secret));
        for bad in [
            None,
            Some("Bearer"),
            Some("Bearer "),
            Some("sk_test_1"),
            Some("Bearer sk_live_1"),
            Some("Bearer sk_test_"),
            Some("Bearer xyz"),
            Some("Basic !!!"),
        ] {
            assert_eq!(key_of(bad), Err(401), "{bad:?}");
        }
    }

    #[test]
    fn keys_are_redacted_in_messages() {
        assert_eq!(redact("sk_test_abcdefgh1234"), "sk_test_********1234");
        assert_eq!(redact("xyz"), "****");
        assert_eq!(redact("é_ü_ß"), "é_ü_****");
    }
}
