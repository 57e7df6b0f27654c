//! Rate limits, for the `rate-limits` variation ([`super::variations`]): sign-ups 10 per hour
//! and logins 5 per minute per client IP, as Flask-Limiter counts them in a *moving window*:
//! every request to the route counts (a failed login too), a request refused with 429 does not,
//! and a slot frees when the oldest counted request leaves the window. `Retry-After` says when
//! that is.
//!
//! Also the [`ClientIp`] extractor (the peer address of the connection; `X-Forwarded-For` is not
//! believed, since any client could set it to dodge the limit).

use super::errors::ApiError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// One limit: at most `max` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Which route it guards, to keep the counts apart.
    pub route: &'static str,
    pub max: usize,
    pub window: Duration,
    /// How Flask-Limiter writes it, for the answer's body.
    pub text: &'static str,
}

/// `POST /api/auth/register`: 10 per hour.
pub const SIGNUPS: Limit = Limit {
    route: "register",
    max: 10,
    window: Duration::from_secs(3600),
    text: "10 per 1 hour",
};

/// `POST /api/auth/login`: 5 per minute.
pub const LOGINS: Limit = Limit {
    route: "login",
    max: 5,
    window: Duration::from_secs(60),
    text: "5 per 1 minute",
};

/// A refused request: what the 429 says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub limit: Limit,
    /// Whole seconds until a slot frees (at least 1).
    pub retry_after: u64,
}

impl Refusal {
    /// When the slot frees, in Unix seconds (`X-RateLimit-Reset`).
    pub fn reset_at(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
            .saturating_add(self.retry_after)
    }
}

/// When this many keys are kept, keys whose requests have all left their window are dropped.
const PRUNE_AT: usize = 1024;

/// The requests counted per (route, client IP), oldest first.
#[derive(Default)]
pub struct RateLimiter {
    hits: Mutex<HashMap<(&'static str, IpAddr), VecDeque<Instant>>>,
}

/// Drops the requests of `hits` that left the window by `now`.
fn expire(hits: &mut VecDeque<Instant>, window: Duration, now: Instant) {
    while hits
        .front()
        .is_some_and(|t| now.saturating_duration_since(*t) >= window)
    {
        hits.pop_front();
    }
}

/// Whole seconds from `now` until `oldest` leaves the window, at least 1.
fn seconds_until_free(oldest: Instant, window: Duration, now: Instant) -> u64 {
    let left = window.saturating_sub(now.saturating_duration_since(oldest));
    let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
    secs.max(1)
}

impl RateLimiter {
    /// Counts a request from `ip` at `now` against `limit`, or refuses it (uncounted).
    pub fn hit(&self, limit: Limit, ip: IpAddr, now: Instant) -> Result<(), Refusal> {
        let mut map = self.hits.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= PRUNE_AT {
            map.retain(|(route, _), hits| {
                let window = if *route == SIGNUPS.route {
                    SIGNUPS.window
                } else {
                    LOGINS.window
                };
                expire(hits, window, now);
                !hits.is_empty()
            });
        }
        let hits = map.entry((limit.route, ip)).or_default();
        expire(hits, limit.window, now);
        match hits.front() {
            Some(oldest) if hits.len() >= limit.max => Err(Refusal {
                limit,
                retry_after: seconds_until_free(*oldest, limit.window, now),
            }),
            _ => {
                hits.push_back(now);
                Ok(())
            }
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(r: Refusal) -> ApiError {
        let reset_at = r.reset_at();
        ApiError::TooManyRequests {
            max: r.limit.max,
            per: r.limit.text,
            retry_after: r.retry_after,
            reset_at,
        }
    }
}

/// The client's IP address: the connection's peer. Requests that come without one (a router
/// driven in-process) share one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<ClientIp, Self::Rejection> {
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip());
        Ok(ClientIp(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2));

    #[test]
    fn a_moving_window_per_route_and_ip() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        let s = Duration::from_secs;
        for i in 0..5 {
            assert_eq!(limiter.hit(LOGINS, A, t0 + s(i)), Ok(()), "login {i}");
        }
        // The 6th within the minute is refused until the first (at t0) leaves: 55 s later.
        let refused = limiter.hit(LOGINS, A, t0 + s(5)).unwrap_err();
        assert_eq!(refused.retry_after, 55);
        assert_eq!(refused.limit, LOGINS);
        // Refusals are not counted: the slot still frees at t0 + 60 s.
        assert!(limiter.hit(LOGINS, A, t0 + s(30)).is_err());
        assert_eq!(
            limiter.hit(LOGINS, A, t0 + s(59)).unwrap_err().retry_after,
            1
        );
        assert_eq!(limiter.hit(LOGINS, A, t0 + s(60)), Ok(()));
        // … and then the next one waits for the request made at t0 + 1 s.
        assert_eq!(
            limiter.hit(LOGINS, A, t0 + s(60)).unwrap_err().retry_after,
            1
        );
        // Another client, and another route of the same client, have their own counts.
        assert_eq!(limiter.hit(LOGINS, B, t0 + s(5)), Ok(()));
        assert_eq!(limiter.hit(SIGNUPS, A, t0 + s(5)), Ok(()));
    }

    #[test]
    fn signups_ten_an_hour() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..10 {
            assert!(limiter.hit(SIGNUPS, A, t0 + Duration::from_secs(i)).is_ok());
        }
        let refused = limiter
            .hit(SIGNUPS, A, t0 + Duration::from_millis(10_500))
            .unwrap_err();
        // 3600 s - 10.5 s, rounded up.
        assert_eq!(refused.retry_after, 3590);
        assert!(refused.reset_at() > 1_700_000_000);
    }

    #[test]
    fn whole_seconds_round_up() {
        let t0 = Instant::now();
        let w = Duration::from_secs(60);
        assert_eq!(seconds_until_free(t0, w, t0), 60);
        assert_eq!(
            seconds_until_free(t0, w, t0 + Duration::from_millis(100)),
            60
        );
        assert_eq!(seconds_until_free(t0, w, t0 + Duration::from_secs(60)), 1);
    }

    #[test]
    fn idle_keys_are_pruned() {
        let limiter = RateLimiter::default();
        let t0 = Instant::now();
        for i in 0..PRUNE_AT as u32 {
            let ip = IpAddr::V4(Ipv4Addr::from(i));
            limiter.hit(LOGINS, ip, t0).unwrap();
        }
        limiter
            .hit(LOGINS, A, t0 + Duration::from_secs(61))
            .unwrap();
        assert_eq!(limiter.hits.lock().unwrap().len(), 1);
    }
}
