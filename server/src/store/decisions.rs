//! Reviewers' decisions (`decision`): one row per decision on a version, in order. The rules
//! about who may decide what are `crate::review`'s; this module only stores and reads.

use registration::lifecycle::{Decision, Status};
use sqlx::{AnyConnection, AnyPool, Row};

/// A decision as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct StoredDecision {
    /// The request's reference.
    pub reference: String,
    /// The version decided on.
    pub version: i64,
    /// 1 for the first decision on that version.
    pub n: i64,
    /// What was decided.
    pub decision: Decision,
    /// Why (always present for reject and request changes).
    pub reason: Option<String>,
    /// The reviewer's email.
    pub reviewer_email: String,
    /// The version's status once the decision took effect.
    pub status_after: Status,
    /// When (RFC 3339).
    pub decided_at: String,
    /// The log entry holding the signed decision.
    pub log_seq: i64,
}

/// A decision about to be stored.
#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    /// The request's reference.
    pub reference: &'a str,
    /// The version decided on.
    pub version: i64,
    /// Its number among that version's decisions (from 1).
    pub n: i64,
    /// What was decided.
    pub decision: Decision,
    /// Why, when given.
    pub reason: Option<&'a str>,
    /// The reviewer's account id.
    pub reviewer_id: &'a str,
    /// The reviewer's email.
    pub reviewer_email: &'a str,
    /// The version's status once the decision takes effect.
    pub status_after: Status,
    /// When (RFC 3339).
    pub decided_at: &'a str,
    /// The log entry holding the signed decision.
    pub log_seq: i64,
}

/// One earlier decision on a version, as the four-eyes rules need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierDecision {
    /// What was decided.
    pub decision: Decision,
    /// Who decided (`None` for decisions stored before accounts existed).
    pub reviewer_id: Option<String>,
}

/// Stores a decision in the caller's transaction.
pub async fn insert(
    connection: &mut AnyConnection,
    decision: &NewDecision<'_>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO decision (reference, version, n, decision, reason, reviewer_id, reviewer_email,
           status_after, decided_at, log_seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(decision.reference)
    .bind(decision.version)
    .bind(decision.n)
    .bind(decision.decision.as_str())
    .bind(decision.reason)
    .bind(decision.reviewer_id)
    .bind(decision.reviewer_email)
    .bind(decision.status_after.as_str())
    .bind(decision.decided_at)
    .bind(decision.log_seq)
    .execute(connection)
    .await?;
    Ok(())
}

/// Every decision on every version of `reference`, in order (whoever asks: callers check).
pub async fn list(pool: &AnyPool, reference: &str) -> anyhow::Result<Vec<StoredDecision>> {
    let rows = sqlx::query(
        "SELECT reference, version, n, decision, reason, reviewer_email, status_after, decided_at,
                log_seq
         FROM decision WHERE reference = $1 ORDER BY version, n",
    )
    .bind(reference)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let decision: String = row.try_get("decision")?;
            let status: String = row.try_get("status_after")?;
            Ok(StoredDecision {
                reference: row.try_get("reference")?,
                version: row.try_get("version")?,
                n: row.try_get("n")?,
                decision: parse_decision(&decision)?,
                reason: row.try_get("reason")?,
                reviewer_email: row.try_get("reviewer_email")?,
                status_after: Status::parse(&status)
                    .ok_or_else(|| anyhow::anyhow!("unknown stored status '{status}'"))?,
                decided_at: row.try_get("decided_at")?,
                log_seq: row.try_get("log_seq")?,
            })
        })
        .collect()
}

/// A decision with its signed form: the JWS (`typ` `appreg-decision+jwt`) its log entry holds
/// (CONTRACTS.md §5: `GET …/decisions`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SignedDecision {
    /// The version decided on.
    pub version: i64,
    /// 1 for the first decision on that version.
    pub n: i64,
    /// What was decided.
    pub decision: Decision,
    /// Why (always present for reject and request changes).
    pub reason: Option<String>,
    /// The reviewer's email.
    pub reviewer: String,
    /// The version's status once the decision took effect.
    pub status_after: Status,
    /// When (RFC 3339).
    pub decided_at: String,
    /// The log entry holding the signed decision.
    pub log_seq: i64,
    /// The signed decision (JWS compact serialization, ES256), verifiable with
    /// `/.well-known/jwks.json`; its claims name the reference, the version, the decision, the
    /// reviewer, the status it led to and the `record_sha256` of the record decided on.
    pub jws: String,
}

/// Every decision on every version of `reference`, in order, each with its signed form.
pub async fn list_signed(pool: &AnyPool, reference: &str) -> anyhow::Result<Vec<SignedDecision>> {
    let decisions = list(pool, reference).await?;
    let mut signed = Vec::with_capacity(decisions.len());
    for decision in decisions {
        let jws: String = sqlx::query_scalar(
            "SELECT jws FROM log_entry WHERE seq = $1 AND kind = 'decision' AND reference = $2",
        )
        .bind(decision.log_seq)
        .bind(reference)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| {
            anyhow::anyhow!(
                "decision {} on {reference} v{} has no log entry {}",
                decision.n,
                decision.version,
                decision.log_seq
            )
        })?;
        signed.push(SignedDecision {
            version: decision.version,
            n: decision.n,
            decision: decision.decision,
            reason: decision.reason,
            reviewer: decision.reviewer_email,
            status_after: decision.status_after,
            decided_at: decision.decided_at,
            log_seq: decision.log_seq,
            jws,
        });
    }
    Ok(signed)
}

/// The decisions on one version of `reference`, in order, in the caller's transaction.
pub async fn on_version(
    connection: &mut AnyConnection,
    reference: &str,
    version: i64,
) -> anyhow::Result<Vec<EarlierDecision>> {
    let rows = sqlx::query(
        "SELECT decision, reviewer_id FROM decision WHERE reference = $1 AND version = $2 ORDER BY n",
    )
    .bind(reference)
    .bind(version)
    .fetch_all(connection)
    .await?;
    rows.iter()
        .map(|row| {
            let decision: String = row.try_get("decision")?;
            Ok(EarlierDecision {
                decision: parse_decision(&decision)?,
                reviewer_id: row.try_get("reviewer_id")?,
            })
        })
        .collect()
}

fn parse_decision(text: &str) -> anyhow::Result<Decision> {
    Decision::parse(text).ok_or_else(|| anyhow::anyhow!("unknown stored decision '{text}'"))
}
