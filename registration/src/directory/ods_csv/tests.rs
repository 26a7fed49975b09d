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
        let _ = parse_mailboxes(&text);
        let _ = parse_mailboxes(&format!("address,ods_code,kind\n{text}"));
    }

    #[test]
    fn parsers_never_panic_on_csv_like_text(text in "[A-Z0-9a-z@.,\"\n ]{0,200}") {
        let _ = parse_epraccur(&text);
        let _ = parse_mailboxes(&format!("address,ods_code,kind\n{text}"));
    }
}
