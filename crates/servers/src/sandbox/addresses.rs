//! The caller's addresses: `POST /api/addresses` (201 `{message, address}`) and
//! `GET /api/addresses` (the caller's own only). Orders refer to them by id. Timestamps are
//! shown as [`db::shown_time`] says; with `extra-fields` an address also says `is_default`.
//! (The `no-addresses-route` defect removes these routes; see [`super::router`].)

use super::auth::AuthUser;
use super::db;
use super::defects::Defect;
use super::errors::ApiError;
use super::extract::{Fields, JsonBody, missing};
use super::state::AppState;
use super::variations::{Variation, Variations};
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
/// [`COLUMNS`] and whether the address is its owner's first (for `extra-fields` only: the
/// reference sandbox does not pay for the subquery).
const COLUMNS_AND_DEFAULT: &str = "id, first_name, last_name, street_address, city, state, zip_code, country, phone, \
     created_at, id = (SELECT MIN(a.id) FROM addresses a WHERE a.user_id = addresses.user_id)";

fn columns(variations: Variations) -> &'static str {
    if variations.has(Variation::ExtraFields) {
        COLUMNS_AND_DEFAULT
    } else {
        COLUMNS
    }
}

fn address(r: &Row, variations: Variations) -> rusqlite::Result<Value> {
    let mut address = json!({
        "id": r.get::<_, i64>(0)?,
        "first_name": r.get::<_, String>(1)?,
        "last_name": r.get::<_, String>(2)?,
        "street_address": r.get::<_, String>(3)?,
        "city": r.get::<_, String>(4)?,
        "state": r.get::<_, String>(5)?,
        "zip_code": r.get::<_, String>(6)?,
        "country": r.get::<_, String>(7)?,
        "phone": r.get::<_, Option<String>>(8)?,
        "created_at": db::shown_time(r.get(9)?, variations),
    });
    if variations.has(Variation::ExtraFields) {
        // The caller's first address is their default, as a storefront's address book shows it.
        address["is_default"] = json!(r.get::<_, bool>(10)?);
    }
    Ok(address)
}

/// The address `id` if it is `user_id`'s.
pub fn owned(
    conn: &Connection,
    user_id: i64,
    id: i64,
    variations: Variations,
) -> rusqlite::Result<Option<Value>> {
    conn.query_row(
        &format!(
            "SELECT {} FROM addresses WHERE id = ?1 AND user_id = ?2",
            columns(variations)
        ),
        params![id, user_id],
        |r| address(r, variations),
    )
    .optional()
}

/// `POST /api/addresses`
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let d = state.defects;
    let f = Fields(&body);
    let mut values = Vec::with_capacity(REQUIRED.len());
    for name in REQUIRED {
        let value = match f.optional_str(name)? {
            None if name == "country" && d.has(Defect::CountryDefaulted) => "US",
            None => return Err(missing(name)),
            Some(v) => v,
        };
        values.push(value.to_string());
    }
    let phone = if d.has(Defect::PhoneRequired) {
        Some(f.required_str("phone")?.to_string())
    } else {
        f.optional_str("phone")?.map(str::to_string)
    };
    let variations = state.variations;
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
            owned(tx, user.id, id, variations)?.ok_or_else(|| ApiError::internal("address vanished after insert"))
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "message": "Address created successfully", "address": created })),
    ))
}

/// `GET /api/addresses`
pub async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Json<Value>, ApiError> {
    let variations = state.variations;
    let everyones = state.defects.has(Defect::AddressesOfEveryone);
    let addresses = state
        .db
        .read(move |conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {} FROM addresses WHERE user_id = ?1 OR ?2 ORDER BY id",
                columns(variations)
            ))?;
            let rows = stmt
                .query_map(params![user.id, everyones], |r| address(r, variations))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
        .await?;
    if state.defects.has(Defect::AddressesBareList) {
        return Ok(Json(Value::Array(addresses)));
    }
    Ok(Json(json!({ "addresses": addresses })))
}
