//! The tamper-evident log: an append-only hash chain of signed records (and, with the review
//! issue, decisions). Entry `n` holds `seq = n`, the `entry_hash` of entry `n - 1` as `prev_hash`
//! (64 zeros for entry 1) and its own `entry_hash`: the hex SHA-256 of the canonical JSON of
//! `{seq, kind, reference, version, jws, prev_hash, created_at}`.
//!
//! Gap-free and fork-free under concurrency: `append` runs inside the caller's write
//! transaction, which on SQLite is opened with `BEGIN IMMEDIATE` (the database's single writer
//! lock is taken before the last entry is read), so no two appends read the same tail; and the
//! primary key on `seq` refuses a second entry at the same place even if that were broken.
//! A write batch (`store::writer`) reads the tail once and keeps it in memory across its appends
//! ([`append_after`]); a job rolled back to its savepoint gives its tail back.
//! On PostgreSQL the same statements run under `pg_advisory_xact_lock(<log lock id>)` taken as
//! the transaction's first statement (or at `SERIALIZABLE`, retrying on serialization failure):
//! the advisory lock serialises appenders without blocking readers.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::signing::{self, KeySet, VerifyError};

/// The `prev_hash` of entry 1.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The reference of an account's change entries: `account/<account id>`.
pub const ACCOUNT_PREFIX: &str = "account/";

/// How many entries `verify_chain` reads at a time (memory stays bounded for any log length).
const VERIFY_PAGE: i64 = 512;

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The signed record of a submitted version.
    RegistrationRecord,
    /// A reviewer's signed decision.
    Decision,
    /// The application as created in the tenant: the request became `live`.
    Implementation,
    /// A client secret's value was destroyed (72 hours after the implementation).
    SecretPurged,
    /// A step of a registered application's deletion or recovery
    /// (`registration::lifecycle::Step`): `REF/application_step/<n>`.
    ApplicationStep,
    /// A change of an account (`crate::identity::accounts`): its entry's reference is
    /// `account/<account id>` and its version the change's number for that account (1, 2, …);
    /// `jti` is `account/<account id>/<n>`.
    AccountChange,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 6] = [
        Kind::RegistrationRecord,
        Kind::Decision,
        Kind::Implementation,
        Kind::SecretPurged,
        Kind::ApplicationStep,
        Kind::AccountChange,
    ];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::RegistrationRecord => "registration_record",
            Kind::Decision => "decision",
            Kind::Implementation => "implementation",
            Kind::SecretPurged => "secret_purged",
            Kind::ApplicationStep => "application_step",
            Kind::AccountChange => "account_change",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    /// The JWS `typ` an entry of this kind is signed with.
    pub const fn typ(self) -> &'static str {
        match self {
            Kind::RegistrationRecord => signing::jws::TYP,
            Kind::Decision => signing::jws::DECISION_TYP,
            Kind::Implementation => signing::jws::IMPLEMENTATION_TYP,
            Kind::SecretPurged => signing::jws::SECRET_PURGED_TYP,
            Kind::ApplicationStep => signing::jws::APPLICATION_STEP_TYP,
            Kind::AccountChange => signing::jws::ACCOUNT_CHANGE_TYP,
        }
    }

    /// The `jti` of an entry of this kind that is not a record or decision: `REF/implementation`,
    /// `REF/secret_purged/<secret id>`, `REF/application_step/<n>`.
    pub fn jti_prefix(self, reference: &str) -> String {
        format!("{reference}/{}", self.as_str())
    }
}

/// One entry of the chain as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// 1, 2, 3, ...
    pub seq: i64,
    /// `registration_record` or `decision`.
    pub kind: String,
    /// The request's reference.
    pub reference: String,
    /// The request's version.
    pub version: i64,
    /// The signed record (JWS compact).
    pub jws: String,
    /// The previous entry's `entry_hash`.
    pub prev_hash: String,
    /// This entry's hash.
    pub entry_hash: String,
    /// When it was appended (RFC 3339).
    pub created_at: String,
}

impl LogEntry {
    /// The tail once this entry is appended.
    pub fn as_tail(&self) -> Tail {
        Tail {
            seq: self.seq,
            hash: self.entry_hash.clone(),
        }
    }

    /// The hash this entry should have: hex SHA-256 of the canonical JSON of its fields.
    pub fn computed_hash(&self) -> String {
        let fields = json!({
            "seq": self.seq,
            "kind": self.kind,
            "reference": self.reference,
            "version": self.version,
            "jws": self.jws,
            "prev_hash": self.prev_hash,
            "created_at": self.created_at,
        });
        sha256_hex(signing::canonical_json(&fields).as_bytes())
    }
}

/// The hex SHA-256 of `bytes` (entry hashes; a decision's `record_sha256`).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(DIGITS[usize::from(byte >> 4)] as char);
        text.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    text
}

/// Where the next entry goes: the last entry's seq (0 for an empty log) and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tail {
    /// The last entry's seq.
    pub seq: i64,
    /// The last entry's `entry_hash` ([`GENESIS`] for an empty log).
    pub hash: String,
}

/// The log's tail, read on the caller's connection (inside a write transaction begun with
/// `BEGIN IMMEDIATE`, so that it stays the tail until the transaction ends).
pub async fn tail(connection: &mut AnyConnection) -> anyhow::Result<Tail> {
    let row = sqlx::query("SELECT seq, entry_hash FROM log_entry ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *connection)
        .await?;
    Ok(match row {
        Some(row) => Tail {
            seq: row.try_get("seq")?,
            hash: row.try_get("entry_hash")?,
        },
        None => Tail {
            seq: 0,
            hash: GENESIS.to_string(),
        },
    })
}

/// The entry that follows `tail`: its seq, its link to `tail` and its hash (nothing stored).
pub fn next_entry(
    tail: &Tail,
    kind: Kind,
    reference: &str,
    version: i64,
    jws: &str,
    now: OffsetDateTime,
) -> anyhow::Result<LogEntry> {
    let mut entry = LogEntry {
        seq: tail.seq + 1,
        kind: kind.as_str().to_string(),
        reference: reference.to_string(),
        version,
        jws: jws.to_string(),
        prev_hash: tail.hash.clone(),
        entry_hash: String::new(),
        created_at: now.to_offset(time::UtcOffset::UTC).format(&Rfc3339)?,
    };
    entry.entry_hash = entry.computed_hash();
    Ok(entry)
}

/// Appends an entry after `tail`, which must be the log's tail in the caller's write
/// transaction (a batch keeps it in memory across its appends); moves `tail` on when stored.
pub async fn append_after(
    connection: &mut AnyConnection,
    tail: &mut Tail,
    kind: Kind,
    reference: &str,
    version: i64,
    jws: &str,
    now: OffsetDateTime,
) -> anyhow::Result<LogEntry> {
    let entry = next_entry(tail, kind, reference, version, jws, now)?;
    insert_entries(connection, std::slice::from_ref(&entry)).await?;
    *tail = entry.as_tail();
    Ok(entry)
}

/// Stores `entries` (made by [`next_entry`], each after the one before) in one statement.
pub async fn insert_entries(
    connection: &mut AnyConnection,
    entries: &[LogEntry],
) -> anyhow::Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let statement = format!(
        "INSERT INTO log_entry (seq, kind, reference, version, jws, prev_hash, entry_hash, created_at) VALUES {}",
        super::value_rows(connection, entries.len(), 8)
    );
    let mut insert = sqlx::query(&statement);
    for entry in entries {
        insert = insert
            .bind(entry.seq)
            .bind(&entry.kind)
            .bind(&entry.reference)
            .bind(entry.version)
            .bind(&entry.jws)
            .bind(&entry.prev_hash)
            .bind(&entry.entry_hash)
            .bind(&entry.created_at);
    }
    // Not kept in the connection's statement cache: a statement per group size (1 to 64 rows)
    // would each stay prepared, tens of kilobytes apiece (docs/performance.md).
    insert.persistent(false).execute(&mut *connection).await?;
    Ok(())
}

/// The signed record (JWS) of version `version` of `reference`, read on the caller's connection.
pub async fn latest_record_in(
    connection: &mut AnyConnection,
    reference: &str,
    version: i64,
) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT jws FROM log_entry WHERE reference = $1 AND version = $2 AND kind = 'registration_record'
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(reference)
    .bind(version)
    .fetch_optional(connection)
    .await?)
}

/// The signed record (JWS) of version `version` of `reference`, read from the pool.
pub async fn record_of(
    pool: &AnyPool,
    reference: &str,
    version: i64,
) -> anyhow::Result<Option<String>> {
    let mut connection = pool.acquire().await?;
    latest_record_in(&mut connection, reference, version).await
}

/// The signed record (JWS) of the latest version of `reference`, if it has one.
pub async fn latest_record(pool: &AnyPool, reference: &str) -> anyhow::Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT jws FROM log_entry WHERE reference = $1 AND kind = 'registration_record'
         ORDER BY version DESC, seq DESC LIMIT 1",
    )
    .bind(reference)
    .fetch_optional(pool)
    .await?)
}

/// The entries of `kind` about `reference` (a request, or an account's `account:` name), oldest
/// first: each one's signed claims (JWS) and when it was appended.
pub async fn entries_about(
    pool: &AnyPool,
    kind: Kind,
    reference: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT jws, created_at FROM log_entry WHERE kind = $1 AND reference = $2 ORDER BY seq",
    )
    .bind(kind.as_str())
    .bind(reference)
    .fetch_all(pool)
    .await?)
}

/// The highest version of the entries about `reference` (0 when there is none), read on the
/// caller's connection: an account's changes are numbered as a request's versions are.
pub async fn latest_version_in(
    connection: &mut AnyConnection,
    reference: &str,
) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar::<_, i64>(
        "SELECT COALESCE(MAX(version), 0) FROM log_entry WHERE reference = $1",
    )
    .bind(reference)
    .fetch_one(&mut *connection)
    .await?)
}

/// Every entry in order (for tests and small logs; `verify_chain` pages instead).
pub async fn entries(pool: &AnyPool) -> anyhow::Result<Vec<LogEntry>> {
    page(pool, 0, i64::MAX).await
}

/// Up to `limit` entries after `after`, in order.
pub(crate) async fn page(pool: &AnyPool, after: i64, limit: i64) -> anyhow::Result<Vec<LogEntry>> {
    let rows = sqlx::query(
        "SELECT seq, kind, reference, version, jws, prev_hash, entry_hash, created_at
         FROM log_entry WHERE seq > $1 ORDER BY seq LIMIT $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(LogEntry {
                seq: row.try_get("seq")?,
                kind: row.try_get("kind")?,
                reference: row.try_get("reference")?,
                version: row.try_get("version")?,
                jws: row.try_get("jws")?,
                prev_hash: row.try_get("prev_hash")?,
                entry_hash: row.try_get("entry_hash")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// The `entry_hash` of entry `seq`, if the log has it.
pub async fn entry_hash(pool: &AnyPool, seq: i64) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT entry_hash FROM log_entry WHERE seq = $1")
            .bind(seq)
            .fetch_optional(pool)
            .await?,
    )
}

/// What is wrong with the first broken entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Broken {
    /// An entry is missing: the next one found has a later number.
    #[error("the entry is missing (the next entry is {found})")]
    Missing {
        /// The seq found instead.
        found: i64,
    },
    /// `prev_hash` is not the previous entry's `entry_hash`.
    #[error("its prev_hash does not match the hash of entry {previous}")]
    PrevLink {
        /// The previous seq.
        previous: i64,
    },
    /// The stored `entry_hash` is not the hash of the entry's contents.
    #[error("its contents do not match its entry_hash (the entry was altered)")]
    Hash,
    /// The record's signature does not verify.
    #[error("{0}")]
    Signature(VerifyError),
    /// The signed record names another request.
    #[error("the signed record's jti is '{jti}', not the entry's reference")]
    Reference {
        /// The record's jti.
        jti: String,
    },
    /// The signed decision names another request or version than the entry.
    #[error("the signed decision names another request or version than the entry")]
    DecisionTarget,
    /// The entry's kind is not one the desk writes.
    #[error("its kind '{0}' is not one the desk writes")]
    UnknownKind(String),
    /// The signed implementation or purge names another request or version than the entry.
    #[error("the signed {0} names another request or version than the entry")]
    Target(&'static str),
}

/// The result of walking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainCheck {
    /// Every entry links, hashes and verifies.
    Whole {
        /// How many entries.
        entries: i64,
    },
    /// The first broken entry.
    BrokenAt {
        /// Its seq (for a missing entry: the seq that should be there).
        seq: i64,
        /// What is wrong.
        what: Broken,
    },
}

/// The keys the log is checked against: the database's current and retired keys, with its
/// revoked keys marked revoked.
pub async fn key_set(pool: &AnyPool) -> anyhow::Result<KeySet> {
    let mut keys = KeySet::from_jwks(&crate::store::keys::jwks(pool).await?);
    keys.add_revoked(&crate::store::keys::revoked_jwks(pool).await?);
    Ok(keys)
}

/// Walks the whole chain from entry 1 and reports the first broken link: a missing entry, a
/// `prev_hash` that does not match, an altered entry, a signature that does not verify against
/// `keys` (a revoked key included), or a record for another reference.
pub async fn verify_chain(pool: &AnyPool, keys: &KeySet) -> anyhow::Result<ChainCheck> {
    let mut previous_hash = GENESIS.to_string();
    let mut expected = 1;
    loop {
        let entries = page(pool, expected - 1, VERIFY_PAGE).await?;
        if entries.is_empty() {
            return Ok(ChainCheck::Whole {
                entries: expected - 1,
            });
        }
        for entry in entries {
            if let Some(what) = check_entry(&entry, expected, &previous_hash, keys) {
                let seq = if matches!(what, Broken::Missing { .. }) {
                    expected
                } else {
                    entry.seq
                };
                return Ok(ChainCheck::BrokenAt { seq, what });
            }
            previous_hash = entry.entry_hash;
            expected += 1;
        }
    }
}

fn check_entry(
    entry: &LogEntry,
    expected: i64,
    previous_hash: &str,
    keys: &KeySet,
) -> Option<Broken> {
    if entry.seq != expected {
        return Some(Broken::Missing { found: entry.seq });
    }
    if entry.prev_hash != previous_hash {
        return Some(Broken::PrevLink {
            previous: expected - 1,
        });
    }
    if entry.computed_hash() != entry.entry_hash {
        return Some(Broken::Hash);
    }
    let Some(kind) = Kind::parse(&entry.kind) else {
        return Some(Broken::UnknownKind(entry.kind.clone()));
    };
    let verified = match signing::jws::verify_as(&entry.jws, keys, kind.typ()) {
        Ok(verified) => verified,
        Err(error) => return Some(Broken::Signature(error)),
    };
    target_problem(entry, kind, &verified.claims)
}

/// What is wrong with whom an entry's verified claims name, for its kind.
pub fn target_problem(entry: &LogEntry, kind: Kind, claims: &Value) -> Option<Broken> {
    let reference = claims.get("reference").and_then(Value::as_str);
    let version = claims.get("version").and_then(Value::as_i64);
    let jti = claims.get("jti").and_then(Value::as_str).unwrap_or("");
    let names_entry = reference == Some(entry.reference.as_str()) && version == Some(entry.version);
    match kind {
        Kind::Decision if !names_entry => Some(Broken::DecisionTarget),
        Kind::RegistrationRecord if jti != entry.reference => Some(Broken::Reference {
            jti: jti.to_string(),
        }),
        Kind::Implementation | Kind::SecretPurged | Kind::ApplicationStep
            if !names_entry || !jti.starts_with(&kind.jti_prefix(&entry.reference)) =>
        {
            Some(Broken::Target(kind.as_str()))
        }
        Kind::AccountChange
            if !entry.reference.starts_with(ACCOUNT_PREFIX)
                || claims.get("account").and_then(Value::as_str)
                    != entry.reference.strip_prefix(ACCOUNT_PREFIX)
                || jti != format!("{}/{}", entry.reference, entry.version) =>
        {
            Some(Broken::Target(kind.as_str()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_lower_case_hex_sha256() {
        assert_eq!(
            hex(&Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(GENESIS.len(), 64);
    }

    #[test]
    fn the_entry_hash_covers_every_field() {
        let entry = LogEntry {
            seq: 1,
            kind: "registration_record".into(),
            reference: "AR-7K3M-Q9XD".into(),
            version: 1,
            jws: "a.b.c".into(),
            prev_hash: GENESIS.into(),
            entry_hash: String::new(),
            created_at: "2026-01-01T00:00:00Z".into(),
        };
        let hash = entry.computed_hash();
        let changed = [
            LogEntry {
                seq: 2,
                ..entry.clone()
            },
            LogEntry {
                kind: "decision".into(),
                ..entry.clone()
            },
            LogEntry {
                reference: "AR-7K3M-Q9XE".into(),
                ..entry.clone()
            },
            LogEntry {
                version: 2,
                ..entry.clone()
            },
            LogEntry {
                jws: "a.b.d".into(),
                ..entry.clone()
            },
            LogEntry {
                prev_hash: "1".repeat(64),
                ..entry.clone()
            },
            LogEntry {
                created_at: "2026-01-01T00:00:01Z".into(),
                ..entry.clone()
            },
        ];
        for other in changed {
            assert_ne!(other.computed_hash(), hash, "{other:?}");
        }
    }
}
