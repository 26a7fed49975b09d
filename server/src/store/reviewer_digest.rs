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
/// claims it, false when it was claimed already.
pub async fn claim(pool: &AnyPool, day: &str, now: OffsetDateTime) -> anyhow::Result<bool> {
    let claimed: Option<String> = sqlx::query_scalar(
        "INSERT INTO reviewer_digest (day, claimed_at) VALUES ($1, $2)
         ON CONFLICT (day) DO NOTHING RETURNING day",
    )
    .bind(day)
    .bind(timestamp(now))
    .fetch_optional(pool)
    .await?;
    Ok(claimed.is_some())
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

/// Records that the digest of `day` was sent at `at`.
pub async fn mark_sent(pool: &AnyPool, day: &str, at: OffsetDateTime) -> anyhow::Result<()> {
    sqlx::query("UPDATE reviewer_digest SET sent_at = $1 WHERE day = $2")
        .bind(timestamp(at))
        .bind(day)
        .execute(pool)
        .await?;
    Ok(())
}
