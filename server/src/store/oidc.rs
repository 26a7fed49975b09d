//! Sign-in with an OpenID provider (`oidc_sign_in`, `user_identity`; migration 0020). The rules
//! are `crate::identity::oidc`'s: this module only keeps and finds rows.

use sqlx::{AnyConnection, AnyPool};
use time::OffsetDateTime;

use super::timestamp;

/// The most sign-ins that may be waiting for their provider at once: beyond it, new ones are
/// refused until the oldest expire (a bound on what the desk stores, a few hundred bytes each).
pub const MOST_PENDING: i64 = 100_000;
/// The most that one client address may have waiting: one address cannot fill the desk's
/// [`MOST_PENDING`] and lock everyone else out. An organisation's staff often share one address;
/// sign-ins to the desk are few (its Local Administrators and the reviewers), so this is far
/// above what people do.
pub const MOST_PENDING_PER_CLIENT: i64 = 50;

/// Why a sign-in was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// [`MOST_PENDING`] are waiting.
    Full,
    /// [`MOST_PENDING_PER_CLIENT`] are waiting from this address.
    TooManyFromClient,
}

/// A sign-in begun at the provider, as stored.
#[derive(Debug, Clone)]
pub struct Pending {
    /// Hex SHA-256 of the cookie of the browser that began it.
    pub browser_hash: String,
    /// The PKCE code verifier.
    pub pkce_verifier: String,
    /// The nonce the ID token must carry.
    pub nonce: String,
    /// Where to go after signing in (a local path, or empty).
    pub next_path: String,
    /// The client address that began it.
    pub client: String,
    /// Until when the provider's answer is taken.
    pub expires_at: String,
}

/// Stores a begun sign-in under `state_hash`, after deleting expired ones; nothing is stored
/// when [`MOST_PENDING`] are waiting, or [`MOST_PENDING_PER_CLIENT`] from its address.
pub async fn begin(
    pool: &AnyPool,
    state_hash: &str,
    pending: &Pending,
    now: OffsetDateTime,
) -> anyhow::Result<Result<(), Refused>> {
    let now = timestamp(now);
    sqlx::query("DELETE FROM oidc_sign_in WHERE expires_at <= $1")
        .bind(&now)
        .execute(pool)
        .await?;
    let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM oidc_sign_in")
        .fetch_one(pool)
        .await?;
    if waiting >= MOST_PENDING {
        return Ok(Err(Refused::Full));
    }
    let from_client: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM oidc_sign_in WHERE client = $1")
            .bind(&pending.client)
            .fetch_one(pool)
            .await?;
    if from_client >= MOST_PENDING_PER_CLIENT {
        return Ok(Err(Refused::TooManyFromClient));
    }
    sqlx::query(
        "INSERT INTO oidc_sign_in (state_hash, browser_hash, pkce_verifier, nonce, next_path, \
         client, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(state_hash)
    .bind(&pending.browser_hash)
    .bind(&pending.pkce_verifier)
    .bind(&pending.nonce)
    .bind(&pending.next_path)
    .bind(&pending.client)
    .bind(&now)
    .bind(&pending.expires_at)
    .execute(pool)
    .await?;
    Ok(Ok(()))
}

/// Takes (deletes) the sign-in `state_hash` names: each is answered once, whatever the answer.
/// `None` when there is none (never begun, already answered, or swept after expiring); an
/// expired one is returned for the caller to refuse.
pub async fn take(pool: &AnyPool, state_hash: &str) -> anyhow::Result<Option<Pending>> {
    let row: Option<(String, String, String, String, String, String)> = sqlx::query_as(
        "DELETE FROM oidc_sign_in WHERE state_hash = $1 \
         RETURNING browser_hash, pkce_verifier, nonce, next_path, client, expires_at",
    )
    .bind(state_hash)
    .fetch_optional(pool)
    .await?;
    Ok(row.map(
        |(browser_hash, pkce_verifier, nonce, next_path, client, expires_at)| Pending {
            browser_hash,
            pkce_verifier,
            nonce,
            next_path,
            client,
            expires_at,
        },
    ))
}

/// The account `issuer` and `subject` were linked to, if any.
pub async fn linked_account(
    pool: &AnyPool,
    issuer: &str,
    subject: &str,
) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM user_identity WHERE issuer = $1 AND subject = $2")
            .bind(issuer)
            .bind(subject)
            .fetch_optional(pool)
            .await?,
    )
}

/// What linking a subject to an account found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    /// Linked now.
    Made,
    /// This subject was linked to this account already (a sign-in finishing at the same time).
    Existed,
    /// The account is linked to another subject of the issuer, or the subject to another
    /// account: a person's account is theirs alone, so nothing changed.
    Refused,
}

/// Links `issuer` and `subject` to the account `user_id` unless either is linked already (the
/// primary key and the unique constraint decide, also between desks writing at once).
pub async fn link_in(
    connection: &mut AnyConnection,
    issuer: &str,
    subject: &str,
    user_id: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Link> {
    let inserted = sqlx::query(
        "INSERT INTO user_identity (issuer, subject, user_id, linked_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT DO NOTHING",
    )
    .bind(issuer)
    .bind(subject)
    .bind(user_id)
    .bind(timestamp(now))
    .execute(&mut *connection)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Link::Made);
    }
    let linked: Option<String> =
        sqlx::query_scalar("SELECT subject FROM user_identity WHERE user_id = $1 AND issuer = $2")
            .bind(user_id)
            .bind(issuer)
            .fetch_optional(&mut *connection)
            .await?;
    Ok(if linked.as_deref() == Some(subject) {
        Link::Existed
    } else {
        Link::Refused
    })
}
