//! Submitted registration requests: every version, under a reference that is easy to read aloud.

use registration::rules::permission::Risk;
use registration::{RegistrationRequest, ValidationReport};
use sqlx::{Row, SqliteConnection, SqlitePool};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The characters of a reference: digits and capitals without 0, 1, I, L, O and U, so that
/// a reference read aloud on the phone cannot be misheard or mistyped.
pub const REFERENCE_ALPHABET: &[u8; 30] = b"23456789ABCDEFGHJKMNPQRSTVWXYZ";

/// How many times a new reference is drawn when the one drawn is taken.
const REFERENCE_ATTEMPTS: usize = 16;

/// Where a request is in its life (CONTRACTS.md §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Not yet submitted.
    Draft,
    /// Submitted and waiting for a reviewer.
    Submitted,
    /// A reviewer asked for changes.
    ChangesRequested,
    /// One reviewer approved; a second must.
    AwaitingSecondApproval,
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
}

impl Status {
    /// The stored and JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Submitted => "submitted",
            Status::ChangesRequested => "changes_requested",
            Status::AwaitingSecondApproval => "awaiting_second_approval",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Option<Status> {
        [
            Status::Draft,
            Status::Submitted,
            Status::ChangesRequested,
            Status::AwaitingSecondApproval,
            Status::Approved,
            Status::Rejected,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }
}

/// One stored version of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRegistration {
    /// `AR-XXXX-XXXX`.
    pub reference: String,
    /// 1 for the first submission.
    pub version: i64,
    /// The status of this version.
    pub status: Status,
    /// The requesting organisation's ODS code as submitted.
    pub ods_code: String,
    /// The organisation's name when the directory knew it.
    pub organisation_name: Option<String>,
    /// The application's display name.
    pub application_name: String,
    /// `low` or `high`.
    pub risk: Risk,
    /// The request exactly as submitted.
    pub request: RegistrationRequest,
    /// The validator's report at submission.
    pub report: ValidationReport,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
}

/// A new random reference `AR-XXXX-XXXX` (8 characters of 30: about 39 bits).
pub fn new_reference() -> anyhow::Result<String> {
    let mut chars = Vec::with_capacity(8);
    let mut bytes = [0u8; 16];
    while chars.len() < 8 {
        getrandom::fill(&mut bytes)
            .map_err(|error| anyhow::anyhow!("no randomness for a reference: {error}"))?;
        // Rejection sampling: 240 is the largest multiple of 30 under 256, so every character
        // is equally likely.
        chars.extend(
            bytes
                .iter()
                .filter(|&&b| b < 240)
                .map(|&b| REFERENCE_ALPHABET[usize::from(b % 30)] as char)
                .take(8 - chars.len()),
        );
    }
    let text: String = chars.into_iter().collect();
    Ok(format!("AR-{}-{}", &text[..4], &text[4..]))
}

/// True when `text` has the shape of a reference.
pub fn is_reference(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 12
        && text.starts_with("AR-")
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .filter(|&(i, _)| i >= 3 && i != 7)
            .all(|(_, b)| REFERENCE_ALPHABET.contains(b))
}

fn risk_text(risk: Risk) -> &'static str {
    match risk {
        Risk::Low => "low",
        Risk::High => "high",
    }
}

/// Stores version 1 of a new request with status `submitted` under a fresh reference, on the
/// caller's connection (inside its transaction); returns the reference.
pub async fn insert_new(
    connection: &mut SqliteConnection,
    request: &RegistrationRequest,
    report: &ValidationReport,
    risk: Risk,
    now: OffsetDateTime,
) -> anyhow::Result<String> {
    let request_json = serde_json::to_string(request)?;
    let report_json = serde_json::to_string(report)?;
    let submitted_at = now.to_offset(time::UtcOffset::UTC).format(&Rfc3339)?;
    let organisation_name = report.organisation.as_ref().map(|org| org.name.as_str());
    for _ in 0..REFERENCE_ATTEMPTS {
        let reference = new_reference()?;
        let result = sqlx::query(
            "INSERT INTO registration_request (reference, version, status, ods_code, organisation_name,
               application_name, risk, request_json, report_json, submitted_at)
             VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&reference)
        .bind(Status::Submitted.as_str())
        .bind(&request.ods_code)
        .bind(organisation_name)
        .bind(&request.application.name)
        .bind(risk_text(risk))
        .bind(&request_json)
        .bind(&report_json)
        .bind(&submitted_at)
        .execute(&mut *connection)
        .await;
        match result {
            Ok(_) => return Ok(reference),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => continue,
            Err(error) => return Err(error.into()),
        }
    }
    anyhow::bail!("no free reference after {REFERENCE_ATTEMPTS} attempts")
}

/// The latest version of the request with this reference.
pub async fn latest(
    pool: &SqlitePool,
    reference: &str,
) -> anyhow::Result<Option<StoredRegistration>> {
    if !is_reference(reference) {
        return Ok(None);
    }
    let row = sqlx::query(
        "SELECT reference, version, status, ods_code, organisation_name, application_name, risk,
                request_json, report_json, submitted_at
         FROM registration_request WHERE reference = ? ORDER BY version DESC LIMIT 1",
    )
    .bind(reference)
    .fetch_optional(pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let status: String = row.try_get("status")?;
    let risk: String = row.try_get("risk")?;
    let request_json: String = row.try_get("request_json")?;
    let report_json: String = row.try_get("report_json")?;
    Ok(Some(StoredRegistration {
        reference: row.try_get("reference")?,
        version: row.try_get("version")?,
        status: Status::parse(&status)
            .ok_or_else(|| anyhow::anyhow!("unknown stored status '{status}'"))?,
        ods_code: row.try_get("ods_code")?,
        organisation_name: row.try_get("organisation_name")?,
        application_name: row.try_get("application_name")?,
        risk: if risk == "high" {
            Risk::High
        } else {
            Risk::Low
        },
        request: RegistrationRequest::from_json(&request_json)
            .map_err(|error| anyhow::anyhow!("stored request: {error}"))?,
        report: serde_json::from_str(&report_json)?,
        submitted_at: row.try_get("submitted_at")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_have_the_read_aloud_shape() {
        for _ in 0..200 {
            let reference = new_reference().unwrap();
            assert!(is_reference(&reference), "{reference}");
        }
    }

    #[test]
    fn rejects_other_shapes_as_references() {
        for text in [
            "",
            "AR-0000-0000",
            "AR-ABCD-EFG",
            "ar-abcd-efgh",
            "AR-ABCDXEFGH",
            "AR-ABCD-EFGHJ",
            "AR-ABCD-EFGI",
        ] {
            assert!(!is_reference(text), "{text}");
        }
    }
}
