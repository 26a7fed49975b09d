//! The embedded default directory: real ODS data and synthetic demo mailboxes.
//!
//! Built from the files in `registration/data/` (ODS data © NHS England, Open Government
//! Licence v3.0; see `data/ods/README.md`):
//!
//! | file | role | parent |
//! |---|---|---|
//! | `ods/trusts.csv` | `RO197` NHS trust | none |
//! | `ods/icbs.csv` | `RO318` integrated care board; `successors` split on `\|` | none |
//! | `ods/sub_icb_locations.csv` | `RO319` sub-ICB location | the ICB from `icb_code_2026` (derived by the data's curator; `icb_code_2025` where that is blank) |
//! | `ods/gp_practices_sample.csv` | `RO177` prescribing cost centre (a GP practice) | `sub_icb_code` |
//! | `ods/nhs_england_regions.csv` | `RO209` NHS England region | none |
//! | `mailboxes/demo_mailboxes.csv` | synthetic mailboxes (never real staff) | |
//!
//! Status is `closed` only where the file says so; the one sub-ICB location marked
//! `uncertain` (D4U1Y, split on 2026-04-01) is kept as active.
//!
//! The directory answers only for codes it holds. It does not invent trust sites or branch
//! surgeries from their parents' codes: [`crate::rules::ods::implied_parent`] reads the
//! coding frame, and the rules use it to explain an unknown site code. A deployment makes
//! its own instance ([`EmbeddedDirectory::load`]) and adds what the administrator imports
//! (ODS `etr.csv`, `ets.csv`, `epraccur.csv`, `ebranchs.csv`, `edispensary.csv`,
//! `egdpprac.csv`, the NHSmail mailbox list; see [`super::ods_csv`]) with
//! [`EmbeddedDirectory::insert_organisation`] and [`EmbeddedDirectory::insert_mailbox`].

use std::collections::HashMap;
use std::sync::OnceLock;

use super::{
    MailboxDirectory, MailboxEntry, Organisation, OrganisationDirectory, OrganisationStatus,
    ods_csv, roles,
};

const TRUSTS: &str = include_str!("../../data/ods/trusts.csv");
const ICBS: &str = include_str!("../../data/ods/icbs.csv");
const SUB_ICB_LOCATIONS: &str = include_str!("../../data/ods/sub_icb_locations.csv");
const GP_PRACTICES: &str = include_str!("../../data/ods/gp_practices_sample.csv");
const REGIONS: &str = include_str!("../../data/ods/nhs_england_regions.csv");
const DEMO_MAILBOXES: &str = include_str!("../../data/mailboxes/demo_mailboxes.csv");

/// Organisations and mailboxes, held in memory and looked up by code or address.
#[derive(Debug, Default, Clone)]
pub struct EmbeddedDirectory {
    organisations: HashMap<String, Organisation>,
    mailboxes: HashMap<String, MailboxEntry>,
}

impl EmbeddedDirectory {
    /// The shared instance of the shipped data, parsed on first use.
    pub fn get() -> &'static EmbeddedDirectory {
        static DIRECTORY: OnceLock<EmbeddedDirectory> = OnceLock::new();
        DIRECTORY.get_or_init(EmbeddedDirectory::load)
    }

    /// A new instance holding the shipped data, which the caller may extend.
    pub fn load() -> EmbeddedDirectory {
        let mut directory = EmbeddedDirectory::empty();
        for org in shipped_organisations() {
            directory.insert_organisation(org);
        }
        // The shipped list is checked by the tests; a broken one would leave no mailboxes.
        for entry in ods_csv::parse_mailboxes(DEMO_MAILBOXES).unwrap_or_default() {
            directory.insert_mailbox(entry);
        }
        directory
    }

    /// A directory that holds nothing (for tests and for a deployment that imports everything).
    pub fn empty() -> EmbeddedDirectory {
        EmbeddedDirectory::default()
    }

    /// Adds or replaces an organisation (keyed by its code in upper case); returns the one replaced.
    pub fn insert_organisation(&mut self, mut org: Organisation) -> Option<Organisation> {
        org.ods_code = org.ods_code.trim().to_ascii_uppercase();
        self.organisations.insert(org.ods_code.clone(), org)
    }

    /// Adds or replaces a mailbox (keyed by its address in lower case); returns the one replaced.
    pub fn insert_mailbox(&mut self, mut entry: MailboxEntry) -> Option<MailboxEntry> {
        entry.address = entry.address.trim().to_lowercase();
        entry.ods_code = entry.ods_code.trim().to_ascii_uppercase();
        self.mailboxes.insert(entry.address.clone(), entry)
    }

    /// How many organisations the directory holds.
    pub fn organisation_count(&self) -> usize {
        self.organisations.len()
    }

    /// How many mailboxes the directory holds.
    pub fn mailbox_count(&self) -> usize {
        self.mailboxes.len()
    }

    /// Every organisation, in no particular order.
    pub fn organisations(&self) -> impl Iterator<Item = &Organisation> {
        self.organisations.values()
    }

    /// Every mailbox, in no particular order.
    pub fn mailboxes(&self) -> impl Iterator<Item = &MailboxEntry> {
        self.mailboxes.values()
    }
}

impl OrganisationDirectory for EmbeddedDirectory {
    fn organisation(&self, ods_code: &str) -> Option<Organisation> {
        match self.organisations.get(ods_code) {
            Some(org) => Some(org.clone()),
            None if ods_code.bytes().any(|b| b.is_ascii_lowercase()) => self
                .organisations
                .get(&ods_code.to_ascii_uppercase())
                .cloned(),
            None => None,
        }
    }
}

impl MailboxDirectory for EmbeddedDirectory {
    fn mailbox(&self, address: &str) -> Option<MailboxEntry> {
        if address.chars().any(char::is_uppercase) {
            self.mailboxes.get(&address.to_lowercase()).cloned()
        } else {
            self.mailboxes.get(address).cloned()
        }
    }
}

/// Every organisation in the shipped ODS files.
fn shipped_organisations() -> Vec<Organisation> {
    let mut out = Vec::new();
    read_table(TRUSTS, &mut out, |row| {
        Some(Organisation {
            ods_code: row.get("ods_code")?.to_string(),
            name: row.get("name")?.to_string(),
            status: row.status()?,
            role_id: roles::NHS_TRUST.to_string(),
            parent: None,
            successors: Vec::new(),
        })
    });
    read_table(ICBS, &mut out, |row| {
        Some(Organisation {
            ods_code: row.get("ods_code")?.to_string(),
            name: row.get("name")?.to_string(),
            status: row.status()?,
            role_id: roles::INTEGRATED_CARE_BOARD.to_string(),
            parent: None,
            successors: row
                .get("successors")?
                .split('|')
                .map(str::trim)
                .filter(|code| !code.is_empty())
                .map(str::to_string)
                .collect(),
        })
    });
    read_table(SUB_ICB_LOCATIONS, &mut out, |row| {
        let parent = row
            .non_empty("icb_code_2026")
            .or_else(|| row.non_empty("icb_code_2025"));
        Some(Organisation {
            ods_code: row.get("ods_code")?.to_string(),
            name: row.get("name")?.to_string(),
            status: row.status()?,
            role_id: roles::SUB_ICB_LOCATION.to_string(),
            parent: parent.map(str::to_string),
            successors: Vec::new(),
        })
    });
    read_table(GP_PRACTICES, &mut out, |row| {
        Some(Organisation {
            ods_code: row.get("ods_code")?.to_string(),
            name: row.get("name")?.to_string(),
            status: row.status()?,
            role_id: roles::PRESCRIBING_COST_CENTRE.to_string(),
            parent: row.non_empty("sub_icb_code").map(str::to_string),
            successors: Vec::new(),
        })
    });
    read_table(REGIONS, &mut out, |row| {
        Some(Organisation {
            ods_code: row.get("ods_code")?.to_string(),
            name: row.get("name")?.to_string(),
            status: row.status()?,
            role_id: roles::NHS_ENGLAND_REGION.to_string(),
            parent: None,
            successors: Vec::new(),
        })
    });
    out
}

/// One row of a shipped CSV, read by column name.
struct TableRow<'a> {
    headers: &'a csv::StringRecord,
    record: &'a csv::StringRecord,
}

impl<'a> TableRow<'a> {
    fn get(&self, column: &str) -> Option<&'a str> {
        let index = self.headers.iter().position(|h| h == column)?;
        self.record.get(index).map(str::trim)
    }

    fn non_empty(&self, column: &str) -> Option<&'a str> {
        self.get(column).filter(|value| !value.is_empty())
    }

    fn status(&self) -> Option<OrganisationStatus> {
        match self.get("status")? {
            "closed" => Some(OrganisationStatus::Closed),
            "active" | "uncertain" => Some(OrganisationStatus::Active),
            _ => None,
        }
    }
}

/// Reads a shipped CSV with a header row; rows that do not fit are left out (the tests check
/// the counts against `data/ods/README.md`, so a broken file cannot pass unnoticed).
fn read_table(
    text: &str,
    out: &mut Vec<Organisation>,
    build: impl Fn(&TableRow<'_>) -> Option<Organisation>,
) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let Ok(headers) = reader.headers().cloned() else {
        return;
    };
    for record in reader.records().flatten() {
        if let Some(org) = build(&TableRow {
            headers: &headers,
            record: &record,
        }) {
            out.push(org);
        }
    }
}

#[cfg(test)]
mod tests;
