//! The business rules of orders, each a small named function, so that a rule can be read,
//! tested and (later) deliberately broken in one place: which statuses exist, who may cancel
//! what, which admin moves are allowed, when a refund is due, what a payment does to a
//! status, and what counts as money spent.

use super::auth::AuthUser;
use super::errors::ApiError;

/// Order statuses, in their usual order.
pub const ORDER_STATUSES: [&str; 5] =
    ["pending", "processing", "shipped", "delivered", "cancelled"];

/// `per_page` of the order list when not given, and its cap.
pub const PER_PAGE_DEFAULT: u64 = 10;
pub const PER_PAGE_MAX: u64 = 50;

pub fn is_order_status(s: &str) -> bool {
    ORDER_STATUSES.contains(&s)
}

/// The 400 for an unknown status.
pub fn unknown_status() -> ApiError {
    ApiError::bad_request(format!(
        "Invalid status. Must be one of: {}",
        ORDER_STATUSES.join(", ")
    ))
}

/// Rule: a customer may cancel an order only while it is `pending` or `processing`.
pub fn customer_can_cancel(status: &str) -> bool {
    matches!(status, "pending" | "processing")
}

/// Rule: an admin may set any status except out of `delivered` or `cancelled` (both final).
pub fn admin_can_move(from: &str, _to: &str) -> bool {
    !matches!(from, "delivered" | "cancelled")
}

/// Rule: only admins change an order's status.
pub fn ensure_admin(user: &AuthUser) -> Result<(), ApiError> {
    if user.is_admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden)
    }
}

/// Rule: cancelling a paid order refunds its full amount.
pub fn refund_due(payment_status: &str) -> bool {
    payment_status == "paid"
}

/// Rule: a confirmed payment moves a `pending` order to `processing`; other statuses stay.
pub fn status_after_payment(status: &str) -> &str {
    if status == "pending" {
        "processing"
    } else {
        status
    }
}

/// Rule: the money a customer has spent is the total of orders currently paid.
pub fn counts_as_spent(payment_status: &str) -> bool {
    payment_status == "paid"
}

/// Rule: an order may be paid by a Stripe intent only if it `succeeded`, in US dollars, for
/// exactly the order's total. `None` when it may; otherwise the reason, for a person.
pub fn intent_problem(
    status: &str,
    amount: i64,
    currency: &str,
    total_cents: i64,
) -> Option<String> {
    if status != "succeeded" {
        Some(format!("payment intent status is '{status}'"))
    } else if !currency.eq_ignore_ascii_case("usd") {
        Some(format!("payment currency is '{currency}', expected 'usd'"))
    } else if amount != total_cents {
        Some(format!(
            "payment amount {amount} does not match the order total {total_cents} (in cents)"
        ))
    } else {
        None
    }
}

/// The rounding-free total of `(unit price in cents, quantity)` lines; `None` on overflow.
pub fn total_cents(lines: &[(i64, i64)]) -> Option<i64> {
    lines.iter().try_fold(0i64, |sum, (price, qty)| {
        sum.checked_add(price.checked_mul(*qty)?)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancellation() {
        assert!(customer_can_cancel("pending"));
        assert!(customer_can_cancel("processing"));
        for s in ["shipped", "delivered", "cancelled"] {
            assert!(!customer_can_cancel(s));
        }
    }

    #[test]
    fn admin_moves() {
        assert!(admin_can_move("pending", "shipped"));
        assert!(admin_can_move("shipped", "cancelled"));
        assert!(!admin_can_move("delivered", "processing"));
        assert!(!admin_can_move("cancelled", "pending"));
    }

    #[test]
    fn payments_and_totals() {
        assert_eq!(status_after_payment("pending"), "processing");
        assert_eq!(status_after_payment("shipped"), "shipped");
        assert!(refund_due("paid"));
        assert!(!refund_due("pending"));
        assert_eq!(total_cents(&[(39999, 2), (100, 1)]), Some(80098));
        assert_eq!(total_cents(&[(i64::MAX, 2)]), None);
        assert_eq!(intent_problem("succeeded", 100, "usd", 100), None);
        assert!(
            intent_problem("requires_payment_method", 100, "usd", 100)
                .unwrap()
                .contains("requires_payment_method")
        );
        assert!(intent_problem("succeeded", 99, "usd", 100).is_some());
        assert!(intent_problem("succeeded", 100, "eur", 100).is_some());
    }
}
