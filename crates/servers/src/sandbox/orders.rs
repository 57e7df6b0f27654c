//! Reading orders: `GET /api/orders?status&page&per_page` (the caller's, newest first, with
//! items), `GET /api/orders/<id>` (with items, addresses, payments and status history) and
//! `GET /api/orders/stats`. Also the queries the other order modules share. Another user's
//! order is answered exactly like a missing one.
//!
//! The defects of this module ([`super::defects`], each named after the rule it breaks:
//! `orders.list.*`, `orders.detail.*`, `orders.stats.*`) are switched at the line that owns the rule (search for `Defect::`).
//!
//! Money and timestamps are shown as [`db::money`] and [`db::shown_time`] say. Variations here
//! ([`super::variations`]): `extra-fields` (an order's `tracking_number` and `notes`, an item's
//! `image_url`, in [`summary`] and [`items`]) and `created-by-strings` (who wrote a history row,
//! as `"Admin 1"`, in `history`).

use super::addresses;
use super::auth::AuthUser;
use super::db;
use super::defects::{Defect, Defects};
use super::errors::ApiError;
use super::extract::{QueryParams, page_count};
use super::rules;
use super::state::AppState;
use super::variations::{Variation, Variations};
use axum::Json;
use axum::extract::{Path, RawQuery, State};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Map, Value, json};

/// The columns [`summary`] reads, in its order.
pub const COLUMNS: &str = "id, user_id, order_date, total_cents, status, payment_status, shipping_address_id, \
                           billing_address_id, shipping_method, payment_intent_id, updated_at";

/// An order as the contract shows it (without items).
pub fn summary(r: &Row, variations: Variations) -> rusqlite::Result<Value> {
    let id: i64 = r.get(0)?;
    let status: String = r.get(4)?;
    let mut order = json!({
        "id": id,
        "user_id": r.get::<_, i64>(1)?,
        "order_date": db::shown_time(r.get(2)?, variations),
        "total": db::money(r.get(3)?, variations),
        "status": status,
        "payment_status": r.get::<_, String>(5)?,
        "shipping_address_id": r.get::<_, i64>(6)?,
        "billing_address_id": r.get::<_, i64>(7)?,
        "shipping_method": r.get::<_, String>(8)?,
        "payment_intent_id": r.get::<_, Option<String>>(9)?,
        "updated_at": db::shown_time(r.get(10)?, variations),
    });
    if variations.has(Variation::ExtraFields) {
        order["tracking_number"] = json!(tracking_number(id, &status));
        order["notes"] = Value::Null;
    }
    Ok(order)
}

/// An order as [`summary`] shows it, with the defects that change how orders are shown.
pub fn shown(order: &mut Value, defects: Defects) {
    if defects.has(Defect::TotalsInCents)
        && let Some(total) = order.get("total").and_then(money_cents)
    {
        order["total"] = json!(total);
    }
    if defects.has(Defect::OrderDateAsUnixTime)
        && let Some(at) = order.get("order_date").and_then(Value::as_str)
    {
        // Whichever form it is shown in (RFC 3339, or an HTTP-date with `http-dates`).
        let unix = time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
            .map(time::OffsetDateTime::unix_timestamp)
            .ok()
            .or_else(|| {
                let t = httpdate::parse_http_date(at).ok()?;
                let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
                i64::try_from(secs).ok()
            });
        if let Some(unix) = unix {
            order["order_date"] = json!(unix);
        }
    }
    if defects.has(Defect::PendingPaymentAsUnpaid) && order["payment_status"] == "pending" {
        order["payment_status"] = json!("unpaid");
    }
}

/// A money value as shown (number or decimal string) in cents.
fn money_cents(v: &Value) -> Option<i64> {
    let dollars = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    Some((dollars * 100.0).round() as i64)
}

/// The carrier's tracking number, once the parcel has left (`extra-fields`).
pub fn tracking_number(order_id: i64, status: &str) -> Option<String> {
    matches!(status, "shipped" | "delivered").then(|| format!("1ZGG{order_id:012}"))
}

/// What the order logic needs to know about one order.
#[derive(Debug, Clone)]
pub struct OrderRow {
    pub id: i64,
    pub user_id: i64,
    pub total_cents: i64,
    pub status: String,
    pub payment_status: String,
    /// The intent that paid it (given at creation, or recorded by the webhook).
    pub paid_by: Option<String>,
}

/// Order `id`, whoever owns it.
pub fn load(conn: &Connection, id: i64) -> rusqlite::Result<Option<OrderRow>> {
    conn.query_row(
        "SELECT o.id, o.user_id, o.total_cents, o.status, o.payment_status,
                COALESCE(o.payment_intent_id,
                         (SELECT p.transaction_id FROM payments p WHERE p.order_id = o.id ORDER BY p.id DESC LIMIT 1))
         FROM orders o WHERE o.id = ?1",
        [id],
        |r| {
            Ok(OrderRow {
                id: r.get(0)?,
                user_id: r.get(1)?,
                total_cents: r.get(2)?,
                status: r.get(3)?,
                payment_status: r.get(4)?,
                paid_by: r.get(5)?,
            })
        },
    )
    .optional()
}

/// Order `id` if it is `user_id`'s; otherwise the contract's 404.
pub fn load_owned(conn: &Connection, user_id: i64, id: i64) -> Result<OrderRow, ApiError> {
    match load(conn, id)? {
        Some(order) if order.user_id == user_id => Ok(order),
        _ => Err(ApiError::order_not_found()),
    }
}

/// A path id; anything that is not a number is a missing order.
pub fn parse_id(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(ApiError::order_not_found)
}

pub fn items(
    conn: &Connection,
    order_id: i64,
    variations: Variations,
) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT i.id, i.product_id, i.product_name, i.sku, i.quantity, i.price_cents, p.primary_image
         FROM order_items i LEFT JOIN products p ON p.product_id = i.product_id
         WHERE i.order_id = ?1 ORDER BY i.id",
    )?;
    stmt.query_map([order_id], |r| {
        let quantity: i64 = r.get(4)?;
        let price: i64 = r.get(5)?;
        let mut item = json!({
            "id": r.get::<_, i64>(0)?,
            "product_id": r.get::<_, i64>(1)?,
            "product_name": r.get::<_, String>(2)?,
            "sku": r.get::<_, String>(3)?,
            "quantity": quantity,
            "price": db::money(price, variations),
            "subtotal": db::money(price.saturating_mul(quantity), variations),
        });
        if variations.has(Variation::ExtraFields) {
            item["image_url"] = json!(r.get::<_, Option<String>>(6)?);
        }
        Ok(item)
    })?
    .collect()
}

fn payments(
    conn: &Connection,
    order_id: i64,
    variations: Variations,
) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, payment_method, amount_cents, status, transaction_id, created_at FROM payments
         WHERE order_id = ?1 ORDER BY id",
    )?;
    stmt.query_map([order_id], |r| {
        Ok(json!({
            "id": r.get::<_, i64>(0)?,
            "payment_method": r.get::<_, String>(1)?,
            "amount": db::money(r.get(2)?, variations),
            "status": r.get::<_, String>(3)?,
            "transaction_id": r.get::<_, String>(4)?,
            "created_at": db::shown_time(r.get(5)?, variations),
        }))
    })?
    .collect()
}

/// Who wrote a history row: the user's id, or with `created-by-strings` how a person would name
/// them (`"Admin 1"`, `"Customer 7"`); `None` (the webhook) stays null either way.
pub fn created_by(by: Option<i64>, by_admin: Option<bool>, variations: Variations) -> Value {
    match by {
        None => Value::Null,
        Some(id) if variations.has(Variation::CreatedByStrings) => {
            let role = match by_admin {
                Some(true) => "Admin",
                Some(false) => "Customer",
                None => "User",
            };
            json!(format!("{role} {id}"))
        }
        Some(id) => json!(id),
    }
}

fn history(
    conn: &Connection,
    order_id: i64,
    variations: Variations,
) -> rusqlite::Result<Vec<Value>> {
    let mut stmt = conn.prepare_cached(
        "SELECT h.status, h.notes, h.created_at, h.created_by, u.is_admin
         FROM order_status_history h LEFT JOIN users u ON u.id = h.created_by
         WHERE h.order_id = ?1 ORDER BY h.id",
    )?;
    stmt.query_map([order_id], |r| {
        Ok(json!({
            "status": r.get::<_, String>(0)?,
            "notes": r.get::<_, Option<String>>(1)?,
            "created_at": db::shown_time(r.get(2)?, variations),
            "created_by": created_by(r.get(3)?, r.get(4)?, variations),
        }))
    })?
    .collect()
}

/// Appends a status-history row.
pub fn record_status(
    conn: &Connection,
    order_id: i64,
    status: &str,
    notes: Option<&str>,
    by: Option<i64>,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO order_status_history (order_id, status, notes, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![order_id, status, notes, db::now(), by],
    )?;
    Ok(())
}

/// `GET /api/orders`
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let d = state.defects;
    let q = QueryParams::parse(raw.as_deref());
    // A paging value as the broken versions read it: a word (or a number below 1) is taken as
    // the default instead of refused.
    let lenient = |name: &str, default: u64| match q.get(name).map(str::parse::<i64>) {
        Some(Ok(n)) => u64::try_from(n.max(1)).unwrap_or(default),
        _ => default,
    };
    let page = if d.has(Defect::NonNumericPage500) {
        // The bug: `int(request.args.get('page', 1))` with no `try`; a word is a crash (500).
        match q.get("page").map(str::parse::<u64>) {
            None => 1,
            Some(Ok(n)) => n.max(1),
            Some(Err(e)) => return Err(ApiError::internal(format!("page parameter: {e}"))),
        }
    } else if d.has(Defect::PagingBelowOneClamped)
        && q.get("page").and_then(|p| p.parse::<i64>().ok()).is_some()
    {
        lenient("page", 1)
    } else {
        q.positive("page", 1)?
    };
    let default_per_page = if d.has(Defect::PerPageDefault20) {
        20
    } else {
        rules::PER_PAGE_DEFAULT
    };
    let asked = if d.has(Defect::PerPageWordIgnored)
        && q.get("per_page").is_some_and(|p| p.parse::<i64>().is_err())
    {
        default_per_page
    } else if d.has(Defect::PagingBelowOneClamped)
        && q.get("per_page")
            .and_then(|p| p.parse::<i64>().ok())
            .is_some()
    {
        lenient("per_page", default_per_page)
    } else {
        q.positive("per_page", default_per_page)?
    };
    let per_page = rules::per_page(asked, d);
    let status = q
        .get("status")
        .map(str::to_string)
        .filter(|_| !d.has(Defect::StatusFilterIgnored));
    let status = match status {
        Some(s) if !rules::is_order_status(&s) && d.has(Defect::UnknownStatusFilterUnfiltered) => {
            None
        }
        Some(s) if !rules::is_order_status(&s) => {
            return Err(ApiError::bad_request(format!(
                "Invalid status filter. Must be one of: {}",
                rules::ORDER_STATUSES.join(", ")
            )));
        }
        other => other,
    };
    let (limit, offset) = rules::page_window(page, per_page, d);
    let variations = state.variations;
    let everyones = d.has(Defect::OrderListOfEveryone);
    let order_by = if d.has(Defect::OldestFirst) {
        "order_date ASC, id ASC"
    } else if d.has(Defect::TiesLowerIdFirst) {
        "order_date DESC, id ASC"
    } else {
        "order_date DESC, id DESC"
    };
    let with_items = !d.has(Defect::OrderListWithoutItems);
    let (orders, total) = state
        .db
        .read(move |conn| {
            let filter = "(user_id = ?1 OR ?5) AND (?2 IS NULL OR status = ?2)";
            let total: i64 = conn.query_row(
                &format!("SELECT COUNT(*) FROM orders WHERE {filter}"),
                params![user.id, status, 0, 0, everyones],
                |r| r.get(0),
            )?;
            let mut stmt = conn.prepare(&format!(
                "SELECT {COLUMNS} FROM orders WHERE {filter} ORDER BY {order_by} LIMIT ?3 OFFSET ?4"
            ))?;
            let mut orders = stmt
                .query_map(params![user.id, status, limit, offset, everyones], |r| {
                    summary(r, variations)
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            for order in &mut orders {
                let id = order["id"].as_i64().unwrap_or_default();
                if with_items {
                    order["items"] = json!(items(conn, id, variations)?);
                }
                shown(order, d);
            }
            Ok((orders, total))
        })
        .await?;
    let total_pages = if d.has(Defect::TotalPagesRoundedDown) {
        total / i64::try_from(per_page).unwrap_or(i64::MAX).max(1)
    } else {
        page_count(total, per_page)
    };
    Ok(Json(json!({
        "orders": orders,
        "pagination": {
            "total": total,
            "page": page,
            "per_page": per_page,
            "total_pages": total_pages,
        }
    })))
}

/// `GET /api/orders/<id>`
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id(&id)?;
    let d = state.defects;
    let readable_by_anyone = d.has(Defect::OrderReadableByOthers);
    let variations = state.variations;
    let order = state
        .db
        .read(move |conn| {
            if readable_by_anyone {
                // The bug (IDOR): the order is fetched by id alone, whoever asks.
                load(conn, id)?.ok_or_else(ApiError::order_not_found)?;
            } else {
                load_owned(conn, user.id, id)?;
            }
            let mut order = conn.query_row(
                &format!("SELECT {COLUMNS} FROM orders WHERE id = ?1"),
                [id],
                |r| summary(r, variations),
            )?;
            let shipping = order["shipping_address_id"].as_i64().unwrap_or_default();
            let billing = order["billing_address_id"].as_i64().unwrap_or_default();
            let mut lines = items(conn, id, variations)?;
            if d.has(Defect::ItemsWithoutSubtotal) {
                for line in &mut lines {
                    if let Some(line) = line.as_object_mut() {
                        line.remove("subtotal");
                    }
                }
            }
            order["items"] = json!(lines);
            if d.has(Defect::AddressesNotEmbedded) {
                order["shipping_address"] = Value::Null;
                order["billing_address"] = Value::Null;
            } else {
                order["shipping_address"] =
                    json!(addresses::owned(conn, user.id, shipping, variations)?);
                order["billing_address"] =
                    json!(addresses::owned(conn, user.id, billing, variations)?);
            }
            order["payments"] = if d.has(Defect::PaymentsNotListed) {
                json!([])
            } else {
                json!(payments(conn, id, variations)?)
            };
            order["status_history"] = if d.has(Defect::HistoryNotListed) {
                json!([])
            } else {
                json!(history(conn, id, variations)?)
            };
            shown(&mut order, d);
            Ok(order)
        })
        .await?;
    Ok(Json(json!({ "order": order })))
}

/// `GET /api/orders/stats`: the caller's orders only.
pub async fn stats(State(state): State<AppState>, user: AuthUser) -> Result<Json<Value>, ApiError> {
    let variations = state.variations;
    let d = state.defects;
    let stats = state
        .db
        .read(move |conn| {
            let mut counts = Map::new();
            for s in rules::ORDER_STATUSES {
                counts.insert(s.to_string(), json!(0));
            }
            let mut total_orders = 0i64;
            let mut spent_cents = 0i64;
            let everyones = d.has(Defect::StatsOfEveryone);
            let mut stmt = conn.prepare(
                "SELECT status, total_cents, payment_status FROM orders WHERE user_id = ?1 OR ?2",
            )?;
            let rows = stmt.query_map(params![user.id, everyones], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
            })?;
            for row in rows {
                let (status, total, payment_status) = row?;
                if !(d.has(Defect::StatsSkipCancelled) && status == "cancelled") {
                    total_orders += 1;
                }
                let spent = if d.has(Defect::SpentCountsPaidOnly) {
                    payment_status == "paid"
                } else {
                    rules::counts_as_spent(&status)
                };
                if spent {
                    spent_cents = spent_cents.saturating_add(total);
                }
                let n = counts.get(&status).and_then(Value::as_i64).unwrap_or(0);
                counts.insert(status, json!(n + 1));
            }
            let order_by = if d.has(Defect::MostRecentIsOldest) {
                "order_date ASC, id ASC"
            } else {
                "order_date DESC, id DESC"
            };
            let mut most_recent = conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM orders WHERE user_id = ?1 OR ?2 ORDER BY {order_by} LIMIT 1"),
                    params![user.id, everyones],
                    |r| summary(r, variations),
                )
                .optional()?;
            if let Some(order) = &mut most_recent {
                shown(order, d);
            }
            let mut answer = json!({
                "total_orders": total_orders,
                "status_counts": counts,
                "total_spent": db::money(spent_cents, variations),
                "most_recent_order": most_recent,
            });
            if d.has(Defect::StatsWithoutCounts)
                && let Some(map) = answer.as_object_mut()
            {
                map.remove("status_counts");
            }
            Ok(answer)
        })
        .await?;
    Ok(Json(stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_by_as_an_id_or_a_name() {
        let strings: Variations = Variation::CreatedByStrings.into();
        assert_eq!(created_by(Some(7), Some(false), Variations::NONE), json!(7));
        assert_eq!(created_by(Some(1), Some(true), strings), json!("Admin 1"));
        assert_eq!(
            created_by(Some(7), Some(false), strings),
            json!("Customer 7")
        );
        assert_eq!(created_by(Some(9), None, strings), json!("User 9"));
        assert_eq!(created_by(None, None, strings), Value::Null);
        assert_eq!(created_by(None, None, Variations::NONE), Value::Null);
    }

    #[test]
    fn tracking_numbers_once_shipped() {
        assert_eq!(tracking_number(12, "pending"), None);
        assert_eq!(tracking_number(12, "cancelled"), None);
        assert_eq!(
            tracking_number(12, "shipped").as_deref(),
            Some("1ZGG000000000012")
        );
        assert!(tracking_number(12, "delivered").is_some());
    }
}
