//! The event log: events built from what a request changed ([`EventBatch`]), kept in order, and
//! listed by `GET /v1/events` (newest first; `limit`, `type` — exact or `payment_intent.*` —
//! `types[]`, `starting_after`, `ending_before`) and `GET /v1/events/{id}`. Delivery to the
//! webhook endpoint is [`super::webhooks`]'s job.
//!
//! Types emitted: `payment_intent.created`, `.requires_action`, `.succeeded`, `.payment_failed`,
//! `.canceled`, `.amount_capturable_updated`; `charge.succeeded`, `.failed`, `.captured`,
//! `.refunded` (with `previous_attributes`); `refund.created`, `refund.updated`.

use super::auth::SecretKey;
use super::errors::{ApiError, ApiResult};
use super::lists;
use super::objects::{new_id, now};
use super::params::Params;
use super::request_id::RequestContext;
use super::state::Emulator;
use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use std::sync::Arc;

/// The API version events carry when the request sent no `Stripe-Version`.
pub(super) const DEFAULT_API_VERSION: &str = "2026-10-28.endive";

/// The events one request causes, in order.
#[derive(Debug)]
pub(super) struct EventBatch {
    request: Value,
    api_version: String,
    pending_webhooks: u32,
    pub events: Vec<Value>,
}

impl EventBatch {
    pub(super) fn new(request: &RequestContext, pending_webhooks: u32) -> EventBatch {
        EventBatch {
            request: json!({ "id": request.id, "idempotency_key": request.idempotency_key }),
            api_version: request
                .stripe_version
                .clone()
                .unwrap_or_else(|| DEFAULT_API_VERSION.to_string()),
            pending_webhooks,
            events: Vec::new(),
        }
    }

    /// Adds an event about `object` (a snapshot of it as it is now).
    pub(super) fn push(&mut self, kind: &str, object: Value, previous_attributes: Option<Value>) {
        let mut data = json!({ "object": object });
        if let Some(previous) = previous_attributes {
            data["previous_attributes"] = previous;
        }
        self.events.push(json!({
            "id": new_id("evt"),
            "object": "event",
            "api_version": self.api_version,
            "created": now(),
            "data": data,
            "livemode": false,
            "pending_webhooks": self.pending_webhooks,
            "request": self.request,
            "type": kind,
        }));
    }
}

/// Whether `event` passes the `type` / `types` filters.
fn type_matches(event: &Value, pattern: &str) -> bool {
    let kind = event["type"].as_str().unwrap_or("");
    match pattern.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => kind == pattern,
    }
}

/// `GET /v1/events`.
pub(super) async fn list(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    params: Params,
) -> ApiResult<Json<Value>> {
    let single = params.optional_text("type")?;
    let several = params.string_list("types")?;
    let events: Vec<Value> = emulator
        .store()
        .events
        .iter()
        .rev()
        .filter(|event| single.as_deref().is_none_or(|t| type_matches(event, t)))
        .filter(|event| {
            several
                .as_ref()
                .is_none_or(|types| types.iter().any(|t| type_matches(event, t)))
        })
        .cloned()
        .collect();
    lists::page(events, &params, "/v1/events").map(Json)
}

/// `GET /v1/events/{id}`.
pub(super) async fn retrieve(
    State(emulator): State<Arc<Emulator>>,
    _: SecretKey,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    emulator
        .store()
        .events
        .iter()
        .find(|event| event["id"] == id.as_str())
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::no_such("event", &id, "id"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_the_request_and_previous_attributes() {
        let request = RequestContext {
            id: "req_1".into(),
            idempotency_key: Some("k".into()),
            stripe_version: None,
        };
        let mut batch = EventBatch::new(&request, 1);
        batch.push(
            "charge.refunded",
            json!({"id": "ch_1"}),
            Some(json!({"refunded": false})),
        );
        let event = &batch.events[0];
        assert!(event["id"].as_str().unwrap().starts_with("evt_"));
        assert_eq!(event["object"], "event");
        assert_eq!(event["type"], "charge.refunded");
        assert_eq!(event["data"]["object"]["id"], "ch_1");
        assert_eq!(event["data"]["previous_attributes"]["refunded"], false);
        assert_eq!(
            event["request"],
            json!({"id": "req_1", "idempotency_key": "k"})
        );
        assert_eq!(event["pending_webhooks"], 1);
        assert_eq!(event["api_version"], DEFAULT_API_VERSION);
    }

    #[test]
    fn type_patterns() {
        let event = json!({"type": "payment_intent.succeeded"});
        assert!(type_matches(&event, "payment_intent.succeeded"));
        assert!(type_matches(&event, "payment_intent.*"));
        assert!(!type_matches(&event, "charge.*"));
        assert!(!type_matches(&event, "payment_intent"));
    }
}
