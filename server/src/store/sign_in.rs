//! Sign-in attempts (`sign_in_attempt`) and the browsers that signed in before (`sign_in_device`).
//! The throttling policy that reads them is `identity::rate_limit`.

use sqlx::{AnyConnection, AnyPool, Row};
use time::{Duration, OffsetDateTime};

use super::sessions::parse_timestamp;
use super::timestamp;

/// How many attempts matched, and the oldest and newest of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    /// How many.
    pub count: i64,
    /// The earliest `started_at`.
    pub oldest: Option<OffsetDateTime>,
    /// The latest `started_at`.
    pub newest: Option<OffsetDateTime>,
}

/// The attempts that bear on one new attempt.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct History {
    /// Attempts on the account without its device cookie, since the account window began.
    pub account: Counted,
    /// Attempts from the client address without a device cookie, since the client window began.
    pub client: Counted,
    /// Attempts with the device cookie presented, since the device window began.
    pub device: Option<Counted>,
}

/// The windows each count looks back over.
#[derive(Debug, Clone, Copy)]
pub struct Windows {
    /// For the account's count.
    pub account: Duration,
    /// For the client address's count.
    pub client: Duration,
    /// For the device's count.
    pub device: Duration,
}

/// A sign-in attempt about to be checked.
#[derive(Debug, Clone)]
pub struct NewAttempt<'a> {
    /// The email as typed, trimmed and lower-case.
    pub account: &'a str,
    /// The client's address.
    pub client: &'a str,
    /// The device cookie's id, when the attempt presented one issued to this account.
    pub device: Option<&'a str>,
    /// When it began.
    pub at: OffsetDateTime,
}

/// Reads the attempt's history and, if `allow` says so, records the attempt — both in one
/// `BEGIN IMMEDIATE` transaction, so attempts made at the same moment are counted one after
/// another and none slips past the limit. Returns the recorded attempt's id, or what `allow`
/// refused with.
pub async fn reserve<E>(
    pool: &AnyPool,
    attempt: &NewAttempt<'_>,
    windows: Windows,
    allow: impl FnOnce(&History) -> Result<(), E>,
) -> anyhow::Result<Result<String, E>> {
    let mut transaction = crate::store::begin_write(pool).await?;
    let longest = windows.account.max(windows.client).max(windows.device);
    sqlx::query("DELETE FROM sign_in_attempt WHERE started_at <= $1")
        .bind(timestamp(attempt.at - longest))
        .execute(&mut *transaction)
        .await?;
    let history = History {
        account: count(
            &mut transaction,
            "account = $1 AND device IS NULL",
            attempt.account,
            attempt.at - windows.account,
        )
        .await?,
        client: count(
            &mut transaction,
            "client = $1 AND device IS NULL",
            attempt.client,
            attempt.at - windows.client,
        )
        .await?,
        device: match attempt.device {
            Some(device) => Some(
                count(
                    &mut transaction,
                    "device = $1",
                    device,
                    attempt.at - windows.device,
                )
                .await?,
            ),
            None => None,
        },
    };
    if let Err(refusal) = allow(&history) {
        transaction.rollback().await?;
        return Ok(Err(refusal));
    }
    let id = crate::random::random_hex(16);
    sqlx::query(
        "INSERT INTO sign_in_attempt (id, account, client, device, started_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&id)
    .bind(attempt.account)
    .bind(attempt.client)
    .bind(attempt.device)
    .bind(timestamp(attempt.at))
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(Ok(id))
}

async fn count(
    connection: &mut AnyConnection,
    condition: &str,
    key: &str,
    since: OffsetDateTime,
) -> anyhow::Result<Counted> {
    let row = sqlx::query(&format!(
        "SELECT COUNT(*) AS n, MIN(started_at) AS oldest, MAX(started_at) AS newest
         FROM sign_in_attempt WHERE {condition} AND started_at > $2"
    ))
    .bind(key)
    .bind(timestamp(since))
    .fetch_one(connection)
    .await?;
    let time = |column: &str| -> anyhow::Result<Option<OffsetDateTime>> {
        let text: Option<String> = row.try_get(column)?;
        Ok(text.as_deref().and_then(parse_timestamp))
    };
    Ok(Counted {
        count: row.try_get("n")?,
        oldest: time("oldest")?,
        newest: time("newest")?,
    })
}

/// Forgets an attempt that proved right.
pub async fn succeeded(pool: &AnyPool, attempt_id: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sign_in_attempt WHERE id = $1")
        .bind(attempt_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Forgets every attempt made with a device cookie (after it signed in again).
pub async fn forget_device_attempts(pool: &AnyPool, device_id: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM sign_in_attempt WHERE device = $1")
        .bind(device_id)
        .execute(pool)
        .await?;
    Ok(())
}

/// The account a device cookie was issued to, if it is known and was used since `since`.
pub async fn device_account(
    pool: &AnyPool,
    device_id: &str,
    since: OffsetDateTime,
) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar(
            "SELECT account FROM sign_in_device WHERE id = $1 AND last_used_at > $2",
        )
        .bind(device_id)
        .bind(timestamp(since))
        .fetch_optional(pool)
        .await?,
    )
}

/// Records that a browser signed in to `account` with the device cookie `device_id` (new or
/// known), and drops devices unused since `forget_before`.
pub async fn device_signed_in(
    pool: &AnyPool,
    device_id: &str,
    account: &str,
    now: OffsetDateTime,
    forget_before: OffsetDateTime,
) -> anyhow::Result<()> {
    let mut transaction = pool.begin().await?;
    sqlx::query("DELETE FROM sign_in_device WHERE last_used_at <= $1")
        .bind(timestamp(forget_before))
        .execute(&mut *transaction)
        .await?;
    sqlx::query(
        "INSERT INTO sign_in_device (id, account, created_at, last_used_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (id) DO UPDATE SET account = excluded.account, last_used_at = excluded.last_used_at",
    )
    .bind(device_id)
    .bind(account)
    .bind(timestamp(now))
    .bind(timestamp(now))
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}

/// How many attempts are recorded for `account` (tests and the CLI's diagnostics).
pub async fn attempts_for(pool: &AnyPool, account: &str) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_attempt WHERE account = $1")
            .bind(account)
            .fetch_one(pool)
            .await?,
    )
}
