//! Certificate rules (RULES.md §5): the bytes decide, never the file name.
//!
//! Each upload is decoded (size first), sniffed for what it is (every PEM block and every DER
//! structure), refused outright when it holds a private key, and otherwise its first certificate
//! is checked: key, signature, dates and usage. Nothing of a private key is kept or repeated.

mod rsa_check;
mod sniff;
#[cfg(test)]
mod tests;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use sha1::Sha1;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime, UtcOffset};
use x509_parser::certificate::X509Certificate;
use x509_parser::prelude::FromDer;

use crate::limits::{MAX_CERTIFICATE_BYTES, MAX_CERTIFICATES, MAX_NAME_CHARS};
use crate::{CertificateSummary, CertificateUpload, Finding, RegistrationRequest, Severity};
use rsa_check::{Exponent, KeyInfo, Verdict};
use sniff::{Item, Nothing};

crate::finding_codes! {
    /// Codes raised by the certificate rules.
    pub enum CertificateCode {
        TooMany => ("certificate.too_many", Error, "Bounded lists keep validation cheap; an application needs one certificate, two while it rolls over to a new one.", "Desk rule (limits.rs MAX_CERTIFICATES)"),
        FileNameTooLong => ("certificate.file_name_too_long", Error, "Bounded fields keep records readable and validation cheap; the file name is kept only for the reviewer.", "Desk rule (limits.rs MAX_NAME_CHARS)"),
        Base64 => ("certificate.base64", Error, "The request carries the file's bytes as standard base64; anything else cannot be read.", "CONTRACTS.md §1; RFC 4648 §4"),
        TooLarge => ("certificate.too_large", Error, "A certificate is a few kilobytes; a bigger upload is not one certificate, and reading it would be unbounded work.", "Desk rule (limits.rs MAX_CERTIFICATE_BYTES, 64 KiB)"),
        Empty => ("certificate.empty", Error, "An empty file has no certificate for Entra to check signatures against.", "Entra certificate credentials"),
        PrivateKey => ("certificate.private_key", Error, "A private key must never leave its owner; one that was uploaded is compromised and must be replaced.", "Microsoft identity platform certificate credentials; NCSC/NIST SP 800-57 Pt 1 §6.1 (key compromise)"),
        Pkcs12 => ("certificate.pkcs12", Error, "A PKCS #12 (.pfx/.p12) file carries the private key; Entra needs only the public certificate.", "RFC 7292; Entra 'upload a certificate' (.cer, .pem, .crt only)"),
        Pkcs7 => ("certificate.pkcs7", Error, "Entra accepts one X.509 certificate (.cer, .pem, .crt), not a PKCS #7 bundle.", "RFC 2315 / RFC 5652; Entra 'upload a certificate'"),
        Csr => ("certificate.csr", Error, "A certificate signing request is not yet a certificate: it has no validity and no issuer's signature.", "RFC 2986 (PKCS #10)"),
        PublicKey => ("certificate.public_key", Error, "Entra registers certificates, not bare public keys: the certificate carries the thumbprint and dates it checks.", "Entra certificate credentials (keyCredentials type AsymmetricX509Cert)"),
        PemUnterminated => ("certificate.pem_unterminated", Error, "A PEM block without its END line was cut short in copying; what remains may be incomplete.", "RFC 7468 §2"),
        PemNotBase64 => ("certificate.pem_not_base64", Error, "The body of a PEM block must be base64; anything else was damaged or is not a certificate.", "RFC 7468 §2–3"),
        NotDerCertificate => ("certificate.not_der_certificate", Error, "The file is shaped like a certificate but its contents are not a readable X.509 certificate.", "RFC 5280 §4.1; ITU-T X.690 (DER)"),
        Thumbprint => ("certificate.thumbprint", Error, "A thumbprint identifies a certificate but is not one: Entra needs the certificate itself.", "Entra certificate credentials; RFC 7515 §4.1.7"),
        NoCertificate => ("certificate.no_certificate", Error, "The desk can only register a file that contains an X.509 certificate.", "Entra 'upload a certificate' (.cer, .pem, .crt)"),
        KeyNotRsa => ("certificate.key_not_rsa", Error, "Microsoft Entra ID supports only RSA keys for certificate credentials; others fail at sign-in (AADSTS5002738 for ES256).", "Microsoft identity platform certificate credentials; Entra error codes (AADSTS5002738)"),
        KeyMalformed => ("certificate.key_malformed", Error, "The certificate's RSA key is not a valid encoding of a modulus and exponent.", "RFC 8017 §A.1.1; RFC 3279 §2.3.1"),
        RsaKeyTooSmall => ("certificate.rsa_key_too_small", Error, "Entra refuses RSA keys under 2048 bits at sign-in (AADSTS50032).", "Entra error codes (AADSTS50032); NIST SP 800-131A Rev. 2"),
        RsaKeyTooLarge => ("certificate.rsa_key_too_large", Error, "Keys over 8192 bits go far beyond any current need (3072 bits gives 128-bit security) and make every check of them costly; the desk refuses them rather than spend the work.", "Desk rule (limits.rs MAX_RSA_BITS); NIST SP 800-57 Pt 1 Rev. 5 Table 2"),
        RsaExponentInvalid => ("certificate.rsa_exponent_invalid", Error, "An RSA public exponent that is even or below 3 cannot make a working key.", "RFC 8017 §3.1; CA/Browser Forum BR §6.1.6"),
        WeakSignatureHash => ("certificate.weak_signature_hash", Error, "MD2, MD4, MD5 and SHA-1 signatures can be forged by collision; the desk refuses them (a policy choice: Entra itself does not check).", "CA/Browser Forum BR §7.1.3.2; NIST SP 800-131A Rev. 2 §9"),
        BadSignature => ("certificate.bad_signature", Error, "A self-issued certificate is signed with its own key; a signature that does not verify means the file was altered or damaged.", "RFC 5280 §6.1 (self-issued certificates)"),
        Expired => ("certificate.expired", Error, "Entra refuses a certificate credential after its notAfter date.", "RFC 5280 §4.1.2.5; Entra certificate credentials"),
        NotYetValid => ("certificate.not_yet_valid", Error, "A certificate is not valid before its notBefore date.", "RFC 5280 §4.1.2.5"),
        ExpiringSoon => ("certificate.expiring_soon", Warning, "A certificate that expires within 60 days needs renewing almost at once; NHSmail sends reminders at 60, 45, 30, 14 and 7 days.", "NHSmail OAuth onboarding guidance (certificate renewal reminders)"),
        LifetimeTooLong => ("certificate.lifetime_too_long", Warning, "Long-lived credentials are a standing risk; NHSmail asks for certificates valid for at most 24 months.", "NHSmail OAuth onboarding guidance; Microsoft credential hygiene guidance"),
        CaCertificate => ("certificate.ca_certificate", Warning, "A certificate authority's certificate is for issuing certificates, not for authenticating one application.", "RFC 5280 §4.2.1.9, §4.2.1.3"),
        KeyUsage => ("certificate.key_usage", Warning, "Client authentication signs a JWT assertion; a keyUsage without digitalSignature forbids that.", "RFC 5280 §4.2.1.3; Entra certificate credentials (signed client assertion)"),
        ExtendedKeyUsage => ("certificate.extended_key_usage", Warning, "A certificate restricted to other uses (often a reused TLS server certificate) should not also be a client credential.", "RFC 5280 §4.2.1.12"),
        RsaExponentSmall => ("certificate.rsa_exponent_small", Warning, "Small RSA exponents below 65537 have a history of implementation attacks; standard keys use 65537.", "CA/Browser Forum BR §6.1.6; NIST SP 800-89 §5.3.3"),
        Chain => ("certificate.chain", Warning, "Entra registers one certificate per credential: the first in the file is used and the rest ignored.", "Entra 'upload a certificate'"),
        OtherBlocks => ("certificate.other_blocks", Warning, "Only the certificate is registered; other material in the file is ignored and should not be sent.", "RFC 7468; Entra 'upload a certificate'"),
        BareBase64 => ("certificate.bare_base64", Warning, "Base64 without BEGIN/END lines is not a standard certificate file; other tools (and Entra's upload) may not read it.", "RFC 7468 §2"),
        TrailingData => ("certificate.trailing_data", Warning, "Bytes after the certificate are not part of it; the file may have been joined or damaged.", "ITU-T X.690 (DER)"),
        SignatureUnchecked => ("certificate.signature_unchecked", Warning, "The self-issued certificate uses a signature algorithm or parameters the desk cannot verify, so damage would go unnoticed.", "RFC 5280 §4.1.1.2; RFC 4055"),
    }
}

/// Lenient decoding of `content_base64`: MIME-style line breaks and missing padding are harmless.
const REQUEST_BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// NHSmail's renewal reminder points, nearest first.
const REMINDER_DAYS: [i64; 5] = [7, 14, 30, 45, 60];

/// Checks the request's number of certificates against the bound its type declares.
pub fn check_count(request: &RegistrationRequest, out: &mut Vec<Finding>) {
    if crate::bounds::over(request, "certificates") {
        out.push(Finding::new(
            CertificateCode::TooMany,
            "certificates",
            format!(
                "{} certificates were uploaded; the most is {MAX_CERTIFICATES}.",
                request.certificates.len()
            ),
            "Upload only the certificate the application uses (two while it changes to a new one).",
        ));
    }
}

/// Checks `certificates[i]` (the first [`MAX_CERTIFICATES`]) and summarises each accepted or
/// warned certificate.
pub fn check(
    certificates: &[CertificateUpload],
    now: OffsetDateTime,
    out: &mut Vec<Finding>,
) -> Vec<CertificateSummary> {
    let mut summaries = Vec::new();
    for (index, upload) in certificates.iter().take(MAX_CERTIFICATES).enumerate() {
        let path = format!("certificates[{index}]");
        let first = out.len();
        let summary = check_upload(upload, &path, now, out);
        let refused = out
            .iter()
            .skip(first)
            .any(|f| f.severity == Severity::Error);
        if let (false, Some(summary)) = (refused, summary) {
            summaries.push(summary);
        }
    }
    summaries
}

fn check_upload(
    upload: &CertificateUpload,
    path: &str,
    now: OffsetDateTime,
    out: &mut Vec<Finding>,
) -> Option<CertificateSummary> {
    if crate::bounds::over(upload, "file_name") {
        let name_chars = upload.file_name.chars().count();
        out.push(Finding::new(
            CertificateCode::FileNameTooLong,
            format!("{path}.file_name"),
            format!("The file name is {name_chars} characters long; the most is {MAX_NAME_CHARS}."),
            "Rename the file to something shorter, such as app.cer, and upload it again.",
        ));
    }
    let bytes = decode_upload(&upload.content_base64, path, out)?;
    let sniffed = sniff::sniff(&bytes);
    drop(bytes);

    if let Some(nothing) = sniffed.nothing {
        out.push(nothing_finding(nothing, path));
        return None;
    }
    if refuse_keys(&sniffed.items, path, out) {
        return None;
    }
    let mut raised = Vec::new();
    let mut raise =
        |code: CertificateCode, out: &mut Vec<Finding>, finding: fn(&str) -> Finding| {
            if !raised.contains(&code) {
                raised.push(code);
                out.push(finding(path));
            }
        };
    for item in &sniffed.items {
        match item {
            Item::Unterminated => raise(CertificateCode::PemUnterminated, out, unterminated),
            Item::NotBase64 => raise(CertificateCode::PemNotBase64, out, not_base64),
            Item::NotDerCertificate => raise(CertificateCode::NotDerCertificate, out, not_der),
            _ => {}
        }
    }
    let mut certificates = sniffed.items.iter().filter_map(|item| match item {
        Item::Certificate(der) => Some(der),
        _ => None,
    });
    let others = sniffed.items.iter().filter_map(describe_other);
    let Some(der) = certificates.next() else {
        for item in &sniffed.items {
            match item {
                Item::Pkcs7 => raise(CertificateCode::Pkcs7, out, pkcs7),
                Item::Csr => raise(CertificateCode::Csr, out, csr),
                Item::PublicKey => raise(CertificateCode::PublicKey, out, public_key),
                _ => {}
            }
        }
        let other = sniffed.items.iter().find_map(|item| match item {
            Item::Other(what) => Some(what),
            _ => None,
        });
        if let Some(what) = other {
            out.push(Finding::new(
                CertificateCode::NoCertificate,
                path,
                format!("This file holds {what}, not a certificate."),
                NO_CERTIFICATE_HINT,
            ));
        }
        return None;
    };
    let chain_length = 1 + certificates.count();
    if chain_length > 1 {
        out.push(Finding::new(
            CertificateCode::Chain,
            path,
            format!(
                "This file holds {chain_length} certificates (a chain). The first is taken as the application's credential; the others are ignored."
            ),
            "If the first certificate is not the application's own, upload the application's certificate on its own (openssl x509 -in chain.pem -out app.pem keeps the first).",
        ));
    }
    let other_kinds: Vec<&str> = others.collect();
    if let Some(first_other) = other_kinds.first() {
        out.push(Finding::new(
            CertificateCode::OtherBlocks,
            path,
            format!(
                "Besides the certificate, this file also holds {first_other}; only the certificate is used."
            ),
            "Upload a file with just the certificate (openssl x509 -in file.pem -out app.pem).",
        ));
    }
    if sniffed.format == sniff::Format::Base64 {
        out.push(Finding::new(
            CertificateCode::BareBase64,
            path,
            "This file is a certificate written as base64 without the -----BEGIN CERTIFICATE----- and -----END CERTIFICATE----- lines.",
            "It can be registered as it is; for other tools, save it as PEM (add the BEGIN and END lines) or export it as \"Base-64 encoded X.509 (.CER)\".",
        ));
    }
    if sniffed.trailing_data {
        out.push(Finding::new(
            CertificateCode::TrailingData,
            path,
            "After the certificate, the file has extra bytes that are not part of any certificate; they are ignored.",
            "Check that this is the file you meant; re-export the certificate on its own if in doubt.",
        ));
    }
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        raise(CertificateCode::NotDerCertificate, out, not_der);
        return None;
    };
    Some(check_certificate(&cert, sniffed.format, path, now, out))
}

/// Decodes `content_base64`, refusing anything over the size bound before decoding it.
fn decode_upload(content: &str, path: &str, out: &mut Vec<Finding>) -> Option<Vec<u8>> {
    let significant = content.bytes().filter(|b| !b.is_ascii_whitespace()).count();
    // Four base64 characters carry three bytes; up to two are padding.
    let at_least = significant.saturating_sub(2) / 4 * 3;
    if at_least > MAX_CERTIFICATE_BYTES {
        out.push(too_large(path, at_least));
        return None;
    }
    let compact: Vec<u8> = content
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let Ok(bytes) = REQUEST_BASE64.decode(&compact) else {
        out.push(Finding::new(
            CertificateCode::Base64,
            format!("{path}.content_base64"),
            "The uploaded file's contents did not arrive as valid base64, so the file cannot be read.",
            "Upload the file again. If you call the API yourself, send the file's bytes as standard base64 (RFC 4648 §4).",
        ));
        return None;
    };
    if bytes.len() > MAX_CERTIFICATE_BYTES {
        out.push(too_large(path, bytes.len()));
        return None;
    }
    Some(bytes)
}

fn too_large(path: &str, bytes: usize) -> Finding {
    Finding::new(
        CertificateCode::TooLarge,
        path,
        format!(
            "This file is {} KiB; a certificate is a few KiB and the most the desk reads is {} KiB.",
            bytes.div_ceil(1024),
            MAX_CERTIFICATE_BYTES / 1024
        ),
        "Upload only the application's public certificate (.cer, .crt or .pem), not an archive, a bundle or a document.",
    )
}

const NO_CERTIFICATE_HINT: &str = "Upload the application's public certificate: a .cer, .crt or .pem file that starts with -----BEGIN CERTIFICATE----- (or its binary DER form). From Windows, export it as \"Base-64 encoded X.509 (.CER)\" without the private key.";

fn nothing_finding(nothing: Nothing, path: &str) -> Finding {
    match nothing {
        Nothing::Empty => Finding::new(
            CertificateCode::Empty,
            path,
            "This file is empty (or holds only spaces and line breaks).",
            NO_CERTIFICATE_HINT,
        ),
        Nothing::Thumbprint => Finding::new(
            CertificateCode::Thumbprint,
            path,
            "This file holds a certificate thumbprint (a fingerprint), not the certificate itself.",
            "Upload the certificate file the thumbprint belongs to; the desk works the thumbprint out from it.",
        ),
        Nothing::Text => Finding::new(
            CertificateCode::NoCertificate,
            path,
            "This file holds text, not a certificate.",
            NO_CERTIFICATE_HINT,
        ),
        Nothing::Binary => Finding::new(
            CertificateCode::NoCertificate,
            path,
            "This file is not in any certificate format the desk recognises.",
            NO_CERTIFICATE_HINT,
        ),
    }
}

/// Raises the key and PKCS #12 findings; true when the upload must not be examined further.
fn refuse_keys(items: &[Item], path: &str, out: &mut Vec<Finding>) -> bool {
    let key = items.iter().find_map(|item| match item {
        Item::PrivateKey(kind) => Some(*kind),
        _ => None,
    });
    if let Some(kind) = key {
        out.push(Finding::new(
            CertificateCode::PrivateKey,
            path,
            format!(
                "This file contains {}. A private key must never leave the system that uses it: because it was uploaded, it must now be treated as compromised. The upload is refused as a whole, including any certificate in it.",
                kind.describe()
            ),
            KEY_HINT,
        ));
    }
    let pkcs12 = items.contains(&Item::Pkcs12);
    if pkcs12 {
        out.push(Finding::new(
            CertificateCode::Pkcs12,
            path,
            "This file is a PKCS #12 (.pfx or .p12) bundle, which holds the private key as well as the certificate. Do not send its password to anyone. Because the key was uploaded, it must now be treated as compromised.",
            KEY_HINT,
        ));
    }
    key.is_some() || pkcs12
}

const KEY_HINT: &str = "Make a new key pair and certificate, keep the private key on the application's server, and upload only the certificate. With OpenSSL: openssl x509 -in combined.pem -out app.pem writes the certificate alone. On Windows, export the certificate with \"No, do not export the private key\" and choose \"Base-64 encoded X.509 (.CER)\".";

fn describe_other(item: &Item) -> Option<&str> {
    match item {
        Item::Pkcs7 => Some("a PKCS #7 bundle (.p7b)"),
        Item::Csr => Some("a certificate signing request (CSR)"),
        Item::PublicKey => Some("a bare public key"),
        Item::Other(what) => Some(what),
        _ => None,
    }
}

fn unterminated(path: &str) -> Finding {
    Finding::new(
        CertificateCode::PemUnterminated,
        path,
        "This file has a -----BEGIN----- line without its matching -----END----- line: it was cut short or damaged in copying.",
        "Copy or export the whole certificate again, including the -----END CERTIFICATE----- line.",
    )
}

fn not_base64(path: &str) -> Finding {
    Finding::new(
        CertificateCode::PemNotBase64,
        path,
        "Between its BEGIN and END lines this file holds text that is not base64, so it is not a readable certificate.",
        "Export the certificate again as \"Base-64 encoded X.509 (.CER)\" or with openssl x509 -in cert -out app.pem; do not edit the lines between BEGIN and END.",
    )
}

fn not_der(path: &str) -> Finding {
    Finding::new(
        CertificateCode::NotDerCertificate,
        path,
        "This file looks like a certificate from the outside, but its contents are not a readable X.509 certificate (damaged, truncated or something else).",
        "Export the certificate again from where it was created and upload that file unchanged.",
    )
}

fn pkcs7(path: &str) -> Finding {
    Finding::new(
        CertificateCode::Pkcs7,
        path,
        "This file is a PKCS #7 bundle (.p7b or .p7c), a container of certificates, not a single certificate.",
        "Upload the application's own certificate on its own: openssl pkcs7 -in bundle.p7b -print_certs -out certs.pem lists them, or on Windows open the .p7b and export the application's certificate as \"Base-64 encoded X.509 (.CER)\".",
    )
}

fn csr(path: &str) -> Finding {
    Finding::new(
        CertificateCode::Csr,
        path,
        "This file is a certificate signing request (CSR), not a certificate: it has not been signed yet.",
        "Upload the certificate made from this request (signed by your certificate authority, or self-signed with openssl x509 -req -in request.csr -signkey app.key -days 365 -out app.pem).",
    )
}

fn public_key(path: &str) -> Finding {
    Finding::new(
        CertificateCode::PublicKey,
        path,
        "This file holds a bare public key, not a certificate. Entra needs the certificate that contains the key.",
        "Upload the X.509 certificate for this key (a .cer, .crt or .pem file starting with -----BEGIN CERTIFICATE-----). SSH keys cannot be used.",
    )
}

/// The rules on one parsed certificate; returns its summary (kept only when nothing is an error).
fn check_certificate(
    cert: &X509Certificate<'_>,
    format: sniff::Format,
    path: &str,
    now: OffsetDateTime,
    out: &mut Vec<Finding>,
) -> CertificateSummary {
    let signature = rsa_check::signature_info(cert);
    let key = rsa_check::key_info(cert);
    let subject = cert.subject();
    let issuer = cert.issuer();
    let (subject_text, issuer_text) = (subject.to_string(), issuer.to_string());
    // Equal names in different string types (PrintableString vs UTF8String) still match.
    let self_issued = subject.as_raw() == issuer.as_raw() || subject_text == issuer_text;

    let (key_text, verifiable) = check_key(&key, path, out);

    if let Some(hash) = signature.hash.weak_name() {
        out.push(Finding::new(
            CertificateCode::WeakSignatureHash,
            path,
            format!("This certificate is signed with {hash} ({}), which is no longer safe against forgery.", signature.name),
            "Make a new certificate signed with SHA-256 (OpenSSL: add -sha256; PowerShell New-SelfSignedCertificate: -HashAlgorithm SHA256).",
        ));
    }

    // Only a self-issued certificate is signed by its own key; a CA-issued one is never checked.
    if self_issued
        && verifiable
        && let KeyInfo::Rsa {
            modulus,
            bits,
            exponent_bytes,
            ..
        } = &key
    {
        match rsa_check::verify_own_signature(cert, &signature, modulus, *bits, exponent_bytes) {
            Verdict::Valid => {}
            Verdict::Invalid => out.push(Finding::new(
                CertificateCode::BadSignature,
                path,
                "This certificate names itself as its issuer, but its signature does not match its own key: the file was altered or damaged.",
                "Export the certificate again from where it was created and upload it unchanged.",
            )),
            Verdict::Unchecked if signature.hash.weak_name().is_none() => out.push(Finding::new(
                CertificateCode::SignatureUnchecked,
                path,
                format!("This self-signed certificate uses a signature algorithm ({}) the desk cannot verify, so it cannot confirm the file is undamaged.", signature.name),
                "Consider a certificate signed with sha256WithRSAEncryption, which every tool supports.",
            )),
            Verdict::Unchecked => {}
        }
    }

    let not_before = cert.validity().not_before.to_datetime();
    let not_after = cert.validity().not_after.to_datetime();
    check_dates(not_before, not_after, path, now, out);
    check_usage(cert, self_issued, path, out);

    let left = not_after - now;
    let der = cert.as_raw();
    let sha1 = Sha1::digest(der);
    let sha256 = Sha256::digest(der);
    CertificateSummary {
        path: path.to_owned(),
        format: format.as_str().to_owned(),
        subject: subject_text,
        issuer: issuer_text,
        serial: serial_text(cert.raw_serial()),
        not_before,
        not_after,
        days_remaining: whole_days(left),
        key: key_text,
        signature_algorithm: signature.name,
        sha1_thumbprint: upper_hex(&sha1),
        sha256_thumbprint: upper_hex(&sha256),
        x5t: jose_thumbprint(&sha1),
        x5t_s256: jose_thumbprint(&sha256),
        der_base64: STANDARD.encode(der),
    }
}

/// The key rules; returns the key as the summary names it and whether it may be used to verify.
fn check_key(key: &KeyInfo<'_>, path: &str, out: &mut Vec<Finding>) -> (String, bool) {
    match key {
        KeyInfo::NotRsa(what) => {
            out.push(Finding::new(
                CertificateCode::KeyNotRsa,
                path,
                format!("This certificate has {what}. Microsoft Entra ID accepts only RSA keys for application certificates (sign-in fails with AADSTS5002738)."),
                "Make a new RSA key pair of at least 2048 bits and a certificate for it, e.g. openssl req -x509 -newkey rsa:2048 -sha256 -days 365 -keyout app.key -out app.pem.",
            ));
            ("not RSA".to_owned(), false)
        }
        KeyInfo::MalformedRsa => {
            out.push(Finding::new(
                CertificateCode::KeyMalformed,
                path,
                "This certificate's RSA key is not correctly encoded, so it cannot be used.",
                "Make a new RSA key pair and certificate with a standard tool (OpenSSL, Windows, Azure Key Vault).",
            ));
            ("RSA (malformed)".to_owned(), false)
        }
        KeyInfo::Rsa { bits, exponent, .. } => {
            let mut usable = true;
            if *bits < 2048 {
                usable = false;
                out.push(Finding::new(
                    CertificateCode::RsaKeyTooSmall,
                    path,
                    format!("This certificate's RSA key is {bits} bits; Entra refuses keys under 2048 bits at sign-in (AADSTS50032)."),
                    "Make a new RSA key pair of 2048 bits or more and a certificate for it, e.g. openssl req -x509 -newkey rsa:2048 -sha256 -days 365 -keyout app.key -out app.pem.",
                ));
            }
            if *bits > crate::limits::MAX_RSA_BITS {
                usable = false;
                out.push(Finding::new(
                    CertificateCode::RsaKeyTooLarge,
                    path,
                    format!("This certificate's RSA key is {bits} bits; the desk accepts keys of up to {} bits.", crate::limits::MAX_RSA_BITS),
                    "Make a new RSA key pair of 2048, 3072 or 4096 bits and a certificate for it, e.g. openssl req -x509 -newkey rsa:3072 -sha256 -days 365 -keyout app.key -out app.pem.",
                ));
            }
            let (even, value) = match exponent {
                Exponent::Value(e) => (e % 2 == 0, Some(*e)),
                Exponent::Huge { odd } => (!odd, None),
            };
            if even || value.is_some_and(|e| e < 3) {
                usable = false;
                out.push(Finding::new(
                    CertificateCode::RsaExponentInvalid,
                    path,
                    format!("This certificate's RSA public exponent ({}) is {}, so the key cannot work.", exponent_text(*exponent), if even { "even" } else { "below 3" }),
                    "Make a new RSA key pair with the standard exponent 65537 (the default in OpenSSL and Windows).",
                ));
            } else if let Some(e @ 3..65537) = value {
                out.push(Finding::new(
                    CertificateCode::RsaExponentSmall,
                    path,
                    format!("This certificate's RSA public exponent is {e}; standard keys use 65537."),
                    "Consider making a new key pair with the default exponent 65537 when this certificate is next renewed.",
                ));
            }
            (format!("RSA {bits}"), usable)
        }
    }
}

/// Validity (RFC 5280 §4.1.2.5, bounds inclusive), the expiry reminder and the lifetime.
fn check_dates(
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    path: &str,
    now: OffsetDateTime,
    out: &mut Vec<Finding>,
) {
    let left = not_after - now;
    if now < not_before {
        out.push(Finding::new(
            CertificateCode::NotYetValid,
            path,
            format!("This certificate is not valid until {}.", when(not_before)),
            "Wait until the certificate's start date, or check the clock of the machine that made it and make it again.",
        ));
    }
    if now > not_after {
        out.push(Finding::new(
            CertificateCode::Expired,
            path,
            format!("This certificate expired on {}.", when(not_after)),
            "Make a new certificate (with a new key pair) and upload that.",
        ));
    } else if let Some(point) = REMINDER_DAYS.iter().find(|&&d| left <= Duration::days(d)) {
        out.push(Finding::new(
            CertificateCode::ExpiringSoon,
            path,
            format!(
                "This certificate expires on {} ({} days from now): NHSmail's {point}-day renewal reminder already applies.",
                when(not_after),
                whole_days(left)
            ),
            "Plan its replacement now: make a new certificate and register it before this one expires (an application can hold both while it changes over).",
        ));
    }
    if over_24_months(not_before, not_after) {
        out.push(Finding::new(
            CertificateCode::LifetimeTooLong,
            path,
            format!(
                "This certificate is valid from {} to {}, longer than 24 months.",
                when(not_before),
                when(not_after)
            ),
            "It can be registered, but NHSmail asks for certificates of 24 months or less; make the next one shorter (e.g. -days 730 or less).",
        ));
    }
}

/// CA certificates and key usages that do not fit a client credential (all warnings).
fn check_usage(cert: &X509Certificate<'_>, self_issued: bool, path: &str, out: &mut Vec<Finding>) {
    let basic = cert.basic_constraints().ok().flatten();
    let key_usage = cert.key_usage().ok().flatten();
    let is_ca = basic.is_some_and(|b| b.value.ca);
    if is_ca && (key_usage.as_ref().is_some_and(|k| k.value.key_cert_sign()) || !self_issued) {
        out.push(Finding::new(
            CertificateCode::CaCertificate,
            path,
            "This is a certificate authority's certificate (it is marked as able to issue other certificates), not an application's own certificate.",
            "Upload the application's own certificate, not the certificate of the authority that issued it.",
        ));
    }
    if key_usage
        .as_ref()
        .is_some_and(|k| !k.value.digital_signature())
    {
        out.push(Finding::new(
            CertificateCode::KeyUsage,
            path,
            "This certificate's key usage does not include digital signatures, which is what an application does with it when it signs in.",
            "Ask for (or make) a certificate whose key usage includes Digital Signature.",
        ));
    }
    if let Ok(Some(eku)) = cert.extended_key_usage()
        && !eku.value.client_auth
        && !eku.value.any
    {
        out.push(Finding::new(
            CertificateCode::ExtendedKeyUsage,
            path,
            "This certificate is restricted to other purposes (for example a web server's TLS certificate) and does not include client authentication.",
            "Use a certificate made for the application itself, with Client Authentication in its extended key usage (or none).",
        ));
    }
}

fn exponent_text(exponent: Exponent) -> String {
    match exponent {
        Exponent::Value(e) => e.to_string(),
        Exponent::Huge { .. } => "a number over 64 bits".to_owned(),
    }
}

/// Whole days, rounded down (so an hour past expiry is day −1).
fn whole_days(span: Duration) -> i64 {
    span.whole_seconds().div_euclid(86_400)
}

/// True when `not_after` is later than the same instant 24 calendar months after `not_before`.
fn over_24_months(not_before: OffsetDateTime, not_after: OffsetDateTime) -> bool {
    let plus_two_years = not_before.replace_year(not_before.year() + 2).or_else(|_| {
        // 29 February has no twin two years on: the month ends on the 28th.
        not_before
            .replace_day(28)
            .and_then(|d| d.replace_year(not_before.year() + 2))
    });
    plus_two_years.is_ok_and(|limit| not_after > limit)
}

fn when(t: OffsetDateTime) -> String {
    let t = t.to_offset(UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The serial number as colon-separated upper-case hex, without DER's sign-padding zeros.
fn serial_text(raw: &[u8]) -> String {
    let zeros = raw.iter().take_while(|&&b| b == 0).count();
    let digits = raw.get(zeros..).filter(|d| !d.is_empty()).unwrap_or(&[0]);
    let mut text = String::with_capacity(digits.len() * 3);
    for (i, b) in digits.iter().enumerate() {
        if i > 0 {
            text.push(':');
        }
        text.push_str(&format!("{b:02X}"));
    }
    text
}

fn upper_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let mut text = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        text.push(char::from(DIGITS[usize::from(b >> 4)]));
        text.push(char::from(DIGITS[usize::from(b & 0x0F)]));
    }
    text
}

/// JOSE `x5t` / `x5t#S256`: the digest in base64url without padding (RFC 7515 §4.1.7–4.1.8).
fn jose_thumbprint(digest: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(digest)
}

impl CertificateCode {
    /// Whether the finding means the file holds no usable X.509 certificate at all (as opposed
    /// to a certificate with a problem).
    pub const fn means_no_certificate(self) -> bool {
        match self {
            CertificateCode::Base64
            | CertificateCode::TooLarge
            | CertificateCode::Empty
            | CertificateCode::PrivateKey
            | CertificateCode::Pkcs12
            | CertificateCode::Pkcs7
            | CertificateCode::Csr
            | CertificateCode::PublicKey
            | CertificateCode::PemUnterminated
            | CertificateCode::PemNotBase64
            | CertificateCode::NotDerCertificate
            | CertificateCode::Thumbprint
            | CertificateCode::NoCertificate => true,
            CertificateCode::TooMany
            | CertificateCode::FileNameTooLong
            | CertificateCode::KeyNotRsa
            | CertificateCode::KeyMalformed
            | CertificateCode::RsaKeyTooSmall
            | CertificateCode::RsaKeyTooLarge
            | CertificateCode::RsaExponentInvalid
            | CertificateCode::WeakSignatureHash
            | CertificateCode::BadSignature
            | CertificateCode::Expired
            | CertificateCode::NotYetValid
            | CertificateCode::ExpiringSoon
            | CertificateCode::LifetimeTooLong
            | CertificateCode::CaCertificate
            | CertificateCode::KeyUsage
            | CertificateCode::ExtendedKeyUsage
            | CertificateCode::RsaExponentSmall
            | CertificateCode::Chain
            | CertificateCode::OtherBlocks
            | CertificateCode::BareBase64
            | CertificateCode::TrailingData
            | CertificateCode::SignatureUnchecked => false,
        }
    }
}

/// Why the form dropped an uploaded file without keeping any of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedUpload {
    /// The file held a private key.
    PrivateKey,
    /// The file was a PKCS #12 bundle.
    Pkcs12,
    /// The file was over the size limit.
    TooLarge,
    /// The file held no X.509 certificate (a request, a bare public key, a keystore, junk…).
    NotACertificate,
    /// The request already holds the most certificates allowed.
    TooMany,
    /// Keeping the file would make the draft larger than the desk stores.
    DraftFull,
}

impl RefusedUpload {
    /// The name used in the form's redirect (`?refused=private_key`).
    pub fn parse(text: &str) -> Option<RefusedUpload> {
        match text {
            "private_key" => Some(RefusedUpload::PrivateKey),
            "pkcs12" => Some(RefusedUpload::Pkcs12),
            "too_large" => Some(RefusedUpload::TooLarge),
            "not_a_certificate" => Some(RefusedUpload::NotACertificate),
            "too_many" => Some(RefusedUpload::TooMany),
            "draft_full" => Some(RefusedUpload::DraftFull),
            _ => None,
        }
    }

    /// The name used in the form's redirect.
    pub fn as_str(self) -> &'static str {
        match self {
            RefusedUpload::PrivateKey => "private_key",
            RefusedUpload::Pkcs12 => "pkcs12",
            RefusedUpload::TooLarge => "too_large",
            RefusedUpload::NotACertificate => "not_a_certificate",
            RefusedUpload::TooMany => "too_many",
            RefusedUpload::DraftFull => "draft_full",
        }
    }

    /// Whether an upload is kept, from its check: refused when it holds a private key, is a
    /// PKCS #12 bundle or too large, or holds no certificate. Only a file that parses as a
    /// certificate is kept, problems and all (they are shown on the form: an expired or weak
    /// certificate is still the file to replace).
    pub fn of(findings: &[Finding]) -> Option<RefusedUpload> {
        RefusedUpload::from_findings(findings).or_else(|| {
            findings
                .iter()
                .any(|finding| match finding.code {
                    crate::FindingCode::Certificate(code) => code.means_no_certificate(),
                    _ => false,
                })
                .then_some(RefusedUpload::NotACertificate)
        })
    }

    /// The refusal from a check's findings, when the upload must not be kept.
    pub fn from_findings(findings: &[Finding]) -> Option<RefusedUpload> {
        findings.iter().find_map(|finding| match finding.code {
            crate::FindingCode::Certificate(CertificateCode::PrivateKey) => {
                Some(RefusedUpload::PrivateKey)
            }
            crate::FindingCode::Certificate(CertificateCode::Pkcs12) => Some(RefusedUpload::Pkcs12),
            crate::FindingCode::Certificate(CertificateCode::TooLarge) => {
                Some(RefusedUpload::TooLarge)
            }
            _ => None,
        })
    }

    /// The finding the form shows at `path` after the file was dropped (nothing of it kept).
    pub fn finding(self, path: &str) -> Finding {
        match self {
            RefusedUpload::PrivateKey => Finding::new(
                CertificateCode::PrivateKey,
                path,
                "The file you uploaded contains a private key, so it was refused and nothing of it was kept. A private key must never leave the system that uses it: because it was uploaded, treat it as compromised.",
                KEY_HINT,
            ),
            RefusedUpload::Pkcs12 => Finding::new(
                CertificateCode::Pkcs12,
                path,
                "The file you uploaded is a PKCS #12 (.pfx or .p12) bundle, which holds the private key as well as the certificate, so it was refused and nothing of it was kept. Treat that key as compromised.",
                KEY_HINT,
            ),
            RefusedUpload::TooLarge => Finding::new(
                CertificateCode::TooLarge,
                path,
                format!(
                    "The file you uploaded is larger than {} KiB, so it was not kept. A certificate file is a few kilobytes.",
                    MAX_CERTIFICATE_BYTES / 1024
                ),
                "Upload only the certificate (.cer, .crt or .pem), not a bundle or an archive.",
            ),
            RefusedUpload::NotACertificate => Finding::new(
                CertificateCode::NoCertificate,
                path,
                "The file you uploaded does not contain an X.509 certificate, so it was not kept. It may be a certificate signing request, a public key, a JSON Web Key or a keystore.",
                "Upload the application's public certificate: a .cer, .crt or .pem file whose text starts with -----BEGIN CERTIFICATE-----, or its DER form.",
            ),
            RefusedUpload::TooMany => Finding::new(
                CertificateCode::TooMany,
                path,
                format!(
                    "The request already has {MAX_CERTIFICATES} certificates, the most it can hold, so the file you uploaded was not kept."
                ),
                "Remove a certificate you no longer need, then upload the new one. An application needs one certificate, two while it changes to a new one.",
            ),
            RefusedUpload::DraftFull => Finding::new(
                CertificateCode::TooLarge,
                path,
                "The file you uploaded was not kept: with it, this draft would be larger than the desk stores.",
                "Remove certificates you no longer need, then upload the new one.",
            ),
        }
    }
}
