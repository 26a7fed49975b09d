//! Cross-site requests refused: a request that changes state (any method but GET, HEAD and
//! OPTIONS) from a browser must come from the desk's own pages (OWASP CSRF Prevention Cheat
//! Sheet, "Fetch Metadata" and "Verifying Origin with Standard Headers"). This is the first
//! layer; every form post and API change also needs its token (`identity::csrf`).
//!
//! - A browser that sends `Sec-Fetch-Site` (every current one) must say `same-origin`.
//! - Otherwise an `Origin` header must name the desk: its public URL's origin, or the host the
//!   request was sent to (the same desk reached by another name, e.g. `localhost`). `Origin: null`
//!   (sandboxed frames, some redirects) is refused.
//! - A request with neither header is not from a current browser (scripts, curl): it passes here
//!   and is left to the token checks.

use axum::extract::Request;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::api::ApiError;

/// The desk's public origin (`scheme://host[:port]`, lower case), from its public URL.
#[derive(Debug, Clone)]
pub struct PublicOrigin(String);

impl PublicOrigin {
    /// The origin of `public_url` (its path, if any, is dropped).
    pub fn of(public_url: &str) -> PublicOrigin {
        let lower = public_url.trim().to_ascii_lowercase();
        let origin = match lower.split_once("://") {
            Some((scheme, rest)) => {
                let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
                format!("{scheme}://{authority}")
            }
            None => lower,
        };
        PublicOrigin(origin)
    }
}

/// Whether a request with these headers comes from another site.
pub fn is_cross_site(headers: &HeaderMap, public: &PublicOrigin) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site.as_bytes() != b"same-origin";
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    let origin = origin.trim().to_ascii_lowercase();
    if origin == public.0 {
        return false;
    }
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(str::to_ascii_lowercase);
    !(host.is_some_and(|host| !authority.is_empty() && host == authority))
}

/// The answer to a state-changing request from another site, or `None` to let it through.
pub fn refusal(request: &Request, public: &PublicOrigin) -> Option<Response> {
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !changes_state || !is_cross_site(request.headers(), public) {
        return None;
    }
    let path = request.uri().path();
    tracing::warn!(path = %path, "refused a state-changing request from another site");
    Some(
        if path.starts_with("/api/") || path.starts_with("/.well-known/") {
            ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_site",
                "This request came from another website, so it was not accepted.",
            )
            .into_response()
        } else {
            super::form_post::plain(
                StatusCode::FORBIDDEN,
                "This form was sent from another website, so it was not accepted. If you were using Application registration, go back to it, reload the page and try again.",
            )
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn fetch_metadata_decides_when_the_browser_sends_it() {
        let public = PublicOrigin::of("https://appreg.example.nhs.uk/");
        assert!(!is_cross_site(
            &headers(&[("sec-fetch-site", "same-origin")]),
            &public
        ));
        for site in ["cross-site", "same-site", "none"] {
            assert!(
                is_cross_site(&headers(&[("sec-fetch-site", site)]), &public),
                "{site}"
            );
        }
    }

    #[test]
    fn otherwise_the_origin_must_be_the_desks_or_the_host_asked_for() {
        let public = PublicOrigin::of("https://appreg.example.nhs.uk");
        assert!(!is_cross_site(
            &headers(&[("origin", "https://APPREG.example.nhs.uk")]),
            &public
        ));
        assert!(!is_cross_site(
            &headers(&[
                ("origin", "http://localhost:3000"),
                ("host", "localhost:3000")
            ]),
            &public
        ));
        assert!(is_cross_site(
            &headers(&[
                ("origin", "https://evil.example"),
                ("host", "appreg.example.nhs.uk")
            ]),
            &public
        ));
        assert!(is_cross_site(&headers(&[("origin", "null")]), &public));
        // Scripts send neither: left to the token checks.
        assert!(!is_cross_site(&headers(&[]), &public));
    }
}
