use super::*;
use crate::Severity;
use proptest::prelude::*;

const ENTRA: &str =
    "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/oauth2/v2.0/token";

/// What `validate` finds about a request's token endpoint URIs: their number, then each.
fn findings(uris: &[&str]) -> Vec<Finding> {
    let mut request =
        RegistrationRequest::from_json(include_str!("../../../tests/data/delegated_request.json"))
            .unwrap();
    request.token_endpoint_uris = uris.iter().map(ToString::to_string).collect();
    let mut out = Vec::new();
    check_count(&request, &mut out);
    check(
        &request.token_endpoint_uris,
        AccessType::Delegated,
        crate::implementation::NHSMAIL_TENANT_ID,
        &mut out,
    );
    out
}

fn codes(uris: &[&str]) -> Vec<(String, &'static str)> {
    findings(uris)
        .into_iter()
        .map(|f| (f.path, f.code.code()))
        .collect()
}

#[test]
fn token_endpoint_rules_raise_exactly_their_codes() {
    let over_256 = format!("{ENTRA}?{}", "x".repeat(256));
    let cases: Vec<(&str, &[&str])> = vec![
        (ENTRA, &[]),
        (
            "https://login.microsoftonline.com/nhs.net/oauth2/v2.0/token",
            &[],
        ),
        (
            "https://login.microsoftonline.com/37C354B2-85B0-47F5-B222-07B48D774EE3/oauth2/v2.0/token",
            &[],
        ),
        // NHSmail's tenant, and its v2.0 token endpoint, in the form Microsoft publishes.
        (
            "https://LOGIN.microsoftonline.com/organizations/oauth2/v2.0/token",
            &[
                "token_endpoint.multi_tenant",
                "token_endpoint.not_normal_form",
            ],
        ),
        (
            "https://login.microsoftonline.com:443/nhs.net/oauth2/token",
            &[
                "token_endpoint.not_normal_form",
                "token_endpoint.v1_endpoint",
            ],
        ),
        (
            "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/oauth2/v2.0/token/",
            &["token_endpoint.not_normal_form"],
        ),
        (
            "https://login.microsoftonline.com/nhs.net%2Foauth2/v2.0/token",
            &["token_endpoint.not_normal_form"],
        ),
        (
            "https://login.microsoftonline.com/common/oauth2/v2.0/token",
            &["token_endpoint.multi_tenant"],
        ),
        (
            "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token",
            &["token_endpoint.other_tenant"],
        ),
        (
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token",
            &["token_endpoint.other_tenant"],
        ),
        (
            "https://login.microsoftonline.com/nhs.net/oauth2/v2.0/authorize",
            &["token_endpoint.not_token_endpoint"],
        ),
        (
            "https://login.microsoftonline.com/nhs.net/oauth2/v2.0/devicecode",
            &["token_endpoint.not_token_endpoint"],
        ),
        (
            "https://login.microsoftonline.com/",
            &["token_endpoint.not_token_endpoint"],
        ),
        (
            "https://login.windows.net/nhs.net/oauth2/v2.0/token",
            &["token_endpoint.legacy_host"],
        ),
        (
            "https://sts.windows.net/common/oauth2/token",
            &[
                "token_endpoint.legacy_host",
                "token_endpoint.multi_tenant",
                "token_endpoint.v1_endpoint",
            ],
        ),
        (
            "https://login.partner.microsoftonline.cn/nhs.net/oauth2/v2.0/token",
            &["token_endpoint.sovereign_cloud"],
        ),
        // https only, no loopback exception.
        (
            "http://login.microsoftonline.com/x/oauth2/v2.0/token",
            &["token_endpoint.not_https"],
        ),
        (
            "http://127.0.0.1/token",
            &["token_endpoint.not_https", "token_endpoint.not_microsoft"],
        ),
        (
            "http://localhost:8080/token",
            &["token_endpoint.not_https", "token_endpoint.not_microsoft"],
        ),
        (
            "ftp://login.microsoftonline.com/token",
            &["token_endpoint.not_https"],
        ),
        (
            "javascript:alert(1)",
            &["token_endpoint.not_https", "token_endpoint.entra_character"],
        ),
        // Warning for any other host.
        (
            "https://idp.example.com/oauth2/token",
            &["token_endpoint.not_microsoft"],
        ),
        (
            "https://login.microsoftonline.com.evil.example/token",
            &["token_endpoint.not_microsoft"],
        ),
        (
            "https://login.microsoftonline.us/x/oauth2/v2.0/token",
            &["token_endpoint.sovereign_cloud"],
        ),
        // No userinfo or fragment.
        (
            "https://client:secret@login.microsoftonline.com/x/token",
            &["token_endpoint.userinfo"],
        ),
        (
            "https://login.microsoftonline.com/x/token#",
            &["token_endpoint.fragment"],
        ),
        // The redirect URIs' syntax rules.
        ("", &["token_endpoint.not_absolute"]),
        (
            "login.microsoftonline.com/x/token",
            &["token_endpoint.not_absolute"],
        ),
        ("https:", &["token_endpoint.not_absolute"]),
        (
            "https:/login.microsoftonline.com/x",
            &["token_endpoint.missing_host"],
        ),
        ("https:///x", &["token_endpoint.missing_host"]),
        (
            " https://login.microsoftonline.com/x/token",
            &[
                "token_endpoint.not_absolute",
                "token_endpoint.invalid_character",
            ],
        ),
        (
            "https://login.microsoftonline.com/x/token\n",
            &["token_endpoint.invalid_character"],
        ),
        (
            "https://login.microsoftonline.com/x/token*",
            &["token_endpoint.wildcard"],
        ),
        (
            "https://login.microsoftonline.com/x/token;",
            &["token_endpoint.entra_character"],
        ),
        (
            "https://l\u{43e}gin.microsoftonline.com/x/token",
            &["token_endpoint.non_ascii", "token_endpoint.not_microsoft"],
        ),
        (
            "https://xn--lgin-microsoftonline-3nc.com/x/token",
            &["token_endpoint.punycode", "token_endpoint.not_microsoft"],
        ),
        (
            "https://login.microsoftonline.com/x/token?a=%zz",
            &["token_endpoint.percent_encoding"],
        ),
        (
            "https://login.microsoftonline.com/x/token%0d%0a",
            &["token_endpoint.encoded_control"],
        ),
        (
            "https://login.microsoftonline.com/x/../token",
            &["token_endpoint.dot_segment"],
        ),
        (
            "https://login.microsoftonline.com./x/token",
            &["token_endpoint.host"],
        ),
        ("https://127.1/token", &["token_endpoint.host"]),
        (
            "https://login.microsoftonline.com:99999/x/token",
            &["token_endpoint.port"],
        ),
        (
            "https://login.microsoftonline.com/<tenant-id>/oauth2/v2.0/token",
            &["token_endpoint.template"],
        ),
        (
            "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token",
            &["token_endpoint.template"],
        ),
        (&over_256, &["token_endpoint.too_long"]),
    ];
    let mut failures = Vec::new();
    for (uri, expected) in cases {
        let mut expected = expected.to_vec();
        expected.sort_unstable();
        let mut found: Vec<&str> = codes(&[uri])
            .into_iter()
            .map(|(path, code)| {
                assert_eq!(path, "token_endpoint_uris[0]", "{uri:?}");
                code
            })
            .collect();
        found.sort_unstable();
        if found != expected {
            failures.push(format!("{uri:?}: expected {expected:?}, found {found:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_token_endpoint_code_has_its_severity() {
    for code in TokenEndpointCode::ALL {
        let expected = if matches!(
            *code,
            TokenEndpointCode::NotMicrosoft
                | TokenEndpointCode::LegacyHost
                | TokenEndpointCode::V1Endpoint
                | TokenEndpointCode::NotNormalForm
                | TokenEndpointCode::MultiTenant
        ) {
            Severity::Warning
        } else {
            Severity::Error
        };
        assert_eq!(code.default_severity(), expected, "{}", code.code());
    }
}

#[test]
fn a_multi_tenant_endpoint_is_an_error_for_app_only_access_and_the_tenant_is_the_desks() {
    let common = vec!["https://login.microsoftonline.com/common/oauth2/v2.0/token".to_string()];
    let mut out = Vec::new();
    check(
        &common,
        AccessType::Application,
        crate::implementation::NHSMAIL_TENANT_ID,
        &mut out,
    );
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].code.code(), "token_endpoint.multi_tenant_app_only");
    assert_eq!(out[0].severity, Severity::Error);
    assert_eq!(
        out[0].hint,
        "Use https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/oauth2/v2.0/token."
    );

    // A desk configured with another tenant (a test tenant, say) expects that one's GUID.
    let test_tenant = "0a1b2c3d-0000-4000-8000-000000000001";
    let mut out = Vec::new();
    check(
        &[ENTRA.to_string(), token_endpoint(test_tenant)],
        AccessType::Delegated,
        test_tenant,
        &mut out,
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(out[0].path, "token_endpoint_uris[0]");
    assert_eq!(out[0].code.code(), "token_endpoint.other_tenant");
}

#[test]
fn rejects_too_many_token_endpoints_and_examines_only_the_first() {
    let mut uris = vec![ENTRA; MAX_TOKEN_ENDPOINT_URIS];
    uris.push("http://not-examined");
    assert_eq!(
        codes(&uris),
        vec![("token_endpoint_uris".to_string(), "token_endpoint.too_many")]
    );
}

#[test]
fn reports_each_entry_at_its_own_path() {
    assert_eq!(
        codes(&[ENTRA, "https://login.microsoftonline.com/x/token#x"]),
        vec![(
            "token_endpoint_uris[1]".to_string(),
            "token_endpoint.fragment"
        )]
    );
}

proptest! {
    #[test]
    fn arbitrary_strings_never_panic(uri in any::<String>()) {
        let _ = findings(&[uri.as_str()]);
    }

    #[test]
    fn an_accepted_token_endpoint_stays_accepted(
        host in prop_oneof![Just("login.microsoftonline.com".to_string()), "[a-z]{1,8}\\.[a-z]{2,5}"],
        path in "(/[a-zA-Z0-9._-]{1,12}){0,4}",
    ) {
        let uri = format!("https://{host}{path}");
        let alone = findings(&[uri.as_str()]);
        prop_assume!(!alone.iter().any(|f| f.severity == Severity::Error));
        prop_assert_eq!(&findings(&[uri.as_str()]), &alone);
        let in_list: Vec<Finding> = findings(&[ENTRA, uri.as_str()])
            .into_iter()
            .map(|mut f| { f.path = f.path.replace("[1]", "[0]"); f })
            .collect();
        prop_assert_eq!(&in_list, &alone);
    }
}
