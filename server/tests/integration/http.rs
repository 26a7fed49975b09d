//! The HTTP surface: health, the validate API and its JSON errors, pages and security headers.

use crate::common::{FIXTURES, TestApp, delegated_request};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_ok_when_the_database_answers() {
    let app = TestApp::new().await;
    let (response, body) = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        json!({"status": "ok", "database": "ok"})
    );
    app.state.pool.close().await;
    let (response, _) = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_returns_the_report_for_a_valid_request() {
    let app = TestApp::new().await;
    let (response, report) = app
        .post_json(
            "/api/v1/registrations/validate",
            delegated_request().to_string(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(report["valid"], json!(true), "{report:#}");
    assert_eq!(report["organisation"]["ods_code"], json!("RX1"));
    assert_eq!(
        report["organisation"]["name"],
        json!("NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_returns_200_with_findings_for_a_request_with_errors() {
    let app = TestApp::new().await;
    let mut request = delegated_request();
    request["redirect_uris"][0]["uri"] = json!("https://connector.nuh.nhs.uk/cb#frag");
    request["ods_code"] = json!("RX!");
    let (response, report) = app
        .post_json("/api/v1/registrations/validate", request.to_string())
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(report["valid"], json!(false));
    let found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        found.contains(&("ods_code".into(), "ods_code.format".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "redirect_uris[0].uri".into(),
            "redirect_uri.fragment".into()
        )),
        "{found:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_rejects_what_is_not_a_request_with_json_errors() {
    let app = TestApp::new().await;
    let cases = [
        (
            "{",
            StatusCode::BAD_REQUEST,
            "not_a_request",
            "not valid JSON",
        ),
        (
            "[]",
            StatusCode::BAD_REQUEST,
            "not_a_request",
            "expected a JSON object, found an array",
        ),
    ];
    for (body, status, error, needle) in cases {
        let (response, answer) = app.post_json("/api/v1/registrations/validate", body).await;
        assert_eq!(response.status(), status, "{body}");
        assert_eq!(answer["error"], json!(error));
        assert!(
            answer["message"].as_str().unwrap().contains(needle),
            "{answer}"
        );
    }
    let mut unknown = delegated_request();
    unknown["application"]["nmae"] = json!("typo");
    let (response, answer) = app
        .post_json("/api/v1/registrations/validate", unknown.to_string())
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let message = answer["message"].as_str().unwrap();
    assert!(
        message.starts_with("application.nmae: unknown field `nmae`"),
        "{message}"
    );

    let mut missing = delegated_request();
    missing.as_object_mut().unwrap().remove("contacts");
    let (_, answer) = app
        .post_json("/api/v1/registrations/validate", missing.to_string())
        .await;
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .contains("missing field `contacts`"),
        "{answer}"
    );

    let mut wrong_type = delegated_request();
    wrong_type["redirect_uris"][0]["platform"] = json!("desktop");
    let (_, answer) = app
        .post_json("/api/v1/registrations/validate", wrong_type.to_string())
        .await;
    assert!(
        answer["message"]
            .as_str()
            .unwrap()
            .starts_with("redirect_uris[0].platform: unknown variant `desktop`"),
        "{answer}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_answers_415_and_413_in_json() {
    let app = TestApp::new().await;
    let request = Request::post("/api/v1/registrations/validate")
        .header("content-type", "text/plain")
        .body(Body::from(delegated_request().to_string()))
        .unwrap();
    let (response, body) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["error"],
        json!("unsupported_media_type")
    );

    let huge = format!("{{\"ods_code\": \"{}\"}}", "A".repeat(1024 * 1024));
    let (response, answer) = app.post_json("/api/v1/registrations/validate", huge).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer["error"], json!("payload_too_large"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_api_routes_answer_json_404() {
    let app = TestApp::new().await;
    let (response, body) = app.get("/api/v1/nothing-here").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["error"],
        json!("not_found")
    );
}

// Tests that render pages run on a multi-threaded runtime, as the server does: rendering "/" on
// a current-thread runtime once stalled here with every task idle (a clean-clone CI run), and
// the same stall was seen in the previous session on /register.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_carry_a_nonce_csp_and_every_response_the_security_headers() {
    // The form: a page with islands, whose inline island script needs the nonce.
    let app = TestApp::as_local_admin_of("RX1").await;
    let (response, body) = app.get("/register").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the CSP");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the island script carries the CSP's nonce"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(html.contains("Application registration"));

    for path in ["/", "/healthz", "/api/v1/nothing-here"] {
        let (response, _) = app.get(path).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_page_gets_a_fresh_nonce() {
    let app = TestApp::new().await;
    let (first, _) = app.get("/").await;
    let (second, _) = app.get("/").await;
    assert_ne!(
        first.headers()["content-security-policy"],
        second.headers()["content-security-policy"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_are_404() {
    let app = TestApp::new().await;
    let (response, body) = app.get("/no-such-page").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(String::from_utf8(body).unwrap().contains("Page not found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_page_answers_the_ods_check_without_javascript() {
    let app = TestApp::new().await;
    let (_, body) = app.get("/?ods_code=rx1").await;
    assert!(
        String::from_utf8(body)
            .unwrap()
            .contains("RX1 is NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST (open).")
    );
}

fn with_certificate(file_name: &str, bytes: &[u8]) -> serde_json::Value {
    use base64::Engine;
    let mut request = delegated_request();
    request["certificates"] = json!([{
        "file_name": file_name,
        "content_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
    }]);
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_describes_an_uploaded_certificate() {
    let app = TestApp::new().await;
    let pem = std::fs::read(format!("{FIXTURES}rsa2048.pem")).unwrap();
    let fingerprints =
        std::fs::read_to_string(format!("{FIXTURES}rsa2048_fingerprints.txt")).unwrap();
    let (response, report) = app
        .post_json(
            "/api/v1/registrations/validate",
            with_certificate("connector.cer", &pem).to_string(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let certificate = &report["certificates"][0];
    assert_eq!(certificate["path"], "certificates[0]");
    assert_eq!(certificate["key"], "RSA 2048");
    let sha1 = certificate["sha1_thumbprint"].as_str().unwrap();
    assert_eq!(sha1.len(), 40);
    assert!(
        fingerprints.replace(':', "").contains(sha1),
        "{sha1} not in {fingerprints}"
    );
    assert!(!certificate["x5t"].as_str().unwrap().contains('='));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_refuses_a_private_key_and_never_echoes_it() {
    let app = TestApp::new().await;
    let combined = std::fs::read_to_string(format!("{FIXTURES}combined.pem")).unwrap();
    let (response, report) = app
        .post_json(
            "/api/v1/registrations/validate",
            with_certificate("app.pem", combined.as_bytes()).to_string(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(report["valid"], false);
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"certificate.private_key"), "{codes:?}");
    assert_eq!(
        report["certificates"],
        json!([]),
        "no summary for an upload holding a key"
    );
    let answer = report.to_string();
    let key_body: String = combined
        .split("-----BEGIN PRIVATE KEY-----")
        .nth(1)
        .and_then(|rest| rest.split("-----END").next())
        .unwrap()
        .lines()
        .collect();
    for piece in key_body.as_bytes().chunks(16) {
        let piece = std::str::from_utf8(piece).unwrap();
        assert!(
            !answer.contains(piece),
            "the answer echoes part of the key: {piece}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_renders_whole_on_the_server() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let (response, body) = app.get("/register").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    for name in [
        "ods_code",
        "application_name",
        "access_type",
        "mailboxes[0]",
        "redirect_uris[0][uri]",
        "contacts[0][email]",
        "certificate",
    ] {
        assert!(
            html.contains(&format!("name=\"{name}\"")),
            "{name} missing from the server-rendered form"
        );
    }
    assert!(html.contains("enctype=\"multipart/form-data\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_drafts_and_references_are_404() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let (response, _) = app.get("/register/AAAAAAAAAAAAAAAAAAAAAA").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (response, _) = app.get("/registrations/AR-2222-2222/submitted").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// Building a router while another request renders a page must not stall that page. Leptos
/// generates the route list by running the app once with resource loading suppressed through a
/// process-wide flag (leptos_server's `SuppressResourceLoad`); a resource first polled while the
/// flag is up waits for ever (leptos-rs/leptos#4773). In this test binary routers are built
/// while other tests render (the page tests' rare 503s); in a process that builds a second desk,
/// the same. On a current-thread runtime, as the hang was first seen.
#[tokio::test]
async fn a_page_renders_while_another_router_is_built() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let app = TestApp::with_limits(server::limits::LimitSettings {
        request_timeout: std::time::Duration::from_secs(5),
        ..server::limits::LimitSettings::default()
    })
    .await;
    let stop = Arc::new(AtomicBool::new(false));
    let building = tokio::task::spawn_blocking({
        let (state, stop) = (app.state.clone(), Arc::clone(&stop));
        move || {
            let mut built = 0u32;
            while !stop.load(Ordering::Relaxed) {
                drop(server::web::router(state.clone()));
                built += 1;
            }
            built
        }
    });
    let mut statuses = Vec::new();
    for _ in 0..30 {
        let (response, _) = app.get("/sign-in").await;
        statuses.push(response.status().as_u16());
        if response.status() != StatusCode::OK {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let built = building.await.unwrap();
    assert!(built > 0, "no router was built meanwhile");
    assert!(
        statuses.iter().all(|status| *status == 200),
        "{statuses:?} with {built} routers built meanwhile"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_pages_with_islands_load_the_wasm() {
    let app = TestApp::as_local_admin_of("RX1").await;
    for path in ["/sign-in", "/", "/requests", "/applications"] {
        let (response, body) = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let page = String::from_utf8(body).unwrap();
        assert!(page.contains("</html>"), "{path}: {page}");
        assert!(
            !page.contains(".wasm") && !page.contains("<leptos-island"),
            "{path} loads the WASM: {page}"
        );
    }
    let (_, body) = app.get("/register").await;
    let page = String::from_utf8(body).unwrap();
    assert!(
        page.contains(".wasm") && page.contains("<leptos-island"),
        "{page}"
    );
}
