//! Throttling of sign-in: slow guessing down without locking the real user out (OWASP
//! Authentication Cheat Sheet, "Login Throttling"; OWASP "Slow Down Online Guessing Attacks
//! with Device Cookies"; NCSC password guidance).
//!
//! Every attempt is **recorded before its password is checked**, in the same transaction that
//! checked the limits ([`store::sign_in::reserve`]), and forgotten only if it proves right. So
//! guesses sent in parallel are counted one after another, and no burst gets more checks than
//! the limit allows.
//!
//! Three counts, and which applies depends on the browser:
//! - **A browser that signed in to this account before** presents its device cookie
//!   (`appreg_device`, issued at each successful sign-in, a year long). Its attempts count
//!   against that cookie only: [`MAX_FAILURES_PER_DEVICE`] in [`DEVICE_WINDOW`]. Guessing from
//!   anywhere else never locks it out.
//! - **Any other browser or script**, per account: the first [`FREE_FAILURES_PER_ACCOUNT`]
//!   failures in [`ACCOUNT_WINDOW`] are free (typing mistakes), then each further attempt waits
//!   [`FIRST_DELAY`] after the latest, doubling up to [`MAX_DELAY`]: an attacker gets about a
//!   hundred guesses a day, not thousands.
//! - ...and per client address: [`MAX_FAILURES_PER_CLIENT`] in [`CLIENT_WINDOW`]. Only failed
//!   attempts count (a right password is forgotten), and the limit is high, because the staff of
//!   a whole trust may share one address.
//!
//! Unknown emails count like known ones, so the limits do not reveal which accounts exist. The
//! attempts live in the database, so the limits hold across restarts and across instances
//! sharing it. The client address is the TCP peer: behind a reverse proxy, that is the proxy (no
//! `X-Forwarded-For` is trusted, since any client can write one). Without a peer address (tests
//! calling the router directly) every request shares the client key [`UNKNOWN_CLIENT`].
//! Answering (429 and `Retry-After`) is the web layer's.

use sqlx::AnyPool;
use time::{Duration, OffsetDateTime};

use crate::store;
use crate::store::sign_in::{History, NewAttempt, Windows};

/// Failures per account (without its device cookie) that cost nothing.
pub const FREE_FAILURES_PER_ACCOUNT: i64 = 5;

/// How long an account's failures are remembered.
pub const ACCOUNT_WINDOW: Duration = Duration::hours(24);

/// The wait after the first failure past the free ones; it doubles with each further failure.
pub const FIRST_DELAY: Duration = Duration::seconds(30);

/// The longest wait between two attempts on one account.
pub const MAX_DELAY: Duration = Duration::minutes(15);

/// Failed attempts allowed per client address (without a device cookie) in [`CLIENT_WINDOW`].
pub const MAX_FAILURES_PER_CLIENT: i64 = 100;

/// The window of the per-address count.
pub const CLIENT_WINDOW: Duration = Duration::minutes(15);

/// Failed attempts allowed per device cookie in [`DEVICE_WINDOW`].
pub const MAX_FAILURES_PER_DEVICE: i64 = 10;

/// The window of the per-device count.
pub const DEVICE_WINDOW: Duration = Duration::hours(1);

/// A device cookie unused for this long is forgotten.
pub const DEVICE_LIFETIME: Duration = Duration::days(365);

/// The client key when the peer address is not known.
pub const UNKNOWN_CLIENT: &str = "unknown";

/// The windows the store counts over.
const WINDOWS: Windows = Windows {
    account: ACCOUNT_WINDOW,
    client: CLIENT_WINDOW,
    device: DEVICE_WINDOW,
};

/// Sign-in is refused for now: 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Seconds until an attempt may be made again.
    pub retry_after_seconds: u64,
}

impl Limited {
    /// What the person is told: when to try again.
    pub fn message(self) -> String {
        let minutes = self.retry_after_seconds.div_ceil(60).max(1);
        format!(
            "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
            if minutes == 1 { "" } else { "s" }
        )
    }
}

/// Who is attempting: the account named, from where, and with which device cookie.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    /// The email as typed, trimmed and lower-case.
    pub account: &'a str,
    /// The client's key (its address; `web::session::client_key`).
    pub client: &'a str,
    /// The id of the device cookie presented, when it was issued to this account.
    pub trusted_device: Option<&'a str>,
}

/// A recorded attempt: [`succeeded`] forgets it; otherwise it stays as a failure.
#[derive(Debug)]
pub struct Reserved {
    id: String,
    device: Option<String>,
}

/// Checks the limits for `attempt` at `now` and, if it may go ahead, records it before any
/// password is checked.
pub async fn reserve(
    pool: &AnyPool,
    attempt: &Attempt<'_>,
    now: OffsetDateTime,
) -> anyhow::Result<Result<Reserved, Limited>> {
    let new = NewAttempt {
        account: attempt.account,
        client: attempt.client,
        device: attempt.trusted_device,
        at: now,
    };
    let reserved = store::sign_in::reserve(pool, &new, WINDOWS, |history| decide(history, now))
        .await?
        .map(|id| Reserved {
            id,
            device: attempt.trusted_device.map(str::to_string),
        });
    Ok(reserved)
}

/// Forgets an attempt that proved right (and, from a known browser, that browser's failures).
pub async fn succeeded(pool: &AnyPool, reserved: Reserved) -> anyhow::Result<()> {
    store::sign_in::succeeded(pool, &reserved.id).await?;
    if let Some(device) = &reserved.device {
        store::sign_in::forget_device_attempts(pool, device).await?;
    }
    Ok(())
}

/// Counts a failure for `account` from `client` without checking anything, as an attempt that
/// was cut short would (for tests and drills that need a history).
pub async fn record_failure(
    pool: &AnyPool,
    account: &str,
    client: &str,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let new = NewAttempt {
        account,
        client,
        device: None,
        at: now,
    };
    store::sign_in::reserve(pool, &new, WINDOWS, |_| Ok::<(), ()>(()))
        .await?
        .map_err(|()| anyhow::anyhow!("unreachable: the failure was not recorded"))?;
    Ok(())
}

/// The policy: whether an attempt with this history may go ahead at `now`.
pub fn decide(history: &History, now: OffsetDateTime) -> Result<(), Limited> {
    let mut wait = Duration::ZERO;
    if let Some(device) = history.device {
        if device.count >= MAX_FAILURES_PER_DEVICE {
            wait = until(device.oldest.map(|oldest| oldest + DEVICE_WINDOW), now);
        }
    } else {
        let account = history.account;
        if account.count >= FREE_FAILURES_PER_ACCOUNT {
            let doublings = u32::try_from(account.count - FREE_FAILURES_PER_ACCOUNT)
                .unwrap_or(u32::MAX)
                .min(16);
            let delay = (FIRST_DELAY * 2_i32.pow(doublings)).min(MAX_DELAY);
            wait = wait.max(until(account.newest.map(|newest| newest + delay), now));
        }
        let client = history.client;
        if client.count >= MAX_FAILURES_PER_CLIENT {
            wait = wait.max(until(
                client.oldest.map(|oldest| oldest + CLIENT_WINDOW),
                now,
            ));
        }
    }
    if wait.is_positive() {
        Err(Limited {
            retry_after_seconds: u64::try_from(wait.whole_seconds()).unwrap_or(1).max(1),
        })
    } else {
        Ok(())
    }
}

/// How long from `now` until `at` (a missing time waits one second).
fn until(at: Option<OffsetDateTime>, now: OffsetDateTime) -> Duration {
    at.map_or(Duration::seconds(1), |at| at - now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sign_in::Counted;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-12-04 12:00 UTC)
    }

    fn counted(count: i64, oldest_ago: i64, newest_ago: i64) -> Counted {
        Counted {
            count,
            oldest: Some(now() - Duration::seconds(oldest_ago)),
            newest: Some(now() - Duration::seconds(newest_ago)),
        }
    }

    #[test]
    fn the_first_five_failures_on_an_account_are_free_then_the_wait_doubles_to_fifteen_minutes() {
        let history = |count| History {
            account: counted(count, 100, 0),
            ..History::default()
        };
        assert_eq!(decide(&history(4), now()), Ok(()));
        let wait = |count| {
            decide(&history(count), now())
                .unwrap_err()
                .retry_after_seconds
        };
        assert_eq!(wait(5), 30);
        assert_eq!(wait(6), 60);
        assert_eq!(wait(7), 120);
        assert_eq!(wait(10), 900);
        assert_eq!(wait(1000), 900);
        // Once the wait after the latest failure has passed, one more attempt may go ahead.
        let waited = History {
            account: counted(5, 100, 31),
            ..History::default()
        };
        assert_eq!(decide(&waited, now()), Ok(()));
    }

    #[test]
    fn an_address_is_limited_by_its_failures_in_the_window() {
        let history = History {
            client: counted(MAX_FAILURES_PER_CLIENT, 60, 0),
            ..History::default()
        };
        assert_eq!(
            decide(&history, now()),
            Err(Limited {
                retry_after_seconds: 14 * 60
            })
        );
    }

    #[test]
    fn a_known_browser_is_limited_by_its_own_failures_only() {
        let attacked = History {
            account: counted(500, 3600, 0),
            client: counted(500, 60, 0),
            device: Some(counted(0, 0, 0)),
        };
        assert_eq!(decide(&attacked, now()), Ok(()));
        let guessing = History {
            device: Some(counted(MAX_FAILURES_PER_DEVICE, 600, 0)),
            ..History::default()
        };
        assert_eq!(
            decide(&guessing, now()),
            Err(Limited {
                retry_after_seconds: 50 * 60
            })
        );
    }
}
