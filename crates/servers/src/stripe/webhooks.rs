//! Webhook delivery: every event is POSTed to the configured endpoint as JSON, signed as Stripe
//! signs (`Stripe-Signature: t=<unix seconds>,v1=<lowercase hex HMAC-SHA256 of "<t>.<body>">`,
//! keyed by the endpoint secret exactly as given, `whsec_` prefix included), by a background
//! task per event. Any 2xx is a success; anything else (or no answer within the timeout) is
//! retried with doubling backoff — Stripe's days of retries compressed to, by default, 5 attempts
//! 100 ms, 200 ms, 400 ms and 800 ms apart. Each attempt is signed afresh. Events are delivered
//! independently, so (as with Stripe) they may arrive out of order.
//!
//! `GET /__emulator/deliveries[?type=payment_intent.succeeded][&event=evt_…]` returns the
//! delivery log, oldest first:
//!
//! ```json
//! {"object": "list", "data": [{
//!   "event_id": "evt_…", "type": "payment_intent.succeeded", "url": "http://…",
//!   "status": "pending" | "delivered" | "failed",
//!   "attempts": [{"attempt": 1, "at_ms": 1700000000123, "status": 500, "error": null,
//!                 "duration_ms": 3}, …]}]}
//! ```

use axum::Json;
use axum::extract::{Query, State};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// `t=<timestamp>,v1=<signature>` for `payload`, by the one implementation the project has.
pub(super) fn signature_header(secret: &str, timestamp: i64, payload: &str) -> String {
    gigcheck_base::webhook_signature::header(secret, timestamp, payload.as_bytes())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Attempt {
    pub attempt: u32,
    /// When it was sent, Unix milliseconds.
    pub at_ms: i64,
    /// The endpoint's status, `None` when it did not answer.
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
}

#[derive(Debug, Clone, Serialize)]
pub(super) struct Delivery {
    pub event_id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    pub url: String,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
}

/// How and where events are delivered, and what happened so far (clones share the log). (No
/// `Debug`: it holds the webhook secret.)
#[derive(Clone)]
pub(super) struct Webhooks {
    url: Option<String>,
    secret: String,
    attempts: u32,
    first_backoff: Duration,
    client: Result<reqwest::Client, String>,
    log: Arc<Mutex<Vec<Delivery>>>,
}

impl Webhooks {
    pub(super) fn new(
        url: Option<String>,
        secret: String,
        attempts: u32,
        first_backoff: Duration,
        timeout: Duration,
    ) -> Webhooks {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let builder = reqwest::Client::builder().timeout(timeout).no_proxy();
        let client = gigcheck_base::http_client::roots_only_for_https(builder, url.as_deref())
            .build()
            .map_err(|e| format!("cannot build the webhook client: {e}"));
        Webhooks {
            url,
            secret,
            attempts: attempts.max(1),
            first_backoff,
            client,
            log: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Whether events go anywhere (their `pending_webhooks`).
    pub(super) fn endpoints(&self) -> u32 {
        u32::from(self.url.is_some())
    }

    fn log(&self) -> MutexGuard<'_, Vec<Delivery>> {
        lock(&self.log)
    }

    /// Starts delivering `event` in the background (nothing when no endpoint is configured).
    /// Must be called from inside a tokio runtime (every handler is).
    pub(super) fn deliver(&self, event: &Value) {
        let Some(url) = self.url.clone() else {
            return;
        };
        let event_id = event["id"].as_str().unwrap_or("").to_string();
        let payload = serde_json::to_string_pretty(event).unwrap_or_default();
        self.log().push(Delivery {
            event_id: event_id.clone(),
            event_type: event["type"].as_str().unwrap_or("").to_string(),
            url: url.clone(),
            status: DeliveryStatus::Pending,
            attempts: Vec::new(),
        });
        let job = Job {
            client: self.client.clone(),
            url,
            secret: self.secret.clone(),
            payload,
            event_id,
            attempts: self.attempts,
            first_backoff: self.first_backoff,
            log: self.log.clone(),
        };
        tokio::spawn(job.run());
    }

    /// The log, oldest first, optionally only one event type or one event.
    pub(super) fn deliveries(
        &self,
        event_type: Option<&str>,
        event_id: Option<&str>,
    ) -> Vec<Delivery> {
        self.log()
            .iter()
            .filter(|d| event_type.is_none_or(|t| d.event_type == t))
            .filter(|d| event_id.is_none_or(|id| d.event_id == id))
            .cloned()
            .collect()
    }
}

fn lock(log: &Mutex<Vec<Delivery>>) -> MutexGuard<'_, Vec<Delivery>> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// One event's delivery, with its retries.
struct Job {
    client: Result<reqwest::Client, String>,
    url: String,
    secret: String,
    payload: String,
    event_id: String,
    attempts: u32,
    first_backoff: Duration,
    log: Arc<Mutex<Vec<Delivery>>>,
}

impl Job {
    async fn run(self) {
        let mut backoff = self.first_backoff;
        for number in 1..=self.attempts {
            let attempt = self.attempt(number).await;
            let delivered = attempt.status.is_some_and(|s| (200..300).contains(&s));
            let last = number == self.attempts;
            let outcome = match (delivered, last) {
                (true, _) => Some(DeliveryStatus::Delivered),
                (false, true) => Some(DeliveryStatus::Failed),
                (false, false) => None, // still pending: another attempt follows
            };
            self.record(attempt, outcome);
            if delivered {
                return;
            }
            if !last {
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
        }
    }

    async fn attempt(&self, number: u32) -> Attempt {
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let started = Instant::now();
        let result = match &self.client {
            Ok(client) => client
                .post(&self.url)
                .header("content-type", "application/json; charset=utf-8")
                .header(
                    "user-agent",
                    "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                )
                .header(
                    "stripe-signature",
                    signature_header(&self.secret, at.as_secs() as i64, &self.payload),
                )
                .body(self.payload.clone())
                .send()
                .await
                .map(|response| response.status().as_u16())
                .map_err(|e| error_chain(&e)),
            Err(e) => Err(e.clone()),
        };
        let (status, error) = match result {
            Ok(status) => (Some(status), None),
            Err(error) => (None, Some(error)),
        };
        Attempt {
            attempt: number,
            at_ms: at.as_millis() as i64,
            status,
            error,
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }

    fn record(&self, attempt: Attempt, outcome: Option<DeliveryStatus>) {
        let mut log = lock(&self.log);
        if let Some(delivery) = log.iter_mut().rev().find(|d| d.event_id == self.event_id) {
            delivery.attempts.push(attempt);
            if let Some(status) = outcome {
                delivery.status = status;
            }
        }
    }
}

/// An error and its causes on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// `GET /__emulator/deliveries`.
pub(super) async fn deliveries(
    State(webhooks): State<Webhooks>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let log = webhooks.deliveries(
        query.get("type").map(String::as_str),
        query.get("event").map(String::as_str),
    );
    Json(json!({ "object": "list", "data": log }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_an_independent_hmac() {
        // python3: hmac.new(b'whsec_test_secret', b'1700000000.{"id":"evt_1"}', hashlib.sha256).hexdigest()
        assert_eq!(
            signature_header("whsec_test_secret", 1_700_000_000, r#"{"id":"evt_1"}"#),
            "t=1700000000,v1=248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a"
        );
    }

    #[test]
    fn the_secret_is_used_as_given() {
        let h = |secret, t| signature_header(secret, t, "{}");
        assert_ne!(h("whsec_abc", 1), h("abc", 1));
        assert_ne!(h("whsec_abc", 1), h("whsec_abc", 2));
    }

    #[test]
    fn no_endpoint_means_no_deliveries() {
        let webhooks = Webhooks::new(
            None,
            "whsec_x".into(),
            5,
            Duration::from_millis(100),
            Duration::from_secs(1),
        );
        webhooks.deliver(&json!({"id": "evt_1", "type": "x"}));
        assert!(webhooks.deliveries(None, None).is_empty());
        assert_eq!(webhooks.endpoints(), 0);
    }
}
