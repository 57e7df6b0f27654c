//! The API objects the emulator keeps (PaymentIntent, Charge, Refund, PaymentMethod), shaped and
//! serialized as Stripe's, plus ids and the clock. Money is always integer minor units (cents).

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value;

/// A fresh id: `prefix_` and 24 random characters (`pi_…`, `ch_…`, `re_…`, `evt_…`, `req_…`).
pub(super) fn new_id(prefix: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &random[..24])
}

/// Unix seconds now.
pub(super) fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Any object as JSON (serializing these structs cannot fail; `null` if it ever did).
pub(super) fn to_json<T: Serialize>(object: &T) -> Value {
    serde_json::to_value(object).unwrap_or(Value::Null)
}

pub(super) type Metadata = IndexMap<String, String>;

/// A PaymentIntent's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
}

impl IntentStatus {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            IntentStatus::RequiresPaymentMethod => "requires_payment_method",
            IntentStatus::RequiresConfirmation => "requires_confirmation",
            IntentStatus::RequiresAction => "requires_action",
            IntentStatus::Processing => "processing",
            IntentStatus::RequiresCapture => "requires_capture",
            IntentStatus::Canceled => "canceled",
            IntentStatus::Succeeded => "succeeded",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct PaymentIntent {
    pub id: String,
    pub object: &'static str,
    pub amount: i64,
    pub amount_capturable: i64,
    pub amount_received: i64,
    pub automatic_payment_methods: Option<Value>,
    pub canceled_at: Option<i64>,
    pub cancellation_reason: Option<String>,
    pub capture_method: String,
    pub client_secret: String,
    pub confirmation_method: &'static str,
    pub created: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub description: Option<String>,
    pub last_payment_error: Option<Value>,
    pub latest_charge: Option<String>,
    pub livemode: bool,
    pub metadata: Metadata,
    pub next_action: Option<Value>,
    pub payment_method: Option<String>,
    pub payment_method_types: Vec<String>,
    pub receipt_email: Option<String>,
    pub status: IntentStatus,
}

impl PaymentIntent {
    /// A new intent in `requires_payment_method`.
    pub(super) fn new(amount: i64, currency: String) -> PaymentIntent {
        let id = new_id("pi");
        let secret = new_id("secret");
        PaymentIntent {
            client_secret: format!("{id}_{secret}"),
            id,
            object: "payment_intent",
            amount,
            amount_capturable: 0,
            amount_received: 0,
            automatic_payment_methods: None,
            canceled_at: None,
            cancellation_reason: None,
            capture_method: "automatic_async".into(),
            confirmation_method: "automatic",
            created: now(),
            currency,
            customer: None,
            description: None,
            last_payment_error: None,
            latest_charge: None,
            livemode: false,
            metadata: Metadata::new(),
            next_action: None,
            payment_method: None,
            payment_method_types: vec!["card".into()],
            receipt_email: None,
            status: IntentStatus::RequiresPaymentMethod,
        }
    }

    pub(super) fn manual_capture(&self) -> bool {
        self.capture_method == "manual"
    }
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct CardDetails {
    pub brand: &'static str,
    pub country: &'static str,
    pub exp_month: u32,
    pub exp_year: u32,
    pub funding: &'static str,
    pub last4: String,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct PaymentMethod {
    pub id: String,
    pub object: &'static str,
    pub billing_details: Value,
    pub card: CardDetails,
    pub created: i64,
    pub customer: Option<String>,
    pub livemode: bool,
    pub metadata: Metadata,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Which test card this is (its outcome decides confirmations); not part of Stripe's object.
    #[serde(skip)]
    pub test_card: &'static crate::stripe::cards::TestCard,
}

impl PaymentMethod {
    pub(super) fn from_test_card(card: &'static crate::stripe::cards::TestCard) -> PaymentMethod {
        PaymentMethod {
            id: new_id("pm"),
            object: "payment_method",
            billing_details: serde_json::json!({
                "address": {"city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null},
                "email": null, "name": null, "phone": null
            }),
            card: CardDetails {
                brand: card.brand,
                country: "US",
                exp_month: 12,
                exp_year: 2034,
                funding: card.funding,
                last4: card.last4().to_string(),
            },
            created: now(),
            customer: None,
            livemode: false,
            metadata: Metadata::new(),
            kind: "card",
            test_card: card,
        }
    }
}

/// A Charge's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum ChargeStatus {
    Succeeded,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Charge {
    pub id: String,
    pub object: &'static str,
    pub amount: i64,
    pub amount_captured: i64,
    pub amount_refunded: i64,
    pub balance_transaction: Option<String>,
    pub billing_details: Value,
    pub captured: bool,
    pub created: i64,
    pub currency: String,
    pub description: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub livemode: bool,
    pub metadata: Metadata,
    pub outcome: Value,
    pub paid: bool,
    pub payment_intent: String,
    pub payment_method: String,
    pub payment_method_details: Value,
    pub receipt_url: Option<String>,
    pub refunded: bool,
    pub status: ChargeStatus,
}

impl Charge {
    /// What is left to refund.
    pub(super) fn refundable(&self) -> i64 {
        (self.amount_captured - self.amount_refunded).max(0)
    }
}

/// A Refund's `status`. Stripe also has `pending`, `requires_action`, `failed` and `canceled`;
/// card refunds in test mode are `succeeded` at once, so the emulator only makes those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum RefundStatus {
    Succeeded,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Refund {
    pub id: String,
    pub object: &'static str,
    pub amount: i64,
    pub balance_transaction: Option<String>,
    pub charge: String,
    pub created: i64,
    pub currency: String,
    pub metadata: Metadata,
    pub payment_intent: String,
    pub reason: Option<String>,
    pub status: RefundStatus,
}

/// Currencies whose amounts are whole units (no cents).
const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// `1234567` usd → `$12,345.67`, as Stripe writes amounts in messages.
pub(super) fn format_money(amount: i64, currency: &str) -> String {
    let zero_decimal = ZERO_DECIMAL.contains(&currency);
    let (units, cents) = if zero_decimal {
        (amount.unsigned_abs(), None)
    } else {
        (
            amount.unsigned_abs() / 100,
            Some(amount.unsigned_abs() % 100),
        )
    };
    let digits = units.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let number = match cents {
        Some(cents) => format!("{grouped}.{cents:02}"),
        None => grouped,
    };
    let sign = if amount < 0 { "-" } else { "" };
    match currency {
        "usd" | "cad" | "aud" | "nzd" | "sgd" | "hkd" | "mxn" => format!("{sign}${number}"),
        "eur" => format!("{sign}€{number}"),
        "gbp" => format!("{sign}£{number}"),
        "jpy" => format!("{sign}¥{number}"),
        other => format!("{sign}{number} {}", other.to_ascii_uppercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_like_stripe() {
        assert_eq!(format_money(50, "usd"), "$0.50");
        assert_eq!(format_money(2000, "usd"), "$20.00");
        assert_eq!(format_money(99_999_999, "usd"), "$999,999.99");
        assert_eq!(format_money(500, "jpy"), "¥500");
        assert_eq!(format_money(123_456, "sek"), "1,234.56 SEK");
        assert_eq!(format_money(-5, "eur"), "-€0.05");
    }

    #[test]
    fn ids_have_their_prefix() {
        let id = new_id("pi");
        assert!(id.starts_with("pi_") && id.len() == 27);
        assert_ne!(new_id("pi"), new_id("pi"));
        let intent = PaymentIntent::new(100, "usd".into());
        assert!(
            intent
                .client_secret
                .starts_with(&format!("{}_secret_", intent.id))
        );
    }
}
