//! What an administrator acts on, built from a record's claims alone: the Microsoft Graph
//! `POST /applications` body and an Exchange Online PowerShell script for app-only mail access.
//!
//! Both read the claims leniently (a missing or mistyped claim counts as absent), so they work
//! for any version of the record, never fail and never panic.
//!
//! Scoping app-only mail access (RULES.md §3): RBAC for Applications is Microsoft's current
//! mechanism and replaces ApplicationAccessPolicy. Its grants are a union with Entra's, so a
//! permission that RBAC scopes to the access policy group must not also be admin-consented in
//! Entra. The export therefore leaves every application permission that has an RBAC for
//! Applications role out of `requiredResourceAccess` when the record names a group, and the
//! script assigns that role scoped to the group instead. IMAP/POP `AccessAsApp` have no RBAC
//! role: they stay in the manifest (they reach no mailbox by themselves) and the script grants
//! each named mailbox to the service principal, as Microsoft's IMAP/POP/SMTP OAuth guide does.
//! The legacy ApplicationAccessPolicy commands are in the script, commented out.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::PermissionType;
use crate::catalogue::{PermissionCatalogue, Resource};
use crate::rules::permission::needs_access_policy_group;

/// RBAC for Applications roles and the permissions they stand for ("Supported Application
/// Roles", Microsoft Learn: Role Based Access Control for Applications in Exchange Online).
/// The composite roles (`Application Mail Full Access`, `Application Exchange Full Access`)
/// are never generated: each permission gets its own role, so nothing more is granted.
const RBAC_ROLES: [(Resource, &str, &str); 23] = [
    (Resource::Graph, "Mail.Read", "Application Mail.Read"),
    (
        Resource::Graph,
        "Mail.ReadBasic",
        "Application Mail.ReadBasic",
    ),
    (
        Resource::Graph,
        "Mail.ReadWrite",
        "Application Mail.ReadWrite",
    ),
    (Resource::Graph, "Mail.Send", "Application Mail.Send"),
    (
        Resource::Graph,
        "MailboxSettings.Read",
        "Application MailboxSettings.Read",
    ),
    (
        Resource::Graph,
        "MailboxSettings.ReadWrite",
        "Application MailboxSettings.ReadWrite",
    ),
    (
        Resource::Graph,
        "Calendars.Read",
        "Application Calendars.Read",
    ),
    (
        Resource::Graph,
        "Calendars.ReadWrite",
        "Application Calendars.ReadWrite",
    ),
    (
        Resource::Graph,
        "Contacts.Read",
        "Application Contacts.Read",
    ),
    (
        Resource::Graph,
        "Contacts.ReadWrite",
        "Application Contacts.ReadWrite",
    ),
    (
        Resource::Graph,
        "MailboxFolder.Read.All",
        "Application MailboxFolder.Read",
    ),
    (
        Resource::Graph,
        "MailboxFolder.ReadWrite.All",
        "Application MailboxFolder.ReadWrite",
    ),
    (
        Resource::Graph,
        "MailboxItem.Read.All",
        "Application MailboxItem.Read",
    ),
    (
        Resource::Graph,
        "MailboxItem.ReadWrite.All",
        "Application MailboxItem.ReadWrite",
    ),
    (
        Resource::Graph,
        "MailboxItem.Export.All",
        "Application MailboxItem.Export",
    ),
    (
        Resource::Graph,
        "MailboxItem.ImportExport.All",
        "Application MailboxItem.ImportExport",
    ),
    (
        Resource::Graph,
        "MailboxConfigItem.Read",
        "Application MailboxConfigItem.Read",
    ),
    (
        Resource::Graph,
        "MailboxConfigItem.ReadWrite",
        "Application MailboxConfigItem.ReadWrite",
    ),
    (
        Resource::Graph,
        "MailTips.ReadBasic.All",
        "Application MailTips.ReadBasic.All",
    ),
    (
        Resource::Graph,
        "Mail-Advanced.ReadWrite.All",
        "Application Mail-Advanced.ReadWrite.All",
    ),
    (
        Resource::Exchange,
        "SMTP.SendAsApp",
        "Application SMTP.SendAsApp",
    ),
    (
        Resource::Exchange,
        "full_access_as_app",
        "Application EWS.AccessAsApp",
    ),
    // Graph publishes no `EWS.AccessAsApp` role; listed so the table is Microsoft's whole
    // single-permission list and a future catalogue entry maps without code changes.
    (
        Resource::Exchange,
        "EWS.AccessAsApp",
        "Application EWS.AccessAsApp",
    ),
];

/// Exchange Online application permissions that reach a mailbox only once Exchange grants it
/// to the service principal (`Add-MailboxPermission … FullAccess`); RBAC has no role for them.
/// `SMTP.SendAsApp` has one, so it is granted this way only when the record names no group.
const MAILBOX_PERMISSION_PROTOCOLS: [&str; 2] = ["IMAP.AccessAsApp", "POP.AccessAsApp"];

/// The RBAC for Applications role that grants an application permission, if there is one.
pub fn rbac_role(resource_app_id: &str, value: &str) -> Option<&'static str> {
    let resource = Resource::parse(resource_app_id)?;
    RBAC_ROLES
        .iter()
        .find(|(r, v, _)| *r == resource && *v == value)
        .map(|&(_, _, role)| role)
}

/// One permission as the exports read it from the claims.
struct Permission<'a> {
    resource_app_id: &'a str,
    value: &'a str,
    application: bool,
    id: &'a str,
}

/// Lenient views of the claims.
struct Claims<'a>(&'a Value);

impl<'a> Claims<'a> {
    fn str(&self, name: &str) -> &'a str {
        self.0.get(name).and_then(Value::as_str).unwrap_or("")
    }

    fn strings(value: Option<&'a Value>) -> Vec<&'a str> {
        value
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    fn list(&self, name: &str) -> Vec<&'a str> {
        Self::strings(self.0.get(name))
    }

    fn redirect_uris(&self, platform: &str) -> Vec<&'a str> {
        Self::strings(
            self.0
                .get("redirect_uris_by_platform")
                .and_then(|map| map.get(platform)),
        )
    }

    fn group(&self) -> Option<&'a str> {
        Some(self.str("access_policy_group").trim()).filter(|g| !g.is_empty())
    }

    fn permissions(&self) -> Vec<Permission<'a>> {
        let Some(items) = self.0.get("permissions").and_then(Value::as_array) else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| {
                let field = |name: &str| item.get(name).and_then(Value::as_str);
                Some(Permission {
                    resource_app_id: field("resource_app_id")?,
                    value: field("value")?,
                    application: field("type")? == "application",
                    id: field("id")?,
                })
            })
            .collect()
    }

    /// The certificates' DER, standard base64, from `jwks.keys[].x5c[0]`.
    fn certificates(&self) -> Vec<&'a str> {
        self.0
            .get("jwks")
            .and_then(|jwks| jwks.get("keys"))
            .and_then(Value::as_array)
            .map(|keys| {
                keys.iter()
                    .filter_map(|key| key.get("x5c")?.as_array()?.first()?.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Whether Exchange RBAC scopes this permission to the group (and Entra must not grant it).
fn scoped_by_rbac(permission: &Permission<'_>, group: Option<&str>) -> bool {
    group.is_some()
        && permission.application
        && rbac_role(permission.resource_app_id, permission.value).is_some()
}

/// Whether what is exported was approved: the desk serves exports of approved requests, and
/// previews (to reviewers) of the others, each saying which it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Approval {
    /// Approved by these signed decisions (their `jti`s, e.g. `AR-7K3M-Q9XD/v2/decision/1`).
    Approved {
        /// The approving decisions' ids, in order.
        decisions: Vec<String>,
    },
    /// Not approved (yet): a reviewer's preview, with the request's status in words.
    Preview {
        /// The status, as the pages write it (e.g. "Submitted").
        status: String,
    },
}

impl Approval {
    /// One line that says what the export is an export of: the reference, the version and the
    /// approval (or that it is not approved), for the manifest's `notes` and the script's header.
    pub fn statement(&self, claims: &Value) -> String {
        let claims = Claims(claims);
        let reference = comment_text(claims.str("jti"));
        let version = claims.0.get("version").and_then(Value::as_u64).unwrap_or(0);
        match self {
            Approval::Approved { decisions } => format!(
                "appreg {reference} version {version}, approved by decision{} {}.",
                if decisions.len() == 1 { "" } else { "s" },
                comment_text(&decisions.join(", "))
            ),
            Approval::Preview { status } => format!(
                "NOT APPROVED: a reviewer's preview of appreg {reference} version {version} (status: {}). Do not use it: download it again once the request is approved.",
                comment_text(status)
            ),
        }
    }
}

/// [`entra_application`] with `notes` saying what it is an export of and whether it was
/// approved (Graph keeps at most 1024 characters of an application's notes).
pub fn entra_application_with(claims: &Value, approval: &Approval) -> Value {
    let mut body = entra_application(claims);
    if let Some(object) = body.as_object_mut() {
        let notes: String = approval.statement(claims).chars().take(1024).collect();
        object.insert("notes".to_owned(), Value::String(notes));
    }
    body
}

/// [`exchange_script`] with a header line saying what it is an export of and whether it was
/// approved; a preview stops at its first line when run.
pub fn exchange_script_with(claims: &Value, approval: &Approval) -> String {
    let script = exchange_script(claims);
    let mut lines = script.splitn(3, '\n');
    let (Some(first), Some(second), Some(rest)) = (lines.next(), lines.next(), lines.next()) else {
        return script;
    };
    let statement = approval.statement(claims);
    let mut out = String::with_capacity(script.len() + statement.len() + 200);
    out.push_str(first);
    out.push('\n');
    out.push_str(second);
    out.push('\n');
    out.push_str("# ");
    out.push_str(&statement);
    out.push('\n');
    if let Approval::Preview { .. } = approval {
        out.push_str("throw 'NOT APPROVED: this is a preview for reviewers. Download the script again once the request is approved.'\n");
    }
    out.push_str(rest);
    out
}

/// The Microsoft Graph `POST /applications` body for a record's claims.
pub fn entra_application(claims: &Value) -> Value {
    let claims = Claims(claims);
    let group = claims.group();
    let mut required: Vec<(String, Vec<Value>)> = Vec::new();
    for permission in claims.permissions() {
        if scoped_by_rbac(&permission, group) {
            continue;
        }
        let access = json!({
            "id": permission.id,
            "type": if permission.application { "Role" } else { "Scope" },
        });
        match required
            .iter_mut()
            .find(|(app_id, _)| app_id == permission.resource_app_id)
        {
            Some((_, list)) => list.push(access),
            None => required.push((permission.resource_app_id.to_owned(), vec![access])),
        }
    }
    let required: Vec<Value> = required
        .into_iter()
        .map(|(app_id, access)| json!({ "resourceAppId": app_id, "resourceAccess": access }))
        .collect();
    let key_credentials: Vec<Value> = claims
        .certificates()
        .into_iter()
        .map(|der_base64| {
            json!({
                "type": "AsymmetricX509Cert",
                "usage": "Verify",
                "key": der_base64,
                "displayName": certificate_display_name(der_base64),
            })
        })
        .collect();
    let mut body = json!({
        "displayName": claims.str("client_name"),
        "signInAudience": "AzureADMyOrg",
        "web": { "redirectUris": claims.redirect_uris("web") },
        "spa": { "redirectUris": claims.redirect_uris("spa") },
        "publicClient": { "redirectUris": claims.redirect_uris("public_client") },
        "requiredResourceAccess": required,
        "keyCredentials": key_credentials,
    });
    let description = claims.str("description");
    if let (false, Some(object)) = (description.trim().is_empty(), body.as_object_mut()) {
        // Graph limits an application's description to 1024 characters.
        let text: String = description.chars().take(1024).collect();
        object.insert("description".to_owned(), Value::String(text));
    }
    body
}

/// `CN=<common name>` as Entra shows a certificate, else its whole subject.
fn certificate_display_name(der_base64: &str) -> String {
    let Ok(der) = STANDARD.decode(der_base64) else {
        return String::new();
    };
    let Ok((_, certificate)) = X509Certificate::from_der(&der) else {
        return String::new();
    };
    let subject = certificate.subject();
    match subject
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
    {
        Some(common_name) => format!("CN={common_name}"),
        None => subject.to_string(),
    }
}

/// A PowerShell single-quoted string literal: every single-quote character doubled,
/// including the typographic ones PowerShell also reads as quotes (‘ ’ ‚ ‛).
pub fn powershell_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// Text safe inside a `#` comment line: no line breaks or other control characters.
fn comment_text(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// `@('a', 'b')`: a PowerShell array of quoted strings.
fn powershell_array(values: &[&str]) -> String {
    let items: Vec<String> = values.iter().map(|v| powershell_quote(v)).collect();
    format!("@({})", items.join(", "))
}

/// The Exchange Online PowerShell script that gives the application its app-only mailbox
/// access, scoped to the record's access policy group.
pub fn exchange_script(claims: &Value) -> String {
    let claims = Claims(claims);
    let group = claims.group();
    let mailboxes = claims.list("mailboxes");
    let permissions = claims.permissions();
    let mut rbac: Vec<(&str, &'static str)> = Vec::new();
    let mut unscoped: Vec<&str> = Vec::new();
    let mut protocols: Vec<&str> = Vec::new();
    let mut policy: Vec<&str> = Vec::new();
    for permission in permissions.iter().filter(|p| p.application) {
        let exchange = Resource::parse(permission.resource_app_id) == Some(Resource::Exchange);
        // Unscoped SMTP.SendAsApp is granted mailbox by mailbox, as IMAP and POP are.
        let per_mailbox = MAILBOX_PERMISSION_PROTOCOLS.contains(&permission.value)
            || (permission.value == "SMTP.SendAsApp" && group.is_none());
        if exchange && per_mailbox {
            protocols.push(permission.value);
        } else if let Some(role) = rbac_role(permission.resource_app_id, permission.value) {
            if group.is_some() {
                if !rbac.iter().any(|&(_, r)| r == role) {
                    rbac.push((permission.value, role));
                }
            } else {
                unscoped.push(permission.value);
            }
        } else if is_app_mail(permission) {
            if group.is_some() {
                policy.push(permission.value);
            } else {
                unscoped.push(permission.value);
            }
        }
    }

    let mut s = format!(
        "\
# Exchange Online: app-only mailbox access for an NHSmail application registration.
# Generated by appreg from record {record} (version {version}) for '{name}'.
#
",
        record = comment_text(claims.str("jti")),
        version = claims.0.get("version").and_then(Value::as_u64).unwrap_or(0),
        name = comment_text(claims.str("client_name")),
    );
    if rbac.is_empty() && protocols.is_empty() && unscoped.is_empty() && policy.is_empty() {
        s.push_str(
            "\
# Nothing to grant: this registration asks for no app-only mailbox access,
# so Exchange Online needs no change for it.
Write-Host 'Nothing to grant: this registration has no app-only mailbox access.'
",
        );
        return s;
    }
    s.push_str(
        "\
# Generated: RBAC for Applications in Exchange Online, which Microsoft recommends and which
# replaces Application Access Policies (legacy). Each application mail permission is assigned
# here as an Exchange application role scoped to the access policy group, and is NOT in the
# Entra application manifest: Entra and Exchange grants add up, so an admin-consented Entra
# permission would reach every mailbox in the tenant whatever the scope says.
",
    );
    if policy.is_empty() {
        s.push_str(
            "# The legacy New-ApplicationAccessPolicy commands are at the end, commented out.\n",
        );
    } else {
        s.push_str(&format!(
            "\
# Also generated: the legacy ApplicationAccessPolicy, for {policy} only: RBAC for
# Applications has no role for it, so it stays an Entra permission and the policy
# restricts it to the same group.
",
            policy = policy.join(", "),
        ));
    }
    s.push_str(&format!(
        "\
#
# Run in PowerShell 7 with the ExchangeOnlineManagement module, as an Exchange administrator
# (Organization Management), after the application is registered in Entra.

#Requires -Modules ExchangeOnlineManagement
$ErrorActionPreference = 'Stop'

# ---- FILL IN: from Entra > Enterprise applications > this application (not App registrations) ----
$AppId = '<application (client) ID>'
$ServicePrincipalObjectId = '<enterprise application (service principal) object ID>'
# ---- from the registration record ----
$DisplayName = {display_name}
$AccessPolicyGroup = {group}
$Mailboxes = {mailboxes}
$ScopeName = {scope}

if ($AppId -like '<*' -or $ServicePrincipalObjectId -like '<*') {{
    throw 'Fill in $AppId and $ServicePrincipalObjectId at the top of this script first.'
}}
if (-not (Get-ConnectionInformation)) {{ Connect-ExchangeOnline }}

# Exchange's pointer to the Entra service principal (once per application).
if (-not (Get-ServicePrincipal -Identity $AppId -ErrorAction SilentlyContinue)) {{
    New-ServicePrincipal -AppId $AppId -ObjectId $ServicePrincipalObjectId -DisplayName $DisplayName
}}
",
        display_name = powershell_quote(claims.str("client_name")),
        group = powershell_quote(group.unwrap_or("")),
        mailboxes = powershell_array(&mailboxes),
        scope = powershell_quote(&comment_text(&format!("appreg {}", claims.str("jti")))),
    ));

    if !rbac.is_empty() {
        s.push_str(
            "\n\
# ---- RBAC for Applications: roles scoped to the access policy group ----
# Only direct members of the group are in scope (nested groups are not).
$GroupDN = (Get-Group -Identity $AccessPolicyGroup).DistinguishedName
$Filter = \"MemberOfGroup -eq '{0}'\" -f ($GroupDN -replace \"'\", \"''\")
if (-not (Get-ManagementScope -Identity $ScopeName -ErrorAction SilentlyContinue)) {
    New-ManagementScope -Name $ScopeName -RecipientRestrictionFilter $Filter
}
",
        );
        for (permission, role) in &rbac {
            s.push_str(&format!(
                "\
# {permission}
New-ManagementRoleAssignment -App $ServicePrincipalObjectId -Role {role} -CustomResourceScope $ScopeName
",
                role = powershell_quote(role),
            ));
        }
        s.push_str(
            "\n\
# Check: each role, its scope, and whether each named mailbox is in scope.
Test-ServicePrincipalAuthorization -Identity $ServicePrincipalObjectId | Format-Table
foreach ($Mailbox in $Mailboxes) {
    Test-ServicePrincipalAuthorization -Identity $ServicePrincipalObjectId -Resource $Mailbox | Format-Table
}
",
        );
    }

    if !protocols.is_empty() {
        s.push_str(&format!(
            "\n\
# ---- {protocols}: mailbox access for the service principal ----
# These Exchange permissions reach no mailbox until Exchange grants one (Microsoft Learn:
# Authenticate an IMAP, POP or SMTP connection using OAuth). RBAC has no role for them.
",
            protocols = protocols.join(", "),
        ));
        if mailboxes.is_empty() {
            s.push_str("# The request names no mailbox: add the mailboxes to $Mailboxes above, then run this.\n");
        }
        s.push_str(
            "\
foreach ($Mailbox in $Mailboxes) {
    Add-MailboxPermission -Identity $Mailbox -User $ServicePrincipalObjectId -AccessRights FullAccess
}
",
        );
    }

    if !unscoped.is_empty() {
        s.push_str(&format!(
            "\n\
# ---- Not scoped: the record names no access policy group ----
# {unscoped} stay Entra permissions and reach every mailbox in the tenant. Name a group
# in the registration and generate this script again before granting admin consent.
Write-Warning 'Application mail permissions without an access policy group are not scoped.'
",
            unscoped = unscoped.join(", "),
        ));
    }

    if !policy.is_empty() {
        s.push_str(&format!(
            "\n\
# ---- ApplicationAccessPolicy (legacy) for {policy}: no RBAC for Applications role exists ----
New-ApplicationAccessPolicy -AppId $AppId -PolicyScopeGroupId $AccessPolicyGroup -AccessRight RestrictAccess -Description $ScopeName
foreach ($Mailbox in $Mailboxes) {{ Test-ApplicationAccessPolicy -Identity $Mailbox -AppId $AppId }}
",
            policy = policy.join(", "),
        ));
        return s;
    }
    s.push_str(
        "\n\
# ---- Legacy fallback: ApplicationAccessPolicy (not generated; use only if RBAC for
# Applications cannot be used). It restricts only permissions consented in Entra, so the
# mail permissions above would have to be added back to the Entra manifest and consented,
# and the RBAC section above skipped.
# New-ApplicationAccessPolicy -AppId $AppId -PolicyScopeGroupId $AccessPolicyGroup -AccessRight RestrictAccess -Description $ScopeName
# foreach ($Mailbox in $Mailboxes) { Test-ApplicationAccessPolicy -Identity $Mailbox -AppId $AppId }
",
    );
    s
}

/// A Graph application mailbox-data permission: one the validator requires a group for.
fn is_app_mail(permission: &Permission<'_>) -> bool {
    permission.application
        && Resource::parse(permission.resource_app_id) == Some(Resource::Graph)
        && PermissionCatalogue::get()
            .find(
                Resource::Graph,
                permission.value,
                PermissionType::Application,
            )
            .is_some_and(needs_access_policy_group)
}
