//! One organisation's part of the directory: what the browser's copy of the rules is given.
//!
//! The server validates against the whole directory, embedded and imported. The form's live
//! checks run the same rules in the browser, which must neither hold every organisation's
//! mailboxes (they are not the Local Administrator's to see) nor disagree with the server about
//! the ones that are theirs. So the server gives the form a [`DirectorySlice`]: the requesting
//! organisation with the organisations the rules consult about it (its parents, its successors),
//! and every mailbox that belongs to it (its own, its sites' and branch surgeries', a closed
//! predecessor's), each with the organisations the rules consult about that mailbox. For those
//! the browser answers exactly as the server does; an address outside the slice is one the
//! browser cannot judge (another organisation's, or unknown), and only the server answers it.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{Directory, MailboxDirectory, MailboxEntry, Organisation, OrganisationDirectory};
use crate::rules::mailbox::belongs_to;
use crate::rules::ods::implied_parent;
use crate::{Finding, RegistrationDraft, ValidationReport, validate_draft};

/// What the rules say of an address the directory they are given does not hold. Through a
/// slice that means only "not this organisation's": the server's answer says which.
const NOT_IN_THE_SLICE: [&str; 2] = ["mailbox.unknown", "access_policy_group.not_in_directory"];

/// The server's findings about one mailbox or the access policy group that come from the
/// directory and not from the access type or the rest of the form: kept for an address outside
/// the slice while it stays in the form.
const FROM_THE_DIRECTORY: [&str; 7] = [
    "mailbox.unknown",
    "mailbox.other_organisation",
    "mailbox.closed_organisation",
    "mailbox.is_a_group",
    "access_policy_group.not_in_directory",
    "access_policy_group.not_a_group",
    "access_policy_group.other_organisation",
];

/// How far the rules follow parents (`belongs_to` stops a cycle in the data after four links).
const CHAIN: usize = 5;

/// An organisation's slice of the directory (see the module's documentation). Lookups are
/// binary searches: the lists are kept sorted by code and by address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SliceLists", into = "SliceLists")]
pub struct DirectorySlice {
    organisations: Vec<Organisation>,
    mailboxes: Vec<MailboxEntry>,
}

/// The slice as it travels: two lists (sorted again when read).
#[derive(Serialize, Deserialize)]
struct SliceLists {
    organisations: Vec<Organisation>,
    mailboxes: Vec<MailboxEntry>,
}

impl From<SliceLists> for DirectorySlice {
    fn from(lists: SliceLists) -> DirectorySlice {
        DirectorySlice::new(lists.organisations, lists.mailboxes)
    }
}

impl From<DirectorySlice> for SliceLists {
    fn from(slice: DirectorySlice) -> SliceLists {
        SliceLists {
            organisations: slice.organisations,
            mailboxes: slice.mailboxes,
        }
    }
}

impl DirectorySlice {
    /// A slice of these organisations and mailboxes (codes upper-cased, addresses lower-cased,
    /// as the directory keys them).
    pub fn new(
        mut organisations: Vec<Organisation>,
        mut mailboxes: Vec<MailboxEntry>,
    ) -> DirectorySlice {
        for org in &mut organisations {
            org.ods_code = org.ods_code.trim().to_ascii_uppercase();
        }
        for entry in &mut mailboxes {
            entry.address = entry.address.trim().to_lowercase();
            entry.ods_code = entry.ods_code.trim().to_ascii_uppercase();
        }
        organisations.sort_by(|a, b| a.ods_code.cmp(&b.ods_code));
        organisations.dedup_by(|a, b| a.ods_code == b.ods_code);
        mailboxes.sort_by(|a, b| a.address.cmp(&b.address));
        mailboxes.dedup_by(|a, b| a.address == b.address);
        DirectorySlice {
            organisations,
            mailboxes,
        }
    }

    /// The organisations it holds, by code.
    pub fn organisations(&self) -> &[Organisation] {
        &self.organisations
    }

    /// The mailboxes it holds, by address.
    pub fn mailboxes(&self) -> &[MailboxEntry] {
        &self.mailboxes
    }

    /// Whether the browser can judge `address` as the server does: it is in the slice.
    pub fn holds_mailbox(&self, address: &str) -> bool {
        self.mailbox(address).is_some()
    }

    /// The form's live check: `validate_draft` through this slice (with the desk's tenant), where
    /// an address outside the slice gets no "not in the directory" finding (the browser cannot
    /// tell another organisation's mailbox from an unknown one) and keeps, while it stays in the
    /// form, what the server's last report (`server`: the draft it checked and its report) said
    /// of it from the directory.
    pub fn validate_draft(
        &self,
        draft: &RegistrationDraft,
        tenant_id: &str,
        now: time::OffsetDateTime,
        server: Option<(&RegistrationDraft, &ValidationReport)>,
    ) -> ValidationReport {
        let mut report = validate_draft(draft, Directory::new(self).with_tenant(tenant_id), now);
        let mut findings: Vec<Finding> = std::mem::take(&mut report.findings)
            .into_iter()
            .filter(|finding| !NOT_IN_THE_SLICE.contains(&finding.code.code()))
            .collect();
        if let Some((checked, server_report)) = server {
            let from_directory = |path: String| {
                server_report.findings.iter().filter(move |finding| {
                    finding.path == path && FROM_THE_DIRECTORY.contains(&finding.code.code())
                })
            };
            let outside = |address: &str| {
                let address = address.trim();
                !address.is_empty() && !self.holds_mailbox(address)
            };
            for (row, address) in draft.mailboxes.iter().enumerate() {
                if !outside(address) {
                    continue;
                }
                let same = |other: &String| other.trim().eq_ignore_ascii_case(address.trim());
                for checked_row in (0..checked.mailboxes.len())
                    .filter(|&k| checked.mailboxes.get(k).is_some_and(same))
                {
                    for finding in from_directory(format!("mailboxes[{checked_row}]")) {
                        findings.push(Finding {
                            path: format!("mailboxes[{row}]"),
                            ..finding.clone()
                        });
                    }
                }
            }
            let group = draft.access_policy_group.trim();
            if outside(group)
                && checked
                    .access_policy_group
                    .trim()
                    .eq_ignore_ascii_case(group)
            {
                findings.extend(from_directory("access_policy_group".to_string()).cloned());
            }
        }
        report.with_findings(findings)
    }
}

impl OrganisationDirectory for DirectorySlice {
    fn organisation(&self, ods_code: &str) -> Option<Organisation> {
        let code = ods_code.to_ascii_uppercase();
        self.organisations
            .binary_search_by(|org| org.ods_code.as_str().cmp(code.as_str()))
            .ok()
            .and_then(|index| self.organisations.get(index))
            .cloned()
    }
}

impl MailboxDirectory for DirectorySlice {
    fn mailbox(&self, address: &str) -> Option<MailboxEntry> {
        let address = address.to_lowercase();
        self.mailboxes
            .binary_search_by(|entry| entry.address.as_str().cmp(address.as_str()))
            .ok()
            .and_then(|index| self.mailboxes.get(index))
            .cloned()
    }
}

/// Finds slices quickly in a large directory: built once from every organisation and mailbox,
/// it knows which codes sit below which (by parent, implied parent or succession) and whose
/// each mailbox is.
#[derive(Debug, Default)]
pub struct SliceIndex {
    /// Code → the codes whose parent (or implied parent) it is, and the closed organisations
    /// it succeeds: every code whose mailboxes may belong to it.
    below: HashMap<String, Vec<String>>,
    /// Owner's code → its mailboxes.
    mailboxes_of: HashMap<String, Vec<MailboxEntry>>,
}

impl SliceIndex {
    /// Indexes a directory's `organisations` and `mailboxes` (`directory` answers lookups).
    pub fn new<'a>(
        directory: &dyn OrganisationDirectory,
        organisations: impl Iterator<Item = &'a Organisation>,
        mailboxes: impl Iterator<Item = &'a MailboxEntry>,
    ) -> SliceIndex {
        let mut index = SliceIndex::default();
        let mut codes: HashSet<String> = HashSet::new();
        for org in organisations {
            codes.insert(org.ods_code.clone());
            for successor in &org.successors {
                index
                    .below
                    .entry(successor.to_ascii_uppercase())
                    .or_default()
                    .push(org.ods_code.clone());
            }
        }
        for entry in mailboxes {
            codes.insert(entry.ods_code.clone());
            index
                .mailboxes_of
                .entry(entry.ods_code.clone())
                .or_default()
                .push(entry.clone());
        }
        for code in codes {
            if let Some(parent) = parent_of(&code, directory) {
                index.below.entry(parent).or_default().push(code);
            }
        }
        index
    }

    /// The slice for `requester` (an ODS code): see [`DirectorySlice`]. `directory` must be
    /// the one the index was built from.
    pub fn slice_for(
        &self,
        requester: &str,
        directory: &dyn OrganisationDirectory,
    ) -> DirectorySlice {
        let requester_code = requester.trim().to_ascii_uppercase();
        let mut organisations: BTreeMap<String, Organisation> = BTreeMap::new();
        // What the ODS rule consults about the requester: itself, its parents, its successors.
        add_with_chain(&requester_code, directory, &mut organisations);
        let Some(requester) = directory.organisation(&requester_code) else {
            return DirectorySlice::new(organisations.into_values().collect(), Vec::new());
        };
        // Every code whose mailboxes might be the requester's (a superset, walked down from it);
        // `belongs_to`, the mailbox rule's own test, then decides each mailbox.
        let mut seen: HashSet<&str> = HashSet::new();
        let mut level: Vec<&str> = vec![requester_code.as_str()];
        let mut mailboxes = Vec::new();
        for _ in 0..=CHAIN {
            let mut next = Vec::new();
            for code in level {
                if !seen.insert(code) {
                    continue;
                }
                for entry in self.mailboxes_of.get(code).into_iter().flatten() {
                    let owner = directory.organisation(&entry.ods_code);
                    if belongs_to(&entry.ods_code, owner.as_ref(), &requester, directory) {
                        add_with_chain(&entry.ods_code, directory, &mut organisations);
                        mailboxes.push(entry.clone());
                    }
                }
                next.extend(
                    self.below
                        .get(code)
                        .into_iter()
                        .flatten()
                        .map(String::as_str),
                );
            }
            level = next;
        }
        DirectorySlice::new(organisations.into_values().collect(), mailboxes)
    }
}

/// The code's parent as the mailbox rule follows it: the directory's parent for a known
/// organisation, the coding frame's for an unknown code.
fn parent_of(code: &str, directory: &dyn OrganisationDirectory) -> Option<String> {
    match directory.organisation(code) {
        Some(org) => org.parent.map(|parent| parent.to_ascii_uppercase()),
        None => implied_parent(code, directory).map(|parent| parent.ods_code),
    }
}

/// Adds `code`'s organisation, its successors and its parents (with theirs) up the chain.
fn add_with_chain(
    code: &str,
    directory: &dyn OrganisationDirectory,
    out: &mut BTreeMap<String, Organisation>,
) {
    let mut current = Some(code.to_string());
    for _ in 0..CHAIN {
        let Some(code) = current.take() else {
            break;
        };
        if let Some(org) = directory.organisation(&code) {
            for successor in &org.successors {
                if let Some(next) = directory.organisation(successor) {
                    out.entry(next.ods_code.clone()).or_insert(next);
                }
            }
            out.entry(org.ods_code.clone()).or_insert(org);
        }
        current = parent_of(&code, directory);
    }
}

#[cfg(test)]
mod tests;
