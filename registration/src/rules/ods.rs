//! ODS code rules (RULES.md §1).

use crate::Finding;
use crate::directory::{Organisation, OrganisationDirectory};

crate::finding_codes! {
    /// Codes raised by the ODS code rules.
    pub enum OdsCode {
        Required => ("ods_code.required", Error, "Every request belongs to one organisation, known by its ODS code.", "NHSmail OAuth onboarding guidance"),
        Format => ("ods_code.format", Error, "Only well-formed ODS codes can be looked up.", "NHS Data Dictionary organisation coding frames"),
        Unknown => ("ods_code.unknown", Error, "A well-formed code that the organisation directory does not hold cannot be verified.", "ODS Reference Data Catalogue"),
    }
}

/// What the ODS rules learnt about the requesting organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OdsOutcome {
    /// The canonical code (trimmed, upper case) when well-formed.
    pub canonical: Option<String>,
    /// The organisation, when the directory knows it.
    pub organisation: Option<Organisation>,
}

/// Checks the ODS code at path `ods_code`.
pub fn check(
    raw: &str,
    organisations: &dyn OrganisationDirectory,
    out: &mut Vec<Finding>,
) -> OdsOutcome {
    let _ = (raw, organisations, out);
    OdsOutcome::default()
}
