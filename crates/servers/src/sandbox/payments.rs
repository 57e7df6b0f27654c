//! Payments through Stripe: `POST /api/payment/create-payment-intent` and
//! `POST /api/payment/confirm-payment-intent`. Every answer carries `success`; errors are
//! [`PaymentError`]s. An intent created here is linked to its creator (and to
//! `metadata.order_id`, when given), so only its creator can confirm it or pay an order with it.
//!
//! Beyond the contract's table, and in its spirit (prices come from the catalogue): an intent
//! for an order must be for exactly the order's total and the order must still be payable.

use super::auth::AuthUser;
use super::db;
use super::defects::{Defect, Defects};
use super::errors::{ApiError, PaymentError};
use super::extract::{Fields, JsonBody, missing};
use super::orders;
use super::state::AppState;
use super::stripe_client::{StripeError, is_intent_id};
use axum::Json;
use axum::extract::State;
use rusqlite::{OptionalExtension, params};
use serde_json::{Value, json};

/// Stripe's ceiling for an amount (8 digits).
const MAX_AMOUNT: i64 = 99_999_999;
const MAX_METADATA_KEYS: usize = 20;

/// Form parameters of a Stripe call.
type FormParams = Vec<(String, String)>;

/// `metadata` → Stripe's string map; `order_id` is returned separately, parsed.
fn metadata(body: &serde_json::Map<String, Value>) -> Result<(FormParams, Option<i64>), ApiError> {
    let Some(meta) = body.get("metadata").filter(|v| !v.is_null()) else {
        return Ok((Vec::new(), None));
    };
    let Some(meta) = meta.as_object() else {
        return Err(ApiError::bad_request("Field 'metadata' must be an object"));
    };
    if meta.len() > MAX_METADATA_KEYS {
        return Err(ApiError::bad_request(format!(
            "Field 'metadata' has at most {MAX_METADATA_KEYS} keys"
        )));
    }
    let mut pairs = Vec::new();
    let mut order_id = None;
    for (k, v) in meta {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "metadata.{k} must be a string or a number"
                )));
            }
        };
        if k.len() > 40 || text.len() > 500 || k == "user_id" {
            return Err(ApiError::bad_request(format!(
                "metadata.{k} is not allowed or too long"
            )));
        }
        if k == "order_id" {
            let id = text.trim().parse::<i64>().ok().filter(|n| *n >= 1);
            order_id =
                Some(id.ok_or_else(|| {
                    ApiError::bad_request("metadata.order_id must be an order id")
                })?);
        }
        pairs.push((format!("metadata[{k}]"), text));
    }
    Ok((pairs, order_id))
}

/// `POST /api/payment/create-payment-intent` `{amount, currency?, description?, metadata?}`
pub async fn create_intent(
    State(state): State<AppState>,
    user: Result<AuthUser, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<Json<Value>, PaymentError> {
    let user = user?;
    let JsonBody(body) = body?;
    let d = state.defects;
    let f = Fields(&body);
    let amount = match f.get("amount") {
        None => return Err(missing("amount").into()),
        // `int(round(float(data['amount'])))`: 12.5 or "1250" pass as amounts.
        Some(v) if d.has(Defect::AmountRounded) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            .map(|n| n.round() as i64)
            .filter(|n| *n >= 1)
            .ok_or_else(|| ApiError::bad_request("Amount must be a positive integer (in cents)"))?,
        Some(v) => v
            .as_i64()
            .filter(|n| *n >= 1)
            .ok_or_else(|| ApiError::bad_request("Amount must be a positive integer (in cents)"))?,
    };
    if amount > MAX_AMOUNT {
        return Err(
            ApiError::bad_request(format!("Amount must be at most {MAX_AMOUNT} cents")).into(),
        );
    }
    let currency = f.optional_str("currency")?.unwrap_or("usd").to_lowercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_lowercase()) {
        return Err(ApiError::bad_request(
            "Field 'currency' must be a three-letter ISO code, e.g. usd",
        )
        .into());
    }
    let description = f.optional_str("description")?.map(str::to_string);
    let (meta, order_id) = metadata(&body)?;

    if let Some(order_id) = order_id {
        let user_id = user.id;
        state
            .db
            .read(move |conn| {
                let order = match orders::load(conn, order_id)? {
                    None if d.has(Defect::IntentForUnknownOrder) => return Ok(()),
                    Some(order) if d.has(Defect::IntentForAnyonesOrder) => order,
                    _ => orders::load_owned(conn, user_id, order_id)?,
                };
                if order.status == "cancelled"
                    || matches!(order.payment_status.as_str(), "paid" | "refunded")
                {
                    return Err(ApiError::bad_request(format!(
                        "Order {order_id} cannot be paid: it is {}/{}",
                        order.status, order.payment_status
                    )));
                }
                if order.total_cents != amount {
                    return Err(ApiError::bad_request(format!(
                        "Amount must equal the order total ({} cents)",
                        order.total_cents
                    )));
                }
                Ok(())
            })
            .await?;
    }

    // `stripe.PaymentIntent.create(amount=total)` with the total in dollars.
    let sent_amount = if d.has(Defect::IntentAmountInDollars) {
        (amount / 100).max(1)
    } else {
        amount
    };
    let mut params = vec![
        ("amount".to_string(), sent_amount.to_string()),
        ("currency".to_string(), currency.clone()),
        ("payment_method_types[0]".to_string(), "card".to_string()),
        ("metadata[user_id]".to_string(), user.id.to_string()),
    ];
    if let Some(d) = description {
        params.push(("description".to_string(), d));
    }
    if !d.has(Defect::MetadataNotSent) {
        params.extend(meta);
    }
    let intent = state
        .stripe
        .create_payment_intent(&params)
        .await
        .map_err(|e| stripe_failure(e, d, Defect::IntentProviderMessage))?;
    let (Some(id), Some(client_secret)) = (intent["id"].as_str(), intent["client_secret"].as_str())
    else {
        return Err(ApiError::BadGateway(
            "Stripe's payment intent has no id or client_secret".into(),
        )
        .into());
    };
    if !is_intent_id(id) {
        return Err(
            ApiError::BadGateway(format!("Stripe answered an odd intent id {id:?}")).into(),
        );
    }
    let status = intent["status"]
        .as_str()
        .unwrap_or("requires_payment_method")
        .to_string();
    let (pi, user_id, st, cur) = (id.to_string(), user.id, status.clone(), currency.clone());
    state
        .db
        .write(move |tx| {
            tx.execute(
                "INSERT OR REPLACE INTO payment_intents (id, user_id, order_id, amount_cents, currency, status, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![pi, user_id, order_id, amount, cur, st, db::now()],
            )?;
            Ok(())
        })
        .await?;
    // The contract: `payment_intent` is the intent's id, as the public code returns it; the
    // amount and metadata are Stripe's to show.
    let mut answer = json!({
        "success": true,
        "client_secret": client_secret,
        "payment_intent": id,
    });
    if d.has(Defect::IntentObjectAnswered) {
        answer["payment_intent"] = intent.clone();
    }
    if d.has(Defect::IntentWithoutClientSecret)
        && let Some(map) = answer.as_object_mut()
    {
        map.remove("client_secret");
    }
    Ok(Json(answer))
}

/// A failed Stripe call as the route answers it: Stripe's usual mapping, or one of the broken
/// ones — every provider failure a 500 (`failure.stripe.errors`), or the route's own wrong
/// answer to an outage (`own`).
fn stripe_failure(e: StripeError, d: Defects, own: Defect) -> PaymentError {
    let outage = matches!(e, StripeError::Unavailable(_));
    if outage && d.has(Defect::ProviderErrors500) {
        return ApiError::internal(e.cause()).into();
    }
    if outage && d.has(own) {
        return match own {
            // An outage reported as the client's mistake.
            Defect::ConfirmProviderError400 => ApiError::bad_request(e.cause()).into(),
            // The right status, but Stripe's words instead of the contract's.
            _ => ApiError::BadGateway(e.cause())
                .with_message("Stripe error")
                .into(),
        };
    }
    if d.has(Defect::DeclineAs400)
        && let StripeError::Api { status: 402, .. } = e
    {
        return ApiError::bad_request("Payment failed").into();
    }
    e.into_api_error().into()
}

/// `POST /api/payment/confirm-payment-intent` `{payment_intent_id, payment_method?}`
pub async fn confirm_intent(
    State(state): State<AppState>,
    user: Result<AuthUser, ApiError>,
    body: Result<JsonBody, ApiError>,
) -> Result<Json<Value>, PaymentError> {
    let user = user?;
    let JsonBody(body) = body?;
    let d = state.defects;
    let f = Fields(&body);
    let not_found = || PaymentError(ApiError::NotFound("Payment intent not found".into()));
    let pi = match f.optional_str("payment_intent_id")? {
        Some(pi) => pi.to_string(),
        None if d.has(Defect::MissingIntentId404) => return Err(not_found()),
        None => return Err(missing("payment_intent_id").into()),
    };
    let payment_method = f.optional_str("payment_method")?.map(str::to_string);
    if !is_intent_id(&pi) {
        return Err(not_found());
    }
    let (id, user_id) = (pi.clone(), user.id);
    let anyones = d.has(Defect::ConfirmAnyonesIntent);
    let linked: Option<i64> = state
        .db
        .read(move |conn| {
            Ok(conn
                .query_row(
                    "SELECT 1 FROM payment_intents WHERE id = ?1 AND (user_id = ?2 OR ?3)",
                    params![id, user_id, anyones],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await?;
    if linked.is_none() && !d.has(Defect::ConfirmUnknownIntent) {
        return Err(not_found());
    }
    let failed = |e| stripe_failure(e, d, Defect::ConfirmProviderError400);
    // An intent confirmed in the browser (or already paid) is reported, not confirmed again.
    let current = if d.has(Defect::ConfirmAlways) {
        None
    } else {
        let intent = state
            .stripe
            .retrieve_payment_intent(&pi)
            .await
            .map_err(failed)?;
        let needs = matches!(
            intent["status"].as_str(),
            Some("requires_confirmation" | "requires_payment_method")
        );
        (!needs || d.has(Defect::ConfirmNeverCalled)).then_some(intent)
    };
    let intent = match current {
        Some(intent) => intent,
        None => state
            .stripe
            .confirm_payment_intent(&pi, payment_method.as_deref())
            .await
            .map_err(failed)?,
    };
    let status = intent["status"].as_str().unwrap_or("unknown").to_string();
    let st = status.clone();
    state
        .db
        .write(move |tx| {
            tx.execute(
                "UPDATE payment_intents SET status = ?2 WHERE id = ?1",
                params![pi, st],
            )?;
            Ok(())
        })
        .await?;
    Ok(Json(json!({
        "success": true,
        "status": status,
        "requires_action": status == "requires_action" && !d.has(Defect::RequiresActionNeverSaid),
        "client_secret": intent["client_secret"],
        "payment_intent_id": intent["id"],
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_becomes_stripe_params() {
        let body = json!({"metadata": {"order_id": "12", "note": "gift", "n": 3}});
        let (pairs, order_id) = metadata(body.as_object().unwrap()).unwrap();
        assert_eq!(order_id, Some(12));
        assert!(pairs.contains(&("metadata[order_id]".into(), "12".into())));
        assert!(pairs.contains(&("metadata[n]".into(), "3".into())));
        for bad in [
            json!({"metadata": "x"}),
            json!({"metadata": {"order_id": "abc"}}),
            json!({"metadata": {"user_id": 1}}),
        ] {
            assert!(metadata(bad.as_object().unwrap()).is_err(), "{bad}");
        }
    }
}
