//! The credential inventory (issue 14, part 3): each organisation sees its own registered
//! applications with their credentials' expiry, reviewers see every organisation's and what
//! expires soon, and both download the dates as an iCalendar file.

use axum::http::{Method, StatusCode, header};
use registration::lifecycle::Step;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::api_support::{assert_error, call, submit};
use crate::common::{Account, approve, delegated_request, local_admin_of};
use crate::implementation::{APP_ID, Desk, OBJECT_ID, SECRET_ID, desk};

/// An application of `admin`'s organisation, approved and created with a client secret that
/// expires in `days` days.
async fn live_with_secret(desk: &Desk, admin: &Account, days: i64, name: &str) -> (String, String) {
    let mut request = delegated_request();
    request["client_secret"] = json!({ "lifetime_months": 24 });
    request["application"]["name"] = json!(name);
    if admin.email.contains("rj1") {
        request["ods_code"] = json!("RJ1");
        request["mailboxes"] = json!(["demo.outpatients.rj1@nhs.net"]);
    }
    let reference = submit(&desk.app, admin, &request).await;
    approve(&desk.app, &reference).await;
    let expires = server::store::timestamp(
        OffsetDateTime::now_utc() + Duration::days(days) - Duration::hours(1),
    );
    let secret_id = format!("{}{:04}", &SECRET_ID[..32], days);
    let answer = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/implementation"),
        Some(&desk.rita),
        Some(&json!({
            "application_id": APP_ID,
            "object_id": OBJECT_ID,
            "client_secret": { "value": "not-a-real-secret", "secret_id": secret_id, "expires_at": expires },
        })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    (reference, secret_id)
}

async fn get(desk: &Desk, account: &Account, path: &str) -> crate::api_support::Answer {
    call(&desk.app, Method::GET, path, Some(account), None).await
}

fn references(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["reference"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn each_organisation_sees_its_own_applications_and_reviewers_what_expires_soon() {
    let desk = desk().await;
    let (soon, soon_secret) = live_with_secret(&desk, &desk.admin, 20, "Ward Mail Connector").await;
    let (later, _) = live_with_secret(&desk, &desk.admin, 200, "Appointments Mailer").await;
    let (elsewhere, _) = live_with_secret(&desk, &desk.other_admin, 10, "Theatre Rota").await;
    // A submitted request is not an application yet.
    submit(&desk.app, &desk.admin, &delegated_request()).await;

    let own = get(&desk, &desk.admin, "/api/v1/applications").await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.text());
    let own = own.json();
    // By name; only RX1's.
    assert_eq!(
        references(&own, "applications"),
        [later.clone(), soon.clone()]
    );
    let first = &own["applications"][1];
    assert_eq!(first["application_id"], APP_ID);
    assert_eq!(first["status"], "live");
    assert_eq!(first["credentials"][0]["kind"], "secret");
    assert_eq!(first["credentials"][0]["id"], soon_secret.as_str());

    let all = get(&desk, &desk.rita, "/api/v1/applications").await.json();
    assert_eq!(all["applications"].as_array().unwrap().len(), 3);
    assert_eq!(
        (
            all["page"].clone(),
            all["per_page"].clone(),
            all["total"].clone()
        ),
        (json!(1), json!(50), json!(3))
    );
    // A reviewer narrows to one organisation; a Local Administrator sees their own whatever
    // they ask for; a page past the last is empty, with the total.
    let rj1 = get(&desk, &desk.rita, "/api/v1/applications?ods_code=rj1")
        .await
        .json();
    assert_eq!(references(&rj1, "applications"), [elsewhere.as_str()]);
    let asked_for_rj1 = get(&desk, &desk.admin, "/api/v1/applications?ods_code=RJ1")
        .await
        .json();
    assert_eq!(
        references(&asked_for_rj1, "applications"),
        [later.clone(), soon.clone()]
    );
    let second = get(&desk, &desk.rita, "/api/v1/applications?page=2")
        .await
        .json();
    assert_eq!(second["applications"], json!([]));
    assert_eq!(second["total"], 3);
    assert_error(
        &get(&desk, &desk.rita, "/api/v1/applications?page=two").await,
        400,
        "invalid_query",
        "a page that is not a number",
    );

    // Reviewers: within 60 days, soonest first, with the days left; a wider window adds more.
    let expiring = get(&desk, &desk.rita, "/api/v1/credentials/expiring")
        .await
        .json();
    assert_eq!(expiring["within_days"], 60);
    assert_eq!(
        references(&expiring, "credentials"),
        [elsewhere.clone(), soon.clone()]
    );
    assert_eq!(expiring["credentials"][0]["days_left"], 10);
    assert_eq!(expiring["credentials"][1]["days_left"], 20);
    let wider = get(
        &desk,
        &desk.rita,
        "/api/v1/credentials/expiring?within_days=365",
    )
    .await
    .json();
    assert_eq!(
        references(&wider, "credentials"),
        [elsewhere.clone(), soon.clone(), later.clone()]
    );
    // An organisation's view of the same is its own.
    let own_expiring = get(&desk, &desk.admin, "/api/v1/credentials/expiring")
        .await
        .json();
    assert_eq!(references(&own_expiring, "credentials"), [soon.as_str()]);
    assert_error(
        &get(
            &desk,
            &desk.rita,
            "/api/v1/credentials/expiring?within_days=0",
        )
        .await,
        400,
        "invalid_query",
        "a window of no days",
    );
    assert_error(
        &get(
            &desk,
            &desk.rita,
            "/api/v1/credentials/expiring?within_days=soon",
        )
        .await,
        400,
        "invalid_query",
        "a window that is not a number",
    );

    // Deleted: still listed (it can be recovered), but nothing of it expires in use.
    let state = &desk.app.state;
    let now = OffsetDateTime::now_utc();
    server::deletion::request(
        state.desk(),
        &local_admin_of("RX1"),
        &soon,
        Step::RequestDeletion,
        Some("Retired"),
        now,
    )
    .await
    .unwrap();
    let rita = server::identity::require_reviewer(&server::identity::Identity {
        user_id: desk.rita.user_id.clone(),
        email: desk.rita.email.clone(),
        role: server::identity::Role::Reviewer,
        ods_code: None,
    })
    .unwrap();
    server::deletion::answer(
        state.desk(),
        &rita,
        &soon,
        Step::ConfirmDeletion,
        None,
        None,
        now,
    )
    .await
    .unwrap();
    let own = get(&desk, &desk.admin, "/api/v1/applications").await.json();
    assert_eq!(own["applications"][1]["status"], "deleted");
    let own_expiring = get(&desk, &desk.admin, "/api/v1/credentials/expiring")
        .await
        .json();
    assert_eq!(own_expiring["credentials"], json!([]));
}

#[tokio::test]
async fn the_expiry_dates_download_as_a_calendar_of_ones_own_applications() {
    let desk = desk().await;
    let (mine, secret_id) = live_with_secret(&desk, &desk.admin, 90, "Ward Mail Connector").await;
    let (theirs, _) = live_with_secret(&desk, &desk.other_admin, 30, "Theatre Rota").await;

    let answer = get(&desk, &desk.admin, "/api/v1/applications/expiry.ics").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
    assert_eq!(
        answer.headers[header::CONTENT_TYPE],
        "text/calendar; charset=utf-8"
    );
    assert!(
        answer.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .contains("appreg-expiry-dates.ics")
    );
    let calendar = answer.text().replace("\r\n ", "");
    assert!(calendar.starts_with("BEGIN:VCALENDAR\r\n"), "{calendar}");
    assert!(calendar.contains("X-WR-CALNAME:RX1 application credentials"));
    assert!(
        calendar.contains(&format!("UID:{mine}-secret-{secret_id}@appreg")),
        "{calendar}"
    );
    assert!(calendar.contains(&format!(
        "SUMMARY:Client secret of Ward Mail Connector ({mine}) expires"
    )));
    assert!(calendar.contains(&format!("URL:http://127.0.0.1:3000/requests/{mine}")));
    assert!(
        !calendar.contains(&theirs),
        "another organisation's application leaked"
    );
    assert!(
        !calendar.contains("not-a-real-secret"),
        "the secret's value leaked"
    );

    // One application's; another organisation's is not found.
    let one = get(
        &desk,
        &desk.admin,
        &format!("/api/v1/registrations/{mine}/expiry.ics"),
    )
    .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(one.text().matches("BEGIN:VEVENT").count(), 1);
    assert_error(
        &get(
            &desk,
            &desk.admin,
            &format!("/api/v1/registrations/{theirs}/expiry.ics"),
        )
        .await,
        404,
        "not_found",
        "another organisation's calendar",
    );
    let anonymous = call(
        &desk.app,
        Method::GET,
        "/api/v1/applications/expiry.ics",
        None,
        None,
    )
    .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
}

async fn page(desk: &Desk, account: &Account, path: &str) -> (StatusCode, String) {
    let page = crate::api_support::get_page(&desk.app, account, path).await;
    (page.status, page.body)
}

#[tokio::test]
async fn your_applications_and_expiring_soon_are_pages_that_work_without_javascript() {
    let desk = desk().await;
    let (mine, _) = live_with_secret(&desk, &desk.admin, 12, "Ward Mail Connector").await;
    let (theirs, _) = live_with_secret(&desk, &desk.other_admin, 100, "Theatre Rota").await;

    let (status, body) = page(&desk, &desk.admin, "/applications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1>Your applications</h1>"), "{body}");
    assert!(body.contains(&format!("data-reference=\"{mine}\"")));
    assert!(!body.contains(&theirs));
    assert!(body.contains("12 days"), "{body}");
    assert!(body.contains("href=\"/api/v1/applications/expiry.ics\""));
    assert!(
        body.contains("href=\"/applications\""),
        "the menu links to it"
    );

    let (status, body) = page(&desk, &desk.rita, "/applications").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("<h1>Registered applications</h1>"));
    assert!(body.contains(&mine) && body.contains(&theirs));
    assert!(body.contains("2 applications"), "{body}");
    let (_, body) = page(&desk, &desk.rita, "/applications?ods_code=RJ1").await;
    assert!(body.contains(&theirs) && !body.contains(&format!("data-reference=\"{mine}\"")));
    assert!(
        body.contains("value=\"RJ1\""),
        "the filter keeps what was asked: {body}"
    );

    let (_, body) = page(&desk, &desk.rita, "/applications/expiring").await;
    assert!(
        body.contains(&format!("data-reference=\"{mine}\"")),
        "{body}"
    );
    assert!(!body.contains(&format!("data-reference=\"{theirs}\"")));
    let (_, body) = page(&desk, &desk.rita, "/applications/expiring?within=180").await;
    assert!(body.contains(&format!("data-reference=\"{theirs}\"")));
    assert!(body.contains("<option value=\"180\" selected"), "{body}");

    // The request's page links to its own calendar file.
    let (_, body) = page(&desk, &desk.admin, &format!("/requests/{mine}")).await;
    assert!(body.contains(&format!("/api/v1/registrations/{mine}/expiry.ics")));
}
