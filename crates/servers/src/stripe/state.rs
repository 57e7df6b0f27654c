//! The emulator's state: the objects and the event log ([`Store`], behind one lock, never held
//! across an `.await`), the idempotency keys, the active faults and the webhook deliveries.

use super::StripeConfig;
use super::errors::{ApiError, ApiResult};
use super::event_batch::EventBatch;
use super::faults::Faults;
use super::idempotency::IdempotencyStore;
use super::objects::{Charge, PaymentIntent, PaymentMethod, Refund};
use super::request_id::RequestContext;
use super::webhooks::Webhooks;
use axum::extract::FromRef;
use indexmap::IndexMap;
use serde_json::Value;
use std::sync::{Arc, Mutex, MutexGuard};

/// Everything one emulator instance knows. (No `Debug`: it holds the webhook secret.) The
/// parts that middleware and control routes use alone are handles on shared data, extracted as
/// substates (`State<Faults>`), so their modules need not know this one.
pub(super) struct Emulator {
    pub config: StripeConfig,
    store: Mutex<Store>,
    pub idempotency: IdempotencyStore,
    pub faults: Faults,
    pub webhooks: Webhooks,
}

impl FromRef<Arc<Emulator>> for IdempotencyStore {
    fn from_ref(emulator: &Arc<Emulator>) -> Self {
        emulator.idempotency.clone()
    }
}

impl FromRef<Arc<Emulator>> for Faults {
    fn from_ref(emulator: &Arc<Emulator>) -> Self {
        emulator.faults.clone()
    }
}

impl FromRef<Arc<Emulator>> for Webhooks {
    fn from_ref(emulator: &Arc<Emulator>) -> Self {
        emulator.webhooks.clone()
    }
}

/// The API objects, by id in creation order, and every event so far (oldest first).
#[derive(Debug, Default)]
pub(super) struct Store {
    pub payment_intents: IndexMap<String, PaymentIntent>,
    pub payment_methods: IndexMap<String, PaymentMethod>,
    pub charges: IndexMap<String, Charge>,
    pub refunds: IndexMap<String, Refund>,
    pub events: Vec<Value>,
}

impl Store {
    /// The intent named in a URL, or 404 `No such payment_intent: 'pi_x'`.
    pub(super) fn intent(&self, id: &str) -> ApiResult<&PaymentIntent> {
        self.payment_intents
            .get(id)
            .ok_or_else(|| ApiError::no_such("payment_intent", id, "intent"))
    }

    /// [`Store::intent`], to change it.
    pub(super) fn intent_mut(&mut self, id: &str) -> ApiResult<&mut PaymentIntent> {
        self.payment_intents
            .get_mut(id)
            .ok_or_else(|| ApiError::no_such("payment_intent", id, "intent"))
    }
}

impl Emulator {
    pub(super) fn new(config: StripeConfig) -> Emulator {
        let webhooks = Webhooks::new(
            config.webhook_url.clone(),
            config.webhook_secret.clone(),
            config.webhook_attempts,
            config.webhook_backoff,
            config.webhook_timeout,
        );
        Emulator {
            config,
            store: Mutex::new(Store::default()),
            idempotency: IdempotencyStore::default(),
            faults: Faults::default(),
            webhooks,
        }
    }

    /// The objects, locked.
    pub(super) fn store(&self) -> MutexGuard<'_, Store> {
        self.store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// An empty batch for the events `request` will cause.
    pub(super) fn events_for(&self, request: &RequestContext) -> EventBatch {
        EventBatch::new(request, self.webhooks.endpoints())
    }

    /// Runs one change under the lock, logs the events it caused in the same critical section
    /// (so the log follows the order of changes), then starts delivering them — also when the
    /// change answers an error (a declined confirmation still changed the intent).
    pub(super) fn transact<F>(&self, request: &RequestContext, change: F) -> ApiResult<Value>
    where
        F: FnOnce(&mut Store, &mut EventBatch) -> ApiResult<Value>,
    {
        let mut batch = self.events_for(request);
        let result = {
            let mut store = self.store();
            let result = change(&mut store, &mut batch);
            store.events.extend(batch.events.iter().cloned());
            result
        };
        for event in &batch.events {
            self.webhooks.deliver(event);
        }
        result
    }
}
