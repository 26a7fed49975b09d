//! ODS role ids (`RO…`) the desk uses, and their display names from `data/ods/role_codes.csv`.
//!
//! An organisation's type comes from its role, never from the first letter of its code: the
//! generic coding frame issued since October 2020 cuts across every type.

use std::collections::HashMap;
use std::sync::OnceLock;

/// NHS trust (`etr.csv`).
pub const NHS_TRUST: &str = "RO197";
/// NHS trust site (`ets.csv`).
pub const NHS_TRUST_SITE: &str = "RO198";
/// Care trust.
pub const CARE_TRUST: &str = "RO107";
/// Care trust site.
pub const CARE_TRUST_SITE: &str = "RO108";
/// Special health authority site.
pub const SPECIAL_HEALTH_AUTHORITY_SITE: &str = "RO191";
/// Prescribing cost centre: the primary role of a GP practice (`epraccur.csv`).
pub const PRESCRIBING_COST_CENTRE: &str = "RO177";
/// Branch surgery of a GP practice (`ebranchs.csv`).
pub const BRANCH_SURGERY: &str = "RO96";
/// Pharmacy: a community pharmacy or other dispensary (`edispensary.csv`). A pharmacy is an
/// organisation in its own right, with its own NHSmail organisation and shared mailbox
/// (`pharmacy.<ods>@nhs.net`), so it is in neither [`PART_OF_PARENT`] nor
/// [`NOT_AN_NHSMAIL_ORGANISATION`]; the pharmacy headquarters that operates it is its owner,
/// not a parent whose registration covers it.
pub const PHARMACY: &str = "RO182";
/// General dental practice (`egdpprac.csv`). An organisation in its own right that holds its
/// own NHSmail organisation, so it is in neither policy list either.
pub const GENERAL_DENTAL_PRACTICE: &str = "RO110";
/// Primary care network.
pub const PRIMARY_CARE_NETWORK: &str = "RO272";
/// Clinical commissioning group site.
pub const CCG_SITE: &str = "RO99";
/// Sub-ICB location (a former CCG, now part of an ICB).
pub const SUB_ICB_LOCATION: &str = "RO319";
/// Integrated care board.
pub const INTEGRATED_CARE_BOARD: &str = "RO318";
/// Sustainability and transformation partnership (the ICBs' predecessors).
pub const STP: &str = "RO262";
/// Commissioning support unit site.
pub const CSU_SITE: &str = "RO214";
/// NHS England region.
pub const NHS_ENGLAND_REGION: &str = "RO209";
/// NHS England region, local office.
pub const NHS_ENGLAND_REGION_LOCAL_OFFICE: &str = "RO210";
/// Regional office.
pub const REGIONAL_OFFICE: &str = "RO185";
/// Pharmacy site.
pub const PHARMACY_SITE: &str = "RO280";
/// Optical site.
pub const OPTICAL_SITE: &str = "RO167";
/// Independent sector healthcare provider site.
pub const INDEPENDENT_SECTOR_SITE: &str = "RO176";
/// Social care provider: the organisation that owns social care sites (ODS's "HQ", listed in
/// `ecarehomehq.csv`). An organisation in its own right, so it is in neither [`PART_OF_PARENT`]
/// nor [`NOT_AN_NHSMAIL_ORGANISATION`]. Providers have 4-character codes (`A…` or `C…`), which
/// RULES.md §1 does not accept, so `ecarehomehq.csv` is not importable.
pub const SOCIAL_CARE_PROVIDER: &str = "RO104";
/// Social care site: a care home or domiciliary care service (`ecarehomesite.csv`), part of its
/// [`SOCIAL_CARE_PROVIDER`], so it is in [`PART_OF_PARENT`].
pub const SOCIAL_CARE_SITE: &str = "RO101";
/// Other statutory authority site.
pub const OTHER_STATUTORY_AUTHORITY_SITE: &str = "RO168";
/// Welsh local health board site.
pub const WELSH_LHB_SITE: &str = "RO149";
/// School.
pub const SCHOOL: &str = "RO221";

/// Roles whose records are part of another organisation (a site, a branch, a sub-ICB location):
/// the parent organisation normally holds the NHSmail organisation and registers.
pub const PART_OF_PARENT: &[&str] = &[
    NHS_TRUST_SITE,
    CARE_TRUST_SITE,
    SPECIAL_HEALTH_AUTHORITY_SITE,
    BRANCH_SURGERY,
    CCG_SITE,
    SUB_ICB_LOCATION,
    CSU_SITE,
    PHARMACY_SITE,
    OPTICAL_SITE,
    INDEPENDENT_SECTOR_SITE,
    SOCIAL_CARE_SITE,
    OTHER_STATUTORY_AUTHORITY_SITE,
    WELSH_LHB_SITE,
];

/// Roles that do not hold an NHSmail organisation of their own: networks, partnerships,
/// NHS England's regions and offices (their staff are in NHS England's), schools.
pub const NOT_AN_NHSMAIL_ORGANISATION: &[&str] = &[
    PRIMARY_CARE_NETWORK,
    STP,
    NHS_ENGLAND_REGION,
    NHS_ENGLAND_REGION_LOCAL_OFFICE,
    REGIONAL_OFFICE,
    SCHOOL,
];

const ROLE_CODES_CSV: &str = include_str!("../../data/ods/role_codes.csv");

/// ODS's display name for a role id (`RO197` → `NHS TRUST`), when the shipped subset has it.
pub fn role_name(role_id: &str) -> Option<&'static str> {
    static NAMES: OnceLock<HashMap<String, String>> = OnceLock::new();
    NAMES
        .get_or_init(|| {
            // One display name holds a quoted comma, so read with the csv crate.
            let mut names = HashMap::new();
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(true)
                .from_reader(ROLE_CODES_CSV.as_bytes());
            for record in reader.records().flatten() {
                if let (Some(id), Some(name)) = (record.get(0), record.get(1)) {
                    names.insert(id.to_string(), name.to_string());
                }
            }
            names
        })
        .get(role_id)
        .map(String::as_str)
}

/// A role's name for a sentence ("an NHS trust", "a primary care network"), or the role id.
pub fn describe_role(role_id: &str) -> String {
    match role_name(role_id) {
        Some(name) => {
            let lower = name.to_lowercase();
            let lower = lower
                .replace("nhs ", "NHS ")
                .replace("gp ", "GP ")
                .replace("sub icb", "sub-ICB")
                .replace("icb", "ICB")
                .replace("(region)", "region")
                .replace("(spha)", "")
                .replace(" (osa)", "")
                .replace(" (ro)", "")
                .replace(" (dscro)", "")
                .replace("h/c", "healthcare")
                .replace("nhs", "NHS")
                .replace("england", "England")
                .replace("welsh", "Welsh")
                .replace("scottish", "Scottish")
                .replace("northern ireland", "Northern Ireland");
            let lower = lower.trim().to_string();
            let article = if lower.starts_with(['a', 'e', 'i', 'o', 'u', 'N']) {
                "an"
            } else {
                "a"
            };
            format!("{article} {lower}")
        }
        None => format!("an organisation with ODS role {role_id}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_roles_from_the_shipped_table() {
        assert_eq!(role_name("RO197"), Some("NHS TRUST"));
        assert_eq!(
            role_name("RO210"),
            Some("NHS ENGLAND (REGION, LOCAL OFFICE)")
        );
        assert_eq!(role_name("RO999"), None);
    }

    #[test]
    fn describes_roles_for_sentences() {
        assert_eq!(describe_role(NHS_TRUST), "an NHS trust");
        assert_eq!(
            describe_role(PRIMARY_CARE_NETWORK),
            "a primary care network"
        );
        assert_eq!(describe_role(NHS_ENGLAND_REGION), "an NHS England region");
        assert_eq!(
            describe_role(INTEGRATED_CARE_BOARD),
            "an integrated care board"
        );
        assert_eq!(describe_role(SUB_ICB_LOCATION), "a sub-ICB location");
        assert_eq!(describe_role(SCHOOL), "a school");
        assert_eq!(
            describe_role("RO999"),
            "an organisation with ODS role RO999"
        );
    }

    #[test]
    fn every_named_role_is_in_the_shipped_table() {
        for role in PART_OF_PARENT.iter().chain(NOT_AN_NHSMAIL_ORGANISATION) {
            assert!(role_name(role).is_some(), "{role}");
        }
        for role in [
            NHS_TRUST,
            PRESCRIBING_COST_CENTRE,
            INTEGRATED_CARE_BOARD,
            PHARMACY,
            GENERAL_DENTAL_PRACTICE,
            SOCIAL_CARE_PROVIDER,
        ] {
            assert!(role_name(role).is_some(), "{role}");
        }
    }

    #[test]
    fn pharmacies_and_dental_practices_hold_their_own_nhsmail_organisation() {
        assert_eq!(role_name(PHARMACY), Some("PHARMACY"));
        assert_eq!(
            role_name(GENERAL_DENTAL_PRACTICE),
            Some("GENERAL DENTAL PRACTICE")
        );
        assert_eq!(describe_role(PHARMACY), "a pharmacy");
        assert_eq!(
            describe_role(GENERAL_DENTAL_PRACTICE),
            "a general dental practice"
        );
        for role in [PHARMACY, GENERAL_DENTAL_PRACTICE] {
            assert!(!PART_OF_PARENT.contains(&role), "{role}");
            assert!(!NOT_AN_NHSMAIL_ORGANISATION.contains(&role), "{role}");
        }
        // Only the pharmacy *site* role is part of a parent.
        assert!(PART_OF_PARENT.contains(&PHARMACY_SITE));
    }

    #[test]
    fn a_social_care_site_is_part_of_its_provider() {
        assert_eq!(
            role_name(SOCIAL_CARE_PROVIDER),
            Some("SOCIAL CARE PROVIDER")
        );
        assert_eq!(role_name(SOCIAL_CARE_SITE), Some("SOCIAL CARE SITE"));
        assert_eq!(describe_role(SOCIAL_CARE_SITE), "a social care site");
        assert!(!PART_OF_PARENT.contains(&SOCIAL_CARE_PROVIDER));
        assert!(!NOT_AN_NHSMAIL_ORGANISATION.contains(&SOCIAL_CARE_PROVIDER));
        assert!(PART_OF_PARENT.contains(&SOCIAL_CARE_SITE));
    }
}
