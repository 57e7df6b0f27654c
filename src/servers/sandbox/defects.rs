//! Deliberate bugs the sandbox can be started with (`gigcheck sandbox --defect NAME`,
//! `gigcheck run --sandbox-defect NAME`), so that `gigcheck mutants` can prove a spec suite
//! notices them. With no defect switched on the sandbox is the reference backend.
//!
//! Each defect is named after the contract rule it breaks (`fixtures/contract.yaml`:
//! `orders.create.total-sum` makes the total count each price once) and flips that rule at the
//! one place of the sandbox that owns it, the way the bug looks in real order systems: a guard
//! left out, a wrong constant, a write forgotten, a check-then-write race. `gigcheck mutants
//! --list` lists them; the defects that were named before rules were keep their old names as
//! aliases (`cancel-when-shipped`).
//!
//! A few need more than one ordinary request to show: `errors.no-sql` and
//! `errors.no-stack-trace` the outage switch (`POST /__sandbox/db`), `orders.create.no-oversell`
//! concurrent requests, the `failure.stripe.*` ones a Stripe fault.

use std::fmt;
use std::str::FromStr;

/// Declares the defects: each variant with its name (the contract rule it breaks, from
/// `fixtures/contract.yaml`), optionally the older name it answered to, and what goes wrong in
/// one line.
macro_rules! defects {
    ($($variant:ident = $rule:literal $(or $alias:literal)?: $summary:literal;)*) => {
        /// One deliberate bug. See the module documentation for what each does.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Defect {
            $($variant,)*
        }

        impl Defect {
            /// Every defect, in the order they are listed and run.
            pub const ALL: &'static [Defect] = &[$(Defect::$variant,)*];

            /// Its name on the command line: the id of the contract rule it breaks.
            pub fn name(self) -> &'static str {
                match self {
                    $(Defect::$variant => $rule,)*
                }
            }

            /// The name it had before defects were named after rules, still accepted.
            pub fn alias(self) -> Option<&'static str> {
                match self {
                    $(Defect::$variant => None$(.or(Some($alias)))?,)*
                }
            }

            /// What goes wrong, in one line.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Defect::$variant => $summary,)*
                }
            }
        }
    };
}

defects! {
    CancelWhenShipped = "orders.cancel.shipped-refused" or "cancel-when-shipped": "a customer may cancel a shipped order";
    NoAdminCheck = "orders.status.non-admin" or "no-admin-check": "status updates skip the admin check";
    OrderReadableByOthers = "orders.detail.not-found" or "order-readable-by-others": "another user's order is readable by id";
    WebhookUnverified = "payment.webhook.bad-signature" or "webhook-unverified": "webhook signatures are not verified";
    CancelWithoutRefund = "orders.cancel.paid-refunded" or "cancel-without-refund": "a paid order is cancelled without a refund";
    NoRestockOnCancel = "orders.cancel.restock" or "no-restock-on-cancel": "stock is not restored on cancel";
    StockNotDecremented = "orders.create.stock-decrement" or "stock-not-decremented": "stock is not decremented by an order";
    PaginationOffByOne = "orders.list.page-window" or "pagination-off-by-one": "order list pages are off by one";
    PerPageUncapped = "orders.list.per-page-cap" or "per-page-uncapped": "per_page of the order list is not capped";
    OrderDespiteDeclinedPayment = "orders.create.intent-not-succeeded" or "order-despite-declined-payment": "an order is created despite a declined payment";
    ClientPriceTrusted = "orders.create.server-prices" or "client-price-trusted": "the client's item price is trusted";
    DuplicateWebhookApplied = "payment.webhook.once-per-event" or "duplicate-webhook-applied": "a duplicate webhook event is applied twice";
    SqlInErrorBody = "errors.no-sql" or "sql-in-error-body": "database errors leak SQL in the error body";
    DbOutage500Trace = "errors.no-stack-trace" or "db-outage-500-trace": "a database outage answers 500 with a stack trace";
    OversellRace = "orders.create.no-oversell" or "oversell-race": "concurrent orders oversell (check-then-write, no lock)";
    AdminReopensFinalOrder = "orders.status.from-delivered" or "admin-reopens-final-order": "an admin may move an order out of delivered/cancelled";
    NonNumericPage500 = "orders.list.page-not-numeric" or "non-numeric-page-500": "a non-numeric page answers 500";
    NoAddressesRoute = "addresses.create.ok" or "no-addresses-route": "there is no /api/addresses route";
    HtmlErrorPages = "errors.json" or "html-error-pages": "unknown routes, wrong methods and malformed JSON answer HTML pages";
    TotalIgnoresQuantity = "orders.create.total-sum" or "total-ignores-quantity": "an order's total counts each price once";
    ExpiredTokenAccepted = "auth.token.expired" or "expired-token-accepted": "expired tokens signed with the key are accepted";
}

impl Defect {
    /// Every name, for messages and `--help`.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Defect::ALL.iter().map(|d| d.name())
    }

    fn index(self) -> usize {
        self as usize
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
        if let Some(d) = Defect::ALL
            .iter()
            .find(|d| d.name() == wanted || d.alias() == Some(wanted.as_str()))
        {
            return Ok(*d);
        }
        let names: Vec<&str> = Defect::names().collect();
        let hint = match crate::loader::diagnostic::closest(&wanted, &names) {
            Some(near) => format!("did you mean `{near}`? "),
            None => String::new(),
        };
        Err(format!(
            "unknown defect `{text}`; {hint}each is named after the contract rule it breaks (`gigcheck mutants --list` lists them)"
        ))
    }
}

/// How many 64-bit words hold the set: room for 256 defects.
const WORDS: usize = 4;
const _: () = assert!(Defect::ALL.len() <= WORDS * 64);

/// The defects a sandbox runs with: a small set, cheap to copy into every handler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Defects([u64; WORDS]);

impl Defects {
    /// No defect: the reference behaviour.
    pub const NONE: Defects = Defects([0; WORDS]);

    pub fn has(self, defect: Defect) -> bool {
        let i = defect.index();
        self.0[i / 64] & (1 << (i % 64)) != 0
    }

    fn insert(&mut self, defect: Defect) {
        let i = defect.index();
        self.0[i / 64] |= 1 << (i % 64);
    }

    pub fn is_empty(self) -> bool {
        self == Defects::NONE
    }

    /// The defects in the set, in [`Defect::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Defect> {
        Defect::ALL.iter().copied().filter(move |d| self.has(*d))
    }
}

impl FromIterator<Defect> for Defects {
    fn from_iter<I: IntoIterator<Item = Defect>>(defects: I) -> Defects {
        let mut set = Defects::NONE;
        for d in defects {
            set.insert(d);
        }
        set
    }
}

impl From<Defect> for Defects {
    fn from(defect: Defect) -> Defects {
        std::iter::once(defect).collect()
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
        for &d in Defect::ALL {
            assert_eq!(d.name().parse::<Defect>(), Ok(d));
            assert_eq!(d.to_string(), d.name());
            assert!(seen.insert(d.name()), "{d} twice");
            assert!(
                crate::contract::is_rule_id(d.name()),
                "{d} is not a rule id"
            );
            if let Some(alias) = d.alias() {
                assert_eq!(alias.parse::<Defect>(), Ok(d));
                assert!(seen.insert(alias), "{alias} twice");
            }
        }
        assert!(Defect::ALL.len() >= 15);
        assert_eq!("Oversell_Race".parse::<Defect>(), Ok(Defect::OversellRace));
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let err = "cancel-always".parse::<Defect>().unwrap_err();
        assert!(err.contains("unknown defect `cancel-always`"), "{err}");
        assert!(err.contains("gigcheck mutants --list"), "{err}");
        let err = "orders.cancel.restok".parse::<Defect>().unwrap_err();
        assert!(
            err.contains("did you mean `orders.cancel.restock`?"),
            "{err}"
        );
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
        assert_eq!(
            set.to_string(),
            "orders.status.non-admin, orders.create.no-oversell"
        );
        assert!(Defects::NONE.is_empty());
        assert_eq!(Defects::NONE.to_string(), "none");
        let all: Defects = Defect::ALL.iter().copied().collect();
        assert!(Defect::ALL.iter().all(|d| all.has(*d)));
    }
}
