//! Feeds arbitrary bytes to the whole pipeline the API and CLI run: parse the JSON request,
//! then validate it against the embedded directory. Neither step may panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use registration::{Directory, EmbeddedDirectory, OffsetDateTime, RegistrationRequest};

fuzz_target!(|data: &[u8]| {
    let Ok(json) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(request) = RegistrationRequest::from_json(json) else {
        return;
    };
    // A fixed `now` keeps runs reproducible (2026-11-01T00:00:00Z).
    let now = OffsetDateTime::from_unix_timestamp(1_793_491_200).unwrap();
    let report = registration::validate(&request, Directory::new(EmbeddedDirectory::get()), now);
    assert_eq!(
        report.valid,
        report
            .findings
            .iter()
            .all(|f| f.severity != registration::Severity::Error)
    );
});
