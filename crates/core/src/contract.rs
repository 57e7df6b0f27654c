//! The contract a project checks, as data (`fixtures/contract.yaml`): its routes with the statuses
//! each documents, and its rules — one line per normative statement, under a stable id that
//! scenarios and steps name with `verifies:`. The loader rejects an id the contract does not
//! have; the reports say which rules a run checked, which broke, and which no scenario checks.
//!
//! A rule no black-box client can observe is kept with the reason (`unobservable:`), so the
//! inventory stays whole and the coverage counts only what a run could check.
//!
//! A route is its statuses alone (`[200, 404]`) or a full description — who may call it, the
//! schemas of its query, body and answers, and links to the operations that use what it returns —
//! from which `gigcheck openapi` writes an OpenAPI document.

use indexmap::IndexMap;
use serde::Deserialize;

/// The contract file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// `METHOD /path` (`{id}` for one path segment) → what the contract says of it.
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub routes: IndexMap<String, Route>,
    /// Rule id → the rule.
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub rules: IndexMap<String, Rule>,
}

/// One route: its documented statuses, and when written in full its request and answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawRoute")]
pub struct Route {
    /// The OpenAPI `operationId` (`placeOrder`).
    pub operation: Option<String>,
    /// One line saying what the route does.
    pub summary: Option<String>,
    /// Who may call it; `None` when the contract file gives the statuses alone.
    pub auth: Option<Auth>,
    /// Schema (in the schemas folder) of the query parameters, as an object of them.
    pub query: Option<String>,
    /// Schema of the JSON body.
    pub body: Option<String>,
    /// Documented status → schema of its body (`None`: no schema given).
    pub responses: IndexMap<u16, Option<String>>,
    /// Answers the contract allows without documenting them for this route (401 on a signed-in
    /// route, 429 under a rate limit): never a finding, never owed to contract coverage.
    pub also: IndexMap<u16, Option<String>>,
    /// Named links from a successful answer to the operations that use what it returns.
    pub links: IndexMap<String, Link>,
}

impl Route {
    /// The documented statuses, in the file's order.
    pub fn statuses(&self) -> impl Iterator<Item = u16> + '_ {
        self.responses.keys().copied()
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Auth {
    /// Anyone.
    None,
    /// A signed-in user (`Authorization: Bearer <JWT>`).
    User,
    /// An administrator's token.
    Admin,
    /// Stripe, proving it with the `Stripe-Signature` header.
    StripeSignature,
}

/// A link from one route's successful answer to another route (OpenAPI's Link Object): runtime
/// expressions (`$response.body#/order/id`) saying where the next call's values come from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    /// The route it leads to (`GET /api/orders/{id}`), a key of `routes`.
    pub to: String,
    /// Path or query parameter → where its value comes from.
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub parameters: IndexMap<String, String>,
    /// Body field → where its value comes from.
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub body: IndexMap<String, String>,
    /// Where the bearer token for the next call comes from (`$response.body#/token`).
    pub bearer: Option<String>,
}

/// A route as written: its statuses alone, or in full. Told apart by the YAML node's kind, so a
/// mistake in the full form gets that form's own message (unknown field, missing `responses`).
enum RawRoute {
    Statuses(Vec<u16>),
    Full(Box<FullRoute>),
}

impl<'de> Deserialize<'de> for RawRoute {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RawRoute, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawRoute;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of statuses or a mapping with `auth` and `responses`")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<RawRoute, A::Error> {
                Vec::deserialize(serde::de::value::SeqAccessDeserializer::new(seq))
                    .map(RawRoute::Statuses)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<RawRoute, A::Error> {
                FullRoute::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|full| RawRoute::Full(Box::new(full)))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FullRoute {
    operation: Option<String>,
    summary: Option<String>,
    auth: Auth,
    query: Option<String>,
    body: Option<String>,
    #[serde(deserialize_with = "crate::spec::unique::map")]
    responses: IndexMap<String, Option<String>>,
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    also: IndexMap<String, Option<String>>,
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    links: IndexMap<String, Link>,
}

/// `{ "201": schema, … }` with each status checked to be one.
fn by_status(
    written: IndexMap<String, Option<String>>,
) -> Result<IndexMap<u16, Option<String>>, String> {
    written
        .into_iter()
        .map(|(status, schema)| {
            status
                .parse::<u16>()
                .ok()
                .filter(|c| (100..=599).contains(c))
                .map(|code| (code, schema))
                .ok_or_else(|| format!("status `{status}` is not a number from 100 to 599"))
        })
        .collect()
}

impl TryFrom<RawRoute> for Route {
    type Error = String;

    fn try_from(raw: RawRoute) -> Result<Route, String> {
        let full = match raw {
            RawRoute::Statuses(statuses) => {
                return Ok(Route {
                    operation: None,
                    summary: None,
                    auth: None,
                    query: None,
                    body: None,
                    responses: statuses.into_iter().map(|s| (s, None)).collect(),
                    also: IndexMap::new(),
                    links: IndexMap::new(),
                });
            }
            RawRoute::Full(full) => *full,
        };
        Ok(Route {
            operation: full.operation,
            summary: full.summary,
            auth: Some(full.auth),
            query: full.query,
            body: full.body,
            responses: by_status(full.responses)?,
            also: by_status(full.also)?,
            links: full.links,
        })
    }
}

/// One rule: a line of text, and why it cannot be observed, if it cannot.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(from = "RawRule")]
pub struct Rule {
    /// The normative statement, as the reports quote it.
    pub text: String,
    /// Why no black-box client can check the rule; `None` for a rule a run can check (a blank
    /// reason counts as none).
    pub unobservable: Option<String>,
}

/// A rule as written: its text alone, or `{ text, unobservable }`.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawRule {
    Text(String),
    Full(FullRule),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FullRule {
    text: String,
    unobservable: Option<String>,
}

impl From<RawRule> for Rule {
    fn from(raw: RawRule) -> Rule {
        match raw {
            RawRule::Text(text) => Rule {
                text,
                unobservable: None,
            },
            RawRule::Full(f) => Rule {
                text: f.text,
                unobservable: f.unobservable.filter(|r| !r.trim().is_empty()),
            },
        }
    }
}

impl Rule {
    /// Whether a run can check the rule, so it counts towards coverage.
    pub fn observable(&self) -> bool {
        self.unobservable.is_none()
    }
}

/// Whether `id` is written as rule ids are: dotted lower-case words (`orders.create.total`).
pub fn is_rule_id(id: &str) -> bool {
    let mut parts = 0;
    for part in id.split('.') {
        if part.is_empty()
            || !part
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return false;
        }
        parts += 1;
    }
    parts >= 2
}

impl Contract {
    /// Reads and checks the file: every rule id well formed.
    pub fn load(path: &std::path::Path) -> Result<Contract, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Contract::parse(text.trim_start_matches(crate::diagnostic::BOM))
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Parses the contract from YAML text, checking that every rule id is well formed.
    pub fn parse(text: &str) -> Result<Contract, String> {
        let contract: Contract = crate::yaml::from_str(text).map_err(|e| e.to_string())?;
        if let Some(bad) = contract.rules.keys().find(|id| !is_rule_id(id)) {
            return Err(format!(
                "rule id `{bad}` is not dotted lower-case words (like `orders.create.total`)"
            ));
        }
        for (name, route) in &contract.routes {
            for (link, to) in &route.links {
                if !contract.routes.contains_key(&to.to) {
                    return Err(format!(
                        "route `{name}`: link `{link}` leads to `{}`, which is not one of the routes",
                        to.to
                    ));
                }
            }
        }
        Ok(contract)
    }

    /// The route pattern (`POST /api/orders/{id}/cancel`) a request matches, if any.
    pub(crate) fn route_of(&self, method: &str, path: &str) -> Option<&str> {
        let path = path.trim_end_matches('/');
        self.routes.keys().map(String::as_str).find(|route| {
            let Some((m, pattern)) = route.split_once(' ') else {
                return false;
            };
            if m != method {
                return false;
            }
            let want: Vec<&str> = pattern.trim_end_matches('/').split('/').collect();
            let got: Vec<&str> = path.split('/').collect();
            want.len() == got.len()
                && want
                    .iter()
                    .zip(&got)
                    .all(|(w, g)| (w.starts_with('{') && !g.is_empty()) || w == g)
        })
    }

    /// The rule ids, in the file's order.
    pub(crate) fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_text_or_text_with_a_reason() {
        let c = Contract::parse(
            "routes:\n  GET /a: [200]\nrules:\n  a.b: One.\n  a.c:\n    text: Two.\n    unobservable: inside the database\n",
        )
        .unwrap();
        assert_eq!(c.rules["a.b"].text, "One.");
        assert!(c.rules["a.b"].observable());
        assert_eq!(
            c.rules["a.c"].unobservable.as_deref(),
            Some("inside the database")
        );
        assert_eq!(c.rule_ids().collect::<Vec<_>>(), ["a.b", "a.c"]);
    }

    #[test]
    fn routes_are_statuses_alone_or_written_in_full() {
        let c = Contract::parse(
            "routes:\n  GET /a: [200, 404]\n  POST /b:\n    auth: user\n    body: b.json\n    responses: { 201: b-created.json, 400: ~ }\n    also: { 401: error.json }\n    links:\n      a: { to: GET /a, bearer: $response.body#/token }\n",
        )
        .unwrap();
        let a = &c.routes["GET /a"];
        assert_eq!(a.statuses().collect::<Vec<_>>(), [200, 404]);
        assert_eq!(a.auth, None);
        let b = &c.routes["POST /b"];
        assert_eq!(b.statuses().collect::<Vec<_>>(), [201, 400]);
        assert_eq!(b.auth, Some(Auth::User));
        assert_eq!(b.responses[&201].as_deref(), Some("b-created.json"));
        assert_eq!(b.responses[&400], None);
        assert_eq!(b.also.keys().collect::<Vec<_>>(), [&401]);
        assert_eq!(
            b.links["a"].bearer.as_deref(),
            Some("$response.body#/token")
        );

        let err =
            Contract::parse("routes:\n  GET /a:\n    auth: none\n    responses: { 20: x.json }\n")
                .unwrap_err();
        assert!(err.contains("status `20`"), "{err}");
        let err =
            Contract::parse("routes:\n  GET /a:\n    auth: none\n    respones: { 200: x.json }\n")
                .unwrap_err();
        assert!(err.contains("respones"), "{err}");
        let err = Contract::parse(
            "routes:\n  GET /a:\n    auth: none\n    responses: { 200: ~ }\n    links: { b: { to: GET /b } }\n",
        )
        .unwrap_err();
        assert!(
            err.contains("`GET /b`, which is not one of the routes"),
            "{err}"
        );
    }

    #[test]
    fn ids_are_dotted_lower_case_and_unique() {
        for good in ["a.b", "orders.create.total", "x.y-z.2"] {
            assert!(is_rule_id(good), "{good}");
        }
        for bad in ["a", "A.b", "a..b", "a.b.", "a b.c", ""] {
            assert!(!is_rule_id(bad), "{bad}");
        }
        let err = Contract::parse("rules:\n  Orders.total: x\n").unwrap_err();
        assert!(err.contains("`Orders.total`"), "{err}");
        let err = Contract::parse("rules:\n  a.b: x\n  a.b: y\n").unwrap_err();
        assert!(err.contains("a.b"), "{err}");
    }
}
