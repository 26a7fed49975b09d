//! The organisation and mailbox directories the rules consult.
//!
//! Rules are pure and synchronous, so a directory answers from memory. The embedded default
//! ([`EmbeddedDirectory`]) is built from the ODS reference data and the demo mailbox list in
//! `registration/data/`; a deployment with a live source (ODS ORD API, NHSmail Portal reports)
//! fetches what a request needs first and answers through the same traits.

use serde::{Deserialize, Serialize};

mod embedded;
pub mod ods_csv;
pub mod roles;
mod slice;
pub use embedded::EmbeddedDirectory;
pub use ods_csv::ImportError;
pub use slice::{DirectorySlice, SliceIndex};

/// Whether an organisation is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OrganisationStatus {
    /// Open.
    Active,
    /// Closed (possibly with successors).
    Closed,
}

/// One organisation as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// Canonical upper-case ODS code.
    pub ods_code: String,
    /// The organisation's name.
    pub name: String,
    /// Open or closed.
    pub status: OrganisationStatus,
    /// The ODS primary role id (`RO197` NHS trust, `RO177` prescribing cost centre, …).
    pub role_id: String,
    /// The parent organisation's ODS code (trust of a site, practice of a branch, ICB of a sub-ICB…).
    pub parent: Option<String>,
    /// Successor organisations' ODS codes, when closed and known.
    pub successors: Vec<String>,
}

/// Looks organisations up by canonical (upper-case) ODS code.
pub trait OrganisationDirectory {
    /// The organisation with this code, if known.
    fn organisation(&self, ods_code: &str) -> Option<Organisation>;
}

/// What kind of NHSmail account a mailbox is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailboxKind {
    /// A person's own mailbox.
    Person,
    /// A shared mailbox.
    Shared,
    /// An application (service) account.
    Application,
    /// A room or equipment mailbox.
    Resource,
    /// A mail-enabled security group: not a mailbox, but what an access policy group must be.
    Group,
}

/// One mailbox (or mail-enabled group) as the directory knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxEntry {
    /// The address, lower case.
    pub address: String,
    /// The owning organisation's ODS code.
    pub ods_code: String,
    /// Person, shared, application, resource or group.
    pub kind: MailboxKind,
}

/// Looks mailboxes, and mail-enabled groups ([`MailboxKind::Group`]), up by address (compared
/// case-insensitively).
pub trait MailboxDirectory {
    /// The mailbox or group with this address, if known.
    fn mailbox(&self, address: &str) -> Option<MailboxEntry>;
}

/// The reference data one validation consults.
#[derive(Clone, Copy)]
pub struct Directory<'a> {
    /// Organisations by ODS code (public data: the ODS publishes it).
    pub organisations: &'a dyn OrganisationDirectory,
    /// Mailboxes by address, or `None` when the caller may not learn who owns which mailbox
    /// (an anonymous caller): the mailbox rules then check only what the request itself shows.
    pub mailboxes: Option<&'a dyn MailboxDirectory>,
    /// The desk's tenant (a lower-case GUID): the one token endpoints must name. NHSmail's
    /// unless the desk is configured with another (`with_tenant`).
    pub tenant_id: &'a str,
}

impl<'a> Directory<'a> {
    /// A directory answering both questions from one source.
    pub fn new<T: OrganisationDirectory + MailboxDirectory>(source: &'a T) -> Self {
        Directory {
            organisations: source,
            mailboxes: Some(source),
            tenant_id: crate::implementation::NHSMAIL_TENANT_ID,
        }
    }

    /// The same, for a desk whose tenant is `tenant_id`.
    #[must_use]
    pub fn with_tenant(self, tenant_id: &'a str) -> Self {
        Directory { tenant_id, ..self }
    }

    /// The organisations of `source`, without its mailboxes: for callers who are told the rules
    /// but not the directory (whether an address is a mailbox, whose, and whether a person's).
    pub fn organisations_only<T: OrganisationDirectory>(source: &'a T) -> Self {
        Directory {
            organisations: source,
            mailboxes: None,
            tenant_id: crate::implementation::NHSMAIL_TENANT_ID,
        }
    }
}
