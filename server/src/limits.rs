//! How much of the machine one client, or everyone at once, may take: the bounds the desk keeps
//! under load and under attack (docs/security.md lists each with the test that proves it).
//!
//! - **Connections** ([`LimitSettings::max_connections`]): past it, a connection is answered
//!   503 and closed (up to [`LimitSettings::overflow_connections`] more), then refused outright.
//! - **Slow clients**: a request's header must arrive within [`LimitSettings::header_read_timeout`];
//!   a connection with no byte moving either way for [`LimitSettings::idle_timeout`] is closed; a
//!   body that stalls for [`LimitSettings::body_read_timeout`] is answered 408.
//! - **Work in flight** ([`Limits::in_flight`]): past it, 503 with `Retry-After` at once (load
//!   shedding, never a queue that grows); a request taking longer than
//!   [`LimitSettings::request_timeout`] is answered 503. `/healthz` is never shed.
//! - **CPU-heavy work** runs on the blocking pool behind its own semaphores: password hashing
//!   ([`Limits::password_hashing`], argon2id with 19 MiB each) and validation
//!   ([`Limits::validation`]), each about two per core.
//! - **Anonymous validation** is rate-limited per client address ([`Limits::anonymous_validation`]).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

/// The numbers behind the limits. The defaults suit one desk on a small machine; tests shrink
/// them to reach each limit quickly.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    /// The whole request header must arrive within this.
    pub header_read_timeout: Duration,
    /// A connection on which no byte moves, either way, for this long is closed (idle
    /// keep-alive connections, and clients that stop reading a response).
    pub idle_timeout: Duration,
    /// A request body that sends nothing for this long is answered 408.
    pub body_read_timeout: Duration,
    /// A request whose answer takes longer than this is answered 503.
    pub request_timeout: Duration,
    /// Connections served normally.
    pub max_connections: usize,
    /// Connections past `max_connections` that are still answered (503) before closing; past
    /// both, a connection is closed unanswered.
    pub overflow_connections: usize,
    /// Requests being answered at once (beyond: 503 at once).
    pub max_in_flight: usize,
    /// Password hashes (argon2id, 19 MiB each) computed at once (beyond: 503).
    pub max_password_hashes: usize,
    /// Validations (certificate checks included) running at once; beyond, a request waits up to
    /// `validation_wait` for its turn, then gets 503.
    pub max_validations: usize,
    /// How long a validation may wait for its turn.
    pub validation_wait: Duration,
    /// Anonymous `POST /api/v1/registrations/validate` calls per client address: the burst.
    pub anonymous_validation_burst: u32,
    /// ...and how often one more is allowed after the burst.
    pub anonymous_validation_every: Duration,
    /// How long shutdown waits for requests in progress before closing what is left.
    pub shutdown_grace: Duration,
}

impl Default for LimitSettings {
    fn default() -> LimitSettings {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        LimitSettings {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_read_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(30),
            max_connections: 1024,
            overflow_connections: 256,
            max_in_flight: 128,
            max_password_hashes: (2 * cores).max(2),
            max_validations: (2 * cores).max(2),
            validation_wait: Duration::from_secs(5),
            anonymous_validation_burst: 20,
            anonymous_validation_every: Duration::from_secs(2),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// The live limits one desk (one process) enforces. Shared by every clone of the app state.
#[derive(Debug)]
pub struct Limits {
    /// The numbers.
    pub settings: LimitSettings,
    /// One permit per request being answered.
    pub in_flight: Arc<Semaphore>,
    /// One permit per password hash being computed.
    pub password_hashing: Arc<Semaphore>,
    /// One permit per validation running.
    pub validation: Arc<Semaphore>,
    /// Anonymous validation calls, per client address.
    pub anonymous_validation: RateLimiter,
}

impl Limits {
    /// The limits with these numbers.
    pub fn new(settings: LimitSettings) -> Limits {
        Limits {
            in_flight: Arc::new(Semaphore::new(settings.max_in_flight)),
            password_hashing: Arc::new(Semaphore::new(settings.max_password_hashes)),
            validation: Arc::new(Semaphore::new(settings.max_validations)),
            anonymous_validation: RateLimiter::new(
                settings.anonymous_validation_burst,
                settings.anonymous_validation_every,
            ),
            settings,
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::new(LimitSettings::default())
    }
}

/// The answer to a client over its rate: wait this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    /// Whole seconds, at least one (for the `Retry-After` header).
    pub fn seconds(self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)
    }
}

/// A token bucket per client address, in memory: `burst` calls at once, then one more every
/// `every`. Per process, so several instances each allow the rate; that bounds work per
/// instance, which is what it is for. The table is pruned of full buckets as it grows, so a
/// flood from many addresses cannot grow it without bound.
#[derive(Debug)]
pub struct RateLimiter {
    burst: u32,
    every: Duration,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Tokens available at `at` (fractions count).
    tokens: f64,
    at: Instant,
}

/// Past this many addresses, full buckets are dropped (a full bucket is the same as none).
const PRUNE_ABOVE: usize = 10_000;

impl RateLimiter {
    /// `burst` at once, then one every `every`.
    pub fn new(burst: u32, every: Duration) -> RateLimiter {
        RateLimiter {
            burst: burst.max(1),
            every: every.max(Duration::from_millis(1)),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one call for `client` at `now`, or says how long to wait.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), RetryAfter> {
        let burst = f64::from(self.burst);
        let per_second = 1.0 / self.every.as_secs_f64();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() > PRUNE_ABOVE {
            let full_after = self.every * self.burst;
            buckets.retain(|_, bucket| now.saturating_duration_since(bucket.at) < full_after);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        let tokens = (bucket.tokens + elapsed * per_second).min(burst);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            *bucket = Bucket { tokens, at: now };
            Err(RetryAfter(Duration::from_secs_f64(
                (1.0 - tokens) / per_second,
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_allows_the_burst_then_one_per_interval_per_address() {
        let limiter = RateLimiter::new(3, Duration::from_secs(2));
        let start = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(limiter.take(a, start), Ok(()));
        }
        let wait = limiter.take(a, start).unwrap_err();
        assert_eq!(wait.seconds(), 2);
        // Another address has its own bucket.
        assert_eq!(limiter.take(b, start), Ok(()));
        // One more after the interval, not two.
        let later = start + Duration::from_secs(2);
        assert_eq!(limiter.take(a, later), Ok(()));
        assert!(limiter.take(a, later).is_err());
    }

    #[test]
    fn the_table_is_pruned_of_full_buckets_when_it_grows() {
        let limiter = RateLimiter::new(1, Duration::from_millis(10));
        let start = Instant::now();
        for n in 0..=PRUNE_ABOVE as u32 {
            let address = IpAddr::from(n.to_be_bytes());
            limiter.take(address, start).unwrap();
        }
        limiter
            .take(
                "198.51.100.1".parse().unwrap(),
                start + Duration::from_secs(1),
            )
            .unwrap();
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
    }
}
