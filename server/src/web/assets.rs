//! What the site's files cost a browser: responses compressed (brotli or gzip, as the browser
//! accepts), and the site's files cached by what their names say.
//!
//! - **Compression.** Pages and JSON are compressed as they are sent (brotli at quality 4, as
//!   nginx does on the fly; gzip for browsers without brotli). The site's static files are
//!   compressed once, at build time (`cargo leptos build --release --precompress` writes `.br`
//!   and `.gz` beside each file, and the file handler serves those as they are); the WASM is left
//!   out of on-the-fly compression, as compressing megabytes for every download would cost more
//!   than it saves on a desk's own network — a release build has it precompressed. Pages carry
//!   their CSRF token masked per response, so compressing them leaks nothing (BREACH:
//!   `identity::csrf`).
//! - **Caching.** A file whose name holds its content's hash (`/pkg/appreg.<hash>.wasm`, as
//!   cargo-leptos names them with `hash-files`) never changes: cached for a year, `immutable`. Any
//!   other site file (the design system's CSS and images, an unhashed debug build's files) is
//!   cached but checked each time (`no-cache`: a `304 Not Modified` answers when it is unchanged).
//!   Pages and API answers set their own.

use std::path::Path;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate};

/// The layer that compresses answers for the browsers that accept it.
pub fn compression() -> CompressionLayer<impl Predicate> {
    CompressionLayer::new().br(true).gzip(true).compress_when(
        tower_http::compression::DefaultPredicate::new()
            .and(NotForContentType::const_new("application/wasm")),
    )
}

/// The folders the site's files are served from (`site-root`: cargo-leptos's `pkg` and the
/// `public` folder's copy).
const SITE_FILES: [&str; 3] = ["/pkg/", "/nhsuk/", "/assets/"];

/// The site's folders under `site_root`, each served as files: the build's `.br` and `.gz`
/// copies when the browser accepts them, `Last-Modified` and `304 Not Modified` (Leptos's own
/// file handler passes a request's `Accept-Encoding` on and nothing else, so it never answers
/// 304).
pub fn site_files<S: Clone + Send + Sync + 'static>(site_root: &str) -> axum::Router<S> {
    SITE_FILES
        .iter()
        .fold(axum::Router::new(), |router, folder| {
            let folder = folder.trim_end_matches('/');
            let files = tower_http::services::ServeDir::new(
                Path::new(site_root).join(folder.trim_start_matches('/')),
            )
            .precompressed_br()
            .precompressed_gzip();
            router.nest_service(folder, files)
        })
}

/// `GET /catalogue/{file}`: the whole permission catalogue as JSON, for the form's picker, at
/// the one name its version gives it (`app::pages::register::catalogue_path`); cached for good,
/// as that name changes with its content. Compressed on the way like any JSON.
pub async fn permission_catalogue(
    axum::extract::Path(file): axum::extract::Path<String>,
) -> Response {
    static JSON: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let path = app::pages::register::catalogue_path();
    if path.rsplit('/').next() != Some(file.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let json = JSON.get_or_init(|| {
        registration::catalogue::PermissionCatalogue::get()
            .copy()
            .to_json()
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, IMMUTABLE),
        ],
        json.as_str(),
    )
        .into_response()
}

/// A year: as long as a cache is asked to keep anything.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Kept, but asked about each time.
const REVALIDATE: &str = "no-cache";

/// Gives a site file's answer (`path` was asked for) the caching its name allows.
pub fn cache(path: &str, response: &mut Response) {
    if !SITE_FILES.iter().any(|folder| path.starts_with(folder))
        || !matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED)
        || response.headers().contains_key(header::CACHE_CONTROL)
    {
        return;
    }
    let file_name = path.rsplit('/').next().unwrap_or_default();
    let policy = if is_content_hashed(file_name) {
        IMMUTABLE
    } else {
        REVALIDATE
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
}

/// Whether `file_name` holds a content hash as cargo-leptos writes it: between its stem and its
/// extension, an MD5 in unpadded base64url (22 characters), e.g. `appreg.Zm9v….wasm`.
fn is_content_hashed(file_name: &str) -> bool {
    let parts: Vec<&str> = file_name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|part| {
            part.len() == 22
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_holding_a_content_hash_are_immutable() {
        assert!(is_content_hashed("appreg.dGhpcyBpcyBhIGhhc2g-_A.wasm"));
        assert!(is_content_hashed("appreg.dGhpcyBpcyBhIGhhc2g-_A.js"));
        assert!(!is_content_hashed("appreg.wasm"));
        assert!(!is_content_hashed("nhsuk-frontend.min.css"));
        assert!(!is_content_hashed("dGhpcyBpcyBhIGhhc2g-_A.wasm"));
        assert!(!is_content_hashed("appreg.dGhpcyBpcyBhIGhhc2g!_A.wasm"));
    }

    #[test]
    fn site_files_are_cached_by_their_names_and_nothing_else_is() {
        let cached = |path: &str, status: StatusCode| {
            let mut response = Response::new(axum::body::Body::empty());
            *response.status_mut() = status;
            cache(path, &mut response);
            response
                .headers()
                .get(header::CACHE_CONTROL)
                .map(|value| value.to_str().unwrap().to_string())
        };
        assert_eq!(
            cached("/pkg/appreg.dGhpcyBpcyBhIGhhc2g-_A.wasm", StatusCode::OK).as_deref(),
            Some(IMMUTABLE)
        );
        assert_eq!(
            cached("/pkg/appreg.wasm", StatusCode::OK).as_deref(),
            Some(REVALIDATE)
        );
        assert_eq!(
            cached("/nhsuk/nhsuk-frontend.min.css", StatusCode::NOT_MODIFIED).as_deref(),
            Some(REVALIDATE)
        );
        assert_eq!(cached("/pkg/missing.js", StatusCode::NOT_FOUND), None);
        assert_eq!(cached("/register", StatusCode::OK), None);
        assert_eq!(cached("/api/v1/registrations", StatusCode::OK), None);
    }
}
