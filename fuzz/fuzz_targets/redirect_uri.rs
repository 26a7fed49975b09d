//! Fuzzes the redirect URI and token endpoint rules: no input may panic, on any platform.

#![no_main]

use libfuzzer_sys::fuzz_target;
use registration::{AccessType, Platform, RedirectUri};

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
        // For both kinds of access: app-only access adds the multi-tenant rules.
        for access in [AccessType::Delegated, AccessType::Application] {
            registration::rules::token_endpoint::check(
                &[s.to_string()],
                access,
                registration::implementation::NHSMAIL_TENANT_ID,
                &mut findings,
            );
        }
    }
});
