//! Registration forms posted after their session ended (`parked_form`; issue 18, part 2): kept
//! under the SHA-256 of the token in the browser's `appreg_parked` cookie until that browser signs
//! in again, then made a draft (`web::form::restore_parked`). A post nobody is signed in to
//! writes here, so what is kept is bounded: a day at most, [`MAX_PARKED`] rows at most, and the
//! size of one form post each (the route's body limit).

use sqlx::AnyPool;
use time::{Duration, OffsetDateTime};

use super::timestamp;

/// How long a parked form waits for its browser to sign in again.
pub const KEPT_FOR: Duration = Duration::days(1);

/// The most parked forms kept at once; past it, a signed-out post is not kept (the sign-in page
/// says so).
pub const MAX_PARKED: i64 = 2_000;

/// Keeps `fields` (the post's text fields, JSON) under `id`, replacing what was kept under it;
/// drops what is older than [`KEPT_FOR`] first. `false` when [`MAX_PARKED`] are kept already.
pub async fn park(
    pool: &AnyPool,
    id: &str,
    fields: &str,
    had_files: bool,
    now: OffsetDateTime,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM parked_form WHERE parked_at < $1 OR id = $2")
        .bind(timestamp(now - KEPT_FOR))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM parked_form")
        .fetch_one(&mut *tx)
        .await?;
    if kept >= MAX_PARKED {
        tx.commit().await?;
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO parked_form (id, fields, had_files, parked_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(fields)
    .bind(i64::from(had_files))
    .bind(timestamp(now))
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// What was parked under `id` within [`KEPT_FOR`] of `now` — its fields (JSON) and whether the
/// post carried files, which were not kept — removed as it is read (taken once).
pub async fn take(
    pool: &AnyPool,
    id: &str,
    now: OffsetDateTime,
) -> anyhow::Result<Option<(String, bool)>> {
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "DELETE FROM parked_form WHERE id = $1 RETURNING fields, had_files, parked_at",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row
        .filter(|(_, _, parked_at)| parked_at.as_str() >= timestamp(now - KEPT_FOR).as_str())
        .map(|(fields, had_files, _)| (fields, had_files != 0)))
}
