//! The steps of a registered application's deletion and recovery (`application_step`), as the
//! pages show its history. The rules are `crate::deletion`'s; this module only stores and reads.

use registration::lifecycle::{RECOVERY_DAYS, Status, Step};
use sqlx::{AnyConnection, AnyPool, FromRow};

use super::timestamp;

/// One step as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredStep {
    /// The application's reference.
    pub reference: String,
    /// 1, 2, 3… per application.
    pub n: i64,
    /// The version the step moved: the implemented one, or, for a withdrawal, the version
    /// withdrawn.
    pub version: i64,
    /// What was done.
    pub step: Step,
    /// Why, when given.
    pub reason: Option<String>,
    /// Who (`None`: the desk's scheduler).
    pub actor_email: Option<String>,
    /// The status before.
    pub status_before: Status,
    /// The status after.
    pub status_after: Status,
    /// When (RFC 3339).
    pub taken_at: String,
    /// The signed entry.
    pub log_seq: i64,
}

#[derive(FromRow)]
struct StepRow {
    reference: String,
    n: i64,
    version: i64,
    step: String,
    reason: Option<String>,
    actor_email: Option<String>,
    status_before: String,
    status_after: String,
    taken_at: String,
    log_seq: i64,
}

impl TryFrom<StepRow> for StoredStep {
    type Error = anyhow::Error;

    fn try_from(row: StepRow) -> anyhow::Result<StoredStep> {
        let status = |text: &str| {
            Status::parse(text).ok_or_else(|| anyhow::anyhow!("unknown stored status '{text}'"))
        };
        Ok(StoredStep {
            step: Step::parse(&row.step)
                .ok_or_else(|| anyhow::anyhow!("unknown stored step '{}'", row.step))?,
            status_before: status(&row.status_before)?,
            status_after: status(&row.status_after)?,
            reference: row.reference,
            n: row.n,
            version: row.version,
            reason: row.reason,
            actor_email: row.actor_email,
            taken_at: row.taken_at,
            log_seq: row.log_seq,
        })
    }
}

const COLUMNS: &str = "reference, n, version, step, reason, actor_email, status_before,
    status_after, taken_at, log_seq";

/// A new step (its number is the next one).
pub struct NewStep<'a> {
    /// The application's reference.
    pub reference: &'a str,
    /// The live version.
    pub version: i64,
    /// What is done.
    pub step: Step,
    /// Why.
    pub reason: Option<&'a str>,
    /// Who (`None`: the scheduler).
    pub actor_id: Option<&'a str>,
    /// Their email.
    pub actor_email: Option<&'a str>,
    /// The status before.
    pub status_before: Status,
    /// The status after.
    pub status_after: Status,
    /// When (RFC 3339).
    pub taken_at: &'a str,
    /// The signed entry.
    pub log_seq: i64,
}

/// The number the next step of `reference` gets (in the writer's transaction).
pub async fn next_number_in(
    connection: &mut AnyConnection,
    reference: &str,
) -> anyhow::Result<i64> {
    let last: Option<i64> =
        sqlx::query_scalar("SELECT MAX(n) FROM application_step WHERE reference = $1")
            .bind(reference)
            .fetch_one(connection)
            .await?;
    Ok(last.unwrap_or(0) + 1)
}

/// Stores a step numbered `n` in the caller's transaction.
pub async fn insert(
    connection: &mut AnyConnection,
    n: i64,
    step: &NewStep<'_>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO application_step (reference, n, version, step, reason, actor_id, actor_email,
            status_before, status_after, taken_at, log_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(step.reference)
    .bind(n)
    .bind(step.version)
    .bind(step.step.as_str())
    .bind(step.reason)
    .bind(step.actor_id)
    .bind(step.actor_email)
    .bind(step.status_before.as_str())
    .bind(step.status_after.as_str())
    .bind(step.taken_at)
    .bind(step.log_seq)
    .execute(connection)
    .await?;
    Ok(())
}

/// Every step of `reference`, oldest first.
pub async fn list(pool: &AnyPool, reference: &str) -> anyhow::Result<Vec<StoredStep>> {
    sqlx::query_as::<_, StepRow>(&format!(
        "SELECT {COLUMNS} FROM application_step WHERE reference = $1 ORDER BY n"
    ))
    .bind(reference)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(StoredStep::try_from)
    .collect()
}

/// Every step of `reference`, oldest first, in the caller's transaction.
pub async fn list_in(
    connection: &mut AnyConnection,
    reference: &str,
) -> anyhow::Result<Vec<StoredStep>> {
    sqlx::query_as::<_, StepRow>(&format!(
        "SELECT {COLUMNS} FROM application_step WHERE reference = $1 ORDER BY n"
    ))
    .bind(reference)
    .fetch_all(connection)
    .await?
    .into_iter()
    .map(StoredStep::try_from)
    .collect()
}

/// Every step of the references from `first` to `last` (the audit reads them a page at a time).
pub async fn between(pool: &AnyPool, first: &str, last: &str) -> anyhow::Result<Vec<StoredStep>> {
    sqlx::query_as::<_, StepRow>(&format!(
        "SELECT {COLUMNS} FROM application_step WHERE reference BETWEEN $1 AND $2
         ORDER BY reference, n"
    ))
    .bind(first)
    .bind(last)
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(StoredStep::try_from)
    .collect()
}

/// When the application's current deletion was confirmed: the last `confirm_deletion` step.
pub fn deleted_at(steps: &[StoredStep]) -> Option<&str> {
    steps
        .iter()
        .rev()
        .find(|step| step.step == Step::ConfirmDeletion)
        .map(|step| step.taken_at.as_str())
}

/// The references whose latest version is deleted (or has a recovery asked for) and whose
/// deletion was confirmed at least [`RECOVERY_DAYS`] days before `now`, in the caller's
/// transaction.
pub async fn due_for_purge_in(
    connection: &mut AnyConnection,
    now: time::OffsetDateTime,
) -> anyhow::Result<Vec<String>> {
    let cutoff = timestamp(now - time::Duration::days(RECOVERY_DAYS));
    Ok(sqlx::query_scalar(
        "SELECT r.reference FROM registration_request r
         WHERE r.status IN ('deleted', 'recovery_requested')
           AND r.version = (SELECT MAX(v.version) FROM registration_request v
                            WHERE v.reference = r.reference)
           AND (SELECT s.taken_at FROM application_step s
                WHERE s.reference = r.reference AND s.step = 'confirm_deletion'
                ORDER BY s.n DESC LIMIT 1) <= $1
         ORDER BY r.reference",
    )
    .bind(cutoff)
    .fetch_all(connection)
    .await?)
}
