//! Every documented route that takes a body answers a JSON error for a malformed, an oversized
//! and a wrongly typed body, when called by someone allowed to call it (others are refused
//! before the body is read: see api_authorisation.rs).

use crate::api_support::{assert_error, call, call_raw, decide, submit};
use crate::common::{Account, TestApp, delegated_request};
use axum::http::{Method, StatusCode};
use server::identity::Role;

#[tokio::test]
async fn every_route_with_a_body_answers_json_errors_for_bad_bodies() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", Role::Reviewer, None)
        .await;
    let submitted = submit(&app, &admin, &delegated_request()).await;
    let to_change = submit(&app, &admin, &delegated_request()).await;
    let answer = decide(
        &app,
        &reviewer,
        &to_change,
        "request_changes",
        Some("Add a contact."),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);

    // Who reaches the body of each route, by the document's path.
    let caller = |path: &str| -> (String, Option<&Account>) {
        match path {
            "/api/v1/session" => (path.to_string(), None),
            "/api/v1/registrations/validate" => (path.to_string(), None),
            "/api/v1/registrations" => (path.to_string(), Some(&admin)),
            "/api/v1/registrations/{reference}/versions" => {
                (path.replace("{reference}", &to_change), Some(&admin))
            }
            "/api/v1/registrations/{reference}/deletion"
            | "/api/v1/registrations/{reference}/withdrawal"
            | "/api/v1/registrations/{reference}/recovery"
            | "/api/v1/registrations/{reference}/renewals"
            | "/api/v1/registrations/{reference}/changes" => {
                (path.replace("{reference}", &submitted), Some(&admin))
            }
            "/api/v1/registrations/{reference}/decisions"
            | "/api/v1/registrations/{reference}/implementation"
            | "/api/v1/registrations/{reference}/lifecycle-decisions" => {
                (path.replace("{reference}", &submitted), Some(&reviewer))
            }
            other => panic!("{other} takes a body: say here who may call it"),
        }
    };
    let document = call(&app, Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .json();
    let mut checked = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("requestBody").is_none() {
                continue;
            }
            let method: Method = method.to_uppercase().parse().unwrap();
            let (concrete, account) = caller(path);
            let context = |what: &str| format!("{method} {path}: {what}");
            let cases: [(&str, Vec<u8>, u16, &str); 5] = [
                (
                    "application/json",
                    b"{ \"ods_code\": ".to_vec(),
                    400,
                    "malformed JSON",
                ),
                (
                    "application/json",
                    b"[1, 2, 3]".to_vec(),
                    400,
                    "a JSON array",
                ),
                (
                    "application/json",
                    vec![b' '; 1024 * 1024 + 1],
                    413,
                    "over 1 MiB",
                ),
                ("text/plain", b"{}".to_vec(), 415, "text/plain"),
                (
                    "application/x-www-form-urlencoded",
                    b"a=b".to_vec(),
                    415,
                    "a form",
                ),
            ];
            for (content_type, bytes, status, what) in cases {
                let answer = call_raw(
                    &app,
                    method.clone(),
                    &concrete,
                    account,
                    Some((content_type, bytes)),
                )
                .await;
                let code = match (status, path.as_str()) {
                    (413, _) => "payload_too_large",
                    (415, _) => "unsupported_media_type",
                    (_, "/api/v1/session") => "invalid_body",
                    (_, "/api/v1/registrations/{reference}/decisions") => "not_a_decision",
                    (_, "/api/v1/registrations/{reference}/implementation") => {
                        "not_an_implementation"
                    }
                    (
                        _,
                        "/api/v1/registrations/{reference}/deletion"
                        | "/api/v1/registrations/{reference}/withdrawal"
                        | "/api/v1/registrations/{reference}/recovery",
                    ) => "not_a_step",
                    (_, "/api/v1/registrations/{reference}/lifecycle-decisions") => "not_an_answer",
                    _ => "not_a_request",
                };
                assert_error(&answer, status, code, &context(what));
            }
            let answer = call_raw(&app, method.clone(), &concrete, account, None).await;
            assert_error(
                &answer,
                415,
                "unsupported_media_type",
                &context("no content type"),
            );
            checked.push(format!("{method} {path}"));
        }
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "POST /api/v1/registrations",
            "POST /api/v1/registrations/validate",
            "POST /api/v1/registrations/{reference}/changes",
            "POST /api/v1/registrations/{reference}/decisions",
            "POST /api/v1/registrations/{reference}/deletion",
            "POST /api/v1/registrations/{reference}/implementation",
            "POST /api/v1/registrations/{reference}/lifecycle-decisions",
            "POST /api/v1/registrations/{reference}/recovery",
            "POST /api/v1/registrations/{reference}/renewals",
            "POST /api/v1/registrations/{reference}/versions",
            "POST /api/v1/registrations/{reference}/withdrawal",
            "POST /api/v1/session",
        ]
    );
    // None of it changed anything.
    let list = call(
        &app,
        Method::GET,
        "/api/v1/registrations",
        Some(&reviewer),
        None,
    )
    .await;
    assert_eq!(list.json()["total"], 2);
}

#[tokio::test]
async fn a_body_that_is_not_a_request_names_the_field() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let mut request = delegated_request();
    request["application"]["colour"] = "blue".into();
    let answer = call(
        &app,
        Method::POST,
        "/api/v1/registrations",
        Some(&admin),
        Some(&request),
    )
    .await;
    assert_error(&answer, 400, "not_a_request", "unknown field");
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("application.colour"),
        "{}",
        answer.text()
    );
    let mut request = delegated_request();
    request["contacts"] = "Jo".into();
    let answer = call(
        &app,
        Method::POST,
        "/api/v1/registrations",
        Some(&admin),
        Some(&request),
    )
    .await;
    assert_error(&answer, 400, "not_a_request", "wrong type");
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("contacts"),
        "{}",
        answer.text()
    );
}

#[tokio::test]
async fn a_request_with_errors_is_422_with_the_report_and_is_not_stored() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let mut request = delegated_request();
    request["redirect_uris"][0]["uri"] = "https://connector.nuh.nhs.uk/callback#fragment".into();
    let answer = call(
        &app,
        Method::POST,
        "/api/v1/registrations",
        Some(&admin),
        Some(&request),
    )
    .await;
    assert_error(
        &answer,
        422,
        "invalid_request",
        "a fragment in a redirect URI",
    );
    let report = &answer.json()["report"];
    assert_eq!(report["valid"], false);
    assert_eq!(report["findings"][0]["path"], "redirect_uris[0].uri");
    let list = call(
        &app,
        Method::GET,
        "/api/v1/registrations",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(list.json()["total"], 0);
}
