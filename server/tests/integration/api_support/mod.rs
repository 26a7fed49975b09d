//! Requests to the JSON API as a given account (shared by the `api_*` tests).

#![allow(dead_code, reason = "shared by the test modules: each uses a part")]

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use crate::common::{Account, TestApp};

/// What came back.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
}

impl Answer {
    /// The body as JSON (`Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }

    /// The Content-Type header.
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or("")
    }
}

/// Whether `account`'s session still works (200) or ended (401).
pub async fn session_status(app: &TestApp, account: &Account) -> StatusCode {
    call(app, Method::GET, "/api/v1/session", Some(account), None)
        .await
        .status
}

/// What `appreg log verify` runs: the whole log, and every account against its last change.
pub async fn audit(app: &TestApp) -> server::store::audit::Report {
    server::store::audit::run(&app.state.pool, None)
        .await
        .unwrap()
}

/// Sends `method path` as `account` (its cookie, and its CSRF token on anything but GET), with
/// `body` as JSON when given.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    account: Option<&Account>,
    body: Option<&Value>,
) -> Answer {
    let content = body.map(|body| ("application/json", body.to_string().into_bytes()));
    call_raw(app, method, path, account, content).await
}

/// As [`call`], with any content type and bytes.
pub async fn call_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    account: Option<&Account>,
    content: Option<(&str, Vec<u8>)>,
) -> Answer {
    call_accepting(app, method, path, account, content, None).await
}

/// As [`call_raw`], asking for the `accept` media type when given.
pub async fn call_accepting(
    app: &TestApp,
    method: Method,
    path: &str,
    account: Option<&Account>,
    content: Option<(&str, Vec<u8>)>,
    accept: Option<&str>,
) -> Answer {
    let mut request = Request::builder().method(method.clone()).uri(path);
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    if let Some(account) = account {
        request = request.header(header::COOKIE, &account.cookie);
        if method != Method::GET {
            request = request.header("x-csrf-token", &account.csrf);
        }
    }
    let body = match content {
        Some((content_type, bytes)) => {
            request = request.header(header::CONTENT_TYPE, content_type);
            Body::from(bytes)
        }
        None => Body::empty(),
    };
    let response = app
        .router
        .clone()
        .oneshot(request.body(body).unwrap())
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let mut bytes = body.collect().await.unwrap().to_bytes().to_vec();
    if crate::common::is_plain_html(&parts.headers) {
        bytes = crate::common::without_hydration_markers(&bytes);
    }
    Answer {
        status: parts.status,
        headers: parts.headers,
        bytes,
    }
}

/// Asserts that `answer` is a JSON error `{ "error": code, "message": "…" }` (and `report` for
/// `invalid_request`) with `status`.
pub fn assert_error(answer: &Answer, status: u16, code: &str, context: &str) {
    assert_eq!(
        answer.status.as_u16(),
        status,
        "{context}: {}",
        answer.text()
    );
    assert!(
        answer.content_type().starts_with("application/json"),
        "{context}: content type {}",
        answer.content_type()
    );
    let body = answer.json();
    assert_eq!(body["error"], code, "{context}: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{context}: no message in {body}"
    );
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    let expected: &[&str] = if code == "invalid_request" {
        &["error", "message", "report"]
    } else {
        &["error", "message"]
    };
    assert_eq!(keys, expected, "{context}: {body}");
}

/// The keys of a JSON object, sorted.
pub fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .map(|object| object.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort_unstable();
    keys
}

/// Submits the example request (for RX1) over HTTP as `account`; returns its reference.
pub async fn submit(app: &TestApp, account: &Account, request: &Value) -> String {
    let answer = call(
        app,
        Method::POST,
        "/api/v1/registrations",
        Some(account),
        Some(request),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    answer.json()["reference"].as_str().unwrap().to_string()
}

/// Posts a decision as `reviewer` and returns the answer.
pub async fn decide(
    app: &TestApp,
    reviewer: &Account,
    reference: &str,
    decision: &str,
    reason: Option<&str>,
) -> Answer {
    // As a client that read the request does: the latest version and its record's hash.
    let read = call(
        app,
        Method::GET,
        &format!("/api/v1/registrations/{reference}"),
        Some(reviewer),
        None,
    )
    .await;
    let read = read.json();
    let mut body = serde_json::json!({
        "decision": decision,
        "version": read["version"].as_i64().unwrap_or(1),
        "record_sha256": read["record_sha256"].as_str().unwrap_or(""),
    });
    if let Some(reason) = reason {
        body["reason"] = reason.into();
    }
    call(
        app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/decisions"),
        Some(reviewer),
        Some(&body),
    )
    .await
}

/// A page as the browser gets it (HTML, or a redirect).
pub struct Page {
    pub status: StatusCode,
    /// The `Location` header ("" when none).
    pub location: String,
    pub headers: HeaderMap,
    pub body: String,
}

/// Sends `request` and returns the page as the browser gets it.
pub async fn page_answer(app: &TestApp, request: Request<Body>) -> Page {
    let (response, body) = app.send(request).await;
    Page {
        status: response.status(),
        location: response
            .headers()
            .get(header::LOCATION)
            .map(|value| value.to_str().unwrap().to_string())
            .unwrap_or_default(),
        headers: response.headers().clone(),
        body: String::from_utf8(body).unwrap(),
    }
}

/// `GET path` as a browser signed in as `account`.
pub async fn get_page(app: &TestApp, account: &Account, path: &str) -> Page {
    let request = Request::get(path)
        .header(header::ACCEPT, "text/html")
        .header(header::COOKIE, &account.cookie)
        .body(Body::empty())
        .unwrap();
    page_answer(app, request).await
}

/// Posts a page's form (URL-encoded `fields` with the session's CSRF token) as `account`.
pub async fn post_page_form(
    app: &TestApp,
    account: &Account,
    path: &str,
    fields: &[(&str, &str)],
) -> Page {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf_token", &account.csrf)
        .extend_pairs(fields.iter().copied())
        .finish();
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &account.cookie)
        .body(Body::from(body))
        .unwrap();
    page_answer(app, request).await
}
