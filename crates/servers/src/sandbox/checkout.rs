//! Placing an order: `POST /api/orders`. The body is checked (400), then priced against the
//! catalogue (404 unknown product, 409 short stock, 400 foreign address). With a
//! `payment_intent_id` the intent must be one the caller created here, unused, and Stripe must
//! say it `succeeded` for exactly the total in USD (else 402 `Payment not completed: …`, or 502
//! if Stripe cannot tell). Then one transaction re-checks everything, decrements stock and
//! writes the order, its items, its history and its payment. Nothing is written on any error.
//!
//! The defects of this module ([`super::defects`], each named after the rule it breaks:
//! `orders.create.*`) are switched at the line that owns the rule (search for `Defect::`).
//!
//! The `stock-400` variation ([`super::variations`]) answers insufficient stock 400 instead of
//! 409 (`short_stock`), with the same message.

use super::auth::AuthUser;
use super::db;
use super::defects::{Defect, Defects};
use super::errors::ApiError;
use super::extract::{Fields, JsonBody, missing, positive_int};
use super::orders::{self, record_status};
use super::rules;
use super::state::AppState;
use super::stripe_client::{StripeError, is_intent_id};
use super::variations::{Variation, Variations};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

const MAX_LINES: usize = 100;

/// With `oversell-race`, the time between the stock check and the stock write: the work a real
/// handler does there (a fraud or tax call). The race is real without it, but microseconds wide.
const RACE_WINDOW: Duration = Duration::from_millis(25);

/// A validated order request.
#[derive(Debug, Clone)]
struct Request {
    /// product id → quantity, duplicates merged (so two lines cannot oversell one product).
    lines: BTreeMap<i64, i64>,
    shipping_address_id: i64,
    billing_address_id: i64,
    shipping_method: String,
    payment_intent_id: Option<String>,
    /// Unit prices in cents the client sent, by product id; only `client-price-trusted` reads them.
    claimed_prices: BTreeMap<i64, i64>,
}

/// One line of an order, priced against the catalogue.
#[derive(Debug, Clone)]
struct Line {
    product_id: i64,
    name: String,
    sku: String,
    price_cents: i64,
    quantity: i64,
    /// The stock when it was priced.
    stock: i64,
}

/// A request priced against the catalogue.
#[derive(Debug, Clone)]
struct Priced {
    lines: Vec<Line>,
    total_cents: i64,
}

fn item_error(n: usize, what: &str) -> ApiError {
    ApiError::bad_request(format!("Item {n}: {what}"))
}

fn parse(body: &serde_json::Map<String, Value>, defects: Defects) -> Result<Request, ApiError> {
    let f = Fields(body);
    for name in [
        "items",
        "shipping_address_id",
        "billing_address_id",
        "shipping_method",
    ] {
        let defaulted = name == "shipping_method" && defects.has(Defect::ShippingMethodDefaulted);
        if !f.has(name) && !defaulted {
            return Err(missing(name));
        }
    }
    let items = match f.get("items") {
        Some(Value::Array(items))
            if !items.is_empty() || defects.has(Defect::EmptyCartAccepted) =>
        {
            items
        }
        Some(Value::Array(_)) => {
            return Err(ApiError::bad_request(
                "Order must contain at least one item",
            ));
        }
        _ => {
            return Err(ApiError::bad_request(
                "Field 'items' must be a list of {product_id, quantity}",
            ));
        }
    };
    if items.len() > MAX_LINES {
        return Err(ApiError::bad_request(format!(
            "An order has at most {MAX_LINES} items"
        )));
    }
    let mut lines = BTreeMap::new();
    let mut claimed_prices = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let n = i + 1;
        let Some(item) = item.as_object() else {
            return Err(item_error(
                n,
                "must be an object with product_id and quantity",
            ));
        };
        let product_id = match item.get("product_id").filter(|v| !v.is_null()) {
            None => return Err(item_error(n, "missing product_id")),
            Some(v) => positive_int(v)
                .ok_or_else(|| item_error(n, "product_id must be a positive integer"))?,
        };
        let quantity = match item.get("quantity").filter(|v| !v.is_null()) {
            None => return Err(item_error(n, "missing quantity")),
            Some(v) => match v.as_i64() {
                Some(q) if q >= 1 => q,
                Some(_) => return Err(item_error(n, "quantity must be at least 1")),
                None if v.as_f64().is_some_and(|q| q < 1.0) => {
                    return Err(item_error(n, "quantity must be at least 1"));
                }
                // `int(item['quantity'])`: 1.5 becomes 1.
                None if defects.has(Defect::QuantityTruncated) && v.as_f64().is_some() => {
                    v.as_f64().unwrap_or(1.0) as i64
                }
                None => return Err(item_error(n, "quantity must be a whole number")),
            },
        };
        let entry: &mut i64 = lines.entry(product_id).or_insert(0);
        *entry = entry.saturating_add(quantity);
        // Defect `client-price-trusted`: `item.get('price', product.price)`.
        if defects.has(Defect::ClientPriceTrusted)
            && let Some(dollars) = item.get("price").and_then(Value::as_f64)
            && dollars.is_finite()
            && dollars >= 0.0
        {
            claimed_prices.insert(product_id, (dollars * 100.0).round() as i64);
        }
    }
    let payment_intent_id = match f.get("payment_intent_id") {
        None => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_string()),
        Some(_) => {
            return Err(ApiError::bad_request(
                "Field 'payment_intent_id' must be a string",
            ));
        }
    };
    Ok(Request {
        lines,
        shipping_address_id: f.required_id("shipping_address_id")?,
        billing_address_id: f.required_id("billing_address_id")?,
        shipping_method: if defects.has(Defect::ShippingMethodDefaulted) {
            f.optional_str("shipping_method")?
                .unwrap_or("standard")
                .to_string()
        } else {
            f.required_str("shipping_method")?.to_string()
        },
        payment_intent_id,
        claimed_prices,
    })
}

/// Insufficient stock is the only conflict ordering reports (409); with `stock-400` it is a
/// 400 with the same message. Applied to every error of [`create`], so both stock checks (the
/// first look and the re-check inside the write) answer alike.
fn short_stock(e: ApiError, variations: Variations) -> ApiError {
    match e {
        ApiError::Conflict(message) if variations.has(Variation::Stock400) => {
            ApiError::BadRequest(message)
        }
        e => e,
    }
}

fn payment_not_completed(reason: &str) -> ApiError {
    ApiError::PaymentRequired(format!("Payment not completed: {reason}"))
}

/// Addresses, products, stock and the intent's link, as the database has them now.
fn price(
    conn: &Connection,
    user_id: i64,
    req: &Request,
    defects: Defects,
) -> Result<Priced, ApiError> {
    for (id, which) in [
        (req.shipping_address_id, "shipping"),
        (req.billing_address_id, "billing"),
    ] {
        let unchecked = match which {
            "shipping" => defects.has(Defect::ShippingAddressNotOwned),
            _ => defects.has(Defect::BillingAddressNotOwned),
        };
        if unchecked {
            continue;
        }
        let owned: bool = conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM addresses WHERE id = ?1 AND user_id = ?2)",
            params![id, user_id],
            |r| r.get(0),
        )?;
        if !owned {
            return Err(ApiError::bad_request(format!(
                "Invalid {which} address: no such address on your account"
            )));
        }
    }
    let mut lines = Vec::with_capacity(req.lines.len());
    for (&product_id, &quantity) in &req.lines {
        let product = conn
            .query_row(
                "SELECT name, sku, price_cents, stock_quantity FROM products WHERE product_id = ?1",
                [product_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                },
            )
            .optional()?;
        let Some((name, sku, price_cents, stock)) = product else {
            if defects.has(Defect::UnknownProductOrder500) {
                return Err(ApiError::internal("'NoneType' object is not subscriptable"));
            }
            return Err(ApiError::NotFound(format!(
                "Product not found: {product_id}"
            )));
        };
        if quantity > stock {
            return Err(ApiError::Conflict(
                if defects.has(Defect::StockMessageWithoutCounts) {
                    format!("Insufficient stock for {name}")
                } else if defects.has(Defect::StockMessageWithoutProduct) {
                    format!("Insufficient stock: requested {quantity}, available {stock}")
                } else {
                    format!(
                        "Insufficient stock for {name}: requested {quantity}, available {stock}"
                    )
                },
            ));
        }
        let price_cents = req
            .claimed_prices
            .get(&product_id)
            .copied()
            .unwrap_or(price_cents);
        lines.push(Line {
            product_id,
            name,
            sku,
            price_cents,
            quantity,
            stock,
        });
    }
    let amounts: Vec<(i64, i64)> = lines.iter().map(|l| (l.price_cents, l.quantity)).collect();
    let total_cents = rules::total_cents(&amounts)
        .ok_or_else(|| ApiError::bad_request("Order total is too large"))?;
    if let Some(pi) = &req.payment_intent_id {
        let owner = if defects.has(Defect::IntentNotMatched) {
            None
        } else {
            Some(user_id)
        };
        check_intent_link(conn, owner, pi)?;
    }
    Ok(Priced { lines, total_cents })
}

/// The intent must have been created here by this caller (`owner`; `None`: by anyone) and not
/// have paid an order yet.
fn check_intent_link(conn: &Connection, owner: Option<i64>, pi: &str) -> Result<(), ApiError> {
    let link: Option<Option<i64>> = conn
        .query_row(
            "SELECT order_id FROM payment_intents WHERE id = ?1 AND (?2 IS NULL OR user_id = ?2)",
            params![pi, owner],
            |r| r.get(0),
        )
        .optional()?;
    let used: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM orders WHERE payment_intent_id = ?1)
             OR EXISTS(SELECT 1 FROM payments WHERE transaction_id = ?1)",
        [pi],
        |r| r.get(0),
    )?;
    match link {
        None => Err(payment_not_completed("payment intent not found")),
        Some(Some(_)) => Err(payment_not_completed(
            "payment intent belongs to another order",
        )),
        Some(None) if used => Err(payment_not_completed(
            "payment intent already used for another order",
        )),
        Some(None) => Ok(()),
    }
}

/// Asks Stripe whether the intent paid `total_cents`.
async fn verify_with_stripe(state: &AppState, pi: &str, total_cents: i64) -> Result<(), ApiError> {
    let d = state.defects;
    if d.has(Defect::IntentNotRetrieved) {
        // The bug: the client said it paid; the backend never asks Stripe.
        return Ok(());
    }
    let intent = match state.stripe.retrieve_payment_intent(pi).await {
        Ok(intent) => intent,
        Err(StripeError::Api { status: 404, .. }) => {
            return Err(payment_not_completed("payment intent not found"));
        }
        // `except stripe.error.StripeError as e: return 402`: an outage told as a refusal.
        Err(e) if d.has(Defect::ProviderErrorAs402) => {
            return Err(payment_not_completed(&e.cause()));
        }
        Err(e) => return Err(ApiError::BadGateway(e.cause())),
    };
    if d.has(Defect::OrderDespiteDeclinedPayment) {
        // The bug: the intent exists, so the order is taken as paid; its outcome is never read.
        return Ok(());
    }
    let status = intent["status"].as_str().unwrap_or("unknown");
    let amount = if d.has(Defect::IntentNotMatched) {
        // The amount is never compared either.
        total_cents
    } else {
        intent["amount"].as_i64().unwrap_or(-1)
    };
    let currency = intent["currency"].as_str().unwrap_or("");
    match rules::intent_problem(status, amount, currency, total_cents) {
        Some(reason) => Err(payment_not_completed(&reason)),
        None => Ok(()),
    }
}

/// How [`insert`] takes the stock.
enum StockCheck<'a> {
    /// `price` runs again inside the transaction, and each decrement is guarded, so a
    /// concurrent order that took the stock meanwhile makes this one a 409.
    Recheck,
    /// `oversell-race`: the lines priced in an earlier transaction are trusted, and the stock
    /// they saw is written back minus the quantity (a lost update when orders interleave).
    Trust(&'a Priced),
}

/// Writes the order.
fn insert(
    conn: &Connection,
    user_id: i64,
    req: &Request,
    check: StockCheck,
    defects: Defects,
) -> Result<i64, ApiError> {
    let mut priced = match check {
        StockCheck::Recheck => price(conn, user_id, req, defects)?,
        StockCheck::Trust(seen) => seen.clone(),
    };
    if defects.has(Defect::TotalIgnoresQuantity) {
        priced.total_cents = priced.lines.iter().map(|l| l.price_cents).sum();
    }
    let now = db::now();
    let paid = req.payment_intent_id.is_some();
    let (status, payment_status) = match paid {
        true if defects.has(Defect::PaidOrderStaysPending) => ("pending", "paid"),
        true => ("processing", "paid"),
        false if defects.has(Defect::UnpaidOrderProcessing) => ("processing", "pending"),
        false => ("pending", "pending"),
    };
    for line in &priced.lines {
        if defects.has(Defect::StockNotDecremented) {
            // The bug: the inventory update dropped from checkout.
            continue;
        }
        if let StockCheck::Trust(_) = check {
            conn.execute(
                "UPDATE products SET stock_quantity = ?1 WHERE product_id = ?2",
                params![line.stock - line.quantity, line.product_id],
            )?;
            continue;
        }
        let changed = conn.execute(
            "UPDATE products SET stock_quantity = stock_quantity - ?1 WHERE product_id = ?2 AND stock_quantity >= ?1",
            params![line.quantity, line.product_id],
        )?;
        if changed != 1 {
            return Err(ApiError::Conflict(format!(
                "Insufficient stock for {}",
                line.name
            )));
        }
    }
    conn.execute(
        "INSERT INTO orders (user_id, order_date, updated_at, total_cents, status, payment_status,
                             shipping_address_id, billing_address_id, shipping_method, payment_intent_id)
         VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            user_id,
            now,
            priced.total_cents,
            status,
            payment_status,
            req.shipping_address_id,
            req.billing_address_id,
            req.shipping_method,
            req.payment_intent_id
        ],
    )?;
    let order_id = conn.last_insert_rowid();
    for line in &priced.lines {
        conn.execute(
            "INSERT INTO order_items (order_id, product_id, product_name, sku, quantity, price_cents)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                order_id,
                line.product_id,
                line.name,
                line.sku,
                line.quantity,
                line.price_cents
            ],
        )?;
    }
    if !defects.has(Defect::NoPendingHistoryRow) {
        record_status(
            conn,
            order_id,
            "pending",
            Some("Order placed"),
            Some(user_id),
        )?;
    }
    if let Some(pi) = &req.payment_intent_id {
        if !defects.has(Defect::NoPaymentRowAtCreation) {
            conn.execute(
                "INSERT INTO payments (order_id, payment_method, amount_cents, status, transaction_id, created_at)
                 VALUES (?1, 'card', ?2, 'completed', ?3, ?4)",
                params![order_id, priced.total_cents, pi, now],
            )?;
        }
        conn.execute(
            "UPDATE payment_intents SET order_id = ?1, status = 'succeeded' WHERE id = ?2",
            params![order_id, pi],
        )?;
        record_status(
            conn,
            order_id,
            "processing",
            Some("Payment received"),
            Some(user_id),
        )?;
    }
    Ok(order_id)
}

/// `POST /api/orders`
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let variations = state.variations;
    place(state, user, body)
        .await
        .map_err(|e| short_stock(e, variations))
}

/// The order: checked, paid for if it says so, written.
async fn place(
    state: AppState,
    user: AuthUser,
    body: serde_json::Map<String, Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let defects = state.defects;
    let variations = state.variations;
    let req = parse(&body, defects)?;
    if let Some(pi) = &req.payment_intent_id
        && !is_intent_id(pi)
    {
        return Err(payment_not_completed("payment intent not found"));
    }
    let user_id = user.id;
    // Check first, so that a bad request never calls Stripe.
    let check = req.clone();
    let priced = state
        .db
        .read(move |conn| price(conn, user_id, &check, defects))
        .await?;
    if let Some(pi) = &req.payment_intent_id
        && let Err(refused) = verify_with_stripe(&state, pi, priced.total_cents).await
    {
        leave_traces(&state, user_id, &req, &priced).await?;
        return Err(refused);
    }
    let racy = defects.has(Defect::OversellRace);
    if racy {
        tokio::time::sleep(RACE_WINDOW).await;
    }
    let order = state
        .db
        .write(move |tx| {
            let check = if racy {
                StockCheck::Trust(&priced)
            } else {
                StockCheck::Recheck
            };
            let id = insert(tx, user_id, &req, check, defects)?;
            let mut order = tx.query_row(
                &format!("SELECT {} FROM orders WHERE id = ?1", orders::COLUMNS),
                [id],
                |r| orders::summary(r, variations),
            )?;
            order["items"] = json!(orders::items(tx, id, variations)?);
            Ok(order)
        })
        .await?;
    let status = if defects.has(Defect::OrderCreated200) {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let message = if defects.has(Defect::OrderMessageChanged) {
        "Order placed"
    } else {
        "Order created successfully"
    };
    Ok((status, Json(json!({ "message": message, "order": order }))))
}

/// What a refused paid order leaves behind with the defects that write before they verify: the
/// order row (`orders.create.refused-no-order`), or the stock taken
/// (`orders.create.refused-no-stock-change`). Nothing without them.
async fn leave_traces(
    state: &AppState,
    user_id: i64,
    req: &Request,
    priced: &Priced,
) -> Result<(), ApiError> {
    let d = state.defects;
    let keeps_order = d.has(Defect::RefusedOrderKept);
    let keeps_stock = d.has(Defect::RefusedOrderTakesStock);
    if !(keeps_order || keeps_stock) {
        return Ok(());
    }
    let (req, priced) = (req.clone(), priced.clone());
    state
        .db
        .write(move |tx| {
            if keeps_order {
                let unpaid = Request {
                    payment_intent_id: None,
                    ..req
                };
                insert(tx, user_id, &unpaid, StockCheck::Trust(&priced), Defects::NONE)?;
            } else {
                for line in &priced.lines {
                    tx.execute(
                        "UPDATE products SET stock_quantity = stock_quantity - ?1 WHERE product_id = ?2",
                        params![line.quantity, line.product_id],
                    )?;
                }
            }
            Ok(())
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    fn valid() -> Value {
        json!({"items": [{"product_id": 1, "quantity": 1}], "shipping_address_id": 1,
               "billing_address_id": 1, "shipping_method": "standard"})
    }

    #[test]
    fn parses_and_merges_duplicates() {
        let mut v = valid();
        v["items"] = json!([{"product_id": 9, "quantity": 1}, {"product_id": 9, "quantity": 1}]);
        let req = parse(&body(v), Defects::NONE).unwrap();
        assert_eq!(req.lines.get(&9), Some(&2));
        assert_eq!(req.payment_intent_id, None);
    }

    #[test]
    fn a_claimed_price_is_read_only_by_the_defect() {
        let mut v = valid();
        v["items"] = json!([{"product_id": 1, "quantity": 1, "price": 0.01}]);
        assert!(
            parse(&body(v.clone()), Defects::NONE)
                .unwrap()
                .claimed_prices
                .is_empty()
        );
        let trusted = parse(&body(v), Defect::ClientPriceTrusted.into()).unwrap();
        assert_eq!(trusted.claimed_prices.get(&1), Some(&1));
    }

    #[test]
    fn short_stock_is_409_or_400() {
        let conflict =
            ApiError::Conflict("Insufficient stock for X: requested 2, available 1".into());
        assert_eq!(short_stock(conflict.clone(), Variations::NONE), conflict);
        assert_eq!(
            short_stock(conflict, Variation::Stock400.into()),
            ApiError::bad_request("Insufficient stock for X: requested 2, available 1")
        );
        let other = ApiError::NotFound("Product not found: 5".into());
        assert_eq!(
            short_stock(other.clone(), Variation::Stock400.into()),
            other
        );
    }

    #[test]
    fn rejects_bad_requests() {
        let cases = [
            ("items", json!(null), "Missing required field: items"),
            ("items", json!([]), "Order must contain at least one item"),
            (
                "items",
                json!("x"),
                "Field 'items' must be a list of {product_id, quantity}",
            ),
            (
                "items",
                json!([1]),
                "Item 1: must be an object with product_id and quantity",
            ),
            (
                "items",
                json!([{"quantity": 1}]),
                "Item 1: missing product_id",
            ),
            (
                "items",
                json!([{"product_id": "1", "quantity": 1}]),
                "Item 1: product_id must be a positive integer",
            ),
            (
                "items",
                json!([{"product_id": 1}]),
                "Item 1: missing quantity",
            ),
            (
                "items",
                json!([{"product_id": 1, "quantity": 0}]),
                "Item 1: quantity must be at least 1",
            ),
            (
                "items",
                json!([{"product_id": 1, "quantity": -3}]),
                "Item 1: quantity must be at least 1",
            ),
            (
                "items",
                json!([{"product_id": 1, "quantity": 1.5}]),
                "Item 1: quantity must be a whole number",
            ),
            (
                "shipping_method",
                json!(""),
                "Missing required field: shipping_method",
            ),
            (
                "shipping_address_id",
                json!("x"),
                "Field 'shipping_address_id' must be a positive integer",
            ),
            (
                "payment_intent_id",
                json!(5),
                "Field 'payment_intent_id' must be a string",
            ),
        ];
        for (field, value, message) in cases {
            let mut v = valid();
            v[field] = value;
            assert_eq!(
                parse(&body(v), Defects::NONE).unwrap_err(),
                ApiError::bad_request(message),
                "{field}"
            );
        }
    }
}
