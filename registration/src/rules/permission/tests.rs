use super::*;
use crate::{AccessType, PermissionRequest, PermissionType};
use AccessType::{Application as App, Delegated as Del};
use PermissionType::{Application, Delegated};
use Severity::{Error, Warning};
use proptest::prelude::*;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-09-01 12:00 UTC);

fn request(
    access: AccessType,
    permissions: &[(Option<&str>, &str, PermissionType)],
) -> RegistrationRequest {
    let mut r =
        RegistrationRequest::from_json(include_str!("../../../tests/data/delegated_request.json"))
            .unwrap();
    r.access_type = access;
    r.permissions = permissions
        .iter()
        .map(|&(resource, value, permission_type)| PermissionRequest {
            resource: resource.map(str::to_string),
            value: value.to_string(),
            permission_type,
        })
        .collect();
    r
}

fn scoped(mut r: RegistrationRequest) -> RegistrationRequest {
    r.access_policy_group = Some("ward7-connector-scope@nhs.net".into());
    r
}

fn run(
    r: &RegistrationRequest,
    now: OffsetDateTime,
) -> (Vec<Finding>, Vec<RequiredResourceAccess>) {
    let mut out = Vec::new();
    let rra = check(r, now, &mut out);
    (out, rra)
}

fn codes(r: &RegistrationRequest) -> Vec<(String, &'static str, Severity)> {
    run(r, NOW)
        .0
        .into_iter()
        .map(|f| (f.path, f.code.code(), f.severity))
        .collect()
}

fn at(index: usize, code: &'static str, severity: Severity) -> (String, &'static str, Severity) {
    (format!("permissions[{index}]"), code, severity)
}

type Row = (
    &'static str,
    AccessType,
    bool,
    &'static [(Option<&'static str>, &'static str, PermissionType)],
    &'static [(usize, &'static str, Severity)],
);

/// One row per line of the RULES.md §3 table, plus the resolution rules.
const TABLE: &[Row] = &[
    (
        "unknown value",
        Del,
        false,
        &[(None, "Mail.Sendd", Delegated)],
        &[(0, "permission.unknown", Error)],
    ),
    (
        "unknown on a named resource",
        Del,
        false,
        &[(Some("exchange"), "Nope.Read", Delegated)],
        &[(0, "permission.unknown", Error)],
    ),
    (
        "offline_access as application",
        App,
        false,
        &[(None, "offline_access", Application)],
        &[(0, "permission.wrong_type", Error)],
    ),
    (
        "SMTP.Send as application",
        App,
        false,
        &[(None, "SMTP.Send", Application)],
        &[(0, "permission.wrong_type", Error)],
    ),
    (
        "IMAP.AccessAsApp as delegated",
        Del,
        false,
        &[(None, "IMAP.AccessAsApp", Delegated)],
        &[(0, "permission.wrong_type", Error)],
    ),
    (
        "graph + IMAP.AccessAsApp",
        App,
        false,
        &[(Some("graph"), "IMAP.AccessAsApp", Application)],
        &[(0, "permission.wrong_resource", Error)],
    ),
    (
        "exchange + openid",
        Del,
        false,
        &[(Some("exchange"), "openid", Delegated)],
        &[(0, "permission.wrong_resource", Error)],
    ),
    (
        "another resource",
        Del,
        false,
        &[(
            Some("00000003-0000-0ff1-ce00-000000000000"),
            "Mail.Send",
            Delegated,
        )],
        &[(0, "permission.unsupported_resource", Error)],
    ),
    (
        "resource as a URL",
        Del,
        false,
        &[(Some("https://outlook.office.com"), "SMTP.Send", Delegated)],
        &[(0, "permission.unsupported_resource", Error)],
    ),
    (
        "EWS.AccessAsApp",
        App,
        true,
        &[(None, "EWS.AccessAsApp", Application)],
        &[(0, "permission.rbac_role_name", Error)],
    ),
    (
        "Application Mail.Send",
        App,
        true,
        &[(None, "Application Mail.Send", Application)],
        &[(0, "permission.rbac_role_name", Error)],
    ),
    (
        "same permission twice",
        Del,
        false,
        &[
            (None, "User.Read", Delegated),
            (None, "Mail.Read", Delegated),
            (Some("graph"), "User.Read", Delegated),
        ],
        &[(2, "permission.duplicate", Error)],
    ),
    (
        "offline_access and openid app-only",
        App,
        false,
        &[
            (None, "offline_access", Delegated),
            (None, "openid", Delegated),
        ],
        &[
            (0, "permission.delegated_in_app_only", Error),
            (1, "permission.delegated_in_app_only", Error),
        ],
    ),
    (
        "app role in delegated",
        Del,
        false,
        &[(Some("exchange"), "IMAP.AccessAsApp", Application)],
        &[(0, "permission.app_role_in_delegated", Warning)],
    ),
    (
        "unscoped app mail",
        App,
        false,
        &[
            (None, "Mail.Read", Application),
            (None, "MailboxSettings.Read", Application),
            (None, "MailboxItem.Read.All", Application),
        ],
        &[
            (0, "permission.unscoped_app_mail", Error),
            (1, "permission.unscoped_app_mail", Error),
            (2, "permission.unscoped_app_mail", Error),
        ],
    ),
    (
        "unscoped app mail in a delegated registration",
        Del,
        false,
        &[(None, "Mail.Send", Application)],
        &[
            (0, "permission.app_role_in_delegated", Warning),
            (0, "permission.unscoped_app_mail", Error),
        ],
    ),
    (
        "scoped app mail outranks privileged",
        App,
        true,
        &[
            (None, "Calendars.Read", Application),
            (None, "Mail.Send", Application),
        ],
        &[
            (0, "permission.scoped_app_mail", Warning),
            (1, "permission.scoped_app_mail", Warning),
        ],
    ),
    (
        "full_access_as_app before the EWS cut-off",
        App,
        false,
        &[(None, "full_access_as_app", Application)],
        &[(0, "permission.ews_retired", Warning)],
    ),
    (
        "EWS.AccessAsUser.All on either resource",
        Del,
        false,
        &[
            (None, "EWS.AccessAsUser.All", Delegated),
            (Some("exchange"), "EWS.AccessAsUser.All", Delegated),
        ],
        &[
            (0, "permission.ews_retired", Warning),
            (1, "permission.ews_retired", Warning),
        ],
    ),
    (
        "named privileged permissions",
        App,
        false,
        &[
            (None, "Directory.ReadWrite.All", Application),
            (None, "Application.ReadWrite.OwnedBy", Application),
            (None, "Exchange.ManageAsApp", Application),
            (None, "Mailbox.Migration", Application),
        ],
        &[
            (0, "permission.privileged", Error),
            (1, "permission.privileged", Error),
            (2, "permission.privileged", Error),
            (3, "permission.privileged", Error),
        ],
    ),
    (
        "privilege level 4",
        App,
        false,
        &[(None, "Sites.Read.All", Application)],
        &[(0, "permission.privileged", Error)],
    ),
    (
        "privileged delegated also needs admin consent",
        Del,
        false,
        &[(None, "Directory.ReadWrite.All", Delegated)],
        &[
            (0, "permission.privileged", Error),
            (0, "permission.admin_consent", Warning),
        ],
    ),
    (
        "Exchange delegated management",
        Del,
        false,
        &[(None, "Exchange.Manage", Delegated)],
        &[(0, "permission.privileged", Error)],
    ),
    (
        "Exchange data permissions",
        Del,
        false,
        &[
            (Some("exchange"), "Mail.Read", Delegated),
            (None, "Mail.Read.All", Delegated),
        ],
        &[
            (0, "permission.outlook_rest_retired", Error),
            (1, "permission.outlook_rest_retired", Error),
        ],
    ),
    (
        "Exchange-only data role resolves to Exchange",
        App,
        false,
        &[(None, "Tasks.Read", Application)],
        &[(0, "permission.outlook_rest_retired", Error)],
    ),
    (
        "tenant-wide directory read",
        App,
        false,
        &[
            (None, "User.Read.All", Application),
            (None, "GroupMember.Read.All", Application),
        ],
        &[
            (0, "permission.tenant_wide_directory_read", Warning),
            (1, "permission.tenant_wide_directory_read", Warning),
        ],
    ),
    (
        "admin consent delegated",
        Del,
        false,
        &[(None, "Directory.Read.All", Delegated)],
        &[(0, "permission.admin_consent", Warning)],
    ),
    (
        "admin consent unknown raises nothing",
        Del,
        false,
        &[(Some("exchange"), "SMTP.Send", Delegated)],
        &[],
    ),
    (
        "app-only protocol roles accepted",
        App,
        false,
        &[
            (None, "IMAP.AccessAsApp", Application),
            (None, "POP.AccessAsApp", Application),
            (Some("exchange"), "SMTP.SendAsApp", Application),
        ],
        &[],
    ),
    (
        "user-consentable mail and OIDC scopes accepted",
        Del,
        false,
        &[
            (None, "Mail.Send", Delegated),
            (None, "openid", Delegated),
            (None, "profile", Delegated),
            (None, "offline_access", Delegated),
            (Some("graph"), "SMTP.Send", Delegated),
            (Some("exchange"), "POP.AccessAsUser.All", Delegated),
        ],
        &[],
    ),
    (
        "Graph Calendars.Read.All is work hours, not mailbox data",
        App,
        false,
        &[(None, "Calendars.Read.All", Application)],
        &[],
    ),
    (
        "Exchange Calendars.Read.All is the retired mailbox role",
        App,
        false,
        &[(Some("exchange"), "Calendars.Read.All", Application)],
        &[(0, "permission.outlook_rest_retired", Error)],
    ),
    ("empty list", App, false, &[], &[]),
    (
        "blank value",
        Del,
        false,
        &[(None, "  ", Delegated)],
        &[(0, "permission.value_required", Error)],
    ),
    (
        "blank resource counts as left out",
        Del,
        false,
        &[(Some(""), "User.Read", Delegated)],
        &[],
    ),
];

#[test]
fn raises_exactly_the_rules_each_row_breaks() {
    for &(name, access, group, permissions, expected) in TABLE {
        let mut r = request(access, permissions);
        if group {
            r = scoped(r);
        }
        let expected: Vec<_> = expected
            .iter()
            .map(|&(i, code, sev)| at(i, code, sev))
            .collect();
        assert_eq!(codes(&r), expected, "{name}");
    }
}

#[test]
fn ews_is_an_error_from_first_october_2026_inclusive() {
    let r = request(App, &[(None, "full_access_as_app", Application)]);
    for (now, severity) in [
        (datetime!(2026-09-30 23:59:59 UTC), Warning),
        (datetime!(2026-10-01 0:00 UTC), Error),
        (datetime!(2026-10-01 1:00 +01:00), Error),
        (datetime!(2027-05-01 0:00 UTC), Error),
    ] {
        let (findings, rra) = run(&r, now);
        assert_eq!(findings.len(), 1, "{now}");
        assert_eq!(
            (
                findings[0].path.as_str(),
                findings[0].code.code(),
                findings[0].severity
            ),
            ("permissions[0]", "permission.ews_retired", severity),
            "{now}"
        );
        assert!(findings[0].message.contains("1 April 2027"));
        assert_eq!(rra.is_empty(), severity == Error, "{now}");
    }
}

#[test]
fn suggests_the_published_spelling() {
    for (typed, suggestion) in [
        ("Mail.Sendd", "'Mail.Send'"),
        ("mail.send", "'Mail.Send'"),
        ("User.read", "'User.Read'"),
    ] {
        let (findings, _) = run(&request(Del, &[(None, typed, Delegated)]), NOW);
        assert_eq!(findings[0].code.code(), "permission.unknown");
        assert!(
            findings[0].hint.contains(suggestion),
            "{typed}: {}",
            findings[0].hint
        );
    }
}

#[test]
fn wrong_type_hints_name_the_other_form() {
    let cases = [
        ((None, "SMTP.Send", Application), "SMTP.SendAsApp"),
        (
            (None, "IMAP.AccessAsApp", Delegated),
            "https://outlook.office.com/IMAP.AccessAsUser.All",
        ),
        ((None, "offline_access", Application), "Remove it"),
    ];
    for (permission, expected) in cases {
        let (findings, _) = run(&request(Del, &[permission]), NOW);
        assert!(findings[0].hint.contains(expected), "{}", findings[0].hint);
    }
}

#[test]
fn over_long_values_and_lists_get_one_error_each() {
    let long = "M".repeat(MAX_PERMISSION_VALUE_CHARS + 1);
    let mut r = request(Del, &[(None, &long, Delegated)]);
    assert_eq!(codes(&r), vec![at(0, "permission.too_long", Error)]);
    r = request(Del, &[(None, "Mail.Sendd", Delegated)]);
    let one = r.permissions[0].clone();
    r.permissions = vec![one; MAX_PERMISSIONS + 5];
    let found = codes(&r);
    assert_eq!(
        found[0],
        ("permissions".to_string(), "permission.too_many", Error)
    );
    assert_eq!(found.len(), 1 + MAX_PERMISSIONS);
    assert!(
        found
            .iter()
            .all(|(path, ..)| path != &format!("permissions[{MAX_PERMISSIONS}]"))
    );
}

#[test]
fn builds_required_resource_access_for_the_contract_example() {
    let r = request(
        Del,
        &[
            (None, "IMAP.AccessAsUser.All", Delegated),
            (None, "User.Read", Delegated),
            (None, "offline_access", Delegated),
            (Some("exchange"), "IMAP.AccessAsApp", Application),
        ],
    );
    let (findings, rra) = run(&r, NOW);
    assert_eq!(
        findings
            .iter()
            .map(|f| (f.path.as_str(), f.code.code()))
            .collect::<Vec<_>>(),
        [("permissions[3]", "permission.app_role_in_delegated")]
    );
    let json = serde_json::to_value(&rra).unwrap();
    assert_eq!(
        json,
        serde_json::json!([
            { "resourceAppId": "00000003-0000-0000-c000-000000000000", "resourceAccess": [
                { "id": "652390e4-393a-48de-9484-05f9b1212954", "type": "Scope" },
                { "id": "e1fe6dd8-ba31-4d61-89e7-88639da4683d", "type": "Scope" },
                { "id": "7427e0e9-2fba-42fe-b0c0-848c9e6a8182", "type": "Scope" }
            ]},
            { "resourceAppId": "00000002-0000-0ff1-ce00-000000000000", "resourceAccess": [
                { "id": "5e5addcd-3e8d-4e90-baf5-964efab2b20a", "type": "Role" }
            ]}
        ])
    );
}

#[test]
fn required_resource_access_leaves_out_errors_and_duplicates_and_keeps_request_order() {
    let r = scoped(request(
        App,
        &[
            (Some("exchange"), "SMTP.SendAsApp", Application),
            (None, "Mail.Send", Application),
            (None, "Directory.ReadWrite.All", Application),
            (Some("graph"), "Mail.Send", Application),
            (None, "User.ReadBasic.All", Application),
        ],
    ));
    let (_, rra) = run(&r, NOW);
    let ids: Vec<Vec<&str>> = rra
        .iter()
        .map(|group| {
            group
                .resource_access
                .iter()
                .map(|a| a.id.as_str())
                .collect()
        })
        .collect();
    assert_eq!(
        rra[0].resource_app_id,
        "00000003-0000-0000-c000-000000000000"
    );
    assert_eq!(
        ids,
        [
            vec![
                "b633e1c5-b582-4048-a93e-9f11b44c7e96",
                "97235f07-e226-4f63-ace3-39588e11d3a1"
            ],
            vec!["7146a1f0-8703-45b3-9eae-527a64c00995"],
        ]
    );
}

#[test]
fn risk_is_high_for_app_mail_privileged_and_tenant_wide_reads() {
    let low = request(
        Del,
        &[
            (None, "Mail.Send", Delegated),
            (Some("exchange"), "IMAP.AccessAsUser.All", Delegated),
            (Some("exchange"), "SMTP.SendAsApp", Application),
        ],
    );
    assert_eq!(risk(&low), Risk::Low);
    for permission in [
        (None, "Mail.Read", Application),
        (None, "Directory.ReadWrite.All", Delegated),
        (None, "User.Read.All", Application),
        (None, "full_access_as_app", Application),
        (None, "IMAP.AccessAsApp", Application),
        (Some("exchange"), "POP.AccessAsApp", Application),
    ] {
        assert_eq!(
            risk(&scoped(request(App, &[permission]))),
            Risk::High,
            "{permission:?}"
        );
    }
    assert_eq!(serde_json::to_string(&Risk::High).unwrap(), "\"high\"");
}

#[test]
fn only_app_only_mailbox_access_needs_a_second_approval() {
    for (permission, two) in [
        ((None, "Mail.Send", Application), true),
        ((None, "Calendars.ReadWrite", Application), true),
        ((Some("exchange"), "full_access_as_app", Application), true),
        // Exchange grants each listed mailbox in full (Add-MailboxPermission FullAccess).
        ((Some("exchange"), "IMAP.AccessAsApp", Application), true),
        ((None, "POP.AccessAsApp", Application), true),
        // High risk, but not mailbox data: one reviewer decides.
        ((None, "User.Read.All", Application), false),
        ((None, "Directory.ReadWrite.All", Delegated), false),
        ((None, "Mail.Send", Delegated), false),
        (
            (Some("exchange"), "IMAP.AccessAsUser.All", Delegated),
            false,
        ),
        // Sends as the mailboxes granted to it, but reads none: not mailbox data.
        ((Some("exchange"), "SMTP.SendAsApp", Application), false),
    ] {
        let access = if permission.2 == Application {
            App
        } else {
            Del
        };
        assert_eq!(
            needs_second_approval(&scoped(request(access, &[permission]))),
            two,
            "{permission:?}"
        );
    }
    // Unknown permissions never count (they are errors, so the request is never stored).
    assert!(!needs_second_approval(&request(
        App,
        &[(None, "Mail.Sendd", Application)]
    )));
}

#[test]
fn every_code_is_raised_by_some_test_row() {
    let mut raised: Vec<&str> = TABLE
        .iter()
        .flat_map(|row| row.4.iter().map(|e| e.1))
        .collect();
    raised.push("permission.too_long");
    raised.push("permission.too_many");
    for code in PermissionCode::ALL {
        assert!(raised.contains(&code.code()), "{} untested", code.code());
    }
}

fn resource_strategy() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some("graph".to_string())),
        Just(Some("exchange".to_string())),
        Just(Some("00000002-0000-0ff1-ce00-000000000000".to_string())),
        any::<String>().prop_map(Some),
    ]
}

fn value_strategy() -> impl Strategy<Value = String> {
    let catalogue = PermissionCatalogue::get();
    let published: Vec<String> = catalogue.iter().map(|p| p.value().to_string()).collect();
    prop_oneof![
        proptest::sample::select(published),
        any::<String>(),
        "(?i)application [a-z.]{0,20}",
        "[A-Za-z.]{0,140}",
    ]
}

proptest! {
    #[test]
    fn never_panics_and_only_emits_catalogue_ids(
        permissions in proptest::collection::vec(
            (resource_strategy(), value_strategy(), any::<bool>()), 0..12),
        application in any::<bool>(),
        group in any::<bool>(),
    ) {
        let mut r = request(if application { App } else { Del }, &[]);
        r.permissions = permissions
            .into_iter()
            .map(|(resource, value, delegated)| PermissionRequest {
                resource,
                value,
                permission_type: if delegated { Delegated } else { Application },
            })
            .collect();
        if group {
            r = scoped(r);
        }
        let (findings, rra) = run(&r, NOW);
        let _ = risk(&r);
        let catalogue = PermissionCatalogue::get();
        for finding in &findings {
            prop_assert!(finding.path.starts_with("permissions"));
        }
        for group in &rra {
            let resource = Resource::parse(&group.resource_app_id).unwrap();
            for access in &group.resource_access {
                let id = crate::catalogue::PermissionId::parse(&access.id).unwrap();
                prop_assert!(catalogue.by_id(resource, id).next().is_some());
            }
        }
    }
}

#[test]
fn the_risk_reason_agrees_with_the_risk_and_names_the_second_approval() {
    let resolved = |resource: Option<&str>, value: &str, permission_type| {
        resolve(&PermissionRequest {
            resource: resource.map(str::to_string),
            value: value.to_string(),
            permission_type,
        })
        .unwrap()
    };
    let mail_send = resolved(None, "Mail.Send", Application);
    assert_eq!(permission_risk(mail_send), Risk::High);
    assert!(risk_reason(mail_send).contains("two reviewers"));
    let full_access = resolved(Some("exchange"), "full_access_as_app", Application);
    assert!(risk_reason(full_access).contains("two reviewers"));
    for (value, protocol) in [("IMAP.AccessAsApp", "IMAP"), ("POP.AccessAsApp", "POP")] {
        let entry = resolved(None, value, Application);
        assert_eq!(entry.resource(), Resource::Exchange, "{value}");
        assert_eq!(permission_risk(entry), Risk::High, "{value}");
        let reason = risk_reason(entry);
        for words in [protocol, "full access", "no user present", "two reviewers"] {
            assert!(reason.contains(words), "{value}: {reason}");
        }
    }
    let user_read = resolved(None, "User.Read", Delegated);
    assert_eq!(permission_risk(user_read), Risk::Low);
    assert!(risk_reason(user_read).starts_with("Delegated"));
    assert!(
        risk_reason(resolved(None, "User.Read.All", Application)).contains("whole NHSmail tenant")
    );
    assert!(
        risk_reason(resolved(None, "Directory.ReadWrite.All", Application))
            .starts_with("Privileged")
    );
    // A blank resource counts as left out; an unknown one resolves to nothing.
    assert!(std::ptr::eq(
        resolved(Some(" "), "Mail.Send", Application),
        mail_send
    ));
    assert!(
        resolve(&PermissionRequest {
            resource: Some("sharepoint".into()),
            value: "Mail.Send".into(),
            permission_type: Application,
        })
        .is_none()
    );
}

#[test]
fn imap_and_pop_app_access_is_granted_per_mailbox_not_by_an_access_policy_group() {
    // Exchange grants IMAP/POP app-only access mailbox by mailbox (Add-MailboxPermission);
    // neither RBAC for Applications nor ApplicationAccessPolicy scopes these protocols.
    for value in ["IMAP.AccessAsApp", "POP.AccessAsApp"] {
        let entry = resolve(&PermissionRequest {
            resource: None,
            value: value.into(),
            permission_type: Application,
        })
        .unwrap();
        assert!(!needs_access_policy_group(entry), "{value}");
        assert!(grants_app_only_mail(entry), "{value}");
        // Unscoped, they raise no permission finding: they reach no mailbox by themselves.
        assert_eq!(
            codes(&request(App, &[(None, value, Application)])),
            vec![],
            "{value}"
        );
    }
}
