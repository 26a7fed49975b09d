//! Persistence through sqlx's `Any` driver: an embedded SQLite file by default, or PostgreSQL
//! for several desks on one database. Plain SQL, the same text on both (placeholders `$N`),
//! checked by tests against a real SQLite file and a real PostgreSQL server.

pub mod application_steps;
pub mod applications;
pub mod audit;
pub mod checkpoints;
pub mod claims;
pub mod decisions;
pub mod directory;
pub mod drafts;
pub mod keys;
pub mod log;
pub mod oidc;
pub mod parked_forms;
pub mod password_resets;
pub mod registrations;
pub mod reminders;
pub mod reviewer_digest;
pub mod sessions;
pub mod sign_in;
pub mod users;
pub mod writer;

pub use writer::WriteLock;

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};

/// The migrations in `server/migrations/` (SQLite) and `server/migrations-postgres/`
/// (PostgreSQL), embedded in the binary. The two sets have the same versions and make the same
/// tables, columns and indexes; most files are the same text (a test keeps them in step).
static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations-postgres");

/// The database behind a pool: the statements are the same text on both, but for the few
/// places named here (taking the writer lock, a planner hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file: the default, one desk.
    Sqlite,
    /// A PostgreSQL server: one database for several desks.
    Postgres,
}

impl Backend {
    /// The backend a database URL names, if it is one the desk supports.
    pub fn of_url(database_url: &str) -> Option<Backend> {
        let scheme = database_url.split(':').next()?;
        match scheme {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }

    /// The backend of a pool's connections.
    pub fn of_pool(pool: &AnyPool) -> Backend {
        Backend::of_url(pool.connect_options().database_url.as_str()).unwrap_or(Backend::Sqlite)
    }

    /// The backend of a connection.
    pub fn of_connection(connection: &AnyConnection) -> Backend {
        match connection.backend_name() {
            "PostgreSQL" => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }
}

/// What to write for a database URL the desk does not support.
pub const SUPPORTED_URLS: &str =
    "use sqlite://PATH (the embedded default) or postgres://USER@HOST/DATABASE";

/// Opens the database (creating an SQLite file if missing) and applies pending migrations.
pub async fn open(database_url: &str) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    match Backend::of_url(database_url) {
        Some(Backend::Sqlite) => open_sqlite(database_url).await,
        Some(Backend::Postgres) => open_postgres(database_url).await,
        None => {
            anyhow::bail!(
                "the database URL '{}' is not supported: {SUPPORTED_URLS}",
                redacted(database_url)
            )
        }
    }
}

/// WAL with `synchronous = FULL`: every commit syncs the WAL before it returns, so a request
/// answered as stored survives a power cut as well as a crash (group commit in [`writer`] makes
/// that one sync per batch, not per request; docs/performance.md has the cost). Readers never
/// block the writer.
async fn open_sqlite(database_url: &str) -> anyhow::Result<AnyPool> {
    let options = SqliteConnectOptions::from_str(database_url)
        .with_context(|| format!("the database URL '{database_url}' is not valid"))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
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
    // One connection of its own creates the file and puts it in WAL mode (a setting of the
    // file); the pool's connections then set what is per connection.
    options
        .connect()
        .await
        .with_context(|| format!("cannot open the database {database_url}"))?
        .close()
        .await?;
    let pool = AnyPoolOptions::new()
        // An in-memory database is one per connection.
        .max_connections(if on_disk { 8 } else { 1 })
        .after_connect(|connection, _| {
            Box::pin(async move {
                // A purged client secret's bytes are overwritten, not left in free pages.
                connection
                    .execute(
                        "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; \
                         PRAGMA secure_delete = ON; PRAGMA busy_timeout = 5000",
                    )
                    .await?;
                Ok(())
            })
        })
        .connect(database_url)
        .await
        .with_context(|| format!("cannot open the database {database_url}"))?;
    SQLITE_MIGRATOR
        .run(&pool)
        .await
        .context("cannot apply the database migrations")?;
    Ok(pool)
}

/// A PostgreSQL database shared by any number of desks. Its collation must order text by code
/// point, as SQLite does: times are stored as RFC 3339 text and compared as text.
async fn open_postgres(database_url: &str) -> anyhow::Result<AnyPool> {
    // One connection first, for its own error: the pool's would only say it timed out.
    AnyConnection::connect(database_url)
        .await
        .with_context(|| format!("cannot connect to the database {}", redacted(database_url)))?
        .close()
        .await?;
    let pool = AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(Duration::from_secs(10))
        .connect(database_url)
        .await
        .with_context(|| format!("cannot connect to the database {}", redacted(database_url)))?;
    let collation: String = sqlx::query_scalar(
        "SELECT datcollate::text FROM pg_database WHERE datname = current_database()",
    )
    .fetch_one(&pool)
    .await?;
    if !matches!(collation.as_str(), "C" | "POSIX" | "C.UTF-8" | "C.utf8") {
        anyhow::bail!(
            "the database {} has collation '{collation}': the desk compares times stored as text \
             and needs code-point order. Make it with: createdb --template=template0 \
             --locale=C --encoding=UTF8 NAME",
            redacted(database_url)
        );
    }
    POSTGRES_MIGRATOR
        .run(&pool)
        .await
        .context("cannot apply the database migrations")?;
    Ok(pool)
}

/// A database URL without its password, for messages and logs.
pub fn redacted(database_url: &str) -> String {
    match url::Url::parse(database_url) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("***"));
            url.to_string()
        }
        _ => database_url.to_string(),
    }
}

/// Begins a transaction that holds the store's one writer lock until it ends, so that what it
/// reads (the log's tail, the current key, counts) stays true until it commits. On SQLite that
/// is `BEGIN IMMEDIATE`; on PostgreSQL, shared by several desks, a transaction-scoped advisory
/// lock taken first thing (released by COMMIT or ROLLBACK, or when the connection drops).
pub async fn begin_write(pool: &AnyPool) -> anyhow::Result<sqlx::Transaction<'static, sqlx::Any>> {
    match Backend::of_pool(pool) {
        Backend::Sqlite => Ok(pool.begin_with("BEGIN IMMEDIATE").await?),
        Backend::Postgres => {
            let mut transaction = pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITER_LOCK)
                .execute(&mut *transaction)
                .await?;
            Ok(transaction)
        }
    }
}

/// The advisory lock key of the writer lock on PostgreSQL ("appreg" in ASCII).
const WRITER_LOCK: i64 = 0x0000_6170_7072_6567;

/// After a bulk load (`appreg bench-data`): the planner's statistics brought up to date and, on
/// PostgreSQL, the new rows' pages marked all-visible, as autovacuum would do a minute or more
/// later, so that counts are answered from the indexes alone (docs/performance.md).
pub async fn after_bulk_load(pool: &AnyPool) -> anyhow::Result<()> {
    let statement = match Backend::of_pool(pool) {
        Backend::Sqlite => "ANALYZE",
        Backend::Postgres => "VACUUM (ANALYZE)",
    };
    sqlx::query(statement).execute(pool).await?;
    Ok(())
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
pub async fn is_healthy(pool: &AnyPool) -> bool {
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

/// The VALUES of a `rows`-row insert of `width` columns on `connection`'s store, each row's
/// values bound in order: `($1, …, $width), ($width+1, …), …` on PostgreSQL, `(?, …), …` on
/// SQLite. SQLite (parsing) and sqlx (binding) look every numbered or named mark up in a list of
/// the statement's marks, which is quadratic in their number: with a batch's hundreds of marks,
/// 3.5% of the server's CPU under the submit load (docs/performance.md, "Where a submission's
/// time goes"). Anonymous marks are taken in order, with no lookup.
pub fn value_rows(connection: &AnyConnection, rows: usize, width: usize) -> String {
    match Backend::of_connection(connection) {
        Backend::Sqlite => {
            let row = format!("({})", vec!["?"; width].join(", "));
            vec![row; rows].join(", ")
        }
        Backend::Postgres => numbered_value_rows(rows, width),
    }
}

/// `($1, …, $width), ($width+1, …), …`.
fn numbered_value_rows(rows: usize, width: usize) -> String {
    (0..rows)
        .map(|row| format!("({})", placeholders(row * width + 1, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_database_that_does_not_answer_is_named_without_its_password() {
        let error = super::open("postgres://appreg:s3cret@127.0.0.1:1/appreg")
            .await
            .unwrap_err();
        let message = format!("{error:#}");
        assert!(
            message.starts_with(
                "cannot connect to the database postgres://appreg:***@127.0.0.1:1/appreg: "
            ),
            "{message}"
        );
        assert!(!message.contains("s3cret"), "{message}");
        let error = super::open("mysql://appreg:s3cret@db/appreg")
            .await
            .unwrap_err();
        assert!(!format!("{error:#}").contains("s3cret"), "{error:#}");
    }

    #[test]
    fn placeholders_are_numbered_across_rows() {
        assert_eq!(super::placeholders(3, 2), "$3, $4");
        assert_eq!(
            super::numbered_value_rows(2, 3),
            "($1, $2, $3), ($4, $5, $6)"
        );
        assert_eq!(super::numbered_value_rows(0, 3), "");
    }

    #[tokio::test]
    async fn a_multi_row_insert_on_sqlite_takes_its_values_in_order_unnumbered() {
        use sqlx::Connection as _;
        sqlx::any::install_default_drivers();
        let connection = sqlx::AnyConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        assert_eq!(super::value_rows(&connection, 2, 3), "(?, ?, ?), (?, ?, ?)");
    }
}
