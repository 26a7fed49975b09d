use super::*;
use crate::EmbeddedDirectory;
use crate::directory::roles as r;
use proptest::prelude::*;

fn org(code: &str, name: &str, role: &str, parent: Option<&str>) -> Organisation {
    Organisation {
        ods_code: code.into(),
        name: name.into(),
        status: OrganisationStatus::Active,
        role_id: role.into(),
        parent: parent.map(Into::into),
        successors: Vec::new(),
    }
}

/// The shipped data plus records of the kinds it does not ship (as an ODS import would add).
pub(crate) fn full_directory() -> &'static EmbeddedDirectory {
    static FULL: std::sync::OnceLock<EmbeddedDirectory> = std::sync::OnceLock::new();
    FULL.get_or_init(build_full_directory)
}

fn build_full_directory() -> EmbeddedDirectory {
    let mut directory = EmbeddedDirectory::load();
    for extra in [
        org(
            "RX1RA",
            "NOTTINGHAM CITY HOSPITAL",
            r::NHS_TRUST_SITE,
            Some("RX1"),
        ),
        org("FVR79", "EXAMPLE PHARMACY", r::PHARMACY, None),
        org("VLAXL", "EXAMPLE CARE HOME", "RO104", None),
        org(
            "V03462",
            "EXAMPLE DENTAL PRACTICE",
            r::GENERAL_DENTAL_PRACTICE,
            None,
        ),
        org("U59980", "EXAMPLE PCN", r::PRIMARY_CARE_NETWORK, None),
        org("JER001", "EXAMPLE JERSEY PRACTICE", "RO177", None),
        org(
            "K81003",
            "EXAMPLE PRACTICE",
            PRESCRIBING_COST_CENTRE,
            Some("15A"),
        ),
        org(
            "K81003001",
            "EXAMPLE BRANCH",
            BRANCH_SURGERY,
            Some("K81003"),
        ),
    ] {
        directory.insert_organisation(extra);
    }
    directory
}

fn run_with(raw: &str, directory: &dyn OrganisationDirectory) -> (Vec<Finding>, OdsOutcome) {
    let mut out = Vec::new();
    let outcome = check(raw, directory, &mut out);
    (out, outcome)
}

fn codes_with(raw: &str, directory: &dyn OrganisationDirectory) -> Vec<&'static str> {
    let (findings, _) = run_with(raw, directory);
    assert!(
        findings.iter().all(|f| f.path == "ods_code"),
        "{findings:?}"
    );
    findings.iter().map(|f| f.code.code()).collect()
}

fn codes(raw: &str) -> Vec<&'static str> {
    codes_with(raw, EmbeddedDirectory::get())
}

fn only(raw: &str, directory: &dyn OrganisationDirectory) -> Finding {
    let (mut findings, _) = run_with(raw, directory);
    assert_eq!(findings.len(), 1, "{raw:?}: {findings:?}");
    findings.remove(0)
}

#[test]
fn accepts_every_published_shape_with_real_examples() {
    let directory = full_directory();
    for (code, expected) in [
        ("RX1", vec![]),
        ("QHM", vec![]),
        ("16C", vec!["ods_code.site"]),
        ("Y56", vec!["ods_code.not_an_nhsmail_organisation"]),
        ("RX1RA", vec!["ods_code.site"]),
        ("FVR79", vec![]),
        ("VLAXL", vec![]),
        ("G6V2S", vec![]),
        ("A81001", vec![]),
        ("V03462", vec![]),
        ("U59980", vec!["ods_code.not_an_nhsmail_organisation"]),
        ("JER001", vec![]),
        ("K81003001", vec!["ods_code.site"]),
    ] {
        assert_eq!(codes_with(code, directory), expected, "{code}");
        let (_, outcome) = run_with(code, directory);
        assert_eq!(outcome.canonical.as_deref(), Some(code));
        assert_eq!(
            outcome.organisation.map(|o| o.ods_code).as_deref(),
            Some(code)
        );
    }
}

/// The shipped data plus what an administrator imports: ODS `edispensary.csv` and
/// `egdpprac.csv` (the importer's own samples) and a mailbox list for them.
fn with_imported_pharmacies_and_dental_practices() -> EmbeddedDirectory {
    use crate::directory::ods_csv::{self, Import};
    let mailboxes = "address,ods_code,kind
pharmacy.fvr79@nhs.net,FVR79,shared
pharmacy.fa002@nhs.net,FA002,shared
reception.v03462@nhs.net,V03462,shared
";
    let mut directory = EmbeddedDirectory::load();
    for (file, text) in [
        ("edispensary.csv", ods_csv::tests::EDISPENSARY),
        ("EGDPPRAC.CSV", ods_csv::tests::EGDPPRAC),
        ("mailboxes.csv", mailboxes),
    ] {
        match ods_csv::parse_import(file, text).unwrap() {
            Import::Organisations(list) => {
                for org in list {
                    directory.insert_organisation(org);
                }
            }
            Import::Mailboxes(list) => {
                for entry in list {
                    directory.insert_mailbox(entry);
                }
            }
        }
    }
    directory
}

#[test]
fn imported_pharmacies_and_dental_practices_validate_cleanly() {
    let directory = with_imported_pharmacies_and_dental_practices();
    // Each is an organisation of its own: no site, no "not an NHSmail organisation" finding.
    for (code, role) in [
        ("FVR79", r::PHARMACY),
        ("fa002", r::PHARMACY),
        (" V03462 ", r::GENERAL_DENTAL_PRACTICE),
    ] {
        let (findings, outcome) = run_with(code, &directory);
        assert_eq!(findings, vec![], "{code}");
        let org = outcome.organisation.expect(code);
        assert_eq!(
            (org.ods_code.as_str(), org.role_id.as_str()),
            (code.trim().to_ascii_uppercase().as_str(), role)
        );
        assert_eq!(org.status, OrganisationStatus::Active, "{code}");
    }
    // A closed one is closed, and nothing else.
    for code in ["FK421", "V00012"] {
        assert_eq!(
            codes_with(code, &directory),
            vec!["ods_code.closed"],
            "{code}"
        );
    }
    // The whole request, with the organisation's own mailbox, is valid; another pharmacy's
    // mailbox is not the requester's (pharmacies are not parts of one another).
    let now = crate::OffsetDateTime::parse(
        "2026-12-01T00:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let request = |code: &str, mailbox: &str| {
        crate::RegistrationRequest::from_json(
            &include_str!("../../../tests/data/delegated_request.json")
                .replace("\"RX1\"", &format!("\"{code}\""))
                .replace("ward7.referrals@nhs.net", mailbox),
        )
        .unwrap()
    };
    for (code, mailbox) in [
        ("FVR79", "pharmacy.fvr79@nhs.net"),
        ("V03462", "reception.v03462@nhs.net"),
    ] {
        let report = crate::validate(
            &request(code, mailbox),
            crate::Directory::new(&directory),
            now,
        );
        assert!(report.valid, "{code}: {:?}", report.findings);
        assert!(
            report
                .findings
                .iter()
                .all(|f| f.path != "ods_code" && !f.path.starts_with("mailboxes")),
            "{code}: {:?}",
            report.findings
        );
        assert_eq!(
            report.organisation.map(|o| o.ods_code).as_deref(),
            Some(code)
        );
    }
    let report = crate::validate(
        &request("FVR79", "pharmacy.fa002@nhs.net"),
        crate::Directory::new(&directory),
        now,
    );
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code.code() == "mailbox.other_organisation"),
        "{:?}",
        report.findings
    );
}

/// The shipped data plus what an administrator imports: ODS `ecarehomesite.csv` (the importer's
/// own sample) and a mailbox list with a care home's shared mailbox.
fn with_imported_social_care_sites() -> EmbeddedDirectory {
    use crate::directory::ods_csv::{self, Import};
    let mailboxes = "address,ods_code,kind
care.vp2c1@nhs.net,VP2C1,shared
";
    let mut directory = EmbeddedDirectory::load();
    for (file, text) in [
        ("ecarehomesite.csv", ods_csv::tests::ECAREHOMESITE),
        ("mailboxes.csv", mailboxes),
    ] {
        match ods_csv::parse_import(file, text).unwrap() {
            Import::Organisations(list) => {
                for org in list {
                    directory.insert_organisation(org);
                }
            }
            Import::Mailboxes(list) => {
                for entry in list {
                    directory.insert_mailbox(entry);
                }
            }
        }
    }
    directory
}

#[test]
fn an_imported_social_care_site_is_part_of_its_provider() {
    // Not shipped: unknown until ecarehomesite.csv is imported.
    assert_eq!(codes("VP2C1"), vec!["ods_code.unknown"]);
    let directory = with_imported_social_care_sites();
    let finding = only(" vp2c1 ", &directory);
    assert_eq!(finding.code.code(), "ods_code.site");
    assert_eq!(finding.severity, crate::Severity::Warning);
    // The import does not record the provider (its 4-character code is not one of RULES.md §1's
    // shapes), so the finding cannot name it.
    assert_eq!(
        finding.message,
        "EXAMPLE CARE HOME (VP2C1) is a social care site; the directory does not record which organisation it belongs to."
    );
    let (_, outcome) = run_with("VP2C1", &directory);
    let org = outcome.organisation.expect("VP2C1");
    assert_eq!(
        (org.role_id.as_str(), org.status, org.parent),
        (r::SOCIAL_CARE_SITE, OrganisationStatus::Active, None)
    );
    // A closed site is closed, and a site.
    assert_eq!(
        codes_with("VK3N2", &directory),
        vec!["ods_code.closed", "ods_code.site"]
    );
    // The provider's own code (field 15 of the file) is refused by its shape.
    assert_eq!(codes_with("AB12", &directory), vec!["ods_code.format"]);
    // The whole request, with the care home's own mailbox, is valid: the site finding is a
    // warning, and the mailbox is the requester's.
    let now = crate::OffsetDateTime::parse(
        "2026-12-01T00:00:00Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let request = crate::RegistrationRequest::from_json(
        &include_str!("../../../tests/data/delegated_request.json")
            .replace("\"RX1\"", "\"VP2C1\"")
            .replace("ward7.referrals@nhs.net", "care.vp2c1@nhs.net"),
    )
    .unwrap();
    let report = crate::validate(&request, crate::Directory::new(&directory), now);
    assert!(report.valid, "{:?}", report.findings);
    let flagged: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.path == "ods_code" || f.path.starts_with("mailboxes"))
        .map(|f| f.code.code())
        .collect();
    assert_eq!(flagged, vec!["ods_code.site"], "{:?}", report.findings);
}

#[test]
fn well_formed_codes_missing_from_the_shipped_data_are_unknown_not_format() {
    for code in [
        "FVR79",
        "VLAXL",
        "V03462",
        "U59980",
        "JER001",
        "GUE010",
        "K81003001",
        "ZZZ",
    ] {
        assert_eq!(codes(code), vec!["ods_code.unknown"], "{code}");
    }
}

#[test]
fn an_unknown_trust_site_names_the_trust_it_would_belong_to() {
    let finding = only("RX1RA", EmbeddedDirectory::get());
    assert_eq!(finding.code.code(), "ods_code.unknown");
    assert!(
        finding
            .message
            .contains("a site of NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST (RX1)"),
        "{}",
        finding.message
    );
    assert!(finding.hint.contains("use RX1"), "{}", finding.hint);
}

#[test]
fn an_unknown_branch_surgery_names_the_practice_it_would_belong_to() {
    let finding = only("A81001001", EmbeddedDirectory::get());
    assert_eq!(finding.code.code(), "ods_code.unknown");
    assert!(
        finding
            .message
            .contains("a branch surgery of THE DENSHAM SURGERY (A81001)"),
        "{}",
        finding.message
    );
}

#[test]
fn a_known_site_is_a_warning_naming_its_parent() {
    let directory = full_directory();
    let finding = only("rx1ra", directory);
    assert_eq!(finding.code.code(), "ods_code.site");
    assert_eq!(finding.severity, crate::Severity::Warning);
    assert!(
        finding
            .message
            .contains("of NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST (RX1)"),
        "{}",
        finding.message
    );
    let branch = only("K81003001", directory);
    assert!(
        branch.message.contains("EXAMPLE PRACTICE (K81003)"),
        "{}",
        branch.message
    );
    assert!(branch.hint.contains("use K81003"), "{}", branch.hint);
}

#[test]
fn a_sub_icb_location_names_its_2026_icb() {
    let finding = only("16C", EmbeddedDirectory::get());
    assert_eq!(finding.code.code(), "ods_code.site");
    assert!(
        finding
            .message
            .contains("NHS NORTH EAST AND NORTH CUMBRIA INTEGRATED CARE BOARD (QHM)"),
        "{}",
        finding.message
    );
    // 06Q's ICB (QH8) closed on 2026-04-01: the parent is the successor, D7T5G.
    let moved = only("06Q", EmbeddedDirectory::get());
    assert!(moved.message.contains("(D7T5G)"), "{}", moved.message);
}

#[test]
fn regions_and_pcns_cannot_hold_an_nhsmail_organisation() {
    let finding = only("Y56", EmbeddedDirectory::get());
    assert_eq!(finding.code.code(), "ods_code.not_an_nhsmail_organisation");
    assert_eq!(finding.severity, crate::Severity::Warning);
    assert!(
        finding
            .message
            .contains("LONDON (Y56) is an NHS England region"),
        "{}",
        finding.message
    );
    let pcn = only("U59980", full_directory());
    assert!(
        pcn.message.contains("a primary care network"),
        "{}",
        pcn.message
    );
}

#[test]
fn a_closed_icb_names_its_successors() {
    let finding = only("QH8", EmbeddedDirectory::get());
    assert_eq!(finding.code.code(), "ods_code.closed");
    assert_eq!(finding.severity, crate::Severity::Error);
    assert!(
        finding
            .message
            .contains("passed to NHS ESSEX INTEGRATED CARE BOARD (D7T5G)"),
        "{}",
        finding.message
    );
    assert!(finding.hint.ends_with("D7T5G."), "{}", finding.hint);
    let split = only("QNQ", EmbeddedDirectory::get());
    assert!(
        split.hint.ends_with("S0E4D, S9B9J or QRL."),
        "{}",
        split.hint
    );
    let (_, outcome) = run_with("QH8", EmbeddedDirectory::get());
    assert_eq!(
        outcome.organisation.map(|o| o.status),
        Some(OrganisationStatus::Closed)
    );
}

#[test]
fn a_closed_trust_without_recorded_successor_says_so() {
    let finding = only("RA4", EmbeddedDirectory::get());
    assert_eq!(finding.code.code(), "ods_code.closed");
    assert!(
        finding.hint.contains("does not record a successor"),
        "{}",
        finding.hint
    );
}

#[test]
fn blank_is_required() {
    for raw in ["", "   ", "\u{00A0}", "\t\n"] {
        assert_eq!(codes(raw), vec!["ods_code.required"], "{raw:?}");
        assert_eq!(
            run_with(raw, EmbeddedDirectory::get()).1,
            OdsOutcome::default()
        );
    }
}

#[test]
fn trims_unicode_whitespace_at_both_ends_only() {
    for raw in [
        "  RX1 ",
        "\u{00A0}RX1\u{00A0}",
        "\tRX1\r\n",
        "\u{2007}RX1\u{3000}",
    ] {
        assert_eq!(codes(raw), Vec::<&str>::new(), "{raw:?}");
        assert_eq!(
            run_with(raw, EmbeddedDirectory::get())
                .1
                .canonical
                .as_deref(),
            Some("RX1")
        );
    }
    let inside = only("RX 1", EmbeddedDirectory::get());
    assert_eq!(inside.code.code(), "ods_code.format");
    assert!(
        inside.message.contains("a space (U+0020)"),
        "{}",
        inside.message
    );
    assert!(
        inside.hint.starts_with("Remove the spaces"),
        "{}",
        inside.hint
    );
    let nbsp = only("RX\u{00A0}1", EmbeddedDirectory::get());
    assert!(
        nbsp.message.contains("U+00A0 NO-BREAK SPACE"),
        "{}",
        nbsp.message
    );
}

#[test]
fn lower_case_is_accepted_and_canonicalised() {
    let (findings, outcome) = run_with("rx1", EmbeddedDirectory::get());
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(outcome.canonical.as_deref(), Some("RX1"));
    assert_eq!(
        outcome.organisation.map(|o| o.name).as_deref(),
        Some("NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST")
    );
    assert_eq!(codes("a81001"), Vec::<&str>::new());
}

#[test]
fn look_alike_characters_are_format_errors_naming_the_character() {
    for (raw, expected) in [
        (
            "R\u{0425}1",
            "'Х' (U+0425 CYRILLIC CAPITAL LETTER HA), which is not the letter X",
        ),
        (
            "\u{0420}X1",
            "U+0420 CYRILLIC CAPITAL LETTER ER), which is not the letter P",
        ),
        (
            "RX\u{0661}",
            "'١' (U+0661 ARABIC-INDIC DIGIT ONE), which is not the digit 1",
        ),
        ("A8\u{06F1}001", "U+06F1 EXTENDED ARABIC-INDIC DIGIT ONE"),
        (
            "\u{FF32}\u{FF38}\u{FF11}",
            "U+FF32 FULLWIDTH LATIN CAPITAL LETTER R",
        ),
        (
            "Q\u{0397}M",
            "U+0397 GREEK CAPITAL LETTER ETA), which is not the letter H",
        ),
        ("RX1\u{200B}", "U+200B ZERO WIDTH SPACE"),
        ("RX-1", "a hyphen (U+002D HYPHEN-MINUS)"),
        ("RXé", "'é' (U+00E9)"),
    ] {
        let finding = only(raw, EmbeddedDirectory::get());
        assert_eq!(finding.code.code(), "ods_code.format", "{raw:?}");
        assert!(
            finding.message.contains(expected),
            "{raw:?}: {}",
            finding.message
        );
        assert!(
            run_with(raw, EmbeddedDirectory::get())
                .1
                .canonical
                .is_none(),
            "{raw:?}"
        );
    }
}

#[test]
fn names_at_most_three_distinct_characters() {
    let finding = only("a-b.c/d_e!f", EmbeddedDirectory::get());
    assert!(
        finding.message.contains("and 2 other characters"),
        "{}",
        finding.message
    );
    let twice = only("R--X", EmbeddedDirectory::get());
    assert_eq!(
        twice.message.matches("HYPHEN-MINUS").count(),
        1,
        "{}",
        twice.message
    );
}

#[test]
fn wrong_lengths_and_patterns_are_format_errors() {
    for raw in [
        "R",
        "RX",
        "RX1A",
        "RX1RAB7",
        "RX1RA0001X",
        "AB1234",
        "1A2B3C",
        "A1234567B",
        "ABCDEFGHI",
    ] {
        assert_eq!(codes(raw), vec!["ods_code.format"], "{raw:?}");
    }
}

#[test]
fn eight_characters_hint_at_a_person_or_school_code() {
    let finding = only("G1234567", EmbeddedDirectory::get());
    assert_eq!(finding.code.code(), "ods_code.format");
    assert!(finding.hint.contains("GP practitioner"), "{}", finding.hint);
}

#[test]
fn letter_o_or_i_where_a_digit_belongs_gets_a_hint() {
    for (raw, fixed) in [
        ("A81OO1", "A81001"),
        ("a8I001", "A81001"),
        ("JERO01", "JER001"),
        ("K81OO3OO1", "K81003001"),
    ] {
        let finding = only(raw, EmbeddedDirectory::get());
        assert_eq!(finding.code.code(), "ods_code.format", "{raw}");
        assert!(
            finding.hint.ends_with(&format!("did you mean {fixed}?")),
            "{raw}: {}",
            finding.hint
        );
    }
}

#[test]
fn an_unknown_code_one_o_away_from_a_known_one_suggests_it() {
    let finding = only("ROA", EmbeddedDirectory::get());
    assert_eq!(finding.code.code(), "ods_code.unknown");
    assert!(
        finding
            .hint
            .contains("did you mean MANCHESTER UNIVERSITY NHS FOUNDATION TRUST (R0A)?"),
        "{}",
        finding.hint
    );
}

#[test]
fn over_the_length_bound_is_one_format_error() {
    let raw = "Х".repeat(MAX_ODS_CODE_CHARS + 1);
    let finding = only(&raw, EmbeddedDirectory::get());
    assert_eq!(finding.code.code(), "ods_code.format");
    assert!(
        finding.message.contains("longer than 32"),
        "{}",
        finding.message
    );
    assert_eq!(
        codes(&"A".repeat(MAX_ODS_CODE_CHARS)),
        vec!["ods_code.format"]
    );
}

#[test]
fn well_formed_matches_the_coding_frames() {
    for code in [
        "RX1",
        "16C",
        "RX1RA",
        "G6V2S",
        "A81001",
        "JER001",
        "K81003001",
    ] {
        assert!(is_well_formed(code), "{code}");
    }
    for code in ["rx1", "RX", "RX1R", "AB1234", "G1234567", "RX1 ", "ＲＸ１"] {
        assert!(!is_well_formed(code), "{code}");
    }
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_input(raw in any::<String>()) {
        let mut out = Vec::new();
        let outcome = check(&raw, EmbeddedDirectory::get(), &mut out);
        prop_assert!(out.len() <= 3);
        if let Some(canonical) = outcome.canonical {
            prop_assert!(is_well_formed(&canonical));
        }
    }

    #[test]
    fn never_panics_on_code_like_input(raw in "[ A-Za-z0-9OoIi\u{00A0}\u{0425}]{0,12}") {
        let mut out = Vec::new();
        let _ = check(&raw, full_directory(), &mut out);
    }
}

#[test]
fn punctuation_gets_a_hint_about_punctuation_not_other_alphabets() {
    let finding = only("RX!", EmbeddedDirectory::get());
    assert_eq!(finding.code.code(), "ods_code.format");
    assert!(
        finding.hint.starts_with("Remove the punctuation"),
        "{}",
        finding.hint
    );
    let lookalike = only("RХ1", EmbeddedDirectory::get());
    assert!(
        lookalike.hint.contains("other alphabets"),
        "{}",
        lookalike.hint
    );
}
