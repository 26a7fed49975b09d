//! Signed checkpoints of the log (`log_checkpoint`): the desk's signature over its log's head.
//!
//! A checkpoint is a JWS of `typ` `appreg-checkpoint+jwt` whose claims are `iss` (the desk),
//! `iat` (when), `size` (the seq of the last entry covered; 0 for an empty log) and `root` (that
//! entry's `entry_hash`, which by the chain commits to every entry before it). It is signed with
//! the key current then, like records. Anyone holding a copy can later prove that the desk's log
//! still starts with those `size` entries: a shorter log was truncated (or rolled back to an
//! older copy), a different hash at `size` means the log was rewritten (a fork).
//!
//! The writer ([`crate::store::writer`]) makes one inside the batch that takes the log past a
//! multiple of its interval (default [`DEFAULT_EVERY`]); `appreg log checkpoint` makes one on
//! demand; `GET /.well-known/appreg-checkpoint` publishes the latest ([`Checkpoint::document`]).

use anyhow::Context;
use serde_json::{Value, json};
use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::signing::{self, KeyRing, PrivateKey, jws};
use crate::store::log;

/// How many entries apart the writer makes checkpoints, unless configured otherwise.
pub const DEFAULT_EVERY: u64 = 100;

/// A stored checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The seq of the last entry covered.
    pub size: i64,
    /// That entry's `entry_hash` ([`log::GENESIS`] for size 0).
    pub root: String,
    /// The key that signed it.
    pub kid: String,
    /// The signed checkpoint (JWS compact).
    pub jws: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

impl Checkpoint {
    /// The JSON published at `/.well-known/appreg-checkpoint` and printed by
    /// `appreg log checkpoint`: `{ size, root, kid, issued_at, jws }` (the JWS is what counts;
    /// the rest repeats its claims for people and scripts).
    pub fn document(&self) -> Value {
        json!({
            "size": self.size,
            "root": self.root,
            "kid": self.kid,
            "issued_at": self.created_at,
            "jws": self.jws,
        })
    }
}

/// Signs a checkpoint of the log whose tail is `tail`.
pub fn sign(key: &PrivateKey, issuer: &str, tail: &log::Tail, now: OffsetDateTime) -> Checkpoint {
    let now = now.to_offset(time::UtcOffset::UTC);
    let claims = json!({
        "iss": issuer,
        "iat": now.unix_timestamp(),
        "size": tail.seq,
        "root": tail.hash,
    });
    Checkpoint {
        size: tail.seq,
        root: tail.hash.clone(),
        kid: key.kid().to_string(),
        jws: jws::sign_as(key, &signing::canonical_json(&claims), jws::CHECKPOINT_TYP),
        created_at: crate::store::timestamp(now),
    }
}

/// Stores `checkpoint` in the caller's transaction; a checkpoint already stored at the same size
/// is kept (the first one made stands).
pub async fn insert(connection: &mut AnyConnection, checkpoint: &Checkpoint) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO log_checkpoint (size, root, kid, jws, created_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (size) DO NOTHING",
    )
    .bind(checkpoint.size)
    .bind(&checkpoint.root)
    .bind(&checkpoint.kid)
    .bind(&checkpoint.jws)
    .bind(&checkpoint.created_at)
    .execute(connection)
    .await?;
    Ok(())
}

/// Makes a checkpoint of the log as it is now (on demand: `appreg log checkpoint`), or returns
/// the one already stored at this size. Taken under the writer lock (`BEGIN IMMEDIATE`), so the
/// head cannot move meanwhile.
pub async fn make(
    pool: &AnyPool,
    keys: &KeyRing,
    now: OffsetDateTime,
) -> anyhow::Result<Checkpoint> {
    let mut transaction = crate::store::begin_write(pool).await?;
    let tail = log::tail(&mut transaction).await?;
    let existing = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM log_checkpoint WHERE size = $1"
    ))
    .bind(tail.seq)
    .fetch_optional(&mut *transaction)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()?;
    if let Some(existing) = existing {
        anyhow::ensure!(
            existing.root == tail.hash,
            "the log's entry {} no longer has the hash its checkpoint signed ({}, now {}): the log was rewritten; run `appreg log verify`",
            tail.seq,
            existing.root,
            tail.hash
        );
        return Ok(existing);
    }
    let key = keys.current(&mut transaction).await?;
    let checkpoint = sign(&key, keys.issuer(), &tail, now);
    insert(&mut transaction, &checkpoint).await?;
    transaction.commit().await?;
    Ok(checkpoint)
}

const COLUMNS: &str = "size, root, kid, jws, created_at";

fn from_row(row: &sqlx::any::AnyRow) -> anyhow::Result<Checkpoint> {
    Ok(Checkpoint {
        size: row.try_get("size")?,
        root: row.try_get("root")?,
        kid: row.try_get("kid")?,
        jws: row.try_get("jws")?,
        created_at: row.try_get("created_at")?,
    })
}

/// The latest stored checkpoint (the largest size).
pub async fn latest(pool: &AnyPool) -> anyhow::Result<Option<Checkpoint>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM log_checkpoint ORDER BY size DESC LIMIT 1"
    ))
    .fetch_optional(pool)
    .await?
    .as_ref()
    .map(from_row)
    .transpose()
}

/// Up to `limit` stored checkpoints with a size over `after`, smallest first.
pub async fn page(pool: &AnyPool, after: i64, limit: i64) -> anyhow::Result<Vec<Checkpoint>> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM log_checkpoint WHERE size > $1 ORDER BY size LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// What a checkpoint claims (before its signature is checked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Entries covered.
    pub size: i64,
    /// The hash of the last one.
    pub root: String,
    /// When it was signed (Unix time).
    pub iat: i64,
}

/// The claims of a checkpoint JWS, or why it is not one (the signature is checked elsewhere).
pub fn claimed(jws: &str) -> Result<Claimed, String> {
    use base64::Engine as _;
    let payload = jws
        .trim()
        .split('.')
        .nth(1)
        .ok_or("it is not a JWS in compact serialization")?;
    let claims: Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or("its payload is not JSON")?;
    let size = claims
        .get("size")
        .and_then(Value::as_i64)
        .filter(|size| *size >= 0)
        .ok_or("it has no size")?;
    let root = claims
        .get("root")
        .and_then(Value::as_str)
        .filter(|root| root.len() == 64 && root.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or("it has no root (64 hex digits)")?
        .to_string();
    let iat = claims
        .get("iat")
        .and_then(Value::as_i64)
        .ok_or("it has no iat")?;
    Ok(Claimed { size, root, iat })
}

/// The `kid` in a JWS header.
pub fn kid_of(jws: &str) -> Option<String> {
    use base64::Engine as _;
    let header = jws.trim().split('.').next()?;
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(header)
            .ok()?,
    )
    .ok()?;
    header.get("kid")?.as_str().map(str::to_string)
}

/// The checkpoint JWS in `text`: the JWS itself, or the JSON document that carries it
/// (`{ "jws": … }`, as published and as `appreg log checkpoint` prints).
pub fn jws_in(text: &str) -> anyhow::Result<String> {
    let text = text.trim();
    if text.starts_with('{') {
        let document: Value = serde_json::from_str(text).context("the checkpoint is not JSON")?;
        return document
            .get("jws")
            .and_then(Value::as_str)
            .map(str::to_string)
            .context("the checkpoint JSON has no \"jws\" member");
    }
    Ok(text.to_string())
}

/// When a checkpoint was made, for display (RFC 3339).
pub fn issued_at(iat: i64) -> String {
    OffsetDateTime::from_unix_timestamp(iat)
        .ok()
        .and_then(|at| at.format(&Rfc3339).ok())
        .unwrap_or_default()
}
