//! Registered applications (`implementation`) and their client secrets (`client_secret`). The
//! rules are `crate::applications`'s; this module only stores and reads. A secret's value is
//! only ever here sealed (`crate::secrets`), and only until it is purged.

use sqlx::{AnyConnection, AnyPool, Row};

/// A registered application as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImplementation {
    /// The request's reference.
    pub reference: String,
    /// The approved version that was implemented.
    pub version: i64,
    /// The Application (client) ID.
    pub application_id: String,
    /// The object ID.
    pub object_id: String,
    /// The tenant it lives in.
    pub tenant_id: String,
    /// The reviewer's email.
    pub implemented_by_email: String,
    /// When (RFC 3339).
    pub implemented_at: String,
    /// The signed implementation's log entry.
    pub log_seq: i64,
}

/// A new implementation row.
pub struct NewImplementation<'a> {
    /// The request's reference.
    pub reference: &'a str,
    /// The version implemented.
    pub version: i64,
    /// The Application (client) ID.
    pub application_id: &'a str,
    /// The object ID.
    pub object_id: &'a str,
    /// The tenant.
    pub tenant_id: &'a str,
    /// The reviewer's account id.
    pub implemented_by: &'a str,
    /// The reviewer's email.
    pub implemented_by_email: &'a str,
    /// When (RFC 3339).
    pub implemented_at: &'a str,
    /// The signed entry.
    pub log_seq: i64,
}

/// A client secret as stored (without its sealed value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    /// The secret's id (Entra's `keyId`).
    pub secret_id: String,
    /// The request's reference.
    pub reference: String,
    /// When it expires (RFC 3339).
    pub expires_at: String,
    /// When it was handed to the desk (RFC 3339).
    pub issued_at: String,
    /// Until when the Local Administrators can see it (RFC 3339).
    pub visible_until: String,
    /// Whether the sealed value is still stored.
    pub has_value: bool,
    /// When the value was destroyed.
    pub purged_at: Option<String>,
}

/// Stores an implementation in the caller's transaction.
pub async fn insert(
    connection: &mut AnyConnection,
    row: &NewImplementation<'_>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO implementation (reference, version, application_id, object_id, tenant_id,
            implemented_by, implemented_by_email, implemented_at, log_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(row.reference)
    .bind(row.version)
    .bind(row.application_id)
    .bind(row.object_id)
    .bind(row.tenant_id)
    .bind(row.implemented_by)
    .bind(row.implemented_by_email)
    .bind(row.implemented_at)
    .bind(row.log_seq)
    .execute(connection)
    .await?;
    Ok(())
}

/// Moves the implementation of `row.reference` to the renewal or change `row.version` was made
/// from and its signed entry, in the caller's transaction. The Application and object IDs and the
/// tenant stay, and so do who created it and when (the pages' "Created in NHSmail"; each renewal
/// or change made is its own signed entry in the log).
pub async fn replace(
    connection: &mut AnyConnection,
    row: &NewImplementation<'_>,
) -> anyhow::Result<()> {
    let result = sqlx::query(
        "UPDATE implementation SET version = $1, log_seq = $2
         WHERE reference = $3 AND application_id = $4 AND object_id = $5 AND tenant_id = $6",
    )
    .bind(row.version)
    .bind(row.log_seq)
    .bind(row.reference)
    .bind(row.application_id)
    .bind(row.object_id)
    .bind(row.tenant_id)
    .execute(connection)
    .await?;
    anyhow::ensure!(
        result.rows_affected() == 1,
        "{} has no implementation with those IDs to move on",
        row.reference
    );
    Ok(())
}

/// Whether a client secret with `secret_id` is recorded (for any application), in the caller's
/// transaction.
pub async fn secret_recorded_in(
    connection: &mut AnyConnection,
    secret_id: &str,
) -> anyhow::Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM client_secret WHERE lower(secret_id) = lower($1)")
            .bind(secret_id)
            .fetch_optional(connection)
            .await?;
    Ok(found.is_some())
}

/// Stores a sealed client secret in the caller's transaction.
pub async fn insert_secret(
    connection: &mut AnyConnection,
    secret: &StoredSecret,
    sealed: &[u8],
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO client_secret (secret_id, reference, expires_at, issued_at, visible_until, ciphertext)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&secret.secret_id)
    .bind(&secret.reference)
    .bind(&secret.expires_at)
    .bind(&secret.issued_at)
    .bind(&secret.visible_until)
    .bind(sealed)
    .execute(connection)
    .await?;
    Ok(())
}

const IMPLEMENTATION_COLUMNS: &str = "reference, version, application_id, object_id, tenant_id,
    implemented_by_email, implemented_at, log_seq";

fn implementation_from_row(row: &sqlx::any::AnyRow) -> anyhow::Result<StoredImplementation> {
    Ok(StoredImplementation {
        reference: row.try_get("reference")?,
        version: row.try_get("version")?,
        application_id: row.try_get("application_id")?,
        object_id: row.try_get("object_id")?,
        tenant_id: row.try_get("tenant_id")?,
        implemented_by_email: row.try_get("implemented_by_email")?,
        implemented_at: row.try_get("implemented_at")?,
        log_seq: row.try_get("log_seq")?,
    })
}

/// The implementation of `reference`, read on the caller's connection.
pub async fn implementation_in(
    connection: &mut AnyConnection,
    reference: &str,
) -> anyhow::Result<Option<StoredImplementation>> {
    let row = sqlx::query(&format!(
        "SELECT {IMPLEMENTATION_COLUMNS} FROM implementation WHERE reference = $1"
    ))
    .bind(reference)
    .fetch_optional(connection)
    .await?;
    row.as_ref().map(implementation_from_row).transpose()
}

/// The implementation of `reference`.
pub async fn implementation(
    pool: &AnyPool,
    reference: &str,
) -> anyhow::Result<Option<StoredImplementation>> {
    let mut connection = pool.acquire().await?;
    implementation_in(&mut connection, reference).await
}

fn secret_from_row(row: &sqlx::any::AnyRow) -> anyhow::Result<StoredSecret> {
    Ok(StoredSecret {
        secret_id: row.try_get("secret_id")?,
        reference: row.try_get("reference")?,
        expires_at: row.try_get("expires_at")?,
        issued_at: row.try_get("issued_at")?,
        visible_until: row.try_get("visible_until")?,
        has_value: row.try_get::<i64, _>("has_value")? == 1,
        purged_at: row.try_get("purged_at")?,
    })
}

const SECRET_COLUMNS: &str = "secret_id, reference, expires_at, issued_at, visible_until,
    CASE WHEN ciphertext IS NULL THEN 0 ELSE 1 END AS has_value, purged_at";

/// The client secrets of `reference`, oldest first (without their values). Issued in the same
/// second (timestamps are whole seconds), the one stored first is the older.
pub async fn secrets(pool: &AnyPool, reference: &str) -> anyhow::Result<Vec<StoredSecret>> {
    let rows = sqlx::query(&format!(
        "SELECT {SECRET_COLUMNS} FROM client_secret WHERE reference = $1 ORDER BY issued_at, rowid"
    ))
    .bind(reference)
    .fetch_all(pool)
    .await?;
    rows.iter().map(secret_from_row).collect()
}

/// The implementations and the client secrets (oldest first) of `references`: the inventory
/// reads them in a few queries (one per 500 references), whatever the number of applications.
pub async fn all_of(
    pool: &AnyPool,
    references: &[String],
) -> anyhow::Result<(Vec<StoredImplementation>, Vec<StoredSecret>)> {
    let mut implementations = Vec::new();
    let mut secrets = Vec::new();
    for chunk in references.chunks(500) {
        let marks = super::placeholders(1, chunk.len());
        let query = format!(
            "SELECT {IMPLEMENTATION_COLUMNS} FROM implementation WHERE reference IN ({marks})"
        );
        let mut rows = sqlx::query(&query);
        for reference in chunk {
            rows = rows.bind(reference);
        }
        for row in rows.fetch_all(pool).await? {
            implementations.push(implementation_from_row(&row)?);
        }
        let query = format!(
            "SELECT {SECRET_COLUMNS} FROM client_secret WHERE reference IN ({marks})
             ORDER BY reference, issued_at, rowid"
        );
        let mut rows = sqlx::query(&query);
        for reference in chunk {
            rows = rows.bind(reference);
        }
        for row in rows.fetch_all(pool).await? {
            secrets.push(secret_from_row(&row)?);
        }
    }
    Ok((implementations, secrets))
}

/// The newest client secret of `reference` with its sealed value (`None` once purged).
pub async fn latest_sealed(
    pool: &AnyPool,
    reference: &str,
) -> anyhow::Result<Option<(StoredSecret, Option<Vec<u8>>)>> {
    let row = sqlx::query(&format!(
        "SELECT {SECRET_COLUMNS}, ciphertext FROM client_secret WHERE reference = $1
         ORDER BY issued_at DESC, rowid DESC LIMIT 1"
    ))
    .bind(reference)
    .fetch_optional(pool)
    .await?;
    row.map(|row| Ok((secret_from_row(&row)?, row.try_get("ciphertext")?)))
        .transpose()
}

/// The secrets whose value is still stored and whose visibility ended at or before `now`
/// (RFC 3339, as stored), read on the caller's connection (inside the purge's transaction).
pub async fn due_for_purge_in(
    connection: &mut AnyConnection,
    now: &str,
) -> anyhow::Result<Vec<StoredSecret>> {
    let rows = sqlx::query(&format!(
        "SELECT {SECRET_COLUMNS} FROM client_secret
         WHERE ciphertext IS NOT NULL AND visible_until <= $1 ORDER BY visible_until, secret_id"
    ))
    .bind(now)
    .fetch_all(connection)
    .await?;
    rows.iter().map(secret_from_row).collect()
}

/// Destroys the stored value of `secret_id` (in the caller's transaction), noting when and the
/// signed entry that says so.
pub async fn purge_value(
    connection: &mut AnyConnection,
    secret_id: &str,
    purged_at: &str,
    log_seq: i64,
) -> anyhow::Result<()> {
    let result = sqlx::query(
        "UPDATE client_secret SET ciphertext = NULL, purged_at = $1, purge_log_seq = $2
         WHERE secret_id = $3 AND ciphertext IS NOT NULL",
    )
    .bind(purged_at)
    .bind(log_seq)
    .bind(secret_id)
    .execute(connection)
    .await?;
    anyhow::ensure!(
        result.rows_affected() == 1,
        "the secret {secret_id} had no value to purge"
    );
    Ok(())
}

/// After secrets were purged: clears the copies of their pages the store still keeps. On SQLite,
/// the WAL's (best effort: a reader still on an old snapshot delays it to the next checkpoint;
/// `secure_delete` already overwrote the freed bytes). On PostgreSQL, VACUUM frees the old row
/// versions, which stay in the table's file until reused (docs/security.md says what that leaves).
pub async fn clear_purged_copies(pool: &AnyPool) -> anyhow::Result<()> {
    let statement = match super::Backend::of_pool(pool) {
        super::Backend::Sqlite => "PRAGMA wal_checkpoint(TRUNCATE)",
        super::Backend::Postgres => "VACUUM client_secret",
    };
    sqlx::query(statement).execute(pool).await?;
    Ok(())
}
