//! Persistence: SQLite through sqlx (plain SQL, checked by tests against a real database file).

pub mod application_steps;
pub mod applications;
pub mod audit;
pub mod checkpoints;
pub mod decisions;
pub mod directory;
pub mod drafts;
pub mod keys;
pub mod log;
pub mod registrations;
pub mod sessions;
pub mod sign_in;
pub mod users;
pub mod writer;

pub use writer::WriteLock;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

/// The migrations in `server/migrations/`, embedded in the binary.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Opens (creating if missing) the database and applies pending migrations.
///
/// WAL with `synchronous = FULL`: every commit syncs the WAL before it returns, so a request
/// answered as stored survives a power cut as well as a crash (group commit in [`writer`] makes
/// that one sync per batch, not per request; docs/performance.md has the cost). Readers never
/// block the writer.
pub async fn open(database_url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(database_url)
        .with_context(|| format!("the database URL '{database_url}' is not valid"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        // A purged client secret's bytes are overwritten, not left in free pages.
        .pragma("secure_delete", "ON")
        .busy_timeout(Duration::from_secs(5));
    let file = options.get_filename().to_path_buf();
    let on_disk = !file.as_os_str().is_empty() && file.as_os_str() != ":memory:";
    if on_disk {
        // The database holds every request and account: owner-only, whatever the umask.
        // SQLite gives the -wal and -shm files the mode of the database file.
        crate::files::private_parents(&file)?;
        crate::files::private_file(&file)?;
        for suffix in ["-wal", "-shm"] {
            let mut side = file.clone().into_os_string();
            side.push(suffix);
            crate::files::restrict(std::path::Path::new(&side))?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .with_context(|| format!("cannot open the database {database_url}"))?;
    MIGRATOR
        .run(&pool)
        .await
        .context("cannot apply the database migrations")?;
    Ok(pool)
}

/// An instant as stored: RFC 3339 in UTC to the whole second, so text order is time order.
pub fn timestamp(at: time::OffsetDateTime) -> String {
    let at = at
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// True when the database answers a query.
pub async fn is_healthy(pool: &SqlitePool) -> bool {
    sqlx::query_scalar::<_, i64>("SELECT 1")
        .fetch_one(pool)
        .await
        .is_ok()
}

/// `$first, $first+1, …`: `count` numbered placeholders, which both stores read (SQLite takes
/// `$N` as the N-th bound value, as PostgreSQL does).
pub fn placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|n| format!("${n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, …, $width), ($width+1, …), …`: the VALUES of a `rows`-row insert of `width` columns.
pub fn value_rows(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(row * width + 1, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn placeholders_are_numbered_across_rows() {
        assert_eq!(super::placeholders(3, 2), "$3, $4");
        assert_eq!(super::value_rows(2, 3), "($1, $2, $3), ($4, $5, $6)");
        assert_eq!(super::value_rows(0, 3), "");
    }
}
