use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use proptest::prelude::*;
use serde_json::{Value, json};

use super::canonical::{es_number_to_string, to_canonical_json};
use super::exports::{entra_application, exchange_script, powershell_quote, rbac_role};
use super::*;
use crate::{
    CertificateUpload, ClientSecret, Directory, EmbeddedDirectory, OffsetDateTime,
    PermissionRequest, validate,
};

const GRAPH: &str = "00000003-0000-0000-c000-000000000000";
const EXCHANGE: &str = "00000002-0000-0ff1-ce00-000000000000";
const CERTIFICATE_PEM: &[u8] = include_bytes!("../../tests/fixtures/certificates/rsa2048.pem");
/// `openssl x509 -noout -modulus -in rsa2048.pem`.
const MODULUS_HEX: &str = "DC1F8CDD6E9499C6D7AD7F146A87F567FEECCAC83E65C9BF3C2029523A3D15C1146F68D6670A9F0B8173AF67A235DAEEE0C696B5BE1250EC9940B7D56AD4B1DB4DD2C074FDC58068C3B769399628B6F911C3F1A43EE6E5F9494A6D95B82E06F41D37CF888CAB521B45EA52BDC8969E4E3E230871CFA379487F2DC33FD28C14194B70DAA52C249277741747602DB42757EC317A8B0321486E87F52C179E7021DCA6A6E42EB6B9F4AF6C004B5228E877AE86D0164D0E386960F1117F2CCA2185353A07A42A329DD713A5A48A349D6B68C0BFC23D14E1F61BDC66B9A38F91ED872F6807C54011BF9268F4EEB4BFCBF1A7B45B399D8BFA93386F30CCD7E28DDCB3A7";
/// `openssl x509 -noout -fingerprint -sha1` of the same certificate.
const SHA1_HEX: &str = "7823C0A5D7244B3099ECD10F2700FD6BD19CD851";

// ---- RFC 8785 ----

fn canonical(json: &str) -> String {
    to_canonical_json(&serde_json::from_str(json).unwrap())
}

#[test]
#[expect(
    clippy::excessive_precision,
    reason = "the RFC's literal, digits as printed"
)]
fn canonicalises_the_rfc_8785_section_3_2_2_example() {
    let mut value: Value = serde_json::from_str(
        r#"{
        "numbers": [],
        "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
        "literals": [null, true, false]
    }"#,
    )
    .unwrap();
    // serde_json's default float parser is not correctly rounded (it reads 333333333.33333329
    // as …325); Rust's is, and canonicalisation starts from the double.
    value["numbers"] = json!([
        333333333.33333329_f64,
        1E30,
        4.50,
        2e-3,
        0.000000000000000000000000001
    ]);
    assert_eq!(
        to_canonical_json(&value),
        r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
    );
}

#[test]
fn sorts_members_by_utf16_code_units_as_rfc_8785_section_3_2_3_shows() {
    let input = r#"{
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\ud83d\ude00": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis"
    }"#;
    let values: Vec<String> = {
        let out = canonical(input);
        let reparsed: serde_json::Map<String, Value> = serde_json::from_str(&out).unwrap();
        // Read the member order from the text itself (the map would re-sort).
        let mut order: Vec<(usize, String)> = reparsed
            .iter()
            .map(|(_, v)| {
                let text = v.as_str().unwrap().to_owned();
                (out.find(&format!("\"{text}\"")).unwrap(), text)
            })
            .collect();
        order.sort();
        order.into_iter().map(|(_, text)| text).collect()
    };
    assert_eq!(
        values,
        [
            "Carriage Return",
            "One",
            "Control",
            "Latin Small Letter O With Diaeresis",
            "Euro Sign",
            "Emoji: Grinning Face",
            "Hebrew Letter Dalet With Dagesh",
        ]
    );
}

#[test]
fn a_supplementary_character_sorts_before_a_private_use_one_under_utf16() {
    // UTF-8 puts U+E000 (EE 80 80) first; UTF-16 puts U+1F600 (D83D DE00) first.
    let value = json!({ "\u{E000}": 1, "\u{1F600}": 2 });
    assert_eq!(
        to_canonical_json(&value),
        "{\"\u{1F600}\":2,\"\u{E000}\":1}"
    );
}

#[test]
fn escapes_only_quote_backslash_and_control_characters() {
    let value = json!("\u{8}\u{9}\u{a}\u{c}\u{d}\u{0}\u{1f}\u{7f}\"\\/é\u{2028}😀");
    assert_eq!(
        to_canonical_json(&value),
        "\"\\b\\t\\n\\f\\r\\u0000\\u001f\u{7f}\\\"\\\\/é\u{2028}😀\""
    );
}

#[test]
fn writes_numbers_as_ecmascript_does_for_rfc_8785_appendix_b() {
    let cases: [(u64, &str); 24] = [
        (0x0000000000000000, "0"),
        (0x8000000000000000, "0"),
        (0x0000000000000001, "5e-324"),
        (0x8000000000000001, "-5e-324"),
        (0x7fefffffffffffff, "1.7976931348623157e+308"),
        (0xffefffffffffffff, "-1.7976931348623157e+308"),
        (0x4340000000000000, "9007199254740992"),
        (0xc340000000000000, "-9007199254740992"),
        (0x4430000000000000, "295147905179352830000"),
        (0x44b52d02c7e14af5, "9.999999999999997e+22"),
        (0x44b52d02c7e14af6, "1e+23"),
        (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
        (0x444b1ae4d6e2ef4e, "999999999999999700000"),
        (0x444b1ae4d6e2ef4f, "999999999999999900000"),
        (0x444b1ae4d6e2ef50, "1e+21"),
        (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
        (0x3eb0c6f7a0b5ed8d, "0.000001"),
        (0x41b3de4355555553, "333333333.3333332"),
        (0x41b3de4355555554, "333333333.33333325"),
        (0x41b3de4355555555, "333333333.3333333"),
        (0x41b3de4355555556, "333333333.3333334"),
        (0x41b3de4355555557, "333333333.33333343"),
        (0xbecbf647612f3696, "-0.0000033333333333333333"),
        (0x43143ff3c1cb0959, "1424953923781206.2"),
    ];
    for (bits, expected) in cases {
        let x = f64::from_bits(bits);
        assert_eq!(es_number_to_string(x), expected, "{bits:016x}");
        if let Some(number) = serde_json::Number::from_f64(x) {
            assert_eq!(
                to_canonical_json(&Value::Number(number)),
                expected,
                "{bits:016x}"
            );
        }
    }
}

#[test]
fn writes_integers_exactly_up_to_2_pow_53_and_as_doubles_beyond() {
    assert_eq!(
        canonical("[0, -1, 1700000000, 9007199254740992]"),
        "[0,-1,1700000000,9007199254740992]"
    );
    // 2^53 + 1 is not a double: a JCS reader sees 2^53.
    assert_eq!(canonical("9007199254740993"), "9007199254740992");
    assert_eq!(canonical("-9007199254740993"), "-9007199254740992");
    assert_eq!(canonical("18446744073709551615"), "18446744073709552000");
    assert_eq!(
        canonical("[1.0, 100.0, 1e21, 1e-7, 0.1]"),
        "[1,100,1e+21,1e-7,0.1]"
    );
}

proptest! {
    #[test]
    fn canonical_json_reads_back_to_the_same_value(
        entries in proptest::collection::vec((any::<String>(), any::<String>(), any::<i32>()), 0..8)
    ) {
        let mut map = serde_json::Map::new();
        for (key, text, number) in &entries {
            map.insert(key.clone(), json!([text, number, null, true]));
        }
        let value = Value::Object(map);
        let text = to_canonical_json(&value);
        let reparsed: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&reparsed, &value);
        prop_assert_eq!(to_canonical_json(&reparsed), text);
    }

    #[test]
    fn exports_never_panic_on_arbitrary_claims(text in "\\PC{0,40}", number in any::<i64>()) {
        let claims = json!({
            "client_name": text, "permissions": [{"resource_app_id": GRAPH, "value": text,
            "type": "application", "id": number}], "jwks": {"keys": [{"x5c": [text]}]},
            "mailboxes": [text, number], "access_policy_group": text, "jti": text,
        });
        let _ = entra_application(&claims);
        let _ = exchange_script(&claims);
        let _ = entra_application(&Value::String(text));
    }
}

// ---- Claims ----

/// 2027-03-01T00:00:00Z: inside the fixture certificate's validity.
fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_803_859_200).unwrap()
}

fn certificate() -> CertificateUpload {
    CertificateUpload {
        file_name: "connector.cer".to_owned(),
        content_base64: STANDARD.encode(CERTIFICATE_PEM),
    }
}

/// CONTRACTS.md §1's example: delegated, with an app role, a certificate and a secret.
fn contract_example() -> RegistrationRequest {
    let mut request =
        RegistrationRequest::from_json(include_str!("../../tests/data/delegated_request.json"))
            .unwrap();
    request.permissions.push(PermissionRequest {
        resource: Some("exchange".to_owned()),
        value: "IMAP.AccessAsApp".to_owned(),
        permission_type: PermissionType::Application,
    });
    request.certificates = vec![certificate()];
    request.client_secret = Some(ClientSecret {
        lifetime_months: 12,
    });
    request.access_policy_group = Some("ward7-connector-scope@nhs.net".to_owned());
    request
}

/// App-only Graph mail, scoped to a group, with IMAP; the name has an apostrophe.
fn app_only_example() -> RegistrationRequest {
    RegistrationRequest::from_json(
        r#"{
        "ods_code": "rx1 ",
        "application": { "name": "St Mary's Ward Connector",
            "description": "Files referrals from the ward mailbox", "supplier": "Example Health Ltd" },
        "access_type": "application",
        "permissions": [
            { "value": "Mail.Send", "type": "application" },
            { "value": "Mail.Read", "type": "application" },
            { "resource": "exchange", "value": "IMAP.AccessAsApp", "type": "application" }
        ],
        "mailboxes": ["ward7.referrals@nhs.net"],
        "redirect_uris": [],
        "certificates": [ { "file_name": "c.pem", "content_base64": "" } ],
        "access_policy_group": "ward7-connector-scope@nhs.net",
        "contacts": [ { "name": "Jo Bloggs", "email": "jo.bloggs@nhs.net" } ]
    }"#,
    )
    .map(|mut request| {
        request.certificates = vec![certificate()];
        request
    })
    .unwrap()
}

fn report_for(request: &RegistrationRequest) -> ValidationReport {
    let report = validate(request, Directory::new(EmbeddedDirectory::get()), now());
    assert!(report.valid, "{:#?}", report.findings);
    report
}

fn claims_for(request: &RegistrationRequest) -> Value {
    let report = report_for(request);
    build_claims(&RecordInput {
        request,
        report: &report,
        reference: "AR-7K3M-Q9XD",
        version: 1,
        iss: "https://appreg.example.nhs.uk",
        iat: 1_803_859_200,
        submitted_by: "jo.bloggs@nhs.net",
        purpose: None,
    })
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

#[test]
fn claims_for_the_contract_example_use_rfc_7591_names() {
    let claims = claims_for(&contract_example());
    assert_eq!(claims["client_name"], "Ward Mail Connector");
    assert_eq!(
        strings(&claims["redirect_uris"]),
        ["https://connector.nuh.nhs.uk/auth/callback"]
    );
    assert_eq!(
        claims["redirect_uris_by_platform"],
        json!({ "web": ["https://connector.nuh.nhs.uk/auth/callback"], "spa": [], "public_client": [] })
    );
    assert_eq!(
        strings(&claims["grant_types"]),
        ["authorization_code", "refresh_token"]
    );
    assert_eq!(strings(&claims["response_types"]), ["code"]);
    assert_eq!(claims["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(
        claims["scope"],
        "IMAP.AccessAsUser.All User.Read offline_access"
    );
    assert_eq!(strings(&claims["contacts"]), ["jo.bloggs@nhs.net"]);
    assert_eq!(claims["ods_code"], "RX1");
    assert!(
        claims["organisation_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty())
    );
    assert_eq!(strings(&claims["mailboxes"]), ["ward7.referrals@nhs.net"]);
    assert_eq!(
        claims["access_policy_group"],
        "ward7-connector-scope@nhs.net"
    );
    assert_eq!(claims["client_secret_lifetime_months"], 12);
    assert_eq!(claims["access_type"], "delegated");
    assert_eq!(claims["validation"]["valid"], true);
    assert!(
        strings(&claims["validation"]["warnings"]).contains(&"permission.app_role_in_delegated"),
        "{}",
        claims["validation"]
    );
    // IMAP.AccessAsApp: app-only full access to the mailboxes Exchange grants it.
    assert_eq!(claims["risk"], "high");
    assert_eq!(claims["submitted_by"], "jo.bloggs@nhs.net");
    assert_eq!(claims["version"], 1);
    assert_eq!(claims["iss"], "https://appreg.example.nhs.uk");
    assert_eq!(claims["iat"], 1_803_859_200_i64);
    assert_eq!(claims["jti"], "AR-7K3M-Q9XD");
    let permissions = claims["permissions"].as_array().unwrap();
    let named: Vec<(&str, &str, &str)> = permissions
        .iter()
        .map(|p| {
            (
                p["resource"].as_str().unwrap(),
                p["value"].as_str().unwrap(),
                p["type"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("graph", "IMAP.AccessAsUser.All", "delegated"),
            ("graph", "User.Read", "delegated"),
            ("graph", "offline_access", "delegated"),
            ("exchange", "IMAP.AccessAsApp", "application"),
        ]
    );
    // User.Read's GUID on Graph, and the appIds, as the manifest spells them.
    assert_eq!(permissions[1]["id"], "e1fe6dd8-ba31-4d61-89e7-88639da4683d");
    assert_eq!(permissions[1]["resource_app_id"], GRAPH);
    assert_eq!(permissions[3]["resource_app_id"], EXCHANGE);
}

#[test]
fn a_delegated_request_without_offline_access_or_credentials_is_a_public_code_client() {
    let mut request =
        RegistrationRequest::from_json(include_str!("../../tests/data/delegated_request.json"))
            .unwrap();
    request.permissions.retain(|p| p.value != "offline_access");
    let claims = claims_for(&request);
    assert_eq!(strings(&claims["grant_types"]), ["authorization_code"]);
    assert_eq!(claims["token_endpoint_auth_method"], "none");
    assert!(claims.get("jwks").is_none());
    assert!(claims.get("client_secret_lifetime_months").is_none());
}

#[test]
fn claims_for_an_app_only_request_carry_the_certificate_as_a_jwk() {
    let request = app_only_example();
    let report = report_for(&request);
    let claims = claims_for(&request);
    assert_eq!(strings(&claims["grant_types"]), ["client_credentials"]);
    assert_eq!(claims["response_types"], json!([]));
    assert!(claims.get("scope").is_none());
    assert_eq!(claims["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(claims["ods_code"], "RX1");
    assert_eq!(claims["risk"], "high");
    let summary = &report.certificates[0];
    let keys = claims["jwks"]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    let key = &keys[0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["e"], "AQAB");
    let modulus: Vec<u8> = (0..MODULUS_HEX.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&MODULUS_HEX[i..i + 2], 16).unwrap())
        .collect();
    assert_eq!(key["n"], URL_SAFE_NO_PAD.encode(&modulus));
    assert_eq!(strings(&key["x5c"]), [summary.der_base64.as_str()]);
    assert_eq!(key["x5t"], summary.x5t.as_str());
    assert_eq!(key["x5t#S256"], summary.x5t_s256.as_str());
    let sha1: Vec<u8> = URL_SAFE_NO_PAD
        .decode(key["x5t"].as_str().unwrap())
        .unwrap();
    let sha1_hex: String = sha1.iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(sha1_hex, SHA1_HEX);
    let warnings = strings(&claims["validation"]["warnings"]);
    assert!(
        warnings.contains(&"permission.scoped_app_mail"),
        "{warnings:?}"
    );
}

#[test]
fn the_same_input_always_gives_the_same_canonical_bytes() {
    let request = app_only_example();
    let report = report_for(&request);
    let input = RecordInput {
        request: &request,
        report: &report,
        reference: "AR-7K3M-Q9XD",
        version: 2,
        iss: "https://appreg.example.nhs.uk",
        iat: 1_803_859_200,
        submitted_by: "jo.bloggs@nhs.net",
        purpose: None,
    };
    let first = canonical_payload(&input);
    let again = canonical_payload(&input);
    let revalidated = report_for(&request);
    let from_new_report = canonical_payload(&RecordInput {
        report: &revalidated,
        ..input
    });
    assert_eq!(first, again);
    assert_eq!(first, from_new_report);
    assert!(!first.contains('\n') && !first.contains("\": "), "{first}");
    assert!(first.starts_with("{\"access_policy_group\":"), "{first}");
    // The typed claims read back from the JSON they serialise to.
    let typed: RecordClaims = serde_json::from_str(&first).unwrap();
    assert_eq!(typed, RecordClaims::new(&input));
    assert_eq!(to_canonical_json(&typed.to_value()), first);
    // A new request's record has no purpose claim; a renewal's says so, and nothing else moves.
    assert!(!first.contains("\"purpose\""), "{first}");
    let renewal = canonical_payload(&RecordInput {
        purpose: Some(crate::change::Purpose::Renewal),
        ..input
    });
    assert_eq!(
        renewal.replace(",\"purpose\":\"renewal\"", ""),
        first,
        "{renewal}"
    );
}

// ---- Exports ----

#[test]
fn entra_export_lists_redirect_uris_by_platform_and_the_real_guids() {
    let mut request = contract_example();
    request.redirect_uris.push(crate::RedirectUri {
        uri: "https://connector.nuh.nhs.uk/spa".to_owned(),
        platform: Platform::Spa,
    });
    request.redirect_uris.push(crate::RedirectUri {
        uri: "http://localhost".to_owned(),
        platform: Platform::PublicClient,
    });
    let claims = claims_for(&request);
    let body = entra_application(&claims);
    assert_eq!(body["displayName"], "Ward Mail Connector");
    assert_eq!(body["signInAudience"], "AzureADMyOrg");
    assert_eq!(
        strings(&body["web"]["redirectUris"]),
        ["https://connector.nuh.nhs.uk/auth/callback"]
    );
    assert_eq!(
        strings(&body["spa"]["redirectUris"]),
        ["https://connector.nuh.nhs.uk/spa"]
    );
    assert_eq!(
        strings(&body["publicClient"]["redirectUris"]),
        ["http://localhost"]
    );
    let required = body["requiredResourceAccess"].as_array().unwrap();
    assert_eq!(required.len(), 2);
    assert_eq!(required[0]["resourceAppId"], GRAPH);
    let graph: Vec<(&str, &str)> = required[0]["resourceAccess"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["id"].as_str().unwrap(), a["type"].as_str().unwrap()))
        .collect();
    let catalogue = PermissionCatalogue::get();
    let id = |value: &str| {
        catalogue
            .find(Resource::Graph, value, PermissionType::Delegated)
            .unwrap()
            .id()
            .to_string()
    };
    assert_eq!(
        graph,
        [
            (id("IMAP.AccessAsUser.All").as_str(), "Scope"),
            ("e1fe6dd8-ba31-4d61-89e7-88639da4683d", "Scope"),
            (id("offline_access").as_str(), "Scope"),
        ]
    );
    // IMAP.AccessAsApp has no RBAC role: it stays an Entra permission.
    assert_eq!(required[1]["resourceAppId"], EXCHANGE);
    assert_eq!(required[1]["resourceAccess"][0]["type"], "Role");
    let imap = catalogue
        .find(
            Resource::Exchange,
            "IMAP.AccessAsApp",
            PermissionType::Application,
        )
        .unwrap();
    assert_eq!(
        required[1]["resourceAccess"][0]["id"],
        imap.id().to_string()
    );
}

#[test]
fn entra_export_carries_the_certificate_as_a_key_credential() {
    let request = app_only_example();
    let report = report_for(&request);
    let body = entra_application(&claims_for(&request));
    let keys = body["keyCredentials"].as_array().unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["type"], "AsymmetricX509Cert");
    assert_eq!(keys[0]["usage"], "Verify");
    assert_eq!(keys[0]["key"], report.certificates[0].der_base64.as_str());
    assert_eq!(keys[0]["displayName"], "CN=connector.example-health.co.uk");
    assert_eq!(body["displayName"], "St Mary's Ward Connector");
    assert_eq!(body["web"]["redirectUris"], json!([]));
}

#[test]
fn entra_export_leaves_out_graph_mail_roles_that_rbac_scopes() {
    let body = entra_application(&claims_for(&app_only_example()));
    let required = body["requiredResourceAccess"].as_array().unwrap();
    // Mail.Send and Mail.Read are granted by the script, scoped: no Graph entry at all.
    assert!(
        required.iter().all(|r| r["resourceAppId"] != GRAPH),
        "{required:?}"
    );
    assert_eq!(required.len(), 1);
    assert_eq!(required[0]["resourceAppId"], EXCHANGE);
    let catalogue = PermissionCatalogue::get();
    let imap = catalogue
        .find(
            Resource::Exchange,
            "IMAP.AccessAsApp",
            PermissionType::Application,
        )
        .unwrap();
    assert_eq!(
        required[0]["resourceAccess"],
        json!([{ "id": imap.id().to_string(), "type": "Role" }])
    );
}

#[test]
fn without_a_group_graph_mail_roles_stay_in_the_manifest() {
    let claims = json!({
        "client_name": "X",
        "permissions": [{ "resource_app_id": GRAPH, "resource": "graph", "value": "Mail.Send",
            "type": "application", "id": "b633e1c5-b582-4048-a93e-9f11b44c7e96" }],
    });
    let body = entra_application(&claims);
    assert_eq!(
        body["requiredResourceAccess"],
        json!([{ "resourceAppId": GRAPH, "resourceAccess": [
            { "id": "b633e1c5-b582-4048-a93e-9f11b44c7e96", "type": "Role" }] }])
    );
    let script = exchange_script(&claims);
    assert!(script.contains("Not scoped"), "{script}");
    assert!(!script.contains("New-ManagementRoleAssignment"), "{script}");
}

#[test]
fn exchange_script_assigns_rbac_roles_scoped_to_the_group() {
    let script = exchange_script(&claims_for(&app_only_example()));
    assert!(
        script.contains("$AccessPolicyGroup = 'ward7-connector-scope@nhs.net'"),
        "{script}"
    );
    assert!(
        script.contains("$DisplayName = 'St Mary''s Ward Connector'"),
        "{script}"
    );
    assert!(
        script.contains("$Mailboxes = @('ward7.referrals@nhs.net')"),
        "{script}"
    );
    assert!(
        script.contains("$ScopeName = 'appreg AR-7K3M-Q9XD'"),
        "{script}"
    );
    assert!(script.contains("$AppId = '<application (client) ID>'"));
    assert!(script.contains(
        "New-ServicePrincipal -AppId $AppId -ObjectId $ServicePrincipalObjectId -DisplayName $DisplayName"
    ));
    assert!(
        script.contains("New-ManagementScope -Name $ScopeName -RecipientRestrictionFilter $Filter")
    );
    assert!(script.contains("\"MemberOfGroup -eq '{0}'\""));
    for role in ["Application Mail.Send", "Application Mail.Read"] {
        assert!(
            script.contains(&format!(
                "New-ManagementRoleAssignment -App $ServicePrincipalObjectId -Role '{role}' -CustomResourceScope $ScopeName"
            )),
            "{role}\n{script}"
        );
    }
    assert!(script.contains(
        "Test-ServicePrincipalAuthorization -Identity $ServicePrincipalObjectId -Resource $Mailbox"
    ));
    assert!(script.contains(
        "Add-MailboxPermission -Identity $Mailbox -User $ServicePrincipalObjectId -AccessRights FullAccess"
    ));
    assert!(script.contains("# New-ApplicationAccessPolicy -AppId $AppId -PolicyScopeGroupId $AccessPolicyGroup -AccessRight RestrictAccess"));
    assert!(script.contains("# foreach ($Mailbox in $Mailboxes) { Test-ApplicationAccessPolicy"));
    assert!(script.contains("Generated: RBAC for Applications"));
    // The legacy policy is only ever commented out.
    for line in script
        .lines()
        .filter(|l| l.contains("ApplicationAccessPolicy -"))
    {
        assert!(line.starts_with('#'), "{line}");
    }
}

#[test]
fn exchange_script_says_there_is_nothing_to_grant_without_app_only_mail() {
    let mut request =
        RegistrationRequest::from_json(include_str!("../../tests/data/delegated_request.json"))
            .unwrap();
    request.redirect_uris[0].uri = "https://connector.nuh.nhs.uk/auth/callback".to_owned();
    let script = exchange_script(&claims_for(&request));
    assert!(script.contains("Nothing to grant"), "{script}");
    assert!(!script.contains("New-ServicePrincipal"), "{script}");
    assert!(!script.contains("Add-MailboxPermission"), "{script}");
}

#[test]
fn exchange_script_quotes_every_value_and_keeps_values_out_of_comment_lines() {
    let claims = json!({
        "jti": "AR-1\nRemove-Mailbox x",
        "client_name": "O\u{2019}Brien's\r\nInvoke-Evil",
        "access_policy_group": "g'@nhs.net",
        "mailboxes": ["a'b@nhs.net"],
        "permissions": [{ "resource_app_id": GRAPH, "value": "Mail.Read", "type": "application",
            "id": "810c84a8-4a9e-49e6-bf7d-12d183f40d01" }],
    });
    let script = exchange_script(&claims);
    assert!(
        script.contains("$AccessPolicyGroup = 'g''@nhs.net'"),
        "{script}"
    );
    assert!(
        script.contains("$Mailboxes = @('a''b@nhs.net')"),
        "{script}"
    );
    assert!(
        script.contains("$DisplayName = 'O\u{2019}\u{2019}Brien''s\r\nInvoke-Evil'"),
        "{script}"
    );
    // No line starts with the injected command outside a quoted string or a comment.
    assert!(
        !script.lines().any(|l| l.starts_with("Remove-Mailbox")),
        "{script}"
    );
    let header = script.lines().nth(1).unwrap();
    assert!(
        header.starts_with("# Generated by appreg from record AR-1 Remove-Mailbox x"),
        "{header}"
    );
}

#[test]
fn powershell_quote_doubles_every_kind_of_single_quote() {
    assert_eq!(powershell_quote("St Mary's"), "'St Mary''s'");
    assert_eq!(
        powershell_quote("a\u{2018}b\u{201B}"),
        "'a\u{2018}\u{2018}b\u{201B}\u{201B}'"
    );
    assert_eq!(powershell_quote(""), "''");
}

#[test]
fn maps_graph_mail_permissions_to_their_rbac_role_names() {
    assert_eq!(rbac_role(GRAPH, "Mail.Send"), Some("Application Mail.Send"));
    assert_eq!(
        rbac_role("graph", "MailboxItem.Read.All"),
        Some("Application MailboxItem.Read")
    );
    assert_eq!(
        rbac_role(EXCHANGE, "full_access_as_app"),
        Some("Application EWS.AccessAsApp")
    );
    assert_eq!(rbac_role(EXCHANGE, "IMAP.AccessAsApp"), None);
    assert_eq!(rbac_role(EXCHANGE, "Mail.Send"), None);
    // Of the Graph permissions the validator wants scoped, only Mail.ReadBasic.All has no
    // RBAC for Applications role (Microsoft's role covers Mail.ReadBasic only).
    let without_role: Vec<&str> = PermissionCatalogue::get()
        .on(Resource::Graph)
        .iter()
        .filter(|entry| permission::needs_access_policy_group(entry))
        .filter(|entry| rbac_role(GRAPH, entry.value()).is_none())
        .map(super::super::catalogue::Permission::value)
        .collect();
    assert_eq!(without_role, ["Mail.ReadBasic.All"]);
}

#[test]
fn a_scoped_mail_permission_without_an_rbac_role_gets_the_legacy_policy_and_stays_in_entra() {
    let claims = json!({
        "client_name": "X", "jti": "AR-1", "access_policy_group": "g@nhs.net",
        "mailboxes": ["ward7.referrals@nhs.net"],
        "permissions": [
            { "resource_app_id": GRAPH, "value": "Mail.ReadBasic.All", "type": "application",
              "id": "693c5e45-0940-467d-9b8a-1022fb9d42ef" },
            { "resource_app_id": GRAPH, "value": "Mail.Send", "type": "application",
              "id": "b633e1c5-b582-4048-a93e-9f11b44c7e96" }],
    });
    let body = entra_application(&claims);
    assert_eq!(
        body["requiredResourceAccess"],
        json!([{ "resourceAppId": GRAPH, "resourceAccess": [
            { "id": "693c5e45-0940-467d-9b8a-1022fb9d42ef", "type": "Role" }] }])
    );
    let script = exchange_script(&claims);
    assert!(script.contains("-Role 'Application Mail.Send'"), "{script}");
    assert!(
        script.lines().any(|l| l.starts_with(
            "New-ApplicationAccessPolicy -AppId $AppId -PolicyScopeGroupId $AccessPolicyGroup -AccessRight RestrictAccess"
        )),
        "{script}"
    );
    assert!(script.contains(
        "Also generated: the legacy ApplicationAccessPolicy, for Mail.ReadBasic.All only"
    ));
}

#[test]
fn exports_say_which_decisions_approved_them_and_a_preview_says_not_approved() {
    use super::exports::{Approval, entra_application_with, exchange_script_with};
    let claims = claims_for(&app_only_example());
    let reference = claims["jti"].as_str().unwrap().to_owned();
    let approved = Approval::Approved {
        decisions: vec![
            format!("{reference}/v1/decision/1"),
            format!("{reference}/v1/decision/2"),
        ],
    };
    let statement = format!(
        "appreg {reference} version 1, approved by decisions {reference}/v1/decision/1, {reference}/v1/decision/2."
    );
    let body = entra_application_with(&claims, &approved);
    assert_eq!(body["notes"], statement.as_str());
    // Everything else is the plain export's.
    let mut without = body.clone();
    without.as_object_mut().unwrap().remove("notes");
    assert_eq!(without, entra_application(&claims));

    let script = exchange_script_with(&claims, &approved);
    let plain = exchange_script(&claims);
    let mut lines = script.lines();
    assert_eq!(lines.next(), plain.lines().next());
    assert_eq!(lines.next(), plain.lines().nth(1));
    assert_eq!(lines.next(), Some(format!("# {statement}").as_str()));
    assert_eq!(script.replace(&format!("# {statement}\n"), ""), plain);

    let preview = Approval::Preview {
        status: "Submitted".to_owned(),
    };
    let notes = entra_application_with(&claims, &preview)["notes"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(notes.starts_with("NOT APPROVED"), "{notes}");
    assert!(notes.contains("(status: Submitted)"), "{notes}");
    let script = exchange_script_with(&claims, &preview);
    let first_command = script
        .lines()
        .find(|line| !line.starts_with('#') && !line.trim().is_empty())
        .unwrap();
    assert!(first_command.starts_with("throw 'NOT APPROVED"), "{script}");
}

#[test]
fn an_approval_statement_cannot_break_out_of_its_comment_line() {
    use super::exports::{Approval, exchange_script_with};
    let claims = claims_for(&app_only_example());
    let sneaky = Approval::Preview {
        status: "x\nRemove-Mailbox -Identity everyone".to_owned(),
    };
    let script = exchange_script_with(&claims, &sneaky);
    assert!(
        !script
            .lines()
            .any(|line| line.starts_with("Remove-Mailbox")),
        "{script}"
    );
}
