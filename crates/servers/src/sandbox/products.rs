//! The catalogue: `GET /api/products?page&limit&category` (public, paginated, newest id last)
//! and `GET /api/products/<id>`. Prices are the catalogue's, in dollars, shown as
//! [`db::money`] says. With `extra-fields` ([`super::variations`]) a product also carries its
//! images (`image_url`, `image_urls`) and monthly rental prices (`rental_price_3m/6m/12m`).

use super::db;
use super::defects::Defect;
use super::errors::ApiError;
use super::extract::{QueryParams, limit_offset, page_count};
use super::state::AppState;
use super::variations::{Variation, Variations};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use rusqlite::{OptionalExtension, Row};
use serde_json::{Value, json};

/// The contract's page size when `limit` is not given.
const LIMIT_DEFAULT: u64 = 24;
const LIMIT_MAX: u64 = 100;
const COLUMNS: &str = "product_id, name, category, price_cents, stock_quantity, condition_rating, primary_image, \
                       sku, description, specifications";

/// Monthly rental price for a rental of `months`, in cents: a share of the purchase price that
/// shrinks as the term grows.
pub fn rental_cents(price_cents: i64, months: i64) -> i64 {
    let divisor = match months {
        3 => 8,
        6 => 10,
        _ => 14,
    };
    price_cents / divisor
}

fn summary(r: &Row, variations: Variations) -> rusqlite::Result<Value> {
    let price_cents: i64 = r.get(3)?;
    let image: String = r.get(6)?;
    let mut product = json!({
        "product_id": r.get::<_, i64>(0)?,
        "name": r.get::<_, String>(1)?,
        "category": r.get::<_, String>(2)?,
        "purchase_price": db::money(price_cents, variations),
        "stock_quantity": r.get::<_, i64>(4)?,
        "condition_rating": r.get::<_, String>(5)?,
        "primary_image": image,
    });
    if variations.has(Variation::ExtraFields) {
        product["image_url"] = json!(image);
        product["image_urls"] = json!([image]);
        for months in [3, 6, 12] {
            product[format!("rental_price_{months}m")] =
                db::money(rental_cents(price_cents, months), variations);
        }
    }
    Ok(product)
}

fn detail(r: &Row, variations: Variations) -> rusqlite::Result<Value> {
    let mut v = summary(r, variations)?;
    let specs: String = r.get(9)?;
    v["sku"] = json!(r.get::<_, String>(7)?);
    v["description"] = json!(r.get::<_, String>(8)?);
    v["specifications"] = serde_json::from_str(&specs).unwrap_or_else(|_| json!({}));
    Ok(v)
}

/// `GET /api/products`
pub async fn list(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let d = state.defects;
    let q = QueryParams::parse(raw.as_deref());
    let page = if d.has(Defect::ProductPageIgnored) {
        1
    } else {
        q.positive("page", 1)?
    };
    let default = if d.has(Defect::ProductLimitDefault20) {
        20
    } else {
        LIMIT_DEFAULT
    };
    let limit = if d.has(Defect::ProductLimitIgnored) {
        default
    } else {
        q.positive("limit", default)?.min(LIMIT_MAX)
    };
    let category = q
        .get("category")
        .map(str::to_lowercase)
        .filter(|_| !d.has(Defect::CategoryIgnored));
    let (sql_limit, offset) = limit_offset(page, limit);
    let variations = state.variations;
    let (products, total) = state
        .db
        .read(move |conn| {
            let filter = "(?1 IS NULL OR lower(category) = ?1)";
            let total: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM products WHERE {filter}"),
                [&category],
                |r| r.get(0),
            )?;
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM products WHERE {filter} ORDER BY product_id LIMIT ?2 OFFSET ?3"
            ))?;
            let rows = stmt
                .query_map(rusqlite::params![category, sql_limit, offset], |r| {
                    summary(r, variations)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok((rows, total))
        })
        .await?;
    let mut answer = json!({
        "products": products,
        "total": total,
        "page": page,
        "limit": limit,
        "pages": page_count(total, limit),
    });
    if d.has(Defect::ProductListWithoutTotals)
        && let Some(map) = answer.as_object_mut()
    {
        map.remove("total");
        map.remove("pages");
    }
    Ok(Json(answer))
}

/// `GET /api/products/<id>`
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let d = state.defects;
    let not_found = move || {
        if d.has(Defect::UnknownProduct500) {
            // `product['name']` on None.
            return ApiError::internal("'NoneType' object is not subscriptable");
        }
        ApiError::NotFound("Product not found".into())
    };
    let id: i64 = id.parse().map_err(|_| not_found())?;
    let variations = state.variations;
    let product = state
        .db
        .read(move |conn| {
            Ok(conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM products WHERE product_id = ?1"),
                    [id],
                    |r| detail(r, variations),
                )
                .optional()?)
        })
        .await?;
    let mut product = product.ok_or_else(not_found)?;
    if d.has(Defect::ProductWithoutSpecifications)
        && let Some(map) = product.as_object_mut()
    {
        map.remove("specifications");
        map.remove("description");
    }
    Ok(Json(product))
}
