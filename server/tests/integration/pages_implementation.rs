//! The pages after approval (issue 14, parts 1 and 2): a reviewer records an approved request as
//! created from its review page (a plain form post, post/redirect/get), and the requesting
//! organisation's Local Administrators see the registered application on the request's page,
//! with the client secret for 72 hours. The secret never reaches a reviewer's page, an address,
//! or a page after its 72 hours.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;
use server::applications::{self, Posted};
use server::identity::{Identity, Role};
use time::{Duration, OffsetDateTime};

use crate::api_support::{Page, get_page, page_answer};
use crate::common::{Account, delegated_request};
use crate::implementation::{
    APP_ID, Desk, OBJECT_ID, SECRET_ID, approved, desk, request_with_secret,
};

use registration::implementation::NHSMAIL_TENANT_ID as TENANT_ID;
/// A value nobody would type by chance: every leak check looks for it.
const SECRET_VALUE: &str = "Zq8~PAGECANARY.x1y2z3-not-a-real-secret";

async fn get(desk: &Desk, account: &Account, path: &str) -> Page {
    get_page(&desk.app, account, path).await
}

async fn answer(desk: &Desk, request: Request<Body>) -> Page {
    page_answer(&desk.app, request).await
}

/// Posts the "Record the application as created" form as `account`, with its CSRF token.
async fn post_form(
    desk: &Desk,
    account: &Account,
    reference: &str,
    fields: &[(&str, &str)],
) -> Page {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf_token", &account.csrf)
        .extend_pairs(fields.iter().copied())
        .finish();
    let request = Request::post(format!("/review/{reference}/implementation"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &account.cookie)
        .body(Body::from(body))
        .unwrap();
    answer(desk, request).await
}

async fn status_of(desk: &Desk, reference: &str) -> String {
    server::store::registrations::latest(&desk.app.state.pool, reference)
        .await
        .unwrap()
        .unwrap()
        .status
        .as_str()
        .to_string()
}

fn in_days(days: i64) -> String {
    server::store::timestamp(OffsetDateTime::now_utc() + Duration::days(days))
}

#[tokio::test]
async fn the_review_page_of_an_approved_request_records_it_as_created_and_then_shows_it_live() {
    let desk = desk().await;
    let reference = approved(&desk, &request_with_secret()).await;
    let page_path = format!("/review/{reference}");
    let page = get(&desk, &desk.rita, &page_path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Record the application as created"));
    assert!(
        page.body
            .contains(&format!("action=\"/review/{reference}/implementation\""))
    );
    assert!(
        page.body.contains("type=\"password\""),
        "the secret's value is a password input"
    );
    assert!(page.body.contains("name=\"graph_response\""));
    assert!(crate::common::carries_csrf_token(
        &page.body,
        &desk.rita.csrf
    ));

    let expires = in_days(300);
    let recorded = post_form(
        &desk,
        &desk.rita,
        &reference,
        &[
            ("application_id", APP_ID),
            ("object_id", OBJECT_ID),
            ("secret_value", SECRET_VALUE),
            ("secret_id", SECRET_ID),
            ("secret_expires_at", &expires),
            ("graph_response", ""),
        ],
    )
    .await;
    assert_eq!(recorded.status, StatusCode::SEE_OTHER, "{}", recorded.body);
    assert_eq!(recorded.location, format!("{page_path}?implemented=live"));
    assert_eq!(status_of(&desk, &reference).await, "live");

    let page = get(&desk, &desk.rita, &recorded.location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("Recorded as created: the organisation&#x27;s Local Administrators are told")
            || page
                .body
                .contains("Recorded as created: the organisation's Local Administrators are told")
    );
    assert!(page.body.contains("The registered application"));
    assert!(page.body.contains(APP_ID));
    assert!(page.body.contains(OBJECT_ID));
    assert!(page.body.contains(TENANT_ID));
    assert!(page.body.contains(SECRET_ID));
    assert!(
        !page.body.contains("implementation-form"),
        "no form once live"
    );
    assert!(
        !page.body.contains(SECRET_VALUE),
        "a reviewer never sees the secret"
    );

    // A second post is refused: it is live already.
    let again = post_form(
        &desk,
        &desk.rita,
        &reference,
        &[("application_id", APP_ID), ("object_id", OBJECT_ID)],
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(
        again.location,
        format!("{page_path}?implementation_refused=already_implemented")
    );
    let page = get(&desk, &desk.rita, &again.location).await;
    assert!(page.body.contains("It was recorded as created already"));
}

#[tokio::test]
async fn errors_name_each_field_keep_the_typed_ids_and_never_the_secret() {
    let desk = desk().await;
    let reference = approved(&desk, &request_with_secret()).await;
    let refused = post_form(
        &desk,
        &desk.rita,
        &reference,
        &[
            ("application_id", "not-a-guid"),
            ("object_id", OBJECT_ID),
            ("secret_value", SECRET_VALUE),
            ("secret_id", SECRET_ID),
            ("secret_expires_at", "next year"),
        ],
    )
    .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert!(!refused.location.contains("Zq8"), "{}", refused.location);
    assert!(
        refused.location.starts_with(&format!(
            "/review/{reference}?implementation_error=application_id_not_guid,secret_expiry_not_time"
        )),
        "{}",
        refused.location
    );
    assert!(refused.location.contains(&format!("object_id={OBJECT_ID}")));
    assert!(refused.location.contains("application_id=not-a-guid"));
    assert_eq!(status_of(&desk, &reference).await, "approved");

    let page = get(&desk, &desk.rita, &refused.location).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains("There is a problem: nothing was recorded")
    );
    // Each error beside its field, linked from the summary.
    assert!(page.body.contains("href=\"#application-id\""));
    assert!(page.body.contains("id=\"application-id-error\""));
    assert!(page.body.contains("href=\"#secret-expires-at\""));
    assert!(page.body.contains("id=\"secret-expires-at-error\""));
    assert!(
        page.body
            .contains("Enter the Application (client) ID as Entra shows it")
    );
    assert!(
        page.body
            .contains("Enter when the client secret expires as a date")
    );
    // The typed IDs come back; the secret does not, and the page says to enter it again.
    assert!(page.body.contains(&format!("value=\"{OBJECT_ID}\"")));
    assert!(page.body.contains(&format!("value=\"{SECRET_ID}\"")));
    assert!(page.body.contains("value=\"not-a-guid\""));
    assert!(!page.body.contains(SECRET_VALUE));
    assert!(
        page.body
            .contains("The client secret&#x27;s value is not kept: enter it again")
            || page
                .body
                .contains("The client secret's value is not kept: enter it again")
    );

    // A request that asked for a secret, and none given.
    let missing = post_form(
        &desk,
        &desk.rita,
        &reference,
        &[("application_id", APP_ID), ("object_id", OBJECT_ID)],
    )
    .await;
    assert!(
        missing
            .location
            .contains("implementation_error=secret_required")
    );
    let page = get(&desk, &desk.rita, &missing.location).await;
    assert!(page.body.contains("href=\"#secret-value\""));

    // A pasted Graph response is never carried back: it holds the secret.
    let graph = json!({
        "id": OBJECT_ID, "appId": APP_ID,
        "passwordCredentials": [{ "keyId": SECRET_ID, "secretText": SECRET_VALUE, "endDateTime": in_days(800) }]
    })
    .to_string();
    let pasted = post_form(&desk, &desk.rita, &reference, &[("graph_response", &graph)]).await;
    assert_eq!(
        pasted.location,
        format!("/review/{reference}?implementation_error=secret_outlives_request&pasted=true")
    );
    let page = get(&desk, &desk.rita, &pasted.location).await;
    assert!(page.body.contains("paste it again"));
    assert!(page.body.contains("href=\"#graph-response\""));
    assert!(!page.body.contains(SECRET_VALUE));
    let unreadable = post_form(
        &desk,
        &desk.rita,
        &reference,
        &[("graph_response", "{ not json")],
    )
    .await;
    assert!(
        unreadable
            .location
            .contains("implementation_error=graph_response_unreadable")
    );
    assert_eq!(status_of(&desk, &reference).await, "approved");
}

#[tokio::test]
async fn a_pasted_graph_response_records_a_request_without_a_secret() {
    let desk = desk().await;
    let reference = approved(&desk, &delegated_request()).await;
    let page = get(&desk, &desk.rita, &format!("/review/{reference}")).await;
    assert!(
        !page.body.contains("name=\"secret_value\""),
        "no secret asked, no secret fields"
    );
    let graph = json!({ "id": OBJECT_ID, "appId": APP_ID.to_ascii_uppercase(), "displayName": "Ward Mail Connector" })
        .to_string();
    let recorded = post_form(&desk, &desk.rita, &reference, &[("graph_response", &graph)]).await;
    assert_eq!(
        recorded.location,
        format!("/review/{reference}?implemented=live")
    );
    assert_eq!(status_of(&desk, &reference).await, "live");

    let page = get(&desk, &desk.admin, &format!("/requests/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Your registered application"));
    assert!(page.body.contains(APP_ID));
    assert!(!page.body.contains("Show the client secret"));
    assert!(!page.body.contains("id=\"client-secret-heading\""));
    // Live is past approval: the exports are offered, not promised "once approved".
    assert!(
        page.body.contains(&format!(
            "/api/v1/registrations/{reference}/exports/entra-application.json"
        )),
        "the Local Administrator's page of a live application offers the exports"
    );
    assert!(!page.body.contains("id=\"exports-once-approved\""));
}

#[tokio::test]
async fn only_reviewers_post_it_and_other_organisations_see_nothing() {
    let desk = desk().await;
    let reference = approved(&desk, &delegated_request()).await;
    let fields = [("application_id", APP_ID), ("object_id", OBJECT_ID)];
    let by_admin = post_form(&desk, &desk.admin, &reference, &fields).await;
    assert_eq!(by_admin.status, StatusCode::FORBIDDEN);
    // Without the session's token: refused, nothing recorded.
    let request = Request::post(format!("/review/{reference}/implementation"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &desk.rita.cookie)
        .body(Body::from(format!(
            "csrf_token=wrong&application_id={APP_ID}&object_id={OBJECT_ID}"
        )))
        .unwrap();
    assert_eq!(answer(&desk, request).await.status, StatusCode::FORBIDDEN);
    assert_eq!(status_of(&desk, &reference).await, "approved");

    let review_page = get(&desk, &desk.admin, &format!("/review/{reference}")).await;
    assert_eq!(review_page.status, StatusCode::FORBIDDEN);
    assert!(!review_page.body.contains("implementation-form"));

    assert_eq!(
        post_form(&desk, &desk.rita, &reference, &fields)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let other = get(&desk, &desk.other_admin, &format!("/requests/{reference}")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(!other.body.contains(APP_ID));
}

fn identity_of(account: &Account) -> Identity {
    Identity {
        user_id: account.user_id.clone(),
        email: account.email.clone(),
        role: Role::Reviewer,
        ods_code: None,
    }
}

/// Records `reference` as created with a secret, as the desk would have `hours_ago`.
async fn implemented_hours_ago(desk: &Desk, reference: &str, hours_ago: i64) {
    let state = &desk.app.state;
    let at = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - Duration::hours(hours_ago);
    let reviewer = server::identity::require_reviewer(&identity_of(&desk.rita)).unwrap();
    applications::implement(
        state.desk(),
        &state.applications,
        &reviewer,
        reference,
        Posted::Fields(
            serde_json::from_value(json!({
                "application_id": APP_ID, "object_id": OBJECT_ID,
                "client_secret": { "value": SECRET_VALUE, "secret_id": SECRET_ID,
                    "expires_at": server::store::timestamp(at + Duration::days(200)) }
            }))
            .unwrap(),
        ),
        at,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn the_local_administrators_page_shows_the_secret_for_72_hours_without_caching() {
    let desk = desk().await;
    let reference = approved(&desk, &request_with_secret()).await;
    // Before it is live: what happens next, no application yet.
    let page = get(&desk, &desk.admin, &format!("/requests/{reference}")).await;
    assert!(page.body.contains("What happens next"));
    assert!(page.body.contains("emailed its Application (client) ID"));
    assert!(!page.body.contains("Your registered application"));

    implemented_hours_ago(&desk, &reference, 71).await;
    let page = get(&desk, &desk.admin, &format!("/requests/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
    assert!(page.body.contains("Your registered application"));
    assert!(page.body.contains(APP_ID));
    assert!(page.body.contains(TENANT_ID));
    assert!(page.body.contains(&format!(
        "https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/authorize"
    )));
    assert!(page.body.contains(&format!(
        "https://login.microsoftonline.com/{TENANT_ID}/oauth2/v2.0/token"
    )));
    assert!(page.body.contains(SECRET_ID));
    assert!(page.body.contains("Show the client secret"));
    assert!(page.body.contains("<details"));
    assert!(page.body.contains("Visible until"));
    assert!(page.body.contains(SECRET_VALUE));
    // The copy button comes only with the browser's script.
    assert!(!page.body.contains("id=\"copy-secret\""));

    // A reviewer's pages never have it.
    for path in [
        format!("/review/{reference}"),
        format!("/requests/{reference}"),
    ] {
        let page = get(&desk, &desk.rita, &path).await;
        assert!(!page.body.contains(SECRET_VALUE), "{path}");
    }
}

#[tokio::test]
async fn after_72_hours_the_page_says_the_secret_was_destroyed() {
    let desk = desk().await;
    let reference = approved(&desk, &request_with_secret()).await;
    implemented_hours_ago(&desk, &reference, 73).await;
    let page = get(&desk, &desk.admin, &format!("/requests/{reference}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains(SECRET_VALUE));
    assert!(!page.body.contains("Show the client secret"));
    assert!(page.body.contains(
        "The client secret was shown for 72 hours after it was issued and has been destroyed. If you did not keep it, ask for a new one (renewal)."
    ));
    assert!(
        page.body.contains(SECRET_ID),
        "still listed as a credential"
    );
    assert_eq!(page.headers[header::CACHE_CONTROL], "no-store");
}
