//! PaymentIntent endpoints: create, list, retrieve, update, confirm, cancel, capture, and the
//! emulator's own 3-D Secure step. The status rules are [`super::status_machine`]'s.
//!
//! - `POST /v1/payment_intents`: `amount` (≥ the currency's minimum, 50 for usd; ≤ 8 digits) and
//!   `currency` required; `payment_method` or `payment_method_data[…]`, `confirm=true`,
//!   `capture_method`, `metadata[…]`, `description`, `receipt_email`, `customer`,
//!   `payment_method_types[…]` or `automatic_payment_methods[enabled]`.
//! - `POST /v1/payment_intents/{id}/confirm`: with a secret key, or — as Stripe.js does in the
//!   browser — with a publishable key and the intent's `client_secret`. A declined card answers
//!   402 `card_error` (with `decline_code`, `charge`, `payment_intent`) and leaves the intent in
//!   `requires_payment_method` with `last_payment_error`.
//! - `GET /v1/payment_intents/{id}` also takes a publishable key with `client_secret`; it and
//!   every answer about an intent honour `expand[]=latest_charge` / `expand[]=payment_method`.
//!
//! **Completing 3-D Secure.** A 3-D Secure card (`pm_card_authenticationRequired`,
//! `pm_card_threeDSecure2Required`, 4000 0027 6000 3184, 4000 0000 0000 3220) puts the intent in
//! `requires_action` with a `next_action`. What the customer does in Stripe's challenge page is
//! done by `POST /v1/payment_intents/{id}/_authenticate` (like localstripe), with a secret key or
//! a publishable key plus `client_secret`, and `outcome=success` (default: the intent goes on to
//! `succeeded`, or `requires_capture` with manual capture, creating the charge) or
//! `outcome=failure` (back to `requires_payment_method` with `last_payment_error.code =
//! payment_intent_authentication_failure`). Both answer 200 with the intent.

use super::auth::{self, ApiKey, SecretKey};
use super::errors::{ApiError, ApiResult};
use super::event_batch::EventBatch;
use super::lists;
use super::objects::{PaymentIntent, PaymentMethod, format_money, to_json};
use super::params::{Params, merge_metadata};
use super::payment_methods;
use super::request_id::RequestContext;
use super::state::{Emulator, Store};
use super::status_machine::{self, CONFIRMABLE, Step, UPDATABLE};
use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde_json::{Value, json};
use std::sync::Arc;

const CAPTURE_METHODS: &[&str] = &["automatic", "automatic_async", "manual"];
const CANCELLATION_REASONS: &[&str] = &[
    "duplicate",
    "fraudulent",
    "requested_by_customer",
    "abandoned",
];
/// The largest amount Stripe takes: 8 digits.
pub(super) const MAX_AMOUNT: i64 = 99_999_999;

/// The smallest amount Stripe charges in `currency`.
pub(super) fn minimum_amount(currency: &str) -> i64 {
    match currency {
        "gbp" => 30,
        "bgn" => 100,
        "aed" | "myr" | "pln" | "ron" => 200,
        "dkk" => 250,
        "nok" | "sek" => 300,
        "hkd" => 400,
        "mxn" | "thb" => 1000,
        "czk" => 1500,
        "huf" => 17500,
        _ => 50,
    }
}

fn check_amount(amount: i64, currency: &str) -> ApiResult<()> {
    let minimum = minimum_amount(currency);
    if amount < minimum {
        return Err(ApiError::invalid_param(
            "amount",
            "amount_too_small",
            format!(
                "Amount must be at least {} {currency}",
                format_money(minimum, currency)
            ),
        ));
    }
    if amount > MAX_AMOUNT {
        return Err(ApiError::invalid_param(
            "amount",
            "amount_too_large",
            format!(
                "Amount must be no more than {}",
                format_money(MAX_AMOUNT, currency)
            ),
        ));
    }
    Ok(())
}

fn currency(params: &Params) -> ApiResult<Option<String>> {
    let Some(currency) = params.optional_text("currency")? else {
        return Ok(None);
    };
    let currency = currency.to_ascii_lowercase();
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_lowercase()) {
        return Err(ApiError::bad_value(
            "currency",
            format!(
                "Invalid currency: {currency}. Currencies are three-letter ISO codes, such as usd."
            ),
        ));
    }
    Ok(Some(currency))
}

/// The intent as JSON, with the `expand[]`ed fields replaced by their objects.
fn render(store: &Store, id: &str, expand: &[String]) -> ApiResult<Value> {
    let intent = store.intent(id)?;
    let mut json = to_json(intent);
    for field in expand {
        match field.as_str() {
            "latest_charge" => {
                if let Some(charge) = intent
                    .latest_charge
                    .as_ref()
                    .and_then(|c| store.charges.get(c))
                {
                    json["latest_charge"] = to_json(charge);
                }
            }
            "payment_method" => {
                if let Some(method) = intent
                    .payment_method
                    .as_ref()
                    .and_then(|m| store.payment_methods.get(m))
                {
                    json["payment_method"] = to_json(method);
                }
            }
            _ => {}
        }
    }
    Ok(json)
}

/// Keeps the charge a step created and adds its events (`charge.*` about the intent's latest
/// charge, `payment_intent.*` about the intent) to the batch.
fn record(store: &mut Store, id: &str, step: &mut Step, events: &mut EventBatch) {
    if let Some(charge) = step.charge.take() {
        store.charges.insert(charge.id.clone(), charge);
    }
    let intent = store.payment_intents.get(id);
    let intent_json = intent.map(to_json).unwrap_or(Value::Null);
    let charge_json = intent
        .and_then(|i| i.latest_charge.as_ref())
        .and_then(|c| store.charges.get(c))
        .map(to_json)
        .unwrap_or(Value::Null);
    for kind in &step.events {
        let object = if kind.starts_with("charge.") {
            &charge_json
        } else {
            &intent_json
        };
        events.push(kind, object.clone(), None);
    }
}

/// The 402 of a declined confirmation: `last_payment_error` plus the intent.
fn declined(store: &Store, id: &str) -> ApiError {
    let Some(intent) = store.payment_intents.get(id) else {
        return ApiError::no_such("payment_intent", id, "intent");
    };
    let details = intent.last_payment_error.clone().unwrap_or(Value::Null);
    let text = |key: &str| details[key].as_str().unwrap_or("").to_string();
    let decline_code = details["decline_code"].as_str();
    let mut error = ApiError::card(&text("code"), decline_code, &text("message"));
    for key in ["charge", "payment_method", "param"] {
        if !details[key].is_null() {
            error = error.with(key, details[key].clone());
        }
    }
    error.with("payment_intent", to_json(intent))
}

/// Confirms the stored intent `id` with `method` and records what happened.
fn confirm_stored(
    store: &mut Store,
    id: &str,
    method: &PaymentMethod,
    events: &mut EventBatch,
) -> ApiResult<()> {
    let mut step = status_machine::confirm(store.intent_mut(id)?, method)?;
    record(store, id, &mut step, events);
    match step.decline {
        Some(_) => Err(declined(store, id)),
        None => Ok(()),
    }
}

fn missing_payment_method(intent: &PaymentIntent) -> ApiError {
    ApiError::unexpected_state(
        "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the PaymentIntent, provide a payment_method or payment_method_data.",
        to_json(intent),
    )
}

/// `POST /v1/payment_intents`.
pub(super) async fn create(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    Extension(request): Extension<RequestContext>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let amount = params
        .integer("amount")?
        .ok_or_else(|| ApiError::missing_param("amount"))?;
    let currency = currency(&params)?.ok_or_else(|| ApiError::missing_param("currency"))?;
    check_amount(amount, &currency)?;
    let capture_method = params.one_of("capture_method", CAPTURE_METHODS)?;
    let automatic = match params.map("automatic_payment_methods")? {
        Some(map) => Some(Params(map.clone()).boolean("enabled")?.unwrap_or(false)),
        None => None,
    };
    let types = params.string_list("payment_method_types")?;
    if automatic.is_some() && types.is_some() {
        return Err(ApiError::bad_value(
            "automatic_payment_methods",
            "You may only specify one of these parameters: automatic_payment_methods, payment_method_types.",
        ));
    }
    let metadata = params.metadata()?;
    let description = params.optional_text("description")?;
    let receipt_email = params.optional_text("receipt_email")?;
    let customer = params.optional_text("customer")?;
    let confirm = params.boolean("confirm")?.unwrap_or(false);
    let expand = params.expand()?;

    let mut intent = PaymentIntent::new(amount, currency);
    if let Some(method) = capture_method {
        intent.capture_method = method;
    }
    intent.automatic_payment_methods =
        automatic.map(|enabled| json!({ "allow_redirects": "always", "enabled": enabled }));
    if let Some(types) = types {
        intent.payment_method_types = types;
    }
    intent.metadata = metadata.unwrap_or_default();
    intent.description = description;
    intent.receipt_email = receipt_email;
    intent.customer = customer;

    emulator
        .transact(&request, |store, events| {
            let method = payment_methods::resolve(store, &params)?;
            if confirm && method.is_none() {
                return Err(missing_payment_method(&intent));
            }
            if let Some(method) = &method {
                status_machine::attach(&mut intent, method);
            }
            let id = intent.id.clone();
            events.push("payment_intent.created", to_json(&intent), None);
            store.payment_intents.insert(id.clone(), intent);
            if let Some(method) = method.filter(|_| confirm) {
                confirm_stored(store, &id, &method, events)?;
            }
            render(store, &id, &expand)
        })
        .map(Json)
}

/// `GET /v1/payment_intents`: newest first; `customer` filter.
pub(super) async fn list(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    params: Params,
) -> ApiResult<Json<Value>> {
    let customer = params.optional_text("customer")?;
    let intents: Vec<Value> = emulator
        .store()
        .payment_intents
        .values()
        .rev()
        .filter(|i| customer.is_none() || i.customer == customer)
        .map(to_json)
        .collect();
    lists::page(intents, &params, "/v1/payment_intents").map(Json)
}

/// `GET /v1/payment_intents/{id}`.
pub(super) async fn retrieve(
    State(emulator): State<Arc<Emulator>>,
    key: ApiKey,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let store = emulator.store();
    auth::check_client_secret(&key, &params, store.intent(&id)?)?;
    render(&store, &id, &params.expand()?).map(Json)
}

/// `POST /v1/payment_intents/{id}`: amount, currency, description, metadata, payment method,
/// receipt_email, capture_method — while the intent is not yet processed.
pub(super) async fn update(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    Extension(request): Extension<RequestContext>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let expand = params.expand()?;
    emulator
        .transact(&request, |store, _events| {
            status_machine::require_status(store.intent(&id)?, UPDATABLE, "update", "updated")?;
            let currency = currency(&params)?;
            let amount = params.integer("amount")?;
            let capture_method = params.one_of("capture_method", CAPTURE_METHODS)?;
            let metadata = params.metadata()?;
            let method = payment_methods::resolve(store, &params)?;
            let intent = store.intent_mut(&id)?;
            if amount.is_some() || currency.is_some() {
                let amount = amount.unwrap_or(intent.amount);
                let currency = currency.unwrap_or_else(|| intent.currency.clone());
                check_amount(amount, &currency)?;
                intent.amount = amount;
                intent.currency = currency;
            }
            if let Some(method) = capture_method {
                intent.capture_method = method;
            }
            if let Some(metadata) = metadata {
                merge_metadata(&mut intent.metadata, metadata);
            }
            if params.get("description").is_some() {
                intent.description = params.optional_text("description")?;
            }
            if params.get("receipt_email").is_some() {
                intent.receipt_email = params.optional_text("receipt_email")?;
            }
            if let Some(method) = &method {
                status_machine::attach(intent, method);
            }
            render(store, &id, &expand)
        })
        .map(Json)
}

/// `POST /v1/payment_intents/{id}/confirm`.
pub(super) async fn confirm(
    State(emulator): State<Arc<Emulator>>,
    key: ApiKey,
    Extension(request): Extension<RequestContext>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let expand = params.expand()?;
    let capture_method = params.one_of("capture_method", CAPTURE_METHODS)?;
    let receipt_email = params.optional_text("receipt_email")?;
    emulator
        .transact(&request, |store, events| {
            let intent = store.intent(&id)?;
            auth::check_client_secret(&key, &params, intent)?;
            status_machine::require_status(intent, CONFIRMABLE, "confirm", "confirmed")?;
            let attached = intent.payment_method.clone();
            let method = match payment_methods::resolve(store, &params)? {
                Some(method) => method,
                None => match attached.and_then(|m| store.payment_methods.get(&m).cloned()) {
                    Some(method) => method,
                    None => return Err(missing_payment_method(store.intent(&id)?)),
                },
            };
            let intent = store.intent_mut(&id)?;
            if let Some(capture_method) = capture_method {
                intent.capture_method = capture_method;
            }
            if receipt_email.is_some() {
                intent.receipt_email = receipt_email;
            }
            confirm_stored(store, &id, &method, events)?;
            render(store, &id, &expand)
        })
        .map(Json)
}

/// `POST /v1/payment_intents/{id}/_authenticate`: the emulator's 3-D Secure step (module doc).
pub(super) async fn authenticate(
    State(emulator): State<Arc<Emulator>>,
    key: ApiKey,
    Extension(request): Extension<RequestContext>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let success = params
        .one_of("outcome", &["success", "failure"])?
        .is_none_or(|o| o == "success");
    emulator
        .transact(&request, |store, events| {
            let intent = store.intent(&id)?;
            auth::check_client_secret(&key, &params, intent)?;
            status_machine::require_status(
                intent,
                status_machine::AUTHENTICABLE,
                "authenticate",
                "authenticated",
            )?;
            let method = intent
                .payment_method
                .as_ref()
                .and_then(|m| store.payment_methods.get(m).cloned())
                .ok_or_else(|| missing_payment_method(intent))?;
            let mut step = status_machine::authenticate(store.intent_mut(&id)?, &method, success)?;
            record(store, &id, &mut step, events);
            render(store, &id, &params.expand()?)
        })
        .map(Json)
}

/// `POST /v1/payment_intents/{id}/cancel`.
pub(super) async fn cancel(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    Extension(request): Extension<RequestContext>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let reason = params.one_of("cancellation_reason", CANCELLATION_REASONS)?;
    let expand = params.expand()?;
    emulator
        .transact(&request, |store, events| {
            let mut step = status_machine::cancel(store.intent_mut(&id)?, reason)?;
            record(store, &id, &mut step, events);
            render(store, &id, &expand)
        })
        .map(Json)
}

/// `POST /v1/payment_intents/{id}/capture`: `amount_to_capture` (default: all).
pub(super) async fn capture(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    Extension(request): Extension<RequestContext>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let amount = params.integer("amount_to_capture")?;
    let expand = params.expand()?;
    emulator
        .transact(&request, |store, events| {
            let Store {
                payment_intents,
                charges,
                ..
            } = &mut *store;
            let intent = payment_intents
                .get_mut(&id)
                .ok_or_else(|| ApiError::no_such("payment_intent", &id, "intent"))?;
            status_machine::require_status(
                intent,
                status_machine::CAPTURABLE,
                "capture",
                "captured",
            )?;
            let charge = intent
                .latest_charge
                .as_ref()
                .and_then(|c| charges.get_mut(c))
                .ok_or_else(|| {
                    ApiError::invalid_request("This PaymentIntent has no charge to capture.")
                })?;
            let mut step = status_machine::capture(intent, charge, amount)?;
            record(store, &id, &mut step, events);
            render(store, &id, &expand)
        })
        .map(Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_checked_per_currency() {
        assert!(check_amount(50, "usd").is_ok());
        let small = check_amount(49, "usd").unwrap_err();
        assert_eq!(small.code_str(), Some("amount_too_small"));
        assert_eq!(
            small.body()["error"]["message"],
            "Amount must be at least $0.50 usd"
        );
        assert!(!small.stored);
        assert!(check_amount(29, "gbp").is_err());
        assert!(check_amount(30, "gbp").is_ok());
        assert!(check_amount(MAX_AMOUNT, "usd").is_ok());
        let large = check_amount(MAX_AMOUNT + 1, "usd").unwrap_err();
        assert_eq!(large.code_str(), Some("amount_too_large"));
        assert_eq!(
            large.body()["error"]["message"],
            "Amount must be no more than $999,999.99"
        );
        assert!(check_amount(-100, "usd").is_err());
    }
}
