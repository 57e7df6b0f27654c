//! Changing an order: `POST /api/orders/<id>/cancel` (the owner) and
//! `PUT /api/orders/<id>/status` (admins). Cancelling, by either, restores stock, writes a
//! history row and, for a paid order, refunds the full amount through Stripe first: if the
//! refund fails nothing changes and the answer is 502.
//!
//! Exactly-once: every change of one order holds that order's lock (see
//! [`super::state::OrderLocks`]) from the first read to the last write, so of ten concurrent
//! cancellations one refunds and cancels and the nine others then find it `cancelled` (400).
//! The Stripe call happens between two transactions, never inside one, so other orders and
//! routes are not held up by a slow Stripe.
//!
//! Defects here ([`super::defects`]): `no-admin-check` (the status route skips its guard) and
//! `no-restock-on-cancel` (the cancellation forgets the stock); the rules of who may cancel or
//! move what, and when a refund is due, are in [`super::rules`].
//!
//! The `lean-answers` variation ([`super::variations`]) answers both routes with their message
//! alone (see `answer`); what they do is the same.

use super::auth::AuthUser;
use super::db;
use super::defects::{Defect, Defects};
use super::errors::ApiError;
use super::extract::{Fields, JsonBody, missing};
use super::log::note;
use super::orders::{self, OrderRow, record_status};
use super::rules;
use super::state::AppState;
use super::variations::{Variation, Variations};
use axum::Json;
use axum::extract::{Path, State};
use rusqlite::{Connection, params};
use serde_json::{Value, json};

const UPDATED: &str = "Order status updated successfully";

/// Who asks for a change.
#[derive(Debug, Clone, Copy)]
enum Actor {
    Customer(i64),
    Admin(i64),
}

impl Actor {
    fn id(self) -> i64 {
        match self {
            Actor::Customer(id) | Actor::Admin(id) => id,
        }
    }
}

/// The Stripe refund of a cancellation, as answered.
#[derive(Debug, Clone)]
struct Refund {
    id: Value,
    amount: Value,
    status: Value,
}

#[derive(Debug, Clone)]
struct Cancelled {
    payment_status: String,
    refund: Option<Refund>,
}

fn cannot_change(status: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Cannot change status of order with status '{status}'"
    ))
}

/// The order, if `actor` may cancel it now.
fn cancellable(
    conn: &Connection,
    order_id: i64,
    actor: Actor,
    defects: Defects,
) -> Result<OrderRow, ApiError> {
    match actor {
        Actor::Customer(user_id) => {
            let order = orders::load_owned(conn, user_id, order_id)?;
            if !rules::customer_can_cancel(&order.status, defects) {
                return Err(ApiError::bad_request(format!(
                    "Cannot cancel order with status '{}'",
                    order.status
                )));
            }
            Ok(order)
        }
        Actor::Admin(_) => {
            let order = orders::load(conn, order_id)?.ok_or_else(ApiError::order_not_found)?;
            if !rules::admin_can_move(&order.status, "cancelled", defects) {
                return Err(cannot_change(&order.status));
            }
            Ok(order)
        }
    }
}

/// Puts every unit of the order back on the shelf.
fn restock(conn: &Connection, order_id: i64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE products SET stock_quantity = stock_quantity +
             (SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i
              WHERE i.order_id = ?1 AND i.product_id = products.product_id)
         WHERE product_id IN (SELECT product_id FROM order_items WHERE order_id = ?1)",
        [order_id],
    )?;
    Ok(())
}

/// The cancellation itself, after any refund: status, payment status, stock, history.
fn apply_cancel(
    conn: &Connection,
    order: &OrderRow,
    refunded: bool,
    actor: Actor,
    notes: Option<&str>,
    defects: Defects,
) -> Result<String, ApiError> {
    let payment_status = if refunded {
        "refunded"
    } else {
        order.payment_status.as_str()
    };
    conn.execute(
        "UPDATE orders SET status = 'cancelled', payment_status = ?2, updated_at = ?3 WHERE id = ?1",
        params![order.id, payment_status, db::now()],
    )?;
    // Defect `no-restock-on-cancel`: the status changes, the inventory is forgotten.
    if !defects.has(Defect::NoRestockOnCancel) {
        restock(conn, order.id)?;
    }
    if refunded {
        conn.execute(
            "UPDATE payments SET status = 'refunded' WHERE order_id = ?1 AND status = 'completed'",
            [order.id],
        )?;
    }
    let default_note = match actor {
        Actor::Customer(_) => "Cancelled by customer",
        Actor::Admin(_) => "Cancelled by admin",
    };
    record_status(
        conn,
        order.id,
        "cancelled",
        Some(notes.unwrap_or(default_note)),
        Some(actor.id()),
    )?;
    Ok(payment_status.to_string())
}

/// Cancels `order_id` for `actor`; the caller holds the order's lock.
async fn cancel_order(
    state: &AppState,
    order_id: i64,
    actor: Actor,
    notes: Option<String>,
) -> Result<Cancelled, ApiError> {
    // One transaction decides; an unpaid order is cancelled in it right away.
    let n = notes.clone();
    let defects = state.defects;
    let first = state
        .db
        .write(move |tx| {
            let order = cancellable(tx, order_id, actor, defects)?;
            if rules::refund_due(&order.payment_status, defects) {
                return Ok(Err(order));
            }
            let payment_status = apply_cancel(tx, &order, false, actor, n.as_deref(), defects)?;
            Ok(Ok(Cancelled {
                payment_status,
                refund: None,
            }))
        })
        .await?;
    let order = match first {
        Ok(done) => return Ok(done),
        Err(order) => order,
    };

    // A paid order: refund first, outside any transaction.
    let Some(intent) = order.paid_by.clone() else {
        return Err(ApiError::internal(format!(
            "order {order_id} is paid but has no payment intent"
        )));
    };
    let refund = match state
        .stripe
        .refund(&intent, order.total_cents, order.id)
        .await
    {
        Ok(r) => Some(Refund {
            id: r["id"].clone(),
            amount: r["amount"].clone(),
            status: r["status"].clone(),
        }),
        // Refunded by an earlier attempt whose answer was lost: finish the cancellation.
        Err(e) if e.code() == Some("charge_already_refunded") => None,
        // Whatever Stripe says, a refund that did not happen is the provider's failure.
        Err(e) => {
            return Err(ApiError::BadGateway(format!(
                "refund of order {order_id}: {}",
                e.cause()
            )));
        }
    };

    let written = state
        .db
        .write(move |tx| {
            let order = cancellable(tx, order_id, actor, defects)?;
            apply_cancel(tx, &order, true, actor, notes.as_deref(), defects)
        })
        .await;
    match written {
        Ok(payment_status) => Ok(Cancelled {
            payment_status,
            refund,
        }),
        Err(e) => {
            note(format_args!(
                "order {order_id} was refunded at Stripe but could not be marked cancelled ({e}); \
                 cancelling it again will finish the job"
            ));
            Err(e)
        }
    }
}

fn refund_json(refund: &Option<Refund>) -> Option<Value> {
    refund
        .as_ref()
        .map(|r| json!({ "id": r.id, "amount": r.amount, "status": r.status }))
}

/// The answer of a change: `{message, order, refund?}`, or with `lean-answers` the message
/// alone (the client reads the state back with `GET`).
fn answer(
    message: &str,
    order: Value,
    refund: Option<Value>,
    variations: Variations,
) -> Json<Value> {
    if variations.has(Variation::LeanAnswers) {
        return Json(json!({ "message": message }));
    }
    let mut body = json!({ "message": message, "order": order });
    if let Some(refund) = refund {
        body["refund"] = refund;
    }
    Json(body)
}

/// `POST /api/orders/<id>/cancel`
pub async fn cancel(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let order_id = orders::parse_id(&id)?;
    let _held = state.order_locks.lock(order_id).await;
    let done = cancel_order(&state, order_id, Actor::Customer(user.id), None).await?;
    Ok(answer(
        "Order cancelled successfully",
        json!({ "id": order_id, "status": "cancelled", "payment_status": done.payment_status }),
        refund_json(&done.refund),
        state.variations,
    ))
}

/// `PUT /api/orders/<id>/status` `{status, notes?}`
pub async fn update_status(
    State(state): State<AppState>,
    user: AuthUser,
    Path(id): Path<String>,
    body: Result<JsonBody, ApiError>,
) -> Result<Json<Value>, ApiError> {
    // Defect `no-admin-check`: the route forgot its admin guard.
    if !state.defects.has(Defect::NoAdminCheck) {
        rules::ensure_admin(&user)?;
    }
    let JsonBody(body) = body?;
    let f = Fields(&body);
    let status = match f.get("status") {
        None => return Err(missing("status")),
        Some(Value::String(s)) if s.trim().is_empty() => return Err(missing("status")),
        Some(Value::String(s)) => s.trim().to_lowercase(),
        Some(_) => return Err(rules::unknown_status()),
    };
    if !rules::is_order_status(&status) {
        return Err(rules::unknown_status());
    }
    let notes = f.optional_str("notes")?.map(str::to_string);
    let order_id = orders::parse_id(&id)?;
    let _held = state.order_locks.lock(order_id).await;

    if status == "cancelled" {
        let done = cancel_order(&state, order_id, Actor::Admin(user.id), notes).await?;
        return Ok(answer(
            UPDATED,
            json!({ "id": order_id, "status": "cancelled", "payment_status": done.payment_status }),
            refund_json(&done.refund),
            state.variations,
        ));
    }

    let admin = user.id;
    let to = status.clone();
    let defects = state.defects;
    let payment_status = state
        .db
        .write(move |tx| {
            let order = orders::load(tx, order_id)?.ok_or_else(ApiError::order_not_found)?;
            if !rules::admin_can_move(&order.status, &to, defects) {
                return Err(cannot_change(&order.status));
            }
            tx.execute(
                "UPDATE orders SET status = ?2, updated_at = ?3 WHERE id = ?1",
                params![order_id, to, db::now()],
            )?;
            record_status(tx, order_id, &to, notes.as_deref(), Some(admin))?;
            Ok(order.payment_status)
        })
        .await?;
    Ok(answer(
        UPDATED,
        json!({ "id": order_id, "status": status, "payment_status": payment_status }),
        None,
        state.variations,
    ))
}
