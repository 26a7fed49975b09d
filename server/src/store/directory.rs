//! The directory the server validates against: the embedded ODS data with imported rows on top.
//!
//! Imports (`appreg directory import FILE`) are stored in SQLite, so they survive restarts and
//! upgrades of the embedded data; at start the server reads them once into memory, because the
//! rules are synchronous and must answer without I/O.

use registration::directory::SliceIndex;
use registration::directory::ods_csv::{self, Import};
use registration::{
    DirectorySlice, EmbeddedDirectory, MailboxDirectory, MailboxEntry, MailboxKind, Organisation,
    OrganisationDirectory, OrganisationStatus,
};
use sqlx::{AnyPool, Row};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Embedded reference data overlaid with what `appreg directory import` stored, and the desk's
/// tenant (what token endpoints must name).
pub struct ServerDirectory {
    directory: EmbeddedDirectory,
    /// Which mailboxes are whose, for the form's slices (built once: the directory does not
    /// change while the server runs; an import takes effect at the next start).
    slices: SliceIndex,
    tenant_id: String,
}

/// How many rows one import stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportCount {
    /// Organisations added or replaced.
    pub organisations: usize,
    /// Mailboxes added or replaced.
    pub mailboxes: usize,
}

impl ServerDirectory {
    /// Loads the embedded data and every imported row.
    pub async fn load(pool: &AnyPool) -> anyhow::Result<ServerDirectory> {
        let mut directory = EmbeddedDirectory::load();
        let rows = sqlx::query("SELECT ods_code, name, status, role_id, parent, successors FROM directory_organisation")
            .fetch_all(pool)
            .await?;
        for row in rows {
            let successors: String = row.try_get("successors")?;
            directory.insert_organisation(Organisation {
                ods_code: row.try_get("ods_code")?,
                name: row.try_get("name")?,
                status: parse_status(row.try_get::<String, _>("status")?.as_str()),
                role_id: row.try_get("role_id")?,
                parent: row.try_get("parent")?,
                successors: successors
                    .split('|')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            });
        }
        let rows = sqlx::query("SELECT address, ods_code, kind FROM directory_mailbox")
            .fetch_all(pool)
            .await?;
        for row in rows {
            directory.insert_mailbox(MailboxEntry {
                address: row.try_get("address")?,
                ods_code: row.try_get("ods_code")?,
                kind: parse_kind(row.try_get::<String, _>("kind")?.as_str()),
            });
        }
        Ok(ServerDirectory::from_directory(directory))
    }

    /// The same directory for a desk whose tenant is `tenant_id` (the `tenant_id` setting).
    #[must_use]
    pub fn with_tenant(self, tenant_id: &str) -> ServerDirectory {
        ServerDirectory {
            tenant_id: tenant_id.to_ascii_lowercase(),
            ..self
        }
    }

    /// The desk's tenant.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// What the rules consult: the organisations, the mailboxes, and the tenant.
    pub fn rules(&self) -> registration::Directory<'_> {
        registration::Directory::new(self).with_tenant(&self.tenant_id)
    }

    /// The same without the mailboxes (for callers not told who owns which mailbox).
    pub fn organisations_only(&self) -> registration::Directory<'_> {
        registration::Directory::organisations_only(self).with_tenant(&self.tenant_id)
    }

    /// Every mailbox known, embedded or imported.
    pub fn mailboxes(&self) -> impl Iterator<Item = &MailboxEntry> {
        self.directory.mailboxes()
    }

    /// The embedded data alone (no database).
    pub fn embedded() -> ServerDirectory {
        ServerDirectory::from_directory(EmbeddedDirectory::load())
    }

    fn from_directory(directory: EmbeddedDirectory) -> ServerDirectory {
        let slices = SliceIndex::new(&directory, directory.organisations(), directory.mailboxes());
        ServerDirectory {
            directory,
            slices,
            tenant_id: registration::implementation::NHSMAIL_TENANT_ID.to_string(),
        }
    }

    /// The part of the directory the form's live checks get for `ods_code`'s Local
    /// Administrator: that organisation and every mailbox that is its own, never another's
    /// (`registration::DirectorySlice`).
    pub fn slice_for(&self, ods_code: &str) -> DirectorySlice {
        self.slices.slice_for(ods_code, &self.directory)
    }
}

/// Parses an import file (by its name and contents) and stores its rows in one transaction.
pub async fn import(pool: &AnyPool, file_name: &str, text: &str) -> anyhow::Result<ImportCount> {
    let parsed = ods_csv::parse_import(file_name, text)
        .map_err(|error| anyhow::anyhow!("{file_name}: {error}"))?;
    let imported_at = OffsetDateTime::now_utc().format(&Rfc3339)?;
    let source = file_name
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(file_name)
        .to_string();
    let mut transaction = pool.begin().await?;
    let count = match parsed {
        Import::Organisations(organisations) => {
            for org in &organisations {
                sqlx::query(
                    "INSERT INTO directory_organisation (ods_code, name, status, role_id, parent, successors, source, imported_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                     ON CONFLICT (ods_code) DO UPDATE SET name = excluded.name, status = excluded.status,
                       role_id = excluded.role_id, parent = excluded.parent, successors = excluded.successors,
                       source = excluded.source, imported_at = excluded.imported_at",
                )
                .bind(&org.ods_code)
                .bind(&org.name)
                .bind(status_text(org.status))
                .bind(&org.role_id)
                .bind(&org.parent)
                .bind(org.successors.join("|"))
                .bind(&source)
                .bind(&imported_at)
                .execute(&mut *transaction)
                .await?;
            }
            ImportCount {
                organisations: organisations.len(),
                mailboxes: 0,
            }
        }
        Import::Mailboxes(mailboxes) => {
            for mailbox in &mailboxes {
                sqlx::query(
                    "INSERT INTO directory_mailbox (address, ods_code, kind, source, imported_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (address) DO UPDATE SET ods_code = excluded.ods_code, kind = excluded.kind,
                       source = excluded.source, imported_at = excluded.imported_at",
                )
                .bind(mailbox.address.to_ascii_lowercase())
                .bind(&mailbox.ods_code)
                .bind(kind_text(mailbox.kind))
                .bind(&source)
                .bind(&imported_at)
                .execute(&mut *transaction)
                .await?;
            }
            ImportCount {
                organisations: 0,
                mailboxes: mailboxes.len(),
            }
        }
    };
    transaction.commit().await?;
    Ok(count)
}

fn status_text(status: OrganisationStatus) -> &'static str {
    match status {
        OrganisationStatus::Active => "active",
        OrganisationStatus::Closed => "closed",
    }
}

fn parse_status(text: &str) -> OrganisationStatus {
    if text == "closed" {
        OrganisationStatus::Closed
    } else {
        OrganisationStatus::Active
    }
}

fn kind_text(kind: MailboxKind) -> &'static str {
    match kind {
        MailboxKind::Person => "person",
        MailboxKind::Shared => "shared",
        MailboxKind::Application => "application",
        MailboxKind::Resource => "resource",
        MailboxKind::Group => "group",
    }
}

fn parse_kind(text: &str) -> MailboxKind {
    match text {
        "person" => MailboxKind::Person,
        "application" => MailboxKind::Application,
        "resource" => MailboxKind::Resource,
        "group" => MailboxKind::Group,
        _ => MailboxKind::Shared,
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn pool() -> (tempfile::TempDir, AnyPool) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.sqlite").display());
        let pool = crate::store::open(&url).await.unwrap();
        (dir, pool)
    }

    #[tokio::test]
    async fn imported_trust_sites_become_known_and_survive_a_reload() {
        let (_dir, pool) = pool().await;
        let before = ServerDirectory::load(&pool).await.unwrap();
        assert!(before.organisation("RX1RA").is_none());
        let ets = "\"RX1RA\",\"NOTTINGHAM CITY HOSPITAL\",\"Y60\",\"QT1\",\"HUCKNALL ROAD\",\"\",\"NOTTINGHAM\",\"\",\"\",\"NG5 1PB\",\"19740401\",\"\",\"\",\"\",\"RX1\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"\n";
        let count = import(&pool, "ets.csv", ets).await.unwrap();
        assert_eq!(
            count,
            ImportCount {
                organisations: 1,
                mailboxes: 0
            }
        );
        let after = ServerDirectory::load(&pool).await.unwrap();
        let site = after.organisation("RX1RA").expect("imported");
        assert_eq!(site.parent.as_deref(), Some("RX1"));
        assert_eq!(site.name, "NOTTINGHAM CITY HOSPITAL");
    }

    #[tokio::test]
    async fn imported_mailboxes_replace_by_address() {
        let (_dir, pool) = pool().await;
        let list = "address,ods_code,kind\nnew.team@nhs.net,RX1,shared\n";
        assert_eq!(
            import(&pool, "mailboxes.csv", list)
                .await
                .unwrap()
                .mailboxes,
            1
        );
        let list = "address,ods_code,kind\nNEW.TEAM@nhs.net,RJ1,application\n";
        import(&pool, "mailboxes.csv", list).await.unwrap();
        let directory = ServerDirectory::load(&pool).await.unwrap();
        let entry = directory.mailbox("new.team@nhs.net").unwrap();
        assert_eq!(
            (entry.ods_code.as_str(), entry.kind),
            ("RJ1", MailboxKind::Application)
        );
    }

    #[tokio::test]
    async fn imported_groups_are_known_as_groups_after_a_reload() {
        let (_dir, pool) = pool().await;
        let list =
            "address,ods_code,kind\nWard9-Scope@nhs.net,RX1,group\nward9.team@nhs.net,RX1,shared\n";
        assert_eq!(
            import(&pool, "mailboxes.csv", list)
                .await
                .unwrap()
                .mailboxes,
            2
        );
        let directory = ServerDirectory::load(&pool).await.unwrap();
        let group = directory.mailbox("ward9-scope@nhs.net").unwrap();
        assert_eq!(
            (group.ods_code.as_str(), group.kind),
            ("RX1", MailboxKind::Group)
        );
        assert_eq!(
            directory.mailbox("ward9.team@nhs.net").unwrap().kind,
            MailboxKind::Shared
        );
    }

    #[tokio::test]
    async fn a_bad_file_stores_nothing_and_names_the_line() {
        let (_dir, pool) = pool().await;
        let list = "address,ods_code,kind\nok@nhs.net,RX1,shared\nnot-an-address,RX1,shared\n";
        let error = import(&pool, "mailboxes.csv", list).await.unwrap_err();
        assert!(error.to_string().contains("line 3"), "{error}");
        let directory = ServerDirectory::load(&pool).await.unwrap();
        assert!(directory.mailbox("ok@nhs.net").is_none());
    }
}
