//! The desk's scheduled jobs, run by `appreg schedule run [--now RFC3339]` (for cron and tests)
//! and by the server itself every [`EVERY`]. The jobs: destroying client secrets past their 72
//! hours ([`crate::applications::purge_due_secrets`]) and the expiry reminders
//! ([`crate::reminders::send_due`], each claimed in the database before it is sent), and purging
//! applications deleted 30 days ago ([`crate::deletion::purge_due`]), and the reviewers' daily
//! digest when the desk sends one ([`crate::reviewer_notices::send_digest_due`]). Every job decides from the
//! database in a write transaction, so two servers (or a server and a cron run) never act twice.

use std::sync::Arc;
use std::time::Duration;

use sqlx::AnyPool;
use time::OffsetDateTime;

use crate::notify::Mailer;
use crate::signing::KeyRing;
use crate::store::WriteLock;

/// How often the server runs the jobs.
pub const EVERY: Duration = Duration::from_secs(10 * 60);

/// Runs every job due at `now` once; one line per action taken.
pub async fn run_due(
    pool: &AnyPool,
    keys: &KeyRing,
    writer: &WriteLock,
    mailer: &Arc<Mailer>,
    now: OffsetDateTime,
) -> anyhow::Result<Vec<String>> {
    let purged = crate::applications::purge_due_secrets(pool, keys, writer, now).await?;
    let mut lines: Vec<String> = purged
        .iter()
        .map(|purge| {
            format!(
                "secret purged: {} secret {} (visible until {}), log entry {}",
                purge.reference, purge.secret_id, purge.visible_until, purge.log_seq
            )
        })
        .collect();
    let reminders = crate::reminders::send_due(pool, keys, writer, mailer, now).await?;
    lines.extend(reminders.iter().map(crate::reminders::Reminder::line));
    let digest = crate::reviewer_notices::send_digest_due(pool, mailer, keys.issuer(), now).await?;
    lines.extend(digest);
    let purged = crate::deletion::purge_due(pool, keys, writer, mailer, now).await?;
    lines.extend(purged.iter().map(|purge| {
        format!(
            "application purged: {} (not recovered within {} days of its deletion), log entry {}",
            purge.reference,
            registration::lifecycle::RECOVERY_DAYS,
            purge.log_seq
        )
    }));
    Ok(lines)
}

/// Runs [`run_due`] now and then every [`EVERY`] in the background, logging failures.
pub fn spawn(pool: AnyPool, keys: Arc<KeyRing>, writer: Arc<WriteLock>, mailer: Arc<Mailer>) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) =
                run_due(&pool, &keys, &writer, &mailer, OffsetDateTime::now_utc()).await
            {
                tracing::error!(error = %format!("{error:#}"), "the scheduled jobs failed");
            }
        }
    });
}
