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
    AdminReopensFinalOrder = "orders.status.from-delivered" or "admin-reopens-final-order": "an admin may move an order out of delivered";
    NonNumericPage500 = "orders.list.page-not-numeric" or "non-numeric-page-500": "a non-numeric page answers 500";
    NoAddressesRoute = "addresses.create.ok" or "no-addresses-route": "there is no /api/addresses route";
    HtmlErrorPages = "errors.json" or "html-error-pages": "unknown routes, wrong methods and malformed JSON answer HTML pages";
    TotalIgnoresQuantity = "orders.create.total-sum" or "total-ignores-quantity": "an order's total counts each price once";
    ExpiredTokenAccepted = "auth.token.expired" or "expired-token-accepted": "expired tokens signed with the key are accepted";
    // How answers are written (super::answers, super::extract).
    ErrorWithoutMessage = "errors.message": "error bodies say `error: true` instead of what is wrong";
    PaymentErrorWithoutSuccessFlag = "errors.payment-success-false": "payment errors lack `success: false`";
    StripeKeyInError = "errors.no-secret": "a 502 shows the Stripe secret key and API base";
    SuccessNotJson = "routes.json-responses": "successful answers are served as text/html";
    UnknownRouteBadRequest = "routes.unknown-404": "unknown routes answer 400";
    WrongMethodNotFound = "routes.wrong-method-405": "a wrong method answers 404";
    MalformedJson500 = "failure.body.malformed-json": "a malformed JSON body answers 500";
    AnyContentTypeRead = "failure.body.content-type": "a body of any Content-Type is read as JSON";
    NoBodyLimit = "failure.body.too-large": "bodies over 1 MiB are read";
    // Tokens and accounts (super::auth).
    MissingToken500 = "auth.token.missing": "a request without a token answers 500";
    SignatureNotVerified = "auth.token.bad-signature": "token signatures are not verified";
    AlgNoneAccepted = "auth.token.alg-none": "unsigned `alg: none` tokens are trusted";
    TokenWithoutExpiryAccepted = "auth.token.no-exp": "tokens without `exp` are accepted";
    MalformedToken500 = "auth.token.malformed": "a token that is not three parts answers 500";
    TokenNeedsIat = "auth.token.accepted": "a valid token without `iat` is refused";
    DayLongTokens = "auth.token.issued-claims": "issued tokens live 24 hours";
    PublishedKeyAccepted = "auth.token.published-key-refused": "tokens signed with the published key are accepted";
    RegisterAnswers200 = "auth.register.created": "a sign-up answers 200";
    NamesOptional = "auth.register.missing-field": "a sign-up without first or last name is accepted";
    EmailNotValidated = "auth.register.invalid-email": "e-mail addresses are not validated";
    PasswordLengthOnly = "auth.register.weak-password": "only a password's length is checked";
    DuplicateEmail500 = "auth.register.email-taken": "a taken e-mail answers 500 (the unique index)";
    LoginTokenRenamed = "auth.login.ok": "login answers the token as `access_token`";
    LoginWithoutIsAdmin = "auth.login.is-admin": "login answers the user without `is_admin`";
    LoginMissingPassword401 = "auth.login.missing-field": "a login without a password answers 401";
    UnknownEmailTold = "auth.login.bad-credentials": "an unknown e-mail answers 404 `User not found`";
    MeUnwrapped = "auth.me.ok": "/me answers the user without its `user` wrapper";
    NewAccountsAdmin = "auth.admin.new-account-not-admin": "every new account is an admin";
    RegisterTakesIsAdmin = "auth.admin.register-ignores-is-admin": "sign-up takes `is_admin` from the body";
    // The catalogue (super::products).
    ProductListWithoutTotals = "products.list.ok": "the product list lacks `total` and `pages`";
    ProductLimitIgnored = "products.list.limit": "the product list ignores `limit`";
    ProductLimitDefault20 = "products.list.default-limit": "the product list's default page size is 20";
    ProductPageIgnored = "products.list.page": "the product list always shows page 1";
    CategoryIgnored = "products.list.category": "the product list ignores `category`";
    ProductWithoutSpecifications = "products.detail.ok": "a product's detail lacks its description and specifications";
    UnknownProduct500 = "products.detail.not-found": "an unknown product answers 500";
    // Addresses (super::addresses).
    CountryDefaulted = "addresses.create.missing-field": "an address without a country is saved as US";
    PhoneRequired = "addresses.create.phone-optional": "an address needs a phone";
    AddressesBareList = "addresses.list.ok": "the address list is a bare array, not `{addresses}`";
    AddressesOfEveryone = "addresses.list.own-only": "the address list shows everyone's addresses";
    // Reading orders (super::orders, super::rules).
    OrderListWithoutItems = "orders.list.ok": "the order list leaves out each order's items";
    OrderListOfEveryone = "orders.list.own-only": "the order list shows everyone's orders";
    OldestFirst = "orders.list.newest-first": "the order list is oldest first";
    TiesLowerIdFirst = "orders.list.ties-higher-id": "orders of the same date are listed lower id first";
    PerPageDefault20 = "orders.list.default-per-page": "the order list's default page size is 20";
    PerPageWordIgnored = "orders.list.per-page-not-numeric": "a non-numeric per_page is taken as the default";
    PagingBelowOneClamped = "orders.list.below-one": "page or per_page below 1 is taken as 1";
    TotalPagesRoundedDown = "orders.list.pagination-figures": "total_pages is rounded down";
    StatusFilterIgnored = "orders.list.status-filter": "the status filter is ignored";
    UnknownStatusFilterUnfiltered = "orders.list.unknown-status-filter": "an unknown status filter lists every order";
    ItemsWithoutSubtotal = "orders.detail.items": "an order's lines lack their subtotal";
    AddressesNotEmbedded = "orders.detail.addresses": "the detail's shipping and billing addresses are null";
    PaymentsNotListed = "orders.detail.payments": "the detail lists no payments";
    HistoryNotListed = "orders.detail.status-history": "the detail lists no status history";
    TotalsInCents = "orders.detail.money-format": "order totals are shown in cents";
    OrderDateAsUnixTime = "orders.detail.timestamps": "order dates are Unix timestamps";
    PendingPaymentAsUnpaid = "orders.detail.status-values": "a pending payment_status reads `unpaid`";
    StatsWithoutCounts = "orders.stats.ok": "the statistics lack status_counts";
    StatsSkipCancelled = "orders.stats.counts": "total_orders leaves out cancelled orders";
    SpentCountsPaidOnly = "orders.stats.total-spent": "total_spent counts paid orders only";
    MostRecentIsOldest = "orders.stats.most-recent": "most_recent_order is the oldest order";
    StatsOfEveryone = "orders.stats.own-only": "the statistics count everyone's orders";
    CancelledReopened = "orders.status.from-cancelled": "an admin may move an order out of cancelled";
    // Placing orders (super::checkout).
    OrderCreated200 = "orders.create.created": "a created order answers 200";
    OrderMessageChanged = "orders.create.message": "a created order says `Order placed`";
    ShippingMethodDefaulted = "orders.create.missing-field": "an order without shipping_method is accepted";
    EmptyCartAccepted = "orders.create.bad-items": "an empty item list makes an empty order";
    QuantityTruncated = "orders.create.quantity-not-integer": "a quantity of 1.5 is taken as 1";
    ShippingAddressNotOwned = "orders.create.foreign-shipping-address": "the shipping address's owner is not checked";
    BillingAddressNotOwned = "orders.create.foreign-billing-address": "the billing address's owner is not checked";
    UnknownProductOrder500 = "orders.create.unknown-product": "ordering an unknown product answers 500";
    StockMessageWithoutCounts = "orders.create.insufficient-stock": "the short-stock message gives no counts";
    StockMessageWithoutProduct = "orders.create.insufficient-stock-product": "the short-stock message does not name the product";
    RefusedOrderKept = "orders.create.refused-no-order": "an order refused for its payment is written anyway";
    RefusedOrderTakesStock = "orders.create.refused-no-stock-change": "an order refused for its payment takes the stock";
    NoPendingHistoryRow = "orders.create.history-pending": "a new order gets no pending history row";
    UnpaidOrderProcessing = "orders.create.unpaid-starts-pending": "an unpaid order starts processing";
    PaidOrderStaysPending = "orders.create.paid-starts-processing": "a paid order starts pending";
    NoPaymentRowAtCreation = "orders.create.paid-payment-row": "an order paid at creation gets no payment row";
    IntentNotRetrieved = "orders.create.intent-checked-at-stripe": "the intent is never asked of Stripe";
    IntentNotMatched = "orders.create.intent-must-match": "the intent's owner and amount are not compared";
    ProviderErrorAs402 = "orders.create.provider-error": "a Stripe outage while checking the intent answers 402";
    // Cancelling and status updates (super::cancel, super::rules).
    CancelMessageChanged = "orders.cancel.message": "a cancellation says `Order canceled`";
    CanceledSpelling = "orders.cancel.status-cancelled": "a cancelled order's status is `canceled`";
    NoCancelHistoryRow = "orders.cancel.history-row": "a cancellation writes no history row";
    PendingNotCancellable = "orders.cancel.pending-allowed": "a pending order cannot be cancelled";
    ProcessingNotCancellable = "orders.cancel.processing-allowed": "a processing order cannot be cancelled";
    DeliveredCancellable = "orders.cancel.delivered-refused": "a delivered order can be cancelled";
    CancelTwice = "orders.cancel.twice-refused": "a cancelled order can be cancelled again";
    CancelCheckThenWrite = "orders.cancel.concurrent-once": "simultaneous cancels can all succeed (decided and written apart, no lock)";
    CancelUnknownOrder500 = "orders.cancel.not-found": "cancelling an unknown order answers 500";
    CancelAnyonesOrder = "orders.cancel.other-user": "anyone may cancel anyone's order";
    UnpaidMarkedRefunded = "orders.cancel.unpaid-no-refund": "cancelling an unpaid order marks it refunded";
    CancelDespiteFailedRefund = "orders.cancel.refund-fails": "a failed refund still cancels the order";
    RestockBeforeRefund = "orders.cancel.refund-fails-stock": "the stock is restored before the refund, and kept when it fails";
    StatusMessageChanged = "orders.status.message": "a status update says `Status updated`";
    StatusNotStored = "orders.status.applied": "a status update writes history but not the order";
    StatusNotesDropped = "orders.status.history-row": "a status update's notes are dropped";
    NoSkippingSteps = "orders.status.moves-allowed": "an admin may only move an order one step";
    AnyStatusStored = "orders.status.bad-status": "an unknown status is stored";
    StatusUnknownOrder500 = "orders.status.not-found": "updating an unknown order answers 500";
    AdminCancelPlain = "orders.status.cancel-like-customer": "an admin's cancel neither restocks nor refunds";
    RefundedTwice = "stripe.refund-once": "a cancellation refunds in two halves: two refunds";
    // Payments (super::payments).
    IntentWithoutClientSecret = "payment.intent.created": "a new intent's answer lacks client_secret";
    IntentObjectAnswered = "payment.intent.id-field": "payment_intent is the whole intent object, not its id";
    AmountRounded = "payment.intent.bad-amount": "fractional and string amounts are rounded and accepted";
    IntentForAnyonesOrder = "payment.intent.foreign-order": "an intent may name anyone's order";
    IntentForUnknownOrder = "payment.intent.unknown-order": "an intent may name an order that does not exist";
    IntentProviderMessage = "payment.intent.provider-error": "a Stripe outage on creating an intent answers 502 `Stripe error`";
    ConfirmNeverCalled = "payment.confirm.confirms": "confirmation only reads the intent, never confirms it";
    ConfirmAlways = "payment.confirm.already-confirmed": "an intent already confirmed is confirmed again (Stripe refuses: 400)";
    RequiresActionNeverSaid = "payment.confirm.requires-action": "requires_action is always false";
    MissingIntentId404 = "payment.confirm.missing-id": "a confirmation without payment_intent_id answers 404";
    ConfirmUnknownIntent = "payment.confirm.unknown-intent": "an unknown intent is sent to Stripe (502)";
    ConfirmAnyonesIntent = "payment.confirm.foreign-intent": "anyone may confirm anyone's intent";
    DeclineAs400 = "payment.confirm.declined": "a declined card answers 400 `Payment failed`";
    ConfirmProviderError400 = "payment.confirm.provider-error": "a Stripe outage during confirmation answers 400";
    // The webhook (super::webhook).
    WebhookAnswersReceived = "payment.webhook.valid-accepted": "the webhook answers `{received: true}`";
    PayloadParsedFirst = "payment.webhook.payload-after-signature": "the body is parsed before the signature is checked";
    RefusedEventApplied = "payment.webhook.refused-no-effect": "an event is applied before its signature is refused";
    PaidStaysPending = "payment.webhook.succeeded": "a paid order stays pending";
    PaymentResetsStatus = "payment.webhook.succeeded-keeps-later-status": "a payment moves any order back to processing";
    NoPaymentRowFromWebhook = "payment.webhook.succeeded-payment-row": "the webhook records no payment row";
    FailedPaymentCancels = "payment.webhook.failed": "a failed payment cancels the order";
    ChargeRefundedIgnored = "payment.webhook.charge-refunded": "charge.refunded is ignored";
    MetadataOrderIgnored = "payment.webhook.order-lookup": "events are matched by intent only, not metadata.order_id";
    UnknownEventRefused = "payment.webhook.unknown-type": "an unknown event type answers 400";
    // Stripe calls (super::payments, super::cancel, super::stripe_client).
    IntentAmountInDollars = "stripe.intents-at-provider": "intents are created at Stripe in dollars, not cents";
    MetadataNotSent = "stripe.intent-metadata": "an intent's metadata is not sent to Stripe";
    RefundNotMade = "stripe.refund-on-cancel": "a paid order is marked refunded without a refund at Stripe";
    RefundInDollars = "stripe.refund-full-amount": "refunds are for the total in dollars, not cents";
    ProviderErrors500 = "failure.stripe.errors": "Stripe failures answer 500";
    NoStripeTimeout = "failure.stripe.timeout": "Stripe calls wait as long as Stripe does";
    // The database (super::db).
    OutageAnswers500 = "failure.db.unavailable": "a database outage answers 500";
    OutageMessage = "failure.db.message": "a database outage answers 503 `Database unavailable`";
    OutageLosesOrders = "failure.db.after-recovery": "after an outage the orders written before it are gone";
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
        let hint = match gigcheck_base::text::closest(&wanted, &names) {
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
