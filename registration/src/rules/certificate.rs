//! Certificate rules (RULES.md §5): the bytes decide, never the file name.

use time::OffsetDateTime;

use crate::{CertificateSummary, CertificateUpload, Finding};

crate::finding_codes! {
    /// Codes raised by the certificate rules.
    pub enum CertificateCode {
        PrivateKey => ("certificate.private_key", Error, "A private key must never leave its owner; one that was uploaded is compromised.", "Entra certificate credentials"),
    }
}

/// Checks `certificates[i]` and summarises each accepted or warned certificate.
pub fn check(
    certificates: &[CertificateUpload],
    now: OffsetDateTime,
    out: &mut Vec<Finding>,
) -> Vec<CertificateSummary> {
    let _ = (certificates, now, out);
    Vec::new()
}
