//! Account changes (issue 17, part 3): disabling an account or changing its role ends its
//! sessions at once, and every change is a signed `account_change` entry of the log that
//! `appreg log verify` checks the accounts against.

use axum::http::{Method, StatusCode};
use server::identity::Role;
use server::identity::accounts::{self, AccountError, By, ChangeLog};
use time::OffsetDateTime;

use crate::api_support::call;
use crate::common::{Account, TestApp};

fn change_log(app: &TestApp) -> ChangeLog<'_> {
    ChangeLog {
        pool: &app.state.pool,
        keys: &app.state.keys,
        writer: &app.state.writer,
    }
}

async fn signed_in(app: &TestApp, account: &Account) -> StatusCode {
    call(app, Method::GET, "/api/v1/session", Some(account), None)
        .await
        .status
}

async fn audit(app: &TestApp) -> server::store::audit::Report {
    server::store::audit::run(&app.state.pool, None)
        .await
        .unwrap()
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_at_once_and_is_signed() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let other_tab = app.sign_in("admin@rx1.nhs.net", &admin.user_id).await;
    assert_eq!(signed_in(&app, &admin).await, StatusCode::OK);

    let changed = accounts::set_disabled(
        change_log(&app),
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
        assert_eq!(signed_in(&app, account).await, StatusCode::UNAUTHORIZED);
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
            change_log(&app),
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
        change_log(&app),
        "admin@rx1.nhs.net",
        false,
        By("cli"),
        OffsetDateTime::now_utc(),
    )
    .await
    .unwrap()
    .unwrap();
    let again = app.sign_in("admin@rx1.nhs.net", &admin.user_id).await;
    assert_eq!(signed_in(&app, &again).await, StatusCode::OK);
    assert_eq!(audit(&app).await.account_changes, 2);
}

#[tokio::test]
async fn a_role_change_ends_the_sessions_and_an_unknown_account_is_named() {
    let app = TestApp::new().await;
    let mover = app
        .sign_in_as("mover@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let changed = accounts::set_role(
        change_log(&app),
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
    assert_eq!(signed_in(&app, &mover).await, StatusCode::UNAUTHORIZED);
    let again = app.sign_in("mover@rx1.nhs.net", &mover.user_id).await;
    let session = call(&app, Method::GET, "/api/v1/session", Some(&again), None).await;
    assert_eq!(session.json()["role"], "reviewer");

    let error = accounts::set_role(
        change_log(&app),
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
        change_log(&app),
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
