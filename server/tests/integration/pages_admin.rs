//! The sign-in page's posts and the Local Administrator's pages over the real router and a real
//! database file: sign-in and sign-out without JavaScript, who may open which page (exact
//! statuses and redirects), and a request sent back for changes revised into version 2.

use crate::common::{
    Account, PASSWORD, TestApp, delegated_request, hidden_csrf_token, set_cookies,
};
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use registration::RegistrationRequest;
use server::identity::{Identity, Role, csrf, require_local_admin, require_reviewer};
use server::registrations;
use server::review::{self, Decision};
use server::store::drafts;

/// Admin A of RX1, admin B of RTH, and a reviewer, all signed in.
struct People {
    admin_a: Account,
    admin_b: Account,
    reviewer: Account,
}

async fn people(app: &TestApp) -> People {
    People {
        admin_a: app
            .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
            .await,
        admin_b: app
            .sign_in_as("admin@rth.nhs.net", Role::LocalAdmin, Some("RTH"))
            .await,
        reviewer: app
            .sign_in_as("reviewer@nhs.net", Role::Reviewer, None)
            .await,
    }
}

pub(crate) fn form_body(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// A url-encoded form post, as `who` (anonymous when `None`).
async fn post_form(
    app: &TestApp,
    who: Option<&Account>,
    path: &str,
    fields: &[(&str, &str)],
) -> (Response<Body>, String) {
    let mut builder =
        Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(account) = who {
        builder = builder.header(header::COOKIE, &account.cookie);
    }
    let (response, body) = app
        .send(builder.body(Body::from(form_body(fields))).unwrap())
        .await;
    (response, String::from_utf8(body).unwrap())
}

/// The sign-in page as a browser first loads it: the sign-in form cookie it sets (`name=value`)
/// and the token its form carries, which must be the same.
pub(crate) async fn sign_in_form(app: &TestApp) -> (String, String) {
    let (response, html) = get_page(app, None, "/sign-in").await;
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|value| value.to_str().unwrap().to_string())
        .find(|value| value.starts_with("appreg_sign_in="))
        .expect("the sign-in page sets its form cookie");
    assert!(
        cookie.contains("HttpOnly; SameSite=Strict; Path=/"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_string();
    let cookie_token = pair.trim_start_matches("appreg_sign_in=").to_string();
    let token = hidden_csrf_token(&html);
    assert!(
        csrf::same_token(token.as_bytes(), cookie_token.as_bytes())
            && !html.contains(&cookie_token),
        "the form carries the cookie's token, masked: {html}"
    );
    (pair, token)
}

/// Posts the sign-in form as a browser does: loaded first, then sent with its cookie and token.
async fn post_sign_in(app: &TestApp, fields: &[(&str, &str)]) -> (Response<Body>, String) {
    let (cookie, token) = sign_in_form(app).await;
    let mut fields = fields.to_vec();
    fields.push(("csrf_token", &token));
    let request = Request::post("/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, cookie)
        .body(Body::from(form_body(&fields)))
        .unwrap();
    let (response, body) = app.send(request).await;
    (response, String::from_utf8(body).unwrap())
}

/// A page load by a browser, as `who`.
async fn get_page(app: &TestApp, who: Option<&Account>, path: &str) -> (Response<Body>, String) {
    let mut builder = Request::get(path).header(header::ACCEPT, "text/html");
    if let Some(account) = who {
        builder = builder.header(header::COOKIE, &account.cookie);
    }
    let (response, body) = app.send(builder.body(Body::empty()).unwrap()).await;
    (response, String::from_utf8(body).unwrap())
}

fn location(response: &Response<Body>) -> &str {
    response.headers()[header::LOCATION].to_str().unwrap()
}

fn set_cookie(response: &Response<Body>) -> Option<&str> {
    response
        .headers()
        .get(header::SET_COOKIE)
        .map(|value| value.to_str().unwrap())
}

fn identity(account: &Account, role: Role, ods_code: Option<&str>) -> Identity {
    Identity {
        user_id: account.user_id.clone(),
        email: account.email.clone(),
        role,
        ods_code: ods_code.map(str::to_string),
    }
}

/// Submits the contract's example request as admin A; returns its reference.
async fn submit_as_a(app: &TestApp, people: &People) -> String {
    let admin = require_local_admin(
        &identity(&people.admin_a, Role::LocalAdmin, Some("RX1")),
        "RX1",
    )
    .unwrap();
    let request = RegistrationRequest::from_json(&delegated_request().to_string()).unwrap();
    registrations::submit(
        app.state.desk(),
        &admin,
        &request,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap()
    .reference
}

/// The reviewer sends `reference` back for changes.
async fn request_changes(app: &TestApp, people: &People, reference: &str) {
    let reviewer = require_reviewer(&identity(&people.reviewer, Role::Reviewer, None)).unwrap();
    review::decide(
        app.state.desk(),
        &reviewer,
        reference,
        crate::common::seen_latest(&app.state.pool, reference).await,
        Decision::RequestChanges,
        Some("Ask only for Mail.Read: IMAP is not needed"),
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_sets_the_session_cookie_and_goes_to_the_page_asked_for() {
    let app = TestApp::new().await;
    app.add_account("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let (response, _) = post_sign_in(
        &app,
        &[
            ("email", " Admin@RX1.nhs.net "),
            ("password", PASSWORD),
            ("next", "/register?x=1"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/register?x=1");
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let cookie = set_cookie(&response).unwrap();
    assert!(cookie.starts_with("appreg_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly; SameSite=Lax; Path=/"),
        "{cookie}"
    );

    // The cookie signs the browser in: the header names the account.
    let session = cookie.split(';').next().unwrap().to_string();
    let request = Request::get("/requests")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .unwrap();
    let (response, body) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("admin@rx1.nhs.net"));
    assert!(html.contains(">Your requests<"));
    assert!(html.contains("action=\"/sign-out\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_page_to_return_to_each_role_goes_home() {
    let app = TestApp::new().await;
    app.add_account("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    app.add_account("reviewer@nhs.net", Role::Reviewer, None)
        .await;
    for (email, home) in [
        ("admin@rx1.nhs.net", "/requests"),
        ("reviewer@nhs.net", "/review"),
    ] {
        let (response, _) = post_sign_in(
            &app,
            &[("email", email), ("password", PASSWORD), ("next", "")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), home);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_never_sends_anyone_to_another_site() {
    let app = TestApp::new().await;
    app.add_account("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    for next in [
        "https://evil.example/",
        "//evil.example/path",
        "/\\evil.example",
        "evil.example",
        "/a\r\nSet-Cookie: x=1",
    ] {
        let (response, _) = post_sign_in(
            &app,
            &[
                ("email", "admin@rx1.nhs.net"),
                ("password", PASSWORD),
                ("next", next),
            ],
        )
        .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&response), "/requests", "{next:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_shows_the_page_again_keeping_the_email_but_not_the_password() {
    let app = TestApp::new().await;
    app.add_account("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let (response, html) = post_sign_in(
        &app,
        &[
            ("email", "admin@rx1.nhs.net"),
            ("password", "not-the-password-Zq8"),
            ("next", "/register/abc"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(set_cookie(&response), None);
    assert!(html.contains("There is a problem"));
    assert!(
        html.contains("<a href=\"#email\""),
        "the summary links to the field"
    );
    assert!(html.contains("Enter a correct email address and password"));
    assert!(html.contains("value=\"admin@rx1.nhs.net\""));
    assert!(!html.contains("not-the-password-Zq8"));
    // Where to go after signing in is kept for the next attempt.
    assert!(
        html.contains("name=\"next\" value=\"/register/abc\""),
        "{html}"
    );
    // An unknown account is answered exactly alike.
    let (response, html) = post_sign_in(
        &app,
        &[("email", "nobody@nhs.net"), ("password", "whatever")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(html.contains("Enter a correct email address and password"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_failures_are_refused_saying_when_to_try_again() {
    let app = TestApp::new().await;
    app.add_account("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let wrong = [("email", "admin@rx1.nhs.net"), ("password", "wrong")];
    for _ in 0..server::identity::rate_limit::FREE_FAILURES_PER_ACCOUNT {
        let (response, _) = post_sign_in(&app, &wrong).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now, and the page says when to come back.
    let (response, html) = post_sign_in(
        &app,
        &[("email", "admin@rx1.nhs.net"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(set_cookie(&response), None);
    let retry_after: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert!(html.contains("Too many failed attempts to sign in. Try again in 1 minute"));
    assert!(html.contains("value=\"admin@rx1.nhs.net\""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_ends_the_session_and_clears_the_cookie() {
    let app = TestApp::new().await;
    let people = people(&app).await;
    let me = &people.admin_a;

    // Without the session's CSRF token nothing happens.
    let (response, _) = post_form(&app, Some(me), "/sign-out", &[("csrf_token", "forged")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (response, _) = get_page(&app, Some(me), "/requests").await;
    assert_eq!(response.status(), StatusCode::OK);

    let (response, _) = post_form(&app, Some(me), "/sign-out", &[("csrf_token", &me.csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/sign-in?signed_out=1");
    assert!(set_cookie(&response).unwrap().contains("Max-Age=0"));
    // The old cookie no longer works.
    let (response, _) = get_page(&app, Some(me), "/requests").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/sign-in?next=/requests");
    // Signing out twice is harmless.
    let (response, _) = post_form(&app, Some(me), "/sign-out", &[("csrf_token", &me.csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let (response, html) = get_page(&app, None, "/sign-in?signed_out=1").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(html.contains("You have signed out"));
    assert!(html.contains(">Sign in</a>"), "the header offers sign-in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_page_answers_each_person_as_their_role_allows() {
    let app = TestApp::new().await;
    let people = people(&app).await;
    let reference = submit_as_a(&app, &people).await;
    let (response, _) = post_form(
        &app,
        Some(&people.admin_a),
        "/register",
        &[
            ("csrf_token", &people.admin_a.csrf),
            ("application_name", "Draft of A"),
            ("action", "save"),
        ],
    )
    .await;
    let draft = location(&response)
        .strip_prefix("/register/")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();

    let register = "/register".to_string();
    let draft_page = format!("/register/{draft}");
    let requests = "/requests".to_string();
    let request_page = format!("/requests/{reference}");
    let submitted = format!("/registrations/{reference}/submitted");
    // (path, anonymous, admin A, admin B, reviewer); a redirect is 303 with its location.
    let sign_in = |path: &str| Err(format!("/sign-in?next={path}"));
    let expectations: Vec<(&String, [Result<u16, String>; 4])> = vec![
        (&register, [sign_in("/register"), Ok(200), Ok(200), Ok(403)]),
        (
            &draft_page,
            [sign_in(&draft_page), Ok(200), Ok(404), Ok(403)],
        ),
        (
            &requests,
            [
                sign_in("/requests"),
                Ok(200),
                Ok(200),
                Err("/review".into()),
            ],
        ),
        (
            &request_page,
            [sign_in(&request_page), Ok(200), Ok(404), Ok(200)],
        ),
        (&submitted, [sign_in(&submitted), Ok(200), Ok(404), Ok(200)]),
    ];
    let who = [
        None,
        Some(&people.admin_a),
        Some(&people.admin_b),
        Some(&people.reviewer),
    ];
    for (path, answers) in expectations {
        for (person, expected) in who.iter().zip(answers) {
            let (response, html) = get_page(&app, *person, path).await;
            let name = person.map(|p| p.email.as_str()).unwrap_or("anonymous");
            match expected {
                Ok(status) => assert_eq!(response.status().as_u16(), status, "{path} as {name}"),
                Err(to) => {
                    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path} as {name}");
                    assert_eq!(location(&response), to, "{path} as {name}");
                }
            }
            if response.status() == StatusCode::FORBIDDEN {
                assert!(html.contains("Only Local Administrators make requests"));
            }
        }
    }

    // A's list holds its request and draft; B's list holds neither.
    let (_, html) = get_page(&app, Some(&people.admin_a), "/requests").await;
    assert!(html.contains(&reference) && html.contains("Draft of A"));
    assert!(html.contains("Make a new request"));
    let (_, html) = get_page(&app, Some(&people.admin_b), "/requests").await;
    assert!(!html.contains(&reference) && !html.contains("Draft of A"));
    // A's form is for A's organisation, fixed, and carries the session's CSRF token.
    let (_, html) = get_page(&app, Some(&people.admin_a), "/register").await;
    assert!(html.contains("NOTTINGHAM UNIVERSITY HOSPITALS NHS TRUST (RX1)"));
    assert!(html.contains("type=\"hidden\" name=\"ods_code\" value=\"RX1\""));
    // Masked afresh in every response (pages are compressed: BREACH), never the token itself.
    let token = hidden_csrf_token(&html);
    assert!(csrf::same_token(
        token.as_bytes(),
        people.admin_a.csrf.as_bytes()
    ));
    assert!(!html.contains(&people.admin_a.csrf), "{html}");
    let (_, again) = get_page(&app, Some(&people.admin_a), "/register").await;
    assert_ne!(hidden_csrf_token(&again), token);

    // Revising: only A may, and only while changes are requested.
    let revise = format!("/requests/{reference}/revise");
    let (response, _) = post_form(&app, None, &revise, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), format!("/sign-in?next={request_page}"));
    let (response, _) = post_form(
        &app,
        Some(&people.reviewer),
        &revise,
        &[("csrf_token", &people.reviewer.csrf)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (response, _) = post_form(
        &app,
        Some(&people.admin_b),
        &revise,
        &[("csrf_token", &people.admin_b.csrf)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (response, _) =
        post_form(&app, Some(&people.admin_a), &revise, &[("csrf_token", "x")]).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (response, _) = post_form(
        &app,
        Some(&people.admin_a),
        &revise,
        &[("csrf_token", &people.admin_a.csrf)],
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::CONFLICT,
        "it is not waiting for changes"
    );
}

/// The fields of the contract's example request as the form posts them.
fn revised_fields<'a>(draft: &'a str, csrf: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf_token", csrf),
        ("draft_id", draft),
        ("action", "submit"),
        ("application_name", "Ward Mail Connector"),
        (
            "description",
            "Reads the ward's shared mailbox and files referrals",
        ),
        ("supplier", "Example Health Ltd"),
        ("access_type", "delegated"),
        ("permissions[0][value]", "User.Read"),
        ("permissions[0][type]", "delegated"),
        ("mailboxes[0]", "ward7.referrals@nhs.net"),
        (
            "redirect_uris[0][uri]",
            "https://connector.nuh.nhs.uk/auth/callback",
        ),
        ("redirect_uris[0][platform]", "web"),
        ("contacts[0][name]", "Jo Bloggs"),
        ("contacts[0][email]", "jo.bloggs@nhs.net"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_sent_back_is_revised_and_resubmitted_as_version_2() {
    let app = TestApp::new().await;
    let people = people(&app).await;
    let a = &people.admin_a;
    let reference = submit_as_a(&app, &people).await;
    request_changes(&app, &people, &reference).await;

    // The request page shows the decision and the way to change it.
    let page = format!("/requests/{reference}");
    let (response, html) = get_page(&app, Some(a), &page).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(html.contains("Changes requested"));
    assert!(html.contains("Ask only for Mail.Read: IMAP is not needed"));
    assert!(html.contains("reviewer@nhs.net"));
    assert!(html.contains(&format!("action=\"/requests/{reference}/revise\"")));
    assert!(html.contains("Edit and resubmit"));
    // A reviewer reads the page without the button.
    let (_, html) = get_page(&app, Some(&people.reviewer), &page).await;
    assert!(!html.contains("Edit and resubmit"));

    // Revise: a draft holding the latest version, and the same draft on a second click.
    let revise = format!("/requests/{reference}/revise");
    let (response, _) = post_form(&app, Some(a), &revise, &[("csrf_token", &a.csrf)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let draft_page = location(&response).to_string();
    let draft = draft_page.strip_prefix("/register/").unwrap().to_string();
    let stored = drafts::load_for(&app.state.pool, "RX1", &draft)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.owner.reference.as_deref(), Some(reference.as_str()));
    assert_eq!(stored.draft.application_name, "Ward Mail Connector");
    let (response, _) = post_form(&app, Some(a), &revise, &[("csrf_token", &a.csrf)]).await;
    assert_eq!(location(&response), draft_page);

    let (response, html) = get_page(&app, Some(a), &draft_page).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        html.contains(&format!(
            "You are changing {reference} — this will be version 2"
        )),
        "{html}"
    );
    let (_, html) = get_page(&app, Some(a), "/requests").await;
    assert!(
        html.contains(&format!("/register/{draft}")),
        "the draft is listed"
    );

    // Submitting the draft makes version 2; version 1 stays readable.
    let (response, _) =
        post_form(&app, Some(a), "/register", &revised_fields(&draft, &a.csrf)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        format!("/registrations/{reference}/submitted")
    );
    let (_, html) = get_page(&app, Some(a), &page).await;
    assert!(html.contains("2 of 2"));
    assert!(html.contains(&format!("href=\"/requests/{reference}?version=1\"")));
    let (response, html) = get_page(&app, Some(a), &format!("{page}?version=1")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(html.contains("You are looking at version 1 of 2"));
    assert!(
        html.contains("IMAP.AccessAsUser.All"),
        "version 1's permissions"
    );
    let (response, _) = get_page(&app, Some(a), &format!("{page}?version=3")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Submitted again: there is nothing to revise now.
    let (response, _) = post_form(&app, Some(a), &revise, &[("csrf_token", &a.csrf)]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_csrf_a_sign_in_form_posted_from_elsewhere_signs_no_one_in() {
    let app = TestApp::new().await;
    app.add_account("attacker@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let attackers = [("email", "attacker@rx1.nhs.net"), ("password", PASSWORD)];

    // Another site's form posting the attacker's credentials: no sign-in cookie, no token.
    let (response, html) = post_form(&app, None, "/sign-in", &attackers).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        !set_cookies(&response)
            .iter()
            .any(|cookie| cookie.starts_with("appreg_session=")),
        "{:?}",
        set_cookies(&response)
    );
    // A person who really had a stale sign-in page is told what to do, and keeps the email.
    assert!(
        html.contains("This sign-in page had expired. Enter your email address and password again")
    );
    assert!(html.contains("value=\"attacker@rx1.nhs.net\""));

    // The browser's own cookie with a token that is not its own: refused too.
    let (cookie, _token) = sign_in_form(&app).await;
    let mut fields = attackers.to_vec();
    fields.push(("csrf_token", "forged-token-forged-token-forged-token-abcd"));
    let request = Request::post("/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &cookie)
        .body(Body::from(form_body(&fields)))
        .unwrap();
    let (response, _) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The right token, but the browser says the post came from another site.
    let (cookie, token) = sign_in_form(&app).await;
    let mut fields = attackers.to_vec();
    fields.push(("csrf_token", &token));
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
        ("origin", "https://evil.example"),
        ("origin", "null"),
    ] {
        let request = Request::post("/sign-in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &cookie)
            .header(name, value)
            .body(Body::from(form_body(&fields)))
            .unwrap();
        let (response, body) = app.send(request).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        assert!(set_cookies(&response).is_empty());
        assert!(
            String::from_utf8(body)
                .unwrap()
                .contains("sent from another website"),
            "{name}: {value}"
        );
    }
    // From the desk's own page it works.
    let request = Request::post("/sign-in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &cookie)
        .header("sec-fetch-site", "same-origin")
        .header("origin", "http://127.0.0.1:3000")
        .body(Body::from(form_body(&fields)))
        .unwrap();
    let (response, _) = app.send(request).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_post_from_another_site_is_refused_even_with_the_right_token() {
    let app = TestApp::new().await;
    let people = people(&app).await;
    let me = &people.admin_a;
    for path in [
        "/sign-out",
        "/register",
        "/requests/AR-AAAA-AAAA/revise",
        "/requests/AR-AAAA-AAAA/copy",
        "/requests/AR-AAAA-AAAA/renewal",
        "/requests/AR-AAAA-AAAA/change",
    ] {
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &me.cookie)
            .header("sec-fetch-site", "cross-site")
            .body(Body::from(form_body(&[
                ("csrf_token", &me.csrf),
                ("action", "save"),
            ])))
            .unwrap();
        let (response, _) = app.send(request).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // Still signed in, and nothing was saved.
    let (response, html) = get_page(&app, Some(me), "/requests").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!html.contains("/register/"), "no draft was saved: {html}");
}

/// The request's page shows the warnings the shown version was accepted with (as the
/// confirmation page did after submitting), each with its stable code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_page_shows_the_warnings_the_version_was_accepted_with() {
    let app = TestApp::new().await;
    let people = people(&app).await;
    let admin = require_local_admin(
        &identity(&people.admin_a, Role::LocalAdmin, Some("RX1")),
        "RX1",
    )
    .unwrap();
    let request =
        RegistrationRequest::from_json(&crate::common::app_only_mail_request().to_string())
            .unwrap();
    let submitted = registrations::submit(
        app.state.desk(),
        &admin,
        &request,
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let warnings: Vec<String> = submitted
        .report
        .findings
        .iter()
        .filter(|finding| finding.severity == registration::Severity::Warning)
        .map(|finding| finding.code.code().to_string())
        .collect();
    assert!(!warnings.is_empty(), "the fixture has warnings");
    let (response, body) = get_page(
        &app,
        Some(&people.admin_a),
        &format!("/requests/{}", submitted.reference),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(body.contains("id=\"warnings\""), "{body}");
    assert!(body.contains("Version 1 was accepted with these warnings"));
    for code in &warnings {
        assert!(body.contains(&format!("data-code=\"{code}\"")), "{code}");
    }
}

/// "Start a new request from this one" on a rejected request's page: a new draft holding its
/// request, for the organisation's administrators only, and only once it is rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_request_starts_a_new_draft_holding_it() {
    let app = TestApp::new().await;
    let people = people(&app).await;
    let reference = submit_as_a(&app, &people).await;
    let page = format!("/requests/{reference}");
    let copy = format!("/requests/{reference}/copy");
    let post_copy = |who: &Account| {
        let body = form_body(&[("csrf_token", who.csrf.as_str())]);
        let request = Request::post(copy.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &who.cookie)
            .body(Body::from(body))
            .unwrap();
        app.send(request)
    };
    // Not rejected yet: no button, and the post is refused.
    let (_, body) = get_page(&app, Some(&people.admin_a), &page).await;
    assert!(!body.contains("id=\"start-from-rejected\""));
    let (response, _) = post_copy(&people.admin_a).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);

    let reviewer = require_reviewer(&identity(&people.reviewer, Role::Reviewer, None)).unwrap();
    review::decide(
        app.state.desk(),
        &reviewer,
        &reference,
        crate::common::seen_latest(&app.state.pool, &reference).await,
        Decision::Reject,
        Some("The supplier is not assured"),
        time::OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    let (_, body) = get_page(&app, Some(&people.admin_a), &page).await;
    assert!(body.contains("id=\"start-from-rejected\""), "{body}");
    let (_, reviewers_page) = get_page(&app, Some(&people.reviewer), &page).await;
    assert!(!reviewers_page.contains("id=\"start-from-rejected\""));

    let (response, _) = post_copy(&people.admin_a).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = location(&response)
        .strip_prefix("/register/")
        .unwrap()
        .to_string();
    let draft = drafts::load(&app.state.pool, &id).await.unwrap().unwrap();
    assert_eq!(draft.owner.reference, None, "a new request, not a version");
    assert_eq!(draft.owner.ods_code.as_deref(), Some("RX1"));
    assert_eq!(draft.draft.application_name, "Ward Mail Connector");
    // Another organisation's administrator gets nothing; a reviewer is refused.
    let (response, _) = post_copy(&people.admin_b).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let (response, _) = post_copy(&people.reviewer).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The rejected request is unchanged.
    assert_eq!(
        server::store::registrations::versions(&app.state.pool, &reference)
            .await
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_in_pages_are_never_kept_by_a_cache() {
    let app = TestApp::new().await;
    let people = people(&app).await;
    for path in ["/register", "/requests", "/"] {
        let (response, _) = get_page(&app, Some(&people.admin_a), path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()[header::CACHE_CONTROL],
            "no-store",
            "{path}"
        );
    }
}
