//! Deliberate bugs the sandbox can be started with (`gigcheck sandbox --defect NAME`,
//! `gigcheck run --sandbox-defect NAME`), so that `gigcheck mutants` can prove a spec suite
//! notices them. Each defect flips one rule at the one place that owns it, the way the bug looks
//! in real order systems; with no defect switched on the sandbox is the reference backend.
//!
//! | name | what the sandbox then does | the real-world bug it models | where |
//! |---|---|---|---|
//! | `cancel-when-shipped` | a customer may cancel a `shipped` order | the cancellable statuses written as "not delivered yet" | [`super::rules::customer_can_cancel`] |
//! | `no-admin-check` | any customer may `PUT /api/orders/<id>/status`, on anyone's order | a route that forgot its `@admin_required` guard | [`super::cancel::update_status`] |
//! | `order-readable-by-others` | `GET /api/orders/<id>` shows any user's order | IDOR: the row is fetched by id without `AND user_id = ?` | [`super::orders::get`] |
//! | `webhook-unverified` | webhook events are applied whatever their `Stripe-Signature` | `json.loads(request.data)` instead of `stripe.Webhook.construct_event` | [`super::webhook::receive`] |
//! | `cancel-without-refund` | cancelling a paid order refunds nothing; it stays `paid` | the refund branch never taken (refund "handled later", by nobody) | [`super::rules::refund_due`] |
//! | `no-restock-on-cancel` | a cancelled order's units stay off the shelf | the cancel path updates the status but not the inventory | [`super::cancel`] (`apply_cancel`) |
//! | `stock-not-decremented` | placing an order leaves the stock as it was | the inventory update dropped from checkout | [`super::checkout`] (`insert`) |
//! | `pagination-off-by-one` | `page=1` of the order list skips the first `per_page` orders | a 1-based page used as if 0-based: `OFFSET page * per_page` | [`super::rules::page_window`] |
//! | `per-page-uncapped` | `per_page=1000` is honoured | the cap of 50 forgotten: one request can pull a whole table | [`super::rules::per_page`] |
//! | `order-despite-declined-payment` | an order with a declined (or unfinished) intent is created `paid` | the intent is retrieved but its `status` never checked | [`super::checkout`] (`verify_with_stripe`) |
//! | `client-price-trusted` | an item's `price` in the order body sets its price | totals computed from the cart the browser sent | [`super::checkout`] (`parse`) |
//! | `duplicate-webhook-applied` | a redelivered event is applied again: a second payment row | a webhook handler without an event-id ledger that records every delivery | [`super::webhook`] (`receive`, `apply`) |
//! | `sql-in-error-body` | while the database is down, errors carry the driver's message and the SQL | `except Exception as e: return {"error": str(e)}` | [`super::db::Db`] (outage) |
//! | `db-outage-500-trace` | while the database is down, routes answer 500 with a stack trace | an unhandled database exception rendered by a debug error page | [`super::db::Db`] (outage) |
//! | `oversell-race` | concurrent orders of the last unit can all succeed | check-then-write: stock read in one transaction, written back (`stock - qty`) in another, no lock | [`super::checkout`] (`create`) |
//! | `admin-reopens-final-order` | an admin may move a `delivered` or `cancelled` order to any status | a status setter with no transition table | [`super::rules::admin_can_move`] |
//! | `non-numeric-page-500` | `GET /api/orders?page=abc` answers 500 | `int(request.args['page'])` without a `try` (the public GigGatek code does this) | [`super::orders::list`] |
//! | `no-addresses-route` | `GET`/`POST /api/addresses` answer as unknown routes do (404) | the public GigGatek tree: an `addresses` table but no route for it | [`super::router`] |
//! | `html-error-pages` | unknown routes, wrong methods and malformed JSON bodies answer Werkzeug's HTML 404/405/400 pages, not JSON | Flask's default error handlers, never replaced by JSON ones (the public GigGatek code) | [`super::html`], [`super::extract`] (fallbacks, `JsonBody`), [`super::log`] |
//! | `total-ignores-quantity` | an order's total counts each line's price once, whatever its quantity | `total = sum(item.price for item in items)` | [`super::checkout`] (`insert`) |
//! | `expired-token-accepted` | a token signed with the deployment's key is accepted after its `exp` | `jwt.decode(..., options={"verify_exp": False})` | [`super::auth::JwtKeys`] |
//!
//! Two of them need the outage switch (`POST /__sandbox/db`) to show; `oversell-race` needs
//! concurrent requests. The others show on one ordinary request. With both `no-addresses-route`
//! and `html-error-pages`, `POST /api/addresses` is an HTML 404.

use std::fmt;
use std::str::FromStr;

/// One deliberate bug. See the module documentation for what each does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Defect {
    CancelWhenShipped,
    NoAdminCheck,
    OrderReadableByOthers,
    WebhookUnverified,
    CancelWithoutRefund,
    NoRestockOnCancel,
    StockNotDecremented,
    PaginationOffByOne,
    PerPageUncapped,
    OrderDespiteDeclinedPayment,
    ClientPriceTrusted,
    DuplicateWebhookApplied,
    SqlInErrorBody,
    DbOutage500Trace,
    OversellRace,
    AdminReopensFinalOrder,
    NonNumericPage500,
    NoAddressesRoute,
    HtmlErrorPages,
    TotalIgnoresQuantity,
    ExpiredTokenAccepted,
}

impl Defect {
    /// Every defect, in the order they are listed and run.
    pub const ALL: [Defect; 21] = [
        Defect::CancelWhenShipped,
        Defect::NoAdminCheck,
        Defect::OrderReadableByOthers,
        Defect::WebhookUnverified,
        Defect::CancelWithoutRefund,
        Defect::NoRestockOnCancel,
        Defect::StockNotDecremented,
        Defect::PaginationOffByOne,
        Defect::PerPageUncapped,
        Defect::OrderDespiteDeclinedPayment,
        Defect::ClientPriceTrusted,
        Defect::DuplicateWebhookApplied,
        Defect::SqlInErrorBody,
        Defect::DbOutage500Trace,
        Defect::OversellRace,
        Defect::AdminReopensFinalOrder,
        Defect::NonNumericPage500,
        Defect::NoAddressesRoute,
        Defect::HtmlErrorPages,
        Defect::TotalIgnoresQuantity,
        Defect::ExpiredTokenAccepted,
    ];

    /// The kebab-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Defect::CancelWhenShipped => "cancel-when-shipped",
            Defect::NoAdminCheck => "no-admin-check",
            Defect::OrderReadableByOthers => "order-readable-by-others",
            Defect::WebhookUnverified => "webhook-unverified",
            Defect::CancelWithoutRefund => "cancel-without-refund",
            Defect::NoRestockOnCancel => "no-restock-on-cancel",
            Defect::StockNotDecremented => "stock-not-decremented",
            Defect::PaginationOffByOne => "pagination-off-by-one",
            Defect::PerPageUncapped => "per-page-uncapped",
            Defect::OrderDespiteDeclinedPayment => "order-despite-declined-payment",
            Defect::ClientPriceTrusted => "client-price-trusted",
            Defect::DuplicateWebhookApplied => "duplicate-webhook-applied",
            Defect::SqlInErrorBody => "sql-in-error-body",
            Defect::DbOutage500Trace => "db-outage-500-trace",
            Defect::OversellRace => "oversell-race",
            Defect::AdminReopensFinalOrder => "admin-reopens-final-order",
            Defect::NonNumericPage500 => "non-numeric-page-500",
            Defect::NoAddressesRoute => "no-addresses-route",
            Defect::HtmlErrorPages => "html-error-pages",
            Defect::TotalIgnoresQuantity => "total-ignores-quantity",
            Defect::ExpiredTokenAccepted => "expired-token-accepted",
        }
    }

    /// What goes wrong, in one line.
    pub fn summary(self) -> &'static str {
        match self {
            Defect::CancelWhenShipped => "a customer may cancel a shipped order",
            Defect::NoAdminCheck => "status updates skip the admin check",
            Defect::OrderReadableByOthers => "another user's order is readable by id",
            Defect::WebhookUnverified => "webhook signatures are not verified",
            Defect::CancelWithoutRefund => "a paid order is cancelled without a refund",
            Defect::NoRestockOnCancel => "stock is not restored on cancel",
            Defect::StockNotDecremented => "stock is not decremented by an order",
            Defect::PaginationOffByOne => "order list pages are off by one",
            Defect::PerPageUncapped => "per_page of the order list is not capped",
            Defect::OrderDespiteDeclinedPayment => "an order is created despite a declined payment",
            Defect::ClientPriceTrusted => "the client's item price is trusted",
            Defect::DuplicateWebhookApplied => "a duplicate webhook event is applied twice",
            Defect::SqlInErrorBody => "database errors leak SQL in the error body",
            Defect::DbOutage500Trace => "a database outage answers 500 with a stack trace",
            Defect::OversellRace => "concurrent orders oversell (check-then-write, no lock)",
            Defect::AdminReopensFinalOrder => {
                "an admin may move an order out of delivered/cancelled"
            }
            Defect::NonNumericPage500 => "a non-numeric page answers 500",
            Defect::NoAddressesRoute => "there is no /api/addresses route",
            Defect::HtmlErrorPages => {
                "unknown routes, wrong methods and malformed JSON answer HTML pages"
            }
            Defect::TotalIgnoresQuantity => "an order's total counts each price once",
            Defect::ExpiredTokenAccepted => "expired tokens signed with the key are accepted",
        }
    }

    /// Every name, for messages and `--help`.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Defect::ALL.into_iter().map(Defect::name)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Defect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Defect {
    type Err = String;

    fn from_str(text: &str) -> Result<Defect, String> {
        let wanted = text.trim().to_ascii_lowercase().replace('_', "-");
        Defect::ALL
            .into_iter()
            .find(|d| d.name() == wanted)
            .ok_or_else(|| {
                format!(
                    "unknown defect `{text}`; the defects are: {}",
                    Defect::names().collect::<Vec<_>>().join(", ")
                )
            })
    }
}

/// The defects a sandbox runs with: a small set, cheap to copy into every handler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defects(u32);

impl Defects {
    /// No defect: the reference behaviour.
    pub const NONE: Defects = Defects(0);

    pub fn has(self, defect: Defect) -> bool {
        self.0 & defect.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The defects in the set, in [`Defect::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Defect> {
        Defect::ALL.into_iter().filter(move |d| self.has(*d))
    }
}

impl FromIterator<Defect> for Defects {
    fn from_iter<I: IntoIterator<Item = Defect>>(defects: I) -> Defects {
        Defects(defects.into_iter().fold(0, |bits, d| bits | d.bit()))
    }
}

impl From<Defect> for Defects {
    fn from(defect: Defect) -> Defects {
        Defects(defect.bit())
    }
}

impl fmt::Display for Defects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Defect::name).collect();
        if names.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&names.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for d in Defect::ALL {
            assert_eq!(d.name().parse::<Defect>(), Ok(d));
            assert_eq!(d.to_string(), d.name());
            assert!(seen.insert(d.name()), "{d} twice");
            assert!(
                d.name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{d} is not kebab-case"
            );
        }
        assert!(Defect::ALL.len() >= 15);
        assert_eq!("Oversell_Race".parse::<Defect>(), Ok(Defect::OversellRace));
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let err = "cancel-always".parse::<Defect>().unwrap_err();
        assert!(err.contains("unknown defect `cancel-always`"), "{err}");
        for name in Defect::names() {
            assert!(err.contains(name), "{name} missing from {err}");
        }
    }

    #[test]
    fn sets() {
        let set: Defects = [Defect::OversellRace, Defect::NoAdminCheck]
            .into_iter()
            .collect();
        assert!(set.has(Defect::OversellRace) && set.has(Defect::NoAdminCheck));
        assert!(!set.has(Defect::CancelWhenShipped));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Defect::NoAdminCheck, Defect::OversellRace]
        );
        assert_eq!(set.to_string(), "no-admin-check, oversell-race");
        assert!(Defects::NONE.is_empty());
        assert_eq!(Defects::NONE.to_string(), "none");
        let all: Defects = Defect::ALL.into_iter().collect();
        assert!(Defect::ALL.into_iter().all(|d| all.has(d)));
    }
}
