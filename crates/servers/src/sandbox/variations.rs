//! Legitimate variations the sandbox can be started with (`gigcheck sandbox --variation NAME`,
//! `gigcheck run --sandbox-variation NAME`, `all` for every one): things a *correct* backend may
//! do differently from the reference behaviour (the contract's "Variations a conforming backend
//! may show"), so that a spec suite can be shown to pass on each of them and not only on the one
//! backend it was written against. Each flips one behaviour at the one place that owns it; with
//! none switched on the sandbox is the reference backend. Unlike a [`super::defects`] entry, a
//! variation is never a contract violation.
//!
//! | name | what the sandbox then does | which backend does it | where |
//! |---|---|---|---|
//! | `trailing-slash` | the orders collection is `/api/orders/` (list and create); `/api/orders` answers 308 to it (query string kept) with Werkzeug's HTML "Redirecting..." page | Flask: a blueprint route `'/'` under `url_prefix='/api/orders'` (strict slashes), as the public code registers it | [`super::router`] (`orders_collection`), [`super::html::redirect_to_slash`] |
//! | `rate-limits` | 10 sign-ups per hour and 5 logins per minute per client IP (failed ones count); beyond, 429 with `Retry-After`, `X-RateLimit-*` and `{error, retry_after, message, limit}` | Flask-Limiter on the auth routes, with the public code's limits | [`super::limits`], [`super::auth`] (`register`, `login`) |
//! | `string-money` | every dollar amount (totals, prices, subtotals, payment amounts, `total_spent`) is a string with two decimals, `"399.99"`; Stripe cents stay integers | a Flask backend on MySQL: `DECIMAL` columns arrive as Python `Decimal`, which Flask's JSON provider writes as a string | [`super::db::money`] |
//! | `http-dates` | every timestamp is an HTTP-date, `Mon, 07 Dec 2026 01:11:22 GMT` | a Flask backend: `datetime` values, which Flask's JSON provider writes as HTTP-dates | [`super::db::shown_time`] |
//! | `extra-fields` | orders carry `tracking_number` and `notes`, products `image_url`, `image_urls` and `rental_price_3m/6m/12m`, order items `image_url`, users `created_at`, addresses `is_default` | a backend answering `SELECT *` rows of a richer schema (the public one has rental prices and image lists) | [`super::orders`] (`summary`, `items`), [`super::products`] (`summary`), [`super::auth::AuthUser::json`], [`super::addresses`] (`address`) |
//! | `lean-answers` | cancel answers `{"message": "Order cancelled successfully"}` only, a status update `{"message": "Order status updated successfully"}` only; the effects are the same | a handler that returns a message and leaves the state to `GET` | [`super::cancel`] (`answer`) |
//! | `stock-400` | insufficient stock answers 400 instead of 409, with the same message | a handler answering every validation failure with 400 | [`super::checkout`] (`short_stock`) |
//! | `other-catalogue` | another seed: ids from 101 and not contiguous, categories `GPUs`, `CPUs`, `Systems`, other names and prices, every product with at least 5 units | another deployment's catalogue (the public seed's categories) | [`super::db::seed_catalogue`] |
//! | `admin-as-int` | `is_admin` in login and `/me` answers is `1`/`0` | a MySQL `TINYINT(1)` column passed through as the driver reads it | [`super::auth::AuthUser::json`] |
//! | `created-by-strings` | `created_by` in `status_history` is `"Admin 1"` or `"Customer 7"`; null stays null | a history table that records who acted as a display string | [`super::orders`] (`history`) |
//!
//! `other-catalogue` changes the data seeded into an *empty* database: a kept `--db` keeps the
//! catalogue it was first seeded with.

use std::fmt;
use std::str::FromStr;

/// One legitimate variation. See the module documentation for what each does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variation {
    TrailingSlash,
    RateLimits,
    StringMoney,
    HttpDates,
    ExtraFields,
    LeanAnswers,
    Stock400,
    OtherCatalogue,
    AdminAsInt,
    CreatedByStrings,
}

/// The word that switches every variation on.
pub const ALL_NAME: &str = "all";

impl Variation {
    /// Every variation, in the order they are listed.
    pub const ALL: [Variation; 10] = [
        Variation::TrailingSlash,
        Variation::RateLimits,
        Variation::StringMoney,
        Variation::HttpDates,
        Variation::ExtraFields,
        Variation::LeanAnswers,
        Variation::Stock400,
        Variation::OtherCatalogue,
        Variation::AdminAsInt,
        Variation::CreatedByStrings,
    ];

    /// The kebab-case name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Variation::TrailingSlash => "trailing-slash",
            Variation::RateLimits => "rate-limits",
            Variation::StringMoney => "string-money",
            Variation::HttpDates => "http-dates",
            Variation::ExtraFields => "extra-fields",
            Variation::LeanAnswers => "lean-answers",
            Variation::Stock400 => "stock-400",
            Variation::OtherCatalogue => "other-catalogue",
            Variation::AdminAsInt => "admin-as-int",
            Variation::CreatedByStrings => "created-by-strings",
        }
    }

    /// What changes, in one line.
    pub fn summary(self) -> &'static str {
        match self {
            Variation::TrailingSlash => "/api/orders answers 308 to /api/orders/",
            Variation::RateLimits => "sign-ups 10/hour, logins 5/minute per client IP, then 429",
            Variation::StringMoney => "dollar amounts are strings (\"399.99\")",
            Variation::HttpDates => "timestamps are HTTP-dates",
            Variation::ExtraFields => "answers carry fields beyond the contract",
            Variation::LeanAnswers => "cancel and status updates answer {message} only",
            Variation::Stock400 => "insufficient stock answers 400 instead of 409",
            Variation::OtherCatalogue => {
                "another catalogue: ids from 101, GPUs/CPUs/Systems, 5+ units each"
            }
            Variation::AdminAsInt => "is_admin is 1/0",
            Variation::CreatedByStrings => {
                "status_history created_by is \"Admin 1\"/\"Customer 7\""
            }
        }
    }

    /// Every name, for messages and `--help`.
    pub fn names() -> impl Iterator<Item = &'static str> {
        Variation::ALL.into_iter().map(Variation::name)
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for Variation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Normalises a name as typed: case and `_` for `-` do not matter.
fn normalise(text: &str) -> String {
    text.trim().to_ascii_lowercase().replace('_', "-")
}

fn unknown(text: &str) -> String {
    format!(
        "unknown variation `{text}`; the variations are: {}, or {ALL_NAME}",
        Variation::names().collect::<Vec<_>>().join(", ")
    )
}

impl FromStr for Variation {
    type Err = String;

    fn from_str(text: &str) -> Result<Variation, String> {
        let wanted = normalise(text);
        Variation::ALL
            .into_iter()
            .find(|v| v.name() == wanted)
            .ok_or_else(|| unknown(text))
    }
}

/// The variations a sandbox runs with: a small set, cheap to copy into every handler.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Variations(u32);

impl Variations {
    /// No variation: the reference behaviour.
    pub const NONE: Variations = Variations(0);

    /// Every variation at once.
    pub fn all() -> Variations {
        Variation::ALL.into_iter().collect()
    }

    pub fn has(self, variation: Variation) -> bool {
        self.0 & variation.bit() != 0
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The variations in the set, in [`Variation::ALL`] order.
    pub fn iter(self) -> impl Iterator<Item = Variation> {
        Variation::ALL.into_iter().filter(move |v| self.has(*v))
    }

    /// The variations of either set.
    pub fn union(self, other: Variations) -> Variations {
        Variations(self.0 | other.0)
    }

    /// The names a command line accepts: every variation's, and `all`.
    pub fn arg_names() -> impl Iterator<Item = &'static str> {
        Variation::names().chain([ALL_NAME])
    }
}

/// One command-line value: a variation's name, or `all`.
impl FromStr for Variations {
    type Err = String;

    fn from_str(text: &str) -> Result<Variations, String> {
        if normalise(text) == ALL_NAME {
            return Ok(Variations::all());
        }
        text.parse::<Variation>().map(Variations::from)
    }
}

impl FromIterator<Variation> for Variations {
    fn from_iter<I: IntoIterator<Item = Variation>>(variations: I) -> Variations {
        Variations(variations.into_iter().fold(0, |bits, v| bits | v.bit()))
    }
}

/// The union of several sets (one per `--variation` given).
impl FromIterator<Variations> for Variations {
    fn from_iter<I: IntoIterator<Item = Variations>>(sets: I) -> Variations {
        sets.into_iter().fold(Variations::NONE, Variations::union)
    }
}

impl From<Variation> for Variations {
    fn from(variation: Variation) -> Variations {
        Variations(variation.bit())
    }
}

impl fmt::Display for Variations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.iter().map(Variation::name).collect();
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
        for v in Variation::ALL {
            assert_eq!(v.name().parse::<Variation>(), Ok(v));
            assert_eq!(v.to_string(), v.name());
            assert!(seen.insert(v.name()), "{v} twice");
            assert!(
                v.name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{v} is not kebab-case"
            );
            assert_ne!(v.name(), ALL_NAME);
        }
        assert_eq!(
            "String_Money".parse::<Variation>(),
            Ok(Variation::StringMoney)
        );
    }

    #[test]
    fn an_unknown_name_lists_the_known_ones() {
        let err = "slow-answers".parse::<Variations>().unwrap_err();
        assert!(err.contains("unknown variation `slow-answers`"), "{err}");
        for name in Variations::arg_names() {
            assert!(err.contains(name), "{name} missing from {err}");
        }
    }

    #[test]
    fn all_is_every_variation() {
        let all: Variations = "all".parse().unwrap();
        assert_eq!(all, Variations::all());
        assert!(Variation::ALL.into_iter().all(|v| all.has(v)));
        assert_eq!(all.iter().count(), Variation::ALL.len());
        assert_eq!("ALL".parse::<Variations>(), Ok(all));
    }

    #[test]
    fn sets() {
        let set: Variations = [Variation::Stock400, Variation::TrailingSlash]
            .into_iter()
            .collect();
        assert!(set.has(Variation::Stock400) && set.has(Variation::TrailingSlash));
        assert!(!set.has(Variation::HttpDates));
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            [Variation::TrailingSlash, Variation::Stock400]
        );
        assert_eq!(set.to_string(), "trailing-slash, stock-400");
        assert!(Variations::NONE.is_empty());
        assert_eq!(Variations::NONE.to_string(), "none");
        let joined: Variations = [
            Variations::from(Variation::AdminAsInt),
            "http-dates".parse().unwrap(),
        ]
        .into_iter()
        .collect();
        assert_eq!(joined.to_string(), "http-dates, admin-as-int");
    }
}
