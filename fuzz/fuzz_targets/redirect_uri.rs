//! Fuzzes the redirect URI and token endpoint rules: no input may panic, on any platform.

#![no_main]

use libfuzzer_sys::fuzz_target;
use registration::{Platform, RedirectUri};

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let uris: Vec<RedirectUri> = [Platform::Web, Platform::Spa, Platform::PublicClient]
            .into_iter()
            .map(|platform| RedirectUri {
                uri: s.to_string(),
                platform,
            })
            .collect();
        let mut findings = Vec::new();
        for uri in &uris {
            registration::rules::redirect_uri::check(std::slice::from_ref(uri), &mut findings);
        }
        // As a list too, so the duplicate and near-duplicate rules see it.
        registration::rules::redirect_uri::check(&uris, &mut findings);
        registration::rules::token_endpoint::check(&[s.to_string()], &mut findings);
    }
});
