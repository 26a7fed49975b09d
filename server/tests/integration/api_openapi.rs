//! The OpenAPI document describes every route the router serves, and the router answers the
//! framework's own rejections (unknown route, wrong method, bad parameters) in JSON.

use std::collections::BTreeSet;

use crate::api_support::{assert_error, call};
use crate::common::TestApp;
use axum::http::Method;
use serde_json::Value;
use server::identity::Role;

async fn document(app: &TestApp) -> Value {
    let answer = call(app, Method::GET, "/api/v1/openapi.json", None, None).await;
    assert_eq!(answer.status, 200);
    answer.json()
}

/// `(METHOD, path)` of every operation in the document.
fn operations(document: &Value) -> BTreeSet<(String, String)> {
    document["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|key| {
                    ["get", "put", "post", "delete", "patch", "head", "options"]
                        .contains(&key.as_str())
                })
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect()
}

#[tokio::test]
async fn the_document_describes_exactly_the_routes_the_router_serves() {
    let app = TestApp::new().await;
    let document = document(&app).await;
    assert_eq!(document["openapi"], "3.1.0");
    let routed: BTreeSet<(String, String)> = server::web::api::routes()
        .iter()
        .map(|route| (route.method.to_string(), route.path.to_string()))
        .collect();
    let described = operations(&document);
    let undocumented: Vec<_> = routed.difference(&described).collect();
    assert!(
        undocumented.is_empty(),
        "routes the document does not describe: {undocumented:?}"
    );
    let unrouted: Vec<_> = described.difference(&routed).collect();
    assert!(
        unrouted.is_empty(),
        "the document describes routes that do not exist: {unrouted:?}"
    );
}

#[tokio::test]
async fn the_router_serves_no_method_the_route_list_leaves_out() {
    // The list is the router: every other method on a listed path is a JSON 405 naming the
    // allowed ones, so a handler added beside the list would show up here.
    let app = TestApp::new().await;
    let routes = server::web::api::routes();
    let paths: BTreeSet<&str> = routes.iter().map(|route| route.path).collect();
    for path in paths {
        let listed: Vec<&Method> = routes
            .iter()
            .filter(|route| route.path == path)
            .map(|route| &route.method)
            .collect();
        let concrete = path
            .replace("{reference}", "AR-2222-2222")
            .replace("{version}", "1");
        for method in [
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ] {
            if listed.contains(&&method) {
                continue;
            }
            let answer = call(&app, method.clone(), &concrete, None, None).await;
            assert_error(
                &answer,
                405,
                "method_not_allowed",
                &format!("{method} {path}"),
            );
            let allow = answer.headers["allow"].to_str().unwrap().to_string();
            for allowed in &listed {
                assert!(
                    allow.contains(allowed.as_str()),
                    "{method} {path}: Allow {allow}"
                );
            }
        }
    }
}

#[tokio::test]
async fn every_operation_documents_its_responses_and_every_error_its_json_body() {
    let app = TestApp::new().await;
    let document = document(&app).await;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{method} {path}");
            for (status, response) in responses {
                let code: u16 = status.parse().unwrap();
                if code >= 400 {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert!(
                        schema == "#/components/schemas/ErrorBody"
                            || schema == "#/components/schemas/InvalidRequestBody"
                            || schema == "#/components/schemas/InvalidImplementation"
                            || (path == "/healthz" && code == 503),
                        "{method} {path} {status}: {response}"
                    );
                }
            }
            let secured = operation.get("security").is_some();
            let state_changing = method == "delete"
                || (method == "post"
                    && path != "/api/v1/registrations/validate"
                    && path != "/api/v1/session");
            if state_changing {
                assert!(
                    operation["security"].to_string().contains("csrf"),
                    "{method} {path} must say it needs the CSRF header"
                );
            }
            if secured {
                assert!(
                    operation["responses"].get("401").is_some(),
                    "{method} {path}"
                );
            }
        }
    }
    let schemas = document["components"]["schemas"].as_object().unwrap();
    for name in [
        "RegistrationRequest",
        "ValidationReport",
        "Finding",
        "Submitted",
        "Summary",
        "RegistrationDetail",
        "StoredDecision",
        "DecisionRequest",
        "Decided",
        "Status",
        "ErrorBody",
        "InvalidRequestBody",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    assert_eq!(
        schemas["Status"]["enum"],
        serde_json::json!([
            "draft",
            "submitted",
            "changes_requested",
            "awaiting_second_approval",
            "approved",
            "rejected",
            "live",
            "deletion_requested",
            "deleted",
            "recovery_requested",
            "purged",
            "superseded",
            "withdrawn"
        ])
    );
}

#[tokio::test]
async fn the_frameworks_own_rejections_are_json_errors() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    for path in [
        "/api/v1/nothing-here",
        "/api/v2/registrations",
        "/api/v1/registrations/AR-2222-2222/nothing",
    ] {
        let answer = call(&app, Method::GET, path, Some(&admin), None).await;
        assert_error(&answer, 404, "not_found", path);
    }
    let answer = call(
        &app,
        Method::GET,
        "/api/v1/registrations/AR-2222-2222/versions/first",
        Some(&admin),
        None,
    )
    .await;
    assert_error(
        &answer,
        400,
        "invalid_path",
        "a version that is not a number",
    );
    for query in ["status=done", "page=0", "colour=blue"] {
        let path = format!("/api/v1/registrations?{query}");
        let answer = call(&app, Method::GET, &path, Some(&admin), None).await;
        assert_error(&answer, 400, "invalid_query", &path);
    }
    // Authorisation first: an anonymous caller with a bad parameter is told to sign in.
    let answer = call(
        &app,
        Method::GET,
        "/api/v1/registrations?status=done",
        None,
        None,
    )
    .await;
    assert_error(&answer, 401, "unauthenticated", "anonymous, bad query");
    let answer = call(
        &app,
        Method::GET,
        "/api/v1/registrations/AR-2222-2222/versions/first",
        None,
        None,
    )
    .await;
    assert_error(&answer, 401, "unauthenticated", "anonymous, bad path");
}
