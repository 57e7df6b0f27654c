//! The sandbox's control route, outside the contract, for test runners:
//!
//! - `GET /__sandbox/db` → `{"available": true}`
//! - `POST /__sandbox/db` `{"available": false}` → the database "goes down": every route that
//!   needs it answers 503 `Service temporarily unavailable, please try again later` and nothing
//!   is written. `{"available": true}` brings it back with all earlier data.
//! - `GET /__sandbox/stats` → `{"signups": n, "logins": n}`: how many requests
//!   `POST /api/auth/register` and `POST /api/auth/login` have received since the start, whatever
//!   their answer (see [`super::state::Counts`]), so a test can tell what a run costs a
//!   deployment's rate limits. Read-only.
//!
//! It needs no token: the sandbox only listens on 127.0.0.1 and holds test data.

use super::errors::ApiError;
use super::extract::JsonBody;
use super::notes::note;
use super::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// `GET /__sandbox/db`
pub async fn db_status(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "available": state.db.is_available() }))
}

/// `POST /__sandbox/db` `{"available": bool}`
pub async fn set_db(
    State(state): State<AppState>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let Some(available) = body.get("available").and_then(Value::as_bool) else {
        return Err(ApiError::bad_request(
            "Field 'available' must be true or false",
        ));
    };
    state.db.set_available(available);
    note(format_args!(
        "database switched {}",
        if available {
            "back on"
        } else {
            "off (every route that needs it answers 503)"
        }
    ));
    Ok(Json(json!({ "available": available })))
}

/// `GET /__sandbox/stats`
pub async fn stats(State(state): State<AppState>) -> Json<Value> {
    let (signups, logins) = state.counts.read();
    Json(json!({ "signups": signups, "logins": logins }))
}
