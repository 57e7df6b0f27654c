//! What every handler shares: the database, the JWT keys, the Stripe client, the webhook
//! secret, the deliberate [`Defects`] and the legitimate [`Variations`] switched on (none,
//! normally), the rate limiter (used only with the `rate-limits` variation), the counts of
//! sign-ups and logins served ([`Counts`], shown at `GET /__sandbox/stats`), and one lock per
//! order so that operations which call Stripe between two database transactions (a refunding
//! cancellation) never run twice for the same order at once.

use super::db::Db;
use super::defects::Defects;
use super::limits::RateLimiter;
use super::stripe_client::StripeClient;
use super::tokens::JwtKeys;
use super::variations::Variations;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub type AppState = Arc<State>;

pub struct State {
    pub db: Db,
    pub jwt: JwtKeys,
    pub stripe: StripeClient,
    pub webhook_secret: String,
    pub log_requests: bool,
    pub order_locks: OrderLocks,
    /// The bugs this sandbox was started with (see [`super::defects`]).
    pub defects: Defects,
    /// The legitimate differences this sandbox was started with (see [`super::variations`]).
    pub variations: Variations,
    /// Requests per client IP on the limited routes (only consulted with `rate-limits`).
    pub limiter: RateLimiter,
    pub counts: Counts,
}

/// How many requests the auth routes have received since the start, whatever they were
/// answered (a malformed body, a taken email, a wrong password and a 429 count too): what a
/// test run costs a deployment's rate limits.
#[derive(Default)]
pub struct Counts {
    signups: AtomicU64,
    logins: AtomicU64,
}

impl Counts {
    pub fn signup(&self) {
        self.signups.fetch_add(1, Ordering::Relaxed);
    }

    pub fn login(&self) {
        self.logins.fetch_add(1, Ordering::Relaxed);
    }

    /// `(sign-ups, logins)` so far.
    pub fn read(&self) -> (u64, u64) {
        (
            self.signups.load(Ordering::Relaxed),
            self.logins.load(Ordering::Relaxed),
        )
    }
}

/// One async mutex per order id, created on demand and forgotten when nobody holds it.
#[derive(Default)]
pub struct OrderLocks(Mutex<HashMap<i64, Arc<tokio::sync::Mutex<()>>>>);

impl OrderLocks {
    /// Waits until no other operation holds `order_id`, then holds it until the guard drops.
    pub async fn lock(&self, order_id: i64) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
            // Entries only the map refers to are free: drop them so the map stays small.
            map.retain(|_, m| Arc::strong_count(m) > 1);
            map.entry(order_id).or_default().clone()
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_holder_per_order() {
        let locks = Arc::new(OrderLocks::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let max = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (locks, inside, max) = (locks.clone(), inside.clone(), max.clone());
            tasks.push(tokio::spawn(async move {
                let _g = locks.lock(7).await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                max.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(max.load(Ordering::SeqCst), 1);
        // Another order is not blocked by order 7.
        let _a = locks.lock(7).await;
        let _b = locks.lock(8).await;
    }
}
