//! Rate limiting of sign-in (OWASP Authentication Cheat Sheet; NCSC password guidance).
//!
//! At most [`MAX_FAILURES_PER_EMAIL`] failed sign-ins per email and [`MAX_FAILURES_PER_CLIENT`]
//! per client address in any [`WINDOW`]; past either, sign-in answers 429 with `Retry-After`
//! without checking the password (so guessing learns nothing while limited). A successful
//! sign-in forgets that email's failures. Unknown emails count like known ones, so the limit
//! does not reveal which accounts exist.
//!
//! The failures are kept in the database (`sign_in_failures`), not in memory: the limit holds
//! across restarts and across several server instances sharing one database.
//!
//! The client address is the TCP peer (axum's `ConnectInfo`, wired in `appreg serve`). Behind a
//! reverse proxy that is the proxy, so the per-client limit then covers everyone behind it (the
//! per-email limit still protects each account); no `X-Forwarded-For` is trusted, since any
//! client can write one. Without `ConnectInfo` (tests calling the router directly) every
//! request shares the client key `unknown`.

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::http::{Extensions, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use serde_json::json;
use sqlx::SqlitePool;
use time::{Duration, OffsetDateTime};

use crate::store;

/// The window the limits count failures in.
pub const WINDOW: Duration = Duration::minutes(15);

/// Failed sign-ins allowed per email in a window.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;

/// Failed sign-ins allowed per client address in a window.
pub const MAX_FAILURES_PER_CLIENT: i64 = 20;

/// The client key when the peer address is not known.
pub const UNKNOWN_CLIENT: &str = "unknown";

/// Sign-in is refused for now: 429 with `Retry-After`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    /// Seconds until an attempt may succeed again.
    pub retry_after_seconds: u64,
}

impl IntoResponse for Limited {
    fn into_response(self) -> Response {
        let minutes = self.retry_after_seconds.div_ceil(60).max(1);
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(
                header::RETRY_AFTER,
                HeaderValue::from(self.retry_after_seconds),
            )],
            Json(json!({
                "error": "rate_limited",
                "message": format!(
                    "Too many failed sign-in attempts. Try again in {minutes} minute{}.",
                    if minutes == 1 { "" } else { "s" }
                ),
            })),
        )
            .into_response()
    }
}

/// The client's key: its IP address, or [`UNKNOWN_CLIENT`].
pub fn client_key(extensions: &Extensions) -> String {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string())
        .unwrap_or_else(|| UNKNOWN_CLIENT.to_string())
}

fn email_key(email: &str) -> String {
    format!("email:{email}")
}

fn client_failures_key(client: &str) -> String {
    format!("ip:{client}")
}

/// Whether a sign-in for `email` from `client` may be tried at `now`.
pub async fn check(
    pool: &SqlitePool,
    email: &str,
    client: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Result<(), Limited>> {
    let since = now - WINDOW;
    let mut retry_after: Option<u64> = None;
    for (key, max) in [
        (email_key(email), MAX_FAILURES_PER_EMAIL),
        (client_failures_key(client), MAX_FAILURES_PER_CLIENT),
    ] {
        let (count, first) = store::sessions::failures_since(pool, &key, since).await?;
        if count >= max {
            // When the earliest counted failure leaves the window, one more attempt is allowed.
            let wait = first
                .map(|first| (first + WINDOW - now).whole_seconds().max(1))
                .unwrap_or(WINDOW.whole_seconds());
            let wait = u64::try_from(wait).unwrap_or(1);
            retry_after = Some(retry_after.map_or(wait, |other| other.max(wait)));
        }
    }
    Ok(match retry_after {
        Some(retry_after_seconds) => Err(Limited {
            retry_after_seconds,
        }),
        None => Ok(()),
    })
}

/// Counts a failed sign-in against the email and the client.
pub async fn record_failure(
    pool: &SqlitePool,
    email: &str,
    client: &str,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let keys = [email_key(email), client_failures_key(client)];
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    store::sessions::record_failure(pool, &keys, now, now - WINDOW).await
}

/// Forgets the email's failures after it signed in.
pub async fn record_success(pool: &SqlitePool, email: &str) -> anyhow::Result<()> {
    store::sessions::clear_failures(pool, &email_key(email)).await
}
