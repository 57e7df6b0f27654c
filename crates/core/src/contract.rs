//! The contract a project checks, as data (`fixtures/contract.yaml`): its routes with the statuses
//! each documents, and its rules — one line per normative statement, under a stable id that
//! scenarios and steps name with `verifies:`. The loader rejects an id the contract does not
//! have; the reports say which rules a run checked, which broke, and which no scenario checks.
//!
//! A rule no black-box client can observe is kept with the reason (`unobservable:`), so the
//! inventory stays whole and the coverage counts only what a run could check.

use indexmap::IndexMap;
use serde::Deserialize;

/// The contract file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contract {
    /// `METHOD /path` (`{id}` for one path segment) → the statuses it documents.
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub routes: IndexMap<String, Vec<u16>>,
    /// Rule id → the rule.
    #[serde(default, deserialize_with = "crate::spec::unique::map")]
    pub rules: IndexMap<String, Rule>,
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
