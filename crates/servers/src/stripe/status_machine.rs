//! The PaymentIntent status machine, as pure functions on the objects: which status allows which
//! operation, what each operation changes, which charge it creates and which events it causes.
//!
//! ```text
//! requires_payment_method ──attach──▶ requires_confirmation
//!        ▲   │                              │
//!        │   └────────────confirm───────────┤
//!   decline / 3DS failure                   ▼
//!        └──────────── (card outcome) ──▶ succeeded | requires_capture ──capture──▶ succeeded
//!                                      └▶ requires_action ──authenticate──▶ succeeded | requires_payment_method
//! any state but succeeded/canceled ──cancel──▶ canceled (final)
//! ```

use super::cards::{Decline, Outcome};
use super::errors::{ApiError, ApiResult};
use super::objects::{
    Charge, ChargeStatus, IntentStatus, PaymentIntent, PaymentMethod, new_id, now, to_json,
};
use serde_json::json;

use IntentStatus::*;

/// Statuses an intent may be confirmed from.
pub(super) const CONFIRMABLE: &[IntentStatus] =
    &[RequiresPaymentMethod, RequiresConfirmation, RequiresAction];
/// Statuses an intent may be canceled from.
pub(super) const CANCELABLE: &[IntentStatus] = &[
    RequiresPaymentMethod,
    RequiresCapture,
    RequiresConfirmation,
    RequiresAction,
    Processing,
];
/// Statuses an intent may be updated in.
pub(super) const UPDATABLE: &[IntentStatus] =
    &[RequiresPaymentMethod, RequiresConfirmation, RequiresAction];
/// Statuses an intent may be 3-D Secure authenticated from.
pub(super) const AUTHENTICABLE: &[IntentStatus] = &[RequiresAction];
/// Statuses an intent may be captured from.
pub(super) const CAPTURABLE: &[IntentStatus] = &[RequiresCapture];

/// What one step did besides changing the intent.
#[derive(Debug, Default)]
pub(super) struct Step {
    /// The charge this step created.
    pub charge: Option<Charge>,
    /// Event types in the order Stripe sends them: `charge.*` events carry the charge,
    /// `payment_intent.*` events the intent.
    pub events: Vec<&'static str>,
    /// Set when the card was declined: the request answers 402 with it.
    pub decline: Option<Decline>,
}

/// `Ok` when `intent` is in one of `allowed`, else Stripe's `payment_intent_unexpected_state`.
/// `verb` / `participle`: "confirm" / "confirmed".
pub(super) fn require_status(
    intent: &PaymentIntent,
    allowed: &[IntentStatus],
    verb: &str,
    participle: &str,
) -> ApiResult<()> {
    if allowed.contains(&intent.status) {
        return Ok(());
    }
    let list: Vec<&str> = allowed.iter().map(|s| s.as_str()).collect();
    Err(ApiError::unexpected_state(
        format!(
            "You cannot {verb} this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be {participle}: {}.",
            intent.status.as_str(),
            list.join(", ")
        ),
        to_json(intent),
    ))
}

/// Attaches a payment method without confirming (create or update with `payment_method`).
pub(super) fn attach(intent: &mut PaymentIntent, payment_method: &PaymentMethod) {
    intent.payment_method = Some(payment_method.id.clone());
    if matches!(intent.status, RequiresPaymentMethod | RequiresAction) {
        intent.status = RequiresConfirmation;
        intent.next_action = None;
    }
}

/// Confirms with `payment_method`; the card's outcome decides where the intent goes.
pub(super) fn confirm(
    intent: &mut PaymentIntent,
    payment_method: &PaymentMethod,
) -> ApiResult<Step> {
    require_status(intent, CONFIRMABLE, "confirm", "confirmed")?;
    intent.payment_method = Some(payment_method.id.clone());
    intent.last_payment_error = None;
    intent.next_action = None;
    Ok(match payment_method.test_card.outcome {
        Outcome::Succeeds => succeed(intent, payment_method),
        Outcome::Declines(decline) => fail(intent, payment_method, decline),
        Outcome::RequiresAuthentication => {
            intent.status = RequiresAction;
            intent.next_action = Some(json!({
                "type": "use_stripe_sdk",
                "use_stripe_sdk": {
                    "type": "three_d_secure_redirect",
                    "source": payment_method.id,
                    "stripe_js": format!("/v1/payment_intents/{}/_authenticate", intent.id),
                },
            }));
            Step {
                events: vec!["payment_intent.requires_action"],
                ..Step::default()
            }
        }
    })
}

/// Completes (or fails) 3-D Secure for an intent in `requires_action`.
pub(super) fn authenticate(
    intent: &mut PaymentIntent,
    payment_method: &PaymentMethod,
    success: bool,
) -> ApiResult<Step> {
    require_status(intent, AUTHENTICABLE, "authenticate", "authenticated")?;
    intent.next_action = None;
    if success {
        return Ok(succeed(intent, payment_method));
    }
    intent.status = RequiresPaymentMethod;
    intent.payment_method = None;
    intent.last_payment_error = Some(json!({
        "code": "payment_intent_authentication_failure",
        "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
        "message": "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
        "payment_method": to_json(payment_method),
        "type": "invalid_request_error",
    }));
    Ok(Step {
        events: vec!["payment_intent.payment_failed"],
        ..Step::default()
    })
}

/// Cancels; final.
pub(super) fn cancel(intent: &mut PaymentIntent, reason: Option<String>) -> ApiResult<Step> {
    require_status(intent, CANCELABLE, "cancel", "canceled")?;
    intent.status = Canceled;
    intent.canceled_at = Some(now());
    intent.cancellation_reason = reason;
    intent.amount_capturable = 0;
    intent.next_action = None;
    Ok(Step {
        events: vec!["payment_intent.canceled"],
        ..Step::default()
    })
}

/// Captures `amount` (default: all that is capturable) of an authorized charge.
pub(super) fn capture(
    intent: &mut PaymentIntent,
    charge: &mut Charge,
    amount: Option<i64>,
) -> ApiResult<Step> {
    require_status(intent, CAPTURABLE, "capture", "captured")?;
    let amount = amount.unwrap_or(intent.amount_capturable);
    if amount < 1 || amount > intent.amount_capturable {
        return Err(ApiError::invalid_request(format!(
            "The amount_to_capture ({amount}) must be between 1 and the amount_capturable ({}).",
            intent.amount_capturable
        ))
        .param("amount_to_capture")
        .code("amount_too_large"));
    }
    intent.status = Succeeded;
    intent.amount_received = amount;
    intent.amount_capturable = 0;
    charge.captured = true;
    charge.amount_captured = amount;
    Ok(Step {
        events: vec!["charge.captured", "payment_intent.succeeded"],
        ..Step::default()
    })
}

/// The card went through: a successful charge, captured unless `capture_method=manual`.
fn succeed(intent: &mut PaymentIntent, payment_method: &PaymentMethod) -> Step {
    let captured = !intent.manual_capture();
    let mut charge = new_charge(intent, payment_method, None);
    charge.captured = captured;
    charge.amount_captured = if captured { intent.amount } else { 0 };
    intent.latest_charge = Some(charge.id.clone());
    intent.payment_method = Some(payment_method.id.clone());
    let events = if captured {
        intent.status = Succeeded;
        intent.amount_received = intent.amount;
        vec!["charge.succeeded", "payment_intent.succeeded"]
    } else {
        intent.status = RequiresCapture;
        intent.amount_capturable = intent.amount;
        vec![
            "charge.succeeded",
            "payment_intent.amount_capturable_updated",
        ]
    };
    Step {
        charge: Some(charge),
        events,
        decline: None,
    }
}

/// The card was declined: a failed charge, and the intent back to `requires_payment_method`.
fn fail(intent: &mut PaymentIntent, payment_method: &PaymentMethod, decline: Decline) -> Step {
    let charge = new_charge(intent, payment_method, Some(decline));
    let mut error = json!({
        "charge": charge.id,
        "code": decline.code,
        "doc_url": format!("https://stripe.com/docs/error-codes/{}", decline.code.replace('_', "-")),
        "message": decline.message,
        "payment_method": to_json(payment_method),
        "type": "card_error",
    });
    if let Some(decline_code) = decline.decline_code {
        error["decline_code"] = decline_code.into();
    }
    if let Some(param) = decline.param {
        error["param"] = param.into();
    }
    intent.status = RequiresPaymentMethod;
    intent.payment_method = None;
    intent.latest_charge = Some(charge.id.clone());
    intent.last_payment_error = Some(error);
    Step {
        charge: Some(charge),
        events: vec!["charge.failed", "payment_intent.payment_failed"],
        decline: Some(decline),
    }
}

fn new_charge(
    intent: &PaymentIntent,
    payment_method: &PaymentMethod,
    decline: Option<Decline>,
) -> Charge {
    let id = new_id("ch");
    let outcome = match decline {
        None => json!({
            "network_status": "approved_by_network", "reason": null, "risk_level": "normal",
            "seller_message": "Payment complete.", "type": "authorized",
        }),
        Some(d) => json!({
            "network_status": "declined_by_network", "reason": d.decline_code, "risk_level": "normal",
            "seller_message": "The bank did not return any further details with this decline.",
            "type": "issuer_declined",
        }),
    };
    Charge {
        receipt_url: decline
            .is_none()
            .then(|| format!("https://pay.stripe.com/receipts/{id}")),
        id,
        object: "charge",
        amount: intent.amount,
        amount_captured: 0,
        amount_refunded: 0,
        balance_transaction: decline.is_none().then(|| new_id("txn")),
        billing_details: payment_method.billing_details.clone(),
        captured: false,
        created: now(),
        currency: intent.currency.clone(),
        description: intent.description.clone(),
        failure_code: decline.map(|d| d.code.to_string()),
        failure_message: decline.map(|d| d.message.to_string()),
        livemode: false,
        metadata: intent.metadata.clone(),
        outcome,
        paid: decline.is_none(),
        payment_intent: intent.id.clone(),
        payment_method: payment_method.id.clone(),
        payment_method_details: json!({
            "card": to_json(&payment_method.card),
            "type": "card",
        }),
        refunded: false,
        status: if decline.is_none() {
            ChargeStatus::Succeeded
        } else {
            ChargeStatus::Failed
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stripe::cards::by_test_id;

    fn has_next_action(intent: &PaymentIntent) -> bool {
        intent
            .next_action
            .as_ref()
            .is_some_and(serde_json::Value::is_object)
    }

    fn method(name: &str) -> PaymentMethod {
        PaymentMethod::from_test_card(by_test_id(name).unwrap())
    }

    fn intent() -> PaymentIntent {
        PaymentIntent::new(2000, "usd".into())
    }

    #[test]
    fn attaching_a_method_needs_confirmation() {
        let mut pi = intent();
        assert_eq!(pi.status, RequiresPaymentMethod);
        attach(&mut pi, &method("pm_card_visa"));
        assert_eq!(pi.status, RequiresConfirmation);
    }

    #[test]
    fn a_good_card_succeeds_with_a_captured_charge() {
        let mut pi = intent();
        let pm = method("pm_card_visa");
        let step = confirm(&mut pi, &pm).unwrap();
        assert_eq!(pi.status, Succeeded);
        assert_eq!(pi.amount_received, 2000);
        let charge = step.charge.unwrap();
        assert_eq!(pi.latest_charge.as_deref(), Some(charge.id.as_str()));
        assert!(charge.captured && charge.paid);
        assert_eq!(charge.amount_captured, 2000);
        assert_eq!(
            step.events,
            ["charge.succeeded", "payment_intent.succeeded"]
        );
        assert!(step.decline.is_none());
    }

    #[test]
    fn manual_capture_waits_then_captures_part() {
        let mut pi = intent();
        pi.capture_method = "manual".into();
        let step = confirm(&mut pi, &method("pm_card_visa")).unwrap();
        assert_eq!(pi.status, RequiresCapture);
        assert_eq!(pi.amount_capturable, 2000);
        let mut charge = step.charge.unwrap();
        assert!(!charge.captured);
        assert!(capture(&mut pi, &mut charge, Some(2001)).is_err());
        let step = capture(&mut pi, &mut charge, Some(1500)).unwrap();
        assert_eq!(pi.status, Succeeded);
        assert_eq!(pi.amount_received, 1500);
        assert_eq!(charge.amount_captured, 1500);
        assert_eq!(step.events, ["charge.captured", "payment_intent.succeeded"]);
    }

    #[test]
    fn a_decline_goes_back_to_requires_payment_method() {
        let mut pi = intent();
        let step = confirm(&mut pi, &method("pm_card_chargeDeclinedInsufficientFunds")).unwrap();
        assert_eq!(pi.status, RequiresPaymentMethod);
        assert_eq!(pi.payment_method, None);
        let error = pi.last_payment_error.as_ref().unwrap();
        assert_eq!(error["decline_code"], "insufficient_funds");
        assert_eq!(error["type"], "card_error");
        let charge = step.charge.unwrap();
        assert_eq!(charge.status, ChargeStatus::Failed);
        assert_eq!(
            step.decline.unwrap().decline_code,
            Some("insufficient_funds")
        );
        assert_eq!(
            step.events,
            ["charge.failed", "payment_intent.payment_failed"]
        );
        // It may be confirmed again with another card.
        confirm(&mut pi, &method("pm_card_visa")).unwrap();
        assert_eq!(pi.status, Succeeded);
        assert_eq!(pi.last_payment_error, None);
    }

    #[test]
    fn three_d_secure_requires_action_then_authentication() {
        let mut pi = intent();
        let pm = method("pm_card_threeDSecure2Required");
        let step = confirm(&mut pi, &pm).unwrap();
        assert_eq!(pi.status, RequiresAction);
        assert!(has_next_action(&pi));
        assert!(step.charge.is_none());
        assert_eq!(step.events, ["payment_intent.requires_action"]);
        let step = authenticate(&mut pi, &pm, true).unwrap();
        assert_eq!(pi.status, Succeeded);
        assert!(!has_next_action(&pi));
        assert!(step.charge.is_some());
        assert!(authenticate(&mut pi, &pm, true).is_err());
    }

    #[test]
    fn failed_authentication_needs_a_new_method() {
        let mut pi = intent();
        let pm = method("pm_card_authenticationRequired");
        confirm(&mut pi, &pm).unwrap();
        let step = authenticate(&mut pi, &pm, false).unwrap();
        assert_eq!(pi.status, RequiresPaymentMethod);
        assert_eq!(
            pi.last_payment_error.as_ref().unwrap()["code"],
            "payment_intent_authentication_failure"
        );
        assert_eq!(step.events, ["payment_intent.payment_failed"]);
    }

    #[test]
    fn cancel_rules() {
        for status in [
            RequiresPaymentMethod,
            RequiresConfirmation,
            RequiresAction,
            RequiresCapture,
            Processing,
        ] {
            let mut pi = intent();
            pi.status = status;
            cancel(&mut pi, Some("requested_by_customer".into())).unwrap();
            assert_eq!(pi.status, Canceled);
            assert!(pi.canceled_at.is_some());
        }
        for status in [Succeeded, Canceled] {
            let mut pi = intent();
            pi.status = status;
            let error = cancel(&mut pi, None).unwrap_err();
            assert_eq!(error.code_str(), Some("payment_intent_unexpected_state"));
            assert_eq!(pi.status, status);
        }
    }

    #[test]
    fn nothing_works_after_cancel_or_success() {
        for status in [Succeeded, Canceled] {
            let mut pi = intent();
            pi.status = status;
            let error = confirm(&mut pi, &method("pm_card_visa")).unwrap_err();
            assert_eq!(error.code_str(), Some("payment_intent_unexpected_state"));
            assert!(
                error.body()["error"]["message"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!(
                        "You cannot confirm this PaymentIntent because it has a status of {}.",
                        status.as_str()
                    ))
            );
            assert_eq!(
                error.body()["error"]["payment_intent"]["status"],
                status.as_str()
            );
        }
    }
}
