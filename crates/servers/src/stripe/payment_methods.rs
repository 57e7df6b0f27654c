//! Payment methods: `POST /v1/payment_methods` (as Stripe.js creates them, publishable key
//! allowed; `type=card` with `card[number]` or `card[token]=tok_visa`), `GET
//! /v1/payment_methods/{id}`, and resolving the `payment_method` / `payment_method_data`
//! parameters of intents. A test payment method id (`pm_card_visa`) or token (`tok_visa`) is
//! turned into a new `pm_…` each time it is used, as Stripe does.

use super::auth::{ApiKey, SecretKey};
use super::cards::{self, Decline, TestCard};
use super::errors::{ApiError, ApiResult};
use super::form::FormMap;
use super::objects::{PaymentMethod, to_json};
use super::params::Params;
use super::state::{Emulator, Store};
use axum::Json;
use axum::extract::{Path, State};
use serde_json::Value;
use std::sync::Arc;

/// The 402 Stripe answers when a card cannot even be tokenized.
fn refused(decline: Decline) -> ApiError {
    let error = ApiError::card(decline.code, decline.decline_code, decline.message);
    match decline.param {
        Some(param) => error.param(param),
        None => error,
    }
}

/// The test card described by a `card[…]` hash (`number` or `token`).
fn card_from(card: &FormMap, prefix: &str) -> ApiResult<&'static TestCard> {
    if let Some(number) = card.get("number").and_then(|v| v.as_text()) {
        return cards::by_number(number).map_err(refused);
    }
    if let Some(token) = card.get("token").and_then(|v| v.as_text()) {
        return cards::by_test_id(token)
            .ok_or_else(|| ApiError::no_such_param("token", token, &format!("{prefix}[token]")));
    }
    Err(ApiError::missing_param(&format!("{prefix}[number]")))
}

/// A new card payment method from `type=card&card[…]`-shaped parameters under `prefix`.
fn from_card_params(data: &Params, prefix: &str) -> ApiResult<PaymentMethod> {
    let type_param = if prefix.is_empty() {
        "type".to_string()
    } else {
        format!("{prefix}[type]")
    };
    match data.text("type")? {
        Some("card") => {}
        Some(other) => {
            return Err(ApiError::bad_value(
                &type_param,
                format!("The emulator only has card payment methods, not '{other}'."),
            ));
        }
        None => return Err(ApiError::missing_param(&type_param)),
    }
    let card_param = if prefix.is_empty() {
        "card".to_string()
    } else {
        format!("{prefix}[card]")
    };
    let card = data
        .map("card")?
        .ok_or_else(|| ApiError::missing_param(&format!("{card_param}[number]")))?;
    let mut method = PaymentMethod::from_test_card(card_from(card, &card_param)?);
    if let Some(details) = data.map("billing_details")? {
        for field in ["name", "email", "phone"] {
            if let Some(value) = details.get(field).and_then(|v| v.as_text()) {
                method.billing_details[field] = Value::String(value.to_string());
            }
        }
    }
    if let Some(metadata) = data.metadata()? {
        method.metadata = metadata;
    }
    Ok(method)
}

/// The payment method an intent request names (`payment_method`) or describes
/// (`payment_method_data`), stored; `None` when it has neither.
pub(super) fn resolve(store: &mut Store, params: &Params) -> ApiResult<Option<PaymentMethod>> {
    let method = if let Some(id) = params.optional_text("payment_method")? {
        if let Some(known) = store.payment_methods.get(&id) {
            return Ok(Some(known.clone()));
        }
        let card = cards::by_test_id(&id)
            .ok_or_else(|| ApiError::no_such_param("PaymentMethod", &id, "payment_method"))?;
        PaymentMethod::from_test_card(card)
    } else if let Some(data) = params.map("payment_method_data")? {
        from_card_params(&Params(data.clone()), "payment_method_data")?
    } else {
        return Ok(None);
    };
    store
        .payment_methods
        .insert(method.id.clone(), method.clone());
    Ok(Some(method))
}

/// `POST /v1/payment_methods`.
pub(super) async fn create(
    State(emulator): State<Arc<Emulator>>,
    _: ApiKey,
    params: Params,
) -> ApiResult<Json<Value>> {
    let method = from_card_params(&params, "")?;
    let json = to_json(&method);
    emulator
        .store()
        .payment_methods
        .insert(method.id.clone(), method);
    Ok(Json(json))
}

/// `GET /v1/payment_methods/{id}`.
pub(super) async fn retrieve(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    emulator
        .store()
        .payment_methods
        .get(&id)
        .map(|method| Json(to_json(method)))
        .ok_or_else(|| ApiError::no_such("PaymentMethod", &id, "payment_method"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stripe::form;

    fn params(body: &str) -> Params {
        Params(form::parse(body).unwrap())
    }

    #[test]
    fn test_ids_become_new_methods() {
        let mut store = Store::default();
        let method = resolve(&mut store, &params("payment_method=pm_card_visa"))
            .unwrap()
            .unwrap();
        assert!(method.id.starts_with("pm_") && method.id != "pm_card_visa");
        assert_eq!(method.card.last4, "4242");
        // Once created, it can be named by its id.
        let again = resolve(
            &mut store,
            &params(&format!("payment_method={}", method.id)),
        )
        .unwrap()
        .unwrap();
        assert_eq!(again.id, method.id);
        let error = resolve(&mut store, &params("payment_method=pm_nope")).unwrap_err();
        assert_eq!(
            error.body()["error"]["message"],
            "No such PaymentMethod: 'pm_nope'"
        );
        assert!(resolve(&mut store, &params("amount=1")).unwrap().is_none());
    }

    #[test]
    fn card_numbers_and_tokens() {
        let mut store = Store::default();
        let by_number =
            "payment_method_data[type]=card&payment_method_data[card][number]=4000000000009995";
        let method = resolve(&mut store, &params(by_number)).unwrap().unwrap();
        assert_eq!(method.card.last4, "9995");
        let by_token =
            "payment_method_data[type]=card&payment_method_data[card][token]=tok_mastercard";
        assert_eq!(
            resolve(&mut store, &params(by_token))
                .unwrap()
                .unwrap()
                .card
                .brand,
            "mastercard"
        );
        let bad =
            "payment_method_data[type]=card&payment_method_data[card][number]=4242424242424241";
        let error = resolve(&mut store, &params(bad)).unwrap_err();
        assert_eq!(error.status.as_u16(), 402);
        assert_eq!(error.code_str(), Some("incorrect_number"));
        let missing = "payment_method_data[type]=card";
        assert_eq!(
            resolve(&mut store, &params(missing))
                .unwrap_err()
                .code_str(),
            Some("parameter_missing")
        );
    }
}
