//! Deletion and recovery of registered applications (issue 14, part 6): the organisation asks, a
//! reviewer confirms or declines, the scheduler purges what stayed deleted for 30 days; each
//! step signed in the log and checked by `appreg log verify`; the pages' plain forms.

use axum::http::{Method, StatusCode};
use registration::lifecycle::{Status, Step, StepRefusal};
use serde_json::{Value, json};
use server::deletion::{self, StepError};
use server::identity::{Identity, Role};
use time::{Duration, OffsetDateTime};

use crate::api_support::{Answer, Page, assert_error, call, get_page, post_page_form};
use crate::common::{Account, delegated_request, local_admin_of};
use crate::implementation::{APP_ID, Desk, OBJECT_ID, approved, desk};

/// An approved request recorded as created (no client secret): a live application of RX1.
async fn live(desk: &Desk) -> String {
    let reference = approved(desk, &delegated_request()).await;
    let answer = call(
        &desk.app,
        Method::POST,
        &format!("/api/v1/registrations/{reference}/implementation"),
        Some(&desk.rita),
        Some(&json!({ "application_id": APP_ID, "object_id": OBJECT_ID, "client_secret": null })),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    reference
}

async fn post(desk: &Desk, account: &Account, path: &str, body: &Value) -> Answer {
    call(&desk.app, Method::POST, path, Some(account), Some(body)).await
}

async fn status_of(desk: &Desk, reference: &str) -> Status {
    server::store::registrations::latest(&desk.app.state.pool, reference)
        .await
        .unwrap()
        .unwrap()
        .status
}

fn reviewer(email: &str) -> server::identity::Reviewer {
    server::identity::require_reviewer(&Identity {
        user_id: format!("id-{email}"),
        email: email.to_string(),
        role: Role::Reviewer,
        ods_code: None,
    })
    .unwrap()
}

/// Takes `step` on `reference` at `at` as whoever takes it: RX1's Local Administrator, or
/// reviewer Rita (answering whatever waits).
async fn take(
    desk: &Desk,
    reference: &str,
    step: Step,
    reason: Option<&str>,
    at: OffsetDateTime,
) -> Result<deletion::Taken, StepError> {
    match step.actor() {
        registration::lifecycle::Actor::LocalAdmin => {
            deletion::request(
                desk.app.state.desk(),
                &local_admin_of("RX1"),
                reference,
                step,
                reason,
                at,
            )
            .await
        }
        _ => {
            deletion::answer(
                desk.app.state.desk(),
                &reviewer("rita@nhs.net"),
                reference,
                step,
                None,
                reason,
                at,
            )
            .await
        }
    }
}

/// Asks for `reference`'s deletion and confirms it, both at `at`.
async fn deleted(desk: &Desk, reference: &str, at: OffsetDateTime) {
    take(desk, reference, Step::RequestDeletion, Some("Retired"), at)
        .await
        .unwrap();
    take(desk, reference, Step::ConfirmDeletion, None, at)
        .await
        .unwrap();
}

/// The outbox's messages, quoted-printable soft breaks undone.
fn mails(desk: &Desk) -> Vec<String> {
    desk.app
        .outbox()
        .iter()
        .map(|mail| mail.replace("=\r\n", "").replace("=\n", ""))
        .collect()
}

async fn wait_for_mail(desk: &Desk, subject: &str) -> String {
    for _ in 0..100 {
        if let Some(mail) = mails(desk).into_iter().find(|mail| mail.contains(subject)) {
            return mail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("no email with '{subject}' in the outbox");
}

#[tokio::test]
async fn a_live_application_is_deleted_and_recovered_each_step_signed_and_verified() {
    let desk = desk().await;
    let reference = live(&desk).await;
    let deletion = format!("/api/v1/registrations/{reference}/deletion");
    let answers = format!("/api/v1/registrations/{reference}/lifecycle-decisions");

    // Only the organisation's Local Administrators ask, and with a reason.
    assert_error(
        &post(&desk, &desk.admin, &deletion, &json!({ "reason": "  " })).await,
        422,
        "reason_required",
        "a deletion without a reason",
    );
    assert_error(
        &post(&desk, &desk.rita, &deletion, &json!({ "reason": "x" })).await,
        403,
        "forbidden",
        "a reviewer asking for a deletion",
    );
    assert_error(
        &post(
            &desk,
            &desk.other_admin,
            &deletion,
            &json!({ "reason": "x" }),
        )
        .await,
        404,
        "not_found",
        "another organisation's administrator",
    );
    // Nothing is waiting yet: a reviewer has nothing to confirm.
    assert_error(
        &post(
            &desk,
            &desk.rita,
            &answers,
            &json!({ "step": "confirm_deletion" }),
        )
        .await,
        409,
        "not_allowed_now",
        "confirming a deletion nobody asked for",
    );
    assert_eq!(status_of(&desk, &reference).await, Status::Live);

    let asked = post(
        &desk,
        &desk.admin,
        &deletion,
        &json!({ "reason": "Replaced by the trust's new ward system." }),
    )
    .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.text());
    let asked = asked.json();
    assert_eq!(asked["step"], "request_deletion");
    assert_eq!(asked["status"], "deletion_requested");
    assert_eq!(asked["n"], 1);
    assert_eq!(asked["actor_email"], "admin@rx1.nhs.net");
    assert_eq!(
        status_of(&desk, &reference).await,
        Status::DeletionRequested
    );
    // Asked once: not again while it waits.
    assert_error(
        &post(&desk, &desk.admin, &deletion, &json!({ "reason": "again" })).await,
        409,
        "not_allowed_now",
        "a second deletion request",
    );
    let mail = wait_for_mail(&desk, &format!("{reference}: deletion requested")).await;
    assert!(mail.contains("admin@rx1.nhs.net"), "{mail}");
    assert!(
        mail.contains("Replaced by the trust's new ward system."),
        "{mail}"
    );

    // The reviewer's answer: only a reviewer's, quoting the request, declining with a reason.
    assert_error(
        &post(
            &desk,
            &desk.admin,
            &answers,
            &json!({ "step": "confirm_deletion" }),
        )
        .await,
        403,
        "forbidden",
        "an administrator confirming their own request",
    );
    assert_error(
        &post(
            &desk,
            &desk.rita,
            &answers,
            &json!({ "step": "request_deletion" }),
        )
        .await,
        400,
        "not_an_answer",
        "a request posted as an answer",
    );
    assert_error(
        &post(
            &desk,
            &desk.rita,
            &answers,
            &json!({ "step": "decline_deletion", "answering": 1 }),
        )
        .await,
        422,
        "reason_required",
        "declining without a reason",
    );
    assert_error(
        &post(
            &desk,
            &desk.rita,
            &answers,
            &json!({ "step": "confirm_deletion", "answering": 7 }),
        )
        .await,
        409,
        "stale_request",
        "an answer to another request",
    );
    let confirmed = post(
        &desk,
        &desk.rita,
        &answers,
        &json!({ "step": "confirm_deletion", "answering": 1 }),
    )
    .await;
    assert_eq!(
        confirmed.status,
        StatusCode::CREATED,
        "{}",
        confirmed.text()
    );
    let confirmed = confirmed.json();
    assert_eq!(confirmed["status"], "deleted");
    let taken_at = OffsetDateTime::parse(
        confirmed["taken_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(
        confirmed["recoverable_until"],
        server::store::timestamp(taken_at + Duration::days(30))
    );
    wait_for_mail(&desk, &format!("{reference}: application deleted")).await;
    // A deleted application's exports are not made (it comes back by recovery only), and no
    // reminder is sent for it; its page still shows its IDs.
    let export = call(
        &desk.app,
        Method::GET,
        &format!("/api/v1/registrations/{reference}/exports/entra-application.json"),
        Some(&desk.rita),
        None,
    )
    .await;
    assert_eq!(export.status, StatusCode::CONFLICT, "{}", export.text());
    let detail = call(
        &desk.app,
        Method::GET,
        &format!("/api/v1/registrations/{reference}"),
        Some(&desk.admin),
        None,
    )
    .await
    .json();
    assert_eq!(detail["status"], "deleted");
    assert_eq!(detail["application_id"], APP_ID);

    // The history, for the organisation and reviewers alike.
    let history = call(
        &desk.app,
        Method::GET,
        &format!("/api/v1/registrations/{reference}/steps"),
        Some(&desk.admin),
        None,
    )
    .await
    .json();
    assert_eq!(history["status"], "deleted");
    assert_eq!(history["steps"].as_array().unwrap().len(), 2);
    assert_eq!(history["deleted_at"], confirmed["taken_at"]);
    assert_eq!(history["recoverable_until"], confirmed["recoverable_until"]);
    assert_eq!(history["waiting"], Value::Null);

    // Recovery: asked (a reason is optional), then confirmed.
    let recovery = format!("/api/v1/registrations/{reference}/recovery");
    let asked = post(&desk, &desk.admin, &recovery, &json!({})).await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.text());
    assert_eq!(asked.json()["status"], "recovery_requested");
    let history = call(
        &desk.app,
        Method::GET,
        &format!("/api/v1/registrations/{reference}/steps"),
        Some(&desk.rita),
        None,
    )
    .await
    .json();
    assert_eq!(history["waiting"]["n"], 3);
    assert_eq!(history["waiting"]["step"], "request_recovery");
    let recovered = post(
        &desk,
        &desk.rita,
        &answers,
        &json!({ "step": "confirm_recovery", "answering": 3 }),
    )
    .await;
    assert_eq!(
        recovered.status,
        StatusCode::CREATED,
        "{}",
        recovered.text()
    );
    assert_eq!(status_of(&desk, &reference).await, Status::Live);
    wait_for_mail(&desk, &format!("{reference}: application recovered")).await;

    // Every step is a signed entry naming what it did, and the audit recomputes the status.
    let keys = server::store::log::key_set(&desk.app.state.pool)
        .await
        .unwrap();
    let steps: Vec<Value> = server::store::log::entries(&desk.app.state.pool)
        .await
        .unwrap()
        .into_iter()
        .filter(|entry| entry.kind == "application_step")
        .map(|entry| {
            server::signing::jws::verify_as(&entry.jws, &keys, "appreg-application-step+jwt")
                .unwrap()
                .claims
        })
        .collect();
    let names: Vec<&str> = steps.iter().map(|c| c["step"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "request_deletion",
            "confirm_deletion",
            "request_recovery",
            "confirm_recovery"
        ]
    );
    assert_eq!(steps[0]["jti"], format!("{reference}/application_step/1"));
    assert_eq!(
        steps[0]["reason"],
        "Replaced by the trust's new ward system."
    );
    assert_eq!(steps[1]["actor"], "rita@nhs.net");
    assert_eq!(steps[1]["status_before"], "deletion_requested");
    let report = server::store::audit::run(&desk.app.state.pool, None)
        .await
        .unwrap();
    assert!(report.is_ok(), "{}", report.render());
    assert_eq!(report.application_steps, 4);
}

#[tokio::test]
async fn an_answer_from_a_tab_opened_before_the_request_was_asked_again_records_nothing() {
    let desk = desk().await;
    let reference = live(&desk).await;
    let admin = local_admin_of("RX1");
    let now = OffsetDateTime::now_utc();
    let ask = |reason: &'static str| {
        let desk = &desk;
        let admin = &admin;
        let reference = reference.clone();
        async move {
            deletion::request(
                desk.app.state.desk(),
                admin,
                &reference,
                Step::RequestDeletion,
                Some(reason),
                now,
            )
            .await
            .unwrap()
        }
    };
    // Rob reads the first request (n = 1); Rita declines it; the organisation asks again (n = 3).
    assert_eq!(ask("Not needed").await.n, 1);
    deletion::answer(
        desk.app.state.desk(),
        &reviewer("rita@nhs.net"),
        &reference,
        Step::DeclineDeletion,
        Some(1),
        Some("Still used by the pharmacy: check with them first."),
        now,
    )
    .await
    .unwrap();
    assert_eq!(ask("Checked with pharmacy: not needed").await.n, 3);
    // Rob's confirmation of request 1 is not a confirmation of request 3.
    let stale = deletion::answer(
        desk.app.state.desk(),
        &reviewer("rob@nhs.net"),
        &reference,
        Step::ConfirmDeletion,
        Some(1),
        None,
        now,
    )
    .await;
    assert!(
        matches!(
            stale,
            Err(StepError::Refused(
                StepRefusal::StaleRequest,
                Step::ConfirmDeletion
            ))
        ),
        "{stale:?}"
    );
    assert_eq!(
        status_of(&desk, &reference).await,
        Status::DeletionRequested
    );
}

#[tokio::test]
async fn a_deleted_application_is_recoverable_for_thirty_days_then_purged_once() {
    let desk = desk().await;
    let reference = live(&desk).await;
    let state = &desk.app.state;
    let admin = local_admin_of("RX1");
    let t0 = OffsetDateTime::now_utc();
    deleted(&desk, &reference, t0).await;
    let run = |at: OffsetDateTime| async move {
        server::schedule::run_due(&state.pool, &state.keys, &state.writer, &state.mailer, at)
            .await
            .unwrap()
            .into_iter()
            .filter(|line| line.starts_with("application purged"))
            .collect::<Vec<_>>()
    };

    // A day short of the 30: nothing is purged, and a recovery may still be asked for.
    assert_eq!(run(t0 + Duration::days(29)).await, Vec::<String>::new());
    assert_eq!(status_of(&desk, &reference).await, Status::Deleted);

    // At the 30 days: too late to recover; the scheduler purges it, once.
    let late = deletion::request(
        state.desk(),
        &admin,
        &reference,
        Step::RequestRecovery,
        None,
        t0 + Duration::days(30),
    )
    .await;
    assert!(
        matches!(
            late,
            Err(StepError::Refused(StepRefusal::RecoveryWindowOver, _))
        ),
        "{late:?}"
    );
    let purged = run(t0 + Duration::days(30)).await;
    assert_eq!(purged.len(), 1, "{purged:?}");
    assert!(purged[0].contains(&reference), "{purged:?}");
    assert_eq!(status_of(&desk, &reference).await, Status::Purged);
    assert_eq!(run(t0 + Duration::days(31)).await, Vec::<String>::new());
    let mail = wait_for_mail(&desk, &format!("{reference}: application purged")).await;
    assert!(mail.contains("submit a new registration request"), "{mail}");

    // Nothing more can happen to it.
    let after = deletion::request(
        state.desk(),
        &admin,
        &reference,
        Step::RequestRecovery,
        None,
        t0 + Duration::days(31),
    )
    .await;
    assert!(
        matches!(
            after,
            Err(StepError::Refused(StepRefusal::NotAllowedNow, _))
        ),
        "{after:?}"
    );
    let report = server::store::audit::run(&state.pool, None).await.unwrap();
    assert!(report.is_ok(), "{}", report.render());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appreg_schedule_run_from_cron_sends_its_purge_notice_by_smtp_before_it_exits() {
    let desk = desk().await;
    let reference = live(&desk).await;
    let t0 = OffsetDateTime::now_utc();
    deleted(&desk, &reference, t0).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(crate::notify::accept_one_message(listener));

    // The command's background messages once went to tasks that ended with it, unsent.
    let mut command = desk.app.appreg_command();
    command
        .env("APPREG_SMTP_URL", format!("smtp://127.0.0.1:{port}"))
        .args(["schedule", "run", "--now"])
        .arg(server::store::timestamp(t0 + Duration::days(30)));
    let run = tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let out = String::from_utf8(run.stdout).unwrap();
    assert!(
        out.starts_with(&format!("application purged: {reference}")),
        "{out}"
    );

    let (recipients, data) = tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("no message reached the SMTP server")
        .unwrap();
    assert!(
        recipients.contains(&"admin@rx1.nhs.net".to_string()),
        "{recipients:?}"
    );
    assert!(
        data.contains(&format!("{reference}: application purged")),
        "{data}"
    );
    // Nothing was left in the queue.
    let queue = desk.app.dir.path().join("mail-queue");
    assert_eq!(std::fs::read_dir(&queue).unwrap().count(), 0);
}

#[tokio::test]
async fn a_recovery_asked_for_but_not_confirmed_within_the_thirty_days_is_purged() {
    let desk = desk().await;
    let reference = live(&desk).await;
    let state = &desk.app.state;
    let t0 = OffsetDateTime::now_utc();
    let admin = local_admin_of("RX1");
    let rita = reviewer("rita@nhs.net");
    deleted(&desk, &reference, t0).await;
    let asked = deletion::request(
        state.desk(),
        &admin,
        &reference,
        Step::RequestRecovery,
        Some("Needed after all"),
        t0 + Duration::days(29),
    )
    .await
    .unwrap();
    // The reviewer comes to it after the 30 days: too late to confirm.
    let late = deletion::answer(
        state.desk(),
        &rita,
        &reference,
        Step::ConfirmRecovery,
        Some(asked.n),
        None,
        t0 + Duration::days(30) + Duration::minutes(1),
    )
    .await;
    assert!(
        matches!(
            late,
            Err(StepError::Refused(StepRefusal::RecoveryWindowOver, _))
        ),
        "{late:?}"
    );
    server::schedule::run_due(
        &state.pool,
        &state.keys,
        &state.writer,
        &state.mailer,
        t0 + Duration::days(30) + Duration::minutes(1),
    )
    .await
    .unwrap();
    assert_eq!(status_of(&desk, &reference).await, Status::Purged);
}

#[tokio::test]
async fn log_verify_finds_a_status_or_a_step_changed_outside_the_desk() {
    let desk = desk().await;
    let reference = live(&desk).await;
    let state = &desk.app.state;
    let now = OffsetDateTime::now_utc();
    take(
        &desk,
        &reference,
        Step::RequestDeletion,
        Some("Retired"),
        now,
    )
    .await
    .unwrap();
    deletion::answer(
        state.desk(),
        &reviewer("rita@nhs.net"),
        &reference,
        Step::ConfirmDeletion,
        Some(1),
        None,
        now,
    )
    .await
    .unwrap();
    // Someone with the database brings it back to life, and rewrites why it was deleted.
    sqlx::query("UPDATE registration_request SET status = 'live' WHERE reference = $1")
        .bind(&reference)
        .execute(&state.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE application_step SET reason = 'Asked by the reviewer' WHERE reference = $1 AND n = 1")
        .bind(&reference)
        .execute(&state.pool)
        .await
        .unwrap();
    let report = server::store::audit::run(&state.pool, None).await.unwrap();
    let text = report.render();
    assert!(!report.is_ok());
    assert!(
        text.contains("its stored status is live, but its signed decisions give deleted"),
        "{text}"
    );
    assert!(
        text.contains("the stored step 1 differs from its signed entry in: reason"),
        "{text}"
    );
}

async fn page(desk: &Desk, account: &Account, path: &str) -> Page {
    get_page(&desk.app, account, path).await
}

async fn post_form(desk: &Desk, account: &Account, path: &str, fields: &[(&str, &str)]) -> Page {
    post_page_form(&desk.app, account, path, fields).await
}

#[tokio::test]
async fn the_pages_forms_ask_answer_and_keep_what_was_typed_without_javascript() {
    let desk = desk().await;
    let reference = live(&desk).await;
    let request_page = format!("/requests/{reference}");
    let review_page = format!("/review/{reference}");

    // The organisation's page offers the deletion; the reviewer's has nothing to answer yet.
    let shown = page(&desk, &desk.admin, &request_page).await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(
        shown.body.contains("id=\"deletion-form\""),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Delete this application"));
    let reviewed = page(&desk, &desk.rita, &review_page).await;
    assert!(!reviewed.body.contains("id=\"step-answer-form\""));

    // No reason: back to the form, which says what to do.
    let refused = post_form(
        &desk,
        &desk.admin,
        &format!("{request_page}/deletion"),
        &[("reason", " ")],
    )
    .await;
    assert_eq!(refused.status, StatusCode::SEE_OTHER);
    assert_eq!(
        refused.location,
        format!("{request_page}?step_error=reason_required&step=request_deletion")
    );
    let shown = page(&desk, &desk.admin, &refused.location).await;
    assert!(
        shown
            .body
            .contains("Enter why the application is no longer needed"),
        "{}",
        shown.body
    );
    assert_eq!(status_of(&desk, &reference).await, Status::Live);

    // A reviewer cannot post the organisation's form.
    let forbidden = post_form(
        &desk,
        &desk.rita,
        &format!("{request_page}/deletion"),
        &[("reason", "x")],
    )
    .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);

    let asked = post_form(
        &desk,
        &desk.admin,
        &format!("{request_page}/deletion"),
        &[("reason", "Replaced by <Ward Pro> & retired")],
    )
    .await;
    assert_eq!(
        asked.location,
        format!("{request_page}?step_taken=request_deletion")
    );
    let shown = page(&desk, &desk.admin, &asked.location).await;
    assert!(shown.body.contains("id=\"step-taken\""));
    assert!(
        shown.body.contains("Deletion requested ("),
        "{}",
        shown.body
    );
    assert!(!shown.body.contains("id=\"deletion-form\""));
    // What was typed is shown as text, never as markup.
    assert!(
        shown
            .body
            .contains("Replaced by &lt;Ward Pro&gt; &amp; retired"),
        "{}",
        shown.body
    );

    // The reviewer's page: the request, and the answer form quoting it.
    let reviewed = page(&desk, &desk.rita, &review_page).await;
    assert!(
        reviewed.body.contains("id=\"step-answer-form\""),
        "{}",
        reviewed.body
    );
    assert!(reviewed.body.contains("name=\"answering\" value=\"1\""));
    // No answer chosen, a reason typed: back with the reason kept.
    let refused = post_form(
        &desk,
        &desk.rita,
        &format!("{review_page}/lifecycle-decisions"),
        &[
            ("answering", "1"),
            ("reason", "Check with pharmacy </textarea>"),
        ],
    )
    .await;
    assert!(
        refused.location.starts_with(&format!(
            "{review_page}?step_error=answer_required&step=confirm_deletion&reason="
        )),
        "{}",
        refused.location
    );
    let shown = page(&desk, &desk.rita, &refused.location).await;
    assert!(
        shown
            .body
            .contains("Select whether you confirm or decline the request")
    );
    assert!(
        shown
            .body
            .contains("Check with pharmacy &lt;/textarea&gt;</textarea>"),
        "{}",
        shown.body
    );

    let confirmed = post_form(
        &desk,
        &desk.rita,
        &format!("{review_page}/lifecycle-decisions"),
        &[("answering", "1"), ("step", "confirm_deletion")],
    )
    .await;
    assert_eq!(
        confirmed.location,
        format!("{review_page}?step_taken=confirm_deletion")
    );
    assert_eq!(status_of(&desk, &reference).await, Status::Deleted);

    // Deleted: the organisation's page says until when, and offers the recovery.
    let shown = page(&desk, &desk.admin, &request_page).await;
    assert!(
        shown.body.contains("It can be recovered until"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("id=\"recovery-form\""));
    assert!(shown.body.contains(APP_ID));
    // Its details are what a recovery brings back, not what to configure now.
    assert!(
        shown
            .body
            .contains("A recovery brings it back with these details"),
        "{}",
        shown.body
    );
    assert!(!shown.body.contains("Configure your application with these"));
    assert!(!shown.body.contains("id=\"application-calendar\""));
    // Its exports are not offered, and the page does not say they will be "once approved".
    assert!(shown.body.contains("id=\"exports-not-offered\""));
    assert!(!shown.body.contains("id=\"exports-once-approved\""));
    let asked = post_form(&desk, &desk.admin, &format!("{request_page}/recovery"), &[]).await;
    assert_eq!(
        asked.location,
        format!("{request_page}?step_taken=request_recovery")
    );
    assert_eq!(
        status_of(&desk, &reference).await,
        Status::RecoveryRequested
    );

    // A stale tab: the deletion page's answer to request 1, posted now that request 3 waits.
    let stale = post_form(
        &desk,
        &desk.rita,
        &format!("{review_page}/lifecycle-decisions"),
        &[("answering", "1"), ("step", "confirm_deletion")],
    )
    .await;
    assert!(
        stale
            .location
            .starts_with(&format!("{review_page}?step_error=not_allowed_now")),
        "{}",
        stale.location
    );
    let shown = page(&desk, &desk.rita, &stale.location).await;
    assert!(
        shown.body.contains("Nothing was recorded"),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Recovery requested"));
    assert_eq!(
        status_of(&desk, &reference).await,
        Status::RecoveryRequested
    );
}

#[tokio::test]
async fn the_organisation_withdraws_its_own_request_before_a_reviewer_answers() {
    let desk = desk().await;
    let reference = live(&desk).await;
    let deletion = format!("/api/v1/registrations/{reference}/deletion");
    let recovery = format!("/api/v1/registrations/{reference}/recovery");
    let delete = |account: &Account, path: &str| {
        let path = path.to_string();
        let account = account.clone();
        let app = &desk.app;
        async move { call(app, Method::DELETE, &path, Some(&account), None).await }
    };

    // Nothing to withdraw yet.
    assert_error(
        &delete(&desk.admin, &deletion).await,
        409,
        "not_allowed_now",
        "withdrawing a deletion nobody asked for",
    );
    let asked = post(
        &desk,
        &desk.admin,
        &deletion,
        &json!({ "reason": "Clicked by mistake" }),
    )
    .await;
    assert_eq!(asked.status, StatusCode::CREATED);
    assert_error(
        &delete(&desk.rita, &deletion).await,
        403,
        "forbidden",
        "a reviewer withdrawing the organisation's request",
    );
    assert_error(
        &delete(&desk.other_admin, &deletion).await,
        404,
        "not_found",
        "another organisation's administrator",
    );
    // On the page: the organisation's form to withdraw it, posted without JavaScript.
    let shown = page(&desk, &desk.admin, &format!("/requests/{reference}")).await;
    assert!(
        shown.body.contains("id=\"withdraw-form\""),
        "{}",
        shown.body
    );
    assert!(shown.body.contains("Withdraw the deletion request"));
    let withdrawn = post_form(
        &desk,
        &desk.admin,
        &format!("/requests/{reference}/withdrawal"),
        &[("step", "withdraw_deletion")],
    )
    .await;
    assert_eq!(
        withdrawn.location,
        format!("/requests/{reference}?step_taken=withdraw_deletion")
    );
    assert_eq!(status_of(&desk, &reference).await, Status::Live);
    wait_for_mail(&desk, &format!("{reference}: deletion request withdrawn")).await;
    // The reviewer's page has nothing left to answer.
    let reviewed = page(&desk, &desk.rita, &format!("/review/{reference}")).await;
    assert!(!reviewed.body.contains("id=\"step-answer-form\""));

    // A recovery request withdrawn over the API: it stays deleted, and can be asked again.
    post(
        &desk,
        &desk.admin,
        &deletion,
        &json!({ "reason": "Retired" }),
    )
    .await;
    let confirmed = post(
        &desk,
        &desk.rita,
        &format!("/api/v1/registrations/{reference}/lifecycle-decisions"),
        &json!({ "step": "confirm_deletion", "answering": 3 }),
    )
    .await;
    assert_eq!(
        confirmed.status,
        StatusCode::CREATED,
        "{}",
        confirmed.text()
    );
    post(&desk, &desk.admin, &recovery, &json!({})).await;
    let withdrawn = delete(&desk.admin, &recovery).await;
    assert_eq!(withdrawn.status, StatusCode::OK, "{}", withdrawn.text());
    assert_eq!(withdrawn.json()["status"], "deleted");
    assert_eq!(status_of(&desk, &reference).await, Status::Deleted);
    let again = post(&desk, &desk.admin, &recovery, &json!({})).await;
    assert_eq!(again.status, StatusCode::CREATED, "{}", again.text());

    let report = server::store::audit::run(&desk.app.state.pool, None)
        .await
        .unwrap();
    assert!(report.is_ok(), "{}", report.render());
    assert_eq!(report.application_steps, 7);
}

#[tokio::test]
async fn deleted_again_after_a_recovery_its_thirty_days_start_again() {
    let desk = desk().await;
    let reference = live(&desk).await;
    let state = &desk.app.state;
    let t0 = OffsetDateTime::now_utc();
    let steps = [
        (Step::RequestDeletion, 0),
        (Step::ConfirmDeletion, 0),
        (Step::RequestRecovery, 5),
        (Step::ConfirmRecovery, 5),
        (Step::RequestDeletion, 20),
    ];
    for (step, day) in steps {
        take(
            &desk,
            &reference,
            step,
            Some("Why"),
            t0 + Duration::days(day),
        )
        .await
        .unwrap();
    }
    let deleted = take(
        &desk,
        &reference,
        Step::ConfirmDeletion,
        None,
        t0 + Duration::days(20),
    )
    .await
    .unwrap();
    assert_eq!(
        deleted.recoverable_until.as_deref(),
        Some(server::store::timestamp(t0 + Duration::days(50)).as_str())
    );
    // 30 days after the first deletion, not after the second: nothing to purge.
    let purged = deletion::purge_due(
        &state.pool,
        &state.keys,
        &state.writer,
        &state.mailer,
        t0 + Duration::days(31),
    )
    .await
    .unwrap();
    assert!(purged.is_empty(), "{purged:?}");
    assert_eq!(status_of(&desk, &reference).await, Status::Deleted);
    let purged = deletion::purge_due(
        &state.pool,
        &state.keys,
        &state.writer,
        &state.mailer,
        t0 + Duration::days(50),
    )
    .await
    .unwrap();
    assert_eq!(purged.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_reviewers_answering_at_once_and_two_servers_purging_at_once_each_act_once() {
    let desk = desk().await;
    let reference = live(&desk).await;
    let state = &desk.app.state;
    let t0 = OffsetDateTime::now_utc();
    take(
        &desk,
        &reference,
        Step::RequestDeletion,
        Some("Retired"),
        t0,
    )
    .await
    .unwrap();
    // Rita confirms while Rob declines, both answering request 1: one is recorded, the other
    // is told nothing was.
    let (rita, rob) = (reviewer("rita@nhs.net"), reviewer("rob@nhs.net"));
    let (confirmed, declined) = tokio::join!(
        deletion::answer(
            state.desk(),
            &rita,
            &reference,
            Step::ConfirmDeletion,
            Some(1),
            None,
            t0
        ),
        deletion::answer(
            state.desk(),
            &rob,
            &reference,
            Step::DeclineDeletion,
            Some(1),
            Some("Still in use"),
            t0
        ),
    );
    let outcomes = [confirmed.is_ok(), declined.is_ok()];
    assert_eq!(
        outcomes.iter().filter(|ok| **ok).count(),
        1,
        "{confirmed:?} {declined:?}"
    );
    for refused in [&confirmed, &declined]
        .into_iter()
        .filter_map(|r| r.as_ref().err())
    {
        assert!(
            matches!(
                refused,
                StepError::Refused(StepRefusal::NotAllowedNow | StepRefusal::StaleRequest, _)
            ),
            "{refused:?}"
        );
    }
    if declined.is_ok() {
        // Rob's decline won: ask again and confirm, so there is something to purge.
        deletion::request(
            state.desk(),
            &local_admin_of("RX1"),
            &reference,
            Step::RequestDeletion,
            Some("Retired"),
            t0,
        )
        .await
        .unwrap();
        deletion::answer(
            state.desk(),
            &rita,
            &reference,
            Step::ConfirmDeletion,
            None,
            None,
            t0,
        )
        .await
        .unwrap();
    }

    // Two desks on the same database file run the purge at the same instant: purged once.
    let (pool, keys, writer, mailer) = crate::reminders::another_server(&desk.app).await;
    let at = t0 + Duration::days(30);
    let (here, there) = tokio::join!(
        deletion::purge_due(&state.pool, &state.keys, &state.writer, &state.mailer, at),
        deletion::purge_due(&pool, &keys, &writer, &mailer, at),
    );
    assert_eq!(here.unwrap().len() + there.unwrap().len(), 1);
    let purges: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM application_step WHERE reference = $1 AND step = 'purge'",
    )
    .bind(&reference)
    .fetch_one(&state.pool)
    .await
    .unwrap();
    assert_eq!(purges, 1);
    let report = server::store::audit::run(&state.pool, None).await.unwrap();
    assert!(report.is_ok(), "{}", report.render());
}
