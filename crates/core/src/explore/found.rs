//! What an exploration found: its findings, grouped into causes, each with the request its
//! example sent (to shrink it) and what a spec needs to send it again.

use super::cases::{Body, Caller, Case, Want};
use super::operations::Operation;
use super::verdict::Check;
use serde_json::Value;
use std::time::Duration;

/// One answer that broke a check.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What the request tried.
    pub what: String,
    /// `POST http://…/api/orders`.
    pub request: String,
    /// The body sent, shortened.
    pub body: Option<String>,
    /// What was wrong.
    pub message: String,
    /// What a spec needs to send it again.
    pub replay: Option<Replay>,
    /// For a walk's finding: the walk's calls up to the one that showed it, as a spec's steps
    /// (ids as the variables they capture, the broken rule as the last step's assertion).
    pub script: Option<Vec<serde_json::Value>>,
    /// The request as sent (secrets in), to try smaller ones.
    pub(super) prepared: Option<Prepared>,
}

/// Findings that share a check and a route: one cause.
#[derive(Debug, Clone)]
pub struct Cause {
    /// The check broken.
    pub check: Check,
    /// The route of the example (`GET /api/orders`).
    pub route: String,
    /// Every route it was seen on: one for most checks; several when one way of answering
    /// (an HTML error page, a wrong status for a method no route takes) runs through the API.
    pub routes: std::collections::BTreeSet<String>,
    /// How many answers broke it.
    pub count: usize,
    /// The smallest request that broke it (by body size).
    pub example: Finding,
}

/// What an exploration found.
#[derive(Debug, Clone)]
pub struct Exploration {
    /// Requests sent, setup excluded.
    pub requests: u64,
    /// How long it took, setup included.
    pub elapsed: Duration,
    /// The causes, worst check first.
    pub causes: Vec<Cause>,
    /// What could not be explored, and why (a walk the target gives no means for).
    pub notes: Vec<String>,
}

/// The password of the accounts reproducer specs sign up.
pub const PASSWORD: &str = "Expl0re!Repro1";

/// What the spec needs to rebuild the request.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// `GET`.
    pub method: String,
    /// The path with templates for ids (`/api/orders/{{order_id}}/cancel`).
    pub path: String,
    /// Query parameters.
    pub query: Vec<(String, String)>,
    /// The JSON body, with templates for ids.
    pub json: Option<Value>,
    /// A body that is not JSON (or not sent as JSON), and its Content-Type.
    pub raw: Option<(String, String)>,
    /// Who sent it.
    pub caller: Option<Caller>,
    /// A literal bearer value (forged tokens that need no key).
    pub bearer: Option<String>,
    /// Whether it uses the other customer's order or address.
    pub others: bool,
    /// What the answer had to be.
    pub want: Option<Want>,
    /// The statuses the route may answer.
    pub answers: Vec<u16>,
    /// The status seen, and the schema file for it (when the schema was what broke).
    pub schema: Option<(u16, String)>,
    /// A missing order's answer (status, error message), for another customer's order.
    pub missing: Option<(u16, Option<String>)>,
    /// The leak pattern errors must not match.
    pub leak: Option<String>,
    /// A catalogue product to order in the steps that make an order.
    pub product: Option<i64>,
}

/// A drawn request with the world's values in: what is sent, and what the answer must be.
#[derive(Debug, Clone)]
pub(super) struct Prepared {
    /// The case, its expectation adjusted to what could be filled in.
    pub(super) case: Case,
    /// What it tries, for a person.
    pub(super) what: String,
    /// The route its findings are told under.
    pub(super) route: String,
    /// The path, ids in.
    pub(super) path: String,
    /// The body, filled in.
    pub(super) body: Body,
    /// The bearer value, if any.
    pub(super) token: Option<String>,
}

impl Prepared {
    pub(super) fn method<'a>(&'a self, op: &'a Operation) -> &'a str {
        self.case.method.unwrap_or(&op.method)
    }
}
