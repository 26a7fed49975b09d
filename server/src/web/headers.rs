//! Security headers on every response.

use axum::http::{HeaderName, HeaderValue, header};
use axum::response::Response;

/// The policy for anything that is not a rendered page (pages set their own, with a nonce).
const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// HSTS when the desk is reached over https: browsers then refuse plain http to it for a year
/// (OWASP HTTP Strict Transport Security Cheat Sheet). Never sent over plain http, where
/// browsers ignore it anyway.
const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Adds CSP (unless the page set one), nosniff, referrer, framing, opener and permissions
/// policies, HSTS when the desk is reached over `https`, and `no-store` on pages that did not
/// say how they may be cached.
pub fn add(response: &mut Response, https: bool) {
    let headers = response.headers_mut();
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        );
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    // A page holds personal data and the session's CSRF token: no cache may keep it (a shared
    // proxy, or the browser's history showing it again after sign-out on a shared machine).
    let is_page = headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind.as_bytes().starts_with(b"text/html"));
    if is_page && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
