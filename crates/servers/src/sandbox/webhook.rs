//! `POST /api/payment/webhook`: Stripe events, as stripe-python's `construct_event` checks
//! them. The body must be JSON (else 400 `Invalid payload`); `Stripe-Signature: t=…,v1=…` must
//! hold an HMAC-SHA256 of `"<t>.<raw body>"` keyed by the endpoint secret exactly as given
//! (`whsec_` included), compared in constant time, with `t` at most 300 s old (else 400
//! `Invalid signature`); the check itself is [`gigcheck_base::webhook_signature`]. Each event id has its
//! effect once: the id is recorded in the same transaction as the effect.
//!
//! Effects, on the order named by `data.object.metadata.order_id` (or, failing that, the order
//! the intent paid): `payment_intent.succeeded` → `paid`, `pending` → `processing`, a payment
//! row (only for the order's exact total); `payment_intent.payment_failed` → `failed` (an order
//! already paid stays paid); `charge.refunded` → `refunded`. A payment for a cancelled order is
//! recorded (`paid`) but the order stays `cancelled`. Other types, and events naming no known
//! order: 200, ignored.
//!
//! The defects of this module ([`super::defects`], each named after the rule it breaks:
//! `payment.webhook.*`) are switched at the line that owns the rule (search for `Defect::`).

use super::db;
use super::defects::{Defect, Defects};
use super::errors::{ApiError, PaymentError};
use super::extract::{BODY_LIMIT, read_limited};
use super::notes::note;
use super::orders::{self, OrderRow, record_status};
use super::rules;
use super::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Value, json};

/// How old a signature's timestamp may be, in seconds.
pub const TOLERANCE_SECS: i64 = gigcheck_base::webhook_signature::TOLERANCE_SECS;

/// Checks a `Stripe-Signature` header against the raw body (see [`gigcheck_base::webhook_signature`]).
pub fn signature_is_valid(header: &str, payload: &[u8], secret: &str, now: i64) -> bool {
    gigcheck_base::webhook_signature::verify(header, payload, secret, now, TOLERANCE_SECS).is_ok()
}

/// The header a sender computes, for tests and tools.
pub fn sign(payload: &[u8], secret: &str, t: i64) -> String {
    gigcheck_base::webhook_signature::header(secret, t, payload)
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `POST /api/payment/webhook`
pub async fn receive(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<Value>, PaymentError> {
    let d = state.defects;
    let invalid_payload = || PaymentError(ApiError::bad_request("Invalid payload"));
    let bytes = read_limited(body, BODY_LIMIT).await?;
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // Defect `webhook-unverified`: the body is trusted as it came, signed or not.
    let signed = d.has(Defect::WebhookUnverified)
        || signature_is_valid(header, &bytes, &state.webhook_secret, unix_now());
    // The signature is checked on the raw body before it is parsed (the defect parses first).
    if d.has(Defect::PayloadParsedFirst) {
        serde_json::from_slice::<Value>(&bytes).map_err(|_| invalid_payload())?;
    }
    // The defect applies the event and checks the signature afterwards.
    if !signed && !d.has(Defect::RefusedEventApplied) {
        return Err(ApiError::bad_request("Invalid signature").into());
    }
    let event: Value = serde_json::from_slice(&bytes).map_err(|_| invalid_payload())?;
    let (Some(id), Some(kind), true) = (
        event["id"].as_str().map(str::to_string),
        event["type"].as_str().map(str::to_string),
        event["data"]["object"].is_object(),
    ) else {
        return Err(invalid_payload());
    };
    let object = event["data"]["object"].clone();
    let defects = state.defects;
    state
        .db
        .write(move |tx| {
            // Defect `duplicate-webhook-applied`: no ledger of event ids; every delivery counts.
            let first_time = defects.has(Defect::DuplicateWebhookApplied)
                || tx.execute(
                    "INSERT OR IGNORE INTO webhook_events (id, type, received_at) VALUES (?1, ?2, ?3)",
                    params![id, kind, db::now()],
                )? == 1;
            if first_time {
                apply(tx, &kind, &object, defects)?;
            }
            Ok(())
        })
        .await?;
    if !signed {
        return Err(ApiError::bad_request("Invalid signature").into());
    }
    if d.has(Defect::WebhookAnswersReceived) {
        return Ok(Json(json!({ "received": true })));
    }
    Ok(Json(json!({ "success": true })))
}

/// The intent an event's object is about.
fn intent_of(kind: &str, object: &Value) -> Option<String> {
    let id = if kind.starts_with("payment_intent.") {
        object["id"].as_str()
    } else {
        object["payment_intent"].as_str()
    };
    id.map(str::to_string)
}

/// The order an event is about: `metadata.order_id`, else the order its intent is linked to.
fn order_of(
    conn: &Connection,
    kind: &str,
    object: &Value,
    defects: Defects,
) -> rusqlite::Result<Option<OrderRow>> {
    let meta = &object["metadata"]["order_id"];
    let from_meta = meta
        .as_str()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .or_else(|| meta.as_i64())
        .filter(|_| !defects.has(Defect::MetadataOrderIgnored));
    if let Some(id) = from_meta {
        return orders::load(conn, id);
    }
    let Some(pi) = intent_of(kind, object) else {
        return Ok(None);
    };
    let id: Option<i64> = conn
        .query_row(
            "SELECT id FROM orders WHERE payment_intent_id = ?1
             UNION SELECT order_id FROM payments WHERE transaction_id = ?1
             UNION SELECT order_id FROM payment_intents WHERE id = ?1 AND order_id IS NOT NULL
             LIMIT 1",
            [&pi],
            |r| r.get(0),
        )
        .optional()?;
    match id {
        Some(id) => orders::load(conn, id),
        None => Ok(None),
    }
}

fn apply(conn: &Connection, kind: &str, object: &Value, defects: Defects) -> Result<(), ApiError> {
    let known = matches!(
        kind,
        "payment_intent.succeeded" | "payment_intent.payment_failed" | "charge.refunded"
    );
    if !known && defects.has(Defect::UnknownEventRefused) {
        return Err(ApiError::bad_request(format!(
            "Unhandled event type {kind}"
        )));
    }
    if !known || (kind == "charge.refunded" && defects.has(Defect::ChargeRefundedIgnored)) {
        return Ok(());
    }
    let Some(order) = order_of(conn, kind, object, defects)? else {
        note(format_args!("webhook {kind} names no known order; ignored"));
        return Ok(());
    };
    let now = db::now();
    match kind {
        "payment_intent.succeeded" => {
            // With `duplicate-webhook-applied` the handler records a payment for every delivery
            // (only a refunded order is left alone), as a handler without a ledger does.
            let recorded =
                order.payment_status == "paid" && !defects.has(Defect::DuplicateWebhookApplied);
            if recorded || order.payment_status == "refunded" {
                return Ok(());
            }
            let amount = object["amount_received"]
                .as_i64()
                .filter(|a| *a > 0)
                .or_else(|| object["amount"].as_i64())
                .unwrap_or(0);
            let currency = object["currency"].as_str().unwrap_or("usd");
            if let Some(problem) =
                rules::intent_problem("succeeded", amount, currency, order.total_cents)
            {
                note(format_args!(
                    "webhook payment for order {} ignored: {problem}",
                    order.id
                ));
                return Ok(());
            }
            let pi = object["id"].as_str().unwrap_or("");
            let status = if defects.has(Defect::PaidStaysPending) {
                order.status.as_str()
            } else if defects.has(Defect::PaymentResetsStatus) && order.status != "cancelled" {
                "processing"
            } else {
                rules::status_after_payment(&order.status)
            };
            conn.execute(
                "UPDATE orders SET payment_status = 'paid', status = ?2, updated_at = ?3 WHERE id = ?1",
                params![order.id, status, now],
            )?;
            if !defects.has(Defect::NoPaymentRowFromWebhook) {
                conn.execute(
                    "INSERT INTO payments (order_id, payment_method, amount_cents, status, transaction_id, created_at)
                     VALUES (?1, 'card', ?2, 'completed', ?3, ?4)",
                    params![order.id, amount, pi, now],
                )?;
            }
            conn.execute(
                "UPDATE payment_intents SET status = 'succeeded' WHERE id = ?1",
                [pi],
            )?;
            if status != order.status {
                record_status(conn, order.id, status, Some("Payment received"), None)?;
            }
        }
        "payment_intent.payment_failed" => {
            if matches!(order.payment_status.as_str(), "pending" | "failed") {
                conn.execute(
                    "UPDATE orders SET payment_status = 'failed', updated_at = ?2 WHERE id = ?1",
                    params![order.id, now],
                )?;
                if defects.has(Defect::FailedPaymentCancels) {
                    // The bug: a failed payment taken as the end of the order.
                    conn.execute(
                        "UPDATE orders SET status = 'cancelled' WHERE id = ?1",
                        [order.id],
                    )?;
                }
            }
        }
        _ => {
            // charge.refunded
            if order.payment_status != "refunded" {
                conn.execute(
                    "UPDATE orders SET payment_status = 'refunded', updated_at = ?2 WHERE id = ?1",
                    params![order.id, now],
                )?;
                conn.execute(
                    "UPDATE payments SET status = 'refunded' WHERE order_id = ?1 AND status = 'completed'",
                    [order.id],
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    #[test]
    fn a_fresh_signature_is_valid() {
        let body = br#"{"id":"evt_1"}"#;
        let now = 1_700_000_000;
        assert!(signature_is_valid(
            &sign(body, SECRET, now),
            body,
            SECRET,
            now
        ));
        // Future timestamps pass, as in stripe-python.
        assert!(signature_is_valid(
            &sign(body, SECRET, now + 60),
            body,
            SECRET,
            now
        ));
    }

    #[test]
    fn wrong_secret_tampered_body_or_old_timestamp_fail() {
        let body = br#"{"id":"evt_1"}"#;
        let now = 1_700_000_000;
        let header = sign(body, SECRET, now);
        assert!(!signature_is_valid(&header, body, "whsec_other", now));
        assert!(!signature_is_valid(
            &header,
            br#"{"id":"evt_2"}"#,
            SECRET,
            now
        ));
        // The `whsec_` prefix is part of the key.
        assert!(!signature_is_valid(&header, body, "test_secret", now));
        let old = sign(body, SECRET, now - 301);
        assert!(!signature_is_valid(&old, body, SECRET, now));
        let edge = sign(body, SECRET, now - 300);
        assert!(signature_is_valid(&edge, body, SECRET, now));
    }

    #[test]
    fn header_shapes() {
        let body = b"{}";
        let now = 1_700_000_000;
        let good = sign(body, SECRET, now);
        let v1 = good.split("v1=").nth(1).unwrap();
        // Several v1 signatures and other schemes: any v1 may match.
        let several = format!("t={now},v0=abc,v1=deadbeef,v1={v1}");
        assert!(signature_is_valid(&several, body, SECRET, now));
        for bad in [
            "",
            "t=abc,v1=00",
            &format!("v1={v1}"),
            &format!("t={now}"),
            &format!("t={now},v1=zz"),
        ] {
            assert!(!signature_is_valid(bad, body, SECRET, now), "{bad}");
        }
    }
}
