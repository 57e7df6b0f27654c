//! Stripe's test payment methods and test card numbers, with the outcome each one has when a
//! PaymentIntent is confirmed with it.
//!
//! A card is named by its test payment method (`pm_card_visa`), its token (`tok_visa`), or its
//! number (`4242 4242 4242 4242`, spaces and dashes allowed). Any other number fails: a number
//! that fails the Luhn check is `incorrect_number`, any other one is declined as a live card in
//! test mode (`test_mode_live_card`), as Stripe does.

/// A decline: the `code`, `decline_code`, message and `param` of Stripe's card error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Decline {
    pub code: &'static str,
    pub decline_code: Option<&'static str>,
    pub message: &'static str,
    pub param: Option<&'static str>,
}

/// What confirming with a card does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Succeeds,
    Declines(Decline),
    /// 3-D Secure: the intent goes to `requires_action`; succeeds once authenticated.
    RequiresAuthentication,
}

/// One test card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TestCard {
    /// What follows `pm_card_` / `tok_` (`visa`, `chargeDeclined`, …).
    pub name: &'static str,
    pub number: &'static str,
    pub brand: &'static str,
    pub funding: &'static str,
    pub outcome: Outcome,
}

impl TestCard {
    pub(super) fn last4(&self) -> &'static str {
        &self.number[self.number.len().saturating_sub(4)..]
    }
}

const GENERIC_DECLINE: Decline = Decline {
    code: "card_declined",
    decline_code: Some("generic_decline"),
    message: "Your card was declined.",
    param: None,
};
const INSUFFICIENT_FUNDS: Decline = Decline {
    code: "card_declined",
    decline_code: Some("insufficient_funds"),
    message: "Your card has insufficient funds.",
    param: None,
};
const LOST_CARD: Decline = Decline {
    code: "card_declined",
    decline_code: Some("lost_card"),
    message: "Your card was declined.",
    param: None,
};
const STOLEN_CARD: Decline = Decline {
    code: "card_declined",
    decline_code: Some("stolen_card"),
    message: "Your card was declined.",
    param: None,
};
const EXPIRED_CARD: Decline = Decline {
    code: "expired_card",
    decline_code: Some("expired_card"),
    message: "Your card has expired.",
    param: Some("exp_month"),
};
const INCORRECT_CVC: Decline = Decline {
    code: "incorrect_cvc",
    decline_code: Some("incorrect_cvc"),
    message: "Your card's security code is incorrect.",
    param: Some("cvc"),
};
const PROCESSING_ERROR: Decline = Decline {
    code: "processing_error",
    decline_code: Some("processing_error"),
    message: "An error occurred while processing your card. Try again in a little bit.",
    param: None,
};

/// Refused when a payment method is created from a number that is not a test card.
pub(super) const INCORRECT_NUMBER: Decline = Decline {
    code: "incorrect_number",
    decline_code: None,
    message: "Your card number is incorrect.",
    param: Some("number"),
};
/// Refused when a payment method is created from a valid number that is not a test card.
pub(super) const LIVE_CARD_IN_TEST_MODE: Decline = Decline {
    code: "card_declined",
    decline_code: Some("test_mode_live_card"),
    message: "Your card was declined. Your request was in test mode, but used a non test (live) card. For a list of valid test cards, visit: https://stripe.com/docs/testing.",
    param: None,
};

const fn card(
    name: &'static str,
    number: &'static str,
    brand: &'static str,
    outcome: Outcome,
) -> TestCard {
    TestCard {
        name,
        number,
        brand,
        funding: "credit",
        outcome,
    }
}

/// Every test card the emulator knows.
pub(super) const TEST_CARDS: &[TestCard] = &[
    card("visa", "4242424242424242", "visa", Outcome::Succeeds),
    TestCard {
        funding: "debit",
        ..card("visa_debit", "4000056655665556", "visa", Outcome::Succeeds)
    },
    card(
        "mastercard",
        "5555555555554444",
        "mastercard",
        Outcome::Succeeds,
    ),
    card("amex", "378282246310005", "amex", Outcome::Succeeds),
    card(
        "chargeDeclined",
        "4000000000000002",
        "visa",
        Outcome::Declines(GENERIC_DECLINE),
    ),
    card(
        "visa_chargeDeclined",
        "4000000000000002",
        "visa",
        Outcome::Declines(GENERIC_DECLINE),
    ),
    card(
        "chargeDeclinedInsufficientFunds",
        "4000000000009995",
        "visa",
        Outcome::Declines(INSUFFICIENT_FUNDS),
    ),
    card(
        "visa_chargeDeclinedInsufficientFunds",
        "4000000000009995",
        "visa",
        Outcome::Declines(INSUFFICIENT_FUNDS),
    ),
    card(
        "visa_chargeDeclinedLostCard",
        "4000000000009987",
        "visa",
        Outcome::Declines(LOST_CARD),
    ),
    card(
        "visa_chargeDeclinedStolenCard",
        "4000000000009979",
        "visa",
        Outcome::Declines(STOLEN_CARD),
    ),
    card(
        "chargeDeclinedExpiredCard",
        "4000000000000069",
        "visa",
        Outcome::Declines(EXPIRED_CARD),
    ),
    card(
        "chargeDeclinedIncorrectCvc",
        "4000000000000127",
        "visa",
        Outcome::Declines(INCORRECT_CVC),
    ),
    card(
        "chargeDeclinedProcessingError",
        "4000000000000119",
        "visa",
        Outcome::Declines(PROCESSING_ERROR),
    ),
    card(
        "authenticationRequired",
        "4000002760003184",
        "visa",
        Outcome::RequiresAuthentication,
    ),
    card(
        "threeDSecure2Required",
        "4000000000003220",
        "visa",
        Outcome::RequiresAuthentication,
    ),
];

/// The card behind a test payment method id (`pm_card_visa`) or token (`tok_visa`).
pub(super) fn by_test_id(id: &str) -> Option<&'static TestCard> {
    let name = id
        .strip_prefix("pm_card_")
        .or_else(|| id.strip_prefix("tok_"))?;
    TEST_CARDS.iter().find(|card| card.name == name)
}

/// The card with this number, or the decline Stripe answers for a number that is not a test card.
pub(super) fn by_number(number: &str) -> Result<&'static TestCard, Decline> {
    let digits: String = number.chars().filter(|c| *c != ' ' && *c != '-').collect();
    if digits.len() < 12
        || digits.len() > 19
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || !luhn(&digits)
    {
        return Err(INCORRECT_NUMBER);
    }
    TEST_CARDS
        .iter()
        .find(|card| card.number == digits)
        .ok_or(LIVE_CARD_IN_TEST_MODE)
}

/// The Luhn checksum every card number carries.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_test_number_passes_luhn() {
        for card in TEST_CARDS {
            assert!(luhn(card.number), "{}", card.name);
            assert_eq!(by_number(card.number).map(|c| c.number), Ok(card.number));
        }
    }

    #[test]
    fn ids_and_tokens_name_the_same_card() {
        assert_eq!(
            by_test_id("pm_card_visa").unwrap().number,
            "4242424242424242"
        );
        assert_eq!(by_test_id("tok_visa").unwrap().number, "4242424242424242");
        assert_eq!(
            by_test_id("pm_card_chargeDeclinedInsufficientFunds")
                .unwrap()
                .outcome,
            Outcome::Declines(INSUFFICIENT_FUNDS)
        );
        assert!(by_test_id("pm_card_nope").is_none());
        assert!(by_test_id("pm_123").is_none());
    }

    #[test]
    fn numbers_outside_the_table() {
        assert_eq!(by_number("4242 4242 4242 4242").unwrap().name, "visa");
        assert_eq!(by_number("4242-4242-4242-4241"), Err(INCORRECT_NUMBER));
        assert_eq!(by_number("abc"), Err(INCORRECT_NUMBER));
        assert_eq!(by_number(""), Err(INCORRECT_NUMBER));
        // A valid Luhn number that is not a test card: a live card.
        assert_eq!(by_number("4111111111111111"), Err(LIVE_CARD_IN_TEST_MODE));
        assert_eq!(by_test_id("pm_card_visa").unwrap().last4(), "4242");
    }
}
