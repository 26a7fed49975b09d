//! Account changes (issue 17, part 3): disabling an account or changing its role ends its
//! sessions at once, and every change is a signed `account_change` entry of the log that
//! `appreg log verify` checks the accounts against.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use server::identity::Role;
use server::identity::accounts::{self, AccountError, By};
use time::OffsetDateTime;

use crate::api_support::{audit, call, session_status};
use crate::common::TestApp;

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_at_once_and_is_signed() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let other_tab = app.sign_in("admin@rx1.nhs.net", &admin.user_id).await;
    assert_eq!(session_status(&app, &admin).await, StatusCode::OK);

    let changed = accounts::set_disabled(
        app.state.change_log(),
        "admin@rx1.nhs.net",
        true,
        By("cli"),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap()
    .expect("it was enabled");
    assert_eq!(changed.sessions_ended, 2);
    assert!(changed.user.disabled_at.is_some());
    for account in [&admin, &other_tab] {
        assert_eq!(
            session_status(&app, account).await,
            StatusCode::UNAUTHORIZED
        );
    }
    // Disabled: it cannot sign in again.
    let answer = call(
        &app,
        Method::POST,
        "/api/v1/session",
        None,
        Some(&serde_json::json!({ "email": "admin@rx1.nhs.net", "password": crate::common::PASSWORD })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.text());
    // Disabling again changes and signs nothing.
    assert!(
        accounts::set_disabled(
            app.state.change_log(),
            "admin@rx1.nhs.net",
            true,
            By("cli"),
            OffsetDateTime::now_utc()
        )
        .await
        .unwrap()
        .is_none()
    );

    let report = audit(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.account_changes, 1);
    assert!(
        report.render().contains("1 account changes"),
        "{}",
        report.render()
    );

    // Enabled again: signed, and it may sign in.
    accounts::set_disabled(
        app.state.change_log(),
        "admin@rx1.nhs.net",
        false,
        By("cli"),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap()
    .unwrap();
    let again = app.sign_in("admin@rx1.nhs.net", &admin.user_id).await;
    assert_eq!(session_status(&app, &again).await, StatusCode::OK);
    assert_eq!(audit(&app).await.account_changes, 2);
}

#[tokio::test]
async fn a_role_change_ends_the_sessions_and_an_unknown_account_is_named() {
    let app = TestApp::new().await;
    let mover = app
        .sign_in_as("mover@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let changed = accounts::set_role(
        app.state.change_log(),
        "mover@rx1.nhs.net",
        Role::Reviewer,
        None,
        By("cli"),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    assert_eq!(changed.sessions_ended, 1);
    assert_eq!(changed.user.role, Role::Reviewer);
    // The old session is gone: they sign in again, as a reviewer.
    assert_eq!(session_status(&app, &mover).await, StatusCode::UNAUTHORIZED);
    let again = app.sign_in("mover@rx1.nhs.net", &mover.user_id).await;
    let session = call(&app, Method::GET, "/api/v1/session", Some(&again), None).await;
    assert_eq!(session.json()["role"], "reviewer");

    let error = accounts::set_role(
        app.state.change_log(),
        "nobody@nhs.net",
        Role::Reviewer,
        None,
        By("cli"),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, AccountError::NoSuchAccount(ref email) if email == "nobody@nhs.net"));
    assert!(audit(&app).await.problems.is_empty());
}

#[tokio::test]
async fn log_verify_finds_an_account_changed_outside_the_desk() {
    let app = TestApp::new().await;
    app.add_account("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    // Made before account changes were signed: a notice, not a problem.
    let report = audit(&app).await;
    assert!(report.problems.is_empty());
    assert_eq!(report.accounts_unrecorded, 1);

    accounts::set_role(
        app.state.change_log(),
        "admin@rx1.nhs.net",
        Role::LocalAdmin,
        Some("RJ1"),
        By("cli"),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap();
    assert!(audit(&app).await.problems.is_empty());
    // Someone makes the account a reviewer in the database itself.
    sqlx::query(
        "UPDATE users SET role = 'reviewer', ods_code = NULL WHERE email = 'admin@rx1.nhs.net'",
    )
    .execute(&app.state.pool)
    .await
    .unwrap();
    let report = audit(&app).await;
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    let summary = report.render();
    assert!(
        summary.contains(
            "the account admin@rx1.nhs.net is not what its last signed change says (role, ods_code)"
        ),
        "{summary}"
    );
    assert!(summary.contains("appreg user set-role"), "{summary}");
}

/// Posts the reset page's form for `token` (URL-encoded, no session).
async fn post_reset(
    app: &TestApp,
    token: &str,
    password: &str,
    confirm: &str,
) -> crate::api_support::Page {
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("password", password)
        .append_pair("confirm", confirm)
        .finish();
    crate::api_support::page_answer(
        app,
        Request::post(format!("/reset-password/{token}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

async fn get(app: &TestApp, path: &str) -> crate::api_support::Page {
    crate::api_support::page_answer(
        app,
        Request::get(path)
            .header(header::ACCEPT, "text/html")
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

async fn password_sign_in(app: &TestApp, email: &str, password: &str) -> StatusCode {
    call(
        app,
        Method::POST,
        "/api/v1/session",
        None,
        Some(&serde_json::json!({ "email": email, "password": password })),
    )
    .await
    .status
}

#[tokio::test]
async fn a_one_time_link_sets_a_new_password_once_and_ends_the_sessions() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let now = OffsetDateTime::now_utc();
    let (user, token, until) =
        accounts::start_password_reset(&app.state.pool, "admin@rx1.nhs.net", now)
            .await
            .unwrap();
    assert_eq!(user.email, "admin@rx1.nhs.net");
    assert_eq!(until, now + accounts::RESET_LINK_LASTS);
    let token = token.expose().to_string();
    let page = get(&app, &format!("/reset-password/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("For your account, admin@rx1.nhs.net."),
        "{}",
        page.body
    );

    // What will not do is said, and uses nothing up.
    let refused = post_reset(&app, &token, "short", "short").await;
    assert_eq!(
        refused.location,
        format!("/reset-password/{token}?error=too_short")
    );
    let page = get(&app, &refused.location).await;
    assert!(
        page.body
            .contains("Enter a password of at least 12 characters"),
        "{}",
        page.body
    );
    let refused = post_reset(
        &app,
        &token,
        "a new long passphrase",
        "a new long passphrasf",
    )
    .await;
    assert_eq!(
        refused.location,
        format!("/reset-password/{token}?error=mismatch")
    );

    let done = post_reset(
        &app,
        &token,
        "a new long passphrase",
        "a new long passphrase",
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location, "/sign-in?password_set=1");
    let page = get(&app, &done.location).await;
    assert!(
        page.body
            .contains("Your new password is set: sign in with it")
    );
    // Every session of the account ended; the new password works, the old one does not.
    assert_eq!(session_status(&app, &admin).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        password_sign_in(&app, "admin@rx1.nhs.net", crate::common::PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        password_sign_in(&app, "admin@rx1.nhs.net", "a new long passphrase").await,
        StatusCode::OK
    );
    // Once only.
    let page = get(&app, &format!("/reset-password/{token}")).await;
    assert!(page.body.contains("id=\"link-not-valid\""), "{}", page.body);
    let again = post_reset(
        &app,
        &token,
        "another long passphrase",
        "another long passphrase",
    )
    .await;
    assert_eq!(again.location, format!("/reset-password/{token}"));
    assert_eq!(
        password_sign_in(&app, "admin@rx1.nhs.net", "another long passphrase").await,
        StatusCode::UNAUTHORIZED
    );
    let report = audit(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.account_changes, 1);
}

#[tokio::test]
async fn a_link_expires_a_newer_one_replaces_it_and_a_disabled_account_gets_none() {
    let app = TestApp::new().await;
    app.add_account("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let long_ago =
        OffsetDateTime::now_utc() - accounts::RESET_LINK_LASTS - time::Duration::minutes(1);
    let (_, expired, _) =
        accounts::start_password_reset(&app.state.pool, "admin@rx1.nhs.net", long_ago)
            .await
            .unwrap();
    let page = get(&app, &format!("/reset-password/{}", expired.expose())).await;
    assert!(page.body.contains("id=\"link-not-valid\""), "{}", page.body);

    let now = OffsetDateTime::now_utc();
    let (_, first, _) = accounts::start_password_reset(&app.state.pool, "admin@rx1.nhs.net", now)
        .await
        .unwrap();
    let (_, second, _) = accounts::start_password_reset(&app.state.pool, "admin@rx1.nhs.net", now)
        .await
        .unwrap();
    let page = get(&app, &format!("/reset-password/{}", first.expose())).await;
    assert!(
        page.body.contains("id=\"link-not-valid\""),
        "the newer link replaced it"
    );
    let page = get(&app, &format!("/reset-password/{}", second.expose())).await;
    assert!(page.body.contains("id=\"reset-for\""), "{}", page.body);

    accounts::set_disabled(
        app.state.change_log(),
        "admin@rx1.nhs.net",
        true,
        By("cli"),
        now,
    )
    .await
    .unwrap();
    let error = accounts::start_password_reset(&app.state.pool, "admin@rx1.nhs.net", now)
        .await
        .unwrap_err();
    assert!(
        matches!(error, accounts::ResetError::Disabled(_)),
        "{error}"
    );
    let page = get(&app, &format!("/reset-password/{}", second.expose())).await;
    assert!(
        page.body.contains("id=\"link-not-valid\""),
        "a disabled account's link does not work"
    );
}

#[tokio::test]
async fn a_signed_in_account_changes_its_own_password_and_its_other_sessions_end() {
    let app = TestApp::new().await;
    let here = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    let elsewhere = app.sign_in("rita@nhs.net", &here.user_id).await;
    let page = crate::api_support::get_page(&app, &here, "/account/password").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("For your account, rita@nhs.net."),
        "{}",
        page.body
    );
    // Not signed in: sent to sign in, back here after.
    let anonymous = get(&app, "/account/password").await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(anonymous.location, "/sign-in?next=/account/password");

    let post = |fields: Vec<(&'static str, &'static str)>| {
        let here = here.clone();
        let app = &app;
        async move { crate::api_support::post_page_form(app, &here, "/account/password", &fields).await }
    };
    let wrong = post(vec![
        ("current", "not my password at all"),
        ("password", "a fresh long passphrase"),
        ("confirm", "a fresh long passphrase"),
    ])
    .await;
    assert_eq!(wrong.location, "/account/password?error=wrong_current");
    let page = crate::api_support::get_page(&app, &here, &wrong.location).await;
    assert!(
        page.body.contains("Your current password is not right"),
        "{}",
        page.body
    );
    let mismatch = post(vec![
        ("current", crate::common::PASSWORD),
        ("password", "a fresh long passphrase"),
        ("confirm", "a fresh long passphrasE"),
    ])
    .await;
    assert_eq!(mismatch.location, "/account/password?error=mismatch");
    let done = post(vec![
        ("current", crate::common::PASSWORD),
        ("password", "a fresh long passphrase"),
        ("confirm", "a fresh long passphrase"),
    ])
    .await;
    assert_eq!(done.location, "/account/password?changed=1");
    // This session stays; the other one ended; only the new password signs in.
    assert_eq!(session_status(&app, &here).await, StatusCode::OK);
    assert_eq!(
        session_status(&app, &elsewhere).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        password_sign_in(&app, "rita@nhs.net", crate::common::PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        password_sign_in(&app, "rita@nhs.net", "a fresh long passphrase").await,
        StatusCode::OK
    );
    let report = audit(&app).await;
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.account_changes, 1);
}

#[tokio::test]
async fn guessing_the_current_password_from_an_open_session_is_limited_as_sign_in_is() {
    let app = TestApp::new().await;
    let here = app.sign_in_as("rita@nhs.net", Role::Reviewer, None).await;
    let mut limited = false;
    for _ in 0..10 {
        let answer = crate::api_support::post_page_form(
            &app,
            &here,
            "/account/password",
            &[
                ("current", "a guess at the password"),
                ("password", "a fresh long passphrase"),
                ("confirm", "a fresh long passphrase"),
            ],
        )
        .await;
        if answer.location == "/account/password?error=too_many" {
            limited = true;
            break;
        }
        assert_eq!(answer.location, "/account/password?error=wrong_current");
    }
    assert!(limited, "the guesses were never limited");
    // Limited, even the right password waits; nothing changed.
    let answer = crate::api_support::post_page_form(
        &app,
        &here,
        "/account/password",
        &[
            ("current", crate::common::PASSWORD),
            ("password", "a fresh long passphrase"),
            ("confirm", "a fresh long passphrase"),
        ],
    )
    .await;
    assert_eq!(answer.location, "/account/password?error=too_many");
    assert_eq!(audit(&app).await.account_changes, 0);
}
