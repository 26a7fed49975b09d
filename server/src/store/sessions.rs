//! Sign-in sessions (`sessions`).
//!
//! A session row is found by the SHA-256 of the cookie's token; the token itself is never stored.

use sqlx::{AnyPool, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::users::User;

pub use super::timestamp;

/// Reads a stored instant.
pub fn parse_timestamp(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339).ok()
}

/// A stored session with its account.
#[derive(Clone)]
pub struct SessionRow {
    /// Hex SHA-256 of the cookie token.
    pub id: String,
    /// The synchronizer token for `X-CSRF-Token`.
    pub csrf_token: String,
    /// When the session began.
    pub created_at: OffsetDateTime,
    /// When the session was last used (to the minute: see `identity::sessions`).
    pub last_seen_at: OffsetDateTime,
    /// When the session ends whatever happens.
    pub expires_at: OffsetDateTime,
    /// The account.
    pub user: User,
}

impl std::fmt::Debug for SessionRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionRow")
            .field("id", &"[redacted]")
            .field("csrf_token", &"[redacted]")
            .field("created_at", &self.created_at)
            .field("last_seen_at", &self.last_seen_at)
            .field("expires_at", &self.expires_at)
            .field("user", &self.user)
            .finish()
    }
}

/// Stores a new session; deletes the sessions that have run past their absolute end while at it.
pub async fn insert(
    pool: &AnyPool,
    id: &str,
    user_id: &str,
    csrf_token: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> anyhow::Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(timestamp(now))
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (id, user_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(user_id)
    .bind(csrf_token)
    .bind(timestamp(now))
    .bind(timestamp(now))
    .bind(timestamp(expires_at))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The session with this id (the token's hash) and its account, expired or not.
pub async fn find(pool: &AnyPool, id: &str) -> anyhow::Result<Option<SessionRow>> {
    let row = sqlx::query(
        "SELECT s.id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at,
                u.id AS user_id, u.email, u.role, u.ods_code, u.created_at AS user_created_at, u.disabled_at
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let time = |column: &str| -> anyhow::Result<OffsetDateTime> {
        let text: String = row.try_get(column)?;
        parse_timestamp(&text).ok_or_else(|| anyhow::anyhow!("sessions.{column} is not RFC 3339"))
    };
    let role: String = row.try_get("role")?;
    Ok(Some(SessionRow {
        id: row.try_get("id")?,
        csrf_token: row.try_get("csrf_token")?,
        created_at: time("created_at")?,
        last_seen_at: time("last_seen_at")?,
        expires_at: time("expires_at")?,
        user: User {
            id: row.try_get("user_id")?,
            email: row.try_get("email")?,
            role: registration::lifecycle::Role::parse(&role)
                .ok_or_else(|| anyhow::anyhow!("unknown role {role:?} stored"))?,
            ods_code: row.try_get("ods_code")?,
            created_at: row.try_get("user_created_at")?,
            disabled_at: row.try_get("disabled_at")?,
        },
    }))
}

/// Records that the session was used now.
pub async fn touch(pool: &AnyPool, id: &str, now: OffsetDateTime) -> anyhow::Result<()> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
        .bind(timestamp(now))
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends every session of the account `user_id` (its role changed, or it was disabled).
pub async fn delete_all_of_in(
    connection: &mut sqlx::AnyConnection,
    user_id: &str,
) -> anyhow::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&mut *connection)
        .await?
        .rows_affected())
}

/// Ends every session of the account `user_id` but `keep` (its password was changed from the
/// session `keep`).
pub async fn delete_others_of_in(
    connection: &mut sqlx::AnyConnection,
    user_id: &str,
    keep: &str,
) -> anyhow::Result<u64> {
    Ok(
        sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id <> $2")
            .bind(user_id)
            .bind(keep)
            .execute(&mut *connection)
            .await?
            .rows_affected(),
    )
}

/// Deletes a session (sign-out, or found expired).
pub async fn delete(pool: &AnyPool, id: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}
