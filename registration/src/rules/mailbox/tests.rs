use super::*;
use crate::EmbeddedDirectory;
use crate::rules::ods::tests::full_directory;
use crate::{AccessType, Severity};
use proptest::prelude::*;

fn request(ods_code: &str, mailboxes: &[&str], access_type: AccessType) -> RegistrationRequest {
    let mut request =
        RegistrationRequest::from_json(include_str!("../../../tests/data/delegated_request.json"))
            .unwrap();
    request.ods_code = ods_code.into();
    request.mailboxes = mailboxes.iter().map(ToString::to_string).collect();
    request.access_type = access_type;
    request
}

/// The ODS and mailbox findings, as the validator would raise them, against `directory`.
fn findings_with(
    directory: &EmbeddedDirectory,
    ods_code: &str,
    mailboxes: &[&str],
    access_type: AccessType,
) -> Vec<Finding> {
    let request = request(ods_code, mailboxes, access_type);
    let mut out = Vec::new();
    let requester = ods::check(&request.ods_code, directory, &mut out);
    check(&request, &requester, Directory::new(directory), &mut out);
    out
}

fn codes_with(
    directory: &EmbeddedDirectory,
    ods_code: &str,
    mailboxes: &[&str],
    access_type: AccessType,
) -> Vec<(String, &'static str)> {
    findings_with(directory, ods_code, mailboxes, access_type)
        .into_iter()
        .map(|f| (f.path, f.code.code()))
        .collect()
}

fn codes(ods_code: &str, mailboxes: &[&str]) -> Vec<(String, &'static str)> {
    codes_with(
        EmbeddedDirectory::get(),
        ods_code,
        mailboxes,
        AccessType::Delegated,
    )
}

fn at(path: &str, code: &'static str) -> (String, &'static str) {
    (path.to_string(), code)
}

#[test]
fn accepts_the_organisations_own_mailboxes_in_any_case() {
    assert_eq!(
        codes("RX1", &["ward7.referrals@nhs.net", "connector.app@nhs.net"]),
        vec![]
    );
    assert_eq!(codes("rx1", &["Ward7.Referrals@NHS.NET"]), vec![]);
    assert_eq!(codes("RX1", &[]), vec![]);
    assert_eq!(codes("A81001", &["demo.reception.a81001@nhs.net"]), vec![]);
    assert_eq!(codes("RRV", &["demo.referrals.rrv@nhs.net"]), vec![]);
}

#[test]
fn rejects_entries_that_are_not_one_plain_address() {
    for raw in [
        "",
        "Jo <jo@nhs.net>",
        "<jo@nhs.net>",
        " ward7.referrals@nhs.net",
        "ward7.referrals@nhs.net ",
        "ward7.referrals(ward)@nhs.net",
        "ward7 referrals@nhs.net",
        "ward7.referrals",
        "@nhs.net",
        "ward7@",
        "ward7@@nhs.net",
        "ward7..referrals@nhs.net",
        "ward7@nhs..net",
        "wärd7@nhs.net",
        "a@b",
        "ward7.referrals@nhs.net, connector.app@nhs.net",
    ] {
        assert_eq!(
            codes("RX1", &[raw]),
            vec![at("mailboxes[0]", "mailbox.syntax")],
            "{raw:?}"
        );
    }
}

#[test]
fn syntax_problems_read_as_plain_english() {
    for (raw, expected) in [
        ("", "it is empty"),
        (
            "Jo <jo@nhs.net>",
            "it has a name or angle brackets around it; give only the address itself",
        ),
        (" jo@nhs.net", "it has spaces before or after it"),
        (
            "jo(x)@nhs.net",
            "it contains a comment in brackets; give only the address itself",
        ),
        ("jo.nhs.net", "it has no @ between the name and the domain"),
        ("jo@nhs", "the domain after the @ needs a dot, like nhs.net"),
        (
            "jö@nhs.net",
            "it contains 'ö' (U+00F6); email addresses here use only plain ASCII letters, digits and punctuation",
        ),
    ] {
        assert_eq!(syntax_problem(raw).as_deref(), Some(expected), "{raw:?}");
    }
    assert_eq!(
        syntax_problem(&format!("{}@nhs.net", "a".repeat(250))).as_deref(),
        Some("it is longer than 254 characters")
    );
    assert_eq!(syntax_problem("jo.bloggs@nhs.net"), None);
    assert_eq!(syntax_problem("jo.bloggs@example-health.co.uk"), None);
}

#[test]
fn rejects_other_mail_systems_saying_which() {
    for (raw, expected) in [
        (
            "ward7@nuh.nhs.uk",
            "is an NHS organisation's own mail system (nhs.uk)",
        ),
        ("ward7@nhs.uk", "(nhs.uk)"),
        ("ward7@nhs.scot", "NHS Scotland"),
        ("ward7@wales.nhs.uk", "NHS Wales"),
        ("ward7@hscni.net", "Northern Ireland"),
        ("ward7@mail.nhs.net", "not in a subdomain"),
        ("ward7@gmail.com", "@gmail.com is not the NHSmail domain"),
    ] {
        let findings = findings_with(
            EmbeddedDirectory::get(),
            "RX1",
            &[raw],
            AccessType::Delegated,
        );
        assert_eq!(findings.len(), 1, "{raw}: {findings:?}");
        assert_eq!(
            (findings[0].path.as_str(), findings[0].code.code()),
            ("mailboxes[0]", "mailbox.domain")
        );
        assert!(
            findings[0].message.contains(expected),
            "{raw}: {}",
            findings[0].message
        );
    }
}

#[test]
fn rejects_the_same_address_twice_ignoring_case() {
    assert_eq!(
        codes(
            "RX1",
            &[
                "ward7.referrals@nhs.net",
                "connector.app@nhs.net",
                "WARD7.Referrals@nhs.net"
            ]
        ),
        vec![at("mailboxes[2]", "mailbox.duplicate")]
    );
    let findings = findings_with(
        EmbeddedDirectory::get(),
        "RX1",
        &["x@nhs.net", "X@NHS.NET"],
        AccessType::Delegated,
    );
    // The unknown address is reported once, at its first occurrence.
    assert_eq!(
        findings
            .iter()
            .map(|f| (f.path.as_str(), f.code.code()))
            .collect::<Vec<_>>(),
        vec![
            ("mailboxes[0]", "mailbox.unknown"),
            ("mailboxes[1]", "mailbox.duplicate")
        ]
    );
    assert!(
        findings[1]
            .message
            .contains("already listed as mailboxes[0]")
    );
}

#[test]
fn too_many_mailboxes_is_one_error_and_the_excess_is_not_examined() {
    let list: Vec<String> = (0..=MAX_MAILBOXES)
        .map(|i| format!("bad address {i}"))
        .collect();
    let refs: Vec<&str> = list.iter().map(String::as_str).collect();
    let found = codes("RX1", &refs);
    assert_eq!(found.first(), Some(&at("mailboxes", "mailbox.too_many")));
    assert_eq!(found.len(), 1 + MAX_MAILBOXES);
    assert!(!found.contains(&at(
        &format!("mailboxes[{MAX_MAILBOXES}]"),
        "mailbox.syntax"
    )));
}

#[test]
fn an_address_missing_from_the_directory_is_unknown() {
    let findings = findings_with(
        EmbeddedDirectory::get(),
        "RX1",
        &["ward8.referrals@nhs.net"],
        AccessType::Delegated,
    );
    assert_eq!(findings.len(), 1);
    assert_eq!(
        (findings[0].path.as_str(), findings[0].code.code()),
        ("mailboxes[0]", "mailbox.unknown")
    );
    assert!(
        findings[0].hint.contains("NHSmail Local Administrator"),
        "{}",
        findings[0].hint
    );
}

#[test]
fn another_organisations_mailbox_is_an_error() {
    let findings = findings_with(
        EmbeddedDirectory::get(),
        "RX1",
        &["demo.outpatients.rj1@nhs.net"],
        AccessType::Delegated,
    );
    assert_eq!(findings.len(), 1);
    assert_eq!(
        (findings[0].path.as_str(), findings[0].code.code()),
        ("mailboxes[0]", "mailbox.other_organisation")
    );
    assert_eq!(
        findings[0].message,
        "demo.outpatients.rj1@nhs.net belongs to GUY'S AND ST THOMAS' NHS FOUNDATION TRUST (RJ1), not to NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST (RX1), according to the mailbox directory."
    );
    assert_eq!(
        codes("RJ1", &["ward7.referrals@nhs.net"]),
        vec![at("mailboxes[0]", "mailbox.other_organisation")]
    );
}

#[test]
fn a_sites_mailbox_is_evidence_for_its_trust() {
    // RX1RA is not in the shipped directory: its trust follows from the coding frame.
    assert_eq!(codes("RX1", &["demo.site.rx1ra@nhs.net"]), vec![]);
    assert_eq!(
        codes_with(
            full_directory(),
            "RX1",
            &["demo.site.rx1ra@nhs.net"],
            AccessType::Delegated
        ),
        vec![]
    );
}

#[test]
fn a_parents_or_siblings_mailbox_is_not_evidence() {
    // The site asking for its trust's mailbox.
    assert_eq!(
        codes_with(
            full_directory(),
            "RX1RA",
            &["ward7.referrals@nhs.net"],
            AccessType::Delegated
        ),
        vec![
            at("ods_code", "ods_code.site"),
            at("mailboxes[0]", "mailbox.other_organisation")
        ]
    );
    // Two practices in the same sub-ICB location (16C).
    assert_eq!(
        codes("A81060", &["demo.reception.a81001@nhs.net"]),
        vec![at("mailboxes[0]", "mailbox.other_organisation")]
    );
    // The ICB above a practice does not own the practice's mailboxes.
    assert_eq!(
        codes("QHM", &["demo.reception.a81001@nhs.net"]),
        vec![at("mailboxes[0]", "mailbox.other_organisation")]
    );
}

#[test]
fn a_closed_owners_mailbox_is_a_warning_naming_the_successor() {
    // QH8 closed on 2026-04-01; D7T5G is its successor and may use its mailbox, with a warning.
    let findings = findings_with(
        EmbeddedDirectory::get(),
        "D7T5G",
        &["demo.contracts.qh8@nhs.net"],
        AccessType::Delegated,
    );
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(
        (findings[0].path.as_str(), findings[0].code.code()),
        ("mailboxes[0]", "mailbox.closed_organisation")
    );
    assert_eq!(findings[0].severity, Severity::Warning);
    assert!(
        findings[0]
            .message
            .contains("passed to NHS ESSEX INTEGRATED CARE BOARD (D7T5G)"),
        "{}",
        findings[0].message
    );
    // RA4 closed with no recorded successor: another trust cannot claim its mailbox.
    assert_eq!(
        codes("RH5", &["demo.appointments.ra4@nhs.net"]),
        vec![
            at("mailboxes[0]", "mailbox.closed_organisation"),
            at("mailboxes[0]", "mailbox.other_organisation")
        ]
    );
}

#[test]
fn a_persons_mailbox_with_app_only_access_is_a_warning() {
    assert_eq!(
        codes_with(
            EmbeddedDirectory::get(),
            "RX1",
            &["demo.person.rx1@nhs.net", "connector.app@nhs.net"],
            AccessType::Application
        ),
        vec![at("mailboxes[0]", "mailbox.personal_for_app_only")]
    );
    assert_eq!(codes("RX1", &["demo.person.rx1@nhs.net"]), vec![]);
}

#[test]
fn pharmacy_and_care_names_carry_their_owner() {
    // Unknown to the directory, but the name says whose it is.
    assert_eq!(
        codes(
            "RX1",
            &["pharmacy.fvr80@nhs.net", "care.vlaxm.office@nhs.net"]
        ),
        vec![
            at("mailboxes[0]", "mailbox.unknown"),
            at("mailboxes[0]", "mailbox.other_organisation"),
            at("mailboxes[1]", "mailbox.unknown"),
            at("mailboxes[1]", "mailbox.other_organisation"),
        ]
    );
    let findings = findings_with(
        EmbeddedDirectory::get(),
        "RX1",
        &["pharmacy.fvr80@nhs.net"],
        AccessType::Delegated,
    );
    assert!(
        findings[1]
            .message
            .contains("its name carries the ODS code FVR80"),
        "{}",
        findings[1].message
    );
    // Known and the requester's own.
    assert_eq!(
        codes_with(
            full_directory(),
            "FVR79",
            &["pharmacy.fvr79@nhs.net"],
            AccessType::Delegated
        ),
        vec![]
    );
    assert_eq!(
        codes_with(
            full_directory(),
            "VLAXL",
            &["care.vlaxl@nhs.net"],
            AccessType::Delegated
        ),
        vec![]
    );
    // A name that merely starts with the word is not evidence.
    assert_eq!(
        codes("RX1", &["pharmacystores@nhs.net"]),
        vec![at("mailboxes[0]", "mailbox.unknown")]
    );
}

#[test]
fn without_the_mailbox_directory_nothing_is_told_about_who_owns_which_mailbox() {
    let request = request(
        "RX1",
        &[
            "ward8.referrals@nhs.net",
            "demo.outpatients.rj1@nhs.net",
            "demo.person.rx1@nhs.net",
            "pharmacy.fvr80@nhs.net",
            "not an address",
            "someone@nhs.uk",
        ],
        AccessType::Application,
    );
    let mut out = Vec::new();
    let directory = EmbeddedDirectory::get();
    let requester = ods::check(&request.ods_code, directory, &mut out);
    check(
        &request,
        &requester,
        Directory::organisations_only(directory),
        &mut out,
    );
    let found: Vec<(String, &'static str)> = out
        .iter()
        .map(|f| (f.path.clone(), f.code.code()))
        .collect();
    // No "unknown", no owner from the directory, no "a person's mailbox": one warning saying so.
    // What the request itself shows is still checked: syntax, domain, a code in the name.
    assert_eq!(
        found,
        vec![
            at("mailboxes", "mailbox.directory_not_consulted"),
            at("mailboxes[3]", "mailbox.other_organisation"),
            at("mailboxes[4]", "mailbox.syntax"),
            at("mailboxes[5]", "mailbox.domain"),
        ]
    );
    assert_eq!(out[0].severity, Severity::Warning);
    assert!(out[0].hint.contains("Sign in"), "{}", out[0].hint);
    assert!(!out.iter().any(|f| f.message.contains("GUY'S")), "{out:?}");
}

#[test]
fn a_group_is_not_a_mailbox() {
    let found = findings_with(
        EmbeddedDirectory::get(),
        "RX1",
        &["ward7.referrals@nhs.net", "Ward7-Connector-Scope@nhs.net"],
        AccessType::Application,
    );
    assert_eq!(
        found
            .iter()
            .map(|f| (f.path.clone(), f.code.code(), f.severity))
            .collect::<Vec<_>>(),
        vec![(
            "mailboxes[1]".to_string(),
            "mailbox.is_a_group",
            Severity::Error
        )]
    );
    assert!(
        found[0].hint.contains("access policy group"),
        "{}",
        found[0].hint
    );
    // Another organisation's group is first of all not a mailbox: one error, not two.
    assert_eq!(
        codes("RX1", &["demo.scope.rj1@nhs.net"]),
        vec![at("mailboxes[0]", "mailbox.is_a_group")]
    );
}

/// The mailbox findings for a request from RX1 with these mailboxes and one permission.
fn with_permission(
    mailboxes: &[&str],
    resource: Option<&str>,
    value: &str,
    permission_type: crate::PermissionType,
    directory: Directory<'_>,
) -> Vec<Finding> {
    let mut request = request("RX1", mailboxes, AccessType::Application);
    request.permissions = vec![crate::PermissionRequest {
        resource: resource.map(str::to_string),
        value: value.to_string(),
        permission_type,
    }];
    let mut out = Vec::new();
    let requester = ods::check(&request.ods_code, directory.organisations, &mut out);
    out.clear();
    check(&request, &requester, directory, &mut out);
    out
}

#[test]
fn app_only_mail_access_must_list_a_mailbox() {
    use crate::PermissionType::{Application, Delegated};
    let directory = EmbeddedDirectory::get();
    for (resource, value) in [
        (None, "Mail.Send"),
        (None, "Mail.Read"),
        (None, "Calendars.ReadWrite"),
        (None, "Contacts.Read"),
        (None, "MailboxSettings.Read"),
        (Some("exchange"), "full_access_as_app"),
        (None, "IMAP.AccessAsApp"),
        (Some("exchange"), "POP.AccessAsApp"),
    ] {
        for consulted in [
            Directory::new(directory),
            Directory::organisations_only(directory),
        ] {
            let found = with_permission(&[], resource, value, Application, consulted);
            assert_eq!(
                found
                    .iter()
                    .map(|f| (f.path.clone(), f.code.code(), f.severity))
                    .collect::<Vec<_>>(),
                vec![(
                    "mailboxes".to_string(),
                    "mailbox.required_for_app_only_mail",
                    Severity::Error
                )],
                "{value}"
            );
            assert!(found[0].message.contains(value), "{}", found[0].message);
            assert!(found[0].hint.contains("@nhs.net"), "{}", found[0].hint);
        }
        let listed = with_permission(
            &["ward7.referrals@nhs.net"],
            resource,
            value,
            Application,
            Directory::new(directory),
        );
        assert_eq!(listed, vec![], "{value}");
    }
    // No app-only mail access: an empty list is allowed (SMTP via RBAC names no mailbox here).
    for (resource, value, permission_type) in [
        (None, "Mail.Send", Delegated),
        (None, "IMAP.AccessAsUser.All", Delegated),
        (Some("exchange"), "SMTP.SendAsApp", Application),
        (None, "User.Read.All", Application),
        (None, "Mail.Sendd", Application),
    ] {
        assert_eq!(
            with_permission(
                &[],
                resource,
                value,
                permission_type,
                Directory::new(directory)
            ),
            vec![],
            "{value}"
        );
    }
}

#[test]
fn an_invalid_or_unknown_ods_code_leaves_ownership_unchecked_once() {
    let mailboxes = [
        "demo.outpatients.rj1@nhs.net",
        "ward7.referrals@nhs.net",
        "pharmacy.fvr80@nhs.net",
        "nobody@nhs.net",
    ];
    assert_eq!(
        codes("ZZZ", &mailboxes),
        vec![
            at("ods_code", "ods_code.unknown"),
            at("mailboxes", "mailbox.ownership_not_checked"),
            at("mailboxes[2]", "mailbox.unknown"),
            at("mailboxes[3]", "mailbox.unknown"),
        ]
    );
    assert_eq!(
        codes("", &["ward7.referrals@nhs.net"]),
        vec![
            at("ods_code", "ods_code.required"),
            at("mailboxes", "mailbox.ownership_not_checked")
        ]
    );
    assert_eq!(codes("", &[]), vec![at("ods_code", "ods_code.required")]);
}

proptest! {
    #[test]
    fn never_panics_on_arbitrary_input(ods in any::<String>(), mailboxes in proptest::collection::vec(any::<String>(), 0..6)) {
        let refs: Vec<&str> = mailboxes.iter().map(String::as_str).collect();
        let _ = findings_with(EmbeddedDirectory::get(), &ods, &refs, AccessType::Application);
    }

    #[test]
    fn never_panics_on_address_like_input(local in "[a-zA-Z0-9.()<> \"@-]{0,20}", domain in "(nhs\\.net|NHS\\.NET|nhs\\.uk|[a-z.]{0,10})") {
        let address = format!("{local}@{domain}");
        let _ = findings_with(full_directory(), "RX1", &[&address, "pharmacy.rx1@nhs.net"], AccessType::Application);
    }
}
