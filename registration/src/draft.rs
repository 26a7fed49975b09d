//! What the registration form holds: every field as typed, possibly incomplete.
//!
//! A draft is what a Local Administrator is still editing (saved, resumed, re-shown with errors).
//! [`validate_draft`] turns it into a [`RegistrationRequest`] and validates that, so the form,
//! the API and the CLI share every rule; findings are reported at the draft's own row indices
//! (blank rows the form added are skipped, not reported).

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{CertificateUpload, Contact, Directory, RegistrationRequest, ValidationReport};

/// The form's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RegistrationDraft {
    /// ODS code as typed.
    pub ods_code: String,
    /// Application name.
    pub application_name: String,
    /// Description.
    pub description: String,
    /// Supplier.
    pub supplier: String,
    /// `delegated`, `application`, or empty when not chosen yet.
    pub access_type: String,
    /// Chosen permissions.
    pub permissions: Vec<DraftPermission>,
    /// Mailbox rows.
    pub mailboxes: Vec<String>,
    /// Redirect URI rows.
    pub redirect_uris: Vec<DraftRedirectUri>,
    /// Token endpoint URI rows.
    pub token_endpoint_uris: Vec<String>,
    /// Uploaded public certificates (never a file that holds a private key).
    pub certificates: Vec<CertificateUpload>,
    /// Client secret lifetime in months as typed; empty for no client secret.
    pub client_secret_months: String,
    /// Access policy group as typed.
    pub access_policy_group: String,
    /// Contact rows.
    pub contacts: Vec<Contact>,
    /// The text in the permission search box (kept so a no-JS search round trip keeps it).
    pub permission_search: String,
}

/// A chosen permission as the form holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftPermission {
    /// `graph`, `exchange`, a resource appId, or empty.
    pub resource: String,
    /// The permission's value.
    pub value: String,
    /// `delegated` or `application`.
    #[serde(rename = "type")]
    pub permission_type: String,
}

/// A redirect URI row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DraftRedirectUri {
    /// The URI as typed.
    pub uri: String,
    /// `web`, `spa`, `public_client`, or empty.
    pub platform: String,
}

/// Validates a draft: its conversion findings plus the request's report, at draft row indices.
pub fn validate_draft(
    draft: &RegistrationDraft,
    directory: Directory<'_>,
    now: OffsetDateTime,
) -> ValidationReport {
    let _ = (draft, directory, now);
    ValidationReport::new(Vec::new(), Vec::new(), None, Vec::new())
}

impl RegistrationDraft {
    /// The request this draft makes, when it is complete enough to be one.
    pub fn to_request(&self) -> Option<RegistrationRequest> {
        None
    }

    /// The draft that shows an existing request.
    pub fn from_request(request: &RegistrationRequest) -> RegistrationDraft {
        let _ = request;
        RegistrationDraft::default()
    }
}
