//! Reviewers' claims on requests (migration 0014): who is working on which request.

use sqlx::{AnyPool, Row};

/// A claim: who holds it and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// The request.
    pub reference: String,
    /// The holder's account id.
    pub reviewer_id: String,
    /// The holder's email.
    pub reviewer_email: String,
    /// When it was claimed (RFC 3339).
    pub claimed_at: String,
}

/// Claims `reference` for the reviewer, taking it over from whoever held it.
pub async fn claim(
    pool: &AnyPool,
    reference: &str,
    reviewer_id: &str,
    reviewer_email: &str,
    claimed_at: &str,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO review_claim (reference, reviewer_id, reviewer_email, claimed_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (reference) DO UPDATE SET reviewer_id = excluded.reviewer_id,
           reviewer_email = excluded.reviewer_email, claimed_at = excluded.claimed_at",
    )
    .bind(reference)
    .bind(reviewer_id)
    .bind(reviewer_email)
    .bind(claimed_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Releases the reviewer's claim on `reference`; false when they did not hold it.
pub async fn release(pool: &AnyPool, reference: &str, reviewer_id: &str) -> anyhow::Result<bool> {
    let done = sqlx::query("DELETE FROM review_claim WHERE reference = $1 AND reviewer_id = $2")
        .bind(reference)
        .bind(reviewer_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Ends whoever's claim on `reference`, in the transaction that moved it on: a reviewer's
/// decision (a first approval too: the second is someone else's work), a withdrawal, an answer
/// to what the organisation asked. A claim is only ever on work still to do.
pub async fn end_in(connection: &mut sqlx::AnyConnection, reference: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM review_claim WHERE reference = $1")
        .bind(reference)
        .execute(&mut *connection)
        .await?;
    Ok(())
}

/// The claim on `reference`, if any.
pub async fn find(pool: &AnyPool, reference: &str) -> anyhow::Result<Option<Claim>> {
    sqlx::query(
        "SELECT reference, reviewer_id, reviewer_email, claimed_at FROM review_claim WHERE reference = $1",
    )
    .bind(reference)
    .fetch_optional(pool)
    .await?
    .map(|row| claim_of(&row))
    .transpose()
}

/// The claims on any of `references` (one page of the queue).
pub async fn for_references(pool: &AnyPool, references: &[String]) -> anyhow::Result<Vec<Claim>> {
    if references.is_empty() {
        return Ok(Vec::new());
    }
    let placeholders: Vec<String> = (1..=references.len()).map(|n| format!("${n}")).collect();
    let query = format!(
        "SELECT reference, reviewer_id, reviewer_email, claimed_at FROM review_claim WHERE reference IN ({})",
        placeholders.join(", ")
    );
    let mut rows = sqlx::query(&query);
    for reference in references {
        rows = rows.bind(reference);
    }
    rows.fetch_all(pool).await?.iter().map(claim_of).collect()
}

fn claim_of(row: &sqlx::any::AnyRow) -> anyhow::Result<Claim> {
    Ok(Claim {
        reference: row.try_get("reference")?,
        reviewer_id: row.try_get("reviewer_id")?,
        reviewer_email: row.try_get("reviewer_email")?,
        claimed_at: row.try_get("claimed_at")?,
    })
}
