//! The reviewers' daily digest (`reviewer_notices::send_digest_due`): each day's claim in
//! `reviewer_digest`, and what arrived and was withdrawn in its window.

use sqlx::AnyPool;
use time::OffsetDateTime;

use super::timestamp;

/// A version stored in the digest's window, as the digest names it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Arrived {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// 1 for a new request.
    pub version: i64,
    /// The application's name.
    pub application_name: String,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// Its name, when the directory knew it.
    pub organisation_name: Option<String>,
    /// `high` or `low`.
    pub risk: String,
    /// `renewal` or `change`, for one of a live application.
    pub purpose: Option<String>,
}

/// A request withdrawn in the digest's window.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Withdrawn {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// The application's name.
    pub application_name: String,
    /// The organisation's ODS code.
    pub ods_code: String,
    /// Who withdrew it.
    pub actor_email: Option<String>,
    /// Why, as they said.
    pub reason: Option<String>,
}

/// Claims the digest of `day` (`YYYY-MM-DD`) at `now`: true for the one run (of any desk) that
/// claims it; false when it was sent already, or when another run's claim is younger than
/// `lease` (that run may still be sending it). A claim older than `lease` and not marked sent
/// was left by a run that stopped before sending it (a power cut, a kill): it is taken over.
pub async fn claim(
    pool: &AnyPool,
    day: &str,
    now: OffsetDateTime,
    lease: time::Duration,
) -> anyhow::Result<bool> {
    // One statement: two runs claiming a stale row at once take turns on it (SQLite's one
    // writer, PostgreSQL's row lock), and the second finds the first's fresh claim.
    let claimed: Option<String> = sqlx::query_scalar(
        "INSERT INTO reviewer_digest (day, claimed_at) VALUES ($1, $2)
         ON CONFLICT (day) DO UPDATE SET claimed_at = excluded.claimed_at
         WHERE reviewer_digest.sent_at IS NULL AND reviewer_digest.claimed_at < $3
         RETURNING day",
    )
    .bind(day)
    .bind(timestamp(now))
    .bind(timestamp(now - lease))
    .fetch_optional(pool)
    .await?;
    Ok(claimed.is_some())
}

/// Gives up this run's claim of `day` (made at `claimed_at`), because its digest could not be
/// sent: the next run claims it again. Another run's newer claim is left alone.
pub async fn release(pool: &AnyPool, day: &str, claimed_at: OffsetDateTime) -> anyhow::Result<()> {
    sqlx::query(
        "DELETE FROM reviewer_digest WHERE day = $1 AND claimed_at = $2 AND sent_at IS NULL",
    )
    .bind(day)
    .bind(timestamp(claimed_at))
    .execute(pool)
    .await?;
    Ok(())
}

/// The versions stored from `from` until before `until`, in the order they arrived.
pub async fn arrived_between(
    pool: &AnyPool,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> anyhow::Result<Vec<Arrived>> {
    Ok(sqlx::query_as(
        "SELECT reference, version, application_name, ods_code, organisation_name, risk, purpose
         FROM registration_request WHERE submitted_at >= $1 AND submitted_at < $2
         ORDER BY submitted_at, reference, version",
    )
    .bind(timestamp(from))
    .bind(timestamp(until))
    .fetch_all(pool)
    .await?)
}

/// The requests withdrawn from `from` until before `until`, in the order they were withdrawn.
pub async fn withdrawn_between(
    pool: &AnyPool,
    from: OffsetDateTime,
    until: OffsetDateTime,
) -> anyhow::Result<Vec<Withdrawn>> {
    Ok(sqlx::query_as(
        "SELECT s.reference, r.application_name, r.ods_code, s.actor_email, s.reason
         FROM application_step s
         JOIN registration_request r ON r.reference = s.reference AND r.version = s.version
         WHERE s.step = 'withdraw_request' AND s.taken_at >= $1 AND s.taken_at < $2
         ORDER BY s.taken_at, s.reference",
    )
    .bind(timestamp(from))
    .bind(timestamp(until))
    .fetch_all(pool)
    .await?)
}

/// Records what the digest of `day` holds, before it is sent.
pub async fn record_counts(
    pool: &AnyPool,
    day: &str,
    arrived: usize,
    withdrawn: usize,
    waiting: u64,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE reviewer_digest SET arrived = $1, withdrawn = $2, waiting = $3 WHERE day = $4",
    )
    .bind(i64::try_from(arrived).unwrap_or(i64::MAX))
    .bind(i64::try_from(withdrawn).unwrap_or(i64::MAX))
    .bind(i64::try_from(waiting).unwrap_or(i64::MAX))
    .bind(day)
    .execute(pool)
    .await?;
    Ok(())
}

/// Records that the digest of `day` was done at `at`: sent, or found to have nothing to send.
pub async fn mark_sent(pool: &AnyPool, day: &str, at: OffsetDateTime) -> anyhow::Result<()> {
    sqlx::query("UPDATE reviewer_digest SET sent_at = $1 WHERE day = $2")
        .bind(timestamp(at))
        .bind(day)
        .execute(pool)
        .await?;
    Ok(())
}
