//! HS256 tokens as the sandbox issues and checks them (claims `user_id`, `is_admin`, `exp` one
//! hour ahead, `iat`), through [`gigcheck_base::jwt`], which accepts only HS256 (so `alg: none`
//! is refused). The token defects live here: each changes one thing about what is accepted.

use super::defects::{Defect, Defects};
use super::errors::ApiError;
use gigcheck_base::jwt::{self, JwtError};
use serde::{Deserialize, Serialize};

/// How long a token lives.
pub const TOKEN_TTL_SECS: u64 = 3600;

/// A token's claims: the contract's `user_id`, `is_admin` and `exp`. `iat` is written but not
/// required, so a token signed with the same key and the contract's claims only is read the
/// same way (an expired one is "expired", not "invalid").
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub user_id: i64,
    pub is_admin: bool,
    /// Required (a token without it is invalid) unless the `auth.token.no-exp` defect is on.
    #[serde(default)]
    pub exp: u64,
    #[serde(default)]
    pub iat: u64,
}

/// The signing key the public GigGatek code ships as a constant: anyone can sign with it, so a
/// deployment must not (only the `auth.token.published-key-refused` defect accepts it).
pub const PUBLISHED_JWT_SECRET: &str = "giggatek_secure_jwt_key_change_in_production";

/// Signs and checks tokens with one HS256 secret (the token defects live here too).
pub struct JwtKeys {
    secret: Vec<u8>,
    defects: Defects,
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl JwtKeys {
    pub fn new(secret: &[u8], defects: Defects) -> JwtKeys {
        JwtKeys {
            secret: secret.to_vec(),
            defects,
        }
    }

    pub fn issue(&self, user_id: i64, is_admin: bool) -> Result<String, ApiError> {
        let now = now();
        let ttl = if self.defects.has(Defect::DayLongTokens) {
            24 * TOKEN_TTL_SECS
        } else {
            TOKEN_TTL_SECS
        };
        let claims = Claims {
            user_id,
            is_admin,
            exp: now + ttl,
            iat: now,
        };
        jwt::sign(&claims, &self.secret)
            .map_err(|e| ApiError::internal(format!("cannot sign a token: {e}")))
    }

    /// The claims of a valid token; the signature is checked before the expiry, so a forged
    /// expired token is `Invalid token`, not `Token has expired`.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let d = self.defects;
        if d.has(Defect::MalformedToken500) && token.split('.').count() != 3 {
            // PyJWT's `DecodeError: Not enough segments`, unhandled.
            return Err(ApiError::internal("DecodeError: Not enough segments"));
        }
        if d.has(Defect::AlgNoneAccepted)
            && let Some(claims) = unverified_claims(token, true)
        {
            return Ok(claims);
        }
        if d.has(Defect::SignatureNotVerified)
            && let Some(claims) = unverified_claims(token, false)
        {
            // `jwt.decode(token, options={"verify_signature": False})`: the expiry still counts.
            if claims.exp <= now() {
                return Err(ApiError::Unauthorized("Token has expired"));
            }
            return Ok(claims);
        }
        let mut verified = jwt::verify(token, &self.secret);
        if verified == Err(JwtError::Signature) && d.has(Defect::PublishedKeyAccepted) {
            verified = jwt::verify(token, PUBLISHED_JWT_SECRET.as_bytes());
        }
        let invalid = ApiError::Unauthorized("Invalid token");
        let raw = verified.map_err(|_| invalid.clone())?;
        let has_exp = raw.get("exp").is_some();
        if !has_exp && !d.has(Defect::TokenWithoutExpiryAccepted) {
            return Err(invalid);
        }
        let claims: Claims = serde_json::from_value(raw).map_err(|_| invalid.clone())?;
        if has_exp && !d.has(Defect::ExpiredTokenAccepted) && claims.exp < now() {
            return Err(ApiError::Unauthorized("Token has expired"));
        }
        if d.has(Defect::TokenNeedsIat) && claims.iat == 0 {
            return Err(invalid);
        }
        Ok(claims)
    }
}

/// A token's claims read without checking its signature (what the `auth.token.alg-none` and
/// `auth.token.bad-signature` defects trust); `only_alg_none`: only when the header says
/// `alg: none`.
fn unverified_claims(token: &str, only_alg_none: bool) -> Option<Claims> {
    let (header, claims) = jwt::parts(token).ok()?;
    if only_alg_none && !header["alg"].as_str()?.eq_ignore_ascii_case("none") {
        return None;
    }
    serde_json::from_value(claims).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use serde_json::{Value, json};

    fn keys() -> JwtKeys {
        JwtKeys::new(b"test-secret", Defects::NONE)
    }

    fn raw(header: &str, claims: &Value, signature: &str) -> String {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            signature
        )
    }

    #[test]
    fn issued_tokens_verify() {
        let k = keys();
        let claims = k.verify(&k.issue(42, true).unwrap()).unwrap();
        assert_eq!((claims.user_id, claims.is_admin), (42, true));
        assert!(claims.exp > claims.iat);
    }

    #[test]
    fn alg_none_is_invalid() {
        let exp = now() + 600;
        let token = raw(
            r#"{"alg":"none","typ":"JWT"}"#,
            &json!({"user_id": 1, "is_admin": true, "exp": exp, "iat": 0}),
            "",
        );
        assert_eq!(
            keys().verify(&token).unwrap_err(),
            ApiError::Unauthorized("Invalid token")
        );
    }

    #[test]
    fn tampered_and_foreign_tokens_are_invalid() {
        let k = keys();
        let token = k.issue(1, false).unwrap();
        let parts: Vec<&str> = token.split('.').collect();
        let exp = now() + 600;
        let forged_claims = URL_SAFE_NO_PAD
            .encode(json!({"user_id": 1, "is_admin": true, "exp": exp, "iat": 0}).to_string());
        let tampered = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
        assert_eq!(
            k.verify(&tampered).unwrap_err(),
            ApiError::Unauthorized("Invalid token")
        );
        let other = JwtKeys::new(b"another-secret", Defects::NONE)
            .issue(1, false)
            .unwrap();
        assert_eq!(
            k.verify(&other).unwrap_err(),
            ApiError::Unauthorized("Invalid token")
        );
        for junk in ["", "abc", "a.b.c", "....", "ü.ü.ü"] {
            assert_eq!(
                k.verify(junk).unwrap_err(),
                ApiError::Unauthorized("Invalid token"),
                "{junk}"
            );
        }
    }

    #[test]
    fn expired_tokens_say_so() {
        let now = now();
        let claims = Claims {
            user_id: 1,
            is_admin: false,
            exp: now - 10,
            iat: now - 3610,
        };
        let token = jwt::sign(&claims, b"test-secret").unwrap();
        assert_eq!(
            keys().verify(&token).unwrap_err(),
            ApiError::Unauthorized("Token has expired")
        );
        // Expired and signed with another key: the signature is what is wrong.
        let forged = jwt::sign(&claims, b"x").unwrap();
        assert_eq!(
            keys().verify(&forged).unwrap_err(),
            ApiError::Unauthorized("Invalid token")
        );
    }

    #[test]
    fn tokens_without_exp_are_invalid() {
        let token = jwt::sign(&json!({"user_id": 1, "is_admin": false}), b"test-secret").unwrap();
        assert_eq!(
            keys().verify(&token).unwrap_err(),
            ApiError::Unauthorized("Invalid token")
        );
    }
}
