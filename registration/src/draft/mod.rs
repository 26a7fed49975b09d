//! What the registration form holds: every field as typed, possibly incomplete.
//!
//! A draft is what a Local Administrator is still editing (saved, resumed, re-shown with errors).
//! [`validate_draft`] turns it into a [`RegistrationRequest`] and validates that, so the form,
//! the API and the CLI share every rule; findings are reported at the draft's own row indices
//! (blank rows the form added are skipped, not reported).
//!
//! Decisions where RULES.md is silent (docs/form.md describes the form):
//! - A row is blank when every text field in it is empty after trimming; for a redirect URI
//!   only the URI counts (the form preselects the platform), for a permission only its value.
//! - Values are passed on as typed (never trimmed), so the request's rules judge what was typed.
//! - Until an access type is chosen the draft is validated as if delegated, and the findings
//!   whose existence depends on the access type are dropped rather than invented:
//!   `access_type.redirect_uri_required`, `access_type.credential_required` (cross-field),
//!   `permission.delegated_in_app_only`, `permission.app_role_in_delegated` (permission
//!   policy) and `mailbox.personal_for_app_only` (mailbox). No other rule reads the access type.
//!   As delegated, no access-type rule blocks a permission, so the manifest is not cut short.
//! - A row that cannot become part of a request (a redirect URI without a platform, a
//!   permission without a type) raises its conversion finding and is left out of the request;
//!   because of that, `access_type.redirect_uri_required` is not raised while a redirect URI
//!   waits for its platform, nor `access_type.credential_required` while the client secret's
//!   lifetime is not a number (the Local Administrator did ask for one).
//! - [`DraftConversion::request`] is `None` whenever there is a conversion finding: a request
//!   with rows left out is not what was asked for, so it is never submitted.
//! - Messages naming another row (`already listed as mailboxes[2]`, `Redirect URIs 1 and 3`)
//!   are renumbered to the form's rows too.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::rules::{cross_field::RequestCode, mailbox::MailboxCode, permission::PermissionCode};
use crate::{
    AccessType, Application, CertificateUpload, ClientSecret, Contact, Directory, Finding,
    FindingCode, PermissionRequest, PermissionType, Platform, RedirectUri, RegistrationRequest,
    ValidationReport,
};

mod action;
pub mod fields;
pub use action::FormAction;
pub use fields::{PostedForm, TooManyRows};

crate::finding_codes! {
    /// Codes raised when a draft's values cannot become a request.
    pub enum DraftCode {
        AccessTypeRequired => ("access_type.required", Error, "Which rules apply depends on whether a user signs in (delegated) or the application acts alone (application); Entra registers the two differently.", "Microsoft identity platform: authorization code flow and client credentials flow; NHSmail OAuth onboarding guidance (registration request form)"),
        RedirectUriPlatformRequired => ("redirect_uri.platform_required", Error, "Entra registers each redirect URI under one platform (web, single-page application, mobile and desktop), and which URIs it accepts depends on that platform.", "Microsoft Entra \"Redirect URI restrictions\"; application manifest (web, spa, publicClient)"),
        PermissionTypeRequired => ("permission.type_required", Error, "A permission's name does not say whether it is a delegated scope or an application role; each has its own id in the manifest.", "Microsoft Graph permissions overview (delegated and application permissions)"),
        ClientSecretNotANumber => ("client_secret.not_a_number", Error, "A client secret is issued for a whole number of months (1 to 24); any other lifetime cannot be issued.", "NHSmail OAuth onboarding guidance; Entra client secret lifetime"),
    }
}

/// Findings that exist only for one access type: dropped while the access type is not chosen.
const ACCESS_TYPE_DEPENDENT: [FindingCode; 5] = [
    FindingCode::Request(RequestCode::RedirectUriRequired),
    FindingCode::Request(RequestCode::CredentialRequired),
    FindingCode::Permission(PermissionCode::DelegatedInAppOnly),
    FindingCode::Permission(PermissionCode::AppRoleInDelegated),
    FindingCode::Mailbox(MailboxCode::PersonalForAppOnly),
];

/// Longest part of a typed value echoed in a message.
const SHOWN_CHARS: usize = 40;

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

/// One of the draft's lists of rows (the `<list>` of the form's `add:`/`remove:` actions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DraftList {
    /// `mailboxes`.
    Mailboxes,
    /// `redirect_uris`.
    RedirectUris,
    /// `token_endpoint_uris`.
    TokenEndpointUris,
    /// `contacts`.
    Contacts,
    /// `permissions`.
    Permissions,
    /// `certificates`.
    Certificates,
}

impl DraftList {
    /// Every list, in the order the form shows them.
    pub const ALL: [DraftList; 6] = [
        DraftList::Permissions,
        DraftList::Mailboxes,
        DraftList::RedirectUris,
        DraftList::TokenEndpointUris,
        DraftList::Certificates,
        DraftList::Contacts,
    ];

    /// The list's field name, as in paths and actions (`redirect_uris`).
    pub const fn name(self) -> &'static str {
        match self {
            DraftList::Mailboxes => "mailboxes",
            DraftList::RedirectUris => "redirect_uris",
            DraftList::TokenEndpointUris => "token_endpoint_uris",
            DraftList::Contacts => "contacts",
            DraftList::Permissions => "permissions",
            DraftList::Certificates => "certificates",
        }
    }

    /// The list with this field name.
    pub fn parse(name: &str) -> Option<DraftList> {
        DraftList::ALL.into_iter().find(|list| list.name() == name)
    }
}

/// For each list, the draft row of each request entry: `rows.mailboxes[k]` is the draft row
/// that became `request.mailboxes[k]`. Certificates are never skipped (same index).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowMap {
    /// Draft rows of `request.mailboxes`.
    pub mailboxes: Vec<usize>,
    /// Draft rows of `request.redirect_uris`.
    pub redirect_uris: Vec<usize>,
    /// Draft rows of `request.token_endpoint_uris`.
    pub token_endpoint_uris: Vec<usize>,
    /// Draft rows of `request.contacts`.
    pub contacts: Vec<usize>,
    /// Draft rows of `request.permissions`.
    pub permissions: Vec<usize>,
}

impl RowMap {
    /// The draft row that became entry `index` of the request's `list`.
    pub fn draft_row(&self, list: DraftList, index: usize) -> Option<usize> {
        let rows = match list {
            DraftList::Mailboxes => &self.mailboxes,
            DraftList::RedirectUris => &self.redirect_uris,
            DraftList::TokenEndpointUris => &self.token_endpoint_uris,
            DraftList::Contacts => &self.contacts,
            DraftList::Permissions => &self.permissions,
            DraftList::Certificates => return Some(index),
        };
        rows.get(index).copied()
    }

    /// A request path at the draft's row (`mailboxes[0]` → `mailboxes[1]`); others unchanged.
    pub fn repath(&self, path: &str) -> String {
        self.repath_row(path).unwrap_or_else(|| path.to_string())
    }

    fn repath_row(&self, path: &str) -> Option<String> {
        let (head, rest) = path.split_once('[')?;
        let (digits, tail) = rest.split_once(']')?;
        let index = parse_index(digits)?;
        let row = self.draft_row(DraftList::parse(head)?, index)?;
        Some(format!("{head}[{row}]{tail}"))
    }

    /// The finding at the draft's rows, with the other rows its message names renumbered.
    fn repath_finding(&self, mut finding: Finding) -> Finding {
        finding.path = self.repath(&finding.path);
        let renumbered = match finding.code {
            FindingCode::Mailbox(MailboxCode::Duplicate) => {
                self.renumber_reference(&finding.message, DraftList::Mailboxes)
            }
            FindingCode::Permission(PermissionCode::Duplicate) => {
                self.renumber_reference(&finding.message, DraftList::Permissions)
            }
            FindingCode::RedirectUri(_) if finding.path == "redirect_uris" => {
                self.renumber_redirect_pair(&finding.message)
            }
            _ => None,
        };
        if let Some(message) = renumbered {
            finding.message = message;
        }
        finding
    }

    /// `… already listed as mailboxes[k] …`: the last `list[k]` (earlier text may be typed).
    fn renumber_reference(&self, message: &str, list: DraftList) -> Option<String> {
        let opening = format!("{}[", list.name());
        let start = message.rfind(&opening)? + opening.len();
        let rest = message.get(start..)?;
        let (digits, _) = rest.split_once(']')?;
        let row = self.draft_row(list, parse_index(digits)?)?;
        let before = message.get(..start)?;
        let after = rest.get(digits.len()..)?;
        Some(format!("{before}{row}{after}"))
    }

    /// `Redirect URIs 1 and 3 …`: the redirect URI rules number entries from 1.
    fn renumber_redirect_pair(&self, message: &str) -> Option<String> {
        let rest = message.strip_prefix("Redirect URIs ")?;
        let (first, rest) = rest.split_once(" and ")?;
        let (second, rest) = rest.split_once(' ')?;
        let number = |text: &str| {
            let index = parse_index(text)?.checked_sub(1)?;
            self.draft_row(DraftList::RedirectUris, index)?
                .checked_add(1)
        };
        let (first, second) = (number(first)?, number(second)?);
        Some(format!("Redirect URIs {first} and {second} {rest}"))
    }
}

/// A row index: ASCII digits only (no sign, no spaces).
pub(crate) fn parse_index(digits: &str) -> Option<usize> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// What a draft becomes: the request (when every value could be read), the findings about
/// values that could not, and where each request entry came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftConversion {
    /// The request; `None` when any conversion finding was raised.
    pub request: Option<RegistrationRequest>,
    /// Why values could not become part of a request, at draft row indices.
    pub findings: Vec<Finding>,
    /// The draft row of each request entry.
    pub rows: RowMap,
}

/// The conversion with a stand-in for what could not be read, so the rest can be validated.
struct Converted {
    request: RegistrationRequest,
    findings: Vec<Finding>,
    rows: RowMap,
    access_type_chosen: bool,
    redirect_uri_left_out: bool,
    secret_unreadable: bool,
}

impl Converted {
    /// False for the findings that would be invented by a stand-in or a left-out row.
    fn keeps(&self, finding: &Finding) -> bool {
        let code = finding.code;
        if !self.access_type_chosen && ACCESS_TYPE_DEPENDENT.contains(&code) {
            return false;
        }
        match code {
            FindingCode::Request(RequestCode::RedirectUriRequired) => !self.redirect_uri_left_out,
            FindingCode::Request(RequestCode::CredentialRequired) => !self.secret_unreadable,
            _ => true,
        }
    }
}

/// Validates a draft: its conversion findings plus the request's report, at draft row indices.
pub fn validate_draft(
    draft: &RegistrationDraft,
    directory: Directory<'_>,
    now: OffsetDateTime,
) -> ValidationReport {
    let converted = draft.convert();
    let mut report = crate::validate(&converted.request, directory, now);
    let mut findings = Vec::with_capacity(converted.findings.len() + report.findings.len());
    findings.extend(converted.findings.iter().cloned());
    findings.extend(
        std::mem::take(&mut report.findings)
            .into_iter()
            .filter(|finding| converted.keeps(finding))
            .map(|finding| converted.rows.repath_finding(finding)),
    );
    report.with_findings(findings)
}

impl RegistrationDraft {
    /// The empty form a new registration starts with: one blank row in each list the
    /// Local Administrator types into, the redirect URI's platform preselected as web.
    pub fn new_form() -> Self {
        RegistrationDraft {
            mailboxes: vec![String::new()],
            redirect_uris: vec![DraftRedirectUri::blank()],
            token_endpoint_uris: vec![String::new()],
            contacts: vec![Contact::default()],
            ..RegistrationDraft::default()
        }
    }

    /// The request this draft makes, the findings about values that cannot be part of one,
    /// and the draft row of each request entry.
    pub fn to_request(&self) -> DraftConversion {
        let Converted {
            request,
            findings,
            rows,
            ..
        } = self.convert();
        DraftConversion {
            request: findings.is_empty().then_some(request),
            findings,
            rows,
        }
    }

    /// The draft that shows an existing request.
    pub fn from_request(request: &RegistrationRequest) -> RegistrationDraft {
        RegistrationDraft {
            ods_code: request.ods_code.clone(),
            application_name: request.application.name.clone(),
            description: request.application.description.clone(),
            supplier: request.application.supplier.clone(),
            access_type: access_type_name(request.access_type).to_string(),
            permissions: request
                .permissions
                .iter()
                .map(|permission| DraftPermission {
                    resource: permission.resource.clone().unwrap_or_default(),
                    value: permission.value.clone(),
                    permission_type: permission_type_name(permission.permission_type).to_string(),
                })
                .collect(),
            mailboxes: request.mailboxes.clone(),
            redirect_uris: request
                .redirect_uris
                .iter()
                .map(|redirect| DraftRedirectUri {
                    uri: redirect.uri.clone(),
                    platform: platform_name(redirect.platform).to_string(),
                })
                .collect(),
            token_endpoint_uris: request.token_endpoint_uris.clone(),
            certificates: request.certificates.clone(),
            client_secret_months: request
                .client_secret
                .map(|secret| secret.lifetime_months.to_string())
                .unwrap_or_default(),
            access_policy_group: request.access_policy_group.clone().unwrap_or_default(),
            contacts: request.contacts.clone(),
            permission_search: String::new(),
        }
    }

    fn convert(&self) -> Converted {
        let mut findings = Vec::new();
        let mut rows = RowMap::default();

        let access_type = parse_access_type(&self.access_type);
        if access_type.is_none() {
            findings.push(Finding::new(
                DraftCode::AccessTypeRequired,
                "access_type",
                "Select the access type.",
                "Choose delegated if a user signs in to the application, or application if it runs without a user (app-only). Which other rules apply depends on it.",
            ));
        }

        let mut permissions = Vec::new();
        for (row, permission) in self.permissions.iter().enumerate() {
            if is_blank(&permission.value) {
                continue;
            }
            let Some(permission_type) = parse_permission_type(&permission.permission_type) else {
                findings.push(Finding::new(
                    DraftCode::PermissionTypeRequired,
                    format!("permissions[{row}]"),
                    format!(
                        "Choose whether '{}' is a delegated or an application permission.",
                        shown(&permission.value)
                    ),
                    "Delegated permissions act for a signed-in user; application permissions act without one (app-only). Remove the row and pick the permission again from the search.",
                ));
                continue;
            };
            rows.permissions.push(row);
            permissions.push(PermissionRequest {
                resource: (!is_blank(&permission.resource)).then(|| permission.resource.clone()),
                value: permission.value.clone(),
                permission_type,
            });
        }

        let mailboxes = kept_rows(&self.mailboxes, &mut rows.mailboxes, |m| !is_blank(m));

        let mut redirect_uris = Vec::new();
        let mut redirect_uri_left_out = false;
        for (row, redirect) in self.redirect_uris.iter().enumerate() {
            if is_blank(&redirect.uri) {
                continue;
            }
            let Some(platform) = parse_platform(&redirect.platform) else {
                redirect_uri_left_out = true;
                findings.push(Finding::new(
                    DraftCode::RedirectUriPlatformRequired,
                    format!("redirect_uris[{row}].platform"),
                    "Choose the platform this redirect URI is registered under.",
                    "Choose Web for an application that runs on a server, Single-page application for one that runs in the browser, or Mobile and desktop for an installed application. The URI is checked once the platform is chosen.",
                ));
                continue;
            };
            rows.redirect_uris.push(row);
            redirect_uris.push(RedirectUri {
                uri: redirect.uri.clone(),
                platform,
            });
        }

        let token_endpoint_uris = kept_rows(
            &self.token_endpoint_uris,
            &mut rows.token_endpoint_uris,
            |uri| !is_blank(uri),
        );

        let mut secret_unreadable = false;
        let client_secret = if is_blank(&self.client_secret_months) {
            None
        } else {
            match self.client_secret_months.trim().parse::<i64>() {
                Ok(lifetime_months) => Some(ClientSecret { lifetime_months }),
                Err(_) => {
                    secret_unreadable = true;
                    findings.push(Finding::new(
                        DraftCode::ClientSecretNotANumber,
                        "client_secret.lifetime_months",
                        format!(
                            "'{}' is not a whole number of months.",
                            shown(&self.client_secret_months)
                        ),
                        "Enter how many months the client secret should last as a whole number from 1 to 24, such as 12, or leave it empty for no client secret.",
                    ));
                    None
                }
            }
        };

        let contacts = kept_rows(&self.contacts, &mut rows.contacts, |contact| {
            !(is_blank(&contact.name) && is_blank(&contact.email))
        });

        let request = RegistrationRequest {
            ods_code: self.ods_code.clone(),
            application: Application {
                name: self.application_name.clone(),
                description: self.description.clone(),
                supplier: self.supplier.clone(),
            },
            access_type: access_type.unwrap_or(AccessType::Delegated),
            permissions,
            mailboxes,
            redirect_uris,
            token_endpoint_uris,
            certificates: self.certificates.clone(),
            client_secret,
            access_policy_group: (!is_blank(&self.access_policy_group))
                .then(|| self.access_policy_group.clone()),
            contacts,
        };
        Converted {
            request,
            findings,
            rows,
            access_type_chosen: access_type.is_some(),
            redirect_uri_left_out,
            secret_unreadable,
        }
    }
}

impl DraftRedirectUri {
    /// The row the form adds: no URI, platform web.
    pub fn blank() -> Self {
        DraftRedirectUri {
            uri: String::new(),
            platform: platform_name(Platform::Web).to_string(),
        }
    }
}

/// The rows that are kept, cloned, recording each one's draft row.
fn kept_rows<T: Clone>(rows: &[T], map: &mut Vec<usize>, keep: impl Fn(&T) -> bool) -> Vec<T> {
    let mut kept = Vec::new();
    for (row, value) in rows.iter().enumerate() {
        if keep(value) {
            map.push(row);
            kept.push(value.clone());
        }
    }
    kept
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// A typed value as a message may echo it: escaped and cut short.
fn shown(text: &str) -> String {
    let text = text.trim();
    let mut out: String = text.chars().take(SHOWN_CHARS).collect::<String>();
    if text.chars().nth(SHOWN_CHARS).is_some() {
        out.push('…');
    }
    out.escape_debug().to_string()
}

fn parse_access_type(text: &str) -> Option<AccessType> {
    match text.trim() {
        "delegated" => Some(AccessType::Delegated),
        "application" => Some(AccessType::Application),
        _ => None,
    }
}

fn access_type_name(access_type: AccessType) -> &'static str {
    match access_type {
        AccessType::Delegated => "delegated",
        AccessType::Application => "application",
    }
}

fn parse_permission_type(text: &str) -> Option<PermissionType> {
    match text.trim() {
        "delegated" => Some(PermissionType::Delegated),
        "application" => Some(PermissionType::Application),
        _ => None,
    }
}

fn permission_type_name(permission_type: PermissionType) -> &'static str {
    match permission_type {
        PermissionType::Delegated => "delegated",
        PermissionType::Application => "application",
    }
}

fn parse_platform(text: &str) -> Option<Platform> {
    match text.trim() {
        "web" => Some(Platform::Web),
        "spa" => Some(Platform::Spa),
        "public_client" => Some(Platform::PublicClient),
        _ => None,
    }
}

fn platform_name(platform: Platform) -> &'static str {
    match platform {
        Platform::Web => "web",
        Platform::Spa => "spa",
        Platform::PublicClient => "public_client",
    }
}

#[cfg(test)]
mod tests;
