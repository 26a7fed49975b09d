//! Whole-request properties of `validate`: whatever a caller sends, the validator answers with a
//! well-formed, deterministic report, and the request survives its own JSON round trip.
//!
//! Requests are built from arbitrary text (Unicode included), list lengths up to a little over
//! the limits in `limits.rs`, every access type, platform and permission type, random file bytes
//! and now and then a real fixture certificate. Half of them start from a valid request with one
//! field replaced, so that accepted values and the `valid == true` path are exercised too.

use base64::Engine as _;
use proptest::prelude::*;
use registration::limits::{
    MAX_CERTIFICATE_BYTES, MAX_CERTIFICATES, MAX_CONTACTS, MAX_MAILBOXES, MAX_PERMISSIONS,
    MAX_REDIRECT_URIS, MAX_TOKEN_ENDPOINT_URIS,
};
use registration::{
    AccessType, Application, CertificateUpload, ClientSecret, Contact, Directory,
    EmbeddedDirectory, FindingCode, OffsetDateTime, PermissionRequest, PermissionType, Platform,
    RedirectUri, RegistrationRequest, Severity, ValidationReport,
};

/// 2027-03-01T00:00:00Z: inside the validity of the fixture certificates used below.
fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_803_859_200).expect("a valid timestamp")
}

/// 96 cases keep the debug-build suite fast; `PROPTEST_CASES=5000` searches harder.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(96)
}

fn validate(request: &RegistrationRequest) -> ValidationReport {
    registration::validate(request, Directory::new(EmbeddedDirectory::get()), now())
}

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("fixtures/certificates/", $name)).as_slice()
    };
}

/// Real uploads: accepted, warned and refused ones.
const FIXTURES: &[&[u8]] = &[
    fixture!("rsa2048.pem"),
    fixture!("rsa2048.der"),
    fixture!("rsa2048.b64"),
    fixture!("chain.pem"),
    fixture!("ca.pem"),
    fixture!("combined.pem"),
    fixture!("truncated.pem"),
    fixture!("ec_p256.pem"),
];

fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A request with no error: the starting point that one arbitrary field then replaces.
fn valid_request() -> RegistrationRequest {
    RegistrationRequest {
        ods_code: "RX1".to_owned(),
        application: Application {
            name: "Ward Mail Connector".to_owned(),
            description: "Reads the ward's shared mailbox and files referrals".to_owned(),
            supplier: "Example Health Ltd".to_owned(),
        },
        access_type: AccessType::Delegated,
        permissions: vec![PermissionRequest {
            resource: None,
            value: "IMAP.AccessAsUser.All".to_owned(),
            permission_type: PermissionType::Delegated,
        }],
        mailboxes: vec!["ward7.referrals@nhs.net".to_owned()],
        redirect_uris: vec![RedirectUri {
            uri: "https://connector.nuh.nhs.uk/auth/callback".to_owned(),
            platform: Platform::Web,
        }],
        token_endpoint_uris: Vec::new(),
        certificates: vec![CertificateUpload {
            file_name: "connector.cer".to_owned(),
            content_base64: base64(fixture!("rsa2048.pem")),
        }],
        client_secret: None,
        access_policy_group: None,
        contacts: vec![Contact {
            name: "Jo Bloggs".to_owned(),
            email: "jo.bloggs@nhs.net".to_owned(),
        }],
    }
}

/// Free text: anything Unicode, printable ASCII, or long enough to cross a length limit.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        4 => proptest::collection::vec(any::<char>(), 0..24).prop_map(String::from_iter),
        4 => "[ -~]{0,24}",
        1 => ("[ -~\u{a0}-\u{3ff}\u{200b}\u{202e}\u{feff}]", max.saturating_sub(2)..max + 3)
            .prop_map(|(c, n)| c.repeat(n)),
    ]
}

/// A list of `element` with a length mostly small, sometimes just under, at or over `limit`.
fn list<T: std::fmt::Debug + Clone + 'static>(
    element: impl Strategy<Value = T> + 'static,
    limit: usize,
) -> impl Strategy<Value = Vec<T>> {
    let element = element.boxed();
    prop_oneof![
        8 => proptest::collection::vec(element.clone(), 0..5),
        1 => (element, limit - 1..limit + 3).prop_map(|(one, n)| vec![one; n]),
    ]
}

fn ods_code() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "RX1", "rx1", " RJ1\u{a0}", "A81001", "K81003001", "RX1RA", "QH8", "Y56", "U59980",
            "RA4", "16C", "G6V2S", "JER001", "A8100I", "12345678", "", "   ", "R X1", "ХX1",
            "\u{661}\u{662}\u{663}",
        ])
        .prop_map(str::to_owned),
        2 => text(registration::limits::MAX_ODS_CODE_CHARS),
    ]
}

fn email() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "ward7.referrals@nhs.net", "WARD7.Referrals@NHS.NET", "connector.app@nhs.net",
            "demo.person.rx1@nhs.net", "demo.site.rx1ra@nhs.net", "demo.outpatients.rj1@nhs.net",
            "demo.appointments.ra4@nhs.net", "pharmacy.fvr79@nhs.net", "pharmacy.abc12@nhs.net",
            "someone@nhs.uk", "Jo <jo@nhs.net>", " jo@nhs.net", "jo@@nhs.net", "", "@", "a@b",
            "unknown.box@nhs.net",
        ])
        .prop_map(str::to_owned),
        2 => text(registration::limits::MAX_EMAIL_CHARS),
        1 => "[a-z0-9.]{1,12}@[a-z.]{1,12}",
    ]
}

fn uri() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "https://connector.nuh.nhs.uk/auth/callback", "https://connector.nuh.nhs.uk/auth/callback/",
            "https://Connector.nuh.nhs.uk/Auth/Callback", "http://127.0.0.1/cb", "http://127.0.0.1:8080/cb",
            "http://localhost:3000", "https://example.com/cb?x=1", "msauth.com.example.app://auth",
            "msal00000000-0000-0000-0000-000000000000://auth", "brk-multihub://connector.nhs.uk",
            "urn:ietf:wg:oauth:2.0:oob", "https://login.microsoftonline.com/common/oauth2/nativeclient",
            "HTTP://LOCALHOST/a/../b%2e?code=1#x", "https://[::1]:443/?next=https%3A%2F%2Fevil.example",
            "javascript:alert(1)", "com.example.app:/cb", "https://x/%zz", "https://nhs.uk.evil.example/",
            "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/oauth2/v2.0/token",
        ])
        .prop_map(str::to_owned),
        2 => "(https?|HTTPS|msal|brk-multihub|[a-z]{1,8})://[ -~]{0,40}",
        2 => text(registration::limits::MAX_URI_CHARS),
    ]
}

fn platform() -> impl Strategy<Value = Platform> {
    prop::sample::select(vec![Platform::Web, Platform::Spa, Platform::PublicClient])
}

fn permission() -> impl Strategy<Value = PermissionRequest> {
    let value = prop_oneof![
        3 => prop::sample::select(vec![
            "IMAP.AccessAsUser.All", "IMAP.AccessAsApp", "SMTP.Send", "SMTP.SendAsApp", "Mail.Send",
            "Mail.Read", "Mail.Sendd", "offline_access", "openid", "User.Read", "User.Read.All",
            "full_access_as_app", "EWS.AccessAsApp", "Application Mail.Send", "Directory.ReadWrite.All",
            "Exchange.ManageAsApp", "Calendars.Read", "MailboxSettings.ReadWrite", "",
        ])
        .prop_map(str::to_owned),
        2 => text(registration::limits::MAX_PERMISSION_VALUE_CHARS),
    ];
    let resource = prop_oneof![
        3 => Just(None),
        2 => prop::sample::select(vec![
            "graph", "exchange", "", " ", "00000003-0000-0000-c000-000000000000",
            "00000002-0000-0ff1-ce00-000000000000", "11111111-2222-3333-4444-555555555555",
        ])
        .prop_map(|r| Some(r.to_owned())),
        1 => text(64).prop_map(Some),
    ];
    let permission_type =
        prop::sample::select(vec![PermissionType::Delegated, PermissionType::Application]);
    (resource, value, permission_type).prop_map(|(resource, value, permission_type)| {
        PermissionRequest {
            resource,
            value,
            permission_type,
        }
    })
}

fn certificate() -> impl Strategy<Value = CertificateUpload> {
    let content = prop_oneof![
        3 => proptest::collection::vec(any::<u8>(), 0..600).prop_map(|b| base64(&b)),
        2 => prop::sample::select(FIXTURES).prop_map(base64),
        1 => "-----BEGIN [A-Z ]{0,20}-----\n[A-Za-z0-9+/=\n]{0,200}(-----END CERTIFICATE-----)?"
            .prop_map(|pem| base64(pem.as_bytes())),
        1 => text(100),
        1 => (MAX_CERTIFICATE_BYTES - 1..MAX_CERTIFICATE_BYTES + 2)
            .prop_map(|n| base64(&vec![0x30; n])),
    ];
    (text(registration::limits::MAX_NAME_CHARS), content).prop_map(|(file_name, content_base64)| {
        CertificateUpload {
            file_name,
            content_base64,
        }
    })
}

fn contact() -> impl Strategy<Value = Contact> {
    (text(registration::limits::MAX_NAME_CHARS), email())
        .prop_map(|(name, email)| Contact { name, email })
}

fn arbitrary_request() -> impl Strategy<Value = RegistrationRequest> {
    let application = (
        text(registration::limits::MAX_NAME_CHARS),
        text(registration::limits::MAX_DESCRIPTION_CHARS),
        text(registration::limits::MAX_NAME_CHARS),
    )
        .prop_map(|(name, description, supplier)| Application {
            name,
            description,
            supplier,
        });
    let access_type = prop::sample::select(vec![AccessType::Delegated, AccessType::Application]);
    let redirect = (uri(), platform()).prop_map(|(uri, platform)| RedirectUri { uri, platform });
    let client_secret = proptest::option::of(
        prop_oneof![-2i64..30, any::<i64>()]
            .prop_map(|lifetime_months| ClientSecret { lifetime_months }),
    );
    (
        (
            ods_code(),
            application,
            access_type,
            list(permission(), MAX_PERMISSIONS),
        ),
        (
            list(email(), MAX_MAILBOXES),
            list(redirect, MAX_REDIRECT_URIS),
            list(uri(), MAX_TOKEN_ENDPOINT_URIS),
        ),
        (
            list(certificate(), MAX_CERTIFICATES),
            client_secret,
            proptest::option::of(email()),
            list(contact(), MAX_CONTACTS),
        ),
    )
        .prop_map(
            |(
                (ods_code, application, access_type, permissions),
                (mailboxes, redirect_uris, token_endpoint_uris),
                (certificates, client_secret, access_policy_group, contacts),
            )| RegistrationRequest {
                ods_code,
                application,
                access_type,
                permissions,
                mailboxes,
                redirect_uris,
                token_endpoint_uris,
                certificates,
                client_secret,
                access_policy_group,
                contacts,
            },
        )
}

/// The valid request with field `which` taken from `other`.
fn with_one_field(other: RegistrationRequest, which: usize) -> RegistrationRequest {
    let mut request = valid_request();
    match which {
        0 => request.ods_code = other.ods_code,
        1 => request.application = other.application,
        2 => request.access_type = other.access_type,
        3 => request.permissions = other.permissions,
        4 => request.mailboxes = other.mailboxes,
        5 => request.redirect_uris = other.redirect_uris,
        6 => request.token_endpoint_uris = other.token_endpoint_uris,
        7 => request.certificates = other.certificates,
        8 => request.client_secret = other.client_secret,
        9 => request.access_policy_group = other.access_policy_group,
        _ => request.contacts = other.contacts,
    }
    request
}

fn request() -> impl Strategy<Value = RegistrationRequest> {
    prop_oneof![
        arbitrary_request(),
        (arbitrary_request(), 0..11usize).prop_map(|(other, which)| with_one_field(other, which)),
    ]
}

/// Why `path` does not name a field of `request` (or an entry in range), if it does not.
fn path_problem(path: &str, request: &RegistrationRequest) -> Option<String> {
    let (head, rest) = match path.find(['.', '[']) {
        Some(at) => path.split_at(at),
        None => (path, ""),
    };
    let (index, sub) = match rest.strip_prefix('[') {
        Some(rest) => {
            let Some((number, after)) = rest.split_once(']') else {
                return Some("an unclosed index".into());
            };
            let Ok(number) = number.parse::<usize>() else {
                return Some(format!("index '{number}' is not a number"));
            };
            (Some(number), after)
        }
        None => (None, rest),
    };
    let sub = match sub {
        "" => None,
        sub => match sub.strip_prefix('.') {
            Some(name) => Some(name),
            None => return Some(format!("'{sub}' follows the field")),
        },
    };
    // (list length when the field is a list, the fields its entries or value have)
    let (len, fields): (Option<usize>, &[&str]) = match head {
        "ods_code" | "access_type" | "access_policy_group" => (None, &[]),
        "application" => (None, &["name", "description", "supplier"]),
        "client_secret" => (None, &["lifetime_months"]),
        "permissions" => (
            Some(request.permissions.len()),
            &["resource", "value", "type"],
        ),
        "mailboxes" => (Some(request.mailboxes.len()), &[]),
        "redirect_uris" => (Some(request.redirect_uris.len()), &["uri", "platform"]),
        "token_endpoint_uris" => (Some(request.token_endpoint_uris.len()), &[]),
        "certificates" => (
            Some(request.certificates.len()),
            &["file_name", "content_base64"],
        ),
        "contacts" => (Some(request.contacts.len()), &["name", "email"]),
        other => return Some(format!("'{other}' is not a request field")),
    };
    if head == "client_secret" && request.client_secret.is_none() {
        return Some("the request has no client secret".into());
    }
    match (index, len) {
        (Some(_), None) => return Some(format!("'{head}' is not a list")),
        (Some(i), Some(len)) if i >= len => {
            return Some(format!("index {i} is out of range (length {len})"));
        }
        _ => {}
    }
    // A list's own fields sit on its entries; a struct's directly on it.
    let sub_allowed = if len.is_some() { index.is_some() } else { true };
    match sub {
        Some(name) if !sub_allowed || !fields.contains(&name) => {
            Some(format!("'{name}' is not a field of '{head}'"))
        }
        _ => None,
    }
}

fn check_report(request: &RegistrationRequest, report: &ValidationReport) -> Result<(), String> {
    let has_error = report
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error);
    if report.valid == has_error {
        return Err(format!(
            "valid is {} with error findings: {has_error}",
            report.valid
        ));
    }
    for finding in &report.findings {
        if !FindingCode::all().any(|code| code == finding.code) {
            return Err(format!("{} is not in the catalogue", finding.code));
        }
        if let Some(problem) = path_problem(&finding.path, request) {
            return Err(format!("{} at '{}': {problem}", finding.code, finding.path));
        }
        if finding.message.trim().is_empty() || finding.hint.trim().is_empty() {
            return Err(format!(
                "{} at {} lacks a message or hint",
                finding.code, finding.path
            ));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn every_report_is_well_formed_and_deterministic(request in request()) {
        let report = validate(&request);
        if let Err(problem) = check_report(&request, &report) {
            prop_assert!(false, "{problem}\n{:#?}", report.findings);
        }
        prop_assert_eq!(&validate(&request), &report, "a second validation differed");
    }

    #[test]
    fn a_request_round_trips_through_json_to_the_same_report(request in request()) {
        let json = serde_json::to_string(&request).expect("a request serialises");
        let parsed = RegistrationRequest::from_json(&json);
        prop_assert_eq!(parsed.as_ref(), Ok(&request));
        if let Ok(parsed) = parsed {
            prop_assert_eq!(validate(&parsed), validate(&request));
        }
    }

    /// Accepted URIs stay accepted: a URI with no finding in its list has none on its own.
    /// (Entries past a list's limit are not examined, so they prove nothing and are skipped.)
    #[test]
    fn an_accepted_uri_stays_accepted_on_its_own(request in arbitrary_request()) {
        let report = validate(&request);
        for (index, entry) in request.redirect_uris.iter().take(MAX_REDIRECT_URIS).enumerate() {
            if report.findings_at(&format!("redirect_uris[{index}].uri")).next().is_none() {
                let mut findings = Vec::new();
                registration::rules::redirect_uri::check(std::slice::from_ref(entry), &mut findings);
                prop_assert!(
                    findings.iter().all(|f| f.path != "redirect_uris[0].uri"),
                    "{:?} on {:?} alone: {:#?}", entry.uri, entry.platform, findings
                );
            }
        }
        for (index, uri) in request.token_endpoint_uris.iter().take(MAX_TOKEN_ENDPOINT_URIS).enumerate() {
            if report.findings_at(&format!("token_endpoint_uris[{index}]")).next().is_none() {
                let mut findings = Vec::new();
                registration::rules::token_endpoint::check(
                    std::slice::from_ref(uri),
                    request.access_type,
                    registration::implementation::NHSMAIL_TENANT_ID,
                    &mut findings,
                );
                prop_assert!(
                    findings.iter().all(|f| f.path != "token_endpoint_uris[0]"),
                    "{uri:?} alone: {findings:#?}"
                );
            }
        }
    }
}

#[test]
fn the_starting_request_is_valid() {
    let request = valid_request();
    let report = validate(&request);
    assert!(report.valid, "{:#?}", report.findings);
    assert_eq!(report.certificates.len(), 1);
}

#[test]
fn paths_are_checked_against_the_request() {
    let request = valid_request();
    for good in [
        "ods_code",
        "application.name",
        "permissions",
        "permissions[0]",
        "redirect_uris[0].uri",
        "certificates[0]",
        "contacts[0].email",
    ] {
        assert_eq!(path_problem(good, &request), None, "{good}");
    }
    for bad in [
        "odscode",
        "permissions[1]",
        "redirect_uris.uri",
        "client_secret.lifetime_months",
        "contacts[0].phone",
        "mailboxes[x]",
        "ods_code[0]",
    ] {
        assert!(path_problem(bad, &request).is_some(), "{bad}");
    }
}
