//! Feeds arbitrary file contents to the certificate rules: they must never panic or hang.
#![no_main]

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use registration::{CertificateUpload, OffsetDateTime};

fuzz_target!(|data: &[u8]| {
    // A fixed `now` keeps runs reproducible (2026-11-01T00:00:00Z).
    let now = OffsetDateTime::from_unix_timestamp(1_793_491_200).unwrap();
    let upload = CertificateUpload {
        file_name: "fuzz.cer".to_owned(),
        content_base64: base64::engine::general_purpose::STANDARD.encode(data),
    };
    let mut findings = Vec::new();
    let _ = registration::rules::certificate::check(&[upload], now, &mut findings);
});
