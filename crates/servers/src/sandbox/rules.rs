//! The business rules of orders, each a small named function, so that a rule can be read,
//! tested and deliberately broken in one place: which statuses exist, who may cancel what,
//! which admin moves are allowed, when a refund is due, what a payment does to a status, how
//! the order list pages, and what counts as money spent. Rules that a [`Defect`] can break take
//! the sandbox's [`Defects`] and say, beside the flip, what the broken version does.

use super::auth::AuthUser;
use super::defects::{Defect, Defects};
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
pub fn customer_can_cancel(status: &str, defects: Defects) -> bool {
    match status {
        // The bugs: each a status the check forgot, or one it added.
        "pending" => !defects.has(Defect::PendingNotCancellable),
        "processing" => !defects.has(Defect::ProcessingNotCancellable),
        // "Cancellable until it is delivered", so a parcel already on its way is too.
        "shipped" => defects.has(Defect::CancelWhenShipped),
        "delivered" => defects.has(Defect::DeliveredCancellable),
        "cancelled" | "canceled" => defects.has(Defect::CancelTwice),
        _ => false,
    }
}

/// Rule: an admin may set any status except out of `delivered` or `cancelled` (both final).
pub fn admin_can_move(from: &str, to: &str, defects: Defects) -> bool {
    match from {
        // The bugs: a transition table that forgot one of the final statuses.
        "delivered" => defects.has(Defect::AdminReopensFinalOrder),
        "cancelled" => defects.has(Defect::CancelledReopened),
        // A strict state machine: only the next step (or a cancellation), no skipping.
        _ if defects.has(Defect::NoSkippingSteps) => {
            let next = ORDER_STATUSES
                .iter()
                .position(|s| *s == from)
                .and_then(|i| ORDER_STATUSES.get(i + 1));
            to == "cancelled" || next == Some(&to)
        }
        _ => true,
    }
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
pub fn refund_due(payment_status: &str, defects: Defects) -> bool {
    if defects.has(Defect::CancelWithoutRefund) {
        // The bug: the refund is "handled later" by nobody; the order is cancelled but stays paid.
        return false;
    }
    payment_status == "paid"
}

/// Rule: the order list's `per_page` is what was asked for, at most [`PER_PAGE_MAX`].
pub fn per_page(requested: u64, defects: Defects) -> u64 {
    if defects.has(Defect::PerPageUncapped) {
        // The bug: the cap forgotten, so one request can pull a whole table.
        return requested;
    }
    requested.min(PER_PAGE_MAX)
}

/// Rule: page `page` (1-based) of `per_page` rows is `(LIMIT, OFFSET)` =
/// `(per_page, (page - 1) * per_page)`, never overflowing.
pub fn page_window(page: u64, per_page: u64, defects: Defects) -> (i64, i64) {
    if defects.has(Defect::PaginationOffByOne) {
        // The bug: the 1-based page used as if it were 0-based, so page 1 skips a page.
        return super::extract::limit_offset(page.saturating_add(1), per_page);
    }
    super::extract::limit_offset(page, per_page)
}

/// Rule: a confirmed payment moves a `pending` order to `processing`; other statuses stay.
pub fn status_after_payment(status: &str) -> &str {
    if status == "pending" {
        "processing"
    } else {
        status
    }
}

/// Rule (the contract): `total_spent` sums the totals of the caller's orders that are not
/// cancelled, paid or not.
pub fn counts_as_spent(status: &str) -> bool {
    status != "cancelled"
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

    const CLEAN: Defects = Defects::NONE;

    #[test]
    fn cancellation() {
        assert!(customer_can_cancel("pending", CLEAN));
        assert!(customer_can_cancel("processing", CLEAN));
        for s in ["shipped", "delivered", "cancelled"] {
            assert!(!customer_can_cancel(s, CLEAN));
        }
    }

    #[test]
    fn defect_cancel_when_shipped() {
        let d = Defects::from(Defect::CancelWhenShipped);
        assert!(customer_can_cancel("shipped", d));
        assert!(customer_can_cancel("pending", d));
        assert!(!customer_can_cancel("delivered", d));
    }

    #[test]
    fn admin_moves() {
        assert!(admin_can_move("pending", "shipped", CLEAN));
        assert!(admin_can_move("shipped", "cancelled", CLEAN));
        assert!(!admin_can_move("delivered", "processing", CLEAN));
        assert!(!admin_can_move("cancelled", "pending", CLEAN));
    }

    #[test]
    fn defects_reopening_a_final_order_each_forget_one_status() {
        let d = Defects::from(Defect::AdminReopensFinalOrder);
        assert!(admin_can_move("delivered", "processing", d));
        assert!(!admin_can_move("cancelled", "pending", d));
        let d = Defects::from(Defect::CancelledReopened);
        assert!(!admin_can_move("delivered", "processing", d));
        assert!(admin_can_move("cancelled", "pending", d));
    }

    #[test]
    fn defect_cancel_without_refund() {
        assert!(!refund_due("paid", Defect::CancelWithoutRefund.into()));
    }

    #[test]
    fn order_list_pages() {
        assert_eq!(per_page(10, CLEAN), 10);
        assert_eq!(per_page(1000, CLEAN), PER_PAGE_MAX);
        assert_eq!(per_page(1000, Defect::PerPageUncapped.into()), 1000);
        assert_eq!(page_window(1, 10, CLEAN), (10, 0));
        assert_eq!(page_window(3, 10, CLEAN), (10, 20));
        let off_by_one = Defects::from(Defect::PaginationOffByOne);
        assert_eq!(page_window(1, 10, off_by_one), (10, 10));
        assert_eq!(page_window(u64::MAX, 10, off_by_one).1, i64::MAX);
    }

    #[test]
    fn payments_and_totals() {
        assert_eq!(status_after_payment("pending"), "processing");
        assert_eq!(status_after_payment("shipped"), "shipped");
        assert!(refund_due("paid", CLEAN));
        assert!(!refund_due("pending", CLEAN));
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
