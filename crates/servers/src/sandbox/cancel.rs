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
//! The defects of cancelling and status updates ([`super::defects`], each named after the rule
//! it breaks: `orders.cancel.*`, `orders.status.*`, the refund's `stripe.*`) are switched at the
//! line that owns the rule; the rules of who may cancel or move what, and when a refund is due,
//! are in [`super::rules`].
//!
//! The `lean-answers` variation ([`super::variations`]) answers both routes with their message
//! alone (see `answer`); what they do is the same.

use super::auth::AuthUser;
use super::db;
use super::defects::{Defect, Defects};
use super::errors::ApiError;
use super::extract::{Fields, JsonBody, missing};
use super::notes::note;
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
            let order = match orders::load(conn, order_id)? {
                // `order['status']` on None.
                None if defects.has(Defect::CancelUnknownOrder500) => {
                    return Err(ApiError::internal("'NoneType' object is not subscriptable"));
                }
                Some(order) if defects.has(Defect::CancelAnyonesOrder) => order,
                _ => orders::load_owned(conn, user_id, order_id)?,
            };
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
/// `restocked`: the stock was already put back (only the `orders.cancel.refund-fails-stock`
/// defect does that, before the refund).
fn apply_cancel(
    conn: &Connection,
    order: &OrderRow,
    (refunded, restocked): (bool, bool),
    actor: Actor,
    notes: Option<&str>,
    defects: Defects,
) -> Result<String, ApiError> {
    let payment_status = if refunded || defects.has(Defect::UnpaidMarkedRefunded) {
        "refunded"
    } else {
        order.payment_status.as_str()
    };
    let status = if defects.has(Defect::CanceledSpelling) {
        "canceled"
    } else {
        "cancelled"
    };
    conn.execute(
        "UPDATE orders SET status = ?4, payment_status = ?2, updated_at = ?3 WHERE id = ?1",
        params![order.id, payment_status, db::now(), status],
    )?;
    // Defect `no-restock-on-cancel`: the status changes, the inventory is forgotten.
    if !defects.has(Defect::NoRestockOnCancel) && !restocked {
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
    if !defects.has(Defect::NoCancelHistoryRow) {
        record_status(
            conn,
            order.id,
            status,
            Some(notes.unwrap_or(default_note)),
            Some(actor.id()),
        )?;
    }
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
                if defects.has(Defect::RestockBeforeRefund) {
                    restock(tx, order.id)?;
                }
                return Ok(Err(order));
            }
            if defects.has(Defect::CancelCheckThenWrite) {
                // Decided here, written in a later transaction without looking again.
                return Ok(Err(order));
            }
            let payment_status =
                apply_cancel(tx, &order, (false, false), actor, n.as_deref(), defects)?;
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
    if defects.has(Defect::CancelCheckThenWrite)
        && !rules::refund_due(&order.payment_status, defects)
    {
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        let n = notes.clone();
        let payment_status = state
            .db
            .write(move |tx| apply_cancel(tx, &order, (false, false), actor, n.as_deref(), defects))
            .await?;
        return Ok(Cancelled {
            payment_status,
            refund: None,
        });
    }
    let restocked = defects.has(Defect::RestockBeforeRefund);

    // A paid order: refund first, outside any transaction.
    let Some(intent) = order.paid_by.clone() else {
        return Err(ApiError::internal(format!(
            "order {order_id} is paid but has no payment intent"
        )));
    };
    let refund = match refund_at_stripe(state, &intent, &order).await {
        Ok(r) => Some(Refund {
            id: r["id"].clone(),
            amount: r["amount"].clone(),
            status: r["status"].clone(),
        }),
        // Refunded by an earlier attempt whose answer was lost: finish the cancellation.
        Err(e) if e.code() == Some("charge_already_refunded") => None,
        // "Refund later": the order is cancelled as if the refund had gone through.
        Err(e) if defects.has(Defect::CancelDespiteFailedRefund) => {
            note(format_args!(
                "refund of order {order_id} failed: {}",
                e.cause()
            ));
            None
        }
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
            let order = if defects.has(Defect::CancelCheckThenWrite) {
                order
            } else {
                cancellable(tx, order_id, actor, defects)?
            };
            apply_cancel(
                tx,
                &order,
                (true, restocked),
                actor,
                notes.as_deref(),
                defects,
            )
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

/// The refund of a paid order's total at Stripe (or, with defects, none, one in dollars, or two
/// halves).
async fn refund_at_stripe(
    state: &AppState,
    intent: &str,
    order: &OrderRow,
) -> Result<Value, super::stripe_client::StripeError> {
    let d = state.defects;
    if d.has(Defect::RefundNotMade) {
        return Ok(json!({ "id": null, "amount": order.total_cents, "status": "succeeded" }));
    }
    let amount = if d.has(Defect::RefundInDollars) {
        (order.total_cents / 100).max(1)
    } else {
        order.total_cents
    };
    if d.has(Defect::RefundedTwice) && amount > 1 {
        let half = amount / 2;
        state.stripe.refund(intent, half, order.id).await?;
        return state.stripe.refund(intent, amount - half, order.id).await;
    }
    state.stripe.refund(intent, amount, order.id).await
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
    let d = state.defects;
    // Without the order's lock, deciding in one transaction and writing in another, two
    // cancellations can both succeed.
    let _held = if d.has(Defect::CancelCheckThenWrite) {
        None
    } else {
        Some(state.order_locks.lock(order_id).await)
    };
    let done = cancel_order(&state, order_id, Actor::Customer(user.id), None).await?;
    let message = if d.has(Defect::CancelMessageChanged) {
        "Order canceled"
    } else {
        "Order cancelled successfully"
    };
    Ok(answer(
        message,
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
    let d = state.defects;
    if !rules::is_order_status(&status) && !d.has(Defect::AnyStatusStored) {
        return Err(rules::unknown_status());
    }
    let notes = f
        .optional_str("notes")?
        .map(str::to_string)
        .filter(|_| !d.has(Defect::StatusNotesDropped));
    let order_id = orders::parse_id(&id)?;
    let _held = state.order_locks.lock(order_id).await;
    let updated = if d.has(Defect::StatusMessageChanged) {
        "Status updated"
    } else {
        UPDATED
    };

    if status == "cancelled" && !d.has(Defect::AdminCancelPlain) {
        let done = cancel_order(&state, order_id, Actor::Admin(user.id), notes).await?;
        return Ok(answer(
            updated,
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
            let order = match orders::load(tx, order_id)? {
                Some(order) => order,
                None if defects.has(Defect::StatusUnknownOrder500) => {
                    return Err(ApiError::internal(
                        "'NoneType' object has no attribute 'status'",
                    ));
                }
                None => return Err(ApiError::order_not_found()),
            };
            if !rules::admin_can_move(&order.status, &to, defects) {
                return Err(cannot_change(&order.status));
            }
            if !defects.has(Defect::StatusNotStored) {
                tx.execute(
                    "UPDATE orders SET status = ?2, updated_at = ?3 WHERE id = ?1",
                    params![order_id, to, db::now()],
                )?;
            }
            record_status(tx, order_id, &to, notes.as_deref(), Some(admin))?;
            Ok(order.payment_status)
        })
        .await?;
    Ok(answer(
        updated,
        json!({ "id": order_id, "status": status, "payment_status": payment_status }),
        None,
        state.variations,
    ))
}
