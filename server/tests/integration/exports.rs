//! The exports an Entra administrator acts on, made from the signed record of an approved
//! request (and previews of the others, for reviewers).

use crate::common::{
    FIXTURES, TestApp, app_only_mail_request, approve, delegated_request, local_admin_of,
};
use axum::http::StatusCode;
use registration::RegistrationRequest;
use serde_json::{Value, json};
use server::registrations;
use time::OffsetDateTime;

/// App-only Mail.Send with a certificate: high risk, two approvals.
fn app_only_request() -> RegistrationRequest {
    RegistrationRequest::from_json(&app_only_mail_request().to_string()).unwrap()
}

async fn submit(app: &TestApp, request: &RegistrationRequest) -> String {
    registrations::submit(
        app.state.desk(),
        &local_admin_of("RX1"),
        request,
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap()
    .reference
}

#[tokio::test]
async fn the_entra_application_export_is_a_graph_applications_body() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let reference = submit(
        &app,
        &RegistrationRequest::from_json(&delegated_request().to_string()).unwrap(),
    )
    .await;
    approve(&app, &reference).await;
    let (response, body) = app
        .get(&format!(
            "/api/v1/registrations/{reference}/exports/entra-application.json"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("{reference}-entra-application.json"))
    );
    let manifest: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(manifest["displayName"], "Ward Mail Connector");
    assert_eq!(manifest["signInAudience"], "AzureADMyOrg");
    assert_eq!(
        manifest["web"]["redirectUris"],
        json!(["https://connector.nuh.nhs.uk/auth/callback"])
    );
    let graph = manifest["requiredResourceAccess"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["resourceAppId"] == "00000003-0000-0000-c000-000000000000")
        .expect("Microsoft Graph");
    let ids: Vec<&str> = graph["resourceAccess"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"652390e4-393a-48de-9484-05f9b1212954"),
        "IMAP.AccessAsUser.All on Graph: {ids:?}"
    );
    assert!(
        ids.contains(&"7427e0e9-2fba-42fe-b0c0-848c9e6a8182"),
        "offline_access: {ids:?}"
    );
}

#[tokio::test]
async fn app_only_mail_exports_carry_the_certificate_and_scope_mail_with_rbac() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let request = app_only_request();
    let reference = submit(&app, &request).await;
    approve(&app, &reference).await;
    let manifest = {
        let (response, body) = app
            .get(&format!(
                "/api/v1/registrations/{reference}/exports/entra-application.json"
            ))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        serde_json::from_slice::<Value>(&body).unwrap()
    };
    let key = manifest["keyCredentials"][0]["key"].as_str().unwrap();
    let pem = std::fs::read_to_string(format!("{FIXTURES}rsa2048.pem")).unwrap();
    let der_base64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(key, der_base64);
    assert_eq!(manifest["keyCredentials"][0]["type"], "AsymmetricX509Cert");
    // RBAC for Applications grants Mail.Send scoped to the group; the manifest must not also
    // carry the tenant-wide admin-consented Graph role.
    assert!(
        !manifest
            .to_string()
            .contains("b633e1c5-b582-4048-a93e-9f11b44c7e96"),
        "{manifest:#}"
    );

    let (response, body) = app
        .get(&format!(
            "/api/v1/registrations/{reference}/exports/exchange-access.ps1"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    let script = String::from_utf8(body).unwrap();
    assert!(
        script.contains("'ward7-connector-scope@nhs.net'"),
        "{script}"
    );
    assert!(script.contains("New-ManagementScope"), "{script}");
    assert!(script.contains("'Application Mail.Send'"), "{script}");
    assert!(
        script.contains("Test-ServicePrincipalAuthorization"),
        "{script}"
    );
}

#[tokio::test]
async fn exports_of_an_unknown_reference_are_404_in_json() {
    let app = TestApp::as_local_admin_of("RX1").await;
    for export in ["entra-application.json", "exchange-access.ps1"] {
        let (response, body) = app
            .get(&format!(
                "/api/v1/registrations/AR-2222-2222/exports/{export}"
            ))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            serde_json::from_slice::<Value>(&body).unwrap()["error"],
            "not_found"
        );
    }
}

#[tokio::test]
async fn no_export_is_made_from_a_record_that_no_longer_verifies() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let reference = submit(&app, &app_only_request()).await;
    approve(&app, &reference).await;
    sqlx::query("UPDATE log_entry SET jws = replace(jws, substr(jws, 40, 1), CASE substr(jws, 40, 1) WHEN 'A' THEN 'B' ELSE 'A' END) WHERE reference = $1")
        .bind(&reference)
        .execute(&app.state.pool)
        .await
        .unwrap();
    let (response, body) = app
        .get(&format!(
            "/api/v1/registrations/{reference}/exports/entra-application.json"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["error"],
        "record_not_verifiable"
    );
}

#[tokio::test]
async fn exports_are_for_the_owning_organisation_and_reviewers_only() {
    let app = TestApp::as_local_admin_of("RX1").await;
    let reference = submit(&app, &app_only_request()).await;
    approve(&app, &reference).await;
    let other = app
        .sign_in_as(
            "admin@rth.nhs.net",
            server::identity::Role::LocalAdmin,
            Some("RTH"),
        )
        .await;
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", server::identity::Role::Reviewer, None)
        .await;
    for export in ["entra-application.json", "exchange-access.ps1"] {
        let get = |reference: &str, cookie: &str| {
            http::Request::get(format!(
                "/api/v1/registrations/{reference}/exports/{export}"
            ))
            .header("cookie", cookie)
            .body(axum::body::Body::empty())
            .unwrap()
        };
        let (response, _) = app.send(get(&reference, "appreg_session=none")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{export}");
        let (response, theirs) = app.send(get(&reference, &other.cookie)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{export}");
        let (_, missing) = app.send(get("AR-2222-2222", &other.cookie)).await;
        assert_eq!(theirs, missing, "{export}: answered as no request");
        let (response, _) = app.send(get(&reference, &reviewer.cookie)).await;
        assert_eq!(response.status(), StatusCode::OK, "{export}");
    }
}
