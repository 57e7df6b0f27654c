//! Finds the product each catalogue role (`crate::spec::roles`) takes, in the target's own
//! catalogue at the start of a run: a role is a rule over a product's fields, and each role gets
//! a different product. A role no product matches is left unset with the reason.

use crate::checks::assert;
use crate::engine::http::CookieJar;
use crate::engine::http::{Http, Outgoing};
use crate::spec::assertion::ValueAssertion;
use crate::spec::roles::Roles;
use crate::spec::template::NoVars;
use indexmap::IndexMap;
use serde_json::Value;
use std::time::Duration;

/// The catalogue route the contract documents, and how it pages.
const LIST: &str = "/api/products";
const PAGE_SIZE: usize = 100;
/// A catalogue read stops after this many pages (10 000 products at the page size above).
const MAX_PAGES: usize = 100;

/// What the target's catalogue gave the roles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolved {
    /// Role → product id.
    pub found: Vec<(String, Value)>,
    /// Role → why no product could have it.
    pub unmatched: Vec<(String, String)>,
}

/// Finds a product for every role not `given` from outside, reading the catalogue at `base`.
/// An error means the catalogue could not be read at all.
pub async fn resolve(
    roles: &Roles,
    http: &Http,
    base: &url::Url,
    timeout: Duration,
    given: impl Fn(&str) -> bool,
) -> Result<Resolved, String> {
    let wanted: Vec<(&String, &IndexMap<String, ValueAssertion>)> = roles
        .roles
        .iter()
        .filter(|(name, _)| !given(name))
        .collect();
    if wanted.is_empty() {
        return Ok(Resolved::default());
    }
    let reader = Reader {
        http,
        base,
        timeout,
        jar: CookieJar::default(),
    };
    let mut products = reader.list().await?;
    // The best stocked first: roles that order often keep going longest.
    products.sort_by_key(|p| {
        std::cmp::Reverse(p.get("stock_quantity").and_then(Value::as_i64).unwrap_or(0))
    });
    let mut resolved = Resolved::default();
    let mut taken: Vec<Value> = Vec::new();
    for (role, rule) in wanted {
        let mut chosen = None;
        for product in &mut products {
            let Some(id) = product.get("product_id").cloned() else {
                continue;
            };
            if taken.contains(&id) {
                continue;
            }
            if rule.keys().any(|field| product.get(field).is_none()) {
                reader.complete(product, &id).await?;
            }
            if matches(rule, product) {
                chosen = Some(id);
                break;
            }
        }
        match chosen {
            Some(id) => {
                taken.push(id.clone());
                resolved.found.push((role.clone(), id));
            }
            None => resolved
                .unmatched
                .push((role.clone(), describe(rule, taken.len()))),
        }
    }
    Ok(resolved)
}

/// Whether a product meets every part of a rule.
fn matches(rule: &IndexMap<String, ValueAssertion>, product: &Value) -> bool {
    rule.iter().all(|(field, assertion)| {
        let actual = product.get(field);
        assertion
            .0
            .iter()
            .all(|a| assert::check(a, actual, &NoVars).is_ok())
    })
}

/// `stock_quantity gte 20`, for the reason a role stays unset.
fn describe(rule: &IndexMap<String, ValueAssertion>, taken: usize) -> String {
    let parts: Vec<String> = rule
        .iter()
        .flat_map(|(field, a)| {
            // An assertion's "expected" text on nothing says what it wants: `≥ 20`, `1`.
            a.0.iter().map(move |op| {
                let wants = assert::check(op, None, &NoVars)
                    .err()
                    .map_or_else(|| op.operator().to_string(), |m| m.expected);
                format!("{field} {wants}")
            })
        })
        .collect();
    let others = if taken > 0 {
        format!(" that no other role took ({taken} taken)")
    } else {
        String::new()
    };
    format!("no product{others} has {}", parts.join(" and "))
}

/// Reads the target's catalogue over HTTP.
struct Reader<'a> {
    http: &'a Http,
    base: &'a url::Url,
    timeout: Duration,
    jar: CookieJar,
}

impl Reader<'_> {
    /// Every product of the catalogue's list, page by page.
    async fn list(&self) -> Result<Vec<Value>, String> {
        let mut products = Vec::new();
        for page in 1..=MAX_PAGES {
            let body = self
                .get(&format!("{LIST}?page={page}&limit={PAGE_SIZE}"))
                .await?;
            let items = body
                .get("products")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("GET {LIST} answered without a `products` list"))?;
            if items.is_empty() {
                break;
            }
            products.extend(items.iter().cloned());
            let pages = body.get("pages").and_then(Value::as_u64);
            if pages.is_some_and(|p| page as u64 >= p) || items.len() < PAGE_SIZE {
                break;
            }
        }
        Ok(products)
    }

    /// Adds the fields of a product's detail that its list entry left out.
    async fn complete(&self, product: &mut Value, id: &Value) -> Result<(), String> {
        let shown = id.as_str().map_or_else(|| id.to_string(), str::to_string);
        let detail = self.get(&format!("{LIST}/{shown}")).await?;
        if let (Value::Object(have), Value::Object(more)) = (product, detail) {
            for (k, v) in more {
                have.entry(k).or_insert(v);
            }
        }
        Ok(())
    }

    async fn get(&self, path: &str) -> Result<Value, String> {
        let url = crate::engine::request::resolve_url(path, Some(self.base))
            .map_err(|e| e.to_string())?;
        let outgoing = Outgoing {
            method: reqwest::Method::GET,
            url,
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
            timeout: self.timeout,
        };
        let answer = crate::engine::redirect::send(self.http, &self.jar, outgoing, true, |_| {})
            .await
            .result
            .map_err(|e| format!("reading the catalogue: {e}"))?;
        if answer.status != 200 {
            return Err(format!(
                "reading the catalogue: GET {path} answered {}",
                answer.status
            ));
        }
        serde_json::from_slice(&answer.body)
            .map_err(|e| format!("reading the catalogue: GET {path} is not JSON ({e})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rule(yaml: &str) -> IndexMap<String, ValueAssertion> {
        crate::yaml::from_str(yaml).unwrap()
    }

    #[test]
    fn rules_use_the_assertion_operators() {
        let product = json!({"product_id": 7, "stock_quantity": 1, "category": "GPUs"});
        assert!(matches(&rule("stock_quantity: 1"), &product));
        assert!(matches(
            &rule("stock_quantity: { gte: 1, lte: 5 }"),
            &product
        ));
        assert!(!matches(&rule("stock_quantity: { gte: 20 }"), &product));
        assert!(!matches(
            &rule("condition_rating: { exists: true }"),
            &product
        ));
        assert_eq!(
            describe(&rule("stock_quantity: { gte: 1, lte: 5 }"), 2),
            "no product that no other role took (2 taken) has stock_quantity >= 1 and stock_quantity <= 5"
        );
    }
}
