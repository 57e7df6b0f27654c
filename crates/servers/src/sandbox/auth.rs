//! Accounts and tokens: `POST /api/auth/register`, `POST /api/auth/login`, `GET /api/auth/me`;
//! the tokens of [`super::tokens`]; argon2id password hashes with light parameters; and the
//! [`AuthUser`] extractor that every
//! protected route starts with: missing → 401 `Token is missing`, expired → `Token has
//! expired`, anything else wrong (or a user that no longer exists) → `Invalid token`.
//!
//! Every sign-up and login request is counted ([`super::state::Counts`]). Variations here
//! ([`super::variations`]): `rate-limits` (sign-ups and logins per client IP, [`super::limits`]),
//! `admin-as-int` (`is_admin` as `1`/`0`, in [`AuthUser::json`]) and `extra-fields` (a user's
//! `created_at`).

use super::db::{self, Db};
use super::defects::Defect;
use super::errors::ApiError;
use super::extract::{Fields, JsonBody, missing};
use super::limits::{self, ClientIp, Limit};
use super::state::{AppState, State as Shared};
use super::variations::{Variation, Variations};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};
use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Instant;

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
