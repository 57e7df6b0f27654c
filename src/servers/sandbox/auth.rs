//! Accounts and tokens: `POST /api/auth/register`, `POST /api/auth/login`, `GET /api/auth/me`;
//! HS256 JWTs (claims `user_id`, `is_admin`, `exp` one hour ahead, `iat`) through
//! [`crate::jwt`], which accepts only the HS256 algorithm (so `alg: none` is refused);
//! argon2id password hashes with light parameters; and the [`AuthUser`] extractor that every
//! protected route starts with: missing → 401 `Token is missing`, expired → `Token has
//! expired`, anything else wrong (or a user that no longer exists) → `Invalid token`.
//!
//! Every sign-up and login request is counted ([`super::state::Counts`]). Variations here
//! ([`super::variations`]): `rate-limits` (sign-ups and logins per client IP, [`super::limits`]),
//! `admin-as-int` (`is_admin` as `1`/`0`, in [`AuthUser::json`]) and `extra-fields` (a user's
//! `created_at`).

use super::db::{self, Db};
use super::defects::{Defect, Defects};
use super::errors::ApiError;
use super::extract::{Fields, JsonBody, missing};
use super::limits::{self, ClientIp, Limit};
use super::state::{AppState, State as Shared};
use super::variations::{Variation, Variations};
use crate::jwt::{self, JwtError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Instant;

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

fn hasher() -> Argon2<'static> {
    // Light on purpose: a sandbox for tests, not a vault. Verification reads the parameters
    // stored in each hash.
    let params = Params::new(1024, 1, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt = SaltString::encode_b64(uuid::Uuid::new_v4().as_bytes())
        .map_err(|e| ApiError::internal(format!("salt: {e}")))?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(format!("password hashing: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash to check against when the email is unknown, so both failures take as long.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password("not-a-real-password").unwrap_or_default())
}

/// Rule: 8+ characters with an upper-case letter, a lower-case letter, a digit and a
/// character that is none of those.
pub fn password_is_strong(password: &str) -> bool {
    password.chars().count() >= 8
        && password.chars().any(|c| c.is_uppercase())
        && password.chars().any(|c| c.is_lowercase())
        && password.chars().any(|c| c.is_ascii_digit())
        && password.chars().any(|c| !c.is_alphanumeric())
}

pub const WEAK_PASSWORD: &str = "Password must be at least 8 characters long and contain an uppercase letter, \
     a lowercase letter, a digit and a special character";

/// Rule: `local@domain.tld`, no spaces, one `@`.
pub fn email_is_valid(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
        && domain.split('.').count() >= 2
        && domain.split('.').all(|part| !part.is_empty())
}

/// The caller, from a valid token whose user still exists.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub is_admin: bool,
}

impl AuthUser {
    /// The user as login and `/me` show it; `is_admin` is a boolean, or with `admin-as-int` the
    /// `1`/`0` of a MySQL `TINYINT(1)`.
    pub fn json(&self, variations: Variations) -> Value {
        let is_admin = if variations.has(Variation::AdminAsInt) {
            json!(i32::from(self.is_admin))
        } else {
            json!(self.is_admin)
        };
        json!({
            "id": self.id, "email": self.email, "first_name": self.first_name,
            "last_name": self.last_name, "is_admin": is_admin
        })
    }
}

/// With `extra-fields`, a user object also shows when the account was made.
fn add_created_at(user: &mut Value, created_at: String, variations: Variations) {
    if variations.has(Variation::ExtraFields) {
        user["created_at"] = db::shown_time(created_at, variations);
    }
}

/// `user` with the extra fields of `extra-fields` (read only when they are wanted, so that the
/// reference sandbox runs the same statements as before).
async fn with_extras(state: &Shared, mut user: Value, id: i64) -> Result<Value, ApiError> {
    if !state.variations.has(Variation::ExtraFields) {
        return Ok(user);
    }
    let created_at: String = state
        .db
        .read(move |conn| {
            Ok(
                conn.query_row("SELECT created_at FROM users WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?,
            )
        })
        .await?;
    add_created_at(&mut user, created_at, state.variations);
    Ok(user)
}

/// With `rate-limits`, counts the request from `ip` against `limit` or refuses it (429).
fn within_limit(state: &Shared, limit: Limit, ip: IpAddr) -> Result<(), ApiError> {
    if state.variations.has(Variation::RateLimits) {
        state.limiter.hit(limit, ip, Instant::now())?;
    }
    Ok(())
}

/// The token of an `Authorization: Bearer …` header.
pub fn bearer_token(parts: &Parts) -> Result<&str, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::Unauthorized("Token is missing"));
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("Invalid token"))?
        .trim();
    if value.is_empty() {
        return Err(ApiError::Unauthorized("Token is missing"));
    }
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Another scheme (`Basic …`) carries no bearer token: the contract calls it missing.
        return Err(ApiError::Unauthorized("Token is missing"));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::Unauthorized("Token is missing"));
    }
    Ok(token)
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<AuthUser, ApiError> {
        if state.defects.has(Defect::MissingToken500)
            && !parts.headers.contains_key(header::AUTHORIZATION)
        {
            // `request.headers.get('Authorization').split(' ')[1]` on None.
            return Err(ApiError::internal(
                "'NoneType' object has no attribute 'split'",
            ));
        }
        let claims = state.jwt.verify(bearer_token(parts)?)?;
        load_user(&state.db, claims.user_id)
            .await?
            .ok_or(ApiError::Unauthorized("Invalid token"))
    }
}

async fn load_user(db: &Db, id: i64) -> Result<Option<AuthUser>, ApiError> {
    db.read(move |conn| {
        Ok(conn
            .query_row(
                "SELECT id, email, first_name, last_name, is_admin FROM users WHERE id = ?1",
                [id],
                |r| {
                    Ok(AuthUser {
                        id: r.get(0)?,
                        email: r.get(1)?,
                        first_name: r.get(2)?,
                        last_name: r.get(3)?,
                        is_admin: r.get(4)?,
                    })
                },
            )
            .optional()?)
    })
    .await
}

/// A password field: required, not trimmed, bounded.
fn password_field(fields: &Fields) -> Result<String, ApiError> {
    match fields.get("password") {
        None => Err(missing("password")),
        Some(Value::String(s)) if s.is_empty() => Err(missing("password")),
        Some(Value::String(s)) if s.chars().count() > 128 => Err(ApiError::bad_request(
            "Password is too long (at most 128 characters)",
        )),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::bad_request("Field 'password' must be a string")),
    }
}

/// `POST /api/auth/register`
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Result<JsonBody, ApiError>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // Counted and limited before the body is read, as a rate limiter in front of the view does.
    state.counts.signup();
    within_limit(&state, limits::SIGNUPS, ip)?;
    let JsonBody(body) = body?;
    let d = state.defects;
    let f = Fields(&body);
    let email = f.required_str("email")?.to_lowercase();
    let password = password_field(&f)?;
    let (first_name, last_name) = if d.has(Defect::NamesOptional) {
        let name = |n| f.optional_str(n).map(|s| s.unwrap_or_default().to_string());
        (name("first_name")?, name("last_name")?)
    } else {
        (
            f.required_str("first_name")?.to_string(),
            f.required_str("last_name")?.to_string(),
        )
    };
    if !email_is_valid(&email) && !d.has(Defect::EmailNotValidated) {
        return Err(ApiError::bad_request("Invalid email format"));
    }
    let strong = if d.has(Defect::PasswordLengthOnly) {
        password.chars().count() >= 8
    } else {
        password_is_strong(&password)
    };
    if !strong {
        return Err(ApiError::bad_request(WEAK_PASSWORD));
    }
    // Mass assignment: a privilege flag taken from the body.
    let asked_admin = d.has(Defect::RegisterTakesIsAdmin)
        && matches!(
            body.get("is_admin"),
            Some(Value::Bool(true)) | Some(Value::Number(_))
        )
        && body.get("is_admin") != Some(&json!(0));
    let is_admin = asked_admin || d.has(Defect::NewAccountsAdmin);
    let hash = hash_password(&password)?;
    let created_at = db::now();
    let (e, fnm, lnm, at) = (
        email.clone(),
        first_name.clone(),
        last_name.clone(),
        created_at.clone(),
    );
    let checks_taken = !d.has(Defect::DuplicateEmail500);
    let id = state
        .db
        .write(move |tx| {
            let taken: bool = tx.query_row("SELECT EXISTS(SELECT 1 FROM users WHERE email = ?1)", [&e], |r| r.get(0))?;
            if taken && checks_taken {
                return Err(ApiError::Conflict("Email already registered".into()));
            }
            tx.execute(
                "INSERT INTO users (email, password_hash, first_name, last_name, is_admin, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![e, hash, fnm, lnm, is_admin, at],
            )?;
            Ok(tx.last_insert_rowid())
        })
        .await?;
    let token = state.jwt.issue(id, is_admin)?;
    let mut user =
        json!({ "id": id, "email": email, "first_name": first_name, "last_name": last_name });
    add_created_at(&mut user, created_at, state.variations);
    let status = if d.has(Defect::RegisterAnswers200) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(json!({
            "message": "User registered successfully",
            "token": token,
            "user": user
        })),
    ))
}

/// `POST /api/auth/login`
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    body: Result<JsonBody, ApiError>,
) -> Result<Json<Value>, ApiError> {
    // Every attempt counts against the limit, failed ones too (that is what the limit is for).
    state.counts.login();
    within_limit(&state, limits::LOGINS, ip)?;
    let JsonBody(body) = body?;
    let d = state.defects;
    let f = Fields(&body);
    let email = f.required_str("email")?.to_lowercase();
    let password = match password_field(&f) {
        Err(_) if d.has(Defect::LoginMissingPassword401) => {
            return Err(ApiError::Unauthorized("Invalid email or password"));
        }
        other => other?,
    };
    let found = state
        .db
        .read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT id, email, first_name, last_name, is_admin, password_hash FROM users WHERE email = ?1",
                    [&email],
                    |r| {
                        let user = AuthUser {
                            id: r.get(0)?,
                            email: r.get(1)?,
                            first_name: r.get(2)?,
                            last_name: r.get(3)?,
                            is_admin: r.get(4)?,
                        };
                        Ok((user, r.get::<_, String>(5)?))
                    },
                )
                .optional()?)
        })
        .await?;
    let user = match found {
        Some((user, hash)) if verify_password(&password, &hash) => user,
        Some(_) => return Err(ApiError::Unauthorized("Invalid email or password")),
        None if d.has(Defect::UnknownEmailTold) => {
            return Err(ApiError::NotFound("User not found".into()));
        }
        None => {
            let _ = verify_password(&password, dummy_hash());
            return Err(ApiError::Unauthorized("Invalid email or password"));
        }
    };
    let token = state.jwt.issue(user.id, user.is_admin)?;
    let mut shown = with_extras(&state, user.json(state.variations), user.id).await?;
    if d.has(Defect::LoginWithoutIsAdmin)
        && let Some(user) = shown.as_object_mut()
    {
        user.remove("is_admin");
    }
    let token_field = if d.has(Defect::LoginTokenRenamed) {
        "access_token"
    } else {
        "token"
    };
    Ok(Json(
        json!({ "message": "Login successful", token_field: token, "user": shown }),
    ))
}

/// `GET /api/auth/me`
pub async fn me(State(state): State<AppState>, user: AuthUser) -> Result<Json<Value>, ApiError> {
    let shown = with_extras(&state, user.json(state.variations), user.id).await?;
    if state.defects.has(Defect::MeUnwrapped) {
        return Ok(Json(shown));
    }
    Ok(Json(json!({ "user": shown })))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

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

    #[test]
    fn is_admin_as_a_boolean_or_a_number() {
        let user = AuthUser {
            id: 7,
            email: "a@b.co".into(),
            first_name: "A".into(),
            last_name: "B".into(),
            is_admin: true,
        };
        assert_eq!(user.json(Variations::NONE)["is_admin"], json!(true));
        assert_eq!(
            user.json(Variation::AdminAsInt.into())["is_admin"],
            json!(1)
        );
        let customer = AuthUser {
            is_admin: false,
            ..user
        };
        assert_eq!(
            customer.json(Variation::AdminAsInt.into())["is_admin"],
            json!(0)
        );
    }

    #[test]
    fn passwords() {
        let hash = hash_password("Sup3r$ecret").unwrap();
        assert!(verify_password("Sup3r$ecret", &hash));
        assert!(!verify_password("Sup3r$ecreT", &hash));
        assert!(!verify_password("x", "not a hash"));
        assert!(password_is_strong("Sup3r$ecret"));
        for weak in [
            "Sh0rt$",
            "alllower1$",
            "ALLUPPER1$",
            "NoDigits$$",
            "NoSpecial11",
        ] {
            assert!(!password_is_strong(weak), "{weak}");
        }
    }

    #[test]
    fn emails() {
        assert!(email_is_valid("a@b.co"));
        for bad in [
            "", "a", "a@b", "@b.co", "a@@b.co", "a b@c.de", "a@b..c", "a@.b",
        ] {
            assert!(!email_is_valid(bad), "{bad}");
        }
    }
}
