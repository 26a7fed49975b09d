//! The pure half of signed registration records (issue 5): the claims a valid request signs
//! as, their RFC 8785 canonical bytes, and the exports an Entra or Exchange administrator
//! acts on. Keys, signing and the hash-chained log are the server's; nothing here does I/O or
//! reads a clock (`iat` is an argument).
//!
//! The payload is an RFC 7591 software statement where RFC 7591 has a name (`client_name`,
//! `redirect_uris`, `grant_types`, `response_types`, `token_endpoint_auth_method`, `scope`,
//! `jwks`, `contacts`), then the desk's own claims, then JWT's `iss`, `iat` and `jti`.
//!
//! Decisions where the issue is silent:
//! - `token_endpoint_auth_method`: `private_key_jwt` when an accepted certificate is present
//!   (also beside a secret: RFC 7591 takes one method, and the certificate is the stronger),
//!   else `client_secret_post` when a secret is asked for, else `none` (a public client: SPA or
//!   mobile/desktop with PKCE and no credential).
//! - `scope` is the accepted delegated permissions' values as the catalogue spells them
//!   (`IMAP.AccessAsUser.All`, not its `https://outlook.office.com/` runtime form), in the
//!   order of `permissions`; left out when there are none (RFC 7591 makes it optional).
//! - `grant_types` gains `refresh_token` only when `offline_access` was accepted.
//! - `jwks` holds one RSA key per accepted certificate (the report only summarises accepted
//!   ones) and is left out when there is none. A JWK needs `n` and `e`, so a certificate whose
//!   key cannot be read again (impossible for one the validator accepted) is left out.
//! - `permissions` follows the report's `required_resource_access` (the accepted set: Graph
//!   first, each resource in request order), named from the catalogue.
//! - `validation.warnings` lists each warning code once, in the report's order.
//! - Strings are recorded as typed except `ods_code` (the directory's canonical form, else
//!   trimmed upper case) and the optional `access_policy_group` (trimmed, as the validator
//!   reads it): the record states what was asked for.
//! - Beyond the list the record carries `access_type`, `description` and `supplier`,
//!   so that the exports and a reviewer need nothing but the record.

pub mod canonical;
pub mod exports;

#[cfg(test)]
mod tests;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;
use x509_parser::public_key::RSAPublicKey;

use crate::catalogue::{PermissionCatalogue, PermissionId, Resource};
use crate::rules::permission::{self, Risk};
use crate::{
    AccessType, CertificateSummary, PermissionType, Platform, RegistrationRequest, Severity,
    ValidationReport,
};

pub use canonical::to_canonical_json;

/// The JOSE header `typ` of a signed record.
pub const RECORD_TYP: &str = "appreg-request+jwt";

/// Everything a record is built from: the request, its report and the submission's facts.
#[derive(Debug, Clone, Copy)]
pub struct RecordInput<'a> {
    /// The request as submitted.
    pub request: &'a RegistrationRequest,
    /// Its validation report (valid: only valid requests become records).
    pub report: &'a ValidationReport,
    /// The request's reference, e.g. `AR-7K3M-Q9XD` (the record's `jti`).
    pub reference: &'a str,
    /// The request's version, 1 for the first submission.
    pub version: u32,
    /// The desk's issuer URL (`iss`).
    pub iss: &'a str,
    /// Submission time, Unix seconds (`iat`).
    pub iat: i64,
    /// Who submitted it (the Local Administrator's email).
    pub submitted_by: &'a str,
    /// For a renewal or change of a registered application: which (absent otherwise).
    pub purpose: Option<crate::change::Purpose>,
}

/// The record's payload, field for field (serialised with [`build_claims`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordClaims {
    /// RFC 7591 `client_name`: the application's display name.
    pub client_name: String,
    /// RFC 7591 `redirect_uris`: every redirect URI, in request order.
    pub redirect_uris: Vec<String>,
    /// The same URIs by Entra platform (`web`, `spa`, `public_client`), for the Entra export.
    pub redirect_uris_by_platform: RedirectUrisByPlatform,
    /// RFC 7591 `grant_types`.
    pub grant_types: Vec<String>,
    /// RFC 7591 `response_types`.
    pub response_types: Vec<String>,
    /// RFC 7591 `token_endpoint_auth_method`.
    pub token_endpoint_auth_method: String,
    /// RFC 7591 `scope`: the accepted delegated permissions, space-separated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// RFC 7591 `jwks`: the accepted certificates' public keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<Jwks>,
    /// RFC 7591 `contacts`: the contacts' email addresses.
    pub contacts: Vec<String>,
    /// `delegated` or `application`.
    pub access_type: AccessType,
    /// What the application does with NHSmail.
    pub description: String,
    /// Who builds or sells the application.
    pub supplier: String,
    /// The requesting organisation's canonical ODS code.
    pub ods_code: String,
    /// The organisation's name, as the directory knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation_name: Option<String>,
    /// Mailboxes the application will use.
    pub mailboxes: Vec<String>,
    /// The accepted permissions with their GUIDs.
    pub permissions: Vec<RecordPermission>,
    /// The group that scopes app-only mailbox access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_policy_group: Option<String>,
    /// The client secret's lifetime, when a secret was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret_lifetime_months: Option<i64>,
    /// Token endpoint URIs the application will call.
    pub token_endpoint_uris: Vec<String>,
    /// What the validator decided.
    pub validation: ValidationSummary,
    /// How much attention the permissions need from the reviewer.
    pub risk: Risk,
    /// Who submitted the request.
    pub submitted_by: String,
    /// The request's version.
    pub version: u32,
    /// JWT `iss`: the desk.
    pub iss: String,
    /// JWT `iat`: submission time, Unix seconds.
    pub iat: i64,
    /// JWT `jti`: the request's reference.
    pub jti: String,
    /// For a renewal or change of a registered application: `renewal` or `change` (absent for a
    /// new request and its resubmissions, whose records are unchanged by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<crate::change::Purpose>,
}

/// Redirect URIs grouped by Entra platform, each in request order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectUrisByPlatform {
    /// Server-side web application.
    pub web: Vec<String>,
    /// Single-page application.
    pub spa: Vec<String>,
    /// Mobile and desktop.
    pub public_client: Vec<String>,
}

/// An RFC 7517 JWK Set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    /// The keys.
    pub keys: Vec<Jwk>,
}

/// One RSA public key with its certificate (RFC 7517 §4, RFC 7518 §6.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Always `RSA` (Entra accepts only RSA application certificates).
    pub kty: String,
    /// Modulus, base64url without padding or leading zero bytes.
    pub n: String,
    /// Public exponent, base64url without padding or leading zero bytes.
    pub e: String,
    /// Always `sig`: the key verifies client assertions.
    #[serde(rename = "use")]
    pub key_use: String,
    /// The certificate's DER, standard base64.
    pub x5c: Vec<String>,
    /// base64url SHA-1 of the DER.
    pub x5t: String,
    /// base64url SHA-256 of the DER.
    #[serde(rename = "x5t#S256")]
    pub x5t_s256: String,
}

/// One accepted permission, named and with its GUID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordPermission {
    /// The resource's appId.
    pub resource_app_id: String,
    /// `graph` or `exchange`.
    pub resource: String,
    /// The permission's value, e.g. `Mail.Send`.
    pub value: String,
    /// `delegated` or `application`.
    #[serde(rename = "type")]
    pub permission_type: PermissionType,
    /// The permission's GUID on its resource.
    pub id: String,
}

/// The validator's verdict as the record keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationSummary {
    /// True when no finding was an error.
    pub valid: bool,
    /// Each warning code once, in the report's order.
    pub warnings: Vec<String>,
}

impl RecordClaims {
    /// Builds the claims for one submitted request.
    pub fn new(input: &RecordInput<'_>) -> RecordClaims {
        let request = input.request;
        let report = input.report;
        let permissions = accepted_permissions(report);
        let delegated: Vec<&str> = permissions
            .iter()
            .filter(|p| p.permission_type == PermissionType::Delegated)
            .map(|p| p.value.as_str())
            .collect();
        let keys: Vec<Jwk> = report.certificates.iter().filter_map(jwk).collect();
        let (grant_types, response_types): (&[&str], &[&str]) = match request.access_type {
            AccessType::Delegated if delegated.contains(&"offline_access") => {
                (&["authorization_code", "refresh_token"], &["code"])
            }
            AccessType::Delegated => (&["authorization_code"], &["code"]),
            AccessType::Application => (&["client_credentials"], &[]),
        };
        let token_endpoint_auth_method = if !keys.is_empty() {
            "private_key_jwt"
        } else if request.client_secret.is_some() {
            "client_secret_post"
        } else {
            "none"
        };
        let mut by_platform = RedirectUrisByPlatform::default();
        for redirect in &request.redirect_uris {
            let list = match redirect.platform {
                Platform::Web => &mut by_platform.web,
                Platform::Spa => &mut by_platform.spa,
                Platform::PublicClient => &mut by_platform.public_client,
            };
            list.push(redirect.uri.clone());
        }
        let mut warnings: Vec<String> = Vec::new();
        for finding in &report.findings {
            let code = finding.code.code();
            if finding.severity == Severity::Warning && !warnings.iter().any(|w| w == code) {
                warnings.push(code.to_owned());
            }
        }
        RecordClaims {
            client_name: request.application.name.clone(),
            redirect_uris: request
                .redirect_uris
                .iter()
                .map(|r| r.uri.clone())
                .collect(),
            redirect_uris_by_platform: by_platform,
            grant_types: grant_types.iter().map(|&g| g.to_owned()).collect(),
            response_types: response_types.iter().map(|&r| r.to_owned()).collect(),
            token_endpoint_auth_method: token_endpoint_auth_method.to_owned(),
            scope: (!delegated.is_empty()).then(|| delegated.join(" ")),
            jwks: (!keys.is_empty()).then_some(Jwks { keys }),
            contacts: request.contacts.iter().map(|c| c.email.clone()).collect(),
            access_type: request.access_type,
            description: request.application.description.clone(),
            supplier: request.application.supplier.clone(),
            ods_code: report.organisation.as_ref().map_or_else(
                || request.ods_code.trim().to_ascii_uppercase(),
                |org| org.ods_code.clone(),
            ),
            organisation_name: report.organisation.as_ref().map(|org| org.name.clone()),
            mailboxes: request.mailboxes.clone(),
            permissions,
            access_policy_group: request
                .access_policy_group_given()
                .map(|g| g.trim().to_owned()),
            client_secret_lifetime_months: request.client_secret.map(|s| s.lifetime_months),
            token_endpoint_uris: request.token_endpoint_uris.clone(),
            validation: ValidationSummary {
                valid: report.valid,
                warnings,
            },
            risk: permission::risk(request),
            submitted_by: input.submitted_by.to_owned(),
            version: input.version,
            iss: input.iss.to_owned(),
            iat: input.iat,
            jti: input.reference.to_owned(),
            purpose: input.purpose,
        }
    }

    /// The claims as a JSON value (what [`to_canonical_json`] turns into the signed bytes).
    pub fn to_value(&self) -> serde_json::Value {
        // Every field is a string, number, bool, list or string-keyed map: this cannot fail.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// The record's payload as JSON: [`RecordClaims::new`] then [`RecordClaims::to_value`].
pub fn build_claims(input: &RecordInput<'_>) -> serde_json::Value {
    RecordClaims::new(input).to_value()
}

/// The exact bytes a record signs: the RFC 8785 form of [`build_claims`].
pub fn canonical_payload(input: &RecordInput<'_>) -> String {
    to_canonical_json(&build_claims(input))
}

/// The report's accepted permissions, named from the catalogue.
fn accepted_permissions(report: &ValidationReport) -> Vec<RecordPermission> {
    let catalogue = PermissionCatalogue::get();
    let mut out = Vec::new();
    for group in &report.required_resource_access {
        let Some(resource) = Resource::parse(&group.resource_app_id) else {
            continue;
        };
        for access in &group.resource_access {
            let permission_type = match access.access_type.as_str() {
                "Scope" => PermissionType::Delegated,
                "Role" => PermissionType::Application,
                _ => continue,
            };
            let Some(entry) = PermissionId::parse(&access.id)
                .and_then(|id| catalogue.by_key(resource, id, permission_type))
            else {
                continue;
            };
            out.push(RecordPermission {
                resource_app_id: resource.app_id().to_owned(),
                resource: resource.alias().to_owned(),
                value: entry.value().to_owned(),
                permission_type,
                id: entry.id().to_string(),
            });
        }
    }
    out
}

/// The JWK for an accepted certificate, reading `n` and `e` from its DER.
fn jwk(summary: &CertificateSummary) -> Option<Jwk> {
    let der = STANDARD.decode(&summary.der_base64).ok()?;
    let (_, certificate) = X509Certificate::from_der(&der).ok()?;
    let key_bits = &certificate.public_key().subject_public_key.data;
    let (_, rsa) = RSAPublicKey::from_der(key_bits).ok()?;
    let n = strip_leading_zeros(rsa.modulus);
    let e = strip_leading_zeros(rsa.exponent);
    if n.is_empty() || e.is_empty() {
        return None;
    }
    Some(Jwk {
        kty: "RSA".to_owned(),
        n: URL_SAFE_NO_PAD.encode(n),
        e: URL_SAFE_NO_PAD.encode(e),
        key_use: "sig".to_owned(),
        x5c: vec![summary.der_base64.clone()],
        x5t: summary.x5t.clone(),
        x5t_s256: summary.x5t_s256.clone(),
    })
}

/// RFC 7518 §6.3.1: `n` and `e` are unsigned big-endian with no leading zero octets.
fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or(&[])
}
