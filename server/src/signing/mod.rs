//! Signed registration records: ES256 keys (`keys`), JWS compact serialization (`jws`), and the
//! record of a submitted request (its canonical claims, signed with the current key).

pub mod jws;
pub mod keys;

use registration::{RegistrationRequest, ValidationReport};
use serde_json::{Value, json};
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
}

/// The record's payload: the canonical (RFC 8785) JSON of its claims, the exact bytes signed.
pub fn record_payload(source: &RecordSource<'_>) -> String {
    canonical_json(&build_claims(source))
}

/// Signs the record of `source` with `key`.
pub fn sign_record(key: &PrivateKey, source: &RecordSource<'_>) -> String {
    jws::sign(key, &record_payload(source))
}

// TODO(record): replace with registration::record::build_claims(&RecordInput { .. }) — this
// stand-in carries only the claims the server needs until the full software statement lands.
fn build_claims(source: &RecordSource<'_>) -> Value {
    let warnings: Vec<Value> = source
        .report
        .findings
        .iter()
        .filter_map(|finding| serde_json::to_value(finding).ok())
        .filter_map(|finding| finding.get("code").cloned())
        .collect();
    json!({
        "iss": source.issuer,
        "iat": source.submitted_at.unix_timestamp(),
        "jti": source.reference,
        "version": source.version,
        "client_name": source.request.application.name,
        "ods_code": source.request.ods_code,
        "organisation_name": source.report.organisation.as_ref().map(|org| org.name.as_str()),
        "mailboxes": source.request.mailboxes,
        "redirect_uris": source.request.redirect_uris.iter().map(|r| r.uri.as_str()).collect::<Vec<_>>(),
        "validation": { "valid": source.report.valid, "warnings": warnings },
    })
}

// TODO(record): replace with registration::record::canonical::to_canonical_json — serde_json's
// default map is sorted by key, which matches RFC 8785 for the ASCII member names used here.
pub(crate) fn canonical_json(value: &Value) -> String {
    value.to_string()
}
