//! The validation report (CONTRACTS.md §2).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{Finding, Severity};

/// Everything the validator decided about one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ValidationReport {
    /// True exactly when no finding is an error.
    pub valid: bool,
    /// Every finding, in the order of the request's fields.
    pub findings: Vec<Finding>,
    /// What each accepted or warned certificate is.
    pub certificates: Vec<CertificateSummary>,
    /// The requesting organisation, when the directory knows it.
    pub organisation: Option<OrganisationSummary>,
    /// Entra `requiredResourceAccess` for the accepted permissions (Entra's own field names inside).
    pub required_resource_access: Vec<RequiredResourceAccess>,
}

impl ValidationReport {
    /// Builds a report; `valid` follows from the findings.
    pub fn new(
        findings: Vec<Finding>,
        certificates: Vec<CertificateSummary>,
        organisation: Option<OrganisationSummary>,
        required_resource_access: Vec<RequiredResourceAccess>,
    ) -> Self {
        ValidationReport {
            valid: !findings.iter().any(|f| f.severity == Severity::Error),
            findings,
            certificates,
            organisation,
            required_resource_access,
        }
    }

    /// The same report with these findings instead, in the order of the request's fields
    /// (`valid` follows from them).
    #[must_use]
    pub fn with_findings(self, mut findings: Vec<Finding>) -> Self {
        findings.sort_by_key(|finding| crate::field_order(&finding.path));
        ValidationReport::new(
            findings,
            self.certificates,
            self.organisation,
            self.required_resource_access,
        )
    }

    /// The findings at one path.
    pub fn findings_at<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.path == path)
    }

    /// The number of findings with this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .count()
    }
}

/// What an uploaded certificate is: the facts an Entra administrator needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateSummary {
    /// `certificates[i]`.
    pub path: String,
    /// `der`, `pem` or `base64` (bare base64 of DER).
    pub format: String,
    /// Subject distinguished name (RFC 4514 string).
    pub subject: String,
    /// Issuer distinguished name.
    pub issuer: String,
    /// Serial number, colon-separated upper-case hex.
    pub serial: String,
    /// Start of validity.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub not_before: OffsetDateTime,
    /// End of validity.
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = DateTime))]
    pub not_after: OffsetDateTime,
    /// Whole days from `now` to `not_after` (negative when expired).
    pub days_remaining: i64,
    /// Key algorithm and size, e.g. `RSA 2048`.
    pub key: String,
    /// Signature algorithm name, e.g. `sha256WithRSAEncryption`.
    pub signature_algorithm: String,
    /// SHA-1 of the DER, 40 upper-case hex digits (Entra's "thumbprint").
    pub sha1_thumbprint: String,
    /// SHA-256 of the DER, 64 upper-case hex digits.
    pub sha256_thumbprint: String,
    /// base64url SHA-1 of the DER, no padding (JOSE `x5t`).
    pub x5t: String,
    /// base64url SHA-256 of the DER, no padding (JOSE `x5t#S256`).
    pub x5t_s256: String,
    /// The certificate's DER, standard base64 (JOSE `x5c` entry; a public certificate only).
    pub der_base64: String,
}

/// The requesting organisation as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationSummary {
    /// Canonical (upper-case, trimmed) ODS code.
    pub ods_code: String,
    /// The organisation's name.
    pub name: String,
    /// `active` or `closed`.
    pub status: crate::OrganisationStatus,
}

/// Entra `requiredResourceAccess` entry: one resource and the permissions on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequiredResourceAccess {
    /// The resource's appId.
    #[serde(rename = "resourceAppId")]
    pub resource_app_id: String,
    /// The permissions on that resource.
    #[serde(rename = "resourceAccess")]
    pub resource_access: Vec<ResourceAccess>,
}

/// One permission in Entra's manifest shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResourceAccess {
    /// The permission's GUID on that resource.
    pub id: String,
    /// `Scope` (delegated) or `Role` (application).
    #[serde(rename = "type")]
    pub access_type: String,
}
