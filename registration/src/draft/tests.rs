use super::*;
use crate::{EmbeddedDirectory, Severity};
use proptest::prelude::*;
use time::macros::datetime;

fn now() -> OffsetDateTime {
    datetime!(2026-03-02 09:30 UTC)
}

fn directory() -> Directory<'static> {
    Directory::new(EmbeddedDirectory::get())
}

fn request() -> RegistrationRequest {
    RegistrationRequest::from_json(include_str!("../../tests/data/delegated_request.json")).unwrap()
}

/// An app-only request using every optional field.
fn application_request() -> RegistrationRequest {
    let mut r = request();
    r.access_type = AccessType::Application;
    r.permissions = vec![PermissionRequest {
        resource: Some("graph".into()),
        value: "Mail.Send".into(),
        permission_type: PermissionType::Application,
    }];
    r.redirect_uris = vec![];
    r.certificates = vec![CertificateUpload {
        file_name: "connector.cer".into(),
        content_base64: "AAAA".into(),
    }];
    r.client_secret = Some(ClientSecret { lifetime_months: 6 });
    r.access_policy_group = Some("ward7-connector-scope@nhs.net".into());
    r.contacts.push(Contact {
        name: "Sam Smith".into(),
        email: "sam.smith@nhs.net".into(),
    });
    r
}

fn draft() -> RegistrationDraft {
    RegistrationDraft::from_request(&request())
}

fn report(draft: &RegistrationDraft) -> ValidationReport {
    validate_draft(draft, directory(), now())
}

fn found(draft: &RegistrationDraft) -> Vec<(String, &'static str)> {
    report(draft)
        .findings
        .into_iter()
        .map(|f| (f.path, f.code.code()))
        .collect()
}

fn has(findings: &[(String, &'static str)], path: &str, code: &str) -> bool {
    findings.iter().any(|(p, c)| p == path && *c == code)
}

fn redirect(uri: &str, platform: &str) -> DraftRedirectUri {
    DraftRedirectUri {
        uri: uri.into(),
        platform: platform.into(),
    }
}

fn permission(resource: &str, value: &str, permission_type: &str) -> DraftPermission {
    DraftPermission {
        resource: resource.into(),
        value: value.into(),
        permission_type: permission_type.into(),
    }
}

#[test]
fn the_example_request_as_a_draft_is_valid() {
    let report = report(&draft());
    assert!(report.valid, "{:#?}", report.findings);
    assert_eq!(report, crate::validate(&request(), directory(), now()));
}

#[test]
fn skips_blank_mailbox_rows_and_reports_at_the_draft_row() {
    let mut d = draft();
    d.mailboxes = vec!["".into(), "bad".into(), "ward7.referrals@nhs.net".into()];
    let conversion = d.to_request();
    assert_eq!(conversion.rows.mailboxes, vec![1, 2]);
    assert_eq!(
        conversion.request.unwrap().mailboxes,
        vec!["bad".to_string(), "ward7.referrals@nhs.net".to_string()]
    );
    assert_eq!(
        found(&d),
        vec![("mailboxes[1]".to_string(), "mailbox.syntax")]
    );
}

#[test]
fn reports_every_list_at_the_draft_rows() {
    let mut d = draft();
    d.redirect_uris = vec![
        redirect("", "web"),
        redirect("  ", "spa"),
        redirect("https://connector.nuh.nhs.uk/cb#top", "web"),
    ];
    d.token_endpoint_uris = vec!["".into(), "http://login.example.com/token".into()];
    d.contacts = vec![
        Contact::default(),
        Contact {
            name: " ".into(),
            email: "".into(),
        },
        Contact {
            name: "Jo Bloggs".into(),
            email: "not an address".into(),
        },
    ];
    d.permissions
        .insert(0, permission("graph", " ", "delegated"));
    d.permissions
        .push(permission("", "Mail.Sendd", "delegated"));
    let findings = found(&d);
    let paths: Vec<&str> = findings.iter().map(|(p, _)| p.as_str()).collect();
    for path in &paths {
        assert!(
            matches!(
                *path,
                "permissions[4]"
                    | "redirect_uris[2].uri"
                    | "token_endpoint_uris[1]"
                    | "contacts[2].email"
            ),
            "unexpected path {path} in {findings:?}"
        );
    }
    assert!(has(&findings, "permissions[4]", "permission.unknown"));
    assert!(has(&findings, "contacts[2].email", "contact.email"));
    assert!(paths.contains(&"redirect_uris[2].uri"), "{findings:?}");
    assert!(paths.contains(&"token_endpoint_uris[1]"), "{findings:?}");
}

#[test]
fn renumbers_the_rows_that_duplicate_messages_name() {
    let mut d = draft();
    d.mailboxes = vec![
        "".into(),
        "ward7.referrals@nhs.net".into(),
        "".into(),
        "Ward7.Referrals@nhs.net".into(),
    ];
    d.permissions = vec![
        permission("", "", "delegated"),
        permission("", "User.Read", "delegated"),
        permission("", "User.Read", "delegated"),
    ];
    d.redirect_uris = vec![
        redirect("", "web"),
        redirect("https://connector.nuh.nhs.uk/auth/callback", "web"),
        redirect("", "web"),
        redirect("https://connector.nuh.nhs.uk/auth/callback", "web"),
    ];
    let report = report(&d);
    let mailbox = report.findings_at("mailboxes[3]").next().unwrap();
    assert_eq!(mailbox.code.code(), "mailbox.duplicate");
    assert!(
        mailbox.message.contains("already listed as mailboxes[1] "),
        "{}",
        mailbox.message
    );
    let permission = report.findings_at("permissions[2]").next().unwrap();
    assert_eq!(permission.code.code(), "permission.duplicate");
    assert!(
        permission
            .message
            .ends_with("already listed at permissions[1]."),
        "{}",
        permission.message
    );
    let pair = report.findings_at("redirect_uris").next().unwrap();
    assert_eq!(pair.code.code(), "redirect_uri.duplicate");
    assert!(
        pair.message
            .starts_with("Redirect URIs 2 and 4 are the same"),
        "{}",
        pair.message
    );
}

/// A draft whose permissions, mailbox and missing credentials each break a rule that exists
/// only for one access type.
fn access_type_sensitive_draft(access_type: &str) -> RegistrationDraft {
    let mut d = draft();
    d.access_type = access_type.into();
    d.application_name = String::new();
    d.permissions = vec![
        permission("graph", "User.Read", "delegated"),
        permission("graph", "User.Read.All", "application"),
    ];
    d.mailboxes = vec!["demo.person.rx1@nhs.net".into()];
    d.redirect_uris = vec![redirect("", "web")];
    d
}

const DEPENDENT_CODES: [&str; 5] = [
    "access_type.redirect_uri_required",
    "access_type.credential_required",
    "permission.delegated_in_app_only",
    "permission.app_role_in_delegated",
    "mailbox.personal_for_app_only",
];

#[test]
fn the_sensitive_draft_raises_the_access_type_findings_once_a_type_is_chosen() {
    let delegated = found(&access_type_sensitive_draft("delegated"));
    assert!(has(
        &delegated,
        "redirect_uris",
        "access_type.redirect_uri_required"
    ));
    assert!(has(
        &delegated,
        "permissions[1]",
        "permission.app_role_in_delegated"
    ));
    let application = found(&access_type_sensitive_draft("application"));
    assert!(has(
        &application,
        "certificates",
        "access_type.credential_required"
    ));
    assert!(has(
        &application,
        "permissions[0]",
        "permission.delegated_in_app_only"
    ));
    assert!(has(
        &application,
        "mailboxes[0]",
        "mailbox.personal_for_app_only"
    ));
}

#[test]
fn missing_access_type_is_one_finding_and_the_rest_is_still_validated() {
    for access_type in ["", "  ", "both", "Delegated"] {
        let d = access_type_sensitive_draft(access_type);
        let findings = found(&d);
        let required: Vec<_> = findings
            .iter()
            .filter(|(_, c)| *c == "access_type.required")
            .collect();
        assert_eq!(
            required,
            vec![&("access_type".to_string(), "access_type.required")],
            "{access_type:?}"
        );
        for code in DEPENDENT_CODES {
            assert!(
                !findings.iter().any(|(_, c)| *c == code),
                "{access_type:?} raised {code}: {findings:?}"
            );
        }
        assert!(has(&findings, "application.name", "application.required"));
        assert!(has(
            &findings,
            "permissions[1]",
            "permission.tenant_wide_directory_read"
        ));
        assert!(d.to_request().request.is_none());
        assert!(!report(&d).valid);
    }
}

#[test]
fn access_type_dependent_codes_are_the_declared_ones() {
    let declared: Vec<&str> = ACCESS_TYPE_DEPENDENT.iter().map(|c| c.code()).collect();
    assert_eq!(declared, DEPENDENT_CODES);
}

#[test]
fn a_redirect_uri_without_a_platform_is_reported_at_its_platform() {
    for platform in ["", "mobile", "WEB"] {
        let mut d = draft();
        d.redirect_uris = vec![
            redirect("", "web"),
            redirect("https://connector.nuh.nhs.uk/auth/callback", platform),
        ];
        assert_eq!(
            found(&d),
            vec![(
                "redirect_uris[1].platform".to_string(),
                "redirect_uri.platform_required"
            )],
            "{platform:?}"
        );
        let conversion = d.to_request();
        assert!(conversion.request.is_none());
        assert_eq!(conversion.findings.len(), 1);
    }
}

#[test]
fn a_permission_without_a_type_is_reported_at_its_row() {
    let mut d = draft();
    d.permissions
        .insert(1, permission("graph", "Mail.Read", ""));
    d.permissions
        .insert(2, permission("graph", "Mail.Read", "scope"));
    let findings = found(&d);
    assert_eq!(
        findings,
        vec![
            ("permissions[1]".to_string(), "permission.type_required"),
            ("permissions[2]".to_string(), "permission.type_required"),
        ]
    );
}

#[test]
fn a_client_secret_lifetime_that_is_not_a_whole_number_is_reported() {
    for typed in ["twelve", "12.5", "1e1", "99999999999999999999", "12 months"] {
        let mut d = RegistrationDraft::from_request(&application_request());
        d.certificates.clear();
        d.client_secret_months = typed.into();
        let findings = found(&d);
        assert!(
            has(
                &findings,
                "client_secret.lifetime_months",
                "client_secret.not_a_number"
            ),
            "{typed}: {findings:?}"
        );
        assert!(
            !findings
                .iter()
                .any(|(_, c)| *c == "access_type.credential_required"),
            "{typed}: {findings:?}"
        );
    }
}

#[test]
fn a_client_secret_lifetime_is_read_as_typed() {
    let mut d = RegistrationDraft::from_request(&application_request());
    let secret = |d: &RegistrationDraft| d.to_request().request.unwrap().client_secret;
    d.client_secret_months = " 12 ".into();
    assert_eq!(
        secret(&d),
        Some(ClientSecret {
            lifetime_months: 12
        })
    );
    d.client_secret_months = "  ".into();
    assert_eq!(secret(&d), None);
    d.client_secret_months = "30".into();
    assert!(has(
        &found(&d),
        "client_secret.lifetime_months",
        "client_secret.lifetime"
    ));
}

#[test]
fn a_blank_access_policy_group_is_none_and_certificates_are_copied() {
    let mut d = RegistrationDraft::from_request(&application_request());
    d.access_policy_group = " ".into();
    let request = d.to_request().request.unwrap();
    assert_eq!(request.access_policy_group, None);
    assert_eq!(request.certificates, application_request().certificates);
}

#[test]
fn a_blank_permission_resource_is_left_out() {
    let mut d = draft();
    d.permissions = vec![permission(" ", "User.Read", "delegated")];
    let request = d.to_request().request.unwrap();
    assert_eq!(request.permissions[0].resource, None);
}

#[test]
fn requests_round_trip_through_a_draft() {
    for request in [request(), application_request()] {
        let conversion = RegistrationDraft::from_request(&request).to_request();
        assert!(conversion.findings.is_empty());
        assert_eq!(conversion.request, Some(request));
    }
}

#[test]
fn drafts_without_blank_rows_round_trip_through_a_request() {
    let d = RegistrationDraft::from_request(&application_request());
    let again = RegistrationDraft::from_request(&d.to_request().request.unwrap());
    assert_eq!(again, d);
}

#[test]
fn the_new_form_has_one_blank_row_to_type_into() {
    let form = RegistrationDraft::new_form();
    assert_eq!(form.mailboxes, vec![String::new()]);
    assert_eq!(form.redirect_uris, vec![redirect("", "web")]);
    assert_eq!(form.token_endpoint_uris, vec![String::new()]);
    assert_eq!(form.contacts, vec![Contact::default()]);
    assert!(form.permissions.is_empty() && form.certificates.is_empty());
    let findings = found(&form);
    assert!(has(&findings, "access_type", "access_type.required"));
    assert!(has(&findings, "contacts", "contact.required"));
    assert!(
        findings.iter().all(|(path, _)| !path.contains('[')),
        "blank rows were validated: {findings:?}"
    );
}

#[test]
fn findings_come_in_the_order_of_the_fields() {
    let mut d = access_type_sensitive_draft("");
    d.ods_code = "??".into();
    d.client_secret_months = "x".into();
    d.redirect_uris = vec![redirect("https://a.nhs.uk/cb", "")];
    let report = report(&d);
    let order: Vec<usize> = report
        .findings
        .iter()
        .map(|f| crate::field_order(&f.path))
        .collect();
    assert!(
        order.windows(2).all(|w| w[0] <= w[1]),
        "{:#?}",
        report.findings
    );
    assert_eq!(
        report.findings.first().map(|f| f.path.as_str()),
        Some("ods_code")
    );
}

#[test]
fn parses_every_documented_action() {
    use DraftList::*;
    let cases = [
        ("check", FormAction::Check),
        ("submit", FormAction::Submit),
        ("save", FormAction::Save),
        ("search:permissions", FormAction::SearchPermissions),
        ("add:mailboxes", FormAction::Add(Mailboxes)),
        ("add:redirect_uris", FormAction::Add(RedirectUris)),
        (
            "add:token_endpoint_uris",
            FormAction::Add(TokenEndpointUris),
        ),
        ("add:contacts", FormAction::Add(Contacts)),
        ("add:permissions", FormAction::Add(Permissions)),
        ("add:certificates", FormAction::Add(Certificates)),
        ("remove:mailboxes:0", FormAction::Remove(Mailboxes, 0)),
        (
            "remove:redirect_uris:12",
            FormAction::Remove(RedirectUris, 12),
        ),
        (
            "remove:token_endpoint_uris:1",
            FormAction::Remove(TokenEndpointUris, 1),
        ),
        ("remove:contacts:3", FormAction::Remove(Contacts, 3)),
        ("remove:permissions:2", FormAction::Remove(Permissions, 2)),
        ("remove:certificates:0", FormAction::Remove(Certificates, 0)),
        (
            "add:permissions:graph:Mail.Send:application",
            FormAction::AddPermission {
                resource: "graph".into(),
                value: "Mail.Send".into(),
                permission_type: "application".into(),
            },
        ),
        (
            "add:permissions::User.Read:delegated",
            FormAction::AddPermission {
                resource: String::new(),
                value: "User.Read".into(),
                permission_type: "delegated".into(),
            },
        ),
        (
            "add:permissions:00000002-0000-0ff1-ce00-000000000000:full_access_as_app:application",
            FormAction::AddPermission {
                resource: "00000002-0000-0ff1-ce00-000000000000".into(),
                value: "full_access_as_app".into(),
                permission_type: "application".into(),
            },
        ),
    ];
    for (text, action) in cases {
        assert_eq!(FormAction::parse(text), Some(action.clone()), "{text}");
        assert_eq!(action.value(), text);
    }
}

#[test]
fn rejects_actions_the_form_does_not_send() {
    for text in [
        "",
        "CHECK",
        " check",
        "check ",
        "delete",
        "add:",
        "add:mailbox",
        "add:mailboxes:",
        "remove:mailboxes",
        "remove:mailboxes:",
        "remove:mailboxes:-1",
        "remove:mailboxes:+1",
        "remove:mailboxes: 1",
        "remove:mailboxes:1x",
        "remove:mailboxes:99999999999999999999999999",
        "remove:nothing:1",
        "remove::1",
        "search:",
        "search:mailboxes",
        "add:permissions:graph",
        "add:permissions:graph:Mail.Send",
        "add:permissions:graph::application",
        "add:permissions:graph:Mail.Send:role",
        "add:permissions:graph:Mail.Send:",
        "add:permissions:graph:Mail.Send:application:",
        "\u{0}",
        "remove:mailboxes:١",
    ] {
        assert_eq!(FormAction::parse(text), None, "{text:?}");
    }
}

#[test]
fn add_appends_a_blank_row_with_web_preselected_for_redirect_uris() {
    let mut d = RegistrationDraft::default();
    for list in DraftList::ALL {
        d.apply(&FormAction::Add(list));
    }
    assert_eq!(d.mailboxes, vec![String::new()]);
    assert_eq!(d.redirect_uris, vec![redirect("", "web")]);
    assert_eq!(d.token_endpoint_uris, vec![String::new()]);
    assert_eq!(d.contacts, vec![Contact::default()]);
    assert_eq!(d.permissions, vec![DraftPermission::default()]);
    assert!(
        d.certificates.is_empty(),
        "a certificate is a file, not a row"
    );
}

#[test]
fn remove_deletes_the_named_row_and_ignores_rows_that_are_gone() {
    let mut d = RegistrationDraft::from_request(&application_request());
    d.mailboxes = vec!["a".into(), "b".into(), "c".into()];
    d.apply(&FormAction::Remove(DraftList::Mailboxes, 1));
    assert_eq!(d.mailboxes, vec!["a".to_string(), "c".to_string()]);
    let before = d.clone();
    d.apply(&FormAction::Remove(DraftList::Mailboxes, 2));
    d.apply(&FormAction::Remove(DraftList::Contacts, usize::MAX));
    d.apply(&FormAction::Remove(DraftList::RedirectUris, 0));
    assert_eq!(d, before);
    d.apply(&FormAction::Remove(DraftList::Certificates, 0));
    assert!(d.certificates.is_empty());
    d.apply(&FormAction::Remove(DraftList::Contacts, 1));
    assert_eq!(d.contacts.len(), 1);
}

#[test]
fn add_permission_appends_unless_already_chosen() {
    let mut d = draft();
    let chosen = FormAction::parse("add:permissions:graph:Mail.Send:delegated").unwrap();
    d.apply(&chosen);
    d.apply(&chosen);
    let other_type = FormAction::parse("add:permissions:graph:Mail.Send:application").unwrap();
    d.apply(&other_type);
    let sends: Vec<_> = d
        .permissions
        .iter()
        .filter(|p| p.value == "Mail.Send")
        .collect();
    assert_eq!(
        sends,
        vec![
            &permission("graph", "Mail.Send", "delegated"),
            &permission("graph", "Mail.Send", "application"),
        ]
    );
}

#[test]
fn check_submit_save_and_search_change_nothing() {
    let mut d = draft();
    d.permission_search = "mail".into();
    let before = d.clone();
    for action in [
        FormAction::Check,
        FormAction::Submit,
        FormAction::Save,
        FormAction::SearchPermissions,
    ] {
        d.apply(&action);
    }
    assert_eq!(d, before);
}

#[test]
fn repath_leaves_list_level_and_unknown_paths_alone() {
    let rows = RowMap {
        mailboxes: vec![2, 5],
        ..RowMap::default()
    };
    assert_eq!(rows.repath("mailboxes[1]"), "mailboxes[5]");
    assert_eq!(rows.repath("mailboxes"), "mailboxes");
    assert_eq!(rows.repath("mailboxes[7]"), "mailboxes[7]");
    assert_eq!(rows.repath("certificates[3]"), "certificates[3]");
    assert_eq!(
        rows.repath("client_secret.lifetime_months"),
        "client_secret.lifetime_months"
    );
    assert_eq!(rows.repath("mailboxes[x]"), "mailboxes[x]");
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "  ",
            "bad",
            "RX1",
            "ward7.referrals@nhs.net",
            "WARD7.referrals@nhs.net",
            "demo.person.rx1@nhs.net",
            "https://connector.nuh.nhs.uk/auth/callback",
            "https://Connector.nuh.nhs.uk/auth/callback",
            "http://localhost:8080/cb",
            "User.Read",
            "Mail.Send",
            "graph",
            "12",
            "-1",
            "Jo Bloggs",
        ])
        .prop_map(str::to_string),
        ".{0,24}",
    ]
}

fn kind() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "",
        "delegated",
        "application",
        "web",
        "spa",
        "public_client",
        "Web",
    ])
    .prop_map(str::to_string)
}

fn rows<S: Strategy>(row: S) -> impl Strategy<Value = Vec<S::Value>> {
    prop::collection::vec(row, 0..5)
}

fn arbitrary_draft() -> impl Strategy<Value = RegistrationDraft> {
    (
        (text(), text(), kind(), text(), text()),
        rows((text(), text(), kind())),
        rows(text()),
        rows((text(), kind())),
        rows(text()),
        rows((text(), text())),
        prop::collection::vec(text(), 0..2),
    )
        .prop_map(
            |(
                (ods_code, name, access_type, secret, group),
                permissions,
                mailboxes,
                redirects,
                tokens,
                contacts,
                certificates,
            )| {
                RegistrationDraft {
                    ods_code,
                    application_name: name.clone(),
                    description: name,
                    supplier: "Example Health Ltd".into(),
                    access_type,
                    permissions: permissions
                        .into_iter()
                        .map(|(resource, value, permission_type)| DraftPermission {
                            resource,
                            value,
                            permission_type,
                        })
                        .collect(),
                    mailboxes,
                    redirect_uris: redirects
                        .into_iter()
                        .map(|(uri, platform)| DraftRedirectUri { uri, platform })
                        .collect(),
                    token_endpoint_uris: tokens,
                    certificates: certificates
                        .into_iter()
                        .map(|content_base64| CertificateUpload {
                            file_name: "x.cer".into(),
                            content_base64,
                        })
                        .collect(),
                    client_secret_months: secret,
                    access_policy_group: group,
                    contacts: contacts
                        .into_iter()
                        .map(|(name, email)| Contact { name, email })
                        .collect(),
                    permission_search: String::new(),
                }
            },
        )
}

fn list_len(draft: &RegistrationDraft, list: DraftList) -> usize {
    match list {
        DraftList::Mailboxes => draft.mailboxes.len(),
        DraftList::RedirectUris => draft.redirect_uris.len(),
        DraftList::TokenEndpointUris => draft.token_endpoint_uris.len(),
        DraftList::Contacts => draft.contacts.len(),
        DraftList::Permissions => draft.permissions.len(),
        DraftList::Certificates => draft.certificates.len(),
    }
}

proptest! {
    #[test]
    fn arbitrary_drafts_are_validated_at_rows_they_have(d in arbitrary_draft()) {
        let report = report(&d);
        prop_assert_eq!(
            report.valid,
            !report.findings.iter().any(|f| f.severity == Severity::Error)
        );
        for finding in &report.findings {
            if let Some((head, rest)) = finding.path.split_once('[') {
                let list = DraftList::parse(head);
                prop_assert!(list.is_some(), "unknown list in {}", finding.path);
                let index: usize = rest.split(']').next().unwrap().parse().unwrap();
                prop_assert!(
                    index < list_len(&d, list.unwrap()),
                    "{} is beyond the draft's rows", finding.path
                );
            }
        }
        let conversion = d.to_request();
        prop_assert_eq!(conversion.request.is_some(), conversion.findings.is_empty());
    }

    #[test]
    fn arbitrary_actions_never_panic(text in ".{0,40}", d in arbitrary_draft()) {
        let mut d = d;
        if let Some(action) = FormAction::parse(&text) {
            prop_assert_eq!(FormAction::parse(&action.value()), Some(action.clone()));
            d.apply(&action);
        }
    }
}
