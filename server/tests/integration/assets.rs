//! What the site costs a browser: answers compressed as the browser accepts, the site's files
//! cached by what their names say (server/src/web/assets.rs).

use std::io::Read;

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};

use crate::common::{TestApp, delegated_request};

async fn get_with(
    app: &TestApp,
    path: &str,
    accept_encoding: Option<&str>,
) -> (Response<Body>, Vec<u8>) {
    let mut request = Request::get(path);
    if let Some(encodings) = accept_encoding {
        request = request.header(header::ACCEPT_ENCODING, encodings);
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

fn encoding(response: &Response<Body>) -> Option<&str> {
    response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|value| value.to_str().unwrap())
}

fn brotli_decoded(bytes: &[u8]) -> String {
    let mut text = String::new();
    brotli_decompressor::Decompressor::new(bytes, 4096)
        .read_to_string(&mut text)
        .unwrap();
    text
}

fn gzip_decoded(bytes: &[u8]) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// `html` without Leptos's hydration markers, as `TestApp::send` gives an uncompressed page.
fn unmarked(html: &str) -> String {
    String::from_utf8(crate::common::without_hydration_markers(html.as_bytes())).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_are_compressed_with_brotli_or_gzip_as_the_browser_accepts() {
    let app = TestApp::new().await;
    let (plain, plain_body) = get_with(&app, "/", None).await;
    assert_eq!(plain.status(), StatusCode::OK);
    assert_eq!(encoding(&plain), None);
    let page = String::from_utf8(plain_body).unwrap();

    let (response, body) = get_with(&app, "/", Some("gzip, deflate, br, zstd")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(encoding(&response), Some("br"));
    assert_eq!(response.headers()[header::VARY], "accept-encoding");
    assert!(
        body.len() * 2 < page.len(),
        "{} of {}",
        body.len(),
        page.len()
    );
    // The same page (its CSP nonce differs in each response; the plain one came without its
    // hydration markers, `TestApp::send`).
    let decoded = unmarked(&brotli_decoded(&body));
    assert_eq!(decoded.len(), page.len());
    assert!(decoded.contains("Application registration"));

    let (response, body) = get_with(&app, "/", Some("gzip")).await;
    assert_eq!(encoding(&response), Some("gzip"));
    assert_eq!(unmarked(&gzip_decoded(&body)).len(), page.len());
    // The security headers stay on a compressed answer.
    assert!(
        response
            .headers()
            .contains_key(header::CONTENT_SECURITY_POLICY)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_answers_are_compressed_too() {
    let app = TestApp::new().await;
    let request = Request::post("/api/v1/registrations/validate")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT_ENCODING, "br")
        .body(Body::from(delegated_request().to_string()))
        .unwrap();
    let (response, body) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(encoding(&response), Some("br"));
    let report: serde_json::Value = serde_json::from_str(&brotli_decoded(&body)).unwrap();
    assert_eq!(report["valid"], true);
}

/// A site root as `cargo leptos build --release --precompress` leaves it with `hash-files`: a
/// hashed WASM with its brotli copy beside it, and an unhashed CSS file.
fn built_site(app: &TestApp) -> (String, Vec<u8>) {
    let pkg = app.dir.path().join("site/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let name = "appreg.dGhpcyBpcyBhIGhhc2g-_A.wasm";
    std::fs::write(pkg.join(name), b"\0asm\x01\0\0\0".repeat(1000)).unwrap();
    // What the build compressed it to (stands for brotli's output: served as it is stored).
    let precompressed = b"stored at build time".to_vec();
    std::fs::write(pkg.join(format!("{name}.br")), &precompressed).unwrap();
    std::fs::write(
        pkg.join("appreg.css"),
        "body { color: black; }\n".repeat(40),
    )
    .unwrap();
    (format!("/pkg/{name}"), precompressed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hashed_file_is_cached_for_a_year_and_served_precompressed() {
    let app = TestApp::new().await;
    let (wasm, precompressed) = built_site(&app);
    let (response, body) = get_with(&app, &wasm, Some("gzip, br")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(encoding(&response), Some("br"));
    assert_eq!(
        body, precompressed,
        "the build's copy, not compressed again"
    );
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    // Without brotli, the file itself: a WASM is not compressed on the fly.
    let (response, body) = get_with(&app, &wasm, Some("gzip")).await;
    assert_eq!(encoding(&response), None);
    assert_eq!(body.len(), 8000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unhashed_file_is_revalidated_and_answered_304_when_unchanged() {
    let app = TestApp::new().await;
    built_site(&app);
    let (response, body) = get_with(&app, "/pkg/appreg.css", Some("br")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
    assert_eq!(encoding(&response), Some("br"), "compressed on the fly");
    assert!(brotli_decoded(&body).starts_with("body { color: black; }"));
    let modified = response.headers()[header::LAST_MODIFIED].clone();
    let request = Request::get("/pkg/appreg.css")
        .header(header::IF_MODIFIED_SINCE, modified)
        .body(Body::empty())
        .unwrap();
    let (response, body) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    assert!(body.is_empty());
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_and_api_answers_keep_their_own_caching() {
    let app = TestApp::new().await;
    built_site(&app);
    let (response, _) = get_with(&app, "/", Some("br")).await;
    assert_ne!(
        response
            .headers()
            .get(header::CACHE_CONTROL)
            .map(|v| v.to_str().unwrap()),
        Some("public, max-age=31536000, immutable")
    );
    let (response, _) = get_with(&app, "/pkg/no-such-file.js", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(!response.headers().contains_key(header::CACHE_CONTROL));
}
