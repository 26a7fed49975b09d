//! Whole-request and cross-field rules (RULES.md §6), plus the application fields' bounds.

use crate::directory::{Directory, MailboxKind};
use crate::limits::{MAX_CONTACTS, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use crate::rules::mailbox;
use crate::rules::ods::{OdsOutcome, label};
use crate::{AccessType, Finding, RegistrationRequest};

crate::finding_codes! {
    /// Codes raised by the cross-field rules.
    pub enum RequestCode {
        ApplicationFieldRequired => ("application.required", Error, "Reviewers and Entra administrators need the application's name, description and supplier to know what they approve.", "NHSmail OAuth onboarding guidance (registration request form)"),
        ApplicationFieldTooLong => ("application.too_long", Error, "Bounded fields keep records readable and validation cheap; Entra display names are at most 256 characters.", "Entra application object limits; desk rule"),
        ApplicationFieldControlCharacter => ("application.control_character", Error, "Control and invisible characters in names can disguise what an application is.", "Desk rule"),
        RedirectUriRequired => ("access_type.redirect_uri_required", Error, "Delegated access signs a user in with the authorization code flow, which returns to a registered redirect URI.", "RFC 6749 §3.1.2; Entra auth code flow"),
        CredentialRequired => ("access_type.credential_required", Error, "App-only access authenticates the application itself, with a certificate or a client secret.", "Entra client credentials flow"),
        ClientSecretLifetime => ("client_secret.lifetime", Error, "NHSmail issues client secrets for 1 to 24 months; longer-lived secrets are a standing risk.", "NHSmail OAuth onboarding guidance; Entra secret lifetime"),
        ContactRequired => ("contact.required", Error, "Someone must answer for the application: renewal reminders and incidents go to its contacts.", "NHSmail OAuth onboarding guidance"),
        ContactTooMany => ("contact.too_many", Error, "Bounded lists keep validation cheap.", "Desk rule"),
        ContactName => ("contact.name", Error, "A contact needs a name a person can ask for.", "Desk rule"),
        ContactEmail => ("contact.email", Error, "Reminders and decisions are sent to the contact's email address.", "RFC 5322 §3.4.1"),
        AccessPolicyGroupSyntax => ("access_policy_group.syntax", Error, "The access policy group is a mail-enabled security group, named by its email address.", "Exchange ApplicationAccessPolicy / RBAC for Applications scopes"),
        AccessPolicyGroupDomain => ("access_policy_group.domain", Error, "Only a group in the NHSmail tenant (@nhs.net) can scope access to NHSmail mailboxes.", "NHSmail shared tenant; Exchange management scopes"),
        AccessPolicyGroupNotInDirectory => ("access_policy_group.not_in_directory", Error, "A group the directory does not list cannot be shown to exist, to be a mail-enabled group, or to belong to the requesting organisation.", "Desk rule (RULES.md §6); NHSmail Portal organisation reports (the directory's source)"),
        AccessPolicyGroupNotAGroup => ("access_policy_group.not_a_group", Error, "Exchange scopes app-only mail access to the members of a mail-enabled security group; a mailbox has no members, and the desk's script looks the address up as a group.", "Microsoft Learn: RBAC for Applications in Exchange Online (MemberOfGroup management scopes); New-ApplicationAccessPolicy (mail-enabled security group)"),
        AccessPolicyGroupOtherOrganisation => ("access_policy_group.other_organisation", Error, "Whoever manages the group's membership decides which mailboxes the application reaches, so the group must be the requesting organisation's own (or one of its sites' or branch surgeries').", "Microsoft Learn: RBAC for Applications in Exchange Online (group membership defines the scope); support.nhs.net: shared mailbox ownership"),
        AccessPolicyGroupDirectoryNotConsulted => ("access_policy_group.directory_not_consulted", Warning, "Which addresses are mail-enabled groups, and whose, is told only to signed-in users of the desk; a check without signing in covers only what the request itself shows.", "Desk rule (docs/security.md: anonymous validation)"),
        AccessPolicyGroupOwnershipNotChecked => ("access_policy_group.ownership_not_checked", Warning, "A group's owner is checked against the requesting organisation, so it waits for an ODS code the directory knows.", "Desk rule (RULES.md §2, §6)"),
    }
}

const PATH_GROUP: &str = "access_policy_group";

/// Checks the application fields, contacts, credentials and the access policy group.
pub fn check(
    request: &RegistrationRequest,
    requester: &OdsOutcome,
    directory: Directory<'_>,
    out: &mut Vec<Finding>,
) {
    check_application(request, out);
    check_access_type(request, out);
    check_contacts(request, out);
    check_access_policy_group(request, requester, directory, out);
}

fn check_application(request: &RegistrationRequest, out: &mut Vec<Finding>) {
    let fields = [
        (
            "application.name",
            "application name",
            request.application.name.as_str(),
            MAX_NAME_CHARS,
        ),
        (
            "application.description",
            "description",
            request.application.description.as_str(),
            MAX_DESCRIPTION_CHARS,
        ),
        (
            "application.supplier",
            "supplier",
            request.application.supplier.as_str(),
            MAX_NAME_CHARS,
        ),
    ];
    for (path, label, value, max) in fields {
        let field = path.trim_start_matches("application.");
        let too_long = crate::bounds::over(&request.application, field);
        check_text(path, label, value, (too_long, max), out);
    }
}

/// A required free-text field: present, bounded (`too_long`, against `max` characters, as its
/// type declares), and free of characters that hide text.
fn check_text(
    path: &str,
    label: &str,
    value: &str,
    (too_long, max): (bool, usize),
    out: &mut Vec<Finding>,
) {
    if value.trim().is_empty() {
        out.push(Finding::new(
            RequestCode::ApplicationFieldRequired,
            path,
            format!("Enter the {label}."),
            format!("The {label} tells reviewers what they are approving."),
        ));
        return;
    }
    if too_long {
        let length = value.chars().count();
        out.push(Finding::new(
            RequestCode::ApplicationFieldTooLong,
            path,
            format!("The {label} is {length} characters long; the most is {max}."),
            format!("Shorten the {label} to {max} characters or fewer."),
        ));
        return;
    }
    if let Some(c) = value
        .chars()
        .find(|&c| crate::rules::text::is_hidden_character(c, path.ends_with("description")))
    {
        out.push(Finding::new(
            RequestCode::ApplicationFieldControlCharacter,
            path,
            format!(
                "The {label} contains an invisible or control character (U+{:04X}).",
                c as u32
            ),
            format!("Retype the {label} rather than pasting it, or remove the hidden character."),
        ));
    }
}

fn check_access_type(request: &RegistrationRequest, out: &mut Vec<Finding>) {
    match request.access_type {
        AccessType::Delegated if request.redirect_uris.is_empty() => out.push(Finding::new(
            RequestCode::RedirectUriRequired,
            "redirect_uris",
            "Delegated access needs at least one redirect URI.",
            "Add the URI that Microsoft Entra ID returns the signed-in user to, or choose application access if no user signs in.",
        )),
        AccessType::Application if request.certificates.is_empty() && request.client_secret.is_none() => {
            out.push(Finding::new(
                RequestCode::CredentialRequired,
                "certificates",
                "Application access needs a certificate or a client secret.",
                "Upload the public certificate the application signs its token requests with (preferred), or ask for a client secret.",
            ));
        }
        _ => {}
    }
    if let Some(secret) = request.client_secret
        && crate::bounds::over(&secret, "lifetime_months")
    {
        out.push(Finding::new(
            RequestCode::ClientSecretLifetime,
            "client_secret.lifetime_months",
            format!("A client secret lasts from 1 to 24 months; {} is outside that.", secret.lifetime_months),
            "Enter a whole number of months from 1 to 24. Plan to renew the secret before it expires.",
        ));
    }
}

fn check_contacts(request: &RegistrationRequest, out: &mut Vec<Finding>) {
    if request.contacts.is_empty() {
        out.push(Finding::new(
            RequestCode::ContactRequired,
            "contacts",
            "Add at least one contact.",
            "Give the name and email address of someone who can answer for this application.",
        ));
        return;
    }
    if crate::bounds::over(request, "contacts") {
        out.push(Finding::new(
            RequestCode::ContactTooMany,
            "contacts",
            format!("There are {} contacts; the most is {MAX_CONTACTS}.", request.contacts.len()),
            "List the people who answer for the application; a team mailbox can stand for the rest.",
        ));
    }
    for (index, contact) in request.contacts.iter().take(MAX_CONTACTS).enumerate() {
        let name = contact.name.trim();
        if name.is_empty() || crate::bounds::over(contact, "name") {
            out.push(Finding::new(
                RequestCode::ContactName,
                format!("contacts[{index}].name"),
                if name.is_empty() {
                    "Enter the contact's name.".to_string()
                } else {
                    format!("The contact's name is longer than {MAX_NAME_CHARS} characters.")
                },
                "Give the full name of a person who can answer for the application.",
            ));
        }
        if let Some(problem) = mailbox::syntax_problem(&contact.email) {
            out.push(Finding::new(
                RequestCode::ContactEmail,
                format!("contacts[{index}].email"),
                format!("The contact's email address is not valid: {problem}."),
                "Enter one email address, like name@nhs.net, with nothing around it.",
            ));
        }
    }
}

/// The access policy group: an @nhs.net address, then (from the directory) a mail-enabled group
/// of the requesting organisation or one of its parts, as mailbox ownership is judged.
fn check_access_policy_group(
    request: &RegistrationRequest,
    requester: &OdsOutcome,
    directory: Directory<'_>,
    out: &mut Vec<Finding>,
) {
    let Some(group) = request.access_policy_group_given() else {
        return;
    };
    if let Some(problem) = mailbox::syntax_problem(group) {
        out.push(Finding::new(
            RequestCode::AccessPolicyGroupSyntax,
            "access_policy_group",
            format!("The access policy group is not a valid email address: {problem}."),
            "Enter the email address of the mail-enabled security group, like app-scope@nhs.net.",
        ));
    } else if !group
        .rsplit_once('@')
        .is_some_and(|(_, domain)| domain.eq_ignore_ascii_case("nhs.net"))
    {
        out.push(Finding::new(
            RequestCode::AccessPolicyGroupDomain,
            "access_policy_group",
            "The access policy group must be an NHSmail (@nhs.net) group.",
            "Ask your NHSmail Local Administrator for the @nhs.net address of a mail-enabled security group holding the mailboxes the application may use.",
        ));
    } else {
        check_group_in_directory(group, requester, directory, out);
    }
}

/// The directory's part of the access policy group rules, for a valid @nhs.net address.
fn check_group_in_directory(
    group: &str,
    requester: &OdsOutcome,
    directory: Directory<'_>,
    out: &mut Vec<Finding>,
) {
    let Some(recipients) = directory.mailboxes else {
        out.push(Finding::new(
            RequestCode::AccessPolicyGroupDirectoryNotConsulted,
            PATH_GROUP,
            format!("Whether {group} is a mail-enabled group of your organisation was not checked: the directory is consulted only when you are signed in."),
            "Sign in to the desk as your organisation's Local Administrator and check the request again: the group is then checked against the directory.",
        ));
        return;
    };
    let Some(entry) = recipients.mailbox(group) else {
        out.push(Finding::new(
            RequestCode::AccessPolicyGroupNotInDirectory,
            PATH_GROUP,
            format!("{group} is not in the directory as a mail-enabled group."),
            "Check the spelling. If the group is new, ask your NHSmail Local Administrator to create it under your organisation as a mail-enabled security group holding only the mailboxes the application needs, and the desk's administrator to import the updated list.",
        ));
        return;
    };
    let kind = match entry.kind {
        MailboxKind::Group => None,
        MailboxKind::Person => Some("a person's mailbox"),
        MailboxKind::Shared => Some("a shared mailbox"),
        MailboxKind::Application => Some("an application's mailbox"),
        MailboxKind::Resource => Some("a room or equipment mailbox"),
    };
    if let Some(kind) = kind {
        out.push(Finding::new(
            RequestCode::AccessPolicyGroupNotAGroup,
            PATH_GROUP,
            format!("{group} is {kind}, not a mail-enabled group."),
            "Enter the address of a mail-enabled security group whose members are the mailboxes the application may use. List the mailboxes themselves under Mailboxes.",
        ));
        return;
    }
    let Some(requester) = requester.organisation.as_ref() else {
        out.push(Finding::new(
            RequestCode::AccessPolicyGroupOwnershipNotChecked,
            PATH_GROUP,
            format!("Whether {group} belongs to your organisation was not checked, because the ODS code is not one the directory knows."),
            "Correct the ODS code; the group will then be checked against your organisation.",
        ));
        return;
    };
    let orgs = directory.organisations;
    let owner = orgs.organisation(&entry.ods_code);
    if !mailbox::belongs_to(&entry.ods_code, owner.as_ref(), requester, orgs) {
        let owner_label = owner.as_ref().map_or_else(|| entry.ods_code.clone(), label);
        out.push(Finding::new(
            RequestCode::AccessPolicyGroupOtherOrganisation,
            PATH_GROUP,
            format!(
                "{group} belongs to {owner_label}, not to {}, according to the directory.",
                label(requester)
            ),
            "Use a mail-enabled security group of your own organisation, holding only the mailboxes the application needs: whoever manages the group's members decides what the application can reach.",
        ));
    }
}

#[cfg(test)]
mod tests;
