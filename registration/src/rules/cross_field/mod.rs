//! Whole-request and cross-field rules (RULES.md §6), plus the application fields' bounds.

use crate::limits::{MAX_CONTACTS, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use crate::rules::mailbox;
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
    }
}

/// Checks the application fields, contacts, credentials and the access policy group.
pub fn check(request: &RegistrationRequest, out: &mut Vec<Finding>) {
    check_application(request, out);
    check_access_type(request, out);
    check_contacts(request, out);
    check_access_policy_group(request, out);
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
        check_text(path, label, value, max, out);
    }
}

/// A required free-text field: present, bounded, and free of characters that hide text.
fn check_text(path: &str, label: &str, value: &str, max: usize, out: &mut Vec<Finding>) {
    if value.trim().is_empty() {
        out.push(Finding::new(
            RequestCode::ApplicationFieldRequired,
            path,
            format!("Enter the {label}."),
            format!("The {label} tells reviewers what they are approving."),
        ));
        return;
    }
    let length = value.chars().count();
    if length > max {
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
        && !(1..=24).contains(&secret.lifetime_months)
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
    if request.contacts.len() > MAX_CONTACTS {
        out.push(Finding::new(
            RequestCode::ContactTooMany,
            "contacts",
            format!("There are {} contacts; the most is {MAX_CONTACTS}.", request.contacts.len()),
            "List the people who answer for the application; a team mailbox can stand for the rest.",
        ));
    }
    for (index, contact) in request.contacts.iter().take(MAX_CONTACTS).enumerate() {
        let name = contact.name.trim();
        if name.is_empty() || contact.name.chars().count() > MAX_NAME_CHARS {
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

fn check_access_policy_group(request: &RegistrationRequest, out: &mut Vec<Finding>) {
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
    }
}

#[cfg(test)]
mod tests;
