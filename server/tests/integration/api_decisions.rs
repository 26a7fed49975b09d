//! Reviewers' decisions over the JSON API: one approval for a low-risk request, two different
//! reviewers for app-only mail, changes requested then a second version, and no decision once
//! decided. Also `appreg user set-role`, and four-eyes holding for a reviewer who submitted.

use crate::api_support::{assert_error, call, decide, submit};
use crate::common::{TestApp, app_only_mail_request, delegated_request};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use server::identity::Role;

async fn detail(app: &TestApp, account: &crate::common::Account, path: &str) -> Value {
    let answer = call(app, Method::GET, path, Some(account), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text());
    answer.json()
}

#[tokio::test]
async fn approving_a_low_risk_request_approves_it_and_then_no_decision_is_taken() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", Role::Reviewer, None)
        .await;
    let reference = submit(&app, &admin, &delegated_request()).await;
    let answer = decide(&app, &reviewer, &reference, "approve", None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let decided = answer.json();
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decision"], "approve");
    assert_eq!(decided["version"], 1);

    let body = detail(&app, &admin, &format!("/api/v1/registrations/{reference}")).await;
    assert_eq!(body["status"], "approved");
    assert_eq!(body["risk"], "low");
    let decisions = body["decisions"].as_array().unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0]["decision"], "approve");
    assert_eq!(decisions[0]["reviewer_email"], "reviewer@nhs.net");
    assert_eq!(decisions[0]["status_after"], "approved");

    let answer = decide(
        &app,
        &reviewer,
        &reference,
        "reject",
        Some("Changed my mind."),
    )
    .await;
    assert_error(
        &answer,
        409,
        "not_awaiting_decision",
        "a decision on an approved request",
    );
    let answer = decide(&app, &reviewer, "AR-2222-2222", "approve", None).await;
    assert_error(&answer, 404, "not_found", "a decision on no request");
}

#[tokio::test]
async fn app_only_mail_needs_two_different_reviewers() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let first = app
        .sign_in_as("first.reviewer@nhs.net", Role::Reviewer, None)
        .await;
    let second = app
        .sign_in_as("second.reviewer@nhs.net", Role::Reviewer, None)
        .await;
    let reference = submit(&app, &admin, &app_only_mail_request()).await;
    let answer = decide(&app, &first, &reference, "approve", None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["status"], "awaiting_second_approval");

    let listed = call(
        &app,
        Method::GET,
        "/api/v1/registrations?status=awaiting_second_approval&risk=high",
        Some(&second),
        None,
    )
    .await
    .json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["items"][0]["reference"], reference.as_str());

    let answer = decide(&app, &first, &reference, "approve", None).await;
    assert_error(
        &answer,
        403,
        "second_approval_by_same_reviewer",
        "the same reviewer again",
    );
    let answer = decide(&app, &second, &reference, "approve", None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["status"], "approved");
    let body = detail(&app, &admin, &format!("/api/v1/registrations/{reference}")).await;
    assert_eq!(body["status"], "approved");
    assert_eq!(body["decisions"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn changes_requested_then_resubmitted_makes_version_2_and_version_1_stays_readable() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", Role::Reviewer, None)
        .await;
    let reference = submit(&app, &admin, &delegated_request()).await;

    let answer = decide(&app, &reviewer, &reference, "request_changes", None).await;
    assert_error(
        &answer,
        422,
        "reason_required",
        "request_changes without a reason",
    );
    let answer = decide(&app, &reviewer, &reference, "request_changes", Some("   ")).await;
    assert_error(&answer, 422, "reason_required", "a blank reason");
    let answer = decide(
        &app,
        &reviewer,
        &reference,
        "request_changes",
        Some("Name the supplier's support contact."),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["status"], "changes_requested");

    let mut changed = delegated_request();
    changed["contacts"] = json!([
        { "name": "Jo Bloggs", "email": "jo.bloggs@nhs.net" },
        { "name": "Sam Support", "email": "sam.support@nhs.net" }
    ]);
    let answer = call(
        &app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/versions"),
        Some(&admin),
        Some(&changed),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(answer.json()["version"], 2);
    assert_eq!(answer.json()["status"], "submitted");
    assert_eq!(
        answer.headers["location"],
        format!("/api/v1/registrations/{reference}").as_str()
    );

    let latest = detail(&app, &admin, &format!("/api/v1/registrations/{reference}")).await;
    assert_eq!(latest["version"], 2);
    assert_eq!(latest["status"], "submitted");
    assert_eq!(latest["versions"], json!([1, 2]));
    assert_eq!(latest["request"]["contacts"].as_array().unwrap().len(), 2);
    let first = detail(
        &app,
        &reviewer,
        &format!("/api/v1/registrations/{reference}/versions/1"),
    )
    .await;
    assert_eq!(first["version"], 1);
    assert_eq!(first["status"], "changes_requested");
    assert_eq!(first["request"], delegated_request());
    assert_eq!(
        first["decisions"][0]["reason"],
        "Name the supplier's support contact."
    );
    let answer = call(
        &app,
        Method::GET,
        &format!("/api/v1/registrations/{reference}/versions/3"),
        Some(&admin),
        None,
    )
    .await;
    assert_error(&answer, 404, "not_found", "a version that does not exist");

    // Version 2 awaits a decision; resubmitting again is a conflict.
    let answer = call(
        &app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/versions"),
        Some(&admin),
        Some(&changed),
    )
    .await;
    assert_error(
        &answer,
        409,
        "not_awaiting_changes",
        "resubmitting a submitted request",
    );
    let answer = decide(&app, &reviewer, &reference, "approve", None).await;
    assert_eq!(answer.json()["version"], 2);
    assert_eq!(answer.json()["status"], "approved");
}

#[tokio::test]
async fn a_resubmission_with_errors_is_422_and_stores_no_version() {
    let app = TestApp::new().await;
    let admin = app
        .sign_in_as("admin@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let reviewer = app
        .sign_in_as("reviewer@nhs.net", Role::Reviewer, None)
        .await;
    let reference = submit(&app, &admin, &delegated_request()).await;
    decide(
        &app,
        &reviewer,
        &reference,
        "request_changes",
        Some("Add a contact."),
    )
    .await;
    let mut invalid = delegated_request();
    invalid["mailboxes"] = json!(["not a mailbox"]);
    let path = format!("/api/v1/registrations/{reference}/versions");
    let answer = call(&app, Method::POST, &path, Some(&admin), Some(&invalid)).await;
    assert_error(&answer, 422, "invalid_request", "an invalid resubmission");
    let mut other = delegated_request();
    other["ods_code"] = json!("RTH");
    let answer = call(&app, Method::POST, &path, Some(&admin), Some(&other)).await;
    assert_error(
        &answer,
        403,
        "wrong_organisation",
        "a resubmission for another organisation",
    );
    let latest = detail(&app, &admin, &format!("/api/v1/registrations/{reference}")).await;
    assert_eq!(latest["versions"], json!([1]));
    assert_eq!(latest["status"], "changes_requested");
}

fn appreg(data: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_appreg"));
    command
        .env_remove("APPREG_CONFIG")
        .env_remove("APPREG_DATABASE_URL")
        .env("APPREG_DATA_DIR", data);
    command
}

fn run(command: &mut std::process::Command, stdin: &str) -> (i32, String, String) {
    use std::io::Write as _;
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn appreg_user_set_role_moves_an_account_between_roles() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let email = "jo.bloggs@nhs.net";
    let (code, _, stderr) = run(
        appreg(&data).args([
            "user",
            "add",
            "--email",
            email,
            "--role",
            "local_admin",
            "--ods",
            "RX1",
        ]),
        "a long enough password\n",
    );
    assert_eq!(code, 0, "{stderr}");

    let (code, stdout, stderr) = run(
        appreg(&data).args([
            "user",
            "set-role",
            "--email",
            "Jo.Bloggs@NHS.net",
            "--role",
            "reviewer",
        ]),
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout.trim(),
        "jo.bloggs@nhs.net is now reviewer; it had no session"
    );
    let (_, listed, _) = run(appreg(&data).args(["user", "list"]), "");
    assert!(listed.contains("jo.bloggs@nhs.net  reviewer"), "{listed}");

    let (code, stdout, stderr) = run(
        appreg(&data).args([
            "user",
            "set-role",
            "--email",
            email,
            "--role",
            "local_admin",
            "--ods",
            "rth",
        ]),
        "",
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("jo.bloggs@nhs.net is now local_admin for RTH ("),
        "{stdout}"
    );

    for (args, message) in [
        (
            vec!["--email", email, "--role", "reviewer", "--ods", "RX1"],
            "leave out --ods",
        ),
        (
            vec!["--email", email, "--role", "local_admin"],
            "add --ods CODE",
        ),
        (
            vec!["--email", email, "--role", "local_admin", "--ods", "ZZZ9"],
            "--ods ZZZ9",
        ),
        (
            vec!["--email", "nobody@nhs.net", "--role", "reviewer"],
            "there is no account with the email nobody@nhs.net",
        ),
    ] {
        let (code, _, stderr) = run(appreg(&data).args(["user", "set-role"]).args(&args), "");
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
}

#[tokio::test]
async fn a_local_administrator_moved_to_reviewer_cannot_decide_on_what_they_submitted() {
    let app = TestApp::new().await;
    let mover = app
        .sign_in_as("mover@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let reference = submit(&app, &mover, &delegated_request()).await;
    let user =
        server::store::users::set_role(&app.state.pool, "mover@rx1.nhs.net", Role::Reviewer, None)
            .await
            .unwrap();
    assert_eq!((user.role, user.ods_code), (Role::Reviewer, None));
    // The same session now acts as a reviewer: it sees every request, decides on others' only.
    let session = call(&app, Method::GET, "/api/v1/session", Some(&mover), None)
        .await
        .json();
    assert_eq!(session["role"], "reviewer");
    let answer = decide(&app, &mover, &reference, "approve", None).await;
    assert_error(
        &answer,
        403,
        "own_submission",
        "deciding on one's own submission",
    );
    let other_admin = app
        .sign_in_as("other@rx1.nhs.net", Role::LocalAdmin, Some("RX1"))
        .await;
    let others = submit(&app, &other_admin, &delegated_request()).await;
    let answer = decide(&app, &mover, &others, "approve", None).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert!(matches!(
        server::store::users::set_role(&app.state.pool, "nobody@nhs.net", Role::Reviewer, None)
            .await,
        Err(server::store::users::SetRoleError::NoSuchAccount(_))
    ));
}
