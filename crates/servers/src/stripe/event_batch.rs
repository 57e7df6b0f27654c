//! The events one request causes ([`EventBatch`]), built from what it changed, in order, with
//! the request's id, idempotency key and API version. The store keeps them
//! ([`super::events`] lists them); [`super::webhooks`] delivers them.
//!
//! Types emitted: `payment_intent.created`, `.requires_action`, `.succeeded`, `.payment_failed`,
//! `.canceled`, `.amount_capturable_updated`; `charge.succeeded`, `.failed`, `.captured`,
//! `.refunded` (with `previous_attributes`); `refund.created`, `refund.updated`.

use super::objects::{new_id, now};
use super::request_id::RequestContext;
use serde_json::{Value, json};

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
}
