//! Record-signing key metadata: which key is current, which are retired or revoked, and the
//! public JWKs published at `/.well-known/jwks.json` and `/.well-known/jwks-revoked.json`.
//! Private keys are never in the database (they are files, see `signing::keys`).

use serde_json::{Value, json};
use sqlx::{AnyConnection, AnyPool, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where a key is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Signs new records.
    Current,
    /// Signs nothing new; verifies what it signed.
    Retired,
    /// Verifies nothing.
    Revoked,
}

impl KeyState {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            KeyState::Current => "current",
            KeyState::Retired => "retired",
            KeyState::Revoked => "revoked",
        }
    }

    fn parse(text: &str) -> anyhow::Result<KeyState> {
        match text {
            "current" => Ok(KeyState::Current),
            "retired" => Ok(KeyState::Retired),
            "revoked" => Ok(KeyState::Revoked),
            other => anyhow::bail!("unknown stored key state '{other}'"),
        }
    }
}

/// One key's public metadata.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct KeyInfo {
    /// RFC 7638 thumbprint.
    pub kid: String,
    /// Its state.
    pub state: KeyState,
    /// `{kty, crv, x, y}`.
    pub public_jwk: Value,
    /// When it was made (RFC 3339).
    pub created_at: String,
    /// When it stopped being current.
    pub retired_at: Option<String>,
    /// When it was revoked.
    pub revoked_at: Option<String>,
}

impl KeyInfo {
    /// The JWK as published: the public members plus `kid`, `use: sig`, `alg: ES256`.
    pub fn published_jwk(&self) -> Value {
        let mut jwk = self.public_jwk.clone();
        if let Some(members) = jwk.as_object_mut() {
            members.insert("kid".into(), json!(self.kid));
            members.insert("use".into(), json!("sig"));
            members.insert("alg".into(), json!("ES256"));
            if let Some(revoked_at) = &self.revoked_at {
                members.insert("revoked_at".into(), json!(revoked_at));
            }
        }
        jwk
    }
}

fn timestamp(now: OffsetDateTime) -> anyhow::Result<String> {
    Ok(now.to_offset(time::UtcOffset::UTC).format(&Rfc3339)?)
}

/// The current key's id.
pub async fn current_kid(connection: &mut AnyConnection) -> anyhow::Result<Option<String>> {
    Ok(
        sqlx::query_scalar("SELECT kid FROM signing_key WHERE state = 'current'")
            .fetch_optional(&mut *connection)
            .await?,
    )
}

/// The state of `kid`, if the key exists.
pub async fn state(connection: &mut AnyConnection, kid: &str) -> anyhow::Result<Option<KeyState>> {
    let state: Option<String> = sqlx::query_scalar("SELECT state FROM signing_key WHERE kid = $1")
        .bind(kid)
        .fetch_optional(&mut *connection)
        .await?;
    state.as_deref().map(KeyState::parse).transpose()
}

/// Retires the current key (if any) and stores `kid` as the new current key.
pub async fn insert_current(
    connection: &mut AnyConnection,
    kid: &str,
    public_jwk: &Value,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let at = timestamp(now)?;
    sqlx::query(
        "UPDATE signing_key SET state = 'retired', retired_at = $1 WHERE state = 'current'",
    )
    .bind(&at)
    .execute(&mut *connection)
    .await?;
    sqlx::query(
        "INSERT INTO signing_key (kid, state, public_jwk, created_at) VALUES ($1, 'current', $2, $3)",
    )
    .bind(kid)
    .bind(public_jwk.to_string())
    .bind(&at)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Marks `kid` revoked (a current key is also marked retired at the same instant).
pub async fn mark_revoked(
    connection: &mut AnyConnection,
    kid: &str,
    now: OffsetDateTime,
) -> anyhow::Result<()> {
    let at = timestamp(now)?;
    sqlx::query(
        "UPDATE signing_key SET state = 'revoked', revoked_at = $1,
                retired_at = COALESCE(retired_at, $2)
         WHERE kid = $3 AND state <> 'revoked'",
    )
    .bind(&at)
    .bind(&at)
    .bind(kid)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Every key, oldest first.
pub async fn list(pool: &AnyPool) -> anyhow::Result<Vec<KeyInfo>> {
    let rows = sqlx::query(
        "SELECT kid, state, public_jwk, created_at, retired_at, revoked_at
         FROM signing_key ORDER BY created_at, kid",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|row| {
            let state: String = row.try_get("state")?;
            let jwk: String = row.try_get("public_jwk")?;
            Ok(KeyInfo {
                kid: row.try_get("kid")?,
                state: KeyState::parse(&state)?,
                public_jwk: serde_json::from_str(&jwk)?,
                created_at: row.try_get("created_at")?,
                retired_at: row.try_get("retired_at")?,
                revoked_at: row.try_get("revoked_at")?,
            })
        })
        .collect()
}

/// `{ "keys": [...] }` of the current and retired keys (`/.well-known/jwks.json`).
pub async fn jwks(pool: &AnyPool) -> anyhow::Result<Value> {
    let keys: Vec<Value> = list(pool)
        .await?
        .iter()
        .filter(|key| key.state != KeyState::Revoked)
        .map(KeyInfo::published_jwk)
        .collect();
    Ok(json!({ "keys": keys }))
}

/// `{ "keys": [...] }` of the revoked keys, each with `revoked_at`
/// (`/.well-known/jwks-revoked.json`).
pub async fn revoked_jwks(pool: &AnyPool) -> anyhow::Result<Value> {
    let keys: Vec<Value> = list(pool)
        .await?
        .iter()
        .filter(|key| key.state == KeyState::Revoked)
        .map(KeyInfo::published_jwk)
        .collect();
    Ok(json!({ "keys": keys }))
}
