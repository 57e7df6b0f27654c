//! The operations an exploration can call, read from the OpenAPI document and the contract: each
//! route's method and path, who may call it, its body and query schemas, the statuses it may
//! answer with their schemas, and its links.

use crate::contract::{Auth, Contract, Link};
use indexmap::IndexMap;
use serde_json::Value;

/// One route, as an exploration sees it.
#[derive(Debug, Clone)]
pub struct Operation {
    /// `POST /api/orders/{id}/cancel`, the contract's key.
    pub route: String,
    /// `POST`.
    pub method: String,
    /// `/api/orders/{id}/cancel`.
    pub path: String,
    /// Who may call it (`None`: the contract does not say; treated as anyone).
    pub auth: Option<Auth>,
    /// The body's schema (`{"$ref": …}` into the document), if it takes one.
    pub body: Option<Value>,
    /// Query parameters: name, schema, required.
    pub query: Vec<(String, Value, bool)>,
    /// Every status it may answer (documented and allowed), with the schema of that answer.
    pub answers: IndexMap<u16, Option<Value>>,
    /// The documented statuses alone.
    pub documented: Vec<u16>,
    /// Links from its success to other routes.
    pub links: IndexMap<String, Link>,
    /// The other methods its path takes (`GET` beside `POST /api/orders`).
    pub other_methods: Vec<String>,
}

impl Operation {
    /// Whether a path parameter (`{id}`) is part of the route.
    pub fn has_id(&self) -> bool {
        self.path.contains('{')
    }

    /// The path with `{…}` replaced by `id`.
    pub fn path_with(&self, id: &str) -> String {
        self.path
            .split('/')
            .map(|seg| if seg.starts_with('{') { id } else { seg })
            .collect::<Vec<_>>()
            .join("/")
    }

    /// Whether it acts for a signed-in caller.
    pub fn signed_in(&self) -> bool {
        matches!(self.auth, Some(Auth::User | Auth::Admin))
    }
}

/// The contract's routes that `doc` (its OpenAPI document) describes, in the contract's order.
pub fn read(contract: &Contract, doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (key, route) in &contract.routes {
        let Some((method, path)) = key.split_once(' ') else {
            continue;
        };
        let op = &doc["paths"][path][method.to_ascii_lowercase()];
        if !op.is_object() {
            continue;
        }
        let body = op
            .pointer("/requestBody/content/application~1json/schema")
            .cloned();
        let query = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| {
                Some((
                    p["name"].as_str()?.to_string(),
                    p["schema"].clone(),
                    p["required"] == true,
                ))
            })
            .collect();
        let answers = op["responses"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(status, r)| {
                let schema = r.pointer("/content/application~1json/schema").cloned();
                Some((status.parse::<u16>().ok()?, schema))
            })
            .collect();
        out.push(Operation {
            route: key.clone(),
            method: method.to_string(),
            path: path.to_string(),
            auth: route.auth,
            body,
            query,
            answers,
            documented: route.statuses().collect(),
            links: route.links.clone(),
            other_methods: doc["paths"][path]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(m, _)| m.to_ascii_uppercase())
                .filter(|m| m != method)
                .collect(),
        });
    }
    out
}
