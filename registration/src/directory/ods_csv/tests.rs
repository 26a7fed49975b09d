//! The samples below follow ODS's published 27-field layouts; the values are illustrative.

use super::*;
use proptest::prelude::*;

const ETR: &str = "\
\"RX1\",\"NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST\",\"Y60\",\"QT1\",\"TRUST HEADQUARTERS\",\"QUEENS MEDICAL CENTRE\",\"DERBY ROAD\",\"NOTTINGHAM\",\"\",\"NG7 2UH\",\"20060401\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"E\",\"\",\"\",\"\"
\"RA4\",\"YEOVIL DISTRICT HOSPITAL NHS FOUNDATION TRUST\",\"Y58\",\"QSL\",\"HIGHER KINGSTON\",\"\",\"\",\"YEOVIL\",\"SOMERSET\",\"BA21 4AT\",\"19910401\",\"20230331\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"K\",\"\",\"\",\"\"
";

const ETS: &str = "\
\"RX1RA\",\"NOTTINGHAM CITY HOSPITAL\",\"Y60\",\"QT1\",\"HUCKNALL ROAD\",\"\",\"\",\"NOTTINGHAM\",\"\",\"NG5 1PB\",\"19740401\",\"\",\"\",\"\",\"RX1\",\"\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"
";

const EPRACCUR: &str = "\
\"A81001\",\"THE DENSHAM SURGERY\",\"Y63\",\"QHM\",\"THE HEALTH CENTRE\",\"LAWSON STREET\",\"STOCKTON-ON-TEES\",\"CLEVELAND\",\"\",\"TS18 1HU\",\"19740401\",\"\",\"A\",\"B\",\"16C\",\"20130401\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"4\",\"\",\"4\",\"\"
\"A81002\",\"QUEENS PARK MEDICAL CENTRE\",\"Y63\",\"QHM\",\"\",\"\",\"\",\"\",\"\",\"TS18 2AW\",\"19740401\",\"20240331\",\"C\",\"B\",\"16C\",\"\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"4\",\"\",\"4\",\"\"
";

const EBRANCHS: &str = "\
\"A81001001\",\"DENSHAM BRANCH SURGERY\",\"Y63\",\"QHM\",\"\",\"\",\"\",\"\",\"\",\"TS18 1HU\",\"20010101\",\"\",\"\",\"\",\"A81001\",\"20010101\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"
";

/// Pharmacies in `edispensary.csv`'s layout: field 13 status, 14 sub-type, 15 the pharmacy
/// headquarters (4-character legacy codes, which the importer does not read).
pub(crate) const EDISPENSARY: &str = "\
\"FVR79\",\"EXAMPLE PHARMACY\",\"Y60\",\"QT1\",\"12 HIGH STREET\",\"\",\"\",\"NOTTINGHAM\",\"\",\"NG1 2AB\",\"20060401\",\"\",\"A\",\"1\",\"P79D\",\"20060401\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"
\"FA002\",\"EXAMPLE CHEMIST\",\"Y56\",\"QMJ\",\"3 MARKET PLACE\",\"\",\"\",\"LONDON\",\"\",\"N1 1AA\",\"19980101\",\"\",\"A\",\"1\",\"P1EK\",\"20040401\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"
\"FK421\",\"EXAMPLE CLOSED PHARMACY\",\"Y61\",\"QM7\",\"7 CHURCH LANE\",\"\",\"\",\"BEDFORD\",\"\",\"MK40 1AA\",\"20060401\",\"20240331\",\"C\",\"1\",\"P08F\",\"20060401\",\"20240331\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"
";

/// Dental practices in `egdpprac.csv`'s layout: field 15 a commissioner (for the closed record
/// a primary care trust code, as in ODS's file), which the importer does not read.
pub(crate) const EGDPPRAC: &str = "\
\"V03462\",\"EXAMPLE DENTAL PRACTICE\",\"Y60\",\"QT1\",\"1 STATION ROAD\",\"\",\"\",\"NOTTINGHAM\",\"\",\"NG1 3CD\",\"20060401\",\"\",\"A\",\"D\",\"52R\",\"20150401\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"
\"V00012\",\"EXAMPLE DENTAL SURGERY\",\"Y52\",\"Q37\",\"4 DELLING LANE\",\"\",\"\",\"CHICHESTER\",\"\",\"PO18 8AA\",\"20060601\",\"20080331\",\"C\",\"D\",\"5P6\",\"20061001\",\"20080331\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"
";

/// Social care sites in `ecarehomesite.csv`'s layout: a care home, a domiciliary care service and
/// a closed care home; field 15 is the site's provider (4-character codes, which the importer
/// does not read).
pub(crate) const ECAREHOMESITE: &str = "\
\"VP2C1\",\"EXAMPLE CARE HOME\",\"Y60\",\"QT1\",\"1 CRESCENT ROAD\",\"\",\"\",\"NOTTINGHAM\",\"\",\"NG5 1AA\",\"20100401\",\"\",\"\",\"\",\"AB12\",\"20100401\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"
\"VR8TX\",\"EXAMPLE HOME CARE SERVICE\",\"Y56\",\"QMJ\",\"UNIT 2\",\"3 MARKET PLACE\",\"\",\"LONDON\",\"\",\"N1 1AB\",\"20150601\",\"\",\"\",\"\",\"C0X3\",\"20150601\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"
\"VK3N2\",\"EXAMPLE CLOSED CARE HOME\",\"Y61\",\"QM7\",\"7 CHURCH LANE\",\"\",\"\",\"BEDFORD\",\"\",\"MK40 1AB\",\"20100401\",\"20230930\",\"\",\"\",\"AB12\",\"20100401\",\"20230930\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"
";

fn org(
    code: &str,
    name: &str,
    status: OrganisationStatus,
    role: &str,
    parent: Option<&str>,
) -> Organisation {
    Organisation {
        ods_code: code.into(),
        name: name.into(),
        status,
        role_id: role.into(),
        parent: parent.map(Into::into),
        successors: Vec::new(),
    }
}

#[test]
fn reads_trusts_from_etr() {
    use OrganisationStatus::*;
    assert_eq!(
        parse_etr(ETR).unwrap(),
        vec![
            org(
                "RX1",
                "NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST",
                Active,
                roles::NHS_TRUST,
                None
            ),
            org(
                "RA4",
                "YEOVIL DISTRICT HOSPITAL NHS FOUNDATION TRUST",
                Closed,
                roles::NHS_TRUST,
                None
            ),
        ]
    );
}

#[test]
fn reads_trust_sites_with_their_trust_from_ets() {
    assert_eq!(
        parse_ets(ETS).unwrap(),
        vec![org(
            "RX1RA",
            "NOTTINGHAM CITY HOSPITAL",
            OrganisationStatus::Active,
            roles::NHS_TRUST_SITE,
            Some("RX1")
        )]
    );
}

#[test]
fn reads_practices_with_status_and_commissioner_from_epraccur() {
    use OrganisationStatus::*;
    assert_eq!(
        parse_epraccur(EPRACCUR).unwrap(),
        vec![
            org(
                "A81001",
                "THE DENSHAM SURGERY",
                Active,
                roles::PRESCRIBING_COST_CENTRE,
                Some("16C")
            ),
            org(
                "A81002",
                "QUEENS PARK MEDICAL CENTRE",
                Closed,
                roles::PRESCRIBING_COST_CENTRE,
                Some("16C")
            ),
        ]
    );
}

#[test]
fn reads_branch_surgeries_with_their_practice_from_ebranchs() {
    assert_eq!(
        parse_ebranchs(EBRANCHS).unwrap(),
        vec![org(
            "A81001001",
            "DENSHAM BRANCH SURGERY",
            OrganisationStatus::Active,
            roles::BRANCH_SURGERY,
            Some("A81001")
        )]
    );
}

#[test]
fn reads_pharmacies_from_edispensary() {
    use OrganisationStatus::*;
    assert_eq!(
        parse_edispensary(EDISPENSARY).unwrap(),
        vec![
            org("FVR79", "EXAMPLE PHARMACY", Active, roles::PHARMACY, None),
            org("FA002", "EXAMPLE CHEMIST", Active, roles::PHARMACY, None),
            org(
                "FK421",
                "EXAMPLE CLOSED PHARMACY",
                Closed,
                roles::PHARMACY,
                None
            ),
        ]
    );
}

#[test]
fn reads_dental_practices_from_egdpprac() {
    use OrganisationStatus::*;
    assert_eq!(
        parse_egdpprac(EGDPPRAC).unwrap(),
        vec![
            org(
                "V03462",
                "EXAMPLE DENTAL PRACTICE",
                Active,
                roles::GENERAL_DENTAL_PRACTICE,
                None
            ),
            org(
                "V00012",
                "EXAMPLE DENTAL SURGERY",
                Closed,
                roles::GENERAL_DENTAL_PRACTICE,
                None
            ),
        ]
    );
}

#[test]
fn pharmacy_and_dental_codes_fit_the_rules_coding_frames() {
    let organisations = parse_edispensary(EDISPENSARY)
        .unwrap()
        .into_iter()
        .chain(parse_egdpprac(EGDPPRAC).unwrap());
    for org in organisations {
        assert!(ods::is_well_formed(&org.ods_code), "{}", org.ods_code);
    }
    // Lower case in the file is canonicalised, as RULES.md §1 does for a typed code.
    let lower = EDISPENSARY.replacen("\"FVR79\"", "\"fvr79\"", 1);
    assert_eq!(parse_edispensary(&lower).unwrap()[0].ods_code, "FVR79");
    // A generic-frame code (issued since October 2020 for every type) is well-formed in either.
    let generic = EGDPPRAC.replacen("\"V03462\"", "\"G6V2S\"", 1);
    assert_eq!(parse_egdpprac(&generic).unwrap()[0].ods_code, "G6V2S");
}

#[test]
fn closes_a_record_by_its_close_date_only() {
    // Field 13 (status) is not read: a close date closes a record, whatever field 13 says.
    let no_status = EDISPENSARY.replacen("\"20240331\",\"C\"", "\"20240331\",\"\"", 1);
    assert_eq!(
        parse_edispensary(&no_status).unwrap()[2].status,
        OrganisationStatus::Closed
    );
    let other_status = EDISPENSARY.replacen("\"\",\"A\",\"1\"", "\"\",\"ACTIVE\",\"1\"", 1);
    assert_eq!(
        parse_edispensary(&other_status).unwrap()[0].status,
        OrganisationStatus::Active
    );
    // A close date not written as ODS writes dates is refused, naming the line and field.
    let bad_date = EGDPPRAC.replacen("\"20080331\",\"C\"", "\"31/03/2008\",\"C\"", 1);
    let error = parse_egdpprac(&bad_date).unwrap_err();
    assert_eq!(error.line, 2, "{error}");
    assert!(
        error
            .message
            .starts_with("field 12 (close date) is '31/03/2008'"),
        "{error}"
    );
}

#[test]
fn refuses_malformed_pharmacy_and_dental_codes_naming_the_line_and_field() {
    for (file, text, from, to, line, shown) in [
        (
            "edispensary.csv",
            EDISPENSARY,
            "\"FA002\"",
            "\"FA-002\"",
            2,
            "FA-002",
        ),
        // The letter O for the digit 0: any letters and digits make a well-formed 5-character
        // code, but a 6-character code is a letter and five digits.
        (
            "egdpprac.csv",
            EGDPPRAC,
            "\"V03462\"",
            "\"VO3462\"",
            1,
            "VO3462",
        ),
        // NHS Dental Services' 7-character form of the same practice; ODS publishes 6.
        (
            "egdpprac.csv",
            EGDPPRAC,
            "\"V00012\"",
            "\"V000012\"",
            2,
            "V000012",
        ),
        // A 4-character pharmacy headquarters code in field 1: not one of RULES.md §1's shapes.
        (
            "edispensary.csv",
            EDISPENSARY,
            "\"FK421\"",
            "\"P79D\"",
            3,
            "P79D",
        ),
    ] {
        let changed = text.replacen(from, to, 1);
        assert_ne!(changed, text, "{from}");
        let error = parse_import(file, &changed).unwrap_err();
        assert_eq!(error.line, line, "{to}: {error}");
        assert_eq!(
            error.message,
            format!(
                "field 1 (organisation code) is '{shown}', which is not a well-formed ODS code; is this really {file}?"
            )
        );
        assert!(
            error.to_string().starts_with(&format!("line {line}: ")),
            "{error}"
        );
    }
    let short = format!("{EGDPPRAC}\"V03463\",\"EXAMPLE\"\n");
    let error = parse_egdpprac(&short).unwrap_err();
    assert_eq!(error.line, 3);
    assert!(
        error.message.contains("egdpprac.csv records have 27"),
        "{error}"
    );
    let no_name = EDISPENSARY.replacen("\"EXAMPLE CHEMIST\"", "\"\"", 1);
    let error = parse_edispensary(&no_name).unwrap_err();
    assert_eq!(
        (error.line, error.message.as_str()),
        (2, "field 2 (name) is empty.")
    );
}

#[test]
fn recognises_pharmacy_and_dental_files_in_any_letter_case() {
    for name in [
        "edispensary.csv",
        "EDISPENSARY.CSV",
        "downloads/Edispensary.Csv",
        "C:\\ods\\eDispensary.csv",
    ] {
        assert_eq!(
            OdsFile::from_file_name(name),
            Some(OdsFile::Pharmacies),
            "{name}"
        );
        assert!(
            matches!(parse_import(name, EDISPENSARY), Ok(Import::Organisations(list)) if list.len() == 3),
            "{name}"
        );
    }
    for name in ["egdpprac.csv", "EGDPPRAC.CSV", "/srv/ods/EgdpPrac.csv"] {
        assert_eq!(
            OdsFile::from_file_name(name),
            Some(OdsFile::DentalPractices),
            "{name}"
        );
        assert!(
            matches!(parse_import(name, EGDPPRAC), Ok(Import::Organisations(list)) if list.len() == 2),
            "{name}"
        );
    }
    // Only the published name counts, not a name that merely contains it.
    assert_eq!(OdsFile::from_file_name("edispensary.csv.bak"), None);
    assert_eq!(OdsFile::from_file_name("my-egdpprac.csv"), None);
}

#[test]
fn pharmacy_headquarters_are_not_importable_and_the_error_lists_what_is() {
    let hq = "\"P001\",\"EXAMPLE PHARMACY GROUP\",\"\",\"\",\"1 HIGH STREET\",\"\",\"\",\"LEEDS\",\"\",\"LS1 1AA\",\"20040401\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"\n";
    assert_eq!(OdsFile::from_file_name("epharmacyhq.csv"), None);
    let error = parse_import("epharmacyhq.csv", hq).unwrap_err();
    assert_eq!(error.line, 0);
    assert!(
        error.message.contains(
            "(etr.csv, ets.csv, epraccur.csv, ebranchs.csv, edispensary.csv, egdpprac.csv, ecarehomesite.csv)"
        ),
        "{error}"
    );
}

#[test]
fn reads_social_care_sites_from_ecarehomesite() {
    use OrganisationStatus::*;
    let sites = parse_ecarehomesite(ECAREHOMESITE).unwrap();
    assert_eq!(
        sites,
        vec![
            org(
                "VP2C1",
                "EXAMPLE CARE HOME",
                Active,
                roles::SOCIAL_CARE_SITE,
                None
            ),
            org(
                "VR8TX",
                "EXAMPLE HOME CARE SERVICE",
                Active,
                roles::SOCIAL_CARE_SITE,
                None
            ),
            org(
                "VK3N2",
                "EXAMPLE CLOSED CARE HOME",
                Closed,
                roles::SOCIAL_CARE_SITE,
                None
            ),
        ]
    );
    for site in &sites {
        assert!(ods::is_well_formed(&site.ods_code), "{}", site.ods_code);
    }
    // Field 15 is not read, whatever it holds: blank, or a well-formed code.
    let blank = ECAREHOMESITE.replacen("\"AB12\"", "\"\"", 1);
    assert_eq!(parse_ecarehomesite(&blank).unwrap(), sites);
    let five = ECAREHOMESITE.replacen("\"AB12\"", "\"A1B2C\"", 1);
    assert_eq!(parse_ecarehomesite(&five).unwrap(), sites);
}

#[test]
fn closes_a_social_care_site_by_its_close_date() {
    let reopened = ECAREHOMESITE.replacen("\"20230930\",\"\"", "\"\",\"\"", 1);
    assert_eq!(
        parse_ecarehomesite(&reopened).unwrap()[2].status,
        OrganisationStatus::Active
    );
    let bad_date = ECAREHOMESITE.replacen("\"20230930\",\"\"", "\"30/09/2023\",\"\"", 1);
    let error = parse_ecarehomesite(&bad_date).unwrap_err();
    assert_eq!(error.line, 3, "{error}");
    assert!(
        error
            .message
            .starts_with("field 12 (close date) is '30/09/2023'"),
        "{error}"
    );
}

#[test]
fn refuses_malformed_social_care_site_codes_naming_the_line_and_field() {
    for (from, to, line, shown) in [
        // A provider's 4-character code in field 1: not one of RULES.md §1's shapes.
        ("\"VR8TX\"", "\"C0X3\"", 2, "C0X3"),
        ("\"VK3N2\"", "\"VK3-N2\"", 3, "VK3-N2"),
    ] {
        let changed = ECAREHOMESITE.replacen(from, to, 1);
        assert_ne!(changed, ECAREHOMESITE, "{from}");
        let error = parse_import("ecarehomesite.csv", &changed).unwrap_err();
        assert_eq!(error.line, line, "{to}: {error}");
        assert_eq!(
            error.message,
            format!(
                "field 1 (organisation code) is '{shown}', which is not a well-formed ODS code; is this really ecarehomesite.csv?"
            )
        );
        assert!(
            error.to_string().starts_with(&format!("line {line}: ")),
            "{error}"
        );
    }
    let short = format!("{ECAREHOMESITE}\"VP2C2\",\"EXAMPLE\"\n");
    let error = parse_ecarehomesite(&short).unwrap_err();
    assert_eq!(error.line, 4);
    assert!(
        error.message.contains("ecarehomesite.csv records have 27"),
        "{error}"
    );
    let no_name = ECAREHOMESITE.replacen("\"EXAMPLE HOME CARE SERVICE\"", "\"\"", 1);
    let error = parse_ecarehomesite(&no_name).unwrap_err();
    assert_eq!(
        (error.line, error.message.as_str()),
        (2, "field 2 (name) is empty.")
    );
}

#[test]
fn recognises_social_care_site_files_in_any_letter_case() {
    for name in [
        "ecarehomesite.csv",
        "ECAREHOMESITE.CSV",
        "downloads/eCareHomeSite.csv",
        "C:\\ods\\ECareHomeSite.Csv",
    ] {
        assert_eq!(
            OdsFile::from_file_name(name),
            Some(OdsFile::SocialCareSites),
            "{name}"
        );
        assert!(
            matches!(parse_import(name, ECAREHOMESITE), Ok(Import::Organisations(list)) if list.len() == 3),
            "{name}"
        );
    }
    assert_eq!(OdsFile::from_file_name("ecarehomesite.csv.bak"), None);
    assert_eq!(OdsFile::from_file_name("ecarehomesucc.csv"), None);
}

#[test]
fn social_care_providers_are_not_importable_and_the_error_lists_what_is() {
    let hq = "\"AB12\",\"EXAMPLE CARE GROUP LTD\",\"\",\"\",\"1 HIGH STREET\",\"\",\"\",\"LEEDS\",\"\",\"LS1 1AB\",\"20100401\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"0\",\"\",\"\",\"\",\"\",\"\"\n";
    assert_eq!(OdsFile::from_file_name("ecarehomehq.csv"), None);
    let error = parse_import("ecarehomehq.csv", hq).unwrap_err();
    assert_eq!(error.line, 0);
    assert!(
        error
            .message
            .contains("edispensary.csv, egdpprac.csv, ecarehomesite.csv)"),
        "{error}"
    );
    // Providers' 4-character codes are not one of RULES.md §1's shapes.
    assert!(!ods::is_well_formed("AB12"));
}

#[test]
fn tolerates_a_bom_crlf_and_blank_lines() {
    let text = format!("\u{FEFF}{}\r\n\r\n", ETR.lines().next().unwrap());
    assert_eq!(parse_etr(&text).unwrap().len(), 1);
    assert_eq!(parse_etr("").unwrap(), vec![]);
}

#[test]
fn refuses_files_that_do_not_fit_naming_the_line() {
    let short = format!("{ETR}\"RX2\",\"SHORT\"\n");
    let error = parse_etr(&short).unwrap_err();
    assert_eq!(error.line, 3);
    assert!(error.message.starts_with("it has 2 fields"), "{error}");
    assert!(error.to_string().starts_with("line 3: "), "{error}");

    let bad_code = ETR.replacen("\"RX1\"", "\"R-X1\"", 1);
    let error = parse_etr(&bad_code).unwrap_err();
    assert_eq!(error.line, 1);
    assert!(
        error
            .message
            .contains("field 1 (organisation code) is 'R-X1'"),
        "{error}"
    );

    let bad_date = ETR.replacen("\"20230331\"", "\"31/03/2023\"", 1);
    let error = parse_etr(&bad_date).unwrap_err();
    assert_eq!(
        (error.line, error.message.contains("YYYYMMDD")),
        (2, true),
        "{error}"
    );

    let bad_status = EPRACCUR.replacen("\"A\",\"B\"", "\"X\",\"B\"", 1);
    let error = parse_epraccur(&bad_status).unwrap_err();
    assert!(
        error.message.contains("field 13 (status code) is 'X'"),
        "{error}"
    );

    let bad_parent = ETS.replacen("\"RX1\",", "\"R X 1\",", 1);
    let error = parse_ets(&bad_parent).unwrap_err();
    assert!(error.message.contains("field 15 (parent trust)"), "{error}");

    let no_name = ETR.replacen("\"NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST\"", "\"  \"", 1);
    assert_eq!(
        parse_etr(&no_name).unwrap_err().message,
        "field 2 (name) is empty."
    );

    let error = parse_etr("\"RX1\",\"A\u{FFFD}\"\n\"oops").unwrap_err();
    assert_eq!(error.line, 1);
}

#[test]
fn refuses_an_unterminated_quote() {
    let error = parse_epraccur("a,\"b\nc").unwrap_err();
    assert!(error.line >= 1, "{error}");
}

const MAILBOXES: &str = "address,ods_code,kind
ward7.referrals@nhs.net,RX1,shared
Connector.App@NHS.net,rx1,Application
";

#[test]
fn reads_the_mailbox_list() {
    assert_eq!(
        parse_mailboxes(MAILBOXES).unwrap(),
        vec![
            MailboxEntry {
                address: "ward7.referrals@nhs.net".into(),
                ods_code: "RX1".into(),
                kind: MailboxKind::Shared
            },
            MailboxEntry {
                address: "connector.app@nhs.net".into(),
                ods_code: "RX1".into(),
                kind: MailboxKind::Application
            },
        ]
    );
}

#[test]
fn reads_mail_enabled_groups_in_the_mailbox_list() {
    let list = "address,ods_code,kind\nWard7-Connector-Scope@nhs.net,rx1,Group\n";
    assert_eq!(
        parse_mailboxes(list).unwrap(),
        vec![MailboxEntry {
            address: "ward7-connector-scope@nhs.net".into(),
            ods_code: "RX1".into(),
            kind: MailboxKind::Group
        }]
    );
    let error = parse_mailboxes("address,ods_code,kind\njo@nhs.net,RX1,robot\n").unwrap_err();
    assert!(error.message.contains("or group"), "{error}");
}

#[test]
fn refuses_mailbox_lines_that_do_not_fit_naming_the_line() {
    for (text, line, expected) in [
        ("ods_code,address,kind\n", 1, "starts with the header"),
        (
            "address,ods_code,kind\nx@nhs.net,RX1\n",
            2,
            "it has 2 fields",
        ),
        (
            "address,ods_code,kind\nJo <jo@nhs.net>,RX1,person\n",
            2,
            "is not an email address",
        ),
        (
            "address,ods_code,kind\njo@nhs.uk,RX1,person\n",
            2,
            "not an NHSmail (@nhs.net) address",
        ),
        (
            "address,ods_code,kind\njo@nhs.net,R-X1,person\n",
            2,
            "not a well-formed ODS code",
        ),
        (
            "address,ods_code,kind\njo@nhs.net,RX1,robot\n",
            2,
            "the kind is 'robot'",
        ),
        (
            "address,ods_code,kind\njo@nhs.net,RX1,person\n\nJO@nhs.net,RX1,person\n",
            4,
            "listed twice (first on line 2)",
        ),
    ] {
        let error = parse_mailboxes(text).unwrap_err();
        assert_eq!(error.line, line, "{text:?}: {error}");
        assert!(error.message.contains(expected), "{text:?}: {error}");
    }
}

#[test]
fn chooses_the_layout_by_file_name_or_header() {
    assert!(
        matches!(parse_import("downloads/ETR.CSV", ETR), Ok(Import::Organisations(list)) if list.len() == 2)
    );
    assert!(
        matches!(parse_import("C:\\ods\\ebranchs.csv", EBRANCHS), Ok(Import::Organisations(list)) if list.len() == 1)
    );
    assert!(
        matches!(parse_import("mailboxes.csv", MAILBOXES), Ok(Import::Mailboxes(list)) if list.len() == 2)
    );
    let error = parse_import("egpcur.csv", "G1234567,DR X\n").unwrap_err();
    assert_eq!(error.line, 0);
    assert!(
        error.to_string().starts_with("'egpcur.csv' is not a file"),
        "{error}"
    );
}

proptest! {
    #[test]
    fn parsers_never_panic(text in any::<String>()) {
        let _ = parse_etr(&text);
        let _ = parse_ets(&text);
        let _ = parse_epraccur(&text);
        let _ = parse_ebranchs(&text);
        let _ = parse_edispensary(&text);
        let _ = parse_egdpprac(&text);
        let _ = parse_ecarehomesite(&text);
        let _ = parse_mailboxes(&text);
        let _ = parse_mailboxes(&format!("address,ods_code,kind\n{text}"));
    }

    #[test]
    fn parsers_never_panic_on_csv_like_text(text in "[A-Z0-9a-z@.,\"\n ]{0,200}") {
        let _ = parse_epraccur(&text);
        let _ = parse_edispensary(&text);
        let _ = parse_mailboxes(&format!("address,ods_code,kind\n{text}"));
    }
}
