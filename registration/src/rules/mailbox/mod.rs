//! Mailbox rules (RULES.md §2).
//!
//! Each entry is checked in order: syntax, duplicate, domain, then the directory (unknown, a
//! mail-enabled group rather than a mailbox, closed owner, a person's mailbox with app-only
//! access) and ownership. An entry that fails
//! syntax, is a duplicate of an earlier one, or is not @nhs.net is not examined further: a
//! duplicate's findings were already given at its first occurrence, and an address outside
//! NHSmail cannot be in the NHSmail directory.
//!
//! App-only mail access ([`permission::grants_app_only_mail`]) with no mailbox listed is one
//! `mailbox.required_for_app_only_mail` error at `mailboxes`: the request must say which
//! mailboxes the application will use. An empty list is otherwise allowed.
//!
//! Ownership needs a requester the directory knows. When the ODS code is missing, malformed or
//! unknown, the `ods_code` finding already blocks the request; rather than repeat that error
//! on every mailbox, the rules give one `mailbox.ownership_not_checked` warning at `mailboxes`
//! and check everything that does not depend on the requester.

use std::collections::HashMap;

use crate::directory::{
    Directory, MailboxEntry, MailboxKind, Organisation, OrganisationDirectory, OrganisationStatus,
    roles,
};
use crate::limits::{MAX_EMAIL_CHARS, MAX_MAILBOXES};
use crate::rules::ods::{self, OdsOutcome, label};
use crate::rules::permission;
use crate::{AccessType, Finding, RegistrationRequest};

crate::finding_codes! {
    /// Codes raised by the mailbox rules.
    pub enum MailboxCode {
        TooMany => ("mailbox.too_many", Error, "Bounded lists keep validation cheap; an application that needs more mailboxes than this should be scoped by a mail-enabled security group instead.", "Desk rule (limits.rs MAX_MAILBOXES); Exchange RBAC for Applications management scopes"),
        Syntax => ("mailbox.syntax", Error, "An entry that is not exactly one RFC 5322 addr-spec (no display name, comments or surrounding spaces) names no mailbox.", "RFC 5321 §4.1.2, RFC 5322 §3.4.1"),
        Duplicate => ("mailbox.duplicate", Error, "The same mailbox listed twice (letter case does not matter in NHSmail addresses) is a mistake that hides which mailboxes were meant.", "RFC 5321 §2.4 (domains are case-insensitive; NHSmail treats local parts so too)"),
        Domain => ("mailbox.domain", Error, "An NHSmail app registration reaches only mailboxes in the NHSmail shared tenant, which are @nhs.net; *.nhs.uk, nhs.scot and other domains are other mail systems.", "support.nhs.net: NHSmail shared tenant"),
        Unknown => ("mailbox.unknown", Error, "A mailbox the directory does not list cannot be shown to belong to the requesting organisation.", "Registration issue; NHSmail Portal organisation reports (the directory's source)"),
        OtherOrganisation => ("mailbox.other_organisation", Error, "An organisation may give an application only its own mailboxes or its sites' and branch surgeries'; a parent's or a sibling's mailbox needs that organisation's own request.", "support.nhs.net: shared mailbox ownership; NHSmail pharmacy and social care shared mailbox naming"),
        ClosedOrganisation => ("mailbox.closed_organisation", Warning, "Mailboxes of a closed organisation are moved to its successor or removed, so access granted to them may not last.", "support.nhs.net: accounts in closed organisations"),
        PersonalForAppOnly => ("mailbox.personal_for_app_only", Warning, "App-only access reads a person's mail without them signing in; a shared or application mailbox is accountable and survives staff changes.", "Microsoft Graph permissions best practices (least privilege); NHSmail shared mailbox guidance"),
        OwnershipNotChecked => ("mailbox.ownership_not_checked", Warning, "Ownership is checked against the requesting organisation, so it waits for an ODS code the directory knows.", "Desk rule (RULES.md §2)"),
        DirectoryNotConsulted => ("mailbox.directory_not_consulted", Warning, "Who owns which NHSmail mailbox, and whether it is a person's, is told only to signed-in users of the desk; a check without signing in covers only what the request itself shows.", "Desk rule (docs/security.md: anonymous validation)"),
        IsAGroup => ("mailbox.is_a_group", Error, "A mail-enabled group is not a mailbox: Exchange grants an application mailboxes, and a group's members are the mailboxes; a group scopes access as the access policy group.", "Microsoft Learn: Add-MailboxPermission (a mailbox identity); RBAC for Applications in Exchange Online (group management scopes)"),
        RequiredForAppOnlyMail => ("mailbox.required_for_app_only_mail", Error, "App-only mail access acts on mailboxes with no user present; the request must name them, so that the desk can check they are the organisation's and Exchange can grant exactly those.", "NHSmail OAuth onboarding guidance (mailbox addresses must belong to the requesting organisation); Microsoft Learn: IMAP/POP OAuth (Add-MailboxPermission per mailbox); desk rule"),
    }
}

/// Checks `mailboxes[i]` against syntax, domain, duplicates and ownership.
pub fn check(
    request: &RegistrationRequest,
    requester: &OdsOutcome,
    directory: Directory<'_>,
    out: &mut Vec<Finding>,
) {
    let list = &request.mailboxes;
    if list.is_empty() {
        if let Some(entry) = permission::first_app_only_mail(request) {
            out.push(Finding::new(
                MailboxCode::RequiredForAppOnlyMail,
                "mailboxes",
                format!(
                    "'{}' lets the application use mailboxes with no one signed in, but no mailbox is listed.",
                    entry.value()
                ),
                "Add each @nhs.net mailbox the application will use, such as your organisation's shared or application mailbox. If it needs no mailbox, remove that permission.",
            ));
        }
        return;
    }
    if crate::bounds::over(request, "mailboxes") {
        out.push(Finding::new(
            MailboxCode::TooMany,
            "mailboxes",
            format!(
                "There are {} mailboxes; the most is {MAX_MAILBOXES}. Only the first {MAX_MAILBOXES} were checked.",
                list.len()
            ),
            "Give the application a mail-enabled security group (the access policy group) holding the mailboxes instead of listing each one.",
        ));
    }
    let requester = requester.organisation.as_ref();
    if directory.mailboxes.is_none() {
        out.push(Finding::new(
            MailboxCode::DirectoryNotConsulted,
            "mailboxes",
            "Whether these mailboxes exist and belong to your organisation was not checked: the mailbox directory is consulted only when you are signed in.",
            "Sign in to the desk as your organisation's Local Administrator and check the request again: the mailboxes are then checked against the directory.",
        ));
    } else if requester.is_none() {
        out.push(Finding::new(
            MailboxCode::OwnershipNotChecked,
            "mailboxes",
            "Whether these mailboxes belong to your organisation was not checked, because the ODS code is not one the directory knows.",
            "Correct the ODS code; the mailboxes will then be checked against your organisation.",
        ));
    }
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(list.len().min(MAX_MAILBOXES));
    for (index, raw) in list.iter().take(MAX_MAILBOXES).enumerate() {
        let path = format!("mailboxes[{index}]");
        if let Some(problem) = syntax_problem(raw) {
            out.push(Finding::new(
                MailboxCode::Syntax,
                path,
                format!("This is not a valid email address: {problem}."),
                "Enter one NHSmail address, like ward7.referrals@nhs.net, with nothing around it.",
            ));
            continue;
        }
        let address = raw.to_lowercase();
        if let Some(&first) = seen.get(&address) {
            out.push(Finding::new(
                MailboxCode::Duplicate,
                path,
                format!(
                    "{raw} is already listed as mailboxes[{first}] (letter case does not matter)."
                ),
                "Remove the repeated address.",
            ));
            continue;
        }
        seen.insert(address.clone(), index);
        if let Some(reason) = domain_problem(&address) {
            out.push(Finding::new(
                MailboxCode::Domain,
                path,
                format!("{raw} is not an NHSmail mailbox: {reason}."),
                "An NHSmail app registration can reach only mailboxes in the NHSmail shared tenant, whose addresses end in @nhs.net. Give the @nhs.net mailbox the application should use.",
            ));
            continue;
        }
        check_entry(&path, &address, request, requester, directory, out);
    }
}

/// The directory and ownership rules for one syntactically valid @nhs.net address (lower case).
fn check_entry(
    path: &str,
    address: &str,
    request: &RegistrationRequest,
    requester: Option<&Organisation>,
    directory: Directory<'_>,
    out: &mut Vec<Finding>,
) {
    let orgs = directory.organisations;
    let Some(mailboxes) = directory.mailboxes else {
        // Without the mailbox directory only the address itself is evidence: a name that
        // carries another organisation's ODS code.
        if let Some(requester) = requester {
            check_code_in_name(path, address, requester, orgs, out);
        }
        return;
    };
    let entry = mailboxes.mailbox(address);
    let owner = entry
        .as_ref()
        .and_then(|entry| orgs.organisation(&entry.ods_code));
    match &entry {
        None => out.push(Finding::new(
            MailboxCode::Unknown,
            path,
            format!("{address} is not in the mailbox directory."),
            "Check the spelling. The directory lists the mailboxes in the NHSmail Portal's organisation reports: if this mailbox is new, ask your NHSmail Local Administrator to create it under your organisation, and the desk's administrator to import the updated list.",
        )),
        Some(entry) if entry.kind == MailboxKind::Group => {
            // Not a mailbox at all: whose it is, or whether it is closed, would not help.
            out.push(Finding::new(
                MailboxCode::IsAGroup,
                path,
                format!("{address} is a mail-enabled group, not a mailbox."),
                "List the mailboxes themselves here. To limit app-only access to the group's members, enter the group as the access policy group instead.",
            ));
            return;
        }
        Some(entry) => {
            if let Some(owner) = owner.as_ref().filter(|o| o.status == OrganisationStatus::Closed) {
                out.push(closed_owner(path, address, owner, orgs));
            }
            if entry.kind == MailboxKind::Person && request.access_type == AccessType::Application {
                out.push(Finding::new(
                    MailboxCode::PersonalForAppOnly,
                    path,
                    format!("{address} is a person's own mailbox, and the application asks for app-only access."),
                    "App-only access reads the mailbox without its owner signing in. Use a shared mailbox or an application (service) account instead, or delegated access if the person signs in themselves.",
                ));
            }
        }
    }
    let Some(requester) = requester else {
        return;
    };
    if let Some(entry) = &entry
        && !belongs_to(&entry.ods_code, owner.as_ref(), requester, orgs)
    {
        out.push(other_organisation(
            path,
            address,
            entry,
            owner.as_ref(),
            false,
            requester,
        ));
        return;
    }
    check_code_in_name(path, address, requester, orgs, out);
}

/// A mailbox whose name carries another organisation's ODS code is that organisation's.
fn check_code_in_name(
    path: &str,
    address: &str,
    requester: &Organisation,
    orgs: &dyn OrganisationDirectory,
    out: &mut Vec<Finding>,
) {
    if let Some(code) = code_in_name(address) {
        let named = orgs.organisation(&code);
        if !belongs_to(&code, named.as_ref(), requester, orgs) {
            let entry = MailboxEntry {
                address: address.to_string(),
                ods_code: code,
                kind: MailboxKind::Shared,
            };
            out.push(other_organisation(
                path,
                address,
                &entry,
                named.as_ref(),
                true,
                requester,
            ));
        }
    }
}

fn other_organisation(
    path: &str,
    address: &str,
    entry: &MailboxEntry,
    owner: Option<&Organisation>,
    by_name: bool,
    requester: &Organisation,
) -> Finding {
    let owner_label = owner.map_or_else(|| entry.ods_code.clone(), label);
    let evidence = if by_name {
        format!(": its name carries the ODS code {}", entry.ods_code)
    } else {
        ", according to the mailbox directory".to_string()
    };
    Finding::new(
        MailboxCode::OtherOrganisation,
        path,
        format!(
            "{address} belongs to {owner_label}, not to {}{evidence}.",
            label(requester)
        ),
        format!(
            "An application can be given only your own organisation's mailboxes, or those of your sites and branch surgeries. Use one of yours, or ask {} to make its own request.",
            entry.ods_code
        ),
    )
}

fn closed_owner(
    path: &str,
    address: &str,
    owner: &Organisation,
    orgs: &dyn OrganisationDirectory,
) -> Finding {
    let successors: Vec<String> = owner
        .successors
        .iter()
        .map(|code| {
            orgs.organisation(code)
                .map_or_else(|| code.clone(), |o| label(&o))
        })
        .collect();
    let passed = if successors.is_empty() {
        "the directory records no successor".to_string()
    } else {
        format!("its services passed to {}", successors.join(" and "))
    };
    Finding::new(
        MailboxCode::ClosedOrganisation,
        path,
        format!(
            "{address} belongs to {}, which is closed; {passed}.",
            label(owner)
        ),
        "Mailboxes of a closed organisation are moved to its successor or removed. Check with your NHSmail Local Administrator that the mailbox still exists and who owns it now.",
    )
}

/// Whether a mailbox owned by `owner_code` is evidence for `requester`: the same organisation,
/// one of its parts (walking up from the owner through sites, branch surgeries and sub-ICB
/// locations only), or a closed organisation the requester succeeded. Never downwards or
/// sideways: a parent's or a sibling's mailbox is not the requester's.
pub(crate) fn belongs_to(
    owner_code: &str,
    owner: Option<&Organisation>,
    requester: &Organisation,
    orgs: &dyn OrganisationDirectory,
) -> bool {
    if owner_code == requester.ods_code {
        return true;
    }
    if owner.is_some_and(|o| {
        o.status == OrganisationStatus::Closed && o.successors.contains(&requester.ods_code)
    }) {
        return true;
    }
    let mut current = owner_code.to_string();
    let mut known = owner.cloned();
    // Real chains are at most three links (branch → practice); the bound stops a cycle in data.
    for _ in 0..4 {
        let parent = match &known {
            Some(org) if roles::PART_OF_PARENT.contains(&org.role_id.as_str()) => {
                org.parent.clone()
            }
            Some(_) => None,
            None => ods::implied_parent(&current, orgs).map(|p| p.ods_code),
        };
        let Some(parent) = parent else {
            return false;
        };
        if parent == requester.ods_code {
            return true;
        }
        known = orgs.organisation(&parent);
        current = parent;
    }
    false
}

/// The ODS code in an NHSmail pharmacy or social care shared mailbox's name
/// (`pharmacy.<ods>@nhs.net`, `care.<ods>@nhs.net`), upper case, when it is well-formed.
fn code_in_name(address: &str) -> Option<String> {
    let (local, _) = address.rsplit_once('@')?;
    let rest = local
        .strip_prefix("pharmacy.")
        .or_else(|| local.strip_prefix("care."))?;
    let code = rest.split('.').next()?.to_ascii_uppercase();
    ods::is_well_formed(&code).then_some(code)
}

/// Whether the address's domain is `nhs.net` (any letter case).
pub fn is_nhsmail_address(address: &str) -> bool {
    address
        .rsplit_once('@')
        .is_some_and(|(_, domain)| domain.eq_ignore_ascii_case("nhs.net"))
}

/// Why a syntactically valid address is not in the NHSmail tenant, or `None` when it is @nhs.net.
fn domain_problem(address: &str) -> Option<String> {
    let (_, domain) = address.rsplit_once('@')?;
    let domain = domain.to_ascii_lowercase();
    if domain == "nhs.net" {
        return None;
    }
    let reason = if domain == "wales.nhs.uk" || domain.ends_with(".wales.nhs.uk") {
        format!("@{domain} is NHS Wales' own mail system")
    } else if domain == "nhs.uk" || domain.ends_with(".nhs.uk") {
        format!("@{domain} is an NHS organisation's own mail system (nhs.uk), not NHSmail")
    } else if domain == "nhs.scot" || domain.ends_with(".nhs.scot") {
        format!("@{domain} is NHS Scotland's mail system")
    } else if domain == "hscni.net" || domain.ends_with(".hscni.net") {
        format!("@{domain} is Northern Ireland's Health and Social Care mail system")
    } else if domain.ends_with(".nhs.net") {
        format!("NHSmail addresses end in @nhs.net itself, not in a subdomain such as @{domain}")
    } else {
        format!("@{domain} is not the NHSmail domain")
    };
    Some(reason)
}

/// Why `raw` is not one plain email address (RFC 5322 addr-spec), or `None` when it is.
pub fn syntax_problem(raw: &str) -> Option<String> {
    if raw.trim().is_empty() {
        return Some("it is empty".to_string());
    }
    if raw.chars().nth(MAX_EMAIL_CHARS).is_some() {
        return Some(format!("it is longer than {MAX_EMAIL_CHARS} characters"));
    }
    if raw.trim() != raw {
        return Some("it has spaces before or after it".to_string());
    }
    if raw.contains('<') || raw.contains('>') {
        return Some(
            "it has a name or angle brackets around it; give only the address itself".to_string(),
        );
    }
    if let Some(c) = raw.chars().find(|c| c.is_whitespace()) {
        return Some(if c == ' ' {
            "it contains a space".to_string()
        } else {
            format!("it contains a space character (U+{:04X})", c as u32)
        });
    }
    if let Some(c) = raw.chars().find(|c| !c.is_ascii()) {
        return Some(format!(
            "it contains '{c}' (U+{:04X}); email addresses here use only plain ASCII letters, digits and punctuation",
            c as u32
        ));
    }
    if !raw.contains('"') && (raw.contains('(') || raw.contains(')')) {
        return Some("it contains a comment in brackets; give only the address itself".to_string());
    }
    let options = email_address::Options::default()
        .without_display_text()
        .with_required_tld();
    let error = email_address::EmailAddress::parse_with_options(raw, options).err()?;
    use email_address::Error as E;
    Some(
        match error {
            E::InvalidCharacter => {
                "it contains a character that is not allowed in an email address"
            }
            E::MissingSeparator => "it has no @ between the name and the domain",
            E::LocalPartEmpty => "nothing comes before the @",
            E::LocalPartTooLong => "the part before the @ is longer than 64 characters",
            E::DomainEmpty => "nothing comes after the @",
            E::DomainTooLong => "the domain after the @ is too long",
            E::SubDomainEmpty => {
                "the domain has an empty part (a dot at the start or end, or two dots together)"
            }
            E::SubDomainTooLong => "a part of the domain is longer than 63 characters",
            E::DomainTooFew => "the domain after the @ needs a dot, like nhs.net",
            E::DomainInvalidSeparator => "a dot is out of place in the domain",
            E::UnbalancedQuotes => "its quotation marks are unbalanced",
            E::InvalidComment => "it contains a comment in brackets; give only the address itself",
            E::InvalidIPAddress => "the address in square brackets is not a valid IP address",
            E::UnsupportedDomainLiteral => {
                "it has an address in square brackets instead of a domain"
            }
            E::UnsupportedDisplayName | E::MissingDisplayName | E::MissingEndBracket => {
                "it has a name or angle brackets around it; give only the address itself"
            }
        }
        .to_string(),
    )
}

#[cfg(test)]
mod tests;
