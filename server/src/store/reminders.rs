//! Expiry reminders (`crate::reminders`): one row a message, claimed by the run that sends it
//! (so two schedulers, or a scheduler and `appreg schedule run`, send each once), then marked
//! sent, or released when sending failed.

use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;

use super::timestamp;

/// Which message: an application's credential, and how many days before its expiry.
#[derive(Debug, Clone, Copy)]
pub struct ReminderKey<'a> {
    /// The application's reference.
    pub reference: &'a str,
    /// `certificate` or `secret`.
    pub credential_kind: &'a str,
    /// The certificate's SHA-1 thumbprint or the secret's id.
    pub credential_id: &'a str,
    /// The message's days before expiry (60, 45, 30, 14, 7 or 0).
    pub days_before: i64,
}

/// A statement of this module, as sqlx builds it.
type Statement<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

impl<'a> ReminderKey<'a> {
    /// Binds the key's four columns (reference, kind, credential, days before), in that order,
    /// to the statement's next four marks.
    fn bind_to<'q>(self, statement: Statement<'q>) -> Statement<'q>
    where
        'a: 'q,
    {
        statement
            .bind(self.reference)
            .bind(self.credential_kind)
            .bind(self.credential_id)
            .bind(self.days_before)
    }
}

/// Claims the message `key` for `run` at `now` (a new row, or an unsent claim made before
/// `stale_before` taken over), while its application is live; true when this run has it,
/// false when another run holds or sent it or the application is no longer live. One
/// statement, on the writer's connection.
pub async fn claim_in(
    connection: &mut AnyConnection,
    key: ReminderKey<'_>,
    (expires_at, due_at): (OffsetDateTime, OffsetDateTime),
    run: &str,
    now: OffsetDateTime,
    stale_before: OffsetDateTime,
) -> anyhow::Result<bool> {
    let changed = key
        .bind_to(sqlx::query(
            "INSERT INTO reminder (reference, credential_kind, credential_id, days_before,
                expires_at, due_at, claimed_by, claimed_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8
             WHERE EXISTS (SELECT 1 FROM registration_request
                           WHERE reference = $9 AND status = 'live')
             ON CONFLICT (reference, credential_kind, credential_id, days_before)
             DO UPDATE SET claimed_by = excluded.claimed_by,
                           claimed_at = excluded.claimed_at
             WHERE reminder.sent_at IS NULL AND reminder.claimed_at <= $10",
        ))
        .bind(timestamp(expires_at))
        .bind(timestamp(due_at))
        .bind(run)
        .bind(timestamp(now))
        .bind(key.reference)
        .bind(timestamp(stale_before))
        .execute(&mut *connection)
        .await?
        .rows_affected();
    Ok(changed == 1)
}

/// Marks the message `key` claimed by `run` sent at `now`, with the days left then and how
/// many it went to.
pub async fn mark_sent_in(
    connection: &mut AnyConnection,
    key: ReminderKey<'_>,
    run: &str,
    now: OffsetDateTime,
    (days_left, recipients): (i64, i64),
) -> anyhow::Result<()> {
    key.bind_to(
        sqlx::query(
            "UPDATE reminder SET sent_at = $1, days_left = $2, recipients = $3
             WHERE reference = $4 AND credential_kind = $5 AND credential_id = $6
               AND days_before = $7 AND claimed_by = $8",
        )
        .bind(timestamp(now))
        .bind(days_left)
        .bind(recipients),
    )
    .bind(run)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Gives up `run`'s unsent claim of the message `key` (its sending failed): the next run claims
/// it again.
pub async fn release_in(
    connection: &mut AnyConnection,
    key: ReminderKey<'_>,
    run: &str,
) -> anyhow::Result<()> {
    key.bind_to(sqlx::query(
        "DELETE FROM reminder
         WHERE reference = $1 AND credential_kind = $2 AND credential_id = $3
           AND days_before = $4 AND claimed_by = $5 AND sent_at IS NULL",
    ))
    .bind(run)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// The reminders already sent (for tests and audits): (reference, kind, credential, days
/// before, days left, sent at).
pub async fn sent(
    pool: &AnyPool,
) -> anyhow::Result<Vec<(String, String, String, i64, i64, String)>> {
    let rows = sqlx::query(
        "SELECT reference, credential_kind, credential_id, days_before, days_left, sent_at
         FROM reminder WHERE sent_at IS NOT NULL ORDER BY sent_at, reference, credential_id, days_before",
    )
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get("reference")?,
                row.try_get("credential_kind")?,
                row.try_get("credential_id")?,
                row.try_get("days_before")?,
                row.try_get("days_left")?,
                row.try_get("sent_at")?,
            ))
        })
        .collect()
}
