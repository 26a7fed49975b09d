use super::*;
use proptest::prelude::*;

macro_rules! fixture {
    ($name:literal) => {
        include_bytes!(concat!("../../../tests/fixtures/certificates/", $name)).as_slice()
    };
}

fn upload(bytes: &[u8]) -> CertificateUpload {
    CertificateUpload {
        file_name: "upload.cer".into(),
        content_base64: STANDARD.encode(bytes),
    }
}

fn run(bytes: &[u8], now: OffsetDateTime) -> (Vec<Finding>, Vec<CertificateSummary>) {
    let mut findings = Vec::new();
    let summaries = check(&[upload(bytes)], now, &mut findings);
    (findings, summaries)
}

fn codes(findings: &[Finding]) -> Vec<(String, &'static str)> {
    findings
        .iter()
        .map(|f| (f.path.clone(), f.code.code()))
        .collect()
}

fn dates(der: &[u8]) -> (OffsetDateTime, OffsetDateTime) {
    let (_, cert) = X509Certificate::from_der(der).unwrap();
    (
        cert.validity().not_before.to_datetime(),
        cert.validity().not_after.to_datetime(),
    )
}

/// A day after the fixtures were made: every fixture certificate is valid then.
fn now() -> OffsetDateTime {
    dates(fixture!("rsa2048.der")).0 + Duration::days(1)
}

const AT: &str = "certificates[0]";

/// Every fixture, with the exact codes it raises at `certificates[0]` a day after it was made.
const TABLE: &[(&str, &[u8], &[&str])] = &[
    ("rsa2048.pem", fixture!("rsa2048.pem"), &[]),
    ("rsa2048.der", fixture!("rsa2048.der"), &[]),
    (
        "rsa2048_der_named.pem",
        fixture!("rsa2048_der_named.pem"),
        &[],
    ),
    ("rsa2048_crlf.pem", fixture!("rsa2048_crlf.pem"), &[]),
    ("rsa2048_bom.pem", fixture!("rsa2048_bom.pem"), &[]),
    ("rsa2048_text.pem", fixture!("rsa2048_text.pem"), &[]),
    ("rsa2048_bag.pem", fixture!("rsa2048_bag.pem"), &[]),
    (
        "rsa2048.b64",
        fixture!("rsa2048.b64"),
        &["certificate.bare_base64"],
    ),
    ("rsa4096.pem", fixture!("rsa4096.pem"), &[]),
    ("pss.pem", fixture!("pss.pem"), &[]),
    ("v1.pem", fixture!("v1.pem"), &[]),
    ("leaf.pem", fixture!("leaf.pem"), &[]),
    (
        "ca.pem",
        fixture!("ca.pem"),
        &[
            "certificate.lifetime_too_long",
            "certificate.ca_certificate",
            "certificate.key_usage",
        ],
    ),
    ("chain.pem", fixture!("chain.pem"), &["certificate.chain"]),
    (
        "tls_server.pem",
        fixture!("tls_server.pem"),
        &["certificate.extended_key_usage"],
    ),
    (
        "no_digital_signature.pem",
        fixture!("no_digital_signature.pem"),
        &["certificate.key_usage"],
    ),
    (
        "exponent3.pem",
        fixture!("exponent3.pem"),
        &["certificate.rsa_exponent_small"],
    ),
    (
        "long_lifetime.pem",
        fixture!("long_lifetime.pem"),
        &["certificate.lifetime_too_long"],
    ),
    (
        "rsa1024.pem",
        fixture!("rsa1024.pem"),
        &["certificate.rsa_key_too_small"],
    ),
    (
        "ec_p256.pem",
        fixture!("ec_p256.pem"),
        &["certificate.key_not_rsa"],
    ),
    (
        "ed25519.pem",
        fixture!("ed25519.pem"),
        &["certificate.key_not_rsa"],
    ),
    (
        "rsa_pss_key.pem",
        fixture!("rsa_pss_key.pem"),
        &["certificate.key_not_rsa"],
    ),
    (
        "sha1.pem",
        fixture!("sha1.pem"),
        &["certificate.weak_signature_hash"],
    ),
    (
        "md5.pem",
        fixture!("md5.pem"),
        &["certificate.weak_signature_hash"],
    ),
    (
        "tampered.pem",
        fixture!("tampered.pem"),
        &["certificate.bad_signature"],
    ),
    ("app.p12", fixture!("app.p12"), &["certificate.pkcs12"]),
    ("chain.p7b", fixture!("chain.p7b"), &["certificate.pkcs7"]),
    (
        "chain_p7b.pem",
        fixture!("chain_p7b.pem"),
        &["certificate.pkcs7"],
    ),
    ("request.csr", fixture!("request.csr"), &["certificate.csr"]),
    (
        "request_csr.der",
        fixture!("request_csr.der"),
        &["certificate.csr"],
    ),
    (
        "public_key.pem",
        fixture!("public_key.pem"),
        &["certificate.public_key"],
    ),
    (
        "public_key.der",
        fixture!("public_key.der"),
        &["certificate.public_key"],
    ),
    (
        "rsa_public_key.pem",
        fixture!("rsa_public_key.pem"),
        &["certificate.public_key"],
    ),
    (
        "id_rsa.pub",
        fixture!("id_rsa.pub"),
        &["certificate.public_key"],
    ),
    (
        "rsa2048.key",
        fixture!("rsa2048.key"),
        &["certificate.private_key"],
    ),
    (
        "pkcs8.key",
        fixture!("pkcs8.key"),
        &["certificate.private_key"],
    ),
    (
        "pkcs8.der",
        fixture!("pkcs8.der"),
        &["certificate.private_key"],
    ),
    (
        "rsa_traditional.key",
        fixture!("rsa_traditional.key"),
        &["certificate.private_key"],
    ),
    (
        "rsa_traditional_encrypted.key",
        fixture!("rsa_traditional_encrypted.key"),
        &["certificate.private_key"],
    ),
    (
        "rsa_pkcs1.der",
        fixture!("rsa_pkcs1.der"),
        &["certificate.private_key"],
    ),
    (
        "encrypted.key",
        fixture!("encrypted.key"),
        &["certificate.private_key"],
    ),
    (
        "encrypted_pkcs8.der",
        fixture!("encrypted_pkcs8.der"),
        &["certificate.private_key"],
    ),
    (
        "ec_sec1.key",
        fixture!("ec_sec1.key"),
        &["certificate.private_key"],
    ),
    (
        "ec_sec1.der",
        fixture!("ec_sec1.der"),
        &["certificate.private_key"],
    ),
    ("dsa.key", fixture!("dsa.key"), &["certificate.private_key"]),
    (
        "openssh_private.key",
        fixture!("openssh_private.key"),
        &["certificate.private_key"],
    ),
    (
        "combined.pem",
        fixture!("combined.pem"),
        &["certificate.private_key"],
    ),
    (
        "key_then_cert.pem",
        fixture!("key_then_cert.pem"),
        &["certificate.private_key"],
    ),
    (
        "truncated.pem",
        fixture!("truncated.pem"),
        &["certificate.pem_unterminated"],
    ),
    (
        "chain_truncated.pem",
        fixture!("chain_truncated.pem"),
        &["certificate.pem_unterminated"],
    ),
    (
        "not_base64.pem",
        fixture!("not_base64.pem"),
        &["certificate.pem_not_base64"],
    ),
    (
        "not_der.pem",
        fixture!("not_der.pem"),
        &["certificate.not_der_certificate"],
    ),
    (
        "text.txt",
        fixture!("text.txt"),
        &["certificate.no_certificate"],
    ),
    (
        "thumbprint.txt",
        fixture!("thumbprint.txt"),
        &["certificate.thumbprint"],
    ),
    (
        "junk.bin",
        fixture!("junk.bin"),
        &["certificate.no_certificate"],
    ),
    ("empty.bin", fixture!("empty.bin"), &["certificate.empty"]),
    (
        "whitespace.txt",
        fixture!("whitespace.txt"),
        &["certificate.empty"],
    ),
];

#[test]
fn each_fixture_raises_exactly_its_codes() {
    let now = now();
    let mut failures = Vec::new();
    for (name, bytes, expected) in TABLE {
        let (findings, summaries) = run(bytes, now);
        let expected: Vec<(String, &str)> = expected.iter().map(|c| (AT.to_owned(), *c)).collect();
        if codes(&findings) != expected {
            failures.push(format!(
                "{name}: got {:?}, want {expected:?}",
                codes(&findings)
            ));
        }
        let refused = findings.iter().any(|f| f.severity == Severity::Error);
        if refused != summaries.is_empty() {
            failures.push(format!(
                "{name}: refused={refused} but {} summaries",
                summaries.len()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn summarises_an_accepted_certificate_with_openssl_thumbprints() {
    let (findings, summaries) = run(fixture!("rsa2048.pem"), now());
    assert_eq!(findings, vec![]);
    let [summary] = summaries.as_slice() else {
        panic!("one summary expected, got {summaries:?}")
    };
    let fingerprints = std::str::from_utf8(fixture!("rsa2048_fingerprints.txt")).unwrap();
    let openssl = |prefix: &str| {
        fingerprints
            .lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap()
            .replace(':', "")
    };
    assert_eq!(summary.sha1_thumbprint, openssl("sha1 Fingerprint="));
    assert_eq!(summary.sha256_thumbprint, openssl("sha256 Fingerprint="));
    let sha1: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&summary.sha1_thumbprint[i * 2..i * 2 + 2], 16).unwrap())
        .collect();
    assert_eq!(summary.x5t, jose_thumbprint(&sha1));
    assert_eq!(summary.x5t.len(), 27);
    assert_eq!(summary.x5t_s256.len(), 43);
    assert_eq!(summary.path, AT);
    assert_eq!(summary.format, "pem");
    assert_eq!(
        summary.subject,
        "C=GB, O=Example Health Ltd, CN=connector.example-health.co.uk"
    );
    assert_eq!(summary.issuer, summary.subject);
    assert_eq!(summary.key, "RSA 2048");
    assert_eq!(summary.signature_algorithm, "sha256WithRSAEncryption");
    assert_eq!(summary.der_base64, STANDARD.encode(fixture!("rsa2048.der")));
    let (not_before, not_after) = dates(fixture!("rsa2048.der"));
    assert_eq!(
        (summary.not_before, summary.not_after),
        (not_before, not_after)
    );
    assert_eq!(summary.days_remaining, 729);
}

#[test]
fn x5t_matches_the_rules_check_vector() {
    let hex = "84E05C1D98BCE3A5421D225B140B36E86A3D5534";
    let sha1: Vec<u8> = (0..20)
        .map(|i| u8::from_str_radix(&hex[i * 2..i * 2 + 2], 16).unwrap())
        .collect();
    assert_eq!(jose_thumbprint(&sha1), "hOBcHZi846VCHSJbFAs26Go9VTQ");
    assert_eq!(upper_hex(&sha1), hex);
}

#[test]
fn names_the_format_the_certificate_came_in() {
    for (bytes, format) in [
        (fixture!("rsa2048.der"), "der"),
        (fixture!("rsa2048_der_named.pem"), "der"),
        (fixture!("rsa2048_bom.pem"), "pem"),
        (fixture!("rsa2048.b64"), "base64"),
    ] {
        let (_, summaries) = run(bytes, now());
        assert_eq!(summaries[0].format, format);
        assert_eq!(
            summaries[0].der_base64,
            STANDARD.encode(fixture!("rsa2048.der"))
        );
    }
}

#[test]
fn reports_serial_key_and_algorithm_of_other_certificates() {
    let (_, leaf) = run(fixture!("leaf.pem"), now());
    assert_eq!(leaf[0].serial, "C0:FF:EE:01:23:45:67:89");
    assert_eq!(
        leaf[0].issuer,
        "C=GB, O=Example Health Ltd, CN=Example Test CA"
    );
    let (_, big) = run(fixture!("rsa4096.pem"), now());
    assert_eq!(big[0].key, "RSA 4096");
    assert_eq!(big[0].signature_algorithm, "sha384WithRSAEncryption");
    let (_, pss) = run(fixture!("pss.pem"), now());
    assert_eq!(pss[0].signature_algorithm, "rsassaPss");
}

#[test]
fn summarises_the_first_certificate_of_a_chain() {
    let (findings, summaries) = run(fixture!("chain.pem"), now());
    assert_eq!(codes(&findings), vec![(AT.to_owned(), "certificate.chain")]);
    assert!(findings[0].message.contains("first"));
    let (_, leaf) = run(fixture!("leaf.pem"), now());
    assert_eq!(summaries, leaf);
}

#[test]
fn validity_bounds_are_inclusive() {
    let (not_before, not_after) = dates(fixture!("rsa2048.der"));
    let cases = [
        (
            not_before - Duration::seconds(1),
            vec!["certificate.not_yet_valid"],
        ),
        (not_before, vec![]),
        (not_after, vec!["certificate.expiring_soon"]),
        (
            not_after + Duration::seconds(1),
            vec!["certificate.expired"],
        ),
    ];
    for (now, want) in cases {
        let (findings, _) = run(fixture!("rsa2048.pem"), now);
        let got: Vec<&str> = findings.iter().map(|f| f.code.code()).collect();
        assert_eq!(got, want, "at {now}");
    }
}

#[test]
fn expiry_warning_names_the_nhsmail_reminder_point() {
    let (_, not_after) = dates(fixture!("rsa2048.der"));
    let cases = [
        (Duration::days(60) + Duration::seconds(1), None),
        (Duration::days(60), Some(60)),
        (Duration::days(50), Some(60)),
        (Duration::days(45), Some(45)),
        (Duration::days(31), Some(45)),
        (Duration::days(30), Some(30)),
        (Duration::days(14), Some(14)),
        (Duration::days(8), Some(14)),
        (Duration::days(7), Some(7)),
        (Duration::hours(1), Some(7)),
    ];
    for (left, point) in cases {
        let (findings, summaries) = run(fixture!("rsa2048.pem"), not_after - left);
        match point {
            None => assert_eq!(findings, vec![]),
            Some(point) => {
                assert_eq!(
                    codes(&findings),
                    vec![(AT.to_owned(), "certificate.expiring_soon")]
                );
                assert_eq!(findings[0].severity, Severity::Warning);
                assert!(
                    findings[0].message.contains(&format!("{point}-day")),
                    "{left}: {}",
                    findings[0].message
                );
                assert_eq!(summaries.len(), 1, "a warned certificate is summarised");
            }
        }
    }
}

#[test]
fn days_remaining_rounds_down_and_goes_negative() {
    let (_, not_after) = dates(fixture!("rsa2048.der"));
    let mut findings = Vec::new();
    let (_, cert) = X509Certificate::from_der(fixture!("rsa2048.der")).unwrap();
    let summary = check_certificate(
        &cert,
        sniff::Format::Der,
        AT,
        not_after + Duration::hours(1),
        &mut findings,
    );
    assert_eq!(summary.days_remaining, -1);
    let summary = check_certificate(
        &cert,
        sniff::Format::Der,
        AT,
        not_after - Duration::hours(36),
        &mut findings,
    );
    assert_eq!(summary.days_remaining, 1);
}

#[test]
fn lifetime_counts_calendar_months() {
    let at =
        |s: &str| OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
    assert!(!over_24_months(
        at("2024-01-01T00:00:00Z"),
        at("2025-12-31T00:00:00Z")
    ));
    assert!(!over_24_months(
        at("2023-03-01T00:00:00Z"),
        at("2025-03-01T00:00:00Z")
    ));
    assert!(over_24_months(
        at("2023-03-01T00:00:00Z"),
        at("2025-03-01T00:00:01Z")
    ));
    assert!(!over_24_months(
        at("2024-02-29T12:00:00Z"),
        at("2026-02-28T12:00:00Z")
    ));
    assert!(over_24_months(
        at("2024-02-29T12:00:00Z"),
        at("2026-03-01T00:00:00Z")
    ));
}

#[test]
fn private_key_findings_say_compromised_and_how_to_export() {
    let (findings, summaries) = run(fixture!("combined.pem"), now());
    assert!(summaries.is_empty());
    let finding = &findings[0];
    assert!(finding.message.contains("compromised"));
    assert!(
        finding
            .hint
            .contains("openssl x509 -in combined.pem -out app.pem")
    );
    assert!(finding.hint.contains("No, do not export the private key"));
    assert!(finding.hint.contains("Base-64 encoded X.509 (.CER)"));
    let (findings, _) = run(fixture!("app.p12"), now());
    assert!(findings[0].message.contains("compromised"));
}

#[test]
fn nothing_of_a_private_key_is_echoed() {
    let keys: &[&[u8]] = &[
        fixture!("rsa2048.key"),
        fixture!("rsa_traditional.key"),
        fixture!("rsa_traditional_encrypted.key"),
        fixture!("encrypted.key"),
        fixture!("ec_sec1.key"),
        fixture!("dsa.key"),
        fixture!("openssh_private.key"),
        fixture!("combined.pem"),
        fixture!("key_then_cert.pem"),
        fixture!("pkcs8.der"),
        fixture!("rsa_pkcs1.der"),
        fixture!("ec_sec1.der"),
        fixture!("encrypted_pkcs8.der"),
        fixture!("app.p12"),
    ];
    let key_body = |bytes: &[u8]| -> String {
        match std::str::from_utf8(bytes) {
            Ok(text) => text
                .lines()
                .filter(|l| !l.starts_with("-----") && !l.contains(':'))
                .collect(),
            Err(_) => STANDARD.encode(bytes),
        }
    };
    for bytes in keys {
        let mut findings = Vec::new();
        let summaries = check(&[upload(bytes)], now(), &mut findings);
        assert!(summaries.is_empty());
        let said = format!(
            "{findings:?}{}{}",
            serde_json::to_string(&findings).unwrap(),
            serde_json::to_string(&summaries).unwrap()
        );
        let body = key_body(bytes);
        for window in body.as_bytes().windows(12) {
            let window = std::str::from_utf8(window).unwrap();
            assert!(!said.contains(window), "echoed key material {window}");
        }
        // The certificate that sat beside the key is not handed back either.
        let cert = STANDARD.encode(fixture!("rsa2048.der"));
        assert!(!said.contains(&cert[..40]));
    }
}

#[test]
fn refuses_a_key_hidden_in_a_certificate_block() {
    let der = fixture!("pkcs8.der");
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        STANDARD.encode(der)
    );
    let (findings, _) = run(pem.as_bytes(), now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.private_key")]
    );
    let mut with_key = fixture!("rsa2048.der").to_vec();
    with_key.extend_from_slice(der);
    let (findings, _) = run(&with_key, now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.private_key")]
    );
}

#[test]
fn refuses_a_truncated_private_key_block() {
    let text = std::str::from_utf8(fixture!("combined.pem")).unwrap();
    let cut = text.rfind("-----END PRIVATE KEY-----").unwrap();
    let (findings, summaries) = run(&text.as_bytes()[..cut], now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.private_key")]
    );
    assert!(summaries.is_empty());
}

#[test]
fn refuses_putty_private_keys() {
    let ppk = b"PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: test-only\n";
    let (findings, _) = run(ppk, now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.private_key")]
    );
}

#[test]
fn a_json_web_key_with_a_private_member_is_a_private_key_and_without_one_a_public_key() {
    // Test-only key material (RFC 7517 appendix A shapes, values shortened).
    let private = br#"{"kty":"RSA","n":"0vx7agoebGc","e":"AQAB","d":"X4cTteJY_gn4FYPs"}"#;
    let (findings, _) = run(private, now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.private_key")]
    );
    assert!(
        findings[0].message.contains("JSON Web Key"),
        "{}",
        findings[0].message
    );
    assert!(!findings[0].message.contains("X4cTteJY"), "never echoed");
    let set = br#"{"keys":[{"kty":"EC","crv":"P-256","x":"f83O","y":"x_FE"},{"kty":"oct","k":"GawgguFyGrWKav7A"}]}"#;
    assert_eq!(
        codes(&run(set, now()).0),
        vec![(AT.to_owned(), "certificate.private_key")]
    );
    let public = br#"{"kty":"RSA","n":"0vx7agoebGc","e":"AQAB","kid":"2011-04-29"}"#;
    assert_eq!(
        codes(&run(public, now()).0),
        vec![(AT.to_owned(), "certificate.public_key")]
    );
    // Other JSON is not a key.
    assert_eq!(
        codes(&run(br#"{"name":"not a key"}"#, now()).0),
        vec![(AT.to_owned(), "certificate.no_certificate")]
    );
}

#[test]
fn a_java_keystore_is_not_a_certificate() {
    let mut jks = vec![0xFE, 0xED, 0xFE, 0xED, 0x00, 0x00, 0x00, 0x02];
    jks.extend_from_slice(&[0u8; 64]);
    let (findings, summaries) = run(&jks, now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.no_certificate")]
    );
    assert!(
        findings[0].message.contains("Java keystore"),
        "{}",
        findings[0].message
    );
    assert!(summaries.is_empty());
}

#[test]
fn tolerates_utf16_and_single_line_pem() {
    let pem = std::str::from_utf8(fixture!("rsa2048.pem")).unwrap();
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(pem.encode_utf16().flat_map(u16::to_le_bytes));
    let (findings, summaries) = run(&utf16, now());
    assert_eq!(findings, vec![]);
    assert_eq!(summaries.len(), 1);
    let one_line = pem.replace('\n', " ");
    let (findings, summaries) = run(one_line.as_bytes(), now());
    assert_eq!(findings, vec![]);
    assert_eq!(summaries.len(), 1);
}

#[test]
fn warns_about_bytes_after_a_der_certificate() {
    let mut der = fixture!("rsa2048.der").to_vec();
    der.extend_from_slice(b"\x01\x02junk");
    let (findings, summaries) = run(&der, now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.trailing_data")]
    );
    assert_eq!(summaries.len(), 1);
    // A trailing newline or zero padding is not data.
    let mut der = fixture!("rsa2048.der").to_vec();
    der.extend_from_slice(b"\r\n\0\0");
    assert_eq!(run(&der, now()).0, vec![]);
}

#[test]
fn warns_about_other_blocks_beside_a_certificate() {
    let mut pem = fixture!("rsa2048.pem").to_vec();
    pem.extend_from_slice(fixture!("request.csr"));
    let (findings, summaries) = run(&pem, now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.other_blocks")]
    );
    assert!(findings[0].message.contains("certificate signing request"));
    assert_eq!(summaries.len(), 1);
}

#[test]
fn reads_text_starting_with_zero_as_text() {
    let (findings, _) = run(b"0A1B2C3D4E5F60718293A4B5C6D7E8F901234567\n", now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.thumbprint")]
    );
    let (findings, _) = run(b"0 is not a certificate", now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.no_certificate")]
    );
}

#[test]
fn many_unterminated_blocks_take_linear_time() {
    let hostile = "-----BEGIN A-----\n".repeat(MAX_CERTIFICATE_BYTES / 18);
    let start = std::time::Instant::now();
    let (findings, _) = run(hostile.as_bytes(), now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.pem_unterminated")]
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn rejects_content_that_is_not_base64_at_its_field() {
    let mut findings = Vec::new();
    let bad = CertificateUpload {
        file_name: "app.cer".into(),
        content_base64: "not base64!".into(),
    };
    check(&[bad], now(), &mut findings);
    assert_eq!(
        codes(&findings),
        vec![(
            "certificates[0].content_base64".into(),
            "certificate.base64"
        )]
    );
}

#[test]
fn accepts_line_wrapped_content_base64() {
    let mut wrapped = upload(fixture!("rsa2048.der"));
    wrapped.content_base64 = wrapped
        .content_base64
        .as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n");
    let mut findings = Vec::new();
    assert_eq!(check(&[wrapped], now(), &mut findings).len(), 1);
    assert_eq!(findings, vec![]);
}

#[test]
fn refuses_oversized_uploads_before_decoding() {
    let at_limit = vec![b'x'; MAX_CERTIFICATE_BYTES];
    let (findings, _) = run(&at_limit, now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.no_certificate")]
    );
    let over = vec![b'x'; MAX_CERTIFICATE_BYTES + 1];
    let (findings, _) = run(&over, now());
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.too_large")]
    );
    // Far too long to be 64 KiB, and not even base64: refused on its length alone.
    let mut findings = Vec::new();
    let huge = CertificateUpload {
        file_name: "big.cer".into(),
        content_base64: "!".repeat(4 * 1024 * 1024),
    };
    check(&[huge], now(), &mut findings);
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.too_large")]
    );
}

#[test]
fn refuses_an_rsa_key_over_8192_bits_without_verifying_its_signature() {
    let der = pem_der(fixture!("rsa8200.pem"));
    let (findings, _) = run(fixture!("rsa8200.pem"), dates(&der).0 + Duration::days(1));
    assert_eq!(
        codes(&findings),
        vec![(AT.to_owned(), "certificate.rsa_key_too_large")]
    );
    assert!(
        findings[0].message.contains("8200 bits"),
        "{}",
        findings[0].message
    );
    // The signature check itself refuses the work too, whoever calls it.
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let info = rsa_check::signature_info(&cert);
    let KeyInfo::Rsa {
        modulus,
        bits,
        exponent_bytes,
        ..
    } = rsa_check::key_info(&cert)
    else {
        panic!("the fixture has an RSA key")
    };
    assert_eq!(
        rsa_check::verify_own_signature(&cert, &info, modulus, bits, exponent_bytes),
        Verdict::Unchecked
    );
}

#[test]
fn bounds_the_list_and_the_file_name() {
    let mut request =
        RegistrationRequest::from_json(include_str!("../../../tests/data/delegated_request.json"))
            .unwrap();
    request.certificates = vec![upload(fixture!("rsa2048.pem")); MAX_CERTIFICATES + 1];
    request.certificates[0].file_name = "x".repeat(MAX_NAME_CHARS + 1);
    let mut findings = Vec::new();
    check_count(&request, &mut findings);
    let summaries = check(&request.certificates, now(), &mut findings);
    assert_eq!(
        codes(&findings),
        vec![
            ("certificates".into(), "certificate.too_many"),
            (
                "certificates[0].file_name".into(),
                "certificate.file_name_too_long"
            ),
        ]
    );
    assert_eq!(summaries.len(), MAX_CERTIFICATES - 1);
    assert_eq!(summaries[0].path, "certificates[1]");
    assert_eq!(summaries[8].path, "certificates[9]");
}

#[test]
fn every_upload_gets_its_own_path() {
    let uploads = [
        upload(fixture!("rsa2048.pem")),
        upload(fixture!("rsa1024.pem")),
    ];
    let mut findings = Vec::new();
    let summaries = check(&uploads, now(), &mut findings);
    assert_eq!(
        codes(&findings),
        vec![("certificates[1]".into(), "certificate.rsa_key_too_small")]
    );
    assert_eq!(summaries.len(), 1);
    assert_eq!(summaries[0].path, "certificates[0]");
}

#[test]
fn every_code_has_a_reason_and_a_source() {
    for code in CertificateCode::ALL {
        assert!(code.code().starts_with("certificate."));
        assert!(
            code.why().len() > 20 && code.source().len() > 3,
            "{}",
            code.code()
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..3000)) {
        let _ = run(&bytes, now());
    }

    #[test]
    fn arbitrary_content_base64_never_panics(content in ".{0,400}") {
        let mut findings = Vec::new();
        let upload = CertificateUpload { file_name: "x".into(), content_base64: content };
        let _ = check(&[upload], now(), &mut findings);
    }

    #[test]
    fn damaged_certificates_never_panic(
        index in 0usize..1200,
        value in any::<u8>(),
        cut in 0usize..1300,
    ) {
        let der = fixture!("rsa2048.der");
        let mut damaged = der.to_vec();
        if let Some(byte) = damaged.get_mut(index) {
            *byte = value;
        }
        let _ = run(&damaged, now());
        let _ = run(&der[..cut.min(der.len())], now());
        let pem = format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", STANDARD.encode(&damaged));
        let _ = run(pem.as_bytes(), now());
    }

    #[test]
    fn pem_like_text_never_panics(text in "(-----(BEGIN|END) [A-Z ]{0,12}-----|[A-Za-z0-9+/=:\r\n ]{0,40}){0,8}") {
        let _ = run(text.as_bytes(), now());
    }
}

/// Run with `cargo test --release -p registration -- --ignored certificate_check_is_fast`.
#[test]
#[ignore = "timing: meaningful only in a release build"]
fn certificate_check_is_fast() {
    let uploads = [upload(fixture!("rsa2048.pem"))];
    let now = now();
    let rounds = 200;
    let start = std::time::Instant::now();
    for _ in 0..rounds {
        let mut findings = Vec::new();
        std::hint::black_box(check(&uploads, now, &mut findings));
    }
    let each = start.elapsed() / rounds;
    eprintln!("one RSA 2048 self-signed certificate: {each:?}");
    if !cfg!(debug_assertions) {
        assert!(each < std::time::Duration::from_micros(200), "{each:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_changed_signature_never_verifies(index in 0usize..512, flip in 1u8..=255) {
        for der in [fixture!("rsa2048.der"), &pem_der(fixture!("pss.pem"))[..], &pem_der(fixture!("rsa4096.pem"))[..]] {
            let (_, cert) = X509Certificate::from_der(der).unwrap();
            let info = rsa_check::signature_info(&cert);
            let KeyInfo::Rsa { modulus, bits, exponent_bytes, .. } = rsa_check::key_info(&cert) else {
                panic!("fixture has an RSA key")
            };
            prop_assert_eq!(
                rsa_check::verify_own_signature(&cert, &info, modulus, bits, exponent_bytes),
                Verdict::Valid
            );
            let mut damaged = der.to_vec();
            let at = damaged.len() - 1 - index % (bits / 8);
            damaged[at] ^= flip;
            let (_, cert) = X509Certificate::from_der(&damaged).unwrap();
            prop_assert_eq!(
                rsa_check::verify_own_signature(&cert, &info, modulus, bits, exponent_bytes),
                Verdict::Invalid
            );
        }
    }
}

fn pem_der(pem: &[u8]) -> Vec<u8> {
    let body: String = std::str::from_utf8(pem)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    STANDARD.decode(body).unwrap()
}
