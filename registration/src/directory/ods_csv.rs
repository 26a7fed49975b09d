//! Pure parsers for the files an administrator imports into the directory
//! (`appreg directory import FILE`): ODS's published CSV files and the mailbox list.
//!
//! ODS (NHS England Organisation Data Service) publishes headerless CSV files in one
//! standard 27-field layout. The fields used here, numbered from 1 as ODS numbers them:
//!
//! | file | what | fields used |
//! |---|---|---|
//! | `etr.csv` | NHS trusts | 1 code, 2 name, 12 close date |
//! | `ets.csv` | NHS trust sites | 1 code, 2 name, 12 close date, 15 parent (the trust) |
//! | `epraccur.csv` | GP practices and other prescribing cost centres | 1 code, 2 name, 12 close date, 13 status code (`A` active, `C` closed, `D` dormant, `P` proposed), 15 commissioner (the sub-ICB location) |
//! | `ebranchs.csv` | GP branch surgeries | 1 code, 2 name, 12 close date, 15 parent (the practice) |
//! | `edispensary.csv` | pharmacies (community pharmacies and other dispensaries) | 1 code, 2 name, 12 close date |
//! | `egdpprac.csv` | general dental practices | 1 code, 2 name, 12 close date |
//! | `ecarehomesite.csv` | social care sites (care homes and domiciliary care services) | 1 code, 2 name, 12 close date |
//!
//! Dates are `YYYYMMDD`. A record is closed when it has a close date (and, in `epraccur.csv`,
//! when its status code is `C`); dormant and proposed practices are kept as active, because
//! ODS has not closed them. Every record of `epraccur.csv` gets the prescribing cost centre
//! role (`RO177`), the primary role of GP practices, whatever its prescribing setting (field 26).
//!
//! `edispensary.csv` and `egdpprac.csv` use the same 27 fields. Their names come from
//! data.gov.uk's schemas for the ODS files (<https://github.com/datagovuk/health-schemas>,
//! `edispensary.json` and `egdpprac.json`: 1 Organisation Code, 2 Name, 12 Close Date,
//! 13 Status Code, 14 Organisation Sub-Type Code, 15 Parent Organisation Code), and published
//! copies of both files have 27 fields with the code, name and close date in those places.
//! Fields 13 to 15 are not read. The sources found do not document the values of the status and
//! sub-type codes in these files, so a record is closed only when it has a close date. Field 15
//! of `edispensary.csv` is the pharmacy headquarters that operates the pharmacy (its owner, not a
//! parent whose registration covers it; often a 4-character legacy code such as `P79D`). In
//! `egdpprac.csv` it is a commissioner (for old records a primary care trust, such as `5P6`).
//! Every record of `edispensary.csv` gets the pharmacy role (`RO182`). ODS's Reference Data
//! Catalogue notes that the file also lists appliance contractors (`RO94`); they get the pharmacy
//! role too, since no documented field tells them apart, and neither role is in the desk's
//! policy lists, so the ODS rules treat them alike. Every record of `egdpprac.csv` gets the
//! general dental practice role (`RO110`).
//!
//! `ecarehomesite.csv` lists social care sites: the care homes and domiciliary care services
//! registered with the CQC (England) or CSSIW (Wales), described in ODS's Reference Data
//! Catalogue (<https://odsdatasearchandexport.dc4h.link/referenceDataCatalogue/Social-Care-Providers-and-Sites_587371757.html>).
//! ODS publishes it under that name, with `ecarehomehq.csv` for the sites' providers (the report
//! names of ODS Data Search and Export, <https://www.odsdatasearchandexport.nhs.uk>, and of
//! data.gov.uk's schemas). It uses the same 27 fields: 1 Organisation Code, 2 Name, 12 Close
//! Date, 15 Parent Organisation Code (the site's provider), 16 Join Parent Date, 24 Current Care
//! Organisation (data.gov.uk's `ecarehomesite.json` with the blank columns in place,
//! <https://github.com/datagovuk/health-schemas/pull/1>). Only fields 1, 2 and 12 are read, and
//! a record is closed only when it has a close date. Every record gets the social care site role
//! (`RO101`), which the ODS rules treat as part of its provider. The provider in field 15 is not
//! recorded as the parent: providers have 4-character codes (`A…` or `C…`; a site has 5, mostly
//! starting with `V`), which RULES.md §1 does not accept, so the directory could not hold it.
//!
//! Every code must be well-formed by RULES.md §1 ([`ods::is_well_formed`]), nothing stricter: the
//! generic coding frame issued since October 2020 cuts across every type, so a file's codes are
//! not tied to one shape (though pharmacies have 5 characters, `FVR79`, and dental practices a
//! letter and five digits, `V03462`). A 7-character dental code (NHS Dental Services' own form,
//! `V003462`) is refused; ODS publishes the 6-character code. ODS's `epharmacyhq.csv` (pharmacy
//! headquarters) is not importable: its legacy codes have 4 characters (`P001`), which RULES.md
//! §1 does not accept. Nor, for the same reason, is `ecarehomehq.csv` (social care providers,
//! role `RO104`, with 4-character codes starting `A` or `C`).
//!
//! The mailbox list is the desk's own format, `address,ods_code,kind` with a header row
//! (see `data/mailboxes/README.md`), converted from the NHSmail Portal's organisation reports.
//! Its kinds are `person`, `shared`, `application`, `resource` and `group` (a mail-enabled
//! security group, which an access policy group must be).
//!
//! The parsers never panic: a file that does not fit is an [`ImportError`] naming the line.

use std::collections::HashMap;
use std::fmt;

use super::{MailboxEntry, MailboxKind, Organisation, OrganisationStatus, roles};
use crate::rules::{mailbox, ods};

/// Why an import file was refused: the line (from 1) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    /// The line the problem is on (1 is the first line of the file; 0 when no line applies).
    pub line: u64,
    /// What is wrong, in plain English.
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            f.write_str(&self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ImportError {}

/// The ODS files the importer understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OdsFile {
    /// `etr.csv`: NHS trusts.
    Trusts,
    /// `ets.csv`: NHS trust sites.
    TrustSites,
    /// `epraccur.csv`: GP practices (prescribing cost centres).
    GpPractices,
    /// `ebranchs.csv`: branch surgeries.
    BranchSurgeries,
    /// `edispensary.csv`: pharmacies (community pharmacies and other dispensaries).
    Pharmacies,
    /// `egdpprac.csv`: general dental practices.
    DentalPractices,
    /// `ecarehomesite.csv`: social care sites (care homes and domiciliary care services).
    SocialCareSites,
}

impl OdsFile {
    /// Recognises a file by its published name (`etr.csv`, any letter case, any folder).
    pub fn from_file_name(name: &str) -> Option<OdsFile> {
        let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
        match base.to_ascii_lowercase().as_str() {
            "etr.csv" => Some(OdsFile::Trusts),
            "ets.csv" => Some(OdsFile::TrustSites),
            "epraccur.csv" => Some(OdsFile::GpPractices),
            "ebranchs.csv" => Some(OdsFile::BranchSurgeries),
            "edispensary.csv" => Some(OdsFile::Pharmacies),
            "egdpprac.csv" => Some(OdsFile::DentalPractices),
            "ecarehomesite.csv" => Some(OdsFile::SocialCareSites),
            _ => None,
        }
    }

    /// Parses this file's published layout.
    pub fn parse(self, text: &str) -> Result<Vec<Organisation>, ImportError> {
        match self {
            OdsFile::Trusts => parse_etr(text),
            OdsFile::TrustSites => parse_ets(text),
            OdsFile::GpPractices => parse_epraccur(text),
            OdsFile::BranchSurgeries => parse_ebranchs(text),
            OdsFile::Pharmacies => parse_edispensary(text),
            OdsFile::DentalPractices => parse_egdpprac(text),
            OdsFile::SocialCareSites => parse_ecarehomesite(text),
        }
    }
}

/// What one import file held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Import {
    /// Organisations from an ODS file.
    Organisations(Vec<Organisation>),
    /// Mailboxes from a mailbox list.
    Mailboxes(Vec<MailboxEntry>),
}

/// Parses an import file, choosing the layout by its name (an ODS file name) or, for any other
/// name, by its first line (the mailbox list's header).
pub fn parse_import(file_name: &str, text: &str) -> Result<Import, ImportError> {
    if let Some(file) = OdsFile::from_file_name(file_name) {
        return file.parse(text).map(Import::Organisations);
    }
    let first = strip_bom(text).lines().next().unwrap_or("");
    if is_mailbox_header(first) {
        return parse_mailboxes(text).map(Import::Mailboxes);
    }
    Err(ImportError {
        line: 0,
        message: format!(
            "'{file_name}' is not a file the directory can import: give an ODS file under its published name (etr.csv, ets.csv, epraccur.csv, ebranchs.csv, edispensary.csv, egdpprac.csv, ecarehomesite.csv) or a mailbox list whose first line is 'address,ods_code,kind'."
        ),
    })
}

/// Parses ODS `etr.csv` (NHS trusts).
pub fn parse_etr(text: &str) -> Result<Vec<Organisation>, ImportError> {
    parse_without_parent("etr.csv", roles::NHS_TRUST, text)
}

/// Parses ODS `edispensary.csv` (pharmacies; fields 1, 2 and 12 only, see the module notes).
pub fn parse_edispensary(text: &str) -> Result<Vec<Organisation>, ImportError> {
    parse_without_parent("edispensary.csv", roles::PHARMACY, text)
}

/// Parses ODS `egdpprac.csv` (general dental practices; fields 1, 2 and 12 only).
pub fn parse_egdpprac(text: &str) -> Result<Vec<Organisation>, ImportError> {
    parse_without_parent("egdpprac.csv", roles::GENERAL_DENTAL_PRACTICE, text)
}

/// Parses ODS `ecarehomesite.csv` (social care sites; fields 1, 2 and 12 only: the provider in
/// field 15 has a 4-character code, which RULES.md §1 does not accept, see the module notes).
pub fn parse_ecarehomesite(text: &str) -> Result<Vec<Organisation>, ImportError> {
    parse_without_parent("ecarehomesite.csv", roles::SOCIAL_CARE_SITE, text)
}

/// Reads code, name and close date (fields 1, 2 and 12) and gives every record `role_id`.
fn parse_without_parent(
    file: &str,
    role_id: &str,
    text: &str,
) -> Result<Vec<Organisation>, ImportError> {
    parse_ods(file, text, 12, |row| {
        Ok(Organisation {
            ods_code: row.code()?,
            name: row.name()?,
            status: row.status_by_close_date()?,
            role_id: role_id.to_string(),
            parent: None,
            successors: Vec::new(),
        })
    })
}

/// Parses ODS `ets.csv` (NHS trust sites; the parent is the trust).
pub fn parse_ets(text: &str) -> Result<Vec<Organisation>, ImportError> {
    parse_ods("ets.csv", text, 15, |row| {
        Ok(Organisation {
            ods_code: row.code()?,
            name: row.name()?,
            status: row.status_by_close_date()?,
            role_id: roles::NHS_TRUST_SITE.to_string(),
            parent: row.parent(15, "parent trust")?,
            successors: Vec::new(),
        })
    })
}

/// Parses ODS `epraccur.csv` (GP practices; the parent is the commissioning sub-ICB location).
pub fn parse_epraccur(text: &str) -> Result<Vec<Organisation>, ImportError> {
    parse_ods("epraccur.csv", text, 15, |row| {
        let by_date = row.status_by_close_date()?;
        let status = match row.field(13).trim() {
            "C" => OrganisationStatus::Closed,
            "A" | "D" | "P" => by_date,
            other => {
                return Err(row.error(format!(
                    "field 13 (status code) is '{}'; epraccur.csv uses A (active), C (closed), D (dormant) or P (proposed).",
                    shorten(other)
                )));
            }
        };
        Ok(Organisation {
            ods_code: row.code()?,
            name: row.name()?,
            status,
            role_id: roles::PRESCRIBING_COST_CENTRE.to_string(),
            parent: row.parent(15, "commissioner")?,
            successors: Vec::new(),
        })
    })
}

/// Parses ODS `ebranchs.csv` (branch surgeries; the parent is the practice).
pub fn parse_ebranchs(text: &str) -> Result<Vec<Organisation>, ImportError> {
    parse_ods("ebranchs.csv", text, 15, |row| {
        Ok(Organisation {
            ods_code: row.code()?,
            name: row.name()?,
            status: row.status_by_close_date()?,
            role_id: roles::BRANCH_SURGERY.to_string(),
            parent: row.parent(15, "parent practice")?,
            successors: Vec::new(),
        })
    })
}

/// Parses the mailbox list: a header `address,ods_code,kind`, then one mailbox a line.
pub fn parse_mailboxes(text: &str) -> Result<Vec<MailboxEntry>, ImportError> {
    let text = strip_bom(text);
    let first = text.lines().next().unwrap_or("");
    if !is_mailbox_header(first) {
        return Err(ImportError {
            line: 1,
            message: format!(
                "the first line is '{}'; a mailbox list starts with the header 'address,ods_code,kind'.",
                shorten(first)
            ),
        });
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut entries: Vec<MailboxEntry> = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text);
    loop {
        let line = lines.at(reader.position().byte());
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => return Err(csv_error(&error, &mut lines, line)),
        }
        let line = record
            .position()
            .map_or(line, |p| lines.record_at(p.byte()));
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let error = |message: String| ImportError { line, message };
        if record.len() != 3 {
            return Err(error(format!(
                "it has {} fields; a mailbox line has 3: address, ods_code, kind.",
                record.len()
            )));
        }
        let address = record.get(0).unwrap_or("").trim();
        if let Some(problem) = mailbox::syntax_problem(address) {
            return Err(error(format!(
                "'{}' is not an email address: {problem}.",
                shorten(address)
            )));
        }
        if !mailbox::is_nhsmail_address(address) {
            return Err(error(format!(
                "'{}' is not an NHSmail (@nhs.net) address.",
                shorten(address)
            )));
        }
        let ods_code = record.get(1).unwrap_or("").trim().to_ascii_uppercase();
        if !ods::is_well_formed(&ods_code) {
            return Err(error(format!(
                "'{}' in the ods_code column is not a well-formed ODS code.",
                shorten(&ods_code)
            )));
        }
        let kind_text = record.get(2).unwrap_or("").trim();
        let kind = match kind_text.to_ascii_lowercase().as_str() {
            "person" => MailboxKind::Person,
            "shared" => MailboxKind::Shared,
            "application" => MailboxKind::Application,
            "resource" => MailboxKind::Resource,
            "group" => MailboxKind::Group,
            _ => {
                return Err(error(format!(
                    "the kind is '{}'; use person, shared, application, resource or group.",
                    shorten(kind_text)
                )));
            }
        };
        let address = address.to_lowercase();
        if let Some(first_line) = seen.insert(address.clone(), line) {
            return Err(error(format!(
                "{address} is listed twice (first on line {first_line})."
            )));
        }
        entries.push(MailboxEntry {
            address,
            ods_code,
            kind,
        });
    }
    Ok(entries)
}

fn is_mailbox_header(line: &str) -> bool {
    let fields: Vec<String> = line
        .split(',')
        .map(|f| f.trim().trim_matches('"').to_ascii_lowercase())
        .collect();
    fields == ["address", "ods_code", "kind"]
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{FEFF}').unwrap_or(text)
}

/// At most 60 characters of a value, for error messages (an import file may hold anything).
fn shorten(value: &str) -> String {
    let mut short: String = value.chars().take(60).collect();
    if value.chars().nth(60).is_some() {
        short.push('…');
    }
    short
}

/// Line numbers from byte offsets (the csv crate's own line count skips blank lines).
/// Offsets only grow while a file is read, so counting resumes where it stopped.
struct LineCounter<'a> {
    text: &'a [u8],
    byte: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// The line a record starts on: its position is where the previous one ended, before
    /// any blank lines the reader skipped.
    fn record_at(&mut self, offset: u64) -> u64 {
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let skipped = self.text.get(start..).map_or(0, |rest| {
            rest.iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count()
        });
        self.at(offset.saturating_add(skipped as u64))
    }

    /// The line (from 1) holding byte `offset`.
    fn at(&mut self, offset: u64) -> u64 {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if offset < self.byte {
            self.byte = 0;
            self.line = 1;
        }
        let newlines = self
            .text
            .get(self.byte..offset)
            .map_or(0, |part| part.iter().filter(|&&b| b == b'\n').count());
        self.line += newlines as u64;
        self.byte = offset;
        self.line
    }
}

fn csv_error(error: &csv::Error, lines: &mut LineCounter<'_>, fallback_line: u64) -> ImportError {
    let line = error
        .position()
        .map_or(fallback_line, |p| lines.at(p.byte()));
    let message = match error.kind() {
        csv::ErrorKind::Utf8 { .. } => {
            "it is not UTF-8 text; save the file as UTF-8 CSV.".to_string()
        }
        _ => format!("it is not valid CSV ({error})."),
    };
    ImportError { line, message }
}

/// One record of a headerless ODS file, with its line number for errors.
struct Row<'a> {
    file: &'a str,
    record: &'a csv::StringRecord,
    line: u64,
}

impl Row<'_> {
    fn error(&self, message: String) -> ImportError {
        ImportError {
            line: self.line,
            message,
        }
    }

    /// Field `n`, numbered from 1 as ODS numbers them (callers checked the field count).
    fn field(&self, n: usize) -> &str {
        n.checked_sub(1)
            .and_then(|i| self.record.get(i))
            .unwrap_or("")
    }

    fn code(&self) -> Result<String, ImportError> {
        let code = self.field(1).trim().to_ascii_uppercase();
        if ods::is_well_formed(&code) {
            Ok(code)
        } else {
            Err(self.error(format!(
                "field 1 (organisation code) is '{}', which is not a well-formed ODS code; is this really {}?",
                shorten(self.field(1)),
                self.file
            )))
        }
    }

    fn name(&self) -> Result<String, ImportError> {
        let name = self.field(2).trim();
        if name.is_empty() {
            Err(self.error("field 2 (name) is empty.".to_string()))
        } else {
            Ok(name.to_string())
        }
    }

    fn status_by_close_date(&self) -> Result<OrganisationStatus, ImportError> {
        let close = self.field(12).trim();
        if close.is_empty() {
            Ok(OrganisationStatus::Active)
        } else if close.len() == 8 && close.bytes().all(|b| b.is_ascii_digit()) {
            Ok(OrganisationStatus::Closed)
        } else {
            Err(self.error(format!(
                "field 12 (close date) is '{}'; ODS writes dates as YYYYMMDD.",
                shorten(close)
            )))
        }
    }

    fn parent(&self, n: usize, what: &str) -> Result<Option<String>, ImportError> {
        let parent = self.field(n).trim().to_ascii_uppercase();
        if parent.is_empty() {
            Ok(None)
        } else if ods::is_well_formed(&parent) {
            Ok(Some(parent))
        } else {
            Err(self.error(format!(
                "field {n} ({what}) is '{}', which is not a well-formed ODS code.",
                shorten(self.field(n))
            )))
        }
    }
}

/// Reads a headerless ODS file whose records need at least `min_fields` fields.
fn parse_ods(
    file: &str,
    text: &str,
    min_fields: usize,
    mut build: impl FnMut(&Row<'_>) -> Result<Organisation, ImportError>,
) -> Result<Vec<Organisation>, ImportError> {
    let text = strip_bom(text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut organisations = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text);
    loop {
        let line = lines.at(reader.position().byte());
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => return Err(csv_error(&error, &mut lines, line)),
        }
        let line = record
            .position()
            .map_or(line, |p| lines.record_at(p.byte()));
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        if record.len() < min_fields {
            return Err(ImportError {
                line,
                message: format!(
                    "it has {} fields; {file} records have 27 in ODS's published layout (this importer needs at least {min_fields}). Is this really {file}, as downloaded from ODS?",
                    record.len()
                ),
            });
        }
        let row = Row {
            file,
            record: &record,
            line,
        };
        organisations.push(build(&row)?);
    }
    Ok(organisations)
}

#[cfg(test)]
pub(crate) mod tests;
