//! The review queue's search (`q=`): issue 18, part 4.

use crate::api_support::{Answer, call, submit};
use crate::common::{Account, TestApp, delegated_request};
use axum::http::{Method, StatusCode};
use server::identity::Role;

async fn get(app: &TestApp, path: &str, account: &Account) -> Answer {
    call(app, Method::GET, path, Some(account), None).await
}

/// The references the API's list answers for this search (every status).
async fn found(app: &TestApp, reviewer: &Account, q: &str) -> Vec<String> {
    let path = format!(
        "/api/v1/registrations?status=all&q={}",
        form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
    );
    let answer = get(app, &path, reviewer).await;
    assert_eq!(answer.status, StatusCode::OK, "{q}: {}", answer.text());
    let mut references: Vec<String> = answer.json()["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["reference"].as_str().unwrap().to_string())
        .collect();
    references.sort();
    references
}

#[tokio::test]
async fn the_search_finds_a_request_by_reference_name_supplier_mailbox_or_organisation() {
    let app = TestApp::new().await;
    let rx1 = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let rth = app
        .sign_in_as("admin@rth.nhs.net", Role::LocalAdmin, Some("RTH"))
        .await;
    let reviewer = app
        .sign_in_as("reviewer1@nhs.net", Role::Reviewer, None)
        .await;

    let mut request = delegated_request();
    request["application"]["name"] = "Ward Mail Connector".into();
    request["application"]["supplier"] = "Example Health Ltd".into();
    let ward = submit(&app, &rx1, &request).await;

    let mut request = delegated_request();
    request["ods_code"] = "RTH".into();
    request["mailboxes"] = serde_json::json!([]);
    request["application"]["name"] = "Pathology 100%_Results".into();
    request["application"]["supplier"] = "Lab Systems plc".into();
    let lab = submit(&app, &rth, &request).await;

    let mut both = vec![ward.clone(), lab.clone()];
    both.sort();
    let none: Vec<String> = Vec::new();
    assert_eq!(
        found(&app, &reviewer, &ward.to_lowercase()).await,
        vec![ward.clone()]
    );
    assert_eq!(
        found(&app, &reviewer, "mail conn").await,
        vec![ward.clone()]
    );
    assert_eq!(
        found(&app, &reviewer, "LAB SYSTEMS").await,
        vec![lab.clone()]
    );
    assert_eq!(
        found(&app, &reviewer, "ward7.referrals@").await,
        vec![ward.clone()]
    );
    assert_eq!(
        found(&app, &reviewer, "oxford university").await,
        vec![lab.clone()]
    );
    assert_eq!(found(&app, &reviewer, "rth").await, vec![lab.clone()]);
    assert_eq!(found(&app, &reviewer, "  ").await, both);
    assert_eq!(found(&app, &reviewer, "nowhere at all").await, none);
    // % and _ are matched as themselves, not as patterns.
    assert_eq!(found(&app, &reviewer, "100%_r").await, vec![lab.clone()]);
    assert_eq!(found(&app, &reviewer, "%").await, vec![lab.clone()]);
    assert_eq!(found(&app, &reviewer, "_").await, vec![lab.clone()]);
    assert_eq!(found(&app, &reviewer, "\\").await, none);

    // A Local Administrator's search stays within their organisation.
    let answer = get(&app, "/api/v1/registrations?status=all&q=health", &rth).await;
    assert_eq!(answer.json()["total"], 0, "{}", answer.text());

    // Too long a search is refused with the limit.
    let answer = get(
        &app,
        &format!("/api/v1/registrations?q={}", "x".repeat(101)),
        &reviewer,
    )
    .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"], "invalid_query");
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("at most 100")
    );

    // The queue page searches the same way, keeps the text, and its CSV and pages carry it.
    let answer = get(&app, "/review?status=all&q=Lab+Systems", &reviewer).await;
    let page = answer.text();
    assert!(
        page.contains(&format!("data-reference=\"{lab}\"")),
        "{page}"
    );
    assert!(
        !page.contains(&format!("data-reference=\"{ward}\"")),
        "{page}"
    );
    assert!(page.contains("value=\"Lab Systems\""), "{page}");
    assert!(
        page.contains(
            "href=\"/api/v1/registrations?format=csv&amp;status=all&amp;q=Lab%20Systems\""
        ),
        "{page}"
    );
    let csv = get(
        &app,
        "/api/v1/registrations?format=csv&status=all&q=Lab%20Systems",
        &reviewer,
    )
    .await
    .text();
    assert!(csv.contains(&lab) && !csv.contains(&ward), "{csv}");
}
