//! Never losing typed work (issue 18, part 2): the form's autosave route, and a registration form
//! posted after its session ended — kept for the browser, and restored as a draft when it signs in
//! again as a Local Administrator of the form's organisation (without JavaScript: the plain post;
//! with it: the autosave's 401).

use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use server::identity::Role;

use crate::common::{Account, PASSWORD, TestApp};
use crate::pages_admin::{form_body, sign_in_form};

/// A session that ended 31 minutes after its last use (the idle timeout is 30).
async fn idle_too_long(app: &TestApp, account: &Account) {
    let long_ago =
        server::store::timestamp(time::OffsetDateTime::now_utc() - time::Duration::minutes(31));
    sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE user_id = $2")
        .bind(long_ago)
        .bind(&account.user_id)
        .execute(&app.state.pool)
        .await
        .unwrap();
}

async fn post(
    app: &TestApp,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> (Response<Body>, String) {
    let request = Request::post(path)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(form_body(fields)))
        .unwrap();
    let (response, body) = app.send(request).await;
    (response, String::from_utf8(body).unwrap())
}

fn location(response: &Response<Body>) -> String {
    response
        .headers()
        .get(header::LOCATION)
        .map(|value| value.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The `appreg_parked=…` pair the answer set, if any.
fn parked_cookie(response: &Response<Body>) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap())
        .find(|value| value.starts_with("appreg_parked=") && !value.starts_with("appreg_parked=;"))
        .map(|value| {
            assert!(
                value.contains("HttpOnly; SameSite=Strict; Path=/"),
                "{value}"
            );
            value.split(';').next().unwrap().to_string()
        })
}

/// Signs in through the sign-in page as a browser holding `cookie` (e.g. a parked form's), with
/// `next`; returns the answer.
async fn sign_in_page(app: &TestApp, email: &str, cookie: &str, next: &str) -> Response<Body> {
    let (form_cookie, token) = sign_in_form(app).await;
    let request = Request::post("/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, format!("{form_cookie}; {cookie}"))
        .body(Body::from(form_body(&[
            ("email", email),
            ("password", PASSWORD),
            ("next", next),
            ("csrf_token", &token),
        ])))
        .unwrap();
    app.send(request).await.0
}

/// The form's fields as the page posts them, for RX1.
fn form_fields<'a>(csrf: &'a str, name: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", csrf),
        ("draft_id", ""),
        ("ods_code", "RX1"),
        ("application_name", name),
        ("description", "Reads the referrals inbox"),
        ("supplier", "Acme Health Ltd"),
        ("mailboxes[0]", "referrals.rx1@nhs.net"),
    ]
}

async fn drafts_of(app: &TestApp, ods_code: &str) -> Vec<server::store::drafts::DraftSummary> {
    server::store::drafts::list_for(&app.state.pool, ods_code)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_form_posted_after_the_session_ended_is_kept_and_restored_as_a_draft_on_signing_in() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    idle_too_long(&app, &admin).await;

    // "Submit", pressed 31 minutes after the last round trip: nothing is submitted or saved yet,
    // and nothing is lost.
    let mut fields = form_fields(&admin.csrf, "Kept Connector");
    fields.push(("action", "submit"));
    let (response, _) = post(&app, &admin.cookie, "/register", &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/sign-in?next=/register&kept=1");
    let parked = parked_cookie(&response).expect("the form is kept for this browser");
    assert!(drafts_of(&app, "RX1").await.is_empty());
    // The sign-in page says so.
    let page = crate::api_support::page_answer(
        &app,
        Request::get(location(&response))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"form-kept\""), "{}", page.body);

    // Signing in again opens it as a draft of RX1, not submitted; the cookie goes.
    let response = sign_in_page(&app, "admin@rx1.nhs.net", &parked, "/register").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = location(&response);
    assert!(
        to.starts_with("/register/") && to.ends_with("?restored=1"),
        "{to}"
    );
    assert!(
        response
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|value| value.to_str().unwrap().starts_with("appreg_parked=; ")),
        "the parked form's cookie is cleared"
    );
    let drafts = drafts_of(&app, "RX1").await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].application_name, "Kept Connector");
    assert_eq!(to, format!("/register/{}?restored=1", drafts[0].id));
    let stored = server::store::drafts::load(&app.state.pool, &drafts[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.draft.mailboxes, ["referrals.rx1@nhs.net"]);
    assert!(
        server::store::registrations::list(&app.state.pool, &Default::default(), 1)
            .await
            .unwrap()
            .items
            .is_empty(),
        "a restored Submit is not submitted: the person checks it first"
    );
    // Taken once: signing in again with the old cookie restores nothing more.
    let again = sign_in_page(&app, "admin@rx1.nhs.net", &parked, "/requests").await;
    assert_eq!(location(&again), "/requests");
    assert_eq!(drafts_of(&app, "RX1").await.len(), 1);
}

#[tokio::test]
async fn a_kept_form_continues_its_draft_and_is_never_given_to_another_organisation() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    app.add_account("admin@rj1.nhs.net", Role::LocalAdmin, Some("RJ1"))
        .await;
    app.add_account("rita@nhs.net", Role::Reviewer, None).await;
    // A saved draft, then a later post on it after the session ended.
    let (response, _) = post(
        &app,
        &admin.cookie,
        "/register",
        &[
            ("csrf_token", &admin.csrf),
            ("ods_code", "RX1"),
            ("application_name", "First words"),
            ("action", "save"),
        ],
    )
    .await;
    let draft_id = location(&response)
        .trim_start_matches("/register/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    idle_too_long(&app, &admin).await;
    let mut fields = form_fields(&admin.csrf, "Later words");
    fields[1] = ("draft_id", &draft_id);
    let (response, _) = post(&app, &admin.cookie, "/register", &fields).await;
    assert_eq!(
        location(&response),
        format!("/sign-in?next=/register/{draft_id}&kept=1")
    );
    let parked = parked_cookie(&response).unwrap();

    // A reviewer signing in on this browser leaves it for its Local Administrator.
    let response = sign_in_page(&app, "rita@nhs.net", &parked, "/review").await;
    assert_eq!(location(&response), "/review");
    // Another organisation's administrator never gets it: it is dropped.
    let response = sign_in_page(&app, "admin@rj1.nhs.net", &parked, "/register").await;
    assert_eq!(location(&response), "/register");
    assert!(drafts_of(&app, "RJ1").await.is_empty());
    let response = sign_in_page(&app, "admin@rx1.nhs.net", &parked, "/register").await;
    assert_eq!(
        location(&response),
        "/register",
        "dropped, not kept for later"
    );
    let drafts = drafts_of(&app, "RX1").await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].application_name, "First words");

    // Kept again and restored by RX1's administrator: the same draft continues.
    let (response, _) = post(&app, &admin.cookie, "/register", &fields).await;
    let parked = parked_cookie(&response).unwrap();
    let response = sign_in_page(&app, "admin@rx1.nhs.net", &parked, "/register").await;
    assert_eq!(
        location(&response),
        format!("/register/{draft_id}?restored=1")
    );
    let drafts = drafts_of(&app, "RX1").await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].application_name, "Later words");
}

#[tokio::test]
async fn autosave_saves_the_draft_without_checking_or_submitting_and_keeps_it_once_signed_out() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;

    // What the form's script sends: the fields, no button (a button would not be pressed).
    let mut fields = form_fields(&admin.csrf, "Typed Connector");
    fields.push(("action", "submit"));
    let (response, body) = post(&app, &admin.cookie, "/register/autosave", &fields).await;
    assert_eq!(response.status(), StatusCode::OK, "{body}");
    let saved: serde_json::Value = serde_json::from_str(&body).unwrap();
    let draft_id = saved["draft_id"].as_str().unwrap().to_string();
    assert!(saved["saved_at"].as_str().unwrap().ends_with('Z'));
    let drafts = drafts_of(&app, "RX1").await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].id, draft_id);
    assert!(
        server::store::registrations::list(&app.state.pool, &Default::default(), 1)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    // The next autosave names the draft, and updates it.
    let mut fields = form_fields(&admin.csrf, "Typed Connector v2");
    fields[1] = ("draft_id", &draft_id);
    let (response, body) = post(&app, &admin.cookie, "/register/autosave", &fields).await;
    assert_eq!(response.status(), StatusCode::OK, "{body}");
    let drafts = drafts_of(&app, "RX1").await;
    assert_eq!(drafts.len(), 1);
    assert_eq!(drafts[0].application_name, "Typed Connector v2");

    // A page from another session: refused, nothing saved.
    let mut stale = fields.clone();
    stale[0] = ("csrf_token", "not-this-sessions-token");
    let (response, _) = post(&app, &admin.cookie, "/register/autosave", &stale).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Once the session ended: 401, and what was sent is kept for the next sign-in.
    idle_too_long(&app, &admin).await;
    let fields = {
        let mut fields = form_fields(&admin.csrf, "Typed after the end");
        fields[1] = ("draft_id", &draft_id);
        fields
    };
    let (response, body) = post(&app, &admin.cookie, "/register/autosave", &fields).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["error"], "signed_out");
    assert_eq!(answer["kept"], true);
    assert_eq!(
        answer["sign_in"],
        format!("/sign-in?next=/register/{draft_id}&kept=1")
    );
    let parked = parked_cookie(&response).unwrap();
    let response = sign_in_page(&app, "admin@rx1.nhs.net", &parked, "/register").await;
    assert_eq!(
        location(&response),
        format!("/register/{draft_id}?restored=1")
    );
    assert_eq!(
        drafts_of(&app, "RX1").await[0].application_name,
        "Typed after the end"
    );
}

#[tokio::test]
async fn the_form_page_says_what_was_restored_and_carries_the_session_timeout() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let page = crate::api_support::get_page(&app, &admin, "/register?restored=files").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Your answers were kept"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"restored-files\""));
    // The island's props: the idle timeout the warning counts down from.
    assert!(page.body.contains("session_idle_seconds"), "{}", page.body);
    assert!(page.body.contains("1800"));
    assert!(page.body.contains("id=\"autosave-status\""));
}

#[tokio::test]
async fn a_signed_out_post_with_a_certificate_keeps_the_text_and_asks_for_the_file_again() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    idle_too_long(&app, &admin).await;
    let fields: Vec<(String, String)> = form_fields(&admin.csrf, "With a file")
        .into_iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    let request = Request::post("/register")
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={}", crate::form::BOUNDARY),
        )
        .header(header::COOKIE, &admin.cookie)
        .body(Body::from(crate::form::multipart_body(
            &fields,
            Some((
                "app.cer",
                b"-----BEGIN CERTIFICATE-----\nnot kept\n-----END CERTIFICATE-----\n",
            )),
        )))
        .unwrap();
    let (response, _) = app.send(request).await;
    assert_eq!(location(&response), "/sign-in?next=/register&kept=1");
    let parked = parked_cookie(&response).unwrap();
    let response = sign_in_page(&app, "admin@rx1.nhs.net", &parked, "/register").await;
    let to = location(&response);
    assert!(to.ends_with("?restored=files"), "{to}");
    let page = crate::api_support::get_page(&app, &admin_again(&app).await, &to).await;
    assert!(page.body.contains("id=\"restored-files\""), "{}", page.body);
    let drafts = drafts_of(&app, "RX1").await;
    assert_eq!(drafts[0].application_name, "With a file");
}

/// RX1's administrator signed in afresh (their old session ended).
async fn admin_again(app: &TestApp) -> Account {
    let user_id: String = sqlx::query_scalar("SELECT id FROM users WHERE email = $1")
        .bind("admin@rx1.nhs.net")
        .fetch_one(&app.state.pool)
        .await
        .unwrap();
    app.sign_in("admin@rx1.nhs.net", &user_id).await
}
