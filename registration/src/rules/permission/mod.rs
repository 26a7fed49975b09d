//! Permission rules (RULES.md §3): paths `permissions[i]` and `permissions`.
//!
//! Each requested permission is resolved against the [catalogue](crate::catalogue) first (an
//! entry that does not resolve raises one finding and is not examined further), then every
//! policy rule it breaks is reported. The accepted set (entries with no error) becomes the
//! manifest's `requiredResourceAccess`.
//!
//! Decisions where RULES.md is silent:
//! - A blank `resource` counts as left out (as a blank `access_policy_group` does).
//! - A repeated permission raises only `permission.duplicate` at the later entry: its other
//!   findings are already reported at the first.
//! - The Graph mailbox-data roles are judged by the app-mail rules alone, scoped or not (so
//!   Graph `Calendars.Read`, privilege level 4, is never also `permission.privileged`).
//! - "privilegeLevel 4" means 4 or more: the scale runs 1–5 and higher is more privileged.
//! - Exchange's delegated management scopes (`Exchange.Manage`, `Exchange.ManageV2`,
//!   `Exchange.AdminAPI.Manage`) are privileged like their app-only forms: they are the
//!   Exchange control plane, and they are neither mail-protocol nor Outlook REST scopes.
//! - `EAS.AccessAsUser.All` is a mail-protocol scope like IMAP/POP/SMTP (accepted on either
//!   resource). The runtime-scope hint appears in the findings about those scopes; an accepted
//!   one raises nothing, and the form shows [`Permission::runtime_scope`] instead.
//! - Graph-only rules (app mail, tenant-wide read, named Graph privileged permissions) do not
//!   apply to Exchange entries of the same name: those are already `outlook_rest_retired`.
//!
//! `requiredResourceAccess` lists the accepted set as requested. When Exchange RBAC for
//! Applications will scope a Graph mail role, the manifest must not also carry that role
//! (Entra and Exchange grants are a union): the Entra export drops it there, not here.

use time::OffsetDateTime;
use time::macros::datetime;

use crate::catalogue::{Permission, PermissionCatalogue, Resource};
use crate::limits::{MAX_PERMISSION_VALUE_CHARS, MAX_PERMISSIONS};
use crate::{
    AccessType, Finding, PermissionRequest, PermissionType, RegistrationRequest,
    RequiredResourceAccess, ResourceAccess, Severity,
};

crate::finding_codes! {
    /// Codes raised by the permission rules.
    pub enum PermissionCode {
        TooMany => ("permission.too_many", Error, "Bounded lists keep validation cheap; a mail application needs a handful of permissions, far below Entra's 400 resource accesses.", "Entra application manifest limits (requiredResourceAccess); desk rule"),
        ValueRequired => ("permission.value_required", Error, "An empty permission row cannot be granted or reviewed.", "Desk rule"),
        TooLong => ("permission.too_long", Error, "No published permission is that long; bounding the value keeps the \"did you mean\" search cheap.", "Microsoft Graph and Exchange Online service principals; desk rule"),
        Unknown => ("permission.unknown", Error, "A permission that neither Microsoft Graph nor Exchange Online publishes cannot be granted.", "Microsoft Graph and Office 365 Exchange Online service principals (oauth2PermissionScopes, appRoles)"),
        WrongType => ("permission.wrong_type", Error, "Delegated scopes and application roles are different permissions with different ids; the manifest needs the one that exists.", "Microsoft Graph permissions overview (delegated vs application permissions)"),
        WrongResource => ("permission.wrong_resource", Error, "A permission's id belongs to one resource; naming the wrong resource would put an id Entra does not know into the manifest.", "Microsoft Graph and Office 365 Exchange Online service principals"),
        UnsupportedResource => ("permission.unsupported_resource", Error, "NHSmail applications reach mail through Microsoft Graph and Exchange Online only; the desk cannot vouch for other APIs.", "NHSmail OAuth onboarding guidance; desk rule"),
        RbacRoleName => ("permission.rbac_role_name", Error, "Exchange RBAC for Applications role names are assigned in Exchange Online, not requested as Entra permissions.", "Microsoft Learn: Role Based Access Control for Applications in Exchange Online (supported application roles)"),
        Duplicate => ("permission.duplicate", Error, "The same permission twice is a mistake in the request and a repeated entry in the manifest.", "Desk rule"),
        DelegatedInAppOnly => ("permission.delegated_in_app_only", Error, "An app-only (client credentials) token carries no delegated scopes; offline_access and openid need a signed-in user.", "Microsoft identity platform client credentials flow; OpenID Connect scopes (scopes-oidc)"),
        AppRoleInDelegated => ("permission.app_role_in_delegated", Warning, "An application permission in a delegated registration acts without the user; Microsoft advises separate registrations.", "Microsoft Graph permissions overview and best practices"),
        UnscopedAppMail => ("permission.unscoped_app_mail", Error, "An application mailbox-data permission reaches every mailbox in the national NHSmail tenant unless Exchange scopes it to a group.", "Microsoft Learn: RBAC for Applications in Exchange Online; Limiting application permissions to specific mailboxes (ApplicationAccessPolicy); NHSmail guidance"),
        ScopedAppMail => ("permission.scoped_app_mail", Warning, "Even scoped, app-only mailbox access reaches every mailbox in the group without a user; the reviewer weighs the residual risk.", "Microsoft Learn: RBAC for Applications in Exchange Online; Midnight Blizzard guidance (January 2024)"),
        EwsRetired => ("permission.ews_retired", Error, "Exchange Online turns EWS off by default on 2026-10-01 and permanently on 2027-04-01 (a warning before 2026-10-01, an error from then).", "Microsoft Exchange Team: Retirement of Exchange Web Services in Exchange Online"),
        Privileged => ("permission.privileged", Error, "Control-plane and Tier-0 permissions let one application take over the shared national tenant.", "Microsoft Graph permissions metadata (privilegeLevel); Midnight Blizzard guidance (January 2024); Exchange Online management roles"),
        OutlookRestRetired => ("permission.outlook_rest_retired", Error, "Exchange Online's own data permissions backed the Outlook REST API, decommissioned in March 2024; Microsoft Graph replaces it.", "Microsoft: Outlook REST API v2.0 and beta decommissioning (March 2024)"),
        TenantWideDirectoryRead => ("permission.tenant_wide_directory_read", Warning, "In the shared NHSmail tenant an app-only directory read covers every user or group in the national directory.", "Microsoft Graph permissions reference; NHSmail shared tenant"),
        AdminConsent => ("permission.admin_consent", Warning, "Only an administrator can consent to this scope, so the NHSmail team must grant it for the whole tenant.", "Microsoft Graph permissions metadata (isAdmin / requiresAdminConsent); Entra admin consent"),
    }
}

/// The instant Exchange Online turns EWS off by default (inclusive).
const EWS_OFF: OffsetDateTime = datetime!(2026-10-01 0:00 UTC);

/// Suggestion searches per request: the first few mistypes get a "did you mean".
const MAX_SUGGESTIONS: usize = 10;

/// Graph application permissions that read or change mailbox data (RULES.md §3).
const APP_MAIL: [&str; 11] = [
    "Mail.Read",
    "Mail.ReadBasic",
    "Mail.ReadBasic.All",
    "Mail.ReadWrite",
    "Mail.Send",
    "Calendars.Read",
    "Calendars.ReadWrite",
    "Contacts.Read",
    "Contacts.ReadWrite",
    "MailTips.ReadBasic.All",
    "Mail-Advanced.ReadWrite.All",
];
/// Families of Graph mailbox-data application permissions (`MailboxSettings.*` and so on).
const APP_MAIL_FAMILIES: [&str; 4] = [
    "MailboxSettings.",
    "MailboxFolder.",
    "MailboxItem.",
    "MailboxConfigItem.",
];

/// Graph control-plane and Tier-0 permissions, whatever their privilege level says.
const PRIVILEGED_GRAPH: [&str; 13] = [
    "Directory.ReadWrite.All",
    "RoleManagement.ReadWrite.Directory",
    "AppRoleAssignment.ReadWrite.All",
    "Application.ReadWrite.All",
    "Application.ReadWrite.OwnedBy",
    "User.ReadWrite.All",
    "Group.ReadWrite.All",
    "GroupMember.ReadWrite.All",
    "Domain.ReadWrite.All",
    "Policy.ReadWrite.ConditionalAccess",
    "Policy.ReadWrite.PermissionGrant",
    "UserAuthenticationMethod.ReadWrite.All",
    "Organization.ReadWrite.All",
];

/// Exchange Online management permissions (Exchange's control plane), both types.
const EXCHANGE_MANAGEMENT: [&str; 7] = [
    "Exchange.ManageAsApp",
    "Exchange.ManageAsAppV2",
    "Exchange.AdminAPI.ManageAsApp",
    "Mailbox.Migration",
    "Exchange.Manage",
    "Exchange.ManageV2",
    "Exchange.AdminAPI.Manage",
];

/// Exchange Online mail-protocol permissions: still served, accepted.
const EXCHANGE_PROTOCOL: [&str; 7] = [
    "IMAP.AccessAsUser.All",
    "POP.AccessAsUser.All",
    "SMTP.Send",
    "EAS.AccessAsUser.All",
    "IMAP.AccessAsApp",
    "POP.AccessAsApp",
    "SMTP.SendAsApp",
];

/// Exchange Online application permissions with full access to mailboxes (RULES.md §3 accepts
/// IMAP/POP; `full_access_as_app` is also `permission.ews_retired`).
const EXCHANGE_APP_MAILBOX_ACCESS: [&str; 3] =
    ["full_access_as_app", "IMAP.AccessAsApp", "POP.AccessAsApp"];

/// Graph application permissions that read the whole directory.
const TENANT_WIDE_READ: [&str; 5] = [
    "User.Read.All",
    "User.ReadBasic.All",
    "Directory.Read.All",
    "Group.Read.All",
    "GroupMember.Read.All",
];

/// RBAC for Applications role names that lack the `Application ` prefix when typed bare.
const RBAC_BARE_NAMES: [&str; 3] = [
    "EWS.AccessAsApp",
    "Mail Full Access",
    "Exchange Full Access",
];

/// Checks `permissions[i]` and returns `requiredResourceAccess` for the accepted set.
pub fn check(
    request: &RegistrationRequest,
    now: OffsetDateTime,
    out: &mut Vec<Finding>,
) -> Vec<RequiredResourceAccess> {
    let permissions = &request.permissions;
    if crate::bounds::over(request, "permissions") {
        out.push(Finding::new(
            PermissionCode::TooMany,
            "permissions",
            format!(
                "There are {} permissions; the most is {MAX_PERMISSIONS}.",
                permissions.len()
            ),
            format!(
                "Ask only for the permissions the application uses. Only the first {MAX_PERMISSIONS} were checked."
            ),
        ));
    }
    let context = Context {
        catalogue: PermissionCatalogue::get(),
        access_type: request.access_type,
        scoped: request.access_policy_group_given().is_some(),
        now,
    };
    let mut suggestions_left = MAX_SUGGESTIONS;
    let mut resolved: Vec<(&'static Permission, usize)> = Vec::with_capacity(permissions.len());
    let mut accepted: Vec<&'static Permission> = Vec::with_capacity(permissions.len());
    for (index, requested) in permissions.iter().take(MAX_PERMISSIONS).enumerate() {
        let Some(entry) = context.resolve(index, requested, &mut suggestions_left, out) else {
            continue;
        };
        if let Some(&(_, first)) = resolved.iter().find(|(seen, _)| std::ptr::eq(*seen, entry)) {
            out.push(Finding::new(
                PermissionCode::Duplicate,
                path(index),
                format!(
                    "{} is already listed at permissions[{first}].",
                    describe(entry)
                ),
                "Remove the repeated entry.",
            ));
            continue;
        }
        resolved.push((entry, index));
        let before = out.len();
        context.judge(index, entry, out);
        let blocked = out
            .get(before..)
            .is_some_and(|new| new.iter().any(|f| f.severity == Severity::Error));
        if !blocked {
            accepted.push(entry);
        }
    }
    required_resource_access(&accepted)
}

/// How much attention a request's permissions need from the reviewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    /// Nothing app-only on mailboxes, nothing privileged, no tenant-wide read.
    Low,
    /// At least one permission a reviewer must weigh (see [`risk`]).
    High,
}

/// High when any permission that resolves in the catalogue grants app-only mail access
/// ([`grants_app_only_mail`]: Graph mailbox data scoped or not, `full_access_as_app`,
/// `IMAP.AccessAsApp`, `POP.AccessAsApp`), is privileged, or is a tenant-wide directory read;
/// Low otherwise. Judged on every resolvable permission, not only the error-free ones,
/// so an invalid draft is never under-rated; it needs no clock (no time-dependent rule counts).
pub fn risk(request: &RegistrationRequest) -> Risk {
    let catalogue = PermissionCatalogue::get();
    let high = request
        .permissions
        .iter()
        .take(MAX_PERMISSIONS)
        .filter(|p| !crate::bounds::over(*p, "value"))
        .filter_map(|p| catalogue.resolve(given_resource(p), &p.value, p.permission_type))
        .any(|entry| permission_risk(entry) == Risk::High);
    if high { Risk::High } else { Risk::Low }
}

/// True when a request must be approved by two different reviewers before it is approved: it
/// asks for app-only access to mailbox data ([`grants_app_only_mail`]: a Graph application
/// permission on mail, calendars, contacts or mailbox settings, Exchange `full_access_as_app`,
/// `IMAP.AccessAsApp` or `POP.AccessAsApp`), scoped or not. Such an application reads or sends
/// as mailboxes with no user present, so one person's judgement is not enough (four-eyes).
/// Judged like [`risk`] on every resolvable permission.
pub fn needs_second_approval(request: &RegistrationRequest) -> bool {
    first_app_only_mail(request).is_some()
}

/// The first requested permission that grants app-only mail access ([`grants_app_only_mail`]),
/// judged like [`risk`] on every resolvable permission.
pub fn first_app_only_mail(request: &RegistrationRequest) -> Option<&'static Permission> {
    let catalogue = PermissionCatalogue::get();
    request
        .permissions
        .iter()
        .take(MAX_PERMISSIONS)
        .filter(|p| !crate::bounds::over(*p, "value"))
        .filter_map(|p| catalogue.resolve(given_resource(p), &p.value, p.permission_type))
        .find(|entry| grants_app_only_mail(entry))
}

/// True for a permission that gives the application, with no user present, access to the
/// data of mailboxes: a Graph application mailbox-data permission, EWS `full_access_as_app`,
/// or Exchange `IMAP.AccessAsApp` / `POP.AccessAsApp` (Exchange grants each mailbox in full to
/// the application's service principal, `Add-MailboxPermission … FullAccess`).
pub fn grants_app_only_mail(entry: &Permission) -> bool {
    is_app_mail(entry) || is_exchange_app_mailbox_access(entry)
}

/// Exchange Online application permissions that open whole mailboxes: EWS and IMAP/POP.
fn is_exchange_app_mailbox_access(entry: &Permission) -> bool {
    entry.resource() == Resource::Exchange
        && entry.permission_type() == PermissionType::Application
        && EXCHANGE_APP_MAILBOX_ACCESS.contains(&entry.value())
}

/// One permission's risk, as [`risk`] judges a request by it (the form's picker shows it).
pub fn permission_risk(entry: &Permission) -> Risk {
    let high = grants_app_only_mail(entry) || is_privileged(entry) || is_tenant_wide_read(entry);
    if high { Risk::High } else { Risk::Low }
}

/// Why [`permission_risk`] rates `entry` as it does, in a sentence for the reviewer's page.
pub fn risk_reason(entry: &Permission) -> &'static str {
    if is_app_mail(entry) {
        "App-only access to mailbox data: the application acts on mailboxes with no user present (two reviewers must approve)."
    } else if is_exchange_app_mailbox_access(entry) {
        match entry.value() {
            "IMAP.AccessAsApp" => {
                "App-only IMAP: full access to every mailbox Exchange grants the application, with no user present (two reviewers must approve)."
            }
            "POP.AccessAsApp" => {
                "App-only POP: full access to every mailbox Exchange grants the application, with no user present (two reviewers must approve)."
            }
            _ => {
                "App-only full access to mailboxes through Exchange Web Services, with no user present (two reviewers must approve)."
            }
        }
    } else if is_privileged(entry) {
        "Privileged: it can change the directory, the tenant or Exchange Online itself."
    } else if is_tenant_wide_read(entry) {
        "Reads directory data across the whole NHSmail tenant with no user present."
    } else if entry.permission_type() == PermissionType::Delegated {
        "Delegated: the application acts only as the signed-in user, within what they may do."
    } else {
        "App-only, but neither mailbox data, privileged nor a tenant-wide read."
    }
}

/// The catalogue entry a requested permission resolves to, as [`risk`] resolves it (`None`
/// when the resource is unsupported or the catalogue has no such permission).
pub fn resolve(requested: &PermissionRequest) -> Option<&'static Permission> {
    if crate::bounds::over(requested, "value") {
        return None;
    }
    PermissionCatalogue::get().resolve(
        given_resource(requested),
        &requested.value,
        requested.permission_type,
    )
}

/// True for the app-only mailbox-data permissions that need an access policy group: the Graph
/// ones. Exchange `IMAP.AccessAsApp` and `POP.AccessAsApp` do not: they reach no mailbox until
/// Exchange grants one to the service principal (`Add-MailboxPermission`), mailbox by mailbox,
/// and neither RBAC for Applications nor ApplicationAccessPolicy scopes them.
pub fn needs_access_policy_group(entry: &Permission) -> bool {
    is_app_mail(entry)
}

struct Context {
    catalogue: &'static PermissionCatalogue,
    access_type: AccessType,
    scoped: bool,
    now: OffsetDateTime,
}

impl Context {
    /// Finds the catalogue entry, or raises the one finding that says why there is none.
    fn resolve(
        &self,
        index: usize,
        requested: &PermissionRequest,
        suggestions_left: &mut usize,
        out: &mut Vec<Finding>,
    ) -> Option<&'static Permission> {
        let value = requested.value.as_str();
        let wanted = requested.permission_type;
        if value.trim().is_empty() {
            out.push(Finding::new(
                PermissionCode::ValueRequired,
                path(index),
                "Enter the permission's name.",
                "Type the permission exactly as Microsoft names it, such as Mail.Send or IMAP.AccessAsUser.All, or remove this row.",
            ));
            return None;
        }
        if crate::bounds::over(requested, "value") {
            let length = value.chars().count();
            out.push(Finding::new(
                PermissionCode::TooLong,
                path(index),
                format!(
                    "The permission is {length} characters long; no Microsoft Graph or Exchange Online permission is longer than {MAX_PERMISSION_VALUE_CHARS}."
                ),
                "Enter only the permission's name, such as Mail.Send.",
            ));
            return None;
        }
        let resource = match given_resource(requested) {
            None => None,
            Some(text) => match Resource::parse(text) {
                Some(resource) => Some(resource),
                None => {
                    out.push(Finding::new(
                        PermissionCode::UnsupportedResource,
                        path(index),
                        format!(
                            "'{}' is not a resource this desk registers permissions for.",
                            text.escape_debug()
                        ),
                        "Write graph (Microsoft Graph) or exchange (Office 365 Exchange Online), or their appIds, or leave the resource out: NHSmail applications reach mail through these two only.",
                    ));
                    return None;
                }
            },
        };
        if let Some(hint) = rbac_role_hint(value, self.catalogue) {
            out.push(Finding::new(
                PermissionCode::RbacRoleName,
                path(index),
                format!(
                    "'{}' is an Exchange Online RBAC for Applications role name, not an Entra permission.",
                    value.escape_debug()
                ),
                hint,
            ));
            return None;
        }
        let searched: &[Resource] = match &resource {
            Some(resource) => std::slice::from_ref(resource),
            None => &Resource::ALL,
        };
        if let Some(entry) = searched
            .iter()
            .find_map(|&r| self.catalogue.find(r, value, wanted))
        {
            return Some(entry);
        }
        if let Some(other) = searched
            .iter()
            .flat_map(|&r| self.catalogue.with_value(r, value))
            .next()
        {
            out.push(Finding::new(
                PermissionCode::WrongType,
                path(index),
                format!(
                    "'{}' exists only as {}, not as {}.",
                    value.escape_debug(),
                    type_phrase(other.permission_type()),
                    type_phrase(wanted)
                ),
                wrong_type_hint(other, wanted),
            ));
            return None;
        }
        if let Some(named) = resource
            && let Some(elsewhere) = self.catalogue.with_value(named.other(), value).first()
        {
            out.push(Finding::new(
                PermissionCode::WrongResource,
                path(index),
                format!(
                    "{} does not publish '{}'; {} does.",
                    named.display_name(),
                    value.escape_debug(),
                    elsewhere.resource().display_name()
                ),
                format!(
                    "Change the resource to {}, or leave it out.",
                    elsewhere.resource().alias()
                ),
            ));
            return None;
        }
        let suggestion = if *suggestions_left > 0 {
            *suggestions_left -= 1;
            self.catalogue.suggest(resource, value, wanted)
        } else {
            None
        };
        out.push(Finding::new(
            PermissionCode::Unknown,
            path(index),
            format!(
                "Neither Microsoft Graph nor Exchange Online publishes a permission called '{}'.",
                value.escape_debug()
            ),
            match suggestion {
                Some(close) => format!(
                    "Did you mean '{close}'? Names must match Microsoft's spelling and letter case exactly."
                ),
                None => "Check the spelling in the permission picker; names must match Microsoft's exactly, such as Mail.Send.".to_string(),
            },
        ));
        None
    }

    /// Raises every policy finding for one resolved permission.
    fn judge(&self, index: usize, entry: &'static Permission, out: &mut Vec<Finding>) {
        match (self.access_type, entry.permission_type()) {
            (AccessType::Application, PermissionType::Delegated) => out.push(Finding::new(
                PermissionCode::DelegatedInAppOnly,
                path(index),
                format!(
                    "{} is a delegated permission, used only when a user signs in, but this registration is for application (app-only) access.",
                    describe(entry)
                ),
                delegated_in_app_only_hint(entry),
            )),
            (AccessType::Delegated, PermissionType::Application) => out.push(Finding::new(
                PermissionCode::AppRoleInDelegated,
                path(index),
                format!(
                    "{} is an application permission, which acts without a signed-in user, but this registration is for delegated access.",
                    describe(entry)
                ),
                "Microsoft advises against mixing the two: use the delegated permission, or register the app-only part as a separate application.",
            )),
            _ => {}
        }
        if is_app_mail(entry) {
            if self.scoped {
                out.push(Finding::new(
                    PermissionCode::ScopedAppMail,
                    path(index),
                    format!(
                        "{} lets the application reach every mailbox in the access policy group without a user signing in.",
                        describe(entry)
                    ),
                    "Residual risk: whoever can change the group's membership changes what the application reaches, and a stolen credential reaches all of it. Keep the group to the mailboxes the application needs, with a named owner.",
                ));
            } else {
                out.push(Finding::new(
                    PermissionCode::UnscopedAppMail,
                    path(index),
                    format!(
                        "{} reaches every mailbox in NHSmail unless it is scoped, and no access policy group is given.",
                        describe(entry)
                    ),
                    "Enter an access policy group: an @nhs.net mail-enabled security group holding only the mailboxes the application needs. The desk scopes the permission to it with Exchange RBAC for Applications.",
                ));
            }
        }
        if is_ews(entry) {
            let severity = if self.now >= EWS_OFF {
                Severity::Error
            } else {
                Severity::Warning
            };
            out.push(
                Finding::new(
                    PermissionCode::EwsRetired,
                    path(index),
                    format!(
                        "{} uses Exchange Web Services (EWS), which Exchange Online turns off by default on 1 October 2026 and permanently on 1 April 2027.",
                        describe(entry)
                    ),
                    "Move the application to Microsoft Graph (for example Mail.Read or Mail.Send); EWS requests will fail.",
                )
                .with_severity(severity),
            );
        }
        if is_privileged(entry) {
            out.push(Finding::new(
                PermissionCode::Privileged,
                path(index),
                format!(
                    "{} controls the NHSmail tenant itself (directory, roles, applications, policies or Exchange administration), so it is not granted to local applications.",
                    describe(entry)
                ),
                "Choose a narrower permission that covers only what the application does; contact the NHSmail team if it really administers the tenant.",
            ));
        }
        if is_outlook_rest(entry) {
            let graph =
                self.catalogue
                    .find(Resource::Graph, entry.value(), entry.permission_type());
            out.push(Finding::new(
                PermissionCode::OutlookRestRetired,
                path(index),
                format!(
                    "{} belongs to the Outlook REST API, which Microsoft decommissioned in March 2024.",
                    describe(entry)
                ),
                match graph {
                    Some(_) => format!(
                        "Ask for Microsoft Graph's '{}' instead: set the resource to graph, or leave it out.",
                        entry.value()
                    ),
                    None => "Ask for the Microsoft Graph permission that does the same job; the permission picker lists them.".to_string(),
                },
            ));
        }
        if is_tenant_wide_read(entry) {
            out.push(Finding::new(
                PermissionCode::TenantWideDirectoryRead,
                path(index),
                format!(
                    "{} reads the whole national NHSmail directory, not just your organisation's people and groups.",
                    describe(entry)
                ),
                "Check that the application needs the whole directory; the reviewer will ask why. A delegated permission reads only what the signed-in user may see.",
            ));
        }
        if entry.permission_type() == PermissionType::Delegated
            && entry.admin_consent_required() == Some(true)
        {
            out.push(Finding::new(
                PermissionCode::AdminConsent,
                path(index),
                format!(
                    "{} needs an administrator's consent, so the NHSmail team must grant it for the whole tenant.",
                    describe(entry)
                ),
                "Users cannot consent to it themselves; expect the reviewer to ask why the application needs it.",
            ));
        }
    }
}

/// The resource as given, with a blank one counting as left out.
fn given_resource(requested: &PermissionRequest) -> Option<&str> {
    requested
        .resource
        .as_deref()
        .filter(|text| !text.trim().is_empty())
}

fn path(index: usize) -> String {
    format!("permissions[{index}]")
}

/// `'Mail.Send' (Microsoft Graph, application)` — enough to tell same-named permissions apart.
fn describe(entry: &Permission) -> String {
    let kind = match entry.permission_type() {
        PermissionType::Delegated => "delegated",
        PermissionType::Application => "application",
    };
    format!(
        "'{}' ({}, {kind})",
        entry.value(),
        entry.resource().display_name()
    )
}

fn type_phrase(permission_type: PermissionType) -> &'static str {
    match permission_type {
        PermissionType::Delegated => "a delegated permission",
        PermissionType::Application => "an application permission",
    }
}

/// The app-only and delegated forms of the mail protocols, in both directions.
const PROTOCOL_PAIRS: [(&str, &str); 4] = [
    ("IMAP.AccessAsUser.All", "IMAP.AccessAsApp"),
    ("POP.AccessAsUser.All", "POP.AccessAsApp"),
    ("SMTP.Send", "SMTP.SendAsApp"),
    ("EWS.AccessAsUser.All", "full_access_as_app"),
];

fn wrong_type_hint(existing: &Permission, wanted: PermissionType) -> String {
    let value = existing.value();
    if existing.is_oidc() {
        return "Sign-in scopes (openid, profile, email, offline_access) exist only for a signed-in user; an app-only application needs none of them. Remove it.".to_string();
    }
    let counterpart = PROTOCOL_PAIRS.iter().find_map(|&(user, app)| match wanted {
        PermissionType::Application if user == value => Some(app),
        PermissionType::Delegated if app == value => Some(user),
        _ => None,
    });
    match (counterpart, wanted) {
        (Some(app), PermissionType::Application) => format!(
            "The app-only form is '{app}' (Exchange Online, application); ask for that instead."
        ),
        (Some(user), PermissionType::Delegated) => format!(
            "The signed-in user's form is '{user}' (delegated); ask for that instead. At run time a client requests it as https://outlook.office.com/{user}."
        ),
        _ => format!(
            "Change the type to {}, or choose the permission of the other kind that does what the application needs.",
            match existing.permission_type() {
                PermissionType::Delegated => "delegated",
                PermissionType::Application => "application",
            }
        ),
    }
}

fn delegated_in_app_only_hint(entry: &Permission) -> String {
    if entry.is_oidc() {
        return "Remove it: the client credentials flow signs no user in, so it needs neither sign-in scopes nor refresh tokens (openid, offline_access).".to_string();
    }
    if let Some(&(_, app)) = PROTOCOL_PAIRS
        .iter()
        .find(|&&(user, _)| user == entry.value())
    {
        return format!(
            "For app-only access ask for '{app}' (Exchange Online, application) instead, or choose delegated access if a user signs in."
        );
    }
    match entry.runtime_scope() {
        Some(scope) => format!(
            "Remove it, or choose delegated access if a user signs in (the client then requests {scope})."
        ),
        None => "Remove it, or choose delegated access if a user signs in; app-only access needs application permissions.".to_string(),
    }
}

/// The hint for an RBAC for Applications role name, or `None` when `value` is not one.
fn rbac_role_hint(value: &str, catalogue: &PermissionCatalogue) -> Option<String> {
    let bare = match value.get(..12) {
        Some(prefix) if prefix.eq_ignore_ascii_case("application ") => value.get(12..)?.trim(),
        _ if RBAC_BARE_NAMES
            .iter()
            .any(|name| name.eq_ignore_ascii_case(value)) =>
        {
            value
        }
        _ => return None,
    };
    let script = "Exchange assigns that role (the desk's script does it);";
    Some(if bare.eq_ignore_ascii_case("EWS.AccessAsApp") {
        format!(
            "{script} it is for Exchange Web Services, which Exchange Online turns off from 1 October 2026. Ask for Microsoft Graph application permissions such as Mail.Read instead."
        )
    } else if bare.eq_ignore_ascii_case("Mail Full Access") {
        format!(
            "{script} here ask for the Graph application permissions Mail.ReadWrite and Mail.Send, and name an access policy group."
        )
    } else if bare.eq_ignore_ascii_case("Exchange Full Access") {
        format!(
            "{script} here ask only for the Graph application permissions the application needs (Mail.ReadWrite, Mail.Send, MailboxSettings.ReadWrite, Calendars.ReadWrite, Contacts.ReadWrite), and name an access policy group."
        )
    } else {
        match catalogue.resolve(None, bare, PermissionType::Application) {
            Some(entry) => format!(
                "{script} here ask for the application permission '{}' ({}) and name an access policy group to scope it.",
                entry.value(),
                entry.resource().display_name()
            ),
            None => format!(
                "{script} here ask for the Microsoft Graph application permission it stands for, and name an access policy group to scope it."
            ),
        }
    })
}

fn is_app_mail(entry: &Permission) -> bool {
    let value = entry.value();
    entry.resource() == Resource::Graph
        && entry.permission_type() == PermissionType::Application
        && (APP_MAIL.contains(&value)
            || APP_MAIL_FAMILIES
                .iter()
                .any(|family| value.starts_with(family)))
}

fn is_ews(entry: &Permission) -> bool {
    match entry.permission_type() {
        PermissionType::Delegated => entry.value() == "EWS.AccessAsUser.All",
        PermissionType::Application => {
            entry.resource() == Resource::Exchange && entry.value() == "full_access_as_app"
        }
    }
}

fn is_privileged(entry: &Permission) -> bool {
    match entry.resource() {
        Resource::Graph => {
            !is_app_mail(entry)
                && (PRIVILEGED_GRAPH.contains(&entry.value())
                    || entry.privilege_level().is_some_and(|level| level >= 4))
        }
        Resource::Exchange => EXCHANGE_MANAGEMENT.contains(&entry.value()),
    }
}

fn is_outlook_rest(entry: &Permission) -> bool {
    entry.resource() == Resource::Exchange
        && !EXCHANGE_PROTOCOL.contains(&entry.value())
        && !EXCHANGE_MANAGEMENT.contains(&entry.value())
        && !is_ews(entry)
}

fn is_tenant_wide_read(entry: &Permission) -> bool {
    entry.resource() == Resource::Graph
        && entry.permission_type() == PermissionType::Application
        && TENANT_WIDE_READ.contains(&entry.value())
}

/// Groups the accepted permissions by resource, Graph first, each in request order.
fn required_resource_access(accepted: &[&'static Permission]) -> Vec<RequiredResourceAccess> {
    Resource::ALL
        .into_iter()
        .filter_map(|resource| {
            let resource_access: Vec<ResourceAccess> = accepted
                .iter()
                .filter(|entry| entry.resource() == resource)
                .map(|entry| ResourceAccess {
                    id: entry.id().to_string(),
                    access_type: entry.manifest_type().to_string(),
                })
                .collect();
            (!resource_access.is_empty()).then(|| RequiredResourceAccess {
                resource_app_id: resource.app_id().to_string(),
                resource_access,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
