//! Who may call which route of the JSON API: one row per route (and body), one expected answer
//! per role, over the real router and a real database file.
//!
//! Roles: anonymous, a Local Administrator of the organisation that owns the request, a Local
//! Administrator of another organisation, a reviewer, and a reviewer who submitted the request
//! (a Local Administrator account that submitted it and was then moved to the reviewer role
//! with `store::users::set_role`, as `appreg user set-role` does).

use std::collections::VecDeque;

use crate::api_support::keys as keys_of;
use crate::api_support::{Answer, assert_error, call, call_raw, decide, keys, submit};
use crate::common::{Account, TestApp, delegated_request};
use axum::http::{Method, StatusCode};
use serde_json::json;
use server::identity::Role;

const ROLES: [&str; 5] = [
    "anonymous",
    "Local Administrator of the owning organisation",
    "Local Administrator of another organisation",
    "reviewer",
    "reviewer who submitted",
];

/// Which request a row acts on.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    /// None (the path has no reference).
    None,
    /// One submitted request all read-only rows share (never changed).
    Shared,
    /// A request of its own, just submitted.
    Fresh,
    /// A request of its own, for which a reviewer asked changes.
    FreshChangesRequested,
}

/// The body a row sends.
#[derive(Clone, Copy)]
enum Posted {
    Nothing,
    /// The example request (RX1's, valid).
    Request,
    /// Not JSON at all.
    Malformed,
    /// `{ "decision": "approve" }`.
    Approve,
    /// The row's account's email and the test password.
    Credentials,
}

/// What a role gets: the status and either an error code or the name of a success shape.
type Expect = (u16, &'static str);

struct Row {
    method: Method,
    path: &'static str,
    target: Target,
    posted: Posted,
    /// Sign the account in again first (for rows that end the session).
    fresh_session: bool,
    expect: [Expect; 5],
}

fn row(
    method: Method,
    path: &'static str,
    target: Target,
    posted: Posted,
    expect: [Expect; 5],
) -> Row {
    Row {
        method,
        path,
        target,
        posted,
        fresh_session: false,
        expect,
    }
}

const READ: [Expect; 5] = [
    (401, "unauthenticated"),
    (200, "ok"),
    (404, "not_found"),
    (200, "ok"),
    (200, "ok"),
];

const NOT_APPROVED: [Expect; 5] = [
    (401, "unauthenticated"),
    (409, "not_approved"),
    (404, "not_found"),
    (409, "not_approved"),
    (409, "not_approved"),
];

const PREVIEW: [Expect; 5] = [
    (401, "unauthenticated"),
    (409, "not_approved"),
    (404, "not_found"),
    (200, "ok"),
    (200, "ok"),
];

fn rows() -> Vec<Row> {
    use Posted as P;
    use Target as T;
    let get = Method::GET;
    let post = Method::POST;
    let mut rows = vec![
        row(
            post.clone(),
            "/api/v1/session",
            T::None,
            P::Credentials,
            [
                (401, "invalid_credentials"),
                (200, "signed_in"),
                (200, "signed_in"),
                (200, "signed_in"),
                (200, "signed_in"),
            ],
        ),
        row(
            get.clone(),
            "/api/v1/session",
            T::None,
            P::Nothing,
            [
                (401, "unauthenticated"),
                (200, "session"),
                (200, "session"),
                (200, "session"),
                (200, "session"),
            ],
        ),
        row(
            post.clone(),
            "/api/v1/registrations/validate",
            T::None,
            P::Request,
            [
                (200, "report"),
                (200, "report"),
                (200, "report"),
                (200, "report"),
                (200, "report"),
            ],
        ),
        row(
            post.clone(),
            "/api/v1/registrations",
            T::None,
            P::Request,
            [
                (401, "unauthenticated"),
                (201, "submitted"),
                (403, "wrong_organisation"),
                (403, "forbidden"),
                (403, "forbidden"),
            ],
        ),
        // Authorisation before validation: the same answers, whatever the body.
        row(
            post.clone(),
            "/api/v1/registrations",
            T::None,
            P::Malformed,
            [
                (401, "unauthenticated"),
                (400, "not_a_request"),
                (400, "not_a_request"),
                (403, "forbidden"),
                (403, "forbidden"),
            ],
        ),
        row(
            get.clone(),
            "/api/v1/registrations",
            T::Shared,
            P::Nothing,
            [
                (401, "unauthenticated"),
                (200, "list_rx1"),
                (200, "list_empty"),
                (200, "list_all"),
                (200, "list_all"),
            ],
        ),
        row(
            get.clone(),
            "/api/v1/registrations/{ref}",
            T::Shared,
            P::Nothing,
            READ,
        ),
        row(
            get.clone(),
            "/api/v1/registrations/{ref}/versions/1",
            T::Shared,
            P::Nothing,
            READ,
        ),
        row(
            get.clone(),
            "/api/v1/registrations/{ref}/record",
            T::Shared,
            P::Nothing,
            READ,
        ),
        row(
            get.clone(),
            "/api/v1/registrations/{ref}/decisions",
            T::Shared,
            P::Nothing,
            READ,
        ),
        row(
            get.clone(),
            "/api/v1/registrations/{ref}/bundle",
            T::Shared,
            P::Nothing,
            READ,
        ),
        // Exports are for approved requests; reviewers may preview the others.
        row(
            get.clone(),
            "/api/v1/registrations/{ref}/exports/entra-application.json",
            T::Shared,
            P::Nothing,
            NOT_APPROVED,
        ),
        row(
            get.clone(),
            "/api/v1/registrations/{ref}/exports/exchange-access.ps1",
            T::Shared,
            P::Nothing,
            NOT_APPROVED,
        ),
        row(
            get.clone(),
            "/api/v1/registrations/{ref}/exports/entra-application.json?preview=true",
            T::Shared,
            P::Nothing,
            PREVIEW,
        ),
        row(
            get.clone(),
            "/api/v1/registrations/{ref}/exports/exchange-access.ps1?preview=true",
            T::Shared,
            P::Nothing,
            PREVIEW,
        ),
        row(
            post.clone(),
            "/api/v1/registrations/{ref}/versions",
            T::FreshChangesRequested,
            P::Request,
            [
                (401, "unauthenticated"),
                (201, "submitted_v2"),
                (404, "not_found"),
                (403, "forbidden"),
                (403, "forbidden"),
            ],
        ),
        row(
            post.clone(),
            "/api/v1/registrations/{ref}/versions",
            T::Shared,
            P::Request,
            [
                (401, "unauthenticated"),
                (409, "not_awaiting_changes"),
                (404, "not_found"),
                (403, "forbidden"),
                (403, "forbidden"),
            ],
        ),
        row(
            post.clone(),
            "/api/v1/registrations/{ref}/versions",
            T::Shared,
            P::Malformed,
            [
                (401, "unauthenticated"),
                (400, "not_a_request"),
                (404, "not_found"),
                (403, "forbidden"),
                (403, "forbidden"),
            ],
        ),
        row(
            post.clone(),
            "/api/v1/registrations/{ref}/decisions",
            T::Fresh,
            P::Approve,
            [
                (401, "unauthenticated"),
                (403, "forbidden"),
                (403, "forbidden"),
                (201, "decided_approved"),
                (403, "own_submission"),
            ],
        ),
        row(
            post.clone(),
            "/api/v1/registrations/{ref}/decisions",
            T::Shared,
            P::Malformed,
            [
                (401, "unauthenticated"),
                (403, "forbidden"),
                (403, "forbidden"),
                (400, "not_a_decision"),
                (403, "own_submission"),
            ],
        ),
        row(
            get.clone(),
            "/api/v1/openapi.json",
            T::None,
            P::Nothing,
            [(200, "openapi"); 5],
        ),
        row(
            get.clone(),
            "/.well-known/jwks.json",
            T::None,
            P::Nothing,
            [(200, "jwks"); 5],
        ),
        row(
            get.clone(),
            "/.well-known/jwks-revoked.json",
            T::None,
            P::Nothing,
            [(200, "jwks"); 5],
        ),
        row(
            get.clone(),
            "/healthz",
            T::None,
            P::Nothing,
            [(200, "health"); 5],
        ),
    ];
    let mut sign_out = row(
        Method::DELETE,
        "/api/v1/session",
        T::None,
        P::Nothing,
        [
            (401, "unauthenticated"),
            (204, "empty"),
            (204, "empty"),
            (204, "empty"),
            (204, "empty"),
        ],
    );
    sign_out.fresh_session = true;
    rows.push(sign_out);
    rows
}

/// The accounts of the five roles (`None` for anonymous), the shared reference and a queue of
/// references for rows that need their own, all submitted by the account that then becomes a
/// reviewer.
struct World {
    app: TestApp,
    accounts: [Option<Account>; 5],
    shared: String,
    fresh: VecDeque<String>,
    changes_requested: VecDeque<String>,
}

async fn world(rows: &[Row]) -> World {
    let app = TestApp::new().await;
    let owner = app
        .sign_in_as("owner@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let other = app
        .sign_in_as("admin@rth.nhs.net", Role::LocalAdmin, Some("RTH"))
        .await;
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", Role::Reviewer, None)
        .await;
    let submitter = app
        .sign_in_as("submitter@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let needs = |target: Target| {
        rows.iter()
            .filter(|row| row.target == target)
            .map(|_| 5)
            .sum::<usize>()
    };
    let request = delegated_request();
    let shared = submit(&app, &submitter, &request).await;
    let mut fresh = VecDeque::new();
    for _ in 0..needs(Target::Fresh) {
        fresh.push_back(submit(&app, &submitter, &request).await);
    }
    let mut changes_requested = VecDeque::new();
    for _ in 0..needs(Target::FreshChangesRequested) {
        let reference = submit(&app, &submitter, &request).await;
        let answer = decide(
            &app,
            &reviewer,
            &reference,
            "request_changes",
            Some("Add a contact."),
        )
        .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        changes_requested.push_back(reference);
    }
    // Staff move roles: the account that submitted every request above becomes a reviewer, and
    // its session carries on with the new role.
    server::store::users::set_role(&app.state.pool, &submitter.email, Role::Reviewer, None)
        .await
        .unwrap();
    World {
        app,
        accounts: [
            None,
            Some(owner),
            Some(other),
            Some(reviewer),
            Some(submitter),
        ],
        shared,
        fresh,
        changes_requested,
    }
}

/// Asserts the body of a successful answer has the shape named in the table.
fn assert_shape(answer: &Answer, shape: &str, reference: &str, context: &str) {
    let body = answer.json();
    let keys = keys(&body);
    let list_keys = ["items", "page", "per_page", "total"];
    let item_keys = [
        "application_name",
        "ods_code",
        "organisation_name",
        "reference",
        "risk",
        "status",
        "submitted_at",
        "version",
    ];
    match shape {
        "ok" if context.contains("/record") => {
            assert_eq!(answer.content_type(), "application/jose", "{context}");
            assert_eq!(
                answer.text().split('.').count(),
                3,
                "{context}: a compact JWS"
            );
        }
        "ok" if context.contains("entra-application.json") => {
            assert_eq!(body["displayName"], "Ward Mail Connector", "{context}");
            assert!(
                body["notes"].as_str().unwrap().starts_with("NOT APPROVED"),
                "{context}: {body}"
            );
        }
        "ok" if context.contains("exchange-access.ps1") => {
            assert!(answer.content_type().starts_with("text/plain"), "{context}");
            assert!(answer.text().contains(reference), "{context}");
            assert!(answer.text().contains("\nthrow 'NOT APPROVED"), "{context}");
        }
        "ok" if context.contains("/decisions") => {
            assert_eq!(keys, ["items"], "{context}");
            assert_eq!(body["items"], json!([]), "{context}");
        }
        "ok" if context.contains("/bundle") => {
            assert_eq!(
                keys,
                [
                    "decisions",
                    "jwks",
                    "record",
                    "record_sha256",
                    "reference",
                    "status",
                    "version"
                ],
                "{context}"
            );
            assert_eq!(body["record"].as_str().unwrap().split('.').count(), 3);
        }
        "ok" => {
            assert_eq!(
                keys,
                [
                    "application_name",
                    "decisions",
                    "ods_code",
                    "organisation_name",
                    "record_sha256",
                    "reference",
                    "report",
                    "request",
                    "risk",
                    "status",
                    "submitted_at",
                    "version",
                    "versions",
                ],
                "{context}"
            );
            assert_eq!(body["reference"], reference, "{context}");
            assert_eq!(body["version"], 1, "{context}");
            assert_eq!(body["status"], "submitted", "{context}");
            assert_eq!(body["ods_code"], "RX1", "{context}");
            assert_eq!(body["risk"], "low", "{context}");
            assert_eq!(body["versions"], json!([1]), "{context}");
            assert_eq!(body["decisions"], json!([]), "{context}");
            assert_eq!(body["request"], delegated_request(), "{context}");
            assert_eq!(body["report"]["valid"], true, "{context}");
        }
        "signed_in" => assert_eq!(keys, ["csrf_token", "ods_code", "role"], "{context}"),
        "session" => assert_eq!(
            keys,
            ["csrf_token", "email", "ods_code", "role"],
            "{context}"
        ),
        "report" => assert_eq!(body["valid"], true, "{context}: {body}"),
        "submitted" | "submitted_v2" => {
            assert_eq!(
                keys,
                ["reference", "report", "status", "version"],
                "{context}"
            );
            assert_eq!(body["status"], "submitted", "{context}");
            let version = if shape == "submitted" { 1 } else { 2 };
            assert_eq!(body["version"], version, "{context}");
            let location = answer.headers["location"].to_str().unwrap();
            assert_eq!(
                location,
                format!(
                    "/api/v1/registrations/{}",
                    body["reference"].as_str().unwrap()
                ),
                "{context}"
            );
        }
        "list_rx1" | "list_empty" | "list_all" => {
            assert_eq!(keys, list_keys, "{context}");
            assert_eq!(body["page"], 1, "{context}");
            assert_eq!(body["per_page"], 50, "{context}");
            let items = body["items"].as_array().unwrap();
            for item in items {
                assert_eq!(keys_of(item), item_keys, "{context}");
            }
            match shape {
                "list_empty" => assert_eq!(body["total"], 0, "{context}"),
                _ => {
                    assert!(
                        items.iter().any(|item| item["reference"] == reference),
                        "{context}: {body}"
                    );
                    assert!(items.iter().all(|item| item["ods_code"] == "RX1"));
                }
            }
        }
        "decided_approved" => {
            assert_eq!(
                keys,
                [
                    "decided_at",
                    "decision",
                    "reason",
                    "reference",
                    "status",
                    "version"
                ],
                "{context}"
            );
            assert_eq!(body["status"], "approved", "{context}");
            assert_eq!(body["reference"], reference, "{context}");
        }
        "openapi" => assert_eq!(body["openapi"], "3.1.0", "{context}"),
        "jwks" => assert!(body["keys"].is_array(), "{context}: {body}"),
        "health" => assert_eq!(
            body,
            json!({ "status": "ok", "database": "ok" }),
            "{context}"
        ),
        "empty" => assert!(answer.bytes.is_empty(), "{context}"),
        other => panic!("unknown shape {other}"),
    }
}

#[tokio::test]
async fn every_route_answers_each_role_with_the_contracts_status_and_body() {
    let rows = rows();
    let mut world = world(&rows).await;
    for row in &rows {
        for (role, role_name) in ROLES.iter().enumerate() {
            let reference = match row.target {
                Target::None => String::new(),
                Target::Shared => world.shared.clone(),
                Target::Fresh => world.fresh.pop_front().unwrap(),
                Target::FreshChangesRequested => world.changes_requested.pop_front().unwrap(),
            };
            let path = row.path.replace("{ref}", &reference);
            let context = format!("{} {path} as {}", row.method, role_name);
            if row.fresh_session
                && let Some(account) = &world.accounts[role]
            {
                let renewed = world.app.sign_in(&account.email, &account.user_id).await;
                world.accounts[role] = Some(renewed);
            }
            let account = world.accounts[role].as_ref();
            let body = match row.posted {
                Posted::Nothing => None,
                Posted::Request => Some((
                    "application/json",
                    delegated_request().to_string().into_bytes(),
                )),
                Posted::Malformed => Some(("application/json", b"{ not json".to_vec())),
                Posted::Approve => {
                    let seen = crate::common::seen_latest(&world.app.state.pool, &reference).await;
                    let decision = json!({
                        "decision": "approve",
                        "version": seen.version,
                        "record_sha256": seen.record_sha256,
                    });
                    Some(("application/json", decision.to_string().into_bytes()))
                }
                Posted::Credentials => {
                    let email = account.map_or("nobody@nhs.net", |a| a.email.as_str());
                    let credentials =
                        json!({ "email": email, "password": crate::common::PASSWORD });
                    Some(("application/json", credentials.to_string().into_bytes()))
                }
            };
            // Signing in is not something a session does: the credentials row sends no cookie.
            let sender = if matches!(row.posted, Posted::Credentials) {
                None
            } else {
                account
            };
            let answer =
                call_raw(&world.app, row.method.clone(), &path, sender, body.clone()).await;
            let (status, what) = row.expect[role];
            if status >= 400 {
                assert_error(&answer, status, what, &context);
            } else {
                assert_eq!(
                    answer.status.as_u16(),
                    status,
                    "{context}: {}",
                    answer.text()
                );
                assert_shape(&answer, what, &reference, &context);
            }
            if what == "not_found" {
                // Another organisation's reference is answered exactly like one that does not exist.
                let unknown = row.path.replace("{ref}", "AR-2222-2222");
                let missing =
                    call_raw(&world.app, row.method.clone(), &unknown, sender, body).await;
                assert_eq!(missing.status, answer.status, "{context}");
                assert_eq!(missing.text(), answer.text(), "{context}");
            }
        }
    }
    assert!(world.fresh.is_empty() && world.changes_requested.is_empty());
}

#[tokio::test]
async fn state_changing_routes_need_the_csrf_token_whatever_the_body() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", Role::Reviewer, None)
        .await;
    let reference = submit(&app, &admin, &delegated_request()).await;
    let routes = [
        (Method::POST, "/api/v1/registrations".to_string(), &admin),
        (
            Method::POST,
            format!("/api/v1/registrations/{reference}/versions"),
            &admin,
        ),
        (
            Method::POST,
            format!("/api/v1/registrations/{reference}/decisions"),
            &reviewer,
        ),
        (Method::DELETE, "/api/v1/session".to_string(), &admin),
    ];
    for (method, path, account) in routes {
        for csrf in ["", "not-the-token"] {
            let without = Account {
                csrf: csrf.to_string(),
                ..account.clone()
            };
            let answer = call_raw(
                &app,
                method.clone(),
                &path,
                Some(&without),
                Some(("application/json", b"{ not json".to_vec())),
            )
            .await;
            assert_error(
                &answer,
                403,
                "csrf",
                &format!("{method} {path} with {csrf:?}"),
            );
        }
    }
    // Nothing changed: the request is still submitted, the admin still signed in.
    let answer = call(
        &app,
        Method::GET,
        &format!("/api/v1/registrations/{reference}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(answer.json()["status"], "submitted");
}

#[tokio::test]
async fn a_local_administrator_cannot_list_another_organisations_requests_by_asking() {
    let app = TestApp::new().await;
    let rx1 = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let rth = app
        .sign_in_as("admin@rth.nhs.net", Role::LocalAdmin, Some("RTH"))
        .await;
    submit(&app, &rx1, &delegated_request()).await;
    let answer = call(
        &app,
        Method::GET,
        "/api/v1/registrations?ods_code=RX1",
        Some(&rth),
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(
        answer.json(),
        json!({ "items": [], "page": 1, "per_page": 50, "total": 0 })
    );
}
