//! The event log, built by [`super::event_batch`] and kept in order in the store: listed by
//! `GET /v1/events` (newest first; `limit`, `type` — exact or `payment_intent.*` —
//! `types[]`, `starting_after`, `ending_before`) and `GET /v1/events/{id}`. Delivery to the
//! webhook endpoint is [`super::webhooks`]'s job.

use super::auth::SecretKey;
use super::errors::{ApiError, ApiResult};
use super::lists;
use super::params::Params;
use super::state::Emulator;
use axum::Json;
use axum::extract::{Path, State};
use serde_json::Value;
use std::sync::Arc;

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
    use serde_json::json;

    #[test]
    fn type_patterns() {
        let event = json!({"type": "payment_intent.succeeded"});
        assert!(type_matches(&event, "payment_intent.succeeded"));
        assert!(type_matches(&event, "payment_intent.*"));
        assert!(!type_matches(&event, "charge.*"));
        assert!(!type_matches(&event, "payment_intent"));
    }
}
