//! HS256 JSON Web Tokens, the only kind GigGatek issues: `base64url(header).base64url(claims)`
//! signed with HMAC-SHA256. Written over `hmac` and `sha2` (already used for webhook signatures)
//! so that no RSA or ECDSA code is compiled for a symmetric algorithm. Signing, verifying the
//! signature, and reading a token's parts; judging the claims (expiry, required fields) is the
//! caller's business.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::Value;
use sha2::Sha256;

/// The header of every token signed here.
const HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    #[error("not a JWT: three base64url parts of JSON objects are expected")]
    Malformed,
    #[error("the token is signed with `{0}`; only HS256 is accepted")]
    Algorithm(String),
    #[error("the signature does not match")]
    Signature,
}

fn mac(secret: &[u8], signed_part: &str) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!());
    mac.update(signed_part.as_bytes());
    mac
}

/// A token carrying `claims`, signed with `secret`.
pub fn sign(claims: &impl Serialize, secret: &[u8]) -> Result<String, serde_json::Error> {
    let claims = serde_json::to_vec(claims)?;
    let signed = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(HEADER),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let signature = URL_SAFE_NO_PAD.encode(mac(secret, &signed).finalize().into_bytes());
    Ok(format!("{signed}.{signature}"))
}

/// A token's header and claims, read without checking the signature.
pub fn parts(token: &str) -> Result<(Value, Value), JwtError> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(JwtError::Malformed);
    };
    Ok((json_part(header)?, json_part(claims)?))
}

fn json_part(part: &str) -> Result<Value, JwtError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part.trim_end_matches('='))
        .map_err(|_| JwtError::Malformed)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(value) if value.is_object() => Ok(value),
        _ => Err(JwtError::Malformed),
    }
}

/// The claims of a token whose header says HS256 and whose signature `secret` made (compared
/// in constant time).
pub fn verify(token: &str, secret: &[u8]) -> Result<Value, JwtError> {
    let (header, claims) = parts(token)?;
    match header.get("alg").and_then(Value::as_str) {
        Some("HS256") => {}
        Some(other) => return Err(JwtError::Algorithm(other.to_string())),
        None => return Err(JwtError::Malformed),
    }
    let (signed, signature) = token.rsplit_once('.').ok_or(JwtError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| JwtError::Signature)?;
    mac(secret, signed)
        .verify_slice(&signature)
        .map_err(|_| JwtError::Signature)?;
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signed_tokens_verify_and_read_back() {
        let token = sign(&json!({"user_id": 7, "exp": 99}), b"key").unwrap();
        assert_eq!(
            verify(&token, b"key").unwrap(),
            json!({"user_id": 7, "exp": 99})
        );
        let (header, claims) = parts(&token).unwrap();
        assert_eq!(header, json!({"alg": "HS256", "typ": "JWT"}));
        assert_eq!(claims["user_id"], 7);
    }

    #[test]
    fn matches_a_published_hs256_token() {
        // RFC 7515's HS256 example (appendix A.1): its key, its signature.
        let key = URL_SAFE_NO_PAD
            .decode("AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow")
            .unwrap();
        let token = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(verify(token, &key).unwrap()["iss"], "joe");
        assert_eq!(verify(token, b"other"), Err(JwtError::Signature));
    }

    #[test]
    fn refuses_other_algorithms_tampering_and_junk() {
        let none = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"user_id":1}"#)
        );
        assert_eq!(verify(&none, b"k"), Err(JwtError::Algorithm("none".into())));
        let token = sign(&json!({"user_id": 1}), b"k").unwrap();
        let forged = URL_SAFE_NO_PAD.encode(r#"{"user_id":2}"#);
        let pieces: Vec<&str> = token.split('.').collect();
        let tampered = format!("{}.{forged}.{}", pieces[0], pieces[2]);
        assert_eq!(verify(&tampered, b"k"), Err(JwtError::Signature));
        for junk in ["", "abc", "a.b.c", "....", "ü.ü.ü", "e30.e30"] {
            assert_eq!(verify(junk, b"k"), Err(JwtError::Malformed), "{junk}");
        }
    }
}
