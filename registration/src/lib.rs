//! appreg's rules: whether an NHSmail application registration request is valid.
//!
//! One function decides: [`validate`]. The web form (in the browser, from the WASM build),
//! the server, the JSON API and the CLI all call it. The crate is pure: no I/O, no async,
//! no clock (time is an argument), reference data embedded and parsed once.

#![forbid(unsafe_code)]

pub mod bounds;
pub mod calendar;
pub mod catalogue;
pub mod change;
pub mod diff;
pub mod directory;
pub mod draft;
pub mod duplicate;
pub mod findings;
pub mod implementation;
pub mod lifecycle;
pub mod limits;
pub mod record;
pub mod reminders;
pub mod report;
pub mod request;
pub mod rules;

pub use directory::{
    Directory, DirectorySlice, EmbeddedDirectory, MailboxDirectory, MailboxEntry, MailboxKind,
    Organisation, OrganisationDirectory, OrganisationStatus,
};
pub use draft::{
    DraftConversion, DraftList, DraftPermission, DraftRedirectUri, FormAction, RegistrationDraft,
    validate_draft,
};
pub use findings::{Finding, FindingCode, Severity};
pub use report::{
    CertificateSummary, OrganisationSummary, RequiredResourceAccess, ResourceAccess,
    ValidationReport,
};
pub use request::{
    AccessType, Application, CertificateUpload, ClientSecret, Contact, NotARequest,
    PermissionRequest, PermissionType, Platform, RedirectUri, RegistrationRequest,
};
pub use time::OffsetDateTime;

/// Validates one request against the rules and the reference data, as of `now`.
///
/// Findings come in the order of the request's fields. Every rule a value breaks is
/// reported; the request is valid exactly when no finding is an error.
pub fn validate(
    request: &RegistrationRequest,
    directory: Directory<'_>,
    now: OffsetDateTime,
) -> ValidationReport {
    let mut findings = Vec::new();
    let requester = rules::ods::check(&request.ods_code, directory.organisations, &mut findings);
    let required_resource_access = rules::permission::check(request, now, &mut findings);
    rules::mailbox::check(request, &requester, directory, &mut findings);
    rules::redirect_uri::check_count(request, &mut findings);
    rules::redirect_uri::check(&request.redirect_uris, &mut findings);
    rules::token_endpoint::check_count(request, &mut findings);
    rules::token_endpoint::check(
        &request.token_endpoint_uris,
        request.access_type,
        directory.tenant_id,
        &mut findings,
    );
    rules::certificate::check_count(request, &mut findings);
    let certificates = rules::certificate::check(&request.certificates, now, &mut findings);
    rules::cross_field::check(request, &requester, directory, &mut findings);
    findings.sort_by_key(|finding| field_order(&finding.path));
    let organisation = requester
        .organisation
        .as_ref()
        .map(|org| OrganisationSummary {
            ods_code: org.ods_code.clone(),
            name: org.name.clone(),
            status: org.status,
        });
    ValidationReport::new(
        findings,
        certificates,
        organisation,
        required_resource_access,
    )
}

/// Sorts findings into the order fields appear in the request (stable within a field).
fn field_order(path: &str) -> usize {
    const ORDER: [&str; 11] = [
        "ods_code",
        "application",
        "access_type",
        "permissions",
        "mailboxes",
        "redirect_uris",
        "token_endpoint_uris",
        "certificates",
        "client_secret",
        "access_policy_group",
        "contacts",
    ];
    let head = path.split(['.', '[']).next().unwrap_or(path);
    ORDER
        .iter()
        .position(|&field| field == head)
        .unwrap_or(ORDER.len())
}

impl RegistrationRequest {
    /// The access policy group when one was given (blank counts as not given).
    pub fn access_policy_group_given(&self) -> Option<&str> {
        self.access_policy_group
            .as_deref()
            .filter(|group| !group.trim().is_empty())
    }
}
