//! Catalogue roles (the model; [`crate::engine::roles`] finds their products): the products scenarios order, found in the target's own catalogue at the
//! start of a run instead of assumed (`fixtures/roles.yaml`). Every deployment has other
//! product ids and stock levels, so a role is a rule over a product's fields —
//! `gpu: { stock_quantity: { gte: 20 } }` — and each role gets a different product.
//!
//! A value given from outside (`--var gpu=12`, an `--env` file's `vars`) wins over the rule. A
//! role no product matches is left unset with the reason, and the scenarios that need it are
//! skipped saying so; never is another deployment's id used.

use crate::spec::assertion::ValueAssertion;
use indexmap::IndexMap;

/// Role → the rule a product must meet: product field → what its value must be.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// `roles:` of `fixtures/roles.yaml`: role name → product field → the value it must have,
    /// e.g. `gpu: { stock_quantity: { gte: 20 } }`; in file order.
    #[serde(deserialize_with = "crate::spec::unique::map")]
    pub roles: IndexMap<String, IndexMap<String, ValueAssertion>>,
}

impl Roles {
    /// The role names, in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.roles.keys().map(String::as_str)
    }
}
