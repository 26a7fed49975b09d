//! One-time links to set a new local password (`password_reset`): stored by the SHA-256 of the
//! link's token, taken (deleted) when used. The rules are `crate::identity::accounts`'.

use sqlx::AnyConnection;
use time::OffsetDateTime;

use super::timestamp;

/// Stores a link for `user_id` valid until `expires_at`, replacing the account's earlier ones.
pub async fn replace_in(
    connection: &mut AnyConnection,
    id: &str,
    user_id: &str,
    now: OffsetDateTime,
    expires_at: OffsetDateTime,
) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM password_reset WHERE user_id = $1 OR expires_at <= $2")
        .bind(user_id)
        .bind(timestamp(now))
        .execute(&mut *connection)
        .await?;
    sqlx::query(
        "INSERT INTO password_reset (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(user_id)
    .bind(timestamp(now))
    .bind(timestamp(expires_at))
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// The account of the link `id` if it is still valid at `now`, without using it.
pub async fn peek_in(
    connection: &mut AnyConnection,
    id: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT user_id FROM password_reset WHERE id = $1 AND expires_at > $2")
            .bind(id)
            .bind(timestamp(now))
            .fetch_optional(&mut *connection)
            .await?,
    )
}

/// Uses the link `id`: its account if it was valid at `now`; it is gone afterwards either way.
pub async fn take_in(
    connection: &mut AnyConnection,
    id: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Option<String>> {
    let row: Option<(String, String)> =
        sqlx::query_as("DELETE FROM password_reset WHERE id = $1 RETURNING user_id, expires_at")
            .bind(id)
            .fetch_optional(&mut *connection)
            .await?;
    Ok(row
        .filter(|(_, expires_at)| expires_at.as_str() > timestamp(now).as_str())
        .map(|(user_id, _)| user_id))
}
