//! The caller's addresses: `POST /api/addresses` (201 `{message, address}`) and
//! `GET /api/addresses` (the caller's own only). Orders refer to them by id.

use super::auth::AuthUser;
use super::db;
use super::errors::ApiError;
use super::extract::{Fields, JsonBody};
use super::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};

const REQUIRED: [&str; 7] = [
    "first_name",
    "last_name",
    "street_address",
    "city",
    "state",
    "zip_code",
    "country",
];
const COLUMNS: &str =
    "id, first_name, last_name, street_address, city, state, zip_code, country, phone, created_at";

fn address(r: &Row) -> rusqlite::Result<Value> {
    Ok(json!({
        "id": r.get::<_, i64>(0)?,
        "first_name": r.get::<_, String>(1)?,
        "last_name": r.get::<_, String>(2)?,
        "street_address": r.get::<_, String>(3)?,
        "city": r.get::<_, String>(4)?,
        "state": r.get::<_, String>(5)?,
        "zip_code": r.get::<_, String>(6)?,
        "country": r.get::<_, String>(7)?,
        "phone": r.get::<_, Option<String>>(8)?,
        "created_at": r.get::<_, String>(9)?,
    }))
}

/// The address `id` if it is `user_id`'s.
pub fn owned(conn: &Connection, user_id: i64, id: i64) -> rusqlite::Result<Option<Value>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM addresses WHERE id = ?1 AND user_id = ?2"),
        params![id, user_id],
        address,
    )
    .optional()
}

/// `POST /api/addresses`
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let f = Fields(&body);
    let mut values = Vec::with_capacity(REQUIRED.len());
    for name in REQUIRED {
        values.push(f.required_str(name)?.to_string());
    }
    let phone = f.optional_str("phone")?.map(str::to_string);
    let created = state
        .db
        .write(move |tx| {
            tx.execute(
                "INSERT INTO addresses (user_id, first_name, last_name, street_address, city, state, zip_code,
                                        country, phone, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    user.id, values[0], values[1], values[2], values[3], values[4], values[5], values[6], phone,
                    db::now()
                ],
            )?;
            let id = tx.last_insert_rowid();
            owned(tx, user.id, id)?.ok_or_else(|| ApiError::internal("address vanished after insert"))
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "message": "Address created successfully", "address": created })),
    ))
}

/// `GET /api/addresses`
pub async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Json<Value>, ApiError> {
    let addresses = state
        .db
        .read(move |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM addresses WHERE user_id = ?1 ORDER BY id"
            ))?;
            let rows = stmt
                .query_map([user.id], address)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await?;
    Ok(Json(json!({ "addresses": addresses })))
}
