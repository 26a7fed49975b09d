//! Mailbox rules (RULES.md §2).

use crate::directory::Directory;
use crate::rules::ods::OdsOutcome;
use crate::{Finding, RegistrationRequest};

crate::finding_codes! {
    /// Codes raised by the mailbox rules.
    pub enum MailboxCode {
        Syntax => ("mailbox.syntax", Error, "An address that is not one RFC 5322 addr-spec cannot be a mailbox.", "RFC 5321 §4.1.2, RFC 5322 §3.4.1"),
    }
}

/// Checks `mailboxes[i]` against syntax, domain, duplicates and ownership.
pub fn check(
    request: &RegistrationRequest,
    requester: &OdsOutcome,
    directory: Directory<'_>,
    out: &mut Vec<Finding>,
) {
    let _ = (request, requester, directory, out);
}

/// Why `raw` is not one plain email address (RFC 5322 addr-spec), or `None` when it is.
pub fn syntax_problem(raw: &str) -> Option<String> {
    if raw.trim().is_empty() {
        return Some("it is empty".to_string());
    }
    match email_address::EmailAddress::parse_with_options(
        raw,
        email_address::Options::default().without_display_text(),
    ) {
        Ok(_) => None,
        Err(error) => Some(error.to_string()),
    }
}
