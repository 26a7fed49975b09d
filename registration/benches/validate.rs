//! How long `registration::validate` takes on a whole request (target: ≤ 200 µs with one
//! certificate, ARCHITECTURE.md "Built to be fast"). Results are recorded in docs/performance.md.

use std::hint::black_box;

use base64::Engine as _;
use criterion::{Criterion, criterion_group, criterion_main};
use registration::limits::{
    MAX_CERTIFICATE_BYTES, MAX_CERTIFICATES, MAX_CONTACTS, MAX_DESCRIPTION_CHARS, MAX_EMAIL_CHARS,
    MAX_MAILBOXES, MAX_NAME_CHARS, MAX_ODS_CODE_CHARS, MAX_PERMISSION_VALUE_CHARS, MAX_PERMISSIONS,
    MAX_REDIRECT_URIS, MAX_TOKEN_ENDPOINT_URIS, MAX_URI_CHARS,
};
use registration::{
    AccessType, Application, CertificateUpload, ClientSecret, Contact, Directory,
    EmbeddedDirectory, OffsetDateTime, PermissionRequest, PermissionType, Platform, RedirectUri,
    RegistrationRequest,
};

/// Self-signed RSA 2048 / SHA-256, valid 2026-11-23 to 2028-11-22 (see the fixtures' README).
const CERTIFICATE: &[u8] = include_bytes!("../tests/fixtures/certificates/rsa2048.pem");

/// 2027-03-01T00:00:00Z: inside the certificate's validity, far from its expiry warnings.
fn now() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_803_859_200).expect("a valid timestamp")
}

fn certificate() -> CertificateUpload {
    CertificateUpload {
        file_name: "connector.cer".to_owned(),
        content_base64: base64::engine::general_purpose::STANDARD.encode(CERTIFICATE),
    }
}

fn permission(value: &str, permission_type: PermissionType) -> PermissionRequest {
    PermissionRequest {
        resource: None,
        value: value.to_owned(),
        permission_type,
    }
}

/// CONTRACTS.md §1's worked example with a real certificate and tenant id: valid, with warnings.
fn delegated_request() -> RegistrationRequest {
    RegistrationRequest {
        ods_code: "RX1".to_owned(),
        application: Application {
            name: "Ward Mail Connector".to_owned(),
            description: "Reads the ward's shared mailbox and files referrals".to_owned(),
            supplier: "Example Health Ltd".to_owned(),
        },
        access_type: AccessType::Delegated,
        permissions: vec![
            permission("IMAP.AccessAsUser.All", PermissionType::Delegated),
            permission("User.Read", PermissionType::Delegated),
            permission("offline_access", PermissionType::Delegated),
            PermissionRequest {
                resource: Some("exchange".to_owned()),
                value: "IMAP.AccessAsApp".to_owned(),
                permission_type: PermissionType::Application,
            },
        ],
        mailboxes: vec!["ward7.referrals@nhs.net".to_owned()],
        redirect_uris: vec![RedirectUri {
            uri: "https://connector.example-health.co.uk/auth/callback".to_owned(),
            platform: Platform::Web,
        }],
        token_endpoint_uris: vec![
            "https://login.microsoftonline.com/37c354b2-85b0-47f5-b222-07b48d774ee3/oauth2/v2.0/token"
                .to_owned(),
        ],
        certificates: vec![certificate()],
        client_secret: Some(ClientSecret { lifetime_months: 12 }),
        access_policy_group: Some("ward7-connector-scope@nhs.net".to_owned()),
        contacts: vec![Contact {
            name: "Jo Bloggs".to_owned(),
            email: "jo.bloggs@nhs.net".to_owned(),
        }],
    }
}

/// App-only mail: Graph `Mail.Send` and `Mail.Read` scoped by an access policy group.
fn app_only_request() -> RegistrationRequest {
    RegistrationRequest {
        access_type: AccessType::Application,
        permissions: vec![
            permission("Mail.Send", PermissionType::Application),
            permission("Mail.Read", PermissionType::Application),
        ],
        mailboxes: vec!["connector.app@nhs.net".to_owned()],
        redirect_uris: Vec::new(),
        client_secret: None,
        ..delegated_request()
    }
}

/// Every list at its maximum, every entry bad and as long as allowed: the worst a caller can send
/// without being cut short by a limit.
fn hostile_request() -> RegistrationRequest {
    let long = |stem: &str, chars: usize| -> String { stem.chars().cycle().take(chars).collect() };
    let junk: Vec<u8> = (0..MAX_CERTIFICATE_BYTES)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 7) as u8)
        .collect();
    // A PEM file of many BEGIN lines that never end, padded to the size limit.
    let pem_junk = long("-----BEGIN CERTIFICATE-----\nMIIB\n", MAX_CERTIFICATE_BYTES);
    RegistrationRequest {
        ods_code: long("RX1 Х", MAX_ODS_CODE_CHARS),
        application: Application {
            name: long("Ward\u{202E}Mail ", MAX_NAME_CHARS),
            description: long("Reads\u{200B} mail. ", MAX_DESCRIPTION_CHARS),
            supplier: long("Example\u{0007}", MAX_NAME_CHARS),
        },
        access_type: AccessType::Application,
        permissions: (0..MAX_PERMISSIONS)
            .map(|i| PermissionRequest {
                resource: (i % 3 == 0).then(|| "graph".to_owned()),
                value: long(&format!("Mail.Sendd{i}."), MAX_PERMISSION_VALUE_CHARS),
                permission_type: if i % 2 == 0 {
                    PermissionType::Delegated
                } else {
                    PermissionType::Application
                },
            })
            .collect(),
        mailboxes: (0..MAX_MAILBOXES)
            .map(|i| long(&format!("someone.{i}@nhs.uk"), MAX_EMAIL_CHARS))
            .collect(),
        redirect_uris: (0..MAX_REDIRECT_URIS)
            .map(|i| RedirectUri {
                uri: long(
                    &format!("HTTP://127.0.0.{i}:99999/a/../b%2e?code=x#frag*"),
                    MAX_URI_CHARS,
                ),
                platform: [Platform::Web, Platform::Spa, Platform::PublicClient][i % 3],
            })
            .collect(),
        token_endpoint_uris: (0..MAX_TOKEN_ENDPOINT_URIS)
            .map(|i| long(&format!("http://evil{i}.example/tok en"), MAX_URI_CHARS))
            .collect(),
        certificates: (0..MAX_CERTIFICATES)
            .map(|i| CertificateUpload {
                file_name: long("cert.pem", MAX_NAME_CHARS),
                content_base64: base64::engine::general_purpose::STANDARD.encode(if i % 2 == 0 {
                    &junk[..]
                } else {
                    pem_junk.as_bytes()
                }),
            })
            .collect(),
        client_secret: Some(ClientSecret {
            lifetime_months: 999,
        }),
        access_policy_group: Some(long("group@", MAX_EMAIL_CHARS)),
        contacts: (0..MAX_CONTACTS)
            .map(|i| Contact {
                name: long(" ", MAX_NAME_CHARS),
                email: long(&format!("<contact{i}@@nhs.net> "), MAX_EMAIL_CHARS),
            })
            .collect(),
    }
}

fn bench(c: &mut Criterion) {
    let directory = Directory::new(EmbeddedDirectory::get());
    let now = now();
    let cases = [
        ("delegated_one_certificate", delegated_request(), true),
        ("app_only_mail_one_certificate", app_only_request(), true),
        ("hostile_every_list_at_its_limit", hostile_request(), false),
    ];
    for (name, request, expect_valid) in cases {
        // A benchmark of the wrong outcome measures nothing: check the request first.
        let report = registration::validate(&request, directory, now);
        assert_eq!(
            report.valid, expect_valid,
            "{name}: unexpected outcome {:#?}",
            report.findings
        );
        let codes: Vec<&str> = report.findings.iter().map(|f| f.code.code()).collect();
        eprintln!(
            "{name}: valid={}, {} findings {codes:?}",
            report.valid,
            codes.len()
        );
        c.bench_function(name, |b| {
            b.iter(|| registration::validate(black_box(&request), directory, black_box(now)));
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
