//! Refunds: `POST /v1/refunds` (`payment_intent` or `charge`; `amount` — default: what is left
//! —, `reason`, `metadata`), `GET /v1/refunds[?payment_intent=&charge=]`, `GET
//! /v1/refunds/{id}`, `POST /v1/refunds/{id}` (metadata). Card refunds succeed at once, as in
//! Stripe's test mode; partial refunds may repeat until nothing is left. Each refund emits
//! `refund.created` and `charge.refunded` (with `previous_attributes`). The charges refunds
//! are made from can be read with `GET /v1/charges/{id}`.

use super::auth::SecretKey;
use super::errors::{ApiError, ApiResult};
use super::lists;
use super::objects::{
    Charge, ChargeStatus, Refund, RefundStatus, format_money, new_id, now, to_json,
};
use super::params::{Params, merge_metadata};
use super::request_id::RequestContext;
use super::state::{Emulator, Store};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde_json::{Value, json};
use std::sync::Arc;

const REASONS: &[&str] = &["duplicate", "fraudulent", "requested_by_customer"];

/// Takes `amount` (default: all that is left) off `charge`, or says why not.
pub(super) fn take_refund(charge: &mut Charge, amount: Option<i64>) -> ApiResult<i64> {
    let left = charge.refundable();
    if left == 0 {
        return Err(ApiError::invalid_request(format!(
            "Charge {} has already been refunded.",
            charge.id
        ))
        .code("charge_already_refunded")
        .with("charge", charge.id.clone().into()));
    }
    let amount = amount.unwrap_or(left);
    if amount < 1 {
        return Err(ApiError::invalid_param(
            "amount",
            "parameter_invalid_integer",
            "This value must be greater than or equal to 1.",
        ));
    }
    if amount > left {
        return Err(ApiError::invalid_request(format!(
            "Refund amount ({}) is greater than unrefunded amount on charge ({})",
            format_money(amount, &charge.currency),
            format_money(left, &charge.currency)
        ))
        .param("amount"));
    }
    charge.amount_refunded += amount;
    charge.refunded = charge.amount_refunded >= charge.amount_captured;
    Ok(amount)
}

/// The id of the charge a refund request is about.
fn charge_to_refund(store: &Store, params: &Params) -> ApiResult<String> {
    if let Some(id) = params.optional_text("payment_intent")? {
        let intent = store
            .payment_intents
            .get(&id)
            .ok_or_else(|| ApiError::no_such_param("payment_intent", &id, "payment_intent"))?;
        return intent
            .latest_charge
            .as_ref()
            .filter(|c| {
                store
                    .charges
                    .get(*c)
                    .is_some_and(|c| c.status == ChargeStatus::Succeeded && c.captured)
            })
            .cloned()
            .ok_or_else(|| {
                ApiError::invalid_request(format!(
                    "This PaymentIntent ({id}) does not have a successful charge to refund."
                ))
                .param("payment_intent")
            });
    }
    if let Some(id) = params.optional_text("charge")? {
        let charge = store
            .charges
            .get(&id)
            .ok_or_else(|| ApiError::no_such_param("charge", &id, "charge"))?;
        if charge.status != ChargeStatus::Succeeded || !charge.captured {
            return Err(ApiError::invalid_request(format!(
                "Charge {id} cannot be refunded: it has not succeeded and been captured."
            ))
            .param("charge"));
        }
        return Ok(id);
    }
    Err(ApiError::bad_value(
        "payment_intent",
        "One of the following params should be provided for this request: payment_intent or charge.",
    )
    .code("parameter_missing"))
}

/// `POST /v1/refunds`.
pub(super) async fn create(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    Extension(request): Extension<RequestContext>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let amount = params.integer("amount")?;
    let reason = params.one_of("reason", REASONS)?;
    let metadata = params.metadata()?.unwrap_or_default();
    emulator
        .transact(&request, |store, events| {
            let charge_id = charge_to_refund(store, &params)?;
            let Some(charge) = store.charges.get_mut(&charge_id) else {
                return Err(ApiError::no_such_param("charge", &charge_id, "charge"));
            };
            let before =
                json!({ "amount_refunded": charge.amount_refunded, "refunded": charge.refunded });
            let amount = take_refund(charge, amount)?;
            let refund = Refund {
                id: new_id("re"),
                object: "refund",
                amount,
                balance_transaction: Some(new_id("txn")),
                charge: charge.id.clone(),
                created: now(),
                currency: charge.currency.clone(),
                metadata,
                payment_intent: charge.payment_intent.clone(),
                reason,
                status: RefundStatus::Succeeded,
            };
            let refund_json = to_json(&refund);
            events.push("refund.created", refund_json.clone(), None);
            events.push("charge.refunded", to_json(&*charge), Some(before));
            store.refunds.insert(refund.id.clone(), refund);
            Ok(refund_json)
        })
        .map(Json)
}

/// `GET /v1/refunds/{id}`.
pub(super) async fn retrieve(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    emulator
        .store()
        .refunds
        .get(&id)
        .map(|refund| Json(to_json(refund)))
        .ok_or_else(|| ApiError::no_such("refund", &id, "id"))
}

/// `POST /v1/refunds/{id}`: `metadata`.
pub(super) async fn update(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    Extension(request): Extension<RequestContext>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let metadata = params.metadata()?;
    emulator
        .transact(&request, |store, events| {
            let refund = store
                .refunds
                .get_mut(&id)
                .ok_or_else(|| ApiError::no_such("refund", &id, "id"))?;
            if let Some(metadata) = metadata {
                let before = json!({ "metadata": refund.metadata });
                merge_metadata(&mut refund.metadata, metadata);
                events.push("refund.updated", to_json(&*refund), Some(before));
            }
            Ok(to_json(&*refund))
        })
        .map(Json)
}

/// `GET /v1/refunds`: newest first; `payment_intent` and `charge` filters.
pub(super) async fn list(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    params: Params,
) -> ApiResult<Json<Value>> {
    let intent = params.optional_text("payment_intent")?;
    let charge = params.optional_text("charge")?;
    let refunds: Vec<Value> = emulator
        .store()
        .refunds
        .values()
        .rev()
        .filter(|r| intent.as_ref().is_none_or(|i| &r.payment_intent == i))
        .filter(|r| charge.as_ref().is_none_or(|c| &r.charge == c))
        .map(to_json)
        .collect();
    lists::page(refunds, &params, "/v1/refunds").map(Json)
}

/// `GET /v1/charges/{id}`.
pub(super) async fn retrieve_charge(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    emulator
        .store()
        .charges
        .get(&id)
        .map(|charge| Json(to_json(charge)))
        .ok_or_else(|| ApiError::no_such("charge", &id, "id"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stripe::cards::by_test_id;
    use crate::stripe::objects::{PaymentIntent, PaymentMethod};
    use crate::stripe::status_machine;

    fn paid_charge(amount: i64) -> Charge {
        let mut intent = PaymentIntent::new(amount, "usd".into());
        let method = PaymentMethod::from_test_card(by_test_id("pm_card_visa").unwrap());
        status_machine::confirm(&mut intent, &method)
            .unwrap()
            .charge
            .unwrap()
    }

    #[test]
    fn partial_refunds_until_nothing_is_left() {
        let mut charge = paid_charge(2000);
        assert_eq!(take_refund(&mut charge, Some(500)).unwrap(), 500);
        assert!(!charge.refunded);
        let over = take_refund(&mut charge, Some(1501)).unwrap_err();
        assert_eq!(
            over.body()["error"]["message"],
            "Refund amount ($15.01) is greater than unrefunded amount on charge ($15.00)"
        );
        assert_eq!(over.body()["error"]["param"], "amount");
        assert_eq!(take_refund(&mut charge, None).unwrap(), 1500);
        assert!(charge.refunded);
        assert_eq!(charge.amount_refunded, 2000);
        let again = take_refund(&mut charge, None).unwrap_err();
        assert_eq!(again.code_str(), Some("charge_already_refunded"));
        assert_eq!(
            again.body()["error"]["message"],
            format!("Charge {} has already been refunded.", charge.id)
        );
    }

    #[test]
    fn zero_or_negative_amounts_are_refused() {
        let mut charge = paid_charge(2000);
        assert!(take_refund(&mut charge, Some(0)).is_err());
        assert!(take_refund(&mut charge, Some(-5)).is_err());
        assert_eq!(charge.amount_refunded, 0);
    }
}
