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

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
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
/// as that name changes with its content. Made once, with its brotli copy at quality 11 (as the
/// release build compresses the site's files): 237 kB of JSON, 48 kB sent.
pub async fn permission_catalogue(
    axum::extract::Path(file): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    if app::pages::register::catalogue_path().rsplit('/').next() != Some(file.as_str()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    static COPY: tokio::sync::OnceCell<Option<(Bytes, Bytes)>> = tokio::sync::OnceCell::const_new();
    let made = COPY
        .get_or_init(|| async {
            tokio::task::spawn_blocking(|| {
                let json = registration::catalogue::PermissionCatalogue::get()
                    .copy()
                    .to_json();
                let mut brotli = Vec::new();
                let quality = brotli::enc::BrotliEncoderParams {
                    quality: 11,
                    ..Default::default()
                };
                brotli::BrotliCompress(&mut json.as_bytes(), &mut brotli, &quality).ok()?;
                Some((Bytes::from(json), Bytes::from(brotli)))
            })
            .await
            .ok()
            .flatten()
        })
        .await;
    let Some((json, brotli)) = made.clone() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let caching = [
        (header::CONTENT_TYPE, "application/json"),
        (header::CACHE_CONTROL, IMMUTABLE),
        (header::VARY, "accept-encoding"),
    ];
    if accepts_brotli(&headers) {
        (caching, [(header::CONTENT_ENCODING, "br")], brotli).into_response()
    } else {
        // Compressed on the way (gzip) when the browser takes it, like any JSON.
        (caching, json).into_response()
    }
}

/// Whether `Accept-Encoding` takes brotli (`br`, not refused with `q=0`).
fn accepts_brotli(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            parts
                .next()
                .is_some_and(|name| name.eq_ignore_ascii_case("br"))
                && parts.all(|parameter| {
                    !parameter
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                        .is_some_and(|q| q == 0.0)
                })
        })
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
    fn brotli_is_taken_when_accepted_and_not_refused() {
        let accepts = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append(
                    header::ACCEPT_ENCODING,
                    HeaderValue::from_str(value).unwrap(),
                );
            }
            accepts_brotli(&headers)
        };
        assert!(accepts(&["gzip, deflate, br, zstd"]));
        assert!(accepts(&["gzip", "BR;q=0.5"]));
        assert!(!accepts(&["gzip, deflate"]));
        assert!(!accepts(&["br;q=0, gzip"]));
        assert!(!accepts(&["brotli"]));
        assert!(!accepts(&[]));
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
