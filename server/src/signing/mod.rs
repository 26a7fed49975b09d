//! Signed registration records: ES256 keys (`keys`), JWS compact serialization (`jws`), and the
//! record of a submitted request (its canonical claims, signed with the current key).

pub mod jws;
pub mod keys;

use registration::{RegistrationRequest, ValidationReport};
use serde_json::Value;
use time::OffsetDateTime;

pub use jws::{KeySet, Verified, VerifyError, sign, verify};
pub use keys::{KeyRing, PrivateKey};

/// What a record is built from.
#[derive(Debug, Clone, Copy)]
pub struct RecordSource<'a> {
    /// The record's `iss`.
    pub issuer: &'a str,
    /// The request's reference: the record's `jti`.
    pub reference: &'a str,
    /// The version of the request.
    pub version: i64,
    /// The request as submitted.
    pub request: &'a RegistrationRequest,
    /// The report it was accepted with.
    pub report: &'a ValidationReport,
    /// When it was submitted: the record's `iat`.
    pub submitted_at: OffsetDateTime,
    /// The email of the Local Administrator who submitted it.
    pub submitted_by: &'a str,
    /// For a renewal or change: which.
    pub purpose: Option<registration::change::Purpose>,
}

/// The record's payload: the canonical (RFC 8785) JSON of its claims, the exact bytes signed.
pub fn record_payload(source: &RecordSource<'_>) -> String {
    canonical_json(&build_claims(source))
}

/// Signs the record of `source` with `key`.
pub fn sign_record(key: &PrivateKey, source: &RecordSource<'_>) -> String {
    sign(key, &record_payload(source))
}

/// The record's claims (RFC 7591 software statement plus the desk's claims).
fn build_claims(source: &RecordSource<'_>) -> Value {
    registration::record::build_claims(&registration::record::RecordInput {
        request: source.request,
        report: source.report,
        reference: source.reference,
        version: u32::try_from(source.version).unwrap_or(u32::MAX),
        iss: source.issuer,
        iat: source.submitted_at.unix_timestamp(),
        submitted_by: source.submitted_by,
        purpose: source.purpose,
    })
}

/// RFC 8785 canonical JSON: the same claims always give the same bytes.
pub(crate) fn canonical_json(value: &Value) -> String {
    registration::record::to_canonical_json(value)
}
