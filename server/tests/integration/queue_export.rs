//! The review queue as a spreadsheet: `GET /api/v1/registrations` as CSV (issue 18, part 4).

use crate::api_support::{Answer, call, call_accepting, submit};
use crate::common::{Account, TestApp, delegated_request};
use axum::http::{Method, StatusCode, header};
use server::identity::Role;
use server::store::registrations::{self, Filter};

async fn get(app: &TestApp, path: &str, account: &Account, accept: Option<&str>) -> Answer {
    call_accepting(app, Method::GET, path, Some(account), None, accept).await
}

fn named(name: &str) -> serde_json::Value {
    let mut request = delegated_request();
    request["application"]["name"] = name.into();
    request
}

/// Two organisations' requests, one of them named to be run as a formula by a spreadsheet.
async fn desk() -> (TestApp, Account, Account, String, String) {
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
    let mut request = named("=HYPERLINK(\"http://evil.example\",\"Open\")");
    let first = submit(&app, &rx1, &request).await;
    request = named("Ward Mail, Connector");
    request["ods_code"] = "RTH".into();
    request["mailboxes"] = serde_json::json!([]);
    let second = submit(&app, &rth, &request).await;
    (app, rx1, reviewer, first, second)
}

#[tokio::test]
async fn a_reviewer_downloads_the_filtered_queue_as_csv_that_no_spreadsheet_runs() {
    let (app, _, reviewer, first, second) = desk().await;
    let answer = get(
        &app,
        "/api/v1/registrations?format=csv&status=awaiting",
        &reviewer,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(answer.content_type(), "text/csv; charset=utf-8");
    let disposition = answer.headers[header::CONTENT_DISPOSITION]
        .to_str()
        .unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"registration-requests-"),
        "{disposition}"
    );
    let text = answer.text();
    let lines: Vec<&str> = text.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "reference,version,status,ods_code,organisation_name,application_name,risk,submitted_at,waiting_days"
    );
    assert_eq!(lines.len(), 4, "{text}"); // header, two rows, the last line's end
    assert_eq!(lines[3], "");
    // Oldest first; submitted in the same second, these two are in reference order.
    let row = |reference: &str| {
        *lines
            .iter()
            .find(|line| line.starts_with(reference))
            .unwrap_or_else(|| panic!("{reference} missing: {text}"))
    };
    let (rx1, rth) = (row(&first), row(&second));
    assert!(
        rx1.starts_with(&format!("{first},1,submitted,RX1,")),
        "{rx1}"
    );
    // A formula is kept as text (a leading '), its quotes doubled inside a quoted field.
    assert!(
        rx1.contains(",\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"Open\"\")\","),
        "{rx1}"
    );
    assert!(rx1.ends_with(",0"), "waiting days: {rx1}");
    assert!(
        rth.starts_with(&format!("{second},1,submitted,RTH,")),
        "{rth}"
    );
    assert!(rth.contains(",\"Ward Mail, Connector\","), "{rth}");

    // The filters narrow it as they narrow the queue.
    let answer = get(
        &app,
        "/api/v1/registrations?format=csv&status=all&ods_code=rth",
        &reviewer,
        None,
    )
    .await;
    let text = answer.text();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains(&second) && !text.contains(&first), "{text}");
}

#[tokio::test]
async fn accept_text_csv_asks_for_the_same_and_json_stays_the_default() {
    let (app, _, reviewer, first, _) = desk().await;
    let answer = get(&app, "/api/v1/registrations", &reviewer, Some("text/csv")).await;
    assert_eq!(answer.content_type(), "text/csv; charset=utf-8");
    assert!(answer.text().contains(&first));
    let answer = get(&app, "/api/v1/registrations", &reviewer, None).await;
    assert_eq!(answer.content_type(), "application/json");
    assert_eq!(answer.json()["total"], 2);
    // format wins over Accept; the queue's own status names work in JSON too.
    let answer = get(
        &app,
        "/api/v1/registrations?format=json&status=awaiting",
        &reviewer,
        Some("text/csv"),
    )
    .await;
    assert_eq!(answer.content_type(), "application/json");
    assert_eq!(answer.json()["total"], 2);
}

#[tokio::test]
async fn a_local_administrator_exports_only_their_own_organisations_requests() {
    let (app, rx1, _, first, second) = desk().await;
    for path in [
        "/api/v1/registrations?format=csv&status=all",
        "/api/v1/registrations?format=csv&status=all&ods_code=RTH",
    ] {
        let answer = get(&app, path, &rx1, None).await;
        assert_eq!(answer.status, StatusCode::OK);
        let text = answer.text();
        assert!(!text.contains(&second), "{path}: {text}");
        assert_eq!(
            text.contains(&first),
            !path.contains("RTH"),
            "{path}: {text}"
        );
    }
    let answer = call(
        &app,
        Method::GET,
        "/api/v1/registrations?format=csv",
        None,
        None,
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    let answer = get(&app, "/api/v1/registrations?format=xlsx", &rx1, None).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.json()["error"], "invalid_query");
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("json or csv")
    );
}

#[tokio::test]
async fn an_export_larger_than_its_bound_is_refused_with_the_count() {
    let (app, ..) = desk().await;
    let all = Filter::default();
    let within = registrations::export(&app.state.pool, &all, 2)
        .await
        .unwrap();
    assert_eq!(within.map(|rows| rows.len()), Ok(2));
    let over = registrations::export(&app.state.pool, &all, 1)
        .await
        .unwrap();
    assert_eq!(over.map(|rows| rows.len()), Err(2));
}

#[tokio::test]
async fn the_review_queue_shows_how_long_each_request_has_waited_and_links_its_csv() {
    let (app, _, reviewer, ..) = desk().await;
    let answer = get(&app, "/review?status=all&risk=low", &reviewer, None).await;
    assert_eq!(answer.status, StatusCode::OK);
    let page = answer.text();
    assert!(
        page.contains("href=\"/api/v1/registrations?format=csv&amp;status=all&amp;risk=low\""),
        "{page}"
    );
    assert!(page.contains(">Waiting</th>"), "{page}");
    assert!(
        page.contains("class=\"nhsuk-table__cell appreg-waiting\">Under a day<"),
        "{page}"
    );
}
