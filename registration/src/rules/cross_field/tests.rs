use super::*;
use crate::{
    CertificateUpload, ClientSecret, Contact, Directory, EmbeddedDirectory, MailboxEntry,
    MailboxKind, Platform, RedirectUri, Severity,
};

fn request() -> RegistrationRequest {
    RegistrationRequest::from_json(include_str!("../../../tests/data/delegated_request.json"))
        .unwrap()
}

fn codes(request: &RegistrationRequest) -> Vec<(String, &'static str)> {
    codes_in(request, Directory::new(EmbeddedDirectory::get()))
}

/// The cross-field findings against `directory` (the ODS code's own findings left out).
fn codes_in(
    request: &RegistrationRequest,
    directory: Directory<'_>,
) -> Vec<(String, &'static str)> {
    findings_in(request, directory)
        .into_iter()
        .map(|f| (f.path, f.code.code()))
        .collect()
}

fn findings_in(request: &RegistrationRequest, directory: Directory<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let requester = crate::rules::ods::check(&request.ods_code, directory.organisations, &mut out);
    out.clear();
    check(request, &requester, directory, &mut out);
    out
}

#[test]
fn accepts_a_complete_request() {
    assert_eq!(codes(&request()), vec![]);
}

#[test]
fn rejects_blank_application_fields_at_their_paths() {
    let mut r = request();
    r.application.name = "  ".into();
    r.application.supplier = String::new();
    assert_eq!(
        codes(&r),
        vec![
            ("application.name".into(), "application.required"),
            ("application.supplier".into(), "application.required"),
        ]
    );
}

#[test]
fn rejects_overlong_names_and_hidden_characters() {
    let mut r = request();
    r.application.name = "x".repeat(MAX_NAME_CHARS + 1);
    r.application.supplier = "Example\u{202E}Health".into();
    assert_eq!(
        codes(&r),
        vec![
            ("application.name".into(), "application.too_long"),
            (
                "application.supplier".into(),
                "application.control_character"
            ),
        ]
    );
}

#[test]
fn allows_line_breaks_in_the_description_only() {
    let mut r = request();
    r.application.description = "Line one\r\nLine two".into();
    assert_eq!(codes(&r), vec![]);
    r.application.name = "Line\none".into();
    assert_eq!(
        codes(&r),
        vec![("application.name".into(), "application.control_character")]
    );
}

#[test]
fn delegated_access_needs_a_redirect_uri() {
    let mut r = request();
    r.redirect_uris.clear();
    assert_eq!(
        codes(&r),
        vec![("redirect_uris".into(), "access_type.redirect_uri_required")]
    );
}

#[test]
fn application_access_needs_a_certificate_or_secret() {
    let mut r = request();
    r.access_type = AccessType::Application;
    assert_eq!(
        codes(&r),
        vec![("certificates".into(), "access_type.credential_required")]
    );
    r.client_secret = Some(ClientSecret {
        lifetime_months: 12,
    });
    assert_eq!(codes(&r), vec![]);
    r.client_secret = None;
    r.certificates.push(CertificateUpload {
        file_name: "a.cer".into(),
        content_base64: String::new(),
    });
    assert_eq!(codes(&r), vec![]);
}

#[test]
fn client_secret_lifetime_is_one_to_twenty_four_months() {
    let mut r = request();
    for (months, ok) in [(0, false), (1, true), (24, true), (25, false), (-3, false)] {
        r.client_secret = Some(ClientSecret {
            lifetime_months: months,
        });
        let expected: Vec<(String, &str)> = if ok {
            vec![]
        } else {
            vec![(
                "client_secret.lifetime_months".into(),
                "client_secret.lifetime",
            )]
        };
        assert_eq!(codes(&r), expected, "{months} months");
    }
}

#[test]
fn needs_a_contact_with_a_name_and_valid_email() {
    let mut r = request();
    r.contacts.clear();
    assert_eq!(codes(&r), vec![("contacts".into(), "contact.required")]);
    r.contacts.push(Contact {
        name: String::new(),
        email: "Jo <jo@nhs.net>".into(),
    });
    assert_eq!(
        codes(&r),
        vec![
            ("contacts[0].name".into(), "contact.name"),
            ("contacts[0].email".into(), "contact.email"),
        ]
    );
}

#[test]
fn too_many_contacts_is_one_finding_and_the_excess_is_not_examined() {
    let mut r = request();
    r.contacts = vec![
        Contact {
            name: "A".into(),
            email: "not an address".into()
        };
        MAX_CONTACTS + 5
    ];
    let found = codes(&r);
    assert_eq!(found[0], ("contacts".into(), "contact.too_many"));
    assert_eq!(found.len(), 1 + MAX_CONTACTS);
}

#[test]
fn access_policy_group_must_be_an_nhs_net_address() {
    let mut r = request();
    r.access_policy_group = Some("scope-group@nhs.uk".into());
    assert_eq!(
        codes(&r),
        vec![("access_policy_group".into(), "access_policy_group.domain")]
    );
    r.access_policy_group = Some("scope group".into());
    assert_eq!(
        codes(&r),
        vec![("access_policy_group".into(), "access_policy_group.syntax")]
    );
    r.access_policy_group = Some("Ward7-Connector-Scope@NHS.NET".into());
    assert_eq!(codes(&r), vec![]);
    r.access_policy_group = Some("   ".into());
    assert_eq!(codes(&r), vec![], "blank counts as not given");
}

fn with_group(ods_code: &str, group: &str) -> RegistrationRequest {
    let mut r = request();
    r.ods_code = ods_code.into();
    r.access_policy_group = Some(group.into());
    r
}

fn group_at(code: &'static str) -> Vec<(String, &'static str)> {
    vec![("access_policy_group".into(), code)]
}

#[test]
fn access_policy_group_must_be_a_group_of_the_organisation_in_the_directory() {
    let directory = Directory::new(EmbeddedDirectory::get());
    assert_eq!(
        codes_in(
            &with_group("RX1", "ward7-connector-scope@nhs.net"),
            directory
        ),
        vec![]
    );
    for (group, code) in [
        (
            "no.such.group@nhs.net",
            "access_policy_group.not_in_directory",
        ),
        (
            "demo.scope.rj1@nhs.net",
            "access_policy_group.other_organisation",
        ),
        ("ward7.referrals@nhs.net", "access_policy_group.not_a_group"),
        ("demo.person.rx1@nhs.net", "access_policy_group.not_a_group"),
    ] {
        let found = findings_in(&with_group("RX1", group), directory);
        assert_eq!(
            found
                .iter()
                .map(|f| (f.path.clone(), f.code.code(), f.severity))
                .collect::<Vec<_>>(),
            vec![("access_policy_group".to_string(), code, Severity::Error)],
            "{group}"
        );
        assert!(found[0].message.contains(group), "{}", found[0].message);
    }
    let other = findings_in(&with_group("RX1", "demo.scope.rj1@nhs.net"), directory);
    assert!(other[0].message.contains("RJ1"), "{}", other[0].message);
    let shared = findings_in(&with_group("RX1", "ward7.referrals@nhs.net"), directory);
    assert!(
        shared[0].message.contains("shared mailbox"),
        "{}",
        shared[0].message
    );
    // The group of one of the organisation's sites is the organisation's, as a mailbox is.
    let mut with_site = EmbeddedDirectory::load();
    with_site.insert_mailbox(MailboxEntry {
        address: "site-scope.rx1ra@nhs.net".into(),
        ods_code: "RX1RA".into(),
        kind: MailboxKind::Group,
    });
    assert_eq!(
        codes_in(
            &with_group("RX1", "site-scope.rx1ra@nhs.net"),
            Directory::new(&with_site)
        ),
        vec![]
    );
}

#[test]
fn without_the_directory_the_access_policy_group_is_not_looked_up() {
    let directory = Directory::organisations_only(EmbeddedDirectory::get());
    for group in [
        "ward7-connector-scope@nhs.net",
        "no.such.group@nhs.net",
        "demo.scope.rj1@nhs.net",
    ] {
        let found = findings_in(&with_group("RX1", group), directory);
        assert_eq!(
            found
                .iter()
                .map(|f| (f.path.clone(), f.code.code(), f.severity))
                .collect::<Vec<_>>(),
            vec![(
                "access_policy_group".to_string(),
                "access_policy_group.directory_not_consulted",
                Severity::Warning
            )],
            "{group}"
        );
        assert!(found[0].hint.contains("Sign in"), "{}", found[0].hint);
    }
    // What the address itself shows is still checked.
    assert_eq!(
        codes_in(&with_group("RX1", "scope@nhs.uk"), directory),
        group_at("access_policy_group.domain")
    );
}

#[test]
fn an_unknown_ods_code_leaves_the_groups_owner_unchecked() {
    let directory = Directory::new(EmbeddedDirectory::get());
    for ods_code in ["ZZZ", ""] {
        assert_eq!(
            codes_in(
                &with_group(ods_code, "ward7-connector-scope@nhs.net"),
                directory
            ),
            group_at("access_policy_group.ownership_not_checked"),
            "{ods_code:?}"
        );
        // What does not depend on the requester is still checked.
        assert_eq!(
            codes_in(&with_group(ods_code, "no.such.group@nhs.net"), directory),
            group_at("access_policy_group.not_in_directory")
        );
    }
}

#[test]
fn redirect_uri_helper_types_are_usable() {
    let _ = RedirectUri {
        uri: "https://a.nhs.uk/cb".into(),
        platform: Platform::Web,
    };
}
